//! The metrics report: the demo canary with an injected needs_review spike
//! reaches "harm detected" and recommends the workspace rollback; the
//! command line's JSON on the Postgres fixtures matches the admin page's
//! definitions, lists every workspace, and keeps its field names.

mod common;

use chrono::Duration;
use common::{DATA_BASE, DATA_METRICS, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb, panel_env};
use rollout_panel::adapters::store::Store;
use rollout_panel::core::alarms::AlarmKind;
use rollout_panel::core::verdict::{VerdictSettings, VerdictState};
use rollout_panel::demo::{DemoStage, DemoWorld, Faults, Simulator};
use rollout_panel::ops::metrics::{Request, gather};
use serde_json::Value;

const T0: &str = "2026-03-02 15:00:00";

/// The demo world's metrics report at `now`, its deployments moved along first.
async fn demo_report(
    world: &DemoWorld,
    store: &rollout_panel::adapters::store::SqliteStore,
    now: chrono::NaiveDateTime,
) -> rollout_panel::ops::metrics::MetricsReport {
    world.advance_deployments(now).await.expect("advance");
    let env = world.env_snapshot().await.expect("env");
    gather(
        store,
        &Request {
            profile: "demo",
            now,
            window: Duration::hours(72),
            workspace: None,
            settings: VerdictSettings::default(),
            audit: &[],
            env: Some(&env),
            grace: rollout_panel::core::alarms::DEFAULT_GRACE,
            vercel_logs: None,
            logs: None,
        },
    )
    .await
    .expect("report")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_needs_review_spike_on_the_demo_canary_is_detected_and_the_workspace_rollback_recommended()
 {
    let dir = common::temp_dir();
    let t0 = common::ts(T0);
    let world = DemoWorld::create(&dir.path().join("demo.sqlite"), t0, DemoStage::Canary, 9)
        .await
        .expect("world");
    let store = world.store().await.expect("store");
    let mut sim = Simulator::new(9);
    let report = |now| demo_report(&world, &store, now);
    // Without the spike, an hour into the canary: no harm.
    sim.advance_to(&world, t0 + Duration::hours(1))
        .await
        .expect("simulate");
    let calm = report(t0 + Duration::hours(1)).await;
    assert_ne!(calm.verdict.verdict.state, VerdictState::HarmDetected);
    assert!(
        calm.alarms
            .iter()
            .all(|a| a.kind != AlarmKind::NeedsReviewHarm)
    );
    assert_eq!(calm.verdict.canary.workspace_ids.len(), 1);

    // The spike: the canary's drafts go to needs_review far more often.
    world
        .set_faults(&Faults {
            needs_review_spike: true,
            ..Faults::default()
        })
        .await
        .expect("fault");
    let later = t0 + Duration::hours(4);
    sim.advance_to(&world, later).await.expect("simulate");
    let r = report(later).await;
    let v = &r.verdict.verdict;
    assert_eq!(v.state, VerdictState::HarmDetected, "{v:#?}");
    let (lo, _) = v.interval.expect("interval");
    assert!(lo > 0.0);
    assert!(
        v.recommendation
            .as_deref()
            .is_some_and(|r| r.contains("Roll back the canary workspace first"))
    );
    let alarm = r
        .alarms
        .iter()
        .find(|a| a.kind == AlarmKind::NeedsReviewHarm)
        .expect("the needs_review alarm");
    assert_eq!(alarm.suggested_lever, "workspace-rollback");
    assert_eq!(alarm.workspace_ids, r.verdict.canary.workspace_ids);
    world.close().await;
}

/// The admin page's definition, written out independently: claims whose
/// lead's workspace is `client` and whose stamp is at or after `start`.
async fn admin_counts(url: &str, client: &str, start: &str) -> (i64, i64) {
    let pool = sqlx::PgPool::connect(url).await.expect("pool");
    let row: (i64, i64) = sqlx::query_as(
        r#"SELECT count(*), count(*) FILTER (WHERE d."autoSendRevisionApplied")
           FROM "AIDraft" d WHERE d."leadId" IN (SELECT "id" FROM "Lead" WHERE "clientId" = $1)
           AND d."autoSendRevisionAttemptedAt" >= $2::timestamp(3)"#,
    )
    .bind(client)
    .bind(start)
    .fetch_one(&pool)
    .await
    .expect("admin counts");
    pool.close().await;
    row
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_json_on_postgres_matches_the_admin_definitions_and_lists_every_workspace() {
    common::require_secret_service();
    for (variant, fixtures) in [
        (
            "v1",
            vec![PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS, DATA_METRICS],
        ),
        (
            "v2",
            vec![PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS, DATA_METRICS],
        ),
    ] {
        let db = TestDb::create().await;
        db.apply(&fixtures).await;
        // A workspace with no settings row and no activity at all.
        let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
        sqlx::query(
            r#"INSERT INTO "Client" ("id", "name", "userId", "updatedAt") VALUES ('c-delta', 'Delta', 'u4', '2026-02-01 00:00:00')"#,
        )
        .execute(&pool)
        .await
        .expect("delta");
        pool.close().await;

        let dir = common::temp_dir();
        let d = dir.path();
        let name = format!("metrics-{variant}-{}", std::process::id());
        let run = |args: &[&str], stdin: &str| panel_env(d, args, stdin, &[]);
        common::add_db_profile(d, &name, "http://127.0.0.1:9", &db.url);
        // The fixtures are from February 2026: a window that reaches them.
        let o = run(
            &["metrics", "--profile", &name, "--window", "400d", "--json"],
            "",
        );
        let text = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(0), "{text}");
        assert!(
            text.contains("the kill-switch alarms are not evaluated"),
            "no Vercel token: said on stderr, not silently: {text}"
        );
        let r: Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(r["profile"], name.as_str());
        // Without the env, which deployment's logs to read is unknown: said,
        // never a quiet zero.
        assert_eq!(
            r["runtime_logs"]["state"], "blind",
            "{:#}",
            r["runtime_logs"]
        );
        assert!(
            r["runtime_logs"]["reason"]
                .as_str()
                .is_some_and(|w| w.contains("which deployment serves is unknown")),
            "{:#}",
            r["runtime_logs"]
        );
        let start = r["window"]["start"].as_str().expect("start");
        let end = r["window"]["end"].as_str().expect("end");
        assert!(start.ends_with('Z') && end.ends_with('Z'), "{start} {end}");
        let start_sql = start.trim_end_matches('Z').replace('T', " ");
        let ws = r["workspaces"].as_array().expect("workspaces");
        let names: Vec<&str> = ws.iter().map(|w| w["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["Alpha", "Beta", "Delta", "Gamma"]);
        for w in ws {
            let id = w["id"].as_str().unwrap();
            let (attempted, applied) = admin_counts(&db.url, id, &start_sql).await;
            assert_eq!(w["attempted"], attempted, "{variant} {id}");
            assert_eq!(w["applied"], applied, "{variant} {id}");
            for key in [
                "toggle",
                "applied_rate",
                "evaluated",
                "needs_review",
                "ai_errors",
                "stuck_claims",
            ] {
                assert!(w.get(key).is_some(), "{key} missing in {w}");
            }
        }
        let by = |n: &str| ws.iter().find(|w| w["name"] == n).unwrap();
        // Alpha over the whole fixture (d4 and ai-errors included; d10 stuck by now).
        let alpha = by("Alpha");
        assert_eq!(alpha["toggle"], true);
        assert_eq!(alpha["attempted"], 5);
        assert_eq!(alpha["applied"], 3);
        assert_eq!(alpha["applied_rate"], 0.6);
        assert_eq!(alpha["evaluated"], 6);
        assert_eq!(alpha["needs_review"], 3);
        assert_eq!(alpha["ai_errors"], 1, "ai2 is a context-select error");
        assert_eq!(alpha["stuck_claims"], 1);
        assert_eq!(by("Gamma")["toggle"], false, "no settings row");
        assert_eq!(by("Gamma")["ai_errors"], 1);
        let delta = by("Delta");
        assert_eq!(delta["attempted"], 0);
        assert_eq!(
            delta["applied_rate"],
            Value::Null,
            "null when nothing was attempted"
        );
        assert_eq!(r["totals"]["attempted"], 8);
        assert_eq!(r["totals"]["applied"], 4);
        assert_eq!(r["totals"]["stuck_claims"], 3);
        for key in ["state", "estimate", "interval"] {
            assert!(r["verdict"].get(key).is_some(), "verdict.{key}");
        }
        assert!(r["alarms"].is_array());
        // Gamma has no settings row and a claim: the toggle-off alarm names it.
        let alarm = r["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == "attempt_while_toggle_off" && a["workspace_ids"][0] == "c-gamma")
            .expect("toggle-off alarm");
        assert_eq!(alarm["workspace_ids"][0], "c-gamma");
        assert_eq!(alarm["draft_ids"][0], "d8");
        for key in ["id", "finding", "suggested_lever"] {
            assert!(alarm.get(key).is_some());
        }

        // --workspace by name or id, and the aligned table.
        let o = run(
            &[
                "metrics",
                "--profile",
                &name,
                "--window",
                "400d",
                "--workspace",
                "Beta",
                "--json",
            ],
            "",
        );
        let r: Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(r["workspaces"].as_array().unwrap().len(), 1);
        assert_eq!(r["totals"]["attempted"], 2);
        let o = run(&["metrics", "--profile", &name, "--window", "400d"], "");
        let table = String::from_utf8_lossy(&o.stdout);
        assert!(
            table.contains("workspace") && table.contains("Alpha"),
            "{table}"
        );
        let o = run(&["metrics", "--profile", &name, "--workspace", "Nope"], "");
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&o.stderr).contains("no workspace \"Nope\""));
        let o = run(&["metrics", "--profile", &name, "--window", "3x"], "");
        assert_eq!(o.status.code(), Some(1));
        assert!(run(&["profile", "remove", &name], "").status.success());
    }
}

/// The demo rehearses the app's timing: with `repeated-attempts` its loop
/// summaries exceed the clamp and the bound alarm names those drafts; with
/// `slow-jobs` the canary keeps being claimed for minutes after its toggle
/// goes off, which the 15-minute grace expects (no alarm).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_rehearses_repeated_attempts_and_slow_jobs() {
    let dir = common::temp_dir();
    let t0 = common::ts(T0);
    let world = DemoWorld::create(&dir.path().join("demo.sqlite"), t0, DemoStage::Canary, 9)
        .await
        .expect("world");
    let store = world.store().await.expect("store");
    let mut sim = Simulator::new(9);
    let report = |now| demo_report(&world, &store, now);
    let t1 = t0 + Duration::hours(1);
    sim.advance_to(&world, t1).await.expect("simulate");
    let loops = store
        .loop_summaries(t0 - Duration::hours(30))
        .await
        .expect("loops");
    assert!(!loops.is_empty(), "the demo writes loop summaries");
    assert!(
        report(t1)
            .await
            .alarms
            .iter()
            .all(|a| a.kind != AlarmKind::AttemptsAboveBound),
        "no repeats without the fault"
    );
    world
        .set_faults(&Faults {
            repeated_attempts: true,
            slow_jobs: true,
            ..Faults::default()
        })
        .await
        .expect("fault");
    let t2 = t1 + Duration::hours(1);
    sim.advance_to(&world, t2).await.expect("simulate");
    let r = report(t2).await;
    let bound = r
        .alarms
        .iter()
        .find(|a| a.kind == AlarmKind::AttemptsAboveBound)
        .expect("the bound alarm");
    assert!(bound.draft_count > 0);
    // Slow jobs: the canary's toggle goes off; claims go on for minutes.
    let canary = r.verdict.canary.workspace_ids[0].clone();
    world
        .set_revision_toggle(&canary, false, t2)
        .await
        .expect("toggle off");
    let t3 = t2 + Duration::minutes(9);
    sim.advance_to(&world, t3).await.expect("simulate");
    let claims = store.claims_since(t2).await.expect("claims");
    assert!(
        claims.iter().any(|c| c.client_id == canary && c.stamp > t2),
        "jobs that started before the toggle-off still claim"
    );
    let r = report(t3).await;
    assert!(
        r.alarms
            .iter()
            .all(|a| a.kind != AlarmKind::AttemptWhileToggleOff),
        "within the grace: expected, no alarm: {:#?}",
        r.alarms
    );
}
