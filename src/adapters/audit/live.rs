//! Live shared state between panels (issue 18): the shared table announces
//! every new row on [`CHANNEL`] (a trigger, created by `audit init`), and a
//! panel's [`LiveFeed`] `LISTEN`s and reads the rows after the last id it
//! saw — so a notice missed while the connection was down is caught up by
//! the first read after it comes back, from the table. And the question a
//! lever asks before it starts: is another panel's lever on the same target
//! running?

use super::{AuditEntry, AuditError, AuditLog, COLUMNS, Origin, Row, SharedAudit, entry, pg_error};
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
}

impl LiveFeed {
    /// Starts listening; rows from now on are what [`LiveFeed::next`] returns.
    pub async fn start(shared: &SharedAudit) -> Result<Self, AuditError> {
        let mut listener = PgListener::connect_with(&shared.pool)
            .await
            .map_err(pg_error)?;
        listener.listen(CHANNEL).await.map_err(pg_error)?;
        let (last_id,): (i64,) =
            sqlx::query_as("SELECT COALESCE(max(id), 0) FROM rollout_panel.audit_entry")
                .fetch_one(&shared.pool)
                .await
                .map_err(pg_error)?;
        Ok(Self {
            shared: shared.clone(),
            listener,
            last_id,
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
        self.catch_up().await
    }

    /// The rows after the last one seen, oldest first.
    pub async fn catch_up(&mut self) -> Result<Vec<AuditEntry>, AuditError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rollout_panel.audit_entry WHERE id > $1 ORDER BY id LIMIT 1000"
        )))
        .bind(self.last_id)
        .fetch_all(&self.shared.pool)
        .await
        .map_err(pg_error)?;
        // (the first column is the shared table's own id)
        if let Some(last) = rows.last() {
            self.last_id = last.0;
        }
        Ok(rows.into_iter().map(|r| entry(r, Origin::Shared)).collect())
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
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rollout_panel.audit_entry i
             WHERE i.kind = 'intent' AND i.at >= $1 AND i.lever = ANY($5)
               AND (i.lever = $2 OR ($3 <> '' AND strpos(i.detail, $3) > 0))
               AND NOT (i.entry_id = ANY($4))
               AND NOT EXISTS (SELECT 1 FROM rollout_panel.audit_entry r
                               WHERE r.action_id = i.action_id AND r.kind = 'result')
             ORDER BY i.at DESC, i.id DESC LIMIT 1"
        )))
        .bind(now - RUNNING_FOR)
        .bind(lever)
        .bind(needle.unwrap_or(""))
        .bind(mine)
        .bind(lever_names())
        .fetch_optional(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(row.map(|r| entry(r, Origin::Shared)))
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
    let finished: std::collections::HashSet<&str> = rows
        .iter()
        .filter(|e| e.kind == EntryKind::Result)
        .map(|e| e.action_id.as_str())
        .collect();
    rows.iter()
        .filter(|e| {
            e.origin == Origin::Shared
                && e.kind == EntryKind::Intent
                && is_lever(&e.lever)
                && e.at >= now - RUNNING_FOR
                && !finished.contains(e.action_id.as_str())
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
