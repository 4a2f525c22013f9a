//! `demo`: inspect or steer the embedded rehearsal world by hand.

use super::args::{DEFAULT_DEMO_SEED, DemoAction, DemoArgs, FaultName, OnOff};
use crate::adapters::clock::{Clock, SystemClock};
use crate::core::env::{
    AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, RUNBOOK_VARS, is_secret_var,
};
use crate::core::runbook::Stage;
use crate::demo::{DemoStage, DemoWorld, Faults};
use crate::platform::paths::Paths;
use anyhow::bail;
use std::process::ExitCode;

pub(super) fn run_demo(paths: &Paths, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let now = SystemClock.now();
        let db = paths.demo_db();
        let world = if args.reset {
            let w = DemoWorld::create(&db, now, args.stage, args.seed).await?;
            eprintln!(
                "demo world reset at {} ({:?} stage, seed {})",
                db.display(),
                args.stage,
                args.seed
            );
            w
        } else {
            DemoWorld::open_or_create(&db, now, DemoStage::Canary, DEFAULT_DEMO_SEED).await?
        };
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
                eprintln!(
                    "{key} configured; it applies after `rollout-panel demo redeploy` is READY"
                );
            }
            Some(DemoAction::Redeploy) => {
                let id = world.redeploy(now).await?;
                eprintln!("redeploy {id} queued; READY in about 6 s");
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
                match fault {
                    FaultName::NeedsReviewSpike => f.needs_review_spike = on,
                    FaultName::Timeouts => f.timeouts = on,
                    FaultName::AiErrors => f.ai_errors = on,
                    FaultName::CancelRedeploy => f.cancel_next_redeploy = on,
                }
                world.set_faults(&f).await?;
            }
        }
        print_status(&world, args.json).await?;
        world.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

async fn print_status(world: &DemoWorld, json: bool) -> anyhow::Result<()> {
    use crate::adapters::store::Store;
    let now = SystemClock.now();
    world.advance_deployments(now).await?;
    let env = world.env_snapshot().await?;
    let store = world.store().await?;
    let workspaces = store.workspaces().await?;
    let counts = store
        .revision_counts(now - chrono::Duration::hours(72))
        .await?;
    let faults: Faults = world.faults().await?;
    let revision = env.flag(AUTO_SEND_REVISION_DISABLED);
    let auto_send = env.flag(AUTO_SEND_DISABLED);
    let enabled = workspaces.iter().filter(|w| w.toggle.is_on()).count();
    let stage = Stage::derive(&revision, &auto_send, enabled);
    let shown = |key: &str, v: Option<&str>| match v {
        None => "unset".to_owned(),
        Some(_) if is_secret_var(key) => "set (hidden)".to_owned(),
        Some(v) => format!("{v:?}"),
    };
    if json {
        let ws: Vec<_> = workspaces
            .iter()
            .map(|w| {
                let c = counts.get(&w.id).copied().unwrap_or_default();
                serde_json::json!({
                    "id": w.id, "name": w.name, "toggle": w.toggle,
                    "attempted_72h": c.attempted, "applied_72h": c.applied,
                })
            })
            .collect();
        let live = |f: &crate::core::env::FlagState| match f.live {
            crate::core::env::Live::Known(on) => serde_json::json!(on),
            _ => serde_json::Value::Null,
        };
        let out = serde_json::json!({
            "path": world.path(),
            "stage": stage,
            "schema": store.schema(),
            "revision_kill_switch": {"configured": revision.configured_on, "live": live(&revision)},
            "auto_send_disabled": {"configured": auto_send.configured_on, "live": live(&auto_send)},
            "latest_deployment": env.latest.as_ref().map(|d| serde_json::json!({"id": d.id, "state": d.state})),
            "faults": faults,
            "workspaces": ws,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("demo world: {}", world.path().display());
    println!("stage: {}", stage.label());
    println!("schema: {}", store.schema().summary());
    println!("env (production, configured):");
    for key in RUNBOOK_VARS {
        let v = env.configured.get(key).and_then(|v| v.value.as_deref());
        println!("  {key} = {}", shown(key, v));
    }
    if let Some(d) = &env.latest {
        println!("latest deployment: {} {}", d.id, d.state.as_str());
    }
    if let Some(d) = &env.serving {
        println!(
            "serving deployment: {} (built {})",
            d.id,
            d.created_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    println!("workspaces (revision toggle, last 72 h attempted / applied):");
    for w in &workspaces {
        let c = counts.get(&w.id).copied().unwrap_or_default();
        println!(
            "  {:<24} {:<22} {:>5} / {:<5} ({})",
            w.name,
            w.toggle.label(),
            c.attempted,
            c.applied,
            c.applied_rate_label()
        );
    }
    if faults != Faults::default() {
        println!("faults: {}", serde_json::to_string(&faults)?);
    }
    Ok(())
}
