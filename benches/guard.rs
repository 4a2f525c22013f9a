//! The guarded canary's bench (issue 29), two parts:
//!
//! 1. **No crying wolf, and how fast on harm.** The window's worker on the
//!    demo world (the simulator, a manual clock), the guard armed, reading
//!    every `BENCH_GUARD_STEP_MIN` simulated minutes: `BENCH_GUARD_HOURS`
//!    quiet canary-hours split over `BENCH_GUARD_SEEDS` seeds (default 200
//!    over 10) must give zero automatic rollbacks. Then, per seed, the
//!    needs_review spike fault: the simulated minutes from the fault to
//!    the rollback verified OFF, and the wall time from the confirming read
//!    to the verified one.
//! 2. **The watcher's footprint** (`BENCH_WATCH_SECS`, default 600; 0
//!    skips): `rollout-panel watch --profile demo` (this build's binary) left
//!    alone; its resident memory at the end and its CPU time over the run.
//!
//! `cargo bench --bench guard`. Prints the figures; asserts nothing about
//! time (a noisy machine would make that flaky), only that quiet canaries
//! are never rolled back.

use rollout_panel::adapters::audit::AuditLog;
use rollout_panel::adapters::clock::{Clock, ManualClock};
use rollout_panel::demo::{DemoStage, DemoWorld, Faults};
use rollout_panel::worker::guard::GUARD_RUNS;
use rollout_panel::worker::{Event, Request, Target, WorkerConfig, WorkerHandle};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const WAIT: Duration = Duration::from_secs(120);

struct Run {
    handle: WorkerHandle,
    clock: ManualClock,
    db: std::path::PathBuf,
    seed: u64,
    rollbacks: u64,
    verified: Option<String>,
}

impl Run {
    fn start(dir: &std::path::Path, seed: u64) -> Self {
        let clock = ManualClock::new(
            chrono::NaiveDate::from_ymd_opt(2026, 3, 4)
                .and_then(|d| d.and_hms_opt(10, 0, 0))
                .expect("a date"),
        );
        let db = dir.join("demo").join("demo.sqlite");
        let config = WorkerConfig {
            target: Target::Demo {
                db_path: db.clone(),
                stage: DemoStage::Canary,
                seed,
            },
            clock: Arc::new(clock.clone()),
            auto_refresh: None,
            read_timeout: Duration::from_secs(60),
            audit_path: Some(AuditLog::path_in(dir)),
            waits: rollout_panel::ops::levers::Waits::default(),
        };
        let mut handle = WorkerHandle::spawn(config, || {});
        assert!(handle.wait_idle(WAIT), "first read");
        handle.send(Request::Guard {
            armed: true,
            dry_run: false,
            reason: "bench: no crying wolf".to_owned(),
        });
        assert!(handle.wait_idle(WAIT), "armed");
        let mut run = Self {
            handle,
            clock,
            db,
            seed,
            rollbacks: 0,
            verified: None,
        };
        run.drain();
        run
    }

    /// Advances the clock, reads, and counts what the guard did.
    fn read(&mut self, minutes: i64) {
        self.clock.advance(chrono::Duration::minutes(minutes));
        self.handle.send(Request::Refresh);
        assert!(self.handle.wait_idle(WAIT), "refresh");
        self.drain();
    }

    fn drain(&mut self) {
        while let Ok(Some(e)) = self.handle.try_recv() {
            match e {
                Event::LeverStep { run, .. } if run >= GUARD_RUNS => {}
                Event::LeverDone { run, .. } if run >= GUARD_RUNS => self.rollbacks += 1,
                Event::Guard { title, body } if title.starts_with("Guard rolled back") => {
                    self.verified = Some(body);
                }
                _ => {}
            }
        }
    }

    fn set_faults(&self, faults: &Faults) {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let world =
                DemoWorld::open_or_create(&self.db, self.clock.now(), DemoStage::Canary, self.seed)
                    .await
                    .expect("the demo world");
            world.set_faults(faults).await.expect("faults");
            world.close().await;
        });
    }
}

