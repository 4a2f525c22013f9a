//! The worker: a thread that owns a tokio runtime and all IO.
//!
//! The UI sends [`Request`]s and never waits; the worker answers with
//! [`Event`]s and wakes the UI with `request_repaint`. Every read has a
//! deadline, so a slow or dead database shows up as an error with the data's
//! age, never as a frozen window.

use crate::adapters::audit::{AuditLog, EntryStatus, SharedAudit};
use crate::adapters::clock::Clock;
use crate::adapters::secrets::Keyring;
use crate::adapters::store::PgStore;
use crate::adapters::store::Store;
use crate::adapters::vercel::VercelClient;
use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, EnvSnapshot, FlagState};
use crate::core::lever::Plan;
use crate::core::metrics::RevisionSeries;
use crate::core::profile::{DEMO_PROFILE, Profile};
use crate::core::runbook::Stage;
use crate::core::schema::SchemaReport;
use crate::core::secret::SecretKey;
use crate::core::time::UtcNaive;
use crate::core::workspace::{RevisionCounts, Workspace};
use crate::demo::{DemoStage, DemoWorld, Simulator};
use crate::levers::{
    DemoTarget, ProductionTarget, RunContext, RunReport, StepReport, Waits, run_plan,
};
use chrono::Duration as ChronoDuration;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the worker connects to.
#[derive(Clone, Debug)]
pub enum Target {
    /// The embedded rehearsal world.
    Demo {
        /// The SQLite file (created and seeded when missing).
        db_path: PathBuf,
        /// Where a new world's history leaves the runbook.
        stage: DemoStage,
        /// Seed of a new world and of the simulator.
        seed: u64,
    },
    /// A configured profile: its database URL is read from the keyring at
    /// connect (the UI never holds it).
    Profile {
        /// The profile's name.
        name: String,
        /// Its settings.
        profile: Profile,
        /// Where its secrets are.
        keyring: Keyring,
    },
}

impl Target {
    /// The profile name shown in the top bar.
    pub fn profile_name(&self) -> &str {
        match self {
            Self::Demo { .. } => DEMO_PROFILE,
            Self::Profile { name, .. } => name,
        }
    }
}

/// How the worker runs.
#[derive(Clone)]
pub struct WorkerConfig {
    /// What to connect to.
    pub target: Target,
    /// The clock (tests drive it by hand).
    pub clock: Arc<dyn Clock>,
    /// Refresh on its own this often; `None` = only on request (tests).
    pub auto_refresh: Option<Duration>,
    /// The deadline of every database or env read.
    pub read_timeout: Duration,
    /// The local audit log to show (`None` = none).
    pub audit_path: Option<PathBuf>,
    /// How lever runs wait for a redeploy.
    pub waits: Waits,
}

/// A request from the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Read everything now (in demo mode, first let the simulated app run up to now).
    Refresh,
    /// Read everything and run the readiness checklist now.
    Recheck,
    /// Run a confirmed lever plan in the background; refreshes go on meanwhile.
    RunLever(Box<LeverRun>),
    /// End an interrupted action (an intent without a result) without
    /// changing anything, with the operator's note and the state they saw.
    CloseUnfinished {
        /// The interrupted action.
        action_id: String,
        /// `Abandoned` (given up) or `Ok` (found already done).
        status: EntryStatus,
        /// Why, for the audit log.
        note: String,
    },
    /// Draw a sample of revised drafts (the Drafts tab).
    DrawSample(crate::export::SampleRequest),
    /// Record a finished export in the audit log (who, what, how many, where;
    /// never the content).
    RecordExport {
        /// One line.
        summary: String,
        /// Rows, seed, window, file.
        detail: serde_json::Value,
        /// Whether it was written.
        ok: bool,
    },
}

/// A confirmed lever, as the UI hands it to the worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeverRun {
    /// The UI's number for this run (progress events carry it).
    pub run: u64,
    /// The plan the operator confirmed (its before values are what they saw).
    pub plan: Plan,
    /// Why (the audit log's reason).
    pub reason: String,
    /// An interrupted action this run finishes: it gets a result pointing
    /// here once this run ends.
    pub finishes: Option<String>,
}

/// How often the admin page's exact 72-hour counts are read again.
pub const COUNTS_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// How often the readiness checklist runs on its own.
pub const RECHECK_EVERY: chrono::Duration = chrono::Duration::seconds(60);
/// The longest a readiness check may take (Vercel calls, the URL probe).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// A message from the worker.
#[derive(Clone, Debug)]
pub enum Event {
    /// A read started (the UI shows a spinner).
    RefreshStarted,
    /// A read finished; the new state of everything.
    Snapshot(Arc<Snapshot>),
    /// A lever run's step moved (running, done or failed).
    LeverStep {
        /// The UI's run number.
        run: u64,
        /// The step.
        step: StepReport,
    },
    /// A sample was drawn (or could not be).
    Sample(Result<Arc<crate::export::Sample>, String>),
    /// A lever run ended; `Err` = it could not start or be audited.
    LeverDone {
        /// The UI's run number.
        run: u64,
        /// Its report.
        result: Result<RunReport, String>,
    },
}

