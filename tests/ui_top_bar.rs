//! The top bar names another panel's lever while it runs (issue 18), found
//! by AccessKit label.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::adapters::audit::{AuditEntry, EntryKind, EntryStatus, Origin};
use rollout_panel::gui::panels::top_bar::top_bar_ui;
use rollout_panel::worker::Snapshot;

/// alice@ops-host's intent, started two minutes before `now`, without a result.
fn alices_intent(
    now: chrono::NaiveDateTime,
    profile: &str,
    lever: &str,
    summary: &str,
) -> AuditEntry {
    AuditEntry {
        id: 7,
        entry_id: "e7".into(),
        origin: Origin::Shared,
        action_id: "1a2b3c4d-0000".into(),
        at: now - chrono::Duration::minutes(2),
        operator: "alice@ops-host".into(),
        profile: profile.into(),
        lever: lever.into(),
        kind: EntryKind::Intent,
        status: EntryStatus::Pending,
        reason: "on call".into(),
        summary: summary.into(),
        detail: serde_json::Value::Null,
        trust: rollout_panel::core::trust::Trust::Verified,
        signer: None,
        recorded_at: None,
        read_at: None,
    }
}

#[test]
fn another_panels_running_lever_is_named_in_the_top_bar() {
    let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(10, 5, 0)
        .unwrap();
    let mut s = Snapshot::for_profile("production");
    s.running_elsewhere = vec![alices_intent(
        now,
        "production",
        "revision-kill-switch",
        "revision kill switch ON",
    )];
    let mut h = Harness::builder()
        .with_size([1800.0, 80.0])
        .build_ui(move |ui| {
            top_bar_ui(ui, &s, now, &["production".to_owned()], false, None);
        });
    h.run();
    h.get_by_label("Lever running by alice@ops-host: revision kill switch ON");

    // Nothing running elsewhere: no such line.
    let quiet = Snapshot::for_profile("production");
    let mut h = Harness::builder()
        .with_size([1800.0, 80.0])
        .build_ui(move |ui| {
            top_bar_ui(ui, &quiet, now, &["production".to_owned()], false, None);
        });
    h.run();
    assert!(
        h.query_by_label_contains("Lever running by").is_none(),
        "no line without a running lever"
    );
}

/// Every label of the top bar whose text contains one of `needles`, with its
/// rectangle.
fn rects(h: &Harness<'_, impl Sized>, needles: &[&str]) -> Vec<(String, egui::Rect)> {
    h.query_all_by_role(egui::Role::Label)
        .filter_map(|n| {
            let v = n.value()?;
            needles.iter().any(|k| v.contains(k)).then(|| (v, n.rect()))
        })
        .collect()
}

/// The longest a top bar gets: a profile switcher, the database failing, a
/// pinned deployment, both kill switches waiting for a redeploy, another
/// operator's lever with a long summary.
fn worst_case() -> (Snapshot, chrono::NaiveDateTime) {
    use rollout_panel::core::env::{FlagState, Live};
    let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(10, 5, 0)
        .unwrap();
    let mut s = Snapshot::for_profile("production-eu-west");
    s.db.last_ok = Some(now - chrono::Duration::minutes(3));
    s.db.error = Some("connection refused".into());
    s.env.last_ok = Some(now - chrono::Duration::seconds(4));
    s.revision_flag = Some(FlagState {
        key: "AUTO_SEND_REVISION_DISABLED",
        configured_value: Some("1".into()),
        configured_on: true,
        live: Live::AwaitingRedeploy,
    });
    s.auto_send_flag = Some(FlagState {
        key: "AUTO_SEND_DISABLED",
        configured_value: Some("1".into()),
        configured_on: true,
        live: Live::AwaitingRedeploy,
    });
    s.running_elsewhere = vec![alices_intent(
        now,
        "production-eu-west",
        "expansion",
        "Expand revision to 4 workspace(s): Brightline Roofing, Cobalt Legal, Driftwood Café — Zürich 東京 ☕, Evergreen Dental",
    )];
    (s, now)
}

#[test]
fn the_kill_switch_states_stay_inside_the_window_at_1024_and_1280_pixels() {
    for width in [1024.0, 1280.0] {
        let (s, now) = worst_case();
        let mut h = Harness::builder()
            .with_size([width, 300.0])
            .with_context_setup(|ctx| {
                rollout_panel::gui::fonts::install(
                    ctx,
                    rollout_panel::gui::fonts::Fallback::BundledOnly,
                )
            })
            .build_ui(move |ui| {
                egui::Panel::top("top_bar").show(ui, |ui| {
                    top_bar_ui(ui, &s, now, &["production-eu-west".to_owned()], true, None);
                });
            });
        h.run();
        let switches = rects(
            &h,
            &["kill switch: configured", "All auto-send: configured"],
        );
        assert_eq!(switches.len(), 2, "{switches:?}");
        for (text, rect) in &switches {
            assert!(
                text.ends_with("live not yet (redeploy to apply)"),
                "the whole state: {text}"
            );
            assert!(
                rect.left() >= 0.0 && rect.right() <= width,
                "{width} px: {text:?} drawn at {rect:?}, past the window's edge"
            );
        }
        // The rest of the bar is inside too; the running lever is cut to the
        // width rather than run past it.
        for (text, rect) in rects(&h, &["Stage:", "DB error", "Env ok", "Lever running by"]) {
            assert!(rect.right() <= width, "{width} px: {text:?} at {rect:?}");
        }
    }
}
