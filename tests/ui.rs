//! The window, driven through AccessKit like a person would: tabs by role and
//! label, the Metrics plots, and live numbers that move as the simulated app
//! runs. The clock is driven by hand; the test waits for the worker to answer
//! each request instead of sleeping.

mod common;

use chrono::Duration;
use common::ts;
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::clock::{Clock, ManualClock};
use rollout_panel::demo::DemoStage;
use rollout_panel::gui::app::App;
use rollout_panel::gui::{AppCommand, Tab};
use rollout_panel::worker::{Target, WorkerConfig};
use std::sync::Arc;
use std::time::Duration as StdDuration;

const T0: &str = "2026-03-02 15:00:00";
const WORKER_DEADLINE: StdDuration = StdDuration::from_secs(120);

fn harness(dir: &tempfile::TempDir, clock: &ManualClock) -> Harness<'static, App> {
    let config = WorkerConfig {
        target: Target::Demo {
            db_path: dir.path().join("demo.sqlite"),
            stage: DemoStage::Canary,
            seed: 7,
        },
        clock: Arc::new(clock.clone()),
        auto_refresh: None,
        read_timeout: StdDuration::from_secs(60),
        audit_path: Some(dir.path().join("audit.sqlite")),
        waits: rollout_panel::ops::levers::Waits {
            poll_every: StdDuration::from_millis(50),
            deadline: StdDuration::from_secs(120),
        },
    };
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| App::new(cc, config, None));
    assert!(
        h.state().worker().wait_idle(WORKER_DEADLINE),
        "the worker did not finish its first read"
    );
    h.run();
    h
}

/// Clicks Refresh and waits for the worker's answer.
fn refresh(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(Role::Button, "Refresh").click();
    // One frame to take the click; the spinner keeps repainting until the answer.
    h.step();
    assert!(
        h.state().worker().wait_idle(WORKER_DEADLINE),
        "refresh timed out"
    );
    h.run();
}

/// The text of the one label containing `needle` (AccessKit keeps a label's
/// text in its value).
fn label_containing(h: &Harness<'static, App>, needle: &str) -> String {
    let node =
        h.get_by(|n| n.role() == Role::Label && n.value().is_some_and(|v| v.contains(needle)));
    node.accesskit_node().value().unwrap_or_default()
}

/// Asserts there is a label with exactly this text.
fn has_label(h: &Harness<'static, App>, text: &str) {
    h.get_by_role_and_label(Role::Label, text);
}

/// "Canary (…) — last 1 h: 23 attempted · 9 applied (39%)" → 23.
fn attempted(summary: &str) -> u64 {
    summary
        .rsplit(": ")
        .next()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no attempted count in {summary:?}"))
}

#[test]
fn the_six_tabs_are_reachable_by_role_and_label() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(ts(T0));
    let mut h = harness(&dir, &clock);

    for tab in Tab::ALL {
        h.get_by_role_and_label(Role::Button, tab.label()).click();
        // The Drafts tab draws its first sample on the worker (a spinner
        // until it arrives): step, wait for the worker, step again.
        h.run_steps(4);
        assert!(h.state().worker().wait_idle(WORKER_DEADLINE));
        h.run_steps(4);
        assert_eq!(h.state().state().tab, tab);
    }
    h.get_by_role_and_label(Role::Button, "Readiness").click();
    h.run();
    label_containing(&h, "judged as canary");
    has_label(&h, "V2+");
    h.get_by_role_and_label(Role::Button, "Audit").click();
    h.run();
    label_containing(&h, "Nothing recorded yet");

    // Keyboard: Ctrl+3 is Metrics.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num3);
    h.run();
    assert_eq!(h.state().state().tab, Tab::Metrics);
}

