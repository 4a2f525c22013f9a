//! The worst hour, as a fault matrix against real parts: PostgreSQL behind a
//! TCP proxy that refuses, black-holes and cuts mid-query; a row lock held by
//! someone else; the Vercel stand-in with 5xx, slow answers, 429 storms and
//! kill points. Every lever is killed right after each of its side effects,
//! started again and finished; the invariants: an action is closed `ok` only
//! when the state is its after-state, every env write is followed by a
//! build, one lever makes one build. Timings are printed for the note (the
//! bounds asserted are loose: they say "bounded", not "fast").

mod common;

use common::panel_env;
use common::production::{Production, production, text};
use common::proxy::{Fault, FaultProxy};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// The guard words of a lever, as `--yes` needs them.
fn guard(lever: &str, state: &str) -> Vec<&'static str> {
    match (lever, state) {
        ("auto-send-kill-switch", "on") => vec!["--confirm", "DISABLE"],
        ("auto-send-kill-switch", "off") => vec!["--confirm", "ENABLE"],
        ("canary-enable", "on") => vec!["--workspace", "Gamma", "--confirm", "Gamma", "--override"],
        // The restore turns revision on: typed and judged like the canary.
        ("workspace-rollback", "off") => {
            vec!["--workspace", "Alpha", "--confirm", "Alpha", "--override"]
        }
        ("workspace-rollback", _) => vec!["--workspace", "Alpha"],
        _ => vec![],
    }
}

fn lever_args<'a>(
    name: &'a str,
    lever: &'a str,
    state: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "lever",
        lever,
        state,
        "--profile",
        name,
        "--reason",
        "worst hour",
        "--yes",
    ];
    args.extend(guard(lever, state));
    args.extend_from_slice(extra);
    args
}

/// Runs a lever to its end.
fn lever(d: &Path, name: &str, lever: &str, state: &str, extra: &[&str]) -> Output {
    panel_env(d, &lever_args(name, lever, state, extra), "", &[])
}

/// Starts a lever without waiting for it.
fn spawn_lever(d: &Path, name: &str, lever: &str, state: &str) -> Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_rollout-panel"))
        .arg("--data-dir")
        .arg(d)
        .args(lever_args(name, lever, state, &[]))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("panel")
}

/// Waits (bounded) for a child; `None` if it exited normally (not killed).
fn wait_killed(mut child: Child, within: Duration) -> Output {
    let started = Instant::now();
    while started.elapsed() < within {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("the lever did not end within {within:?}");
}

/// The profile's audit rows (this machine's log, and the shared table).
fn audit(d: &Path, name: &str) -> Vec<Value> {
    let o = panel_env(
        d,
        &["audit", "--profile", name, "--json", "--limit", "500"],
        "",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let rows: Value = serde_json::from_slice(&o.stdout).expect("json");
    rows.as_array().expect("rows").clone()
}

/// Action ids with an intent and no result.
fn unfinished(rows: &[Value]) -> Vec<String> {
    let mut open: Vec<String> = rows
        .iter()
        .filter(|r| r["kind"] == "intent")
        .map(|r| r["action_id"].as_str().unwrap_or_default().to_owned())
        .filter(|id| {
            !rows
                .iter()
                .any(|r| r["kind"] == "result" && r["action_id"] == id.as_str())
        })
        .collect();
    open.dedup();
    open
}

/// The result row of an action.
fn result_of<'a>(rows: &'a [Value], action: &str) -> Option<&'a Value> {
    rows.iter()
        .find(|r| r["kind"] == "result" && r["action_id"] == action)
}

