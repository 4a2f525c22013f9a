//! The metrics benchmark (issue: live metrics). Run it with a throwaway
//! Postgres:
//!
//! ```sh
//! scripts/with-postgres.sh cargo bench --bench poll
//! ```
//!
//! For 200 000 and 2 000 000 `AIDraft` rows across 500 workspaces (most drafts
//! never attempted, 3 % stamped, 70 % evaluated, spread over 30 days, plus
//! `AIInteraction` rows with ~2 % revision errors), it measures side by side:
//! (a) one live poll of the panel (workspaces + the series' re-read tail),
//! (b) the admin page's equivalent (per workspace, the two 72-hour counts with
//! the lead → client relation filter, as Prisma issues them), (c) the psql
//! floor — one `GROUP BY` over the 72 h window through the stamp index, the
//! best a person with psql could do — and the panel's first poll (the whole 72 h). Then the UI: CPU time per frame of the Metrics
//! tab with 24 h of per-minute series for 500 workspaces (kittest harness).
//! Prints a table of medians; asserts nothing (numbers belong here, not in tests).

use chrono::Duration;
use rollout_panel::adapters::store::{PgStore, Store};
use rollout_panel::core::metrics::{MinuteBucket, MinuteStats, RevisionSeries, SeriesChunk};
use rollout_panel::core::time::{UtcNaive, floor_minute};
use std::time::Instant;

const PG_V0: &str = include_str!("../tests/fixtures/pg_v0.sql");
const PG_V1: &str = include_str!("../tests/fixtures/pg_v1.sql");
const PG_V2: &str = include_str!("../tests/fixtures/pg_v2.sql");
const WORKSPACES: usize = 500;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p95(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() * 95 / 100).min(v.len() - 1)]
}

