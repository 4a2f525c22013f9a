//! Live shared state between panels (issue 18): the shared table announces
//! every new row on [`CHANNEL`] (a trigger, created by `audit init`), and a
//! panel's [`LiveFeed`] `LISTEN`s and reads the rows after the last id it
//! saw — so a notice missed while the connection was down is caught up by
//! the first read after it comes back, from the table. And the question a
//! lever asks before it starts: is another panel's lever on the same target
//! running?

use super::shared::{SHARED_COLUMNS, SharedRow, pg_error};
use super::{AuditEntry, AuditError, AuditLog, Origin, SharedAudit};
use crate::core::time::UtcNaive;
use sqlx::postgres::PgListener;
use std::time::Duration;

/// The channel the shared table's trigger notifies.
pub const CHANNEL: &str = "rollout_panel_audit";

/// How long an intent without a result counts as running: longer than any
/// lever's bounded run (its redeploy wait included); an older one was
/// interrupted, and is the Levers tab's "unfinished", not "running".
pub const RUNNING_FOR: chrono::Duration = chrono::Duration::minutes(20);

/// A panel's live view of the shared table.
pub struct LiveFeed {
    shared: SharedAudit,
    listener: PgListener,
    last_id: i64,
    last_read: Option<tokio::time::Instant>,
    reads: u64,
}

/// The most rows one read of the feed returns (the newest; older ones are
/// in the table for the Audit tab).
pub const FEED_ROWS: i64 = 1000;

/// The shortest time between two reads of the feed: a flood of notices
/// (any role can `NOTIFY` the channel) costs one read per this interval.
pub const FEED_EVERY: Duration = Duration::from_millis(250);

impl LiveFeed {
    /// Starts listening; rows from now on are what [`LiveFeed::next`] returns.
    pub async fn start(shared: &SharedAudit) -> Result<Self, AuditError> {
        let mut listener = PgListener::connect_with(&shared.pool)
            .await
            .map_err(pg_error)?;
        listener.listen(CHANNEL).await.map_err(pg_error)?;
        // Ids the table issued only: a row given a huge id by hand would
        // otherwise hide every later one.
        let (last_id,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(max(id), 0) FROM rollout_panel.audit_entry
             WHERE id <= (SELECT last_value FROM rollout_panel.audit_entry_id_seq)",
        )
        .fetch_one(&shared.pool)
        .await
        .map_err(pg_error)?;
        Ok(Self {
            shared: shared.clone(),
            listener,
            last_id,
            last_read: None,
            reads: 0,
        })
    }

    /// Waits up to `wait` for new rows (written by any panel, this one
    /// included) and returns them, oldest first; empty when nothing came.
    /// A lost connection is re-established (by the listener) and the rows
    /// written meanwhile are read from the table.
    pub async fn next(&mut self, wait: Duration) -> Result<Vec<AuditEntry>, AuditError> {
        match tokio::time::timeout(wait, self.listener.try_recv()).await {
            // Nothing within the wait: nothing new.
            Err(_) => return Ok(Vec::new()),
            // A notice, or the connection was lost (None: reconnected on the
            // next call): either way, read what is new.
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(pg_error(e)),
        }
        // A flood of notices is one read: what is buffered is dropped (the
        // read below sees every row), and reads are at least FEED_EVERY apart.
        while self.listener.next_buffered().is_some() {}
        if let Some(last) = self.last_read {
            tokio::time::sleep_until(last + FEED_EVERY).await;
            while self.listener.next_buffered().is_some() {}
        }
        self.catch_up().await
    }

    /// The rows after the last one seen, oldest first.
    /// How many times the table was read (a flood of notices is a few).
    pub fn reads(&self) -> u64 {
        self.reads
    }

    /// The rows after the last one seen, oldest first: the newest
    /// [`FEED_ROWS`] of them when more came, judged (see
    /// [`crate::core::trust`]); ids the table did not issue are skipped.
    pub async fn catch_up(&mut self) -> Result<Vec<AuditEntry>, AuditError> {
        self.last_read = Some(tokio::time::Instant::now());
        self.reads += 1;
        let mut rows: Vec<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry
             WHERE id > $1 AND id <= (SELECT last_value FROM rollout_panel.audit_entry_id_seq)
             ORDER BY id DESC LIMIT $2"
        )))
        .bind(self.last_id)
        .bind(FEED_ROWS)
        .fetch_all(&self.shared.pool)
        .await
        .map_err(pg_error)?;
        rows.reverse();
        if let Some(last) = rows.last() {
            self.last_id = last.id;
        }
        self.shared.judged(rows).await
    }
}

