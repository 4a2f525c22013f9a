//! `record`: the rollout record of a profile (issue 30).

use super::args::RecordArgs;
use crate::adapters::clock::{Clock, SystemClock};
use crate::ops::record::{DEFAULT_SINCE, Period};
use crate::platform::paths::Paths;
use anyhow::bail;
use std::process::ExitCode;

/// How many audit entries the record reads at most (every operator's).
const AUDIT_LIMIT: u32 = 100_000;

pub(super) fn run_record(paths: &Paths, args: &RecordArgs) -> anyhow::Result<ExitCode> {
    let period = match (&args.from, &args.since) {
        (Some(id), _) => Period::From(id.clone()),
        (None, Some(w)) => {
            Period::Since(crate::core::time::parse_window(w).map_err(anyhow::Error::msg)?)
        }
        (None, None) => Period::Since(DEFAULT_SINCE),
    };
    let at = super::rfc3339_flag("--at", args.at.as_deref())?;
    let mut session = super::session(paths, &args.profile)?;
    super::runtime()?.block_on(async {
        let clock_now = SystemClock.now();
        if at.is_some_and(|a| a > clock_now) {
            bail!("--at is in the future");
        }
        let now = at.unwrap_or(clock_now);
        if let Err(e) = session.find_shared_audit().await {
            esay!("warning: the shared audit table cannot be read ({e}); the record uses this machine's log only");
        }
        let audit = session.audit().await?;
        let entries = audit.list(&args.profile, AUDIT_LIMIT).await?;
        if let Some(problem) = audit.shared_problem() {
            esay!("warning: the shared audit table failed ({problem}); the record uses this machine's log only");
        }
        let store = super::metrics::store_now(&mut session, clock_now).await?;
        let env = match session.env().await {
            Ok(source) => source.read(clock_now).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let (start, _) = crate::ops::record::period_start(&period, &entries, now)?;
        // A check now only when no lever of the period recorded one.
        let readiness_now = match crate::ops::record::recorded_readiness(&entries, start) {
            Some(_) => None,
            None => {
                let report = crate::ops::readiness::check(&mut session, clock_now, None).await;
                Some(Ok(crate::core::lever::ReadinessMark::of(&report.items)))
            }
        };
        let writer = crate::adapters::audit::operator();
        let record = crate::ops::record::gather(
            store.as_ref(),
            &entries,
            &crate::ops::record::Request {
                profile: &args.profile,
                now,
                period: &period,
                written_by: &writer,
                quality_target: session.quality_target(),
                settings: crate::core::verdict::VerdictSettings::default(),
                grace: session.grace(),
                env: env.as_ref().map_err(Clone::clone),
                readiness_now,
            },
        )
        .await?;
        let files = crate::ops::record::write(&args.out, &record)?;
        session.close().await;
        for f in &files {
            say!("wrote {}", f.display());
        }
        Ok(ExitCode::SUCCESS)
    })
}
