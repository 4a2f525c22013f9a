//! Runs a lever's [`Plan`]: an audited intent first, then each change
//! verified by reading it back, then a result. A toggle is written
//! compare-and-set on the value the operator saw; an env record is checked
//! against the value the plan saw before it is written; a redeploy is
//! followed to a final state, and a READY one is verified by reading what
//! production now runs. A redeploy that ends CANCELED or ERROR is a failed
//! flip. The same runner drives the demo world and production.

use crate::adapters::audit::{AuditLog, EntryStatus, Intent};
use crate::adapters::clock::Clock;
use crate::adapters::env::{EnvSource, EnvWrite, Expected};
use crate::adapters::store::Store;
use crate::core::lever::{Change, LeverKind, Parts, Plan, PlanError, StepOutcome, plan_source};
pub use crate::core::lever::{RunReport, StepReport};
use crate::core::workspace::ToggleWrite;
use std::time::Duration;

/// Why a run could not start or end on the record.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The intent could not be written: nothing was changed.
    #[error("nothing was changed: {0}")]
    NotStarted(crate::adapters::audit::AuditError),
    /// Another operator's lever on the same target is running: nothing
    /// was changed (a rollback never waits; this is never a rollback).
    #[error("nothing was changed: {0}")]
    Busy(String),
    /// The profile asks for a second operator's approval and there is no
    /// valid one: nothing was changed (never a rollback).
    #[error("nothing was changed: {0}")]
    NeedsApproval(String),
}

/// How the runner waits for a redeploy.
#[derive(Clone, Copy, Debug)]
pub struct Waits {
    /// Between two polls of the deployment.
    pub poll_every: Duration,
    /// The longest wait for a final state.
    pub deadline: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Self {
            poll_every: Duration::from_secs(2),
            deadline: Duration::from_secs(15 * 60),
        }
    }
}

/// Who, where and why.
pub struct RunContext<'a> {
    /// The audit log (written before the first change).
    pub audit: &'a AuditLog,
    /// The profile.
    pub profile: &'a str,
    /// The operator's reason.
    pub reason: &'a str,
    /// The clock.
    pub clock: &'a dyn Clock,
    /// Redeploy waits.
    pub waits: Waits,
    /// The action id to record the intent under (`None` = a new one).
    pub action_id: Option<&'a str>,
    /// Whether the profile asks for a second operator's approval before
    /// the canary and an expansion (rollbacks never wait).
    pub approvals: bool,
}

/// What a run may change: the database and the env source, each only when
/// the plan needs it (a kill switch runs without the database, a workspace
/// lever without Vercel). A missing part fails only the steps that need it.
#[derive(Clone, Copy, Default)]
pub struct Targets<'a> {
    /// The production database (or the demo's).
    pub store: Option<&'a dyn Store>,
    /// The env source (Vercel, or the demo's).
    pub env: Option<&'a dyn EnvSource>,
}

/// Why a confirmed plan is not run: what it was made from has moved.
#[derive(Debug, thiserror::Error)]
pub enum Moved {
    /// A part cannot be read just before changing it.
    #[error("nothing was changed: {0} cannot be read just before changing it")]
    Unreadable(String),
    /// The lever cannot be planned any more (e.g. someone already did it).
    #[error("nothing was changed: the state moved since the plan was shown: {0}")]
    Gone(PlanError),
    /// The plan made now differs from the one confirmed.
    #[error("nothing was changed: the state moved since the plan was shown: {}; look again and confirm the new plan", .0.join("; "))]
    Changed(Vec<String>),
}

/// Reads the parts again just before the first change and plans the same
/// lever from them: `Ok` only when nothing moved since the operator saw the
/// plan (its changes with their "before" values, its preconditions).
pub async fn check_again(
    plan: &Plan,
    targets: Targets<'_>,
    now: crate::core::time::UtcNaive,
) -> Result<(), Moved> {
    let env = match targets.env {
        Some(env) => Some(
            env.read(now)
                .await
                .map_err(|e| Moved::Unreadable(format!("the env ({e})")))?,
        ),
        None => None,
    };
    let workspaces = match targets.store {
        Some(store) => Some(
            store
                .workspaces()
                .await
                .map_err(|e| Moved::Unreadable(format!("the database ({e})")))?,
        ),
        None => None,
    };
    let parts = Parts {
        workspaces: workspaces.as_deref(),
        schema: targets.store.map(|s| s.schema()),
        env: env.as_ref(),
        readiness: None,
        watch: None,
    };
    let fresh = plan_source(&plan.source(), parts).map_err(Moved::Gone)?;
    let moved = plan.moved_since(&fresh);
    if moved.is_empty() {
        Ok(())
    } else {
        Err(Moved::Changed(moved))
    }
}

