//! Drills (issue 31) end to end through the real window (kittest) on the
//! demo world with a manual clock: the Rehearsal tab starts a drill, its
//! fault comes at its hidden minute, the operator pulls a lever from the
//! Levers tab as on call, and the drill closes with its score (the right
//! level, a too-big one, a failed flip then the workspace level, and an
//! unnecessary rollback in the harmless drill). The score is checked on
//! screen, in the local audit log (a `drill` entry) and in its report. A
//! drill refuses to start on a production profile and writes nothing there.

use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::audit::{AuditLog, EntryKind};
use rollout_panel::adapters::clock::{Clock, ManualClock};
use rollout_panel::core::verdict::VerdictState;
use rollout_panel::gui::app::App;
use std::time::Duration;

mod common;
use common::ui::{Window, frames, has_label, labels, type_into, wait_label};

const DEADLINE: Duration = Duration::from_secs(120);
const PILOT: &str = "Acme Solar (pilot)";

fn window(dir: &std::path::Path, clock: &ManualClock) -> Window {
    let config = common::ui::demo_config(dir, clock);
    let mut h = egui_kittest::Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config, None));
    assert!(h.state().worker().wait_idle(DEADLINE), "first read");
    frames(&mut h);
    h
}

fn tab(h: &mut Window, name: &str) {
    h.get_by_role_and_label(Role::Button, name).click();
    frames(h);
    assert!(h.state().worker().wait_idle(DEADLINE));
    frames(h);
}

fn refresh(h: &mut Window) {
    h.get_by_role_and_label(Role::Button, "Refresh").click();
    frames(h);
    assert!(h.state().worker().wait_idle(DEADLINE), "refresh");
    frames(h);
}

/// Starts drill `n` from the Rehearsal tab (its fault within 10 minutes).
fn start(h: &mut Window, n: u8) {
    tab(h, "Rehearsal");
    h.get_by_role_and_label(Role::Button, &format!("Start drill {n}"))
        .click();
    frames(h);
    assert!(h.state().worker().wait_idle(DEADLINE));
    frames(h);
    wait_label(h, &format!("Drill {n} running"));
    assert!(has_label(h, "Something happens before"), "{:#?}", labels(h));
}

/// Past the drill's window: its fault is injected on this read.
fn past_the_window(h: &mut Window, clock: &ManualClock) {
    clock.advance(chrono::Duration::minutes(11));
    refresh(h);
}

/// A demo window with drill `n` started from its Rehearsal tab, the clock
/// moved past the drill's window (its fault injected).
fn drill_started(n: u8) -> (tempfile::TempDir, ManualClock, Window) {
    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let mut h = window(dir.path(), &clock);
    start(&mut h, n);
    past_the_window(&mut h, &clock);
    (dir, clock, h)
}

/// Reads every `step` until `done` holds on the snapshot (at most `reads`).
fn read_until(
    h: &mut Window,
    clock: &ManualClock,
    step: chrono::Duration,
    reads: usize,
    done: impl Fn(&rollout_panel::worker::Snapshot, rollout_panel::core::time::UtcNaive) -> bool,
) {
    for _ in 0..reads {
        if done(h.state().snapshot(), clock.now()) {
            return;
        }
        clock.advance(step);
        refresh(h);
    }
    panic!("not within {reads} reads: {:#?}", labels(h));
}

fn harm(s: &rollout_panel::worker::Snapshot, now: rollout_panel::core::time::UtcNaive) -> bool {
    rollout_panel::worker::guard::reading(s, now).verdict == Some(VerdictState::HarmDetected)
}

/// Pulls a lever from the Levers tab as a person does: the button, a
/// reason, the word when one is asked for, Confirm.
fn pull(h: &mut Window, button: &str, reason: &str) {
    tab(h, "Levers");
    h.get_by_role_and_label(Role::Button, button).click();
    frames(h);
    type_into(h, "Reason", reason);
    let word = h
        .query_all_by_role(Role::TextInput)
        .filter_map(|n| n.accesskit_node().label())
        .find(|l| l.starts_with("Type ") && l.ends_with(" to confirm"));
    if let Some(label) = word {
        let w = label["Type ".len()..label.len() - " to confirm".len()].to_owned();
        type_into(h, &label, &w);
    }
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(h);
}

