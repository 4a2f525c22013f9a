//! The Metrics tab: the canary verdict, the invariant alarms, per-minute
//! series (canary against the rest) with markers at audited actions, the
//! admin page's 72-hour numbers, and a 24-hour review per workspace.

use super::metrics_tables::{admin_table_ui, history_read_text, review_ui};
use super::plot_parts;
use crate::core::alarms::Alarm;
use crate::core::metrics::MinuteStats;
use crate::core::metrics::SplitSeries;
use crate::core::time::{UtcNaive, epoch_seconds};
use crate::core::verdict::{Verdict, VerdictSettings, VerdictState};
use crate::gui::colors;
use crate::gui::command::{AppCommand, MetricsWindow};
use crate::worker::Snapshot;
use chrono::DateTime;
use egui::{RichText, Ui};
use egui_plot::{HoverPosition, Legend, Line, Plot, PlotPoint, PlotPoints, Points, Text, VLine};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The verdict's settings as the operator set them (persisted).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VerdictPrefs {
    /// Harm tolerance in percentage points.
    pub tolerance_pp: f64,
    /// The error level.
    pub alpha: f64,
}

impl Default for VerdictPrefs {
    fn default() -> Self {
        let d = VerdictSettings::default();
        Self {
            tolerance_pp: d.tolerance * 100.0,
            alpha: d.alpha,
        }
    }
}

impl VerdictPrefs {
    /// The settings the verdict uses.
    pub fn settings(self) -> VerdictSettings {
        VerdictSettings {
            tolerance: self.tolerance_pp / 100.0,
            alpha: self.alpha,
            ..VerdictSettings::default()
        }
    }
}

/// The tab's own state: the harm latch (not persisted).
#[derive(Clone, Debug, Default)]
pub struct MetricsPanel {
    /// When harm was first detected and not yet acknowledged.
    harm_since: Option<UtcNaive>,
    /// Acknowledged: do not latch again until the verdict leaves "harm".
    acknowledged: bool,
    /// Show the 24-hour review instead of the live view.
    review: bool,
}

impl MetricsPanel {
    /// Updates the latch with the current verdict; returns the state to show
    /// (harm stays until acknowledged).
    fn latch(&mut self, state: VerdictState, now: UtcNaive) -> VerdictState {
        if state == VerdictState::HarmDetected {
            if self.harm_since.is_none() && !self.acknowledged {
                self.harm_since = Some(now);
            }
        } else if self.harm_since.is_none() {
            self.acknowledged = false;
        }
        if self.harm_since.is_some() {
            VerdictState::HarmDetected
        } else {
            state
        }
    }
}

/// The verdict of the snapshot's canary with these settings.
pub fn snapshot_verdict(snapshot: &Snapshot, prefs: VerdictPrefs) -> Option<Verdict> {
    let c = snapshot.canary.as_ref().filter(|c| c.complete)?;
    Some(crate::core::verdict::verdict(
        c.after,
        c.before,
        c.others,
        prefs.settings(),
    ))
}

/// The canary's watch so far, as an expansion's preconditions see it: the
/// verdict with these settings, the canary's start, the alarms firing.
pub fn watch_of(
    snapshot: &Snapshot,
    prefs: VerdictPrefs,
    now: UtcNaive,
) -> crate::core::lever::Watch {
    crate::core::lever::Watch::new(
        snapshot_verdict(snapshot, prefs).map(|v| v.state),
        snapshot.canary.as_ref().map(|c| c.start),
        now,
        &snapshot.alarms,
    )
}

