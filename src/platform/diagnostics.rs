//! Logs and crash reports: `tracing` to stderr and to a daily-rotated file in
//! the data dir; a panic hook that writes a crash report (version, OS, the
//! panic message and place, a backtrace with the home directory replaced by
//! `~`, the last log lines) to the data dir — never uploaded — and the next
//! start says where it is.

use crate::platform::paths::Paths;
use std::path::{Path, PathBuf};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What the panel says at start when it crashed last time (set once by `main`).
pub static LAST_CRASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Silences sqlx's "ignoring unrecognized connect parameter" warning, which
/// carries the parameter's value (sqlx-postgres `options/parse.rs`).
pub const QUIET_SQLX_PARAMS: &str = "sqlx_postgres::options::parse=off";

/// The log files' name prefix (`rollout-panel.log.YYYY-MM-DD`).
pub const LOG_PREFIX: &str = "rollout-panel.log";

/// Starts logging to stderr and, when the log folder can be made, to a
/// daily-rotated file there. The file is written as each line is logged (not
/// buffered on a thread), so a crash report's last lines are really the last.
pub fn init_logging(paths: Option<&Paths>, level: &str) {
    let filter = || {
        EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(level))
            .unwrap_or_else(|_| EnvFilter::new("info"))
            // sqlx warns about a connect parameter it does not know with
            // its value (`sslpassword=…`): never logged, whatever the level.
            .add_directive(QUIET_SQLX_PARAMS.parse().unwrap_or_default())
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let file = paths.and_then(|p| {
        crate::platform::private::private_dir(&p.log_dir()).ok()?;
        Some(tracing_appender::rolling::daily(p.log_dir(), LOG_PREFIX))
    });
    match file {
        Some(writer) => {
            let file_layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            tracing_subscriber::registry()
                .with(stderr)
                .with(file_layer)
                .init();
        }
        None => tracing_subscriber::registry().with(stderr).init(),
    }
}

/// The newest log file, if any.
pub fn newest_log(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(LOG_PREFIX))
        })
        .max()
}

/// The last `n` lines of a file.
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Replaces the home directory with `~` (crash reports get attached to
/// incidents; a user name in a path is nobody else's business).
pub fn anonymise(text: &str) -> String {
    match std::env::var("HOME") {
        Ok(home) if home.len() > 1 => text.replace(&home, "~"),
        _ => text.to_owned(),
    }
}

/// Installs the panic hook: the report goes to `paths.crash_dir()`, and the
/// default hook still prints the panic.
pub fn install_crash_reporter(paths: &Paths) {
    let crash_dir = paths.crash_dir();
    let log_dir = paths.log_dir();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let report = crash_report(info, &log_dir);
        let written = crate::platform::private::private_dir(&crash_dir).and_then(|()| {
            let name = format!(
                "crash-{}-{}.txt",
                chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
                std::process::id()
            );
            let path = crash_dir.join(name);
            crate::platform::private::write_private(&path, report.as_bytes()).map(|()| path)
        });
        default(info);
        match written {
            Ok(path) => eprintln!(
                "rollout-panel crashed; a report is at {} (nothing was sent anywhere)",
                anonymise(&path.display().to_string())
            ),
            Err(e) => {
                eprintln!("rollout-panel crashed and the crash report could not be written: {e}")
            }
        }
    }));
}

fn crash_report(info: &std::panic::PanicHookInfo<'_>, log_dir: &Path) -> String {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_owned());
    let place = info
        .location()
        .map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
    let backtrace = std::backtrace::Backtrace::force_capture();
    let logs = newest_log(log_dir).map_or_else(|| "(no log file)".to_owned(), |p| tail(&p, 40));
    let text = format!(
        "rollout-panel crash report\n\
         version: {} ({})\n\
         os: {} {}\n\
         time: {}\n\
         thread: {}\n\
         panic: {message}\n\
         at: {place}\n\n\
         backtrace:\n{backtrace}\n\n\
         last log lines:\n{logs}\n",
        env!("CARGO_PKG_VERSION"),
        option_env!("ROLLOUT_PANEL_GIT_HASH").unwrap_or("git hash unknown"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        chrono::Utc::now().to_rfc3339(),
        std::thread::current().name().unwrap_or("unnamed"),
    );
    crate::adapters::store::redact_urls(&anonymise(&text))
}

/// Says once, at start, that the panel crashed last time and where the report is.
pub fn announce_crash_reports(paths: &Paths) {
    let new = untold_crash_reports(paths);
    if let Some(newest) = new.last() {
        let text = format!(
            "the panel crashed last time; the crash report is at {} ({} new report(s); nothing was sent anywhere)",
            newest.display(),
            new.len()
        );
        tracing::warn!("{text}");
        let _ = LAST_CRASH.set(text);
    }
}

/// Crash reports not mentioned yet; marks them as told.
pub fn untold_crash_reports(paths: &Paths) -> Vec<PathBuf> {
    let dir = paths.crash_dir();
    let marker = dir.join(".told");
    let told: Vec<String> = std::fs::read_to_string(&marker)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut new: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| !told.contains(&n.to_string_lossy().into_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    new.sort();
    if !new.is_empty() {
        let mut all = told;
        all.extend(
            new.iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())),
        );
        if let Err(e) = std::fs::write(&marker, all.join("\n")) {
            tracing::warn!("cannot remember the crash reports already shown: {e}");
        }
    }
    new
}
