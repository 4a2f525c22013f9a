//! rollout-panel's entry point: parse the command line, set up logging (stderr
//! and a daily file) and the crash reporter, then hand over to the window
//! (`gui::run`) or a subcommand (`cli::run`).

use clap::Parser;
use rollout_panel::cli::{Cli, Cmd};
use rollout_panel::platform::diagnostics;
use rollout_panel::platform::paths::Paths;
use rollout_panel::{cli, gui};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything is created: the panel's files are its user's alone.
    rollout_panel::platform::private::restrict_umask();
    let cli = Cli::parse();
    let paths = Paths::resolve(cli.data_dir.as_deref());
    diagnostics::init_logging(paths.as_ref().ok(), &cli.log_level);
    let paths = match paths {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "error: {}",
                rollout_panel::core::text::terminal(&format!("{e:#}"))
            );
            return ExitCode::from(1);
        }
    };
    rollout_panel::platform::private::tighten(&paths);
    diagnostics::install_crash_reporter(&paths);
    diagnostics::announce_crash_reports(&paths);
    let result = match cli.command {
        None => gui::run(&paths, &gui::Options::default()),
        Some(Cmd::Gui(args)) => gui::run(
            &paths,
            &gui::Options {
                refresh_secs: args.refresh_secs,
                profile: args.profile,
                speed: args.speed,
            },
        ),
        Some(command) => cli::run(&paths, command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "error: {}",
                rollout_panel::core::text::terminal(&format!("{e:#}"))
            );
            ExitCode::from(1)
        }
    }
}
