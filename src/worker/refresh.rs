//! The worker's own state and its reads: one refresh reads the database, the
//! env and the audit log through the session, runs the readiness checklist
//! when due, and derives what the Metrics tab draws.

use crate::adapters::audit::{AuditLog, EntryStatus};
use crate::adapters::deadline::{Bounded, within};
use crate::adapters::store::Store;
use crate::adapters::store::StoreError;
use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, EnvSnapshot, FlagState};
use crate::core::runbook::Stage;
use crate::core::time::UtcNaive;
use crate::ops::session::Session;
use crate::ops::session::SessionError;
use crate::worker::WorkerConfig;
use crate::worker::handle::Emit;
use crate::worker::protocol::Event;
use crate::worker::snapshot::{CanaryArms, Snapshot};
use chrono::Duration as ChronoDuration;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the admin page's exact 72-hour counts are read again.
pub const COUNTS_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// How often the readiness checklist runs on its own.
pub const RECHECK_EVERY: chrono::Duration = chrono::Duration::seconds(60);
/// The longest a readiness check may take (Vercel calls, the URL probe).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// One read of the database into the snapshot, as every refresh does; on
/// error the snapshot keeps what it had (the live poll's part is kept when
/// only a 72-hour read failed). The live poll (one statement: the
/// workspaces and the series' tail from the watermark — the newest hour on
/// the first poll, the rest follows through [`read_history_piece`]) and,
/// once a minute, the 72-hour reads run at the same time, each bounded.
pub async fn read_db_once(
    store: &dyn Store,
    timeout: Duration,
    now: UtcNaive,
    snapshot: &mut Snapshot,
) -> Result<(), Bounded<StoreError>> {
    if snapshot.server_version.is_none() {
        snapshot.server_version =
            Some(within(timeout, "the database", store.server_version()).await?);
    }
    let since = snapshot.series.next_since(now);
    let poll = async {
        let started = Instant::now();
        let read = within(timeout, "the database", store.poll(since, now)).await?;
        Ok::<_, Bounded<StoreError>>((read, started.elapsed()))
    };
    // The admin page's exact 72-hour counts, the claims for the alarms and
    // the revision path scan the whole window: once a minute, not on every
    // poll (the poll reads only the series' tail).
    let start = now - ChronoDuration::hours(72);
    let counts_due = store.schema().revision_readable()
        && snapshot
            .counts_72h_at
            .is_none_or(|at| now - at >= COUNTS_EVERY);
    let window = async {
        if !counts_due {
            return Ok(None);
        }
        let read = tokio::try_join!(
            within(timeout, "the database", store.revision_counts(start)),
            within(timeout, "the database", store.claims_since(start)),
            within(timeout, "the database", store.loop_summaries(start)),
            within(timeout, "the database", store.revision_path(start)),
        )?;
        Ok(Some(read))
    };
    // The live poll is applied even when a 72-hour read fails or times out
    // (a slow scan must not stop the live numbers); the failure is still
    // this read's error.
    let (poll, window) = tokio::join!(poll, window);
    let (poll, latency) = poll?;
    snapshot.schema = Some(store.schema().clone());
    if let Some(workspaces) = poll.workspaces {
        snapshot.workspaces = workspaces;
    }
    // The series has evaluations and AI errors on every schema (V0 too:
    // without the revision columns it has no claims).
    snapshot.series.apply(poll.series, now);
    snapshot.db.latency_ms = Some(latency.as_millis() as u64);
    if let Some((counts, claims, loops, path)) = window? {
        snapshot.counts_72h = counts;
        snapshot.claims = Arc::new(claims);
        snapshot.loops = Arc::new(loops);
        snapshot.revision_health = Arc::new(crate::core::health::judge(
            &snapshot.claims,
            &snapshot.loops,
            &path,
            now,
        ));
        snapshot.counts_72h_at = Some(now);
    }
    Ok(())
}

