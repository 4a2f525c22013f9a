//! The runtime-log reader against a stand-in of Vercel's stream
//! (`common::logstream`) that reproduces the contract's framing and traps:
//! counts per minute stay exact across random chunk splits, replays,
//! resets, cuts, clean ends and 429/500/503 answers; the old deployment is
//! read after production moves; what the reader cannot see is its state;
//! `rollout-panel logs` prints it and exits by it.

mod common;

use common::logstream::{LogServer, artifact_failed, decision_failed, delimiter, loop_failed, row};
use rollout_panel::adapters::clock::{Clock, SystemClock};
use rollout_panel::adapters::env::vercel::VercelClient;
use rollout_panel::adapters::env::vercel::logs::{LogTiming, Reader};
use rollout_panel::core::runtime_log::{Book, BookLimits, ReaderState};
use rollout_panel::core::secret::Secret;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MINUTE: i64 = 60_000;

fn timing() -> LogTiming {
    LogTiming {
        connect: Duration::from_secs(2),
        idle: Duration::from_secs(1),
        lifetime: Duration::from_millis(1_500),
        overlap: Duration::from_millis(500),
        retry: Duration::from_millis(20),
        max_retry: Duration::from_secs(2),
    }
}

fn reader(server: &LogServer, limits: BookLimits) -> Reader {
    let client = VercelClient::new(&server.base, "zrg", None, Secret::new("log-token-1234"))
        .expect("client");
    Reader::new(
        client,
        timing(),
        Arc::new(Mutex::new(Book::new(limits))),
        Arc::new(SystemClock),
    )
}

fn now_ms() -> i64 {
    SystemClock.now().and_utc().timestamp_millis()
}

