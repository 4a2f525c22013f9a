//! What the screens that are not built yet say: their empty state, in one
//! honest line each, plus any real fact the panel already has for them.

use super::command::Tab;
use crate::worker::Snapshot;
use egui::Ui;

/// Draws the empty state of a screen that has no content yet.
pub fn placeholder_ui(ui: &mut Ui, tab: Tab, _snapshot: &Snapshot) {
    ui.heading(tab.label());
    ui.add_space(6.0);
    let line = match tab {
        Tab::Readiness | Tab::Metrics | Tab::Audit | Tab::Levers => "",
        Tab::Drafts => "The sample of revised drafts and the CSV export are not built yet.",
    };
    ui.label(line);
}
