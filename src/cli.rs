//! The command line: the window by default, subcommands for headless use.
//!
//! Exit codes: 0 success, 1 the command failed (the message says why), 2 usage error.

use crate::adapters::audit::AuditLog;
use crate::adapters::clock::{Clock, SystemClock};
use crate::adapters::config::ConfigStore;
use crate::adapters::secrets::{Keyring, SERVICE};
use crate::core::env::{
    AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, RUNBOOK_VARS, is_secret_var,
};
use crate::core::lever::{Guard, LeverKind, LeverRequest, LeverState, Plan, plan as plan_lever};
use crate::core::profile::{DEMO_PROFILE, Profile};
use crate::core::readiness::JudgeStage;
use crate::core::runbook::Stage;
use crate::core::secret::SecretKey;
use crate::demo::{DemoStage, DemoWorld, Faults};
use crate::levers::{DemoTarget, LeverTarget, ProductionTarget, RunContext, Waits, run_plan};
use crate::paths::Paths;
use crate::profiles::{Outcome, ProfileManager};
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
    /// Manage profiles (named targets: production, staging, …).
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Manage a profile's secrets in the OS keyring.
    #[command(subcommand)]
    Secrets(SecretsCmd),
    /// Test a profile's connections: database (version, schema), pooled URL, Vercel.
    TestConnection(TestConnectionArgs),
    /// The readiness checklist. Exit 0 = all pass, 1 = warnings only, 2 = any failure or unknown.
    Check(CheckArgs),
    /// Pull a lever: prints the plan, asks for the guard word, runs it audited. Exit 0 only when every step is verified.
    Lever(LeverArgs),
    /// The audit log of a profile, newest first.
    Audit(AuditArgs),
    /// Revision metrics per workspace, the canary verdict and the alarms.
    Metrics(MetricsArgs),
    /// Export a reproducible sample of revised drafts as CSV (runbook step 6).
    Export(ExportArgs),
    /// Panics on purpose (tests the crash report).
    #[command(hide = true)]
    DebugPanic,
}

/// `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The profile (`demo` reads the rehearsal world).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// Where to write the CSV (`-` = standard output). Written atomically.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// How many drafts.
    #[arg(long, default_value_t = 25)]
    pub sample: usize,
    /// The seed (default: a new random one, printed); the same seed and data give the same rows.
    #[arg(long)]
    pub seed: Option<u64>,
    /// How far back (m, h or d). Default: since the canary started, else 24h.
    #[arg(long)]
    pub window: Option<String>,
    /// One workspace (id or exact name).
    #[arg(long, value_name = "W")]
    pub workspace: Option<String>,
}

/// `metrics`.
#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// The profile (`demo` reads the rehearsal world).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// How far back: a whole number and m, h or d.
    #[arg(long, default_value = "72h")]
    pub window: String,
    /// One workspace (id or exact name).
    #[arg(long, value_name = "W")]
    pub workspace: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// The verdict's harm tolerance in percentage points.
    #[arg(long, default_value_t = 10.0, value_name = "PP")]
    pub tolerance: f64,
    /// The verdict's error level.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
}

/// `lever`.
#[derive(Debug, clap::Args)]
pub struct LeverArgs {
    /// Which lever.
    #[arg(value_enum)]
    pub lever: LeverArg,
    /// on = the lever, off = its restore.
    #[arg(value_enum, default_value_t = OnOff::On)]
    pub state: OnOff,
    /// The profile (`demo` pulls the rehearsal world's levers).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// The workspace (id or exact name), for the workspace levers.
    #[arg(long, value_name = "W")]
    pub workspace: Option<String>,
    /// Why (goes to the audit log).
    #[arg(long)]
    pub reason: String,
    /// Do not ask on the terminal (then --confirm must carry the guard word).
    #[arg(long)]
    pub yes: bool,
    /// The guard word with --yes: the workspace name, DISABLE or ENABLE.
    #[arg(long, value_name = "WORD")]
    pub confirm: Option<String>,
    /// Go on although an overridable precondition fails (another canary on, readiness failures).
    #[arg(long = "override")]
    pub override_preconditions: bool,
}

/// The levers on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LeverArg {
    /// Revision on for one workspace (and the kill switch off if needed).
    CanaryEnable,
    /// Revision off for one workspace.
    WorkspaceRollback,
    /// AUTO_SEND_REVISION_DISABLED = "1" (on) or "0" (off).
    RevisionKillSwitch,
    /// AUTO_SEND_DISABLED = "1" (on) or "0" (off).
    AutoSendKillSwitch,
}

