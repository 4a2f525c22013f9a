//! The instant complement of the fast rollback (every enabled workspace's
//! toggle off at once).

use super::{
    Change, Guard, LeverKind, LeverState, Parts, Plan, PlanError, RUNNING_JOBS, schema_precondition,
};
use crate::core::workspace::Workspace;

/// The instant complement of the fast rollback: turn off the toggle of every
/// workspace that has it on, because that stops new revisions at once while
/// the kill switch's redeploy builds. Audited and restorable like any
/// workspace rollback (each workspace's restore brings it back).
pub fn complement_plan(state: LeverState<'_>) -> Result<Plan, PlanError> {
    complement_from_parts(state.into())
}

/// [`complement_plan`] from the parts that could be read (it needs the database).
pub fn complement_from_parts(state: Parts<'_>) -> Result<Plan, PlanError> {
    let (workspaces, schema) = state.db()?;
    let enabled: Vec<&Workspace> = workspaces.iter().filter(|w| w.toggle.is_on()).collect();
    if enabled.is_empty() {
        return Err(PlanError::NothingToDo(
            "no workspace has the revision toggle on".to_owned(),
        ));
    }
    let names: Vec<&str> = enabled.iter().map(|w| w.name.as_str()).collect();
    Ok(Plan {
        readiness: Vec::new(),
        lever: LeverKind::WorkspaceRollback,
        on: true,
        workspace: None,
        targets: Vec::new(),
        title: format!(
            "Roll back every workspace with revision on: {}",
            names.join(", ")
        ),
        changes: enabled
            .iter()
            .map(|w| Change::Toggle {
                workspace_id: w.id.clone(),
                workspace_name: w.name.clone(),
                before: w.toggle,
                after: false,
            })
            .collect(),
        preconditions: vec![schema_precondition(schema)],
        guard: Guard::Confirm,
        needs_redeploy: false,
        takes_effect: format!("new jobs at once; {RUNNING_JOBS}"),
        warnings: vec![
            "Restore each workspace later with its own Restore button (the kill switch stays as it is).".to_owned(),
        ],
    })
}
