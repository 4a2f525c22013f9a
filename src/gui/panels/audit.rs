//! The Audit tab: every lever run from this machine for the open profile,
//! newest first — who, when, what, why, and how each step ended.

use crate::adapters::audit::{EntryKind, EntryStatus};
use crate::gui::colors;
use crate::worker::Snapshot;
use egui::{RichText, Ui};

/// Draws the Audit tab.
pub fn audit_ui(ui: &mut Ui, snapshot: &Snapshot) {
    ui.heading("Audit");
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
