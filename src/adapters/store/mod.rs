//! The production data layer: one trait, two real implementations.
//!
//! [`PgStore`] reads production (Postgres); [`SqliteStore`] reads the demo's
//! production-shaped SQLite file. Both speak the schema of contract/zrg.md with
//! the exact quoted Prisma names, and both read the catalogue at connect so a
//! missing column is reported as data ([`SchemaReport`]), never as a SQL error.

pub mod poll;
mod postgres;
pub(crate) mod rows;
pub mod sql;
mod sqlite;

pub use poll::PollRead;
pub use postgres::{POLL_SESSION, PgStore};
pub use sqlite::SqliteStore;

/// The sslmode a remote production database is connected with when its URL
/// names none: the server's certificate is checked.
pub const DEFAULT_SSLMODE: &str = "verify-full";

use crate::core::metrics::SeriesChunk;
use crate::core::schema::SchemaReport;
use crate::core::time::UtcNaive;
use crate::core::workspace::{RevisionCounts, RevisionToggle, Workspace};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// Why a store call failed. Messages never contain connection credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The connection string could not be used.
    #[error("the database URL is not usable: {0}")]
    BadUrl(String),
    /// Connecting failed.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// The schema lacks columns this read needs.
    #[error("the database schema lacks columns this needs: {}", .0.join(", "))]
    SchemaMissing(Vec<String>),
    /// A query failed.
    #[error("reading {what} failed: {message}")]
    Query {
        /// What was being read.
        what: &'static str,
        /// The driver's message, credentials removed.
        message: String,
    },
    /// The connection was lost while a write was under way: it may or may
    /// not have taken effect (the server can still apply it).
    #[error(
        "the connection was lost during {what} ({message}): whether it took effect is unknown; read it again before going on"
    )]
    OutcomeUnknown {
        /// The write.
        what: &'static str,
        /// The driver's message, credentials removed.
        message: String,
    },
}

impl StoreError {
    pub(crate) fn query(what: &'static str, e: sqlx::Error) -> Self {
        Self::Query {
            what,
            message: describe(&e),
        }
    }

    /// A failed write: a lost connection leaves its outcome unknown; any
    /// other error (a lock timeout, a constraint) means it was not applied.
    pub(crate) fn write(what: &'static str, e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => Self::OutcomeUnknown {
                what,
                message: describe(&e),
            },
            e => Self::query(what, e),
        }
    }
}

/// A database the panel reads revision data from.
#[async_trait]
pub trait Store: Send + Sync {
    /// The schema as read at connect.
    fn schema(&self) -> &SchemaReport;

    /// Re-reads the catalogue (e.g. after a `db push`).
    async fn refresh_schema(&mut self) -> Result<&SchemaReport, StoreError>;

    /// The server's version string.
    async fn server_version(&self) -> Result<String, StoreError>;

    /// Every workspace with its revision toggle.
    async fn workspaces(&self) -> Result<Vec<Workspace>, StoreError>;

    /// The admin page's attempted/applied counts per workspace, for claim
    /// stamps at or after `since` (contract §3.5: no status, channel or action filter).
    async fn revision_counts(
        &self,
        since: UtcNaive,
    ) -> Result<BTreeMap<String, RevisionCounts>, StoreError>;

    /// Ids of the drafts whose revision was applied, stamped in
    /// `[start, end)`, optionally of one workspace (`Client.id`).
    async fn revised_draft_ids(
        &self,
        start: UtcNaive,
        end: UtcNaive,
        workspace_id: Option<&str>,
    ) -> Result<Vec<String>, StoreError>;

    /// The export rows of these drafts, ordered by revision stamp then id.
    async fn drafts_by_ids(
        &self,
        ids: &[String],
    ) -> Result<Vec<crate::core::export::DraftRow>, StoreError>;

    /// The review's texts of these drafts (in this order): before the
    /// revision from the pipeline run, the reviser's text and account, the
    /// content now. A draft the store does not have is left out.
    async fn review_texts(
        &self,
        ids: &[String],
    ) -> Result<Vec<crate::core::review::ReviewText>, StoreError>;

    /// Every claim stamped at or after `since` (for the alarms): draft,
    /// workspace, stamp, channel, and on V2 the iteration of the last apply
    /// and the workspace's iteration bound.
    async fn claims_since(
        &self,
        since: UtcNaive,
    ) -> Result<Vec<crate::core::alarms::ClaimFact>, StoreError>;

    /// Per minute and workspace, for stamps at or after `since` (the whole
    /// tail from `since`, so late applies are picked up): claims by their
    /// stamp (attempted, applied, stuck, uplift), evaluations by
    /// `autoSendEvaluatedAt` (evaluated, needs_review) and the revision path's
    /// `AIInteraction` errors by `createdAt` (when the table exists). `now` (the panel's clock) decides which claims are stuck
    /// ([`STUCK_AFTER`](crate::core::metrics::STUCK_AFTER)).
    async fn revision_series(
        &self,
        since: UtcNaive,
        now: UtcNaive,
    ) -> Result<SeriesChunk, StoreError> {
        self.series_between(since, poll::NO_END, now).await
    }

    /// The same buckets for stamps in `[since, until)` (one statement): the
    /// first poll reads the 72 hours newest part first.
    async fn series_between(
        &self,
        since: UtcNaive,
        until: UtcNaive,
        now: UtcNaive,
    ) -> Result<SeriesChunk, StoreError>;

