//! The store against real databases: PostgreSQL 15 with the V0, V1 and V2
//! production fixtures, and SQLite with the demo's production-shaped schema.
//! Expected numbers are hand-computed in tests/fixtures/data_revisions.sql.

mod common;

use common::{DATA_BASE, DATA_METRICS, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, PgServer, TestDb, ts};
use rollout_panel::adapters::store::{PgStore, SqliteStore, Store, StoreError};
use rollout_panel::core::metrics::RevisionSeries;
use rollout_panel::core::schema::SchemaVariant;
use rollout_panel::core::workspace::{RevisionCounts, RevisionToggle};
use std::collections::BTreeMap;

const WINDOW_START: &str = "2026-02-20 00:00:00";
/// "Now" of the reads (nothing in the fixtures is stuck-young except d10).
const NOW: &str = "2026-02-22 12:00:00";

fn counts(attempted: u64, applied: u64) -> RevisionCounts {
    RevisionCounts { attempted, applied }
}

/// Everything the fixture data implies, checked against any store.
async fn check_expected_reads(store: &dyn Store) {
    let ws = store.workspaces().await.expect("workspaces");
    let toggles: Vec<(&str, RevisionToggle)> =
        ws.iter().map(|w| (w.name.as_str(), w.toggle)).collect();
    assert_eq!(
        toggles,
        vec![
            ("Alpha", RevisionToggle::Enabled),
            ("Beta", RevisionToggle::Disabled),
            ("Gamma", RevisionToggle::NoSettingsRow),
        ]
    );
    assert_eq!(
        ws[0].settings_updated_at,
        Some(ts("2026-02-19 09:30:00.250"))
    );
    assert_eq!(ws[2].settings_updated_at, None);

    let got = store
        .revision_counts(ts(WINDOW_START))
        .await
        .expect("counts");
    let want: BTreeMap<String, RevisionCounts> = [
        ("c-alpha".to_owned(), counts(3, 2)),
        ("c-beta".to_owned(), counts(2, 1)),
        ("c-gamma".to_owned(), counts(1, 0)),
    ]
    .into();
    assert_eq!(got, want);

    // One millisecond later, Beta's d7 (stamped exactly at the start) drops out.
    let later = ts("2026-02-20 00:00:00.001");
    let got = store.revision_counts(later).await.expect("counts");
    assert_eq!(got["c-beta"], counts(1, 0));

    let chunk = store
        .revision_series(ts(WINDOW_START), ts(NOW))
        .await
        .expect("series");
    let buckets: Vec<(String, &str, u64, u64)> = chunk
        .buckets
        .iter()
        .map(|b| {
            (
                b.minute.format("%m-%d %H:%M:%S%.3f").to_string(),
                b.client_id.as_str(),
                b.counts.attempted,
                b.counts.applied,
            )
        })
        .collect();
    assert_eq!(
        buckets,
        vec![
            ("02-20 00:00:00.000".to_owned(), "c-beta", 1, 1),
            ("02-20 10:00:00.000".to_owned(), "c-alpha", 2, 1),
            ("02-20 10:00:00.000".to_owned(), "c-beta", 1, 0),
            ("02-20 10:01:00.000".to_owned(), "c-alpha", 1, 1),
            ("02-21 08:15:00.000".to_owned(), "c-gamma", 1, 0),
        ]
    );
    assert_eq!(chunk.max_stamp, Some(ts("2026-02-21 08:15:10")));

    // The series, merged, gives the admin page's numbers for the same window.
    let now = ts("2026-02-22 12:00:00");
    let mut series = RevisionSeries::default();
    series.apply(chunk, now);
    let totals: BTreeMap<String, RevisionCounts> = series
        .totals_by_workspace(ts(WINDOW_START), now)
        .into_iter()
        .map(|(k, v)| (k, v.revision()))
        .collect();
    assert_eq!(totals, want);

    // Incremental: the next poll starts six minutes before the newest stamp.
    let since = series.next_since(now);
    assert_eq!(since, ts("2026-02-21 08:09:00"));
    let tail = store.revision_series(since, now).await.expect("tail");
    assert_eq!(tail.buckets.len(), 1);
    assert_eq!(tail.buckets[0].client_id, "c-gamma");
}

