//! The kill-switch plans: an env write when the configured value differs,
//! then one build that carries it (a redeploy, or the build already under
//! way since the change), promoted when production is pinned.

use super::{Change, Guard, LeverRequest, Parts, Plan, PlanError, Workspace, updated_at};
use crate::core::env::{AUTO_SEND_REVISION_DISABLED, Deployment, EnvSnapshot, Live, RollingConfig};

/// The build steps after a variable's configured value is (or already was)
/// what the plan wants: one build that carries it, promoted when production
/// is pinned. After an env write that is a redeploy; without one, a build
/// started after the variable last changed already carries it (one under
/// way, or a READY one that a pin keeps from serving): it is followed, not
/// built again, so an interrupted lever finished later starts no second
/// build. Under an active rolling release the build (or the canary that
/// already carries the value) is completed to all of production as a step
/// of its own.
pub(super) fn build_steps(
    env: &EnvSnapshot,
    key: &'static str,
    wrote: bool,
    changes: &mut Vec<Change>,
    warnings: &mut Vec<String>,
) {
    if let Some(r) = &env.rolling {
        // Both deployments serve: the value is live for all of production
        // only when the one that ends up serving everything carries it.
        // Live on the canary's share only: the canary carries the value.
        let canary_carries = !wrote && matches!(env.flag(key).live, Live::Partial { .. });
        if canary_carries {
            changes.push(Change::CompleteRolling {
                canary: Some(r.canary.id.clone()),
                release: r.describe(),
            });
            warnings.push(format!(
                "A rolling release is active ({}): its canary {} already carries the value and serves only its share; the plan completes the release, so a rollback does not wait on a stage.",
                r.describe(),
                r.canary.id
            ));
        } else {
            changes.push(Change::Redeploy);
            changes.push(Change::CompleteRolling {
                canary: None,
                release: r.describe(),
            });
            warnings.push(format!(
                "A rolling release is active ({}): production is served by both deployments. The new build joins it as its canary; the plan completes the release so the new build serves all of production (if Vercel answers otherwise, the step stops and says what serves).",
                r.describe()
            ));
        }
        return;
    }
    let carrying = (!wrote).then(|| build_with_value(env, key)).flatten();
    match carrying {
        Some(d) => changes.push(Change::Follow {
            deployment: d.id.clone(),
        }),
        None => changes.push(Change::Redeploy),
    }
    // With Rolling Releases on (or not known to be off), the new build
    // starts a release at a stage's share: the plan completes it. Should
    // Vercel give the build all traffic at once, the step only verifies.
    let template = match &env.rolling_config {
        RollingConfig::Off => None,
        RollingConfig::On => {
            Some("the project has Rolling Releases on: the new build starts one".to_owned())
        }
        RollingConfig::Unknown(e) => Some(format!(
            "whether the project has Rolling Releases on cannot be read ({e}): if the new build starts one"
        )),
    };
    if let Some(release) = template {
        warnings.push(format!(
            "{release}, it would serve only a stage's share; the plan completes the release so the kill switch is live for all of production (with no release active the step only verifies)."
        ));
        changes.push(Change::CompleteRolling {
            canary: None,
            release,
        });
    }
    if let (Some(past), Some(serving)) = (&env.pinned_past, &env.serving) {
        changes.push(Change::Promote {
            pinned: serving.id.clone(),
        });
        warnings.push(format!(
            "Production is pinned to {} (an Instant Rollback), not the newest READY build {}: the new build will be promoted so that it serves.",
            serving.id, past.id
        ));
    }
}

/// A production build made after `key` last changed that has not failed
/// and does not serve yet: under way, or READY but kept back by a pin.
fn build_with_value<'a>(env: &'a EnvSnapshot, key: &str) -> Option<&'a Deployment> {
    let changed = env.configured.get(key)?.updated_at;
    let serving = env.serving.as_ref().map(|d| d.id.as_str());
    let under_way = env
        .latest
        .as_ref()
        .filter(|d| !d.state.is_final() && Some(d.id.as_str()) != serving);
    under_way
        .or(env.pinned_past.as_ref())
        .filter(|d| d.created_at > changed)
}

pub(super) const INSTANT_ROLLBACK: &str = "A Vercel Instant Rollback or promote to an older deployment brings back that \
deployment's env and can silently undo this flip; after one, check the kill switches again.";

pub(super) fn env_plan(
    req: &LeverRequest,
    state: Parts<'_>,
    key: &'static str,
    on: bool,
) -> Result<Plan, PlanError> {
    let env = state.env()?;
    let flag = env.flag(key);
    let target = if on { "1" } else { "0" };
    let settled = flag.configured_on == on && flag.live == Live::Known(on);
    if settled {
        return Err(PlanError::NothingToDo(format!(
            "{key} is already {target:?}, configured and live"
        )));
    }
    let mut changes = Vec::new();
    if flag.configured_on != on {
        changes.push(Change::Env {
            key: key.to_owned(),
            before: flag.configured_value.clone(),
            before_updated_at: updated_at(env, key),
            after: target.to_owned(),
        });
    }
    let wrote = !changes.is_empty();
    let mut warnings = vec![INSTANT_ROLLBACK.to_owned()];
    build_steps(env, key, wrote, &mut changes, &mut warnings);
    let enabled: Vec<&Workspace> = state
        .workspaces
        .unwrap_or_default()
        .iter()
        .filter(|w| w.toggle.is_on())
        .collect();
    if key == AUTO_SEND_REVISION_DISABLED && on && state.workspaces.is_none() {
        warnings.push(
            "The database cannot be read, so which workspaces have the revision toggle on is unknown; this lever does not need it.".to_owned(),
        );
    }
    if key == AUTO_SEND_REVISION_DISABLED && on && !enabled.is_empty() {
        let names: Vec<&str> = enabled.iter().map(|w| w.name.as_str()).collect();
        warnings.push(format!(
            "While the redeploy builds, revision still runs. To stop new revisions at once, also roll back the workspaces with the toggle on: {}",
            names.join(", ")
        ));
    }
    let (guard, title) = match (key, on) {
        (AUTO_SEND_REVISION_DISABLED, true) => (
            Guard::Confirm,
            "Revision kill switch ON (fast rollback)".to_owned(),
        ),
        (AUTO_SEND_REVISION_DISABLED, false) => (
            Guard::Confirm,
            "Revision kill switch OFF (restore)".to_owned(),
        ),
        (_, true) => (
            Guard::Type("DISABLE".to_owned()),
            "Disable ALL auto-send (full rollback)".to_owned(),
        ),
        (_, false) => (
            Guard::Type("ENABLE".to_owned()),
            "Enable auto-send again (restore)".to_owned(),
        ),
    };
    let builds = changes.iter().any(Change::builds);
    Ok(Plan {
        readiness: Vec::new(),
        lever: req.kind,
        on,
        workspace: None,
        targets: Vec::new(),
        title,
        changes,
        preconditions: Vec::new(),
        guard,
        needs_redeploy: builds,
        takes_effect: if builds {
            format!(
                "new jobs once the redeploy is READY (typically 1-3 min); {}",
                super::RUNNING_JOBS
            )
        } else {
            format!(
                "new jobs once the rolling release is completed (seconds); {}",
                super::RUNNING_JOBS
            )
        },
        warnings,
    })
}
