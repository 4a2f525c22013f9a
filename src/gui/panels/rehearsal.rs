//! The Rehearsal tab (issue 31): the demo world's fault switches, and the
//! drills — scripted incidents at a random minute inside a window the
//! operator chooses, scored when they end. Refused on any other profile.

use crate::core::drill::{DRILLS, Drill, Score, levels_text, secs_text};
use crate::demo::FaultSwitch;
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::worker::Snapshot;
use crate::worker::protocol::DrillAsk;
use egui::{RichText, Ui};

/// The windows a drill's fault can fall in, in minutes.
const WITHIN: [i64; 4] = [1, 5, 10, 20];

/// The tab's own state.
pub struct RehearsalPanel {
    within: i64,
    /// The worker's last answer (started, refused, …).
    answer: Option<Result<String, String>>,
}

impl Default for RehearsalPanel {
    fn default() -> Self {
        Self {
            within: 10,
            answer: None,
        }
    }
}

/// What a drill expects, and what would be too small or too big.
fn expects(d: &Drill) -> String {
    let mut t = format!("Expected: {}.", levels_text(d.expected));
    if !d.too_small.is_empty() {
        t.push_str(&format!(" Too small: {}.", d.too_small));
    }
    t.push_str(&format!(" Too big: {}.", d.too_big));
    t
}

impl RehearsalPanel {
    /// The worker answered a drill request.
    pub fn answer(&mut self, answer: Result<String, String>) {
        if answer.as_ref().is_ok_and(String::is_empty) {
            return;
        }
        self.answer = Some(answer);
    }

    /// Draws the tab; returns what the person asked for.
    pub fn rehearsal_ui(&mut self, ui: &mut Ui, snapshot: &Snapshot) -> Vec<AppCommand> {
        let mut commands = Vec::new();
        ui.heading("Rehearsal");
        if !snapshot.is_demo() {
            ui.colored_label(
                colors::FAIL,
                format!(
                    "Drills and fault switches run on the demo profile only: they change its world, and nothing they do may reach {}'s database. Open the demo profile from the top bar to rehearse.",
                    snapshot.profile
                ),
            );
            return commands;
        }
        ui.label("The demo world, broken on purpose: throw a fault by hand, or run a drill — an incident at a random minute inside the window you choose, scored when it ends.");
        let scored = snapshot.drill.as_ref().is_some_and(|d| d.score.is_some());
        match &self.answer {
            // "Started …" is old news once the drill is scored.
            Some(Ok(_)) if scored => {}
            Some(Ok(a)) => {
                ui.colored_label(colors::OK, a);
            }
            Some(Err(e)) => {
                ui.colored_label(colors::FAIL, e);
            }
            None => {}
        }
        ui.add_space(6.0);
        self.drill_ui(ui, snapshot, &mut commands);
        ui.add_space(10.0);
        ui.strong("Fault switches");
        ui.label(RichText::new("The same as `rollout-panel demo fault NAME on|off`.").weak());
        match &snapshot.demo_faults {
            None => {
                ui.label("The demo world's faults are not read yet.");
            }
            Some(faults) => {
                egui::Grid::new("faults").num_columns(2).show(ui, |ui| {
                    for f in FaultSwitch::ALL {
                        let mut on = f.is_on(faults);
                        if ui.checkbox(&mut on, f.name()).changed() {
                            commands.push(AppCommand::Drill(DrillAsk::Fault { fault: f, on }));
                        }
                        ui.label(f.describe());
                        ui.end_row();
                    }
                });
            }
        }
        commands
    }

