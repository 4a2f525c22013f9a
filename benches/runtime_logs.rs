//! The runtime-log reader's bench (issue 32), two parts, both against the
//! stand-in of Vercel's stream (`tests/common/logstream.rs`):
//!
//! 1. **Bounded memory** (`BENCH_LOGS_ROWS`, default 1 000 000): that many
//!    rows streamed as fast as they go through the real reader, 50 a second
//!    of row time (5 h 33 min for a million, the reader's clock following
//!    them), one in five an error line the book counts; the process's
//!    resident memory at checkpoints (it levels off once the book's 3-hour
//!    window is full), the rows remembered for de-duplication, the rate.
//! 2. **The `logs --follow` process** (`BENCH_LOGS_SECS`, default 600; 0
//!    skips): this build's binary following a deployment that prints 50
//!    rows a second; its resident memory and CPU time at the end. Needs the
//!    Secret Service for the profile's token: run it as
//!    `scripts/with-keyring.sh cargo bench --bench runtime_logs`.
//!
//! Prints the figures; asserts only what cannot flake (every row counted,
//! the remembered rows within their bound).

#[path = "../tests/common/logstream.rs"]
mod logstream;

use logstream::{LogServer, loop_failed, row};
use rollout_panel::adapters::clock::{Clock, SystemClock};
use rollout_panel::adapters::env::vercel::VercelClient;
use rollout_panel::adapters::env::vercel::logs::{LogTiming, Reader};
use rollout_panel::core::runtime_log::{Book, BookLimits};
use rollout_panel::core::secret::Secret;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kb(pid: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .ok()
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

static START: OnceLock<i64> = OnceLock::new();
/// The newest row time made: the reader's clock in part 1, so a million
/// rows at 50 a second play 5 h 33 min of production and the book's 3-hour
/// window moves with them.
static ROW_NOW: AtomicI64 = AtomicI64::new(0);

/// "Now" is the newest row's time.
struct RowClock;

impl Clock for RowClock {
    fn now(&self) -> rollout_panel::core::time::UtcNaive {
        rollout_panel::core::runtime_log::from_ms(ROW_NOW.load(Ordering::Relaxed))
    }
}

/// The i-th line of the million, 50 a second of row time: one in five an
/// error line (a storm: 10 errors a second), the others what production
/// prints between them.
fn made(i: usize) -> String {
    let start = *START.get().unwrap_or(&0);
    let ts = start + i as i64 * 20;
    ROW_NOW.fetch_max(ts, Ordering::Relaxed);
    let id = format!("r{i}");
    if i.is_multiple_of(5) {
        let ws = ["ws_a", "ws_b", "ws_c"][i % 3];
        row(
            &id,
            ts,
            "serverless",
            "warning",
            &loop_failed(ws, "lead", &format!("d{i}"), "deadline_exceeded"),
        )
    } else {
        row(
            &id,
            ts,
            "serverless",
            "info",
            "[Cron] background-jobs: processed 3 jobs in 812 ms",
        )
    }
}

/// A two-thread runtime (the machine has two cores).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn million(rows: usize) {
    let rt = runtime();
    rt.block_on(async {
        let now = SystemClock.now().and_utc().timestamp_millis();
        let _ = START.set(now - rows as i64 * 20);
        ROW_NOW.store(now - rows as i64 * 20, Ordering::Relaxed);
        let server = LogServer::start("dpl_bench").await;
        {
            let mut s = server.state();
            s.split = false;
            s.end_after_ms = i64::MAX;
            s.made.insert("dpl_bench".to_owned(), (rows, made));
        }
        let before = rss_kb("self").unwrap_or(0);
        let client = VercelClient::new(&server.base, "zrg", None, Secret::new("bench-token")).expect("client");
        let timing = LogTiming {
            lifetime: Duration::from_secs(3600),
            ..LogTiming::default()
        };
        let book = Arc::new(Mutex::new(Book::new(BookLimits::default())));
        let mut reader = Reader::new(client, timing, Arc::clone(&book), Arc::new(RowClock));
        let started = Instant::now();
        reader.serving(&["dpl_bench".to_owned()]);
        let mut next = rows / 10;
        let mut peak = before;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let (seen, remembered) = {
                let b = book.lock().expect("book");
                (b.rows, b.remembered())
            };
            let rss = rss_kb("self").unwrap_or(0);
            peak = peak.max(rss);
            if seen as usize >= next {
                println!(
                    "  {seen:>8} rows read · RSS {:.1} MB (+{:.1} MB) · {remembered} rows remembered for de-duplication",
                    rss as f64 / 1024.0,
                    rss.saturating_sub(before) as f64 / 1024.0
                );
                next += rows / 10;
            }
            if seen as usize >= rows {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(1800), "the reader stalled at {seen} rows");
        }
        let elapsed = started.elapsed();
        let b = book.lock().expect("book");
        assert_eq!(b.counted as usize, rows.div_ceil(5), "every error line counted once");
        let kept = b.minutes(0, ROW_NOW.load(Ordering::Relaxed)).len();
        assert!(b.remembered() <= BookLimits::default().max_seen);
        println!(
            "{rows} rows ({:.1} h of row time) in {:.1} s ({:.0} rows/s); RSS {:.1} MB before, peak {:.1} MB; {} counted, {} remembered (bound {}), {kept} minute×workspace cells kept",
            rows as f64 * 20.0 / 3_600_000.0,
            elapsed.as_secs_f64(),
            rows as f64 / elapsed.as_secs_f64(),
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            b.counted,
            b.remembered(),
            BookLimits::default().max_seen
        );
    });
}