impl SharedAudit {
    /// The newest lever still running (an intent without a result, started
    /// after `now - RUNNING_FOR`) on the same target — the same lever, or a
    /// plan that mentions `needle` (a workspace id) — whose intent is not
    /// one of `mine` (this machine's own entry ids).
    pub async fn running_on(
        &self,
        lever: &str,
        needle: Option<&str>,
        mine: &[String],
        now: UtcNaive,
    ) -> Result<Option<AuditEntry>, AuditError> {
        // Candidates by the server's clock of insert (a row's own time is
        // its writer's claim), then judged: only a verified intent runs,
        // and only a verified result by the same writer ends it.
        let rows: Vec<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry
             WHERE id <= (SELECT last_value FROM rollout_panel.audit_entry_id_seq)
               AND action_id IN (
                 SELECT i.action_id FROM rollout_panel.audit_entry i
                 WHERE i.kind = 'intent' AND i.lever = ANY($4)
                   AND i.recorded_at >= (statement_timestamp() AT TIME ZONE 'UTC') - $1::interval
                   AND (i.lever = $2 OR ($3 <> '' AND strpos(i.detail, $3) > 0))
                 ORDER BY i.id DESC LIMIT 200)
               AND kind IN ('intent', 'result')
             ORDER BY id"
        )))
        .bind(format!("{} seconds", RUNNING_FOR.num_seconds()))
        .bind(lever)
        .bind(needle.unwrap_or(""))
        .bind(lever_names())
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        let judged = self.judged(rows).await?;
        Ok(running_elsewhere(&judged, now)
            .into_iter()
            .filter(|e| !mine.contains(&e.entry_id))
            .filter(|e| {
                e.lever == lever
                    || needle.is_some_and(|n| !n.is_empty() && e.detail.to_string().contains(n))
            })
            .max_by_key(|e| e.id))
    }
}

/// Whether an audit action is a lever (what can be "running"): not an
/// approval, a request or an export, which are written whole at once.
pub fn is_lever(name: &str) -> bool {
    crate::core::lever::LeverKind::parse(name).is_some()
}

fn lever_names() -> Vec<&'static str> {
    crate::core::lever::LeverKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect()
}

/// The levers other panels are running now, newest first: rows read from
/// the shared table (not this machine's) whose intent has no result yet and
/// started within [`RUNNING_FOR`].
pub fn running_elsewhere(rows: &[AuditEntry], now: UtcNaive) -> Vec<AuditEntry> {
    use super::EntryKind;
    // Only entries that count: an unsigned "running" row stops nobody, an
    // unsigned result ends nobody's lever. A result ends the intent of the
    // same writer only.
    let finished: std::collections::HashSet<(&str, Option<&str>)> = rows
        .iter()
        .filter(|e| e.kind == EntryKind::Result && e.counts())
        .map(|e| (e.action_id.as_str(), e.signer.as_deref()))
        .collect();
    rows.iter()
        .filter(|e| {
            e.origin == Origin::Shared
                && e.counts()
                && e.kind == EntryKind::Intent
                && is_lever(&e.lever)
                && e.within(RUNNING_FOR, now)
                && !finished.contains(&(e.action_id.as_str(), e.signer.as_deref()))
        })
        .cloned()
        .collect()
}

impl AuditLog {
    /// The shared table this log also writes to, if any.
    pub fn shared(&self) -> Option<&SharedAudit> {
        self.shared.as_ref()
    }

    /// Another panel's lever running on the same target (see
    /// [`SharedAudit::running_on`]); none without a shared table. This
    /// machine's own intents never count (its interrupted actions are the
    /// Levers tab's "unfinished").
    pub async fn running_elsewhere(
        &self,
        lever: &str,
        needle: Option<&str>,
        now: UtcNaive,
    ) -> Result<Option<AuditEntry>, AuditError> {
        let Some(shared) = &self.shared else {
            return Ok(None);
        };
        let mine: Vec<(String,)> =
            sqlx::query_as("SELECT entry_id FROM audit_entry WHERE kind = 'intent' AND at >= ?")
                .bind(now - RUNNING_FOR)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| AuditError::Query(e.to_string()))?;
        let mine: Vec<String> = mine.into_iter().map(|(id,)| id).collect();
        shared.running_on(lever, needle, &mine, now).await
    }
}
