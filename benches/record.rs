//! The rollout record's bench (issue 30): how long `record` takes to gather
//! and write the record of a 2 M-draft database (the metrics bench's seed:
//! 30 days at production's traffic, 500 workspaces) over 48 hours of audit
//! history — a canary, an expansion, a rollback, 200 quality verdicts.
//!
//! ```sh
//! scripts/with-postgres.sh --keep target/bench-pg cargo bench --bench record
//! ```
//!
//! Measured: the gather (every read of the store: the series, the canary's
//! arms and verdict, the alarms, the health problems, the 24 h review, the
//! quality outcome) and the write (three plots drawn as SVG by plotters and
//! rasterised to PNG by resvg, the Markdown, seven atomic writes), over
//! `BENCH_RECORD_RUNS` runs (default 5). The session's own parts (the env
//! read, a readiness check when none was recorded) are not in it: they are
//! one Vercel round trip each. Prints medians; asserts nothing.

use chrono::Duration;
use rollout_panel::adapters::audit::{AuditLog, EntryStatus, Intent};
use rollout_panel::adapters::store::PgStore;
use rollout_panel::core::review::{FailReason, Judgement};
use rollout_panel::ops::record::{AUDIT_LIMIT, Period, Request, gather, write};
use std::time::Instant;

mod common;

const DRAFTS: usize = 2_000_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn plan(lever: &str, on: bool, workspaces: &[&str]) -> serde_json::Value {
    let changes: Vec<serde_json::Value> = workspaces
        .iter()
        .map(|w| serde_json::json!({"system": "database", "workspace_id": w, "before": !on, "after": on}))
        .collect();
    serde_json::json!({"plan": {"lever": lever, "on": on, "changes": changes}})
}

/// 48 hours of audit: the canary on c1 46 h ago, an expansion to c3 and c5
/// 30 h ago, c5 rolled back 10 h ago, then 200 verdicts.
async fn history(audit: &AuditLog, now: rollout_panel::core::time::UtcNaive) {
    for (ago, lever, on, ws, summary) in [
        (
            46,
            "canary-enable",
            true,
            vec!["c1"],
            "Enable revision for Workspace 001",
        ),
        (
            30,
            "expansion",
            true,
            vec!["c3", "c5"],
            "Expand to 2 workspaces",
        ),
        (
            10,
            "workspace-rollback",
            false,
            vec!["c5"],
            "Turn revision off for Workspace 005",
        ),
    ] {
        let at = now - Duration::hours(ago);
        let id = audit
            .intent(
                at,
                &Intent {
                    profile: "bench",
                    lever,
                    reason: "bench",
                    summary,
                    detail: plan(lever, on, &ws),
                },
            )
            .await
            .expect("intent");
        audit
            .result(
                &id,
                at + Duration::seconds(3),
                EntryStatus::Ok,
                "verified",
                &serde_json::json!({}),
            )
            .await
            .expect("result");
    }
    for i in 0..200 {
        let draft = format!("d{}", 1 + i * 97);
        audit
            .record_verdict(
                now - Duration::hours(2) + Duration::seconds(i as i64 * 20),
                "bench",
                &Judgement {
                    draft_id: &draft,
                    pass: i % 25 != 0,
                    reason: (i % 25 == 0).then_some(FailReason::Tone),
                    note: "",
                    seed: 7,
                },
            )
            .await
            .expect("verdict");
    }
}

fn main() {
    let Ok(admin_url) = std::env::var("ROLLOUT_PANEL_TEST_PG") else {
        eprintln!(
            "the benchmark needs a Postgres server: scripts/with-postgres.sh cargo bench --bench record"
        );
        std::process::exit(2);
    };
    let runs: usize = std::env::var("BENCH_RECORD_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (pool, now) = common::database(&admin_url, DRAFTS).await;
        pool.close().await;
        let mut url = url::Url::parse(&admin_url).expect("url");
        url.set_path(&format!("/bench_{DRAFTS}"));
        let store = PgStore::connect(url.as_str()).await.expect("store");
        let dir = tempfile::tempdir().expect("temp dir");
        let audit = AuditLog::open(&dir.path().join("audit.sqlite"))
            .await
            .expect("audit");
        history(&audit, now).await;
        let entries = audit.list("bench", AUDIT_LIMIT).await.expect("list");
        let period = Period::Since(Duration::hours(48));
        let (mut gathers, mut writes, mut totals) = (Vec::new(), Vec::new(), Vec::new());
        let mut bytes = 0u64;
        for run in 0..runs {
            let out = dir.path().join(format!("record-{run}"));
            let t = Instant::now();
            let record = gather(
                &store,
                &entries,
                &Request {
                    profile: "bench",
                    now,
                    period: &period,
                    written_by: "bench@host",
                    quality_target: 0.95,
                    settings: rollout_panel::core::verdict::VerdictSettings::default(),
                    grace: rollout_panel::core::alarms::DEFAULT_GRACE,
                    env: Err("not read in the bench".to_owned()),
                    readiness_now: Some(Ok(Vec::new())),
                },
            )
            .await
            .expect("gather");
            let gathered = t.elapsed().as_secs_f64();
            let files = write(&out, &record).expect("write");
            let total = t.elapsed().as_secs_f64();
            bytes = files
                .iter()
                .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
                .sum();
            eprintln!(
                "run {run}: gather {:.0} ms, write {:.0} ms",
                gathered * 1e3,
                (total - gathered) * 1e3
            );
            gathers.push(gathered * 1e3);
            writes.push((total - gathered) * 1e3);
            totals.push(total * 1e3);
        }
        println!();
        println!(
            "| AIDraft rows | audit entries (48 h) | gather p50 | write (3 plots SVG+PNG, Markdown) p50 | total p50 | files | bytes |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|");
        println!(
            "| {DRAFTS} | {} | {:.0} ms | {:.0} ms | {:.0} ms | 7 | {bytes} |",
            entries.len(),
            median(gathers),
            median(writes),
            median(totals)
        );
    });
}
