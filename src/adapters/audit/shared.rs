//! The shared audit table in the production Postgres (schema
//! [`SHARED_SCHEMA`], created by `rollout-panel audit init`), read as
//! hostile input (issue 28): anyone holding the app's credentials can write
//! it. Every row is read through one projection that never fails to decode
//! (times as text, fields cut to a bound), then judged by
//! [`crate::core::trust`]: a row counts only when it is signed by a key of
//! the team's roster, in its writer's chain, unaltered, dated no later than
//! the database server's clock allows, with an id the table issued.

use super::{AuditEntry, AuditError, EntryKind, EntryStatus, Origin};
use crate::adapters::store::redact_urls;
use crate::core::trust::{
    self, Chain, Field, OperatorKey, Roster, Signed, Trust, Why, display_text, max_len,
};
use std::collections::HashMap;
use std::sync::Arc;

/// The shared table's own schema.
pub const SHARED_SCHEMA: &str = "rollout_panel";

/// How `audit init` left the shared table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedInit {
    /// Created now.
    Created,
    /// It was there already; a newer version's columns were added.
    Upgraded,
    /// It was there already (nothing changed).
    AlreadyThere,
}

pub(crate) fn pg_error(e: impl std::fmt::Display) -> AuditError {
    AuditError::Shared(redact_urls(&e.to_string()))
}

/// What a write to the shared table left.
#[derive(Debug, Default)]
pub(crate) struct Inserted {
    /// The writer's new chain head (seq, hash), when it signed a new row.
    pub head: Option<(i64, String)>,
    /// Entries of this writer found missing or altered in the table.
    pub gap: Option<String>,
}

/// The shared table, with the roster its rows are judged by.
#[derive(Clone, Debug)]
pub struct SharedAudit {
    pub(crate) pool: sqlx::PgPool,
    roster: Arc<Roster>,
    /// Which shared table this is (`rollout_panel.instance`).
    pub(crate) instance: String,
}

/// Every column of a shared row, bounded and as text where a value could
/// not be decoded otherwise: the one projection every read uses.
pub(crate) const SHARED_COLUMNS: &str = "id, \
    left(entry_id, 257) AS entry_id, left(action_id, 257) AS action_id, at::text AS at, \
    left(operator, 257) AS operator, left(profile, 257) AS profile, left(lever, 257) AS lever, \
    left(kind, 32) AS kind, left(status, 32) AS status, \
    left(reason, 8193) AS reason, left(summary, 8193) AS summary, left(detail, 524289) AS detail, \
    seq, left(prev_hash, 257) AS prev_hash, left(signer, 257) AS signer, \
    left(signature, 257) AS signature, recorded_at::text AS recorded_at, \
    (id <= (SELECT last_value FROM rollout_panel.audit_entry_id_seq)) AS issued, \
    (statement_timestamp() AT TIME ZONE 'UTC')::text AS server_now";

/// A shared row as read (nothing decoded yet that could fail): every
/// column of [`SHARED_COLUMNS`], as text where a value could be hostile.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
#[allow(
    missing_docs,
    reason = "the columns of the shared table, as named there"
)]
pub struct SharedRow {
    pub id: i64,
    pub entry_id: String,
    pub action_id: String,
    pub at: Option<String>,
    pub operator: String,
    pub profile: String,
    pub lever: String,
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub summary: String,
    pub detail: String,
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub signer: Option<String>,
    pub signature: Option<String>,
    pub recorded_at: Option<String>,
    pub issued: Option<bool>,
    pub server_now: Option<String>,
}

