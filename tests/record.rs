//! The rollout record against a real PostgreSQL (the metrics fixture, whose
//! numbers are hand-computed) and a fixed audit history with a fixed clock:
//! the Markdown is parsed with a CommonMark parser (pulldown-cmark) and its
//! headings, timeline, operators, times and numbers compared with the audit
//! and the store; every image link resolves to a non-empty SVG or PNG; no
//! draft content, reviewer note or secret is in any file; the same inputs
//! give byte-identical files.

mod common;

use common::{DATA_BASE, DATA_METRICS, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb, ts};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use rollout_panel::adapters::audit::{AuditLog, EntryStatus, Intent};
use rollout_panel::adapters::store::PgStore;
use rollout_panel::core::review::{FailReason, Judgement};
use rollout_panel::ops::record::{Period, Request, gather, write};

const NOTE: &str = "the opener quotes the customer's private phone";
const SECRET_URL: &str = "postgres://app:hunter2-secret@db.internal:5432/zrg";

/// Headings, table rows (cells as plain text) and image links of a document.
struct Parsed {
    headings: Vec<String>,
    rows: Vec<Vec<String>>,
    images: Vec<String>,
}

fn parse(md: &str) -> Parsed {
    let opts = pulldown_cmark::Options::ENABLE_TABLES;
    let mut p = Parsed {
        headings: Vec::new(),
        rows: Vec::new(),
        images: Vec::new(),
    };
    let (mut heading, mut in_heading) = (String::new(), false);
    let mut row: Vec<String> = Vec::new();
    let mut cell: Option<String> = None;
    for ev in Parser::new_ext(md, opts) {
        match ev {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                heading.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                p.headings.push(heading.clone());
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => row.push(cell.take().unwrap_or_default()),
            Event::End(TagEnd::TableRow) | Event::End(TagEnd::TableHead) => {
                p.rows.push(std::mem::take(&mut row))
            }
            Event::Start(Tag::Image { dest_url, .. }) => p.images.push(dest_url.to_string()),
            Event::Start(Tag::Link { dest_url, .. }) => p.images.push(dest_url.to_string()),
            Event::Text(t) | Event::Code(t) => {
                if in_heading {
                    heading.push_str(&t);
                }
                if let Some(c) = cell.as_mut() {
                    c.push_str(&t);
                }
            }
            _ => {}
        }
    }
    p
}

