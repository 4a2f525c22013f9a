//! Lever runs against the demo world (a real SQLite file, deployments that
//! take seconds): intent before change, verified steps, failed flips, and
//! compare-and-set conflicts.

mod common;

use rollout_panel::adapters::audit::{AuditLog, EntryKind, EntryStatus};
use rollout_panel::adapters::clock::{Clock, SystemClock};
use rollout_panel::core::env::{AUTO_SEND_REVISION_DISABLED, Live};
use rollout_panel::core::lever::{LeverKind, LeverRequest, LeverState, Plan, plan};
use rollout_panel::demo::{DemoStage, DemoWorld, Faults};
use rollout_panel::ops::levers::{RunContext, RunReport, Waits, run_plan};
use std::time::Duration;

const PILOT: &str = "Acme Solar (pilot)";

/// A fresh demo world (mid-canary) and its audit log, in a temp dir.
async fn demo(seed: u64) -> (tempfile::TempDir, DemoWorld, AuditLog) {
    let dir = common::temp_dir();
    let world = DemoWorld::create(
        &dir.path().join("demo.sqlite"),
        SystemClock.now(),
        DemoStage::Canary,
        seed,
    )
    .await
    .expect("world");
    let audit = AuditLog::open(&AuditLog::path_in(dir.path()))
        .await
        .expect("audit");
    (dir, world, audit)
}

async fn make_plan(world: &DemoWorld, kind: LeverKind, on: bool, ws: Option<&str>) -> Plan {
    use rollout_panel::adapters::store::Store;
    let store = world.store().await.expect("store");
    let workspaces = store.workspaces().await.expect("workspaces");
    world
        .advance_deployments(SystemClock.now())
        .await
        .expect("advance");
    let env = world.env_snapshot().await.expect("env");
    plan(
        &LeverRequest {
            kind,
            on,
            workspace: ws.map(str::to_owned),
        },
        LeverState {
            workspaces: &workspaces,
            env: &env,
            schema: store.schema(),
            readiness: Some(&[]),
        },
    )
    .expect("plan")
}

