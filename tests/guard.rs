//! The guarded canary (issue 29), end to end on the demo world through the
//! real window (kittest) with a manual clock: the guard armed from the
//! Levers tab rolls the canary back itself when a rule holds on two reads,
//! on the lever lane (compare-and-set, read back, intent and result in the
//! audit), tells it once on the desktop (a private bus records it), and in
//! a dry run writes nothing but the "would have" entry.

use egui::Role;
use egui_kittest::kittest::Queryable;
use rollout_panel::adapters::audit::{EntryKind, EntryStatus};
use rollout_panel::adapters::clock::{Clock, ManualClock};
use rollout_panel::demo::{DemoStage, DemoWorld, Faults};
use rollout_panel::gui::app::App;
use std::time::Duration;

mod common;
use common::ui::{Window, frames, has_label, labels, type_into, wait_label};

const DEADLINE: Duration = Duration::from_secs(120);

fn refresh(h: &mut Window) {
    h.get_by_role_and_label(Role::Button, "Refresh").click();
    frames(h);
    assert!(h.state().worker().wait_idle(DEADLINE), "refresh");
    frames(h);
}

/// Sets the demo world's faults (the same as `demo fault …`).
fn set_faults(dir: &std::path::Path, clock: &ManualClock, faults: Faults) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let world = DemoWorld::open_or_create(
            &common::ui::demo_db(dir),
            clock.now(),
            DemoStage::Canary,
            rollout_panel::cli::DEFAULT_DEMO_SEED,
        )
        .await
        .unwrap();
        world.set_faults(&faults).await.unwrap();
        world.close().await;
    });
}

/// The demo window with desktop notifications on the private bus.
fn window(dir: &std::path::Path, clock: &ManualClock) -> Window {
    let config = common::ui::demo_config(dir, clock);
    let mut h = egui_kittest::Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config, None).with_desktop_notifications());
    assert!(h.state().worker().wait_idle(DEADLINE), "first read");
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Levers").click();
    frames(&mut h);
    h
}

/// Arms the guard from the Levers tab (dry run or not).
fn arm(h: &mut Window, dry_run: bool) {
    assert!(has_label(h, "Not armed"), "{:#?}", labels(h));
    type_into(h, "Guard reason", "watching the canary over lunch");
    if dry_run {
        h.get_by_role_and_label(Role::CheckBox, "Dry run").click();
        frames(h);
    }
    h.get_by_role_and_label(Role::Button, "Arm the guard")
        .click();
    frames(h);
    assert!(h.state().worker().wait_idle(DEADLINE), "armed");
    frames(h);
}

/// Refreshes every 40 s of the manual clock until `done` or `reads` reads.
fn watch(
    h: &mut Window,
    clock: &ManualClock,
    reads: usize,
    done: impl Fn(&Window) -> bool,
) -> usize {
    for i in 1..=reads {
        clock.advance(chrono::Duration::seconds(40));
        refresh(h);
        // A rollback the guard sent runs on the lever lane: let it end.
        std::thread::sleep(Duration::from_millis(200));
        frames(h);
        if done(h) {
            return i;
        }
    }
    panic!("not within {reads} reads: {:#?}", labels(h));
}

fn canary_on(h: &Window) -> Vec<String> {
    h.state()
        .snapshot()
        .enabled_workspaces()
        .map(|w| w.name.clone())
        .collect()
}

