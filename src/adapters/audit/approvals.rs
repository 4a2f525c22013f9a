//! Approvals in the shared audit table: a request and an approval are each
//! an action of their own (an intent and its result, written together,
//! signed), so every panel on the database sees them and none counts as
//! running. Only verified rows are read as requests and approvals.

use super::shared::{SHARED_COLUMNS, SharedRow, pg_error};
use super::{AuditError, AuditLog, EntryKind, EntryStatus, Intent};
use crate::core::approval::{
    APPROVAL_LEVER, Approved, POLICY_LEVER, PolicyEvent, REQUEST_LEVER, Requested, plan_digest,
};
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
    pub(super) async fn record(
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
                    detail: serde_json::json!({"plan": plan, "plan_digest": plan_digest(plan)}),
                },
                "asked; waiting for a second operator",
            )
            .await?;
        self.read_back(&id, now).await?;
        Ok(id)
    }

    /// Approves `request` (never one's own: refused), signing the digest of
    /// its exact plan; verified by reading it back from the shared table.
    pub async fn approve(
        &self,
        now: UtcNaive,
        profile: &str,
        request: &Requested,
        reason: &str,
    ) -> Result<String, AuditError> {
        self.needs_shared()?;
        if request.digest != plan_digest(&request.plan) {
            return Err(AuditError::Query(
                "the request's plan does not match the digest it names; it cannot be approved"
                    .to_owned(),
            ));
        }
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
                    detail: serde_json::json!({
                        "request": request.action_id,
                        "plan_digest": request.digest,
                    }),
                },
                "approved",
            )
            .await?;
        self.read_back(&id, now).await?;
        Ok(id)
    }

    /// Writes a change of the team's approvals policy (signed, read back):
    /// on (`seconds` = `None`), a proposal to turn it off, or a second
    /// operator's co-sign of that proposal. Returns its action id.
    pub async fn set_policy(
        &self,
        now: UtcNaive,
        profile: &str,
        approvals: bool,
        seconds: Option<&str>,
        reason: &str,
    ) -> Result<String, AuditError> {
        self.needs_shared()?;
        if let Some(proposal) = seconds {
            let events = self.policy_events().await?;
            let found = events
                .iter()
                .find(|e| e.action_id == proposal && !e.approvals && e.seconds.is_none())
                .ok_or_else(|| {
                    AuditError::Query(format!(
                        "no verified proposal {proposal} to turn approvals off"
                    ))
                })?;
            if found.operator == self.operator {
                return Err(AuditError::Query(
                    "you proposed it: turning approvals off needs a second operator".to_owned(),
                ));
            }
        }
        let summary = match (approvals, seconds) {
            (true, _) => "team policy: approvals ON".to_owned(),
            (false, None) => {
                "team policy: proposes approvals OFF (needs a second operator)".to_owned()
            }
            (false, Some(p)) => format!(
                "team policy: approvals OFF (seconds {})",
                super::short_id(p)
            ),
        };
        let id = self
            .record(
                now,
                &Intent {
                    profile,
                    lever: POLICY_LEVER,
                    reason,
                    summary: &summary,
                    detail: serde_json::json!({"approvals": approvals, "seconds": seconds}),
                },
                "recorded",
            )
            .await?;
        if !self
            .policy_events()
            .await?
            .iter()
            .any(|e| e.action_id == id)
        {
            return Err(AuditError::Query(
                "the policy entry is not verified in the shared table (is your key in the team's roster?)".to_owned(),
            ));
        }
        Ok(id)
    }

    /// The verified entries of the team's approvals policy, oldest first.
    pub async fn policy_events(&self) -> Result<Vec<PolicyEvent>, AuditError> {
        let shared = self.shared.as_ref().ok_or_else(|| {
            AuditError::Query("no shared audit table: the team's policy cannot be read".to_owned())
        })?;
        let rows: Vec<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry
             WHERE kind = 'intent' AND lever = $1
               AND id <= (SELECT last_value FROM rollout_panel.audit_entry_id_seq)
             ORDER BY id DESC LIMIT 1000"
        )))
        .bind(POLICY_LEVER)
        .fetch_all(&shared.pool)
        .await
        .map_err(pg_error)?;
        let mut entries = shared.judged(rows).await?;
        entries.reverse();
        Ok(entries
            .into_iter()
            .filter(|e| e.counts())
            .filter_map(|e| {
                Some(PolicyEvent {
                    approvals: e.detail.get("approvals")?.as_bool()?,
                    seconds: e
                        .detail
                        .get("seconds")
                        .and_then(|s| s.as_str())
                        .map(str::to_owned),
                    action_id: e.action_id,
                    operator: e.operator,
                    at: e.at,
                })
            })
            .collect())
    }

    /// Whether approvals are required: the team's policy in the shared
    /// table when it has one (see [`crate::core::approval::team_policy`]),
    /// else the profile's `approvals`. When the policy cannot be read, the
    /// stricter of the two (a rollback never waits either way).
    pub async fn approvals_required(&self, profile_says: bool) -> bool {
        if self.shared.is_none() {
            return profile_says;
        }
        match self.policy_events().await {
            Ok(events) => crate::core::approval::team_policy(&events).unwrap_or(profile_says),
            Err(e) => {
                tracing::warn!(
                    "the team's approvals policy cannot be read ({e}); approvals stay required"
                );
                true
            }
        }
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
            return Ok(());
        }
        // In the table but not counted: say why (e.g. signed by a key the
        // roster gives another name).
        if let Some(shared) = &self.shared
            && let Ok(rows) = shared.list(50).await
            && let Some(e) = rows.iter().find(|e| e.action_id == id && !e.counts())
        {
            return Err(AuditError::Query(format!(
                "it is in the shared table but no panel counts it: {}",
                e.trust.label()
            )));
        }
        {
            Err(AuditError::Query(format!(
                "it is in this machine's log but not in the shared table{}; the other panels do not see it",
                self.shared_problem()
                    .map_or(String::new(), |p| format!(" ({p})"))
            )))
        }
    }

    /// The requests and approvals of the last [`APPROVALS_READ_BACK`] (by
    /// the database server's clock), from the shared table (every
    /// operator's, whatever their profile is called): the newest 1000
    /// intents of requests, approvals and levers, verified ones only. An
    /// approval that a verified lever intent names is used.
    pub async fn approvals(
        &self,
        _now: UtcNaive,
    ) -> Result<(Vec<Requested>, Vec<Approved>), AuditError> {
        let shared = self.shared.as_ref().ok_or_else(|| {
            AuditError::Query("no shared audit table: approvals cannot be read".to_owned())
        })?;
        let rows: Vec<SharedRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SHARED_COLUMNS} FROM rollout_panel.audit_entry
             WHERE kind = 'intent'
               AND recorded_at >= (statement_timestamp() AT TIME ZONE 'UTC') - $1::interval
               AND id <= (SELECT last_value FROM rollout_panel.audit_entry_id_seq)
             ORDER BY id DESC LIMIT 1000"
        )))
        .bind(format!("{} seconds", APPROVALS_READ_BACK.num_seconds()))
        .fetch_all(&shared.pool)
        .await
        .map_err(pg_error)?;
        let mut entries = shared.judged(rows).await?;
        entries.reverse();
        let entries: Vec<_> = entries
            .into_iter()
            .filter(|e| e.counts() && e.kind == EntryKind::Intent)
            .collect();
        let used: std::collections::HashSet<&str> = entries
            .iter()
            .filter(|e| super::live::is_lever(&e.lever))
            .filter_map(|e| e.detail.get("approval").and_then(|a| a.as_str()))
            .collect();
        let mut requests: Vec<Requested> = Vec::new();
        let mut approvals = Vec::new();
        for e in &entries {
            if e.lever == REQUEST_LEVER {
                let plan = e
                    .detail
                    .get("plan")
                    .and_then(|p| serde_json::from_value::<Plan>(p.clone()).ok());
                let digest = e.detail.get("plan_digest").and_then(|d| d.as_str());
                // A request counts only with the digest of its own plan.
                if let (Some(plan), Some(digest)) = (plan, digest)
                    && plan_digest(&plan) == digest
                {
                    requests.push(Requested {
                        action_id: e.action_id.clone(),
                        operator: e.operator.clone(),
                        at: e.at,
                        plan,
                        reason: e.reason.clone(),
                        digest: digest.to_owned(),
                    });
                }
            } else if e.lever == APPROVAL_LEVER
                && let (Some(request_id), Some(digest)) = (
                    e.detail.get("request").and_then(|r| r.as_str()),
                    e.detail.get("plan_digest").and_then(|d| d.as_str()),
                )
            {
                approvals.push(Approved {
                    action_id: e.action_id.clone(),
                    operator: e.operator.clone(),
                    at: e.at,
                    request_id: request_id.to_owned(),
                    digest: digest.to_owned(),
                    server_age: e.server_age(),
                    used: used.contains(e.action_id.as_str()),
                });
            }
        }
        // Two requests under one action id (one written by hand, or
        // re-aimed): neither is read.
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for r in &requests {
            *seen.entry(r.action_id.clone()).or_default() += 1;
        }
        requests.retain(|r| seen.get(&r.action_id) == Some(&1));
        Ok((requests, approvals))
    }
}
