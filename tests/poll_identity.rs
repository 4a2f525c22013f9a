//! The live poll changes how the series is read (one statement, the newest
//! hour first and the history after it, evaluations per lead, workspaces only
//! when they changed) but not what it says: poll after poll, on a database
//! the app keeps writing to, the series the worker builds is the one a
//! from-scratch read of the same data gives, bucket for bucket, and so is the
//! workspace list. On PostgreSQL (the V2 production fixtures) and on the
//! demo's SQLite schema.
//!
//! The writes follow the app's timing (contract §9): a decision is recorded
//! seconds after its evaluation and a retry may move it within the loop
//! budget; a revision is applied up to two minutes after its claim, or never
//! (stuck after five); a reviser failure is logged within five minutes of the
//! claim; a Slack "Regenerate" copies a decision; toggles flip and a
//! workspace is added while the panel polls.

mod common;

use chrono::{Duration, NaiveDateTime};
use common::{PG_V0, PG_V1, PG_V2, TestDb, ts};
use rollout_panel::adapters::store::{PgStore, SqliteStore, Store};
use rollout_panel::core::metrics::{MinuteStats, RETAIN, RevisionSeries};
use rollout_panel::core::time::floor_minute;
use rollout_panel::core::workspace::Workspace;

/// A small deterministic generator (the same run on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn lit(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.3f"))
}

const ACTIONS: [&str; 4] = ["send_immediate", "send_delayed", "needs_review", "skip"];

/// The app, writing: a script of SQL per simulated step, valid on both
/// databases (literal values, no parameters).
struct App {
    rng: Lcg,
    drafts: u64,
    interactions: u64,
    /// Leads per workspace ("c0".."c2", and later "c3").
    workspaces: Vec<String>,
    /// Recent decisions that a retry may still move: (draft, lead, at).
    recent_decisions: Vec<(String, String, NaiveDateTime)>,
    /// Open claims: (draft, lead, workspace, stamp, fate at stamp + delay).
    claims: Vec<(String, String, String, NaiveDateTime, Duration, u64)>,
}

impl App {
    fn new() -> Self {
        Self {
            rng: Lcg(20),
            drafts: 0,
            interactions: 0,
            workspaces: (0..3).map(|i| format!("c{i}")).collect(),
            recent_decisions: Vec::new(),
            claims: Vec::new(),
        }
    }

    /// A workspace `c` and its three leads (`c-l0`..`c-l2`).
    fn workspace(c: &str, name: &str, user: &str, at: NaiveDateTime) -> String {
        let mut sql = format!(
            r#"INSERT INTO "Client" ("id", "name", "userId", "updatedAt") VALUES ('{c}', '{name}', '{user}', {});"#,
            lit(at)
        );
        for l in 0..3 {
            sql += &format!(
                r#"INSERT INTO "Lead" ("id", "clientId", "updatedAt") VALUES ('{c}-l{l}', '{c}', {});"#,
                lit(at)
            );
        }
        sql
    }

    /// An `AIInteraction` error row of `feature`.
    fn error_row(&mut self, client: &str, lead: &str, feature: &str, at: NaiveDateTime) -> String {
        self.interactions += 1;
        format!(
            r#"INSERT INTO "AIInteraction" ("id", "clientId", "leadId", "featureId", "model", "apiType", "status", "createdAt")
               VALUES ('i{}', '{client}', '{lead}', '{feature}', 'gpt-5.2', 'responses', 'error', {});"#,
            self.interactions,
            lit(at)
        )
    }

    fn setup(&self, start: NaiveDateTime) -> String {
        let mut sql = String::new();
        for (i, c) in self.workspaces.iter().enumerate() {
            sql += &Self::workspace(c, &format!("Workspace {i}"), &format!("u{i}"), start);
        }
        // c0 has revision on, c1 off, c2 has no settings row.
        sql += &format!(
            r#"INSERT INTO "WorkspaceSettings" ("id", "clientId", "autoSendRevisionEnabled", "updatedAt") VALUES ('s0', 'c0', true, {t}), ('s1', 'c1', false, {t});"#,
            t = lit(start)
        );
        sql
    }

