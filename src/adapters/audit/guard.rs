//! The guard's audited actions (issue 29): arming and disarming it, and a
//! dry run's "would have rolled back". Each is an action of its own (an
//! intent and its result, written together, signed where the shared table
//! is), in this machine's log and the shared table.

use super::{AuditEntry, AuditError, AuditLog, EntryKind, Intent};
use crate::core::guard::{Finding, GUARD_LEVER, GuardEvent};
use crate::core::time::UtcNaive;

/// The guard's arm and disarm actions among `entries` (verified or this
/// machine's own only), oldest first.
pub fn guard_events(entries: &[AuditEntry]) -> Vec<GuardEvent> {
    let mut out: Vec<GuardEvent> = entries
        .iter()
        .filter(|e| e.counts() && e.lever == GUARD_LEVER && e.kind == EntryKind::Intent)
        .filter_map(|e| {
            Some(GuardEvent {
                at: e.at,
                operator: e.operator.clone(),
                armed: e.detail.get("armed")?.as_bool()?,
                dry_run: e
                    .detail
                    .get("dry_run")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
                action_id: e.action_id.clone(),
            })
        })
        .collect();
    out.sort_by_key(|e| e.at);
    out
}

/// The guard's last rollback of the canary that no canary enable came
/// after (verified entries only), as (when, its reason).
pub fn last_guard_rollback(entries: &[AuditEntry]) -> Option<(UtcNaive, String)> {
    let counted = || {
        entries
            .iter()
            .filter(|e| e.counts() && e.kind == EntryKind::Intent)
    };
    let rollback = counted()
        .filter(|e| e.lever == "workspace-rollback" && e.reason.starts_with("guard (armed by "))
        .max_by_key(|e| e.at)?;
    let enabled_after = counted().any(|e| e.lever == "canary-enable" && e.at > rollback.at);
    (!enabled_after).then(|| (rollback.at, rollback.reason.clone()))
}

impl AuditLog {
    /// Arms (or disarms) the guard of `profile`'s canary; an audited action.
    pub async fn set_guard(
        &self,
        now: UtcNaive,
        profile: &str,
        armed: bool,
        dry_run: bool,
        reason: &str,
    ) -> Result<String, AuditError> {
        let summary = match (armed, dry_run) {
            (true, false) => "guard armed: it rolls the canary back itself when a rule holds",
            (true, true) => {
                "guard armed (dry run): it records what it would roll back, writes nothing"
            }
            (false, _) => "guard disarmed",
        };
        self.record(
            now,
            &Intent {
                profile,
                lever: GUARD_LEVER,
                reason,
                summary,
                detail: serde_json::json!({"armed": armed, "dry_run": armed && dry_run}),
            },
            if armed { "armed" } else { "disarmed" },
        )
        .await
    }

    /// A dry run's finding: what the guard would have rolled back, and why.
    /// Nothing else is written.
    pub async fn guard_would_have(
        &self,
        now: UtcNaive,
        profile: &str,
        armed_by: &str,
        finding: &Finding,
        workspaces: &[String],
    ) -> Result<String, AuditError> {
        let summary = format!(
            "guard (dry run) would have rolled back {} at {} UTC: rule {}",
            workspaces.join(", "),
            now.format("%H:%M:%S"),
            finding.rule.id()
        );
        self.record(
            now,
            &Intent {
                profile,
                lever: GUARD_LEVER,
                reason: &format!("guard (armed by {armed_by}, dry run): {}", finding.evidence),
                summary: &summary,
                detail: serde_json::json!({
                    "dry_run": true,
                    "would_have": {"rule": finding.rule.id(), "workspaces": workspaces,
                                   "evidence": finding.evidence, "draft_ids": finding.draft_ids},
                }),
            },
            "recorded; nothing was changed (dry run)",
        )
        .await
    }
}
