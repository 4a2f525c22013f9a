//! The top bar: profile, source health with the data's age, runbook stage,
//! and the two kill switches as configured vs live.

use crate::core::env::FlagState;
use crate::core::time::{UtcNaive, format_age};
use crate::gui::colors;
use crate::gui::command::{AppCommand, Tab};
use crate::worker::{Health, Snapshot};
use egui::{Color32, Ui};

/// Draws the top bar; returns a profile switch or "open the Profiles window".
pub fn top_bar_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    now: UtcNaive,
    profiles: &[String],
    can_switch: bool,
    demo_clock: Option<&str>,
) -> Option<AppCommand> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        ui.strong("rollout-panel");
        ui.separator();
        if can_switch {
            let l = ui.label("Profile:");
            let mut chosen = snapshot.profile.clone();
            egui::ComboBox::from_id_salt("profile_switcher")
                .selected_text(&snapshot.profile)
                .show_ui(ui, |ui| {
                    for name in profiles {
                        ui.selectable_value(&mut chosen, name.clone(), name);
                    }
                })
                .response
                .labelled_by(l.id)
                .on_hover_text(&snapshot.source);
            if chosen != snapshot.profile {
                action = Some(AppCommand::OpenProfile(chosen));
            }
            if ui
                .button("Profiles…")
                .on_hover_text(
                    "Add or edit profiles, their secrets (OS keyring) and test connections",
                )
                .clicked()
            {
                action = Some(AppCommand::ShowProfiles);
            }
        } else {
            ui.label(format!("Profile: {}", snapshot.profile))
                .on_hover_text(&snapshot.source);
        }
        if let Some(note) = demo_clock {
            ui.label(egui::RichText::new(note).color(colors::WARN))
                .on_hover_text(
                    "The demo world's clock is not the wall clock (gui --speed, drill run --speed): every time on screen — ages, plots, the audit, a drill's score — is the demo's",
                );
        }
        ui.separator();
        health_ui(
            ui,
            "DB",
            &snapshot.db,
            now,
            snapshot.server_version.as_deref(),
        );
        health_ui(ui, "Env", &snapshot.env, now, None);
        ui.separator();
        let stage = match snapshot.stage {
            None => "stage unknown".to_owned(),
            // "expanding: 3 of 12 workspaces on".
            Some(s @ crate::core::runbook::Stage::Expanded) => {
                crate::core::lever::stage_line(&snapshot.workspaces)
                    .unwrap_or_else(|| s.label().to_owned())
            }
            Some(s) => s.label().to_owned(),
        };
        let stage = format!("Stage: {stage}");
        wrap_unless_fits(ui, &stage, 0.0);
        ui.label(stage);
        if let Some(line) = super::levers::pinned_line(snapshot)
            && let Some(serving) = snapshot
                .env_snapshot
                .as_ref()
                .and_then(|e| e.serving.as_ref())
        {
            // Short: the kill switches after it must stay readable.
            let short: String = serving.id.chars().take(12).collect();
            let ellipsis = if serving.id.chars().count() > 12 {
                "…"
            } else {
                ""
            };
            let text = format!("Pinned: {short}{ellipsis}");
            ui.separator();
            wrap_unless_fits(ui, &text, 0.0);
            ui.colored_label(colors::WARN, text).on_hover_text(line);
        }
        if let Some(r) = snapshot.env_snapshot.as_ref().and_then(|e| e.rolling.as_ref()) {
            let text = format!("Rolling release: {}", r.describe());
            ui.separator();
            wrap_unless_fits(ui, &text, 0.0);
            ui.colored_label(colors::WARN, text).on_hover_text(
                "Production is served by two deployments at once, each with the env it was built with: a kill switch is live only when both carry it. Complete or abort the rolling release in Vercel.",
            );
        }
    });
    // The kill switches on a row of their own, where the eye starts: the bar's
    // height does not jump when an age's text grows ("59 s" → "1 min"), and
    // a switch that does not fit starts another row rather than run past the
    // window's edge.
    ui.horizontal_wrapped(|ui| {
        flag_ui(
            ui,
            "Revision kill switch",
            snapshot.revision_flag.as_ref(),
            false,
        );
        flag_ui(ui, "All auto-send", snapshot.auto_send_flag.as_ref(), true);
        // Another panel's lever, while it runs (from the shared table): last,
        // on a row of its own when needed, cut to the width (whole on hover).
        if let Some(e) = snapshot.running_elsewhere.first() {
            let more = match snapshot.running_elsewhere.len() {
                1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            let text = format!("Lever running by {}: {}{more}", e.operator, e.summary);
            ui.separator();
            wrap_unless_fits(ui, &text, 0.0);
            ui.add(
                egui::Label::new(egui::RichText::new(text).color(colors::WARN)).truncate(),
            )
            .on_hover_text(format!(
                "Another panel's action {} started {} UTC and has no result yet (Audit tab). A lever of yours on the same target waits for it, unless it is a rollback.",
                crate::adapters::audit::short_id(&e.action_id),
                e.at.format("%H:%M:%S")
            ));
        }
        // The canary's guard, while armed (issue 29).
        if let Some(line) = crate::gui::panels::levers::guard::guard_line(snapshot, now) {
            let blind = matches!(
                snapshot.guard.look,
                Some(crate::core::guard::Look::Blind { .. })
            );
            ui.separator();
            wrap_unless_fits(ui, &line, 0.0);
            ui.add(
                egui::Label::new(egui::RichText::new(line).color(if blind {
                    colors::WARN
                } else {
                    colors::OK
                }))
                .truncate(),
            )
            .on_hover_text(
                "The panel rolls the canary back itself when a rule holds on two reads (Levers tab: the rules, disarm)",
            );
        }
    });
    action
}