/// The canary the verdict is about, and its three arms.
#[derive(Clone, Debug, PartialEq)]
pub struct CanaryArms {
    /// When it started.
    pub start: UtcNaive,
    /// How that is known ("audit log" or "WorkspaceSettings.updatedAt").
    pub start_from: &'static str,
    /// The canary workspaces.
    pub workspace_ids: Vec<String>,
    /// The canary since it started.
    pub after: crate::core::verdict::Arm,
    /// The canary over the same length of time before (within the retained 72 h).
    pub before: crate::core::verdict::Arm,
    /// The other workspaces since it started.
    pub others: crate::core::verdict::Arm,
}

/// The health of one source (database or env).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// When the last read succeeded (the panel's clock).
    pub last_ok: Option<UtcNaive>,
    /// The last read's error, if it failed.
    pub error: Option<String>,
    /// Round-trip time of the last successful read.
    pub latency_ms: Option<u64>,
    /// Why the source is not read at all (neither ok nor an error).
    pub note: Option<String>,
}

/// Everything the UI draws, as of one refresh. Data from the last good read is
/// kept when a later read fails; `Health` says how old it is.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Profile name.
    pub profile: String,
    /// Where the data comes from, for people.
    pub source: String,
    /// When this snapshot was made (the panel's clock).
    pub made_at: Option<UtcNaive>,
    /// Database health.
    pub db: Health,
    /// Env source health.
    pub env: Health,
    /// Database server version.
    pub server_version: Option<String>,
    /// The schema report read at connect.
    pub schema: Option<SchemaReport>,
    /// Workspaces and their toggles.
    pub workspaces: Vec<Workspace>,
    /// The admin page's 72-hour counts per workspace id.
    pub counts_72h: BTreeMap<String, RevisionCounts>,
    /// When `counts_72h` was read (the panel's clock).
    pub counts_72h_at: Option<UtcNaive>,
    /// The claims of the last 72 hours, for the alarms (read with `counts_72h`).
    pub claims: Arc<Vec<crate::core::alarms::ClaimFact>>,
    /// The canary and its verdict's arms, when a workspace has the toggle on.
    pub canary: Option<CanaryArms>,
    /// The invariant alarms except the verdict's (the UI adds that one with
    /// its own settings).
    pub alarms: Vec<crate::core::alarms::Alarm>,
    /// The series as the plots need it: dense per minute over the retained
    /// 72 h, the canary set against the rest, ending with this refresh's
    /// minute. Computed here so a frame only slices it.
    pub split_72h: Arc<crate::core::metrics::SplitSeries>,
    /// Per-workspace totals of the last 24 h (the review view).
    pub review_24h: Arc<BTreeMap<String, crate::core::metrics::MinuteStats>>,
    /// Per-minute series (72 hours).
    pub series: RevisionSeries,
    /// The env as last read.
    pub env_snapshot: Option<EnvSnapshot>,
    /// `AUTO_SEND_REVISION_DISABLED`, configured vs live.
    pub revision_flag: Option<FlagState>,
    /// `AUTO_SEND_DISABLED`, configured vs live.
    pub auto_send_flag: Option<FlagState>,
    /// The runbook stage.
    pub stage: Option<Stage>,
    /// The last readiness checklist.
    pub readiness: Option<Arc<crate::checks::Report>>,
    /// Why the last readiness check could not run, if it could not.
    pub readiness_error: Option<String>,
    /// The profile's audit log, newest first.
    pub audit: Vec<crate::adapters::audit::AuditEntry>,
    /// Why the audit log could not be read, if it could not.
    pub audit_error: Option<String>,
    /// Intents without a result that no lever of this panel is running: an
    /// action interrupted (the panel died mid-lever), oldest first.
    pub unfinished: Vec<crate::adapters::audit::AuditEntry>,
    /// Whether the shared audit table (other operators' actions) is read.
    pub audit_shared: bool,
}

impl Snapshot {
    /// An empty snapshot of a profile, before any read.
    pub fn for_profile(profile: &str) -> Self {
        Self {
            profile: profile.to_owned(),
            ..Self::default()
        }
    }

    /// A snapshot that only says the worker could not start.
    fn failed_to_start(message: String) -> Self {
        Self {
            db: Health {
                error: Some(message),
                ..Health::default()
            },
            ..Self::default()
        }
    }

