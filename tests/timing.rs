//! The app's timing and decisions against a real PostgreSQL (fixture
//! `data_timing.sql`, expectations in its header): the grace after a
//! toggle-off, skip decisions without a confidence, every draft named.

mod common;

use chrono::Duration;
use common::{DATA_BASE, PG_V0, PG_V1, PG_V2, TestDb};
use rollout_panel::adapters::store::{PgStore, Store};
use rollout_panel::core::alarms::{AlarmKind, DEFAULT_GRACE};
use rollout_panel::core::verdict::VerdictSettings;
use rollout_panel::ops::metrics::{Request, gather};

const DATA_TIMING: &str = include_str!("fixtures/data_timing.sql");

/// The metrics report of `store` at `now`, as `metrics --json` makes it.
async fn report(
    store: &PgStore,
    now: chrono::NaiveDateTime,
    window: Duration,
    grace: Duration,
) -> Result<rollout_panel::ops::metrics::MetricsReport, rollout_panel::ops::metrics::MetricsError> {
    gather(
        store,
        &Request {
            profile: "production",
            now,
            window,
            workspace: None,
            settings: VerdictSettings::default(),
            audit: &[],
            env: None,
            grace,
            vercel_logs: Some(rollout_panel::core::health::VercelLogs::new(
                Some("zrg"),
                "zrg-dashboard",
            )),
            logs: None,
        },
    )
    .await
}

async fn store() -> (TestDb, PgStore) {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_TIMING])
        .await;
    let store = PgStore::connect(&db.url).await.expect("connect");
    (db, store)
}

#[tokio::test]
async fn skip_decisions_without_a_confidence_count_as_recorded_and_the_others_are_named() {
    let (_db, store) = store().await;
    let since = common::ts("2026-02-21 09:00:00");
    let d = store.draft_facts(since, since).await.expect("facts");
    assert_eq!(d.evaluated_since_live, 7);
    assert_eq!(d.recorded_since_live, 5);
    assert_eq!(d.unrecorded_ids, vec!["e5", "e6"]);
    // The attempts from 10:10 on: t2 only.
    let d = store
        .draft_facts(since, common::ts("2026-02-21 10:10:00"))
        .await
        .expect("facts");
    assert_eq!(d.attempts_since_live, 1);
    assert_eq!(d.attempt_ids, vec!["t2"]);
    store.close().await;
}

#[tokio::test]
async fn an_attempt_5_minutes_after_a_toggle_off_raises_nothing_one_30_minutes_after_does() {
    let (_db, store) = store().await;
    let at = |grace| {
        report(
            &store,
            common::ts("2026-02-21 11:00:00"),
            Duration::hours(72),
            grace,
        )
    };
    let r = at(DEFAULT_GRACE).await.expect("report");
    let off: Vec<_> = r
        .alarms
        .iter()
        .filter(|a| a.kind == AlarmKind::AttemptWhileToggleOff)
        .collect();
    assert_eq!(off.len(), 1, "{:#?}", r.alarms);
    assert_eq!(off[0].workspace_ids, vec!["c-beta"]);
    assert_eq!(off[0].draft_ids, vec!["t2"], "t1 is within the grace");
    assert_eq!(off[0].draft_count, 1);
    assert_eq!(off[0].grace_minutes, Some(15));
    assert!(
        off[0].finding.contains("grace 15 min"),
        "{}",
        off[0].finding
    );
    // A profile that allows 40 minutes: nothing.
    let r = at(Duration::minutes(40)).await.expect("report");
    assert!(
        !r.alarms
            .iter()
            .any(|a| a.kind == AlarmKind::AttemptWhileToggleOff),
        "{:#?}",
        r.alarms
    );
    store.close().await;
}

#[tokio::test]
async fn a_bumped_updated_at_does_not_move_the_canarys_start() {
    let (_db, store) = store().await;
    let r = report(
        &store,
        common::ts("2026-02-21 11:00:00"),
        Duration::hours(72),
        DEFAULT_GRACE,
    )
    .await
    .expect("report");
    let canary = serde_json::to_value(&r.verdict.canary).expect("json");
    assert_eq!(canary["workspace_ids"][0], "c-alpha");
    assert_eq!(canary["started"], "2026-02-21T08:00:00.000Z", "{canary:#}");
    assert_eq!(
        canary["started_from"],
        rollout_panel::ops::metrics::INFERRED_START,
        "labelled as inferred"
    );
    store.close().await;
}

#[tokio::test]
async fn a_regenerated_copy_is_one_decision_in_the_needs_review_share() {
    let (_db, store) = store().await;
    let chunk = store
        .revision_series(
            common::ts("2026-02-21 09:00:00"),
            common::ts("2026-02-21 11:00:00"),
        )
        .await
        .expect("series");
    let (evaluated, needs_review) = chunk
        .buckets
        .iter()
        .filter(|b| b.client_id == "c-alpha")
        .fold((0, 0), |(e, n), b| {
            (e + b.counts.evaluated, n + b.counts.needs_review)
        });
    assert_eq!((evaluated, needs_review), (6, 1));
    store.close().await;
}

