//! The Levers tab (runbook steps 3 and 5): every lever as a button that opens
//! a confirm dialog showing its plan; the progress of each run; interrupted
//! actions found in the audit log, with Finish and Abandon.
//!
//! Nothing here changes anything: a confirmed plan is returned as a
//! [`AppCommand`] and the app hands it to the worker.

use crate::adapters::audit::{AuditEntry, EntryKind, EntryStatus};
use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, FlagState};
pub use crate::core::lever::PlanSource;
use crate::core::lever::{
    Change, Finish, Guard, LeverKind, LeverRequest, Parts, Plan, PlanError, RunReport, StepReport,
    Watch, finish as core_finish, plan_source,
};
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::worker::{Closing, LeverRun, Snapshot};
use egui::{Key, RichText, Ui};

/// The open confirm dialog.
#[derive(Clone, Debug)]
struct ConfirmDialog {
    plan: Plan,
    reason: String,
    typed: String,
    override_ok: bool,
    finishes: Option<String>,
    focused: bool,
    /// A canary enable: arm its guard too (ticked by default).
    arm_guard: bool,
    /// Why not, when the guard is unticked.
    no_guard_reason: String,
}

impl ConfirmDialog {
    /// Whether this dialog offers to arm the guard (a canary enable).
    fn offers_guard(&self) -> bool {
        self.plan.lever == LeverKind::CanaryEnable && self.plan.on && self.finishes.is_none()
    }

    fn satisfied(&self) -> bool {
        !self.plan.blocked()
            && (!self.plan.needs_override() || self.override_ok)
            && !self.reason.trim().is_empty()
            && self.plan.guard_satisfied(&self.typed)
            && (!self.offers_guard() || self.arm_guard || !self.no_guard_reason.trim().is_empty())
    }
}

/// One lever run and its progress.
#[derive(Clone, Debug)]
struct RunView {
    run: u64,
    plan: Plan,
    steps: Vec<StepReport>,
    done: Option<Result<RunReport, String>>,
}

/// The tab's own state (not persisted: a dialog never survives a restart).
#[derive(Debug, Default)]
pub struct LeversPanel {
    dialog: Option<ConfirmDialog>,
    runs: Vec<RunView>,
    next_run: u64,
    /// A message about the last Finish/open attempt.
    note: Option<(bool, String)>,
    /// The canary's watch so far (the expansion's preconditions).
    watch: Option<Watch>,
    /// The workspaces ticked for an expansion (ids).
    expand_pick: std::collections::BTreeSet<String>,
    /// The reason typed for approving another operator's request.
    approve_reason: String,
    /// The reason typed for arming or disarming the guard.
    guard_reason: String,
    /// Arm the guard as a dry run (`None` = the profile's default).
    guard_dry_run: Option<bool>,
}

/// The plan of `source` from what the snapshot shows.
pub fn plan_from(
    snapshot: &Snapshot,
    source: &PlanSource,
    watch: Option<&Watch>,
) -> Result<Plan, PlanError> {
    // Each lever needs only what it changes: a part that cannot be read now
    // greys out only the levers that need it, and says why.
    let needs = source.needs();
    if needs.database
        && let Some(e) = &snapshot.db.error
    {
        return Err(PlanError::NotRead(format!(
            "the database cannot be read now ({e}); this lever changes a workspace toggle"
        )));
    }
    if needs.env
        && let Some(e) = &snapshot.env.error
    {
        return Err(PlanError::NotRead(format!(
            "the Vercel env cannot be read now ({e}); this lever changes a production env variable"
        )));
    }
    let state = Parts {
        workspaces: snapshot
            .schema
            .as_ref()
            .map(|_| snapshot.workspaces.as_slice()),
        schema: snapshot.schema.as_ref(),
        env: snapshot.env_snapshot.as_ref(),
        readiness: snapshot.readiness.as_ref().map(|r| r.items.as_slice()),
        watch,
    };
    let mut plan = plan_source(source, state)?;
    if plan.lever == LeverKind::CanaryEnable && plan.on {
        let last = crate::adapters::audit::guard::last_guard_rollback(&snapshot.audit);
        plan.preconditions
            .extend(crate::core::guard::finding_precondition(last.as_ref()));
    }
    Ok(plan)
}

