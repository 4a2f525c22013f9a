//! Approvals between two panels on one real Postgres (the shared audit
//! table): requested in A, approved in B, then A's lever runs; A cannot
//! approve its own; an approval older than 15 minutes does not count; a
//! rollback runs with approvals on and no approver present. A and B are two
//! audit logs (their own local files) under two operators' names.

mod common;

use common::{DATA_BASE, PG_V0, PG_V1, PG_V2, TestDb, ts};
use rollout_panel::adapters::audit::AuditLog;
use rollout_panel::adapters::clock::ManualClock;
use rollout_panel::adapters::store::PgStore;
use rollout_panel::core::lever::Plan;
use rollout_panel::ops::levers::{RunContext, RunError, Targets, Waits, run_plan_with};

async fn run(
    plan: &Plan,
    store: &PgStore,
    audit: &AuditLog,
    clock: &ManualClock,
) -> Result<rollout_panel::ops::levers::RunReport, RunError> {
    let ctx = RunContext {
        audit,
        profile: "production",
        reason: "clean watch",
        clock,
        waits: Waits::default(),
        action_id: None,
        approvals: true,
    };
    run_plan_with(
        plan,
        Targets {
            store: Some(store),
            env: None,
        },
        &ctx,
        &|_| {},
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requested_in_a_approved_in_b_then_a_runs_and_an_expired_approval_does_not_count() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let pool = db.pool().await;
    let shared = common::shared_audit(&db).await;
    let dir = common::temp_dir();
    let a = common::panel_log(dir.path(), &shared, "alice@host-a").await;
    let b = common::panel_log(dir.path(), &shared, "bob@host-b").await;
    let store = PgStore::connect(&db.url).await.expect("store");
    let clock = ManualClock::new(ts("2026-03-01 10:00:00"));
    let beta = common::expansion_plan(&store, true, &["Beta"]).await;

    // Nothing asked: refused, nothing changed.
    let e = run(&beta, &store, &a, &clock).await.unwrap_err();
    assert!(matches!(e, RunError::NeedsApproval(_)), "{e}");
    assert!(e.to_string().contains("request it first"), "{e}");

    // A asks; B's panel reads the request from the shared table.
    let request = a
        .request_approval(
            ts("2026-03-01 10:00:00"),
            "production",
            &beta,
            "clean 40 min",
        )
        .await
        .expect("asked");
    let e = run(&beta, &store, &a, &clock).await.unwrap_err();
    assert!(e.to_string().contains("still waiting"), "{e}");
    let (requests, _) = b.approvals(ts("2026-03-01 10:01:00")).await.expect("read");
    let asked = requests
        .iter()
        .find(|r| r.action_id == request)
        .expect("B sees A's request");
    assert_eq!(asked.operator, "alice@host-a");
    // A cannot approve its own request.
    let own = a
        .approve(ts("2026-03-01 10:01:00"), "production", asked, "me")
        .await
        .unwrap_err();
    assert!(own.to_string().contains("a second operator"), "{own}");
    // B approves; A's lever runs, and its report names the approval.
    b.approve(
        ts("2026-03-01 10:02:00"),
        "production",
        asked,
        "numbers look clean",
    )
    .await
    .expect("approved");
    clock.set(ts("2026-03-01 10:05:00"));
    let report = run(&beta, &store, &a, &clock).await.expect("ran");
    assert!(report.ok, "{report:#?}");
    let note = report
        .steps
        .iter()
        .find(|s| s.label == "approval")
        .expect("the approval in the report");
    assert!(
        note.detail.starts_with("approved by bob@host-b"),
        "{note:?}"
    );
    let (on,): (Option<bool>,) = sqlx::query_as(
        r#"SELECT "autoSendRevisionEnabled" FROM "WorkspaceSettings" WHERE "clientId" = 'c-beta'"#,
    )
    .fetch_one(&pool)
    .await
    .expect("toggle");
    assert_eq!(on, Some(true));

    // Gamma: approved at 10:10, run at 10:26 — expired, refused.
    let gamma = common::expansion_plan(&store, true, &["Gamma"]).await;
    a.request_approval(ts("2026-03-01 10:09:00"), "production", &gamma, "next")
        .await
        .expect("asked");
    let (requests, _) = b.approvals(ts("2026-03-01 10:10:00")).await.expect("read");
    let asked = requests
        .iter()
        .find(|r| r.plan.targets == vec!["c-gamma".to_owned()])
        .expect("the Gamma request");
    b.approve(ts("2026-03-01 10:10:00"), "production", asked, "ok")
        .await
        .expect("approved");
    clock.set(ts("2026-03-01 10:26:00"));
    let e = run(&gamma, &store, &a, &clock).await.unwrap_err();
    assert!(
        e.to_string().contains("bob@host-b's approval expired"),
        "{e}"
    );
    // The approval for Gamma does not approve another target either.
    clock.set(ts("2026-03-01 10:11:00"));
    let both = common::expansion_plan(&store, true, &["Gamma", "Beta"]).await;
    assert!(run(&both, &store, &a, &clock).await.is_err());

    // A rollback runs with approvals on and nobody to approve it.
    let back = common::expansion_plan(&store, false, &["Beta"]).await;
    let report = run(&back, &store, &a, &clock).await.expect("rollback ran");
    assert!(report.ok, "{report:#?}");
    assert!(report.steps.iter().all(|s| s.label != "approval"));
}