    fn lead(&mut self) -> (String, String) {
        let c = self.workspaces[self.rng.below(self.workspaces.len() as u64) as usize].clone();
        let l = format!("{c}-l{}", self.rng.below(3));
        (l, c)
    }

    /// One evaluated draft at `at` (recorded now); sometimes its Slack
    /// "Regenerate" copy with the same decision.
    fn evaluation(&mut self, at: NaiveDateTime, now: NaiveDateTime) -> String {
        let (lead, _) = self.lead();
        let action = ACTIONS[self.rng.below(4) as usize];
        self.drafts += 1;
        let id = format!("d{}", self.drafts);
        let mut sql = format!(
            r#"INSERT INTO "AIDraft" ("id", "leadId", "content", "channel", "status", "createdAt", "updatedAt", "autoSendEvaluatedAt", "autoSendAction", "autoSendConfidence", "autoSendRevisionApplied")
               VALUES ('{id}', '{lead}', 'draft', 'email', 'pending', {at}, {now}, {at}, '{action}', 0.5, false);"#,
            at = lit(at),
            now = lit(now)
        );
        if self.rng.below(6) == 0 {
            self.drafts += 1;
            sql += &format!(
                r#"INSERT INTO "AIDraft" ("id", "leadId", "content", "channel", "status", "createdAt", "updatedAt", "autoSendEvaluatedAt", "autoSendAction", "autoSendConfidence", "autoSendRevisionApplied")
                   VALUES ('d{}', '{lead}', 'regenerated', 'email', 'pending', {now}, {now}, {at}, '{action}', 0.5, false);"#,
                self.drafts,
                at = lit(at),
                now = lit(now)
            );
        }
        self.recent_decisions.push((id, lead, at));
        sql
    }

    /// One step of the app at `now` (the previous step was 20 s earlier).
    fn step(&mut self, now: NaiveDateTime) -> String {
        let mut sql = String::new();
        for _ in 0..self.rng.below(4) {
            let at = now - Duration::milliseconds(self.rng.below(3_000) as i64);
            sql += &self.evaluation(at, now);
        }
        // A retry moves a decision recorded in the last two minutes.
        self.recent_decisions
            .retain(|(_, _, at)| now - *at < Duration::minutes(2));
        if !self.recent_decisions.is_empty() && self.rng.below(5) == 0 {
            let i = self.rng.below(self.recent_decisions.len() as u64) as usize;
            let (id, _, _) = &self.recent_decisions[i];
            sql += &format!(
                r#"UPDATE "AIDraft" SET "autoSendEvaluatedAt" = {now}, "autoSendAction" = 'needs_review', "updatedAt" = {now} WHERE "id" = '{id}';"#,
                now = lit(now)
            );
        }
        // A claim on a fresh draft: applied, not applied, failed or stuck.
        if self.rng.below(2) == 0 {
            let (lead, client) = self.lead();
            self.drafts += 1;
            let id = format!("d{}", self.drafts);
            let stamp = now - Duration::milliseconds(self.rng.below(2_000) as i64);
            sql += &format!(
                r#"INSERT INTO "AIDraft" ("id", "leadId", "content", "channel", "status", "createdAt", "updatedAt", "autoSendEvaluatedAt", "autoSendAction", "autoSendConfidence", "autoSendRevisionAttemptedAt", "autoSendOriginalConfidence", "autoSendRevisionApplied")
                   VALUES ('{id}', '{lead}', 'draft', 'email', 'pending', {s}, {s}, {s}, 'needs_review', 0.4, {s}, 0.4, false);"#,
                s = lit(stamp)
            );
            let delay = Duration::seconds(10 + self.rng.below(110) as i64);
            let fate = self.rng.below(4);
            self.claims.push((id, lead, client, stamp, delay, fate));
        }
        let mut open = Vec::new();
        for claim in std::mem::take(&mut self.claims) {
            let (id, lead, client, stamp, delay, fate) = &claim;
            if now < *stamp + *delay {
                open.push(claim);
                continue;
            }
            match fate {
                // Applied, or revised without improving.
                0 | 1 => {
                    sql += &format!(
                        r#"UPDATE "AIDraft" SET "autoSendRevisionConfidence" = {}, "autoSendRevisionApplied" = {}, "updatedAt" = {} WHERE "id" = '{id}';"#,
                        if *fate == 0 { "0.9" } else { "0.3" },
                        if *fate == 0 { "true" } else { "false" },
                        lit(now)
                    );
                }
                // The reviser failed: its error row, no confidence.
                2 => sql += &self.error_row(client, lead, "auto_send.revise", now),
                // Nothing: stuck once five minutes have passed.
                _ => {}
            }
        }
        self.claims = open;
        // Context-selection errors are not the reviser's.
        if self.rng.below(4) == 0 {
            let (lead, client) = self.lead();
            sql += &self.error_row(&client, &lead, "auto_send.context_select", now);
        }
        // A toggle flips now and then.
        if self.rng.below(12) == 0 {
            sql += &format!(
                r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = NOT "autoSendRevisionEnabled", "updatedAt" = {} WHERE "clientId" = 'c1';"#,
                lit(now)
            );
        }
        sql
    }

