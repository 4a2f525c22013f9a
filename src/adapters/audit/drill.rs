//! Drill entries (issue 31): a finished drill's score in the local audit
//! log, never in a production table.

use super::{AuditError, AuditLog, Intent};
use crate::core::time::UtcNaive;

impl AuditLog {
    /// Records a finished drill (its intent and result at once). Refused
    /// on a log that writes to a shared production table: drills are the
    /// demo's, and stay on this machine.
    pub async fn record_drill(
        &self,
        now: UtcNaive,
        profile: &str,
        summary: &str,
        detail: serde_json::Value,
    ) -> Result<String, AuditError> {
        if self.shared().is_some() {
            return Err(AuditError::Query(
                "a drill is never recorded in a production table".to_owned(),
            ));
        }
        self.record(
            now,
            &Intent {
                profile,
                lever: crate::core::drill::DRILL_LEVER,
                reason: "rehearsal",
                summary,
                detail,
            },
            "drill scored",
        )
        .await
    }
}