/// How often an audit row is tried before the run goes on without it.
const AUDIT_TRIES: u32 = 3;

/// Writes an audit row, retrying a failure a few times (bounded).
async fn audited<F, Fut>(write: F) -> Result<(), crate::adapters::audit::AuditError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), crate::adapters::audit::AuditError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match write().await {
            Ok(()) => return Ok(()),
            Err(e) if tries >= AUDIT_TRIES => return Err(e),
            Err(e) => {
                tracing::warn!("an audit row could not be written (try {tries}): {e}");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(tries))).await;
            }
        }
    }
}

/// Closes the interrupted action `old` once the run in `report` finished
/// it: `ok` only when that run was verified, with a pointer to it.
pub async fn close_finished(
    audit: &AuditLog,
    old: &str,
    report: &RunReport,
    now: crate::core::time::UtcNaive,
) -> Result<(), crate::adapters::audit::AuditError> {
    let note = format!(
        "finished by action {}: {}",
        crate::adapters::audit::short_id(&report.action_id),
        if report.ok {
            "done and verified"
        } else {
            "FAILED"
        }
    );
    audit
        .close_unfinished(
            old,
            now,
            EntryStatus::of(report.ok),
            &note,
            &serde_json::json!({"finished_by": report.action_id}),
        )
        .await
}

/// Runs a confirmed plan with both parts at hand.
pub async fn run_plan(
    plan: &Plan,
    store: &dyn Store,
    env: &dyn EnvSource,
    ctx: &RunContext<'_>,
    progress: &(dyn Fn(&StepReport) + Sync),
) -> Result<RunReport, RunError> {
    let targets = Targets {
        store: Some(store),
        env: Some(env),
    };
    run_plan_with(plan, targets, ctx, progress).await
}

