//! The local audit log: SQLite in the data dir, created by sqlx migrations.
//! Every lever writes an *intent* (who, when, profile, lever, reason, plan,
//! before values) durably before its first change, a *step* row per step and
//! a *result* at the end, so an interrupted lever is found on the next start.
//! Nothing written here may hold a secret: every text is passed through
//! [`redact_urls`](crate::adapters::store::redact_urls) first.

pub mod approvals;
mod drill;
pub mod guard;
pub mod heartbeat;
pub mod identity;
pub mod live;
pub mod review;
mod shared;

pub use shared::{SHARED_SCHEMA, SharedAudit, SharedInit, SharedRow, decode as decode_shared};

use crate::adapters::store::redact_urls;
use crate::core::time::UtcNaive;
use crate::core::trust::{OperatorKey, Trust};
use serde::Serialize;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};

/// Why the audit log could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Opening or migrating the file failed.
    #[error("cannot open the audit log {path}: {detail}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
    /// A read or write failed.
    #[error("the audit log failed: {0}")]
    Query(String),
    /// The shared table in the production database failed (URLs redacted).
    #[error("{0}")]
    Shared(String),
}

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// Written before the first change.
    Intent,
    /// One step of the plan.
    Step,
    /// The end of the action.
    Result,
}

impl EntryKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Intent => "intent",
            Self::Step => "step",
            Self::Result => "result",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "intent" => Self::Intent,
            "step" => Self::Step,
            _ => Self::Result,
        }
    }
}

/// How an entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryStatus {
    /// Not finished (an intent before its result).
    Pending,
    /// Done and verified.
    Ok,
    /// Failed.
    Failed,
    /// Given up by an operator after an interruption.
    Abandoned,
}

impl EntryStatus {
    /// `Ok` when the thing succeeded, else `Failed`.
    pub fn of(ok: bool) -> Self {
        if ok { Self::Ok } else { Self::Failed }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Abandoned => "abandoned",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "ok" => Self::Ok,
            "abandoned" => Self::Abandoned,
            _ => Self::Failed,
        }
    }
}

/// Where an entry was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// This machine's log (written by this panel).
    #[default]
    Local,
    /// The shared table in the production database (another panel wrote it).
    Shared,
}

/// One row of the log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Row id (increasing within its origin).
    pub id: i64,
    /// The entry's own id, the same in the local log and the shared table.
    pub entry_id: String,
    /// Where it was read from.
    pub origin: Origin,
    /// The action it belongs to.
    pub action_id: String,
    /// When (UTC).
    pub at: UtcNaive,
    /// The OS user.
    pub operator: String,
    /// The profile.
    pub profile: String,
    /// The lever.
    pub lever: String,
    /// Intent, step or result.
    pub kind: EntryKind,
    /// How it stands.
    pub status: EntryStatus,
    /// Why (the operator's words).
    pub reason: String,
    /// One line for people.
    pub summary: String,
    /// JSON details (plan, before/after, errors).
    pub detail: serde_json::Value,
    /// Whether it counts: this machine's own, verified, or why not
    /// (`"trust": "local" | "verified" | "unverified"`, with `"why"`).
    #[serde(flatten)]
    pub trust: Trust,
    /// The writer's public key (a shared row's), if it is signed.
    pub signer: Option<String>,
    /// When the database server recorded it (a shared row's, its clock).
    pub recorded_at: Option<UtcNaive>,
    /// The database server's time when it was read (a shared row's).
    pub read_at: Option<UtcNaive>,
}

impl AuditEntry {
    /// Whether it may be taken as a fact: this machine's own entry, or a
    /// shared one verified (signed by the roster, in its chain, unaltered).
    pub fn counts(&self) -> bool {
        self.trust.counts()
    }

    /// How old it was by the database server's clock when it was read
    /// (`None` for this machine's own entries).
    pub fn server_age(&self) -> Option<chrono::Duration> {
        Some(self.read_at? - self.recorded_at?)
    }

    /// Whether it is younger than `within` by the panel's clock (`now`)
    /// and, for a shared row, also by the database server's: no single
    /// panel's clock decides whether an approval or a running lever is
    /// still current.
    pub fn within(&self, within: chrono::Duration, now: UtcNaive) -> bool {
        self.at <= now + crate::core::trust::MAX_SKEW
            && now - self.at < within
            && self.server_age().is_none_or(|age| age < within)
    }