/// Lets a lever run to its end, moving the clock a second at a time (the
/// demo's redeploys follow the clock).
fn run_to_end(h: &mut Window, clock: &ManualClock) {
    for _ in 0..600 {
        std::thread::sleep(Duration::from_millis(20));
        frames(h);
        if !h.state().levers_running() {
            assert!(h.state().worker().wait_idle(DEADLINE));
            frames(h);
            return;
        }
        clock.advance(chrono::Duration::seconds(1));
    }
    panic!("the lever never ended: {:#?}", labels(h));
}

/// The drill entries of the local audit log.
fn drill_entries(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let audit = AuditLog::open(&AuditLog::path_in(dir)).await.unwrap();
        let rows = audit.list("demo", 1000).await.unwrap();
        audit.close().await;
        rows.into_iter()
            .filter(|e| e.lever == "drill" && e.kind == EntryKind::Intent)
            .map(|e| e.detail)
            .collect()
    })
}

#[test]
fn drill_1_the_workspace_rollback_closes_it_at_the_right_level_with_every_time() {
    let (dir, clock, mut h) = drill_started(1);
    // The spike needs data before the verdict calls it.
    read_until(&mut h, &clock, chrono::Duration::minutes(10), 30, harm);
    // On call notices 30 s later on the Metrics tab, then rolls back.
    clock.advance(chrono::Duration::seconds(30));
    tab(&mut h, "Metrics");
    clock.advance(chrono::Duration::seconds(30));
    pull(
        &mut h,
        &format!("Roll back {PILOT}…"),
        "drill: needs_review up",
    );
    run_to_end(&mut h, &clock);
    tab(&mut h, "Rehearsal");
    wait_label(&mut h, "Drill 1 over: Passed — right level");
    let entries = drill_entries(dir.path());
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let score = &entries[0]["score"];
    assert_eq!(score["judgement"], "right", "{score:#}");
    assert_eq!(score["chosen"], "workspace", "{score:#}");
    let signal = score["to_signal_secs"].as_i64().expect("a first sign");
    assert_eq!(
        score["to_look_secs"].as_i64(),
        Some(signal + 30),
        "{score:#}"
    );
    assert_eq!(
        score["to_confirm_secs"].as_i64(),
        Some(signal + 60),
        "{score:#}"
    );
    assert!(
        score["to_verified_secs"].as_i64() >= Some(signal + 60),
        "{score:#}"
    );
    // The report is written and says the same.
    let report = std::fs::read_dir(dir.path().join("drills"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .expect("a report");
    let md = std::fs::read_to_string(report).unwrap();
    assert!(md.contains("**Passed** — right level"), "{md}");
    // The drill's fault is cleared.
    assert!(
        h.state()
            .snapshot()
            .demo_faults
            .as_ref()
            .is_some_and(|f| !f.needs_review_spike),
        "the spike is off again"
    );
}

#[test]
fn drill_1_the_kill_switch_is_scored_too_big() {
    let (dir, clock, mut h) = drill_started(1);
    read_until(&mut h, &clock, chrono::Duration::minutes(10), 30, harm);
    pull(
        &mut h,
        "Kill switch ON (fast rollback)…",
        "drill: stop it all",
    );
    run_to_end(&mut h, &clock);
    tab(&mut h, "Rehearsal");
    wait_label(
        &mut h,
        "Drill 1 over: Not passed — too big: blast radius larger than needed",
    );
    let score = &drill_entries(dir.path())[0]["score"];
    assert_eq!(score["judgement"], "too-big", "{score:#}");
    assert_eq!(score["chosen"], "revision-kill-switch", "{score:#}");
}

#[test]
fn drill_4_a_canceled_flip_then_the_workspace_level_closes_it() {
    let (dir, clock, mut h) = drill_started(4);
    read_until(&mut h, &clock, chrono::Duration::minutes(5), 30, |s, _| {
        !s.alarms.is_empty()
    });
    // The kill switch: its redeploy ends CANCELED — a failed flip.
    pull(
        &mut h,
        "Kill switch ON (fast rollback)…",
        "drill: loops everywhere",
    );
    run_to_end(&mut h, &clock);
    assert!(has_label(&h, "CANCELED"), "{:#?}", labels(&h));
    tab(&mut h, "Rehearsal");
    assert!(
        has_label(&h, "Drill 4 running"),
        "a failed flip does not end it"
    );
    // Noticed: the workspace level instead.
    pull(
        &mut h,
        &format!("Roll back {PILOT}…"),
        "drill: the flip failed",
    );
    run_to_end(&mut h, &clock);
    tab(&mut h, "Rehearsal");
    wait_label(&mut h, "Drill 4 over: Passed — right level");
    let score = &drill_entries(dir.path())[0]["score"];
    assert_eq!(score["failed_levers"], 1, "{score:#}");
    assert_eq!(score["chosen"], "workspace", "{score:#}");
}

#[test]
fn drill_5_the_database_goes_down_mid_incident_and_the_kill_switch_through_vercel_closes_it() {
    let (dir, clock, mut h) = drill_started(5);
    read_until(&mut h, &clock, chrono::Duration::minutes(5), 30, |s, _| {
        !s.alarms.is_empty()
    });
    assert!(has_label_starting(&h, "DB ok"), "{:#?}", labels(&h));
    // Half a minute after the first sign the database stops answering.
    clock.advance(chrono::Duration::minutes(1));
    refresh(&mut h);
    assert!(
        has_label_starting(&h, "DB error"),
        "the top bar says the database is down: {:#?}",
        labels(&h)
    );
    assert!(
        h.state()
            .snapshot()
            .demo_faults
            .as_ref()
            .is_some_and(|f| f.database_down && f.repeated_attempts),
        "{:?}",
        h.state().snapshot().demo_faults
    );
    // The workspace level needs the database: the Levers tab does not
    // offer it, and says why.
    tab(&mut h, "Levers");
    let button = format!("Roll back {PILOT}…");
    assert!(
        h.get_by_role_and_label(Role::Button, &button)
            .accesskit_node()
            .is_disabled(),
        "no workspace lever without its database"
    );
    assert!(
        has_label(&h, rollout_panel::demo::DOWN_MESSAGE),
        "{:#?}",
        labels(&h)
    );
    tab(&mut h, "Rehearsal");
    assert!(has_label(&h, "Drill 5 running"), "{:#?}", labels(&h));
    // The revision kill switch goes through Vercel, which still answers.
    pull(
        &mut h,
        "Kill switch ON (fast rollback)…",
        "drill: loops everywhere, database down",
    );
    run_to_end(&mut h, &clock);
    tab(&mut h, "Rehearsal");
    wait_label(&mut h, "Drill 5 over: Passed — right level");
    let score = &drill_entries(dir.path())[0]["score"];
    assert_eq!(score["judgement"], "right", "{score:#}");
    assert_eq!(score["chosen"], "revision-kill-switch", "{score:#}");
    assert_eq!(
        score["failed_levers"], 0,
        "a refused plan changed nothing: {score:#}"
    );
    // Its end brings the database back.
    refresh(&mut h);
    assert!(
        has_label_starting(&h, "DB ok"),
        "the database is back: {:#?}",
        labels(&h)
    );
}

fn has_label_starting(h: &Window, prefix: &str) -> bool {
    labels(h).iter().any(|l| l.starts_with(prefix))
}

#[test]
fn drill_7_any_rollback_in_the_harmless_minute_is_unnecessary() {
    let (dir, clock, mut h) = drill_started(7);
    // The noisy minute comes and goes; the verdict never calls it harm.
    for _ in 0..3 {
        clock.advance(chrono::Duration::minutes(2));
        refresh(&mut h);
        assert!(
            !harm(h.state().snapshot(), clock.now()),
            "a noisy minute is not harm"
        );
    }
    pull(
        &mut h,
        &format!("Roll back {PILOT}…"),
        "drill: that burst looked bad",
    );
    run_to_end(&mut h, &clock);
    tab(&mut h, "Rehearsal");
    assert!(
        has_label(&h, "Drill 7 running"),
        "a rollback does not end it"
    );
    // Its 30 minutes pass.
    clock.advance(chrono::Duration::minutes(31));
    refresh(&mut h);
    wait_label(&mut h, "Drill 7 over: Not passed — unnecessary rollback");
    let score = &drill_entries(dir.path())[0]["score"];
    assert_eq!(score["unnecessary"], 1, "{score:#}");
}

#[test]
fn a_drill_refuses_a_production_profile_and_writes_nothing_there() {
    use rollout_panel::worker::protocol::DrillAsk;
    use rollout_panel::worker::{Event, Request, WorkerHandle};
    common::require_secret_service();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(async {
        let db = common::TestDb::create().await;
        db.apply(&[
            common::PG_V0,
            common::PG_V1,
            common::PG_V2,
            common::DATA_BASE,
        ])
        .await;
        let _ = common::shared_audit(&db).await;
        db
    });
    let dir = common::temp_dir();
    let config = common::db_only_profile(
        "drill",
        &db.url,
        rollout_panel::core::profile::Profile::default(),
        AuditLog::path_in(dir.path()),
    );
    let mut w = WorkerHandle::spawn(config, || {});
    assert!(w.wait_idle(DEADLINE));
    w.send(Request::Drill(DrillAsk::Start {
        number: 1,
        within: chrono::Duration::minutes(1),
        pick: Some(0),
    }));
    assert!(w.wait_idle(DEADLINE));
    let mut answer = None;
    while let Ok(Some(e)) = w.try_recv() {
        if let Event::DrillAnswer(a) = e {
            answer = Some(a);
        }
    }
    let refused = answer.expect("an answer").expect_err("refused");
    assert!(refused.contains("demo profile only"), "{refused}");
    drop(w);
    let rows: i64 = rt.block_on(async {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let (n,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM rollout_panel.audit_entry WHERE lever = 'drill'")
                .fetch_one(&pool)
                .await
                .unwrap();
        n
    });
    assert_eq!(rows, 0);
    // The command line refuses it as well, before opening anything.
    let o = common::panel_env(
        dir.path(),
        &["drill", "run", "1", "--profile", "production"],
        "",
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("demo profile only"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn at_speed_4_every_time_the_window_shows_is_the_demo_worlds_and_production_keeps_the_wall_clock() {
    use rollout_panel::adapters::config::ConfigStore;
    use rollout_panel::adapters::secrets::Keyring;
    use rollout_panel::gui::app::Launcher;
    use rollout_panel::ops::profiles::ProfileManager;
    use rollout_panel::ops::session::Target;
    use std::sync::Arc;
    keyring_core::set_default_store(keyring_core::mock::Store::new().expect("mock store"));
    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let paths = rollout_panel::platform::paths::Paths::resolve(Some(dir.path())).expect("paths");
    let launcher = Launcher {
        paths,
        manager: ProfileManager {
            config: ConfigStore::new(&dir.path().join("config")),
            keyring: Keyring::default_store(),
        },
        clock: Arc::new(clock.clone()),
        read_timeout: DEADLINE,
        auto_refresh: false,
        refresh_override: None,
        demo_speed: 4.0,
    };
    // A production profile's worker runs on the wall clock, whatever the speed.
    let production = launcher.config_for(
        "production",
        Some(&rollout_panel::core::profile::Profile::default()),
    );
    assert!(matches!(production.target, Target::Profile { .. }));
    assert!(production.clock.demo().is_none());
    let config = launcher.config_for("demo", None);
    assert_eq!(config.clock.demo().and_then(|c| c.asked_speed()), Some(4.0));
    let mut h = egui_kittest::Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config, Some(launcher)));
    assert!(h.state().worker().wait_idle(DEADLINE), "first read");
    frames(&mut h);
    assert!(has_label(&h, "Demo clock ×4"), "{:#?}", labels(&h));
    let first = h.state().snapshot().made_at.expect("read");
    // Five wall seconds are twenty demo seconds, in the top bar's age…
    clock.advance(chrono::Duration::seconds(5));
    frames(&mut h);
    assert!(has_label(&h, "DB ok · 20 s ago"), "{:#?}", labels(&h));
    // …and in the next read's stamp.
    refresh(&mut h);
    assert_eq!(
        h.state().snapshot().made_at,
        Some(first + chrono::Duration::seconds(20))
    );
}