#[test]
fn the_armed_guard_rolls_the_canary_back_on_harm_and_says_so_once() {
    let bus = common::notify::Bus::start();
    // SAFETY: set before this process starts any thread that reads the
    // environment (nextest runs each test in a process of its own).
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address) };
    let desktop = common::notify::Service::start(&bus.address);
    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let mut h = window(dir.path(), &clock);
    let canary = canary_on(&h);
    assert_eq!(canary.len(), 1, "the demo's canary: {canary:?}");
    arm(&mut h, false);
    wait_label(&mut h, "Guard armed by");
    // The top bar says who armed it and that it looks.
    assert!(has_label(&h, "4 rules · last look"), "{:#?}", labels(&h));

    set_faults(
        dir.path(),
        &clock,
        Faults {
            needs_review_spike: true,
            ..Faults::default()
        },
    );
    clock.advance(chrono::Duration::hours(3));
    refresh(&mut h);
    let reads = watch(&mut h, &clock, 12, |h| {
        canary_on(h).is_empty() && h.state().snapshot().guard.acting.is_none()
    });
    eprintln!("harm to the canary rolled back and verified: {reads} reads of 40 s after the first");
    assert!(reads >= 1, "never on a single read");

    // The audit has the guard's rollback: intent before, verified result,
    // the reason naming the rule and who armed it.
    let snap = h.state().snapshot().clone();
    let intent = snap
        .audit
        .iter()
        .find(|e| e.lever == "workspace-rollback" && e.kind == EntryKind::Intent)
        .expect("the guard's intent");
    assert!(
        intent.reason.starts_with("guard (armed by ") && intent.reason.contains("rule harm"),
        "{intent:#?}"
    );
    let result = snap
        .audit
        .iter()
        .find(|e| e.action_id == intent.action_id && e.kind == EntryKind::Result)
        .expect("its result");
    assert_eq!(result.status, EntryStatus::Ok, "{result:#?}");
    // It never pulled a kill switch.
    assert!(
        !snap.audit.iter().any(|e| e.lever.contains("kill-switch")),
        "{:#?}",
        snap.audit
    );
    // Told once, with what it did and the next lever it suggests.
    common::ui::wait_until(&mut h, "the guard's notification", |_| {
        desktop
            .calls()
            .iter()
            .any(|c| c.summary.starts_with("Guard rolled back"))
    });
    std::thread::sleep(Duration::from_millis(300));
    clock.advance(chrono::Duration::seconds(40));
    refresh(&mut h);
    let told: Vec<_> = desktop
        .calls()
        .into_iter()
        .filter(|c| c.summary.starts_with("Guard"))
        .collect();
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(told[0].summary, format!("Guard rolled back {}", canary[0]));
    assert!(
        told[0].body.contains("verified OFF") && told[0].body.contains("revision-kill-switch"),
        "{:?}",
        told[0].body
    );
    wait_label(&mut h, "Guard: rolled back");
    eprintln!(
        "guard: {}",
        h.state().snapshot().guard.last.clone().unwrap_or_default()
    );
}

#[test]
fn a_dry_run_records_what_it_would_have_done_and_writes_nothing() {
    let bus = common::notify::Bus::start();
    // SAFETY: set before this process starts any thread that reads the
    // environment (nextest runs each test in a process of its own).
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address) };
    let desktop = common::notify::Service::start(&bus.address);
    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let mut h = window(dir.path(), &clock);
    let canary = canary_on(&h);
    arm(&mut h, true);
    wait_label(&mut h, "Guard (dry run) armed by");
    set_faults(
        dir.path(),
        &clock,
        Faults {
            needs_review_spike: true,
            ..Faults::default()
        },
    );
    clock.advance(chrono::Duration::hours(3));
    refresh(&mut h);
    watch(&mut h, &clock, 12, |h| {
        h.state().snapshot().audit.iter().any(|e| {
            e.summary
                .starts_with("guard (dry run) would have rolled back")
        })
    });
    // More reads: nothing written, nothing recorded twice.
    for _ in 0..3 {
        clock.advance(chrono::Duration::seconds(40));
        refresh(&mut h);
    }
    assert_eq!(canary_on(&h), canary, "a dry run changes nothing");
    let snap = h.state().snapshot().clone();
    assert!(
        !snap.audit.iter().any(|e| e.lever == "workspace-rollback"),
        "{:#?}",
        snap.audit
    );
    let would: Vec<_> = snap
        .audit
        .iter()
        .filter(|e| {
            e.summary
                .starts_with("guard (dry run) would have rolled back")
                && e.kind == EntryKind::Intent
        })
        .collect();
    assert_eq!(would.len(), 1, "{would:#?}");
    assert!(
        would[0].reason.contains("dry run") && would[0].detail["would_have"]["rule"] == "harm",
        "{:#?}",
        would[0]
    );
    desktop.wait_for("Guard (dry run) would have rolled back");
    std::thread::sleep(Duration::from_millis(300));
    let told = desktop
        .calls()
        .into_iter()
        .filter(|c| c.summary.starts_with("Guard"))
        .count();
    assert_eq!(told, 1);
    wait_label(&mut h, "Guard: would have rolled back");
}

