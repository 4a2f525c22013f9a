//! What the Postgres benches share: the seeded `AIDraft` history at
//! production's traffic (≈ 46 drafts a minute across 500 workspaces), kept
//! between runs in one cluster and reused while its seed version matches.

#![allow(dead_code)]

use rollout_panel::core::time::{UtcNaive, floor_minute};
use std::time::Instant;

const PG_V0: &str = include_str!("../../tests/fixtures/pg_v0.sql");
const PG_V1: &str = include_str!("../../tests/fixtures/pg_v1.sql");
const PG_V2: &str = include_str!("../../tests/fixtures/pg_v2.sql");
pub const WORKSPACES: usize = 500;

/// Bumped when the seed changes: a kept database of another version is seeded again.
const SEED_VERSION: i32 = 2;
/// The traffic per minute is the same at every size (2 M drafts over 30
/// days, ≈ 46 a minute): a bigger table is a longer history, so the last
/// minutes and the 72-hour window hold the same rows at every size.
pub const DRAFTS_PER_DAY: f64 = 2_000_000.0 / 30.0;

/// Seeds `drafts` drafts ending at `now`, at [`DRAFTS_PER_DAY`]. The tables'
/// secondary indexes are dropped for the load and built again after it (a
/// sorted build is many times faster than 20 M inserts into 20 indexes).
async fn seed(pool: &sqlx::PgPool, drafts: usize, now: UtcNaive) {
    for script in [PG_V0, PG_V1, PG_V2] {
        sqlx::raw_sql(script).execute(pool).await.expect("schema");
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        r#"SELECT indexname::text, indexdef::text FROM pg_indexes
           WHERE schemaname = 'public' AND tablename IN ('AIDraft', 'AIInteraction', 'Lead')
             AND indexname NOT LIKE '%_pkey'"#,
    )
    .fetch_all(pool)
    .await
    .expect("indexes");
    for (name, _) in &indexes {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(r#"DROP INDEX "{name}""#)))
            .execute(pool)
            .await
            .expect("drop index");
    }
    let days = drafts as f64 / DRAFTS_PER_DAY;
    let leads = (drafts / 80).max(2_500);
    let now_text = now.format("%Y-%m-%d %H:%M:%S").to_string();
    let sql = format!(
        r#"
SET maintenance_work_mem = '512MB';
INSERT INTO "Client" ("id", "name", "userId", "updatedAt")
  SELECT 'c' || i, 'Workspace ' || lpad(i::text, 3, '0'), 'u' || i, '{now_text}' FROM generate_series(1, {WORKSPACES}) i;
INSERT INTO "WorkspaceSettings" ("id", "clientId", "autoSendRevisionEnabled", "updatedAt")
  SELECT 's' || i, 'c' || i, i <= 5, '{now_text}' FROM generate_series(1, {WORKSPACES}) i WHERE i % 2 = 1;
INSERT INTO "Lead" ("id", "clientId", "updatedAt")
  SELECT 'l' || i, 'c' || (1 + i % {WORKSPACES}), '{now_text}' FROM generate_series(1, {leads}) i;
INSERT INTO "AIDraft" ("id", "leadId", "content", "channel", "status", "createdAt", "updatedAt",
    "autoSendEvaluatedAt", "autoSendAction", "autoSendRevisionAttemptedAt", "autoSendOriginalConfidence",
    "autoSendRevisionConfidence", "autoSendRevisionApplied")
  SELECT 'd' || i, 'l' || (1 + (i::bigint * 7919) % {leads}), 'draft body', CASE WHEN i % 3 = 0 THEN 'email' ELSE 'sms' END, 'pending',
    t, t,
    CASE WHEN i % 10 < 7 THEN t + interval '5 seconds' END,
    CASE WHEN i % 10 < 7 THEN (ARRAY['send_immediate','send_delayed','needs_review','skip'])[1 + i % 4] END,
    CASE WHEN i % 100 < 3 THEN t + interval '10 seconds' END,
    CASE WHEN i % 100 < 3 THEN 0.6 END,
    CASE WHEN i % 100 < 3 AND i % 7 <> 0 THEN 0.7 END,
    i % 100 < 3 AND i % 2 = 0
  FROM (SELECT i, '{now_text}'::timestamp - (i::double precision / {drafts} * interval '1 day' * {days}) AS t
        FROM generate_series(1, {drafts}) i) g;
INSERT INTO "AIInteraction" ("id", "clientId", "leadId", "featureId", "model", "apiType", "status", "createdAt")
  SELECT 'ai' || i, 'c' || (1 + i % {WORKSPACES}), 'l' || (1 + (i::bigint * 104729) % {leads}),
    (ARRAY['auto_send.evaluate','auto_send.revise','auto_send.context_select'])[1 + i % 3], 'gpt-5.2', 'responses',
    CASE WHEN i % 50 = 0 THEN 'error' ELSE 'success' END,
    '{now_text}'::timestamp - (i::double precision / ({drafts} / 10) * interval '1 day' * {days})
  FROM generate_series(1, {drafts} / 10) i;
"#
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await
        .expect("seed");
    for (_, def) in &indexes {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SET maintenance_work_mem = '512MB'; {def}"
        )))
        .execute(pool)
        .await
        .expect("index");
    }
    // As autovacuum leaves production: statistics and the visibility map.
    sqlx::raw_sql("VACUUM (ANALYZE)")
        .execute(pool)
        .await
        .expect("vacuum");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        r#"CREATE TABLE bench_seed ("version" INT NOT NULL, "drafts" BIGINT NOT NULL, "now" TIMESTAMP(3) NOT NULL);
           INSERT INTO bench_seed VALUES ({SEED_VERSION}, {drafts}, '{now_text}')"#
    )))
    .execute(pool)
    .await
    .expect("seed marker");
}

/// The database of this size, seeded once: a complete seed of this version
/// is reused (its own `now`); anything else is dropped and seeded again.
pub async fn database(admin_url: &str, drafts: usize) -> (sqlx::PgPool, UtcNaive) {
    let db = format!("bench_{drafts}");
    let mut url = url::Url::parse(admin_url).expect("url");
    url.set_path(&format!("/{db}"));
    if let Ok(pool) = sqlx::PgPool::connect(url.as_str()).await {
        let marker: Result<(i32, i64, UtcNaive), _> =
            sqlx::query_as(r#"SELECT "version", "drafts", "now" FROM bench_seed"#)
                .fetch_one(&pool)
                .await;
        if let Ok((version, n, now)) = marker
            && version == SEED_VERSION
            && n == drafts as i64
        {
            eprintln!("reusing the seeded {db} (its clock: {now})");
            return (pool, now);
        }
        pool.close().await;
    }
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
    let pool = sqlx::PgPool::connect(url.as_str()).await.expect("db");
    let now = floor_minute(rollout_panel::core::time::naive(chrono::Utc::now()));
    let started = Instant::now();
    seed(&pool, drafts, now).await;
    eprintln!(
        "seeded {drafts} drafts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (pool, now)
}