    /// Computes what the Metrics tab draws from the series (the dense 72-hour
    /// split and the 24-hour review), so a frame only slices it.
    pub fn derive_views(&mut self, now: UtcNaive) {
        let canary: std::collections::BTreeSet<String> =
            self.enabled_workspaces().map(|w| w.id.clone()).collect();
        self.split_72h = Arc::new(self.series.split(
            &canary,
            now,
            crate::core::metrics::RETAIN.num_minutes(),
        ));
        self.review_24h = Arc::new(self.series.totals_by_workspace(
            now - ChronoDuration::hours(24),
            now + ChronoDuration::minutes(1),
        ));
    }

    /// Workspaces whose toggle is on (the canary set).
    pub fn enabled_workspaces(&self) -> impl Iterator<Item = &Workspace> {
        self.workspaces.iter().filter(|w| w.toggle.is_on())
    }
}

/// The worker thread has ended (a bug: it should live as long as the window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the background worker stopped unexpectedly; data is no longer refreshed. Restart the panel; the log has the cause"
)]
pub struct WorkerStopped;

/// The UI's handle on the worker.
pub struct WorkerHandle {
    tx: tokio::sync::mpsc::UnboundedSender<Request>,
    rx: mpsc::Receiver<Event>,
    sent: u64,
    done: Arc<(Mutex<u64>, Condvar)>,
    levers_sent: u64,
    levers_done: Arc<(Mutex<u64>, Condvar)>,
}

/// How the worker's events reach the UI (shared with background lever runs).
type Emit = Arc<dyn Fn(Event) + Send + Sync>;

impl WorkerHandle {
    /// Starts the worker thread; it connects and makes a first read at once.
    /// `repaint` is called after every event (egui: `ctx.request_repaint()`).
    pub fn spawn(config: WorkerConfig, repaint: impl Fn() + Send + Sync + 'static) -> Self {
        let (tx, mut req_rx) = tokio::sync::mpsc::unbounded_channel();
        let (ev_tx, rx) = mpsc::channel();
        let spawn_failed_tx = ev_tx.clone();
        let done = Arc::new((Mutex::new(0u64), Condvar::new()));
        let done_w = Arc::clone(&done);
        let levers_done = Arc::new((Mutex::new(0u64), Condvar::new()));
        let levers_done_w = Arc::clone(&levers_done);
        let spawned = std::thread::Builder::new()
            .name("rollout-worker".into())
            .spawn(move || {
                let emit: Emit = Arc::new(move |e: Event| {
                    // The UI may be gone; then there is nobody to tell.
                    let _ = ev_tx.send(e);
                    repaint();
                });
                let mark_done = |seq: u64| mark_done(&done_w, seq);
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let snap = Snapshot::failed_to_start(format!(
                            "cannot start the worker runtime: {e}"
                        ));
                        emit(Event::Snapshot(Arc::new(snap)));
                        mark_done(u64::MAX);
                        return;
                    }
                };
                runtime.block_on(async move {
                    let mut worker = Worker::new(config.clone(), levers_done_w);
                    let mut seq = 0u64;
                    // Request 1: the initial connect and read.
                    seq += 1;
                    worker.refresh(&emit).await;
                    mark_done(seq);
                    let mut ticker = config.auto_refresh.map(|every| {
                        let first = tokio::time::Instant::now() + every;
                        let mut i = tokio::time::interval_at(first, every);
                        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                        i
                    });
                    loop {
                        let tick = async {
                            match ticker.as_mut() {
                                Some(t) => {
                                    t.tick().await;
                                }
                                None => std::future::pending::<()>().await,
                            }
                        };
                        tokio::select! {
                            req = req_rx.recv() => match req {
                                Some(Request::Refresh) => {
                                    seq += 1;
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::Recheck) => {
                                    seq += 1;
                                    worker.force_check = true;
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::RunLever(lever)) => {
                                    seq += 1;
                                    worker.start_lever(*lever, &emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::DrawSample(req)) => {
                                    seq += 1;
                                    let result = worker.draw_sample(req).await;
                                    emit(Event::Sample(result));
                                    mark_done(seq);
                                }
                                Some(Request::RecordExport { summary, detail, ok }) => {
                                    seq += 1;
                                    worker.record_export(&summary, detail, ok).await;
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::CloseUnfinished { action_id, status, note }) => {
                                    seq += 1;
                                    worker.close_unfinished(&action_id, status, &note).await;
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                None => break,
                            },
                            () = tick => worker.refresh(&emit).await,
                        }
                    }
                });
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the worker thread: {e}");
            let snap = Snapshot::failed_to_start(format!("cannot start the worker thread: {e}"));
            let _ = spawn_failed_tx.send(Event::Snapshot(Arc::new(snap)));
            mark_done(&done, u64::MAX);
        }
        Self {
            tx,
            rx,
            sent: 1,
            done,
            levers_sent: 0,
            levers_done,
        }
    }

    /// Sends a request; never blocks.
    pub fn send(&mut self, request: Request) {
        let lever = matches!(request, Request::RunLever(_));
        if self.tx.send(request).is_ok() {
            self.sent += 1;
            self.levers_sent += u64::from(lever);
        } else {
            tracing::error!("the worker has stopped; request dropped");
        }
    }

    /// The next event, if one is waiting; `Err(Stopped)` once the worker is
    /// gone for good (it panicked) and every event was read.
    pub fn try_recv(&self) -> Result<Option<Event>, WorkerStopped> {
        match self.rx.try_recv() {
            Ok(e) => Ok(Some(e)),
            Err(mpsc::TryRecvError::Empty) => Ok(None),
            Err(mpsc::TryRecvError::Disconnected) => Err(WorkerStopped),
        }
    }

    /// Blocks until the worker has answered every request sent so far, or the
    /// timeout passes. Returns whether it caught up. For tests and the CLI —
    /// never call it from the UI thread in the app.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let sent = self.sent;
        wait_until(&self.done, timeout, |done| *done >= sent)
    }

