//! The Vercel steps of a kill-switch plan that bring a build to all of
//! production: a redeploy or a followed build to READY, a promote past an
//! Instant Rollback pin, the completion of a rolling release; each verified
//! by reading what serves, never by READY alone.

use super::RunContext;
use crate::adapters::env::EnvSource;
use crate::core::env::{Live, ReadyState};
use crate::core::lever::{Change, Plan, StepOutcome};

/// Redeploys, follows the deployment to a final state, and verifies that
/// production now runs every env value the plan set.
pub(super) async fn redeploy_verified(
    plan: &Plan,
    env: &dyn EnvSource,
    ctx: &RunContext<'_>,
    report: &(dyn Fn(String) + Sync),
    built: &mut Option<String>,
) -> (StepOutcome, String) {
    let id = match env.redeploy(ctx.clock.now()).await {
        Ok(id) => id,
        Err(e) => {
            return (
                StepOutcome::Failed,
                format!("the redeploy could not be started: {e}"),
            );
        }
    };
    *built = Some(id.clone());
    report(format!("redeploy {id} queued"));
    follow_verified(plan, env, ctx, report, &id).await
}

/// Follows a production build to a final state and verifies that production
/// then runs every value the plan makes live (or, pinned, that it is READY
/// for the promote step).
pub(super) async fn follow_verified(
    plan: &Plan,
    env: &dyn EnvSource,
    ctx: &RunContext<'_>,
    report: &(dyn Fn(String) + Sync),
    id: &str,
) -> (StepOutcome, String) {
    let id = id.to_owned();
    let started = std::time::Instant::now();
    let mut last = None;
    let state = loop {
        match env.deployment_state(&id, ctx.clock.now()).await {
            Ok(s) if s.is_final() => break s,
            Ok(s) if last != Some(s) => {
                last = Some(s);
                report(format!("{id} {}", s.as_str()));
                tokio::time::sleep(ctx.waits.poll_every).await;
            }
            Ok(_) | Err(_) if started.elapsed() > ctx.waits.deadline => {
                return (
                    StepOutcome::TimedOut,
                    format!(
                        "{id} did not finish within {} s",
                        ctx.waits.deadline.as_secs()
                    ),
                );
            }
            _ => tokio::time::sleep(ctx.waits.poll_every).await,
        }
    };
    if state != ReadyState::Ready {
        return (
            StepOutcome::FailedFlip,
            format!(
                "FAILED FLIP: build {id} ended {}; production still runs the previous deployment and the env change is NOT live",
                state.as_str()
            ),
        );
    }
    if plan
        .changes
        .iter()
        .any(|c| matches!(c, Change::Promote { .. }))
    {
        // Pinned production: READY is not serving; the promote step follows.
        return (
            StepOutcome::Verified,
            format!("{id} READY; production is pinned, so it is promoted next"),
        );
    }
    if plan
        .changes
        .iter()
        .any(|c| matches!(c, Change::CompleteRolling { .. }))
    {
        // Under a rolling release READY serves a stage's share at most.
        return (
            StepOutcome::Verified,
            format!("{id} READY; the rolling release it serves in is completed next"),
        );
    }
    report(format!("{id} READY; verifying what production serves"));
    verify_serving(plan, env, ctx, &id).await
}

/// Promotes the new build and verifies it serves with the planned values.
pub(super) async fn promote_verified(
    plan: &Plan,
    env: &dyn EnvSource,
    ctx: &RunContext<'_>,
    id: &str,
) -> (StepOutcome, String) {
    if let Err(e) = env.promote(id, ctx.clock.now()).await {
        return (
            StepOutcome::Failed,
            format!("{id} is READY but could not be promoted: {e}; it does not serve"),
        );
    }
    verify_serving(plan, env, ctx, id).await
}