impl SharedRow {
    /// What its signature covers, when its time is a real one.
    fn signed(&self) -> Option<Signed<'_>> {
        let at = trust::parse_time(self.at.as_deref()?).ok()?;
        Some(Signed {
            entry_id: &self.entry_id,
            action_id: &self.action_id,
            at_ms: at.and_utc().timestamp_millis(),
            operator: &self.operator,
            profile: &self.profile,
            lever: &self.lever,
            kind: &self.kind,
            status: &self.status,
            reason: &self.reason,
            summary: &self.summary,
            detail: &self.detail,
            seq: self.seq.unwrap_or(0),
            prev: self.prev_hash.as_deref().unwrap_or(""),
            signer: self.signer.as_deref().unwrap_or(""),
        })
    }

    /// Its hash as its writer's next entry must carry it (recomputed from
    /// its content, so an altered row has another hash).
    fn hash(&self) -> Option<String> {
        Some(self.signed()?.hash(self.signature.as_deref()?))
    }

    fn chain(&self) -> Chain {
        Chain {
            seq: self.seq,
            prev: self.prev_hash.clone(),
            signer: self.signer.clone(),
            signature: self.signature.clone(),
        }
    }
}

fn parse_kind(s: &str) -> Option<EntryKind> {
    match s {
        "intent" => Some(EntryKind::Intent),
        "step" => Some(EntryKind::Step),
        "result" => Some(EntryKind::Result),
        _ => None,
    }
}

fn parse_status(s: &str) -> Option<EntryStatus> {
    match s {
        "pending" => Some(EntryStatus::Pending),
        "ok" => Some(EntryStatus::Ok),
        "failed" => Some(EntryStatus::Failed),
        "abandoned" => Some(EntryStatus::Abandoned),
        _ => None,
    }
}

/// Why a row does not count, checking in the order a reader would: its id,
/// its fields, its time, its signature, its chain.
fn judge(row: &SharedRow, roster: &Roster, previous: Option<&str>) -> Result<(), Why> {
    if row.issued == Some(false) {
        return Err(Why::ForgedId(row.id));
    }
    for (field, value) in [
        (Field::Id, &row.entry_id),
        (Field::Id, &row.action_id),
        (Field::Operator, &row.operator),
        (Field::Profile, &row.profile),
        (Field::Lever, &row.lever),
        (Field::Reason, &row.reason),
        (Field::Summary, &row.summary),
        (Field::Detail, &row.detail),
    ] {
        if value.len() > max_len(field) {
            return Err(Why::TooLong(field, value.len()));
        }
    }
    for (field, value) in [
        (Field::Key, &row.signer),
        (Field::Signature, &row.signature),
    ] {
        if let Some(v) = value
            && v.len() > max_len(field)
        {
            return Err(Why::TooLong(field, v.len()));
        }
    }
    if parse_kind(&row.kind).is_none() {
        return Err(Why::BadValue("kind", display_text(&row.kind, 32)));
    }
    if parse_status(&row.status).is_none() {
        return Err(Why::BadValue("status", display_text(&row.status, 32)));
    }
    let at = trust::parse_time(row.at.as_deref().unwrap_or(""))?;
    if let Some(now) = row
        .server_now
        .as_deref()
        .and_then(crate::core::time::parse_naive)
    {
        trust::check_not_future(at, now)?;
    }
    let Some(signed) = row.signed() else {
        return Err(Why::Unsigned);
    };
    trust::check_signature(&signed, &row.chain(), roster)?;
    trust::check_link(
        row.seq.unwrap_or(0),
        row.prev_hash.as_deref().unwrap_or(""),
        previous,
    )
}