impl From<LeverArg> for LeverKind {
    fn from(l: LeverArg) -> Self {
        match l {
            LeverArg::CanaryEnable => LeverKind::CanaryEnable,
            LeverArg::WorkspaceRollback => LeverKind::WorkspaceRollback,
            LeverArg::RevisionKillSwitch => LeverKind::RevisionKillSwitch,
            LeverArg::AutoSendKillSwitch => LeverKind::AutoSendKillSwitch,
        }
    }
}

/// `audit`.
#[derive(Debug, clap::Args)]
#[command(subcommand_negates_reqs = true)]
pub struct AuditArgs {
    /// `init`: create the shared audit table; none: list the log.
    #[command(subcommand)]
    pub action: Option<AuditCmd>,
    /// The profile.
    #[arg(long, value_name = "NAME", required = true)]
    pub profile: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// How many rows.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

/// `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Create the optional shared audit table in the profile's production
    /// Postgres: one table in its own schema (rollout_panel), by a sqlx
    /// migration; the app's tables are never touched. Every panel that finds
    /// it writes there too and reads it, so operators see each other's actions.
    Init {
        /// The profile.
        #[arg(long, value_name = "NAME")]
        profile: String,
    },
}

/// `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The profile (`demo` checks the rehearsal world).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Judge against this stage instead of the one derived from the real state.
    #[arg(long, value_enum)]
    pub stage: Option<StageArg>,
}

/// `--stage` of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StageArg {
    /// Before the canary.
    PreCanary,
    /// During the canary.
    Canary,
    /// After a rollback.
    RolledBack,
}

impl From<StageArg> for JudgeStage {
    fn from(s: StageArg) -> Self {
        match s {
            StageArg::PreCanary => JudgeStage::PreCanary,
            StageArg::Canary => JudgeStage::Canary,
            StageArg::RolledBack => JudgeStage::RolledBack,
        }
    }
}

/// `profile …`.
#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Add a profile (the first one added becomes the window's default).
    Add {
        /// The profile's name (a-z, 0-9, '-', '_'), e.g. production.
        name: String,
        /// The Vercel project id or name.
        #[arg(long, value_name = "ID_OR_NAME")]
        vercel_project: String,
        /// The Vercel team id (team_…) or slug, for team-owned projects.
        #[arg(long, value_name = "ID_OR_SLUG")]
        vercel_team: Option<String>,
        /// The Vercel API base URL.
        #[arg(long, value_name = "URL", default_value = crate::core::profile::DEFAULT_VERCEL_API)]
        vercel_api: String,
        /// Seconds between the window's automatic refreshes.
        #[arg(long, value_name = "N")]
        refresh_secs: Option<u64>,
    },
    /// List the profiles.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a profile's settings and which secrets are set.
    Show {
        /// The profile.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a profile and its keyring entries.
    Remove {
        /// The profile.
        name: String,
    },
}

/// `secrets …`.
#[derive(Debug, Subcommand)]
pub enum SecretsCmd {
    /// Store a secret read from stdin (hidden on a terminal; a trailing newline is dropped).
    Set {
        /// The profile.
        #[arg(long, value_name = "NAME")]
        profile: String,
        /// database-url (the app's DIRECT_URL), pooled-database-url or vercel-token.
        #[arg(value_parser = parse_secret_key)]
        key: SecretKey,
    },
    /// Print each key and whether it is set (never a value).
    List {
        /// The profile.
        #[arg(long, value_name = "NAME")]
        profile: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a secret from the keyring.
    Delete {
        /// The profile.
        #[arg(long, value_name = "NAME")]
        profile: String,
        /// The key.
        #[arg(value_parser = parse_secret_key)]
        key: SecretKey,
    },
}

/// `test-connection`.
#[derive(Debug, clap::Args)]
pub struct TestConnectionArgs {
    /// The profile.
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_secret_key(s: &str) -> Result<SecretKey, String> {
    s.parse::<SecretKey>().map_err(|e| e.to_string())
}

/// Options of the window.
#[derive(Debug, Default, clap::Args)]
pub struct GuiArgs {
    /// Seconds between automatic refreshes (default: the profile's, else 2 for the demo).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh_secs: Option<u64>,
    /// Open this profile (default: the one chosen last, else the demo).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
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
        None => run_gui(&paths, &GuiArgs::default()),
        Some(Cmd::Gui(args)) => run_gui(&paths, &args),
        Some(Cmd::Demo(args)) => run_demo(&paths, args),
        Some(Cmd::Profile(cmd)) => run_profile(&manager(&paths), cmd),
        Some(Cmd::Secrets(cmd)) => run_secrets(&manager(&paths), cmd),
        Some(Cmd::TestConnection(args)) => run_test_connection(&manager(&paths), &args),
        Some(Cmd::Lever(args)) => run_lever(&paths, &args),
        Some(Cmd::Audit(args)) => run_audit(&paths, &args),
        Some(Cmd::Metrics(args)) => run_metrics(&paths, &args),
        Some(Cmd::Export(args)) => run_export(&paths, &args),
        Some(Cmd::DebugPanic) => {
            tracing::info!("about to panic on purpose");
            panic!("a panic on purpose (rollout-panel debug-panic)")
        }
        Some(Cmd::Check(args)) => Ok(run_check(&paths, &args).unwrap_or_else(|e| {
            // A check that cannot even start is a failure (2), not "warnings only".
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        })),
    }
}

fn print_plan(plan: &Plan) {
    println!("{}", plan.title);
    println!("changes:");
    for c in &plan.changes {
        println!("  - {}", c.describe());
    }
    if !plan.preconditions.is_empty() {
        println!("preconditions:");
        for p in &plan.preconditions {
            let mark = match (p.ok, p.overridable) {
                (true, _) => "ok  ",
                (false, true) => "WARN",
                (false, false) => "FAIL",
            };
            println!("  {mark} {}: {}", p.name, p.detail);
        }
    }
    println!("takes effect: {}", plan.takes_effect);
    for w in &plan.warnings {
        println!("note: {w}");
    }
}

/// Asks for the guard word on the terminal, or checks --yes/--confirm.
fn confirmed(plan: &Plan, args: &LeverArgs) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    let word = match &plan.guard {
        Guard::Confirm => None,
        Guard::Type(w) => Some(w.as_str()),
    };
    if args.yes {
        return match (word, args.confirm.as_deref()) {
            (None, _) => Ok(true),
            (Some(w), Some(c)) if c.trim() == w => Ok(true),
            (Some(w), _) => {
                bail!("this lever's guard is typing {w:?}: pass --confirm {w:?} with --yes")
            }
        };
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "not a terminal: pass --yes{}",
            word.map_or(String::new(), |w| format!(" --confirm {w:?}"))
        );
    }
    match word {
        Some(w) => eprint!("type {w:?} to go on (anything else cancels): "),
        None => eprint!("go on? type yes (anything else cancels): "),
    }
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(match word {
        Some(_) => plan.guard_satisfied(&line),
        None => line.trim() == "yes",
    })
}