/// Draws the Metrics tab; returns the commands the user gave.
pub fn metrics_ui(
    ui: &mut Ui,
    panel: &mut MetricsPanel,
    prefs: &mut VerdictPrefs,
    snapshot: &Snapshot,
    window: MetricsWindow,
    now: UtcNaive,
) -> Vec<AppCommand> {
    let mut commands = Vec::new();
    ui.horizontal(|ui| {
        ui.heading("Revision metrics");
        ui.add_space(12.0);
        ui.label("Window:");
        for w in MetricsWindow::ALL {
            let cmd = AppCommand::SetWindow(w);
            if ui
                .selectable_label(w == window && !panel.review, cmd.label())
                .on_hover_text(cmd.tooltip())
                .clicked()
            {
                panel.review = false;
                commands.push(cmd);
            }
        }
        ui.separator();
        if ui
            .selectable_label(panel.review, "24 h review")
            .on_hover_text("The day's totals and rates per workspace (runbook step 6)")
            .clicked()
        {
            panel.review = !panel.review;
        }
        if let Some(at) = snapshot.db.last_ok {
            ui.separator();
            ui.small(format!(
                "data as of {} UTC ({})",
                at.format("%H:%M:%S"),
                crate::core::time::format_age(now - at)
            ));
        }
    });

    let Some(schema) = &snapshot.schema else {
        ui.label("Waiting for the first read of the database…");
        return commands;
    };
    if !schema.revision_readable() {
        // Degrade, do not refuse: evaluations, needs_review and AI errors
        // exist before Phase 116 too.
        ui.colored_label(
            colors::WARN,
            format!(
                "Revision numbers cannot be read from this database: schema {}. Apply the Phase 116 schema (runbook step 1, `db push`) and refresh. Shown meanwhile: what the schema has.",
                schema.summary()
            ),
        );
        review_ui(ui, snapshot, now);
        return commands;
    }

    let verdict = snapshot_verdict(snapshot, *prefs);
    verdict_card_ui(ui, panel, prefs, snapshot, verdict.as_ref(), now);
    alarms_ui(ui, snapshot, verdict.as_ref());
    if panel.review {
        review_ui(ui, snapshot, now);
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
    let mut split = snapshot.split_72h.tail(window.minutes() as usize);
    // While the older history is still being read, only what was read is
    // drawn and summed (never a short count under a whole window's label).
    let partial = match (snapshot.series.from(), split.minutes.first()) {
        (Some(from), Some(first)) if from > *first => {
            split = split.since(from);
            Some(history_read_text(snapshot, now))
        }
        _ => None,
    };
    let (canary_total, rest_total) = split.totals();

    ui.add_space(4.0);
    if let Some(read) = &partial {
        ui.colored_label(
            colors::UNKNOWN,
            format!("Reading the older history: {read}. The totals and plots cover what is read."),
        );
    }
    let span = match &partial {
        Some(_) => format!(
            "{} read so far",
            crate::core::time::format_age(chrono::Duration::minutes(split.minutes.len() as i64))
        ),
        None => window.label().to_owned(),
    };
    summary_ui(
        ui,
        &format!("Canary ({canary_name})"),
        canary_total,
        &span,
        colors::CANARY,
    );
    summary_ui(
        ui,
        &format!("Rest ({rest_count} workspaces)"),
        rest_total,
        &span,
        colors::REST,
    );
    ui.add_space(4.0);

    let binned = split.binned(window.bin_minutes());
    let markers = markers(snapshot, binned.minutes.first().copied());
    let plot_height = ((ui.available_height() - 190.0) / 2.0).clamp(110.0, 320.0);
    let per_minute = window.bin_minutes() as f64;
    let plot = |ui: &mut Ui, title: &str, value: &dyn Fn(&MinuteStats) -> Option<f64>| {
        series_plot_ui(
            ui,
            &PlotSpec {
                title,
                binned: &binned,
                window,
                height: plot_height,
                canary_name: &canary_name,
                markers: &markers,
            },
            value,
        );
    };
    plot(ui, "Revision attempts per minute", &|c| {
        Some(c.attempted as f64 / per_minute)
    });
    plot(ui, "Revisions applied per minute", &|c| {
        Some(c.applied as f64 / per_minute)
    });
    plot(ui, "needs_review share of evaluated drafts", &|c| {
        c.needs_review_share()
    });
    crate::gui::panels::health::revision_health_ui(
        ui,
        snapshot,
        &crate::gui::panels::health::Bins {
            minutes: &binned.minutes,
            bin_minutes: window.bin_minutes() as i64,
            height: plot_height,
        },
    );
    markers_ui(ui, &markers);

    ui.add_space(6.0);
    admin_table_ui(ui, snapshot);
    commands
}

fn summary_ui(ui: &mut Ui, who: &str, c: MinuteStats, span: &str, color: egui::Color32) {
    ui.horizontal(|ui| {
        crate::gui::swatch(ui, color);
        ui.label(format!(
            "{who} — last {span}: {} attempted · {} applied ({})",
            c.attempted,
            c.applied,
            c.revision().applied_rate_label()
        ));
    });
}

pub(crate) fn hhmm(x: f64) -> String {
    DateTime::from_timestamp(x.round() as i64, 0)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// Grid steps (seconds) on whole minutes and hours, finest first, for a visible span.
pub(crate) fn time_steps(span_seconds: f64) -> [f64; 3] {
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

/// What one plot shows.
struct PlotSpec<'a> {
    title: &'a str,
    binned: &'a SplitSeries,
    window: MetricsWindow,
    height: f32,
    canary_name: &'a str,
    markers: &'a [Marker],
}

/// An audited action drawn as a vertical line.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// When (UTC).
    pub at: UtcNaive,
    /// What, for people.
    pub label: String,
    /// Whether it ended verified.
    pub ok: bool,
}

impl Marker {
    /// "done" or "FAILED".
    fn outcome(&self) -> &'static str {
        if self.ok { "done" } else { "FAILED" }
    }

    /// Its line's and its word's colour.
    fn color(&self) -> egui::Color32 {
        if self.ok { colors::OK } else { colors::FAIL }
    }
}

