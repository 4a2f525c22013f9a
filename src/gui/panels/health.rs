//! The Metrics tab's revision-path health: each claim judged once
//! (`core::health`), stacked per bin so no draft is drawn twice, with what
//! the database cannot show and where to read it instead.

use crate::core::health::{BLIND_SPOTS, Health, Problem};
use crate::core::time::{UtcNaive, epoch_seconds};
use crate::gui::colors;
use crate::ops::runtime_logs::RuntimeLogsReport;
use crate::worker::Snapshot;
use egui::{Color32, RichText, Ui};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, Points};

/// The ids a problem's row shows before folding (the copy has them all).
const SHOWN_IDS: usize = 20;

fn color(problem: Problem) -> Color32 {
    match problem {
        Problem::ReviserFailure => colors::FAIL,
        Problem::LoopTimeout => Color32::from_rgb(170, 90, 200),
        Problem::RepeatedAttempts => colors::WARN,
        Problem::Stuck => colors::UNKNOWN,
    }
}

/// What the plot covers: the bins' starts and their length in minutes.
pub struct Bins<'a> {
    /// Each bin's first minute (the other plots' x axis).
    pub minutes: &'a [UtcNaive],
    /// Minutes per bin.
    pub bin_minutes: i64,
    /// The plot's height.
    pub height: f32,
}

/// The plot, the counts with every draft id, the blind spots and the logs link.
pub fn revision_health_ui(ui: &mut Ui, snapshot: &Snapshot, bins: &Bins<'_>) {
    let all = &snapshot.revision_health;
    let (Some(first), Some(last)) = (bins.minutes.first(), bins.minutes.last()) else {
        return;
    };
    let health = all.between(*first, *last + chrono::Duration::minutes(bins.bin_minutes));
    let title = "Revision path problems (drafts per bin, each draft once, at its claim)";
    ui.label(RichText::new(title).strong())
        .on_hover_text(
            "A draft with several problems counts under the first: reviser failure, loop timeout/error, attempts above the clamp, stuck. \
             Read with the claims, once a minute.",
        );
    let counts = health.binned(bins.minutes, bins.bin_minutes);
    let width = 60.0 * bins.bin_minutes as f64 * 0.9;
    let mut charts: Vec<BarChart> = Vec::new();
    for p in Problem::ALL {
        let bars: Vec<Bar> = bins
            .minutes
            .iter()
            .zip(&counts)
            // Every bin, zeros too: `stack_on` adds the bars below by index.
            .map(|(m, c)| {
                Bar::new(
                    epoch_seconds(*m) + 30.0 * bins.bin_minutes as f64,
                    c[p as usize] as f64,
                )
                .width(width)
                .fill(color(p))
            })
            .collect();
        let chart = BarChart::new(p.label(), bars).color(color(p)).width(width);
        let below: Vec<&BarChart> = charts.iter().collect();
        let chart = chart.stack_on(&below);
        charts.push(chart);
    }
    let response = Plot::new(title)
        .height(bins.height)
        .legend(Legend::default())
        .include_y(0.0)
        .include_y(1.0)
        .include_x(epoch_seconds(*first))
        .include_x(epoch_seconds(*last))
        .allow_scroll(false)
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            super::metrics::time_steps(input.bounds.1 - input.bounds.0)
        }))
        .x_axis_formatter(|mark, _| super::metrics::hhmm(mark.value))
        .show(ui, |plot_ui| {
            for c in charts {
                plot_ui.bar_chart(c);
            }
        });
    let label = title.to_owned();
    response
        .response
        .widget_info(move || egui::WidgetInfo::labeled(egui::Role::Figure, true, &label));

    counts_ui(ui, &health);
    if let Some(note) = all.unreadable_note() {
        ui.colored_label(colors::WARN, note);
    }
    ui.small(BLIND_SPOTS);
    if let Some(logs) = &snapshot.runtime_logs {
        log_series_ui(ui, logs, bins);
    }
    runtime_logs_ui(ui, snapshot);
    match &snapshot.vercel_logs {
        Some(logs) => {
            ui.hyperlink_to("Open the Vercel logs: \"Revision loop failed\"", &logs.url)
                .on_hover_text(format!("{}\nor: {}", logs.url, logs.command));
        }
        None => {
            ui.small(
                "The demo has no Vercel project: with a profile, a link here opens the project's logs searched for \"Revision loop failed\".",
            );
        }
    }
}