    /// The changes of the plan an intent recorded (`detail.plan.changes`),
    /// when it recorded one.
    pub fn plan_changes(&self) -> Option<&[serde_json::Value]> {
        self.detail
            .pointer("/plan/changes")?
            .as_array()
            .map(Vec::as_slice)
    }
}

/// What an intent records.
#[derive(Clone, Debug)]
pub struct Intent<'a> {
    /// The profile.
    pub profile: &'a str,
    /// The lever.
    pub lever: &'a str,
    /// Why.
    pub reason: &'a str,
    /// One line for people.
    pub summary: &'a str,
    /// The plan and the values before.
    pub detail: serde_json::Value,
}

/// Who runs the panel, as other operators see it: `user@host`.
pub fn operator() -> String {
    match host() {
        Some(host) => format!("{}@{host}", user()),
        None => user(),
    }
}

/// This machine's name, if it has one.
pub(crate) fn host() -> Option<String> {
    #[cfg(unix)]
    let name = Some(
        rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned(),
    );
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").ok();
    name.map(|n| crate::core::text::printable(n.trim()).into_owned())
        .filter(|n| !n.is_empty())
}

/// The OS user running the panel.
fn user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(|| {
            // Without a login environment (a service, a container shell), the
            // home directory's name is the best hint.
            std::env::var("HOME").ok().and_then(|h| {
                std::path::Path::new(&h)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A new, unique action id.
pub fn new_action_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The first 8 characters of an action id, as messages show it.
pub fn short_id(action_id: &str) -> &str {
    action_id.get(..8).unwrap_or(action_id)
}

/// The audit log file, and the shared table when one is attached.
#[derive(Clone, Debug)]
pub struct AuditLog {
    pool: SqlitePool,
    operator: String,
    key: Option<OperatorKey>,
    /// The operator's Vercel identity, once known: recorded in each intent.
    vercel_user: std::sync::Arc<std::sync::Mutex<Option<serde_json::Value>>>,
    shared: Option<SharedAudit>,
    /// The last failure to write or read the shared table (the local log
    /// still has everything).
    shared_problem: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

/// One row to write.
struct NewRow<'a> {
    action_id: &'a str,
    at: UtcNaive,
    profile: &'a str,
    lever: &'a str,
    kind: EntryKind,
    status: EntryStatus,
    reason: &'a str,
    summary: &'a str,
    detail: &'a serde_json::Value,
}

type Row = (
    i64,
    Option<String>,
    String,
    UtcNaive,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// A row of either store (the same columns in both).
fn entry(r: Row, origin: Origin) -> AuditEntry {
    AuditEntry {
        id: r.0,
        entry_id: r.1.unwrap_or_else(|| format!("local-{}", r.0)),
        origin,
        action_id: r.2,
        at: r.3,
        operator: r.4,
        profile: r.5,
        lever: r.6,
        kind: EntryKind::parse(&r.7),
        status: EntryStatus::parse(&r.8),
        reason: r.9,
        summary: r.10,
        detail: serde_json::from_str(&r.11).unwrap_or(serde_json::Value::Null),
        trust: Trust::Local,
        signer: None,
        recorded_at: None,
        read_at: None,
    }
}

const COLUMNS: &str =
    "id, entry_id, action_id, at, operator, profile, lever, kind, status, reason, summary, detail";

impl AuditLog {
    /// The log's file in a data dir.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("audit.sqlite")
    }

    /// Opens (creating and migrating) the log. Writes are synchronous
    /// (`synchronous=FULL`): an intent is on disk before a lever changes anything.
    pub async fn open(path: &Path) -> Result<Self, AuditError> {
        let fail = |detail: String| AuditError::Open {
            path: path.to_path_buf(),
            detail,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            crate::platform::private::private_dir(dir).map_err(|e| fail(e.to_string()))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|e| fail(e.to_string()))?;
        // Other operators' reasons and the drafts' ids: private, the WAL and
        // its index too (SQLite gives them the database file's mode).
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = std::path::PathBuf::from(p);
            if p.exists() {
                crate::platform::private::set_mode(&p, crate::platform::private::FILE_MODE)
                    .map_err(|e| fail(format!("cannot make {} private: {e}", p.display())))?;
            }
        }
        sqlx::migrate!("./migrations/audit")
            .run(&pool)
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            pool,
            operator: operator(),
            key: None,
            vercel_user: std::sync::Arc::default(),
            shared: None,
            shared_problem: std::sync::Arc::default(),
        })
    }

    /// Also writes to (and reads from) the shared table in the production
    /// database.
    pub fn with_shared(mut self, shared: SharedAudit) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Records `user` (the operator's Vercel identity) in every intent from
    /// now on.
    pub fn set_vercel_user(&self, user: serde_json::Value) {
        if let Ok(mut u) = self.vercel_user.lock() {
            *u = Some(user);
        }
    }

    /// Whether a shared table is attached.
    pub fn has_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The last failure of the shared table, if any (the local log is complete).
    pub fn shared_problem(&self) -> Option<String> {
        self.shared_problem
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    fn note_shared(&self, result: Result<(), AuditError>) {
        if let Err(e) = &result {
            tracing::warn!("the shared audit table failed: {e}");
        }
        if let Ok(mut p) = self.shared_problem.lock() {
            *p = result.err().map(|e| e.to_string());
        }
    }

    async fn insert(&self, row: NewRow<'_>) -> Result<(), AuditError> {
        let entry_id = uuid::Uuid::new_v4().to_string();
        let reason = redact_urls(row.reason);
        let summary = redact_urls(row.summary);
        // An intent records who the operator is on Vercel, when known.
        let identity = self.vercel_user.lock().ok().and_then(|u| u.clone());
        let detail = match (row.kind, identity, row.detail) {
            (EntryKind::Intent, Some(user), serde_json::Value::Object(map)) => {
                let mut map = map.clone();
                map.insert("vercel_user".to_owned(), user);
                redact_urls(&serde_json::Value::Object(map).to_string())
            }
            _ => redact_urls(&row.detail.to_string()),
        };
        // The local log first: it is what makes an intent durable.
        sqlx::query(
            "INSERT INTO audit_entry (entry_id, action_id, at, operator, profile, lever, kind, status, reason, summary, detail)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&entry_id)
        .bind(row.action_id)
        .bind(crate::core::time::to_millis(row.at))
        .bind(&self.operator)
        .bind(row.profile)
        .bind(row.lever)
        .bind(row.kind.as_str())
        .bind(row.status.as_str())
        .bind(&reason)
        .bind(&summary)
        .bind(&detail)
        .execute(&self.pool)
        .await
        .map_err(|e| AuditError::Query(e.to_string()))?;
        if let Some(shared) = &self.shared {
            let entry = AuditEntry {
                id: 0,
                entry_id,
                origin: Origin::Shared,
                action_id: row.action_id.to_owned(),
                at: crate::core::time::to_millis(row.at),
                operator: self.operator.clone(),
                profile: row.profile.to_owned(),
                lever: row.lever.to_owned(),
                kind: row.kind,
                status: row.status,
                reason,
                summary,
                detail: serde_json::Value::Null,
                trust: Trust::Local,
                signer: None,
                recorded_at: None,
                read_at: None,
            };
            let result = self.write_shared(shared, &entry, &detail).await;
            self.note_shared(result);
        }
        Ok(())
    }

    /// Writes one entry to the shared table, chained to this machine's own
    /// record of its last signed entry, and keeps the new head; entries of
    /// this panel found missing there are reported as the shared problem.
    async fn write_shared(
        &self,
        shared: &SharedAudit,
        entry: &AuditEntry,
        detail: &str,
    ) -> Result<(), AuditError> {
        let signer = self.key.as_ref().map(|k| k.public().to_string());
        let head = match &signer {
            Some(s) => sqlx::query_as::<_, (i64, String)>(
                "SELECT seq, hash FROM chain_head WHERE instance = ? AND signer = ?",
            )
            .bind(&shared.instance)
            .bind(s)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| AuditError::Query(e.to_string()))?,
            None => None,
        };
        let inserted = shared
            .insert(entry, detail, self.key.as_ref(), head)
            .await?;
        if let (Some(s), Some((seq, hash))) = (&signer, &inserted.head) {
            sqlx::query(
                "INSERT INTO chain_head (instance, signer, seq, hash) VALUES (?, ?, ?, ?)
                 ON CONFLICT (instance, signer) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            )
            .bind(&shared.instance)
            .bind(s)
            .bind(seq)
            .bind(hash)
            .execute(&self.pool)
            .await
            .map_err(|e| AuditError::Query(e.to_string()))?;
        }
        match inserted.gap {
            Some(gap) => {
                tracing::warn!("{gap}");
                Err(AuditError::Shared(format!("written, but {gap}")))
            }
            None => Ok(()),
        }
    }

    /// This machine's newest `limit` rows of `profile`.
    pub async fn local(&self, profile: &str, limit: u32) -> Result<Vec<AuditEntry>, AuditError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_entry WHERE profile = ? ORDER BY id DESC LIMIT ?"
        )))
        .bind(profile)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| AuditError::Query(e.to_string()))?;
        Ok(rows.into_iter().map(|r| entry(r, Origin::Local)).collect())
    }

    /// Copies this machine's newest `limit` rows of `profile` that the shared
    /// table does not have yet (written while the database was down: a kill
    /// switch needs no database, so its rows were only local). Returns how many
    /// were copied; without a shared table, 0.
    pub async fn catch_up_shared(&self, profile: &str, limit: u32) -> Result<usize, AuditError> {
        let Some(shared) = &self.shared else {
            return Ok(0);
        };
        let mine = self.local(profile, limit).await?;
        let ids: Vec<String> = mine.iter().map(|e| e.entry_id.clone()).collect();
        let present = match shared.present(&ids).await {
            Ok(p) => p,
            Err(e) => {
                self.note_shared(Err(AuditError::Shared(e.to_string())));
                return Err(e);
            }
        };
        let mut copied = 0;
        // Oldest first, so the shared table's order follows what happened.
        for e in mine.iter().rev().filter(|e| !present.contains(&e.entry_id)) {
            let result = self.write_shared(shared, e, &e.detail.to_string()).await;
            let failed = result.is_err();
            self.note_shared(result);
            if failed {
                break;
            }
            copied += 1;
        }
        if copied > 0 {
            tracing::info!(
                "copied {copied} audit rows written while the database was away to the shared table"
            );
        }
        Ok(copied)
    }

    /// Records an intent before anything changes; returns the new action's id.
    pub async fn intent(&self, now: UtcNaive, intent: &Intent<'_>) -> Result<String, AuditError> {
        let action_id = new_action_id();
        self.intent_with_id(&action_id, now, intent).await?;
        Ok(action_id)
    }

    /// Records an intent under an id chosen by the caller (so the caller
    /// knows the action before it starts, e.g. to tell it from an
    /// interrupted one).
    pub async fn intent_with_id(
        &self,
        action_id: &str,
        now: UtcNaive,
        intent: &Intent<'_>,
    ) -> Result<(), AuditError> {
        self.insert(NewRow {
            action_id,
            at: now,
            profile: intent.profile,
            lever: intent.lever,
            kind: EntryKind::Intent,
            status: EntryStatus::Pending,
            reason: intent.reason,
            summary: intent.summary,
            detail: &intent.detail,
        })
        .await
    }

    async fn follow_up(
        &self,
        action_id: &str,
        now: UtcNaive,
        kind: EntryKind,
        status: EntryStatus,
        summary: &str,
        detail: &serde_json::Value,
    ) -> Result<(), AuditError> {
        let intent = self
            .action(action_id)
            .await?
            .into_iter()
            .find(|e| e.kind == EntryKind::Intent)
            .ok_or_else(|| AuditError::Query(format!("no intent with id {action_id}")))?;
        self.insert(NewRow {
            action_id,
            at: now,
            profile: &intent.profile,
            lever: &intent.lever,
            kind,
            status,
            reason: &intent.reason,
            summary,
            detail,
        })
        .await
    }

    /// Records one step of an action.
    pub async fn step(
        &self,
        action_id: &str,
        now: UtcNaive,
        status: EntryStatus,
        summary: &str,
        detail: &serde_json::Value,
    ) -> Result<(), AuditError> {
        self.follow_up(action_id, now, EntryKind::Step, status, summary, detail)
            .await
    }

    /// Ends an action.
    pub async fn result(
        &self,
        action_id: &str,
        now: UtcNaive,
        status: EntryStatus,
        summary: &str,
        detail: &serde_json::Value,
    ) -> Result<(), AuditError> {
        self.follow_up(action_id, now, EntryKind::Result, status, summary, detail)
            .await
    }

    /// Every row of one action, in order.
    pub async fn action(&self, action_id: &str) -> Result<Vec<AuditEntry>, AuditError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_entry WHERE action_id = ? ORDER BY id"
        )))
        .bind(action_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| AuditError::Query(e.to_string()))?;
        Ok(rows.into_iter().map(|r| entry(r, Origin::Local)).collect())
    }

    /// The newest rows of a profile, newest first. With a shared table, its
    /// rows are merged in (every operator's, whatever their profile is
    /// called: the table belongs to this production database); an entry in
    /// both is shown once.
    pub async fn list(&self, profile: &str, limit: u32) -> Result<Vec<AuditEntry>, AuditError> {
        let mut entries = self.local(profile, limit).await?;
        if let Some(shared) = &self.shared {
            let result = shared.list(limit).await;
            match result {
                Ok(theirs) => {
                    self.note_shared(Ok(()));
                    let mine: std::collections::HashSet<String> =
                        entries.iter().map(|e| e.entry_id.clone()).collect();
                    entries.extend(theirs.into_iter().filter(|e| !mine.contains(&e.entry_id)));
                    entries.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
                    entries.truncate(limit as usize);
                }
                Err(e) => self.note_shared(Err(e)),
            }
        }
        Ok(entries)
    }

    /// Intents of a profile that never got a result (the panel stopped mid-lever).
    pub async fn unfinished(&self, profile: &str) -> Result<Vec<AuditEntry>, AuditError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_entry i
             WHERE i.profile = ? AND i.kind = 'intent'
               AND NOT EXISTS (SELECT 1 FROM audit_entry r
                               WHERE r.action_id = i.action_id AND r.kind = 'result')
             ORDER BY i.id"
        )))
        .bind(profile)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| AuditError::Query(e.to_string()))?;
        Ok(rows.into_iter().map(|r| entry(r, Origin::Local)).collect())
    }

    /// Ends an unfinished action after an interruption: a result row with the
    /// given status (`abandoned` when the operator gives it up, `ok`/`failed`
    /// when another action finished it), the operator's note and what was
    /// true when they looked. Nothing is changed in production. Refuses an
    /// action that already has a result.
    pub async fn close_unfinished(
        &self,
        action_id: &str,
        now: UtcNaive,
        status: EntryStatus,
        note: &str,
        state_seen: &serde_json::Value,
    ) -> Result<(), AuditError> {
        let done = self
            .action(action_id)
            .await?
            .iter()
            .any(|e| e.kind == EntryKind::Result);
        if done {
            return Err(AuditError::Query(format!(
                "action {action_id} already has a result; nothing to abandon"
            )));
        }
        self.result(
            action_id,
            now,
            status,
            note,
            &serde_json::json!({"state_seen": state_seen}),
        )
        .await
    }

    /// The newest intent of a profile (other than `except`) whose plan
    /// mentions `needle` (a workspace id, an env key): who touched it last.
    pub async fn last_action_touching(
        &self,
        profile: &str,
        needle: &str,
        except: &str,
    ) -> Result<Option<AuditEntry>, AuditError> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_entry
             WHERE profile = ? AND kind = 'intent' AND action_id <> ? AND instr(detail, ?) > 0
             ORDER BY id DESC LIMIT 1"
        )))
        .bind(profile)
        .bind(except)
        .bind(needle)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| AuditError::Query(e.to_string()))?;
        let mine = row.map(|r| entry(r, Origin::Local));
        let theirs = match &self.shared {
            Some(shared) => shared
                .last_touching(needle, except)
                .await
                .unwrap_or_else(|e| {
                    self.note_shared(Err(e));
                    None
                }),
            None => None,
        };
        Ok(match (mine, theirs) {
            (Some(a), Some(b)) => Some(if b.at > a.at { b } else { a }),
            (a, b) => a.or(b),
        })
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