/// The audited actions (their results) from `from` on, oldest first.
fn markers(snapshot: &Snapshot, from: Option<UtcNaive>) -> Vec<Marker> {
    use crate::adapters::audit::{EntryKind, EntryStatus};
    let mut out: Vec<Marker> = snapshot
        .audit
        .iter()
        .filter(|e| e.kind == EntryKind::Result && from.is_none_or(|f| e.at >= f))
        .map(|e| Marker {
            at: e.at,
            label: e.summary.trim_end_matches(": done and verified").to_owned(),
            ok: e.status == EntryStatus::Ok,
        })
        .collect();
    out.sort_by_key(|m| m.at);
    out
}

/// A tag's width on the plots, for spacing (points).
const TAG_WIDTH_PX: f64 = 26.0;
/// How near a line the pointer names its action (points).
const HOVER_PX: f64 = 6.0;
/// One row of tags, as a share of the data's top.
const TAG_ROW: f64 = 0.11;

/// The legend of the numbered tags on the plots.
fn markers_ui(ui: &mut Ui, markers: &[Marker]) {
    if markers.is_empty() {
        return;
    }
    ui.label(
        RichText::new("Actions in this window (numbered vertical lines on the plots)").strong(),
    );
    for (i, m) in markers.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.strong(format!("{:>2}", i + 1));
            ui.colored_label(m.color(), m.outcome());
            ui.label(format!("{} UTC  {}", m.at.format("%H:%M:%S"), m.label));
        });
    }
}