/// Runs a confirmed plan. `progress` is called after every step. The intent
/// is written first (nothing changes if it cannot be); after that, an audit
/// row that cannot be written is retried, shown loudly in the report, and
/// never stops the remaining steps: a rollback finishes.
pub async fn run_plan_with(
    plan: &Plan,
    targets: Targets<'_>,
    ctx: &RunContext<'_>,
    progress: &(dyn Fn(&StepReport) + Sync),
) -> Result<RunReport, RunError> {
    let now = ctx.clock.now();
    // Another panel's lever on the same target, still running: a lever that
    // is not a rollback waits for it; a rollback goes on and says so.
    let mut notes = Vec::new();
    match ctx
        .audit
        .running_elsewhere(plan.lever.as_str(), plan.workspace.as_deref(), now)
        .await
    {
        Ok(Some(e)) => {
            let what = format!(
                "{} is running {:?} on the same target since {} UTC (action {})",
                e.operator,
                e.summary,
                e.at.format("%H:%M:%S"),
                crate::adapters::audit::short_id(&e.action_id)
            );
            if !plan.is_rollback() {
                return Err(RunError::Busy(format!(
                    "{what}; wait for its result (Audit tab) or ask them"
                )));
            }
            tracing::warn!("{what}; a rollback does not wait");
            let note = StepReport::note(
                "other operator",
                format!("{what}; a rollback does not wait"),
            );
            progress(&note);
            notes.push(note);
        }
        Ok(None) => {}
        // The shared table is not needed to act: said, not fatal.
        Err(e) => tracing::warn!("whether another panel's lever is running is unknown: {e}"),
    }
    let mut approval_id = None;
    // The team's policy in the shared table decides, else the profile.
    if crate::core::approval::needs_approval(plan)
        && ctx.audit.approvals_required(ctx.approvals).await
    {
        let (note, id) = approved(plan, ctx, now).await?;
        progress(&note);
        notes.push(note);
        approval_id = Some(id);
    }
    let action_id = ctx
        .action_id
        .map_or_else(crate::adapters::audit::new_action_id, str::to_owned);
    ctx.audit
        .intent_with_id(
            &action_id,
            now,
            &Intent {
                profile: ctx.profile,
                lever: plan.lever.as_str(),
                reason: ctx.reason,
                summary: &plan.title,
                // The approval it uses, named so it is used once.
                detail: match &approval_id {
                    Some(id) => serde_json::json!({"plan": plan, "approval": id}),
                    None => serde_json::json!({"plan": plan}),
                },
            },
        )
        .await
        .map_err(RunError::NotStarted)?;
    let mut steps = notes;
    let mut audit_failures = Vec::new();
    let mut ok = true;
    // The build a redeploy step started, for a promote step after it.
    let mut built = None;
    for change in &plan.changes {
        let report = run_change(change, plan, targets, ctx, &action_id, &mut built, progress).await;
        let status = EntryStatus::of(report.ok);
        let detail = serde_json::json!({"detail": report.detail});
        let written = audited(|| {
            ctx.audit
                .step(&action_id, ctx.clock.now(), status, &report.label, &detail)
        })
        .await;
        progress(&report);
        ok &= report.ok;
        let stops = !report.ok && !goes_on(plan, &report);
        steps.push(report);
        if let Err(e) = written {
            let gap = StepReport::audit_gap(format!(
                "AUDIT GAP: the step's audit row could not be written after {AUDIT_TRIES} tries ({e}); the run goes on"
            ));
            progress(&gap);
            audit_failures.push(gap.detail.clone());
            steps.push(gap);
        }
        if stops {
            break;
        }
    }
    let changes_ok = ok;
    let summary = if plan.lever == LeverKind::Expansion {
        expansion_summary(plan, &steps)
    } else if changes_ok {
        format!("{}: done and verified", plan.title)
    } else {
        format!(
            "{}: FAILED at {}",
            plan.title,
            crate::core::lever::failed_step(&steps).map_or("", |s| s.label.as_str())
        )
    };
    let result_detail = match &approval_id {
        Some(id) => serde_json::json!({"steps": steps, "approval": id}),
        None => serde_json::json!({"steps": steps}),
    };
    if let Err(e) = audited(|| {
        ctx.audit.result(
            &action_id,
            ctx.clock.now(),
            EntryStatus::of(changes_ok),
            &summary,
            &result_detail,
        )
    })
    .await
    {
        let gap = StepReport::audit_gap(format!(
            "AUDIT GAP: the result row could not be written after {AUDIT_TRIES} tries ({e}); the action will show as interrupted until it is closed"
        ));
        progress(&gap);
        audit_failures.push(gap.detail.clone());
        steps.push(gap);
    }
    Ok(RunReport {
        action_id,
        steps,
        ok: changes_ok,
        audit_failures,
    })
}

/// The approval this run goes on with, as a note step and its id; `Err`
/// when there is no valid one (or the approvals cannot be read: then
/// nothing is known to be approved).
async fn approved(
    plan: &Plan,
    ctx: &RunContext<'_>,
    now: crate::core::time::UtcNaive,
) -> Result<(StepReport, String), RunError> {
    let (requests, approvals) = ctx.audit.approvals(now).await.map_err(|e| {
        RunError::NeedsApproval(format!(
            "this lever needs a second operator's approval, and the approvals cannot be read ({e})"
        ))
    })?;
    let grant = crate::core::approval::approval_for(
        plan,
        ctx.audit.operator_name(),
        &requests,
        &approvals,
        now,
    )
    .map_err(RunError::NeedsApproval)?;
    Ok((
        StepReport::note(
            "approval",
            format!(
                "approved by {} (request {} of {} UTC; approval {}, used by this run only; counted until {} UTC)",
                grant.by,
                crate::adapters::audit::short_id(&grant.request.action_id),
                grant.request.at.format("%H:%M:%S"),
                crate::adapters::audit::short_id(&grant.approval_id),
                grant.until.format("%H:%M:%S")
            ),
        ),
        grant.approval_id.clone(),
    ))
}

