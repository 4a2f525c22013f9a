//! The rehearsal world: seeded history, the app's gates, env changes that only
//! apply after a redeploy, failed redeploys, and reopening a world.
//! Time is driven explicitly; nothing here sleeps.

mod common;

use chrono::Duration;
use common::ts;
use rollout_panel::adapters::store::Store;
use rollout_panel::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, Live, ReadyState};
use rollout_panel::core::runbook::Stage;
use rollout_panel::core::time::UtcNaive;
use rollout_panel::demo::{DemoStage, DemoWorld, Faults, SEED_WORKSPACES, Simulator};

const T0: &str = "2026-03-02 15:00:00";
const SEED: u64 = 7;

async fn world(stage: DemoStage) -> (tempfile::TempDir, DemoWorld) {
    let dir = common::temp_dir();
    let w = DemoWorld::create(&dir.path().join("demo.sqlite"), ts(T0), stage, SEED)
        .await
        .expect("seed world");
    (dir, w)
}

/// Claims stamped in `(from, to]`, per workspace name.
async fn claims_between(w: &DemoWorld, from: UtcNaive, to: UtcNaive) -> Vec<(String, i64)> {
    sqlx::query_as(
        r#"SELECT c."name", count(*) FROM "AIDraft" d
           JOIN "Lead" l ON l."id" = d."leadId" JOIN "Client" c ON c."id" = l."clientId"
           WHERE d."autoSendRevisionAttemptedAt" > ? AND d."autoSendRevisionAttemptedAt" <= ?
           GROUP BY c."name" ORDER BY c."name""#,
    )
    .bind(from)
    .bind(to)
    .fetch_all(w.pool())
    .await
    .unwrap()
}

async fn drafts_between(w: &DemoWorld, from: UtcNaive, to: UtcNaive, evaluated: bool) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        r#"SELECT count(*) FROM "AIDraft" WHERE "createdAt" > ? AND "createdAt" <= ?
           AND ("autoSendEvaluatedAt" IS NOT NULL) = ?"#,
    )
    .bind(from)
    .bind(to)
    .bind(evaluated)
    .fetch_one(w.pool())
    .await
    .unwrap();
    n
}

async fn stage_of(w: &DemoWorld) -> Stage {
    let env = w.env_snapshot().await.unwrap();
    let ws = w.store().await.unwrap().workspaces().await.unwrap();
    let enabled = ws.iter().filter(|w| w.toggle.is_on()).count();
    Stage::derive(
        &env.flag(AUTO_SEND_REVISION_DISABLED),
        &env.flag(AUTO_SEND_DISABLED),
        enabled,
    )
}

#[tokio::test]
async fn a_dark_world_has_a_day_of_traffic_and_no_revision_at_all() {
    let (_dir, w) = world(DemoStage::Dark).await;
    let t0 = ts(T0);
    assert_eq!(stage_of(&w).await, Stage::Dark);
    let evaluated = drafts_between(&w, t0 - Duration::hours(24), t0, true).await;
    assert!(
        evaluated > 1000,
        "a day of traffic, got {evaluated} evaluated drafts"
    );
    assert!(
        claims_between(&w, t0 - Duration::days(30), t0)
            .await
            .is_empty()
    );
    let store = w.store().await.unwrap();
    assert_eq!(store.schema().variant.label(), "V2+");
    let ws = store.workspaces().await.unwrap();
    assert_eq!(ws.len(), SEED_WORKSPACES.len());
    assert!(ws.iter().all(|w| !w.toggle.is_on()));
}

#[tokio::test]
async fn a_canary_world_revises_only_the_canary_and_only_after_it_was_enabled() {
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    assert_eq!(stage_of(&w).await, Stage::Canary);
    let enabled_at: UtcNaive = w.meta("canary_started_at").await.unwrap().unwrap();
    assert_eq!(enabled_at, t0 - Duration::minutes(40));
    assert!(
        claims_between(&w, t0 - Duration::days(2), enabled_at)
            .await
            .is_empty()
    );
    let claims = claims_between(&w, enabled_at, t0).await;
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0].0, SEED_WORKSPACES[0].name);
    assert!(claims[0].1 > 10, "{claims:?}");

    // The store's admin numbers agree with a direct count.
    let store = w.store().await.unwrap();
    let counts = store
        .revision_counts(t0 - Duration::hours(72))
        .await
        .unwrap();
    let total: u64 = counts.values().map(|c| c.attempted).sum();
    assert_eq!(total as i64, claims[0].1);
    assert!(counts.values().all(|c| c.applied <= c.attempted));
}

