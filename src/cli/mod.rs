//! The command line: subcommands for headless use (the window itself is
//! `gui::run`). Each subcommand computes a report over the
//! same `ops` functions the window uses; [`print`] renders it as text or JSON.
//!
//! Exit codes: 0 success, 1 the command failed (the message says why), 2 usage error.

/// `println!` for text from outside: control characters and
/// bidirectional overrides in the data print escaped
/// ([`crate::core::text::terminal`]).
macro_rules! say {
    () => { println!() };
    ($($t:tt)*) => { println!("{}", $crate::core::text::terminal(&format!($($t)*))) };
}

/// `eprintln!` the same way.
macro_rules! esay {
    ($($t:tt)*) => { eprintln!("{}", $crate::core::text::terminal(&format!($($t)*))) };
}

pub mod args;
mod audit;
mod check;
mod demo;
mod drill;
mod lever;
mod logs;
mod metrics;
mod print;
mod profile;
mod record;
mod watch;

pub use args::*;

use crate::adapters::clock::SystemClock;
use crate::adapters::config::ConfigStore;
use crate::adapters::secrets::Keyring;
use crate::ops::profiles::ProfileManager;
use crate::ops::session::{Session, SessionOptions, Target};
use crate::platform::paths::Paths;
use anyhow::{Context, bail};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How long the command line waits for a connect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs a subcommand (`gui` is the window's: `main` hands it to `gui::run`).
pub fn run(paths: &Paths, command: Cmd) -> anyhow::Result<ExitCode> {
    match command {
        Cmd::Gui(_) => bail!("the window is opened by `rollout-panel gui`"),
        Cmd::Demo(args) => demo::run_demo(paths, args),
        Cmd::Profile(cmd) => profile::run_profile(&manager(paths), cmd),
        Cmd::Secrets(cmd) => profile::run_secrets(&manager(paths), cmd),
        Cmd::TestConnection(args) => profile::run_test_connection(&manager(paths), &args),
        Cmd::Lever(args) => lever::run_lever(paths, &args),
        Cmd::Audit(args) => audit::run_audit(paths, &args),
        Cmd::Operator(cmd) => audit::run_operator(&cmd),
        Cmd::Guard(args) => audit::run_guard(paths, &args),
        Cmd::Watch(args) => watch::run_watch(paths, &args),
        Cmd::Metrics(args) => metrics::run_metrics(paths, &args),
        Cmd::Logs(args) => logs::run_logs(paths, &args),
        Cmd::Export(args) => metrics::run_export(paths, &args),
        Cmd::Record(args) => record::run_record(paths, &args),
        Cmd::Drill(cmd) => drill::run_drill(paths, &cmd),
        Cmd::DebugPanic => {
            tracing::info!("about to panic on purpose");
            panic!("a panic on purpose (rollout-panel debug-panic)")
        }
        Cmd::Check(args) => Ok(check::run_check(paths, &args).unwrap_or_else(|e| {
            // A check that cannot even start is a failure (2), not "warnings only".
            esay!("error: {e:#}");
            ExitCode::from(2)
        })),
    }
}

/// One async runtime for one command.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The profiles file and the OS keyring.
pub fn manager(paths: &Paths) -> ProfileManager {
    ProfileManager {
        config: ConfigStore::new(&paths.config_dir),
        keyring: Keyring::native(),
    }
}

/// A session on a profile by name (`demo` = the rehearsal world).
fn session(paths: &Paths, profile: &str) -> anyhow::Result<Session> {
    let target = Target::resolve(paths, &manager(paths), profile)?;
    // On the demo the world's clock, followed (a drill may run it faster).
    let clock = target.clock(Arc::new(SystemClock), None);
    Ok(Session::open(
        target,
        SessionOptions::new(paths, clock, CONNECT_TIMEOUT),
    ))
}

/// A flag's RFC 3339 time (`--until`, `--at`) as UTC, or a clear error.
pub(crate) fn rfc3339_flag(
    flag: &str,
    text: Option<&str>,
) -> anyhow::Result<Option<crate::core::time::UtcNaive>> {
    text.map(|t| {
        chrono::DateTime::parse_from_rfc3339(t.trim())
            .map(|t| t.naive_utc())
            .map_err(|e| {
                anyhow::anyhow!(
                    "{flag} {t:?} is not an RFC 3339 time ({e}), e.g. 2026-12-01T13:00:00Z"
                )
            })
    })
    .transpose()
}
