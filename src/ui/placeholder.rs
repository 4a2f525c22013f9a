//! What the screens that are not built yet say: their empty state, in one
//! honest line each, plus any real fact the panel already has for them.

use super::command::Tab;
use crate::worker::Snapshot;
use egui::Ui;

/// Draws the empty state of a screen that has no content yet.
pub fn placeholder_ui(ui: &mut Ui, tab: Tab, snapshot: &Snapshot) {
    ui.heading(tab.label());
    ui.add_space(6.0);
    let line = match tab {
        Tab::Readiness => {
            "The readiness checklist is not built yet. Until it is, the top bar shows the kill switches (configured vs live) and the database health."
        }
        Tab::Levers => {
            "No levers yet: this version of the panel changes nothing, in production or in the demo."
        }
        Tab::Drafts => "The sample of revised drafts and the CSV export are not built yet.",
        Tab::Audit => "Nothing to audit: this version of the panel takes no actions.",
        Tab::Metrics => "",
    };
    ui.label(line);
    if tab == Tab::Readiness
        && let Some(schema) = &snapshot.schema
    {
        ui.add_space(6.0);
        ui.label(format!("Schema read at connect: {}", schema.summary()));
        if !schema.revision_index {
            ui.label("No index leads with AIDraft.autoSendRevisionAttemptedAt: the 72-hour reads will scan.");
        }
    }
}