fn series_plot_ui(ui: &mut Ui, spec: &PlotSpec<'_>, value: &dyn Fn(&MinuteStats) -> Option<f64>) {
    let PlotSpec {
        title,
        binned,
        window,
        height,
        canary_name,
        markers,
    } = *spec;
    // Cut where a minute has no value: a line never bridges empty minutes.
    let pieces = |v: &[MinuteStats]| {
        plot_parts::pieces(
            binned
                .minutes
                .iter()
                .zip(v)
                .map(|(t, c)| (epoch_seconds(*t), value(c))),
        )
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
    let width = ui.available_width().max(100.0);
    let plot = Plot::new(title)
        .height(height)
        // Top left: actions happen in the recent, right part of the window,
        // where their tags sit at the top.
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
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
    let (canary, rest) = (pieces(&binned.canary), pieces(&binned.rest));
    // Tags sit at the top of the data (not of the view: a tag placed at the
    // view's edge would widen the auto-bounds every frame).
    let top = [&canary, &rest]
        .iter()
        .flat_map(|p| p.lines.iter().flatten().chain(&p.dots))
        .map(|p| p[1])
        .fold(1.0, f64::max);
    let (x_first, x_last) = (
        binned.minutes.first().map_or(0.0, |t| epoch_seconds(*t)),
        binned.minutes.last().map_or(0.0, |t| epoch_seconds(*t)),
    );
    // Each action is a numbered tag (the list below the plots names it);
    // tags closer than a tag's width go on rows below each other.
    let span = (x_last - x_first).max(60.0);
    let xs: Vec<f64> = markers.iter().map(|m| epoch_seconds(m.at)).collect();
    let rows = plot_parts::stagger_rows(&xs, span * TAG_WIDTH_PX / f64::from(width));
    let canary_name = format!("canary: {canary_name}");
    let response = plot.show(ui, |plot_ui| {
        for (name, pieces, color, line_width) in [
            ("rest", rest, colors::REST, 1.5),
            (canary_name.as_str(), canary, colors::CANARY, 2.0),
        ] {
            for run in pieces.lines {
                plot_ui.line(
                    Line::new(name, PlotPoints::from(run))
                        .color(color)
                        .width(line_width),
                );
            }
            if !pieces.dots.is_empty() {
                plot_ui.points(
                    Points::new(name, PlotPoints::from(pieces.dots))
                        .color(color)
                        .radius(line_width + 1.0),
                );
            }
        }
        let hovered = plot_ui
            .pointer_coordinate()
            .and_then(|p| plot_parts::nearest_within(&xs, p.x, span * HOVER_PX / f64::from(width)));
        for (i, (m, x)) in markers.iter().zip(&xs).enumerate() {
            let color = m.color();
            let line_width = if hovered == Some(i) { 3.0 } else { 1.5 };
            plot_ui.vline(VLine::new("", *x).color(color).width(line_width));
            let y = top * (1.0 - TAG_ROW * rows[i] as f64);
            plot_ui.text(
                Text::new(
                    "",
                    PlotPoint::new(*x, y),
                    RichText::new(format!(" {} ", i + 1)).strong().size(13.0),
                )
                .color(color)
                .anchor(egui::Align2::LEFT_TOP),
            );
        }
        hovered
    });
    if let Some((i, m)) = response.inner.and_then(|i| Some((i, markers.get(i)?))) {
        response.response.clone().on_hover_text(format!(
            "{}: {} UTC {}\n{}",
            i + 1,
            m.at.format("%H:%M:%S"),
            m.outcome(),
            m.label
        ));
    }
    let label = title.to_owned();
    response
        .response
        .widget_info(move || egui::WidgetInfo::labeled(egui::Role::Figure, true, &label));
}

/// The verdict card: state (sticky harm until acknowledged), the estimate and
/// its interval, both baselines, the settings.
fn verdict_card_ui(
    ui: &mut Ui,
    panel: &mut MetricsPanel,
    prefs: &mut VerdictPrefs,
    snapshot: &Snapshot,
    verdict: Option<&Verdict>,
    now: UtcNaive,
) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let Some(v) = verdict else {
            ui.strong("Canary verdict");
            if snapshot.canary.as_ref().is_some_and(|c| !c.complete) {
                ui.label(format!(
                    "Reading the history the verdict compares with ({}); no verdict until it is read.",
                    history_read_text(snapshot, now)
                ));
                return;
            }
            ui.label(if snapshot.enabled_workspaces().next().is_some() {
                "The canary's start is not known yet (no audit entry, no settings updatedAt)."
            } else {
                "No workspace has revision on: there is no canary to judge."
            });
            return;
        };
        let shown = panel.latch(v.state, now);
        let color = match shown {
            VerdictState::HarmDetected => colors::FAIL,
            VerdictState::NoHarmDetected => colors::OK,
            VerdictState::Inconclusive => colors::WARN,
            VerdictState::InsufficientData => colors::UNKNOWN,
        };
        ui.horizontal_wrapped(|ui| {
            ui.strong("Canary verdict:");
            ui.colored_label(color, RichText::new(shown.label()).strong().size(18.0));
            if let Some(text) = v.estimate_text() {
                ui.label(text);
            }
        });
        if let Some(since) = panel.harm_since {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    colors::FAIL,
                    format!(
                        "Harm first detected at {} UTC; it stays shown until acknowledged (now: {}).",
                        since.format("%H:%M:%S"),
                        v.state.label()
                    ),
                );
                if ui
                    .button("Acknowledge")
                    .on_hover_text("I have seen it; show the live state again")
                    .clicked()
                {
                    panel.harm_since = None;
                    panel.acknowledged = true;
                }
            });
        }
        if let Some(rec) = &v.recommendation {
            ui.colored_label(colors::FAIL, rec);
        }
        for c in &v.comparisons {
            ui.small(format!(
                "vs {}: canary {}/{} needs_review ({}), baseline {}/{} ({}): {}",
                c.baseline.label(),
                c.canary.needs_review,
                c.canary.evaluated,
                c.canary.share().map_or("-".to_owned(), |x| format!("{:.1}%", x * 100.0)),
                c.base.needs_review,
                c.base.evaluated,
                c.base.share().map_or("-".to_owned(), |x| format!("{:.1}%", x * 100.0)),
                c.state.label()
            ));
        }
        if let Some(c) = &snapshot.canary {
            ui.small(format!(
                "Canary started {} UTC (from the {}). Anytime-valid: a mixture SPRT confidence sequence, valid however often the panel looks; each baseline at alpha/2.",
                c.start.format("%Y-%m-%d %H:%M"),
                c.start_from
            ));
        }
        ui.horizontal(|ui| {
            let l = ui.label("Harm tolerance (pp)");
            ui.add(egui::DragValue::new(&mut prefs.tolerance_pp).range(1.0..=50.0).speed(0.5))
                .labelled_by(l.id);
            let l = ui.label("alpha");
            ui.add(egui::DragValue::new(&mut prefs.alpha).range(0.001..=0.2).speed(0.001))
                .labelled_by(l.id);
        });
    });
}