/// A row as an entry: its trust judged, every text made one inert bounded
/// line, a time that is not a real one (or a future one) replaced by the
/// server's time of insert so it cannot sort above real history. A row
/// that does not count is logged with its id and why.
pub fn decode(row: SharedRow, roster: &Roster, previous: Option<&str>) -> AuditEntry {
    let trust = match judge(&row, roster, previous) {
        Ok(()) => Trust::Verified,
        Err(why) => {
            tracing::warn!("shared audit row {} does not count: {why}", row.id);
            Trust::Unverified(why)
        }
    };
    let recorded_at = row
        .recorded_at
        .as_deref()
        .and_then(|t| trust::parse_time(t).ok());
    let read_at = row
        .server_now
        .as_deref()
        .and_then(crate::core::time::parse_naive);
    let claimed = row
        .at
        .as_deref()
        .and_then(|t| trust::parse_time(t).ok())
        .filter(|at| read_at.is_none_or(|now| trust::check_not_future(*at, now).is_ok()));
    let at = claimed.or(recorded_at).unwrap_or_else(trust::earliest);
    let detail = serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null);
    AuditEntry {
        id: row.id,
        entry_id: display_text(&row.entry_id, max_len(Field::Id)),
        origin: Origin::Shared,
        action_id: display_text(&row.action_id, max_len(Field::Id)),
        at,
        operator: display_text(&row.operator, max_len(Field::Operator)),
        profile: display_text(&row.profile, max_len(Field::Profile)),
        lever: display_text(&row.lever, max_len(Field::Lever)),
        kind: parse_kind(&row.kind).unwrap_or(EntryKind::Step),
        status: parse_status(&row.status).unwrap_or(EntryStatus::Failed),
        reason: display_text(&row.reason, max_len(Field::Reason)),
        summary: display_text(&row.summary, max_len(Field::Summary)),
        detail,
        trust,
        signer: row
            .signer
            .clone()
            .filter(|s| s.len() <= max_len(Field::Key)),
        recorded_at,
        read_at,
    }
}

impl SharedAudit {
    /// Creates the schema and the table (idempotent): a sqlx migration whose
    /// bookkeeping table is `rollout_panel._sqlx_migrations`, not in `public`.
    /// A table made by an older version gets the newer columns.
    pub async fn init(pool: &sqlx::PgPool) -> Result<SharedInit, AuditError> {
        let existed = Self::exists(pool).await?;
        let current = existed && Self::current(pool).await?;
        let mut migrator = sqlx::migrate!("./migrations/audit-pg");
        migrator.create_schema(SHARED_SCHEMA);
        migrator.dangerous_set_table_name(format!("{SHARED_SCHEMA}._sqlx_migrations"));
        migrator
            .run(pool)
            .await
            .map_err(|e| AuditError::Query(redact_urls(&e.to_string())))?;
        Ok(match (existed, current) {
            (false, _) => SharedInit::Created,
            (true, false) => SharedInit::Upgraded,
            (true, true) => SharedInit::AlreadyThere,
        })
    }

    async fn exists(pool: &sqlx::PgPool) -> Result<bool, AuditError> {
        let (found,): (bool,) =
            sqlx::query_as("SELECT to_regclass('rollout_panel.audit_entry') IS NOT NULL")
                .fetch_one(pool)
                .await
                .map_err(|e| AuditError::Query(redact_urls(&e.to_string())))?;
        Ok(found)
    }

