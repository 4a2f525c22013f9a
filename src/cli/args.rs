//! The command line's arguments (clap): every subcommand, flag and default.
//! Scripts depend on them: add, never rename.

use crate::core::lever::LeverKind;
use crate::core::readiness::JudgeStage;
use crate::core::secret::SecretKey;
use crate::demo::DemoStage;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The default seed of a new demo world.
pub const DEFAULT_DEMO_SEED: u64 = crate::demo::DEFAULT_SEED;

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
    /// This operator's signing identity (the shared audit's trust).
    #[command(subcommand)]
    Operator(OperatorCmd),
    /// The canary's guard: arm, disarm, or show it. Armed, a panel open on
    /// the profile rolls the canary back itself when a rule holds.
    Guard(GuardArgs),
    /// Watch a profile without a window: the same polls, alarms, verdict,
    /// notifications and guard; one line a minute; SIGTERM ends it cleanly.
    Watch(WatchArgs),
    /// Revision metrics per workspace, the canary verdict and the alarms.
    Metrics(MetricsArgs),
    /// The revision path's errors from production's runtime logs, per
    /// minute and workspace. Exit 0 = reading, 1 = limited, 2 = blind.
    Logs(LogsArgs),
    /// Export a reproducible sample of revised drafts as CSV (runbook step 6).
    Export(ExportArgs),
    /// Write the rollout record: `DIR/rollout-record.md` under the runbook's
    /// headings, with its plots as SVG and PNG (no draft content, no secret).
    Record(RecordArgs),
    /// Incident drills on the demo world: list them, or run one and print
    /// its score when it ends (act in the window meanwhile).
    #[command(subcommand)]
    Drill(DrillCmd),
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
    /// Where to write the CSV or workbook (`-` = standard output). Written atomically.
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
    /// The window's end, RFC 3339 (default: now). With `--seed`, the same rows
    /// come back later even while new drafts arrive.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// One workspace (id or exact name).
    #[arg(long, value_name = "W")]
    pub workspace: Option<String>,
    /// The file format (default: from the file name — `.xlsx` is a workbook,
    /// anything else CSV).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
}

/// `record`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// The profile.
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// From this audited action on (its id, or at least its first 8 characters).
    #[arg(long, value_name = "ACTION_ID", conflicts_with = "since")]
    pub from: Option<String>,
    /// How far back (m, h or d; default 48h).
    #[arg(long, value_name = "WINDOW")]
    pub since: Option<String>,
    /// The directory to write into (created if missing; files in it with the
    /// record's names are replaced, each atomically).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The record's time, RFC 3339 (default: now): the same time and data
    /// give the same bytes.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// `export --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// RFC 4180 CSV (formula triggers neutralised).
    Csv,
    /// An Excel workbook: every text cell a string cell, byte for byte.
    Xlsx,
}

/// `logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// The profile.
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// How far back the minutes go: a whole number and m, h or d. The
    /// stream has no time range: older minutes are only what it replays.
    #[arg(long, default_value = "30m")]
    pub since: String,
    /// Keep reading and print the counts every minute until interrupted
    /// (SIGINT/SIGTERM end it with exit 0).
    #[arg(long)]
    pub follow: bool,
    /// Print JSON (with `--follow`, one object per line).
    #[arg(long)]
    pub json: bool,
    /// Without `--follow`: how long to read before printing, in seconds.
    #[arg(long, default_value_t = 10, value_name = "S")]
    pub read_secs: u64,
    /// With `--follow`: seconds between prints.
    #[arg(long, default_value_t = 60, value_name = "S")]
    pub every_secs: u64,
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
    /// How long to read the production runtime logs for `runtime_logs` and
    /// its alarm, in seconds (0: not read; the demo's are read at once).
    #[arg(long, default_value_t = 5, value_name = "S")]
    pub logs_secs: u64,
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
    /// The workspaces of an expansion (ids or exact names, comma-separated).
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    pub workspaces: Vec<String>,
    /// Why (goes to the audit log).
    #[arg(long)]
    pub reason: String,
    /// Do not ask on the terminal (then --confirm must carry the guard word).
    #[arg(long)]
    pub yes: bool,
    /// The guard word with --yes: the workspace name, DISABLE, ENABLE or EXPAND.
    #[arg(long, value_name = "WORD")]
    pub confirm: Option<String>,
    /// Go on although an overridable precondition fails (another canary on, readiness failures;
    /// for an expansion: the verdict, the watch time, the alarms).
    #[arg(long = "override")]
    pub override_preconditions: bool,
    /// Under a profile's `approvals = true`: ask every panel on the database
    /// for a second operator's approval of this plan instead of running it
    /// (run the same command again without it once approved).
    #[arg(long)]
    pub request_approval: bool,
    /// canary-enable: arm the canary's guard too (an audited action, before
    /// the canary runs).
    #[arg(long)]
    pub guard: bool,
    /// Finish the interrupted action ACTION (its id, or the first 8 characters,
    /// as `audit` shows it) of this same lever: plans again from what is true
    /// now and does only what is left, or closes it as done when nothing is.
    #[arg(long, value_name = "ACTION")]
    pub finish: Option<String>,
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
    /// Revision on for several workspaces (--workspaces A,B,C) after a clean
    /// watch; off = revision off again for them (the expansion's rollback).
    Expansion,
}

