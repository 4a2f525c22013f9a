//! The top bar names another panel's lever while it runs (issue 18), found
//! by AccessKit label.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::adapters::audit::{AuditEntry, EntryKind, EntryStatus, Origin};
use rollout_panel::gui::panels::top_bar::top_bar_ui;
use rollout_panel::worker::Snapshot;

#[test]
fn another_panels_running_lever_is_named_in_the_top_bar() {
    let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(10, 5, 0)
        .unwrap();
    let mut s = Snapshot::for_profile("production");
    s.running_elsewhere = vec![AuditEntry {
        id: 7,
        entry_id: "e7".into(),
        origin: Origin::Shared,
        action_id: "1a2b3c4d-0000".into(),
        at: now - chrono::Duration::minutes(2),
        operator: "alice@ops-host".into(),
        profile: "production".into(),
        lever: "revision-kill-switch".into(),
        kind: EntryKind::Intent,
        status: EntryStatus::Pending,
        reason: "spike".into(),
        summary: "revision kill switch ON".into(),
        detail: serde_json::Value::Null,
    }];
    let mut h = Harness::builder()
        .with_size([1800.0, 80.0])
        .build_ui(move |ui| {
            top_bar_ui(ui, &s, now, &["production".to_owned()], false);
        });
    h.run();
    h.get_by_label("Lever running by alice@ops-host: revision kill switch ON");

    // Nothing running elsewhere: no such line.
    let quiet = Snapshot::for_profile("production");
    let mut h = Harness::builder()
        .with_size([1800.0, 80.0])
        .build_ui(move |ui| {
            top_bar_ui(ui, &quiet, now, &["production".to_owned()], false);
        });
    h.run();
    assert!(
        h.query_by_label_contains("Lever running by").is_none(),
        "no line without a running lever"
    );
}