/// Waits until `done` holds, or fails saying what was seen.
fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        if Instant::now() >= deadline {
            eprintln!("{what}: not within {within:?}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What the stand-in and the book hold, for a failing assertion's context.
fn dump(server: &LogServer, b: &Book, total: u32) {
    let s = server.state();
    eprintln!(
        "cursor {:?} lens {:?} counted {} of {total} rows {} repeats {} statuses {:?} deps {:?}",
        s.cursor,
        s.logs
            .iter()
            .map(|(k, v)| (k.clone(), v.len()))
            .collect::<Vec<_>>(),
        b.counted,
        b.rows,
        b.repeats,
        &s.statuses[..s.statuses.len().min(5)],
        b.deployments()
    );
}

/// (minute, workspace) → [deadline, other, db]
type Expected = BTreeMap<(i64, String), [u32; 3]>;

/// Prints a mix of lines on `dep` and returns what must be counted.
fn print_mix(server: &LogServer, dep: &str, base: i64, n: usize, expected: &mut Expected) {
    for i in 0..n {
        // Out of order by up to ±90 s.
        let ts = base + i as i64 * 1_500 + rand::random_range(-90_000..=90_000);
        let ws = format!("ws_{}", i % 3);
        let id = format!("{dep}-{base}-r{i}");
        let draft = format!("{dep}-{base}-d{i}");
        let minute = ts.div_euclid(MINUTE) * MINUTE;
        let line = match i % 10 {
            0 => {
                expected.entry((minute, ws.clone())).or_default()[0] += 1;
                row(
                    &id,
                    ts,
                    "serverless",
                    "warning",
                    &loop_failed(&ws, "lead", &draft, "deadline_exceeded"),
                )
            }
            1 => {
                // A long id: Node prints the object one field per line.
                let long = format!("{ws}_with_a_long_workspace_id_0123456789");
                expected.entry((minute, long.clone())).or_default()[1] += 1;
                // console.warn comes out as `error` in some functions.
                row(
                    &id,
                    ts,
                    "serverless",
                    "error",
                    &loop_failed(&long, "lead", &draft, "Request was aborted."),
                )
            }
            2 => {
                expected.entry((minute, String::new())).or_default()[2] += 1;
                row(&id, ts, "serverless", "error", &decision_failed(&draft))
            }
            3 => {
                expected.entry((minute, ws.clone())).or_default()[2] += 1;
                // No rowId: known by a hash of what it says.
                row(
                    "",
                    ts,
                    "serverless",
                    "warning",
                    &artifact_failed(&ws, &draft),
                )
            }
            // A request row with the message in its text never counts.
            4 => row(
                &id,
                ts,
                "request",
                "info",
                &loop_failed(&ws, "lead", &draft, "deadline_exceeded"),
            ),
            5 => String::new(),
            6 => "this is not JSON — ✓ ü".to_owned(),
            _ => row(
                &id,
                ts,
                "serverless",
                "info",
                "[Cron] background-jobs: processed 3 jobs — ✓",
            ),
        };
        server.emit(dep, line);
    }
}

fn counted(book: &Book, since: i64) -> Expected {
    let mut got = Expected::new();
    for m in book.minutes(since, now_ms()) {
        let key = (
            m.minute.and_utc().timestamp_millis(),
            m.workspace_id.unwrap_or_default(),
        );
        let e = got.entry(key).or_default();
        e[0] += m.deadline_exceeded;
        e[1] += m.other_error;
        e[2] += m.db_write_failed;
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_stay_exact_across_splits_replays_resets_cuts_ends_and_throttling() {
    let server = LogServer::start("dpl_a").await;
    {
        let mut s = server.state();
        s.answers
            .extend([(429, Some("1".to_owned())), (500, None), (503, None)]);
        s.replay = 7;
    }
    let base = now_ms() - 40 * MINUTE;
    let mut expected = Expected::new();
    print_mix(&server, "dpl_a", base, 400, &mut expected);
    // The server cuts the stream once, mid-way.
    server.emit("dpl_a", delimiter(base + 401 * 1_500));
    print_mix(&server, "dpl_a", base + 402 * 1_500, 400, &mut expected);
    let total: u32 = expected.values().flatten().sum();

    let mut reader = reader(&server, BookLimits::default());
    reader.serving(&["dpl_a".to_owned()]);
    let book = reader.book();
    // A reset mid-line once the stream is well under way.
    let s2 = server.clone();
    let reset = tokio::spawn(async move {
        while s2.state().cursor.get("dpl_a").copied().unwrap_or(0) < 250 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        s2.state().reset_next = true;
    });
    tokio::task::block_in_place(|| {
        wait_until(
            "every line delivered and counted",
            Duration::from_secs(60),
            || server.delivered() && book.lock().unwrap().counted == u64::from(total),
        )
    });
    reset.await.unwrap();
    // Replays keep coming (idle reconnects): still no double count.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let b = book.lock().unwrap();
    dump(&server, &b, total);
    assert_eq!(counted(&b, base - 5 * MINUTE), expected);
    assert_eq!(b.counted, u64::from(total));
    assert!(
        b.repeats > 0,
        "replayed rows were seen and not counted twice"
    );
    let s = server.state();
    assert_eq!(&s.statuses[..3], &[429, 500, 503], "{:?}", s.statuses);
    assert!(
        s.streams >= 4,
        "clean ends, a cut and a reset reconnect: {}",
        s.streams
    );
    let totals = b.totals(base - 5 * MINUTE, |_| true);
    assert_eq!(
        totals.deadline_exceeded,
        u64::from(expected.values().map(|v| v[0]).sum::<u32>())
    );
    assert_eq!(
        totals.draft_ids.deadline_exceeded.len() as u64,
        totals.deadline_exceeded,
        "every draft named"
    );
    assert!(
        totals
            .draft_ids
            .deadline_exceeded
            .contains(&format!("dpl_a-{base}-d0"))
    );
    eprintln!(
        "{total} counted of {} lines over {} streams; {} repeats ignored; statuses {:?}",
        s.logs["dpl_a"].len(),
        s.streams,
        b.repeats,
        &s.statuses[..3]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previous_deployment_is_read_after_production_moves() {
    let server = LogServer::start("dpl_old").await;
    // A little history on every connection: what was in flight when the
    // reader gave up on a connection comes again.
    server.state().replay = 3;
    let mut reader = reader(&server, BookLimits::default());
    reader.serving(&["dpl_old".to_owned()]);
    let base = now_ms() - 10 * MINUTE;
    let mut expected = Expected::new();
    print_mix(&server, "dpl_old", base, 50, &mut expected);
    // Production moves; jobs already running on the old build go on printing.
    reader.serving(&["dpl_new".to_owned()]);
    print_mix(&server, "dpl_old", base + 50 * 1_500, 50, &mut expected);
    print_mix(&server, "dpl_new", base + 60 * 1_500, 50, &mut expected);
    let total: u32 = expected.values().flatten().sum();
    let book = reader.book();
    tokio::task::block_in_place(|| {
        wait_until("both deployments counted", Duration::from_secs(30), || {
            server.delivered() && book.lock().unwrap().counted == u64::from(total)
        })
    });
    let b = book.lock().unwrap();
    dump(&server, &b, total);
    assert_eq!(counted(&b, base - 5 * MINUTE), expected);
    let deps = b.deployments();
    assert_eq!(
        deps.iter()
            .map(|(id, draining, _)| (id.as_str(), *draining))
            .collect::<Vec<_>>(),
        vec![("dpl_new", false), ("dpl_old", true)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_reader_cannot_see_is_its_state_never_a_quiet_zero() {
    // A token without log access.
    let server = LogServer::start("dpl_a").await;
    server.state().answers.extend([(403, None), (403, None)]);
    let mut r = reader(&server, BookLimits::default());
    r.serving(&["dpl_a".to_owned()]);
    let book = r.book();
    tokio::task::block_in_place(|| {
        wait_until("blind on 403", Duration::from_secs(10), || {
            book.lock().unwrap().state(now_ms(), now_ms()).name() == "blind"
        })
    });
    let state = book.lock().unwrap().state(now_ms(), now_ms());
    assert!(
        matches!(&state, ReaderState::Blind { reason } if reason.contains("cannot read runtime logs") && reason.contains("403")),
        "{state:?}"
    );
    drop(r);

    // A stream that stays open and says nothing, although the cron prints
    // every minute.
    let server = LogServer::start("dpl_a").await;
    let limits = BookLimits {
        silent_ms: 1_500,
        ..BookLimits::default()
    };
    let mut r = reader(&server, limits);
    r.serving(&["dpl_a".to_owned()]);
    let book = r.book();
    tokio::task::block_in_place(|| {
        wait_until(
            "silent",
            Duration::from_secs(10),
            || matches!(book.lock().unwrap().state(now_ms(), now_ms()), ReaderState::Limited { ref reason } if reason.contains("silent")),
        )
    });
    // A row arrives: reading again.
    server.emit("dpl_a", row("x1", now_ms(), "serverless", "info", "tick"));
    tokio::task::block_in_place(|| {
        wait_until("reading", Duration::from_secs(10), || {
            book.lock().unwrap().state(now_ms(), now_ms()) == ReaderState::Reading
        })
    });
    // The server cuts the stream: limited, and it says so.
    server.emit("dpl_a", delimiter(now_ms()));
    tokio::task::block_in_place(|| {
        wait_until(
            "cut",
            Duration::from_secs(10),
            || matches!(book.lock().unwrap().state(now_ms() - MINUTE, now_ms()), ReaderState::Limited { ref reason } if reason.contains("cut the stream")),
        )
    });
}

fn logs_cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::panel_env(dir, args, "", &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_command_prints_the_minutes_and_exits_by_what_it_sees() {
    common::require_secret_service();
    let server = LogServer::start("dpl_cli").await;
    let dir = common::temp_dir();
    let name = format!("logs-{}", std::process::id());
    common::add_db_profile(
        dir.path(),
        &name,
        &server.base,
        "postgres://u:p@127.0.0.1:1/none",
    );
    let o = common::panel_env(
        dir.path(),
        &["secrets", "set", "--profile", &name, "vercel-token"],
        "fake-token-1234567",
        &[],
    );
    assert!(o.status.success(), "{}", common::production::text(&o));
    // The replayed history reaches back to the start of --since 30m (one
    // row 10 s after it), so the report covers the whole span: reading.
    let anchor = now_ms() - 30 * MINUTE + 10_000;
    server.emit(
        "dpl_cli",
        row(
            "anchor",
            anchor,
            "serverless",
            "warning",
            &decision_failed("d_anchor"),
        ),
    );
    let base = now_ms() - 27 * MINUTE;
    let mut expected = Expected::new();
    expected
        .entry((anchor.div_euclid(MINUTE) * MINUTE, String::new()))
        .or_default()[2] += 1;
    print_mix(&server, "dpl_cli", base, 60, &mut expected);
    let dir_path = dir.path().to_owned();
    let name2 = name.clone();
    let o = tokio::task::spawn_blocking(move || {
        logs_cli(
            &dir_path,
            &["logs", "--profile", &name2, "--json", "--read-secs", "3"],
        )
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let v: serde_json::Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", common::production::text(&o)));
    assert_eq!(v["state"], "reading", "{v:#}");
    assert_eq!(o.status.code(), Some(0), "{}", common::production::text(&o));
    let mut got = Expected::new();
    for m in v["minutes"].as_array().expect("minutes") {
        let minute = chrono::DateTime::parse_from_rfc3339(m["minute"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        let ws = m["workspace_id"].as_str().unwrap_or_default().to_owned();
        assert_eq!(
            m["revision_loop_failed"],
            m["deadline_exceeded"].as_u64().unwrap() + m["other_error"].as_u64().unwrap()
        );
        for key in ["provisional", "from_history"] {
            assert!(m[key].is_boolean(), "{m}");
        }
        let e = got.entry((minute, ws)).or_default();
        e[0] += m["deadline_exceeded"].as_u64().unwrap() as u32;
        e[1] += m["other_error"].as_u64().unwrap() as u32;
        e[2] += m["db_write_failed"].as_u64().unwrap() as u32;
    }
    assert_eq!(got, expected);
    let ids = v["draft_ids"]["deadline_exceeded"].as_array().unwrap();
    assert_eq!(
        ids.len() as u64,
        v["totals"]["deadline_exceeded"].as_u64().unwrap()
    );
    assert!(
        !v["draft_ids"]["db_write_failed"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(!out.contains("fake-token"), "the token never shows");

    // --follow: one object a tick, SIGTERM ends it with 0.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rollout-panel"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "logs",
            "--profile",
            &name,
            "--follow",
            "--json",
            "--every-secs",
            "1",
        ])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = tokio::task::spawn_blocking(move || {
        let _ = &mut child;
        child.wait_with_output()
    })
    .await
    .unwrap()
    .expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        common::production::text(&out)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(lines.iter().all(|l| l["minutes"].is_array()));

    // A token without log access: blind, exit 2.
    server.state().answers.extend((0..5).map(|_| (403, None)));
    let dir_path = dir.path().to_owned();
    let o = tokio::task::spawn_blocking(move || {
        logs_cli(
            &dir_path,
            &["logs", "--profile", &name, "--json", "--read-secs", "2"],
        )
    })
    .await
    .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&String::from_utf8_lossy(&o.stdout)).expect("json");
    assert_eq!(
        (v["state"].as_str(), o.status.code()),
        (Some("blind"), Some(2)),
        "{v:#}"
    );
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("cannot read runtime logs"),
        "{v:#}"
    );
}

#[test]
fn metrics_json_carries_the_demo_runtime_log_counts_beside_the_database_ones() {
    let dir = common::temp_dir();
    let o = common::panel_env(dir.path(), &["demo", "fault", "timeouts", "on"], "", &[]);
    assert!(o.status.success(), "{}", common::production::text(&o));
    let o = common::panel_env(
        dir.path(),
        &["metrics", "--profile", "demo", "--json"],
        "",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::production::text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let logs = &r["runtime_logs"];
    assert_eq!(
        (logs["source"].as_str(), logs["state"].as_str()),
        (Some("demo"), Some("reading")),
        "{logs:#}"
    );
    assert_eq!(logs["minutes"], 60);
    for side in ["canary", "rest"] {
        for key in [
            "revision_loop_failed",
            "deadline_exceeded",
            "other_error",
            "db_write_failed",
        ] {
            assert!(logs[side][key].is_u64(), "{side}.{key}: {logs:#}");
        }
        let named = logs[side]["draft_ids"]["deadline_exceeded"]
            .as_array()
            .expect("ids")
            .len() as u64;
        assert_eq!(
            named,
            logs[side]["deadline_exceeded"].as_u64().unwrap(),
            "every draft named"
        );
    }
    // The existing fields are all still there.
    for key in [
        "profile",
        "window",
        "workspaces",
        "totals",
        "verdict",
        "alarms",
        "revision_health",
    ] {
        assert!(r.get(key).is_some(), "{key}");
    }
}
