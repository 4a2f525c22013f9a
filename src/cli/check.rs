//! `check`: the readiness checklist. Exit 0 = all pass, 1 = warnings only,
//! 2 = any failure or unknown.

use super::args::CheckArgs;
use super::print;
use crate::adapters::clock::{Clock, SystemClock};
use crate::core::readiness::JudgeStage;
use crate::platform::paths::Paths;
use std::process::ExitCode;

pub(super) fn run_check(paths: &Paths, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let stage = args.stage.map(JudgeStage::from);
    let mut session = super::session(paths, &args.profile)?;
    let report = super::runtime()?.block_on(async {
        // On the demo, the world's time; a world that cannot be opened is
        // reported by the check itself.
        let now = match session.now().await {
            Ok(now) => now,
            Err(_) => SystemClock.now(),
        };
        let report = crate::ops::readiness::check(&mut session, now, stage).await;
        session.close().await;
        report
    });
    if args.json {
        print::json(&report)?;
    } else {
        print::readiness(&report);
    }
    Ok(ExitCode::from(report.exit_status()))
}
