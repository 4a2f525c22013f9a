//! The Readiness tab: the checklist, grouped, each row with its status, what
//! was found and what to do; when it was checked and against which stage.

use crate::core::readiness::{CheckStatus, Group, counts};
use crate::core::time::{UtcNaive, format_age};
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::worker::Snapshot;
use egui::{Color32, RichText, Ui};

fn color(status: CheckStatus) -> Color32 {
    match status {
        CheckStatus::Pass => colors::OK,
        CheckStatus::Warn => colors::WARN,
        CheckStatus::Fail => colors::FAIL,
        CheckStatus::Unknown => colors::UNKNOWN,
    }
}

/// Draws the Readiness tab; returns Re-check when clicked.
pub fn readiness_ui(ui: &mut Ui, snapshot: &Snapshot, now: UtcNaive) -> Vec<AppCommand> {
    let mut commands = Vec::new();
    ui.horizontal(|ui| {
        ui.heading("Readiness");
        let cmd = AppCommand::Recheck;
        if ui
            .button(cmd.label())
            .on_hover_text(cmd.tooltip_with_shortcut(ui.ctx()))
            .clicked()
        {
            commands.push(cmd);
        }
    });
    if let Some(e) = &snapshot.readiness_error {
        ui.colored_label(colors::WARN, e);
    }
    let Some(report) = &snapshot.readiness else {
        ui.label("Checking… (the first check runs once the database answers)");
        return commands;
    };
    ui.label(format!(
        "Checked {} UTC ({} ago) · judged as {} · derived stage: {}",
        report.checked_at.format("%H:%M:%S"),
        format_age(now - report.checked_at),
        report.stage.as_str(),
        report.derived_stage.label()
    ));
    ui.horizontal(|ui| {
        for (status, n) in counts(&report.items) {
            ui.colored_label(color(status), format!("{n} {}", status.as_str()));
        }
        ui.weak("· unknown means it could not be checked — it is not a pass");
    });
    ui.add_space(6.0);
    // One grid for every group, so the columns line up down the page.
    egui::Grid::new("readiness")
        .num_columns(3)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for group in Group::ALL {
                let items: Vec<_> = report.items.iter().filter(|i| i.group == group).collect();
                if items.is_empty() {
                    continue;
                }
                ui.strong(group.label());
                ui.end_row();
                for item in items {
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = 3.0;
                        crate::gui::status_dot(ui, color(item.status));
                        ui.label(
                            RichText::new(item.status.as_str().to_uppercase())
                                .color(color(item.status))
                                .monospace(),
                        );
                    });
                    ui.label(RichText::new(&item.id).monospace().small());
                    ui.vertical(|ui| {
                        ui.add(egui::Label::new(&item.finding).wrap());
                        if !item.fix.is_empty() && item.status != CheckStatus::Pass {
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!("Fix: {}", item.fix)).weak(),
                                )
                                .wrap(),
                            );
                        }
                        if !item.draft_ids.is_empty()
                            && ui
                                .small_button(format!(
                                    "Copy the {} draft ids",
                                    item.draft_ids.len()
                                ))
                                .on_hover_text("Every draft this check is about, one per line")
                                .clicked()
                        {
                            ui.ctx().copy_text(item.draft_ids.join("\n"));
                        }
                    });
                    ui.end_row();
                }
            }
        });
    commands
}
