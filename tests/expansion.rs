//! The expansion step: on a real PostgreSQL (each workspace its own
//! compare-and-set; one changed by someone else is refused, the others go on,
//! and the result names which), on the demo world end to end (the simulated
//! app follows: claims appear in the new workspaces), and on the command line
//! (its preconditions, its guard word, its rollback).

mod common;

use common::{DATA_BASE, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb, panel_env, ts};
use rollout_panel::adapters::audit::{AuditLog, EntryKind};
use rollout_panel::adapters::clock::{Clock, ManualClock, SystemClock};
use rollout_panel::adapters::store::PgStore;
use rollout_panel::core::lever::{EXPAND_WORD, Guard, Parts, PlanSource, plan_source};
use rollout_panel::demo::DemoStage;
use rollout_panel::ops::levers::{RunContext, Targets, Waits, run_plan_with};
use rollout_panel::worker::{
    Event, LeverRun, Request, Snapshot, Target, WorkerConfig, WorkerHandle,
};
use std::sync::Arc;
use std::time::Duration;

/// Runs `plan` with the database only (an expansion needs nothing else).
async fn on_database(
    plan: &rollout_panel::core::lever::Plan,
    store: &PgStore,
    ctx: &RunContext<'_>,
) -> Result<rollout_panel::ops::levers::RunReport, rollout_panel::ops::levers::RunError> {
    run_plan_with(
        plan,
        Targets {
            store: Some(store),
            env: None,
        },
        ctx,
        &|_| {},
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expansion_on_postgres_enables_three_and_names_the_one_someone_else_changed() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    let pool = db.pool().await;
    sqlx::raw_sql(
        r#"INSERT INTO "Client" ("id", "name", "userId", "updatedAt") VALUES
            ('c-delta', 'Delta', 'u4', '2026-02-01 00:00:00'),
            ('c-eps', 'Epsilon', 'u5', '2026-02-01 00:00:00');
           INSERT INTO "WorkspaceSettings" ("id", "clientId", "updatedAt") VALUES
            ('ws-delta', 'c-delta', '2026-02-01 00:00:00'),
            ('ws-eps', 'c-eps', '2026-02-01 00:00:00');"#,
    )
    .execute(&pool)
    .await
    .expect("two more workspaces");
    let toggle = |id: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (Option<bool>,)>(
                r#"SELECT s."autoSendRevisionEnabled" FROM "Client" c
                   LEFT JOIN "WorkspaceSettings" s ON s."clientId" = c."id" WHERE c."id" = $1"#,
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("toggle")
            .0
        }
    };
    let store = PgStore::connect(&db.url).await.expect("store");
    // Alpha is the canary; the rest are the candidates (Gamma has no
    // settings row yet).
    let plan = common::expansion_plan(&store, true, &["Beta", "Gamma", "Delta", "Epsilon"]).await;
    assert_eq!(plan.changes.len(), 4, "{plan:#?}");
    assert_eq!(plan.guard, Guard::Type(EXPAND_WORD.to_owned()));
    // Not watched: the watch preconditions fail and may be overridden.
    assert!(plan.needs_override() && !plan.blocked(), "{plan:#?}");
    // Someone else turns Delta on after the plan was shown.
    sqlx::query(
        r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = true, "updatedAt" = now() WHERE "clientId" = 'c-delta'"#,
    )
    .execute(&pool)
    .await
    .expect("the concurrent change");

    let dir = common::temp_dir();
    let audit = AuditLog::open(&AuditLog::path_in(dir.path()))
        .await
        .expect("audit");
    let ctx = RunContext {
        audit: &audit,
        profile: "production",
        reason: "clean 45 min watch",
        clock: &SystemClock,
        waits: Waits::default(),
        action_id: None,
        approvals: false,
    };
    let report = on_database(&plan, &store, &ctx).await.expect("ran");
    assert!(!report.ok, "one was refused: {report:#?}");
    let refused: Vec<_> = report.steps.iter().filter(|s| !s.ok).collect();
    assert_eq!(refused.len(), 1, "{report:#?}");
    assert!(
        refused[0].label.contains("Delta's revision toggle"),
        "{refused:#?}"
    );
    assert!(
        refused[0].detail.contains("someone else changed it first"),
        "{refused:#?}"
    );
    assert_eq!(report.steps.iter().filter(|s| s.ok).count(), 3);
    for id in ["c-beta", "c-gamma", "c-eps", "c-delta"] {
        assert_eq!(toggle(id).await, Some(true), "{id}");
    }
    // The result row says which.
    let rows = audit.list("production", 20).await.expect("list");
    let result = rows
        .iter()
        .find(|e| e.kind == EntryKind::Result)
        .expect("a result");
    assert!(
        result
            .summary
            .contains("3 of 4 workspace(s) verified ON (Beta, Gamma, Epsilon)")
            && result.summary.contains("FAILED or refused: Delta"),
        "{}",
        result.summary
    );

    // Its rollback: every workspace this expansion enabled, Delta included
    // only if asked (it was not enabled by it); it goes on past any failure.
    let back = common::expansion_plan(&store, false, &["c-beta", "c-gamma", "c-eps"]).await;
    assert!(back.is_rollback() && back.guard == Guard::Confirm);
    let r = on_database(&back, &store, &ctx).await.expect("ran");
    assert!(r.ok, "{r:#?}");
    for id in ["c-beta", "c-gamma", "c-eps"] {
        assert_eq!(toggle(id).await, Some(false), "{id}");
    }
    assert_eq!(toggle("c-delta").await, Some(true), "not this expansion's");
    assert_eq!(toggle("c-alpha").await, Some(true), "the canary stays");

    // The refused workspace first: every one after it is still tried.
    let again = common::expansion_plan(&store, true, &["Beta", "Gamma", "Epsilon"]).await;
    sqlx::query(
        r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = true, "updatedAt" = now() WHERE "clientId" = 'c-beta'"#,
    )
    .execute(&pool)
    .await
    .expect("the concurrent change");
    let r = on_database(&again, &store, &ctx).await.expect("ran");
    assert!(!r.ok, "{r:#?}");
    assert_eq!(r.steps.iter().filter(|s| s.ok).count(), 2, "{r:#?}");
    for id in ["c-gamma", "c-eps"] {
        assert_eq!(toggle(id).await, Some(true), "{id} after the refused Beta");
    }
}

