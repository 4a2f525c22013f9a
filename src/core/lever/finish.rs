//! Finishing an interrupted action (the panel or the CLI stopped mid-lever):
//! the same lever planned again from fresh reads does only what is left; it
//! is closed `ok` without a run only when the fresh state is the recorded
//! plan's after-state.

use super::{Parts, Plan, PlanError, PlanSource, plan_source};
use crate::core::env::EnvSnapshot;

/// What finishing an interrupted action does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Something is left to do: this plan, run under the same action id.
    Plan(Box<Plan>),
    /// The state read now is the action's after-state: close it `ok`.
    Done(String),
    /// Neither can be shown now (a part unread, the state differs): leave
    /// it open, for this reason.
    KeepOpen(String),
}

/// Decides how to finish the action whose intent recorded `recorded`, from
/// the parts read now (`None` = that part could not be read now: last-good
/// data never shows that something is done).
pub fn finish(recorded: Option<&Plan>, source: &PlanSource, parts: Parts<'_>) -> Finish {
    let why = match plan_source(source, parts) {
        Ok(plan) => return Finish::Plan(Box::new(plan)),
        Err(PlanError::NothingToDo(why)) => why,
        Err(e) => return Finish::KeepOpen(e.to_string()),
    };
    let Some(plan) = recorded else {
        return Finish::KeepOpen("the recorded plan cannot be read".to_owned());
    };
    let reads = plan.reads();
    if reads.env && parts.env.is_none() {
        return Finish::KeepOpen("the env cannot be read now".to_owned());
    }
    if reads.database && parts.workspaces.is_none() {
        return Finish::KeepOpen("the database cannot be read now".to_owned());
    }
    let no_env = EnvSnapshot::default();
    let env = parts.env.unwrap_or(&no_env);
    match plan.after_state_reached(parts.workspaces.unwrap_or_default(), env) {
        Ok(()) => Finish::Done(why),
        Err(differs) => Finish::KeepOpen(format!(
            "nothing can be planned ({why}), but the state is not what the action wanted: {}",
            differs.join("; ")
        )),
    }
}
