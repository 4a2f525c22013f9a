//! The Levers tab, driven through AccessKit like a person would: the confirm
//! dialogs (guard, Cancel, Esc, Enter), the progress view up to "verified",
//! the fast rollback's instant complement, and an action interrupted by a
//! killed process, found and finished on the next start. Every outcome is
//! checked in the demo world's SQLite file and the audit log, not on screen
//! only.

mod common;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::audit::{AuditLog, EntryKind, EntryStatus};
use rollout_panel::adapters::clock::{Clock, ManualClock, SystemClock};
use rollout_panel::adapters::store::Store;
use rollout_panel::core::env::{AUTO_SEND_REVISION_DISABLED, Live};
use rollout_panel::core::workspace::RevisionToggle;
use rollout_panel::demo::{DemoStage, DemoWorld};
use rollout_panel::gui::app::App;
use rollout_panel::worker::{Target, WorkerConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const PILOT: &str = "Acme Solar (pilot)";
const DEADLINE: Duration = Duration::from_secs(120);
/// The confirm dialog's override (the expansion's candidates are check boxes too).
const OVERRIDE: &str = "Go on although a precondition fails (recorded in the audit log)";

fn demo_db(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("demo").join("demo.sqlite")
}

/// The window on the demo world of `data_dir` (the CLI's paths), on the Levers tab.
fn harness(data_dir: &Path, stage: DemoStage, clock: &ManualClock) -> Harness<'static, App> {
    let config = WorkerConfig {
        target: Target::Demo {
            db_path: demo_db(data_dir),
            stage,
            seed: rollout_panel::cli::DEFAULT_DEMO_SEED,
        },
        clock: Arc::new(clock.clone()),
        auto_refresh: None,
        read_timeout: Duration::from_secs(60),
        audit_path: Some(AuditLog::path_in(data_dir)),
        waits: rollout_panel::ops::levers::Waits {
            poll_every: Duration::from_millis(50),
            deadline: DEADLINE,
        },
    };
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| App::new(cc, config, None));
    assert!(h.state().worker().wait_idle(DEADLINE), "first read");
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Levers").click();
    frames(&mut h);
    h
}

/// Opens the fast rollback's confirm dialog.
fn open_fast_rollback(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(Role::Button, "Kill switch ON (fast rollback)…")
        .click();
    frames(h);
}

/// A few frames: enough for a click or an event to show, without waiting
/// for the window to settle (a running lever's spinner never does).
fn frames(h: &mut Harness<'static, App>) {
    h.run_steps(4);
}

fn enabled(h: &Harness<'static, App>, label: &str) -> bool {
    !h.get_by_role_and_label(Role::Button, label)
        .accesskit_node()
        .is_disabled()
}

fn type_into(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).focus();
    frames(h);
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    frames(h);
}

fn labels(h: &Harness<'static, App>) -> Vec<String> {
    h.query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .collect()
}

fn has_label_containing(h: &Harness<'static, App>, needle: &str) -> bool {
    h.query_all_by_role(Role::Label)
        .any(|n| n.value().is_some_and(|v| v.contains(needle)))
}

/// Steps the window (moving the clock by `tick` each time, so demo
/// deployments advance) until `count` labels read exactly `text`.
fn wait_for_labels(
    h: &mut Harness<'static, App>,
    clock: &ManualClock,
    tick: chrono::Duration,
    text: &str,
    count: usize,
) {
    for _ in 0..1200 {
        let n = h
            .query_all_by_role(Role::Label)
            .filter(|n| n.value().as_deref() == Some(text))
            .count();
        if n >= count {
            return;
        }
        clock.advance(tick);
        std::thread::sleep(Duration::from_millis(50));
        frames(h);
    }
    panic!("never saw {count} × {text:?}; labels: {:#?}", labels(h));
}

/// The world's toggles and the revision kill switch, read from the file.
struct DbState {
    toggles: Vec<(String, RevisionToggle)>,
    kill_switch: Option<String>,
    kill_switch_live: Live,
}

