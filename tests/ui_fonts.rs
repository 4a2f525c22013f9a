//! Names in other scripts render as text, not boxes: kittest lays text out
//! with `MissingGlyphPolicy::Panic`, so a character no font in the chain has
//! fails the test.

mod common;

use common::ui::{self, frames, has_label, labels};
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::adapters::clock::ManualClock;
use rollout_panel::gui::fonts::{self, Fallback};

/// A customer's name with Latin accents, a dash, CJK and an emoji, and a line
/// in Japanese kana and Korean hangul.
const NAMES: [&str; 2] = [
    "Ünïcødé Café — Zürich 東京 ☕",
    "ひらがな カタカナ 한국어 臺灣",
];

fn names_window(fallback: Option<Fallback>) -> Harness<'static> {
    Harness::builder()
        .with_size([600.0, 200.0])
        .with_context_setup(move |ctx| {
            if let Some(fallback) = fallback {
                fonts::install(ctx, fallback);
            }
        })
        .build_ui(|ui| {
            for name in NAMES {
                ui.label(name);
            }
        })
}

#[test]
fn without_the_fallback_the_names_have_missing_glyphs() {
    // The control: egui's own fonts alone miss the CJK characters, so the
    // tests below would fail if the chain were not installed.
    let laid_out = std::panic::catch_unwind(|| {
        let mut h = names_window(None);
        h.run();
    });
    let why = laid_out.expect_err("egui's own fonts have no CJK glyphs");
    let why = why
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| why.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(why.contains("No glyph for \"東\""), "{why}");
}

#[test]
fn a_bare_machine_draws_cjk_names_with_the_bundled_font() {
    let mut h = names_window(Some(Fallback::BundledOnly));
    h.run();
    for name in NAMES {
        h.get_by_role_and_label(Role::Label, name);
    }
}

#[test]
fn the_system_fonts_then_the_bundled_font_draw_them_too() {
    let mut h = names_window(Some(Fallback::SystemThenBundled));
    h.run();
    for name in NAMES {
        h.get_by_role_and_label(Role::Label, name);
    }
}

#[test]
fn the_demo_window_shows_a_unicode_workspace_name_in_the_levers_tab() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let mut h = ui::demo_window_on_levers(dir.path(), &clock);
    let name = "Driftwood Café — Zürich 東京 ☕";
    h.get_by_role_and_label(Role::CheckBox, name);
    for tab in ["Metrics", "Drafts", "Audit", "Readiness"] {
        h.get_by_role_and_label(Role::Button, tab).click();
        frames(&mut h);
    }
    assert!(!has_label(&h, "\u{fffd}"), "{:#?}", labels(&h));
}
