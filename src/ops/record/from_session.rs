//! The rollout record written from an open session: the audit (every
//! operator's), the store, the env and, when no lever recorded one, a
//! readiness check now. The command line and the Audit tab both write it
//! through [`write_from`].

use super::{Period, RecordError, Request, gather, period_start, recorded_readiness, write};
use crate::adapters::store::Store;
use crate::core::time::UtcNaive;
use crate::ops::session::Session;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many audit entries the record reads at most (every operator's).
pub const AUDIT_LIMIT: u32 = 100_000;

/// What to write.
pub struct Ask<'a> {
    /// The period.
    pub period: &'a Period,
    /// The record's time (at or before the clock's now).
    pub at: UtcNaive,
    /// The clock's now (the reads are made at it).
    pub clock_now: UtcNaive,
    /// The folder.
    pub out: &'a Path,
    /// Who writes it (`user@host`).
    pub written_by: &'a str,
}

/// What was written, and what it had to do without.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Every file, the Markdown first.
    pub files: Vec<PathBuf>,
    /// What was missing (the shared audit table unreadable, …): the record
    /// was written without it.
    pub warnings: Vec<String>,
}

/// Gathers and writes the record of `session`'s profile from `store` (the
/// caller decides whether the demo world moves on first).
pub async fn write_from(
    session: &mut Session,
    store: Arc<dyn Store>,
    ask: &Ask<'_>,
) -> Result<Written, RecordError> {
    let mut warnings = Vec::new();
    if let Err(e) = session.find_shared_audit().await {
        warnings.push(format!(
            "the shared audit table cannot be read ({e}); the record uses this machine's log only"
        ));
    }
    let audit = session
        .audit()
        .await
        .map_err(|e| RecordError::Source(format!("the audit log cannot be opened: {e}")))?;
    let profile = session.profile().to_owned();
    let entries = audit
        .list(&profile, AUDIT_LIMIT)
        .await
        .map_err(|e| RecordError::Source(format!("the audit log cannot be read: {e}")))?;
    if let Some(problem) = audit.shared_problem() {
        warnings.push(format!(
            "the shared audit table failed ({problem}); the record uses this machine's log only"
        ));
    }
    let env = match session.env().await {
        Ok(source) => source.read(ask.clock_now).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let (start, _) = period_start(ask.period, &entries, ask.at)?;
    // A check now only when no lever of the period recorded one.
    let readiness_now = match recorded_readiness(&entries, start) {
        Some(_) => None,
        None => {
            let report = crate::ops::readiness::check(session, ask.clock_now, None).await;
            Some(Ok(crate::core::lever::ReadinessMark::of(&report.items)))
        }
    };
    let record = gather(
        store.as_ref(),
        &entries,
        &Request {
            profile: &profile,
            now: ask.at,
            period: ask.period,
            written_by: ask.written_by,
            quality_target: session.quality_target(),
            settings: crate::core::verdict::VerdictSettings::default(),
            grace: session.grace(),
            env: env.as_ref().map_err(Clone::clone),
            readiness_now,
        },
    )
    .await?;
    let files = write(ask.out, &record)?;
    Ok(Written { files, warnings })
}
