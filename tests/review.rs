//! The quality review against a real PostgreSQL: the texts before and after
//! the revision read byte for byte from the pipeline artifacts (a draft with
//! both, one single-pass, one without a run, one whose run has no
//! final_draft, a V1 database without the tables), and verdicts written by
//! two reviewers' audit logs on one shared table, each seen by the other;
//! an unsigned verdict INSERTed by hand is not counted.

mod common;

use common::{DATA_BASE, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb, ts};
use rollout_panel::adapters::audit::review::verdicts;
use rollout_panel::adapters::store::{PgStore, Store};
use rollout_panel::core::review::{Account, Decision, FailReason, Judgement, NoBefore, outcome};

const BEFORE: &str = "Hi Ana,\r\nthanks for the note 😀\n=SUM(A1)\n- item one\n";
const AFTER: &str =
    "Hi Ana,\r\nthank you for the note 😀\n- item one\nBook a time: https://cal.example/ana";

async fn pipeline(pool: &sqlx::PgPool) {
    for q in [
        // d1 (email): applied at iteration 2; iteration 1's reviser text is not it.
        r#"UPDATE "AIDraft" SET "autoSendRevisionIterations" = 2, "content" = 'Hi Ana, edited after the apply' WHERE "id" = 'd1'"#,
        r#"UPDATE "AIDraft" SET "autoSendRevisionIterations" = 0, "content" = 'sms revised' WHERE "id" = 'd3'"#,
        r#"INSERT INTO "DraftPipelineRun" ("id", "clientId", "leadId", "triggerMessageId", "draftId", "channel", "status", "updatedAt") VALUES
            ('r1', 'c-alpha', 'l-a1', 'm1', 'd1', 'email', 'COMPLETED', now()),
            ('r3', 'c-alpha', 'l-a2', 'm3', 'd3', 'sms', 'COMPLETED', now()),
            ('r4', 'c-alpha', 'l-a2', 'm4', 'd4', 'sms', 'COMPLETED', now())"#,
    ] {
        sqlx::query(q).execute(pool).await.expect(q);
    }
    let artifact = |id: &'static str,
                    run: &'static str,
                    stage: &'static str,
                    iteration: i32,
                    text: Option<&'static str>,
                    payload: Option<serde_json::Value>| async move {
        sqlx::query(
            r#"INSERT INTO "DraftPipelineArtifact" ("id", "runId", "stage", "iteration", "text", "payload") VALUES ($1, $2, $3, $4, $5, CAST($6 AS JSONB))"#,
        )
        .bind(id)
        .bind(run)
        .bind(stage)
        .bind(iteration)
        .bind(text)
        .bind(payload.map(|p| p.to_string()))
        .execute(pool)
        .await
        .expect("artifact");
    };
    artifact(
        "a1",
        "r1",
        "final_draft",
        0,
        Some(BEFORE),
        Some(serde_json::json!({"channel": "email"})),
    )
    .await;
    artifact(
        "a2",
        "r1",
        "auto_send_revision_reviser",
        1,
        Some("iteration one, not applied"),
        None,
    )
    .await;
    artifact(
        "a3",
        "r1",
        "auto_send_revision_reviser",
        2,
        Some(AFTER),
        Some(serde_json::json!({
            "improved": true,
            "changesMade": ["softened the opener", "added the booking link"],
            "issuesAddressed": ["no call to action"],
            "unresolvedRequirements": []
        })),
    )
    .await;
    artifact("a4", "r3", "final_draft", 0, Some("sms before"), None).await;
    // r4 has only a loop summary: no final_draft.
    artifact(
        "a5",
        "r4",
        "auto_send_revision_loop",
        0,
        None,
        Some(serde_json::json!({"stopReason": "exhausted"})),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_texts_are_the_artifacts_byte_for_byte_and_a_missing_before_says_why() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    let pool = db.pool().await;
    pipeline(&pool).await;
    let store = PgStore::connect(&db.url).await.expect("store");
    let ids: Vec<String> = ["d3", "d1", "d7", "d4", "not-a-draft"]
        .map(str::to_owned)
        .to_vec();
    let texts = store.review_texts(&ids).await.expect("texts");
    let got: Vec<&str> = texts.iter().map(|t| t.draft_id.as_str()).collect();
    assert_eq!(
        got,
        ["d3", "d1", "d7", "d4"],
        "in the asked order, unknown left out"
    );

    let d1 = &texts[1];
    assert_eq!(d1.before.as_deref(), Ok(BEFORE));
    assert_eq!(
        d1.after.as_deref(),
        Some(AFTER),
        "the applied iteration's text"
    );
    assert_eq!(d1.revised(), AFTER);
    assert_eq!(
        d1.account,
        Some(Account {
            changes_made: vec![
                "softened the opener".into(),
                "added the booking link".into()
            ],
            issues_addressed: vec!["no call to action".into()],
            unresolved_requirements: vec![],
        })
    );
    assert_eq!(d1.content_now, "Hi Ana, edited after the apply");
    assert!(d1.content_moved(), "edited after the apply: shown too");

    let d3 = &texts[0];
    assert_eq!(d3.before.as_deref(), Ok("sms before"));
    assert_eq!(d3.after, None, "a single pass persists no reviser artifact");
    assert_eq!(
        d3.revised(),
        "sms revised",
        "the content holds the applied revision"
    );
    assert!(!d3.content_moved());

    assert_eq!(texts[2].before, Err(NoBefore::NoRun));
    assert_eq!(texts[3].before, Err(NoBefore::NoFinalDraft));

    // V1: no pipeline tables; the content alone, and why there is no before.
    let v1 = TestDb::create().await;
    v1.apply(&[PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS]).await;
    let store = PgStore::connect(&v1.url).await.expect("store");
    let texts = store.review_texts(&["d1".to_owned()]).await.expect("texts");
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].before, Err(NoBefore::NoPipelineTables));
    assert_eq!(texts[0].content_now, "hi");
    assert!(
        texts[0]
            .before
            .as_ref()
            .unwrap_err()
            .explain()
            .contains("kept none")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reviewers_on_one_shared_table_see_each_others_verdicts() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let pool = db.pool().await;
    let shared = common::shared_audit(&db).await;
    let dir = common::temp_dir();
    let alice = common::panel_log(dir.path(), &shared, "alice@host-a").await;
    let bob = common::panel_log(dir.path(), &shared, "bob@host-b").await;
    let judge = |draft_id, pass, reason, note| Judgement {
        draft_id,
        pass,
        reason,
        note,
        seed: 42,
    };
    alice
        .record_verdict(
            ts("2026-03-01 10:00:00"),
            "production",
            &judge("d1", true, None, ""),
        )
        .await
        .expect("alice's verdict");
    bob.record_verdict(
        ts("2026-03-01 10:01:00"),
        "production",
        &judge("d3", false, Some(FailReason::Policy), "promises a discount"),
    )
    .await
    .expect("bob's verdict");
    // A verdict INSERTed with psql, unsigned: never counted.
    sqlx::query(
        "INSERT INTO rollout_panel.audit_entry (entry_id, action_id, at, operator, profile, lever, kind, status, detail)
         VALUES ('forged-v', 'forged-v', $1, 'bob@host-b', 'production', 'quality-review', 'intent', 'ok', $2)",
    )
    .bind(ts("2026-03-01 10:02:00"))
    .bind(serde_json::json!({"draft_id": "d1", "pass": false, "reason": "tone"}).to_string())
    .execute(&pool)
    .await
    .expect("forged verdict");

    for (who, log) in [("alice", &alice), ("bob", &bob)] {
        log.catch_up_shared("production", 500)
            .await
            .expect("catch up");
        let entries = log.list("production", 500).await.expect("entries");
        let v = verdicts(&entries);
        let seen: Vec<(&str, bool, &str)> = v
            .iter()
            .map(|v| (v.draft_id.as_str(), v.pass, v.reviewer.as_str()))
            .collect();
        assert_eq!(
            seen,
            [("d1", true, "alice@host-a"), ("d3", false, "bob@host-b")],
            "{who}'s panel: both verdicts, not the forged one"
        );
        assert_eq!(v[1].reason, Some(FailReason::Policy));
        assert_eq!(v[1].note, "promises a discount");
        let o = outcome(&["d1".to_owned(), "d3".to_owned()], &v, 0.95);
        assert_eq!((o.passes, o.judged), (1, 2));
        assert_eq!(
            o.failures.get(&FailReason::Policy),
            Some(&vec!["d3".to_owned()])
        );
        assert!(matches!(
            o.decision,
            Decision::Undecided { .. } | Decision::FailsPolicy
        ));
    }
}