fn read_db(data_dir: &Path, now: chrono::NaiveDateTime) -> DbState {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let world = DemoWorld::open_or_create(&demo_db(data_dir), now, DemoStage::Canary, 1)
            .await
            .expect("world");
        let store = world.store().await.expect("store");
        world.advance_deployments(now).await.expect("advance");
        let toggles = store
            .workspaces()
            .await
            .expect("workspaces")
            .into_iter()
            .map(|w| (w.name, w.toggle))
            .collect();
        let env = world.env_snapshot().await.expect("env");
        let flag = env.flag(AUTO_SEND_REVISION_DISABLED);
        world.close().await;
        DbState {
            toggles,
            kill_switch: flag.configured_value,
            kill_switch_live: flag.live,
        }
    })
}

fn toggle(db: &DbState, name: &str) -> RevisionToggle {
    db.toggles
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("no workspace {name}"))
}

fn audit_rows(data_dir: &Path) -> Vec<rollout_panel::adapters::audit::AuditEntry> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let log = AuditLog::open(&AuditLog::path_in(data_dir))
            .await
            .expect("audit");
        let rows = log.list("demo", 100).await.expect("list");
        log.close().await;
        rows
    })
}

#[test]
fn enable_canary_is_guarded_by_the_workspace_name_and_runs_to_verified() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(SystemClock.now());
    // Deployed dark: the kill switch is live ON, no workspace has revision on.
    let mut h = harness(dir.path(), DemoStage::Dark, &clock);
    let open = format!("Enable canary for {PILOT}…");
    let guard = format!("Type {PILOT} to confirm");

    h.get_by_role_and_label(Role::Button, &open).click();
    frames(&mut h);
    // The plan is on screen: the toggle, the kill switch and the redeploy.
    assert!(has_label_containing(
        &h,
        &format!("- database: {PILOT}'s revision toggle OFF")
    ));
    assert!(has_label_containing(
        &h,
        "AUTO_SEND_REVISION_DISABLED \"1\" -> \"0\""
    ));
    assert!(!enabled(&h, "Confirm"), "disabled before anything is typed");
    type_into(&mut h, "Reason", "start the canary");
    assert!(!enabled(&h, "Confirm"), "a reason alone is not enough");
    type_into(&mut h, &guard, "Acme");
    assert!(!enabled(&h, "Confirm"), "a partial name is not enough");
    // Enter does not confirm while the guard is not satisfied.
    h.key_press(egui::Key::Enter);
    frames(&mut h);
    assert!(h.state().worker().wait_idle(DEADLINE));
    h.get_by_role_and_label(Role::Button, "Confirm");

    // Cancel changes nothing.
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    frames(&mut h);
    assert!(h.query_by_role_and_label(Role::Button, "Confirm").is_none());
    let db = read_db(dir.path(), clock.now());
    assert!(!toggle(&db, PILOT).is_on(), "Cancel wrote nothing");
    assert_eq!(db.kill_switch.as_deref(), Some("1"));
    assert!(audit_rows(dir.path()).is_empty(), "nothing audited either");

    // Esc cancels too.
    h.get_by_role_and_label(Role::Button, &open).click();
    frames(&mut h);
    h.key_press(egui::Key::Escape);
    frames(&mut h);
    assert!(h.query_by_role_and_label(Role::Button, "Confirm").is_none());

    // The full name enables Confirm; a precondition to override shows a checkbox.
    h.get_by_role_and_label(Role::Button, &open).click();
    frames(&mut h);
    type_into(&mut h, "Reason", "start the canary");
    type_into(&mut h, &guard, PILOT);
    assert!(
        h.query_by_role_and_label(Role::CheckBox, OVERRIDE)
            .is_none(),
        "no precondition to override on a dark deploy: {:#?}",
        labels(&h)
    );
    assert!(enabled(&h, "Confirm"), "labels: {:#?}", labels(&h));
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    // The progress view follows the redeploy to READY, then "verified".
    wait_for_labels(&mut h, &clock, chrono::Duration::seconds(1), "verified", 1);
    assert!(h.state().worker().wait_levers(DEADLINE));
    let db = read_db(dir.path(), clock.now());
    assert_eq!(toggle(&db, PILOT), RevisionToggle::Enabled);
    assert_eq!(db.kill_switch.as_deref(), Some("0"));
    assert_eq!(db.kill_switch_live, Live::Known(false));
    let all = audit_rows(dir.path());
    // The dialog armed the canary's guard (ticked by default) before the
    // canary ran: an action of its own.
    let guard: Vec<_> = all.iter().filter(|r| r.lever == "guard").collect();
    assert_eq!(guard.len(), 2, "intent and result: {guard:#?}");
    let armed = guard
        .iter()
        .find(|r| r.kind == EntryKind::Intent)
        .expect("the guard's intent");
    assert_eq!(armed.reason, "with the canary: start the canary");
    assert_eq!(armed.detail["armed"], true);
    let rows: Vec<_> = all.iter().filter(|r| r.lever != "guard").collect();
    let kinds: Vec<(EntryKind, EntryStatus)> =
        rows.iter().rev().map(|r| (r.kind, r.status)).collect();
    assert_eq!(
        kinds,
        vec![
            (EntryKind::Intent, EntryStatus::Pending),
            (EntryKind::Step, EntryStatus::Ok),
            (EntryKind::Step, EntryStatus::Ok),
            (EntryKind::Step, EntryStatus::Ok),
            (EntryKind::Result, EntryStatus::Ok),
        ]
    );
    assert_eq!(rows[0].reason, "start the canary");
    // The tab now offers the rollback of the workspace instead (after the
    // refresh the end of the run asked for).
    frames(&mut h);
    assert!(h.state().worker().wait_idle(DEADLINE));
    frames(&mut h);
    assert!(enabled(&h, &format!("Roll back {PILOT}…")));
    assert!(
        has_label_containing(&h, "Guard armed by"),
        "{:#?}",
        labels(&h)
    );
}

