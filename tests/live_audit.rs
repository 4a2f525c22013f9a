//! Live shared state between two panels on one real Postgres (issue 18, the
//! first part): A's audit rows reach B through LISTEN/NOTIFY without
//! polling, a killed listener connection comes back and catches up from the
//! table, and a lever on a target another panel's lever is still running on
//! is found (and refused unless it is a rollback).

mod common;

use common::{DATA_BASE, PG_V0, PG_V1, PG_V2, TestDb, ts};
use rollout_panel::adapters::audit::live::LiveFeed;
use rollout_panel::adapters::audit::{AuditLog, EntryStatus, Intent, SharedAudit};
use serde_json::json;
use std::time::{Duration, Instant};

/// Two panels' audit logs (their own local files) sharing one table.
async fn two_panels(db: &TestDb) -> (AuditLog, AuditLog, SharedAudit, tempfile::TempDir) {
    let shared = common::shared_audit(db).await;
    let dir = common::temp_dir();
    let a = common::panel_log(dir.path(), &shared, "alice@host-a").await;
    let b = common::panel_log(dir.path(), &shared, "bob@host-b").await;
    (a, b, shared, dir)
}

fn canary_intent(reason: &str) -> Intent<'_> {
    Intent {
        profile: "production",
        lever: "canary-enable",
        reason,
        summary: "toggle of Alpha: OFF -> ON",
        detail: json!({"plan": {"workspace": "c-alpha"}}),
    }
}

#[tokio::test]
async fn a_lever_in_one_panel_reaches_the_other_within_2_s_and_a_lost_listener_catches_up() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let (a, _b, shared, _dir) = two_panels(&db).await;
    let mut feed = LiveFeed::start(&shared).await.expect("listen");

    // A's intent, step and result arrive in B, in order, without polling.
    let started = Instant::now();
    let action = a
        .intent(ts("2026-03-01 10:00:00"), &canary_intent("canary"))
        .await
        .expect("intent");
    let got = feed.next(Duration::from_secs(2)).await.expect("next");
    let latency = started.elapsed();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].action_id, action);
    assert!(latency < Duration::from_secs(2), "{latency:?}");
    println!("A-to-B latency (intent written to B reading it): {latency:?}");
    a.result(
        &action,
        ts("2026-03-01 10:00:05"),
        EntryStatus::Ok,
        "done and verified",
        &json!({}),
    )
    .await
    .expect("result");
    let got = feed.next(Duration::from_secs(2)).await.expect("next");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].summary, "done and verified");

    // Nothing new: the wait ends empty.
    assert!(
        feed.next(Duration::from_millis(200))
            .await
            .expect("next")
            .is_empty()
    );

    // B's listening connection is killed; A writes meanwhile; B comes back
    // and reads what it missed from the table.
    let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
    let (killed,): (i64,) = sqlx::query_as(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND datname = current_database()",
    )
    .fetch_one(&pool)
    .await
    .expect("kill");
    assert_eq!(killed, 1, "the listener's connection");
    let missed = a
        .intent(
            ts("2026-03-01 10:01:00"),
            &canary_intent("while B was away"),
        )
        .await
        .expect("intent");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    while Instant::now() < deadline
        && !seen
            .iter()
            .any(|e: &rollout_panel::adapters::audit::AuditEntry| e.action_id == missed)
    {
        seen.extend(feed.next(Duration::from_secs(1)).await.unwrap_or_default());
    }
    assert!(
        seen.iter()
            .any(|e| e.action_id == missed && e.reason == "while B was away"),
        "caught up: {seen:?}"
    );
    // And it listens again: a new row arrives as a notice.
    let again = a
        .intent(ts("2026-03-01 10:02:00"), &canary_intent("after"))
        .await
        .expect("intent");
    let started = Instant::now();
    let mut got = Vec::new();
    while started.elapsed() < Duration::from_secs(2) && got.is_empty() {
        got = feed.next(Duration::from_secs(2)).await.expect("next");
    }
    assert!(got.iter().any(|e| e.action_id == again), "{got:?}");
}