    /// Blocks until every lever run sent so far has ended, or the timeout
    /// passes. For tests and the CLI, like [`Self::wait_idle`].
    pub fn wait_levers(&self, timeout: Duration) -> bool {
        let sent = self.levers_sent;
        wait_until(&self.levers_done, timeout, |done| *done >= sent)
    }
}

/// Waits on a counter guarded by a condvar until `ready` holds or the
/// timeout passes; returns whether it holds.
pub(crate) fn wait_until<T>(
    pair: &(Mutex<T>, Condvar),
    timeout: Duration,
    ready: impl Fn(&T) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    let (lock, cvar) = pair;
    let mut value = lock.lock().unwrap_or_else(|e| e.into_inner());
    while !ready(&value) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        value = cvar
            .wait_timeout(value, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    true
}

/// Records that requests up to `seq` are answered and wakes `wait_idle`.
fn mark_done(done: &(Mutex<u64>, Condvar), seq: u64) {
    let (lock, cvar) = done;
    let mut d = lock.lock().unwrap_or_else(|e| e.into_inner());
    *d = (*d).max(seq);
    cvar.notify_all();
}

/// "database host/name" of a Postgres URL, without credentials or query.
fn database_label(url: &str) -> String {
    match crate::core::dburl::DbTarget::parse(url) {
        Ok(t) => format!("database {}", t.label()),
        Err(e) => format!("database (URL not usable: {e})"),
    }
}

/// Runs a read with a deadline; its error, or the timeout, as a message for people.
async fn timed<T, E: std::fmt::Display>(
    timeout: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "{what} did not answer within {} s",
            timeout.as_secs()
        )),
    }
}

/// One read of the database into the snapshot; on error the snapshot keeps
/// what it had.
async fn read_db_once(
    store: &dyn Store,
    timeout: Duration,
    now: UtcNaive,
    snapshot: &mut Snapshot,
) -> Result<(), String> {
    let started = Instant::now();
    if snapshot.server_version.is_none() {
        snapshot.server_version =
            Some(timed(timeout, "the database", store.server_version()).await?);
    }
    let workspaces = timed(timeout, "the database", store.workspaces()).await?;
    let latency = started.elapsed();
    snapshot.schema = Some(store.schema().clone());
    snapshot.workspaces = workspaces;
    if store.schema().revision_readable() {
        // The admin page's exact 72-hour counts scan the whole window: once a
        // minute, not on every poll (the poll reads only the series' tail).
        let counts_due = snapshot
            .counts_72h_at
            .is_none_or(|at| now - at >= COUNTS_EVERY);
        if counts_due {
            snapshot.counts_72h = timed(
                timeout,
                "the database",
                store.revision_counts(now - ChronoDuration::hours(72)),
            )
            .await?;
            snapshot.claims = Arc::new(
                timed(
                    timeout,
                    "the database",
                    store.claims_since(now - ChronoDuration::hours(72)),
                )
                .await?,
            );
            snapshot.counts_72h_at = Some(now);
        }
        let since = snapshot.series.next_since(now);
        let chunk = timed(timeout, "the database", store.revision_series(since, now)).await?;
        snapshot.series.apply(chunk, now);
    }
    snapshot.db.latency_ms = Some(latency.as_millis() as u64);
    Ok(())
}

