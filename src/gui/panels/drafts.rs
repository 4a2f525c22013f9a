//! The Drafts tab (runbook step 6): a reproducible sample of revised drafts
//! as a sortable table, its seed, Resample, and Export CSV… through the
//! native save dialog (or a fallback folder when none can be shown).

use crate::core::export::DraftRow;
use crate::core::time::UtcNaive;
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::ops::export::{ExportOutcome, Sample, SampleRequest};
use crate::worker::Snapshot;
use egui::{RichText, Ui};
use std::path::PathBuf;
use std::sync::Arc;

/// Export CSV… from the keyboard, on the Drafts tab.
pub const EXPORT_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::E);

/// Which revisions the sample is drawn from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DraftsWindow {
    /// Since the canary started (else the last 24 h).
    #[default]
    SinceCanary,
    /// The last 24 hours.
    Hours24,
    /// The last 72 hours.
    Hours72,
}

/// Where `window` starts at `now`.
fn window_start(window: DraftsWindow, snapshot: &Snapshot, now: UtcNaive) -> UtcNaive {
    match window {
        DraftsWindow::SinceCanary => snapshot
            .canary
            .as_ref()
            .map_or(now - chrono::Duration::hours(24), |c| c.start),
        DraftsWindow::Hours24 => now - chrono::Duration::hours(24),
        DraftsWindow::Hours72 => now - chrono::Duration::hours(72),
    }
}

/// A column to sort by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum SortKey {
    #[default]
    Revised,
    Workspace,
    Uplift,
    Action,
}

/// The tab's state.
#[derive(Debug)]
pub struct DraftsPanel {
    n: usize,
    seed: u64,
    window: DraftsWindow,
    workspace: Option<String>,
    sample: Option<Arc<Sample>>,
    drawing: bool,
    error: Option<String>,
    exporting: bool,
    status: Option<(bool, String)>,
    open_folder: Option<PathBuf>,
    sort: SortKey,
    descending: bool,
    /// The sample's rows in the table's order (indices), sorted when the
    /// sample or the sort changes, not on every frame.
    order: Vec<usize>,
    /// Review mode (the sample one draft at a time, with verdicts).
    reviewing: bool,
    /// The review's state.
    pub review: super::review::ReviewState,
}

impl Default for DraftsPanel {
    fn default() -> Self {
        Self {
            n: 25,
            seed: rand::random::<u32>() as u64,
            window: DraftsWindow::default(),
            workspace: None,
            sample: None,
            drawing: false,
            error: None,
            exporting: false,
            status: None,
            open_folder: None,
            sort: SortKey::default(),
            descending: false,
            order: Vec::new(),
            reviewing: false,
            review: super::review::ReviewState::default(),
        }
    }
}