#[tokio::test]
async fn another_panels_running_lever_on_the_same_target_is_found_and_its_own_are_not() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let (a, b, _shared, _dir) = two_panels(&db).await;
    let now = ts("2026-03-01 10:05:00");
    let action = a
        .intent(ts("2026-03-01 10:00:00"), &canary_intent("A's canary"))
        .await
        .expect("intent");

    // B, on the same workspace (another lever naming it) or the same lever.
    let found = b
        .running_elsewhere("workspace-rollback", Some("c-alpha"), now)
        .await
        .expect("read")
        .expect("A's lever is running");
    assert_eq!(found.action_id, action);
    assert_eq!(found.operator, "alice@host-a");
    assert_eq!(found.trust, rollout_panel::core::trust::Trust::Verified);
    assert!(
        b.running_elsewhere("canary-enable", None, now)
            .await
            .expect("read")
            .is_some()
    );
    // Another target: nothing.
    assert!(
        b.running_elsewhere("workspace-rollback", Some("c-beta"), now)
            .await
            .expect("read")
            .is_none()
    );
    // A's own panel does not count its own intent as someone else's.
    assert!(
        a.running_elsewhere("canary-enable", Some("c-alpha"), now)
            .await
            .expect("read")
            .is_none()
    );
    // Too old to be running (interrupted: the Levers tab's "unfinished").
    assert!(
        b.running_elsewhere("canary-enable", Some("c-alpha"), ts("2026-03-01 10:30:00"))
            .await
            .expect("read")
            .is_none()
    );
    // An approval request naming Beta, caught between its intent and its
    // result: not a lever, so never "running" (no refusal, no top bar).
    a.intent(
        ts("2026-03-01 10:01:00"),
        &Intent {
            profile: "production",
            lever: "approval-request",
            reason: "asked",
            summary: "approval asked: Expand revision to 1 workspace(s): Beta",
            detail: json!({"plan": {"targets": ["c-beta"]}}),
        },
    )
    .await
    .expect("request intent");
    assert!(
        b.running_elsewhere("workspace-rollback", Some("c-beta"), now)
            .await
            .expect("read")
            .is_none()
    );
    // What B's top bar names (from B's merged audit list).
    let rows = b.list("production", 200).await.expect("list");
    let running = rollout_panel::adapters::audit::live::running_elsewhere(&rows, now);
    assert_eq!(running.len(), 1, "{running:?}");
    assert_eq!(running[0].action_id, action);
    let rows_a = a.list("production", 200).await.expect("list");
    assert!(
        rollout_panel::adapters::audit::live::running_elsewhere(&rows_a, now).is_empty(),
        "A's own lever is not someone else's"
    );
    // Finished: no longer running.
    a.result(
        &action,
        ts("2026-03-01 10:06:00"),
        EntryStatus::Ok,
        "done",
        &json!({}),
    )
    .await
    .expect("result");
    assert!(
        b.running_elsewhere("canary-enable", Some("c-alpha"), now)
            .await
            .expect("read")
            .is_none()
    );
    let rows = b.list("production", 200).await.expect("list");
    assert!(rollout_panel::adapters::audit::live::running_elsewhere(&rows, now).is_empty());
}

/// Two panels' workers on one Postgres, B never polling: A's lever shows in
/// B's snapshot (what its top bar and Audit tab draw) through the notice
/// alone, within 2 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lever_in_panel_a_shows_in_panel_bs_window_without_polling() {
    use rollout_panel::core::profile::Profile;
    use rollout_panel::worker::{Event, Request, WorkerHandle};
    common::require_secret_service();
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let (a, _b, _shared, dir) = two_panels(&db).await;
    // B never polls: only a notice can wake it. Vercel is not needed here.
    let config = common::db_only_profile(
        "live",
        &db.url,
        Profile::new("zrg"),
        dir.path().join("panel-b.sqlite"),
    );
    let config_name = config.target.profile_name().to_owned();
    let mut worker = WorkerHandle::spawn(config, || {});
    worker.send(Request::Refresh);
    assert!(worker.wait_idle(Duration::from_secs(60)), "first read");
    // Give the listener a moment to be in place after the first read.
    tokio::time::sleep(Duration::from_millis(500)).await;
    while worker.try_recv().expect("alive").is_some() {}

    let written = Instant::now();
    let intent = Intent {
        profile: &config_name,
        lever: "revision-kill-switch",
        reason: "spike",
        summary: "revision kill switch ON",
        detail: json!({}),
    };
    let action = a
        .intent(chrono::Utc::now().naive_utc(), &intent)
        .await
        .expect("intent");
    let mut seen = None;
    while written.elapsed() < Duration::from_secs(5) && seen.is_none() {
        while let Some(e) = worker.try_recv().expect("alive") {
            if let Event::Snapshot(s) = e
                && s.running_elsewhere.iter().any(|r| r.action_id == action)
            {
                seen = Some(written.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let latency = seen.expect("A's lever reached B's window");
    println!("A-to-B latency (A's intent written to B's snapshot naming it): {latency:?}");
    assert!(latency < Duration::from_secs(2), "{latency:?}");
    let _ = rollout_panel::adapters::secrets::Keyring::native().delete(
        config_name.as_str(),
        rollout_panel::core::secret::SecretKey::DatabaseUrl,
    );
}

#[tokio::test]
async fn a_flood_of_notices_costs_a_few_reads_and_a_real_row_still_arrives() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let (a, _b, shared, _dir) = two_panels(&db).await;
    let mut feed = LiveFeed::start(&shared).await.expect("listen");
    // Any role can NOTIFY the channel: 20 000 notices in one query.
    let pool = db.pool().await;
    sqlx::query(
        "SELECT pg_notify('rollout_panel_audit', g::text) FROM generate_series(1, 20000) g",
    )
    .execute(&pool)
    .await
    .expect("flood");
    let action = a
        .intent(ts("2026-03-01 10:00:00"), &canary_intent("after the flood"))
        .await
        .expect("intent");
    let started = Instant::now();
    let mut calls = 0;
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_secs(10)
        && !seen
            .iter()
            .any(|e: &rollout_panel::adapters::audit::AuditEntry| e.action_id == action)
    {
        calls += 1;
        seen.extend(feed.next(Duration::from_secs(1)).await.expect("next"));
    }
    assert!(
        seen.iter().any(|e| e.action_id == action),
        "the real row arrived"
    );
    // Then the feed is idle, not reading once per buffered notice.
    let idle = Instant::now();
    while idle.elapsed() < Duration::from_millis(1500) {
        calls += 1;
        feed.next(Duration::from_millis(200)).await.expect("next");
    }
    let took = started.elapsed();
    // Each read is at least FEED_EVERY after the last one: 20 000 notices
    // are a handful of reads, not 20 000.
    let bound = took.as_millis() as u64
        / rollout_panel::adapters::audit::live::FEED_EVERY.as_millis() as u64
        + 2;
    assert!(
        feed.reads() <= bound,
        "{} reads in {took:?} ({calls} calls)",
        feed.reads()
    );
    eprintln!(
        "20 000 notices + 1 row: {} reads, {calls} calls, {took:?}",
        feed.reads()
    );
}