    fn drill_ui(&mut self, ui: &mut Ui, snapshot: &Snapshot, commands: &mut Vec<AppCommand>) {
        let running = snapshot.drill.as_ref().filter(|d| d.score.is_none());
        if let Some(d) = running {
            ui.group(|ui| {
                ui.colored_label(
                    colors::WARN,
                    RichText::new(format!("Drill {} running: {}", d.drill.number, d.drill.title))
                        .strong(),
                );
                ui.label(format!(
                    "Started {} UTC. Something happens before {} UTC: watch the panel and act as you would on call.",
                    d.started.format("%H:%M:%S"),
                    d.window_end.format("%H:%M")
                ));
                let abandon = AppCommand::Drill(DrillAsk::Abandon);
                if ui
                    .button("Abandon the drill")
                    .on_hover_text("End it now: scored as abandoned, the faults cleared")
                    .clicked()
                {
                    commands.push(abandon);
                }
            });
        } else if let Some(d) = &snapshot.drill
            && let Some(score) = &d.score
        {
            score_ui(ui, d.drill, score, d.report.as_ref(), commands);
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.strong("Drills");
            let l = ui.label("— the fault falls within");
            egui::ComboBox::from_id_salt("drill-within")
                .selected_text(format!("{} min", self.within))
                .show_ui(ui, |ui| {
                    for m in WITHIN {
                        ui.selectable_value(&mut self.within, m, format!("{m} min"));
                    }
                })
                .response
                .labelled_by(l.id);
        });
        egui::Grid::new("drills")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for d in &DRILLS {
                    ui.label(format!("{}.", d.number));
                    ui.label(d.title).on_hover_text(expects(d));
                    let start = AppCommand::Drill(DrillAsk::Start {
                        number: d.number,
                        within: chrono::Duration::minutes(self.within),
                        pick: None,
                    });
                    if ui
                        .add_enabled(
                            running.is_none(),
                            egui::Button::new(format!("Start drill {}", d.number)),
                        )
                        .on_hover_text(expects(d))
                        .clicked()
                    {
                        self.answer = None;
                        commands.push(start);
                    }
                    ui.end_row();
                }
            });
    }
}

/// A finished drill's score.
fn score_ui(
    ui: &mut Ui,
    d: &Drill,
    s: &Score,
    report: Option<&Result<std::path::PathBuf, String>>,
    commands: &mut Vec<AppCommand>,
) {
    ui.group(|ui| {
        let (color, word) = if s.passed() {
            (colors::OK, "Passed")
        } else {
            (colors::FAIL, "Not passed")
        };
        ui.colored_label(
            color,
            RichText::new(format!(
                "Drill {} {}: {}{}",
                d.number,
                if s.abandoned { "abandoned" } else { "over" },
                word,
                format_args!(" — {}", s.judgement.label())
            ))
            .strong(),
        );
        if !s.note.is_empty() {
            ui.label(&s.note);
        }
        egui::Grid::new("drill-score")
            .num_columns(2)
            .show(ui, |ui| {
                let mut row = |k: &str, v: String| {
                    ui.label(k);
                    ui.label(v);
                    ui.end_row();
                };
                row("Fault → first sign", secs_text(s.to_signal_secs));
                row(
                    &format!("Fault → first look at {}", d.shows_on),
                    secs_text(s.to_look_secs),
                );
                row("Fault → lever confirmed", secs_text(s.to_confirm_secs));
                row("Fault → verified", secs_text(s.to_verified_secs));
                row("Expected", levels_text(&s.expected));
                row(
                    "Chosen",
                    s.chosen.map_or("none".to_owned(), |l| l.label().to_owned()),
                );
                row("Failed levers", s.failed_levers.to_string());
                if s.expected.is_empty() {
                    row("Unnecessary rollbacks", s.unnecessary.to_string());
                }
                if s.by_guard > 0 {
                    row("Levers run by the guard", s.by_guard.to_string());
                }
            });
        match report {
            Some(Ok(path)) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!("Report: {}", path.display()));
                    if let Some(dir) = path.parent() {
                        let open = AppCommand::OpenFolder(dir.to_path_buf());
                        if ui.button(open.label()).clicked() {
                            commands.push(open);
                        }
                    }
                });
            }
            Some(Err(e)) => {
                ui.colored_label(colors::WARN, format!("The report was not written: {e}"));
            }
            None => {}
        }
    });
}