/// A V2+ schema with every column of the right type, the revision index, and
/// a server version that starts as expected.
async fn assert_latest_schema(store: &dyn Store, version_prefix: &str) {
    let report = store.schema();
    assert_eq!(report.variant, SchemaVariant::V2Plus);
    assert!(report.missing.is_empty(), "{report:?}");
    assert!(report.type_mismatches.is_empty(), "{report:?}");
    assert!(report.revision_index);
    let version = store.server_version().await.unwrap();
    assert!(version.starts_with(version_prefix), "{version}");
}

#[tokio::test]
async fn postgres_v2_reads_match_the_hand_computed_numbers() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    let store = PgStore::connect(&db.url).await.expect("connect");
    assert_latest_schema(&store, "PostgreSQL 1").await;
    check_expected_reads(&store).await;
}

#[tokio::test]
async fn postgres_v1_reads_match_the_hand_computed_numbers() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS]).await;
    let store = PgStore::connect(&db.url).await.expect("connect");
    assert_eq!(store.schema().variant, SchemaVariant::V1);
    assert!(store.schema().missing.is_empty(), "{:?}", store.schema());
    assert!(!store.schema().variant.has_iterations());
    check_expected_reads(&store).await;
}

#[tokio::test]
async fn postgres_v0_reports_missing_columns_instead_of_failing() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, DATA_BASE]).await;
    let store = PgStore::connect(&db.url)
        .await
        .expect("connect must succeed on V0");
    let report = store.schema();
    assert_eq!(report.variant, SchemaVariant::V0);
    assert!(!report.revision_index);
    assert_eq!(
        report.missing,
        vec![
            "AIDraft.autoSendOriginalConfidence",
            "AIDraft.autoSendRevisionApplied",
            "AIDraft.autoSendRevisionAttemptedAt",
            "AIDraft.autoSendRevisionConfidence",
            "AIDraft.autoSendRevisionSelectorUsed",
            "WorkspaceSettings.autoSendRevisionEnabled",
        ]
    );
    assert!(
        report
            .summary()
            .contains("missing columns: AIDraft.autoSendOriginalConfidence")
    );

    // Workspaces still list, with the toggle honestly unknown.
    let ws = store.workspaces().await.expect("workspaces on V0");
    assert_eq!(ws.len(), 3);
    assert!(ws.iter().all(|w| w.toggle == RevisionToggle::ColumnMissing));

    // Revision reads refuse with the list, not with a SQL error.
    match store.revision_counts(ts(WINDOW_START)).await {
        Err(StoreError::SchemaMissing(cols)) => {
            assert!(cols.contains(&"AIDraft.autoSendRevisionAttemptedAt".to_owned()))
        }
        other => panic!("expected SchemaMissing, got {other:?}"),
    }
    // The series degrades: no claims without the columns, evaluations and
    // AI errors still (V0 has them).
    let chunk = store
        .revision_series(ts(WINDOW_START), ts(NOW))
        .await
        .expect("the series on V0");
    assert!(chunk.buckets.iter().all(|b| b.counts.attempted == 0));
    // The live poll too: its one statement has no claims part on V0.
    let poll = store
        .poll(ts(WINDOW_START), ts(NOW))
        .await
        .expect("poll on V0");
    assert_eq!(poll.workspaces, Some(ws));
    assert_eq!(poll.series.buckets, chunk.buckets);
    // Nothing changed: the second poll sends no workspace row.
    let again = store.poll(ts(WINDOW_START), ts(NOW)).await.expect("poll");
    assert_eq!(again.workspaces, None);
}

#[tokio::test]
async fn postgres_session_time_zone_does_not_move_the_window() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS]).await;
    // A session whose TimeZone is far from UTC: the naive UTC values bound from
    // Rust must select exactly the same rows.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::Executor::execute(&mut *conn, "SET TIME ZONE 'Pacific/Auckland'").await?;
                Ok(())
            })
        })
        .connect(&db.url)
        .await
        .unwrap();
    let store = PgStore::from_pool(pool).await.expect("store");
    let (tz,): (String,) = sqlx::query_as("SHOW timezone")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(tz, "Pacific/Auckland");
    let got = store.revision_counts(ts(WINDOW_START)).await.unwrap();
    assert_eq!(got["c-alpha"], counts(3, 2));
    assert_eq!(got["c-beta"], counts(2, 1));
}

