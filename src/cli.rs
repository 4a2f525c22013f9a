//! The command line: the window by default, subcommands for headless use.
//!
//! Exit codes: 0 success, 1 the command failed (the message says why), 2 usage error.

use crate::adapters::clock::{Clock, SystemClock};
use crate::core::env::{
    AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, RUNBOOK_VARS, is_secret_var,
};
use crate::core::runbook::Stage;
use crate::demo::{DemoStage, DemoWorld, Faults};
use crate::paths::Paths;
use crate::worker::{Target, WorkerConfig};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The default seed of a new demo world.
pub const DEFAULT_DEMO_SEED: u64 = 116;

/// rollout-panel: ship the ZRG Dashboard's auto-send revision safely.
///
/// With no command, opens the panel window. With no profile configured it
/// opens the embedded demo: a rehearsal world that needs no server.
#[derive(Debug, Parser)]
#[command(name = "rollout-panel", version, about, long_about)]
pub struct Cli {
    /// Directory for the panel's data (default: the OS data dir; env ROLLOUT_PANEL_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Log level for stderr: error, warn, info, debug or trace (env RUST_LOG also works).
    #[arg(long, global = true, value_name = "LEVEL", default_value = "info")]
    pub log_level: String,

    /// What to do (default: open the window).
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Open the panel window (the default).
    Gui(GuiArgs),
    /// Inspect or steer the embedded rehearsal world.
    Demo(DemoArgs),
}

/// Options of the window.
#[derive(Debug, Default, clap::Args)]
pub struct GuiArgs {
    /// Seconds between automatic refreshes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh_secs: u64,
}

/// `demo`: with no action, prints the world's state.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Start the world afresh: delete it and seed a new day of history.
    #[arg(long)]
    pub reset: bool,
    /// With --reset: where the new history leaves the runbook.
    #[arg(long, value_enum, default_value_t = DemoStage::Canary, requires = "reset")]
    pub stage: DemoStage,
    /// With --reset: the seed of the new world.
    #[arg(long, default_value_t = DEFAULT_DEMO_SEED, requires = "reset")]
    pub seed: u64,
    /// Print the status as JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// An action on the world.
    #[command(subcommand)]
    pub action: Option<DemoAction>,
}

/// Actions on the demo world (rehearsal by hand).
#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Set a production env variable of the demo (it applies after a redeploy).
    SetEnv {
        /// The variable, e.g. AUTO_SEND_REVISION_DISABLED.
        key: String,
        /// The value; omit it to unset the variable.
        value: Option<String>,
    },
    /// Redeploy demo production with the current env.
    Redeploy,
    /// Turn a workspace's revision toggle on or off (by exact name).
    Toggle {
        /// The workspace name.
        workspace: String,
        /// on or off.
        state: OnOff,
    },
    /// Inject or clear a fault.
    Fault {
        /// Which fault.
        fault: FaultName,
        /// on or off.
        state: OnOff,
    },
}

/// on / off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// On.
    On,
    /// Off.
    Off,
}

/// The faults a rehearsal can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FaultName {
    /// The canary's revisions get worse; needs_review spikes.
    NeedsReviewSpike,
    /// Half the revisions time out.
    Timeouts,
    /// A third of the revisions fail with an AI error.
    AiErrors,
    /// The next redeploy ends CANCELED.
    CancelRedeploy,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = Paths::resolve(cli.data_dir.as_deref())?;
    match cli.command {
        None => run_gui(&paths, &GuiArgs { refresh_secs: 2 }),
        Some(Cmd::Gui(args)) => run_gui(&paths, &args),
        Some(Cmd::Demo(args)) => run_demo(&paths, args),
    }
}

fn run_gui(paths: &Paths, args: &GuiArgs) -> anyhow::Result<ExitCode> {
    let config = WorkerConfig {
        target: Target::Demo {
            db_path: paths.demo_db(),
            stage: DemoStage::Canary,
            seed: DEFAULT_DEMO_SEED,
        },
        clock: Arc::new(SystemClock),
        auto_refresh: Some(Duration::from_secs(args.refresh_secs)),
        read_timeout: Duration::from_secs(15),
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("rollout-panel")
            .with_app_id("rollout-panel")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([900.0, 560.0]),
        persistence_path: Some(paths.data_dir.join("ui-state.ron")),
        ..Default::default()
    };
    eframe::run_native(
        "rollout-panel",
        options,
        Box::new(move |cc| Ok(Box::new(crate::app::App::new(cc, config)))),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run_demo(paths: &Paths, args: DemoArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
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
