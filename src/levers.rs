//! Runs a lever's [`Plan`]: an audited intent first, then each change
//! verified by reading it back, then a result. A toggle is written
//! compare-and-set on the value the operator saw; an env record is checked
//! against the value the plan saw before it is written; a redeploy is
//! followed to a final state, and a READY one is verified by reading what
//! production now runs. A redeploy that ends CANCELED or ERROR is a failed
//! flip. The same runner drives the demo world and production.

use crate::adapters::audit::{AuditLog, EntryStatus, Intent};
use crate::adapters::clock::Clock;
use crate::adapters::store::Store;
use crate::adapters::vercel::VercelClient;
use crate::core::env::{EnvSnapshot, Live, ReadyState, flag_is_on};
use crate::core::lever::{Change, Plan};
use crate::core::time::UtcNaive;
use crate::core::workspace::ToggleWrite;
use crate::demo::DemoWorld;
use serde::Serialize;
use std::time::Duration;

/// Where a lever's changes go.
#[async_trait::async_trait]
pub trait LeverTarget: Send + Sync {
    /// The production database (or the demo's).
    fn store(&self) -> &dyn Store;
    /// The env and deployments as they are now.
    async fn env_snapshot(&self, now: UtcNaive) -> Result<EnvSnapshot, String>;
    /// Writes a production env variable.
    async fn set_env(&self, key: &str, value: &str, now: UtcNaive) -> Result<(), String>;
    /// Starts a production redeploy; returns the new deployment's id.
    async fn redeploy(&self, now: UtcNaive) -> Result<String, String>;
    /// A deployment's state now.
    async fn deployment_state(&self, id: &str, now: UtcNaive) -> Result<ReadyState, String>;
}

/// The demo world as a lever target.
pub struct DemoTarget<'a> {
    /// The world.
    pub world: &'a DemoWorld,
    /// Its store.
    pub store: &'a dyn Store,
}

#[async_trait::async_trait]
impl LeverTarget for DemoTarget<'_> {
    fn store(&self) -> &dyn Store {
        self.store
    }
    async fn env_snapshot(&self, now: UtcNaive) -> Result<EnvSnapshot, String> {
        self.world
            .advance_deployments(now)
            .await
            .map_err(|e| e.to_string())?;
        self.world.env_snapshot().await.map_err(|e| e.to_string())
    }
    async fn set_env(&self, key: &str, value: &str, now: UtcNaive) -> Result<(), String> {
        self.world
            .set_env(key, Some(value), now)
            .await
            .map_err(|e| e.to_string())
    }
    async fn redeploy(&self, now: UtcNaive) -> Result<String, String> {
        self.world.redeploy(now).await.map_err(|e| e.to_string())
    }
    async fn deployment_state(&self, id: &str, now: UtcNaive) -> Result<ReadyState, String> {
        let env = self.env_snapshot(now).await?;
        env.latest
            .filter(|d| d.id == id)
            .map(|d| d.state)
            .ok_or_else(|| format!("deployment {id} is no longer the latest"))
    }
}

/// Production: Vercel and the production database.
pub struct ProductionTarget<'a> {
    /// The Vercel client of the profile.
    pub vercel: &'a VercelClient,
    /// The production store.
    pub store: &'a dyn Store,
}

#[async_trait::async_trait]
impl LeverTarget for ProductionTarget<'_> {
    fn store(&self) -> &dyn Store {
        self.store
    }
    async fn env_snapshot(&self, _now: UtcNaive) -> Result<EnvSnapshot, String> {
        crate::checks::read_vercel_env(self.vercel).await
    }
    async fn set_env(&self, key: &str, value: &str, _now: UtcNaive) -> Result<(), String> {
        self.vercel
            .upsert_env(key, value)
            .await
            .map_err(|e| e.to_string())
    }
    async fn redeploy(&self, now: UtcNaive) -> Result<String, String> {
        let env = self.env_snapshot(now).await?;
        let from = env
            .serving
            .ok_or("nothing serves production: there is no deployment to redeploy")?;
        let name = self
            .vercel
            .production_deployments()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|d| d.uid == from.id)
            .and_then(|d| d.name)
            .ok_or_else(|| format!("deployment {} has no name to redeploy under", from.id))?;
        let d = self
            .vercel
            .redeploy(&from.id, &name)
            .await
            .map_err(|e| e.to_string())?;
        Ok(d.id)
    }
    async fn deployment_state(&self, id: &str, _now: UtcNaive) -> Result<ReadyState, String> {
        let d = self
            .vercel
            .deployment(id)
            .await
            .map_err(|e| e.to_string())?;
        d.ready()
            .ok_or_else(|| format!("deployment {id} has an unknown state {:?}", d.ready_state))
    }
}