/// Completes the active rolling release with `id` as its canary, waits
/// (bounded) until Vercel reports it over, and verifies that `id` serves all
/// of production with the planned values. A release whose canary is another
/// deployment is not touched: the step stops and says what serves.
pub(super) async fn complete_rolling_verified(
    plan: &Plan,
    env: &dyn EnvSource,
    ctx: &RunContext<'_>,
    report: &(dyn Fn(String) + Sync),
    id: &str,
) -> (StepOutcome, String) {
    let unreadable = |e: &dyn std::fmt::Display| {
        (
            StepOutcome::Failed,
            format!("the rolling release cannot be read: {e}; nothing was completed"),
        )
    };
    let before = match env.read(ctx.clock.now()).await {
        Ok(e) => e,
        Err(e) => return unreadable(&e),
    };
    if let Some(problem) = &before.rolling_error {
        return unreadable(problem);
    }
    match &before.rolling {
        // Over already (completed or aborted by someone): what serves decides.
        None => return verify_serving(plan, env, ctx, id).await,
        Some(r) if r.canary.id != id => {
            return (
                StepOutcome::NotServing,
                format!(
                    "the active rolling release ({}) has the canary {}, not {id}: nothing was completed; {id} does not serve all of production and the env change is NOT live everywhere. Complete or abort that release in Vercel, then run the lever again",
                    r.describe(),
                    r.canary.id
                ),
            );
        }
        Some(r) => report(format!("completing the rolling release ({})", r.describe())),
    }
    if let Err(e) = env.complete_rolling(id, ctx.clock.now()).await {
        // The request may have been taken although its answer was an error
        // (a 5xx, a lost answer): look before calling it failed.
        let over = env
            .read(ctx.clock.now())
            .await
            .is_ok_and(|now| now.rolling_error.is_none() && now.rolling.is_none());
        if !over {
            return (
                StepOutcome::Failed,
                format!(
                    "the rolling release could not be completed: {e}; production is still served by both deployments"
                ),
            );
        }
        tracing::warn!("completing the rolling release answered an error ({e}) but it is over");
    }
    let started = std::time::Instant::now();
    loop {
        match env.read(ctx.clock.now()).await {
            Ok(e) if e.rolling_error.is_none() && e.rolling.is_none() => break,
            _ if started.elapsed() > ctx.waits.deadline => {
                return (
                    StepOutcome::TimedOut,
                    format!(
                        "the rolling release was asked to complete but still reads active (or unreadable) after {} s; {id} may serve only a share",
                        ctx.waits.deadline.as_secs()
                    ),
                );
            }
            _ => tokio::time::sleep(ctx.waits.poll_every).await,
        }
    }
    verify_serving(plan, env, ctx, id).await
}

/// Verifies, by reading what production serves now, that `id` serves and
/// runs every env value the plan set. READY alone is never "verified".
async fn verify_serving(
    plan: &Plan,
    env: &dyn EnvSource,
    ctx: &RunContext<'_>,
    id: &str,
) -> (StepOutcome, String) {
    let now_env = match env.read(ctx.clock.now()).await {
        Ok(e) => e,
        Err(e) => {
            return (
                StepOutcome::Failed,
                format!("{id} is READY but what production serves cannot be read: {e}"),
            );
        }
    };
    let serving = match now_env.serving_read() {
        Ok(s) => s.map(|d| d.id.as_str()),
        Err(e) => {
            return (
                StepOutcome::Failed,
                format!("{id} is READY but what production serves cannot be read: {e}"),
            );
        }
    };
    if let Some(r) = now_env.rolling.as_ref().filter(|r| r.canary.id == id) {
        return (
            StepOutcome::NotServing,
            format!(
                "{id} is READY but it started a rolling release ({}): it serves only that share and the env change is NOT live for all of production; run the lever again: its plan completes the release",
                r.describe()
            ),
        );
    }
    if serving != Some(id) {
        return (
            StepOutcome::NotServing,
            format!(
                "{id} is READY but production serves {} (pinned by an Instant Rollback, or another deployment was promoted); the env change is NOT live",
                serving.unwrap_or("nothing")
            ),
        );
    }
    for (key, on) in plan.live_flags() {
        let live = now_env.flag(key).live;
        if live != Live::Known(on) {
            return (
                StepOutcome::NotServing,
                format!(
                    "{id} serves but production does not run {key} {} (live: {live:?})",
                    if on { "ON" } else { "OFF" }
                ),
            );
        }
    }
    (
        StepOutcome::Verified,
        format!("{id} READY and serving; the new values are live"),
    )
}
