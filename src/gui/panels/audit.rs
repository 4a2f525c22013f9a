//! The Audit tab: every lever run from this machine for the open profile,
//! newest first — who, when, what, why, and how each step ended; and the
//! runbook's output, "Write the rollout record…".

use crate::adapters::audit::{EntryKind, EntryStatus};
use crate::core::lever::LeverKind;
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::ops::record::Period;
use crate::worker::{RecordDone, Snapshot};
use egui::{RichText, Ui};

/// The periods the Audit tab offers for the rollout record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordPeriod {
    /// The last 6 hours.
    Hours6,
    /// The last 24 hours.
    Hours24,
    /// The last 48 hours (the command line's default).
    #[default]
    Hours48,
    /// The last 72 hours.
    Hours72,
    /// From the latest canary enable on.
    FromCanary,
}

impl RecordPeriod {
    const ALL: [Self; 5] = [
        Self::Hours6,
        Self::Hours24,
        Self::Hours48,
        Self::Hours72,
        Self::FromCanary,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Hours6 => "the last 6 h",
            Self::Hours24 => "the last 24 h",
            Self::Hours48 => "the last 48 h",
            Self::Hours72 => "the last 72 h",
            Self::FromCanary => "from the latest canary enable",
        }
    }

    /// The record's period; `None` when it needs a canary enable and the
    /// audit shows none.
    fn period(self, snapshot: &Snapshot) -> Option<Period> {
        let hours = |h| Some(Period::Since(chrono::Duration::hours(h)));
        match self {
            Self::Hours6 => hours(6),
            Self::Hours24 => hours(24),
            Self::Hours48 => hours(48),
            Self::Hours72 => hours(72),
            Self::FromCanary => latest_canary(snapshot).map(Period::From),
        }
    }
}

/// The newest canary enable the audit shows (an intent that counts).
fn latest_canary(snapshot: &Snapshot) -> Option<String> {
    snapshot
        .audit
        .iter()
        .find(|e| {
            e.counts() && e.kind == EntryKind::Intent && e.lever == LeverKind::CanaryEnable.as_str()
        })
        .map(|e| e.action_id.clone())
}

/// The Audit tab's own state: the record's period and how its last write went.
#[derive(Default)]
pub struct AuditPanel {
    period: RecordPeriod,
    /// A record is being written (its folder asked for, or its files).
    writing: bool,
    outcome: Option<Result<RecordDone, String>>,
}

impl AuditPanel {
    /// A record's folder was cancelled in the dialog: nothing written.
    pub fn record_cancelled(&mut self) {
        self.writing = false;
    }

    /// A record was written, or why not.
    pub fn record_done(&mut self, result: Result<RecordDone, String>) {
        self.writing = false;
        self.outcome = Some(result);
    }

    /// Whether a record is being written.
    pub fn writing(&self) -> bool {
        self.writing
    }

    /// Draws the Audit tab; returns what the person asked for.
    pub fn audit_ui(&mut self, ui: &mut Ui, snapshot: &Snapshot) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        ui.heading("Audit");
        self.record_ui(ui, snapshot, &mut commands);
        log_ui(ui, snapshot);
        commands
    }

    /// "Write the rollout record…" with its period, and the last outcome.
    fn record_ui(&mut self, ui: &mut Ui, snapshot: &Snapshot, commands: &mut Vec<AppCommand>) {
        ui.horizontal_wrapped(|ui| {
            let period = self.period.period(snapshot);
            let command = period.clone().map(AppCommand::WriteRecord);
            let tooltip = command.as_ref().map_or(
                "No canary enable in the audit shown: choose a stretch of time",
                AppCommand::tooltip,
            );
            let button = ui
                .add_enabled(
                    command.is_some() && !self.writing,
                    egui::Button::new("Write the rollout record…"),
                )
                .on_hover_text(tooltip)
                .on_disabled_hover_text(tooltip);
            if button.clicked()
                && let Some(c) = command
            {
                self.writing = true;
                self.outcome = None;
                commands.push(c);
            }
            let l = ui.label("covering");
            egui::ComboBox::from_id_salt("record-period")
                .selected_text(self.period.label())
                .show_ui(ui, |ui| {
                    for p in RecordPeriod::ALL {
                        ui.selectable_value(&mut self.period, p, p.label());
                    }
                })
                .response
                .labelled_by(l.id);
            if self.writing {
                ui.spinner();
                ui.label("writing the record…");
            }
            if let (RecordPeriod::FromCanary, Some(Period::From(id))) = (self.period, &period) {
                ui.weak(format!("(action {})", id.get(..8).unwrap_or(id)));
            }
        });
        match &self.outcome {
            Some(Ok(done)) => {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(
                        colors::OK,
                        format!(
                            "Wrote the rollout record ({} files) to {}",
                            done.written.files.len(),
                            done.dir.display()
                        ),
                    );
                    let open = AppCommand::OpenFolder(done.dir.clone());
                    if ui
                        .button(open.label())
                        .on_hover_text(open.tooltip())
                        .clicked()
                    {
                        commands.push(open);
                    }
                });
                if let Some(why) = &done.fallback {
                    ui.colored_label(
                        colors::WARN,
                        format!("No folder dialog ({why}): written to the folder above"),
                    );
                }
                for w in &done.written.warnings {
                    ui.colored_label(colors::WARN, format!("Written without: {w}"));
                }
            }
            Some(Err(e)) => {
                ui.colored_label(
                    colors::FAIL,
                    format!("The rollout record was not written: {e}"),
                );
            }
            None => {}
        }
        ui.separator();
    }
}