async fn run(world: &DemoWorld, audit: &AuditLog, p: &Plan) -> RunReport {
    let store = world.store().await.expect("store");
    let ctx = RunContext {
        audit,
        profile: "demo",
        reason: "rehearsal",
        clock: &SystemClock,
        waits: Waits {
            poll_every: Duration::from_millis(300),
            deadline: Duration::from_secs(60),
        },
        action_id: None,
        approvals: false,
    };
    run_plan(p, &store, world, &ctx, &|_| {})
        .await
        .expect("run")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fast_rollback_and_its_restore_on_the_demo() {
    let (_dir, world, audit) = demo(5).await;

    // Kill switch ON: env written, redeploy READY, verified live.
    let p = make_plan(&world, LeverKind::RevisionKillSwitch, true, None).await;
    let r = run(&world, &audit, &p).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.steps.len(), 2);
    assert!(
        r.steps[1].detail.contains("READY and serving"),
        "{:?}",
        r.steps[1]
    );
    let env = world.env_snapshot().await.expect("env");
    assert_eq!(
        env.flag(AUTO_SEND_REVISION_DISABLED).live,
        Live::Known(true)
    );
    let rows = audit.action(&r.action_id).await.expect("audit");
    let kinds: Vec<_> = rows.iter().map(|e| (e.kind, e.status)).collect();
    assert_eq!(
        kinds,
        [
            (EntryKind::Intent, EntryStatus::Pending),
            (EntryKind::Step, EntryStatus::Ok),
            (EntryKind::Step, EntryStatus::Ok),
            (EntryKind::Result, EntryStatus::Ok)
        ]
    );
    assert!(
        rows[0].detail["plan"]["changes"].is_array(),
        "the intent holds the plan"
    );

    // Restore with an Ignored Build Step: the redeploy ends CANCELED — a failed flip.
    world
        .set_faults(&Faults {
            cancel_next_redeploy: true,
            ..Faults::default()
        })
        .await
        .expect("fault");
    let p = make_plan(&world, LeverKind::RevisionKillSwitch, false, None).await;
    let r = run(&world, &audit, &p).await;
    assert!(!r.ok);
    assert!(r.steps[0].ok, "the env write itself worked");
    assert!(
        r.steps[1].detail.contains("FAILED FLIP") && r.steps[1].detail.contains("CANCELED"),
        "{:?}",
        r.steps[1]
    );
    let env = world.env_snapshot().await.expect("env");
    let flag = env.flag(AUTO_SEND_REVISION_DISABLED);
    assert!(
        !flag.configured_on && flag.live == Live::Known(true),
        "configured OFF, still live ON: {flag:?}"
    );
    let last = audit.action(&r.action_id).await.expect("audit");
    assert_eq!(
        last.last().map(|e| (e.kind, e.status)),
        Some((EntryKind::Result, EntryStatus::Failed))
    );

    // Retrying the restore now only needs the redeploy, and it goes through.
    let p = make_plan(&world, LeverKind::RevisionKillSwitch, false, None).await;
    assert_eq!(p.changes.len(), 1, "{p:#?}");
    let r = run(&world, &audit, &p).await;
    assert!(r.ok, "{r:#?}");
    assert!(
        audit
            .unfinished("demo")
            .await
            .expect("unfinished")
            .is_empty()
    );
    world.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toggle_and_env_changes_refuse_to_overwrite_what_changed_since_the_plan() {
    let (_dir, world, audit) = demo(6).await;

    // Two operators plan the workspace rollback; the first one runs it.
    let first = make_plan(&world, LeverKind::WorkspaceRollback, true, Some(PILOT)).await;
    let second = first.clone();
    let r = run(&world, &audit, &first).await;
    assert!(r.ok, "{r:#?}");
    // The second one's compare-and-set finds OFF, not the ON it saw.
    let r = run(&world, &audit, &second).await;
    assert!(!r.ok);
    assert!(
        r.steps[0]
            .detail
            .contains("someone else changed it first: it is now OFF"),
        "{:?}",
        r.steps[0]
    );
    // …and says who, because the audit log knows the first operator's action.
    assert!(
        r.steps[0].detail.contains(&format!(
            "the audit log's last action on it: \"Roll back {PILOT}: revision off for this workspace\" by {}",
            rollout_panel::adapters::audit::operator()
        )),
        "{:?}",
        r.steps[0]
    );

    // Env: someone sets the kill switch by hand after the plan was made.
    let p = make_plan(&world, LeverKind::RevisionKillSwitch, true, None).await;
    world
        .set_env(AUTO_SEND_REVISION_DISABLED, Some("true"), SystemClock.now())
        .await
        .expect("by hand");
    let r = run(&world, &audit, &p).await;
    assert!(!r.ok);
    assert_eq!(r.steps.len(), 1, "nothing after a refused write");
    assert!(
        r.steps[0]
            .detail
            .contains("changed since the plan was made (now \"true\", updated "),
        "{:?}",
        r.steps[0]
    );
    assert!(
        r.steps[0].detail.contains("changed outside this panel"),
        "{:?}",
        r.steps[0]
    );
    let env = world.env_snapshot().await.expect("env");
    assert_eq!(
        env.configured[AUTO_SEND_REVISION_DISABLED].value.as_deref(),
        Some("true"),
        "the hand-set value was not overwritten"
    );

    // The record's updatedAt is checked too: a value written again by hand
    // (same value, newer record) also stops the write.
    world
        .set_env(AUTO_SEND_REVISION_DISABLED, Some("0"), SystemClock.now())
        .await
        .expect("by hand");
    let p = make_plan(&world, LeverKind::RevisionKillSwitch, true, None).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    world
        .set_env(AUTO_SEND_REVISION_DISABLED, Some("0"), SystemClock.now())
        .await
        .expect("the same value again, by hand");
    let r = run(&world, &audit, &p).await;
    assert!(!r.ok, "{r:#?}");
    assert!(
        r.steps[0]
            .detail
            .contains("changed since the plan was made (now \"0\", updated "),
        "{:?}",
        r.steps[0]
    );
    world.close().await;
}

#[test]
fn the_cli_refuses_without_the_guard_and_audits_what_it_does() {
    let dir = common::temp_dir();
    let d = dir.path();
    let pilot_toggle = |d: &std::path::Path| -> String {
        let o = common::panel_env(d, &["demo", "--json"], "", &[]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        v["workspaces"]
            .as_array()
            .and_then(|w| w.iter().find(|w| w["name"] == PILOT))
            .map(|w| w["toggle"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(pilot_toggle(d), "Enabled");
    let lever = |extra: &[&str]| {
        let mut args = vec![
            "lever",
            "workspace-rollback",
            "--profile",
            "demo",
            "--workspace",
            PILOT,
            "--reason",
            "rehearsal",
        ];
        args.extend_from_slice(extra);
        common::panel_env(d, &args, "", &[])
    };
    // Not a terminal and no --yes: the plan is shown, nothing changes.
    let o = lever(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("database: Acme Solar (pilot)'s revision toggle ON -> OFF")
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass --yes"));
    assert_eq!(pilot_toggle(d), "Enabled");
    // A second canary while the pilot is on needs an explicit override …
    let second = |extra: &[&str]| {
        let mut args = vec![
            "lever",
            "canary-enable",
            "--profile",
            "demo",
            "--workspace",
            "Cobalt Legal",
            "--reason",
            "x",
            "--yes",
        ];
        args.extend_from_slice(extra);
        common::panel_env(d, &args, "", &[])
    };
    let o = second(&["--confirm", "Cobalt Legal"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("WARN one canary: already on: Acme Solar (pilot)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--override"));
    // … and the workspace name typed exactly; a wrong word changes nothing.
    let o = second(&["--override", "--confirm", "Cobalt"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--confirm \"Cobalt Legal\""),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // With --yes the rollback runs and is verified.
    let o = lever(&["--yes"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("verified"));
    assert_eq!(pilot_toggle(d), "Disabled");
    // Nothing left to do: refused with the reason.
    let o = lever(&["--yes"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already OFF"));
    // The audit tells the story: intent, verified step, result.
    let o = common::panel_env(d, &["audit", "--profile", "demo", "--json"], "", &[]);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let kinds: Vec<(&str, &str)> = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or_default(),
                r["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("result", "ok"), ("step", "ok"), ("intent", "pending")]
    );
    assert_eq!(rows[0]["reason"], "rehearsal");
    assert_eq!(rows[0]["lever"], "workspace-rollback");
}

/// A clock that moves one second every time it is read: a lever's redeploy
/// wait (which polls the deployment) ends without sleeping for real.
struct TickClock(std::sync::Mutex<rollout_panel::core::time::UtcNaive>);

impl Clock for TickClock {
    fn now(&self) -> rollout_panel::core::time::UtcNaive {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += chrono::Duration::seconds(1);
        *t
    }
}

/// Claims stamped in `(from, to]` for one workspace.
async fn claims(
    world: &DemoWorld,
    name: &str,
    from: rollout_panel::core::time::UtcNaive,
    to: rollout_panel::core::time::UtcNaive,
) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        r#"SELECT count(*) FROM "AIDraft" d
           JOIN "Lead" l ON l."id" = d."leadId" JOIN "Client" c ON c."id" = l."clientId"
           WHERE c."name" = ? AND d."autoSendRevisionAttemptedAt" > ? AND d."autoSendRevisionAttemptedAt" <= ?"#,
    )
    .bind(name)
    .bind(from)
    .bind(to)
    .fetch_one(world.pool())
    .await
    .expect("claims");
    n
}

/// Lets the simulated app run for `minutes` from the clock's time; returns the span.
async fn watch(
    sim: &mut rollout_panel::demo::Simulator,
    world: &DemoWorld,
    clock: &TickClock,
    minutes: i64,
) -> (
    rollout_panel::core::time::UtcNaive,
    rollout_panel::core::time::UtcNaive,
) {
    let from = clock.now();
    let to = from + chrono::Duration::minutes(minutes);
    sim.advance_to(world, to).await.expect("simulate");
    *clock.0.lock().unwrap() = to;
    (from, to)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_runbook_through_the_levers_and_the_simulator_follows() {
    use rollout_panel::adapters::store::Store;
    use rollout_panel::demo::Simulator;
    let dir = common::temp_dir();
    let t0 = common::ts("2026-03-02 15:00:00");
    // Deployed dark: nothing revises.
    let world = DemoWorld::create(&dir.path().join("demo.sqlite"), t0, DemoStage::Dark, 11)
        .await
        .expect("world");
    let audit = AuditLog::open(&AuditLog::path_in(dir.path()))
        .await
        .expect("audit");
    let store = world.store().await.expect("store");
    let clock = TickClock(std::sync::Mutex::new(t0));
    let mut sim = Simulator::new(11);
    let lever = |kind, on, ws: Option<&str>| {
        let (world, store, audit, clock) = (&world, &store, &audit, &clock);
        let ws = ws.map(str::to_owned);
        async move {
            let now = clock.now();
            world.advance_deployments(now).await.expect("advance");
            let workspaces = store.workspaces().await.expect("workspaces");
            let env = world.env_snapshot().await.expect("env");
            let p = plan(
                &LeverRequest {
                    kind,
                    on,
                    workspace: ws,
                },
                LeverState {
                    workspaces: &workspaces,
                    env: &env,
                    schema: store.schema(),
                    readiness: Some(&[]),
                },
            )
            .expect("plan");
            let ctx = RunContext {
                audit,
                profile: "demo",
                reason: "runbook",
                clock,
                waits: Waits {
                    poll_every: Duration::from_millis(1),
                    deadline: Duration::from_secs(60),
                },
                action_id: None,
                approvals: false,
            };
            let r = run_plan(&p, store, world, &ctx, &|_| {})
                .await
                .expect("run");
            assert!(r.ok, "{r:#?}");
            clock.now()
        }
    };
    let (from, to) = watch(&mut sim, &world, &clock, 20).await;
    assert_eq!(claims(&world, PILOT, from, to).await, 0, "dark");

    // Step 3: the canary (toggle on, kill switch off, redeploy): revisions start.
    let ready = lever(LeverKind::CanaryEnable, true, Some(PILOT)).await;
    let (_, to) = watch(&mut sim, &world, &clock, 30).await;
    assert!(claims(&world, PILOT, ready, to).await > 0, "canary revises");
    assert_eq!(
        claims(&world, "Cobalt Legal", ready, to).await,
        0,
        "only the canary"
    );

    // Step 5: the fast rollback: once READY, revisions stop.
    let ready = lever(LeverKind::RevisionKillSwitch, true, None).await;
    let (_, to) = watch(&mut sim, &world, &clock, 30).await;
    assert_eq!(
        claims(&world, PILOT, ready, to).await,
        0,
        "kill switch live"
    );

    // Restore: they start again.
    let ready = lever(LeverKind::RevisionKillSwitch, false, None).await;
    let (_, to) = watch(&mut sim, &world, &clock, 30).await;
    assert!(claims(&world, PILOT, ready, to).await > 0, "restored");

    // The workspace rollback stops them at once (no redeploy).
    let done = lever(LeverKind::WorkspaceRollback, true, Some(PILOT)).await;
    let (_, to) = watch(&mut sim, &world, &clock, 30).await;
    assert_eq!(claims(&world, PILOT, done, to).await, 0, "toggle off");

    // The full rollback and its restore run too.
    lever(LeverKind::AutoSendKillSwitch, true, None).await;
    lever(LeverKind::AutoSendKillSwitch, false, None).await;
    let results = audit
        .list("demo", 100)
        .await
        .expect("list")
        .into_iter()
        .filter(|e| e.kind == EntryKind::Result && e.status == EntryStatus::Ok)
        .count();
    assert_eq!(results, 6, "six verified actions");
    world.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_finishes_when_the_audit_store_locks_up_after_its_intent() {
    use sqlx::Connection;
    let (dir, world, audit) = demo(21).await;
    let p = make_plan(&world, LeverKind::RevisionKillSwitch, true, None).await;
    assert_eq!(p.changes.len(), 2, "env write, then redeploy: {p:#?}");
    let audit_path = AuditLog::path_in(dir.path());
    // Once the first step is on record, someone else locks the audit store
    // for writing and keeps it until the run is over.
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let locker = {
        let release = release.clone();
        let reader = AuditLog::open(&audit_path).await.expect("reader");
        tokio::spawn(async move {
            loop {
                let rows = reader.list("demo", 50).await.expect("list");
                if rows.iter().any(|r| r.kind == EntryKind::Step) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let url = format!("sqlite://{}", audit_path.display());
            let mut conn = sqlx::SqliteConnection::connect(&url)
                .await
                .expect("connect");
            sqlx::raw_sql("BEGIN EXCLUSIVE")
                .execute(&mut conn)
                .await
                .expect("lock");
            release.notified().await;
            sqlx::raw_sql("ROLLBACK")
                .execute(&mut conn)
                .await
                .expect("unlock");
        })
    };
    let store = world.store().await.expect("store");
    let ctx = RunContext {
        audit: &audit,
        profile: "demo",
        reason: "audit store locks up",
        clock: &SystemClock,
        waits: Waits {
            poll_every: Duration::from_millis(300),
            deadline: Duration::from_secs(120),
        },
        action_id: None,
        approvals: false,
    };
    let r = run_plan(&p, &store, &world, &ctx, &|_| {})
        .await
        .expect("run");
    release.notify_one();
    locker.await.expect("locker");
    // Every change was made and verified although the bookkeeping failed.
    assert!(r.ok, "{r:#?}");
    let labels: Vec<&str> = r.steps.iter().map(|s| s.label.as_str()).collect();
    assert!(
        r.steps.iter().filter(|s| s.label != "audit").all(|s| s.ok),
        "{labels:?}"
    );
    assert!(
        r.steps.iter().any(|s| s.detail.contains("AUDIT GAP")),
        "the gap is shown: {r:#?}"
    );
    assert!(!r.audit_failures.is_empty());
    world
        .advance_deployments(SystemClock.now())
        .await
        .expect("advance");
    let env = world.env_snapshot().await.expect("env");
    assert_eq!(
        env.flag(AUTO_SEND_REVISION_DISABLED).live,
        Live::Known(true)
    );
}