/// How many draft ids an alarm shows before folding the rest (all are copied).
const SHOWN_IDS: usize = 50;

/// The alarms, each with its drafts (copyable) and the lever that fits.
fn alarms_ui(ui: &mut Ui, snapshot: &Snapshot, verdict: Option<&Verdict>) {
    let mut alarms: Vec<Alarm> = snapshot.alarms.clone();
    if let Some(v) = verdict {
        let ids = snapshot
            .canary
            .as_ref()
            .map(|c| c.workspace_ids.clone())
            .unwrap_or_default();
        let facts = crate::core::alarms::Facts {
            now: snapshot.made_at.unwrap_or_default(),
            window_start: snapshot.made_at.unwrap_or_default(),
            workspaces: &[],
            env: None,
            verdict: Some(v),
            canary_ids: &ids,
            verified: &[],
            grace: crate::core::alarms::DEFAULT_GRACE,
            loops: &[],
        };
        alarms.extend(crate::core::alarms::evaluate(&facts, &[]));
    }
    if alarms.is_empty() {
        ui.colored_label(colors::OK, "Alarms: none (every invariant holds)");
        return;
    }
    ui.colored_label(
        colors::FAIL,
        RichText::new(format!("Alarms: {}", alarms.len())).strong(),
    );
    for a in &alarms {
        egui::Frame::group(ui.style())
            .stroke(egui::Stroke::new(1.0, colors::FAIL))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.label(&a.finding);
                ui.small(format!(
                    "suggested lever: {} (Levers tab)",
                    a.suggested_lever
                ));
                if !a.draft_ids.is_empty() {
                    egui::CollapsingHeader::new(format!("{} draft(s)", a.draft_ids.len()))
                        .id_salt(&a.id)
                        .show(ui, |ui| {
                            if ui
                                .small_button(format!("Copy all {} ids", a.draft_ids.len()))
                                .clicked()
                            {
                                ui.ctx().copy_text(a.draft_ids.join("\n"));
                            }
                            // Folded: the first ones on screen, every one copied.
                            for id in a.draft_ids.iter().take(SHOWN_IDS) {
                                ui.monospace(id);
                            }
                            if a.draft_ids.len() > SHOWN_IDS {
                                ui.small(format!(
                                    "… and {} more (Copy copies them all)",
                                    a.draft_ids.len() - SHOWN_IDS
                                ));
                            }
                        });
                }
            });
    }
}
