//! Trust in the shared audit table (issue 28), on one real Postgres: two
//! operators (two key pairs of the team's roster, two audit logs) — an
//! approval requested by A, approved by B, run by A — and every forgery
//! failing with its reason and changing nothing; hostile rows written with
//! psql that neither crash nor blind a panel, from the library, the CLI and
//! the window's worker.

mod common;

use common::production::text;
use common::{DATA_BASE, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb, panel_env, ts};
use rollout_panel::adapters::audit::{AuditLog, EntryStatus, Intent};
use rollout_panel::adapters::clock::ManualClock;
use rollout_panel::adapters::store::PgStore;
use rollout_panel::core::lever::Plan;
use rollout_panel::core::trust::{Trust, Why};
use rollout_panel::ops::levers::{RunContext, RunError, Targets, Waits, run_plan_with};
use serde_json::json;

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

async fn toggle(pool: &sqlx::PgPool, id: &str) -> Option<bool> {
    sqlx::query_as::<_, (bool,)>(
        r#"SELECT "autoSendRevisionEnabled" FROM "WorkspaceSettings" WHERE "clientId" = $1"#,
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .expect("toggle")
    .map(|(on,)| on)
}

fn refused(e: &RunError, says: &str) {
    assert!(matches!(e, RunError::NeedsApproval(_)), "{e}");
    assert!(e.to_string().contains(says), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_four_eyes_and_every_forgery_fails_with_its_reason() {
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
    let request = a
        .request_approval(
            ts("2026-03-01 10:00:00"),
            "production",
            &beta,
            "clean 40 min",
        )
        .await
        .expect("asked");
    let (requests, _) = b.approvals(ts("2026-03-01 10:01:00")).await.expect("read");
    let asked = requests
        .iter()
        .find(|r| r.action_id == request)
        .expect("B sees A's request")
        .clone();

    // 1. Alice's panel started with USER=bob signs with alice's key: the
    // row says bob, its key is alice's — unverified, never an approval.
    let other_dir = common::temp_dir();
    let a_as_bob = common::panel_log(other_dir.path(), &shared, "alice@host-a")
        .await
        .with_operator("bob@host-b");
    let e = a_as_bob
        .approve(
            ts("2026-03-01 10:01:00"),
            "production",
            &asked,
            "me, really",
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("its key is alice@host-a's"), "{e}");
    refused(
        &run(&beta, &store, &a, &clock).await.unwrap_err(),
        "still waiting",
    );

    // 2. An approval INSERTed with psql (unsigned), naming the request and
    // its digest exactly.
    sqlx::query(
        "INSERT INTO rollout_panel.audit_entry (entry_id, action_id, at, operator, profile, lever, kind, status, detail)
         VALUES ('forged-ap', 'forged-ap', $1, 'bob@host-b', 'production', 'approval', 'intent', 'pending', $2)",
    )
    .bind(ts("2026-03-01 10:01:30"))
    .bind(json!({"request": request, "plan_digest": asked.digest}).to_string())
    .execute(&pool)
    .await
    .expect("forged approval");
    refused(
        &run(&beta, &store, &a, &clock).await.unwrap_err(),
        "still waiting",
    );

    // 3. A second request row under the same action id, re-aimed at an
    // expansion to every workspace.
    let all = common::expansion_plan(&store, true, &["Beta", "Gamma"]).await;
    sqlx::query(
        "INSERT INTO rollout_panel.audit_entry (entry_id, action_id, at, operator, profile, lever, kind, status, detail)
         VALUES ('forged-rq', $1, $2, 'alice@host-a', 'production', 'approval-request', 'intent', 'pending', $3)",
    )
    .bind(&request)
    .bind(ts("2026-03-01 10:01:40"))
    .bind(
        json!({"plan": all, "plan_digest": rollout_panel::core::approval::plan_digest(&all)})
            .to_string(),
    )
    .execute(&pool)
    .await
    .expect("re-aimed request");

    // Bob approves the real request; Alice's lever runs, once.
    b.approve(
        ts("2026-03-01 10:02:00"),
        "production",
        &asked,
        "numbers look clean",
    )
    .await
    .expect("approved");
    clock.set(ts("2026-03-01 10:05:00"));
    // The re-aimed plan (all workspaces) is not what Bob approved.
    refused(
        &run(&all, &store, &a, &clock).await.unwrap_err(),
        "request it first",
    );
    assert_eq!(toggle(&pool, "c-gamma").await, None, "nothing changed");
    let report = run(&beta, &store, &a, &clock).await.expect("ran");
    assert!(report.ok, "{report:#?}");
    let note = report
        .steps
        .iter()
        .find(|s| s.label == "approval")
        .expect("named");
    assert!(
        note.detail.starts_with("approved by bob@host-b"),
        "{note:?}"
    );
    assert_eq!(toggle(&pool, "c-beta").await, Some(true));

    // 4. Replayed: Beta off again by hand, the same plan, the same approval.
    sqlx::query(r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = false WHERE "clientId" = 'c-beta'"#)
        .execute(&pool)
        .await
        .expect("reset");
    let again = common::expansion_plan(&store, true, &["Beta"]).await;
    refused(
        &run(&again, &store, &a, &clock).await.unwrap_err(),
        "already used",
    );
    assert_eq!(
        toggle(&pool, "c-beta").await,
        Some(false),
        "nothing changed"
    );

    // 5. Approved, then a before-value moved: Gamma had no settings row
    // when Bob approved; now it has one.
    let gamma = common::expansion_plan(&store, true, &["Gamma"]).await;
    let g = a
        .request_approval(ts("2026-03-01 10:06:00"), "production", &gamma, "next")
        .await
        .expect("asked");
    let (requests, _) = b.approvals(ts("2026-03-01 10:06:30")).await.expect("read");
    let asked_g = requests
        .iter()
        .find(|r| r.action_id == g)
        .expect("seen")
        .clone();
    b.approve(ts("2026-03-01 10:07:00"), "production", &asked_g, "ok")
        .await
        .expect("approved");
    sqlx::query(
        r#"INSERT INTO "WorkspaceSettings" ("id", "clientId", "updatedAt") VALUES ('ws-gamma', 'c-gamma', '2026-03-01 10:07:30')"#,
    )
    .execute(&pool)
    .await
    .expect("row");
    let moved = common::expansion_plan(&store, true, &["Gamma"]).await;
    refused(
        &run(&moved, &store, &a, &clock).await.unwrap_err(),
        "exact plan",
    );
    assert_eq!(
        toggle(&pool, "c-gamma").await,
        Some(false),
        "nothing changed"
    );

    // 6. Moving the approval's server time back 16 minutes expires it, even
    // though the panel's clock says 3 minutes.
    let g2 = a
        .request_approval(ts("2026-03-01 10:08:00"), "production", &moved, "again")
        .await
        .expect("asked");
    let (requests, _) = b.approvals(ts("2026-03-01 10:08:30")).await.expect("read");
    let asked_g2 = requests
        .iter()
        .find(|r| r.action_id == g2)
        .expect("seen")
        .clone();
    let ap = b
        .approve(ts("2026-03-01 10:09:00"), "production", &asked_g2, "ok")
        .await
        .expect("approved");
    sqlx::query(
        "UPDATE rollout_panel.audit_entry SET recorded_at = recorded_at - interval '16 minutes' WHERE action_id = $1",
    )
    .bind(&ap)
    .execute(&pool)
    .await
    .expect("backdate");
    clock.set(ts("2026-03-01 10:12:00"));
    refused(
        &run(&moved, &store, &a, &clock).await.unwrap_err(),
        "expired",
    );
    assert_eq!(
        toggle(&pool, "c-gamma").await,
        Some(false),
        "nothing changed"
    );

    // 7. A row edited after the fact, and one deleted: `audit verify` (the
    // whole table judged) names them; the edited approval no longer counts.
    sqlx::query(
        "UPDATE rollout_panel.audit_entry SET reason = 'edited later' WHERE action_id = $1 AND kind = 'intent'",
    )
    .bind(&ap)
    .execute(&pool)
    .await
    .expect("edit");
    sqlx::query(
        "DELETE FROM rollout_panel.audit_entry WHERE action_id = $1 AND kind = 'result' AND signer IS NOT NULL",
    )
    .bind(&g)
    .execute(&pool)
    .await
    .expect("delete");
    let rows = shared.verify_all().await.expect("verify");
    let why = |pred: &dyn Fn(&rollout_panel::adapters::audit::AuditEntry) -> bool| {
        rows.iter()
            .filter(|e| pred(e))
            .map(|e| e.trust.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        why(&|e| e.action_id == ap && e.kind == rollout_panel::adapters::audit::EntryKind::Intent),
        [Trust::Unverified(Why::Altered)]
    );
    assert!(
        why(&|e| e.entry_id == "forged-ap")
            .iter()
            .all(|t| *t == Trust::Unverified(Why::Unsigned))
    );
    assert!(
        why(&|e| e.entry_id == "forged-rq")
            .iter()
            .all(|t| *t == Trust::Unverified(Why::Unsigned))
    );
    // Alice's entry written right after the deleted one, and Bob's right
    // after the edited one, are out of their writers' chains.
    let out_of_chain: Vec<(&str, &str)> = rows
        .iter()
        .filter(|e| matches!(&e.trust, Trust::Unverified(Why::OutOfChain(_))))
        .map(|e| (e.operator.as_str(), e.action_id.as_str()))
        .collect();
    assert_eq!(out_of_chain.len(), 2, "{out_of_chain:?}");
    assert!(
        out_of_chain.contains(&("bob@host-b", ap.as_str())),
        "{out_of_chain:?}"
    );
    assert!(
        out_of_chain.iter().any(|(who, _)| *who == "alice@host-a"),
        "{out_of_chain:?}"
    );
    // Every other row of the two operators verifies.
    let verified = rows.iter().filter(|e| e.trust == Trust::Verified).count();
    assert!(verified >= 10, "{verified} verified of {}", rows.len());
    let (requests, approvals) = a.approvals(ts("2026-03-01 10:12:00")).await.expect("read");
    assert!(approvals.iter().all(|x| x.action_id != ap), "{approvals:?}");
    assert!(requests.iter().all(|r| r.action_id != "forged-rq"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_with_approvals_on_waits_for_an_approval_and_a_rollback_never_does() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    let pool = db.pool().await;
    let shared = common::shared_audit(&db).await;
    let dir = common::temp_dir();
    let a = common::panel_log(dir.path(), &shared, "alice@host-a").await;
    let b = common::panel_log(dir.path(), &shared, "bob@host-b").await;
    let store = PgStore::connect(&db.url).await.expect("store");
    let clock = ManualClock::new(ts("2026-03-01 10:00:00"));
    let plan = |on: bool| {
        let store = &store;
        async move {
            use rollout_panel::adapters::store::Store;
            use rollout_panel::core::lever::{LeverKind, LeverRequest, Parts, plan_from_parts};
            let workspaces = store.workspaces().await.expect("workspaces");
            plan_from_parts(
                &LeverRequest {
                    kind: LeverKind::WorkspaceRollback,
                    on,
                    workspace: Some("c-alpha".to_owned()),
                },
                Parts {
                    workspaces: Some(&workspaces),
                    schema: Some(store.schema()),
                    ..Parts::default()
                },
            )
            .expect("plan")
        }
    };
    // The rollback: approvals on, nobody to approve, it runs.
    let rollback = plan(true).await;
    let r = run(&rollback, &store, &a, &clock).await.expect("ran");
    assert!(r.ok, "{r:#?}");
    assert_eq!(toggle(&pool, "c-alpha").await, Some(false));
    // The restore is an enable: it waits.
    let restore = plan(false).await;
    refused(
        &run(&restore, &store, &a, &clock).await.unwrap_err(),
        "request it first",
    );
    assert_eq!(toggle(&pool, "c-alpha").await, Some(false));
    let id = a
        .request_approval(ts("2026-03-01 10:01:00"), "production", &restore, "fixed")
        .await
        .expect("asked");
    let (requests, _) = b.approvals(ts("2026-03-01 10:01:00")).await.expect("read");
    let asked = requests.iter().find(|r| r.action_id == id).expect("seen");
    b.approve(ts("2026-03-01 10:02:00"), "production", asked, "ok")
        .await
        .expect("approved");
    let r = run(&restore, &store, &a, &clock).await.expect("ran");
    assert!(r.ok, "{r:#?}");
    assert_eq!(toggle(&pool, "c-alpha").await, Some(true));
}

/// Rows no panel writes, as anyone with the database's credentials can.
const HOSTILE: &str = r#"
INSERT INTO rollout_panel.audit_entry (entry_id, action_id, at, operator, profile, lever, kind, status, reason, summary, detail) VALUES
 ('h-inf', 'h-inf', 'infinity', 'mallory', 'production', 'canary-enable', 'intent', 'pending', 'x', 'infinite', '{"plan": {"workspace": "c-alpha"}}'),
 ('h-ninf', 'h-ninf', '-infinity', 'mallory', 'production', 'workspace-rollback', 'result', 'ok', 'x', 'minus infinite', '{}'),
 ('h-future', 'h-future', '2099-01-01 00:00:00', 'mallory', 'production', 'canary-enable', 'intent', 'pending', 'x', 'running forever', '{"plan": {"workspace": "c-alpha"}}'),
 ('h-text', 'h-text', now() AT TIME ZONE 'UTC', E'mal\nlory\u001b[2J', 'production', 'canary-enable', 'intent', 'pending', E'line one\nline two\u202Eevil', '<b>x</b> & <i>y</i>', '{"plan": {"workspace": "c-alpha"}}'),
 ('h-huge', 'h-huge', now() AT TIME ZONE 'UTC', 'mallory', 'production', 'canary-enable', 'intent', 'pending', repeat('r', 1000000), 'huge', 'not json');
INSERT INTO rollout_panel.audit_entry (id, entry_id, action_id, at, operator, profile, lever, kind, status, summary)
 VALUES (9223372036854775807, 'h-maxid', 'h-maxid', now() AT TIME ZONE 'UTC', 'mallory', 'production', 'canary-enable', 'intent', 'pending', 'the largest id');
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_rows_neither_crash_nor_blind_a_panel_and_a_rollback_completes() {
    use rollout_panel::adapters::audit::live::LiveFeed;
    use std::time::Duration;
    common::require_secret_service();
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    let pool = db.pool().await;
    let shared = common::shared_audit(&db).await;
    let dir = common::temp_dir();
    let alice = common::panel_log(dir.path(), &shared, "alice@host-a").await;
    let before = alice
        .intent(
            chrono::Utc::now().naive_utc(),
            &Intent {
                profile: "production",
                lever: "workspace-rollback",
                reason: "real history",
                summary: "real history",
                detail: json!({}),
            },
        )
        .await
        .expect("intent");
    sqlx::raw_sql(HOSTILE)
        .execute(&pool)
        .await
        .expect("hostile rows");
    let mut feed = LiveFeed::start(&shared).await.expect("listen");

    // Listing judges each row; nothing panics; real history stays in.
    let rows = alice.list("production", 200).await.expect("list");
    let trust = |id: &str| {
        rows.iter()
            .find(|e| e.entry_id == id)
            .unwrap_or_else(|| panic!("{id} listed: {rows:#?}"))
            .trust
            .clone()
    };
    assert!(matches!(trust("h-inf"), Trust::Unverified(Why::BadTime(_))));
    assert!(matches!(
        trust("h-ninf"),
        Trust::Unverified(Why::BadTime(_))
    ));
    assert!(matches!(
        trust("h-future"),
        Trust::Unverified(Why::Future { .. })
    ));
    assert_eq!(trust("h-text"), Trust::Unverified(Why::Unsigned));
    assert!(matches!(
        trust("h-huge"),
        Trust::Unverified(Why::TooLong(..))
    ));
    assert!(
        rows.iter().all(|e| e.entry_id != "h-maxid"),
        "an id the table did not issue is not listed"
    );
    assert!(
        rows.iter().any(|e| e.action_id == before),
        "real history is kept"
    );
    let now = chrono::Utc::now().naive_utc();
    assert!(
        rows.iter()
            .all(|e| e.at <= now + chrono::Duration::minutes(5)),
        "no row sorts above now"
    );
    let text_row = rows
        .iter()
        .find(|e| e.entry_id == "h-text")
        .expect("text row");
    assert!(!text_row.operator.contains('\n') && !text_row.operator.contains('\u{1b}'));
    assert!(!text_row.reason.contains('\n') && !text_row.reason.contains('\u{202e}'));
    let huge = rows
        .iter()
        .find(|e| e.entry_id == "h-huge")
        .expect("huge row");
    assert!(huge.reason.len() < 10_000, "{}", huge.reason.len());
    // Not one of them is a running lever.
    assert!(
        alice
            .running_elsewhere("canary-enable", Some("c-alpha"), now)
            .await
            .expect("read")
            .is_none()
    );
    // The live feed is not blinded by the largest id: a new row arrives.
    let bob = common::panel_log(dir.path(), &shared, "bob@host-b").await;
    let new = bob
        .intent(
            chrono::Utc::now().naive_utc(),
            &Intent {
                profile: "production",
                lever: "revision-kill-switch",
                reason: "after the hostile rows",
                summary: "after",
                detail: json!({}),
            },
        )
        .await
        .expect("intent");
    let mut got = Vec::new();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(5)
        && !got
            .iter()
            .any(|e: &rollout_panel::adapters::audit::AuditEntry| e.action_id == new)
    {
        got.extend(feed.next(Duration::from_secs(1)).await.expect("feed"));
    }
    let seen = got
        .iter()
        .find(|e| e.action_id == new)
        .expect("the feed saw bob's row");
    assert_eq!(seen.trust, Trust::Verified);
    bob.result(
        &new,
        chrono::Utc::now().naive_utc(),
        EntryStatus::Ok,
        "done",
        &json!({}),
    )
    .await
    .expect("result");

    // The CLI: `audit verify` names the rows, the canary's restore and the
    // workspace rollback complete with no panic.
    let d = dir.path().join("cli");
    std::fs::create_dir_all(&d).expect("dir");
    let name = format!("hostile-{}", std::process::id());
    common::add_db_profile(&d, &name, "http://127.0.0.1:9", &db.url);
    let o = panel_env(&d, &["audit", "verify", "--profile", &name], "", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    for id in [
        "row 9223372036854775807",
        "not a real time",
        "dated in the future",
        "unsigned",
        "longer than a panel writes",
    ] {
        assert!(text(&o).contains(id), "{id}: {}", text(&o));
    }
    let o = panel_env(
        &d,
        &[
            "lever",
            "canary-enable",
            "off",
            "--workspace",
            "Alpha",
            "--profile",
            &name,
            "--reason",
            "hostile rows",
            "--yes",
        ],
        "",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !text(&o).contains("panicked") && !text(&o).contains("mallory"),
        "{}",
        text(&o)
    );
    assert_eq!(toggle(&pool, "c-alpha").await, Some(false));
    sqlx::query(r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = true WHERE "clientId" = 'c-alpha'"#)
        .execute(&pool)
        .await
        .expect("on again");
    let o = panel_env(
        &d,
        &[
            "lever",
            "workspace-rollback",
            "--workspace",
            "Alpha",
            "--profile",
            &name,
            "--reason",
            "hostile rows",
            "--yes",
        ],
        "",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    assert_eq!(toggle(&pool, "c-alpha").await, Some(false));

    // The window's worker: a refresh reads the hostile rows, then a
    // rollback runs to verified; the worker is alive throughout.
    sqlx::query(r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = true WHERE "clientId" = 'c-alpha'"#)
        .execute(&pool)
        .await
        .expect("on again");
    window_rollback(&db, dir.path()).await;
    assert_eq!(toggle(&pool, "c-alpha").await, Some(false));
}

async fn window_rollback(db: &TestDb, dir: &std::path::Path) {
    use rollout_panel::adapters::store::Store;
    use rollout_panel::core::lever::{LeverKind, LeverRequest, Parts, plan_from_parts};
    use rollout_panel::worker::{Event, LeverRun, Request, WorkerHandle};
    use std::time::{Duration, Instant};
    let config = common::db_only_profile(
        "hostile-window",
        &db.url,
        rollout_panel::core::profile::Profile::new("zrg"),
        dir.join("window-audit.sqlite"),
    );
    let mut worker = WorkerHandle::spawn(config, || {});
    worker.send(Request::Refresh);
    let started = Instant::now();
    let mut refreshed = false;
    while started.elapsed() < Duration::from_secs(30) && !refreshed {
        match worker
            .try_recv()
            .expect("the worker is alive after reading the hostile rows")
        {
            Some(Event::Snapshot(_)) => refreshed = true,
            Some(_) => {}
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    assert!(refreshed, "the refresh ended");
    let store = PgStore::connect(&db.url).await.expect("store");
    let workspaces = store.workspaces().await.expect("workspaces");
    let plan = plan_from_parts(
        &LeverRequest {
            kind: LeverKind::WorkspaceRollback,
            on: true,
            workspace: Some("c-alpha".to_owned()),
        },
        Parts {
            workspaces: Some(&workspaces),
            schema: Some(store.schema()),
            ..Parts::default()
        },
    )
    .expect("plan");
    worker.send(Request::RunLever(Box::new(LeverRun {
        run: 1,
        plan,
        reason: "hostile rows".to_owned(),
        finishes: None,
    })));
    let mut done = None;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) && done.is_none() {
        match worker.try_recv().expect("worker alive") {
            Some(Event::LeverDone { result, .. }) => done = Some(result),
            Some(_) => {}
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let report = done.expect("the lever ended").expect("it ran");
    assert!(report.ok, "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vercel_token_two_operators_share_is_reported() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let shared = common::shared_audit(&db).await;
    let dir = common::temp_dir();
    let a = common::panel_log(dir.path(), &shared, "alice@host-a").await;
    let b = common::panel_log(dir.path(), &shared, "bob@host-b").await;
    let c = common::panel_log(dir.path(), &shared, "carol@host-c").await;
    a.set_vercel_user(json!({"id": "usr_shared", "username": "ops-bot"}));
    b.set_vercel_user(json!({"id": "usr_shared", "username": "ops-bot"}));
    c.set_vercel_user(json!({"id": "usr_carol", "username": "carol"}));
    for log in [&a, &b, &c] {
        log.intent(
            chrono::Utc::now().naive_utc(),
            &Intent {
                profile: "production",
                lever: "revision-kill-switch",
                reason: "r",
                summary: "s",
                detail: json!({"plan": {}}),
            },
        )
        .await
        .expect("intent");
    }
    let rows = c.list("production", 50).await.expect("list");
    assert!(rows.iter().all(|e| e.counts()), "{rows:#?}");
    let theirs = rows
        .iter()
        .find(|e| e.operator == "alice@host-a")
        .expect("alice's intent");
    assert_eq!(
        theirs.detail["vercel_user"]["id"], "usr_shared",
        "recorded, signed"
    );
    assert_eq!(
        rollout_panel::ops::metrics::shared_tokens(&rows),
        [(
            "usr_shared".to_owned(),
            vec!["alice@host-a".to_owned(), "bob@host-b".to_owned()]
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teams_approvals_policy_is_a_signed_entry_and_turning_it_off_takes_two() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let pool = db.pool().await;
    let shared = common::shared_audit(&db).await;
    let dir = common::temp_dir();
    let a = common::panel_log(dir.path(), &shared, "alice@host-a").await;
    let b = common::panel_log(dir.path(), &shared, "bob@host-b").await;
    let store = PgStore::connect(&db.url).await.expect("store");
    let now = || chrono::Utc::now().naive_utc();
    // No policy: the profile's setting.
    assert!(!a.approvals_required(false).await);
    assert!(a.approvals_required(true).await);
    // One operator turns approvals on for the team: a profile saying
    // "no approvals" no longer decides.
    a.set_policy(now(), "production", true, None, "four eyes from now on")
        .await
        .expect("on");
    assert!(b.approvals_required(false).await);
    let beta = common::expansion_plan(&store, true, &["Beta"]).await;
    let ctx = RunContext {
        audit: &b,
        profile: "production",
        reason: "r",
        clock: &ManualClock::new(now()),
        waits: Waits::default(),
        action_id: None,
        approvals: false,
    };
    let targets = Targets {
        store: Some(&store),
        env: None,
    };
    let e = run_plan_with(&beta, targets, &ctx, &|_| {})
        .await
        .unwrap_err();
    refused(&e, "request it first");
    assert_eq!(
        toggle(&pool, "c-beta").await,
        Some(false),
        "nothing changed"
    );
    // A row written by hand saying "off" changes nothing.
    sqlx::query(
        "INSERT INTO rollout_panel.audit_entry (entry_id, action_id, at, operator, profile, lever, kind, status, detail)
         VALUES ('forged-policy', 'forged-policy', now() AT TIME ZONE 'UTC', 'bob@host-b', 'production', 'approval-policy', 'intent', 'pending', '{\"approvals\": false}')",
    )
    .execute(&pool)
    .await
    .expect("forged");
    assert!(a.approvals_required(false).await);
    // Off: Alice proposes; she cannot co-sign her own; Bob does.
    let proposal = a
        .set_policy(now(), "production", false, None, "rehearsal week")
        .await
        .expect("proposed");
    assert!(
        a.approvals_required(false).await,
        "a proposal alone changes nothing"
    );
    let own = a
        .set_policy(now(), "production", false, Some(&proposal), "me")
        .await
        .unwrap_err();
    assert!(own.to_string().contains("second operator"), "{own}");
    b.set_policy(now(), "production", false, Some(&proposal), "agreed")
        .await
        .expect("co-signed");
    assert!(
        !a.approvals_required(true).await,
        "the team said off, with four eyes"
    );
    let r = run_plan_with(&beta, targets, &ctx, &|_| {})
        .await
        .expect("runs");
    assert!(r.ok, "{r:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_operators_newest_entries_is_seen_by_the_operator_and_then_by_everyone() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let pool = db.pool().await;
    let shared = common::shared_audit(&db).await;
    let dir = common::temp_dir();
    let a = common::panel_log(dir.path(), &shared, "alice@host-a").await;
    let write = |log: &AuditLog, why: &'static str| {
        let log = log.clone();
        async move {
            log.intent(
                chrono::Utc::now().naive_utc(),
                &Intent {
                    profile: "production",
                    lever: "revision-kill-switch",
                    reason: why,
                    summary: why,
                    detail: json!({}),
                },
            )
            .await
            .expect("intent")
        }
    };
    write(&a, "one").await;
    write(&a, "two").await;
    assert_eq!(a.shared_problem(), None);
    // Someone deletes her newest entry: nothing in the table shows it yet.
    sqlx::query("DELETE FROM rollout_panel.audit_entry WHERE reason = 'two'")
        .execute(&pool)
        .await
        .expect("delete");
    assert!(
        shared
            .verify_all()
            .await
            .expect("verify")
            .iter()
            .all(|e| e.counts())
    );
    // Her next write links to what her machine signed last: she is told,
    // and every panel sees the gap.
    write(&a, "three").await;
    let problem = a.shared_problem().expect("told");
    assert!(problem.contains("missing or altered"), "{problem}");
    let rows = shared.verify_all().await.expect("verify");
    let three = rows.iter().find(|e| e.reason == "three").expect("three");
    assert!(
        matches!(&three.trust, Trust::Unverified(Why::OutOfChain(_))),
        "{:?}",
        three.trust
    );
}