#[tokio::test]
async fn a_kill_switch_flip_takes_effect_only_once_the_redeploy_is_ready() {
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let mut sim = Simulator::new(SEED);

    w.set_env(AUTO_SEND_REVISION_DISABLED, Some("1"), t0)
        .await
        .unwrap();
    let flag = w
        .env_snapshot()
        .await
        .unwrap()
        .flag(AUTO_SEND_REVISION_DISABLED);
    assert!(flag.configured_on);
    assert_eq!(flag.live, Live::Known(false));
    assert_eq!(stage_of(&w).await, Stage::AwaitingRedeploy);

    let t1 = t0 + Duration::minutes(5);
    sim.advance_to(&w, t1).await.unwrap();
    assert!(
        !claims_between(&w, t0, t1).await.is_empty(),
        "configured is not live"
    );

    w.redeploy(t1).await.unwrap();
    sim.advance_to(&w, t1 + Duration::seconds(3)).await.unwrap();
    let latest = w.env_snapshot().await.unwrap().latest.unwrap();
    assert_eq!(latest.state, ReadyState::Building);
    let t2 = t1 + Duration::seconds(10);
    sim.advance_to(&w, t2).await.unwrap();
    let env = w.env_snapshot().await.unwrap();
    assert_eq!(env.latest.as_ref().unwrap().state, ReadyState::Ready);
    assert_eq!(
        env.flag(AUTO_SEND_REVISION_DISABLED).live,
        Live::Known(true)
    );
    assert_eq!(stage_of(&w).await, Stage::HeldByKillSwitch);

    let t3 = t2 + Duration::minutes(15);
    sim.advance_to(&w, t3).await.unwrap();
    assert!(
        claims_between(&w, t2, t3).await.is_empty(),
        "kill switch is live"
    );
    assert!(
        drafts_between(&w, t2, t3, true).await > 0,
        "drafts are still evaluated"
    );
}

#[tokio::test]
async fn a_canceled_redeploy_leaves_the_old_env_live() {
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let mut sim = Simulator::new(SEED);
    w.set_faults(&Faults {
        cancel_next_redeploy: true,
        ..Faults::default()
    })
    .await
    .unwrap();
    w.set_env(AUTO_SEND_REVISION_DISABLED, Some("1"), t0)
        .await
        .unwrap();
    w.redeploy(t0).await.unwrap();
    assert!(
        !w.faults().await.unwrap().cancel_next_redeploy,
        "the fault is consumed"
    );

    let t1 = t0 + Duration::seconds(20);
    sim.advance_to(&w, t1).await.unwrap();
    let env = w.env_snapshot().await.unwrap();
    assert_eq!(env.latest.as_ref().unwrap().state, ReadyState::Canceled);
    assert_ne!(
        env.serving.as_ref().unwrap().id,
        env.latest.as_ref().unwrap().id
    );
    let flag = env.flag(AUTO_SEND_REVISION_DISABLED);
    assert!(flag.configured_on && flag.live == Live::Known(false) && !flag.is_settled());

    let t2 = t1 + Duration::minutes(10);
    sim.advance_to(&w, t2).await.unwrap();
    assert!(
        !claims_between(&w, t1, t2).await.is_empty(),
        "revision still runs"
    );
}

#[tokio::test]
async fn all_auto_send_off_stops_evaluation_without_any_decision_write() {
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let mut sim = Simulator::new(SEED);
    w.set_env(AUTO_SEND_DISABLED, Some("1"), t0).await.unwrap();
    w.redeploy(t0).await.unwrap();
    let t1 = t0 + Duration::seconds(10);
    sim.advance_to(&w, t1).await.unwrap();
    assert_eq!(stage_of(&w).await, Stage::AutoSendOff);
    let t2 = t1 + Duration::minutes(10);
    sim.advance_to(&w, t2).await.unwrap();
    assert!(
        drafts_between(&w, t1, t2, false).await > 0,
        "drafts still arrive"
    );
    assert_eq!(
        drafts_between(&w, t1, t2, true).await,
        0,
        "none is evaluated"
    );
    assert!(claims_between(&w, t1, t2).await.is_empty());
}

