//! Driving the whole window (kittest) the way a person does: frames, the
//! labels on screen, typing into a labelled field, waiting for a label; and
//! the demo window's worker configuration.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::adapters::audit::AuditLog;
use rollout_panel::adapters::clock::ManualClock;
use rollout_panel::demo::DemoStage;
use rollout_panel::gui::app::App;
use rollout_panel::worker::{Target, WorkerConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The window.
pub type Window = Harness<'static, App>;

/// The demo world's file in a data dir (the CLI's layout).
pub fn demo_db(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("demo").join("demo.sqlite")
}

/// A window's worker on the demo world of `data_dir` (canary stage, the
/// CLI's seed), on a clock the test drives, refreshing only when asked.
pub fn demo_config(data_dir: &Path, clock: &ManualClock) -> WorkerConfig {
    WorkerConfig {
        target: Target::Demo {
            db_path: demo_db(data_dir),
            stage: DemoStage::Canary,
            seed: rollout_panel::cli::DEFAULT_DEMO_SEED,
        },
        clock: Arc::new(clock.clone()),
        auto_refresh: None,
        read_timeout: Duration::from_secs(60),
        audit_path: Some(AuditLog::path_in(data_dir)),
        waits: rollout_panel::ops::levers::Waits::default(),
    }
}

/// The demo window (1280 × 1000) on `data_dir`'s demo world and `clock`,
/// after its first read, on the Levers tab.
pub fn demo_window_on_levers(data_dir: &Path, clock: &ManualClock) -> Window {
    let config = demo_config(data_dir, clock);
    let mut h = Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config, None));
    assert!(
        h.state().worker().wait_idle(Duration::from_secs(120)),
        "first read"
    );
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Levers").click();
    frames(&mut h);
    h
}

/// A few frames: enough for a click or an event to show.
pub fn frames(h: &mut Window) {
    h.run_steps(4);
}

/// Every label's text.
pub fn labels(h: &Window) -> Vec<String> {
    h.query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .collect()
}

/// Whether a label contains `needle`.
pub fn has_label(h: &Window, needle: &str) -> bool {
    h.query_all_by_role(Role::Label)
        .any(|n| n.value().is_some_and(|v| v.contains(needle)))
}

/// Types into the text field labelled `label`.
pub fn type_into(h: &mut Window, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).focus();
    frames(h);
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    frames(h);
}

/// Steps the window until `done` holds (20 s at most); returns how long.
pub fn wait_until(h: &mut Window, what: &str, done: impl Fn(&Window) -> bool) -> Duration {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never: {what}; labels: {:#?}",
            labels(h)
        );
        std::thread::sleep(Duration::from_millis(10));
        frames(h);
    }
    start.elapsed()
}

/// Steps the window until a label contains `needle`.
pub fn wait_label(h: &mut Window, needle: &str) -> Duration {
    wait_until(h, needle, |h| has_label(h, needle))
}

/// Steps the window until no lever of it runs any more.
pub fn wait_runs(h: &mut Window) {
    wait_until(h, "the lever runs ended", |h| !h.state().levers_running());
}