#[test]
fn metrics_show_the_plots_and_live_numbers_that_move_with_the_simulator() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(ts(T0));
    let mut h = harness(&dir, &clock);
    h.get_by_role_and_label(Role::Button, "Metrics").click();
    h.run();

    h.get_by_role_and_label(Role::Figure, "Revision attempts per minute");
    h.get_by_role_and_label(Role::Figure, "Revisions applied per minute");
    has_label(&h, "Stage: canary running (step 4: watch)");
    has_label(&h, "Revision kill switch: configured OFF · live OFF");
    has_label(&h, "All auto-send: configured enabled · live enabled");

    let before = label_containing(&h, "Canary (Acme Solar (pilot)) — last 1 h:");
    let rest_before = label_containing(&h, "Rest (3 workspaces) — last 1 h:");
    assert!(rest_before.contains(": 0 attempted"), "{rest_before}");
    assert!(attempted(&before) > 0, "{before}");
    has_label(&h, "DB ok · 0 s ago");

    // Time passes without a read: the age says so.
    clock.advance(Duration::seconds(7));
    h.run();
    has_label(&h, "DB ok · 7 s ago");

    // Ten minutes of simulated traffic, then a read.
    clock.advance(Duration::minutes(10));
    refresh(&mut h);
    let after = label_containing(&h, "Canary (Acme Solar (pilot)) — last 1 h:");
    assert!(
        attempted(&after) > attempted(&before),
        "before: {before}\nafter: {after}"
    );
    has_label(&h, "DB ok · 0 s ago");

    // The 72-hour table holds the same numbers as the snapshot the worker read.
    let snapshot = h.state().snapshot();
    let acme = snapshot
        .workspaces
        .iter()
        .find(|w| w.name == "Acme Solar (pilot)")
        .unwrap();
    let c = snapshot.counts_72h[&acme.id];
    assert!(c.attempted >= attempted(&after));
    let text = c.attempted.to_string();
    assert!(h.query_all_by_role_and_label(Role::Label, &text).count() >= 1);

    // A longer window keeps every count (binned for drawing only).
    h.get_by_role_and_label(Role::Button, "72 h").click();
    h.run();
    has_label(
        &h,
        "Revision attempts per minute (UTC; mean over 15-minute bins)",
    );
    let long = label_containing(&h, "Canary (Acme Solar (pilot)) — last 72 h:");
    assert_eq!(attempted(&long), c.attempted, "{long}");
}

/// Clicks Re-check and waits for the checklist.
fn recheck(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(Role::Button, "Re-check").click();
    h.step();
    assert!(
        h.state().worker().wait_idle(WORKER_DEADLINE),
        "re-check timed out"
    );
    h.run();
}

#[test]
fn readiness_follows_a_demo_kill_switch_flip_and_its_redeploy() {
    use rollout_panel::core::env::AUTO_SEND_REVISION_DISABLED;
    use rollout_panel::demo::DemoWorld;
    let dir = common::temp_dir();
    let clock = ManualClock::new(ts(T0));
    let mut h = harness(&dir, &clock);
    h.get_by_role_and_label(Role::Button, "Readiness").click();
    h.run();
    label_containing(&h, "judged as canary");
    // Both kill switches: configured OFF and live OFF.
    let off = |h: &Harness<'static, App>| {
        h.query_all_by_role_and_label(Role::Label, "configured OFF, live OFF")
            .count()
    };
    assert_eq!(off(&h), 2);
    has_label(&h, "\"0\": revision is allowed, as the canary needs");

    // On-call flips the kill switch in the demo's env (as `demo set-env` does).
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let path = dir.path().join("demo.sqlite");
    let world = rt
        .block_on(DemoWorld::open_or_create(
            &path,
            clock.now(),
            DemoStage::Canary,
            7,
        ))
        .expect("open the demo world");
    clock.advance(Duration::seconds(1));
    rt.block_on(world.set_env(AUTO_SEND_REVISION_DISABLED, Some("1"), clock.now()))
        .expect("set env");
    recheck(&mut h);
    assert_eq!(off(&h), 1, "only AUTO_SEND_DISABLED is still off");
    has_label(&h, "configured ON, live OFF — redeploy to apply");

    // The redeploy becomes READY: the switch is live, the stage moves on.
    clock.advance(Duration::seconds(1));
    rt.block_on(world.redeploy(clock.now())).expect("redeploy");
    clock.advance(Duration::seconds(10));
    recheck(&mut h);
    has_label(&h, "configured ON, live ON");
    has_label(
        &h,
        "\"1\": revision is off, as the runbook wants before the canary",
    );
    label_containing(&h, "judged as pre-canary");
    rt.block_on(world.close());
}