fn no_crying_wolf() {
    let hours = env_num("BENCH_GUARD_HOURS", 200);
    let seeds = env_num("BENCH_GUARD_SEEDS", 10).max(1);
    let step = i64::try_from(env_num("BENCH_GUARD_STEP_MIN", 2).max(1)).unwrap_or(2);
    let per_seed = (hours / seeds).max(1);
    let reads = per_seed * 60 / step.unsigned_abs();
    println!(
        "quiet canaries: {hours} canary-hours = {seeds} seeds × {per_seed} h, a read every {step} simulated min ({reads} reads per seed)"
    );
    println!(
        "| seed | quiet reads | automatic rollbacks | wall s | spike → verified OFF (sim min) | confirm → verified (wall ms) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut total_rollbacks = 0;
    let mut delays = Vec::new();
    for seed in 1..=seeds {
        let dir = tempfile::tempdir().expect("temp dir");
        let t0 = Instant::now();
        let mut run = Run::start(dir.path(), seed);
        for _ in 0..reads {
            run.read(step);
        }
        let quiet_rollbacks = run.rollbacks;
        total_rollbacks += quiet_rollbacks;
        let wall = t0.elapsed().as_secs_f64();
        // The harm scenario on the same canary: minutes until verified OFF.
        run.set_faults(&Faults {
            needs_review_spike: true,
            ..Faults::default()
        });
        let mut minutes = 0;
        while run.verified.is_none() && minutes < 6 * 60 {
            run.read(1);
            minutes += 1;
            // Let a rollback the guard started end, then read again.
            if run.handle.wait_levers(Duration::from_millis(1)) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let confirm_ms = run
            .verified
            .as_deref()
            .and_then(|b| b.split(" ms from the confirming read").next())
            .and_then(|b| b.rsplit('(').next())
            .map_or_else(|| "—".to_owned(), str::to_owned);
        let delay = run.verified.as_ref().map(|_| minutes);
        if let Some(d) = delay {
            delays.push(d);
        }
        println!(
            "| {seed} | {reads} | {quiet_rollbacks} | {wall:.1} | {} | {confirm_ms} |",
            delay.map_or_else(|| "not within 6 h".to_owned(), |d| d.to_string())
        );
    }
    delays.sort_unstable();
    println!(
        "total: {total_rollbacks} automatic rollbacks over {} quiet canary-hours; harm detected and rolled back in {}/{} seeds, simulated minutes median {} max {}",
        per_seed * seeds,
        delays.len(),
        seeds,
        delays.get(delays.len() / 2).copied().unwrap_or(0),
        delays.last().copied().unwrap_or(0)
    );
    assert_eq!(total_rollbacks, 0, "the guard rolled back a quiet canary");
}

/// Resident memory (kB) and CPU time (clock ticks) of a process.
fn footprint(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit(')').next()?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((rss, utime + stime))
}

fn watcher() {
    let secs = env_num("BENCH_WATCH_SECS", 600);
    if secs == 0 {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rollout-panel"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "watch",
            "--profile",
            "demo",
            "--refresh-secs",
            "5",
            "--no-notifications",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the watcher");
    let pid = child.id();
    // Its start (seeding the demo world) is not idle: measure after 30 s.
    std::thread::sleep(Duration::from_secs(30));
    let (_, cpu0) = footprint(pid).expect("/proc");
    let t0 = Instant::now();
    let mut peak = 0;
    while t0.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(5));
        if let Some((rss, _)) = footprint(pid) {
            peak = peak.max(rss);
        }
    }
    let (rss, cpu1) = footprint(pid).expect("/proc");
    let ticks = 100.0; // USER_HZ on Linux
    let cpu_s = (cpu1 - cpu0) as f64 / ticks;
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "watcher (demo, a read every 5 s) over {wall:.0} s: RSS {:.1} MB at the end, peak {:.1} MB; CPU {cpu_s:.2} s = {:.2} % of a core",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0,
        100.0 * cpu_s / wall
    );
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
}

fn main() {
    if env_num("BENCH_GUARD_HOURS", 200) > 0 {
        no_crying_wolf();
    }
    watcher();
}