#[test]
fn repeated_attempts_in_the_canary_fire_the_bound_rule() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let mut h = window(dir.path(), &clock);
    let canary = canary_on(&h);
    assert_eq!(canary.len(), 1, "the demo's canary: {canary:?}");
    arm(&mut h, false);
    set_faults(
        dir.path(),
        &clock,
        Faults {
            repeated_attempts: true,
            ..Faults::default()
        },
    );
    clock.advance(chrono::Duration::minutes(30));
    refresh(&mut h);
    let reads = watch(&mut h, &clock, 40, |h| {
        canary_on(h).is_empty() && h.state().snapshot().guard.acting.is_none()
    });
    eprintln!("repeated attempts to the canary rolled back and verified: {reads} reads of 40 s");
    let snap = h.state().snapshot().clone();
    let intent = snap
        .audit
        .iter()
        .find(|e| e.lever == "workspace-rollback" && e.kind == EntryKind::Intent)
        .expect("the guard's intent");
    assert!(
        intent.reason.contains("rule attempts-above-bound"),
        "{intent:#?}"
    );
    let last = snap.guard.last.clone().unwrap_or_default();
    assert!(last.contains("verified OFF"), "{last}");
    eprintln!("guard: {last}");
    // Re-enabling is a human's decision: the canary enable's preconditions
    // show the guard's finding, overridable.
    let plan = rollout_panel::gui::panels::levers::plan_from(
        &snap,
        &rollout_panel::core::lever::PlanSource::Lever(rollout_panel::core::lever::LeverRequest {
            kind: rollout_panel::core::lever::LeverKind::CanaryEnable,
            on: true,
            workspace: Some(
                snap.workspaces
                    .iter()
                    .find(|w| w.name == canary[0])
                    .unwrap()
                    .id
                    .clone(),
            ),
        }),
        None,
    )
    .expect("plan");
    let p = plan
        .preconditions
        .iter()
        .find(|p| p.name == rollout_panel::core::guard::GUARD_FINDING)
        .expect("the guard's finding as a precondition");
    assert!(!p.ok && p.overridable, "{p:#?}");
    assert!(p.detail.contains("rule attempts-above-bound"), "{p:#?}");
}

#[test]
fn half_the_revisions_timing_out_is_an_alarm_from_the_runtime_logs_naming_every_draft() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let mut h = window(dir.path(), &clock);
    refresh(&mut h);
    let quiet = h.state().snapshot().clone();
    let logs = quiet
        .runtime_logs
        .clone()
        .expect("the demo's runtime log is read");
    assert_eq!(logs.state, "reading", "{logs:#?}");
    assert!(
        !quiet
            .alarms
            .iter()
            .any(|a| a.kind == rollout_panel::core::alarms::AlarmKind::RevisionPathErrors),
        "the usual few timeouts are no alarm: {:#?}",
        quiet.alarms
    );
    set_faults(
        dir.path(),
        &clock,
        Faults {
            timeouts: true,
            ..Faults::default()
        },
    );
    clock.advance(chrono::Duration::minutes(45));
    refresh(&mut h);
    let snap = h.state().snapshot().clone();
    let logs = snap.runtime_logs.clone().expect("logs");
    let alarm = snap
        .alarms
        .iter()
        .find(|a| a.kind == rollout_panel::core::alarms::AlarmKind::RevisionPathErrors)
        .unwrap_or_else(|| panic!("an alarm: {logs:#?} {:#?}", snap.alarms));
    // Every draft the logs named for the canary, and only those.
    let mut named: Vec<String> = logs
        .canary
        .draft_ids
        .deadline_exceeded
        .iter()
        .chain(&logs.canary.draft_ids.other_error)
        .cloned()
        .collect();
    named.sort();
    assert_eq!(alarm.draft_ids, named);
    assert!(alarm.draft_count >= 5, "{alarm:#?}");
    assert!(
        alarm.finding.contains("deadline_exceeded"),
        "{}",
        alarm.finding
    );
    // The guard's reading carries it (its rule revision-path-errors), with
    // every draft; not armed here, nothing acts: the canary stays on.
    let reading = rollout_panel::worker::guard::reading(&snap, clock.now());
    assert_eq!(
        reading.log_errors,
        Some((alarm.finding.clone(), alarm.draft_ids.clone()))
    );
    assert_eq!(canary_on(&h).len(), 1);
}
