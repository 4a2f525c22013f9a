//! The eframe application: keeps the persisted UI state and the latest
//! snapshot from the worker, draws it, and applies the commands panels return.

use crate::adapters::clock::Clock;
use crate::core::profile::{DEMO_PROFILE, Profile};
use crate::core::secret::SecretKey;
use crate::gui::panels::audit::AuditPanel;
use crate::gui::panels::drafts::DraftsPanel;
use crate::gui::panels::levers::LeversPanel;
use crate::gui::panels::metrics::{MetricsPanel, VerdictPrefs, metrics_ui};
use crate::gui::panels::profiles::ProfilesWindow;
use crate::gui::panels::readiness::readiness_ui;
use crate::gui::panels::rehearsal::RehearsalPanel;
use crate::gui::panels::top_bar::{tabs_ui, top_bar_ui};
use crate::gui::{AppCommand, MetricsWindow, Tab};
use crate::ops::export::{ExportOutcome, NativeDialog, SaveDialog};
use crate::ops::profiles::{ProfileJob, ProfileManager, ProfilesView};
use crate::platform::paths::Paths;
use crate::worker::jobs::{Job, JobDone, Jobs};
use crate::worker::{Event, Request, Snapshot, Target, WorkerConfig, WorkerHandle};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A read taking longer than this shows a spinner (quick polls do not flicker).
const SLOW_READ: Duration = Duration::from_millis(400);
/// Past the moment an age's text changes, so one frame shows the new text.
const AGE_TICK_SLACK: Duration = Duration::from_millis(15);
/// When an automatic refresh shows as slow.
const SLOW_AUTO_READ: Duration = Duration::from_secs(3);
/// The longest the window goes without drawing: minute-level texts (watch
/// time, "3 min ago") stay right.
const IDLE_WAKE: Duration = Duration::from_secs(60);

mod dialogs;

/// What survives a restart of the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersistedState {
    /// The screen shown.
    pub tab: Tab,
    /// The metrics window.
    pub window: MetricsWindow,
    /// The canary verdict's settings.
    pub verdict: VerdictPrefs,
}

/// Builds the worker's configuration for any profile, so the window can
/// switch between them.
#[derive(Clone)]
pub struct Launcher {
    /// The panel's directories (the demo world lives in the data dir).
    pub paths: Paths,
    /// Profiles and secrets.
    pub manager: ProfileManager,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The deadline of every read.
    pub read_timeout: Duration,
    /// Whether the worker refreshes on its own (off in tests).
    pub auto_refresh: bool,
    /// Seconds between refreshes given on the command line (wins over the profile's).
    pub refresh_override: Option<u64>,
    /// How fast the demo's clock runs (`gui --speed`; 1 when not given).
    /// Only the demo's: a production profile always runs on `clock`.
    pub demo_speed: f64,
}

impl Launcher {
    /// The worker configuration of a profile (`None` settings = the demo).
    pub fn config_for(&self, name: &str, profile: Option<&Profile>) -> WorkerConfig {
        let target = Target::of(&self.paths, &self.manager.keyring, name, profile);
        let refresh = target.refresh_secs();
        // Bounded whatever was passed: a zero interval would stop the worker.
        let every = self
            .refresh_override
            .unwrap_or(refresh)
            .clamp(1, crate::core::profile::MAX_REFRESH_SECS);
        WorkerConfig {
            clock: target.clock(Arc::clone(&self.clock), Some(self.demo_speed)),
            target,
            auto_refresh: self.auto_refresh.then(|| Duration::from_secs(every)),
            read_timeout: self.read_timeout,
            audit_path: Some(crate::adapters::audit::AuditLog::path_in(
                &self.paths.data_dir,
            )),
            waits: crate::ops::levers::Waits::default(),
        }
    }
}

/// Starts a worker that wakes this window after every event.
fn spawn_worker(ctx: &egui::Context, config: WorkerConfig) -> WorkerHandle {
    let ctx = ctx.clone();
    WorkerHandle::spawn(config, move || ctx.request_repaint())
}

/// A read in flight: since when, and whether someone waits for it.
#[derive(Clone, Copy, Debug)]
struct Read {
    since: Instant,
    /// Asked for (Refresh, Recheck, opening a profile) rather than automatic.
    asked: bool,
}