/// How a step stands, for the progress view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// What the step does.
    pub label: String,
    /// Done and verified, or not.
    pub ok: bool,
    /// What was found (never a secret).
    pub detail: String,
    /// `true` while the step is still going (e.g. "redeploy BUILDING"); its
    /// final report follows with `running = false`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub running: bool,
}

impl StepReport {
    fn running(label: &str, detail: String) -> Self {
        Self {
            label: label.to_owned(),
            ok: false,
            detail,
            running: true,
        }
    }
}

/// The end of a run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The audit action id.
    pub action_id: String,
    /// Every step that ran, in order.
    pub steps: Vec<StepReport>,
    /// Whether every change is done and verified.
    pub ok: bool,
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
}

/// Runs a confirmed plan. `progress` is called after every step.
pub async fn run_plan(
    plan: &Plan,
    target: &dyn LeverTarget,
    ctx: &RunContext<'_>,
    progress: &(dyn Fn(&StepReport) + Sync),
) -> Result<RunReport, String> {
    let now = ctx.clock.now();
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
                detail: serde_json::json!({"plan": plan}),
            },
        )
        .await
        .map_err(|e| format!("nothing was changed: {e}"))?;
    let mut steps = Vec::new();
    let mut ok = true;
    for change in &plan.changes {
        let report = run_change(change, plan, target, ctx, &action_id, progress).await;
        let status = EntryStatus::of(report.ok);
        let audit = ctx
            .audit
            .step(
                &action_id,
                ctx.clock.now(),
                status,
                &report.label,
                &serde_json::json!({"detail": report.detail}),
            )
            .await;
        progress(&report);
        ok &= report.ok;
        steps.push(report);
        if let Err(e) = audit {
            ok = false;
            steps.push(StepReport {
                label: "audit".to_owned(),
                ok: false,
                detail: format!("the step's audit row could not be written: {e}"),
                running: false,
            });
        }
        if !ok {
            break;
        }
    }
    let summary = if ok {
        format!("{}: done and verified", plan.title)
    } else {
        format!(
            "{}: FAILED at {}",
            plan.title,
            steps.last().map_or("", |s| s.label.as_str())
        )
    };
    ctx.audit
        .result(
            &action_id,
            ctx.clock.now(),
            EntryStatus::of(ok),
            &summary,
            &serde_json::json!({"steps": steps}),
        )
        .await
        .map_err(|e| format!("the lever ran but its result could not be audited: {e}"))?;
    Ok(RunReport {
        action_id,
        steps,
        ok,
    })
}