/// The worker's own state (lives on the worker thread).
struct Worker {
    config: WorkerConfig,
    demo: Option<(DemoWorld, Simulator)>,
    store: Option<Arc<dyn Store>>,
    snapshot: Snapshot,
    /// Run the checklist on the next refresh even if it is not due.
    force_check: bool,
    /// The audit log, once opened.
    audit: Option<crate::adapters::audit::AuditLog>,
    /// Action ids of the levers running now (not "unfinished").
    running: Arc<Mutex<std::collections::HashSet<String>>>,
    /// Counts ended lever runs (for [`WorkerHandle::wait_levers`]).
    levers_done: Arc<(Mutex<u64>, Condvar)>,
    /// The shared audit table of the profile's database, if there is one.
    shared_audit: Option<SharedAudit>,
}

impl Worker {
    fn new(config: WorkerConfig, levers_done: Arc<(Mutex<u64>, Condvar)>) -> Self {
        let snapshot = Snapshot::for_profile(config.target.profile_name());
        Self {
            config,
            demo: None,
            store: None,
            snapshot,
            force_check: false,
            audit: None,
            running: Arc::default(),
            levers_done,
            shared_audit: None,
        }
    }

    async fn connect(&mut self) -> Result<(), String> {
        let now = self.config.clock.now();
        match self.config.target.clone() {
            Target::Demo {
                db_path,
                stage,
                seed,
            } => {
                if self.demo.is_none() {
                    let world = timed(
                        self.config.read_timeout.max(Duration::from_secs(60)),
                        "creating the demo world",
                        DemoWorld::open_or_create(&db_path, now, stage, seed),
                    )
                    .await?;
                    self.snapshot.source = format!("demo world {}", db_path.display());
                    self.demo = Some((world, Simulator::new(seed)));
                }
                if self.store.is_none()
                    && let Some((world, _)) = &self.demo
                {
                    let store =
                        timed(self.config.read_timeout, "the demo database", world.store()).await?;
                    self.store = Some(Arc::new(store));
                }
            }
            Target::Profile { name, keyring, .. } => {
                if self.store.is_none() {
                    let secret = tokio::task::spawn_blocking(move || {
                        keyring.require(&name, SecretKey::DatabaseUrl)
                    })
                    .await
                    .map_err(|e| format!("reading the keyring failed: {e}"))??;
                    self.snapshot.source = database_label(secret.expose());
                    let store = timed(
                        self.config.read_timeout,
                        "connecting to the database",
                        PgStore::connect(secret.expose()),
                    )
                    .await?;
                    // Operators see each other's actions when `audit init`
                    // made the shared table.
                    match SharedAudit::find(store.pool()).await {
                        Ok(found) => self.shared_audit = found,
                        Err(e) => tracing::warn!("the shared audit table cannot be read: {e}"),
                    }
                    self.store = Some(Arc::new(store));
                }
            }
        }
        Ok(())
    }

    async fn refresh(&mut self, emit: &Emit) {
        emit(Event::RefreshStarted);
        let now = self.config.clock.now();
        if self.demo.as_ref().is_some_and(|(w, _)| w.is_replaced()) {
            tracing::info!("the demo world was reset or removed on disk; reopening it");
            if let Some((world, _)) = self.demo.take() {
                world.close().await;
            }
            self.store = None;
            self.snapshot = Snapshot::for_profile(&self.snapshot.profile);
        }
        self.snapshot.made_at = Some(now);
        if let Err(e) = self.connect().await {
            self.snapshot.db.error = Some(e);
            emit(Event::Snapshot(Arc::new(self.snapshot.clone())));
            return;
        }
        let sim_error = match &mut self.demo {
            Some((world, sim)) => {
                let world = world.clone();
                tokio::time::timeout(self.config.read_timeout, sim.advance_to(&world, now))
                    .await
                    .map_err(|_| "the demo simulator did not finish in time".to_owned())
                    .and_then(|r| r.map_err(|e| e.to_string()))
                    .err()
            }
            None => None,
        };
        self.read_db(now, sim_error).await;
        self.read_env(now).await;
        self.check_if_due(now).await;
        self.read_audit().await;
        self.derive_metrics(now);
        self.snapshot.stage = match (&self.snapshot.revision_flag, &self.snapshot.auto_send_flag) {
            (Some(rev), Some(all)) => Some(Stage::derive(
                rev,
                all,
                self.snapshot.enabled_workspaces().count(),
            )),
            _ => None,
        };
        emit(Event::Snapshot(Arc::new(self.snapshot.clone())));
    }