fn follow_process(secs: u64) {
    let rt = runtime();
    rt.block_on(async {
        let server = LogServer::start("dpl_follow").await;
        let dir = tempfile::tempdir().expect("dir");
        let bin = env!("CARGO_BIN_EXE_rollout-panel");
        let run = |args: &[&str], stdin: &str| {
            use std::io::Write;
            let mut child = std::process::Command::new(bin)
                .arg("--data-dir")
                .arg(dir.path())
                .args(args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn");
            if let Some(mut i) = child.stdin.take() {
                let _ = i.write_all(stdin.as_bytes());
            }
            let o = child.wait_with_output().expect("wait");
            assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        };
        run(&["profile", "add", "bench", "--vercel-project", "zrg", "--vercel-api", &server.base], "");
        run(&["secrets", "set", "--profile", "bench", "vercel-token"], "bench-token-12345");
        let mut child = std::process::Command::new(bin)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["logs", "--profile", "bench", "--follow", "--every-secs", "60"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn logs");
        let pid = child.id().to_string();
        let started = Instant::now();
        let mut i = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        while started.elapsed() < Duration::from_secs(secs) {
            tick.tick().await;
            let now = SystemClock.now().and_utc().timestamp_millis();
            let line = if i.is_multiple_of(10) {
                row(&format!("f{i}"), now, "serverless", "warning", &loop_failed("ws_a", "lead", &format!("d{i}"), "deadline_exceeded"))
            } else {
                row(&format!("f{i}"), now, "serverless", "info", "[Cron] background-jobs: processed 3 jobs")
            };
            server.emit("dpl_follow", line);
            i += 1;
        }
        let rss = rss_kb(&pid).unwrap_or(0);
        let cpu = cpu_secs(&pid).unwrap_or(0.0);
        let _ = child.kill();
        let _ = child.wait();
        let wall = started.elapsed().as_secs_f64();
        println!(
            "`logs --follow`, {i} rows at 50 rows/s for {wall:.0} s: RSS {:.1} MB at the end, CPU {cpu:.2} s ({:.2} % of a core)",
            rss as f64 / 1024.0,
            100.0 * cpu / wall
        );
    });
}

fn main() {
    let rows = env_num("BENCH_LOGS_ROWS", 1_000_000) as usize;
    if rows > 0 {
        println!("part 1: {rows} rows through the reader");
        million(rows);
    }
    let secs = env_num("BENCH_LOGS_SECS", 600);
    if secs > 0 {
        println!("part 2: the logs --follow process for {secs} s");
        follow_process(secs);
    }
}
