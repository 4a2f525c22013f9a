//! The canary's guard in the Levers tab and the confirm dialog (issue 29):
//! armed or not, by whom, what it sees; arm, arm as a dry run, disarm.

use super::LeversPanel;
use crate::core::guard::{Duty, GuardSettings, Look, Rule};
use crate::core::time::UtcNaive;
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::worker::Snapshot;
use egui::Ui;

/// Whether the guard is armed, as of the snapshot.
pub(super) fn armed(snapshot: &Snapshot) -> bool {
    snapshot.guard.arming.is_some()
}

/// The top bar's line while armed: "Guard armed by alice@… since 10:02 ·
/// 4 rules · last look 4 s ago".
pub fn guard_line(snapshot: &Snapshot, now: UtcNaive) -> Option<String> {
    let g = &snapshot.guard;
    let a = g.arming.as_ref()?;
    let look = g.looked_at.map_or("not looked yet".to_owned(), |t| {
        format!("last look {} s ago", (now - t).num_seconds().max(0))
    });
    let state = match &g.look {
        Some(Look::Blind { since, .. }) => {
            format!(" · BLIND since {}", since.format("%H:%M"))
        }
        _ => String::new(),
    };
    let who = match (&g.down, &g.duty) {
        (Some(d), _) => format!(" · GUARD DOWN since {}", d.since.format("%H:%M")),
        (None, Some(Duty::Acting)) => " · guarded here".to_owned(),
        (None, Some(Duty::Watching { host: Some(h), .. })) => format!(" · guarded on {h}"),
        (None, Some(Duty::Watching { host: None, .. })) => " · guarded elsewhere".to_owned(),
        (None, Some(Duty::Unknown { .. })) => " · who guards: unknown".to_owned(),
        (None, Some(Duty::Solo) | None) => String::new(),
    };
    Some(format!(
        "Guard{} armed by {} since {} · {} rules · {look}{state}{who}",
        if a.dry_run { " (dry run)" } else { "" },
        a.by,
        a.since.format("%H:%M"),
        g.rules
    ))
}

/// The rules, each with its evidence threshold (the dialog and the tab).
fn rules_ui(ui: &mut Ui, s: &GuardSettings) {
    for rule in Rule::ALL {
        ui.label(format!("• {}", rule.describe(s)));
    }
    ui.small(format!(
        "A rule acts only when it holds on two reads at least {} s apart; a failed, stale or thin read makes the guard blind, never trigger-happy. It only rolls the canary workspace(s) back: never a kill switch, never anything on.",
        s.confirm_gap.num_seconds()
    ));
}

/// The confirm dialog's part for a canary enable: arm the guard (ticked),
/// or say why not.
pub(super) fn dialog_guard_ui(
    ui: &mut Ui,
    settings: &GuardSettings,
    arm: &mut bool,
    why_not: &mut String,
) {
    ui.add_space(4.0);
    ui.checkbox(
        arm,
        "Arm the guard: roll this canary back automatically when harm is clear",
    );
    if *arm {
        ui.indent("guard rules", |ui| rules_ui(ui, settings));
    } else {
        ui.horizontal(|ui| {
            let l = ui.label("Why no guard");
            ui.add(
                egui::TextEdit::singleline(why_not)
                    .hint_text("recorded with the canary")
                    .desired_width(360.0),
            )
            .labelled_by(l.id);
        });
    }
}

impl LeversPanel {
    /// The guard's section of the Levers tab.
    pub(super) fn guard_ui(
        &mut self,
        ui: &mut Ui,
        snapshot: &Snapshot,
        now: UtcNaive,
    ) -> Vec<AppCommand> {
        let mut out = Vec::new();
        let g = &snapshot.guard;
        ui.separator();
        ui.strong("The canary's guard");
        match (&g.arming, guard_line(snapshot, now)) {
            (Some(_), Some(line)) => {
                ui.colored_label(colors::OK, line);
            }
            _ => {
                ui.label("Not armed: alarms and the verdict only tell you.");
            }
        }
        match &g.look {
            Some(Look::Blind { why, since }) if g.arming.is_some() => {
                ui.colored_label(
                    colors::WARN,
                    format!("Blind since {} UTC: {why}", since.format("%H:%M:%S")),
                );
            }
            Some(Look::Holding { finding, since }) if g.arming.is_some() => {
                ui.colored_label(
                    colors::WARN,
                    format!(
                        "Rule {} holds since {} UTC ({}); it acts if it still holds on the next read",
                        finding.rule.id(),
                        since.format("%H:%M:%S"),
                        finding.evidence
                    ),
                );
            }
            _ => {}
        }
        if let Some(d) = &g.down {
            ui.colored_label(
                colors::FAIL,
                format!(
                    "Guard down since {} UTC: the panel holding its lock{} stopped its heartbeat; nothing rolls the canary back automatically",
                    d.since.format("%H:%M:%S"),
                    d.host.as_deref().map(|h| format!(" (on {h})")).unwrap_or_default()
                ),
            );
        }
        if let Some(p) = &g.problem {
            ui.colored_label(colors::WARN, format!("Guard: {p}"));
        }
        if let Some(acting) = &g.acting {
            ui.colored_label(colors::FAIL, format!("Guard: {acting}"));
        }
        if let Some(last) = &g.last {
            ui.label(format!("Guard: {last}"));
        }
        ui.horizontal(|ui| {
            let l = ui.label("Guard reason");
            ui.add(
                egui::TextEdit::singleline(&mut self.guard_reason)
                    .hint_text("why, for the audit log")
                    .desired_width(300.0),
            )
            .labelled_by(l.id);
            let reason = self.guard_reason.trim().to_owned();
            let mut dry_run = self.guard_dry_run.unwrap_or(g.dry_run_default);
            let cmd = AppCommand::Guard {
                armed: g.arming.is_none(),
                dry_run,
                reason: reason.clone(),
            };
            if g.arming.is_none() && ui.checkbox(&mut dry_run, "Dry run").changed() {
                self.guard_dry_run = Some(dry_run);
            }
            let b = ui
                .add_enabled(!reason.is_empty(), egui::Button::new(cmd.label()))
                .on_hover_text(cmd.tooltip())
                .on_disabled_hover_text("Give a reason first");
            if b.clicked() {
                self.guard_reason.clear();
                out.push(cmd);
            }
        });
        if g.arming.is_none() {
            ui.collapsing("The guard's rules", |ui| rules_ui(ui, &g.settings));
        }
        out
    }
}