/// A private server (one a test may stop) holding the revision fixtures,
/// and a store on it.
async fn server_with_revisions() -> (PgServer, PgStore) {
    let server = PgServer::start();
    let url = server.admin_url();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    for script in [PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS] {
        sqlx::raw_sql(script).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let store = PgStore::connect(&url).await.expect("connect");
    (server, store)
}

#[tokio::test]
async fn postgres_that_goes_away_gives_a_clear_error_and_recovers() {
    let (server, store) = server_with_revisions().await;
    assert_eq!(
        store.revision_counts(ts(WINDOW_START)).await.unwrap().len(),
        3
    );

    server.stop();
    let err = store
        .revision_counts(ts(WINDOW_START))
        .await
        .expect_err("a stopped server cannot answer");
    let text = err.to_string();
    assert!(text.starts_with("reading revision counts failed"), "{text}");
    assert!(text.contains("is it running and reachable?"), "{text}");

    server.start_again();
    let got = store
        .revision_counts(ts(WINDOW_START))
        .await
        .expect("recovers");
    assert_eq!(got["c-alpha"], counts(3, 2));
}

#[tokio::test]
async fn the_live_poll_survives_a_restart_and_says_clearly_when_the_server_is_down() {
    let (server, store) = server_with_revisions().await;
    let first = store.poll(ts(WINDOW_START), ts(NOW)).await.expect("poll");
    assert_eq!(first.workspaces.map(|w| w.len()), Some(3));

    // A restart between two polls: the poll's connection is dead; the
    // poll opens a new one instead of reporting a database error.
    server.stop();
    server.start_again();
    let after = store
        .poll(ts(WINDOW_START), ts(NOW))
        .await
        .expect("a restart between polls is not an error");
    assert_eq!(after.series, first.series);

    // Down: a clear error, no credentials, and the next poll recovers.
    server.stop();
    let err = store
        .poll(ts(WINDOW_START), ts(NOW))
        .await
        .expect_err("a stopped server cannot answer");
    let text = err.to_string();
    assert!(text.starts_with("reading the live poll failed"), "{text}");
    server.start_again();
    let back = store
        .poll(ts(WINDOW_START), ts(NOW))
        .await
        .expect("recovers");
    assert_eq!(back.series, first.series);

    // Closed: the poll does not open a connection again.
    store.close().await;
    assert!(store.poll(ts(WINDOW_START), ts(NOW)).await.is_err());
}

#[tokio::test]
async fn postgres_connect_errors_never_show_the_password() {
    let server = PgServer::start();
    let url = format!(
        "postgres://nobody:hunter2-secret@127.0.0.1:{}/nowhere",
        server.port
    );
    let err = PgStore::connect(&url).await.expect_err("no such role");
    let text = err.to_string();
    assert!(text.starts_with("cannot connect to the database"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    let err = PgStore::connect("postgres://u:hunter2@[::1:bad/x")
        .await
        .expect_err("malformed URL");
    let text = err.to_string();
    assert!(text.starts_with("the database URL is not usable"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

/// A SQLite file with the demo's production-shaped schema, empty.
async fn prod_shaped_sqlite(dir: &std::path::Path) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("prod-shaped.sqlite"))
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    rollout_panel::demo::apply_schema(&pool).await.unwrap();
    pool
}

#[tokio::test]
async fn sqlite_demo_schema_reads_match_the_hand_computed_numbers() {
    let dir = common::temp_dir();
    let pool = prod_shaped_sqlite(dir.path()).await;
    for script in [DATA_BASE, DATA_REVISIONS] {
        sqlx::raw_sql(script).execute(&pool).await.unwrap();
    }
    let store = SqliteStore::from_pool(pool).await.expect("store");
    assert_latest_schema(&store, "SQLite 3.").await;
    check_expected_reads(&store).await;
}

/// The compare-and-set toggle write, on any store holding the base fixture
/// (Alpha has a settings row, off; Gamma has none).
async fn check_toggle_writes(store: &dyn Store) {
    use rollout_panel::core::workspace::{RevisionToggle, ToggleWrite};
    let toggle_of = |ws: &[rollout_panel::core::workspace::Workspace], id: &str| {
        let w = ws.iter().find(|w| w.id == id).expect("workspace");
        (w.toggle, w.settings_updated_at)
    };
    let t1 = ts("2026-03-01 10:00:00.123");
    // Off → on, on the value the operator saw.
    let w = store
        .set_revision_toggle("c-alpha", RevisionToggle::Disabled, true, t1)
        .await
        .expect("write");
    assert_eq!(w, ToggleWrite::Written { updated_at: t1 });
    let ws = store.workspaces().await.expect("read");
    assert_eq!(
        toggle_of(&ws, "c-alpha"),
        (RevisionToggle::Enabled, Some(t1))
    );

    // A second panel that still saw "off" must not overwrite: it gets what is there.
    let t2 = ts("2026-03-01 10:00:05");
    let w = store
        .set_revision_toggle("c-alpha", RevisionToggle::Disabled, false, t2)
        .await
        .expect("write");
    assert_eq!(
        w,
        ToggleWrite::Conflict {
            found: RevisionToggle::Enabled,
            updated_at: Some(t1)
        }
    );
    assert_eq!(
        toggle_of(&store.workspaces().await.unwrap(), "c-alpha").0,
        RevisionToggle::Enabled
    );

    // No settings row: the write creates it (upsert by clientId) …
    let w = store
        .set_revision_toggle("c-gamma", RevisionToggle::NoSettingsRow, true, t2)
        .await
        .expect("insert");
    assert_eq!(w, ToggleWrite::Written { updated_at: t2 });
    assert_eq!(
        toggle_of(&store.workspaces().await.unwrap(), "c-gamma"),
        (RevisionToggle::Enabled, Some(t2))
    );
    // … and a panel that still saw no row gets a conflict, not a second row.
    let w = store
        .set_revision_toggle("c-gamma", RevisionToggle::NoSettingsRow, false, t2)
        .await
        .expect("insert");
    assert!(
        matches!(
            w,
            ToggleWrite::Conflict {
                found: RevisionToggle::Enabled,
                ..
            }
        ),
        "{w:?}"
    );

    // Back off (the workspace rollback).
    let t3 = ts("2026-03-01 10:01:00");
    let w = store
        .set_revision_toggle("c-alpha", RevisionToggle::Enabled, false, t3)
        .await
        .expect("write");
    assert_eq!(w, ToggleWrite::Written { updated_at: t3 });
}

#[tokio::test]
async fn postgres_toggle_writes_are_compare_and_set() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let store = PgStore::connect(&db.url).await.expect("connect");
    check_toggle_writes(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_panels_racing_on_one_toggle_exactly_one_wins() {
    use rollout_panel::core::workspace::{RevisionToggle, ToggleWrite};
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, DATA_BASE]).await;
    for round in 0..10 {
        // Reset to off, then two panels (own pools) flip it at the same time.
        let a = PgStore::connect(&db.url).await.expect("panel a");
        let b = PgStore::connect(&db.url).await.expect("panel b");
        let now = ts("2026-03-01 11:00:00") + chrono::Duration::seconds(round);
        sqlx::query(r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = false WHERE "clientId" = 'c-beta'"#)
            .execute(a.pool())
            .await
            .expect("reset");
        let (ra, rb) = tokio::join!(
            a.set_revision_toggle("c-beta", RevisionToggle::Disabled, true, now),
            b.set_revision_toggle(
                "c-beta",
                RevisionToggle::Disabled,
                true,
                now + chrono::Duration::milliseconds(1)
            ),
        );
        let results = [ra.expect("a"), rb.expect("b")];
        let won = results
            .iter()
            .filter(|r| matches!(r, ToggleWrite::Written { .. }))
            .count();
        assert_eq!(won, 1, "round {round}: {results:?}");
        assert!(
            results.iter().any(|r| matches!(
                r,
                ToggleWrite::Conflict {
                    found: RevisionToggle::Enabled,
                    ..
                }
            )),
            "round {round}: {results:?}"
        );
        a.pool().close().await;
        b.pool().close().await;
    }
}

#[tokio::test]
async fn postgres_v0_refuses_toggle_writes() {
    use rollout_panel::core::workspace::RevisionToggle;
    let db = TestDb::create().await;
    db.apply(&[PG_V0, DATA_BASE]).await;
    let store = PgStore::connect(&db.url).await.expect("connect");
    let e = store
        .set_revision_toggle(
            "c-alpha",
            RevisionToggle::Disabled,
            true,
            ts("2026-03-01 10:00:00"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            rollout_panel::adapters::store::StoreError::SchemaMissing(_)
        ),
        "{e}"
    );
}

#[tokio::test]
async fn sqlite_toggle_writes_are_compare_and_set() {
    let dir = common::temp_dir();
    let pool = prod_shaped_sqlite(dir.path()).await;
    sqlx::raw_sql(DATA_BASE).execute(&pool).await.unwrap();
    let store = SqliteStore::from_pool(pool).await.expect("store");
    check_toggle_writes(&store).await;
}

/// The pool under a store, to change rows behind its back.
enum Raw {
    Pg(sqlx::PgPool),
    Lite(sqlx::SqlitePool),
}

impl Raw {
    async fn exec(&self, sql: &'static str) {
        match self {
            Raw::Pg(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Raw::Lite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        }
        .expect("statement");
    }
}

/// The metric series on the metrics fixture (hand-computed in
/// tests/fixtures/data_metrics.sql), checked against any store.
async fn check_metric_reads(store: &dyn Store, raw: &Raw) {
    use rollout_panel::core::metrics::MinuteStats;
    let now = ts(NOW);
    let chunk = store
        .revision_series(ts(WINDOW_START), now)
        .await
        .expect("series");
    let totals = chunk.totals_by_workspace();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let expect = |id: &str, want: MinuteStats| {
        let got = totals.get(id).copied().unwrap_or_default();
        assert!(close(got.uplift_sum, want.uplift_sum), "{id}: {got:?}");
        let strip = |m: MinuteStats| MinuteStats {
            uplift_sum: 0.0,
            ..m
        };
        assert_eq!(strip(got), strip(want), "{id}");
    };
    expect(
        "c-alpha",
        MinuteStats {
            attempted: 4,
            applied: 2,
            evaluated: 5,
            needs_review: 2,
            ai_errors: 1,
            stuck: 0,
            uplift_sum: 0.3,
            uplift_n: 3,
        },
    );
    expect(
        "c-beta",
        MinuteStats {
            attempted: 2,
            applied: 1,
            evaluated: 2,
            needs_review: 1,
            ai_errors: 0,
            stuck: 1,
            uplift_sum: 0.3,
            uplift_n: 1,
        },
    );
    expect(
        "c-gamma",
        MinuteStats {
            attempted: 1,
            applied: 0,
            evaluated: 1,
            needs_review: 0,
            ai_errors: 0,
            stuck: 1,
            uplift_sum: 0.0,
            uplift_n: 0,
        },
    );
    let alpha: Vec<(String, u64, u64, u64, u64, u64)> = chunk
        .buckets
        .iter()
        .filter(|b| b.client_id == "c-alpha" && b.minute < ts("2026-02-21 00:00:00"))
        .map(|b| {
            let c = b.counts;
            (
                b.minute.format("%H:%M").to_string(),
                c.attempted,
                c.applied,
                c.evaluated,
                c.needs_review,
                c.ai_errors,
            )
        })
        .collect();
    assert_eq!(
        alpha,
        vec![
            ("10:00".to_owned(), 2, 1, 2, 1, 1),
            ("10:01".to_owned(), 1, 1, 0, 0, 0),
            ("10:02".to_owned(), 0, 0, 1, 0, 0),
            ("11:00".to_owned(), 0, 0, 1, 0, 0),
        ]
    );
    assert_eq!(chunk.max_stamp, Some(ts("2026-02-22 11:58:00")));

    // d10 is not stuck at 12:00 (two minutes old); at 12:04 it is, and the
    // next poll's re-read window still covers its minute, so its bucket is
    // corrected instead of keeping the old answer.
    let mut series = RevisionSeries::default();
    series.apply(chunk, now);
    let later = ts("2026-02-22 12:04:00");
    let since = series.next_since(later);
    assert!(since <= ts("2026-02-22 11:58:00"), "{since}");
    series.apply(
        store.revision_series(since, later).await.expect("tail"),
        later,
    );
    let t = series.totals_by_workspace(ts(WINDOW_START), later);
    assert_eq!(t["c-alpha"].stuck, 1);
    assert_eq!(t["c-alpha"].attempted, 4, "re-read, not double-counted");

    // A late apply (its revision lands after the poll that saw the claim)
    // corrects its bucket on the next poll.
    raw.exec(
        r#"UPDATE "AIDraft" SET "autoSendRevisionConfidence" = 0.75, "autoSendRevisionApplied" = true WHERE "id" = 'd10'"#,
    )
    .await;
    let since = series.next_since(later);
    series.apply(
        store.revision_series(since, later).await.expect("tail"),
        later,
    );
    let t = series.totals_by_workspace(ts(WINDOW_START), later);
    assert_eq!((t["c-alpha"].applied, t["c-alpha"].stuck), (3, 0));
    assert_eq!(t["c-alpha"].uplift_n, 4);

    // The claims for the alarms, in stamp order.
    let claims = store.claims_since(ts(WINDOW_START)).await.expect("claims");
    let ids: Vec<&str> = claims.iter().map(|c| c.draft_id.as_str()).collect();
    assert_eq!(ids, vec!["d7", "d1", "d6", "d2", "d3", "d8", "d10"]);
    assert_eq!(claims[0].client_id, "c-beta");
    assert_eq!(claims[0].channel, "sms");
}

#[tokio::test]
async fn postgres_v1_and_v2_metric_series_match_the_hand_computed_numbers() {
    for fixtures in [
        vec![PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS, DATA_METRICS],
        vec![PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS, DATA_METRICS],
    ] {
        let db = TestDb::create().await;
        db.apply(&fixtures).await;
        let store = PgStore::connect(&db.url).await.expect("connect");
        assert!(store.schema().ai_interaction);
        check_metric_reads(&store, &Raw::Pg(store.pool().clone())).await;
    }
}

#[tokio::test]
async fn sqlite_metric_series_match_the_hand_computed_numbers() {
    let dir = common::temp_dir();
    let pool = prod_shaped_sqlite(dir.path()).await;
    for script in [DATA_BASE, DATA_REVISIONS, DATA_METRICS] {
        sqlx::raw_sql(script).execute(&pool).await.unwrap();
    }
    let store = SqliteStore::from_pool(pool.clone()).await.expect("store");
    check_metric_reads(&store, &Raw::Lite(pool)).await;
}

#[tokio::test]
async fn postgres_session_time_zone_does_not_move_the_series() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS, DATA_METRICS])
        .await;
    let utc = PgStore::connect(&db.url).await.expect("store");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::Executor::execute(&mut *conn, "SET TIME ZONE 'America/St_Johns'").await?;
                Ok(())
            })
        })
        .connect(&db.url)
        .await
        .unwrap();
    let far = PgStore::from_pool(pool).await.expect("store");
    let (a, b) = (
        utc.revision_series(ts(WINDOW_START), ts(NOW))
            .await
            .unwrap(),
        far.revision_series(ts(WINDOW_START), ts(NOW))
            .await
            .unwrap(),
    );
    assert_eq!(a, b);
    check_metric_reads(&far, &Raw::Pg(far.pool().clone())).await;
}