impl From<LeverArg> for LeverKind {
    fn from(l: LeverArg) -> Self {
        match l {
            LeverArg::CanaryEnable => LeverKind::CanaryEnable,
            LeverArg::WorkspaceRollback => LeverKind::WorkspaceRollback,
            LeverArg::RevisionKillSwitch => LeverKind::RevisionKillSwitch,
            LeverArg::AutoSendKillSwitch => LeverKind::AutoSendKillSwitch,
            LeverArg::Expansion => LeverKind::Expansion,
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
    /// Check every row of the shared audit table: signed by a key of the
    /// team's roster, in its writer's chain, unaltered, not dated ahead, an
    /// id the table issued. Prints each row that fails and why. Exit 0 =
    /// every row verifies, 1 = some do not, 2 = the table cannot be read.
    Verify {
        /// The profile.
        #[arg(long, value_name = "NAME")]
        profile: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set the team's approvals policy, a signed entry in the shared table
    /// that every panel on the database follows (instead of each profile's
    /// `approvals`). `on` takes one operator; `off` takes two: the first
    /// proposes it, a second runs the same with `--seconds ACTION_ID`.
    Policy {
        /// The profile.
        #[arg(long, value_name = "NAME")]
        profile: String,
        /// Approvals on or off.
        #[arg(long, value_enum)]
        approvals: OnOff,
        /// The proposal to turn approvals off that this co-signs.
        #[arg(long, value_name = "ACTION_ID")]
        seconds: Option<String>,
        /// Why (it goes to the audit log).
        #[arg(long)]
        reason: String,
    },
}

/// `guard`.
#[derive(Debug, clap::Args)]
pub struct GuardArgs {
    /// arm, disarm or status.
    #[arg(value_enum)]
    pub action: GuardAction,
    /// The profile.
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// arm: a dry run (it records what it would roll back, writes nothing).
    #[arg(long)]
    pub dry_run: bool,
    /// arm: not a dry run, even when the profile's `guard.dry_run` is set.
    #[arg(long, conflicts_with = "dry_run")]
    pub no_dry_run: bool,
    /// arm, disarm: why (it goes to the audit log).
    #[arg(long)]
    pub reason: Option<String>,
    /// status: print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `drill`.
#[derive(Debug, Subcommand)]
pub enum DrillCmd {
    /// Every drill: its number, what it injects, the lever it expects and
    /// the levels too small and too big.
    List {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run drill N on the demo world: its fault starts at a random minute
    /// within the window; the score is printed when the drill ends (the
    /// expected lever verified, or its time out) or is abandoned (Ctrl-C,
    /// SIGTERM).
    Run {
        /// The drill's number (`drill list`).
        number: u8,
        /// The window its fault falls in (m or h).
        #[arg(long, default_value = "10m")]
        within: String,
        /// The profile: drills run on `demo` only.
        #[arg(long, value_name = "NAME", default_value = "demo")]
        profile: String,
        /// Run the demo world's clock this many times as fast (1 to 60, e.g.
        /// 4); back to 1 when the drill ends.
        #[arg(long, value_name = "N", value_parser = crate::core::demo_clock::parse_speed)]
        speed: Option<f64>,
        /// Print the score as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The profile (`demo` = the rehearsal world).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// Seconds between reads (default: the profile's `refresh_secs`).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub refresh_secs: Option<u64>,
    /// Seconds between status lines (default 60).
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub line_secs: u64,
    /// No desktop notifications (the log and the terminal still say it).
    #[arg(long)]
    pub no_notifications: bool,
}

/// What `guard` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GuardAction {
    /// Arm the guard.
    Arm,
    /// Disarm it.
    Disarm,
    /// Show whether it is armed, by whom, since when, and its rules.
    Status,
}

/// `operator` subcommands.
#[derive(Debug, Subcommand)]
pub enum OperatorCmd {
    /// Print this operator's public key (made in the OS keyring on first
    /// use), as a line for the team file: `NAME ed25519:KEY`.
    Key {
        /// The name to print with it (default: user@host).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
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
    /// Check the hand-edited profiles file: exit 0 = fine, 1 = something to
    /// fix (each value that is ignored, or unknown key, with its line),
    /// 2 = it cannot be read or parsed.
    Check,
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
    /// Run the demo world's clock this many times as fast (1 to 60, e.g. 4),
    /// to rehearse a long watch in a short time; on the demo profile only.
    #[arg(long, value_name = "N", value_parser = crate::core::demo_clock::parse_speed)]
    pub speed: Option<f64>,
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
    /// A Vercel Instant Rollback: pin demo production to the READY build
    /// before the one serving (its old env comes back; new builds do not serve).
    InstantRollback,
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

/// The faults a rehearsal can inject (`demo fault NAME`).
pub use crate::demo::FaultSwitch as FaultName;