    /// One live poll, in one statement (one round trip): every workspace
    /// with its toggle ([`Store::workspaces`]; `None` when unchanged since
    /// the list this store's previous poll returned) and the series from
    /// `since` ([`Store::revision_series`]).
    async fn poll(&self, since: UtcNaive, now: UtcNaive) -> Result<PollRead, StoreError>;

    /// The revision loops' summaries recorded at or after `since` (none
    /// when `AIInteraction` cannot be read).
    async fn loop_summaries(
        &self,
        since: UtcNaive,
    ) -> Result<Vec<crate::core::alarms::LoopSummary>, StoreError>;

    /// The revision path's other rows since `since`: the reviser's calls
    /// (`auto_send.revise`) and the `loop_error` artifacts of the claims
    /// (each `None` when its table cannot be read).
    async fn revision_path(
        &self,
        since: UtcNaive,
    ) -> Result<crate::core::health::PathRows, StoreError>;

    /// The readiness counts: drafts applied without an attempt stamp (any
    /// time), drafts evaluated / recorded at or after `since` (the serving
    /// deployment's build time), attempts at or after `attempts_from`, and
    /// the ids of the failing ones. `enabled_workspaces` is left 0.
    async fn draft_facts(
        &self,
        since: UtcNaive,
        attempts_from: UtcNaive,
    ) -> Result<crate::core::readiness::DraftFacts, StoreError>;

    /// Sets a workspace's revision toggle only if it is still `expected` (the
    /// value the operator saw): an update of the existing row, or the insert
    /// of a missing one (upsert by `clientId`, as the app does), `updatedAt`
    /// set to `now`. The row is read back: `Written` only when it holds the
    /// new value with this write's `updatedAt`; otherwise `Conflict` with what
    /// is there now.
    async fn set_revision_toggle(
        &self,
        client_id: &str,
        expected: crate::core::workspace::RevisionToggle,
        enabled: bool,
        now: UtcNaive,
    ) -> Result<crate::core::workspace::ToggleWrite, StoreError>;

    /// Whether the connection is encrypted (`None` where the backend has no TLS).
    async fn tls_in_use(&self) -> Result<Option<bool>, StoreError>;

    /// Closes the connections (a later call opens none again).
    async fn close(&self) {}
}

/// Fails with [`StoreError::SchemaMissing`] unless the revision columns can be read.
pub(crate) fn require_revision_columns(report: &SchemaReport) -> Result<(), StoreError> {
    if report.revision_readable() {
        Ok(())
    } else {
        let mut cols = report.missing.clone();
        cols.extend(
            report
                .type_mismatches
                .iter()
                .map(|m| format!("{} (wrong type)", m.column)),
        );
        Err(StoreError::SchemaMissing(cols))
    }
}

/// Turns workspace rows into [`Workspace`]s.
pub(crate) fn workspace_from_row(
    id: String,
    name: String,
    has_row: bool,
    enabled: Option<bool>,
    updated_at: Option<UtcNaive>,
    column_present: bool,
) -> Workspace {
    let toggle = match (column_present, has_row, enabled) {
        (false, _, _) => RevisionToggle::ColumnMissing,
        (true, false, _) => RevisionToggle::NoSettingsRow,
        (true, true, Some(true)) => RevisionToggle::Enabled,
        (true, true, _) => RevisionToggle::Disabled,
    };
    Workspace {
        id,
        name,
        toggle,
        settings_updated_at: updated_at,
    }
}

/// Describes a driver error for people, with any credentials in it masked.
pub fn describe(e: &sqlx::Error) -> String {
    let text = match e {
        sqlx::Error::PoolTimedOut => {
            "no connection to the database within the timeout (is it running and reachable?)"
                .to_owned()
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // lock_timeout: someone else holds the row (or table) lock.
            Some("55P03") => format!(
                "the row is locked by another transaction; nothing was changed ({} (SQLSTATE 55P03))",
                db.message()
            ),
            // statement_timeout.
            Some("57014") => format!(
                "the database did not answer within the statement timeout ({} (SQLSTATE 57014))",
                db.message()
            ),
            Some(code) => format!("{} (SQLSTATE {code})", db.message()),
            None => db.message().to_owned(),
        },
        other => other.to_string(),
    };
    redact_urls(&text)
}

/// Masks credentials in a text: URL passwords, secret-named parameters
/// and JSON fields ([`crate::core::redact`]).
pub fn redact_urls(text: &str) -> String {
    crate::core::redact::redact(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact_urls("failed for postgres://zrg:s3cr3t@db.example:5432/app now"),
            "failed for postgres://zrg:•••@db.example:5432/app now"
        );
        assert_eq!(
            redact_urls("a postgresql://u:p@h/d and b postgres://h2/x"),
            "a postgresql://u:•••@h/d and b postgres://h2/x"
        );
        assert_eq!(redact_urls("no url here"), "no url here");
        assert_eq!(
            redact_urls("postgres://user@host/db"),
            "postgres://user@host/db"
        );
        assert_eq!(redact_urls("postgres://u:p:q@h"), "postgres://u:•••@h");
    }

    #[test]
    fn toggle_from_row_distinguishes_missing_row_and_column() {
        let w = |has_row, enabled, col| {
            workspace_from_row("c".into(), "n".into(), has_row, enabled, None, col).toggle
        };
        assert_eq!(w(true, Some(true), true), RevisionToggle::Enabled);
        assert_eq!(w(true, Some(false), true), RevisionToggle::Disabled);
        assert_eq!(w(false, None, true), RevisionToggle::NoSettingsRow);
        assert_eq!(w(true, None, false), RevisionToggle::ColumnMissing);
    }
}