fn latest(
    w: &WorkerHandle,
    done: &mut Option<Result<rollout_panel::ops::levers::RunReport, String>>,
) -> Option<Arc<Snapshot>> {
    let mut last = None;
    while let Some(e) = w.try_recv().expect("worker alive") {
        match e {
            Event::Snapshot(s) => last = Some(s),
            Event::LeverDone { result, .. } => *done = Some(result),
            _ => {}
        }
    }
    last
}

#[test]
fn an_expansion_on_the_demo_world_is_followed_by_the_simulated_app() {
    let dir = common::temp_dir();
    let clock = ManualClock::new(ts("2026-03-02 15:00:00"));
    let mut w = WorkerHandle::spawn(
        WorkerConfig {
            target: Target::Demo {
                db_path: dir.path().join("demo.sqlite"),
                stage: DemoStage::Canary,
                seed: 3,
            },
            clock: Arc::new(clock.clone()),
            auto_refresh: None,
            read_timeout: Duration::from_secs(60),
            audit_path: Some(AuditLog::path_in(dir.path())),
            waits: Waits {
                poll_every: Duration::from_millis(50),
                deadline: Duration::from_secs(120),
            },
        },
        || {},
    );
    assert!(w.wait_idle(Duration::from_secs(120)));
    let mut done = None;
    let first = latest(&w, &mut done).expect("a snapshot");
    let candidates: Vec<String> = rollout_panel::core::lever::candidates(&first.workspaces)
        .into_iter()
        .map(|w| w.id.clone())
        .collect();
    assert_eq!(candidates.len(), 3, "{:#?}", first.workspaces);
    let plan = plan_source(
        &PlanSource::Expansion {
            on: true,
            workspaces: candidates.clone(),
        },
        Parts {
            workspaces: Some(&first.workspaces),
            schema: first.schema.as_ref(),
            ..Parts::default()
        },
    )
    .expect("plan");
    let started = clock.now();
    w.send(Request::RunLever(Box::new(LeverRun {
        run: 1,
        plan,
        reason: "expand after a clean watch".to_owned(),
        finishes: None,
    })));
    assert!(w.wait_idle(Duration::from_secs(120)));
    let wait = std::time::Instant::now();
    while done.is_none() && wait.elapsed() < Duration::from_secs(60) {
        latest(&w, &mut done);
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = done.take().expect("the run ended").expect("it ran");
    assert!(report.ok, "{report:#?}");
    // An hour of the simulated app: every new workspace is claimed.
    clock.advance(chrono::Duration::hours(1));
    w.send(Request::Refresh);
    assert!(w.wait_idle(Duration::from_secs(120)));
    let after = latest(&w, &mut done).expect("a snapshot");
    assert_eq!(after.enabled_workspaces().count(), 4);
    assert_eq!(
        rollout_panel::core::lever::stage_line(&after.workspaces).as_deref(),
        Some("expanding: 4 of 4 workspaces on")
    );
    for id in &candidates {
        let claims = after
            .claims
            .iter()
            .filter(|c| &c.client_id == id && c.stamp > started)
            .count();
        assert!(claims > 0, "no claim in {id} after the expansion");
    }
}

#[test]
fn the_cli_expansion_asks_for_its_preconditions_and_its_word_and_rolls_back() {
    let dir = common::temp_dir();
    let d = dir.path();
    let run = |args: &[&str]| panel_env(d, args, "", &[]);
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let expand = [
        "lever",
        "expansion",
        "on",
        "--profile",
        "demo",
        "--workspaces",
        "Brightline Roofing,Cobalt Legal",
        "--reason",
        "clean watch",
        "--yes",
        "--confirm",
        "EXPAND",
    ];
    // Deployed dark: no canary has run, so there is no verdict and no watch
    // time; both preconditions fail, and --override is needed.
    let o = run(&["demo", "--reset", "--stage", "dark"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(&expand);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("no canary verdict (no canary running)"),
        "{out}"
    );
    assert!(out.contains("the canary's start is not known"), "{out}");
    assert!(out.contains("pass --override"), "{out}");
    let mut with_override = expand.to_vec();
    with_override.push("--override");
    // The demo asks for no approval: asking is refused, nothing is written.
    let mut ask = with_override.clone();
    ask.push("--request-approval");
    let o = run(&ask);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("this lever needs no approval here"),
        "{}",
        text(&o)
    );
    let o = run(&with_override);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("verified"), "{}", text(&o));
    // The wrong word changes nothing.
    let o = run(&[
        "lever",
        "expansion",
        "on",
        "--profile",
        "demo",
        "--workspaces",
        "Driftwood Café — Zürich 東京 ☕",
        "--reason",
        "r",
        "--yes",
        "--confirm",
        "expand",
        "--override",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Its rollback needs no word and no override.
    let o = run(&[
        "lever",
        "expansion",
        "off",
        "--profile",
        "demo",
        "--workspaces",
        "Brightline Roofing,Cobalt Legal",
        "--reason",
        "roll the expansion back",
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(&["metrics", "--profile", "demo", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let on: Vec<&str> = report["workspaces"]
        .as_array()
        .expect("workspaces")
        .iter()
        .filter(|w| w["toggle"] == true)
        .filter_map(|w| w["name"].as_str())
        .collect();
    assert!(on.is_empty(), "{report:#}");
}
