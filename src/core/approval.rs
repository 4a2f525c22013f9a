//! Approvals (issues 18 and 28, optional per profile): turning revision on
//! for a workspace — the canary, an expansion, the restore after a rollback
//! — can require a second operator's approval from their own panel. The
//! request and the approval are signed audit actions of their own in the
//! shared table (only verified ones are read here: a name then stands for
//! one key of the team's roster). An approval signs the digest of the exact
//! plan ([`plan_digest`]: lever, direction, workspaces, before-values,
//! precondition results and so the overrides) and the request's id; it
//! counts for [`APPROVAL_TTL`] by the panel's clock *and* the database
//! server's, only for a plan with the same digest, only when someone other
//! than the requester gave it, and only once (the run's intent names it).
//! Rollbacks never wait for one.

use crate::core::lever::{LeverKind, Plan, PlanSource};
use crate::core::time::UtcNaive;

/// How long an approval counts.
pub const APPROVAL_TTL: chrono::Duration = chrono::Duration::minutes(15);

/// The audit lever name of a request.
pub const REQUEST_LEVER: &str = "approval-request";

/// The audit lever name of an approval.
pub const APPROVAL_LEVER: &str = "approval";

/// The audit lever name of a change of the team's approvals policy.
pub const POLICY_LEVER: &str = "approval-policy";

/// One verified entry of the team's approvals policy (issue 28): the
/// policy is the team's, stored as signed entries in the shared table, not
/// one operator's profile setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyEvent {
    /// Its action id.
    pub action_id: String,
    /// Who wrote it.
    pub operator: String,
    /// When.
    pub at: UtcNaive,
    /// `true`: approvals on (anyone may turn them on); `false`: a proposal
    /// to turn them off, or (with `seconds`) a second operator's co-sign.
    pub approvals: bool,
    /// The proposal this entry co-signs (turning approvals off needs the
    /// approval it removes: a second operator).
    pub seconds: Option<String>,
}

/// The team's policy from its verified entries (oldest first): `Some(true)`
/// after an "on", `Some(false)` only after a proposal to turn it off that a
/// *second* operator co-signed within [`APPROVAL_TTL`]; `None` when the
/// team never said (the profile's setting then applies).
pub fn team_policy(events: &[PolicyEvent]) -> Option<bool> {
    let mut policy = None;
    for e in events {
        match (&e.seconds, e.approvals) {
            (None, true) => policy = Some(true),
            (Some(proposal), false) => {
                let valid = events.iter().any(|p| {
                    &p.action_id == proposal
                        && !p.approvals
                        && p.seconds.is_none()
                        && p.operator != e.operator
                        && p.at <= e.at
                        && e.at - p.at < APPROVAL_TTL
                });
                if valid {
                    policy = Some(false);
                }
            }
            _ => {}
        }
    }
    policy
}

/// Whether this plan waits for an approval when the profile asks for them:
/// every plan that turns revision on for a workspace (the canary, an
/// expansion, the restore after a workspace rollback); never a rollback.
pub fn needs_approval(plan: &Plan) -> bool {
    !plan.is_rollback()
        && (plan.turns_revision_on()
            || (plan.on && matches!(plan.lever, LeverKind::CanaryEnable | LeverKind::Expansion))
            || (!plan.on && plan.lever == LeverKind::WorkspaceRollback))
}