    /// A workspace added while the panel polls.
    fn add_workspace(&mut self, now: NaiveDateTime) -> String {
        self.workspaces.push("c3".to_owned());
        Self::workspace("c3", "A new workspace", "u3", now)
    }
}

type Buckets = Vec<(NaiveDateTime, String, MinuteStats)>;

fn buckets(series: &RevisionSeries) -> Buckets {
    series
        .buckets()
        .map(|(m, c, s)| (m, c.to_owned(), *s))
        .collect()
}

/// What the worker does at `now`: one poll, then the history still missing.
/// Returns whether the poll sent the workspace rows.
async fn poll_like_the_worker(
    store: &dyn Store,
    series: &mut RevisionSeries,
    workspaces: &mut Vec<Workspace>,
    now: NaiveDateTime,
) -> bool {
    let read = store.poll(series.next_since(now), now).await.expect("poll");
    let sent = read.workspaces.is_some();
    if let Some(list) = read.workspaces {
        *workspaces = list;
    }
    series.apply(read.series, now);
    while let Some((start, end)) = series.next_history(now) {
        let chunk = store
            .series_between(start, end, now)
            .await
            .expect("history");
        assert!(series.apply_history(chunk, end, now));
    }
    sent
}

/// Runs the app for 45 simulated minutes after 30 hours of sparse history,
/// comparing after every step. `fingerprint`: the store sends the
/// workspace rows only when they changed (Postgres).
async fn check_identity(
    store: &dyn Store,
    exec: &dyn Fn(String) -> futures_exec::Exec,
    fingerprint: bool,
) {
    let start = ts("2026-02-20 12:00:00");
    let mut app = App::new();
    exec(app.setup(start - Duration::hours(31))).await;
    // History: an evaluation every 20 minutes over 30 hours (several pieces).
    let mut t = start - Duration::hours(30);
    while t < start {
        let sql = app.evaluation(t, t);
        exec(sql).await;
        t += Duration::minutes(20);
    }
    app.recent_decisions.clear();

    let mut series = RevisionSeries::default();
    let mut workspaces = Vec::new();
    let mut compared_buckets = 0;
    let mut rows_sent = 0;
    for step in 0..135 {
        let now = start + Duration::seconds(20 * step);
        exec(app.step(now)).await;
        if step == 60 {
            exec(app.add_workspace(now)).await;
        }
        // The panel's clock runs a little after the app's writes.
        let seen = now + Duration::milliseconds(500);
        rows_sent +=
            usize::from(poll_like_the_worker(store, &mut series, &mut workspaces, seen).await);
        assert!(series.is_complete(seen));

        let scratch_chunk = store
            .revision_series(floor_minute(seen - RETAIN), seen)
            .await
            .expect("from scratch");
        let mut scratch = RevisionSeries::default();
        scratch.apply(scratch_chunk, seen);
        let (incremental, from_scratch) = (buckets(&series), buckets(&scratch));
        assert_eq!(
            incremental, from_scratch,
            "step {step} at {seen}: the polled series differs from a from-scratch read"
        );
        assert_eq!(
            workspaces,
            store.workspaces().await.expect("workspaces"),
            "step {step} at {seen}: the polled workspaces differ"
        );
        compared_buckets = from_scratch.len();
    }
    // The run had something to compare: every kind of count occurred.
    let totals: MinuteStats = buckets(&series).iter().map(|(_, _, s)| s).sum();
    assert!(compared_buckets > 50, "{compared_buckets} buckets");
    assert!(
        totals.evaluated > 100 && totals.needs_review > 10,
        "{totals:?}"
    );
    assert!(totals.attempted > 30 && totals.applied > 5, "{totals:?}");
    assert!(totals.stuck > 0 && totals.ai_errors > 0, "{totals:?}");
    assert!(totals.uplift_n > 0, "{totals:?}");
    assert_eq!(workspaces.len(), 4);
    if fingerprint {
        // The first poll, each toggle flip and the new workspace sent rows;
        // the rest did not (nothing changed).
        assert!(
            (5..60).contains(&rows_sent),
            "{rows_sent} of 135 polls sent the rows"
        );
    } else {
        assert_eq!(rows_sent, 135);
    }
}

