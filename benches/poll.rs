//! The metrics benchmark (issues: live metrics; a live poll below the psql
//! floor). Run it with a Postgres cluster kept between runs:
//!
//! ```sh
//! scripts/with-postgres.sh --keep target/bench-pg cargo bench --bench poll
//! ```
//!
//! For 200 000, 2 000 000 and 20 000 000 `AIDraft` rows across 500
//! workspaces at the same traffic per minute (≈ 46 drafts a minute: a bigger
//! table is a longer history; most drafts never attempted, 3 % stamped, 70 %
//! evaluated, plus `AIInteraction` rows with ~2 % errors), each seeded once
//! and reused while its seed version matches, it measures: (a) the live poll
//! as the worker runs it (p50/p95 and round trips, counted by a proxy),
//! (b) the psql floor — one `GROUP BY` over the 72 h window through the stamp
//! index, the best a person with psql could do — timed in the same rounds as
//! the polls, every size in turn, (c) the first poll (the worker's first
//! read up to its first snapshot, then the whole 72 h), (d) the admin page's
//! equivalent (per workspace, the two 72-hour counts with the lead → client
//! relation filter, as Prisma issues them), (e) a 10 000-draft export. Then
//! the UI: CPU time per frame of the Metrics tab with 24 h of per-minute
//! series for 500 workspaces (kittest harness). `BENCH_SIZES=2000000` picks
//! sizes, `BENCH_EXPLAIN=1` prints every statement's plan. Prints a table of
//! medians; asserts nothing (numbers belong here, not in tests).

use chrono::Duration;
use rollout_panel::adapters::store::{PgStore, Store};
use rollout_panel::core::metrics::{MinuteBucket, MinuteStats, RevisionSeries, SeriesChunk};
use rollout_panel::core::time::{UtcNaive, floor_minute};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;
use common::{WORKSPACES, database};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p95(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() * 95 / 100).min(v.len() - 1)]
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
    round_trips: f64,
    admin_median: f64,
    floor_median: f64,
    first_poll: f64,
    complete_72h: f64,
}

/// A TCP proxy in front of the server that counts round trips: the client
/// sending after the server has answered (bytes the client sends in several
/// writes without waiting for an answer are one).
async fn counting_proxy(server: std::net::SocketAddr) -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("proxy");
    let addr = listener.local_addr().expect("proxy address");
    let count = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = tokio::net::TcpStream::connect(server)
                .await
                .expect("upstream");
            let _ = client.set_nodelay(true);
            let _ = upstream.set_nodelay(true);
            let (mut cr, mut cw) = client.into_split();
            let (mut ur, mut uw) = upstream.into_split();
            let counter = Arc::clone(&counter);
            // Set when the server spoke since the client's last request: the
            // client's next bytes start a new round trip (a request sent in
            // two writes without waiting is one).
            let answered = Arc::new(AtomicBool::new(true));
            let answered_up = Arc::clone(&answered);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if answered_up.swap(false, Ordering::SeqCst) {
                                counter.fetch_add(1, Ordering::Relaxed);
                            }
                            if uw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match ur.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            answered.store(true, Ordering::SeqCst);
                            if cw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    (addr, count)
}

