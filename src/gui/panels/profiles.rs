//! The Profiles window: add or edit a profile, paste each secret into a
//! masked field, see stored secrets only as "set (•••• abcd)", replace or
//! delete them, and test each connection. Draws a [`ProfilesView`] from the
//! background thread and returns [`AppCommand`]s; it does no IO itself.

use crate::adapters::secrets::SecretStatus;
use crate::core::profile::{DEFAULT_VERCEL_API, DEMO_PROFILE, Profile};
use crate::core::secret::{Secret, SecretKey};
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::ops::profiles::{JobDone, Outcome, ProfileJob, ProfilesView, TestResult};
use egui::Ui;
use std::collections::BTreeMap;

/// The settings form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Form {
    name: String,
    vercel_project: String,
    vercel_team: String,
    vercel_api: String,
    refresh_secs: String,
    /// Desktop notifications (`None` in the file = on).
    notifications: bool,
}

impl Form {
    fn new_profile() -> Self {
        Self {
            vercel_api: DEFAULT_VERCEL_API.to_owned(),
            notifications: true,
            ..Self::default()
        }
    }

    fn from_profile(name: &str, p: &Profile) -> Self {
        Self {
            name: name.to_owned(),
            vercel_project: p.vercel_project.clone(),
            vercel_team: p.vercel_team.clone().unwrap_or_default(),
            vercel_api: p.vercel_api.clone(),
            refresh_secs: p.refresh_secs.map(|s| s.to_string()).unwrap_or_default(),
            notifications: p.notifications(),
        }
    }

    /// The profile typed, keeping the settings the form does not show.
    fn to_profile(&self, base: Option<&Profile>) -> Result<Profile, String> {
        let refresh_secs = match self.refresh_secs.trim() {
            "" => None,
            s => Some(
                s.parse::<u64>()
                    .map_err(|_| format!("refresh seconds {s:?} is not a whole number"))?,
            ),
        };
        let team = self.vercel_team.trim();
        Ok(Profile {
            vercel_project: self.vercel_project.trim().to_owned(),
            vercel_team: (!team.is_empty()).then(|| team.to_owned()),
            vercel_api: self.vercel_api.trim().to_owned(),
            refresh_secs,
            // Written only when it differs from the default (on).
            notifications: (!self.notifications).then_some(false),
            ..base.cloned().unwrap_or_default()
        })
    }
}

/// One secret's input field.
#[derive(Default)]
struct SecretField {
    /// What was pasted (cleared once handed over).
    text: String,
    /// The "show" eye is on.
    shown: bool,
    /// The user chose Replace on a stored secret.
    replacing: bool,
    /// The user chose Delete and must confirm.
    confirm_delete: bool,
}

/// Which profile the window is on.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Selected {
    Demo,
    New,
    Existing(String),
}

/// The window's own state.
pub struct ProfilesWindow {
    /// Whether the window is shown.
    pub open: bool,
    selected: Selected,
    form: Form,
    fields: BTreeMap<SecretKey, SecretField>,
    messages: Vec<Result<String, String>>,
    tests: BTreeMap<(String, SecretKey), TestResult>,
    confirm_remove: bool,
}

impl Default for ProfilesWindow {
    fn default() -> Self {
        Self {
            open: false,
            selected: Selected::Demo,
            form: Form::new_profile(),
            fields: BTreeMap::new(),
            messages: Vec::new(),
            tests: BTreeMap::new(),
            confirm_remove: false,
        }
    }
}

impl ProfilesWindow {
    /// Opens the window on a profile (or the new-profile form when there is none).
    pub fn show(&mut self, current: &str, view: Option<&ProfilesView>) {
        self.open = true;
        let existing = view
            .and_then(|v| v.file.as_ref().ok())
            .and_then(|f| f.profiles.get(current).map(|p| (current, p)));
        match existing {
            Some((name, p)) => self.select_existing(name, p),
            None => self.select(Selected::New),
        }
    }

    fn select(&mut self, selected: Selected) {
        if selected == Selected::New {
            self.form = Form::new_profile();
        }
        self.selected = selected;
        self.fields.clear();
        self.confirm_remove = false;
    }