fn run_lever(paths: &Paths, args: &LeverArgs) -> anyhow::Result<ExitCode> {
    let request = LeverRequest {
        kind: args.lever.into(),
        on: args.state == OnOff::On,
        workspace: args.workspace.clone(),
    };
    if args.reason.trim().is_empty() {
        bail!("--reason must say why (it goes to the audit log)");
    }
    let rt = runtime()?;
    rt.block_on(async {
        let now = SystemClock.now();
        let mut audit = AuditLog::open(&AuditLog::path_in(&paths.data_dir)).await?;
        // The target and the state the plan is made from.
        let world;
        let demo_store;
        let pg;
        let client;
        let m = manager(paths);
        let (target, report): (Box<dyn LeverTarget + '_>, _) = if args.profile == DEMO_PROFILE {
            world = DemoWorld::open_or_create(&paths.demo_db(), now, DemoStage::Canary, DEFAULT_DEMO_SEED).await?;
            demo_store = world.store().await?;
            let report = crate::checks::check_demo(&world, &demo_store, now, None).await;
            (Box::new(DemoTarget { world: &world, store: &demo_store }), report)
        } else {
            let profile = m.get(&args.profile)?;
            let url = m.keyring.require(&args.profile, SecretKey::DatabaseUrl).map_err(anyhow::Error::msg)?;
            let token = m.keyring.require(&args.profile, SecretKey::VercelToken).map_err(anyhow::Error::msg)?;
            pg = crate::adapters::store::PgStore::connect(url.expose()).await?;
            if let Some(shared) = shared_audit(pg.pool()).await {
                audit = audit.with_shared(shared);
            }
            client = crate::adapters::vercel::VercelClient::new(&profile.vercel_api, &profile.vercel_project, profile.vercel_team.as_deref(), token)?;
            let report = crate::checks::check_profile(&args.profile, &profile, &m.keyring, Some(&pg), now, None).await;
            (Box::new(ProductionTarget { vercel: &client, store: &pg }), report)
        };
        let env = report.env.clone().map_err(|e| anyhow::anyhow!("cannot read the env: {e}"))?;
        let workspaces = target.store().workspaces().await?;
        let plan = plan_lever(
            &request,
            LeverState {
                workspaces: &workspaces,
                env: &env,
                schema: target.store().schema(),
                readiness: Some(&report.items),
            },
        )
        .map_err(anyhow::Error::msg)?;
        print_plan(&plan);
        if plan.blocked() {
            eprintln!("refused: a precondition fails that cannot be overridden; nothing was changed");
            return Ok(ExitCode::from(1));
        }
        if plan.needs_override() && !args.override_preconditions {
            eprintln!("refused: a precondition fails; pass --override to go on anyway; nothing was changed");
            return Ok(ExitCode::from(1));
        }
        if !confirmed(&plan, args)? {
            eprintln!("cancelled; nothing was changed");
            return Ok(ExitCode::from(1));
        }
        let ctx = RunContext {
            audit: &audit,
            profile: &args.profile,
            reason: &args.reason,
            clock: &SystemClock,
            waits: Waits::default(),
            action_id: None,
        };
        let progress = |s: &crate::levers::StepReport| {
            let mark = match (s.running, s.ok) {
                (true, _) => "...   ",
                (false, true) => "done  ",
                (false, false) => "FAILED",
            };
            println!("{mark} {} — {}", s.label, s.detail);
        };
        let r = run_plan(&plan, target.as_ref(), &ctx, &progress).await.map_err(anyhow::Error::msg)?;
        println!(
            "{} (audit action {})",
            if r.ok { "verified" } else { "FAILED: see the steps above" },
            r.action_id
        );
        if let Some(problem) = audit.shared_problem() {
            eprintln!("warning: the shared audit table could not be written ({problem}); this machine's log has every row");
        }
        Ok(if r.ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}

/// The shared audit table of a profile's database, when `audit init` made one.
async fn shared_audit(pool: &sqlx::PgPool) -> Option<crate::adapters::audit::SharedAudit> {
    match crate::adapters::audit::SharedAudit::find(pool).await {
        Ok(found) => found,
        Err(e) => {
            eprintln!(
                "warning: the shared audit table cannot be read ({e}); using this machine's log only"
            );
            None
        }
    }
}

/// A configured profile's database URL from the keyring.
fn database_url(paths: &Paths, profile: &str) -> anyhow::Result<crate::core::secret::Secret> {
    let m = manager(paths);
    m.get(profile)?;
    m.keyring
        .require(profile, SecretKey::DatabaseUrl)
        .map_err(anyhow::Error::msg)
}

fn run_audit_init(paths: &Paths, profile: &str) -> anyhow::Result<ExitCode> {
    use crate::adapters::audit::{SHARED_SCHEMA, SharedAudit, SharedInit};
    let url = database_url(paths, profile)?;
    let label = crate::core::dburl::DbTarget::parse(url.expose())
        .map(|t| t.label())
        .unwrap_or_else(|_| "the profile's database".to_owned());
    runtime()?.block_on(async {
        let store = crate::adapters::store::PgStore::connect(url.expose()).await?;
        let done = SharedAudit::init(store.pool()).await?;
        match done {
            SharedInit::Created => println!(
                "created the shared audit table {SHARED_SCHEMA}.audit_entry in {label} (sqlx migration; its bookkeeping is {SHARED_SCHEMA}._sqlx_migrations; the app's tables were not touched)"
            ),
            SharedInit::AlreadyThere => println!(
                "the shared audit table {SHARED_SCHEMA}.audit_entry already exists in {label}; nothing changed"
            ),
        }
        store.pool().close().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn run_audit(paths: &Paths, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let profile = match (&args.action, &args.profile) {
        (Some(AuditCmd::Init { profile }), _) => return run_audit_init(paths, profile),
        (None, Some(p)) => p.clone(),
        (None, None) => bail!("audit needs --profile NAME"),
    };
    let rt = runtime()?;
    rt.block_on(async {
        let mut audit = AuditLog::open(&AuditLog::path_in(&paths.data_dir)).await?;
        let mut pg = None;
        if profile != DEMO_PROFILE {
            let m = manager(paths);
            match m.keyring.require(&profile, SecretKey::DatabaseUrl) {
                Ok(url) => match crate::adapters::store::PgStore::connect(url.expose()).await {
                    Ok(store) => {
                        if let Some(shared) = shared_audit(store.pool()).await {
                            audit = audit.with_shared(shared);
                        }
                        pg = Some(store);
                    }
                    Err(e) => eprintln!("warning: the shared audit table cannot be read ({e}); using this machine's log only"),
                },
                Err(e) => eprintln!("warning: the shared audit table cannot be read ({e}); using this machine's log only"),
            }
        }
        let rows = audit.list(&profile, args.limit).await?;
        if let Some(problem) = audit.shared_problem() {
            eprintln!("warning: the shared audit table failed ({problem}); using this machine's log only");
        }
        if let Some(store) = pg {
            store.pool().close().await;
        }
        if args.json {
            println!("{}", serde_json::to_string_pretty(&rows)?);
        } else if rows.is_empty() {
            println!("no actions recorded for profile {profile}");
        } else {
            for r in &rows {
                println!(
                    "{}  {:<8} {:<7} {:<9} {:<22} {}  [{}; reason: {}]",
                    r.at.format("%Y-%m-%d %H:%M:%S"),
                    r.operator,
                    format!("{:?}", r.kind).to_lowercase(),
                    format!("{:?}", r.status).to_lowercase(),
                    r.lever,
                    r.summary,
                    crate::adapters::audit::short_id(&r.action_id),
                    r.reason
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn run_metrics(paths: &Paths, args: &MetricsArgs) -> anyhow::Result<ExitCode> {
    use crate::core::verdict::VerdictSettings;
    let window = crate::core::time::parse_window(&args.window).map_err(anyhow::Error::msg)?;
    if !((0.0..100.0).contains(&args.tolerance) && 0.0 < args.alpha && args.alpha < 1.0) {
        bail!("--tolerance is in percentage points (0-100) and --alpha between 0 and 1");
    }
    let settings = VerdictSettings {
        tolerance: args.tolerance / 100.0,
        alpha: args.alpha,
        ..VerdictSettings::default()
    };
    runtime()?.block_on(async {
        let now = SystemClock.now();
        let audit = AuditLog::open(&AuditLog::path_in(&paths.data_dir)).await?;
        let (store, world) = open_store(paths, &args.profile, now).await?;
        let env = match &world {
            Some(world) => {
                world.advance_deployments(now).await?;
                Some(world.env_snapshot().await?)
            }
            None => {
                let m = manager(paths);
                let profile = m.get(&args.profile)?;
                let env = match m.keyring.require(&args.profile, SecretKey::VercelToken) {
                    Ok(token) => {
                        let client = crate::adapters::vercel::VercelClient::new(&profile.vercel_api, &profile.vercel_project, profile.vercel_team.as_deref(), token)?;
                        crate::checks::read_vercel_env(&client).await
                    }
                    Err(e) => Err(e),
                };
                env.inspect_err(|e| eprintln!("warning: the Vercel env cannot be read ({e}); the kill-switch alarms are not evaluated"))
                    .ok()
            }
        };
        let store = store.as_ref();
        let entries = audit.list(&args.profile, 1000).await?;
        let report = crate::metrics_report::gather(
            store,
            &crate::metrics_report::Request {
                profile: &args.profile,
                now,
                window,
                workspace: args.workspace.as_deref(),
                settings,
                audit: &entries,
                env: env.as_ref(),
            },
        )
        .await
        .map_err(anyhow::Error::msg)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_metrics(&report, &args.window);
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The store of a profile (or the demo world, advanced to now), for read-only commands.
async fn open_store(
    paths: &Paths,
    profile: &str,
    now: crate::core::time::UtcNaive,
) -> anyhow::Result<(Box<dyn crate::adapters::store::Store>, Option<DemoWorld>)> {
    if profile == DEMO_PROFILE {
        let world =
            DemoWorld::open_or_create(&paths.demo_db(), now, DemoStage::Canary, DEFAULT_DEMO_SEED)
                .await?;
        crate::demo::Simulator::new(DEFAULT_DEMO_SEED)
            .advance_to(&world, now)
            .await?;
        let store = world.store().await?;
        Ok((Box::new(store), Some(world)))
    } else {
        let url = database_url(paths, profile)?;
        Ok((
            Box::new(crate::adapters::store::PgStore::connect(url.expose()).await?),
            None,
        ))
    }
}

fn run_export(paths: &Paths, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    use crate::adapters::audit::{EntryStatus, Intent};
    if args.sample == 0 {
        bail!("--sample must be at least 1");
    }
    let window = args
        .window
        .as_deref()
        .map(crate::core::time::parse_window)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let seed = args.seed.unwrap_or_else(rand::random::<u64>);
    runtime()?.block_on(async {
        let now = SystemClock.now();
        let audit = AuditLog::open(&AuditLog::path_in(&paths.data_dir)).await?;
        let (store, _world) = open_store(paths, &args.profile, now).await?;
        let workspaces = store.workspaces().await?;
        let workspace_id = match &args.workspace {
            None => None,
            Some(w) => Some(
                crate::core::workspace::find(&workspaces, w)
                    .map_err(anyhow::Error::msg)?
                    .id
                    .clone(),
            ),
        };
        let entries = audit.list(&args.profile, 1000).await?;
        let start = match window {
            Some(w) => now - w,
            None => crate::metrics_report::canary_start(&workspaces, &entries)
                .map_or(now - chrono::Duration::hours(24), |(t, _)| t),
        };
        let sample = crate::export::draw(
            store.as_ref(),
            crate::export::SampleRequest {
                start,
                end: now + chrono::Duration::milliseconds(1),
                workspace_id,
                n: args.sample,
                seed,
            },
        )
        .await
        .map_err(anyhow::Error::msg)?;
        let to_stdout = args.out.as_os_str() == "-";
        let where_to = if to_stdout {
            "standard output".to_owned()
        } else {
            args.out.display().to_string()
        };
        let action = audit
            .intent(
                now,
                &Intent {
                    profile: &args.profile,
                    lever: "export",
                    reason: "quality review sample",
                    summary: &format!("Export {} (seed {seed}) to {where_to}", sample.describe()),
                    detail: sample.audit_detail(Some(where_to.clone())),
                },
            )
            .await?;
        let written = if to_stdout {
            crate::core::export::write_csv(std::io::stdout().lock(), &sample.rows)
                .map_err(|e| e.to_string())
        } else {
            crate::export::write_atomic(&args.out, &sample.rows)
        };
        let (status, summary) = match &written {
            Ok(()) => (
                EntryStatus::Ok,
                format!("wrote {} rows to {where_to}", sample.rows.len()),
            ),
            Err(e) => (EntryStatus::Failed, format!("export failed: {e}")),
        };
        audit
            .result(
                &action,
                SystemClock.now(),
                status,
                &summary,
                &serde_json::json!({}),
            )
            .await?;
        written.map_err(anyhow::Error::msg)?;
        eprintln!(
            "exported {} (seed {seed}, revisions since {}) to {where_to}",
            sample.describe(),
            crate::core::time::rfc3339(start)
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn print_metrics(r: &crate::metrics_report::MetricsReport, window: &str) {
    use crate::metrics_report::Counts;
    let pct = |x: Option<f64>| x.map_or("-".to_owned(), |v| format!("{:.0}%", v * 100.0));
    let row = |name: &str, toggle: &str, c: &Counts| {
        println!(
            "{name:<28} {toggle:<6} {:>9} {:>7} {:>5} {:>9} {:>12} {:>6} {:>9} {:>5}",
            c.attempted,
            c.applied,
            pct(c.applied_rate),
            c.evaluated,
            c.needs_review,
            pct(c.needs_review_share),
            c.ai_errors.map_or("n/a".to_owned(), |n| n.to_string()),
            c.stuck_claims
        );
    };
    println!(
        "profile {} · window {window}: {} to {}",
        r.profile, r.window.start, r.window.end
    );
    println!(
        "{:<28} {:<6} {:>9} {:>7} {:>5} {:>9} {:>12} {:>6} {:>9} {:>5}",
        "workspace",
        "toggle",
        "attempted",
        "applied",
        "rate",
        "evaluated",
        "needs_review",
        "share",
        "ai_errors",
        "stuck"
    );
    for w in &r.workspaces {
        row(&w.name, if w.toggle { "ON" } else { "OFF" }, &w.counts);
    }
    row("total", "", &r.totals);
    let v = &r.verdict.verdict;
    println!(
        "verdict: {}{}",
        v.state.label(),
        v.estimate_text()
            .map_or_else(String::new, |t| format!(" — {t}"))
    );
    for c in &v.comparisons {
        println!(
            "  vs {}: canary {}/{} needs_review, baseline {}/{} — {}",
            c.baseline.label(),
            c.canary.needs_review,
            c.canary.evaluated,
            c.base.needs_review,
            c.base.evaluated,
            c.state.label()
        );
    }
    if let Some(note) = &r.verdict.note {
        println!("  {note}");
    }
    if let Some(rec) = &v.recommendation {
        println!("  recommended: {rec}");
    }
    if r.alarms.is_empty() {
        println!("alarms: none");
    } else {
        println!("alarms:");
        for a in &r.alarms {
            println!(
                "  [{}] {} (suggested lever: {})",
                a.id, a.finding, a.suggested_lever
            );
        }
    }
}

fn run_check(paths: &Paths, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let stage = args.stage.map(JudgeStage::from);
    let rt = runtime()?;
    let report = rt.block_on(async {
        let now = SystemClock.now();
        if args.profile == DEMO_PROFILE {
            let world = DemoWorld::open_or_create(
                &paths.demo_db(),
                now,
                DemoStage::Canary,
                DEFAULT_DEMO_SEED,
            )
            .await?;
            let store = world.store().await?;
            let r = crate::checks::check_demo(&world, &store, now, stage).await;
            world.close().await;
            anyhow::Ok(r)
        } else {
            let m = manager(paths);
            let profile = m.get(&args.profile)?;
            Ok(
                crate::checks::check_profile(&args.profile, &profile, &m.keyring, None, now, stage)
                    .await,
            )
        }
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "readiness of {} at {} — judged as {} (derived stage: {})",
            report.profile,
            report.checked_at.format("%Y-%m-%d %H:%M:%S UTC"),
            report.stage.as_str(),
            report.derived_stage.label()
        );
        let mut group = None;
        for i in &report.items {
            if group != Some(i.group) {
                println!("\n{}", i.group.label());
                group = Some(i.group);
            }
            println!(
                "  {:<7} {:<42} {}",
                i.status.as_str().to_uppercase(),
                i.id,
                i.finding
            );
            if !i.fix.is_empty() && i.status != crate::core::readiness::CheckStatus::Pass {
                println!("  {:<7} {:<42} fix: {}", "", "", i.fix);
            }
        }
        let counts = crate::core::readiness::counts(&report.items);
        let summary: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        println!("\n{}", summary.join(" · "));
    }
    Ok(ExitCode::from(report.exit_status()))
}

fn manager(paths: &Paths) -> ProfileManager {
    ProfileManager {
        config: ConfigStore::new(&paths.config_dir),
        keyring: Keyring::native(),
    }
}

fn run_profile(m: &ProfileManager, cmd: ProfileCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ProfileCmd::Add {
            name,
            vercel_project,
            vercel_team,
            vercel_api,
            refresh_secs,
        } => {
            let profile = Profile {
                vercel_team,
                vercel_api,
                refresh_secs,
                ..Profile::new(vercel_project)
            };
            let became_default = m.save(&name, profile, true)?;
            println!("profile {name} added to {}", m.config.path().display());
            if became_default {
                println!("it is the window's default profile");
            }
            println!(
                "next: rollout-panel secrets set --profile {name} database-url   (the app's DIRECT_URL)"
            );
        }
        ProfileCmd::List { json } => {
            let loaded = m.config.load()?;
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            let file = loaded.file;
            if json {
                let list: Vec<_> = file
                    .profiles
                    .iter()
                    .map(|(name, p)| {
                        serde_json::json!({
                            "name": name,
                            "default": file.default_profile.as_deref() == Some(name),
                            "vercel_project": p.vercel_project,
                            "vercel_team": p.vercel_team,
                            "vercel_api": p.vercel_api,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if file.profiles.is_empty() {
                println!(
                    "no profiles yet (the window opens the demo); add one: rollout-panel profile add NAME --vercel-project ID"
                );
            } else {
                for (name, p) in &file.profiles {
                    let default = if file.default_profile.as_deref() == Some(name) {
                        " (default)"
                    } else {
                        ""
                    };
                    println!("{name}{default}\tvercel project {}", p.vercel_project);
                }
            }
        }
        ProfileCmd::Show { name, json } => {
            let loaded = m.config.load()?;
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            let p = loaded.file.get(&name).map_err(anyhow::Error::msg)?.clone();
            let status = m.keyring.status(&name);
            if json {
                let secrets = match &status {
                    Ok(list) => serde_json::Value::Object(
                        list.iter()
                            .map(|(k, s)| (k.as_str().to_owned(), serde_json::json!(s.is_set())))
                            .collect(),
                    ),
                    Err(_) => serde_json::Value::Null,
                };
                let out = serde_json::json!({
                    "name": name,
                    "default": loaded.file.default_profile.as_deref() == Some(name.as_str()),
                    "vercel_project": p.vercel_project,
                    "vercel_team": p.vercel_team,
                    "vercel_api": p.vercel_api,
                    "canary_workspace": p.canary_workspace,
                    "refresh_secs": p.refresh_secs(),
                    "secrets": secrets,
                    "keyring_error": status.as_ref().err().map(ToString::to_string),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("profile: {name}");
                println!("vercel project: {}", p.vercel_project);
                println!(
                    "vercel team: {}",
                    p.vercel_team.as_deref().unwrap_or("(none)")
                );
                println!("vercel api: {}", p.vercel_api);
                println!(
                    "canary workspace: {}",
                    p.canary_workspace.as_deref().unwrap_or("(not chosen)")
                );
                println!("refresh: every {} s", p.refresh_secs());
                match &status {
                    Ok(list) => {
                        for (k, s) in list {
                            println!("secret {k}: {}", s.label());
                        }
                    }
                    Err(e) => println!("secrets: unknown — {e}"),
                }
            }
            if status.is_err() {
                return Ok(ExitCode::from(1));
            }
        }
        ProfileCmd::Remove { name } => {
            m.get(&name)?;
            let status = m.keyring.status(&name)?;
            let set: Vec<&str> = status
                .iter()
                .filter(|(_, s)| s.is_set())
                .map(|(k, _)| k.as_str())
                .collect();
            if set.is_empty() {
                println!("profile {name} has no keyring entries");
            } else {
                println!(
                    "deleting the keyring entries of profile {name}: {} (service {SERVICE})",
                    set.join(", ")
                );
            }
            let removed = m.remove(&name)?;
            for k in &removed.deleted_secrets {
                println!("deleted keyring entry {name}:{k}");
            }
            println!("profile {name} removed from {}", m.config.path().display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a secret from stdin: hidden when it is a terminal; otherwise all
/// of stdin with one trailing newline dropped.
fn read_secret_from_stdin(profile: &str, key: SecretKey) -> anyhow::Result<String> {
    use std::io::{IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        eprint!("{key} for profile {profile} (input hidden, Enter to finish): ");
        let v = rpassword::read_password().context("cannot read from the terminal")?;
        return Ok(v);
    }
    let mut v = String::new();
    std::io::stdin()
        .read_to_string(&mut v)
        .context("cannot read the secret from stdin (is it UTF-8?)")?;
    if v.ends_with('\n') {
        v.pop();
        if v.ends_with('\r') {
            v.pop();
        }
    }
    Ok(v)
}

fn run_secrets(m: &ProfileManager, cmd: SecretsCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        SecretsCmd::Set { profile, key } => {
            m.get(&profile)?;
            m.keyring.availability()?;
            let raw = read_secret_from_stdin(&profile, key)?;
            let warnings = m.set_secret(&profile, key, &raw)?;
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            println!("{key} of profile {profile} stored in the OS keyring (read back and checked)");
        }
        SecretsCmd::List { profile, json } => {
            let status = m.secret_status(&profile)?;
            if json {
                let map: serde_json::Map<String, serde_json::Value> = status
                    .iter()
                    .map(|(k, s)| (k.as_str().to_owned(), serde_json::json!(s.word())))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&map)?);
            } else {
                for (k, s) in &status {
                    println!("{k} {}", s.word());
                }
            }
        }
        SecretsCmd::Delete { profile, key } => {
            if m.delete_secret(&profile, key)? {
                println!("{key} of profile {profile} deleted from the OS keyring");
            } else {
                println!("{key} of profile {profile} was not set; nothing to delete");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_test_connection(m: &ProfileManager, args: &TestConnectionArgs) -> anyhow::Result<ExitCode> {
    let results = m.test_all(&args.profile)?;
    let failed = results.iter().any(|r| r.outcome == Outcome::Failed);
    if args.json {
        let out = serde_json::json!({ "profile": args.profile, "ok": !failed, "results": results });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for r in &results {
            let o = match r.outcome {
                Outcome::Ok => "ok",
                Outcome::Failed => "FAILED",
                Outcome::Skipped => "skipped",
            };
            println!("{:<20} {:<8} {}", r.key.as_str(), o, r.detail);
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_gui(paths: &Paths, args: &GuiArgs) -> anyhow::Result<ExitCode> {
    let launcher = crate::app::Launcher {
        paths: paths.clone(),
        manager: manager(paths),
        clock: Arc::new(SystemClock),
        read_timeout: Duration::from_secs(15),
        auto_refresh: true,
        refresh_override: args.refresh_secs,
    };
    // A malformed profiles file must not keep the panel from opening: the
    // demo opens and the window says what is wrong with the file.
    let file = match launcher.manager.config.load() {
        Ok(loaded) => {
            for w in &loaded.warnings {
                tracing::warn!("{w}");
            }
            Some(loaded.file)
        }
        Err(e) if args.profile.is_none() => {
            tracing::warn!("{e}; opening the demo");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let name = match (&args.profile, &file) {
        (Some(n), _) if n == DEMO_PROFILE => n.clone(),
        (Some(n), Some(f)) => {
            f.get(n).map_err(anyhow::Error::msg)?;
            n.clone()
        }
        (_, Some(f)) => f.startup_profile(),
        (_, None) => DEMO_PROFILE.to_owned(),
    };
    // Without a usable keyring a profile cannot connect: open the demo and say
    // why (unless the profile was asked for by name).
    let mut notice = None;
    let name = match launcher.manager.keyring.availability() {
        Err(e) if args.profile.is_none() && name != DEMO_PROFILE => {
            let text = format!("opened the demo instead of profile {name}: {e}");
            tracing::warn!("{text}");
            notice = Some(text);
            DEMO_PROFILE.to_owned()
        }
        _ => name,
    };
    if let Some(crash) = crate::diagnostics::LAST_CRASH.get() {
        notice = Some(match notice {
            Some(n) => format!("{n}; {crash}"),
            None => crash.clone(),
        });
    }
    // One window per profile: a second one is refused before it opens.
    let instance = crate::instance::lock(paths, &name).map_err(anyhow::Error::msg)?;
    let profile = file.as_ref().and_then(|f| f.profiles.get(&name));
    tracing::info!("opening profile {name}");
    let config = launcher.config_for(&name, profile);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("rollout-panel")
        .with_app_id(crate::desktop::APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([900.0, 560.0]);
    if let Some(icon) = crate::desktop::window_icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        persistence_path: Some(paths.data_dir.join("ui-state.ron")),
        ..Default::default()
    };
    eframe::run_native(
        "rollout-panel",
        options,
        Box::new(move |cc| {
            Ok(Box::new(
                crate::app::App::new(cc, config, Some(launcher))
                    .with_notice(notice)
                    .with_instance_lock(instance),
            ))
        }),
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