#[test]
fn the_fast_rollback_takes_one_confirm_and_offers_the_instant_complement() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(SystemClock.now());
    // Mid-canary: the pilot has revision on, the kill switch is live OFF.
    let mut h = harness(dir.path(), DemoStage::Canary, &clock);
    open_fast_rollback(&mut h);
    assert!(has_label_containing(&h, "Instant Rollback"), "the warning");
    assert!(
        h.query_by_role_and_label(Role::TextInput, "Reason")
            .is_some()
    );
    assert!(
        h.query_by_role_and_label(Role::TextInput, "Type DISABLE to confirm")
            .is_none(),
        "no word to type: speed matters"
    );
    type_into(&mut h, "Reason", "needs_review spike");
    assert!(enabled(&h, "Confirm"));
    // Enter confirms once the guard (here: a reason) is satisfied.
    h.key_press(egui::Key::Enter);
    frames(&mut h);
    assert!(h.query_by_role_and_label(Role::Button, "Confirm").is_none());
    // While the redeploy is queued (the clock stands still), the complement is offered.
    let complement = "Also roll back the workspaces with revision on now…";
    // Wait until the redeploy is queued (the clock stands still, so it stays
    // there and the progress view stops growing under the button).
    for _ in 0..200 {
        if h.query_by_role_and_label(Role::Button, complement)
            .is_some()
            && has_label_containing(&h, "QUEUED")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        frames(&mut h);
    }
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, complement).click();
    frames(&mut h);
    assert!(has_label_containing(
        &h,
        &format!("Roll back every workspace with revision on: {PILOT}")
    ));
    type_into(&mut h, "Reason", "stop revisions now");
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    // The complement is a database write: verified without the clock moving.
    wait_for_labels(&mut h, &clock, chrono::Duration::zero(), "verified", 1);
    let db = read_db(dir.path(), clock.now());
    assert_eq!(toggle(&db, PILOT), RevisionToggle::Disabled);
    assert_eq!(db.kill_switch.as_deref(), Some("1"), "configured at once");
    assert_eq!(db.kill_switch_live, Live::Known(false), "not live yet");
    // Then the kill switch's redeploy goes READY.
    wait_for_labels(&mut h, &clock, chrono::Duration::seconds(1), "verified", 2);
    assert!(h.state().worker().wait_levers(DEADLINE));
    let db = read_db(dir.path(), clock.now());
    assert_eq!(db.kill_switch_live, Live::Known(true));
    let rows = audit_rows(dir.path());
    let results: Vec<&str> = rows
        .iter()
        .filter(|r| r.kind == EntryKind::Result && r.status == EntryStatus::Ok)
        .map(|r| r.lever.as_str())
        .collect();
    assert_eq!(
        results,
        vec!["revision-kill-switch", "workspace-rollback"],
        "newest first: the complement ended before the kill switch"
    );
}