    async fn read_db(&mut self, now: UtcNaive, sim_error: Option<String>) {
        let Some(store) = self.store.as_deref() else {
            return;
        };
        let result = read_db_once(store, self.config.read_timeout, now, &mut self.snapshot).await;
        match result.and(sim_error.map_or(Ok(()), Err)) {
            Ok(()) => {
                self.snapshot.db.last_ok = Some(now);
                self.snapshot.db.error = None;
            }
            Err(e) => {
                tracing::warn!("database read failed: {e}");
                self.snapshot.db.error = Some(e);
            }
        }
    }

    /// The canary's arms and the alarms, from what this refresh read.
    fn derive_metrics(&mut self, now: UtcNaive) {
        let snap = &mut self.snapshot;
        let canary: std::collections::BTreeSet<String> =
            snap.enabled_workspaces().map(|w| w.id.clone()).collect();
        snap.canary = crate::metrics_report::canary_start(&snap.workspaces, &snap.audit).map(
            |(start, start_from)| {
                let (after, before, others) = snap.series.canary_arms(&canary, start, now);
                CanaryArms {
                    start,
                    start_from,
                    workspace_ids: canary.iter().cloned().collect(),
                    after,
                    before,
                    others,
                }
            },
        );
        snap.derive_views(now);
        let verified = crate::metrics_report::verified_levers(&snap.audit);
        let ids: Vec<String> = canary.into_iter().collect();
        let facts = crate::core::alarms::Facts {
            now,
            window_start: now - ChronoDuration::hours(72),
            workspaces: &snap.workspaces,
            env: snap.env_snapshot.as_ref(),
            verdict: None,
            canary_ids: &ids,
            verified: &verified,
        };
        snap.alarms = crate::core::alarms::evaluate(&facts, &snap.claims);
    }

    /// Opens the audit log once.
    async fn audit_log(&mut self) -> Result<AuditLog, String> {
        if let Some(log) = &self.audit {
            if let Some(shared) = &self.shared_audit
                && !log.has_shared()
            {
                let log = log.clone().with_shared(shared.clone());
                self.audit = Some(log.clone());
                return Ok(log);
            }
            return Ok(log.clone());
        }
        let path = self
            .config
            .audit_path
            .clone()
            .ok_or("this panel has no audit log configured")?;
        let mut log = AuditLog::open(&path).await.map_err(|e| e.to_string())?;
        if let Some(shared) = &self.shared_audit {
            log = log.with_shared(shared.clone());
        }
        self.audit = Some(log.clone());
        Ok(log)
    }

    /// Reads the newest rows of this profile's audit log and its interrupted
    /// actions.
    async fn read_audit(&mut self) {
        if self.config.audit_path.is_none() {
            return;
        }
        let log = match self.audit_log().await {
            Ok(log) => log,
            Err(e) => {
                self.snapshot.audit_error = Some(e);
                return;
            }
        };
        let profile = self.snapshot.profile.clone();
        let read = async {
            let rows = log.list(&profile, 200).await?;
            let unfinished = log.unfinished(&profile).await?;
            Ok::<_, crate::adapters::audit::AuditError>((rows, unfinished))
        };
        match read.await {
            Ok((rows, unfinished)) => {
                let running = self.running.lock().map(|r| r.clone()).unwrap_or_default();
                self.snapshot.audit = rows;
                self.snapshot.audit_shared = log.has_shared();
                self.snapshot.unfinished = unfinished
                    .into_iter()
                    .filter(|e| !running.contains(&e.action_id))
                    .collect();
                self.snapshot.audit_error = log.shared_problem().map(|p| {
                    format!("the shared audit table failed ({p}); this machine's log is shown")
                });
            }
            Err(e) => self.snapshot.audit_error = Some(e.to_string()),
        }
    }

    /// Ends an interrupted action without changing anything, recording the
    /// state the operator saw.
    async fn close_unfinished(&mut self, action_id: &str, status: EntryStatus, note: &str) {
        let seen = self.state_seen();
        let result = match self.audit_log().await {
            Ok(log) => log
                .close_unfinished(action_id, self.config.clock.now(), status, note, &seen)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            self.snapshot.audit_error = Some(e);
        }
    }

    /// Draws a sample of revised drafts from the open store.
    async fn draw_sample(
        &mut self,
        req: crate::export::SampleRequest,
    ) -> Result<Arc<crate::export::Sample>, String> {
        self.connect().await?;
        let store = self.store.clone().ok_or("not connected to the database")?;
        timed(
            self.config.read_timeout.max(Duration::from_secs(60)),
            "drawing the sample",
            crate::export::draw(store.as_ref(), req),
        )
        .await
        .map(Arc::new)
    }

