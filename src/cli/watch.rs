//! `rollout-panel watch --profile P` (issue 29): the window's worker without
//! the window. The same polls, alarms, verdict, desktop notifications and
//! guard (which acts only while it holds the guard's lock, when the profile
//! has a shared table); one status line a minute on stdout, every guard
//! event at once; SIGTERM or Ctrl-C ends it cleanly — a rollback the guard
//! has running is let finish first (bounded).

use super::args::WatchArgs;
use crate::adapters::clock::{Clock, SystemClock};
use crate::core::guard::{Duty, Look};
use crate::core::time::UtcNaive;
use crate::gui::alerts::Alerts;
use crate::gui::panels::metrics::{VerdictPrefs, snapshot_verdict};
use crate::platform::notify::Desktop;
use crate::platform::paths::Paths;
use crate::worker::guard::GUARD_RUNS;
use crate::worker::{Event, Snapshot, Target, WorkerConfig, WorkerHandle};
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// The deadline of every read (the window's).
const READ_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a stop waits for a guard rollback under way to end.
const STOP_WAIT: Duration = Duration::from_secs(90);

/// What wakes the watcher's loop.
enum Wake {
    /// The worker has news.
    Worker,
    /// A signal asks it to stop.
    Stop(&'static str),
}

/// Runs until SIGTERM/SIGINT; exit 0 on a clean stop, 1 when the worker
/// died.
pub(super) fn run_watch(paths: &Paths, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    // Before its threads start: a long-running watcher keeps a small footprint.
    crate::platform::memory::one_malloc_arena();
    let target = Target::resolve(paths, &super::manager(paths), &args.profile)?;
    let every = args
        .refresh_secs
        .unwrap_or_else(|| target.refresh_secs())
        .clamp(1, crate::core::profile::MAX_REFRESH_SECS);
    let notifications = target.notifications() && !args.no_notifications;
    let config = WorkerConfig {
        // On the demo, the world's clock, followed.
        clock: target.clock(Arc::new(SystemClock), None),
        target,
        auto_refresh: Some(Duration::from_secs(every)),
        read_timeout: READ_TIMEOUT,
        audit_path: Some(crate::adapters::audit::AuditLog::path_in(&paths.data_dir)),
        waits: crate::ops::levers::Waits::default(),
    };
    let (wake_tx, wake_rx) = mpsc::channel::<Wake>();
    listen_for_stop(wake_tx.clone(), Wake::Stop)?;
    let worker_wake = wake_tx.clone();
    let clock = Arc::clone(&config.clock);
    let worker = WorkerHandle::spawn(config, move || {
        let _ = worker_wake.send(Wake::Worker);
    });
    let mut alerts = Alerts::switched(notifications);
    if notifications {
        alerts.set_desktop(Desktop::spawn(Arc::new(|| {})));
    }
    say!(
        "watching profile {} every {every} s (one line every {} s; SIGTERM or Ctrl-C stops)",
        args.profile,
        args.line_secs
    );
    let mut watch = Watch {
        clock,
        profile: args.profile.clone(),
        alerts,
        snapshot: None,
        guard_runs: BTreeSet::new(),
    };
    let line_every = Duration::from_secs(args.line_secs);
    let mut next_line: Option<Instant> = None;
    let stopped_by = loop {
        let wait = next_line.map_or(line_every, |t| t.saturating_duration_since(Instant::now()));
        match wake_rx.recv_timeout(wait) {
            Ok(Wake::Stop(signal)) => break Some(signal),
            Ok(Wake::Worker) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
        }
        if !watch.drain(&worker) {
            esay!("error: the worker stopped; nothing is watched any more (the log has why)");
            return Ok(ExitCode::from(1));
        }
        if watch.snapshot.is_some() && next_line.is_none_or(|t| Instant::now() >= t) {
            watch.line();
            next_line = Some(Instant::now() + line_every);
        }
    };
    let signal = stopped_by.unwrap_or("the end of its input");
    if !watch.guard_runs.is_empty() {
        say!(
            "{signal}: a rollback by the guard is running; waiting up to {} s for it to end",
            STOP_WAIT.as_secs()
        );
        let deadline = Instant::now() + STOP_WAIT;
        while !watch.guard_runs.is_empty() && Instant::now() < deadline {
            let _ = wake_rx.recv_timeout(Duration::from_millis(200));
            if !watch.drain(&worker) {
                break;
            }
        }
        if !watch.guard_runs.is_empty() {
            esay!(
                "warning: the guard's rollback had not ended after {} s; the audit shows it UNFINISHED until a panel closes it",
                STOP_WAIT.as_secs()
            );
        }
    }
    // Dropping the handle ends the worker (its session and the guard's lock
    // with it: the lock moves to the next panel that asks).
    drop(worker);
    say!("watch stopped ({signal})");
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM and SIGINT become `stop(signal)` on `tx` (the watcher's
/// [`Wake::Stop`]), on a thread of their own.
pub(super) fn listen_for_stop<T: Send + 'static>(
    tx: mpsc::Sender<T>,
    stop: fn(&'static str) -> T,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    #[cfg(unix)]
    let mut term = {
        let _guard = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?
    };
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                #[cfg(unix)]
                let signal = tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = tokio::signal::ctrl_c() => "SIGINT",
                };
                #[cfg(not(unix))]
                let signal = match tokio::signal::ctrl_c().await {
                    _ => "Ctrl-C",
                };
                let _ = tx.send(stop(signal));
            });
        })?;
    Ok(())
}