/// Waits (bounded) until a lever's toggle write (an UPDATE, or the INSERT of
/// a missing settings row) waits on a lock someone holds.
async fn wait_for_a_write_on_a_lock(pool: &sqlx::PgPool) {
    let waiting = Instant::now();
    loop {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND (query LIKE 'UPDATE%' OR query LIKE 'INSERT%')",
        )
        .fetch_one(pool)
        .await
        .expect("activity");
        if n > 0 {
            return;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(30),
            "the lever never reached its write"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The profile's database URL goes through a fault proxy.
fn behind_proxy(p: &Production) -> FaultProxy {
    let (proxy, url) = FaultProxy::in_front_of(&p.db.url);
    let o = panel_env(
        p.dir.path(),
        &["secrets", "set", "--profile", &p.name, "database-url"],
        &url,
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    proxy
}

/// Both kill switches, both directions, with the database `fault`ed: each
/// exits 0 verified within 60 s; once the database is back the audit lists
/// all four and the shared table has caught up.
async fn kill_switches_with_the_database(fault: Fault) {
    let p = production(&format!("ks-{fault:?}").to_lowercase()).await;
    let d = p.dir.path();
    let proxy = behind_proxy(&p);
    let o = panel_env(d, &["audit", "init", "--profile", &p.name], "", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    proxy.set(fault);
    let env_value = |k: &str| p.state.lock().unwrap().env.get(k).map(|(v, _)| v.clone());
    let mut longest = Duration::ZERO;
    for (l, s, key, value) in [
        (
            "revision-kill-switch",
            "on",
            "AUTO_SEND_REVISION_DISABLED",
            "1",
        ),
        ("auto-send-kill-switch", "on", "AUTO_SEND_DISABLED", "1"),
        ("auto-send-kill-switch", "off", "AUTO_SEND_DISABLED", "0"),
        (
            "revision-kill-switch",
            "off",
            "AUTO_SEND_REVISION_DISABLED",
            "0",
        ),
    ] {
        let started = Instant::now();
        let o = lever(d, &p.name, l, s, &[]);
        let took = started.elapsed();
        longest = longest.max(took);
        assert_eq!(o.status.code(), Some(0), "{l} {s}: {}", text(&o));
        assert!(text(&o).contains("verified"), "{}", text(&o));
        assert_eq!(env_value(key).as_deref(), Some(value), "{l} {s}");
        assert!(took < Duration::from_secs(60), "{l} {s} took {took:?}");
    }
    eprintln!("kill switches with the database {fault:?}: the longest took {longest:?}");
    // The database is back: all four are listed, and the shared table caught up.
    proxy.set(Fault::Pass);
    let rows = audit(d, &p.name);
    let results: Vec<&Value> = rows.iter().filter(|r| r["kind"] == "result").collect();
    assert_eq!(results.len(), 4, "{rows:#?}");
    assert!(results.iter().all(|r| r["status"] == "ok"), "{results:#?}");
    let pool = p.db.pool().await;
    let (shared,): (i64,) = sqlx::query_as("SELECT count(*) FROM rollout_panel.audit_entry")
        .fetch_one(&pool)
        .await
        .expect("count");
    pool.close().await;
    assert_eq!(shared as usize, rows.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_kill_switches_work_with_the_database_black_holed_and_the_audit_catches_up() {
    kill_switches_with_the_database(Fault::BlackHole).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_kill_switches_work_with_the_database_refusing_and_the_audit_catches_up() {
    kill_switches_with_the_database(Fault::Refuse).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_lever_cut_mid_query_fails_at_once_and_changes_nothing() {
    let p = production("cut").await;
    let d = p.dir.path();
    let proxy = behind_proxy(&p);
    // Someone holds Alpha's settings row: the lever's UPDATE waits on it.
    let holder = p.db.pool().await;
    let mut tx = holder.begin().await.expect("begin");
    sqlx::query(r#"SELECT 1 FROM "WorkspaceSettings" WHERE "clientId" = 'c-alpha' FOR UPDATE"#)
        .execute(&mut *tx)
        .await
        .expect("lock");
    let child = spawn_lever(d, &p.name, "workspace-rollback", "on");
    // Wait until the UPDATE is waiting on the lock, then cut the connection.
    wait_for_a_write_on_a_lock(&holder).await;
    let cut_at = Instant::now();
    proxy.cut();
    let o = wait_killed(child, Duration::from_secs(60));
    let failed_in = cut_at.elapsed();
    eprintln!("workspace lever cut mid-query: it ended {failed_in:?} after the cut");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("FAILED"), "{}", text(&o));
    assert!(
        text(&o).contains("whether it took effect is unknown"),
        "a lost connection during a write is not called \"not applied\": {}",
        text(&o)
    );
    // The server notices its client is gone (client_connection_check_interval)
    // and cancels the waiting UPDATE: releasing the lock applies nothing.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    tx.rollback().await.expect("release");
    let (on,): (bool,) = sqlx::query_as(
        r#"SELECT "autoSendRevisionEnabled" FROM "WorkspaceSettings" WHERE "clientId" = 'c-alpha'"#,
    )
    .fetch_one(&holder)
    .await
    .expect("read");
    assert!(on, "a cut transaction changes nothing");
    // The action is on the record as failed, not left open.
    let rows = audit(d, &p.name);
    assert!(unfinished(&rows).is_empty(), "{rows:#?}");
    // The database is whole again: the same lever goes through.
    let o = lever(d, &p.name, "workspace-rollback", "on", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    holder.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_switch_rides_out_429_storms_5xx_and_slow_answers_and_never_writes_half() {
    let p = production("vercelbad").await;
    let d = p.dir.path();
    let deployments = || p.state.lock().unwrap().deployments.len();
    let env_value = |k: &str| p.state.lock().unwrap().env.get(k).map(|(v, _)| v.clone());
    let mut longest = Duration::ZERO;
    let mut timed = |label: &str, o: &Output, started: Instant| {
        let took = started.elapsed();
        eprintln!("Vercel {label}: the lever took {took:?}");
        longest = longest.max(took);
        assert!(
            took < Duration::from_secs(90),
            "{label}: {took:?} {}",
            text(o)
        );
    };
    // A 429 storm: five answers in a row, each with Retry-After: 1.
    p.state.lock().unwrap().throttle = 5;
    let started = Instant::now();
    let o = lever(d, &p.name, "revision-kill-switch", "on", &[]);
    timed("429 storm", &o, started);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(p.state.lock().unwrap().throttled, 5);
    // 5xx on reads: retried, the lever goes through.
    {
        let mut s = p.state.lock().unwrap();
        s.fail = 2;
        s.fail_status = 502;
        s.fail_on = Some(("GET", "/v10/projects/zrg/env"));
    }
    let started = Instant::now();
    let o = lever(d, &p.name, "revision-kill-switch", "off", &[]);
    timed("502 on env reads", &o, started);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        env_value("AUTO_SEND_REVISION_DISABLED").as_deref(),
        Some("0")
    );
    // Slow answers (1.5 s each): slower, still bounded and verified.
    p.state.lock().unwrap().slow = Duration::from_millis(1500);
    let started = Instant::now();
    let o = lever(d, &p.name, "revision-kill-switch", "on", &[]);
    timed("1.5 s answers", &o, started);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    p.state.lock().unwrap().slow = Duration::ZERO;
    // The redeploy POST fails with 500 twice (it was not taken): the env
    // write stands, the run fails loudly, nothing is built twice; once Vercel
    // is back, finishing the action builds once and verifies.
    let before = deployments();
    {
        let mut s = p.state.lock().unwrap();
        s.fail = 2;
        s.fail_status = 500;
        s.fail_on = Some(("POST", "/v13/deployments"));
    }
    let started = Instant::now();
    let o = lever(d, &p.name, "revision-kill-switch", "off", &[]);
    timed("500 on the redeploy", &o, started);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("the redeploy could not be started"),
        "{}",
        text(&o)
    );
    assert_eq!(deployments(), before, "no build was started");
    assert_eq!(
        env_value("AUTO_SEND_REVISION_DISABLED").as_deref(),
        Some("0")
    );
    let o = lever(d, &p.name, "revision-kill-switch", "off", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !text(&o).contains("Vercel production env:"),
        "not written twice: {}",
        text(&o)
    );
    assert_eq!(deployments(), before + 1, "one build");
    // The env write answers 500 but was taken: read back, it counts as
    // written and the redeploy follows (never a write left without a build).
    {
        let mut s = p.state.lock().unwrap();
        s.fail_on = None;
        s.lose_answer = Some(("POST", "/v10/projects/zrg/env"));
    }
    let before = deployments();
    let o = lever(d, &p.name, "revision-kill-switch", "on", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        p.state.lock().unwrap().lose_answer.is_none(),
        "the 500 was answered"
    );
    assert_eq!(
        env_value("AUTO_SEND_REVISION_DISABLED").as_deref(),
        Some("1")
    );
    assert_eq!(deployments(), before + 1, "its build followed");
    eprintln!("longest lever under Vercel faults: {longest:?}");
}

/// Where a lever is killed: right after this request took effect at Vercel,
/// or right after the toggle write committed in PostgreSQL.
#[derive(Clone, Copy, Debug)]
enum KillAt {
    Vercel(&'static str, &'static str),
    ToggleCommitted,
}

const AT_ENV_WRITE: KillAt = KillAt::Vercel("POST", "/v10/projects/zrg/env");
const AT_REDEPLOY: KillAt = KillAt::Vercel("POST", "/v13/deployments");
const AT_PROMOTE: KillAt = KillAt::Vercel("POST", "/v10/projects/zrg/promote/");

/// The value a lever sets, for the env levers.
fn env_target(lever: &str, state: &str) -> Option<(&'static str, &'static str)> {
    let value = if state == "on" { "1" } else { "0" };
    match lever {
        "revision-kill-switch" => Some(("AUTO_SEND_REVISION_DISABLED", value)),
        "auto-send-kill-switch" => Some(("AUTO_SEND_DISABLED", value)),
        "canary-enable" => Some(("AUTO_SEND_REVISION_DISABLED", "0")),
        _ => None,
    }
}

/// Kills `lever state` right after its side effect `at`, starts the CLI
/// again and finishes the interrupted action; then checks the invariants.
/// Returns how long the finishing run took.
async fn kill_then_finish(p: &Production, lever: &str, state: &str, at: KillAt) -> Duration {
    let d = p.dir.path();
    let builds_before = p.state.lock().unwrap().deployments.len();
    let mut listener = match at {
        KillAt::ToggleCommitted => {
            let mut l = sqlx::postgres::PgListener::connect(&p.db.url)
                .await
                .expect("listen");
            l.listen("kill_point").await.expect("listen");
            Some(l)
        }
        KillAt::Vercel(..) => None,
    };
    // A toggle kill point is made deterministic: the lever's write waits on
    // a lock the test holds; meanwhile the test locks the audit log, so that
    // after the commit the lever cannot record anything; the commit's NOTIFY
    // then kills it before it reads back or writes its result.
    let workspace = if lever == "canary-enable" {
        "c-gamma"
    } else {
        "c-alpha"
    };
    let pool = p.db.pool().await;
    let mut blocker = pool.begin().await.expect("begin");
    if let KillAt::ToggleCommitted = at {
        let (has_row,): (bool,) = sqlx::query_as(
            r#"SELECT EXISTS (SELECT 1 FROM "WorkspaceSettings" WHERE "clientId" = $1)"#,
        )
        .bind(workspace)
        .fetch_one(&mut *blocker)
        .await
        .expect("row?");
        let hold = if has_row {
            r#"SELECT 1 FROM "WorkspaceSettings" WHERE "clientId" = $1 FOR UPDATE"#
        } else {
            r#"INSERT INTO "WorkspaceSettings" ("id", "clientId", "updatedAt") VALUES ('kill-point-blocker', $1, now())"#
        };
        sqlx::query(hold)
            .bind(workspace)
            .execute(&mut *blocker)
            .await
            .expect("hold");
    }
    let mut child = spawn_lever(d, &p.name, lever, state);
    match at {
        KillAt::Vercel(method, path) => {
            p.state.lock().unwrap().kill = Some(common::production::Kill {
                method,
                path,
                pid: child.id(),
                fired: false,
            });
        }
        KillAt::ToggleCommitted => {
            // The lever's write is waiting on the held lock (its intent is
            // written by then: the intent comes first).
            wait_for_a_write_on_a_lock(&pool).await;
            use sqlx::Connection;
            let mut audit_lock = sqlx::sqlite::SqliteConnection::connect(&format!(
                "sqlite://{}",
                d.join("audit.sqlite").display()
            ))
            .await
            .expect("audit log");
            sqlx::raw_sql("BEGIN EXCLUSIVE")
                .execute(&mut audit_lock)
                .await
                .expect("lock the audit log");
            blocker.rollback().await.expect("release");
            // NOTIFY is delivered at commit: the write is durable, the
            // lever cannot record it (the log is locked).
            let l = listener.as_mut().expect("listener");
            tokio::time::timeout(Duration::from_secs(60), l.recv())
                .await
                .expect("the toggle was never written")
                .expect("notification");
            child.kill().expect("kill");
            let _ = child.wait();
            sqlx::raw_sql("ROLLBACK")
                .execute(&mut audit_lock)
                .await
                .expect("unlock");
            audit_lock.close().await.expect("close");
            blocker = pool.begin().await.expect("begin");
        }
    }
    blocker.rollback().await.expect("release");
    pool.close().await;
    let o = wait_killed(child, Duration::from_secs(60));
    let label = format!("{lever} {state} killed at {at:?}");
    assert_eq!(o.status.code(), None, "{label}: not killed: {}", text(&o));
    if let KillAt::Vercel(..) = at {
        let fired = p.state.lock().unwrap().kill.take().is_some_and(|k| k.fired);
        assert!(
            fired,
            "{label}: the kill point was never reached: {}",
            text(&o)
        );
    }
    let rows = audit(d, &p.name);
    let open = unfinished(&rows);
    let [action] = open.as_slice() else {
        // Killed so late that the result was already written: then it must
        // be an ok result whose state holds (checked below).
        panic!("{label}: expected one interrupted action, found {open:?}");
    };
    // Started again: the CLI names the interrupted action and how to finish it.
    let short = &action[..8];
    let started = Instant::now();
    let o = lever_with(d, &p.name, lever, state, &["--finish", short]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{label}: finish: {}", text(&o));
    // Invariants: closed ok, and only because the state is the after-state.
    let rows = audit(d, &p.name);
    assert!(unfinished(&rows).is_empty(), "{label}: {rows:#?}");
    let result = result_of(&rows, action).expect("closed");
    assert_eq!(result["status"], "ok", "{label}: {result:#}");
    if let Some((key, value)) = env_target(lever, state) {
        let s = p.state.lock().unwrap();
        let (configured, _) = s.env.get(key).cloned().expect("record");
        assert_eq!(configured, value, "{label}: configured");
        // What serves runs the value (every env write is followed by a
        // build that serves, or the pinned build already runs it).
        let serving = s.serving().expect("a serving build");
        assert_eq!(
            s.value_at(key, serving.1),
            Some(value),
            "{label}: {} serves without it",
            serving.0
        );
        let builds = s.deployments.len() - builds_before;
        assert!(builds <= 1, "{label}: one lever, one build (made {builds})");
    }
    if lever == "workspace-rollback" || lever == "canary-enable" {
        let (ws, want) = if lever == "canary-enable" {
            ("c-gamma", true)
        } else {
            ("c-alpha", state == "off")
        };
        let pool = p.db.pool().await;
        let (on,): (bool,) = sqlx::query_as(
            r#"SELECT "autoSendRevisionEnabled" FROM "WorkspaceSettings" WHERE "clientId" = $1"#,
        )
        .bind(ws)
        .fetch_one(&pool)
        .await
        .expect("toggle");
        pool.close().await;
        assert_eq!(on, want, "{label}: toggle");
    }
    eprintln!("{label}: finished in {took:?}");
    took
}

/// Runs a lever with extra arguments (`--finish ID`).
fn lever_with(d: &Path, name: &str, l: &str, state: &str, extra: &[&str]) -> Output {
    lever(d, name, l, state, extra)
}

/// Every kill switch direction, killed after its env write and after its
/// redeploy request, each finished from a new process.
async fn kill_switch_kill_points(l: &str) {
    let p = production(&format!("kp-{}", &l[..4])).await;
    let mut longest = Duration::ZERO;
    for (state, at) in [
        ("on", AT_ENV_WRITE),
        ("off", AT_ENV_WRITE),
        ("on", AT_REDEPLOY),
        ("off", AT_REDEPLOY),
    ] {
        longest = longest.max(kill_then_finish(&p, l, state, at).await);
    }
    eprintln!("{l}: the longest finish took {longest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revision_kill_switch_killed_after_each_side_effect_is_finished_with_one_build() {
    kill_switch_kill_points("revision-kill-switch").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auto_send_kill_switch_killed_after_each_side_effect_is_finished_with_one_build() {
    kill_switch_kill_points("auto-send-kill-switch").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_pin_a_kill_switch_killed_after_its_redeploy_or_its_promote_is_finished() {
    let p = production("kp-pin").await;
    let d = p.dir.path();
    // Two builds after dpl_0 (ON, then OFF again), then an Instant Rollback
    // to dpl_0, which runs OFF.
    for state in ["on", "off"] {
        let o = lever(d, &p.name, "revision-kill-switch", state, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    p.state.lock().unwrap().pinned = Some("dpl_0".to_owned());
    // ON, killed once its build was requested: finishing follows that build
    // and promotes it (the plan shows both), no second build.
    kill_then_finish(&p, "revision-kill-switch", "on", AT_REDEPLOY).await;
    assert_eq!(p.state.lock().unwrap().pinned, None, "the new build serves");
    // Pinned again; OFF, killed right after its promote took effect:
    // finishing finds it done.
    p.state.lock().unwrap().pinned = Some("dpl_0".to_owned());
    kill_then_finish(&p, "revision-kill-switch", "off", AT_PROMOTE).await;
    assert_eq!(p.state.lock().unwrap().pinned, None, "the new build serves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_levers_killed_after_each_side_effect_are_finished() {
    let p = production("kp-ws").await;
    let pool = p.db.pool().await;
    sqlx::raw_sql(
        r#"CREATE FUNCTION kill_point() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN PERFORM pg_notify('kill_point', NEW."clientId"); RETURN NEW; END $$;
           CREATE TRIGGER kill_point AFTER INSERT OR UPDATE ON "WorkspaceSettings"
           FOR EACH ROW EXECUTE FUNCTION kill_point();"#,
    )
    .execute(&pool)
    .await
    .expect("trigger");
    pool.close().await;
    kill_then_finish(&p, "workspace-rollback", "on", KillAt::ToggleCommitted).await;
    kill_then_finish(&p, "workspace-rollback", "off", KillAt::ToggleCommitted).await;
    // The canary with the kill switch on: toggle, env write, redeploy.
    p.state.lock().unwrap().env.insert(
        "AUTO_SEND_REVISION_DISABLED".into(),
        ("1".into(), 1_771_000_000_000),
    );
    kill_then_finish(&p, "canary-enable", "on", KillAt::ToggleCommitted).await;
    for at in [AT_ENV_WRITE, AT_REDEPLOY] {
        // Back to the start: Gamma off, the kill switch on and live.
        let o = lever(
            p.dir.path(),
            &p.name,
            "canary-enable",
            "off",
            &["--workspace", "Gamma"],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let o = lever(p.dir.path(), &p.name, "revision-kill-switch", "on", &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        kill_then_finish(&p, "canary-enable", "on", at).await;
    }
}

/// The window's side: the CLI is killed right after its redeploy request;
/// the window's worker (same data dir, same profile) finishes the
/// interrupted action as Finish… does — the plan made from fresh reads
/// follows the build already under way — and closes it `ok`: one build.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_window_an_action_killed_after_its_redeploy_is_finished_with_its_one_build() {
    use rollout_panel::adapters::audit::AuditLog;
    use rollout_panel::adapters::clock::{Clock, SystemClock};
    use rollout_panel::adapters::env::EnvSource;
    use rollout_panel::adapters::secrets::Keyring;
    use rollout_panel::core::lever::{Change, Finish, Parts, Plan, finish};
    use rollout_panel::core::profile::Profile;
    use rollout_panel::core::secret::Secret;
    use rollout_panel::worker::{Event, LeverRun, Request, Target, WorkerConfig, WorkerHandle};
    let p = production("kp-win").await;
    let d = p.dir.path();
    let builds_before = p.state.lock().unwrap().deployments.len();
    let child = spawn_lever(d, &p.name, "revision-kill-switch", "on");
    p.state.lock().unwrap().kill = Some(common::production::Kill {
        method: "POST",
        path: "/v13/deployments",
        pid: child.id(),
        fired: false,
    });
    let o = wait_killed(child, Duration::from_secs(60));
    assert_eq!(o.status.code(), None, "{}", text(&o));
    // Finish…: the interrupted intent, the plan made again from fresh reads.
    let log = AuditLog::open(&AuditLog::path_in(d)).await.expect("log");
    let open = log.unfinished(&p.name).await.expect("unfinished");
    let [intent] = open.as_slice() else {
        panic!("one interrupted action: {open:#?}");
    };
    let recorded: Plan =
        serde_json::from_value(intent.detail["plan"].clone()).expect("recorded plan");
    let client = rollout_panel::adapters::env::vercel::VercelClient::new(
        &p.server.uri(),
        "zrg",
        None,
        Secret::new("fake-token-1234567"),
    )
    .expect("client");
    let env = client.read(SystemClock.now()).await.expect("env");
    let parts = Parts {
        env: Some(&env),
        ..Parts::default()
    };
    let Finish::Plan(plan) = finish(Some(&recorded), &recorded.source(), parts) else {
        panic!("something is left to do");
    };
    assert!(
        matches!(plan.changes.as_slice(), [Change::Follow { .. }]),
        "only the build under way is left: {:?}",
        plan.changes
    );
    let config = WorkerConfig {
        target: Target::Profile {
            name: p.name.clone(),
            profile: Profile {
                vercel_api: p.server.uri(),
                ..Profile::new("zrg")
            },
            keyring: Keyring::native(),
        },
        clock: std::sync::Arc::new(SystemClock),
        auto_refresh: None,
        read_timeout: Duration::from_secs(15),
        audit_path: Some(AuditLog::path_in(d)),
        waits: rollout_panel::ops::levers::Waits {
            poll_every: Duration::from_millis(50),
            deadline: Duration::from_secs(60),
        },
    };
    let mut worker = WorkerHandle::spawn(config, || {});
    worker.send(Request::RunLever(Box::new(LeverRun {
        run: 1,
        plan: *plan,
        reason: "finish the interrupted rollback".to_owned(),
        finishes: Some(intent.action_id.clone()),
    })));
    let started = Instant::now();
    let mut done = None;
    while started.elapsed() < Duration::from_secs(60) && done.is_none() {
        match worker.try_recv().expect("worker alive") {
            Some(Event::LeverDone { result, .. }) => done = Some(result),
            Some(_) => {}
            None => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let report = done.expect("the lever ended").expect("it ran");
    assert!(report.ok, "{report:#?}");
    let rows = audit(d, &p.name);
    assert!(unfinished(&rows).is_empty(), "{rows:#?}");
    let closed = result_of(&rows, &intent.action_id).expect("closed");
    assert_eq!(closed["status"], "ok", "{closed:#}");
    let s = p.state.lock().unwrap();
    assert_eq!(s.deployments.len() - builds_before, 1, "one build");
    let serving = s.serving().expect("serving");
    assert_eq!(
        s.value_at("AUTO_SEND_REVISION_DISABLED", serving.1),
        Some("1")
    );
}
