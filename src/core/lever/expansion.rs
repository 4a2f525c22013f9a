//! The expansion step (runbook: expand only after 30–60 min of clean
//! metrics): turn revision on for chosen workspaces, one by one, each with
//! the same compare-and-set and read-back as the canary's toggle; and its
//! rollback, which turns off every workspace an expansion turned on.
//!
//! Its preconditions are the watch so far: the canary verdict, how long the
//! canary has been watched, and the alarms. Each may be overridden (with a
//! reason, in the audit log); the schema may not.

use super::{Change, Guard, LeverKind, Parts, Plan, PlanError, Precondition, RUNNING_JOBS};
use crate::core::time::UtcNaive;
use crate::core::verdict::VerdictState;
use crate::core::workspace::{RevisionToggle, Workspace};

/// The runbook's shortest clean watch before an expansion.
pub const MIN_WATCH: chrono::Duration = chrono::Duration::minutes(30);

/// The word an expansion's confirm asks for.
pub const EXPAND_WORD: &str = "EXPAND";

/// The preconditions that come from the watch (not read again at confirm
/// time: the operator saw them, and a run does not wait for metrics).
pub const WATCH_PRECONDITIONS: [&str; 3] = ["verdict", "watch time", "alarms"];

/// What the canary's watch shows so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Watch {
    /// The canary verdict (`None` = no canary, or not computed).
    pub verdict: Option<VerdictState>,
    /// When the canary started, if known.
    pub canary_since: Option<UtcNaive>,
    /// Now (the panel's clock).
    pub now: UtcNaive,
    /// The alarms firing now, one line each.
    pub alarms: Vec<String>,
}

impl Watch {
    /// The watch of a canary verdict (`None` = no canary), its start, and
    /// the alarms firing now (each named by its kind).
    pub fn new(
        verdict: Option<VerdictState>,
        canary_since: Option<UtcNaive>,
        now: UtcNaive,
        alarms: &[crate::core::alarms::Alarm],
    ) -> Self {
        Self {
            verdict,
            canary_since,
            now,
            alarms: alarms
                .iter()
                .map(|a| crate::core::notice::alarm_title(a.kind).to_owned())
                .collect(),
        }
    }

    /// The preconditions this watch gives an expansion.
    pub fn preconditions(watch: Option<&Self>) -> Vec<Precondition> {
        let Some(w) = watch else {
            return WATCH_PRECONDITIONS
                .iter()
                .map(|name| Precondition {
                    name: (*name).to_owned(),
                    ok: false,
                    detail: "not known: the metrics have not been read".to_owned(),
                    overridable: true,
                })
                .collect();
        };
        let watched = w.canary_since.map(|s| w.now - s);
        vec![
            Precondition {
                name: "verdict".to_owned(),
                ok: w.verdict == Some(VerdictState::NoHarmDetected),
                detail: w.verdict.map_or_else(
                    || "no canary verdict (no canary running)".to_owned(),
                    |v| format!("canary verdict: {}", v.label()),
                ),
                overridable: true,
            },
            Precondition {
                name: "watch time".to_owned(),
                ok: watched.is_some_and(|d| d >= MIN_WATCH),
                detail: match watched {
                    Some(d) => format!(
                        "watched {} min (runbook: 30–60 min of clean metrics)",
                        d.num_minutes()
                    ),
                    None => "the canary's start is not known".to_owned(),
                },
                overridable: true,
            },
            Precondition {
                name: "alarms".to_owned(),
                ok: w.alarms.is_empty(),
                detail: if w.alarms.is_empty() {
                    "no alarm firing".to_owned()
                } else {
                    format!("firing: {}", w.alarms.join("; "))
                },
                overridable: true,
            },
        ]
    }
}

/// The workspaces an expansion may enable: those with the toggle off.
pub fn candidates(workspaces: &[Workspace]) -> Vec<&Workspace> {
    workspaces.iter().filter(|w| !w.toggle.is_on()).collect()
}

/// The expansion to `wanted` (ids or exact names), or its rollback
/// (`on = false`: every one of them still on goes off).
pub fn expansion_plan(wanted: &[String], on: bool, state: Parts<'_>) -> Result<Plan, PlanError> {
    let (workspaces, schema) = state.db()?;
    if wanted.is_empty() {
        return Err(PlanError::Invalid(
            "choose the workspaces to expand to (--workspaces A,B,C)".to_owned(),
        ));
    }
    let mut chosen: Vec<&Workspace> = Vec::new();
    for w in wanted {
        let found = crate::core::workspace::find(workspaces, w).map_err(PlanError::Invalid)?;
        if !chosen.iter().any(|c| c.id == found.id) {
            chosen.push(found);
        }
    }
    let targets: Vec<String> = chosen.iter().map(|w| w.id.clone()).collect();
    let (to_change, already): (Vec<&Workspace>, Vec<&Workspace>) =
        chosen.iter().partition(|w| w.toggle.is_on() != on);
    if to_change.is_empty() {
        return Err(PlanError::NothingToDo(format!(
            "revision is already {} for {}",
            if on { "ON" } else { "OFF" },
            names(&already)
        )));
    }
    let mut warnings = Vec::new();
    if !already.is_empty() {
        warnings.push(format!(
            "already {}, left as they are: {}",
            if on { "ON" } else { "OFF" },
            names(&already)
        ));
    }
    let mut preconditions = vec![super::schema_precondition(schema)];
    if on {
        preconditions.extend(Watch::preconditions(state.watch));
        warnings.push(
            "Each workspace is written on its own (compare-and-set, read back); one changed by someone else is refused and the others go on. Roll back with each workspace's lever, or \"Roll back every workspace enabled by this expansion\"."
                .to_owned(),
        );
    }
    let toggles = to_change
        .iter()
        .map(|w| Change::Toggle {
            workspace_id: w.id.clone(),
            workspace_name: w.name.clone(),
            before: w.toggle,
            after: on,
        })
        .collect();
    Ok(Plan {
        readiness: Vec::new(),
        lever: LeverKind::Expansion,
        on,
        workspace: None,
        targets,
        title: if on {
            format!(
                "Expand revision to {} workspace(s): {}",
                to_change.len(),
                names(&to_change)
            )
        } else {
            format!(
                "Roll back the expansion: revision off for {}",
                names(&to_change)
            )
        },
        changes: toggles,
        preconditions,
        guard: if on {
            Guard::Type(EXPAND_WORD.to_owned())
        } else {
            Guard::Confirm
        },
        needs_redeploy: false,
        takes_effect: format!("new jobs at once; {RUNNING_JOBS}"),
        warnings,
    })
}

fn names(ws: &[&Workspace]) -> String {
    ws.iter()
        .map(|w| w.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// "expanding: 3 of 12 workspaces on", when more than one is on.
pub fn stage_line(workspaces: &[Workspace]) -> Option<String> {
    let on = workspaces
        .iter()
        .filter(|w| w.toggle == RevisionToggle::Enabled)
        .count();
    (on > 1).then(|| format!("expanding: {on} of {} workspaces on", workspaces.len()))
}