#[tokio::test]
async fn a_world_reopened_later_catches_up_without_repeating_itself() {
    let dir = common::temp_dir();
    let path = dir.path().join("demo.sqlite");
    let t0 = ts(T0);
    let w = DemoWorld::create(&path, t0, DemoStage::Canary, SEED)
        .await
        .unwrap();
    Simulator::new(SEED)
        .advance_to(&w, t0 + Duration::seconds(30))
        .await
        .unwrap();
    w.close().await;

    // A new process: same seed, a new simulator, the world as left on disk.
    let w = DemoWorld::open(&path).await.unwrap();
    let t1 = t0 + Duration::minutes(20);
    let summary = Simulator::new(SEED).advance_to(&w, t1).await.unwrap();
    assert!(summary.drafts > 20, "{summary:?}");
    assert!(!claims_between(&w, t0, t1).await.is_empty());
    // Nothing happens twice for the same instant.
    let again = Simulator::new(SEED).advance_to(&w, t1).await.unwrap();
    assert_eq!(again.drafts, 0);
}

#[tokio::test]
async fn the_same_seed_and_clock_give_the_same_world() {
    let (_a_dir, a) = world(DemoStage::Canary).await;
    let (_b_dir, b) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let from = t0 - Duration::days(2);
    assert_eq!(
        claims_between(&a, from, t0).await,
        claims_between(&b, from, t0).await
    );
    assert_eq!(
        drafts_between(&a, from, t0, true).await,
        drafts_between(&b, from, t0, true).await
    );
}

#[tokio::test]
async fn opening_a_file_that_is_not_a_demo_world_says_so() {
    let dir = common::temp_dir();
    let path = dir.path().join("other.sqlite");
    std::fs::write(&path, b"this is not a database").unwrap();
    let err = DemoWorld::open(&path).await.expect_err("not a database");
    let text = err.to_string();
    assert!(text.starts_with("demo database "), "{text}");
    assert!(
        text.contains("other.sqlite") && text.contains("not a database"),
        "{text}"
    );
}

#[tokio::test]
async fn the_demo_as_an_env_source_writes_compare_and_set_and_promotes_an_older_build() {
    use rollout_panel::adapters::env::{EnvSource, EnvWrite, Expected};
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let env = w.read(t0).await.expect("read");
    let before = env.configured.get(AUTO_SEND_REVISION_DISABLED).cloned();
    let old_build = env.serving.clone().expect("something serves").id;
    // A write against a record that changed since it was read is refused.
    let stale = Expected {
        value: Some("something else"),
        updated_at: before.as_ref().map(|v| v.updated_at),
    };
    let refused = w
        .write_checked(AUTO_SEND_REVISION_DISABLED, stale, "1", t0)
        .await
        .expect("answered");
    assert!(matches!(refused, EnvWrite::Conflict { .. }), "{refused:?}");
    assert_eq!(
        w.read(t0)
            .await
            .expect("read")
            .configured
            .get(AUTO_SEND_REVISION_DISABLED),
        before.as_ref(),
        "nothing was written"
    );
    // The record as read: written and read back.
    let seen = Expected {
        value: before.as_ref().and_then(|v| v.value.as_deref()),
        updated_at: before.as_ref().map(|v| v.updated_at),
    };
    let t1 = t0 + Duration::seconds(10);
    let written = w
        .write_checked(AUTO_SEND_REVISION_DISABLED, seen, "1", t1)
        .await
        .expect("written");
    assert_eq!(written, EnvWrite::Written);
    // Redeploy: the new build serves "1" once READY.
    let new_build = EnvSource::redeploy(&w, t1).await.expect("redeploy");
    let t2 = t1 + Duration::seconds(30);
    assert_eq!(
        w.deployment_state(&new_build, t2).await.expect("state"),
        ReadyState::Ready
    );
    let now = w.read(t2).await.expect("read");
    assert_eq!(
        now.serving.as_ref().map(|d| d.id.as_str()),
        Some(new_build.as_str())
    );
    assert_eq!(
        now.flag(AUTO_SEND_REVISION_DISABLED).live,
        Live::Known(true)
    );
    // Promoting the older build brings back its env: the flip is silently
    // undone, and "live" says so (configured "1", live OFF).
    let t3 = t2 + Duration::seconds(10);
    EnvSource::promote(&w, &old_build, t3)
        .await
        .expect("promote");
    let after = w.read(t3).await.expect("read");
    assert_eq!(
        after.serving.as_ref().map(|d| d.id.as_str()),
        Some(old_build.as_str())
    );
    let flag = after.flag(AUTO_SEND_REVISION_DISABLED);
    assert!(flag.configured_on);
    assert_eq!(flag.live, Live::Known(false));
    assert_eq!(
        w.serving(t3).await.expect("serving").map(|d| d.id),
        Some(old_build.clone())
    );
    // Only a READY deployment can be promoted.
    assert!(EnvSource::promote(&w, "dpl_nope", t3).await.is_err());
}

