//! Who guards the canary (issue 29): one Postgres advisory lock per
//! production database decides which panel's guard acts, and every panel
//! writes a heartbeat to the shared schema (`rollout_panel.guard_heartbeat`,
//! migration `audit-pg/0004`). The lock is a session lock on a connection of
//! its own: when the process dies, the server ends the session and the lock
//! moves to the next panel that asks. Every call here is bounded by the
//! caller's deadline.

use super::AuditError;
use super::shared::{SharedAudit, pg_error};
use crate::core::guard::Beat;
use crate::core::trust::parse_time;
use sqlx::Connection;

/// The guard's advisory lock key ("rollguar"): one guard acts per database,
/// which carries one canary of this feature.
pub const GUARD_LOCK_KEY: i64 = 0x726f_6c6c_6775_6172;

/// The guard's lock, held by this connection's session.
pub struct GuardLock {
    conn: sqlx::PgConnection,
    /// The backend holding it.
    pub pid: i32,
}

impl GuardLock {
    /// Whether the session holding the lock still answers (when it does
    /// not, the server ends it sooner or later and the lock moves).
    pub async fn alive(&mut self) -> bool {
        sqlx::query("SELECT 1")
            .execute(&mut self.conn)
            .await
            .is_ok()
    }
}

impl std::fmt::Debug for GuardLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardLock").field("pid", &self.pid).finish()
    }
}

/// This panel, as its heartbeat names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panel {
    /// Unique per run: host, process id and a random part.
    pub id: String,
    /// The host.
    pub host: String,
    /// The operator.
    pub operator: String,
}

impl Panel {
    /// This process on this host.
    pub fn this(operator: &str) -> Self {
        let host = super::host().unwrap_or_else(|| "unknown-host".to_owned());
        let run = uuid::Uuid::new_v4().simple().to_string();
        Self {
            id: format!("{host}/{}/{}", std::process::id(), &run[..8]),
            host,
            operator: operator.to_owned(),
        }
    }
}

/// What the shared schema says of the guard.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GuardWatch {
    /// The backend holding the lock (pg_locks), if any.
    pub holder_pid: Option<i32>,
    /// The heartbeats of the last day, newest first (at most 50).
    pub beats: Vec<Beat>,
}

#[derive(sqlx::FromRow)]
struct BeatRow {
    panel: String,
    host: String,
    operator: String,
    backend_pid: Option<i32>,
    beat_at: Option<String>,
    age_ms: Option<i64>,
}

/// The lock held, read from pg_locks (a bigint key is split over classid
/// and objid, objsubid 1).
const HOLDER: &str = "SELECT pid FROM pg_locks \
    WHERE locktype = 'advisory' AND granted AND objsubid = 1 \
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
      AND ((classid::bigint << 32) | objid::bigint) = $1 \
    LIMIT 1";

impl SharedAudit {
    /// Takes the guard's lock if nobody holds it, on a connection of its
    /// own (`None` = another session holds it).
    pub async fn try_guard_lock(&self) -> Result<Option<GuardLock>, AuditError> {
        let mut conn = self.pool.acquire().await.map_err(pg_error)?.detach();
        let (got, pid): (bool, i32) =
            sqlx::query_as("SELECT pg_try_advisory_lock($1), pg_backend_pid()")
                .bind(GUARD_LOCK_KEY)
                .fetch_one(&mut conn)
                .await
                .map_err(pg_error)?;
        if got {
            Ok(Some(GuardLock { conn, pid }))
        } else {
            // Closing it politely; a failure here leaves nothing held.
            let _ = conn.close().await;
            Ok(None)
        }
    }

