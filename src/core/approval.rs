//! Approvals (issue 18, optional per profile): enabling the canary and an
//! expansion can require a second operator's approval from their own panel.
//! The request and the approval are audit actions of their own (in the
//! shared table, so every panel sees them); an approval counts for
//! [`APPROVAL_TTL`] after it was given, only for the same lever on the same
//! workspaces, and only when someone other than the requester gave it.
//! Rollbacks never wait for one.

use crate::core::lever::{LeverKind, Plan, PlanSource};
use crate::core::time::UtcNaive;

/// How long an approval counts.
pub const APPROVAL_TTL: chrono::Duration = chrono::Duration::minutes(15);

/// The audit lever name of a request.
pub const REQUEST_LEVER: &str = "approval-request";

/// The audit lever name of an approval.
pub const APPROVAL_LEVER: &str = "approval";

/// Whether this plan waits for an approval when the profile asks for them:
/// enabling the canary and an expansion; never a rollback or a restore.
pub fn needs_approval(plan: &Plan) -> bool {
    plan.on
        && !plan.is_rollback()
        && matches!(plan.lever, LeverKind::CanaryEnable | LeverKind::Expansion)
}

/// A request, as the shared table holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Requested {
    /// Its action id.
    pub action_id: String,
    /// Who asked.
    pub operator: String,
    /// When.
    pub at: UtcNaive,
    /// The plan asked for.
    pub plan: Plan,
    /// Why.
    pub reason: String,
}

/// An approval, as the shared table holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approved {
    /// Its action id.
    pub action_id: String,
    /// Who approved.
    pub operator: String,
    /// When.
    pub at: UtcNaive,
    /// The request it approves.
    pub request_id: String,
}

/// Where a request stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// No valid approval yet (none, or only the requester's own).
    Waiting,
    /// Approved by another operator; counts until `until`.
    Approved {
        /// Who approved.
        by: String,
        /// The approval's action id.
        approval_id: String,
        /// When it stops counting.
        until: UtcNaive,
    },
    /// It was approved, but the approval is older than [`APPROVAL_TTL`].
    Expired {
        /// Who approved.
        by: String,
    },
}

/// Where `request` stands at `now`, given every approval read.
pub fn standing(request: &Requested, approvals: &[Approved], now: UtcNaive) -> Standing {
    let mine: Vec<&Approved> = approvals
        .iter()
        .filter(|a| a.request_id == request.action_id && a.operator != request.operator)
        .collect();
    if let Some(a) = mine
        .iter()
        .filter(|a| a.at <= now && now - a.at < APPROVAL_TTL)
        .max_by_key(|a| a.at)
    {
        return Standing::Approved {
            by: a.operator.clone(),
            approval_id: a.action_id.clone(),
            until: a.at + APPROVAL_TTL,
        };
    }
    match mine.iter().max_by_key(|a| a.at) {
        Some(a) => Standing::Expired {
            by: a.operator.clone(),
        },
        None => Standing::Waiting,
    }
}

/// A valid approval: the request it approves, who gave it, until when it
/// counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant<'a> {
    /// The request approved.
    pub request: &'a Requested,
    /// Who approved.
    pub by: String,
    /// When it stops counting.
    pub until: UtcNaive,
}

/// The approval that lets `runner` run `plan` now: the newest request by
/// `runner` for the same lever on the same workspaces, approved by another
/// operator less than [`APPROVAL_TTL`] ago. `Err` says why there is none.
pub fn approval_for<'a>(
    plan: &Plan,
    runner: &str,
    requests: &'a [Requested],
    approvals: &[Approved],
    now: UtcNaive,
) -> Result<Grant<'a>, String> {
    let wanted = same_target(&plan.source());
    let mut found_waiting = None;
    let mut expired = None;
    let mut ours: Vec<&Requested> = requests
        .iter()
        .filter(|r| r.operator == runner && same_target(&r.plan.source()) == wanted)
        .collect();
    ours.sort_by_key(|r| std::cmp::Reverse(r.at));
    for r in ours {
        match standing(r, approvals, now) {
            Standing::Approved { by, until, .. } => {
                return Ok(Grant {
                    request: r,
                    by,
                    until,
                });
            }
            Standing::Expired { by } => {
                expired.get_or_insert(by);
            }
            Standing::Waiting => {
                found_waiting.get_or_insert(r.at);
            }
        }
    }
    Err(match (found_waiting, expired) {
        (Some(at), _) => format!(
            "this lever needs a second operator's approval: your request of {} UTC is still waiting",
            at.format("%H:%M:%S")
        ),
        (None, Some(by)) => format!(
            "this lever needs a second operator's approval: {by}'s approval expired (an approval counts {} min); request it again",
            APPROVAL_TTL.num_minutes()
        ),
        (None, None) => {
            "this lever needs a second operator's approval: request it first (the request goes to every panel on this database)"
                .to_owned()
        }
    })
}

/// What a plan's approval must match: the lever, its direction and its
/// workspaces, order and duplicates aside.
fn same_target(source: &PlanSource) -> (String, bool, Vec<String>) {
    match source {
        PlanSource::Lever(req) => (
            req.kind.as_str().to_owned(),
            req.on,
            req.workspace.iter().cloned().collect(),
        ),
        PlanSource::Complement => ("complement".to_owned(), true, Vec::new()),
        PlanSource::Expansion { on, workspaces } => {
            let mut w = workspaces.clone();
            w.sort();
            w.dedup();
            (LeverKind::Expansion.as_str().to_owned(), *on, w)
        }
    }
}

#[cfg(test)]
mod tests;
