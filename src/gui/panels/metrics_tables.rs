//! The Metrics tab's tables: the 24-hour review and the admin page's
//! 72-hour counts, and how much of the window the series has read.

use crate::core::time::UtcNaive;
use crate::gui::colors;
use crate::worker::Snapshot;
use egui::{RichText, Ui};

/// How much of the retained window the series has read, e.g. "the last
/// 13 h of 72 h read".
pub(crate) fn history_read_text(snapshot: &Snapshot, now: UtcNaive) -> String {
    let read = snapshot
        .series
        .from()
        .map_or(chrono::Duration::zero(), |from| {
            crate::core::time::floor_minute(now) + chrono::Duration::minutes(1) - from
        });
    format!(
        "the last {} of {} h read",
        crate::core::time::format_age(read),
        crate::core::metrics::RETAIN.num_hours()
    )
}

/// The 24-hour review: the day's totals and rates per workspace.
pub(crate) fn review_ui(ui: &mut Ui, snapshot: &Snapshot, now: UtcNaive) {
    let from = now - chrono::Duration::hours(24);
    let totals = &snapshot.review_24h;
    ui.label(
        RichText::new(format!(
            "24 h review: the last day per workspace (since {} UTC)",
            from.format("%Y-%m-%d %H:%M")
        ))
        .strong(),
    );
    if !snapshot.series.covers(from) {
        ui.colored_label(
            colors::UNKNOWN,
            format!(
                "Reading the older history ({}): the day's totals show when the whole day is read.",
                history_read_text(snapshot, now)
            ),
        );
        return;
    }
    let pct = |x: Option<f64>| x.map_or("-".to_owned(), |v| format!("{:.0}%", v * 100.0));
    let readable = snapshot.schema.as_ref().is_some_and(|s| s.ai_interaction);
    let revision = snapshot
        .schema
        .as_ref()
        .is_some_and(|s| s.revision_readable());
    if !revision {
        ui.colored_label(
            colors::WARN,
            format!("Note: {}.", crate::ops::metrics::V0_NOTE),
        );
    }
    table_ui(
        ui,
        "review_24h",
        &[
            "Workspace",
            "Attempted",
            "Applied",
            "Applied rate",
            "Evaluated",
            "needs_review",
            "AI errors",
            "Stuck",
            "Mean uplift",
        ],
        snapshot.workspaces.len(),
        |i| {
            let w = &snapshot.workspaces[i];
            let c = totals.get(&w.id).copied().unwrap_or_default();
            // Without the revision columns (V0) those numbers do not exist.
            let rev = |t: String| if revision { t } else { "n/a".to_owned() };
            [
                w.name.clone(),
                rev(c.attempted.to_string()),
                rev(c.applied.to_string()),
                rev(pct(c.applied_rate())),
                c.evaluated.to_string(),
                pct(c.needs_review_share()),
                if readable {
                    c.ai_errors.to_string()
                } else {
                    "n/a".to_owned()
                },
                rev(c.stuck.to_string()),
                rev(c
                    .mean_uplift()
                    .map_or("-".to_owned(), |u| format!("{u:+.3}"))),
            ]
            .into_iter()
            .map(|t| (t, None))
            .collect()
        },
    );
}

pub(crate) fn admin_table_ui(ui: &mut Ui, snapshot: &Snapshot) {
    ui.label(RichText::new("Auto-send revision (last 72h)").strong())
        .on_hover_text(
            "The admin page's numbers: attempted = claim stamps in the last 72 h (no status, channel or action filter); applied = the same with autoSendRevisionApplied.",
        );
    table_ui(
        ui,
        "admin_counts",
        &[
            "Workspace",
            "Toggle",
            "Attempted",
            "Applied",
            "Applied rate",
        ],
        snapshot.workspaces.len(),
        |i| {
            let w = &snapshot.workspaces[i];
            let c = snapshot.counts_72h.get(&w.id).copied().unwrap_or_default();
            let toggle_color = if w.toggle.is_on() {
                colors::CANARY
            } else {
                colors::UNKNOWN
            };
            vec![
                (w.name.clone(), None),
                (w.toggle.label().to_owned(), Some(toggle_color)),
                (c.attempted.to_string(), None),
                (c.applied.to_string(), None),
                (c.applied_rate_label(), None),
            ]
        },
    );
}

/// A table of `n` rows that lays out only the rows in view, so 500
/// workspaces cost no more per frame than a dozen. `row` gives each cell's
/// text and colour.
fn table_ui(
    ui: &mut Ui,
    id: &str,
    headers: &[&str],
    n: usize,
    row: impl Fn(usize) -> Vec<(String, Option<egui::Color32>)>,
) {
    use egui_extras::{Column, TableBuilder};
    let height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    TableBuilder::new(ui)
        .id_salt(id)
        .striped(true)
        .max_scroll_height(height * 12.0)
        .columns(Column::auto().at_least(70.0), headers.len())
        .header(height, |mut h| {
            for t in headers {
                h.col(|ui| {
                    ui.strong(*t);
                });
            }
        })
        .body(|body| {
            body.rows(height, n, |mut r| {
                for (text, color) in row(r.index()) {
                    r.col(|ui| {
                        match color {
                            Some(c) => ui.colored_label(c, text),
                            None => ui.label(text),
                        };
                    });
                }
            });
        });
}