/// Whether a run goes on after a step that did not verify: an expansion
/// goes on past a workspace someone else changed first (each workspace is
/// its own compare-and-set), and its rollback past any failure (a rollback
/// does as much as it can).
fn goes_on(plan: &Plan, step: &StepReport) -> bool {
    plan.lever == LeverKind::Expansion && (!plan.on || step.outcome == Some(StepOutcome::Conflict))
}

/// "Expand …: 2 of 3 workspaces verified ON; refused: Gamma (…); not tried: …".
fn expansion_summary(plan: &Plan, steps: &[StepReport]) -> String {
    let mut verified = Vec::new();
    let mut refused = Vec::new();
    let mut untried = Vec::new();
    for change in &plan.changes {
        let Change::Toggle { workspace_name, .. } = change else {
            continue;
        };
        let label = change.describe();
        match steps.iter().find(|s| s.label == label) {
            Some(s) if s.ok => verified.push(workspace_name.clone()),
            Some(s) => refused.push(format!("{workspace_name} ({})", s.detail)),
            None => untried.push(workspace_name.clone()),
        }
    }
    let total = verified.len() + refused.len() + untried.len();
    let mut out = format!(
        "{}: {} of {total} workspace(s) verified {}",
        plan.title,
        verified.len(),
        if plan.on { "ON" } else { "OFF" }
    );
    if !verified.is_empty() {
        out.push_str(&format!(" ({})", verified.join(", ")));
    }
    if !refused.is_empty() {
        out.push_str(&format!("; FAILED or refused: {}", refused.join("; ")));
    }
    if !untried.is_empty() {
        out.push_str(&format!("; not tried: {}", untried.join(", ")));
    }
    out
}

async fn run_change(
    change: &Change,
    plan: &Plan,
    targets: Targets<'_>,
    ctx: &RunContext<'_>,
    action_id: &str,
    built: &mut Option<String>,
    progress: &(dyn Fn(&StepReport) + Sync),
) -> StepReport {
    let label = change.describe();
    progress(&StepReport::running(&label, "started".to_owned()));
    let (outcome, detail) = match change {
        Change::Toggle {
            workspace_id,
            before,
            after,
            ..
        } => match targets.store {
            None => (
                StepOutcome::Failed,
                "the database is not connected; nothing was written".to_owned(),
            ),
            Some(store) => {
                set_toggle_checked(store, ctx, action_id, workspace_id, *before, *after).await
            }
        },
        Change::Env {
            key,
            before,
            before_updated_at,
            after,
        } => match targets.env {
            None => (
                StepOutcome::Failed,
                "the env source is not connected; nothing was written".to_owned(),
            ),
            Some(env) => {
                let expected = Expected {
                    value: before.as_deref(),
                    updated_at: *before_updated_at,
                };
                let (outcome, detail) = set_env_checked(env, ctx, key, expected, after).await;
                if outcome == StepOutcome::Verified {
                    (outcome, detail)
                } else {
                    (
                        outcome,
                        format!("{detail}{}", who_changed(ctx, action_id, key).await),
                    )
                }
            }
        },
        Change::Redeploy => match targets.env {
            None => (
                StepOutcome::Failed,
                "the env source is not connected; nothing was redeployed".to_owned(),
            ),
            Some(env) => {
                let report = |detail: String| progress(&StepReport::running(&label, detail));
                redeploy_verified(plan, env, ctx, &report, built).await
            }
        },
        Change::Follow { deployment } => match targets.env {
            None => (
                StepOutcome::Failed,
                "the env source is not connected; nothing was followed".to_owned(),
            ),
            Some(env) => {
                let report = |detail: String| progress(&StepReport::running(&label, detail));
                *built = Some(deployment.clone());
                follow_verified(plan, env, ctx, &report, deployment).await
            }
        },
        Change::Promote { .. } => match (targets.env, built.as_deref()) {
            (None, _) => (
                StepOutcome::Failed,
                "the env source is not connected; nothing was promoted".to_owned(),
            ),
            (_, None) => (
                StepOutcome::Failed,
                "no new build to promote (the redeploy did not start one)".to_owned(),
            ),
            (Some(env), Some(id)) => promote_verified(plan, env, ctx, id).await,
        },
        Change::CompleteRolling { canary, .. } => {
            match (targets.env, canary.as_deref().or(built.as_deref())) {
                (None, _) => (
                    StepOutcome::Failed,
                    "the env source is not connected; the rolling release was not completed"
                        .to_owned(),
                ),
                (_, None) => (
                    StepOutcome::Failed,
                    "no new build to complete the rolling release with (the redeploy did not start one)"
                        .to_owned(),
                ),
                (Some(env), Some(id)) => {
                    let id = id.to_owned();
                    let report = |detail: String| progress(&StepReport::running(&label, detail));
                    complete_rolling_verified(plan, env, ctx, &report, &id).await
                }
            }
        }
    };
    StepReport::ended(&label, outcome, detail)
}