/// Boxed futures for the SQL runner (one per database).
mod futures_exec {
    pub type Exec = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
}

/// Runs the app's writes on a pool.
fn runner<DB: sqlx::Database>(pool: sqlx::Pool<DB>) -> impl Fn(String) -> futures_exec::Exec
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
{
    move |sql: String| -> futures_exec::Exec {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .expect("app write");
        })
    }
}

#[tokio::test]
async fn postgres_polls_give_the_series_a_from_scratch_read_gives() {
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2]).await;
    let pool = db.pool().await;
    let store = PgStore::connect(&db.url).await.expect("store");
    check_identity(&store, &runner(pool), true).await;
}

#[tokio::test]
async fn sqlite_polls_give_the_series_a_from_scratch_read_gives() {
    let dir = common::temp_dir();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("prod-shaped.sqlite"))
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options)
        .await
        .expect("sqlite");
    rollout_panel::demo::apply_schema(&pool)
        .await
        .expect("schema");
    let store = SqliteStore::from_pool(pool.clone()).await.expect("store");
    check_identity(&store, &runner(pool), false).await;
}

/// A 72-hour read that fails (here: a table it reads is locked past the
/// lock timeout) fails the refresh, but the live poll's numbers it read at
/// the same time are kept: a slow scan does not freeze the live view.
#[tokio::test]
async fn a_failing_72_hour_read_does_not_stop_the_live_poll() {
    use rollout_panel::worker::{Snapshot, read_db_once};
    let db = TestDb::create().await;
    db.apply(&[
        PG_V0,
        PG_V1,
        PG_V2,
        common::DATA_BASE,
        common::DATA_REVISIONS,
    ])
    .await;
    let store = PgStore::connect(&db.url).await.expect("store");
    // Someone holds the artifacts table (the revision path reads it).
    let pool = db.pool().await;
    let mut locker = pool.begin().await.expect("transaction");
    sqlx::raw_sql(r#"LOCK TABLE "DraftPipelineArtifact" IN ACCESS EXCLUSIVE MODE"#)
        .execute(&mut *locker)
        .await
        .expect("lock");
    let now = ts("2026-02-22 12:00:00");
    let mut snapshot = Snapshot::for_profile("production");
    let err = read_db_once(
        &store,
        std::time::Duration::from_secs(20),
        now,
        &mut snapshot,
    )
    .await
    .expect_err("the revision path cannot be read while the table is locked");
    assert!(err.to_string().contains("loop_error"), "{err}");
    // The poll's part is there: every workspace and the newest hour.
    assert_eq!(snapshot.workspaces.len(), 3);
    assert!(snapshot.series.from().is_some());
    assert!(
        snapshot.counts_72h_at.is_none(),
        "the 72-hour reads are not"
    );
    locker.rollback().await.expect("unlock");
    read_db_once(
        &store,
        std::time::Duration::from_secs(20),
        now,
        &mut snapshot,
    )
    .await
    .expect("once the lock is gone");
    assert_eq!(snapshot.counts_72h_at, Some(now));
}