/// What an interrupted intent asked for, from its recorded plan.
pub fn source_of_intent(intent: &AuditEntry) -> Option<PlanSource> {
    let plan: Plan = serde_json::from_value(intent.detail.get("plan")?.clone()).ok()?;
    Some(plan.source())
}

/// "configured "1" · live ON" of a switch.
fn flag_line(flag: Option<&FlagState>) -> String {
    match flag {
        None => "not read yet".to_owned(),
        Some(f) => format!(
            "configured {} · live {}",
            f.configured_value
                .as_deref()
                .map_or("unset".to_owned(), |v| format!("{v:?}")),
            f.live.label("ON", "OFF")
        ),
    }
}

/// "Production is pinned to …" when an Instant Rollback pins an older build.
pub fn pinned_line(snapshot: &Snapshot) -> Option<String> {
    let env = snapshot.env_snapshot.as_ref()?;
    let (serving, past) = (env.serving.as_ref()?, env.pinned_past.as_ref()?);
    Some(format!(
        "Production is pinned to {} (built {} UTC) by an Instant Rollback; the newer build {} does not serve. Live values are those of {}. An env lever promotes its new build (a step of its plan).",
        serving.id,
        serving.created_at.format("%Y-%m-%d %H:%M"),
        past.id,
        serving.id
    ))
}

/// Whether the newest audited change of this workspace's toggle turned it
/// off (entries that count only: an unsigned row offers no Restore).
fn rolled_back_here(snapshot: &Snapshot, workspace_id: &str) -> bool {
    snapshot
        .audit
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Intent)
        .find_map(|e| {
            e.plan_changes()?
                .iter()
                .find(|c| c.get("workspace_id").and_then(|v| v.as_str()) == Some(workspace_id))?
                .get("after")?
                .as_bool()
        })
        .is_some_and(|after| !after)
}

impl LeversPanel {
    /// Whether a confirm dialog is open.
    pub fn dialog_open(&self) -> bool {
        self.dialog.is_some()
    }

    /// Opens the confirm dialog of a plan made from the snapshot.
    pub fn open(&mut self, snapshot: &Snapshot, source: &PlanSource, finishes: Option<String>) {
        match plan_from(snapshot, source, self.watch.as_ref()) {
            Ok(plan) => {
                self.note = None;
                self.dialog = Some(ConfirmDialog {
                    plan,
                    reason: String::new(),
                    typed: String::new(),
                    override_ok: false,
                    finishes,
                    focused: false,
                    arm_guard: true,
                    no_guard_reason: String::new(),
                });
            }
            Err(e) => self.note = Some((false, e.to_string())),
        }
    }

    /// A step of a run moved.
    pub fn step(&mut self, run: u64, step: StepReport) {
        if let Some(r) = self.runs.iter_mut().find(|r| r.run == run) {
            match r.steps.iter_mut().find(|s| s.label == step.label) {
                Some(s) => *s = step,
                None => r.steps.push(step),
            }
        }
    }

    /// A run ended.
    pub fn done(&mut self, run: u64, result: Result<RunReport, String>) {
        if let Some(r) = self.runs.iter_mut().find(|r| r.run == run) {
            r.done = Some(result);
        }
    }

    /// The title of a run's plan.
    pub fn title_of(&self, run: u64) -> Option<String> {
        self.runs
            .iter()
            .find(|r| r.run == run)
            .map(|r| r.plan.title.clone())
    }

    /// Whether any run is still going.
    pub fn running(&self) -> bool {
        self.runs.iter().any(|r| r.done.is_none())
    }

    /// The titles of the runs still going.
    pub fn running_titles(&self) -> Vec<String> {
        self.runs
            .iter()
            .filter(|r| r.done.is_none())
            .map(|r| r.plan.title.clone())
            .collect()
    }