    fn select_existing(&mut self, name: &str, p: &Profile) {
        self.select(Selected::Existing(name.to_owned()));
        self.form = Form::from_profile(name, p);
    }

    /// Takes a finished job's outcome (the view is the app's).
    pub fn job_done(&mut self, done: &JobDone) {
        if let Some(name) = &done.saved
            && self.selected == Selected::New
        {
            self.selected = Selected::Existing(name.clone());
        }
        if let Some(name) = &done.removed
            && self.selected == Selected::Existing(name.clone())
        {
            self.select(Selected::New);
        }
        if let Some(m) = &done.message {
            self.say(m.clone());
        }
        if let Some((profile, r)) = &done.test {
            self.tests.insert((profile.clone(), r.key), r.clone());
        }
    }

    /// Shows a message at the bottom of the window (the last four stay).
    pub fn say(&mut self, message: Result<String, String>) {
        self.messages.push(message);
        if self.messages.len() > 4 {
            drop(self.messages.remove(0));
        }
    }

    /// Draws the window; returns what the app should do.
    pub fn window_ui(
        &mut self,
        ctx: &egui::Context,
        view: Option<&ProfilesView>,
        busy: bool,
    ) -> Vec<AppCommand> {
        let mut actions = Vec::new();
        let mut open = self.open;
        egui::Window::new("Profiles")
            .open(&mut open)
            .default_size([760.0, 520.0])
            .collapsible(false)
            .show(ctx, |ui| self.contents_ui(ui, view, busy, &mut actions));
        self.open = open;
        actions
    }

