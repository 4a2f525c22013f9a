//! egui only: draws a snapshot of state and returns [`Command`]s. No IO here.

pub mod audit;
pub mod command;
pub mod drafts;
pub mod levers;
pub mod metrics;
pub mod profiles;
pub mod readiness;
pub mod top_bar;

pub use command::{Command, MetricsWindow, Tab};

use egui::Color32;

/// Colours with meaning, readable on the dark and the light theme.
pub mod colors {
    use super::Color32;
    /// Good / pass.
    pub const OK: Color32 = Color32::from_rgb(60, 170, 90);
    /// Attention / warn.
    pub const WARN: Color32 = Color32::from_rgb(220, 150, 30);
    /// Failure / danger.
    pub const FAIL: Color32 = Color32::from_rgb(215, 60, 60);
    /// Unknown / neutral.
    pub const UNKNOWN: Color32 = Color32::from_rgb(140, 140, 140);
    /// The canary's series.
    pub const CANARY: Color32 = Color32::from_rgb(240, 170, 40);
    /// Every other workspace's series.
    pub const REST: Color32 = Color32::from_rgb(90, 150, 230);
}

/// A small filled circle in `color`, as a status light (painted: the default
/// fonts have no "●").
pub fn status_dot(ui: &mut egui::Ui, color: Color32) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 0.7, size), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), size * 0.3, color);
}

/// A small filled square in `color`, as a legend swatch.
pub fn swatch(ui: &mut egui::Ui, color: Color32) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 0.8, size), egui::Sense::hover());
    ui.painter().rect_filled(
        egui::Rect::from_center_size(rect.center(), egui::vec2(size * 0.6, size * 0.6)),
        2.0,
        color,
    );
}
