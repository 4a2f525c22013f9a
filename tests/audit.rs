//! The local audit log on a real SQLite file: intent before change, steps,
//! results, an interrupted action found after a restart, no secret stored.

mod common;

use common::ts;
use rollout_panel::adapters::audit::{AuditLog, EntryKind, EntryStatus, Intent};
use serde_json::json;

#[tokio::test]
async fn an_action_is_recorded_intent_first_and_survives_a_restart() {
    let dir = common::temp_dir();
    let path = AuditLog::path_in(dir.path());
    let log = AuditLog::open(&path).await.expect("open");
    let id = log
        .intent(
            ts("2026-03-01 10:00:00"),
            &Intent {
                profile: "production",
                lever: "workspace-rollback",
                reason: "needs_review spike on Acme",
                summary: "toggle of Acme Solar: ON -> OFF",
                detail: json!({"before": {"toggle": "ON"}, "after": {"toggle": "OFF"}}),
            },
        )
        .await
        .expect("intent");
    // The panel stops here: no step, no result.
    log.close().await;

    // The next start finds the unfinished intent, with everything it said.
    let log = AuditLog::open(&path)
        .await
        .expect("reopen (migrations are idempotent)");
    let open = log.unfinished("production").await.expect("unfinished");
    assert_eq!(open.len(), 1);
    let i = &open[0];
    assert_eq!(
        (i.action_id.as_str(), i.kind, i.status),
        (id.as_str(), EntryKind::Intent, EntryStatus::Pending)
    );
    assert_eq!(i.lever, "workspace-rollback");
    assert_eq!(i.reason, "needs_review spike on Acme");
    assert_eq!(i.detail["before"]["toggle"], "ON");
    assert!(!i.operator.is_empty());
    assert!(
        log.unfinished("staging")
            .await
            .expect("other profile")
            .is_empty()
    );

    // Finishing it: a verified step and a result close the action.
    log.step(
        &id,
        ts("2026-03-01 10:00:01"),
        EntryStatus::Ok,
        "toggle written and read back OFF",
        &json!({"updated_at": "2026-03-01 10:00:01"}),
    )
    .await
    .expect("step");
    log.result(
        &id,
        ts("2026-03-01 10:00:01"),
        EntryStatus::Ok,
        "workspace rolled back",
        &json!({}),
    )
    .await
    .expect("result");
    assert!(
        log.unfinished("production")
            .await
            .expect("unfinished")
            .is_empty()
    );
    let rows = log.action(&id).await.expect("action");
    let kinds: Vec<_> = rows.iter().map(|r| (r.kind, r.status)).collect();
    assert_eq!(
        kinds,
        [
            (EntryKind::Intent, EntryStatus::Pending),
            (EntryKind::Step, EntryStatus::Ok),
            (EntryKind::Result, EntryStatus::Ok)
        ]
    );
    // Follow-ups carry the intent's profile, lever and reason.
    assert!(
        rows.iter()
            .all(|r| r.profile == "production" && r.lever == "workspace-rollback")
    );
    let listed = log.list("production", 10).await.expect("list");
    assert_eq!(
        listed.first().map(|r| r.kind),
        Some(EntryKind::Result),
        "newest first"
    );
    // A follow-up without an intent is refused.
    assert!(
        log.result(
            "nope",
            ts("2026-03-01 10:00:02"),
            EntryStatus::Ok,
            "",
            &json!({})
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn no_secret_reaches_the_audit_file() {
    let dir = common::temp_dir();
    let path = AuditLog::path_in(dir.path());
    let log = AuditLog::open(&path).await.expect("open");
    let url = "postgresql://app:AuditLeakCanary99@db.example.com:5432/zrg";
    let id = log
        .intent(
            ts("2026-03-01 10:00:00"),
            &Intent {
                profile: "production",
                lever: "canary-enable",
                reason: &format!("pasted by mistake: {url}"),
                summary: url,
                detail: json!({"error": format!("cannot connect to {url}")}),
            },
        )
        .await
        .expect("intent");
    log.result(
        &id,
        ts("2026-03-01 10:00:01"),
        EntryStatus::Failed,
        url,
        &json!({"url": url}),
    )
    .await
    .expect("result");
    let rows = log.action(&id).await.expect("rows");
    assert!(
        rows[0].summary.contains("app:•••@db.example.com"),
        "{}",
        rows[0].summary
    );
    log.close().await;
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let p = entry.expect("entry").path();
        let bytes = std::fs::read(&p).expect("read");
        let hit = bytes.windows(17).any(|w| w == b"AuditLeakCanary99");
        assert!(!hit, "the secret is in {}", p.display());
    }
}

#[tokio::test]
async fn the_audit_store_and_its_wal_are_private_even_under_a_loose_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = common::temp_dir();
    // A folder the panel creates itself.
    let path = dir.path().join("new-folder").join("audit.sqlite");
    let log = AuditLog::open(&path).await.expect("open");
    log.intent(
        ts("2026-03-01 10:00:00"),
        &Intent {
            profile: "production",
            lever: "workspace-rollback",
            reason: "other operators' reasons are nobody else's",
            summary: "toggle of Acme Solar: ON -> OFF",
            detail: json!({}),
        },
    )
    .await
    .expect("intent");
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(path.parent().unwrap()), 0o700, "its folder");
    assert_eq!(mode(&path), 0o600);
    // Open, written: the WAL exists now, with the database file's mode.
    let wal = dir.path().join("new-folder").join("audit.sqlite-wal");
    assert_eq!(mode(&wal), 0o600, "the WAL");
}