/// The tab row, with Refresh (and a spinner while a read is slow) on the right.
pub fn tabs_ui(ui: &mut Ui, current: Tab, slow_read: bool) -> Vec<AppCommand> {
    let mut commands = Vec::new();
    ui.horizontal(|ui| {
        for tab in Tab::ALL {
            let cmd = AppCommand::ShowTab(tab);
            if ui
                .selectable_label(current == tab, cmd.label())
                .on_hover_text(cmd.tooltip_with_shortcut(ui.ctx()))
                .clicked()
            {
                commands.push(cmd);
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            for cmd in [AppCommand::Refresh, AppCommand::ShowAbout] {
                if ui
                    .button(cmd.label())
                    .on_hover_text(cmd.tooltip_with_shortcut(ui.ctx()))
                    .clicked()
                {
                    commands.push(cmd);
                }
            }
            if slow_read {
                ui.spinner();
                ui.label("reading…");
            }
        });
    });
    commands
}

fn dot(ui: &mut Ui, color: Color32) {
    crate::gui::status_dot(ui, color);
}

/// Starts a new row of the wrapping top bar when `text` (after `extra`
/// points, e.g. a status dot) does not fit in what is left of this one, so a
/// state is never drawn past the window's edge.
fn wrap_unless_fits(ui: &mut Ui, text: &str, extra: f32) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let width = ui
        .painter()
        .layout_no_wrap(text.to_owned(), font, Color32::PLACEHOLDER)
        .size()
        .x;
    // In a wrapping layout `available_width` is the whole row's.
    let left_in_row = ui.max_rect().right() - ui.cursor().left();
    let at_row_start = ui.cursor().left() <= ui.max_rect().left() + 0.5;
    if !at_row_start && width + extra > left_in_row {
        ui.end_row();
    }
}

/// A status light and its text, on a new row when they do not fit in this
/// one; returns the text's response (for its hover).
fn status_ui(ui: &mut Ui, color: Color32, text: String) -> egui::Response {
    // The dot's width and the spacing after it.
    let dot_width = ui.text_style_height(&egui::TextStyle::Body) * 0.7 + 3.0;
    wrap_unless_fits(ui, &text, dot_width);
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 3.0;
        dot(ui, color);
        ui.label(text)
    })
    .inner
}

/// "DB ok · 3 s ago" / "DB error · last good 2 min ago", with details on hover.
fn health_ui(ui: &mut Ui, name: &str, health: &Health, now: UtcNaive, version: Option<&str>) {
    let age = health.last_ok.map(|t| format_age(now - t));
    let (color, text) = match (&health.error, &age) {
        (None, None) if health.note.is_some() => (colors::UNKNOWN, format!("{name} not read")),
        (None, Some(age)) => (colors::OK, format!("{name} ok · {age} ago")),
        (None, None) => (colors::UNKNOWN, format!("{name} connecting…")),
        (Some(_), Some(age)) => (colors::FAIL, format!("{name} error · last good {age} ago")),
        (Some(_), None) => (colors::FAIL, format!("{name} error · no data yet")),
    };
    let r = status_ui(ui, color, text);
    let mut hover = String::new();
    if let Some(v) = version {
        hover.push_str(v);
    }
    if let Some(ms) = health.latency_ms {
        hover.push_str(&format!("\nround trip {ms} ms"));
    }
    if let Some(e) = &health.error {
        hover.push_str(&format!("\n{e}"));
    }
    if let Some(n) = &health.note {
        hover.push_str(&format!("\n{n}"));
    }
    if !hover.trim().is_empty() {
        r.on_hover_text(hover.trim());
    }
}

/// One kill switch: "configured ON · live ON", amber while a redeploy is owed.
/// For `AUTO_SEND_DISABLED` (`on_means_disabled`) the words are enabled/disabled.
fn flag_ui(ui: &mut Ui, name: &str, flag: Option<&FlagState>, on_means_disabled: bool) {
    let Some(flag) = flag else {
        let text = format!("{name}: unknown");
        wrap_unless_fits(ui, &text, 0.0);
        ui.label(text);
        return;
    };
    let word = |on: bool| match (on_means_disabled, on) {
        (true, true) => "disabled",
        (true, false) => "enabled",
        (false, true) => "ON",
        (false, false) => "OFF",
    };
    // Under a rolling release: "live on 10 %" (of production's traffic).
    let live = match flag.live {
        crate::core::env::Live::Partial { share: Some(p) } => {
            format!("on {p} % (rolling release)")
        }
        other => other.label(word(true), word(false)).to_owned(),
    };
    let color = match (flag.is_settled(), flag.configured_on, on_means_disabled) {
        (false, _, _) => colors::WARN,
        (true, true, true) => colors::FAIL,
        (true, true, false) => colors::WARN,
        (true, false, _) => colors::OK,
    };
    let text = format!(
        "{name}: configured {} · live {live}",
        word(flag.configured_on)
    );
    status_ui(ui, color, text).on_hover_text(flag_hover(flag));
}

fn flag_hover(flag: &FlagState) -> String {
    let value = flag
        .configured_value
        .as_deref()
        .map_or("unset".to_owned(), |v| format!("{v:?}"));
    format!(
        "{} = {value} (on only when exactly \"1\").\nLive = the deployment serving production; env changes apply only after a redeploy.",
        flag.key
    )
}