/// Seeds `drafts` drafts ending at `now`.
async fn seed(pool: &sqlx::PgPool, drafts: usize, now: UtcNaive) {
    for script in [PG_V0, PG_V1, PG_V2] {
        sqlx::raw_sql(script).execute(pool).await.expect("schema");
    }
    let now = now.format("%Y-%m-%d %H:%M:%S").to_string();
    let sql = format!(
        r#"
INSERT INTO "Client" ("id", "name", "userId", "updatedAt")
  SELECT 'c' || i, 'Workspace ' || lpad(i::text, 3, '0'), 'u' || i, '{now}' FROM generate_series(1, {WORKSPACES}) i;
INSERT INTO "WorkspaceSettings" ("id", "clientId", "autoSendRevisionEnabled", "updatedAt")
  SELECT 's' || i, 'c' || i, i <= 5, '{now}' FROM generate_series(1, {WORKSPACES}) i WHERE i % 2 = 1;
INSERT INTO "Lead" ("id", "clientId", "updatedAt")
  SELECT 'l' || i, 'c' || (1 + i % {WORKSPACES}), '{now}' FROM generate_series(1, 25000) i;
INSERT INTO "AIDraft" ("id", "leadId", "content", "channel", "status", "createdAt", "updatedAt",
    "autoSendEvaluatedAt", "autoSendAction", "autoSendRevisionAttemptedAt", "autoSendOriginalConfidence",
    "autoSendRevisionConfidence", "autoSendRevisionApplied")
  SELECT 'd' || i, 'l' || (1 + (i::bigint * 7919) % 25000), 'draft body', CASE WHEN i % 3 = 0 THEN 'email' ELSE 'sms' END, 'pending',
    t, t,
    CASE WHEN i % 10 < 7 THEN t + interval '5 seconds' END,
    CASE WHEN i % 10 < 7 THEN (ARRAY['send_immediate','send_delayed','needs_review','skip'])[1 + i % 4] END,
    CASE WHEN i % 100 < 3 THEN t + interval '10 seconds' END,
    CASE WHEN i % 100 < 3 THEN 0.6 END,
    CASE WHEN i % 100 < 3 AND i % 7 <> 0 THEN 0.7 END,
    i % 100 < 3 AND i % 2 = 0
  FROM (SELECT i, '{now}'::timestamp - (i::double precision / {drafts} * interval '30 days') AS t
        FROM generate_series(1, {drafts}) i) g;
INSERT INTO "AIInteraction" ("id", "clientId", "featureId", "model", "apiType", "status", "createdAt")
  SELECT 'ai' || i, 'c' || (1 + i % {WORKSPACES}),
    (ARRAY['auto_send.evaluate','auto_send.revise','auto_send.context_select'])[1 + i % 3], 'gpt-5.2', 'responses',
    CASE WHEN i % 50 = 0 THEN 'error' ELSE 'success' END,
    '{now}'::timestamp - (i::double precision / ({drafts} / 10) * interval '30 days')
  FROM generate_series(1, {drafts} / 10) i;
ANALYZE;
"#
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await
        .expect("seed");
}

/// The admin page's equivalent: per workspace, attempted and applied in 72 h,
/// filtered through the lead → client relation (two queries per workspace).
async fn admin_poll(pool: &sqlx::PgPool, clients: &[String], start: UtcNaive) {
    for c in clients {
        for applied_only in [false, true] {
            let (_n,): (i64,) = sqlx::query_as(
                r#"SELECT count(*) FROM "AIDraft" d
                   WHERE EXISTS (SELECT 1 FROM "Lead" l WHERE l."id" = d."leadId" AND l."clientId" = $1)
                     AND d."autoSendRevisionAttemptedAt" >= $2
                     AND ($3 = false OR d."autoSendRevisionApplied" = true)"#,
            )
            .bind(c)
            .bind(start)
            .bind(applied_only)
            .fetch_one(pool)
            .await
            .expect("admin count");
        }
    }
}

struct Row {
    drafts: usize,
    export_10k: f64,
    poll_median: f64,
    poll_p95: f64,
    admin_median: f64,
    floor_median: f64,
    first_poll: f64,
}

/// The psql floor: the best a person with psql could do for the 72 h
/// numbers — one `GROUP BY` statement over the window through the stamp
/// index (the admin page's counts for every workspace at once).
async fn floor_poll(pool: &sqlx::PgPool, start: UtcNaive) {
    let rows: Vec<(String, i64, i64)> =
        sqlx::query_as(rollout_panel::adapters::store::sql::PG_COUNTS)
            .bind(start)
            .fetch_all(pool)
            .await
            .expect("floor");
    assert!(!rows.is_empty(), "the floor statement read nothing");
}

async fn measure(admin_url: &str, drafts: usize) -> Row {
    let now = floor_minute(rollout_panel::core::time::naive(chrono::Utc::now()));
    let db = format!("bench_{drafts}");
    let admin = sqlx::PgPool::connect(admin_url).await.expect("server");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}")))
        .execute(&admin)
        .await
        .expect("drop");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&admin)
        .await
        .expect("create");
    admin.close().await;
    let mut url = url::Url::parse(admin_url).expect("url");
    url.set_path(&format!("/{db}"));
    let pool = sqlx::PgPool::connect(url.as_str()).await.expect("db");
    let started = Instant::now();
    seed(&pool, drafts, now).await;
    eprintln!(
        "seeded {drafts} drafts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let store = PgStore::from_pool(pool.clone()).await.expect("store");

    // The first poll reads the whole 72 h once.
    let t = Instant::now();
    let first = store
        .revision_series(now - Duration::hours(72), now)
        .await
        .expect("first");
    let first_poll = t.elapsed().as_secs_f64() * 1000.0;
    let mut series = RevisionSeries::default();
    series.apply(first, now);

    // Live polls: the re-read tail from the watermark, as the worker does.
    let mut polls = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let _ws = store.workspaces().await.expect("workspaces");
        let since = series.next_since(now);
        let chunk = store.revision_series(since, now).await.expect("tail");
        polls.push(t.elapsed().as_secs_f64() * 1000.0);
        series.apply(chunk, now);
    }

    if std::env::var("BENCH_EXPLAIN").is_ok() {
        // Where a live poll's time goes: each tail query's plan.
        let since = series.next_since(now);
        let [claims, evaluated, errors, claims_failures] =
            rollout_panel::adapters::store::sql::PG_SERIES;
        for (name, sql) in [
            ("claims (no AIInteraction)", claims),
            ("evaluated", evaluated),
            ("ai errors", errors),
            ("claims (reviser failures not stuck)", claims_failures),
        ] {
            let plan: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "EXPLAIN (ANALYZE, COSTS OFF) {sql}"
            )))
            .bind(since)
            .bind(now - Duration::minutes(5))
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| vec![(e.to_string(),)]);
            eprintln!("--- {name} ({drafts} drafts)");
            for (line,) in plan {
                eprintln!("{line}");
            }
        }
    }
    let clients: Vec<String> = (1..=WORKSPACES).map(|i| format!("c{i}")).collect();
    let mut admin_polls = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        admin_poll(&pool, &clients, now - Duration::hours(72)).await;
        admin_polls.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut floor_polls = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        floor_poll(&pool, now - Duration::hours(72)).await;
        floor_polls.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // The quality-review export: 10 000 sampled revised drafts of the last
    // 30 days, drawn and written as CSV.
    let t = Instant::now();
    let sample = rollout_panel::ops::export::draw(
        &store,
        rollout_panel::ops::export::SampleRequest {
            start: now - Duration::days(31),
            end: now + Duration::minutes(1),
            workspace_id: None,
            n: 10_000,
            seed: 7,
        },
    )
    .await
    .expect("sample");
    let file = tempfile::NamedTempFile::new().expect("temp");
    rollout_panel::ops::export::write_atomic(file.path(), &sample.rows).expect("csv");
    let export_10k = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "export: {} of {} revised drafts in {export_10k:.0} ms",
        sample.rows.len(),
        sample.population
    );
    pool.close().await;
    Row {
        drafts,
        export_10k,
        poll_median: median(polls.clone()),
        poll_p95: p95(polls),
        admin_median: median(admin_polls),
        floor_median: median(floor_polls),
        first_poll,
    }
}

