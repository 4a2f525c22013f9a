//! The expansion step in the window, driven through AccessKit: tick the
//! workspaces, see the watch as the lever's preconditions, override with a
//! reason, type EXPAND, and see the stage say "expanding: 3 of 4 workspaces
//! on"; then "Roll back every workspace enabled by this expansion". Every
//! outcome is checked in the demo world's file too.

mod common;

use common::ui::{self, Window, demo_db, frames, has_label, labels, type_into};
use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::clock::{Clock, ManualClock};
use rollout_panel::adapters::store::Store;
use rollout_panel::demo::{DemoStage, DemoWorld};
use std::path::Path;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(120);

/// Waits for the runs to end, then refreshes.
fn wait_runs(h: &mut Window) {
    ui::wait_runs(h);
    h.get_by_role_and_label(Role::Button, "Refresh").click();
    frames(h);
    assert!(h.state().worker().wait_idle(DEADLINE), "refresh");
    frames(h);
}

fn toggles_on(data_dir: &Path, now: chrono::NaiveDateTime) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let world = DemoWorld::open_or_create(&demo_db(data_dir), now, DemoStage::Canary, 1)
            .await
            .expect("world");
        let store = world.store().await.expect("store");
        let on = store
            .workspaces()
            .await
            .expect("workspaces")
            .into_iter()
            .filter(|w| w.toggle.is_on())
            .map(|w| w.name)
            .collect();
        world.close().await;
        on
    })
}

#[test]
fn expand_to_three_workspaces_through_the_window_then_roll_the_expansion_back() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let mut h = ui::demo_window_on_levers(dir.path(), &clock);

    // Nothing ticked: the lever says why it cannot open.
    let expand = "Expand to workspaces…";
    assert!(
        h.get_by_role_and_label(Role::Button, expand)
            .accesskit_node()
            .is_disabled()
    );
    // The watch so far, as the preconditions: the demo canary's first claim
    // was 37 minutes before this clock, with too few drafts for a verdict.
    for line in [
        "ok watch time: watched 37 min",
        "WARN verdict: canary verdict: inconclusive",
        "ok alarms: no alarm firing",
    ] {
        assert!(has_label(&h, line), "{line}: {:#?}", labels(&h));
    }
    for name in [
        "Brightline Roofing",
        "Cobalt Legal",
        "Driftwood Café — Zürich 東京 ☕",
    ] {
        h.get_by_role_and_label(Role::CheckBox, name).click();
        frames(&mut h);
    }
    h.get_by_role_and_label(Role::Button, expand).click();
    frames(&mut h);
    assert!(
        has_label(
            &h,
            "Expand revision to 3 workspace(s): Brightline Roofing, Cobalt Legal, Driftwood Café — Zürich 東京 ☕"
        ),
        "{:#?}",
        labels(&h)
    );
    let override_box = "Go on although a precondition fails (recorded in the audit log)";
    let needs_override = h
        .query_by_role_and_label(Role::CheckBox, override_box)
        .is_some();
    type_into(&mut h, "Reason", "45 min clean");
    type_into(&mut h, "Type EXPAND to confirm", "EXPAND");
    if needs_override {
        // Confirm stays off until the override is ticked.
        assert!(
            h.get_by_role_and_label(Role::Button, "Confirm")
                .accesskit_node()
                .is_disabled()
        );
        h.get_by_role_and_label(Role::CheckBox, override_box)
            .click();
        frames(&mut h);
    }
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    wait_runs(&mut h);
    assert!(
        has_label(&h, "Stage: expanding: 4 of 4 workspaces on"),
        "{:#?}",
        labels(&h)
    );
    assert_eq!(toggles_on(dir.path(), clock.now()).len(), 4);

    // Roll back every workspace this expansion enabled: the canary stays.
    h.get_by_role_and_label(
        Role::Button,
        "Roll back every workspace enabled by this expansion…",
    )
    .click();
    frames(&mut h);
    type_into(&mut h, "Reason", "expansion looked wrong");
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    wait_runs(&mut h);
    assert_eq!(
        toggles_on(dir.path(), clock.now()),
        vec!["Acme Solar (pilot)".to_owned()]
    );
    assert!(!has_label(&h, "Stage: expanding"), "{:#?}", labels(&h));
}