    /// The confirm dialog, drawn over everything; returns the confirmed run.
    pub fn dialog_ui(
        &mut self,
        ctx: &egui::Context,
        snapshot: &Snapshot,
        now: crate::core::time::UtcNaive,
    ) -> Vec<AppCommand> {
        let Some(dialog) = self.dialog.as_mut() else {
            return Vec::new();
        };
        let gate = approvals::gate(snapshot, &dialog.plan, now);
        let ask_first = matches!(gate, Some(Err(_)));
        let mut confirmed = false;
        let mut cancelled = false;
        let modal = egui::Modal::new(egui::Id::unique("lever-confirm")).show(ctx, |ui| {
            ui.set_max_width(640.0);
            plan_ui(ui, &dialog.plan);
            ui.add_space(8.0);
            if dialog.plan.blocked() {
                ui.colored_label(
                    colors::FAIL,
                    "Refused: a precondition fails that cannot be overridden. Nothing will change.",
                );
            }
            approvals::gate_ui(ui, gate.as_ref());
            if dialog.plan.needs_override() {
                ui.checkbox(
                    &mut dialog.override_ok,
                    "Go on although a precondition fails (recorded in the audit log)",
                );
            }
            if dialog.offers_guard() {
                guard::dialog_guard_ui(
                    ui,
                    &snapshot.guard.settings,
                    &mut dialog.arm_guard,
                    &mut dialog.no_guard_reason,
                );
            }
            egui::Grid::new("lever-confirm-inputs")
                .num_columns(2)
                .show(ui, |ui| {
                    let l = ui.label("Reason");
                    let reason = ui
                        .add(
                            egui::TextEdit::singleline(&mut dialog.reason)
                                .hint_text("why, for the audit log")
                                .desired_width(380.0),
                        )
                        .labelled_by(l.id);
                    if !dialog.focused {
                        // The first field has the focus, never the destructive
                        // button. Asked for until it sticks: the click that
                        // opened the dialog may end a frame later and take it.
                        if reason.has_focus() {
                            dialog.focused = true;
                        } else {
                            reason.request_focus();
                        }
                    }
                    ui.end_row();
                    if let Guard::Type(word) = &dialog.plan.guard {
                        let l = ui.label(format!("Type {word} to confirm"));
                        ui.add(
                            egui::TextEdit::singleline(&mut dialog.typed)
                                .hint_text(word.as_str())
                                .desired_width(380.0),
                        )
                        .labelled_by(l.id);
                        ui.end_row();
                    }
                });
            let ok = dialog.satisfied();
            if !ok {
                ui.small(if dialog.reason.trim().is_empty() {
                    "Give a reason to enable Confirm."
                } else {
                    "Confirm is enabled once the guard is satisfied."
                });
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui
                    .button("Cancel")
                    .on_hover_text("Close; nothing changes (Esc)")
                    .clicked()
                {
                    cancelled = true;
                }
                let confirm = ui
                    .add_enabled(
                        ok,
                        egui::Button::new(
                            RichText::new(if ask_first {
                                "Request approval"
                            } else {
                                "Confirm"
                            })
                            .strong()
                            .color(colors::FAIL),
                        ),
                    )
                    .on_hover_text("Run the plan above (Enter, once the guard is satisfied)");
                if confirm.clicked() {
                    confirmed = true;
                }
            });
            ok
        });
        let satisfied = modal.inner;
        if satisfied && ctx.input(|i| i.key_pressed(Key::Enter)) {
            confirmed = true;
        }
        if !confirmed && modal.should_close() {
            cancelled = true;
        }
        if cancelled {
            self.dialog = None;
            return Vec::new();
        }
        if !confirmed {
            return Vec::new();
        }
        let Some(dialog) = self.dialog.take() else {
            return Vec::new();
        };
        if ask_first {
            return vec![AppCommand::Approval(crate::worker::ApprovalAsk::Request {
                plan: Box::new(dialog.plan),
                reason: dialog.reason.trim().to_owned(),
            })];
        }
        let mut out = Vec::new();
        if dialog.offers_guard() && dialog.arm_guard && !guard::armed(snapshot) {
            // Armed before the canary runs: it watches from the first read.
            out.push(AppCommand::Guard {
                armed: true,
                dry_run: snapshot.guard.dry_run_default,
                reason: format!("with the canary: {}", dialog.reason.trim()),
            });
        }
        if dialog.plan.lever == LeverKind::Expansion {
            // Ticks are for one expansion: the next one starts from none.
            self.expand_pick.clear();
        }
        self.next_run += 1;
        let run = self.next_run;
        self.runs.push(RunView {
            run,
            plan: dialog.plan.clone(),
            steps: Vec::new(),
            done: None,
        });
        let mut reason = dialog.reason.trim().to_owned();
        if dialog.offers_guard() && !dialog.arm_guard {
            reason = format!(
                "{reason} (guard not armed: {})",
                dialog.no_guard_reason.trim()
            );
        }
        out.push(AppCommand::RunLever(Box::new(LeverRun {
            run,
            plan: dialog.plan,
            reason,
            finishes: dialog.finishes,
        })));
        out
    }

    /// The tab.
    /// `watch` is the canary's watch as of this frame (the expansion's
    /// preconditions, and the clock the approvals are judged on).
    pub fn levers_ui(&mut self, ui: &mut Ui, snapshot: &Snapshot, watch: Watch) -> Vec<AppCommand> {
        let now = watch.now;
        self.watch = Some(watch);
        let mut actions = Vec::new();
        ui.heading("Levers");
        ui.label(
            "Each lever shows its plan and asks you to confirm; nothing changes before that. \
             Every run is audited and each step is verified by reading it back.",
        );
        if let Some((ok, note)) = &self.note {
            ui.colored_label(if *ok { colors::OK } else { colors::WARN }, note);
        }
        actions.extend(self.approvals_ui(ui, snapshot, now));
        actions.extend(self.guard_ui(ui, snapshot, now));
        for intent in &snapshot.unfinished {
            actions.extend(self.unfinished_ui(ui, snapshot, intent));
        }
        self.runs_ui(ui, snapshot);
        ui.separator();
        ui.strong("Step 3: canary, per workspace");
        if snapshot.workspaces.is_empty() {
            ui.label("No workspaces read yet.");
        }
        egui::Grid::new("lever-workspaces")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for w in &snapshot.workspaces {
                    ui.label(&w.name);
                    let color = if w.toggle.is_on() {
                        colors::CANARY
                    } else {
                        colors::UNKNOWN
                    };
                    ui.colored_label(color, format!("revision {}", w.toggle.label()));
                    ui.horizontal(|ui| {
                        let req = |kind, on| {
                            PlanSource::Lever(LeverRequest {
                                kind,
                                on,
                                workspace: Some(w.id.clone()),
                            })
                        };
                        if w.toggle.is_on() {
                            self.lever_button(
                                ui,
                                snapshot,
                                &format!("Roll back {}…", w.name),
                                &req(LeverKind::WorkspaceRollback, true),
                            );
                        } else {
                            self.lever_button(
                                ui,
                                snapshot,
                                &format!("Enable canary for {}…", w.name),
                                &req(LeverKind::CanaryEnable, true),
                            );
                            if rolled_back_here(snapshot, &w.id) {
                                self.lever_button(
                                    ui,
                                    snapshot,
                                    &format!("Restore {}…", w.name),
                                    &req(LeverKind::WorkspaceRollback, false),
                                );
                            }
                        }
                    });
                    ui.end_row();
                }
            });
        ui.separator();
        self.expansion_ui(ui, snapshot);
        ui.separator();
        ui.strong("Step 5: roll back at the right level");
        let switch = |kind, on| {
            PlanSource::Lever(LeverRequest {
                kind,
                on,
                workspace: None,
            })
        };
        if let Some(line) = pinned_line(snapshot) {
            ui.colored_label(colors::WARN, line);
        }
        ui.label(format!(
            "Revision kill switch {AUTO_SEND_REVISION_DISABLED}: {}",
            flag_line(snapshot.revision_flag.as_ref())
        ));
        ui.horizontal(|ui| {
            self.lever_button(
                ui,
                snapshot,
                "Kill switch ON (fast rollback)…",
                &switch(LeverKind::RevisionKillSwitch, true),
            );
            self.lever_button(
                ui,
                snapshot,
                "Kill switch OFF (restore)…",
                &switch(LeverKind::RevisionKillSwitch, false),
            );
        });
        ui.label(format!(
            "All auto-send {AUTO_SEND_DISABLED}: {}",
            flag_line(snapshot.auto_send_flag.as_ref())
        ));
        ui.horizontal(|ui| {
            self.lever_button(
                ui,
                snapshot,
                "Disable all auto-send (full rollback)…",
                &switch(LeverKind::AutoSendKillSwitch, true),
            );
            self.lever_button(
                ui,
                snapshot,
                "Enable auto-send again (restore)…",
                &switch(LeverKind::AutoSendKillSwitch, false),
            );
        });
        actions
    }

    /// A button that opens the confirm dialog of `source`; disabled, with
    /// the reason on hover, when there is nothing to do.
    fn lever_button(&mut self, ui: &mut Ui, snapshot: &Snapshot, label: &str, source: &PlanSource) {
        let plan = plan_from(snapshot, source, self.watch.as_ref())
            .map_err(|e| e.to_string())
            .and_then(|p| match self.busy_with(&p) {
                Some(title) => Err(format!(
                    "wait: \"{title}\" is still running and touches the same thing"
                )),
                None => Ok(p),
            });
        let enabled = plan.is_ok() && !self.dialog_open();
        let mut r = ui.add_enabled(enabled, egui::Button::new(label));
        match &plan {
            Ok(p) => r = r.on_hover_text(&p.takes_effect),
            Err(e) => r = r.on_disabled_hover_text(e),
        }
        if r.clicked() {
            self.open(snapshot, source, None);
        }
    }

    /// The title of a running plan that touches what `plan` touches (the same
    /// workspace toggle, or Vercel env/redeploys), if any: two redeploys at
    /// once would race.
    fn busy_with(&self, plan: &Plan) -> Option<&str> {
        let touches = |a: &Change, b: &Change| match (a, b) {
            (
                Change::Toggle {
                    workspace_id: x, ..
                },
                Change::Toggle {
                    workspace_id: y, ..
                },
            ) => x == y,
            (Change::Toggle { .. }, _) | (_, Change::Toggle { .. }) => false,
            _ => true,
        };
        self.runs
            .iter()
            .filter(|r| r.done.is_none())
            .find(|r| {
                r.plan
                    .changes
                    .iter()
                    .any(|a| plan.changes.iter().any(|b| touches(a, b)))
            })
            .map(|r| r.plan.title.as_str())
    }

    fn runs_ui(&mut self, ui: &mut Ui, snapshot: &Snapshot) {
        let mut dismiss = None;
        let mut complement = false;
        for r in self.runs.iter().rev() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.strong(&r.plan.title);
                for s in &r.steps {
                    ui.horizontal_wrapped(|ui| {
                        let (mark, color) = match (s.running, s.outcome) {
                            (true, _) => ("...", colors::UNKNOWN),
                            (false, Some(o)) if s.ok => (o.label(), colors::OK),
                            (false, Some(o)) => (o.label(), colors::FAIL),
                            // Something to know, not a change.
                            _ if s.is_note() => ("note", colors::WARN),
                            (false, None) => ("FAILED", colors::FAIL),
                        };
                        ui.colored_label(color, mark);
                        ui.label(format!("{}: {}", s.label, s.detail));
                    });
                }
                match &r.done {
                    None => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("running; the panel keeps refreshing meanwhile");
                        });
                        let fast_rollback =
                            r.plan.lever == LeverKind::RevisionKillSwitch && r.plan.on;
                        let enabled = snapshot.enabled_workspaces().count();
                        if fast_rollback && enabled > 0 {
                            ui.colored_label(
                                colors::WARN,
                                format!(
                                    "Revision still runs until the redeploy is READY. {enabled} workspace(s) have the toggle on."
                                ),
                            );
                            if ui
                                .add_enabled(
                                    self.dialog.is_none(),
                                    egui::Button::new("Also roll back the workspaces with revision on now…"),
                                )
                                .on_hover_text("Turns their toggles off in the database: stops new revisions at once (audited, restorable)")
                                .clicked()
                            {
                                complement = true;
                            }
                        }
                    }
                    Some(Ok(report)) if report.ok => {
                        ui.colored_label(colors::OK, RichText::new("verified").strong());
                    }
                    Some(outcome) => {
                        let text = match outcome {
                            Ok(report) => {
                                if report.failed_flip() {
                                    "FAILED FLIP: the redeploy did not go live"
                                } else {
                                    "FAILED: see the step above; nothing after it ran"
                                }
                                .to_owned()
                            }
                            Err(e) => format!("FAILED: {e}"),
                        };
                        ui.colored_label(colors::FAIL, RichText::new(text).strong().size(18.0));
                        ui.label(format!(
                            "Now: {AUTO_SEND_REVISION_DISABLED} {}; {AUTO_SEND_DISABLED} {}",
                            flag_line(snapshot.revision_flag.as_ref()),
                            flag_line(snapshot.auto_send_flag.as_ref())
                        ));
                    }
                }
                if r.done.is_some() && ui.small_button("Dismiss").clicked() {
                    dismiss = Some(r.run);
                }
            });
        }
        if let Some(run) = dismiss {
            self.runs.retain(|r| r.run != run);
        }
        if complement {
            self.open(snapshot, &PlanSource::Complement, None);
        }
    }

    fn unfinished_ui(
        &mut self,
        ui: &mut Ui,
        snapshot: &Snapshot,
        intent: &AuditEntry,
    ) -> Option<AppCommand> {
        let mut action = None;
        egui::Frame::group(ui.style())
            .stroke(egui::Stroke::new(1.5, colors::WARN))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.colored_label(
                    colors::WARN,
                    RichText::new(format!("Interrupted action: {}", intent.summary)).strong(),
                );
                let steps: Vec<&AuditEntry> = snapshot
                    .audit
                    .iter()
                    .filter(|e| e.action_id == intent.action_id && e.kind == EntryKind::Step)
                    .collect();
                ui.label(format!(
                    "Started {} UTC by {} (reason: {}); it has no result: the panel stopped before it ended. Steps recorded: {}.",
                    intent.at.format("%Y-%m-%d %H:%M:%S"),
                    intent.operator,
                    intent.reason,
                    steps.len()
                ));
                for s in steps.iter().rev() {
                    ui.small(format!("{:?}: {}", s.status, s.summary).to_lowercase());
                }
                ui.label(format!("Now: {}", now_line(snapshot, intent)));
                let source = source_of_intent(intent);
                ui.horizontal(|ui| {
                    let finish_button = ui
                        .add_enabled(
                            source.is_some() && self.dialog.is_none(),
                            egui::Button::new("Finish…"),
                        )
                        .on_hover_text(
                            "Make the plan again from the current state: only what is not done yet, confirmed as usual",
                        );
                    if finish_button.clicked()
                        && let Some(source) = &source
                    {
                        match finish(snapshot, intent, source) {
                            Finish::Plan(_) => {
                                self.open(snapshot, source, Some(intent.action_id.clone()));
                            }
                            Finish::Done(why) => {
                                action = Some(AppCommand::CloseUnfinished(Closing {
                                    action_id: intent.action_id.clone(),
                                    status: EntryStatus::Ok,
                                    note: format!("found done on finishing: {why}"),
                                }));
                                self.note = Some((true, format!("Nothing left to do ({why}); the interrupted action is closed as done.")));
                            }
                            Finish::KeepOpen(why) => {
                                self.note = Some((false, format!("Cannot finish it now: {why}. The interrupted action stays open.")));
                            }
                        }
                    }
                    if ui
                        .button("Abandon")
                        .on_hover_text("Close it in the audit log as abandoned; nothing changes in production")
                        .clicked()
                    {
                        action = Some(AppCommand::CloseUnfinished(Closing {
                            action_id: intent.action_id.clone(),
                            status: EntryStatus::Abandoned,
                            note: "abandoned by the operator after an interruption".to_owned(),
                        }));
                    }
                });
            });
        action
    }
}