#[tokio::test]
async fn a_loop_summary_with_4_iterations_on_a_clamp_of_3_raises_the_bound_alarm() {
    let (_db, store) = store().await;
    let loops = store
        .loop_summaries(common::ts("2026-02-20 00:00:00"))
        .await
        .expect("loops");
    assert_eq!(
        loops.len(),
        2,
        "the summary without iterationsUsed is ignored: {loops:#?}"
    );
    let r = report(
        &store,
        common::ts("2026-02-21 11:00:00"),
        Duration::hours(72),
        DEFAULT_GRACE,
    )
    .await
    .expect("report");
    let bound: Vec<_> = r
        .alarms
        .iter()
        .filter(|a| a.kind == AlarmKind::AttemptsAboveBound)
        .collect();
    assert_eq!(bound.len(), 1, "{:#?}", r.alarms);
    assert_eq!(bound[0].draft_ids, vec!["c2"]);
    store.close().await;
}

#[tokio::test]
async fn on_a_v0_database_metrics_degrade_to_nulls_with_a_note() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, DATA_BASE, include_str!("fixtures/data_v0.sql")])
        .await;
    let store = PgStore::connect(&db.url).await.expect("connect");
    let r = report(
        &store,
        common::ts("2026-02-22 12:00:00"),
        Duration::hours(60),
        DEFAULT_GRACE,
    )
    .await
    .expect("a report, not a refusal");
    let json = serde_json::to_value(&r).expect("json");
    let alpha = json["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "Alpha")
        .cloned()
        .expect("Alpha");
    assert_eq!(alpha["evaluated"], 3, "{alpha:#}");
    assert_eq!(alpha["needs_review"], 1);
    assert_eq!(alpha["ai_errors"], 1);
    for key in [
        "attempted",
        "applied",
        "stuck_claims",
        "applied_rate",
        "mean_uplift",
    ] {
        assert!(alpha[key].is_null(), "{key}: {alpha:#}");
    }
    assert!(
        json["note"]
            .as_str()
            .unwrap_or_default()
            .contains("schema V0"),
        "{json:#}"
    );
    store.close().await;
}

#[tokio::test]
async fn a_reviser_failure_is_one_error_not_also_stuck() {
    let (_db, store) = store().await;
    let chunk = store
        .revision_series(
            common::ts("2026-02-21 08:25:00"),
            common::ts("2026-02-21 11:00:00"),
        )
        .await
        .expect("series");
    let alpha = chunk
        .buckets
        .iter()
        .filter(|b| b.client_id == "c-alpha")
        .fold((0, 0, 0), |(a, e, s), b| {
            (
                a + b.counts.attempted,
                e + b.counts.ai_errors,
                s + b.counts.stuck,
            )
        });
    assert_eq!(alpha, (1, 1, 0), "(attempted, AI errors, stuck)");
    store.close().await;
}

const DATA_HEALTH: &str = include_str!("fixtures/data_health.sql");

#[tokio::test]
async fn the_revision_path_health_counts_each_draft_once_under_its_first_problem() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_HEALTH])
        .await;
    let store = PgStore::connect(&db.url).await.expect("connect");
    assert!(store.schema().pipeline_artifacts, "{:?}", store.schema());
    let now = common::ts("2026-03-05 12:00:00");
    let r = report(&store, now, Duration::hours(1), DEFAULT_GRACE)
        .await
        .expect("report");
    let json = serde_json::to_value(&r).expect("json");
    let health = &json["revision_health"];
    assert_eq!(health["claims"], 7, "{health:#}");
    let ids = |kind: &str| -> Vec<String> {
        let p = health["problems"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["kind"] == kind))
            .unwrap_or_else(|| panic!("{kind} in {health:#}"));
        let ids: Vec<String> = serde_json::from_value(p["draft_ids"].clone()).expect("ids");
        assert_eq!(p["draft_count"], ids.len(), "{p:#}");
        ids
    };
    assert_eq!(ids("reviser_failure"), ["h1"]);
    assert_eq!(ids("loop_timeout"), ["h2", "h3"]);
    assert_eq!(ids("repeated_attempts"), ["h4"]);
    assert_eq!(ids("stuck"), ["h6"]);
    assert!(health["unreadable"].is_null(), "{health:#}");
    assert!(
        health["not_in_database"]
            .as_str()
            .is_some_and(|s| s.contains("SMS") && s.contains("Revision loop failed")),
        "{health:#}"
    );
    assert_eq!(
        health["vercel_logs"]["url"],
        "https://vercel.com/zrg/zrg-dashboard/logs?searchQuery=Revision+loop+failed"
    );
    // One workspace: only its claims are judged.
    let beta = gather(
        &store,
        &Request {
            profile: "production",
            now,
            window: Duration::hours(1),
            workspace: Some("Beta"),
            settings: VerdictSettings::default(),
            audit: &[],
            env: None,
            grace: DEFAULT_GRACE,
            vercel_logs: None,
            logs: None,
        },
    )
    .await
    .expect("report");
    let beta = beta.revision_health.expect("health");
    assert_eq!(beta.claims, 1);
    assert_eq!(
        beta.problems.iter().map(|p| p.draft_count).sum::<usize>(),
        1
    );
    store.close().await;
}
