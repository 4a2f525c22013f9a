//! The eframe application: keeps the persisted UI state and the latest
//! snapshot from the worker, draws it, and applies the commands panels return.

use crate::adapters::clock::Clock;
use crate::ui::metrics::metrics_ui;
use crate::ui::placeholder::placeholder_ui;
use crate::ui::top_bar::{tabs_ui, top_bar_ui};
use crate::ui::{Command, MetricsWindow, Tab};
use crate::worker::{Event, Request, Snapshot, WorkerConfig, WorkerHandle};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A read taking longer than this shows a spinner (quick polls do not flicker).
const SLOW_READ: Duration = Duration::from_millis(400);

/// What survives a restart of the window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersistedState {
    /// The screen shown.
    pub tab: Tab,
    /// The metrics window.
    pub window: MetricsWindow,
}

/// The application.
pub struct App {
    state: PersistedState,
    worker: WorkerHandle,
    snapshot: Arc<Snapshot>,
    /// Since when a read has been in flight.
    busy_since: Option<Instant>,
    /// Set once the worker is gone for good.
    worker_error: Option<String>,
    clock: Arc<dyn Clock>,
}

impl App {
    /// Creates the app and starts its worker.
    pub fn new(cc: &eframe::CreationContext<'_>, config: WorkerConfig) -> Self {
        let state = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let clock = Arc::clone(&config.clock);
        let profile = config.target.profile_name().to_owned();
        let worker = WorkerHandle::spawn(config, move || ctx.request_repaint());
        Self {
            state,
            worker,
            snapshot: Arc::new(Snapshot::for_profile(&profile)),
            busy_since: Some(Instant::now()),
            worker_error: None,
            clock,
        }
    }

    /// The worker handle (tests wait on it).
    pub fn worker(&self) -> &WorkerHandle {
        &self.worker
    }

    /// The latest snapshot drawn.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The persisted UI state.
    pub fn state(&self) -> &PersistedState {
        &self.state
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Refresh => {
                self.busy_since.get_or_insert_with(Instant::now);
                self.worker.send(Request::Refresh);
            }
            Command::ShowTab(tab) => self.state.tab = tab,
            Command::SetWindow(w) => self.state.window = w,
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        loop {
            let event = match self.worker.try_recv() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(stopped) => {
                    if self.worker_error.is_none() {
                        tracing::error!("{stopped}");
                        self.worker_error = Some(stopped.to_string());
                    }
                    self.busy_since = None;
                    break;
                }
            };
            match event {
                Event::RefreshStarted => {
                    self.busy_since.get_or_insert_with(Instant::now);
                }
                Event::Snapshot(s) => {
                    self.snapshot = s;
                    self.busy_since = None;
                }
            }
        }
        let shortcuts: Vec<Command> = Command::with_shortcuts()
            .into_iter()
            .filter(|c| {
                c.shortcut()
                    .is_some_and(|s| ctx.input_mut(|i| i.consume_shortcut(&s)))
            })
            .collect();
        for c in shortcuts {
            self.apply(c);
        }
        // Keep the "… s ago" ages honest without spinning the CPU, and show the
        // spinner once a read turns slow.
        let wake = match self.busy_since {
            Some(since) => SLOW_READ
                .saturating_sub(since.elapsed())
                .max(Duration::from_millis(50)),
            None => Duration::from_secs(1),
        };
        ctx.request_repaint_after(wake.min(Duration::from_secs(1)));
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let now = self.clock.now();
        let snapshot = Arc::clone(&self.snapshot);
        let mut commands = Vec::new();
        let slow_read = self.busy_since.is_some_and(|s| s.elapsed() >= SLOW_READ);
        egui::Panel::top("top_bar").show(ui, |ui| top_bar_ui(ui, &snapshot, now));
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
                let error = self
                    .worker_error
                    .as_ref()
                    .or(snapshot.db.error.as_ref())
                    .or(snapshot.env.error.as_ref());
                if let Some(e) = error {
                    ui.separator();
                    ui.colored_label(crate::ui::colors::FAIL, e);
                }
            });
        });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink(false)
                .show(ui, |ui| match self.state.tab {
                    Tab::Metrics => {
                        commands.extend(metrics_ui(ui, &snapshot, self.state.window, now))
                    }
                    tab => placeholder_ui(ui, tab, &snapshot),
                });
        });
        for c in commands {
            self.apply(c);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
    }
}
