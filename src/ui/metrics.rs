//! The Metrics tab: attempted and applied per minute, canary against the rest,
//! and the admin page's 72-hour numbers per workspace.

use super::colors;
use super::command::{Command, MetricsWindow};
use crate::core::metrics::MinuteStats;
use crate::core::metrics::SplitSeries;
use crate::core::time::{UtcNaive, epoch_seconds};
use crate::worker::Snapshot;
use chrono::DateTime;
use egui::{RichText, Ui};
use egui_plot::{HoverPosition, Legend, Line, Plot, PlotPoints};
use std::collections::BTreeSet;

/// Draws the Metrics tab; returns the commands the user gave.
pub fn metrics_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    window: MetricsWindow,
    now: UtcNaive,
) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.horizontal(|ui| {
        ui.heading("Revision metrics");
        ui.add_space(12.0);
        ui.label("Window:");
        for w in MetricsWindow::ALL {
            let cmd = Command::SetWindow(w);
            if ui
                .selectable_label(w == window, cmd.label())
                .on_hover_text(cmd.tooltip())
                .clicked()
            {
                commands.push(cmd);
            }
        }
    });

    let Some(schema) = &snapshot.schema else {
        ui.label("Waiting for the first read of the database…");
        return commands;
    };
    if !schema.revision_readable() {
        ui.colored_label(
            colors::FAIL,
            format!(
                "Revision metrics cannot be read from this database: schema {}. Apply the Phase 116 schema (runbook step 1, `db push`) and refresh.",
                schema.summary()
            ),
        );
        return commands;
    }

    let canary: BTreeSet<String> = snapshot
        .enabled_workspaces()
        .map(|w| w.id.clone())
        .collect();
    let canary_name = match canary.len() {
        0 => "no workspace enabled".to_owned(),
        1 => snapshot
            .enabled_workspaces()
            .next()
            .map_or_else(String::new, |w| w.name.clone()),
        n => format!("{n} enabled workspaces"),
    };
    let rest_count = snapshot.workspaces.len() - canary.len();
    let split = snapshot.series.split(&canary, now, window.minutes());
    let (canary_total, rest_total) = split.totals();

    ui.add_space(4.0);
    summary_ui(
        ui,
        &format!("Canary ({canary_name})"),
        canary_total,
        window,
        colors::CANARY,
    );
    summary_ui(
        ui,
        &format!("Rest ({rest_count} workspaces)"),
        rest_total,
        window,
        colors::REST,
    );
    ui.add_space(4.0);

    let binned = split.binned(window.bin_minutes());
    let plot_height = ((ui.available_height() - 190.0) / 2.0).clamp(110.0, 320.0);
    series_plot_ui(
        ui,
        "Revision attempts per minute",
        &binned,
        window,
        plot_height,
        |c| c.attempted,
        &canary_name,
    );
    series_plot_ui(
        ui,
        "Revisions applied per minute",
        &binned,
        window,
        plot_height,
        |c| c.applied,
        &canary_name,
    );

    ui.add_space(6.0);
    admin_table_ui(ui, snapshot);
    commands
}

fn summary_ui(ui: &mut Ui, who: &str, c: MinuteStats, window: MetricsWindow, color: egui::Color32) {
    ui.horizontal(|ui| {
        super::swatch(ui, color);
        ui.label(format!(
            "{who} — last {}: {} attempted · {} applied ({})",
            window.label(),
            c.attempted,
            c.applied,
            c.revision().applied_rate_label()
        ));
    });
}

fn hhmm(x: f64) -> String {
    DateTime::from_timestamp(x.round() as i64, 0)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Grid steps (seconds) on whole minutes and hours, finest first, for a visible span.
fn time_steps(span_seconds: f64) -> [f64; 3] {
    const STEPS: [f64; 9] = [
        60.0,
        300.0,
        900.0,
        1800.0,
        3600.0,
        3.0 * 3600.0,
        6.0 * 3600.0,
        12.0 * 3600.0,
        86_400.0,
    ];
    let i = STEPS
        .iter()
        .position(|s| span_seconds / s <= 30.0)
        .unwrap_or(STEPS.len() - 3)
        .min(STEPS.len() - 3);
    [STEPS[i], STEPS[i + 1], STEPS[i + 2]]
}

fn series_plot_ui(
    ui: &mut Ui,
    title: &str,
    binned: &SplitSeries,
    window: MetricsWindow,
    height: f32,
    value: fn(&MinuteStats) -> u64,
    canary_name: &str,
) {
    let per_minute = window.bin_minutes() as f64;
    let points = |v: &[MinuteStats]| -> PlotPoints<'static> {
        binned
            .minutes
            .iter()
            .zip(v)
            .map(|(t, c)| [epoch_seconds(*t), value(c) as f64 / per_minute])
            .collect()
    };
    let subtitle = if window.bin_minutes() > 1 {
        format!(
            "{title} (UTC; mean over {}-minute bins)",
            window.bin_minutes()
        )
    } else {
        format!("{title} (UTC)")
    };
    ui.label(RichText::new(&subtitle).strong());
    let plot = Plot::new(title)
        .height(height)
        .legend(Legend::default())
        .include_y(0.0)
        .include_y(1.0)
        .allow_scroll(false)
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            time_steps(input.bounds.1 - input.bounds.0)
        }))
        .x_axis_formatter(|mark, _| hhmm(mark.value))
        .label_formatter(|pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name}\n{} UTC: {:.2}",
                hhmm(position.x),
                position.y
            )),
            HoverPosition::Elsewhere { .. } => None,
        });
    let canary_line = Line::new(format!("canary: {canary_name}"), points(&binned.canary))
        .color(colors::CANARY)
        .width(2.0);
    let rest_line = Line::new("rest", points(&binned.rest)).color(colors::REST);
    let response = plot.show(ui, |plot_ui| {
        plot_ui.line(rest_line);
        plot_ui.line(canary_line);
    });
    let label = title.to_owned();
    response
        .response
        .widget_info(move || egui::WidgetInfo::labeled(egui::Role::Figure, true, &label));
}

fn admin_table_ui(ui: &mut Ui, snapshot: &Snapshot) {
    ui.label(RichText::new("Auto-send revision (last 72h)").strong())
        .on_hover_text(
            "The admin page's numbers: attempted = claim stamps in the last 72 h (no status, channel or action filter); applied = the same with autoSendRevisionApplied.",
        );
    egui::Grid::new("admin_counts")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for h in [
                "Workspace",
                "Toggle",
                "Attempted",
                "Applied",
                "Applied rate",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for w in &snapshot.workspaces {
                let c = snapshot.counts_72h.get(&w.id).copied().unwrap_or_default();
                ui.label(&w.name);
                let toggle_color = if w.toggle.is_on() {
                    colors::CANARY
                } else {
                    colors::UNKNOWN
                };
                ui.colored_label(toggle_color, w.toggle.label());
                ui.label(c.attempted.to_string());
                ui.label(c.applied.to_string());
                ui.label(c.applied_rate_label());
                ui.end_row();
            }
        });
}
