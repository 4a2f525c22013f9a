//! `demo`: inspect or steer the embedded rehearsal world by hand.

use super::args::{DEFAULT_DEMO_SEED, DemoAction, DemoArgs, OnOff};
use super::print;
use crate::adapters::clock::{Clock, SystemClock};
use crate::core::env::{
    AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, EnvSnapshot, FlagState, Live, RUNBOOK_VARS,
    ReadyState,
};
use crate::core::runbook::Stage;
use crate::core::schema::SchemaReport;
use crate::core::workspace::{RevisionCounts, RevisionToggle};
use crate::demo::{DemoStage, DemoWorld, Faults};
use crate::platform::paths::Paths;
use anyhow::bail;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

pub(super) fn run_demo(paths: &Paths, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let now = SystemClock.now();
        let db = paths.demo_db();
        let world = if args.reset {
            let w = DemoWorld::create(&db, now, args.stage, args.seed).await?;
            esay!(
                "demo world reset at {} ({:?} stage, seed {})",
                db.display(),
                args.stage,
                args.seed
            );
            w
        } else {
            DemoWorld::open_or_create(&db, now, DemoStage::Canary, DEFAULT_DEMO_SEED).await?
        };
        // The world's time (ahead of the wall clock after a fast drill).
        let now = world.now(now).await?;
        match args.action {
            None => {}
            Some(DemoAction::SetEnv { key, value }) => {
                if !RUNBOOK_VARS.contains(&key.as_str()) {
                    bail!(
                        "{key} is not one of the runbook's variables: {}",
                        RUNBOOK_VARS.join(", ")
                    );
                }
                world.set_env(&key, value.as_deref(), now).await?;
                esay!(
                    "{key} configured; it applies after `rollout-panel demo redeploy` is READY"
                );
            }
            Some(DemoAction::Redeploy) => {
                let id = world.redeploy(now).await?;
                esay!("redeploy {id} queued; READY in about 6 s");
            }
            Some(DemoAction::InstantRollback) => {
                let id = world.instant_rollback(now).await?;
                esay!("production is pinned to {id} (an Instant Rollback): its env is live; new builds do not serve until promoted");
            }
            Some(DemoAction::Toggle { workspace, state }) => {
                let id = world.workspace_id(&workspace).await?;
                world
                    .set_revision_toggle(&id, state == OnOff::On, now)
                    .await?;
            }
            Some(DemoAction::Fault { fault, state }) => {
                let mut f = world.faults().await?;
                let on = state == OnOff::On;
                fault.set(&mut f, on);
                world.set_faults(&f).await?;
            }
        }
        let status = status(&world).await?;
        if args.json {
            // Through a `Value`: keys sorted at every level, as this command
            // has always printed them.
            print::json(&serde_json::to_value(&status)?)?;
        } else {
            print::demo_status(&status);
        }
        world.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// A kill switch in the status: configured, and live when known.
#[derive(Debug, Serialize)]
pub(super) struct SwitchStatus {
    pub configured: bool,
    pub live: Option<bool>,
}

impl SwitchStatus {
    fn of(f: &FlagState) -> Self {
        Self {
            configured: f.configured_on,
            live: match f.live {
                Live::Known(on) => Some(on),
                _ => None,
            },
        }
    }
}

/// A deployment in the status.
#[derive(Debug, Serialize)]
pub(super) struct DeploymentStatus {
    pub id: String,
    pub state: ReadyState,
}

/// A workspace in the status (the admin page's 72 h numbers).
#[derive(Debug, Serialize)]
pub(super) struct WorkspaceStatus {
    pub applied_72h: u64,
    pub attempted_72h: u64,
    pub id: String,
    pub name: String,
    pub toggle: RevisionToggle,
    #[serde(skip)]
    pub counts: RevisionCounts,
}

/// The demo world's state (`rollout-panel demo`); the JSON fields print in
/// this (alphabetical) order.
#[derive(Debug, Serialize)]
pub(super) struct DemoStatus {
    pub auto_send_disabled: SwitchStatus,
    pub faults: Faults,
    pub latest_deployment: Option<DeploymentStatus>,
    pub path: PathBuf,
    pub revision_kill_switch: SwitchStatus,
    pub schema: SchemaReport,
    pub stage: Stage,
    pub workspaces: Vec<WorkspaceStatus>,
    /// The env as read, for the text view (secrets shown as set/unset only).
    #[serde(skip)]
    pub env: EnvSnapshot,
}

async fn status(world: &DemoWorld) -> anyhow::Result<DemoStatus> {
    use crate::adapters::store::Store;
    let now = world.now(SystemClock.now()).await?;
    world.advance_deployments(now).await?;
    let env = world.env_snapshot().await?;
    let store = world.store().await?;
    let workspaces = store.workspaces().await?;
    let counts = store
        .revision_counts(now - chrono::Duration::hours(72))
        .await?;
    let revision = env.flag(AUTO_SEND_REVISION_DISABLED);
    let auto_send = env.flag(AUTO_SEND_DISABLED);
    let enabled = workspaces.iter().filter(|w| w.toggle.is_on()).count();
    Ok(DemoStatus {
        auto_send_disabled: SwitchStatus::of(&auto_send),
        faults: world.faults().await?,
        latest_deployment: env.latest.as_ref().map(|d| DeploymentStatus {
            id: d.id.clone(),
            state: d.state,
        }),
        path: world.path().to_path_buf(),
        revision_kill_switch: SwitchStatus::of(&revision),
        schema: store.schema().clone(),
        stage: Stage::derive(&revision, &auto_send, enabled),
        workspaces: workspaces
            .iter()
            .map(|w| {
                let c = counts.get(&w.id).copied().unwrap_or_default();
                WorkspaceStatus {
                    applied_72h: c.applied,
                    attempted_72h: c.attempted,
                    id: w.id.clone(),
                    name: w.name.clone(),
                    toggle: w.toggle,
                    counts: c,
                }
            })
            .collect(),
        env,
    })
}