/// A NULL in a text column the export reads (a drifted schema, a hand
/// fix) is an empty cell: the other drafts and the rest of this one are
/// exported.
#[tokio::test]
async fn a_null_text_column_is_an_empty_cell_not_a_failed_export() {
    let db = TestDb::create().await;
    db.apply(&[
        PG_V0,
        PG_V1,
        PG_V2,
        DATA_BASE,
        r#"ALTER TABLE "AIDraft" ALTER COLUMN "content" DROP NOT NULL;
ALTER TABLE "AIDraft" ALTER COLUMN "channel" DROP NOT NULL;
ALTER TABLE "Client" ALTER COLUMN "name" DROP NOT NULL;
UPDATE "Client" SET "name" = NULL WHERE "id" = 'c-beta';
INSERT INTO "AIDraft" ("id", "leadId", "content", "channel", "status", "updatedAt",
                       "autoSendRevisionAttemptedAt", "autoSendRevisionApplied") VALUES
    ('n1', 'l-b1', NULL, NULL, 'pending', '2026-03-01 10:00:00', '2026-03-01 10:00:00', true),
    ('n2', 'l-a1', 'fine', 'email', 'pending', '2026-03-01 10:01:00', '2026-03-01 10:01:00', true);"#,
    ])
    .await;
    let store = PgStore::connect(&db.url).await.expect("connect");
    let rows = store
        .drafts_by_ids(&["n1".to_owned(), "n2".to_owned()])
        .await
        .expect("the export reads both");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            rows[0].draft_id.as_str(),
            rows[0].content.as_str(),
            rows[0].channel.as_str(),
            rows[0].workspace_name.as_str()
        ),
        ("n1", "", "", "")
    );
    assert_eq!(
        (rows[1].draft_id.as_str(), rows[1].content.as_str()),
        ("n2", "fine")
    );
    store.close().await;
}