#[test]
fn an_action_killed_mid_lever_is_shown_on_the_next_start_and_finished_without_repeating_a_step() {
    let dir = common::temp_dir();
    // A terminal pulls the fast rollback; the process is killed while it
    // waits for the redeploy (after the intent and the env step).
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rollout-panel"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "lever",
            "revision-kill-switch",
            "on",
            "--profile",
            "demo",
            "--reason",
            "spike",
            "--yes",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("panel");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let queued = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("queued"));
    assert!(queued.is_some(), "the redeploy never started");
    child.kill().expect("kill");
    child.wait().expect("reap");
    let rows = audit_rows(dir.path());
    assert!(
        rows.iter().all(|r| r.kind != EntryKind::Result),
        "{rows:#?}"
    );

    // The next start shows the interrupted action and the true state now.
    let clock = ManualClock::new(SystemClock.now());
    let mut h = harness(dir.path(), DemoStage::Canary, &clock);
    assert!(
        has_label_containing(&h, "Interrupted action: Revision kill switch ON"),
        "{:#?}",
        labels(&h)
    );
    assert!(has_label_containing(
        &h,
        "Now: AUTO_SEND_REVISION_DISABLED configured \"1\""
    ));
    // Finish makes the plan again from the current state: the env is already
    // "1" and the killed run's build is under way, so only following that
    // build is left; neither the env step nor the build is repeated.
    h.get_by_role_and_label(Role::Button, "Finish…").click();
    frames(&mut h);
    assert!(
        has_label_containing(&h, "- Vercel: follow the build"),
        "{:#?}",
        labels(&h)
    );
    assert!(!has_label_containing(&h, "- Vercel: redeploy production"));
    assert!(
        !has_label_containing(&h, "- Vercel production env:"),
        "the env write is not repeated: {:#?}",
        labels(&h)
    );
    type_into(&mut h, "Reason", "finish the interrupted rollback");
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    wait_for_labels(&mut h, &clock, chrono::Duration::seconds(1), "verified", 1);
    assert!(h.state().worker().wait_levers(DEADLINE));
    h.get_by_role_and_label(Role::Button, "Refresh").click();
    frames(&mut h);
    assert!(h.state().worker().wait_idle(DEADLINE));
    frames(&mut h);
    assert!(
        !has_label_containing(&h, "Interrupted action"),
        "closed once finished"
    );
    let rows = audit_rows(dir.path());
    let closed = rows
        .iter()
        .find(|r| r.kind == EntryKind::Result && r.summary.starts_with("finished by action"))
        .expect("the interrupted action got a result");
    assert_eq!(closed.status, EntryStatus::Ok);
    assert_eq!(closed.reason, "spike", "it is the interrupted action's row");
    assert_eq!(
        read_db(dir.path(), clock.now()).kill_switch_live,
        Live::Known(true)
    );
}

#[test]
fn abandon_closes_an_interrupted_action_and_changes_nothing() {
    let dir = common::temp_dir();
    let now = SystemClock.now();
    // An intent with no result, as a panel that died right after writing it leaves.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let action = rt.block_on(async {
        let log = AuditLog::open(&AuditLog::path_in(dir.path()))
            .await
            .expect("audit");
        let id = log
            .intent(
                now,
                &rollout_panel::adapters::audit::Intent {
                    profile: "demo",
                    lever: "workspace-rollback",
                    reason: "spike",
                    summary: &format!("Roll back {PILOT}: revision off for this workspace"),
                    detail: serde_json::json!({"plan": {"lever": "workspace-rollback", "on": true,
                        "changes": [{"system": "toggle", "workspace_id": "nope", "after": false}]}}),
                },
            )
            .await
            .expect("intent");
        log.close().await;
        id
    });
    let clock = ManualClock::new(now);
    let mut h = harness(dir.path(), DemoStage::Canary, &clock);
    assert!(has_label_containing(&h, "Interrupted action: Roll back"));
    assert!(has_label_containing(&h, "Steps recorded: 0."));
    let before = read_db(dir.path(), now);
    h.get_by_role_and_label(Role::Button, "Abandon").click();
    frames(&mut h);
    assert!(h.state().worker().wait_idle(DEADLINE));
    frames(&mut h);
    assert!(!has_label_containing(&h, "Interrupted action"));
    let rows = audit_rows(dir.path());
    let result = rows
        .iter()
        .find(|r| r.action_id == action && r.kind == EntryKind::Result)
        .expect("a result row");
    assert_eq!(result.status, EntryStatus::Abandoned);
    assert!(result.detail["state_seen"]["toggles_on"].is_array());
    let after = read_db(dir.path(), now);
    assert_eq!(before.toggles, after.toggles, "nothing changed");
    assert_eq!(before.kill_switch, after.kill_switch);
}