    /// An export as an intent and its result in the audit log.
    async fn record_export(&mut self, summary: &str, detail: serde_json::Value, ok: bool) {
        let now = self.config.clock.now();
        let profile = self.snapshot.profile.clone();
        let result = match self.audit_log().await {
            Ok(log) => {
                let intent = crate::adapters::audit::Intent {
                    profile: &profile,
                    lever: "export",
                    reason: "quality review sample",
                    summary,
                    detail,
                };
                match log.intent(now, &intent).await {
                    Ok(id) => log
                        .result(
                            &id,
                            now,
                            EntryStatus::of(ok),
                            summary,
                            &serde_json::json!({}),
                        )
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            self.snapshot.audit_error = Some(format!("the export could not be audited: {e}"));
        }
    }

    /// The toggles and switches as last read, for an audit row.
    fn state_seen(&self) -> serde_json::Value {
        let flag = |f: &Option<FlagState>| {
            f.as_ref().map(|f| {
                serde_json::json!({
                    "configured": f.configured_value,
                    "live": format!("{:?}", f.live),
                })
            })
        };
        serde_json::json!({
            "toggles_on": self.snapshot.enabled_workspaces().map(|w| &w.id).collect::<Vec<_>>(),
            AUTO_SEND_REVISION_DISABLED: flag(&self.snapshot.revision_flag),
            AUTO_SEND_DISABLED: flag(&self.snapshot.auto_send_flag),
            "read_at": self.snapshot.made_at,
        })
    }

    /// Starts a confirmed lever on its own task; its progress and end are
    /// emitted as events while refreshes go on.
    async fn start_lever(&mut self, lever: LeverRun, emit: &Emit) {
        let run = lever.run;
        let ended = Arc::clone(&self.levers_done);
        let fail = move |e: String| {
            emit(Event::LeverDone {
                run,
                result: Err(format!("nothing was changed: {e}")),
            });
            bump(&ended);
        };
        if let Err(e) = self.connect().await {
            return fail(e);
        }
        let audit = match self.audit_log().await {
            Ok(log) => log,
            Err(e) => return fail(format!("the audit log cannot be written: {e}")),
        };
        let Some(store) = self.store.clone() else {
            return fail("not connected to the database".to_owned());
        };
        let place = match (&self.config.target, &self.demo) {
            (Target::Demo { .. }, Some((world, _))) => Place::Demo(world.clone()),
            (
                Target::Profile {
                    name,
                    profile,
                    keyring,
                },
                _,
            ) => Place::Production {
                name: name.clone(),
                profile: profile.clone(),
                keyring: keyring.clone(),
            },
            _ => return fail("the demo world is not open".to_owned()),
        };
        let action_id = crate::adapters::audit::new_action_id();
        if let Ok(mut r) = self.running.lock() {
            r.insert(action_id.clone());
        }
        let job = LeverJob {
            lever,
            action_id,
            place,
            store,
            audit,
            clock: Arc::clone(&self.config.clock),
            waits: self.config.waits,
            profile: self.snapshot.profile.clone(),
        };
        let emit = Arc::clone(emit);
        let running = Arc::clone(&self.running);
        let done = Arc::clone(&self.levers_done);
        tokio::spawn(async move {
            let result = job.run(&emit).await;
            if let Ok(mut r) = running.lock() {
                r.remove(&job.action_id);
            }
            emit(Event::LeverDone { run, result });
            bump(&done);
        });
    }
}

/// Counts one more ended lever run and wakes `wait_levers`.
fn bump(done: &(Mutex<u64>, Condvar)) {
    let (lock, cvar) = done;
    let mut d = lock.lock().unwrap_or_else(|e| e.into_inner());
    *d += 1;
    cvar.notify_all();
}

/// Where a lever runs.
enum Place {
    Demo(DemoWorld),
    Production {
        name: String,
        profile: Profile,
        keyring: Keyring,
    },
}

/// Everything a background lever run needs.
struct LeverJob {
    lever: LeverRun,
    action_id: String,
    place: Place,
    store: Arc<dyn Store>,
    audit: AuditLog,
    clock: Arc<dyn Clock>,
    waits: Waits,
    profile: String,
}

impl LeverJob {
    async fn run(&self, emit: &Emit) -> Result<RunReport, String> {
        let run = self.lever.run;
        let progress = |s: &StepReport| {
            emit(Event::LeverStep {
                run,
                step: s.clone(),
            });
        };
        let ctx = RunContext {
            audit: &self.audit,
            profile: &self.profile,
            reason: &self.lever.reason,
            clock: self.clock.as_ref(),
            waits: self.waits,
            action_id: Some(&self.action_id),
        };
        let plan = &self.lever.plan;
        let report = match &self.place {
            Place::Demo(world) => {
                let target = DemoTarget {
                    world,
                    store: self.store.as_ref(),
                };
                run_plan(plan, &target, &ctx, &progress).await?
            }
            Place::Production {
                name,
                profile,
                keyring,
            } => {
                let (name, keyring) = (name.clone(), keyring.clone());
                let token = tokio::task::spawn_blocking(move || {
                    keyring.require(&name, SecretKey::VercelToken)
                })
                .await
                .map_err(|e| format!("nothing was changed: reading the keyring failed: {e}"))?
                .map_err(|e| format!("nothing was changed: {e}"))?;
                let client = VercelClient::new(
                    &profile.vercel_api,
                    &profile.vercel_project,
                    profile.vercel_team.as_deref(),
                    token,
                )
                .map_err(|e| format!("nothing was changed: {e}"))?;
                let target = ProductionTarget {
                    vercel: &client,
                    store: self.store.as_ref(),
                };
                run_plan(plan, &target, &ctx, &progress).await?
            }
        };
        if let Some(old) = &self.lever.finishes {
            let status = EntryStatus::of(report.ok);
            let note = format!(
                "finished by action {}: {}",
                crate::adapters::audit::short_id(&report.action_id),
                if report.ok {
                    "done and verified"
                } else {
                    "FAILED"
                }
            );
            self.audit
                .close_unfinished(
                    old,
                    self.clock.now(),
                    status,
                    &note,
                    &serde_json::json!({"finished_by": report.action_id}),
                )
                .await
                .map_err(|e| {
                    format!(
                        "the lever ran, but the interrupted action {old} could not be closed: {e}"
                    )
                })?;
        }
        Ok(report)
    }
}

impl Worker {
    /// Runs the readiness checklist when asked or when the last one is old.
    async fn check_if_due(&mut self, now: UtcNaive) {
        let due = self.force_check
            || self
                .snapshot
                .readiness
                .as_ref()
                .is_none_or(|r| now - r.checked_at >= RECHECK_EVERY);
        if !due {
            return;
        }
        self.force_check = false;
        let store = self.store.as_deref();
        let run = async {
            match (&self.config.target, &self.demo) {
                (Target::Demo { .. }, Some((world, _))) => match store {
                    Some(store) => Some(crate::checks::check_demo(world, store, now, None).await),
                    None => None,
                },
                (
                    Target::Profile {
                        name,
                        profile,
                        keyring,
                    },
                    _,
                ) => Some(
                    crate::checks::check_profile(name, profile, keyring, store, now, None).await,
                ),
                _ => None,
            }
        };
        match tokio::time::timeout(CHECK_TIMEOUT, run).await {
            Ok(Some(report)) => {
                if matches!(self.config.target, Target::Profile { .. }) {
                    // The check read Vercel: the top bar shows what it found.
                    match &report.env {
                        Ok(env) => {
                            self.snapshot.revision_flag =
                                Some(env.flag(AUTO_SEND_REVISION_DISABLED));
                            self.snapshot.auto_send_flag = Some(env.flag(AUTO_SEND_DISABLED));
                            self.snapshot.env_snapshot = Some(env.clone());
                            self.snapshot.env.last_ok = Some(now);
                            self.snapshot.env.error = None;
                            self.snapshot.env.note = None;
                        }
                        Err(e) => self.snapshot.env.error = Some(e.clone()),
                    }
                }
                self.snapshot.readiness = Some(Arc::new(report));
                self.snapshot.readiness_error = None;
            }
            Ok(None) => {
                self.snapshot.readiness_error =
                    Some("not connected yet: the checklist runs once the database answers".into());
            }
            Err(_) => {
                self.snapshot.readiness_error = Some(format!(
                    "the readiness check did not finish within {} s",
                    CHECK_TIMEOUT.as_secs()
                ));
            }
        }
    }

    async fn read_env(&mut self, now: UtcNaive) {
        let Some((world, _)) = &self.demo else {
            // A profile's env comes from Vercel with the readiness check.
            if self.snapshot.env.last_ok.is_none() && self.snapshot.env.error.is_none() {
                self.snapshot.env.note = Some(
                    "the Vercel env is read with the readiness check (every minute)".to_owned(),
                );
            }
            return;
        };
        let started = Instant::now();
        match timed(
            self.config.read_timeout,
            "the demo env",
            world.env_snapshot(),
        )
        .await
        {
            Ok(env) => {
                self.snapshot.revision_flag = Some(env.flag(AUTO_SEND_REVISION_DISABLED));
                self.snapshot.auto_send_flag = Some(env.flag(AUTO_SEND_DISABLED));
                self.snapshot.env_snapshot = Some(env);
                self.snapshot.env.last_ok = Some(now);
                self.snapshot.env.error = None;
                self.snapshot.env.latency_ms = Some(started.elapsed().as_millis() as u64);
            }
            Err(e) => {
                tracing::warn!("env read failed: {e}");
                self.snapshot.env.error = Some(e);
            }
        }
    }
}