    fn contents_ui(
        &mut self,
        ui: &mut Ui,
        view: Option<&ProfilesView>,
        busy: bool,
        actions: &mut Vec<AppCommand>,
    ) {
        let Some(view) = view else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("reading the profiles file and the keyring…");
            });
            return;
        };
        ui.small(format!("Settings: {}", view.config_path.display()));
        for w in &view.warnings {
            ui.colored_label(colors::WARN, w);
        }
        if let Err(e) = &view.keyring {
            ui.colored_label(colors::FAIL, format!("Keyring: {e}"));
        }
        let file = match &view.file {
            Ok(f) => f,
            Err(e) => {
                ui.colored_label(colors::FAIL, e);
                ui.label(
                    "Profiles cannot be changed until the file is fixed; the demo keeps working.",
                );
                if ui.button("Read the file again").clicked() {
                    actions.push(AppCommand::ProfileJob(ProfileJob::Reload));
                }
                return;
            }
        };
        ui.separator();
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(170.0);
                if ui
                    .selectable_label(self.selected == Selected::Demo, "demo (built-in)")
                    .clicked()
                {
                    self.select(Selected::Demo);
                }
                for (name, p) in &file.profiles {
                    let selected = self.selected == Selected::Existing(name.clone());
                    let label = if file.default_profile.as_deref() == Some(name) {
                        format!("{name} (default)")
                    } else {
                        name.clone()
                    };
                    if ui.selectable_label(selected, label).clicked() {
                        self.select_existing(name, p);
                    }
                }
                if ui
                    .selectable_label(self.selected == Selected::New, "+ New profile")
                    .clicked()
                {
                    self.select(Selected::New);
                }
            });
            ui.separator();
            ui.vertical(|ui| match self.selected.clone() {
                Selected::Demo => {
                    ui.label(
                        "The built-in rehearsal world: a production-shaped SQLite database \
                         and a simulated app. It has no settings and no secrets.",
                    );
                    if ui.button("Open demo").clicked() {
                        actions.push(AppCommand::OpenProfile(DEMO_PROFILE.to_owned()));
                    }
                }
                Selected::New => self.form_ui(ui, None, busy, actions),
                Selected::Existing(name) => {
                    let base = file.profiles.get(&name);
                    self.form_ui(ui, base, busy, actions);
                    ui.separator();
                    self.secrets_ui(ui, &name, view, busy, actions);
                }
            });
        });
        ui.separator();
        for m in self.messages.iter().rev() {
            match m {
                Ok(t) => ui.colored_label(colors::OK, t),
                Err(e) => ui.colored_label(colors::FAIL, e),
            };
        }
    }

    fn form_ui(
        &mut self,
        ui: &mut Ui,
        base: Option<&Profile>,
        busy: bool,
        actions: &mut Vec<AppCommand>,
    ) {
        let is_new = base.is_none();
        egui::Grid::new("profile_form")
            .num_columns(2)
            .show(ui, |ui| {
                let name_label = ui.label("Name");
                ui.add_enabled(
                    is_new,
                    egui::TextEdit::singleline(&mut self.form.name).hint_text("production"),
                )
                .labelled_by(name_label.id);
                ui.end_row();
                let l = ui.label("Vercel project");
                ui.text_edit_singleline(&mut self.form.vercel_project)
                    .labelled_by(l.id)
                    .on_hover_text("The project id (prj_…) or name");
                ui.end_row();
                let l = ui.label("Vercel team");
                ui.add(
                    egui::TextEdit::singleline(&mut self.form.vercel_team)
                        .hint_text("optional: team_… or slug"),
                )
                .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Vercel API URL");
                ui.text_edit_singleline(&mut self.form.vercel_api)
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Refresh seconds");
                ui.add(egui::TextEdit::singleline(&mut self.form.refresh_secs).hint_text("5"))
                    .labelled_by(l.id);
                ui.end_row();
                ui.label("Notifications");
                ui.checkbox(&mut self.form.notifications, "Desktop notifications")
                    .on_hover_text(
                        "A new alarm, harm, a failed lever run or another operator's lever raises one \
                         notification (one per kind per 10 min); click it to open the panel",
                    );
                ui.end_row();
            });
        ui.horizontal(|ui| {
            let label = if is_new {
                "Add profile"
            } else {
                "Save settings"
            };
            if ui.add_enabled(!busy, egui::Button::new(label)).clicked() {
                match self.form.to_profile(base) {
                    Ok(profile) => actions.push(AppCommand::ProfileJob(ProfileJob::Save {
                        name: self.form.name.trim().to_owned(),
                        profile: Box::new(profile),
                        create: is_new,
                    })),
                    Err(e) => self.say(Err(e)),
                }
            }
            if !is_new {
                if ui.button("Open this profile").clicked() {
                    actions.push(AppCommand::OpenProfile(self.form.name.clone()));
                }
                if self.confirm_remove {
                    ui.colored_label(colors::WARN, "Remove it and its keyring entries?");
                    if ui.button("Yes, remove").clicked() {
                        actions.push(AppCommand::ProfileJob(ProfileJob::Remove(
                            self.form.name.clone(),
                        )));
                        self.confirm_remove = false;
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_remove = false;
                    }
                } else if ui.button("Remove…").clicked() {
                    self.confirm_remove = true;
                }
            }
        });
        if is_new {
            ui.small(
                "Secrets are added after the profile is saved; they go to the OS keyring only.",
            );
        }
    }

    fn secrets_ui(
        &mut self,
        ui: &mut Ui,
        profile: &str,
        view: &ProfilesView,
        busy: bool,
        actions: &mut Vec<AppCommand>,
    ) {
        ui.strong("Secrets (OS keyring, service rollout-panel)");
        let statuses = match view.secrets.get(profile) {
            Some(Ok(list)) => list.clone(),
            Some(Err(_)) if view.keyring.is_err() => {
                ui.colored_label(
                    colors::FAIL,
                    "Secrets cannot be read or stored until the keyring is reachable (see above).",
                );
                return;
            }
            Some(Err(e)) => {
                ui.colored_label(colors::FAIL, e);
                return;
            }
            None => return,
        };
        egui::Grid::new("secrets")
            .num_columns(3)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                for (key, status) in statuses {
                    let field = self.fields.entry(key).or_default();
                    let key_label = ui.label(key.as_str()).on_hover_text(key.description()).id;
                    let editing = status == SecretStatus::Unset || field.replacing;
                    ui.horizontal(|ui| {
                        if status.is_set() {
                            ui.label(status.label());
                        }
                        if editing {
                            ui.add(
                                egui::TextEdit::singleline(&mut field.text)
                                    .password(!field.shown)
                                    .desired_width(260.0)
                                    .hint_text("paste the value"),
                            )
                            .labelled_by(key_label);
                            if eye_toggle_ui(ui, field.shown, &format!("Show {key}"))
                                .on_hover_text("Show or hide what you pasted")
                                .clicked()
                            {
                                field.shown = !field.shown;
                            }
                            if ui
                                .add_enabled(
                                    !busy && !field.text.is_empty(),
                                    egui::Button::new(format!("Save {key}")),
                                )
                                .clicked()
                            {
                                actions.push(AppCommand::ProfileJob(ProfileJob::SetSecret {
                                    profile: profile.to_owned(),
                                    key,
                                    value: Secret::new(std::mem::take(&mut field.text)),
                                }));
                                field.replacing = false;
                                field.shown = false;
                            }
                            if field.replacing && ui.button("Cancel").clicked() {
                                field.replacing = false;
                                field.text.clear();
                            }
                        } else if field.confirm_delete {
                            ui.colored_label(colors::WARN, "Delete it from the keyring?");
                            if ui.button(format!("Yes, delete {key}")).clicked() {
                                actions.push(AppCommand::ProfileJob(ProfileJob::DeleteSecret {
                                    profile: profile.to_owned(),
                                    key,
                                }));
                                field.confirm_delete = false;
                            }
                            if ui.button("Cancel").clicked() {
                                field.confirm_delete = false;
                            }
                        } else {
                            if ui.button(format!("Replace {key}")).clicked() {
                                field.replacing = true;
                            }
                            if ui.button(format!("Delete {key}…")).clicked() {
                                field.confirm_delete = true;
                            }
                        }
                    });
                    ui.horizontal(|ui| {
                        let test_label = match key {
                            SecretKey::DatabaseUrl => "Test database",
                            SecretKey::PooledDatabaseUrl => "Test pooled URL",
                            SecretKey::VercelToken => "Test Vercel",
                        };
                        if ui
                            .add_enabled(
                                !busy && status != SecretStatus::Unset,
                                egui::Button::new(test_label),
                            )
                            .clicked()
                        {
                            actions.push(AppCommand::ProfileJob(ProfileJob::Test {
                                profile: profile.to_owned(),
                                key,
                            }));
                        }
                    });
                    ui.end_row();
                }
            });
        // Test results under the grid, wrapped: they can be long.
        for key in SecretKey::ALL {
            if let Some(r) = self.tests.get(&(profile.to_owned(), key)) {
                let color = match r.outcome {
                    Outcome::Ok => colors::OK,
                    Outcome::Failed => colors::FAIL,
                    Outcome::Skipped => colors::UNKNOWN,
                };
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!("{key}:"));
                    ui.colored_label(color, &r.detail);
                });
            }
        }
    }
}

