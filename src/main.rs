//! rollout-panel's entry point: parse the command line, set up logging (stderr
//! and a daily file) and the crash reporter, run.

use clap::Parser;
use rollout_panel::cli::{Cli, run};
use rollout_panel::diagnostics;
use rollout_panel::paths::Paths;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = Paths::resolve(cli.data_dir.as_deref()).ok();
    diagnostics::init_logging(paths.as_ref(), &cli.log_level);
    if let Some(p) = &paths {
        diagnostics::install_crash_reporter(p);
        diagnostics::announce_crash_reports(p);
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
