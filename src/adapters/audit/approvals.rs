//! Approvals in the shared audit table: a request and an approval are each
//! an action of their own (an intent and its result, written together), so
//! every panel on the database sees them and none counts as running.

use super::{AuditError, AuditLog, COLUMNS, EntryStatus, Intent, Origin, Row, entry, pg_error};
use crate::core::approval::{APPROVAL_LEVER, Approved, REQUEST_LEVER, Requested};
use crate::core::lever::Plan;
use crate::core::time::UtcNaive;

/// How far back requests and approvals are read (an approval counts 15 min).
pub const APPROVALS_READ_BACK: chrono::Duration = chrono::Duration::hours(2);

impl AuditLog {
    /// Writes rows under another operator's name (a second operator's
    /// panel on the same machine, as in the two-panel tests).
    pub fn with_operator(mut self, operator: &str) -> Self {
        operator.clone_into(&mut self.operator);
        self
    }

    /// Who this log writes as (`user@host`).
    pub fn operator_name(&self) -> &str {
        &self.operator
    }

    /// An action that is done when it is written: its intent, then its
    /// result (`ok`). Returns its id.
    async fn record(
        &self,
        now: UtcNaive,
        intent: &Intent<'_>,
        result: &str,
    ) -> Result<String, AuditError> {
        let action_id = self.intent(now, intent).await?;
        self.result(
            &action_id,
            now,
            EntryStatus::Ok,
            result,
            &serde_json::json!({}),
        )
        .await?;
        Ok(action_id)
    }

    /// Asks every panel on this database for a second operator's approval
    /// of `plan`; verified by reading it back from the shared table.
    pub async fn request_approval(
        &self,
        now: UtcNaive,
        profile: &str,
        plan: &Plan,
        reason: &str,
    ) -> Result<String, AuditError> {
        self.needs_shared()?;
        let id = self
            .record(
                now,
                &Intent {
                    profile,
                    lever: REQUEST_LEVER,
                    reason,
                    summary: &format!("approval asked: {}", plan.title),
                    detail: serde_json::json!({"plan": plan}),
                },
                "asked; waiting for a second operator",
            )
            .await?;
        self.read_back(&id, now).await?;
        Ok(id)
    }

    /// Approves `request` (never one's own: refused); verified by reading
    /// it back from the shared table.
    pub async fn approve(
        &self,
        now: UtcNaive,
        profile: &str,
        request: &Requested,
        reason: &str,
    ) -> Result<String, AuditError> {
        self.needs_shared()?;
        if request.operator == self.operator {
            return Err(AuditError::Query(
                "you asked for this approval: a second operator must give it from their own panel"
                    .to_owned(),
            ));
        }
        let id = self
            .record(
                now,
                &Intent {
                    profile,
                    lever: APPROVAL_LEVER,
                    reason,
                    summary: &format!(
                        "approved: {} (asked by {})",
                        request.plan.title, request.operator
                    ),
                    detail: serde_json::json!({"request": request.action_id}),
                },
                "approved",
            )
            .await?;
        self.read_back(&id, now).await?;
        Ok(id)
    }

    fn needs_shared(&self) -> Result<(), AuditError> {
        match &self.shared {
            Some(_) => Ok(()),
            None => Err(AuditError::Query(
                "approvals need the shared audit table on the production database (`rollout-panel audit init`), so the other operator's panel sees them"
                    .to_owned(),
            )),
        }
    }

    async fn read_back(&self, id: &str, now: UtcNaive) -> Result<(), AuditError> {
        let (requests, approvals) = self.approvals(now).await?;
        if requests.iter().any(|r| r.action_id == id) || approvals.iter().any(|a| a.action_id == id)
        {
            Ok(())
        } else {
            Err(AuditError::Query(format!(
                "it is in this machine's log but not in the shared table{}; the other panels do not see it",
                self.shared_problem()
                    .map_or(String::new(), |p| format!(" ({p})"))
            )))
        }
    }

    /// The requests and approvals of the last [`APPROVALS_READ_BACK`], from
    /// the shared table (every operator's, whatever their profile is called).
    pub async fn approvals(
        &self,
        now: UtcNaive,
    ) -> Result<(Vec<Requested>, Vec<Approved>), AuditError> {
        let shared = self.shared.as_ref().ok_or_else(|| {
            AuditError::Query("no shared audit table: approvals cannot be read".to_owned())
        })?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rollout_panel.audit_entry
             WHERE kind = 'intent' AND lever IN ($1, $2) AND at >= $3
             ORDER BY at, id LIMIT 1000"
        )))
        .bind(REQUEST_LEVER)
        .bind(APPROVAL_LEVER)
        .bind(now - APPROVALS_READ_BACK)
        .fetch_all(&shared.pool)
        .await
        .map_err(pg_error)?;
        let mut requests = Vec::new();
        let mut approvals = Vec::new();
        for e in rows.into_iter().map(|r| entry(r, Origin::Shared)) {
            if e.lever == REQUEST_LEVER {
                if let Some(plan) = e
                    .detail
                    .get("plan")
                    .and_then(|p| serde_json::from_value::<Plan>(p.clone()).ok())
                {
                    requests.push(Requested {
                        action_id: e.action_id,
                        operator: e.operator,
                        at: e.at,
                        plan,
                        reason: e.reason,
                    });
                }
            } else if let Some(request_id) = e.detail.get("request").and_then(|r| r.as_str()) {
                approvals.push(Approved {
                    action_id: e.action_id,
                    operator: e.operator,
                    at: e.at,
                    request_id: request_id.to_owned(),
                });
            }
        }
        Ok((requests, approvals))
    }
}