/// The "show" eye of a masked field: painted (the default fonts have no eye
/// glyph), struck through while the value is hidden. Reads as a checkbox
/// named `label` to assistive tech.
fn eye_toggle_ui(ui: &mut Ui, shown: bool, label: &str) -> egui::Response {
    let height = ui.spacing().interact_size.y;
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(height * 1.4, height), egui::Sense::click());
    response.widget_info(|| {
        egui::WidgetInfo::selected(
            egui::accesskit::Role::CheckBox,
            ui.is_enabled(),
            shown,
            label,
        )
    });
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact_selectable(&response, shown);
        let painter = ui.painter();
        painter.rect(
            rect,
            visuals.corner_radius,
            visuals.weak_bg_fill,
            visuals.bg_stroke,
            egui::StrokeKind::Inside,
        );
        let c = rect.center();
        let (a, b) = (rect.width() * 0.3, rect.height() * 0.22);
        let outline: Vec<egui::Pos2> = (0..=24)
            .map(|i| {
                let t = i as f32 / 24.0 * std::f32::consts::TAU;
                egui::pos2(c.x + a * t.cos(), c.y + b * t.sin())
            })
            .collect();
        let stroke = egui::Stroke::new(1.5, visuals.fg_stroke.color);
        painter.add(egui::Shape::line(outline, stroke));
        painter.circle_filled(c, b * 0.7, visuals.fg_stroke.color);
        if !shown {
            painter.line_segment(
                [
                    egui::pos2(c.x - a, c.y + b * 1.6),
                    egui::pos2(c.x + a, c.y - b * 1.6),
                ],
                stroke,
            );
        }
    }
    response
}
