//! The rows the store's statements return, by column name (`FromRow`), so
//! a reordered SELECT cannot silently shift a value into the wrong field.
//! The column names are the SQL's (Prisma's quoted camelCase or the aliases
//! in `sql.rs`).

use chrono::NaiveDateTime;

/// A workspace with its settings row (`WORKSPACES`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct WorkspaceRow {
    pub id: String,
    pub name: String,
    pub has_row: bool,
    pub enabled: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

/// The admin page's counts of one workspace (`COUNTS`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CountsRow {
    #[sqlx(rename = "clientId")]
    pub client_id: String,
    pub attempted: i64,
    pub applied: i64,
}

/// One claim stamp, for the alarms (`CLAIMS`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ClaimRow {
    pub id: String,
    #[sqlx(rename = "clientId")]
    pub client_id: String,
    #[sqlx(rename = "leadId")]
    pub lead_id: String,
    pub revised: bool,
    #[sqlx(rename = "autoSendRevisionAttemptedAt")]
    pub stamp: NaiveDateTime,
    pub channel: String,
    pub iterations: Option<i64>,
    pub max_iterations: Option<i64>,
}

/// A sampled revised draft (`DRAFTS_BY_IDS`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DraftRow {
    pub id: String,
    #[sqlx(rename = "clientId")]
    pub client_id: String,
    // Text columns may be NULL on a drifted schema: an empty cell, not a
    // failed export.
    pub name: Option<String>,
    #[sqlx(rename = "leadId")]
    pub lead_id: Option<String>,
    pub channel: Option<String>,
    #[sqlx(rename = "createdAt")]
    pub created_at: NaiveDateTime,
    #[sqlx(rename = "autoSendRevisionAttemptedAt")]
    pub attempted_at: NaiveDateTime,
    #[sqlx(rename = "autoSendOriginalConfidence")]
    pub original_confidence: Option<f64>,
    #[sqlx(rename = "autoSendRevisionConfidence")]
    pub revised_confidence: Option<f64>,
    #[sqlx(rename = "autoSendThreshold")]
    pub threshold: Option<f64>,
    #[sqlx(rename = "autoSendAction")]
    pub action: Option<String>,
    pub status: Option<String>,
    pub iterations: Option<i64>,
    #[sqlx(rename = "autoSendRevisionSelectorUsed")]
    pub selector_used: Option<bool>,
    pub content: Option<String>,
}

impl From<DraftRow> for crate::core::export::DraftRow {
    fn from(r: DraftRow) -> Self {
        Self {
            draft_id: r.id,
            workspace_id: r.client_id,
            workspace_name: r.name.unwrap_or_default(),
            lead_id: r.lead_id.unwrap_or_default(),
            channel: r.channel.unwrap_or_default(),
            created_at: r.created_at,
            attempted_at: r.attempted_at,
            original_confidence: r.original_confidence,
            revised_confidence: r.revised_confidence,
            threshold: r.threshold,
            action: r.action,
            status: r.status.unwrap_or_default(),
            iterations: r.iterations,
            selector_used: r.selector_used,
            content: r.content.unwrap_or_default(),
        }
    }
}

impl From<ClaimRow> for crate::core::alarms::ClaimFact {
    fn from(r: ClaimRow) -> Self {
        Self {
            draft_id: r.id,
            client_id: r.client_id,
            lead_id: r.lead_id,
            revised: r.revised,
            stamp: r.stamp,
            channel: r.channel,
            iterations: r.iterations,
            max_iterations: r.max_iterations,
        }
    }
}
