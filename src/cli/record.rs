//! `record`: the rollout record of a profile (issue 30).

use super::args::RecordArgs;
use crate::ops::record::{DEFAULT_SINCE, Period};
use crate::platform::paths::Paths;
use anyhow::bail;
use std::process::ExitCode;

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
        let clock_now = session.now().await?;
        if at.is_some_and(|a| a > clock_now) {
            bail!("--at is in the future");
        }
        let store = super::metrics::store_now(&mut session, clock_now).await?;
        let writer = crate::adapters::audit::operator();
        let written = crate::ops::record::write_from(
            &mut session,
            store,
            &crate::ops::record::Ask {
                period: &period,
                at: at.unwrap_or(clock_now),
                clock_now,
                out: &args.out,
                written_by: &writer,
            },
        )
        .await;
        session.close().await;
        let written = written?;
        for w in &written.warnings {
            esay!("warning: {w}");
        }
        for f in &written.files {
            say!("wrote {}", f.display());
        }
        Ok(ExitCode::SUCCESS)
    })
}