#[test]
fn a_second_canary_needs_an_explicit_override() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(SystemClock.now());
    let mut h = harness(dir.path(), DemoStage::Canary, &clock);
    let other = "Cobalt Legal";
    h.get_by_role_and_label(Role::Button, &format!("Enable canary for {other}…"))
        .click();
    frames(&mut h);
    assert!(has_label_containing(
        &h,
        &format!("one canary: already on: {PILOT}")
    ));
    type_into(&mut h, "Reason", "second canary");
    type_into(&mut h, &format!("Type {other} to confirm"), other);
    assert!(
        !enabled(&h, "Confirm"),
        "the name alone is not enough while another canary is on"
    );
    h.get_by_role_and_label(Role::CheckBox, OVERRIDE).click();
    frames(&mut h);
    assert!(enabled(&h, "Confirm"));
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    wait_for_labels(&mut h, &clock, chrono::Duration::zero(), "verified", 1);
    let db = read_db(dir.path(), clock.now());
    assert_eq!(toggle(&db, other), RevisionToggle::Enabled);
    assert_eq!(toggle(&db, PILOT), RevisionToggle::Enabled, "untouched");
    let rows = audit_rows(dir.path());
    let intent = rows
        .iter()
        .find(|r| r.kind == EntryKind::Intent)
        .expect("intent");
    let pre = &intent.detail["plan"]["preconditions"];
    assert!(
        pre.as_array()
            .expect("preconditions")
            .iter()
            .any(|p| p["name"] == "one canary" && p["ok"] == false),
        "the overridden precondition is on record: {pre}"
    );
}

#[test]
fn the_reason_field_has_the_focus_when_a_dialog_opens() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(SystemClock.now());
    let mut h = harness(dir.path(), DemoStage::Canary, &clock);
    open_fast_rollback(&mut h);
    frames(&mut h);
    h.event(egui::Event::Text("spike".into()));
    frames(&mut h);
    // Typed text lands in the reason field without a click: the focus is
    // there, not on the destructive button.
    let v = h.get_by_role_and_label(Role::TextInput, "Reason").value();
    assert_eq!(v.as_deref(), Some("spike"));
    // While it runs, the same lever (a second redeploy) cannot be started.
    h.key_press(egui::Key::Enter);
    frames(&mut h);
    assert!(!enabled(&h, "Kill switch ON (fast rollback)…"));
    assert!(!enabled(&h, "Disable all auto-send (full rollback)…"));
    assert!(
        enabled(&h, &format!("Roll back {PILOT}…")),
        "a database lever stays available"
    );
    wait_for_labels(&mut h, &clock, chrono::Duration::seconds(1), "verified", 1);
}

/// Clicks the tab with this label.
fn tab(h: &mut Harness<'static, App>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).click();
    frames(h);
}

/// Clicks Refresh and waits for the worker's answer.
fn refresh(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(Role::Button, "Refresh").click();
    frames(h);
    assert!(h.state().worker().wait_idle(DEADLINE), "refresh");
    frames(h);
}

#[test]
fn the_metrics_tab_shows_the_verdict_card_and_a_marker_after_a_lever() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(SystemClock.now());
    let mut h = harness(dir.path(), DemoStage::Canary, &clock);
    tab(&mut h, "Metrics");
    assert!(
        has_label_containing(&h, "Canary verdict:"),
        "{:#?}",
        labels(&h)
    );
    assert!(!has_label_containing(&h, "Actions in this window"));
    // A second canary from the Levers tab (an immediate toggle write).
    tab(&mut h, "Levers");
    let other = "Cobalt Legal";
    h.get_by_role_and_label(Role::Button, &format!("Enable canary for {other}…"))
        .click();
    frames(&mut h);
    type_into(&mut h, "Reason", "widen the canary");
    type_into(&mut h, &format!("Type {other} to confirm"), other);
    h.get_by_role_and_label(Role::CheckBox, OVERRIDE).click();
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    wait_for_labels(&mut h, &clock, chrono::Duration::zero(), "verified", 1);
    refresh(&mut h);
    tab(&mut h, "Metrics");
    assert!(
        has_label_containing(&h, &format!("Enable the canary: revision for {other}")),
        "the marker: {:#?}",
        labels(&h)
    );
    // The canary now started with that action: the card says so.
    assert!(has_label_containing(&h, "(from the audit log)"));
    assert!(has_label_containing(&h, "insufficient data"));
}

