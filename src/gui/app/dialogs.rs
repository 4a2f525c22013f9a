//! The window's own dialogs: quitting while a lever runs, and About.

use super::App;

impl App {
    /// Asked when the window is closed while a lever runs: quitting stops
    /// the run mid-way (it then shows as interrupted on the next start).
    pub(super) fn quit_ui(&mut self, ctx: &egui::Context) {
        let running = self.levers.running_titles();
        let mut stay = false;
        let mut quit = false;
        egui::Modal::new(egui::Id::unique("quit-while-running")).show(ctx, |ui| {
            ui.set_max_width(560.0);
            if running.is_empty() {
                ui.heading("The lever run has ended");
                ui.label("Nothing is running any more; the panel can close.");
            } else {
                ui.heading("A lever is still running");
                for title in &running {
                    ui.label(format!("· {title}"));
                }
                ui.label(
                    "Quitting now stops it mid-way: the steps done so far stay done, the rest \
                     does not happen, and the action shows as interrupted on the next start \
                     (Finish… or Abandon). Waiting for it to end is safer.",
                );
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                // The safe choice first, and the one Esc takes.
                if ui.button("Keep the panel open").clicked() {
                    stay = true;
                }
                let label = if running.is_empty() {
                    "Quit"
                } else {
                    "Quit anyway"
                };
                if ui.button(label).clicked() {
                    quit = true;
                }
            });
            if ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                stay = true;
            }
        });
        if quit {
            if !running.is_empty() {
                tracing::warn!("quitting while a lever runs: {}", running.join("; "));
            }
            self.quit_asked = false;
            self.quit_confirmed = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        } else if stay {
            self.quit_asked = false;
        }
    }

    /// The About dialog: version, commit, the panel's folders, the keyring.
    pub(super) fn about_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.about;
        let data_dir = self.launcher.as_ref().map(|l| l.paths.clone());
        egui::Window::new("About rollout-panel")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label(format!(
                    "rollout-panel {} (git {})",
                    env!("CARGO_PKG_VERSION"),
                    env!("ROLLOUT_PANEL_GIT_HASH")
                ));
                egui::Grid::new("about").num_columns(2).show(ui, |ui| {
                    let mut row = |k: &str, v: String| {
                        ui.label(k);
                        ui.monospace(v);
                        ui.end_row();
                    };
                    match &data_dir {
                        Some(p) => {
                            row("Data", p.data_dir.display().to_string());
                            row("Config", p.config_dir.display().to_string());
                            row("Logs", p.log_dir().display().to_string());
                            row("Crash reports", p.crash_dir().display().to_string());
                        }
                        None => row("Data", self.export_dir.display().to_string()),
                    }
                    row(
                        "Exports without a dialog",
                        self.export_dir.display().to_string(),
                    );
                    row(
                        "Keyring",
                        crate::adapters::secrets::backend_name().to_owned(),
                    );
                });
            });
        self.about = open;
    }
}
