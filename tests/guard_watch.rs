//! `rollout-panel watch` (issue 29) on a real Postgres: two watchers of one
//! profile, the guard armed. The advisory lock decides which one guards
//! (the other watches and says on which host the guard is); a guard whose
//! process stops (SIGSTOP: its session and lock stay, its heartbeat stops)
//! is shown as "GUARD DOWN" by the other and by `guard status --json`;
//! killing it ends its session and the lock moves to the other watcher;
//! SIGTERM ends a watcher cleanly (exit 0).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::panel_env;
use common::production::{production, text};

/// A watcher process and the lines it printed.
struct Watcher {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watcher {
    fn start(data_dir: &std::path::Path, profile: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rollout-panel"))
            .arg("--data-dir")
            .arg(data_dir)
            .args([
                "watch",
                "--profile",
                profile,
                "--refresh-secs",
                "1",
                "--line-secs",
                "1",
                "--no-notifications",
            ])
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the watcher");
        let out = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// How many lines it printed so far.
    fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Waits for a line printed after the first `from` that contains
    /// `needle`; returns it.
    fn wait_for(&self, from: usize, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(l) = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .skip(from)
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no line with {needle:?} within {within:?}: {:#?}",
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The status lines printed after the first `from`.
    fn status_after(&self, from: usize) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .skip(from)
            .filter(|l| l.contains(" · guard"))
            .cloned()
            .collect()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(pid: &str, sig: &str) {
    let s = Command::new("kill")
        .args([sig, pid])
        .status()
        .expect("kill");
    assert!(s.success(), "kill {sig} {pid}");
}

const WAIT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread")]
async fn two_watchers_one_guard_a_silent_guard_is_down_and_killing_it_moves_the_lock() {
    let p = production("gwatch").await;
    let dir = p.dir.path();
    let o = panel_env(dir, &["audit", "init", "--profile", &p.name], "", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // A short heartbeat deadline for the test (the default is 2 min).
    let path = dir.join("config").join("profiles.toml");
    let mut doc: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut guard = toml::Table::new();
    guard.insert("down_after_secs".into(), toml::Value::Integer(6));
    doc.get_mut("profiles")
        .and_then(|ps| ps.get_mut(&p.name))
        .and_then(|p| p.as_table_mut())
        .unwrap()
        .insert("guard".into(), toml::Value::Table(guard));
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();
    let o = panel_env(
        dir,
        &[
            "guard",
            "arm",
            "--profile",
            &p.name,
            "--reason",
            "two watchers, one guard",
        ],
        "",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The second watcher: another data dir (another machine's files) with
    // the same profile.
    let other = common::temp_dir();
    std::fs::create_dir_all(other.path().join("config")).unwrap();
    std::fs::copy(&path, other.path().join("config").join("profiles.toml")).unwrap();

    let a = Watcher::start(dir, &p.name);
    a.wait_for(0, "acting (holds the lock)", WAIT);
    let b = Watcher::start(other.path(), &p.name);
    let seen = b.wait_for(0, "watching (the guard is on ", WAIT);
    eprintln!("b: {seen}");
    // A few more seconds: one acts, the other never does.
    let (from_a, from_b) = (a.count(), b.count());
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        a.status_after(from_a)
            .iter()
            .all(|l| l.contains("acting (holds the lock)")),
        "{:#?}",
        a.status_after(from_a)
    );
    let b_lines = b.status_after(from_b);
    assert!(!b_lines.is_empty());
    assert!(
        b_lines
            .iter()
            .all(|l| l.contains("watching (the guard is on ")
                && !l.contains("acting")
                && !l.contains("GUARD DOWN")),
        "{b_lines:#?}"
    );

    // The guard stops answering: its lock stays, its heartbeat stops.
    signal(&a.pid(), "-STOP");
    let from_b = b.count();
    let down = b.wait_for(from_b, "GUARD DOWN since", WAIT);
    eprintln!("b: {down}");
    // A third panel sees it too.
    let o = panel_env(
        dir,
        &["guard", "status", "--profile", &p.name, "--json"],
        "",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let status: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(status["armed"], true, "{status}");
    assert_eq!(status["lock_held"], true, "{status}");
    assert!(status["down_since"].is_string(), "{status}");

    // Killing it ends its session: the lock moves to the other watcher.
    signal(&a.pid(), "-KILL");
    let from_b = b.count();
    let took = b.wait_for(from_b, "acting (holds the lock)", WAIT);
    eprintln!("b: {took}");
    assert!(!took.contains("GUARD DOWN"), "{took}");
    let o = panel_env(
        dir,
        &["guard", "status", "--profile", &p.name, "--json"],
        "",
        &[],
    );
    let status: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(status["down_since"].is_null(), "{status}");
    assert!(status["guarded_by"]["host"].is_string(), "{status}");

    // SIGTERM: a clean stop.
    let mut b = b;
    signal(&b.pid(), "-TERM");
    let code = b.child.wait().expect("wait");
    assert_eq!(code.code(), Some(0));
    b.wait_for(0, "watch stopped (SIGTERM)", Duration::from_secs(10));
}

/// A refresh of a worker, waited for (from a multi-thread tokio test).
fn refresh_worker(h: &mut rollout_panel::worker::WorkerHandle) {
    tokio::task::block_in_place(|| {
        h.send(rollout_panel::worker::Request::Refresh);
        assert!(h.wait_idle(Duration::from_secs(120)), "refresh");
    });
}

/// After a worker's first read, arms the guard (not a dry run).
fn arm_worker(h: &mut rollout_panel::worker::WorkerHandle, reason: &str) {
    tokio::task::block_in_place(|| {
        assert!(h.wait_idle(Duration::from_secs(60)), "first read");
        h.send(rollout_panel::worker::Request::Guard {
            armed: true,
            dry_run: false,
            reason: reason.to_owned(),
        });
        assert!(h.wait_idle(Duration::from_secs(60)), "armed");
    });
}

/// The newest snapshot among the worker's waiting events.
fn latest(
    h: &rollout_panel::worker::WorkerHandle,
    last: &mut Option<std::sync::Arc<rollout_panel::worker::Snapshot>>,
) {
    while let Ok(Some(e)) = h.try_recv() {
        if let rollout_panel::worker::Event::Snapshot(s) = e {
            *last = Some(s);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn black_holed_postgres_makes_the_guard_blind_never_a_writer_and_it_resumes() {
    use common::proxy::{Fault, FaultProxy};
    use rollout_panel::core::guard::{Duty, Look};
    use rollout_panel::worker::WorkerHandle;
    common::require_secret_service();
    let db = common::TestDb::create().await;
    db.apply(&[
        common::PG_V0,
        common::PG_V1,
        common::PG_V2,
        common::DATA_BASE,
        common::DATA_REVISIONS,
    ])
    .await;
    let _shared = common::shared_audit(&db).await;
    let (proxy, through) = FaultProxy::in_front_of(&db.url);
    let dir = common::temp_dir();
    let mut config = common::db_only_profile(
        "gblind",
        &through,
        rollout_panel::core::profile::Profile {
            guard: Some(Box::new(rollout_panel::core::guard::GuardProfile {
                down_after_secs: Some(6),
                ..Default::default()
            })),
            ..Default::default()
        },
        rollout_panel::adapters::audit::AuditLog::path_in(dir.path()),
    );
    config.read_timeout = Duration::from_secs(3);
    let mut h = tokio::task::block_in_place(|| WorkerHandle::spawn(config, || {}));
    let mut snap = None;
    arm_worker(&mut h, "black hole drill");
    refresh_worker(&mut h);
    latest(&h, &mut snap);
    let s = snap.clone().expect("a snapshot");
    assert!(s.guard.arming.is_some(), "{:#?}", s.guard);
    assert_eq!(s.guard.duty, Some(Duty::Acting), "{:#?}", s.guard);
    let toggles = |url: String| async move {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let rows: Vec<(String, bool)> = sqlx::query_as(
            r#"SELECT "clientId", "autoSendRevisionEnabled" FROM "WorkspaceSettings" ORDER BY 1"#,
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let writes: (i64,) = sqlx::query_as(
            "SELECT count(*) FROM rollout_panel.audit_entry WHERE lever = 'workspace-rollback'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        (rows, writes.0)
    };
    let before = toggles(db.url.clone()).await;

    // The route drops: connections are accepted and never answered.
    proxy.set(Fault::BlackHole);
    let started = Instant::now();
    for _ in 0..2 {
        std::thread::sleep(Duration::from_secs(3));
        refresh_worker(&mut h);
    }
    eprintln!("two refreshes black-holed: {:?}", started.elapsed());
    latest(&h, &mut snap);
    let s = snap.clone().expect("a snapshot");
    assert!(
        matches!(&s.guard.look, Some(Look::Blind { why, .. }) if why.contains("database read failed")),
        "{:#?}",
        s.guard
    );
    assert!(s.guard.acting.is_none(), "{:#?}", s.guard);
    assert_eq!(
        toggles(db.url.clone()).await,
        before,
        "blind: nothing written"
    );

    // The route comes back: it reads again and guards again (this panel's
    // lost lock session, if the server still held it, is ended).
    proxy.set(Fault::Pass);
    // The connections opened during the outage are reset by the route
    // coming back (as a NAT or a failover does).
    proxy.cut();
    let started = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        std::thread::sleep(Duration::from_secs(2));
        refresh_worker(&mut h);
        latest(&h, &mut snap);
        let g = &snap.as_ref().expect("a snapshot").guard;
        let seeing = !matches!(&g.look, Some(Look::Blind { why, .. }) if why.contains("database read failed"));
        if seeing && g.duty == Some(Duty::Acting) && g.down.is_none() {
            eprintln!(
                "guarding again {:?} after the route came back",
                started.elapsed()
            );
            break;
        }
        assert!(Instant::now() < deadline, "did not resume: {g:#?}");
    }
    assert_eq!(toggles(db.url.clone()).await, before);
}

/// The guard on a real Postgres: stuck claims in the canary (10 of its 10
/// attempts), two reads 30 s apart, and the canary's toggle goes off on the
/// lever lane — compare-and-set, read back, intent and result in the shared
/// table by "guard (armed by …)". Prints the confirm → verified figures for
/// the note (not asserted: a noisy machine would make that flaky).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_rolls_a_failing_canary_back_on_postgres_compare_and_set_and_audited() {
    use rollout_panel::worker::WorkerHandle;
    common::require_secret_service();
    let db = common::TestDb::create().await;
    db.apply(&[
        common::PG_V0,
        common::PG_V1,
        common::PG_V2,
        common::DATA_BASE,
        common::DATA_REVISIONS,
    ])
    .await;
    let _shared = common::shared_audit(&db).await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    sqlx::raw_sql(
        r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = true,
               "updatedAt" = (now() AT TIME ZONE 'utc') - interval '90 minutes' WHERE "clientId" = 'c-alpha';
           -- Enough evaluated drafts for a verdict (the guard is blind without one):
           -- the canary before and after its start, and another workspace.
           INSERT INTO "AIDraft" ("id", "leadId", "content", "channel", "status", "createdAt", "updatedAt",
               "autoSendEvaluatedAt", "autoSendAction")
             SELECT 'eval-' || lead || i, lead, 'body', 'email', 'pending', t, t, t,
                    CASE WHEN i % 5 = 0 THEN 'needs_review' ELSE 'send_immediate' END
             FROM (SELECT i, lead, (now() AT TIME ZONE 'utc') - i * interval '15 seconds' AS t
                   FROM generate_series(1, 400) i, unnest(ARRAY['l-a1', 'l-b1']) lead) g;
           INSERT INTO "AIDraft" ("id", "leadId", "content", "channel", "status", "createdAt", "updatedAt",
               "autoSendEvaluatedAt", "autoSendAction", "autoSendRevisionAttemptedAt", "autoSendOriginalConfidence")
             SELECT 'stuck' || i, 'l-a1', 'body', 'email', 'pending', t, t, t, 'needs_review', t, 0.5
             FROM (SELECT i, (now() AT TIME ZONE 'utc') - interval '10 minutes' + i * interval '1 second' AS t
                   FROM generate_series(1, 10) i) g;"#,
    )
    .execute(&pool)
    .await
    .expect("a failing canary");
    let dir = common::temp_dir();
    let config = common::db_only_profile(
        "gpg",
        &db.url,
        rollout_panel::core::profile::Profile::default(),
        rollout_panel::adapters::audit::AuditLog::path_in(dir.path()),
    );
    let mut h = tokio::task::block_in_place(|| WorkerHandle::spawn(config, || {}));
    arm_worker(&mut h, "stuck claims drill on Postgres");
    let toggle = || async {
        let (on,): (bool,) = sqlx::query_as(
            r#"SELECT "autoSendRevisionEnabled" FROM "WorkspaceSettings" WHERE "clientId" = 'c-alpha'"#,
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        on
    };
    // The first reading: the rule holds once — never enough.
    refresh_worker(&mut h);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(toggle().await, "one reading never acts");
    tokio::time::sleep(Duration::from_secs(27)).await;
    // The confirming read, 30 s after the first.
    let confirm = Instant::now();
    refresh_worker(&mut h);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut snap = None;
    while toggle().await {
        if Instant::now() >= deadline {
            latest(&h, &mut snap);
            let s = snap.expect("a snapshot");
            panic!(
                "the guard never rolled back: {:#?}\n{:#?}\nproblems {:#?}",
                s.guard,
                rollout_panel::worker::guard::reading(&s, s.made_at.unwrap()),
                s.revision_health.problems
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let off_after = confirm.elapsed();
    // Its intent and result in the shared table, by the guard.
    let rows = loop {
        let rows: Vec<(String, String, String, chrono::NaiveDateTime, String)> = sqlx::query_as(
            r#"SELECT kind, status, operator, at, reason FROM rollout_panel.audit_entry
               WHERE lever = 'workspace-rollback' ORDER BY id"#,
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        if rows.iter().any(|r| r.0 == "result") {
            break rows;
        }
        assert!(Instant::now() < deadline, "no result: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let verified_after = confirm.elapsed();
    let intent = rows.iter().find(|r| r.0 == "intent").expect("an intent");
    let result = rows.iter().find(|r| r.0 == "result").expect("a result");
    assert_eq!(result.1, "ok", "{rows:#?}");
    assert!(intent.4.starts_with("guard (armed by "), "{rows:#?}");
    assert!(
        intent.4.contains("reviser-failures") || intent.4.contains("stuck"),
        "the reason names the rule: {rows:#?}"
    );
    eprintln!(
        "guard on Postgres: confirming read sent → toggle off {} ms, → result in the shared table {} ms; intent → result (audit clock) {} ms",
        off_after.as_millis(),
        verified_after.as_millis(),
        (result.3 - intent.3).num_milliseconds()
    );
    drop(h);
    pool.close().await;
}