impl Read {
    fn asked() -> Self {
        Self {
            since: Instant::now(),
            asked: true,
        }
    }

    /// How long until the tab row shows it as slow: soon for a read someone
    /// waits for; an automatic refresh only once it is late (the ages in the
    /// top bar say how fresh the data is meanwhile), so a panel left alone
    /// does not animate a spinner on every refresh.
    fn until_slow(&self) -> Duration {
        let threshold = if self.asked {
            SLOW_READ
        } else {
            SLOW_AUTO_READ
        };
        threshold.saturating_sub(self.since.elapsed())
    }
}

/// The application.
pub struct App {
    state: PersistedState,
    worker: WorkerHandle,
    snapshot: Arc<Snapshot>,
    /// The read in flight, if any.
    reading: Option<Read>,
    /// Set once the worker is gone for good.
    worker_error: Option<String>,
    clock: Arc<dyn Clock>,
    ctx: egui::Context,
    launcher: Option<Launcher>,
    /// Background work: profile jobs, exports, opening a folder.
    jobs: Jobs,
    profiles_view: Option<ProfilesView>,
    profiles_window: ProfilesWindow,
    /// Reopen the current profile once the queued profile jobs are done.
    reconnect_after_jobs: bool,
    /// Something the user must know about how the panel started.
    notice: Option<String>,
    /// The Levers tab: its dialog and the progress of lever runs.
    levers: LeversPanel,
    /// The Metrics tab's harm latch and view.
    metrics: MetricsPanel,
    /// The Drafts tab.
    drafts: DraftsPanel,
    /// The Audit tab (its rollout record).
    audit: AuditPanel,
    /// The Rehearsal tab (drills on the demo).
    rehearsal: RehearsalPanel,
    /// The tab last told to a running drill (its first look).
    drill_tab: Option<Tab>,
    /// The save dialog (native; tests answer it themselves).
    dialog: Arc<dyn SaveDialog>,
    /// Where exports go when no dialog can be shown.
    export_dir: std::path::PathBuf,
    /// Whether the About dialog is open.
    about: bool,
    /// The window was asked to close while a lever runs: ask first.
    quit_asked: bool,
    /// The user chose to quit although a lever runs.
    quit_confirmed: bool,
    /// The open profile's one-window lock (`None` when the window was built
    /// without one, as in most tests); a profile switch moves it.
    instance: Option<crate::platform::instance::InstanceLock>,
    /// Desktop notifications (off unless asked for with
    /// [`App::with_desktop_notifications`]).
    alerts: crate::gui::alerts::Alerts,
    /// Frames drawn, and since when (logged at debug level every minute: the
    /// idle cost, as frames).
    frames: (u32, Instant),
    /// Why those frames were drawn (egui's repaint causes), counted.
    frame_causes: std::collections::BTreeMap<String, u32>,
}