/// The revision-path errors the runtime logs carry, per bin, canary against
/// the rest. Bins before the logs cover are not drawn (not read is not zero).
fn log_series_ui(ui: &mut Ui, logs: &RuntimeLogsReport, bins: &Bins<'_>) {
    let title = "Revision path errors per bin (runtime logs: loop failures + failed DB writes)";
    ui.label(RichText::new(title).strong()).on_hover_text(
        "From the lines the app prints, each row once, in the minute it was printed. \
         A bin before the logs were read (or beyond the reader's 3-hour memory) is left empty, never drawn as zero.",
    );
    let binned = logs.binned(bins.minutes, bins.bin_minutes);
    let series = |pick: fn((u32, u32)) -> u32| {
        super::plot_parts::pieces(
            bins.minutes
                .iter()
                .zip(&binned)
                .map(|(t, b)| (epoch_seconds(*t), b.map(|b| f64::from(pick(b))))),
        )
    };
    let (canary, rest) = (series(|b| b.0), series(|b| b.1));
    let (Some(first), Some(last)) = (bins.minutes.first(), bins.minutes.last()) else {
        return;
    };
    let response = Plot::new(title)
        .height((bins.height * 0.6).max(90.0))
        .legend(Legend::default())
        .include_y(0.0)
        .include_y(1.0)
        .include_x(epoch_seconds(*first))
        .include_x(epoch_seconds(*last))
        .allow_scroll(false)
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|input| {
            super::metrics::time_steps(input.bounds.1 - input.bounds.0)
        }))
        .x_axis_formatter(|mark, _| super::metrics::hhmm(mark.value))
        .show(ui, |plot_ui| {
            for (name, pieces, color) in [
                ("rest (logs)", rest, colors::REST),
                ("canary (logs)", canary, colors::CANARY),
            ] {
                for run in pieces.lines {
                    plot_ui.line(
                        Line::new(name, PlotPoints::from(run))
                            .color(color)
                            .width(2.0),
                    );
                }
                if !pieces.dots.is_empty() {
                    plot_ui.points(
                        Points::new(name, PlotPoints::from(pieces.dots))
                            .color(color)
                            .radius(3.0),
                    );
                }
            }
        });
    let label = title.to_owned();
    response
        .response
        .widget_info(move || egui::WidgetInfo::labeled(egui::Role::Figure, true, &label));
}

/// The counts read from production's runtime logs, beside the database's
/// (which cannot hold them: the app only prints these errors), with the
/// reader's state: a reader that cannot see says so, never a quiet zero.
fn runtime_logs_ui(ui: &mut Ui, snapshot: &Snapshot) {
    use crate::core::runtime_log::{Kind, Totals};
    let Some(logs) = &snapshot.runtime_logs else {
        return;
    };
    let why = logs.reason.as_deref().unwrap_or_default();
    let (color, state) = match logs.state {
        "reading" => (colors::OK, "reading".to_owned()),
        "starting" => (colors::UNKNOWN, "connecting".to_owned()),
        "limited" => (colors::WARN, format!("LIMITED: {why}")),
        _ => (colors::FAIL, format!("BLIND: {why}")),
    };
    ui.horizontal_wrapped(|ui| {
        let source = match logs.source {
            "demo" => "the demo's simulated app",
            _ => "Vercel",
        };
        ui.label(RichText::new(format!("From the runtime logs ({source}), last {} min:", logs.minutes)).strong())
            .on_hover_text(
                "Counted from the lines the app prints (\"[AutoSend] Revision loop failed\", \"Failed to persist …\"): the database has no trace of them. \
                 Each row once (by rowId), in the minute it was printed; `rollout-panel logs` prints them per minute.",
            );
        ui.colored_label(color, state);
    });
    let line = |who: &str, t: &Totals| {
        format!(
            "{who}: revision loop failed {} ({} deadline_exceeded, {} other) · DB write failed {}",
            t.revision_loop_failed, t.deadline_exceeded, t.other_error, t.db_write_failed
        )
    };
    ui.label(line("canary", &logs.canary));
    ui.label(line("the rest (and lines naming no workspace)", &logs.rest));
    for (who, t) in [("canary", &logs.canary), ("rest", &logs.rest)] {
        for kind in Kind::ALL {
            let ids = t.draft_ids.get(kind);
            if ids.is_empty() {
                continue;
            }
            ui.horizontal_wrapped(|ui| {
                if ui
                    .small_button(format!("Copy {} ids", ids.len()))
                    .on_hover_text(format!(
                        "Copies every draft id of {} ({who}), one per line",
                        kind.label()
                    ))
                    .clicked()
                {
                    ui.ctx().copy_text(ids.join("\n"));
                }
                let shown: Vec<&str> = ids.iter().take(SHOWN_IDS).map(String::as_str).collect();
                let more = ids.len().saturating_sub(SHOWN_IDS);
                ui.small(format!(
                    "{} ({who}, logs): {}{}",
                    kind.label(),
                    shown.join(", "),
                    if more > 0 {
                        format!(" … and {more} more")
                    } else {
                        String::new()
                    }
                ));
            });
        }
    }
    if !logs.draining.is_empty() {
        ui.small(format!(
            "Also read: {} (no longer serves production; read 15 min after, its jobs finish on the old build)",
            logs.draining.join(", ")
        ));
    }
}

fn counts_ui(ui: &mut Ui, health: &Health) {
    ui.horizontal_wrapped(|ui| {
        for (p, n) in Problem::ALL.iter().zip(health.counts()) {
            crate::gui::swatch(ui, color(*p));
            ui.label(format!("{}: {n}", p.label()));
        }
    });
    for p in Problem::ALL {
        let ids = health.draft_ids(p);
        if ids.is_empty() {
            continue;
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .small_button(format!("Copy {} ids", ids.len()))
                .on_hover_text(format!("Copies every {} draft id, one per line", p.label()))
                .clicked()
            {
                ui.ctx().copy_text(ids.join("\n"));
            }
            let shown: Vec<&str> = ids.iter().take(SHOWN_IDS).map(String::as_str).collect();
            let more = ids.len().saturating_sub(SHOWN_IDS);
            let text = match more {
                0 => shown.join(", "),
                n => format!("{} … and {n} more (copy has all)", shown.join(", ")),
            };
            ui.small(format!("{}: {text}", p.label()));
        });
    }
}
