//! The worker thread on its own: first read, errors as data, and requests
//! answered in order.

mod common;

use common::ts;
use rollout_panel::adapters::clock::ManualClock;
use rollout_panel::demo::DemoStage;
use rollout_panel::worker::{Event, Request, Snapshot, Target, WorkerConfig, WorkerHandle};
use std::sync::Arc;
use std::time::Duration;

fn config(db_path: std::path::PathBuf, clock: &ManualClock) -> WorkerConfig {
    WorkerConfig {
        target: Target::Demo {
            db_path,
            stage: DemoStage::Canary,
            seed: 3,
        },
        clock: Arc::new(clock.clone()),
        auto_refresh: None,
        read_timeout: Duration::from_secs(60),
        audit_path: None,
        waits: rollout_panel::ops::levers::Waits {
            poll_every: Duration::from_millis(50),
            deadline: Duration::from_secs(120),
        },
    }
}

fn last_snapshot(w: &WorkerHandle) -> Arc<Snapshot> {
    let mut last = None;
    while let Some(e) = w.try_recv().expect("worker alive") {
        if let Event::Snapshot(s) = e {
            last = Some(s);
        }
    }
    last.expect("a snapshot")
}

#[test]
fn an_unusable_data_dir_is_reported_as_an_error_not_a_crash() {
    let dir = common::temp_dir();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"a file where a directory should be").unwrap();
    let clock = ManualClock::new(ts("2026-03-02 15:00:00"));
    let w = WorkerHandle::spawn(config(blocker.join("demo.sqlite"), &clock), || {});
    assert!(w.wait_idle(Duration::from_secs(60)));
    let s = last_snapshot(&w);
    let err = s.db.error.as_deref().expect("an error");
    assert!(err.contains("not-a-dir"), "{err}");
    assert!(s.db.last_ok.is_none());
    assert!(s.workspaces.is_empty());
}

#[test]
fn each_refresh_reads_again_and_the_first_read_has_everything() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(ts("2026-03-02 15:00:00"));
    let mut w = WorkerHandle::spawn(config(dir.path().join("demo.sqlite"), &clock), || {});
    assert!(w.wait_idle(Duration::from_secs(120)));
    let first = last_snapshot(&w);
    assert_eq!(first.profile, "demo");
    assert_eq!(first.db.error, None);
    assert_eq!(first.db.last_ok, Some(ts("2026-03-02 15:00:00")));
    assert_eq!(first.workspaces.len(), 4);
    assert!(
        first
            .server_version
            .as_deref()
            .unwrap()
            .starts_with("SQLite")
    );
    assert!(first.revision_flag.is_some() && first.auto_send_flag.is_some());
    let watermark = first.series.watermark().expect("claims were read");

    clock.advance(chrono::Duration::minutes(3));
    w.send(Request::Refresh);
    assert!(w.wait_idle(Duration::from_secs(60)));
    let second = last_snapshot(&w);
    assert_eq!(second.db.last_ok, Some(ts("2026-03-02 15:03:00")));
    assert!(second.series.watermark().unwrap() > watermark);
}

#[test]
fn a_demo_reset_by_another_process_is_picked_up_on_the_next_read() {
    let dir = common::temp_dir();
    let path = dir.path().join("demo.sqlite");
    let clock = ManualClock::new(ts("2026-03-02 15:00:00"));
    let mut w = WorkerHandle::spawn(config(path.clone(), &clock), || {});
    assert!(w.wait_idle(Duration::from_secs(120)));
    let canary = last_snapshot(&w);
    assert_eq!(canary.enabled_workspaces().count(), 1);

    // `rollout-panel demo --reset --stage dark` from a terminal.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fresh = rollout_panel::demo::DemoWorld::create(
            &path,
            ts("2026-03-02 15:00:00"),
            DemoStage::Dark,
            5,
        )
        .await
        .unwrap();
        fresh.close().await;
    });

    w.send(Request::Refresh);
    assert!(w.wait_idle(Duration::from_secs(120)));
    let dark = last_snapshot(&w);
    assert_eq!(dark.db.error, None);
    assert_eq!(
        dark.enabled_workspaces().count(),
        0,
        "still reading the old file"
    );
    assert_eq!(dark.stage, Some(rollout_panel::core::runbook::Stage::Dark));
}

#[test]
fn a_confirmed_plan_is_not_run_when_the_state_moved_since_the_dialog() {
    use rollout_panel::core::env::AUTO_SEND_REVISION_DISABLED;
    use rollout_panel::core::lever::{LeverKind, LeverRequest, Parts, plan_from_parts};
    use rollout_panel::worker::LeverRun;
    let dir = common::temp_dir();
    let clock = ManualClock::new(ts("2026-03-02 15:00:00"));
    let mut cfg = config(dir.path().join("demo.sqlite"), &clock);
    cfg.audit_path = Some(dir.path().join("audit.sqlite"));
    let mut w = WorkerHandle::spawn(cfg, || {});
    assert!(w.wait_idle(Duration::from_secs(60)));
    let s = last_snapshot(&w);
    // The dialog's plan: the kill switch from "0" to "1".
    let plan = plan_from_parts(
        &LeverRequest {
            kind: LeverKind::RevisionKillSwitch,
            on: true,
            workspace: None,
        },
        Parts {
            env: s.env_snapshot.as_ref(),
            ..Parts::default()
        },
    )
    .expect("plan");
    // Meanwhile someone sets it by hand.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let world = rt
        .block_on(rollout_panel::demo::DemoWorld::open(
            &dir.path().join("demo.sqlite"),
        ))
        .expect("world");
    let later = ts("2026-03-02 15:00:30");
    rt.block_on(world.set_env(AUTO_SEND_REVISION_DISABLED, Some("1"), later))
        .expect("set by hand");
    let deployments_before = rt
        .block_on(
            sqlx::query_as::<_, (i64,)>(r#"SELECT count(*) FROM "_demo_deployment""#)
                .fetch_one(world.pool()),
        )
        .expect("count")
        .0;
    w.send(Request::RunLever(Box::new(LeverRun {
        run: 7,
        plan,
        reason: "rehearsal".to_owned(),
        finishes: None,
    })));
    assert!(w.wait_levers(Duration::from_secs(60)));
    let mut ended = None;
    while let Some(e) = w.try_recv().expect("worker alive") {
        if let Event::LeverDone { run: 7, result } = e {
            ended = Some(result);
        }
    }
    let err = ended.expect("the run ended").expect_err("refused");
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(err.contains("moved since the plan was shown"), "{err}");
    // Nothing was written or redeployed.
    let deployments_after = rt
        .block_on(
            sqlx::query_as::<_, (i64,)>(r#"SELECT count(*) FROM "_demo_deployment""#)
                .fetch_one(world.pool()),
        )
        .expect("count")
        .0;
    assert_eq!(deployments_after, deployments_before);
    rt.block_on(world.close());
}