/// Writes a workspace toggle compare-and-set on the value the plan saw, and
/// reads it back.
async fn set_toggle_checked(
    store: &dyn Store,
    ctx: &RunContext<'_>,
    action_id: &str,
    workspace_id: &str,
    before: crate::core::workspace::RevisionToggle,
    after: bool,
) -> (StepOutcome, String) {
    match store
        .set_revision_toggle(workspace_id, before, after, ctx.clock.now())
        .await
    {
        Ok(ToggleWrite::Written { updated_at }) => (
            StepOutcome::Verified,
            format!(
                "written and read back (updatedAt {})",
                updated_at.format("%H:%M:%S%.3f")
            ),
        ),
        Ok(ToggleWrite::Conflict { found, updated_at }) => (
            StepOutcome::Conflict,
            format!(
                "someone else changed it first: it is now {}{}; nothing was overwritten{}",
                found.label(),
                updated_at.map_or(String::new(), |t| format!(
                    " (updatedAt {})",
                    t.format("%Y-%m-%d %H:%M:%S")
                )),
                who_changed(ctx, action_id, workspace_id).await
            ),
        ),
        Err(e) => (StepOutcome::Failed, e.to_string()),
    }
}

/// "; the audit log's last action on it: … by … at …", when the log knows one
/// other than this action.
async fn who_changed(ctx: &RunContext<'_>, action_id: &str, needle: &str) -> String {
    match ctx
        .audit
        .last_action_touching(ctx.profile, needle, action_id)
        .await
    {
        Ok(Some(e)) => format!(
            "; the audit log's last action on it: {:?} by {} at {} UTC (action {})",
            e.summary,
            e.operator,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            crate::adapters::audit::short_id(&e.action_id)
        ),
        Ok(None) => {
            "; the audit log has no action on it, so it was changed outside this panel".to_owned()
        }
        Err(_) => String::new(),
    }
}

/// Writes an env value compare-and-set on the record the plan saw (value and
/// `updatedAt`), and reads it back.
async fn set_env_checked(
    env: &dyn EnvSource,
    ctx: &RunContext<'_>,
    key: &str,
    expected: Expected<'_>,
    after: &str,
) -> (StepOutcome, String) {
    match env
        .write_checked(key, expected, after, ctx.clock.now())
        .await
    {
        Ok(EnvWrite::Written) => (
            StepOutcome::Verified,
            format!("{key} = {after:?}, read back"),
        ),
        Ok(EnvWrite::Conflict { value, updated_at }) => (
            StepOutcome::Conflict,
            format!(
                "{key} changed since the plan was made (now {}{}); nothing was written; look again",
                value
                    .as_deref()
                    .map_or("unset".to_owned(), |v| format!("{v:?}")),
                updated_at.map_or(String::new(), |t| format!(
                    ", updated {} UTC",
                    t.format("%Y-%m-%d %H:%M:%S")
                ))
            ),
        ),
        Ok(EnvWrite::ReadBack { found }) => (
            StepOutcome::Failed,
            format!("{key} reads back as {found:?}, not {after:?}"),
        ),
        Err(e) => (StepOutcome::Failed, e.to_string()),
    }
}

mod builds;
use builds::{complete_rolling_verified, follow_verified, promote_verified, redeploy_verified};