/// The log itself.
fn log_ui(ui: &mut Ui, snapshot: &Snapshot) {
    ui.label(if snapshot.audit_shared {
        format!(
            "Every lever run for profile {}, newest first: this machine's log and the shared table in the production database (other operators' actions too). `rollout-panel audit --profile {}` prints the same.",
            snapshot.profile, snapshot.profile
        )
    } else {
        format!(
            "Every lever run from this panel for profile {}, newest first (the local audit log; `rollout-panel audit --profile {}` prints the same). `rollout-panel audit init --profile NAME` adds a shared table in production so operators see each other's actions.",
            snapshot.profile, snapshot.profile
        )
    });
    if let Some(who) = &snapshot.identity {
        let color = if snapshot.identity_trusted || !snapshot.audit_shared {
            colors::OK
        } else {
            colors::WARN
        };
        ui.colored_label(color, format!("You: {who}"));
    }
    for (user, who) in &snapshot.shared_tokens {
        ui.colored_label(
            colors::WARN,
            format!(
                "{} use the same Vercel token (user {user}): approvals need personal tokens",
                who.join(" and ")
            ),
        );
    }
    if let Some(e) = &snapshot.audit_error {
        ui.colored_label(colors::FAIL, e);
    }
    if snapshot.audit.is_empty() {
        ui.add_space(6.0);
        ui.label("Nothing recorded yet. Levers run from the Levers tab or the command line (rollout-panel lever …).");
        return;
    }
    // The log is append-only: an intent stays "pending"; show whether its
    // action has ended instead.
    let ended: std::collections::BTreeSet<&str> = snapshot
        .audit
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Result)
        .map(|e| e.action_id.as_str())
        .collect();
    ui.add_space(6.0);
    egui::Grid::new("audit")
        .num_columns(6)
        .striped(true)
        .spacing([10.0, 4.0])
        .show(ui, |ui| {
            for h in [
                "When (UTC)",
                "Who",
                "Lever",
                "Entry",
                "Status",
                "What / why",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for e in &snapshot.audit {
                let when = ui.label(e.at.format("%Y-%m-%d %H:%M:%S").to_string());
                if !e.counts() {
                    when.on_hover_text(
                        "An unverified row's own time is not trusted: this is its time when it is a real one not ahead of the server's clock, else when the database server recorded it",
                    );
                }
                ui.label(&e.operator);
                ui.label(RichText::new(&e.lever).monospace());
                ui.label(match e.kind {
                    EntryKind::Intent => "intent",
                    EntryKind::Step => "step",
                    EntryKind::Result => "result",
                });
                let (color, word) = match e.status {
                    // An unverified intent is not an action that runs or
                    // was interrupted: it does not count at all.
                    _ if !e.counts() => (colors::UNKNOWN, "—"),
                    EntryStatus::Ok => (colors::OK, "ok"),
                    EntryStatus::Failed => (colors::FAIL, "FAILED"),
                    EntryStatus::Pending if ended.contains(e.action_id.as_str()) => {
                        (colors::UNKNOWN, "started")
                    }
                    EntryStatus::Pending => (colors::WARN, "UNFINISHED"),
                    EntryStatus::Abandoned => (colors::WARN, "abandoned"),
                };
                ui.colored_label(color, word);
                ui.vertical(|ui| {
                    if !e.counts() {
                        // Shown, never counted (issue 28).
                        ui.colored_label(colors::FAIL, e.trust.label())
                            .on_hover_text("This row does not count: not as an approval, a running lever, an alarm's time, the canary's start or a Restore. `rollout-panel audit verify` checks the whole table.");
                    }
                    ui.add(egui::Label::new(&e.summary).wrap());
                    if e.kind == EntryKind::Intent && !e.reason.is_empty() {
                        ui.add(
                            egui::Label::new(RichText::new(format!("why: {}", e.reason)).weak())
                                .wrap(),
                        );
                    }
                });
                ui.end_row();
            }
        });
}
