//! Levers against a real PostgreSQL and a stateful fake Vercel (env records,
//! deployments that go QUEUED → BUILDING → READY or CANCELED as they are
//! polled, per-item upsert failures), through the command line, with the
//! profile's secrets in the real Secret Service (scripts/with-keyring.sh).

mod common;

use common::production::{Production, black_hole, fake_vercel, production, text};
use common::{DATA_BASE, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb, panel_env};
use rollout_panel::adapters::audit::{EntryStatus, Intent};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lever_against_postgres_v2_and_a_stateful_fake_vercel() {
    every_lever("v2", &[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lever_against_postgres_v1_and_a_stateful_fake_vercel() {
    every_lever("v1", &[PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS]).await;
}

async fn tables(url: &str, schema: &str) -> Vec<String> {
    let pool = sqlx::PgPool::connect(url).await.expect("pool");
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(&pool)
    .await
    .expect("tables");
    pool.close().await;
    rows.into_iter().map(|r| r.0).collect()
}

/// The stateful fake Vercel with the runbook's env set and one READY
/// production deployment.
async fn every_lever(variant: &str, fixtures: &[&'static str]) {
    common::require_secret_service();
    let db = TestDb::create().await;
    db.apply(fixtures).await;
    let (server, state) = fake_vercel(&db.url).await;
    let dir = common::temp_dir();
    let d = dir.path();
    let name = format!("lever-{variant}-{}", std::process::id());
    let run = |args: &[&str], stdin: &str| panel_env(d, args, stdin, &[]);
    let api = server.uri();
    common::add_db_profile(d, &name, &api, &db.url);
    assert!(
        run(
            &["secrets", "set", "--profile", &name, "vercel-token"],
            "fake-token-1234567"
        )
        .status
        .success()
    );
    // The shared audit table: its own schema, the app's tables untouched.
    let public_before = tables(&db.url, "public").await;
    let o = run(&["audit", "init", "--profile", &name], "");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("created the shared audit table rollout_panel.audit_entry"),
        "{}",
        text(&o)
    );
    let o = run(&["audit", "init", "--profile", &name], "");
    assert!(text(&o).contains("already exists"), "{}", text(&o));
    assert_eq!(tables(&db.url, "public").await, public_before);
    assert_eq!(
        tables(&db.url, "rollout_panel").await,
        vec![
            "_sqlx_migrations".to_owned(),
            "audit_entry".to_owned(),
            "guard_heartbeat".to_owned(),
            "instance".to_owned()
        ]
    );
    assert!(!text(&o).contains(&db.url), "no URL in the output");

    let lever = |args: &[&str]| {
        let mut all = vec!["lever"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--profile", &name, "--reason", "test", "--yes"]);
        run(&all, "")
    };
    let env_value = |k: &str| state.lock().unwrap().env.get(k).map(|(v, _)| v.clone());
    let toggle = |client: &str| {
        let url = db.url.clone();
        let client = client.to_owned();
        async move {
            let pool = sqlx::PgPool::connect(&url).await.expect("pool");
            let v: Option<(bool,)> = sqlx::query_as(r#"SELECT "autoSendRevisionEnabled" FROM "WorkspaceSettings" WHERE "clientId" = $1"#)
                .bind(&client)
                .fetch_optional(&pool)
                .await
                .expect("read");
            pool.close().await;
            v.map(|(b,)| b)
        }
    };

    // Fast rollback: env "1", redeploy READY, verified.
    let o = lever(&["revision-kill-switch", "on"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("READY and serving; the new values are live"),
        "{}",
        text(&o)
    );
    assert_eq!(
        env_value("AUTO_SEND_REVISION_DISABLED").as_deref(),
        Some("1")
    );

    // Restore, but the redeploy is CANCELED: a failed flip, exit 1.
    state.lock().unwrap().cancel_next = true;
    let o = lever(&["revision-kill-switch", "off"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("FAILED FLIP") && text(&o).contains("ended CANCELED"),
        "{}",
        text(&o)
    );
    assert_eq!(
        env_value("AUTO_SEND_REVISION_DISABLED").as_deref(),
        Some("0"),
        "configured, not live"
    );
    // Again: only the redeploy is left, and it goes through.
    let o = lever(&["revision-kill-switch", "off"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A redeploy that ends ERROR (a failed build) is a failed flip too.
    state.lock().unwrap().error_next = true;
    let o = lever(&["revision-kill-switch", "on"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("FAILED FLIP") && text(&o).contains("ended ERROR"),
        "{}",
        text(&o)
    );
    // Vercel answers 429 twice, then the retry goes through.
    state.lock().unwrap().throttle = 2;
    let o = lever(&["revision-kill-switch", "on"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        state.lock().unwrap().throttled,
        2,
        "both 429s were answered"
    );
    assert_eq!(
        env_value("AUTO_SEND_REVISION_DISABLED").as_deref(),
        Some("1")
    );

    // A 201 that lists the key under `failed` is a failure; nothing is redeployed.
    state.lock().unwrap().fail_next_upsert = true;
    let deployments_before = state.lock().unwrap().deployments.len();
    let o = lever(&["auto-send-kill-switch", "on", "--confirm", "DISABLE"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("Vercel did not write AUTO_SEND_DISABLED"),
        "{}",
        text(&o)
    );
    assert_eq!(state.lock().unwrap().deployments.len(), deployments_before);
    assert_eq!(env_value("AUTO_SEND_DISABLED").as_deref(), Some("0"));
    // Again, accepted this time: the full rollback, then its restore (typed ENABLE).
    let o = lever(&["auto-send-kill-switch", "on", "--confirm", "DISABLE"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(env_value("AUTO_SEND_DISABLED").as_deref(), Some("1"));
    let o = lever(&["auto-send-kill-switch", "off", "--confirm", "DISABLE"]);
    assert_eq!(o.status.code(), Some(1), "the restore's word is ENABLE");
    let o = lever(&["auto-send-kill-switch", "off", "--confirm", "ENABLE"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(env_value("AUTO_SEND_DISABLED").as_deref(), Some("0"));

    // Workspace rollback in the real database, then the canary on another one.
    // Another operator's lever on Alpha is running (alice's panel, signed
    // with her key of the team's roster): a rollback does not wait, and
    // says who else is acting. A row written by hand into the shared table
    // (unsigned) is not an operator: it is never named, never waited for.
    let shared = common::shared_audit(&db).await;
    let alice_dir = common::temp_dir();
    let alice = common::panel_log(alice_dir.path(), &shared, "alice@host-a").await;
    let utc_now = || chrono::Utc::now().naive_utc();
    let alices = |action: &'static str, workspace: &'static str, summary: &'static str| {
        let alice = alice.clone();
        async move {
            alice
                .intent_with_id(
                    action,
                    utc_now(),
                    &Intent {
                        profile: "production",
                        lever: "canary-enable",
                        reason: "canary",
                        summary,
                        detail: json!({"plan": {"workspace": workspace}}),
                    },
                )
                .await
                .expect("alice's intent");
        }
    };
    let alices_result = |action: &'static str| {
        let alice = alice.clone();
        async move {
            alice
                .result(
                    action,
                    utc_now(),
                    EntryStatus::Failed,
                    "abandoned",
                    &json!({}),
                )
                .await
                .expect("alice's result");
        }
    };
    let forged = |sql: &'static str| {
        let url = db.url.clone();
        async move {
            let pool = sqlx::PgPool::connect(&url).await.expect("pool");
            sqlx::query(sql).execute(&pool).await.expect("forged row");
            pool.close().await;
        }
    };
    forged(
        "INSERT INTO rollout_panel.audit_entry (entry_id, action_id, at, operator, profile, lever, kind, status, reason, summary, detail)
         VALUES ('forged-a1', 'forged-action-a', now() AT TIME ZONE 'UTC', 'mallory@psql', 'production', 'canary-enable', 'intent', 'pending', 'canary', 'forged toggle of Alpha', '{\"plan\": {\"workspace\": \"c-alpha\"}}')",
    )
    .await;
    alices("other-action-a", "c-alpha", "toggle of Alpha: OFF -> ON").await;
    assert_eq!(toggle("c-alpha").await, Some(true));
    let o = lever(&["workspace-rollback", "--workspace", "Alpha"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(toggle("c-alpha").await, Some(false));
    assert!(
        text(&o).contains(
            "note   other operator — alice@host-a is running \"toggle of Alpha: OFF -> ON\""
        ) && text(&o).contains("a rollback does not wait"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("mallory"), "{}", text(&o));
    alices_result("other-action-a").await;
    // Its restore turns revision on again: the canary's preconditions and
    // its typed guard (issue 28), then the rollback again.
    let o = lever(&["workspace-rollback", "off", "--workspace", "Alpha"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(toggle("c-alpha").await, Some(false), "nothing was changed");
    let o = lever(&[
        "workspace-rollback",
        "off",
        "--workspace",
        "Alpha",
        "--confirm",
        "Alpha",
        "--override",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("one canary") && text(&o).contains("readiness"),
        "{}",
        text(&o)
    );
    assert_eq!(toggle("c-alpha").await, Some(true));
    let o = lever(&["workspace-rollback", "--workspace", "Alpha"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(toggle("c-alpha").await, Some(false));
    // Another operator's panel is enabling Gamma right now (its intent is in
    // the shared table, no result yet): this panel's canary on Gamma waits.
    alices("other-action-1", "c-gamma", "toggle of Gamma: OFF -> ON").await;
    let canary_gamma = || {
        lever(&[
            "canary-enable",
            "--workspace",
            "Gamma",
            "--confirm",
            "Gamma",
            "--override",
        ])
    };
    let o = canary_gamma();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("alice@host-a is running \"toggle of Gamma: OFF -> ON\""),
        "{}",
        text(&o)
    );
    assert_eq!(toggle("c-gamma").await, None, "nothing was changed");
    // A result written by hand does not end her lever.
    forged(
        "INSERT INTO rollout_panel.audit_entry (entry_id, action_id, at, operator, profile, lever, kind, status, reason, summary, detail)
         VALUES ('forged-2', 'other-action-1', now() AT TIME ZONE 'UTC', 'alice@host-a', 'production', 'canary-enable', 'result', 'failed', '', 'abandoned', '{}')",
    )
    .await;
    let o = canary_gamma();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("alice@host-a is running"), "{}", text(&o));
    // Her result arrives: this panel's canary goes.
    alices_result("other-action-1").await;
    let o = canary_gamma();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        toggle("c-gamma").await,
        Some(true),
        "the missing settings row was created"
    );
    // The canary's restore turns it off again (one confirm, like a rollback).
    let o = lever(&["canary-enable", "off", "--workspace", "Gamma"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(toggle("c-gamma").await, Some(false));

    // The audit log has every action, failures included.
    let o = run(
        &["audit", "--profile", &name, "--json", "--limit", "200"],
        "",
    );
    let rows: Value = serde_json::from_slice(&o.stdout).expect("json");
    let results: Vec<(String, String)> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["kind"] == "result" && r["trust"] != "unverified")
        .map(|r| {
            (
                r["lever"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expect = [
        ("canary-enable", "ok"),
        ("canary-enable", "ok"),
        // the other operator's, from the shared table
        ("canary-enable", "failed"),
        ("workspace-rollback", "ok"),
        ("workspace-rollback", "ok"),
        ("canary-enable", "failed"),
        ("workspace-rollback", "ok"),
        ("auto-send-kill-switch", "ok"),
        ("auto-send-kill-switch", "ok"),
        ("auto-send-kill-switch", "failed"),
        ("revision-kill-switch", "ok"),
        ("revision-kill-switch", "failed"),
        ("revision-kill-switch", "ok"),
        ("revision-kill-switch", "failed"),
        ("revision-kill-switch", "ok"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(results, expect);
    // The canary's plan turned the kill switch off again and redeployed.
    assert_eq!(
        env_value("AUTO_SEND_REVISION_DISABLED").as_deref(),
        Some("0")
    );

    // Every row is in the shared table too…
    let local = rows.as_array().expect("rows").len();
    let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
    let (shared,): (i64,) = sqlx::query_as("SELECT count(*) FROM rollout_panel.audit_entry")
        .fetch_one(&pool)
        .await
        .expect("count");
    pool.close().await;
    assert_eq!(shared as usize, local);
    // …so a second operator (another machine: own data dir, same database)
    // sees them, and nothing twice.
    let dir2 = common::temp_dir();
    let run2 = |args: &[&str]| panel_env(dir2.path(), args, "", &[]);
    let o = run2(&[
        "profile",
        "add",
        &name,
        "--vercel-project",
        "zrg",
        "--vercel-api",
        &api,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run2(&["audit", "--profile", &name, "--json", "--limit", "200"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let theirs: Value = serde_json::from_slice(&o.stdout).expect("json");
    let theirs = theirs.as_array().expect("rows");
    assert_eq!(theirs.len(), local);
    assert!(theirs.iter().all(|r| r["origin"] == "shared"));
    let o = run(
        &["audit", "--profile", &name, "--json", "--limit", "200"],
        "",
    );
    let mine: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(mine.as_array().expect("rows").len(), local, "no duplicates");
    assert!(run(&["profile", "remove", &name], "").status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_rollback_needs_no_vercel_and_a_held_row_lock_fails_it_fast() {
    common::require_secret_service();
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    let dir = common::temp_dir();
    let d = dir.path();
    let name = format!("novercel-{}", std::process::id());
    let run = |args: &[&str]| panel_env(d, args, "", &[]);
    // Vercel is down: nothing listens where the profile points.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let api = format!(
        "http://127.0.0.1:{}",
        closed.local_addr().expect("addr").port()
    );
    drop(closed);
    common::add_db_profile(d, &name, &api, &db.url);
    let toggle = || async {
        let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
        let (on,): (bool,) = sqlx::query_as(
            r#"SELECT "autoSendRevisionEnabled" FROM "WorkspaceSettings" WHERE "clientId" = 'c-alpha'"#,
        )
        .fetch_one(&pool)
        .await
        .expect("read");
        pool.close().await;
        on
    };
    assert!(toggle().await);
    let rollback = [
        "lever",
        "workspace-rollback",
        "--workspace",
        "Alpha",
        "--profile",
        &name,
        "--reason",
        "vercel is down",
        "--yes",
    ];
    // Someone holds the row lock: the lever fails within seconds and says so.
    let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query(r#"SELECT 1 FROM "WorkspaceSettings" WHERE "clientId" = 'c-alpha' FOR UPDATE"#)
        .execute(&mut *tx)
        .await
        .expect("lock");
    let started = std::time::Instant::now();
    let o = run(&rollback);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("the row is locked by another transaction"),
        "{}",
        text(&o)
    );
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    eprintln!("a held row lock failed the workspace lever in {took:?}");
    tx.rollback().await.expect("release");
    pool.close().await;
    assert!(toggle().await, "nothing was changed");
    // The lock is gone: the rollback completes without Vercel.
    let started = std::time::Instant::now();
    let o = run(&rollback);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("verified"), "{}", text(&o));
    eprintln!(
        "confirm -> toggle written with Vercel down: {:?}",
        started.elapsed()
    );
    assert!(!toggle().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_window_both_kill_switches_start_at_once_and_verify_with_the_database_black_holed() {
    let (port, _held) = black_hole();
    window_kill_switches_with_the_database_at(port, "black-holed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_window_both_kill_switches_start_at_once_and_verify_with_the_database_refusing() {
    // Nothing listens there any more: every connect is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    window_kill_switches_with_the_database_at(port, "refusing").await;
}

/// The window's worker with the profile's database at `port` (dark): both
/// kill switches, on and off, each confirmed while a refresh may be stuck,
/// start their first step within 1 s and end verified within 60 s.
async fn window_kill_switches_with_the_database_at(port: u16, how: &str) {
    use rollout_panel::adapters::clock::{Clock, SystemClock};
    use rollout_panel::adapters::env::EnvSource;
    use rollout_panel::adapters::secrets::Keyring;
    use rollout_panel::core::lever::{LeverKind, LeverRequest, Parts, plan_from_parts};
    use rollout_panel::core::profile::Profile;
    use rollout_panel::core::secret::{Secret, SecretKey};
    use rollout_panel::worker::{Event, LeverRun, Request, Target, WorkerConfig, WorkerHandle};
    use std::time::{Duration, Instant};
    common::require_secret_service();
    let db = TestDb::create().await;
    let (server, state) = fake_vercel(&db.url).await;
    let name = format!("lane-{how}-{}", std::process::id());
    let keyring = Keyring::native();
    let dark = format!("postgres://postgres@127.0.0.1:{port}/zrg");
    keyring
        .set(&name, SecretKey::DatabaseUrl, &Secret::new(&dark))
        .expect("db url");
    keyring
        .set(
            &name,
            SecretKey::VercelToken,
            &Secret::new("fake-token-1234567"),
        )
        .expect("token");
    let profile = Profile {
        vercel_api: server.uri(),
        ..Profile::new("zrg")
    };
    let client = rollout_panel::adapters::env::vercel::VercelClient::new(
        &server.uri(),
        "zrg",
        None,
        Secret::new("fake-token-1234567"),
    )
    .expect("client");
    let dir = common::temp_dir();
    let config = WorkerConfig {
        target: Target::Profile {
            name: name.clone(),
            profile,
            keyring: keyring.clone(),
        },
        clock: std::sync::Arc::new(SystemClock),
        auto_refresh: None,
        read_timeout: Duration::from_secs(15),
        audit_path: Some(dir.path().join("audit.sqlite")),
        waits: rollout_panel::ops::levers::Waits {
            poll_every: Duration::from_millis(50),
            deadline: Duration::from_secs(60),
        },
    };
    let mut worker = WorkerHandle::spawn(config, || {});
    // The first refresh is now connecting to the dark database.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut slowest_start = Duration::ZERO;
    let mut slowest_write = Duration::ZERO;
    let mut slowest_end = Duration::ZERO;
    for (run, (kind, on, key, value)) in [
        (
            LeverKind::RevisionKillSwitch,
            true,
            "AUTO_SEND_REVISION_DISABLED",
            "1",
        ),
        (
            LeverKind::AutoSendKillSwitch,
            true,
            "AUTO_SEND_DISABLED",
            "1",
        ),
        (
            LeverKind::AutoSendKillSwitch,
            false,
            "AUTO_SEND_DISABLED",
            "0",
        ),
        (
            LeverKind::RevisionKillSwitch,
            false,
            "AUTO_SEND_REVISION_DISABLED",
            "0",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        // The plan, as the confirm dialog shows it from the env alone.
        let env = client.read(SystemClock.now()).await.expect("env");
        let plan = plan_from_parts(
            &LeverRequest {
                kind,
                on,
                workspace: None,
            },
            Parts {
                env: Some(&env),
                ..Parts::default()
            },
        )
        .expect("plan");
        // A refresh (stuck on the dark database) is asked for first.
        worker.send(Request::Recheck);
        let confirmed = Instant::now();
        worker.send(Request::RunLever(Box::new(LeverRun {
            run: run as u64 + 1,
            plan,
            reason: format!("db is {how}"),
            finishes: None,
        })));
        let mut first_step = None;
        let mut done = None;
        while confirmed.elapsed() < Duration::from_secs(60) && done.is_none() {
            match worker.try_recv().expect("worker alive") {
                Some(Event::LeverStep { .. }) if first_step.is_none() => {
                    first_step = Some(confirmed.elapsed());
                }
                Some(Event::LeverDone { result, .. }) => done = Some(result),
                Some(_) => {}
                None => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
        let first_step = first_step.expect("the lever reported a step");
        let report = done.expect("the lever ended").expect("it ran");
        assert!(report.ok, "{kind:?} {on}: {report:#?}");
        let first_write = state
            .lock()
            .unwrap()
            .posts
            .iter()
            .find(|(path, at)| path.ends_with("/env") && *at > confirmed)
            .map(|(_, at)| *at - confirmed)
            .expect("the env was written");
        slowest_write = slowest_write.max(first_write);
        slowest_start = slowest_start.max(first_step);
        slowest_end = slowest_end.max(confirmed.elapsed());
        assert!(first_step < Duration::from_secs(1), "{first_step:?}");
        assert_eq!(
            state.lock().unwrap().env.get(key).map(|(v, _)| v.as_str()),
            Some(value),
            "{kind:?} {on}"
        );
    }
    eprintln!(
        "window, database {how}: confirm -> first lever step at most {slowest_start:?}, -> Vercel env write at most {slowest_write:?}, -> verified at most {slowest_end:?}"
    );
    for key in [SecretKey::DatabaseUrl, SecretKey::VercelToken] {
        let _ = keyring.delete(&name, key);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_instant_rollback_check_names_the_pinned_build_and_a_kill_switch_promotes_its_build()
 {
    let Production {
        db: _db,
        server: _fake_vercel,
        state,
        dir,
        name,
    } = production("pinned").await;
    let d = dir.path();
    let run = |args: &[&str], stdin: &str| panel_env(d, args, stdin, &[]);
    // The kill switch goes ON and live (a second build, dpl_2)…
    let lever = |args: &[&str]| {
        let mut all = vec!["lever"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--profile", &name, "--reason", "pin test", "--yes"]);
        run(&all, "")
    };
    let o = lever(&["revision-kill-switch", "on"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // …then someone does an Instant Rollback to the build from before.
    state.lock().unwrap().pinned = Some("dpl_0".to_owned());
    let o = run(&["check", "--profile", &name, "--json"], "");
    let report: Value = serde_json::from_slice(&o.stdout).expect("json");
    let item = |id: &str| {
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .expect("item")
    };
    let latest = item("deploy.latest");
    assert_eq!(latest["status"], "warn", "{latest:#}");
    let finding = latest["finding"].as_str().unwrap_or_default();
    assert!(finding.contains("pinned to dpl_0"), "{finding}");
    assert!(finding.contains("dpl_2 does not serve"), "{finding}");
    let live = item("deploy.live.AUTO_SEND_REVISION_DISABLED");
    assert_ne!(
        live["status"], "pass",
        "configured ON is not live under the pin: {live:#}"
    );
    // Its kill-switch value is named as live: the first lever's audited
    // plan read the record after dpl_0 was built, unchanged since before.
    let finding = live["finding"].as_str().unwrap_or_default();
    assert!(
        finding.contains("configured ON, live OFF in the pinned build dpl_0"),
        "{live:#}"
    );
    assert!(finding.contains("dpl_0 runs \"0\""), "{live:#}");
    let other = item("deploy.live.AUTO_SEND_DISABLED");
    assert_eq!(other["status"], "pass", "unchanged since dpl_0: {other:#}");
    // The kill switch again: its plan promotes the new build, shown as a
    // step; READY alone would not serve.
    let o = lever(&["revision-kill-switch", "on"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("promote the new build to production"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("pinned to dpl_0"), "{}", text(&o));
    assert!(
        text(&o).contains("READY and serving; the new values are live"),
        "{}",
        text(&o)
    );
    assert_eq!(
        state.lock().unwrap().pinned,
        None,
        "the newest build was promoted"
    );
    // dpl_2 was built after the change: it already carries it, so it is
    // followed and promoted, not built again.
    assert!(text(&o).contains("follow the build dpl_2"), "{}", text(&o));
    assert_eq!(
        state.lock().unwrap().deployments.len(),
        2,
        "no second build for the same value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_lever_waits_for_no_one_but_never_interleaves_with_a_running_lever_on_the_same_part()
{
    let Production {
        db: _db,
        server: _fake_vercel,
        state,
        dir,
        name,
    } = production("locked").await;
    let d = dir.path();
    let run = |args: &[&str], stdin: &str| panel_env(d, args, stdin, &[]);
    // A lever on the env is running (the window's lane holds this lock).
    let held = rollout_panel::platform::instance::lever_locks(d, &name, false, true).expect("lock");
    let o = run(
        &[
            "lever",
            "revision-kill-switch",
            "on",
            "--profile",
            &name,
            "--reason",
            "race",
            "--yes",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "another lever on the Vercel env of profile {name} is running (process {})",
            std::process::id()
        )),
        "{}",
        text(&o)
    );
    assert_eq!(
        state
            .lock()
            .unwrap()
            .env
            .get("AUTO_SEND_REVISION_DISABLED")
            .map(|(v, _)| v.as_str()),
        Some("0"),
        "nothing was written"
    );
    // A workspace lever changes another part: it is not held up.
    let o = run(
        &[
            "lever",
            "workspace-rollback",
            "--workspace",
            "Alpha",
            "--profile",
            &name,
            "--reason",
            "race",
            "--yes",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    drop(held);
    let o = run(
        &[
            "lever",
            "revision-kill-switch",
            "on",
            "--profile",
            &name,
            "--reason",
            "race",
            "--yes",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_window_a_workspace_rollback_completes_with_vercel_down() {
    use rollout_panel::adapters::clock::SystemClock;
    use rollout_panel::adapters::secrets::Keyring;
    use rollout_panel::adapters::store::{PgStore, Store};
    use rollout_panel::core::lever::{LeverKind, LeverRequest, Parts, plan_from_parts};
    use rollout_panel::core::profile::Profile;
    use rollout_panel::core::secret::{Secret, SecretKey};
    use rollout_panel::worker::{Event, LeverRun, Request, Target, WorkerConfig, WorkerHandle};
    use std::time::{Duration, Instant};
    common::require_secret_service();
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    // Vercel is down: nothing listens where the profile points.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let api = format!(
        "http://127.0.0.1:{}",
        closed.local_addr().expect("addr").port()
    );
    drop(closed);
    let name = format!("wnovercel-{}", std::process::id());
    let keyring = Keyring::native();
    keyring
        .set(&name, SecretKey::DatabaseUrl, &Secret::new(&db.url))
        .expect("db url");
    keyring
        .set(
            &name,
            SecretKey::VercelToken,
            &Secret::new("fake-token-1234567"),
        )
        .expect("token");
    // The plan, as the dialog shows it from the database alone.
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
    let dir = common::temp_dir();
    let config = WorkerConfig {
        target: Target::Profile {
            name: name.clone(),
            profile: Profile {
                vercel_api: api,
                ..Profile::new("zrg")
            },
            keyring: keyring.clone(),
        },
        clock: std::sync::Arc::new(SystemClock),
        auto_refresh: None,
        read_timeout: Duration::from_secs(15),
        audit_path: Some(dir.path().join("audit.sqlite")),
        waits: rollout_panel::ops::levers::Waits::default(),
    };
    let mut worker = WorkerHandle::spawn(config, || {});
    let confirmed = Instant::now();
    worker.send(Request::RunLever(Box::new(LeverRun {
        run: 1,
        plan,
        reason: "vercel is down".to_owned(),
        finishes: None,
    })));
    let mut done = None;
    while confirmed.elapsed() < Duration::from_secs(60) && done.is_none() {
        match worker.try_recv().expect("worker alive") {
            Some(Event::LeverDone { result, .. }) => done = Some(result),
            Some(_) => {}
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let took = confirmed.elapsed();
    let report = done.expect("the lever ended").expect("it ran");
    assert!(report.ok, "{report:#?}");
    eprintln!("window, Vercel down: confirm -> workspace rollback verified in {took:?}");
    let (on,): (bool,) = sqlx::query_as(
        r#"SELECT "autoSendRevisionEnabled" FROM "WorkspaceSettings" WHERE "clientId" = 'c-alpha'"#,
    )
    .fetch_one(store.pool())
    .await
    .expect("read");
    assert!(!on, "the toggle is off");
    store.close().await;
    for key in [SecretKey::DatabaseUrl, SecretKey::VercelToken] {
        let _ = keyring.delete(&name, key);
    }
}