/// The worker's first refresh up to its first snapshot — the worker's own
/// `read_db_once`: the poll (workspaces + the newest hour) and, at the same
/// time, the once-a-minute 72-hour reads (the admin counts, the claims for
/// the alarms, the loop summaries, the revision path) — then the rest of the
/// window as the worker's `read_history` reads it. Returns (first snapshot,
/// 72 h complete) in ms, on new connections as a panel that just started
/// has (connecting not counted).
async fn first_poll(url: &str, now: UtcNaive) -> (f64, f64, RevisionSeries) {
    use rollout_panel::worker::{read_db_once, read_history_piece};
    let store = PgStore::connect(url).await.expect("connect");
    let timeout = std::time::Duration::from_secs(60);
    let mut snapshot = rollout_panel::worker::Snapshot::for_profile("bench");
    // The server version is read once per session, before the first poll.
    snapshot.server_version = Some(store.server_version().await.expect("version"));
    let t = Instant::now();
    read_db_once(&store, timeout, now, &mut snapshot)
        .await
        .expect("first poll");
    let first = t.elapsed().as_secs_f64() * 1000.0;
    while read_history_piece(&store, timeout, now, &mut snapshot)
        .await
        .expect("history")
    {}
    let complete = t.elapsed().as_secs_f64() * 1000.0;
    assert!(snapshot.series.is_complete(now));
    store.close().await;
    (first, complete, snapshot.series)
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

async fn measure(admin_url: &str, drafts: usize) -> Option<Live> {
    let (pool, now) = database(admin_url, drafts).await;
    if std::env::var("BENCH_SEED_ONLY").is_ok() {
        pool.close().await;
        return None;
    }
    let mut url = url::Url::parse(admin_url).expect("url");
    url.set_path(&format!("/bench_{drafts}"));

    // The first poll, five times, each on a new connection.
    let mut firsts = Vec::new();
    let mut completes = Vec::new();
    let mut series = RevisionSeries::default();
    for _ in 0..5 {
        let (first, complete, s) = first_poll(url.as_str(), now).await;
        firsts.push(first);
        completes.push(complete);
        series = s;
    }

    // Round trips per poll, through a proxy that counts them (its own hop
    // adds latency, so the polls are timed on a direct connection below).
    let server: std::net::SocketAddr = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().expect("port")
    )
    .parse()
    .expect("server address");
    let (proxy, trips) = counting_proxy(server).await;
    let mut proxied = url.clone();
    proxied.set_port(Some(proxy.port())).expect("port");
    let counted = PgStore::connect(proxied.as_str()).await.expect("store");
    let mut counted_series = series.clone();
    for _ in 0..5 {
        let p = counted
            .poll(counted_series.next_since(now), now)
            .await
            .expect("warm");
        counted_series.apply(p.series, now);
    }
    const COUNTED: usize = 100;
    let before = trips.load(Ordering::Relaxed);
    for _ in 0..COUNTED {
        let p = counted
            .poll(counted_series.next_since(now), now)
            .await
            .expect("poll");
        counted_series.apply(p.series, now);
    }
    let round_trips = (trips.load(Ordering::Relaxed) - before) as f64 / COUNTED as f64;
    counted.close().await;

    // The live polls' store, warmed (prepared statement, lead cache,
    // workspace fingerprint); they are timed with the other sizes'.
    let store = PgStore::connect(url.as_str()).await.expect("store");
    for _ in 0..20 {
        let p = store.poll(series.next_since(now), now).await.expect("warm");
        series.apply(p.series, now);
    }

    if std::env::var("BENCH_EXPLAIN").is_ok() {
        // Where the time goes: the live poll's one statement, then each
        // statement of the first snapshot.
        use rollout_panel::adapters::store::poll::{Dialect, NO_END, statement};
        use rollout_panel::adapters::store::sql;
        let since = series.next_since(now);
        let start = now - Duration::hours(72);
        let first_since = now - Duration::hours(1);
        let stuck = now - Duration::minutes(5);
        let schema = store.schema();
        let poll_sql = statement(Dialect::Postgres, schema, true);
        let history_sql = statement(Dialect::Postgres, schema, false);
        let plans: [(&str, &str, Vec<UtcNaive>); 8] = [
            // The fingerprint bound NULL: the workspace rows are read too.
            ("live poll", poll_sql, vec![since, stuck, NO_END]),
            ("first poll", poll_sql, vec![first_since, stuck, NO_END]),
            ("admin counts 72 h", sql::PG_COUNTS, vec![start]),
            ("claims 72 h", sql::PG_CLAIMS[1], vec![start]),
            ("loop summaries 72 h", sql::PG_LOOPS, vec![start]),
            ("reviser calls 72 h", sql::PG_PATH.0, vec![start]),
            ("loop errors 72 h", sql::PG_PATH.1, vec![start]),
            (
                "one history piece (12 h)",
                history_sql,
                vec![first_since - Duration::hours(12), stuck, first_since],
            ),
        ];
        // The session the poll's own connection has (its generic plan).
        let mut conn = pool.acquire().await.expect("connection");
        for setting in rollout_panel::adapters::store::POLL_SESSION {
            sqlx::raw_sql(*setting)
                .execute(&mut *conn)
                .await
                .expect("set");
        }
        for (name, sql, params) in plans {
            let text = format!("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}");
            let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(text));
            let n = params.len();
            for p in params {
                q = q.bind(p);
            }
            if n == 3 && sql.starts_with("WITH fp") {
                q = q.bind(None::<String>);
            }
            let plan = q
                .fetch_all(&mut *conn)
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
    for _ in 0..3 {
        let t = Instant::now();
        admin_poll(&pool, &clients, now - Duration::hours(72)).await;
        admin_polls.push(t.elapsed().as_secs_f64() * 1000.0);
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
    Some(Live {
        row: Row {
            drafts,
            export_10k,
            poll_median: 0.0,
            poll_p95: 0.0,
            round_trips,
            admin_median: median(admin_polls),
            floor_median: 0.0,
            first_poll: median(firsts),
            complete_72h: median(completes),
        },
        pool,
        store,
        series,
        now,
        polls: Vec::new(),
        floors: Vec::new(),
    })
}

/// One size, ready for the live polls.
struct Live {
    row: Row,
    pool: sqlx::PgPool,
    store: PgStore,
    series: RevisionSeries,
    now: UtcNaive,
    polls: Vec<f64>,
    floors: Vec<f64>,
}

/// The live polls and the psql floor, every size in turn, round after
/// round: each size's numbers come from the same minutes as the others'
/// (the machine's noise is shared, not one size's luck).
async fn interleaved(lives: &mut [Live]) {
    const ROUNDS: usize = 20;
    const POLLS: usize = 50;
    const FLOORS: usize = 3;
    for _ in 0..ROUNDS {
        for live in lives.iter_mut() {
            let now = live.now;
            for _ in 0..POLLS {
                let t = Instant::now();
                let since = live.series.next_since(now);
                let p = live.store.poll(since, now).await.expect("poll");
                live.polls.push(t.elapsed().as_secs_f64() * 1000.0);
                live.series.apply(p.series, now);
            }
            for _ in 0..FLOORS {
                let t = Instant::now();
                floor_poll(&live.pool, now - Duration::hours(72)).await;
                live.floors.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    for live in lives.iter_mut() {
        live.row.poll_median = median(live.polls.clone());
        live.row.poll_p95 = p95(live.polls.clone());
        live.row.floor_median = median(live.floors.clone());
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
        .unwrap_or_else(|| vec![200_000, 2_000_000, 20_000_000]);
    if std::env::var("BENCH_SEED_ONLY").is_ok() {
        for &n in &sizes {
            rt.block_on(measure(&admin_url, n));
        }
        return;
    }
    let mut lives: Vec<Live> = sizes
        .iter()
        .filter_map(|&n| rt.block_on(measure(&admin_url, n)))
        .collect();
    rt.block_on(interleaved(&mut lives));
    let rows: Vec<&Row> = lives.iter().map(|l| &l.row).collect();
    let (ui_median, ui_p95) = ui_frames();
    println!();
    println!(
        "| AIDraft rows | live poll p50 | p95 | round trips / poll | psql floor (one GROUP BY, 72 h) p50 | floor / poll | first poll (first snapshot) | 72 h complete | admin-page equivalent (500 ws x 2 counts) | admin / poll | export of 10 000 sampled drafts |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.1} | {:.2} ms | {:.1}x | {:.1} ms | {:.0} ms | {:.0} ms | {:.0}x | {:.0} ms |",
            r.drafts,
            r.poll_median,
            r.poll_p95,
            r.round_trips,
            r.floor_median,
            r.floor_median / r.poll_median,
            r.first_poll,
            r.complete_72h,
            r.admin_median,
            r.admin_median / r.poll_median,
            r.export_10k
        );
    }
    println!();
    println!(
        "Metrics tab, 24 h per-minute series x {WORKSPACES} workspaces, CPU time per frame (kittest step): median {ui_median:.2} ms, p95 {ui_p95:.2} ms"
    );
}