    /// Whether the table has this version's columns (signed entries).
    async fn current(pool: &sqlx::PgPool) -> Result<bool, AuditError> {
        let (found,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_schema = 'rollout_panel' AND table_name = 'audit_entry'
                              AND column_name = 'signature')",
        )
        .fetch_one(pool)
        .await
        .map_err(|e| AuditError::Query(redact_urls(&e.to_string())))?;
        Ok(found)
    }

    /// The shared table of this database, if `audit init` created it; its
    /// rows are judged by `roster`. A table of an older version is an error
    /// that says to run `audit init` again.
    pub async fn find(
        pool: &sqlx::PgPool,
        roster: Arc<Roster>,
    ) -> Result<Option<Self>, AuditError> {
        if !Self::exists(pool).await? {
            return Ok(None);
        }
        if !Self::current(pool).await? {
            return Err(AuditError::Shared(
                "the shared audit table was made by an older version (no signed entries): run `rollout-panel audit init --profile P` once to add the columns".to_owned(),
            ));
        }
        let (instance,): (String,) =
            sqlx::query_as("SELECT id FROM rollout_panel.instance LIMIT 1")
                .fetch_one(pool)
                .await
                .map_err(pg_error)?;
        Ok(Some(Self {
            pool: pool.clone(),
            roster,
            instance,
        }))
    }

    /// The roster this table's rows are judged by.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// Rows of a query of [`SHARED_COLUMNS`], decoded and judged (the
    /// writers' previous entries are read to check the chain links).
    pub(crate) async fn judged(&self, rows: Vec<SharedRow>) -> Result<Vec<AuditEntry>, AuditError> {
        let hashes = self.previous_hashes(&rows).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let previous = match (&r.signer, r.seq) {
                    (Some(s), Some(n)) => hashes.get(&(s.clone(), n - 1)).map(String::as_str),
                    _ => None,
                };
                let previous = previous.map(str::to_owned);
                decode(r, &self.roster, previous.as_deref())
            })
            .collect())
    }

    /// The hashes of the entries the given rows were written after, by
    /// (signer, seq), recomputed from their content.
    async fn previous_hashes(
        &self,
        rows: &[SharedRow],
    ) -> Result<HashMap<(String, i64), String>, AuditError> {
        let mut hashes: HashMap<(String, i64), String> = HashMap::new();
        let mut wanted_signers = Vec::new();
        let mut wanted_seqs = Vec::new();
        for r in rows {
            if let (Some(s), Some(n)) = (&r.signer, r.seq)
                && let Some(h) = r.hash()
            {
                hashes.insert((s.clone(), n), h);
            }
        }
        for r in rows {
            if let (Some(s), Some(n)) = (&r.signer, r.seq)
                && n > 1
                && !hashes.contains_key(&(s.clone(), n - 1))
            {
                wanted_signers.push(s.clone());
                wanted_seqs.push(n - 1);
            }
        }
        if !wanted_seqs.is_empty() {
            let found: Vec<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry
                 WHERE (signer, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))"
            )))
            .bind(&wanted_signers)
            .bind(&wanted_seqs)
            .fetch_all(&self.pool)
            .await
            .map_err(pg_error)?;
            for r in found {
                if let (Some(s), Some(n), Some(h)) = (&r.signer, r.seq, r.hash()) {
                    hashes.insert((s.clone(), n), h);
                }
            }
        }
        Ok(hashes)
    }

    /// Writes an entry, signed with `key` and chained to its writer's
    /// previous entry when a key is given (unsigned otherwise: it is in the
    /// table, but no other panel counts it). One writer's entries are
    /// serialised by an advisory lock, so a window and a CLI of the same
    /// operator never fork the chain.
    ///
    /// `local_head` is this machine's record of its last signed entry (seq,
    /// hash): when the table's newest entry of the key is older or
    /// different, entries were deleted or edited there; the new entry links
    /// to the local head anyway (so every panel sees the gap) and
    /// [`Inserted::gap`] says so.
    pub(crate) async fn insert(
        &self,
        e: &AuditEntry,
        detail: &str,
        key: Option<&OperatorKey>,
        local_head: Option<(i64, String)>,
    ) -> Result<Inserted, AuditError> {
        let mut tx = self.pool.begin().await.map_err(pg_error)?;
        let at = crate::core::time::to_millis(e.at);
        let mut gap = None;
        let (seq, prev, signer, signature) = match key {
            None => (None, None, None, None),
            Some(key) => {
                let signer = key.public().to_string();
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(format!("rollout_panel:{signer}"))
                    .execute(&mut *tx)
                    .await
                    .map_err(pg_error)?;
                let head: Option<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry
                     WHERE signer = $1 AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
                )))
                .bind(&signer)
                .fetch_optional(&mut *tx)
                .await
                .map_err(pg_error)?;
                let table_head = head.map(|h| (h.seq.unwrap_or(0), h.hash().unwrap_or_default()));
                let (head_seq, head_hash) = match (table_head, local_head) {
                    (Some((ts, th)), Some((ls, lh))) if ts < ls || (ts == ls && th != lh) => {
                        gap = Some(format!(
                            "this panel's shared entries are missing or altered in the shared table (its newest there is #{ts}, this machine signed up to #{ls}): deleted or edited by hand; the next entry links to #{ls}, so every panel sees the gap"
                        ));
                        (ls, lh)
                    }
                    (None, Some((ls, lh))) => {
                        gap = Some(format!(
                            "every shared entry this panel signed (up to #{ls}) is missing from the shared table: deleted by hand?"
                        ));
                        (ls, lh)
                    }
                    (Some(t), _) => t,
                    (None, None) => (0, String::new()),
                };
                let (seq, prev) = (head_seq + 1, head_hash);
                let kind = e.kind.as_str();
                let status = e.status.as_str();
                let signed = Signed {
                    entry_id: &e.entry_id,
                    action_id: &e.action_id,
                    at_ms: at.and_utc().timestamp_millis(),
                    operator: &e.operator,
                    profile: &e.profile,
                    lever: &e.lever,
                    kind,
                    status,
                    reason: &e.reason,
                    summary: &e.summary,
                    detail,
                    seq,
                    prev: &prev,
                    signer: &signer,
                };
                let signature = key.sign(&signed.message());
                (Some(seq), Some(prev), Some(signer), Some(signature))
            }
        };
        let new_head = match (seq, &signature) {
            (Some(n), Some(sig)) => Some((
                n,
                Signed {
                    entry_id: &e.entry_id,
                    action_id: &e.action_id,
                    at_ms: at.and_utc().timestamp_millis(),
                    operator: &e.operator,
                    profile: &e.profile,
                    lever: &e.lever,
                    kind: e.kind.as_str(),
                    status: e.status.as_str(),
                    reason: &e.reason,
                    summary: &e.summary,
                    detail,
                    seq: n,
                    prev: prev.as_deref().unwrap_or(""),
                    signer: signer.as_deref().unwrap_or(""),
                }
                .hash(sig),
            )),
            _ => None,
        };
        let written = sqlx::query(
            "INSERT INTO rollout_panel.audit_entry
               (entry_id, action_id, at, operator, profile, lever, kind, status, reason, summary, detail,
                seq, prev_hash, signer, signature)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (entry_id) DO NOTHING",
        )
        .bind(&e.entry_id)
        .bind(&e.action_id)
        .bind(at)
        .bind(&e.operator)
        .bind(&e.profile)
        .bind(&e.lever)
        .bind(e.kind.as_str())
        .bind(e.status.as_str())
        .bind(&e.reason)
        .bind(&e.summary)
        .bind(detail)
        .bind(seq)
        .bind(prev)
        .bind(&signer)
        .bind(&signature)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(Inserted {
            // Already there (a catch-up of a row the table has): no new head.
            head: new_head.filter(|_| written.rows_affected() == 1),
            gap,
        })
    }

    /// Which of `ids` the shared table has.
    pub(crate) async fn present(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashSet<String>, AuditError> {
        let found: Vec<(String,)> = sqlx::query_as(
            "SELECT entry_id FROM rollout_panel.audit_entry WHERE entry_id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(found.into_iter().map(|(id,)| id).collect())
    }

    /// The newest `limit` rows, newest first, by the table's own order of
    /// insert (its id), not by the time a row claims: a row dated in the
    /// future cannot push real history out.
    pub(crate) async fn list(&self, limit: u32) -> Result<Vec<AuditEntry>, AuditError> {
        let rows: Vec<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry
             WHERE id <= (SELECT last_value FROM rollout_panel.audit_entry_id_seq)
             ORDER BY id DESC LIMIT $1"
        )))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        self.judged(rows).await
    }

    /// Every row, oldest first, judged (for `audit verify`).
    pub async fn verify_all(&self) -> Result<Vec<AuditEntry>, AuditError> {
        let rows: Vec<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        self.judged(rows).await
    }

    /// The newest verified intent (other than `except`'s) whose plan
    /// mentions `needle`.
    pub(crate) async fn last_touching(
        &self,
        needle: &str,
        except: &str,
    ) -> Result<Option<AuditEntry>, AuditError> {
        let rows: Vec<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry
             WHERE kind = 'intent' AND action_id <> $1 AND strpos(detail, $2) > 0
               AND id <= (SELECT last_value FROM rollout_panel.audit_entry_id_seq)
             ORDER BY id DESC LIMIT 50"
        )))
        .bind(except)
        .bind(needle)
        .fetch_all(&self.pool)
        .await
        .map_err(pg_error)?;
        Ok(self
            .judged(rows)
            .await?
            .into_iter()
            .find(|e| e.trust.counts()))
    }
}
