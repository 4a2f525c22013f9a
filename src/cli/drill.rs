//! `drill list` and `drill run N [--within 10m] [--json]` (issue 31): the
//! window's worker on the demo world runs the drill; the operator acts in
//! the window (or with `rollout-panel lever …`); the score is printed when
//! the drill ends or is abandoned (SIGINT, SIGTERM).

use super::args::DrillCmd;
use crate::adapters::clock::{Clock as _, SystemClock};
use crate::core::drill::{DRILLS, Drill, Level, Score, levels_text, secs_text};
use crate::platform::paths::Paths;
use crate::worker::protocol::DrillAsk;
use crate::worker::{Event, Request, Target, WorkerConfig, WorkerHandle};
use anyhow::bail;
use std::process::ExitCode;
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// How often the drill's world is read (the window's demo default).
const EVERY: Duration = Duration::from_secs(2);

pub(super) fn run_drill(paths: &Paths, cmd: &DrillCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        DrillCmd::List { json } => {
            if *json {
                super::print::json(&serde_json::to_value(DRILLS)?)?;
            } else {
                for d in &DRILLS {
                    say!("{}. {}", d.number, d.title);
                    say!("   expected: {}", levels_text(d.expected));
                    if !d.too_small.is_empty() {
                        say!("   too small: {}", d.too_small);
                    }
                    say!("   too big: {}", d.too_big);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DrillCmd::Run {
            number,
            within,
            profile,
            speed,
            json,
        } => run(paths, *number, within, profile, *speed, *json),
    }
}

fn run(
    paths: &Paths,
    number: u8,
    within: &str,
    profile: &str,
    speed: Option<f64>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if profile != crate::core::profile::DEMO_PROFILE {
        bail!("{}", crate::worker::drill::DrillError::NotDemo);
    }
    let within = crate::core::time::parse_window(within).map_err(anyhow::Error::msg)?;
    let Some(drill) = crate::core::drill::drill(number) else {
        bail!("{}", crate::worker::drill::DrillError::Unknown(number));
    };
    let target = Target::demo(paths);
    let config = WorkerConfig {
        clock: target.clock(Arc::new(SystemClock), speed),
        target,
        auto_refresh: Some(EVERY),
        read_timeout: Duration::from_secs(15),
        audit_path: Some(crate::adapters::audit::AuditLog::path_in(&paths.data_dir)),
        waits: crate::ops::levers::Waits::default(),
    };
    let (wake_tx, wake_rx) = mpsc::channel::<Option<&'static str>>();
    super::watch::listen_for_stop(wake_tx.clone(), Some)?;
    let worker_wake = wake_tx.clone();
    let mut worker = WorkerHandle::spawn(config, move || {
        let _ = worker_wake.send(None);
    });
    worker.send(Request::Drill(DrillAsk::Start {
        number,
        within,
        pick: None,
    }));
    let result = until_scored(&mut worker, &wake_rx, drill, json);
    drop(worker);
    // The speed was this drill's: the world's clock goes on at 1 from the
    // time it reached (it never goes back).
    if speed.is_some() {
        let slowed = super::runtime().and_then(|rt| {
            rt.block_on(async {
                let world = crate::demo::DemoWorld::open(&paths.demo_db()).await?;
                let anchor = world.set_speed(SystemClock.now(), 1.0).await;
                world.close().await;
                anchor.map_err(anyhow::Error::from)
            })
        });
        match slowed {
            Ok(a) => esay!(
                "the demo's clock runs at the wall clock's pace again, from {}",
                a.virt.format("%Y-%m-%d %H:%M:%S")
            ),
            Err(e) => esay!("the demo's clock could not be slowed back down: {e:#}"),
        }
    }
    result
}

/// Waits for the drill's score (or a stop signal, which abandons it), then
/// prints it.
fn until_scored(
    worker: &mut WorkerHandle,
    wake_rx: &mpsc::Receiver<Option<&'static str>>,
    drill: &Drill,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let number = drill.number;
    let mut abandoned = false;
    loop {
        match wake_rx.recv_timeout(EVERY) {
            Ok(Some(signal)) if !abandoned => {
                esay!("{signal}: abandoning the drill");
                abandoned = true;
                worker.send(Request::Drill(DrillAsk::Abandon));
            }
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the worker stopped"),
        }
        loop {
            match worker.try_recv() {
                Ok(Some(Event::DrillAnswer(Err(e)))) => bail!("{e}"),
                Ok(Some(Event::DrillAnswer(Ok(said)))) if !said.is_empty() => esay!("{said}"),
                Ok(Some(Event::Snapshot(s))) => {
                    if let Some(view) = &s.drill
                        && let Some(score) = &view.score
                        && view.drill.number == number
                    {
                        print_score(drill, score, view.report.as_ref(), json)?;
                        return Ok(ExitCode::SUCCESS);
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => bail!("{e}"),
            }
        }
    }
}

fn print_score(
    d: &Drill,
    s: &Score,
    report: Option<&Result<std::path::PathBuf, String>>,
    json: bool,
) -> anyhow::Result<()> {
    let report_path = report.and_then(|r| r.as_ref().ok());
    if json {
        let mut v = serde_json::to_value(s)?;
        v["passed"] = serde_json::Value::Bool(s.passed());
        v["report"] = report_path.map_or(serde_json::Value::Null, |p| {
            serde_json::Value::String(p.display().to_string())
        });
        super::print::json(&v)?;
        return Ok(());
    }
    say!(
        "drill {} {}: {} — {}",
        d.number,
        if s.abandoned { "abandoned" } else { "over" },
        if s.passed() { "passed" } else { "not passed" },
        s.judgement.label()
    );
    if !s.note.is_empty() {
        say!("  {}", s.note);
    }
    say!("  fault → first sign: {}", secs_text(s.to_signal_secs));
    say!(
        "  fault → first look at {}: {}",
        d.shows_on,
        secs_text(s.to_look_secs)
    );
    say!(
        "  fault → lever confirmed: {}",
        secs_text(s.to_confirm_secs)
    );
    say!("  fault → verified: {}", secs_text(s.to_verified_secs));
    say!(
        "  expected: {}; chosen: {}",
        levels_text(&s.expected),
        s.chosen.map_or("none", Level::label)
    );
    say!("  failed levers: {}", s.failed_levers);
    if s.expected.is_empty() {
        say!("  unnecessary rollbacks: {}", s.unnecessary);
    }
    match report {
        Some(Ok(p)) => say!("  report: {}", p.display()),
        Some(Err(e)) => esay!("warning: the report was not written: {e}"),
        None => {}
    }
    Ok(())
}