/// The watcher's view of the worker.
struct Watch {
    /// The worker's clock (the demo world's on the demo).
    clock: Arc<dyn Clock>,
    profile: String,
    alerts: Alerts,
    snapshot: Option<Arc<Snapshot>>,
    /// The guard's lever runs started and not yet ended.
    guard_runs: BTreeSet<u64>,
}

impl Watch {
    /// Takes every waiting event; `false` when the worker is gone.
    fn drain(&mut self, worker: &WorkerHandle) -> bool {
        loop {
            match worker.try_recv() {
                Ok(Some(event)) => self.event(event),
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }

    fn event(&mut self, event: Event) {
        let now = self.clock.now();
        match event {
            Event::Snapshot(snap) => {
                self.alerts.snapshot(&snap, VerdictPrefs::default(), now);
                self.snapshot = Some(snap);
            }
            Event::Guard { title, body } => {
                say!("{} guard: {title}: {body}", stamp(now));
                self.alerts.guard(title, body);
            }
            Event::LeverStep { run, .. } if run >= GUARD_RUNS && self.guard_runs.insert(run) => {
                say!("{} guard: a rollback started (run {run})", stamp(now));
            }
            Event::LeverDone { run, result } if run >= GUARD_RUNS => {
                self.guard_runs.remove(&run);
                match result {
                    Ok(report) => say!(
                        "{} guard: the rollback ended {} (action {}, {} steps{})",
                        stamp(now),
                        if report.ok {
                            "verified"
                        } else {
                            "NOT verified"
                        },
                        crate::adapters::audit::short_id(&report.action_id),
                        report.steps.len(),
                        if report.audit_failures.is_empty() {
                            String::new()
                        } else {
                            format!("; audit rows missing: {}", report.audit_failures.join("; "))
                        }
                    ),
                    Err(e) => say!("{} guard: the rollback could not run: {e}", stamp(now)),
                }
            }
            _ => {}
        }
    }

    /// The status line.
    fn line(&self) {
        let Some(s) = &self.snapshot else { return };
        let now = self.clock.now();
        say!("{} {}", stamp(now), status_line(&self.profile, s, now));
    }
}

fn stamp(now: UtcNaive) -> String {
    now.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One line of what the watcher sees: the database, the canary, the
/// verdict, the alarms and the guard.
pub fn status_line(profile: &str, s: &Snapshot, now: UtcNaive) -> String {
    let db = match (&s.db.error, s.db.last_ok) {
        (Some(e), Some(ok)) => format!(
            "db FAILING ({e}; last read {} s ago)",
            (now - ok).num_seconds()
        ),
        (Some(e), None) => format!("db FAILING ({e})"),
        (None, Some(ok)) => format!("db ok {} s ago", (now - ok).num_seconds().max(0)),
        (None, None) => "db not read yet".to_owned(),
    };
    let canary: Vec<&str> = s.enabled_workspaces().map(|w| w.name.as_str()).collect();
    let canary = if canary.is_empty() {
        "no canary".to_owned()
    } else {
        format!("canary {}", canary.join(", "))
    };
    let verdict =
        snapshot_verdict(s, VerdictPrefs::default()).map_or("verdict pending", |v| v.state.label());
    let g = &s.guard;
    let guard = match &g.arming {
        None => "guard not armed".to_owned(),
        Some(a) => {
            let who = match &g.duty {
                Some(Duty::Solo) => "acting alone".to_owned(),
                Some(Duty::Acting) => "acting (holds the lock)".to_owned(),
                Some(Duty::Watching { host, .. }) => format!(
                    "watching (the guard is on {})",
                    host.as_deref().unwrap_or("an unknown host")
                ),
                Some(Duty::Unknown { why }) => format!("not acting ({why})"),
                None => "starting".to_owned(),
            };
            let look = match &g.look {
                Some(Look::Idle) => "idle".to_owned(),
                Some(Look::Quiet) => "quiet".to_owned(),
                Some(Look::Blind { why, .. }) => format!("BLIND: {why}"),
                Some(Look::Holding { finding, .. }) => {
                    format!("rule {} holds once", finding.rule.id())
                }
                Some(Look::Fire { finding, .. }) => format!("rule {} FIRED", finding.rule.id()),
                None => "not looked yet".to_owned(),
            };
            let down = g
                .down
                .as_ref()
                .map(|d| format!(" · GUARD DOWN since {}", d.since.format("%H:%M")))
                .unwrap_or_default();
            format!(
                "guard{} armed by {}, {who}, {look}{down}",
                if a.dry_run { " (dry run)" } else { "" },
                a.by
            )
        }
    };
    format!(
        "{profile}: {db} · {canary} · {verdict} · alarms {} · {guard}",
        s.alarms.len()
    )
}