/// Reads the next older piece of the series' window into the snapshot
/// (see [`RevisionSeries::next_history`](crate::core::metrics::RevisionSeries::next_history));
/// `Ok(false)` when there is none left (or the piece no longer fits).
pub async fn read_history_piece(
    store: &dyn Store,
    timeout: Duration,
    now: UtcNaive,
    snapshot: &mut Snapshot,
) -> Result<bool, Bounded<StoreError>> {
    let Some((start, end)) = snapshot.series.next_history(now) else {
        return Ok(false);
    };
    let chunk = within(
        timeout,
        "the database",
        store.series_between(start, end, now),
    )
    .await?;
    Ok(snapshot.series.apply_history(chunk, end, now))
}

/// Why a sample could not be drawn.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SampleError {
    /// The database is not connected.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The read failed or took too long.
    #[error(transparent)]
    Read(#[from] Bounded<StoreError>),
}

/// The worker's own state (lives on the worker thread).
pub(crate) struct Worker {
    pub(crate) config: WorkerConfig,
    pub(crate) session: Session,
    pub(crate) snapshot: Snapshot,
    /// Run the checklist on the next refresh even if it is not due.
    pub(crate) force_check: bool,
    /// Action ids of the levers running now, on the lever lane (not "unfinished").
    pub(crate) running: Arc<Mutex<std::collections::HashSet<String>>>,
    /// What the last refresh saw of the toggles and the runbook env, to
    /// tell a change made outside the panel.
    pub(crate) observed: Option<crate::core::outside::Observation>,
    /// Changes made outside the panel seen so far (newest last, bounded).
    pub(crate) outside: Vec<crate::core::alarms::Alarm>,
    /// When the Vercel token's user was last asked for.
    pub(crate) vercel_user_tried: Option<UtcNaive>,
    /// The canary's guard (issue 29).
    pub(crate) guard: crate::worker::guard::WorkerGuard,
    /// The runtime-log reader of a production profile (issue 32), started
    /// once something is seen serving.
    pub(crate) logs: Option<crate::adapters::env::vercel::logs::Reader>,
    /// The demo's runtime log, counted, and the last row read.
    pub(crate) demo_logs: Option<(crate::core::runtime_log::Book, i64)>,
    /// The drill that runs on the demo (issue 31).
    pub(crate) drill: Option<crate::worker::drill::ActiveDrill>,
}

/// What the snapshot shows of a book: the canary (toggle on) against the
/// rest, over the metrics report's span.
fn logs_report(
    source: &'static str,
    snapshot: &Snapshot,
    book: &crate::core::runtime_log::Book,
    now: UtcNaive,
) -> crate::ops::runtime_logs::RuntimeLogsReport {
    let canary: Vec<String> = snapshot
        .enabled_workspaces()
        .map(|w| w.id.clone())
        .collect();
    crate::ops::runtime_logs::report(source, book, &canary, crate::ops::metrics::LOG_MINUTES, now)
}

/// How many changes made outside the panel stay on screen.
const OUTSIDE_KEPT: usize = 20;

impl Worker {
    pub(crate) fn new(
        config: WorkerConfig,
        running: Arc<Mutex<std::collections::HashSet<String>>>,
    ) -> Self {
        let session = config.session();
        let snapshot = Snapshot::for_profile(config.target.profile_name());
        let config_guard_settings = config.target.guard_settings();
        let config_dry_run = config.target.guard_dry_run();
        Self {
            config,
            session,
            snapshot,
            force_check: false,
            running,
            observed: None,
            outside: Vec::new(),
            vercel_user_tried: None,
            guard: crate::worker::guard::WorkerGuard::new(config_guard_settings, config_dry_run),
            logs: None,
            demo_logs: None,
            drill: None,
        }
    }

    /// Compares what this refresh read with the last one: a toggle or a
    /// runbook variable that changed without a verified panel action
    /// explaining it is an alarm (kept, bounded). The audit log is read
    /// after the database and the env, so a panel action's intent (written
    /// before its change) is always in it.
    fn observe_outside(&mut self, now: UtcNaive) {
        let snap = &self.snapshot;
        let now_seen = crate::core::outside::Observation::of(
            now,
            snap.db.last_ok.map(|_| snap.workspaces.as_slice()),
            snap.env_snapshot.as_ref(),
        );
        if let Some(prev) = &self.observed {
            let touches = crate::ops::metrics::panel_touches(&snap.audit);
            for alarm in crate::core::outside::outside_changes(prev, &now_seen, &touches) {
                if !self.outside.iter().any(|a| a.id == alarm.id) {
                    tracing::warn!("{}", alarm.finding);
                    self.outside.push(alarm);
                }
            }
            let over = self.outside.len().saturating_sub(OUTSIDE_KEPT);
            self.outside.drain(..over);
        }
        self.observed = Some(now_seen);
    }