#[test]
fn a_needs_review_spike_latches_harm_until_acknowledged() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(SystemClock.now());
    let mut h = harness(dir.path(), DemoStage::Canary, &clock);
    tab(&mut h, "Metrics");
    let state_is = |h: &Harness<'static, App>, text: &str| {
        h.query_all_by_role(Role::Label)
            .any(|n| n.value().as_deref() == Some(text))
    };
    assert!(!state_is(&h, "harm detected"));
    // The canary's drafts start going to needs_review far more often.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let world =
            DemoWorld::open_or_create(&demo_db(dir.path()), clock.now(), DemoStage::Canary, 1)
                .await
                .expect("world");
        world
            .set_faults(&rollout_panel::demo::Faults {
                needs_review_spike: true,
                ..Default::default()
            })
            .await
            .expect("fault");
        world.close().await;
    });
    clock.advance(chrono::Duration::hours(3));
    refresh(&mut h);
    assert!(
        has_label_containing(&h, "harm detected"),
        "{:#?}",
        labels(&h)
    );
    assert!(has_label_containing(
        &h,
        "Roll back the canary workspace first"
    ));
    assert!(has_label_containing(&h, "Harm first detected at"));
    assert!(has_label_containing(
        &h,
        "canary's needs_review share is above its baseline"
    ));
    h.get_by_role_and_label(Role::Button, "Acknowledge").click();
    frames(&mut h);
    assert!(
        !has_label_containing(&h, "Harm first detected at"),
        "acknowledged"
    );
    assert!(
        state_is(&h, "harm detected"),
        "the live state is still shown"
    );
}

/// Did the last frame ask the OS window for `want` (Close / CancelClose)?
fn last_frame_asked(h: &Harness<'static, App>, want: &egui::ViewportCommand) -> bool {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| v.commands.iter().any(|c| c == want))
}

/// The OS asks the window to close (the title bar's ✕, Alt+F4).
fn close_window(h: &mut Harness<'static, App>) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
}

#[test]
fn closing_the_window_mid_lever_asks_first() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(SystemClock.now());
    let mut h = harness(dir.path(), DemoStage::Canary, &clock);

    // Nothing running: a close goes through without a question.
    close_window(&mut h);
    assert!(!last_frame_asked(&h, &egui::ViewportCommand::CancelClose));
    frames(&mut h);
    assert!(h.query_by_label("A lever is still running").is_none());

    // The fast rollback runs; its redeploy waits (the clock stands still).
    open_fast_rollback(&mut h);
    type_into(&mut h, "Reason", "quit test");
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    close_window(&mut h);
    assert!(
        last_frame_asked(&h, &egui::ViewportCommand::CancelClose),
        "the close is held back"
    );
    frames(&mut h);
    h.get_by_label("A lever is still running");
    assert!(
        has_label_containing(&h, "Revision kill switch ON"),
        "{:#?}",
        labels(&h)
    );
    // Keep the panel open: the question goes, nothing closes, the run goes on.
    h.get_by_role_and_label(Role::Button, "Keep the panel open")
        .click();
    h.step();
    assert!(!last_frame_asked(&h, &egui::ViewportCommand::Close));
    frames(&mut h);
    assert!(h.query_by_label("A lever is still running").is_none());
    assert!(h.state().levers_running());

    // Asked again, Quit anyway closes it.
    close_window(&mut h);
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Quit anyway").click();
    h.step();
    assert!(last_frame_asked(&h, &egui::ViewportCommand::Close));
    // That close is not held back again.
    close_window(&mut h);
    assert!(!last_frame_asked(&h, &egui::ViewportCommand::CancelClose));
}