async fn run_change(
    change: &Change,
    plan: &Plan,
    target: &dyn LeverTarget,
    ctx: &RunContext<'_>,
    action_id: &str,
    progress: &(dyn Fn(&StepReport) + Sync),
) -> StepReport {
    let label = change.describe();
    progress(&StepReport::running(&label, "started".to_owned()));
    let (ok, detail) = match change {
        Change::Toggle {
            workspace_id,
            before,
            after,
            ..
        } => match target
            .store()
            .set_revision_toggle(workspace_id, *before, *after, ctx.clock.now())
            .await
        {
            Ok(ToggleWrite::Written { updated_at }) => (
                true,
                format!(
                    "written and read back (updatedAt {})",
                    updated_at.format("%H:%M:%S%.3f")
                ),
            ),
            Ok(ToggleWrite::Conflict { found, updated_at }) => (
                false,
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
            Err(e) => (false, e.to_string()),
        },
        Change::Env {
            key,
            before,
            before_updated_at,
            after,
        } => {
            let seen = Seen {
                value: before.as_deref(),
                updated_at: *before_updated_at,
            };
            let (ok, detail) = set_env_checked(target, ctx, key, seen, after).await;
            if ok {
                (ok, detail)
            } else {
                (
                    ok,
                    format!("{detail}{}", who_changed(ctx, action_id, key).await),
                )
            }
        }
        Change::Redeploy => {
            let report = |detail: String| progress(&StepReport::running(&label, detail));
            redeploy_verified(plan, target, ctx, &report).await
        }
    };
    StepReport {
        label,
        ok,
        detail,
        running: false,
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

/// An env record as the operator saw it.
#[derive(Clone, Copy, Debug)]
struct Seen<'a> {
    value: Option<&'a str>,
    updated_at: Option<UtcNaive>,
}

/// Writes an env value if its record still is what the plan saw (value and
/// `updatedAt`), and reads it back.
async fn set_env_checked(
    target: &dyn LeverTarget,
    ctx: &RunContext<'_>,
    key: &str,
    seen: Seen<'_>,
    after: &str,
) -> (bool, String) {
    let record = match target.env_snapshot(ctx.clock.now()).await {
        Ok(env) => env.configured.get(key).cloned(),
        Err(e) => return (false, format!("cannot read {key} before writing it: {e}")),
    };
    let current = record.as_ref().and_then(|v| v.value.clone());
    let current_at = record.as_ref().map(|v| v.updated_at);
    if current.as_deref() != seen.value || current_at != seen.updated_at {
        return (
            false,
            format!(
                "{key} changed since the plan was made (now {}{}); nothing was written; look again",
                current
                    .as_deref()
                    .map_or("unset".to_owned(), |v| format!("{v:?}")),
                current_at.map_or(String::new(), |t| format!(
                    ", updated {} UTC",
                    t.format("%Y-%m-%d %H:%M:%S")
                ))
            ),
        );
    }
    if let Err(e) = target.set_env(key, after, ctx.clock.now()).await {
        return (false, e);
    }
    match target.env_snapshot(ctx.clock.now()).await {
        Ok(env) => match env.configured.get(key).and_then(|v| v.value.as_deref()) {
            Some(v) if v == after => (true, format!("{key} = {after:?}, read back")),
            other => (
                false,
                format!("{key} reads back as {other:?}, not {after:?}"),
            ),
        },
        Err(e) => (false, format!("written, but cannot be read back: {e}")),
    }
}

/// Redeploys, follows the deployment to a final state, and verifies that
/// production now runs every env value the plan set.
async fn redeploy_verified(
    plan: &Plan,
    target: &dyn LeverTarget,
    ctx: &RunContext<'_>,
    report: &(dyn Fn(String) + Sync),
) -> (bool, String) {
    let id = match target.redeploy(ctx.clock.now()).await {
        Ok(id) => id,
        Err(e) => return (false, format!("the redeploy could not be started: {e}")),
    };
    report(format!("redeploy {id} queued"));
    let started = std::time::Instant::now();
    let mut last = None;
    let state = loop {
        match target.deployment_state(&id, ctx.clock.now()).await {
            Ok(s) if s.is_final() => break s,
            Ok(s) if last != Some(s) => {
                last = Some(s);
                report(format!("{id} {}", s.as_str()));
                tokio::time::sleep(ctx.waits.poll_every).await;
            }
            Ok(_) | Err(_) if started.elapsed() > ctx.waits.deadline => {
                return (
                    false,
                    format!(
                        "{id} did not finish within {} s",
                        ctx.waits.deadline.as_secs()
                    ),
                );
            }
            _ => tokio::time::sleep(ctx.waits.poll_every).await,
        }
    };
    if state == ReadyState::Ready {
        report(format!("{id} READY; verifying what production serves"));
    } else {
        return (
            false,
            format!(
                "FAILED FLIP: redeploy {id} ended {}; production still runs the previous deployment and the env change is NOT live",
                state.as_str()
            ),
        );
    }
    let env = match target.env_snapshot(ctx.clock.now()).await {
        Ok(env) => env,
        Err(e) => {
            return (
                false,
                format!("{id} is READY but what production runs cannot be read: {e}"),
            );
        }
    };
    for change in &plan.changes {
        if let Change::Env { key, after, .. } = change {
            let key: &'static str = match key.as_str() {
                crate::core::env::AUTO_SEND_DISABLED => crate::core::env::AUTO_SEND_DISABLED,
                _ => crate::core::env::AUTO_SEND_REVISION_DISABLED,
            };
            let live = env.flag(key).live;
            if live != Live::Known(flag_is_on(Some(after))) {
                return (
                    false,
                    format!(
                        "{id} is READY but production does not run {key} = {after:?} (live: {live:?}); was another deployment promoted?"
                    ),
                );
            }
        }
    }
    (
        true,
        format!("{id} READY and serving; the new values are live"),
    )
}