    /// The store, connected on first use.
    pub(crate) async fn store(&mut self) -> Result<Arc<dyn Store>, SessionError> {
        let store = self.session.store().await?;
        self.snapshot.source = self.session.source().to_owned();
        self.snapshot.vercel_logs = self.session.vercel_logs();
        self.snapshot.quality_target = self.session.quality_target();
        Ok(store)
    }

    /// The shared audit table, when this profile's database has one (for
    /// the live feed).
    pub(crate) async fn shared_audit(&mut self) -> Option<crate::adapters::audit::SharedAudit> {
        self.session.audit().await.ok()?.shared().cloned()
    }

    /// The audit log, opened once.
    pub(crate) async fn audit_log(&mut self) -> Result<AuditLog, SessionError> {
        self.session.audit().await
    }

    pub(crate) async fn refresh(&mut self, emit: &Emit) {
        emit(Event::RefreshStarted);
        if self.session.replaced() {
            tracing::info!("the demo world was reset or removed on disk; reopening it");
            self.session.reopen().await;
            self.snapshot = Snapshot::for_profile(&self.snapshot.profile);
            self.demo_logs = None;
        }
        // The demo's time is its world's: follow it before reading the clock.
        if let Err(e) = self.session.sync_clock().await {
            tracing::warn!("the demo world's clock cannot be read: {e}");
        }
        let now = self.config.clock.now();
        self.snapshot.made_at = Some(now);
        self.drill_inject(now).await;
        // A database that is down fails only what needs it: the env, the
        // checklist and the audit log are still read.
        match self.store().await {
            Ok(store) => {
                let sim_error = self
                    .session
                    .advance(now, self.config.read_timeout)
                    .await
                    .err()
                    .map(|e| e.to_string());
                self.read_db(store.as_ref(), now, sim_error).await;
            }
            Err(e) => {
                tracing::warn!("database connect failed: {e}");
                self.snapshot.db.error = Some(e.to_string());
            }
        }
        self.read_env(now).await;
        self.check_if_due(now).await;
        self.read_vercel_user(now).await;
        self.read_audit().await;
        self.read_logs(now).await;
        self.observe_outside(now);
        self.derive_metrics(now);
        self.snapshot.stage = match (&self.snapshot.revision_flag, &self.snapshot.auto_send_flag) {
            (Some(rev), Some(all)) => Some(Stage::derive(
                rev,
                all,
                self.snapshot.enabled_workspaces().count(),
            )),
            _ => None,
        };
        self.guard_step(now, emit).await;
        self.drill_observe(now).await;
        emit(Event::Snapshot(Arc::new(self.snapshot.clone())));
        self.read_history(emit, now).await;
    }

