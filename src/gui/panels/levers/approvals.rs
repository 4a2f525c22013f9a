//! Approvals in the Levers tab (a profile's `approvals = true`): whether the
//! open plan may run or must be asked for first, the requests of other
//! operators with an Approve button, and where this panel's requests stand.

use super::LeversPanel;
use crate::core::approval::{APPROVAL_TTL, Standing, approval_for, needs_approval, standing};
use crate::core::lever::Plan;
use crate::core::time::UtcNaive;
use crate::gui::colors;
use crate::gui::command::AppCommand;
use crate::worker::{ApprovalAsk, Snapshot};
use egui::Ui;

/// Whether `plan` may run now under the profile's approvals: `None` = it
/// needs none; `Some(Ok)` = approved (by whom, until when); `Some(Err)` =
/// it must be asked for first (why).
pub(super) fn gate(
    snapshot: &Snapshot,
    plan: &Plan,
    now: UtcNaive,
) -> Option<Result<String, String>> {
    if !snapshot.approvals_required || !needs_approval(plan) {
        return None;
    }
    let Some(read) = &snapshot.approvals else {
        return Some(Err(
            "this profile asks for a second operator's approval, and the shared audit table is not read (`rollout-panel audit init` creates it)"
                .to_owned(),
        ));
    };
    Some(
        approval_for(plan, &snapshot.operator, &read.0, &read.1, now)
            .map(|g| {
                format!(
                    "approved by {}; the approval counts until {} UTC",
                    g.by,
                    g.until.format("%H:%M:%S")
                )
            })
            .map_err(|_| "not approved".to_owned()),
    )
}

/// What [`gate`] found, in the confirm dialog.
pub(super) fn gate_ui(ui: &mut Ui, gate: Option<&Result<String, String>>) {
    match gate {
        Some(Ok(line)) => {
            ui.colored_label(colors::OK, line);
        }
        Some(Err(why)) => {
            ui.colored_label(
                colors::WARN,
                format!(
                    "This profile asks for a second operator's approval ({why}): Confirm asks for it; run the lever once it is approved"
                ),
            );
        }
        None => {}
    }
}

impl LeversPanel {
    /// An approval was asked for or given (or not).
    pub fn approval_done(&mut self, result: Result<String, String>) {
        self.note = Some(match result {
            Ok(text) => (true, text),
            Err(e) => (false, e),
        });
    }

    /// The requests of the last [`APPROVAL_TTL`]: other operators' with
    /// Approve, this panel's with where they stand.
    pub(super) fn approvals_ui(
        &mut self,
        ui: &mut Ui,
        snapshot: &Snapshot,
        now: UtcNaive,
    ) -> Vec<AppCommand> {
        let mut out = Vec::new();
        let Some(read) = &snapshot.approvals else {
            if snapshot.approvals_required {
                ui.colored_label(
                    colors::WARN,
                    "This profile asks for approvals, but the shared audit table is not read: the canary and expansions cannot be approved.",
                );
            }
            return out;
        };
        let (requests, approvals) = (&read.0, &read.1);
        let recent: Vec<_> = requests
            .iter()
            .filter(|r| now - r.at < APPROVAL_TTL * 2)
            .collect();
        if recent.is_empty() && !snapshot.approvals_required {
            return out;
        }
        ui.strong(
            "Approvals (the canary and expansions wait for a second operator; rollbacks never do)",
        );
        if recent.is_empty() {
            ui.label("No request in the last 30 min.");
        }
        let mine = snapshot.operator.as_str();
        let theirs = recent.iter().any(|r| r.operator != mine);
        if theirs {
            ui.horizontal(|ui| {
                let l = ui.label("Reason for approving");
                ui.add(
                    egui::TextEdit::singleline(&mut self.approve_reason)
                        .hint_text("what you checked")
                        .desired_width(320.0),
                )
                .labelled_by(l.id);
            });
        }
        for r in recent.iter().rev() {
            let state = standing(r, approvals, now);
            ui.horizontal_wrapped(|ui| {
                let asked = format!(
                    "{} asks: {} — {:?} (asked {} UTC)",
                    r.operator,
                    r.plan.title,
                    r.reason,
                    r.at.format("%H:%M:%S")
                );
                match (&state, r.operator == mine) {
                    (Standing::Approved { by, until, .. }, _) => {
                        ui.colored_label(
                            colors::OK,
                            format!(
                                "{asked}: approved by {by} until {} UTC",
                                until.format("%H:%M:%S")
                            ),
                        );
                    }
                    (Standing::Expired { by }, _) => {
                        ui.colored_label(
                            colors::UNKNOWN,
                            format!("{asked}: {by}'s approval expired"),
                        );
                    }
                    (Standing::Used { by }, _) => {
                        ui.colored_label(
                            colors::UNKNOWN,
                            format!("{asked}: {by}'s approval was used by a run"),
                        );
                    }
                    (Standing::Waiting, true) => {
                        ui.colored_label(
                            colors::WARN,
                            format!("{asked}: waiting for a second operator"),
                        );
                    }
                    (Standing::Waiting, false) => {
                        ui.label(asked);
                        let reason = self.approve_reason.trim().to_owned();
                        let b = ui
                            .add_enabled(
                                !reason.is_empty(),
                                egui::Button::new(format!("Approve {}", r.plan.title)),
                            )
                            .on_disabled_hover_text("Give a reason for approving first")
                            .on_hover_text(
                                AppCommand::Approval(ApprovalAsk::Approve {
                                    request_id: String::new(),
                                    reason: String::new(),
                                })
                                .tooltip(),
                            );
                        if b.clicked() {
                            out.push(AppCommand::Approval(ApprovalAsk::Approve {
                                request_id: r.action_id.clone(),
                                reason,
                            }));
                        }
                    }
                }
            });
            if matches!(state, Standing::Waiting) && r.operator != mine {
                // What is approved is the plan, not its title: every change
                // with its before-value, every precondition's result.
                ui.indent(("approval plan", &r.action_id), |ui| {
                    plan_lines_ui(ui, &r.plan);
                });
            }
        }
        out
    }
}

/// The whole plan an approval signs: each change (before → after, on which
/// system) and each precondition's result, as the approver must see them.
fn plan_lines_ui(ui: &mut egui::Ui, plan: &crate::core::lever::Plan) {
    ui.label(format!(
        "The plan you approve (digest {}…):",
        &crate::core::approval::plan_digest(plan)[..12]
    ));
    for change in &plan.changes {
        ui.label(format!("• {}", change.describe()));
    }
    for p in &plan.preconditions {
        let state = match (p.ok, p.overridable) {
            (true, _) => "holds",
            (false, true) => "FAILS (the requester overrides it)",
            (false, false) => "FAILS",
        };
        ui.label(format!("• precondition {}: {state} — {}", p.name, p.detail));
    }
}