/// A snapshot with 24 h of per-minute series for 500 workspaces (every
/// workspace active every minute: the worst case for drawing).
fn big_snapshot(now: UtcNaive) -> rollout_panel::worker::Snapshot {
    use rollout_panel::core::workspace::{RevisionToggle, Workspace};
    let mut snapshot = rollout_panel::worker::Snapshot::for_profile("bench");
    snapshot.workspaces = (1..=WORKSPACES)
        .map(|i| Workspace {
            id: format!("c{i}"),
            name: format!("Workspace {i:03}"),
            toggle: if i == 1 {
                RevisionToggle::Enabled
            } else {
                RevisionToggle::Disabled
            },
            settings_updated_at: Some(now - Duration::hours(2)),
        })
        .collect();
    let first = floor_minute(now - Duration::hours(24));
    let mut buckets = Vec::new();
    for m in 0..(24 * 60) {
        let minute = first + Duration::minutes(m);
        for i in 1..=WORKSPACES {
            buckets.push(MinuteBucket {
                minute,
                client_id: format!("c{i}"),
                counts: MinuteStats {
                    attempted: (m as u64 + i as u64) % 3,
                    applied: (m as u64 + i as u64) % 2,
                    evaluated: 4,
                    needs_review: 1,
                    ai_errors: 0,
                    stuck: 0,
                    uplift_sum: 0.1,
                    uplift_n: 1,
                },
            });
        }
    }
    snapshot.series.apply(
        SeriesChunk {
            since: first,
            buckets,
            max_stamp: Some(now),
        },
        now,
    );
    snapshot.derive_views(now);
    snapshot
}

fn ui_frames() -> (f64, f64) {
    use rollout_panel::gui::MetricsWindow;
    use rollout_panel::gui::panels::metrics::{MetricsPanel, VerdictPrefs, metrics_ui};
    let now = floor_minute(rollout_panel::core::time::naive(chrono::Utc::now()));
    let mut snapshot = big_snapshot(now);
    // The bench draws the plots, so the schema must read as revision-capable.
    snapshot.schema = Some(full_schema());
    let mut panel = MetricsPanel::default();
    let mut prefs = VerdictPrefs::default();
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1280.0, 900.0])
        .build_ui(move |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                metrics_ui(
                    ui,
                    &mut panel,
                    &mut prefs,
                    &snapshot,
                    MetricsWindow::Hours24,
                    now,
                );
            });
        });
    harness.run_steps(3);
    let mut frames = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        harness.step();
        frames.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (median(frames.clone()), p95(frames))
}

/// A catalogue with every column the panel reads (V2+).
fn full_schema() -> rollout_panel::core::schema::SchemaReport {
    use rollout_panel::core::schema::{Catalog, SchemaVariant};
    let mut r = rollout_panel::core::schema::SchemaReport::from_catalog(&Catalog::default());
    r.variant = SchemaVariant::V2Plus;
    r.missing.clear();
    r.ai_interaction = true;
    r
}

fn main() {
    let Ok(admin_url) = std::env::var("ROLLOUT_PANEL_TEST_PG") else {
        eprintln!(
            "the benchmark needs a Postgres server: scripts/with-postgres.sh cargo bench --bench poll"
        );
        std::process::exit(2);
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![200_000, 2_000_000]);
    let rows: Vec<Row> = sizes
        .iter()
        .map(|&n| rt.block_on(measure(&admin_url, n)))
        .collect();
    let (ui_median, ui_p95) = ui_frames();
    println!();
    println!(
        "| AIDraft rows | panel live poll median | p95 | admin equivalent (500 ws x 2 counts) median | ratio | psql floor (one GROUP BY, 72 h) median | floor / poll | panel first poll (72 h) | export of 10 000 sampled drafts |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.1} ms | {:.0}x | {:.2} ms | {:.2}x | {:.1} ms | {:.0} ms |",
            r.drafts,
            r.poll_median,
            r.poll_p95,
            r.admin_median,
            r.admin_median / r.poll_median,
            r.floor_median,
            r.floor_median / r.poll_median,
            r.first_poll,
            r.export_10k
        );
    }
    println!();
    println!(
        "Metrics tab, 24 h per-minute series x {WORKSPACES} workspaces, CPU time per frame (kittest step): median {ui_median:.2} ms, p95 {ui_p95:.2} ms"
    );
}
