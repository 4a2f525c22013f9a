//! The plans that change a workspace toggle: enabling the canary (the
//! toggle, and the revision kill switch off when it is on), a workspace
//! rollback and its restore.

use super::{
    Change, Guard, INSTANT_ROLLBACK, LeverKind, LeverRequest, Parts, Plan, PlanError, RUNNING_JOBS,
    env_plan, one_canary, readiness_precondition, schema_precondition, updated_at, workspace,
};
use crate::core::env::{AUTO_SEND_REVISION_DISABLED, Live};
use crate::core::workspace::RevisionToggle;

pub(super) fn canary_enable(req: &LeverRequest, state: Parts<'_>) -> Result<Plan, PlanError> {
    let (workspaces, schema) = state.db()?;
    let env = state.env()?;
    let w = workspace(req, workspaces)?;
    let flag = env.flag(AUTO_SEND_REVISION_DISABLED);
    let toggle_on = w.toggle == RevisionToggle::Enabled;
    // An interrupted canary may have its toggle on and the kill switch not
    // yet off: only what is left is planned.
    if toggle_on && !flag.configured_on && flag.live == Live::Known(false) {
        return Err(PlanError::NothingToDo(format!(
            "{}'s revision toggle is already ON and the revision kill switch is off, configured and live",
            w.name
        )));
    }
    let preconditions = vec![
        schema_precondition(schema),
        one_canary(workspaces, w),
        readiness_precondition(state.readiness),
    ];
    let mut changes = Vec::new();
    if !toggle_on {
        changes.push(Change::Toggle {
            workspace_id: w.id.clone(),
            workspace_name: w.name.clone(),
            before: w.toggle,
            after: true,
        });
    }
    let mut warnings = Vec::new();
    if flag.configured_on {
        changes.push(Change::Env {
            key: AUTO_SEND_REVISION_DISABLED.to_owned(),
            before: flag.configured_value.clone(),
            before_updated_at: updated_at(env, AUTO_SEND_REVISION_DISABLED),
            after: "0".to_owned(),
        });
        warnings.push(INSTANT_ROLLBACK.to_owned());
        env_plan::build_steps(
            env,
            AUTO_SEND_REVISION_DISABLED,
            true,
            &mut changes,
            &mut warnings,
        );
    } else if flag.live != Live::Known(false) {
        env_plan::build_steps(
            env,
            AUTO_SEND_REVISION_DISABLED,
            false,
            &mut changes,
            &mut warnings,
        );
    }
    let needs_redeploy = changes.iter().any(Change::builds);
    Ok(Plan {
        readiness: Vec::new(),
        lever: LeverKind::CanaryEnable,
        on: true,
        workspace: Some(w.id.clone()),
        targets: Vec::new(),
        title: format!("Enable the canary: revision for {}", w.name),
        changes,
        preconditions,
        guard: Guard::Type(w.name.clone()),
        needs_redeploy,
        takes_effect: if needs_redeploy {
            format!(
                "new jobs see the toggle at once and revision once the redeploy is READY (typically 1-3 min); {RUNNING_JOBS}"
            )
        } else {
            format!("new jobs at once; {RUNNING_JOBS}")
        },
        warnings,
    })
}

pub(super) fn toggle_plan(
    req: &LeverRequest,
    state: Parts<'_>,
    after: bool,
) -> Result<Plan, PlanError> {
    let (workspaces, schema) = state.db()?;
    let w = workspace(req, workspaces)?;
    if w.toggle.is_on() == after {
        return Err(PlanError::NothingToDo(format!(
            "{}'s revision toggle is already {}",
            w.name,
            w.toggle.label()
        )));
    }
    let restore = after;
    let mut preconditions = vec![schema_precondition(schema)];
    if restore {
        // A restore turns revision on: the canary's preconditions.
        preconditions.push(one_canary(workspaces, w));
        preconditions.push(readiness_precondition(state.readiness));
    }
    Ok(Plan {
        readiness: Vec::new(),
        lever: req.kind,
        on: req.on,
        workspace: Some(w.id.clone()),
        targets: Vec::new(),
        title: if restore {
            format!("Restore revision for {}", w.name)
        } else {
            format!("Roll back {}: revision off for this workspace", w.name)
        },
        changes: vec![Change::Toggle {
            workspace_id: w.id.clone(),
            workspace_name: w.name.clone(),
            before: w.toggle,
            after,
        }],
        preconditions,
        guard: if after {
            Guard::Type(w.name.clone())
        } else {
            Guard::Confirm
        },
        needs_redeploy: false,
        takes_effect: format!("new jobs at once; {RUNNING_JOBS}"),
        warnings: Vec::new(),
    })
}