#[test]
fn the_audit_tab_tells_the_story_of_a_lever_run() {
    use rollout_panel::adapters::audit::AuditLog;
    use rollout_panel::adapters::clock::SystemClock;
    use rollout_panel::adapters::store::Store;
    use rollout_panel::core::lever::{LeverKind, LeverRequest, LeverState, plan};
    use rollout_panel::demo::DemoWorld;
    use rollout_panel::ops::levers::{RunContext, Waits, run_plan};
    let dir = common::temp_dir();
    let clock = ManualClock::new(ts(T0));
    let mut h = harness(&dir, &clock);
    h.get_by_role_and_label(Role::Button, "Audit").click();
    h.run();
    label_containing(&h, "Nothing recorded yet");

    // An operator rolls the pilot back from a terminal (the CLI's runner).
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let world = DemoWorld::open_or_create(
            &dir.path().join("demo.sqlite"),
            clock.now(),
            DemoStage::Canary,
            7,
        )
        .await
        .expect("world");
        let store = world.store().await.expect("store");
        let workspaces = store.workspaces().await.expect("workspaces");
        let env = world.env_snapshot().await.expect("env");
        let p = plan(
            &LeverRequest {
                kind: LeverKind::WorkspaceRollback,
                on: true,
                workspace: Some("Acme Solar (pilot)".into()),
            },
            LeverState {
                workspaces: &workspaces,
                env: &env,
                schema: store.schema(),
                readiness: None,
            },
        )
        .expect("plan");
        let audit = AuditLog::open(&dir.path().join("audit.sqlite"))
            .await
            .expect("audit");
        let ctx = RunContext {
            audit: &audit,
            profile: "demo",
            reason: "needs_review spike",
            clock: &SystemClock,
            waits: Waits::default(),
            action_id: None,
            approvals: false,
        };
        let r = run_plan(&p, &store, &world, &ctx, &|_| {})
            .await
            .expect("run");
        assert!(r.ok, "{r:#?}");
        audit.close().await;
        world.close().await;
    });

    refresh(&mut h);
    assert_eq!(
        h.query_all_by_role_and_label(Role::Label, "workspace-rollback")
            .count(),
        3,
        "intent, step and result"
    );
    has_label(
        &h,
        "Roll back Acme Solar (pilot): revision off for this workspace: done and verified",
    );
    has_label(&h, "why: needs_review spike");
    assert_eq!(
        h.query_all_by_role_and_label(Role::Label, "started")
            .count(),
        1
    );
    assert_eq!(
        h.query_all_by_role_and_label(Role::Label, "UNFINISHED")
            .count(),
        0
    );
    // The rest of the window sees the rollback too.
    has_label(&h, "Stage: kill switch off, no workspace enabled");
}

#[test]
fn the_about_dialog_shows_version_commit_and_the_keyring() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(ts(T0));
    let mut h = harness(&dir, &clock);
    h.get_by_role_and_label(Role::Button, "About").click();
    h.run_steps(4);
    let head = label_containing(&h, "rollout-panel 0.");
    assert!(head.contains(" (git "), "{head}");
    assert!(!head.contains("(git )"), "{head}");
    has_label(&h, "Keyring");
    label_containing(&h, "Secret Service");
}

#[test]
fn every_command_with_a_shortcut_fires_from_its_shortcut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(ts(T0));
    let mut h = harness(&dir, &clock);
    let checked_at = |h: &Harness<'static, App>| {
        h.state()
            .snapshot()
            .readiness
            .as_ref()
            .map(|r| r.checked_at)
    };
    let commands = AppCommand::with_shortcuts();
    assert!(commands.len() >= 7, "{commands:?}");
    for command in commands {
        let shortcut = command.shortcut().expect("listed with a shortcut");
        let sent = h.state().worker().requests_sent();
        // Time passes, but not enough for the checklist to be due by itself.
        clock.advance(Duration::seconds(10));
        let checked_before = checked_at(&h);
        if let AppCommand::ShowTab(tab) = &command {
            assert_ne!(h.state().state().tab, *tab, "{command:?}: already there");
        }
        h.key_press_modifiers(shortcut.modifiers, shortcut.logical_key);
        h.step();
        assert!(h.state().worker().wait_idle(WORKER_DEADLINE), "{command:?}");
        h.run();
        match command {
            AppCommand::ShowTab(tab) => {
                assert_eq!(h.state().state().tab, tab, "{command:?}");
            }
            AppCommand::Refresh => {
                assert_eq!(h.state().worker().requests_sent(), sent + 1, "{command:?}");
                assert_eq!(h.state().snapshot().made_at, Some(clock.now()));
                assert_eq!(checked_at(&h), checked_before, "a refresh is no re-check");
            }
            AppCommand::Recheck => {
                assert_eq!(h.state().worker().requests_sent(), sent + 1, "{command:?}");
                assert_eq!(checked_at(&h), Some(clock.now()), "the checklist ran now");
            }
            other => panic!("{other:?} has a shortcut but no check here"),
        }
    }
}