impl App {
    /// Creates the app and starts its worker. With a launcher, the window can
    /// manage profiles and switch between them.
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        config: WorkerConfig,
        launcher: Option<Launcher>,
    ) -> Self {
        let state = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        crate::gui::fonts::install(&ctx, crate::gui::fonts::Fallback::SystemThenBundled);
        let clock = Arc::clone(&config.clock);
        let profile = config.target.profile_name().to_owned();
        let export_dir = config
            .audit_path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map_or_else(std::env::temp_dir, crate::ops::export::fallback_dir);
        let notify_on = config.target.notifications();
        let worker = spawn_worker(&ctx, config);
        let repaint_ctx = ctx.clone();
        let jobs = Jobs::spawn(launcher.as_ref().map(|l| l.manager.clone()), move || {
            repaint_ctx.request_repaint()
        });
        if launcher.is_some() {
            jobs.send(Job::Profile(ProfileJob::Reload));
        }
        Self {
            state,
            worker,
            snapshot: Arc::new(Snapshot::for_profile(&profile)),
            reading: Some(Read::asked()),
            worker_error: None,
            clock,
            ctx,
            launcher,
            jobs,
            profiles_view: None,
            profiles_window: ProfilesWindow::default(),
            reconnect_after_jobs: false,
            notice: None,
            levers: LeversPanel::default(),
            metrics: MetricsPanel::default(),
            drafts: DraftsPanel::default(),
            audit: AuditPanel::default(),
            rehearsal: RehearsalPanel::default(),
            drill_tab: None,
            dialog: Arc::new(NativeDialog),
            about: false,
            quit_asked: false,
            quit_confirmed: false,
            instance: None,
            export_dir,
            alerts: crate::gui::alerts::Alerts::switched(notify_on),
            frames: (0, Instant::now()),
            frame_causes: Default::default(),
        }
    }

    /// Raises desktop notifications through the platform's service (a new
    /// alarm, harm, a failed run, another operator's lever), as the open
    /// profile's switch allows.
    pub fn with_desktop_notifications(mut self) -> Self {
        let ctx = self.ctx.clone();
        self.alerts
            .set_desktop(crate::platform::notify::Desktop::spawn(Arc::new(
                move || ctx.request_repaint(),
            )));
        self
    }

    /// Shows a lasting notice in the status bar (e.g. why the demo opened).
    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }

    /// Holds the open profile's one-window lock; switching profiles then
    /// takes the new profile's lock first and refuses when another window
    /// holds it.
    pub fn with_instance_lock(mut self, lock: crate::platform::instance::InstanceLock) -> Self {
        self.instance = Some(lock);
        self
    }

    /// Uses another save dialog (tests answer it) and fallback folder.
    pub fn with_dialog(
        mut self,
        dialog: Arc<dyn SaveDialog>,
        export_dir: std::path::PathBuf,
    ) -> Self {
        self.dialog = dialog;
        self.export_dir = export_dir;
        self
    }

    /// The background jobs' runner (tests wait on it).
    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    /// Switches the panel to another profile: a new worker reads it from now
    /// on, and the choice is remembered as the default.
    fn open_profile(&mut self, name: &str) {
        let Some(launcher) = &self.launcher else {
            return;
        };
        if self.levers.running() {
            self.notice = Some(format!(
                "not switching to {name}: a lever is still running on {}; wait for it to end",
                self.snapshot.profile
            ));
            return;
        }
        let profile = if name == DEMO_PROFILE {
            None
        } else {
            let found = self
                .profiles_view
                .as_ref()
                .and_then(|v| v.file.as_ref().ok())
                .and_then(|f| f.profiles.get(name).cloned());
            match found {
                Some(p) => Some(p),
                None => {
                    self.profiles_window
                        .say(Err(format!("profile {name} is not configured")));
                    return;
                }
            }
        };
        // One window per profile: take the new profile's lock before letting
        // go of the old one; another window on it means no switch.
        if let Some(held) = &self.instance
            && held.profile != name
        {
            match crate::platform::instance::lock(&launcher.paths, name) {
                Ok(lock) => self.instance = Some(lock),
                Err(why) => {
                    let why = format!("not switching to {name}: {why}");
                    self.profiles_window.say(Err(why.clone()));
                    self.notice = Some(why);
                    return;
                }
            }
        }
        self.levers = LeversPanel::default();
        self.metrics = MetricsPanel::default();
        self.drafts = DraftsPanel::default();
        let config = launcher.config_for(name, profile.as_ref());
        self.clock = Arc::clone(&config.clock);
        self.alerts.reset(config.target.notifications());
        self.worker = spawn_worker(&self.ctx, config);
        self.snapshot = Arc::new(Snapshot::for_profile(name));
        self.reading = Some(Read::asked());
        self.worker_error = None;
        self.notice = None;
        if self.launcher.is_some() {
            self.jobs
                .send(Job::Profile(ProfileJob::SetDefault(name.to_owned())));
        }
    }

    /// The worker handle (tests wait on it).
    pub fn worker(&self) -> &WorkerHandle {
        &self.worker
    }

    /// Whether a lever run of this window is still going.
    pub fn levers_running(&self) -> bool {
        self.levers.running()
    }

    /// The latest snapshot drawn.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// When to draw again without input or news from the worker: when a read
    /// turns slow (to show the spinner), else when the freshest age on screen
    /// ("DB ok · 4 s ago") next reads differently, at most a minute on. The
    /// worker wakes the window itself when data arrives; a spinner animates
    /// itself.
    fn next_wake(&self) -> Duration {
        if let Some(read) = self.reading {
            let until_slow = read.until_slow();
            if !until_slow.is_zero() {
                return until_slow;
            }
        }
        let now = self.clock.now();
        [self.snapshot.db.last_ok, self.snapshot.env.last_ok]
            .into_iter()
            .flatten()
            .max()
            .and_then(|freshest| {
                crate::core::time::until_age_text_changes(now - freshest)
                    .to_std()
                    .ok()
            })
            // A timer that fires a little early would draw the same text.
            .map(|until| until + AGE_TICK_SLACK)
            .unwrap_or(IDLE_WAKE)
            .min(IDLE_WAKE)
    }

    /// The persisted UI state.
    pub fn state(&self) -> &PersistedState {
        &self.state
    }

    /// Applies one user action (after drawing, or from a shortcut).
    fn apply(&mut self, command: AppCommand) {
        match command {
            AppCommand::Refresh => {
                self.reading.get_or_insert_with(Read::asked);
                self.worker.send(Request::Refresh);
            }
            AppCommand::Recheck => {
                self.reading.get_or_insert_with(Read::asked);
                self.worker.send(Request::Recheck);
            }
            AppCommand::ShowTab(tab) => self.state.tab = tab,
            AppCommand::SetWindow(w) => self.state.window = w,
            AppCommand::ShowAbout => self.about = true,
            AppCommand::ShowProfiles => {
                let current = self.snapshot.profile.clone();
                self.profiles_window
                    .show(&current, self.profiles_view.as_ref());
                if self.launcher.is_some() {
                    self.jobs.send(Job::Profile(ProfileJob::Reload));
                }
            }
            AppCommand::OpenProfile(name) => self.open_profile(&name),
            AppCommand::ProfileJob(job) => {
                // A changed database URL or setting of the open profile takes
                // effect at once: reconnect once the job is done.
                let touches_open = match &job {
                    ProfileJob::SetSecret { profile, key, .. }
                    | ProfileJob::DeleteSecret { profile, key } => {
                        *key == SecretKey::DatabaseUrl && *profile == self.snapshot.profile
                    }
                    ProfileJob::Save { name, .. } => *name == self.snapshot.profile,
                    _ => false,
                };
                self.reconnect_after_jobs |= touches_open;
                if self.launcher.is_some() {
                    self.jobs.send(Job::Profile(job));
                }
            }
            AppCommand::RunLever(run) => self.worker.send(Request::RunLever(run)),
            AppCommand::Approval(ask) => self.worker.send(Request::Approval(ask)),
            AppCommand::Guard {
                armed,
                dry_run,
                reason,
            } => self.worker.send(Request::Guard {
                armed,
                dry_run,
                reason,
            }),
            AppCommand::CloseUnfinished(closing) => {
                self.worker.send(Request::CloseUnfinished(closing));
            }
            AppCommand::DrawSample(req) => self.worker.send(Request::DrawSample(req)),
            AppCommand::Export {
                sample,
                name,
                review,
            } => self.jobs.send(Job::Export {
                dialog: Arc::clone(&self.dialog),
                fallback_dir: self.export_dir.clone(),
                name,
                sample,
                review,
            }),
            AppCommand::OpenFolder(dir) => self.jobs.send(Job::OpenFolder(dir)),
            AppCommand::RecordVerdict(ask) => self.worker.send(Request::Verdict(ask)),
            AppCommand::Drill(ask) => {
                if matches!(ask, crate::worker::protocol::DrillAsk::Start { .. }) {
                    // The new drill hears which tab is open.
                    self.drill_tab = None;
                }
                self.worker.send(Request::Drill(ask));
            }
            AppCommand::WriteRecord(period) => self.jobs.send(Job::PickRecordFolder {
                dialog: Arc::clone(&self.dialog),
                fallback_dir: self.export_dir.clone(),
                name: format!(
                    "rollout-record-{}-{}",
                    self.snapshot.profile,
                    self.clock.now().format("%Y%m%d-%H%M%S")
                ),
                period,
            }),
        }
    }

    /// A finished background job.
    fn job_done(&mut self, done: JobDone) {
        match done {
            JobDone::Export(outcome, sample) => {
                self.drafts.export_done(&outcome);
                let (ok, summary, path) = match &outcome {
                    ExportOutcome::Written { path, rows, .. } => (
                        true,
                        format!(
                            "Exported {rows} revised drafts (seed {}) to {}",
                            sample.request.seed,
                            path.display()
                        ),
                        Some(path.display().to_string()),
                    ),
                    ExportOutcome::Failed(e) => (false, format!("Export failed: {e}"), None),
                    ExportOutcome::Cancelled => return,
                };
                self.worker.send(Request::RecordExport {
                    summary,
                    detail: sample.audit_detail(path),
                    ok,
                });
            }
            JobDone::RecordFolder(Some(ask)) => self.worker.send(Request::WriteRecord(ask)),
            JobDone::RecordFolder(None) => self.audit.record_cancelled(),
            JobDone::Profile(done) => {
                let done = *done;
                self.profiles_window.job_done(&done);
                let removed_open = done.removed.as_deref() == Some(self.snapshot.profile.as_str());
                self.profiles_view = Some(done.view);
                if removed_open {
                    // The open profile is gone: fall back to the demo.
                    self.open_profile(DEMO_PROFILE);
                }
            }
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.frames.0 += 1;
        if tracing::enabled!(tracing::Level::DEBUG) {
            let causes = ctx.repaint_causes();
            let key = if causes.is_empty() {
                "input or timer".to_owned()
            } else {
                causes
                    .iter()
                    .map(|c| format!("{}:{} {}", c.file, c.line, c.reason))
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            *self.frame_causes.entry(key).or_default() += 1;
        }
        if self.frames.1.elapsed() >= Duration::from_secs(60) {
            tracing::debug!(
                "drew {} frames in {:.0} s; why: {:?}",
                self.frames.0,
                self.frames.1.elapsed().as_secs_f64(),
                std::mem::take(&mut self.frame_causes)
            );
            self.frames = (0, Instant::now());
        }
        // Closing the window mid-lever would stop the run: ask first.
        if ctx.input(|i| i.viewport().close_requested())
            && self.levers.running()
            && !self.quit_confirmed
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.quit_asked = true;
        }
        loop {
            let event = match self.worker.try_recv() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(stopped) => {
                    if self.worker_error.is_none() {
                        tracing::error!("{stopped}");
                        self.worker_error = Some(stopped.to_string());
                    }
                    self.reading = None;
                    break;
                }
            };
            match event {
                Event::RefreshStarted => {
                    self.reading.get_or_insert(Read {
                        since: Instant::now(),
                        asked: false,
                    });
                }
                Event::Snapshot(s) => {
                    self.alerts
                        .snapshot(&s, self.state.verdict, self.clock.now());
                    self.snapshot = s;
                    if let Some(read) = self.reading.take() {
                        tracing::debug!(
                            "read took {} ms ({})",
                            read.since.elapsed().as_millis(),
                            if read.asked { "asked" } else { "automatic" }
                        );
                    }
                }
                Event::LeverStep { run, step } => self.levers.step(run, step),
                Event::Sample(result) => self.drafts.sample_done(result),
                Event::VerdictDone(result) => self.drafts.review.verdict_done(result),
                Event::ApprovalDone(result) => self.levers.approval_done(result),
                Event::GuardSet(result) => self.levers.approval_done(result),
                Event::RecordWritten(result) => self.audit.record_done(result),
                Event::DrillAnswer(answer) => self.rehearsal.answer(answer),
                Event::Guard { title, body } => self.alerts.guard(title, body),
                Event::LeverDone { run, result } => {
                    // The guard's own runs are told by the guard (once,
                    // when a fresh read shows what they did).
                    if let Ok(report) = &result
                        && !report.ok
                        && run < crate::worker::guard::GUARD_RUNS
                    {
                        let failed = report.failed_step().map_or_else(
                            || "a step failed".to_owned(),
                            |s| format!("{}: {}", s.label, s.detail),
                        );
                        let title = self.levers.title_of(run).unwrap_or_default();
                        self.alerts
                            .run_ended(&title, Some(failed), self.clock.now());
                    }
                    self.levers.done(run, result);
                    // Show the state the lever left at once.
                    self.worker.send(Request::Refresh);
                }
            }
        }
        // A clicked notification: the window comes to the front on its tab.
        while let Some(tab) = self.alerts.clicked() {
            self.state.tab = tab;
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        }
        while let Some(done) = self.jobs.try_recv() {
            self.job_done(done);
        }
        if self.reconnect_after_jobs && !self.jobs.busy() {
            self.reconnect_after_jobs = false;
            let current = self.snapshot.profile.clone();
            tracing::info!("profile {current} changed; reconnecting");
            self.open_profile(&current);
        }
        // A running drill hears which tab is open (its score's first look).
        let drilling = self
            .snapshot
            .drill
            .as_ref()
            .is_some_and(|d| d.score.is_none());
        if drilling && self.drill_tab != Some(self.state.tab) {
            self.drill_tab = Some(self.state.tab);
            self.worker
                .send(Request::Drill(crate::worker::protocol::DrillAsk::Look(
                    self.state.tab.label().to_owned(),
                )));
        }
        let shortcuts: Vec<AppCommand> = AppCommand::with_shortcuts()
            .into_iter()
            .filter(|c| {
                c.shortcut()
                    .is_some_and(|s| ctx.input_mut(|i| i.consume_shortcut(&s)))
            })
            .collect();
        for c in shortcuts {
            self.apply(c);
        }
        ctx.request_repaint_after(self.next_wake());
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let now = self.clock.now();
        let snapshot = Arc::clone(&self.snapshot);
        let mut commands = Vec::new();
        let slow_read = self.reading.is_some_and(|r| r.until_slow().is_zero());
        let names = self
            .profiles_view
            .as_ref()
            .and_then(|v| v.file.as_ref().ok())
            .map(|f| f.names_with_demo())
            .unwrap_or_else(|| vec![snapshot.profile.clone()]);
        let demo_clock = self.clock.demo().and_then(|c| {
            c.anchor()
                .and_then(|a| crate::core::demo_clock::note(&a, c.wall()))
        });
        egui::Panel::top("top_bar").show(ui, |ui| {
            commands.extend(top_bar_ui(
                ui,
                &snapshot,
                now,
                &names,
                self.launcher.is_some(),
                demo_clock.as_deref(),
            ));
        });
        egui::Panel::top("tabs").show(ui, |ui| {
            commands.extend(tabs_ui(ui, self.state.tab, slow_read));
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let schema = snapshot.schema.as_ref().map_or_else(
                    || "schema: not read yet".to_owned(),
                    |s| format!("schema: {}", s.summary()),
                );
                ui.small(schema);
                ui.separator();
                ui.small(&snapshot.source);
            });
            // Problems on their own lines: they can be long and must wrap
            // cleanly.
            let error = self
                .worker_error
                .as_ref()
                .or(snapshot.db.error.as_ref())
                .or(snapshot.env.error.as_ref());
            if let Some(e) = error {
                ui.colored_label(crate::gui::colors::FAIL, e);
            }
            if let Some(Err(e)) = self.profiles_view.as_ref().map(|v| &v.file) {
                ui.colored_label(crate::gui::colors::WARN, e);
            }
            if let Some(n) = &self.notice {
                ui.colored_label(crate::gui::colors::WARN, n);
            }
        });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink(false)
                .show(ui, |ui| match self.state.tab {
                    Tab::Metrics => commands.extend(metrics_ui(
                        ui,
                        &mut self.metrics,
                        &mut self.state.verdict,
                        &snapshot,
                        self.state.window,
                        now,
                    )),
                    Tab::Readiness => commands.extend(readiness_ui(ui, &snapshot, now)),
                    Tab::Audit => commands.extend(self.audit.audit_ui(ui, &snapshot)),
                    Tab::Rehearsal => {
                        commands.extend(self.rehearsal.rehearsal_ui(ui, &snapshot));
                    }
                    Tab::Levers => commands.extend(self.levers.levers_ui(
                        ui,
                        &snapshot,
                        crate::gui::panels::metrics::watch_of(&snapshot, self.state.verdict, now),
                    )),
                    Tab::Drafts => commands.extend(self.drafts.drafts_ui(ui, &snapshot, now)),
                });
        });
        let busy = self.jobs.busy();
        if self.profiles_window.open {
            let ctx = ui.ctx().clone();
            commands.extend(self.profiles_window.window_ui(
                &ctx,
                self.profiles_view.as_ref(),
                busy,
            ));
        }
        if self.about {
            let ctx = ui.ctx().clone();
            self.about_ui(&ctx);
        }
        commands.extend(self.levers.dialog_ui(ui.ctx(), &snapshot, now));
        if self.quit_asked {
            let ctx = ui.ctx().clone();
            self.quit_ui(&ctx);
        }
        for c in commands {
            self.apply(c);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
    }
}
