//! The quality review's verdicts (issue 30): each is an audited action of
//! its own (an intent and its result, signed where the shared table is), so
//! two reviewers who split one sample see each other's verdicts live, and
//! a draft already judged shows who judged it. The verdict names the draft,
//! never its content.

use super::{AuditEntry, AuditError, AuditLog, EntryKind, Intent};
use crate::core::review::{FailReason, Judgement, Verdict};
use crate::core::time::UtcNaive;

/// The audit "lever" of a review verdict.
pub const REVIEW_LEVER: &str = "quality-review";

/// The verdicts among `entries` (verified or this machine's own only),
/// oldest first.
pub fn verdicts(entries: &[AuditEntry]) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = entries
        .iter()
        .filter(|e| e.counts() && e.lever == REVIEW_LEVER && e.kind == EntryKind::Intent)
        .filter_map(|e| {
            let d = &e.detail;
            let pass = d.get("pass")?.as_bool()?;
            Some(Verdict {
                draft_id: d.get("draft_id")?.as_str()?.to_owned(),
                pass,
                reason: if pass {
                    None
                } else {
                    Some(
                        d.get("reason")
                            .and_then(serde_json::Value::as_str)
                            .and_then(FailReason::parse)
                            .unwrap_or(FailReason::Other),
                    )
                },
                note: d
                    .get("note")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                reviewer: e.operator.clone(),
                at: e.at,
            })
        })
        .collect();
    out.sort_by_key(|v| v.at);
    out
}

impl AuditLog {
    /// Records one reviewer's verdict on one sampled draft (the sample's
    /// seed kept with it, so a verdict is read against its sample).
    pub async fn record_verdict(
        &self,
        now: UtcNaive,
        profile: &str,
        j: &Judgement<'_>,
    ) -> Result<String, AuditError> {
        let (draft_id, pass, note, seed) = (j.draft_id, j.pass, j.note, j.seed);
        let reason = if pass {
            None
        } else {
            Some(j.reason.unwrap_or(FailReason::Other))
        };
        let summary = match reason {
            None => format!("quality review: draft {draft_id} passes"),
            Some(r) => format!("quality review: draft {draft_id} fails ({})", r.label()),
        };
        self.record(
            now,
            &Intent {
                profile,
                lever: REVIEW_LEVER,
                reason: note,
                summary: &summary,
                detail: serde_json::json!({
                    "draft_id": draft_id,
                    "pass": pass,
                    "reason": reason.map(FailReason::id),
                    "note": note,
                    "seed": seed,
                }),
            },
            "recorded",
        )
        .await
    }
}