/// Decides Finish… from the state read now (a part with a read error
/// counts as unread: last-good data is not "now"): a new plan when one can
/// be made; closed `ok` only when the fresh state equals the recorded plan's
/// after-state; otherwise the action stays open and the reason says why.
pub fn finish(snapshot: &Snapshot, intent: &AuditEntry, source: &PlanSource) -> Finish {
    let recorded = intent
        .detail
        .get("plan")
        .and_then(|p| serde_json::from_value::<Plan>(p.clone()).ok());
    let db_now = snapshot.db.error.is_none() && snapshot.schema.is_some();
    let parts = Parts {
        workspaces: db_now.then_some(snapshot.workspaces.as_slice()),
        schema: snapshot.schema.as_ref().filter(|_| db_now),
        env: snapshot
            .env_snapshot
            .as_ref()
            .filter(|_| snapshot.env.error.is_none()),
        readiness: snapshot.readiness.as_ref().map(|r| r.items.as_slice()),
        watch: None,
    };
    // A part the lever needs that cannot be read: say which, and why.
    if let Err(e @ PlanError::NotRead(_)) = plan_from(snapshot, source, None) {
        return Finish::KeepOpen(e.to_string());
    }
    core_finish(recorded.as_ref(), source, parts)
}

/// The true current state of what an intent touches.
fn now_line(snapshot: &Snapshot, intent: &AuditEntry) -> String {
    let mut parts = Vec::new();
    if let Some(changes) = intent.plan_changes() {
        for c in changes {
            if let Some(id) = c.get("workspace_id").and_then(|v| v.as_str()) {
                let w = snapshot.workspaces.iter().find(|w| w.id == id);
                parts.push(match w {
                    Some(w) => format!("{} revision {}", w.name, w.toggle.label()),
                    None => format!("workspace {id} not found"),
                });
            }
        }
    }
    parts.push(format!(
        "{AUTO_SEND_REVISION_DISABLED} {}",
        flag_line(snapshot.revision_flag.as_ref())
    ));
    parts.push(format!(
        "{AUTO_SEND_DISABLED} {}",
        flag_line(snapshot.auto_send_flag.as_ref())
    ));
    parts.join("; ")
}

