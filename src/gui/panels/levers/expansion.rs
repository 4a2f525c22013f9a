//! The Levers tab's expansion step (runbook: expand only after 30–60 min of
//! clean metrics): the candidates to tick, the watch so far as the lever's
//! preconditions, the lever, and the rollback of the last expansion.

use super::{LeversPanel, PlanSource};
use crate::adapters::audit::EntryKind;
use crate::core::lever::{LeverKind, Plan, Watch, candidates, stage_line};
use crate::gui::colors;
use crate::worker::Snapshot;
use egui::Ui;

/// The newest expansion (revision on) in the audit log: its plan and when
/// and by whom it ran.
fn last_expansion(snapshot: &Snapshot) -> Option<(Plan, String)> {
    snapshot
        .audit
        .iter()
        .filter(|e| e.kind == EntryKind::Intent && e.lever == LeverKind::Expansion.as_str())
        .find_map(|e| {
            let plan: Plan = serde_json::from_value(e.detail.get("plan")?.clone()).ok()?;
            plan.on.then(|| {
                (
                    plan,
                    format!("{} UTC by {}", e.at.format("%Y-%m-%d %H:%M"), e.operator),
                )
            })
        })
}

impl LeversPanel {
    /// The expansion step.
    pub(super) fn expansion_ui(&mut self, ui: &mut Ui, snapshot: &Snapshot) {
        ui.strong("After a clean watch: expand to more workspaces (runbook: 30–60 min of clean metrics first)");
        if let Some(line) = stage_line(&snapshot.workspaces) {
            ui.colored_label(colors::CANARY, line);
        }
        for p in Watch::preconditions(self.watch.as_ref()) {
            let (mark, color) = if p.ok {
                ("ok", colors::OK)
            } else {
                ("WARN", colors::WARN)
            };
            ui.colored_label(color, format!("{mark} {}: {}", p.name, p.detail));
        }
        let open: Vec<(String, String)> = candidates(&snapshot.workspaces)
            .into_iter()
            .map(|w| (w.id.clone(), w.name.clone()))
            .collect();
        self.expand_pick
            .retain(|id| open.iter().any(|(o, _)| o == id));
        if open.is_empty() {
            ui.label("Every workspace has revision on: nothing to expand to.");
        } else {
            ui.label("Tick the workspaces to enable (each is written and read back on its own):");
            ui.horizontal_wrapped(|ui| {
                for (id, name) in &open {
                    let mut on = self.expand_pick.contains(id);
                    if ui.checkbox(&mut on, name).changed() {
                        if on {
                            self.expand_pick.insert(id.clone());
                        } else {
                            self.expand_pick.remove(id);
                        }
                    }
                }
            });
        }
        let picked: Vec<String> = self.expand_pick.iter().cloned().collect();
        ui.horizontal(|ui| {
            self.lever_button(
                ui,
                snapshot,
                "Expand to workspaces…",
                &PlanSource::Expansion {
                    on: true,
                    workspaces: picked,
                },
            );
            if let Some((plan, when)) = last_expansion(snapshot) {
                let ids: Vec<String> = plan
                    .changes
                    .iter()
                    .filter_map(|c| match c {
                        crate::core::lever::Change::Toggle { workspace_id, .. } => {
                            Some(workspace_id.clone())
                        }
                        _ => None,
                    })
                    .collect();
                self.lever_button(
                    ui,
                    snapshot,
                    "Roll back every workspace enabled by this expansion…",
                    &PlanSource::Expansion {
                        on: false,
                        workspaces: ids,
                    },
                );
                ui.small(format!("last expansion: {when}"));
            }
        });
    }
}