    /// Reads the rest of the series' window after the first poll (which read
    /// only the newest [`FIRST_READ`](crate::core::metrics::FIRST_READ)):
    /// older pieces, newest first, one statement each, each shown as soon as
    /// it is read. A failure stops it; the next refresh goes on from there.
    async fn read_history(&mut self, emit: &Emit, now: UtcNaive) {
        if self.snapshot.db.error.is_some() || self.snapshot.series.is_complete(now) {
            return;
        }
        let Ok(store) = self.store().await else {
            return;
        };
        loop {
            let read = read_history_piece(
                store.as_ref(),
                self.config.read_timeout,
                now,
                &mut self.snapshot,
            )
            .await;
            match read {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!("reading the series' history failed: {e}");
                    self.snapshot.db.error = Some(e.to_string());
                    emit(Event::Snapshot(Arc::new(self.snapshot.clone())));
                    return;
                }
            }
            self.derive_metrics(now);
            emit(Event::Snapshot(Arc::new(self.snapshot.clone())));
        }
    }

    async fn read_db(&mut self, store: &dyn Store, now: UtcNaive, sim_error: Option<String>) {
        let result = read_db_once(store, self.config.read_timeout, now, &mut self.snapshot)
            .await
            .map_err(|e| e.to_string());
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

    /// The env as read now: the top bar's configured and live state.
    fn env_read(&mut self, env: EnvSnapshot, now: UtcNaive) {
        self.snapshot.revision_flag = Some(env.flag(AUTO_SEND_REVISION_DISABLED));
        self.snapshot.auto_send_flag = Some(env.flag(AUTO_SEND_DISABLED));
        self.snapshot.env_snapshot = Some(env);
        self.snapshot.env.last_ok = Some(now);
        self.snapshot.env.error = None;
        self.snapshot.env.note = None;
    }

    async fn read_env(&mut self, now: UtcNaive) {
        if !self.session.polls_env() {
            // Vercel's env is read with the readiness check.
            if self.snapshot.env.last_ok.is_none() && self.snapshot.env.error.is_none() {
                self.snapshot.env.note = Some(
                    "the Vercel env is read with the readiness check (every minute)".to_owned(),
                );
            }
            return;
        }
        let started = Instant::now();
        let read = match self.session.env().await {
            Ok(source) => within(self.config.read_timeout, "the demo env", source.read(now))
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match read {
            Ok(env) => {
                self.env_read(env, now);
                self.snapshot.env.latency_ms = Some(started.elapsed().as_millis() as u64);
            }
            Err(e) => {
                tracing::warn!("env read failed: {e}");
                self.snapshot.env.error = Some(e);
            }
        }
    }

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
        let run = crate::ops::readiness::check(&mut self.session, now, None);
        match tokio::time::timeout(CHECK_TIMEOUT, run).await {
            Ok(report) => {
                // The check read the env source: the top bar shows what it found.
                match &report.env {
                    Ok(env) => self.env_read(env.clone(), now),
                    Err(e) => self.snapshot.env.error = Some(e.clone()),
                }
                self.snapshot.readiness = Some(Arc::new(report));
                self.snapshot.readiness_error = None;
            }
            Err(_) => {
                self.snapshot.readiness_error = Some(format!(
                    "the readiness check did not finish within {} s",
                    CHECK_TIMEOUT.as_secs()
                ));
            }
        }
    }

    /// Who the profile's Vercel token belongs to, once (retried at most
    /// every 10 minutes while unknown; only once the env has been read, so
    /// a Vercel that is down costs nothing more): shown, and recorded in
    /// every intent this panel writes from then on.
    async fn read_vercel_user(&mut self, now: UtcNaive) {
        if self.snapshot.vercel_user.is_some()
            || self.snapshot.env.last_ok.is_none()
            || self.session.is_demo()
            || self
                .vercel_user_tried
                .is_some_and(|t| now - t < ChronoDuration::minutes(10))
        {
            return;
        }
        self.vercel_user_tried = Some(now);
        match self.session.vercel_user().await {
            Ok(Some(user)) => {
                self.snapshot.vercel_user = Some(format!(
                    "{} ({})",
                    crate::core::text::printable(&user.username),
                    crate::core::text::printable(&user.id)
                ));
                if let Ok(log) = self.audit_log().await {
                    log.set_vercel_user(
                        serde_json::json!({"id": user.id, "username": user.username}),
                    );
                }
            }
            Ok(None) => {}
            Err(e) => tracing::info!("the Vercel token's user could not be read: {e}"),
        }
    }

    /// Reads the newest rows of this profile's audit log and its interrupted
    /// actions.
    async fn read_audit(&mut self) {
        if !self.session.has_audit() {
            return;
        }
        self.read_approvals().await;
        let log = match self.audit_log().await {
            Ok(log) => log,
            Err(e) => {
                self.snapshot.audit_error = Some(e.to_string());
                return;
            }
        };
        let profile = self.snapshot.profile.clone();
        let read = async {
            // Rows a lever wrote while the database was away reach the
            // shared table as soon as it is back.
            if log.has_shared()
                && let Err(e) = log.catch_up_shared(&profile, 200).await
            {
                tracing::warn!("the shared audit table could not catch up: {e}");
            }
            let rows = log.list(&profile, 200).await?;
            let unfinished = log.unfinished(&profile).await?;
            Ok::<_, crate::adapters::audit::AuditError>((rows, unfinished))
        };
        // Bounded as a whole (catch-up, list and the unfinished check each
        // touch the shared table): a black-holed database must not hold the
        // refresh, and what was shown stays shown with the reason.
        let wait = self.config.read_timeout * 2;
        let read = async {
            match tokio::time::timeout(wait, read).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "the audit log did not answer within {} s (the shared table is on the production database); the last read is shown",
                    wait.as_secs()
                )),
            }
        };
        match read.await {
            Ok((rows, unfinished)) => {
                let running = self.running.lock().map(|r| r.clone()).unwrap_or_default();
                self.snapshot.running_elsewhere =
                    crate::adapters::audit::live::running_elsewhere(&rows, self.config.clock.now());
                self.snapshot.shared_tokens = crate::ops::metrics::shared_tokens(&rows);
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
            Err(e) => self.snapshot.audit_error = Some(e),
        }
    }

    /// Follows what serves production (observed by the env read) with the
    /// runtime-log reader, and puts what it counted in the snapshot.
    async fn read_logs(&mut self, now: UtcNaive) {
        if self.session.is_demo() {
            return self.read_demo_logs(now).await;
        }
        let serving = match self.snapshot.env_snapshot.as_ref().map(|e| e.serving_ids()) {
            Some(Ok(ids)) if !ids.is_empty() => Some(ids),
            _ => None,
        };
        if self.logs.is_none() {
            // Started once something is seen serving.
            if serving.is_none() {
                return;
            }
            let client = match self.session.vercel_client().await {
                Ok(Some(c)) => c,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!("the runtime logs cannot be read: {e}");
                    return;
                }
            };
            self.logs = Some(crate::adapters::env::vercel::logs::Reader::new(
                client,
                Default::default(),
                Arc::new(Mutex::new(crate::core::runtime_log::Book::new(
                    Default::default(),
                ))),
                Arc::clone(&self.config.clock),
            ));
        }
        let Some(reader) = self.logs.as_mut() else {
            return;
        };
        if let Some(ids) = &serving {
            reader.serving(ids);
        }
        let book = reader.book();
        let book = book.lock().unwrap_or_else(|e| e.into_inner());
        self.snapshot.runtime_logs = Some(logs_report("vercel", &self.snapshot, &book, now));
    }

    /// The demo's runtime log: the rows the simulator printed since the
    /// last read (the first read goes back the book's window).
    async fn read_demo_logs(&mut self, now: UtcNaive) {
        let world = match self.session.demo_world().await {
            Ok(Some(w)) => w,
            _ => return,
        };
        let (book, after) = match self.demo_logs.as_mut() {
            Some(b) => b,
            None => {
                match crate::ops::runtime_logs::demo_book(&world, now, Default::default()).await {
                    Ok(b) => self.demo_logs.insert(b),
                    Err(e) => {
                        tracing::warn!("the demo's runtime log cannot be read: {e}");
                        return;
                    }
                }
            }
        };
        crate::ops::runtime_logs::demo_read(&world, book, after, now).await;
        let report = logs_report("demo", &self.snapshot, book, now);
        self.snapshot.runtime_logs = Some(report);
    }

    /// The guard judges this refresh and acts (`worker::guard`).
    async fn guard_step(&mut self, now: UtcNaive, emit: &Emit) {
        let lever_running = self.running.lock().map_or(true, |r| !r.is_empty());
        let log = if self.session.has_audit() {
            self.audit_log().await.ok()
        } else {
            None
        };
        self.guard
            .step(
                &mut self.snapshot,
                log.as_ref(),
                lever_running,
                now,
                self.config.read_timeout,
                emit,
            )
            .await;
    }

    /// Arms or disarms the guard: an audited action, then a refresh shows it.
    pub(crate) async fn set_guard(
        &mut self,
        armed: bool,
        dry_run: bool,
        reason: &str,
    ) -> Result<String, String> {
        if reason.trim().is_empty() {
            return Err("give a reason (it goes to the audit log)".to_owned());
        }
        let log = self.audit_log().await.map_err(|e| e.to_string())?;
        let now = self.config.clock.now();
        log.set_guard(now, &self.snapshot.profile, armed, dry_run, reason)
            .await
            .map_err(|e| format!("nothing was changed: {e}"))?;
        Ok(match (armed, dry_run) {
            (true, false) => "the guard is armed".to_owned(),
            (true, true) => "the guard is armed (dry run: it records, writes nothing)".to_owned(),
            (false, _) => "the guard is disarmed".to_owned(),
        })
    }

    /// The canary's arms and the alarms, from what this refresh read.
    fn derive_metrics(&mut self, now: UtcNaive) {
        let snap = &mut self.snapshot;
        let canary: std::collections::BTreeSet<String> =
            snap.enabled_workspaces().map(|w| w.id.clone()).collect();
        snap.canary =
            crate::ops::metrics::canary_start(&snap.workspaces, &snap.audit, &snap.claims).map(
                |(start, start_from)| {
                    let (after, before, others) = snap.series.canary_arms(&canary, start, now);
                    // The arms count from the canary's baseline on (within
                    // the retained window).
                    let needed = crate::core::metrics::baseline_start(start, now)
                        .max(now - crate::core::metrics::RETAIN);
                    CanaryArms {
                        start,
                        start_from,
                        workspace_ids: canary.iter().cloned().collect(),
                        after,
                        before,
                        others,
                        complete: snap.series.covers(needed),
                    }
                },
            );
        snap.derive_views(now);
        let verified = crate::ops::metrics::verified_levers(&snap.audit);
        let ids: Vec<String> = canary.into_iter().collect();
        let facts = crate::core::alarms::Facts {
            now,
            window_start: now - ChronoDuration::hours(72),
            workspaces: &snap.workspaces,
            env: snap.env_snapshot.as_ref(),
            verdict: None,
            canary_ids: &ids,
            verified: &verified,
            grace: self.session.grace(),
            loops: &snap.loops,
        };
        snap.alarms = crate::core::alarms::evaluate(&facts, &snap.claims);
        // What only the runtime logs show, against the canary's attempts in
        // the same span.
        if let Some(logs) = &snap.runtime_logs {
            snap.alarms.extend(crate::core::alarms::log_alarm(
                &ids,
                &logs.canary,
                &snap.claims,
                logs.minutes,
                now,
            ));
        }
        snap.alarms.extend(self.outside.iter().cloned());
    }

    /// Ends an interrupted action without changing anything, recording the
    /// state the operator saw.
    pub(crate) async fn close_unfinished(
        &mut self,
        action_id: &str,
        status: EntryStatus,
        note: &str,
    ) {
        let seen = self.state_seen();
        let result = match self.audit_log().await {
            Ok(log) => log
                .close_unfinished(action_id, self.config.clock.now(), status, note, &seen)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = result {
            self.snapshot.audit_error = Some(e);
        }
    }

    /// Draws a sample of revised drafts from the open store.
    pub(crate) async fn draw_sample(
        &mut self,
        req: crate::ops::export::SampleRequest,
    ) -> Result<Arc<crate::ops::export::Sample>, SampleError> {
        let store = self.store().await?;
        Ok(within(
            self.config.read_timeout.max(Duration::from_secs(60)),
            "drawing the sample",
            crate::ops::export::draw(store.as_ref(), req),
        )
        .await
        .map(Arc::new)?)
    }

    /// An export as an intent and its result in the audit log.
    pub(crate) async fn record_export(
        &mut self,
        summary: &str,
        detail: serde_json::Value,
        ok: bool,
    ) {
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
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = result {
            self.snapshot.audit_error = Some(format!("the export could not be audited: {e}"));
        }
    }

    /// The toggles and switches as last read, for an audit row.
    pub(crate) fn state_seen(&self) -> serde_json::Value {
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
}