fn plan(on: bool, workspace: &str, readiness: bool) -> serde_json::Value {
    let mut plan = serde_json::json!({
        "lever": "canary-enable",
        "on": on,
        "changes": [{"system": "database", "workspace_id": workspace, "before": !on, "after": on}],
    });
    if readiness {
        plan["readiness"] = serde_json::json!([
            {"id": "env.AUTO_SEND_REVISION_DISABLED", "status": "pass", "finding": "\"0\": revision is allowed"},
            {"id": "smoke.decisions_recorded", "status": "pass", "finding": "all drafts have a decision"}
        ]);
    }
    serde_json::json!({ "plan": plan })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_record_equals_the_audit_and_the_store_and_is_the_same_bytes_twice() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS, DATA_METRICS])
        .await;
    let pool = db.pool().await;
    sqlx::query(
        r#"UPDATE "AIDraft" SET "content" = 'Hi Ana, your private quote' WHERE "id" = 'd1'"#,
    )
    .execute(&pool)
    .await
    .expect("content");
    let store = PgStore::connect(&db.url).await.expect("store");
    let data = common::temp_dir();
    let audit = AuditLog::open(&data.path().join("audit.sqlite"))
        .await
        .expect("audit");
    let enable_at = ts("2026-02-20 09:55:00");
    let enable = audit
        .intent(
            enable_at,
            &Intent {
                profile: "prod",
                lever: "canary-enable",
                reason: &format!("canary | *Alpha* first, see {SECRET_URL}"),
                summary: "Enable revision for Alpha",
                detail: plan(true, "c-alpha", true),
            },
        )
        .await
        .expect("intent");
    audit
        .result(
            &enable,
            ts("2026-02-20 09:55:01.500"),
            EntryStatus::Ok,
            "verified",
            &serde_json::json!({}),
        )
        .await
        .expect("result");
    let rollback_at = ts("2026-02-21 08:00:00");
    let rollback = audit
        .intent(
            rollback_at,
            &Intent {
                profile: "prod",
                lever: "workspace-rollback",
                reason: "needs_review up",
                summary: "Turn revision off for Alpha",
                detail: plan(false, "c-alpha", false),
            },
        )
        .await
        .expect("intent");
    audit
        .result(
            &rollback,
            ts("2026-02-21 08:00:04.250"),
            EntryStatus::Ok,
            "verified",
            &serde_json::json!({}),
        )
        .await
        .expect("result");
    for (i, (draft, pass)) in [("d1", true), ("d2", false), ("d3", true)]
        .iter()
        .enumerate()
    {
        audit
            .record_verdict(
                ts("2026-02-21 09:00:00") + chrono::Duration::minutes(i as i64),
                "prod",
                &Judgement {
                    draft_id: draft,
                    pass: *pass,
                    reason: (!pass).then_some(FailReason::Tone),
                    note: NOTE,
                    seed: 7,
                },
            )
            .await
            .expect("verdict");
    }
    let entries = audit.list("prod", 1000).await.expect("list");
    let now = ts("2026-02-22 12:00:00");
    let period = Period::Since(chrono::Duration::hours(60));
    let request = || Request {
        profile: "prod",
        now,
        period: &period,
        written_by: "alice@host",
        quality_target: 0.95,
        settings: Default::default(),
        grace: chrono::Duration::minutes(10),
        env: Err("not read in this test".to_owned()),
        readiness_now: None,
    };
    let record = gather(&store, &entries, &request()).await.expect("gather");
    let out_a = common::temp_dir();
    let files = write(out_a.path(), &record).expect("write");
    let md = std::fs::read_to_string(out_a.path().join("rollout-record.md")).expect("md");
    let p = parse(&md);

    let numbered: Vec<&str> = p
        .headings
        .iter()
        .map(String::as_str)
        .filter(|h| h.starts_with(char::is_numeric))
        .collect();
    assert_eq!(
        numbered,
        [
            "1. Prerequisites",
            "2. Dark deploy and smoke",
            "3. Canary",
            "4. The watch",
            "5. Rollbacks and expansions",
            "6. The 24 h review",
            "7. The quality review",
            "8. Handoff"
        ]
    );
    let operator = entries[0].operator.clone();
    // Section 3: the canary enable as the audit has it, the reason as written.
    let canary = p
        .rows
        .iter()
        .find(|r| r.len() == 8 && r[0] == "1")
        .expect("the canary's row");
    assert_eq!(canary[1], "Alpha (c-alpha)");
    assert_eq!(canary[2], operator);
    assert_eq!(canary[3], "2026-02-20 09:55:00");
    assert_eq!(canary[4], "2026-02-20 09:55:01");
    assert_eq!(
        canary[6], "canary | *Alpha* first, see postgres://app:•••@db.internal:5432/zrg",
        "escaped, so it reads as written; the URL's password redacted"
    );
    // Section 5: the rollback, confirm → verified.
    let rb = p
        .rows
        .iter()
        .find(|r| r.len() == 9 && r[1] == "workspace-rollback")
        .expect("the rollback's row");
    assert_eq!(rb[0], "2");
    assert_eq!(
        (rb[3].as_str(), rb[4].as_str()),
        ("2026-02-21 08:00:00", "2026-02-21 08:00:04")
    );
    assert_eq!(rb[5], "4.2 s");
    assert_eq!(rb[6], "verified");
    // Prerequisites: the items recorded with the canary enable.
    assert!(md.contains("recorded with action 1 (canary-enable"), "{md}");
    assert!(p.rows.iter().any(|r| r
        == &[
            "env.AUTO_SEND_REVISION_DISABLED",
            "pass",
            "\"0\": revision is allowed"
        ]));
    // The watch: the canary Alpha from 09:55 until the rollback's result;
    // the totals over the period equal the fixture's hand-computed numbers.
    let totals = p
        .rows
        .iter()
        .find(|r| r.first().map(String::as_str) == Some("Canary"))
        .expect("totals");
    assert_eq!(
        &totals[1..],
        ["4", "2", "50.0 %", "5", "2", "40.0 %", "1", "0"],
        "Alpha: attempted 4, applied 2, evaluated 5, needs_review 2, AI errors 1"
    );
    let rest = p
        .rows
        .iter()
        .find(|r| r.first().map(String::as_str) == Some("Every other workspace"))
        .expect("rest");
    assert_eq!(
        &rest[1..4],
        ["3", "1", "33.3 %"],
        "Beta + Gamma: attempted 3, applied 1"
    );
    let watch = record.watch.as_ref().expect("a watch");
    assert_eq!(
        (watch.start, watch.end),
        (enable_at, ts("2026-02-21 08:00:04.250"))
    );
    assert_eq!(watch.ended_by, Some(2));
    // The quality review: 2 of 3 pass, the failure by reason with its id.
    assert!(
        p.rows.iter().any(|r| r == &["tone", "1", "d2"]),
        "{:?}",
        p.rows
    );
    assert!(md.contains("2/3 pass"), "{md}");
    // Every image link resolves to a non-empty file of its kind.
    assert_eq!(p.images.len(), 6, "{:?}", p.images);
    for link in &p.images {
        let bytes = std::fs::read(out_a.path().join(link)).expect(link);
        assert!(!bytes.is_empty(), "{link}");
        if link.ends_with(".svg") {
            assert!(bytes.starts_with(b"<svg"), "{link}");
        } else {
            assert!(bytes.starts_with(b"\x89PNG"), "{link}");
        }
    }
    // Nothing of the drafts' content, the reviewer's note or the secret.
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        for forbidden in [NOTE, "hunter2", "Hi Ana"] {
            assert!(
                !text.contains(forbidden),
                "{} holds {forbidden:?}",
                f.display()
            );
        }
    }
    // The same inputs, the same bytes.
    let again = gather(&store, &entries, &request())
        .await
        .expect("gather again");
    let out_b = common::temp_dir();
    write(out_b.path(), &again).expect("write again");
    for f in &files {
        let name = f.file_name().expect("name");
        assert_eq!(
            std::fs::read(f).expect("a"),
            std::fs::read(out_b.path().join(name)).expect("b"),
            "{name:?} differs"
        );
    }
    // --from an action: the period starts at it; an unknown id says so.
    let from = Period::From(rollback[..8].to_owned());
    let r2 = gather(
        &store,
        &entries,
        &Request {
            period: &from,
            ..request()
        },
    )
    .await
    .expect("from");
    assert_eq!(r2.period.0, rollback_at);
    assert_eq!(r2.actions.len(), 1);
    let bad = Period::From("ffffffff".to_owned());
    let err = gather(
        &store,
        &entries,
        &Request {
            period: &bad,
            ..request()
        },
    )
    .await
    .expect_err("unknown");
    assert!(
        err.to_string()
            .contains("no audited action has the id ffffffff"),
        "{err}"
    );
}
