//! Approvals in the worker: asking for one, giving one (each an audited
//! action in the shared table, read back), and reading where they stand.

use super::protocol::ApprovalAsk;
use super::refresh::Worker;

impl Worker {
    /// Asks for, or gives, an approval; `Ok` says what was written.
    pub(crate) async fn approval(&mut self, ask: ApprovalAsk) -> Result<String, String> {
        let now = self.config.clock.now();
        let profile = self.snapshot.profile.clone();
        let log = self.audit_log().await.map_err(|e| e.to_string())?;
        match ask {
            ApprovalAsk::Request { plan, reason } => log
                .request_approval(now, &profile, &plan, &reason)
                .await
                .map(|id| {
                    format!(
                        "approval asked for \"{}\" (request {}); every panel on this database shows it",
                        plan.title,
                        crate::adapters::audit::short_id(&id)
                    )
                })
                .map_err(|e| format!("the approval could not be asked: {e}")),
            ApprovalAsk::Approve { request_id, reason } => {
                let (requests, _) = log
                    .approvals(now)
                    .await
                    .map_err(|e| format!("the approvals cannot be read: {e}"))?;
                let request = requests
                    .iter()
                    .find(|r| r.action_id == request_id)
                    .ok_or_else(|| "that request is no longer in the shared table".to_owned())?;
                log.approve(now, &profile, request, &reason)
                    .await
                    .map(|_| {
                        format!(
                            "approved \"{}\" for {} (counts {} min)",
                            request.plan.title,
                            request.operator,
                            crate::core::approval::APPROVAL_TTL.num_minutes()
                        )
                    })
                    .map_err(|e| format!("the approval could not be given: {e}"))
            }
        }
    }

    /// Reads the requests and approvals into the snapshot (with a shared
    /// table only).
    pub(crate) async fn read_approvals(&mut self) {
        self.snapshot.approvals_required = self.config.target.approvals();
        let Ok(log) = self.audit_log().await else {
            return;
        };
        let profile_says = self.config.target.approvals();
        // Bounded: a shared table that does not answer keeps approvals
        // required (the safe direction), as a failed read does.
        self.snapshot.approvals_required = tokio::time::timeout(
            self.config.read_timeout,
            log.approvals_required(profile_says),
        )
        .await
        .unwrap_or(true);
        self.snapshot.operator = log.operator_name().to_owned();
        self.snapshot.identity_trusted = log.trusted_by_roster();
        self.snapshot.identity = Some(match log.public_key() {
            None => format!(
                "{}: no operator key (the OS keyring did not give one): your shared entries are unsigned and no other panel counts them",
                log.operator_name()
            ),
            Some(key) => format!(
                "{} · key {}{}{}",
                log.operator_name(),
                crate::core::trust::short_key(&key.to_string()),
                match (log.has_shared(), log.trusted_by_roster()) {
                    (false, _) => "",
                    (true, true) => " (in the team's roster)",
                    (true, false) =>
                        " (NOT in the team's roster: other panels do not count your entries; `rollout-panel operator key` prints the line to add)",
                },
                self.snapshot
                    .vercel_user
                    .as_deref()
                    .map_or(String::new(), |u| format!(" · Vercel {u}"))
            ),
        });
        if !log.has_shared() {
            self.snapshot.approvals = None;
            return;
        }
        let now = self.config.clock.now();
        match crate::adapters::deadline::within(
            self.config.read_timeout,
            "the shared audit table",
            log.approvals(now),
        )
        .await
        {
            Ok(read) => self.snapshot.approvals = Some(std::sync::Arc::new(read)),
            Err(e) => tracing::warn!("the approvals could not be read: {e}"),
        }
    }
}