#[tokio::test]
async fn the_simulated_app_prints_its_revision_timeouts_to_the_runtime_log() {
    use rollout_panel::core::runtime_log::{Book, BookLimits, Kind, Read, parse_line};
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let mut sim = Simulator::new(SEED);
    w.set_faults(&Faults {
        timeouts: true,
        ..Faults::default()
    })
    .await
    .unwrap();
    let before = w.runtime_log_from(t0).await.unwrap();
    sim.advance_to(&w, t0 + Duration::minutes(30))
        .await
        .unwrap();
    let rows = w.runtime_log(before, 10_000).await.unwrap();
    assert!(!rows.is_empty(), "half the revisions time out: some lines");
    // Every line reads as the app's, and names a draft whose loop ended
    // without a revision.
    let now_ms = (t0 + Duration::minutes(31)).and_utc().timestamp_millis();
    let mut book = Book::new(BookLimits::default());
    book.heard("demo", now_ms);
    for (_, dep, line) in &rows {
        assert!(dep.starts_with("dpl_"), "{dep}");
        match book.line("demo", &parse_line(line), now_ms) {
            Read::Counted(f) => {
                assert_eq!(f.kind, Kind::DeadlineExceeded, "{line}");
                let draft = f.draft_id.expect("a draft id");
                let (action,): (Option<String>,) =
                    sqlx::query_as(r#"SELECT "autoSendAction" FROM "AIDraft" WHERE "id" = ?"#)
                        .bind(&draft)
                        .fetch_one(w.pool())
                        .await
                        .unwrap();
                assert_eq!(action.as_deref(), Some("needs_review"), "{draft}");
                assert!(f.workspace.is_some_and(|w| !w.is_empty()));
            }
            other => panic!("{other:?}: {line}"),
        }
    }
    assert_eq!(book.counted as usize, rows.len());
}

#[tokio::test]
async fn with_the_rolling_release_fault_a_new_build_serves_ten_percent_until_completed() {
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let mut sim = Simulator::new(SEED);
    let before = w.env_snapshot().await.unwrap().serving.unwrap().id;
    w.set_faults(&Faults {
        rolling_release: true,
        ..Faults::default()
    })
    .await
    .unwrap();
    w.set_env(AUTO_SEND_REVISION_DISABLED, Some("1"), t0)
        .await
        .unwrap();
    let id = w.redeploy(t0).await.unwrap();
    let t1 = t0 + Duration::seconds(10);
    sim.advance_to(&w, t1).await.unwrap();
    let env = w.env_snapshot().await.unwrap();
    let r = env.rolling.clone().expect("the build started a release");
    assert_eq!(
        (r.current.id.as_str(), r.canary.id.as_str(), r.canary_share),
        (
            before.as_str(),
            id.as_str(),
            Some(rollout_panel::demo::CANARY_SHARE)
        )
    );
    assert_eq!(
        env.serving.as_ref().map(|d| d.id.as_str()),
        Some(before.as_str())
    );
    assert_eq!(
        env.flag(AUTO_SEND_REVISION_DISABLED).live,
        Live::Partial { share: Some(10) },
        "configured ON · live on 10 %"
    );
    // The canary's share of jobs still revises: the switch is not live.
    let t2 = t1 + Duration::minutes(30);
    sim.advance_to(&w, t2).await.unwrap();
    assert!(
        !claims_between(&w, t1, t2).await.is_empty(),
        "90 % of jobs run the build without the switch"
    );
    // Completing it with another deployment's id is refused.
    assert!(w.complete_rolling(&before, t2).await.is_err());
    w.complete_rolling(&id, t2).await.unwrap();
    let env = w.env_snapshot().await.unwrap();
    assert_eq!(env.rolling, None);
    assert_eq!(
        env.serving.as_ref().map(|d| d.id.as_str()),
        Some(id.as_str())
    );
    assert_eq!(
        env.flag(AUTO_SEND_REVISION_DISABLED).live,
        Live::Known(true)
    );
    let t3 = t2 + Duration::minutes(15);
    sim.advance_to(&w, t3).await.unwrap();
    assert!(
        claims_between(&w, t2, t3).await.is_empty(),
        "live everywhere"
    );

    // Turning the fault off aborts an active release: back to the current.
    w.set_env(AUTO_SEND_REVISION_DISABLED, Some("0"), t3)
        .await
        .unwrap();
    let next = w.redeploy(t3).await.unwrap();
    sim.advance_to(&w, t3 + Duration::seconds(10))
        .await
        .unwrap();
    assert!(w.env_snapshot().await.unwrap().rolling.is_some());
    w.set_faults(&Faults::default()).await.unwrap();
    let env = w.env_snapshot().await.unwrap();
    assert_eq!(env.rolling, None);
    assert_eq!(
        env.serving.as_ref().map(|d| d.id.as_str()),
        Some(id.as_str())
    );
    assert_ne!(id, next);
}

#[tokio::test]
async fn with_the_log_limit_fault_the_stream_is_cut_and_the_reader_says_limited() {
    use rollout_panel::core::runtime_log::BookLimits;
    use rollout_panel::ops::runtime_logs::{demo_book, demo_read};
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let mut sim = Simulator::new(SEED);
    w.set_faults(&Faults {
        timeouts: true,
        log_limit: true,
        ..Faults::default()
    })
    .await
    .unwrap();
    let t1 = t0 + Duration::minutes(20);
    sim.advance_to(&w, t1).await.unwrap();
    // The rows since the fault (the seeded history before it has lines).
    let (mut book, _) = demo_book(&w, t1, BookLimits::default()).await.unwrap();
    let mut after = w.runtime_log_from(t0).await.unwrap();
    demo_read(&w, &mut book, &mut after, t1).await;
    let now_ms = t1.and_utc().timestamp_millis();
    let state = book.state(now_ms - 15 * 60_000, now_ms);
    assert_eq!(state.name(), "limited", "{state:?}");
    let reason = state.reason().unwrap_or_default();
    assert!(
        reason.contains(rollout_panel::demo::LOG_LIMIT_MESSAGE),
        "{reason}"
    );
    // The orchestrator's lines are dropped while cut: a zero, said limited.
    assert_eq!(book.counted, 0, "the cut stream carries none of them");
}

#[tokio::test]
async fn with_the_database_down_the_panel_cannot_read_or_write_it_the_app_stops_and_vercel_goes_on()
{
    use rollout_panel::adapters::store::StoreError;
    let (_dir, w) = world(DemoStage::Canary).await;
    let t0 = ts(T0);
    let mut sim = Simulator::new(SEED);
    let store = w.app_store().await.unwrap();
    let before = store.workspaces().await.expect("up: it reads");
    let pilot = before
        .iter()
        .find(|x| x.toggle.is_on())
        .expect("a canary")
        .clone();
    w.set_faults(&Faults {
        database_down: true,
        ..Faults::default()
    })
    .await
    .unwrap();

    // Every read and the toggle write fail as a database that went away does.
    let down = |e: StoreError| {
        assert!(matches!(e, StoreError::Connect(_)), "{e}");
        assert!(e.to_string().contains("database-down"), "{e}");
    };
    down(store.workspaces().await.unwrap_err());
    down(store.poll(t0, t0).await.unwrap_err());
    down(
        store
            .set_revision_toggle(&pilot.id, pilot.toggle, false, t0)
            .await
            .unwrap_err(),
    );
    // Vercel still answers: a kill switch is written and redeployed.
    w.set_env(AUTO_SEND_REVISION_DISABLED, Some("1"), t0)
        .await
        .unwrap();
    w.redeploy(t0).await.unwrap();
    let t1 = t0 + Duration::minutes(3);
    let from = w.runtime_log_from(t0).await.unwrap();
    sim.advance_to(&w, t1).await.unwrap();
    let env = w.env_snapshot().await.unwrap();
    assert_eq!(env.latest.as_ref().unwrap().state, ReadyState::Ready);
    assert_eq!(
        env.flag(AUTO_SEND_REVISION_DISABLED).live,
        Live::Known(true)
    );
    // The app wrote nothing while its database was down, and said so in its logs.
    assert_eq!(drafts_between(&w, t0, t1, true).await, 0);
    assert_eq!(drafts_between(&w, t0, t1, false).await, 0);
    let lines = w.runtime_log(from - 1, 100).await.unwrap();
    assert!(
        lines
            .iter()
            .any(|(_, _, l)| l.contains("Can't reach database server")),
        "{lines:#?}"
    );

    // Back up: the toggle was never written, and the app runs again.
    w.set_faults(&Faults::default()).await.unwrap();
    let after = store.workspaces().await.expect("up again");
    assert_eq!(after, before, "nothing was written while down");
    let t2 = t1 + Duration::minutes(10);
    sim.advance_to(&w, t2).await.unwrap();
    assert!(drafts_between(&w, t1, t2, true).await > 0);
}

/// A session on the demo world at `path` whose clock is the world's over
/// `base` (`speed`: set it; `None`: follow it).
fn demo_session(
    path: &std::path::Path,
    base: &rollout_panel::adapters::clock::ManualClock,
    speed: Option<f64>,
) -> rollout_panel::ops::session::Session {
    use rollout_panel::ops::session::{Session, SessionOptions, Target};
    let target = Target::Demo {
        db_path: path.to_owned(),
        stage: DemoStage::Canary,
        seed: SEED,
    };
    let clock = target.clock(std::sync::Arc::new(base.clone()), speed);
    Session::open(
        target,
        SessionOptions {
            clock,
            connect_timeout: std::time::Duration::from_secs(30),
            audit_path: None,
        },
    )
}

#[tokio::test]
async fn a_fast_demo_clock_is_the_worlds_every_process_reads_the_same_time_and_it_never_goes_back()
{
    use rollout_panel::adapters::clock::{Clock, ManualClock};
    let (dir, w) = world(DemoStage::Canary).await;
    let path = dir.path().join("demo.sqlite");
    let wall = ManualClock::new(ts(T0));
    // The window (or `drill run`) sets speed 4; a `lever` from a terminal follows.
    let mut fast = demo_session(&path, &wall, Some(4.0));
    assert_eq!(fast.now().await.unwrap(), ts(T0));
    let mut follower = demo_session(&path, &wall, None);
    wall.advance(Duration::minutes(15));
    let an_hour_on = ts(T0) + Duration::hours(1);
    assert_eq!(fast.now().await.unwrap(), an_hour_on);
    assert_eq!(follower.now().await.unwrap(), an_hour_on);
    assert_eq!(w.now(wall.now()).await.unwrap(), an_hour_on);
    // The world is played to the demo's time, not the wall clock's.
    fast.advance(an_hour_on, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert!(drafts_between(&w, ts(T0) + Duration::minutes(45), an_hour_on, true).await > 0);
    // Back to speed 1 (the drill ended): the clock goes on from an hour on,
    // ahead of the wall clock, and a follower that syncs reads the same.
    w.set_speed(wall.now(), 1.0).await.unwrap();
    wall.advance(Duration::minutes(1));
    follower.sync_clock().await.unwrap();
    fast.sync_clock().await.unwrap();
    let later = an_hour_on + Duration::minutes(1);
    assert_eq!(follower.now().await.unwrap(), later);
    assert_eq!(fast.now().await.unwrap(), later);
    // A new window at speed 1 goes on from there too: never back to the wall clock.
    let mut next = demo_session(&path, &wall, Some(1.0));
    assert_eq!(next.now().await.unwrap(), later);
}