    /// Ends a session of this panel's that still holds the guard's lock
    /// after this panel lost touch with it (a dropped route leaves the
    /// server's side open, holding the lock, until TCP notices — hours).
    /// Only ever called with a backend pid this panel itself held the lock
    /// on; the database allows it for sessions of the same role.
    pub async fn end_orphan(&self, pid: i32) -> Result<bool, AuditError> {
        let (ended,): (bool,) = sqlx::query_as(
            "SELECT COALESCE((SELECT pg_terminate_backend(l.pid) FROM pg_locks l \
               WHERE l.pid = $1 AND l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
                 AND ((l.classid::bigint << 32) | l.objid::bigint) = $2 LIMIT 1), false)",
        )
        .bind(pid)
        .bind(GUARD_LOCK_KEY)
        .fetch_one(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(ended)
    }

    /// Who holds the lock and every panel's heartbeat.
    pub async fn guard_watch(&self) -> Result<GuardWatch, AuditError> {
        let mut conn = self.pool.acquire().await.map_err(pg_error)?;
        let holder: Option<(i32,)> = sqlx::query_as(HOLDER)
            .bind(GUARD_LOCK_KEY)
            .fetch_optional(&mut *conn)
            .await
            .map_err(pg_error)?;
        let rows: Vec<BeatRow> = sqlx::query_as(
            "SELECT left(panel, 200) AS panel, left(host, 200) AS host, \
                    left(operator, 257) AS operator, backend_pid, beat_at::text AS beat_at, \
                    (extract(epoch FROM (clock_timestamp() AT TIME ZONE 'UTC') - beat_at) * 1000)::bigint AS age_ms \
             FROM rollout_panel.guard_heartbeat \
             WHERE beat_at > (clock_timestamp() AT TIME ZONE 'UTC') - interval '1 day' \
             ORDER BY beat_at DESC LIMIT 50",
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(beat_error)?;
        Ok(GuardWatch {
            holder_pid: holder.map(|h| h.0),
            beats: rows
                .into_iter()
                .filter_map(|r| {
                    Some(Beat {
                        at: parse_time(r.beat_at.as_deref()?).ok()?,
                        age: chrono::Duration::milliseconds(r.age_ms?.max(0)),
                        panel: crate::core::text::printable(&r.panel).into_owned(),
                        host: crate::core::text::printable(&r.host).into_owned(),
                        operator: crate::core::text::printable(&r.operator).into_owned(),
                        backend_pid: r.backend_pid,
                    })
                })
                .collect(),
        })
    }

    /// Writes this panel's heartbeat (heartbeats older than a day are
    /// deleted on the way, so the table stays small whatever happened): through the lock's own connection
    /// when it holds the lock (which also proves that session alive), else
    /// through the pool.
    pub async fn beat(
        &self,
        lock: Option<&mut GuardLock>,
        panel: &Panel,
        armed: bool,
    ) -> Result<(), AuditError> {
        const UPSERT: &str = "WITH gone AS (DELETE FROM rollout_panel.guard_heartbeat \
                           WHERE beat_at < (clock_timestamp() AT TIME ZONE 'UTC') - interval '1 day' AND panel <> $1) \
             INSERT INTO rollout_panel.guard_heartbeat (panel, host, operator, backend_pid, armed) \
             VALUES ($1, $2, $3, CASE WHEN $4 THEN pg_backend_pid() END, $5) \
             ON CONFLICT (panel) DO UPDATE SET host = EXCLUDED.host, operator = EXCLUDED.operator, \
                 backend_pid = EXCLUDED.backend_pid, armed = EXCLUDED.armed";
        let holds = lock.is_some();
        let q = sqlx::query(UPSERT)
            .bind(&panel.id)
            .bind(&panel.host)
            .bind(&panel.operator)
            .bind(holds)
            .bind(armed);
        match lock {
            Some(lock) => q.execute(&mut lock.conn).await.map_err(beat_error)?,
            None => q.execute(&self.pool).await.map_err(beat_error)?,
        };
        Ok(())
    }
}

/// A heartbeat table that is missing says what to run.
fn beat_error(e: sqlx::Error) -> AuditError {
    let text = e.to_string();
    if text.contains("guard_heartbeat") && text.contains("does not exist") {
        AuditError::Shared(
            "the shared schema has no heartbeat table (made by an older version): run `rollout-panel audit init --profile P` once".to_owned(),
        )
    } else {
        pg_error(text)
    }
}