/// A plan, for the confirm dialog.
fn plan_ui(ui: &mut Ui, plan: &Plan) {
    ui.heading(&plan.title);
    ui.add_space(4.0);
    ui.strong("Changes, in order");
    for c in &plan.changes {
        ui.label(format!("- {}", c.describe()));
    }
    if !plan.preconditions.is_empty() {
        ui.add_space(4.0);
        ui.strong("Preconditions");
        for p in &plan.preconditions {
            let (mark, color) = match (p.ok, p.overridable) {
                (true, _) => ("ok", colors::OK),
                (false, true) => ("WARN", colors::WARN),
                (false, false) => ("FAIL", colors::FAIL),
            };
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(color, mark);
                ui.label(format!("{}: {}", p.name, p.detail));
            });
        }
    }
    ui.add_space(4.0);
    ui.label(format!("Takes effect: {}", plan.takes_effect));
    let toggles = plan
        .changes
        .iter()
        .filter(|c| matches!(c, Change::Toggle { .. }))
        .count();
    if toggles > 0 {
        ui.small("The toggle is written compare-and-set on the value shown: if someone changed it meanwhile, nothing is overwritten.");
    }
    for w in &plan.warnings {
        ui.colored_label(colors::WARN, w);
    }
}

mod approvals;
mod expansion;
pub mod guard;