impl DraftsPanel {
    /// A drawn sample arrived.
    pub fn sample_done(&mut self, result: Result<Arc<Sample>, String>) {
        self.drawing = false;
        match result {
            Ok(s) => {
                self.sample = Some(s);
                self.error = None;
                self.review.at = 0;
                self.resort();
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// An export ended.
    pub fn export_done(&mut self, outcome: &ExportOutcome) {
        self.exporting = false;
        self.open_folder = None;
        self.status = Some(match outcome {
            ExportOutcome::Written {
                path,
                rows,
                fallback,
            } => {
                self.open_folder = path.parent().map(PathBuf::from);
                match fallback {
                    None => (true, format!("Exported {rows} rows to {}", path.display())),
                    Some(why) => (
                        true,
                        format!(
                            "No save dialog could be shown ({why}); exported {rows} rows to {}",
                            path.display()
                        ),
                    ),
                }
            }
            ExportOutcome::Cancelled => (true, "export cancelled; nothing was written".to_owned()),
            ExportOutcome::Failed(e) => (false, format!("Export failed, nothing was written: {e}")),
        });
    }

    /// The sample request of the current settings.
    fn request(&self, snapshot: &Snapshot, now: UtcNaive) -> SampleRequest {
        SampleRequest {
            start: window_start(self.window, snapshot, now),
            end: now + chrono::Duration::milliseconds(1),
            workspace_id: self.workspace.clone(),
            n: self.n,
            seed: self.seed,
        }
    }

    /// Draws the tab.
    pub fn drafts_ui(
        &mut self,
        ui: &mut Ui,
        snapshot: &Snapshot,
        now: UtcNaive,
    ) -> Vec<AppCommand> {
        let mut actions = Vec::new();
        let mut draw = self.sample.is_none() && !self.drawing && self.error.is_none();
        ui.heading("Revised drafts");
        ui.label("A uniform random sample of drafts whose revision was applied, for the quality review. The same seed and data give the same rows, here and with `rollout-panel export --seed`.");
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Sample size");
            draw |= ui
                .add(egui::DragValue::new(&mut self.n).range(1..=crate::core::export::MAX_SAMPLE))
                .labelled_by(l.id)
                .changed();
            ui.separator();
            for (w, label) in [
                (DraftsWindow::SinceCanary, "since the canary started"),
                (DraftsWindow::Hours24, "24 h"),
                (DraftsWindow::Hours72, "72 h"),
            ] {
                if ui.selectable_label(self.window == w, label).clicked() {
                    self.window = w;
                    draw = true;
                }
            }
            ui.separator();
            let current = self
                .workspace
                .as_ref()
                .and_then(|id| snapshot.workspaces.iter().find(|w| &w.id == id))
                .map_or("all workspaces".to_owned(), |w| w.name.clone());
            let l = ui.label("Workspace:");
            egui::ComboBox::from_id_salt("drafts_workspace")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    draw |= ui
                        .selectable_value(&mut self.workspace, None, "all workspaces")
                        .clicked();
                    for w in &snapshot.workspaces {
                        draw |= ui
                            .selectable_value(&mut self.workspace, Some(w.id.clone()), &w.name)
                            .clicked();
                    }
                })
                .response
                .labelled_by(l.id);
        });
        ui.horizontal(|ui| {
            ui.label(format!("Seed {}", self.seed));
            if ui
                .add_enabled(!self.drawing, egui::Button::new("Resample"))
                .on_hover_text("Draw again with a new seed")
                .clicked()
            {
                self.seed = rand::random::<u32>() as u64;
                draw = true;
            }
            let can_export = self.sample.as_ref().is_some_and(|s| s.population > 0)
                && !self.exporting
                && !self.drawing;
            let by_key = ui.input_mut(|i| i.consume_shortcut(&EXPORT_SHORTCUT));
            let hover = format!(
                "Save the sample as CSV (the native save dialog; without one, the downloads folder) ({})",
                ui.ctx().format_shortcut(&EXPORT_SHORTCUT)
            );
            let clicked = ui
                .add_enabled(can_export, egui::Button::new("Export CSV…"))
                .on_hover_text(hover)
                .clicked();
            if (clicked || (by_key && can_export))
                && let Some(sample) = &self.sample
            {
                self.exporting = true;
                self.status = None;
                let name = crate::core::export::file_name(&snapshot.profile, now, sample.request.seed);
                let verdicts = crate::adapters::audit::review::verdicts(&snapshot.audit);
                actions.push(AppCommand::Export {
                    review: crate::core::export::review_of(&sample.rows, &verdicts),
                    sample: Arc::clone(sample),
                    name,
                });
            }
            if self.drawing || self.exporting {
                ui.spinner();
            }
        });
        if let Some((ok, text)) = &self.status {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(if *ok { colors::OK } else { colors::FAIL }, text);
                if let Some(dir) = &self.open_folder
                    && ui.small_button("Open folder").clicked()
                {
                    actions.push(AppCommand::OpenFolder(dir.clone()));
                }
            });
        }
        if let Some(e) = &self.error {
            ui.colored_label(colors::FAIL, format!("The sample could not be drawn: {e}"));
            if ui.button("Try again").clicked() {
                draw = true;
            }
        }
        if let Some(sample) = self.sample.clone() {
            if sample.population == 0 {
                draw |= self.empty_ui(ui, snapshot, now, &sample);
            } else {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(sample.describe()).strong());
                    ui.separator();
                    if ui
                        .selectable_label(!self.reviewing, "Table")
                        .on_hover_text("Every sampled draft in a sortable table")
                        .clicked()
                    {
                        self.reviewing = false;
                    }
                    if ui
                        .selectable_label(self.reviewing, "Review")
                        .on_hover_text("One draft at a time, before and after, with your pass/fail (P, F, ← →)")
                        .clicked()
                    {
                        self.reviewing = true;
                    }
                });
                if self.reviewing {
                    actions.extend(super::review::review_ui(
                        ui,
                        &mut self.review,
                        &sample,
                        snapshot,
                    ));
                } else {
                    self.table_ui(ui, &sample.rows);
                }
            }
        }
        if draw && !self.drawing {
            self.drawing = true;
            self.error = None;
            actions.push(AppCommand::DrawSample(self.request(snapshot, now)));
        }
        actions
    }

    /// An empty window: says why (the window, since when) and offers the next
    /// wider one in one click. Returns whether the window was widened.
    fn empty_ui(
        &mut self,
        ui: &mut Ui,
        snapshot: &Snapshot,
        now: UtcNaive,
        sample: &Sample,
    ) -> bool {
        let start = sample.request.start;
        let scope = match &sample.request.workspace_id {
            None => "any workspace".to_owned(),
            Some(id) => snapshot
                .workspaces
                .iter()
                .find(|w| &w.id == id)
                .map_or_else(|| id.clone(), |w| w.name.clone()),
        };
        let since = match self.window {
            DraftsWindow::SinceCanary if snapshot.canary.is_some() => "since the canary started",
            DraftsWindow::SinceCanary => "in the last 24 h (no canary start known)",
            DraftsWindow::Hours24 => "in the last 24 h",
            DraftsWindow::Hours72 => "in the last 72 h",
        };
        ui.label(
            RichText::new(format!(
                "No revised drafts {since} ({} UTC, {} ago) in {scope}.",
                start.format("%H:%M"),
                crate::core::time::format_age(now - start)
            ))
            .strong(),
        );
        ui.label("A revision is applied only to a draft below the auto-send threshold, and the app stamps it when the revision runs: right after a new canary the window holds none yet.");
        let Some((window, workspace, label)) = self.wider(snapshot, now) else {
            ui.label("Nothing wider to offer: the app keeps AIInteraction 30 days, the panel samples the last 72 h.");
            return false;
        };
        if ui
            .button(label)
            .on_hover_text("Draw the sample again from the wider window")
            .clicked()
        {
            self.window = window;
            self.workspace = workspace;
            return true;
        }
        false
    }

    /// The next wider window: a longer one that starts earlier, else every
    /// workspace instead of one.
    fn wider(
        &self,
        snapshot: &Snapshot,
        now: UtcNaive,
    ) -> Option<(DraftsWindow, Option<String>, &'static str)> {
        let start_of = |window| window_start(window, snapshot, now);
        let current = start_of(self.window);
        [
            (DraftsWindow::Hours24, "Widen to the last 24 h"),
            (DraftsWindow::Hours72, "Widen to the last 72 h"),
        ]
        .into_iter()
        .find(|(w, _)| start_of(*w) < current)
        .map(|(w, label)| (w, self.workspace.clone(), label))
        .or_else(|| {
            self.workspace
                .is_some()
                .then_some((self.window, None, "Show all workspaces"))
        })
    }

    /// Puts the sample's rows in the table's order.
    fn resort(&mut self) {
        let Some(sample) = &self.sample else {
            self.order.clear();
            return;
        };
        let rows = &sample.rows;
        let key = self.sort;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&rows[a], &rows[b]);
            let o = match key {
                SortKey::Revised => a.attempted_at.cmp(&b.attempted_at),
                SortKey::Workspace => a.workspace_name.cmp(&b.workspace_name),
                SortKey::Uplift => a
                    .uplift()
                    .unwrap_or(f64::MIN)
                    .total_cmp(&b.uplift().unwrap_or(f64::MIN)),
                SortKey::Action => a.action.cmp(&b.action),
            };
            o.then_with(|| a.draft_id.cmp(&b.draft_id))
        });
        if self.descending {
            order.reverse();
        }
        self.order = order;
    }

    fn table_ui(&mut self, ui: &mut Ui, rows: &[DraftRow]) {
        use egui_extras::{Column, TableBuilder};
        let height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut clicked = None;
        TableBuilder::new(ui)
            .id_salt("drafts_table")
            .striped(true)
            .max_scroll_height(height * 20.0)
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(110.0))
            .column(Column::auto())
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::remainder().at_least(200.0))
            .column(Column::auto())
            .header(height, |mut h| {
                for (label, key) in [
                    ("Revised (UTC)", Some(SortKey::Revised)),
                    ("Workspace", Some(SortKey::Workspace)),
                    ("Channel", None),
                    ("Confidence", Some(SortKey::Uplift)),
                    ("Action", Some(SortKey::Action)),
                    ("Content (the revised text)", None),
                    ("", None),
                ] {
                    h.col(|ui| match key {
                        Some(k) => {
                            let mark = match (self.sort == k, self.descending) {
                                (true, false) => " ^",
                                (true, true) => " v",
                                _ => "",
                            };
                            let button = egui::Button::new(format!("{label}{mark}"))
                                .wrap_mode(egui::TextWrapMode::Extend);
                            if ui.add(button).clicked() {
                                clicked = Some(k);
                            }
                        }
                        None => {
                            ui.add(
                                egui::Label::new(RichText::new(label).strong())
                                    .wrap_mode(egui::TextWrapMode::Extend),
                            );
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(height, self.order.len(), |mut r| {
                    let d = &rows[self.order[r.index()]];
                    r.col(|ui| {
                        ui.label(d.attempted_at.format("%m-%d %H:%M:%S").to_string());
                    });
                    r.col(|ui| {
                        ui.label(&d.workspace_name);
                    });
                    r.col(|ui| {
                        ui.label(&d.channel);
                    });
                    r.col(|ui| {
                        let f = |v: Option<f64>| v.map_or("-".to_owned(), |x| format!("{x:.2}"));
                        ui.label(format!(
                            "{} -> {}",
                            f(d.original_confidence),
                            f(d.revised_confidence)
                        ));
                    });
                    r.col(|ui| {
                        ui.label(d.action.as_deref().unwrap_or("-"));
                    });
                    r.col(|ui| {
                        let preview: String = d
                            .content
                            .chars()
                            .take(90)
                            .collect::<String>()
                            .replace(['\n', '\r'], " ");
                        ui.label(preview).on_hover_text(&d.content);
                    });
                    r.col(|ui| {
                        if ui
                            .small_button("Copy id")
                            .on_hover_text(&d.draft_id)
                            .clicked()
                        {
                            ui.ctx().copy_text(d.draft_id.clone());
                        }
                    });
                });
            });
        if let Some(k) = clicked {
            if self.sort == k {
                self.descending = !self.descending;
            } else {
                self.sort = k;
                self.descending = false;
            }
            self.resort();
        }
    }
}