/// The digest an approval signs: SHA-256 of the plan's lever, direction,
/// workspaces, changes (with their before-values) and precondition results
/// (which ones fail is what an override overrides), hex. Its wording (the
/// title, the details' text) is not part of it.
pub fn plan_digest(plan: &Plan) -> String {
    let mut targets = plan.targets.clone();
    targets.sort();
    targets.dedup();
    let preconditions: Vec<(&str, bool, bool)> = plan
        .preconditions
        .iter()
        .map(|p| (p.name.as_str(), p.ok, p.overridable))
        .collect();
    let what = serde_json::json!({
        "v": 1,
        "lever": plan.lever,
        "on": plan.on,
        "workspace": plan.workspace,
        "targets": targets,
        "changes": plan.changes,
        "preconditions": preconditions,
    });
    crate::core::trust::sha256_hex(what.to_string().as_bytes())
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
    /// The digest the request names ([`plan_digest`] of its plan when it
    /// was written; a request whose plan does not match it is not read).
    pub digest: String,
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
    /// The digest of the plan it approves.
    pub digest: String,
    /// How old it was by the database server's clock when it was read.
    pub server_age: Option<chrono::Duration>,
    /// Whether a run already used it (a verified intent names it).
    pub used: bool,
}

impl Approved {
    /// Whether it still counts at `now`: younger than [`APPROVAL_TTL`] by
    /// the panel's clock and by the database server's, not dated ahead.
    fn current(&self, now: UtcNaive) -> bool {
        self.at <= now + crate::core::trust::MAX_SKEW
            && now - self.at < APPROVAL_TTL
            && self.server_age.is_none_or(|age| age < APPROVAL_TTL)
    }
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
    /// It was approved, and a run already used the approval.
    Used {
        /// Who approved.
        by: String,
    },
}

/// Where `request` stands at `now`, given every approval read.
pub fn standing(request: &Requested, approvals: &[Approved], now: UtcNaive) -> Standing {
    let mine: Vec<&Approved> = approvals
        .iter()
        .filter(|a| {
            a.request_id == request.action_id
                && a.operator != request.operator
                && a.digest == request.digest
        })
        .collect();
    if let Some(a) = mine
        .iter()
        .filter(|a| !a.used && a.current(now))
        .max_by_key(|a| a.at)
    {
        return Standing::Approved {
            by: a.operator.clone(),
            approval_id: a.action_id.clone(),
            until: a.at + APPROVAL_TTL,
        };
    }
    match mine.iter().max_by_key(|a| a.at) {
        Some(a) if a.used => Standing::Used {
            by: a.operator.clone(),
        },
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
    /// The approval's action id (the run's intent names it: used once).
    pub approval_id: String,
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
    let digest = plan_digest(plan);
    let mut found_waiting = None;
    let mut expired = None;
    let mut used = None;
    let mut moved = false;
    let mut ours: Vec<&Requested> = requests
        .iter()
        .filter(|r| r.operator == runner && same_target(&r.plan.source()) == wanted)
        .collect();
    ours.sort_by_key(|r| std::cmp::Reverse(r.at));
    for r in ours {
        if r.digest != digest {
            moved = true;
            continue;
        }
        match standing(r, approvals, now) {
            Standing::Approved {
                by,
                until,
                approval_id,
            } => {
                return Ok(Grant {
                    request: r,
                    by,
                    approval_id,
                    until,
                });
            }
            Standing::Expired { by } => {
                expired.get_or_insert(by);
            }
            Standing::Used { by } => {
                used.get_or_insert(by);
            }
            Standing::Waiting => {
                found_waiting.get_or_insert(r.at);
            }
        }
    }
    Err(match (found_waiting, expired, used) {
        (None, None, None) if moved => {
            "this lever needs a second operator's approval of this exact plan: the plan approved or asked for differs from the one now (its before-values, workspaces or precondition results changed); request it again"
                .to_owned()
        }
        (None, None, Some(by)) => format!(
            "this lever needs a second operator's approval: {by}'s approval was already used by a run (an approval counts once); request it again"
        ),
        (Some(at), _, _) => format!(
            "this lever needs a second operator's approval: your request of {} UTC is still waiting",
            at.format("%H:%M:%S")
        ),
        (None, Some(by), _) => format!(
            "this lever needs a second operator's approval: {by}'s approval expired (an approval counts {} min); request it again",
            APPROVAL_TTL.num_minutes()
        ),
        (None, None, None) => {
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
