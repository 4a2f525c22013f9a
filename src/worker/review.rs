//! The quality review in the worker: one verdict recorded as an audited
//! action (in the shared table when there is one, so the other reviewers'
//! panels show it on their next read).

use super::protocol::VerdictAsk;
use super::refresh::Worker;

impl Worker {
    /// Records a verdict; `Ok` says what was written.
    pub(crate) async fn record_verdict(&mut self, ask: VerdictAsk) -> Result<String, String> {
        if !ask.pass && ask.reason.is_none() {
            return Err("a fail needs a reason (tone, factual error, …)".to_owned());
        }
        let now = self.config.clock.now();
        let profile = self.snapshot.profile.clone();
        let log = self.audit_log().await.map_err(|e| e.to_string())?;
        let judgement = crate::core::review::Judgement {
            draft_id: &ask.draft_id,
            pass: ask.pass,
            reason: ask.reason,
            note: ask.note.trim(),
            seed: ask.seed,
        };
        log.record_verdict(now, &profile, &judgement)
            .await
            .map(|_| {
                format!(
                    "draft {}: {} recorded",
                    ask.draft_id,
                    if ask.pass { "pass" } else { "fail" }
                )
            })
            .map_err(|e| format!("the verdict was not recorded: {e}"))
    }
}
