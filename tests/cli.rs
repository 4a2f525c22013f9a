//! The command line, as scripts use it: flags, exit codes, JSON fields.

mod common;

use std::process::{Command, Output};

fn panel(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rollout-panel"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run rollout-panel")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn version_and_help_work() {
    let dir = common::temp_dir();
    let v = panel(dir.path(), &["--version"]);
    assert!(v.status.success());
    assert_eq!(
        stdout(&v).trim(),
        format!("rollout-panel {}", env!("CARGO_PKG_VERSION"))
    );
    let h = panel(dir.path(), &["--help"]);
    assert!(h.status.success());
    let text = stdout(&h);
    for sub in ["gui", "demo", "--data-dir", "--log-level"] {
        assert!(text.contains(sub), "--help lacks {sub}:\n{text}");
    }
    let h = panel(dir.path(), &["demo", "--help"]);
    for sub in [
        "--reset", "--stage", "set-env", "redeploy", "toggle", "fault",
    ] {
        assert!(stdout(&h).contains(sub), "demo --help lacks {sub}");
    }
}

#[test]
fn usage_errors_exit_2_and_failures_exit_1() {
    let dir = common::temp_dir();
    let o = panel(dir.path(), &["demo", "--stage", "dark"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--stage needs --reset: {}",
        stderr(&o)
    );
    let o = panel(dir.path(), &["no-such-command"]);
    assert_eq!(o.status.code(), Some(2));

    let o = panel(
        dir.path(),
        &[
            "demo",
            "--reset",
            "--stage",
            "dark",
            "set-env",
            "NOT_A_VAR",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("NOT_A_VAR is not one of the runbook's variables"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn demo_reset_status_and_a_configured_but_not_live_flip() {
    let dir = common::temp_dir();
    let o = panel(
        dir.path(),
        &["demo", "--reset", "--stage", "dark", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["stage"], "Dark");
    assert_eq!(v["schema"]["variant"], "V2Plus");
    assert_eq!(v["revision_kill_switch"]["configured"], true);
    assert_eq!(v["revision_kill_switch"]["live"], true);
    assert_eq!(v["auto_send_disabled"]["live"], false);
    assert_eq!(v["latest_deployment"]["state"], "READY");
    assert_eq!(v["workspaces"].as_array().unwrap().len(), 4);
    assert!(dir.path().join("demo/demo.sqlite").exists());

    let o = panel(
        dir.path(),
        &[
            "demo",
            "set-env",
            "AUTO_SEND_REVISION_DISABLED",
            "0",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["revision_kill_switch"]["configured"], false);
    assert_eq!(
        v["revision_kill_switch"]["live"], true,
        "not live before a redeploy"
    );
    assert_eq!(v["stage"], "AwaitingRedeploy");

    let o = panel(
        dir.path(),
        &["demo", "toggle", "Acme Solar (pilot)", "on", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let acme = v["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "Acme Solar (pilot)")
        .unwrap();
    assert_eq!(acme["toggle"], "Enabled");

    let o = panel(dir.path(), &["demo", "toggle", "No Such Workspace", "on"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no workspace named"), "{}", stderr(&o));
}

#[test]
fn demo_status_never_prints_secret_values() {
    let dir = common::temp_dir();
    let o = panel(dir.path(), &["demo", "--reset"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("OPENAI_API_KEY = set (hidden)"), "{text}");
    assert!(
        text.contains("AUTO_SEND_REVISION_DISABLED = \"0\""),
        "{text}"
    );
    // The seeded secrets: an API key shape and database passwords.
    for leak in ["sk-demo-", "zrg_app:", "@db.demo.invalid"] {
        assert!(!text.contains(leak), "status leaks {leak}:\n{text}");
        assert!(!stderr(&o).contains(leak), "stderr leaks {leak}");
    }
}

#[test]
fn a_demo_instant_rollback_pins_production_and_a_kill_switch_promotes_its_build() {
    let dir = common::temp_dir();
    assert!(
        panel(dir.path(), &["demo", "--reset", "--stage", "canary"])
            .status
            .success()
    );
    let lever = |state: &str| {
        panel(
            dir.path(),
            &[
                "lever",
                "revision-kill-switch",
                state,
                "--profile",
                "demo",
                "--reason",
                "rehearsal",
                "--yes",
            ],
        )
    };
    let o = lever("on");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The Instant Rollback: the build from before the flip serves again.
    let o = panel(dir.path(), &["demo", "instant-rollback"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("production is pinned to dpl_"),
        "{}",
        stderr(&o)
    );
    let o = panel(dir.path(), &["check", "--profile", "demo", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let live = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == "deploy.live.AUTO_SEND_REVISION_DISABLED")
        .cloned()
        .expect("item");
    assert_eq!(live["status"], "warn", "{live:#}");
    assert!(
        live["finding"]
            .as_str()
            .unwrap_or_default()
            .contains("configured ON, live OFF in the pinned build dpl_"),
        "{live:#}"
    );
    // Pulled again: the plan follows the build that already carries it and
    // promotes it; then it is live.
    let o = lever("on");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("follow the build dpl_"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("promote the new build"),
        "{}",
        stdout(&o)
    );
    let o = panel(dir.path(), &["check", "--profile", "demo", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let live = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == "deploy.live.AUTO_SEND_REVISION_DISABLED")
        .cloned()
        .expect("item");
    assert_eq!(live["status"], "pass", "{live:#}");
}

/// Hostile or careless input gets a clear error, a non-zero exit and no
/// crash report (issue 17).
#[test]
fn bad_input_is_a_clear_error_never_a_crash() {
    let dir = common::temp_dir();
    let crash_dir = dir.path().join("crash-reports");

    let o = panel(
        dir.path(),
        &["metrics", "--profile", "demo", "--window", "100000000d"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("at most 3660d"), "{}", stderr(&o));
    let o = panel(
        dir.path(),
        &[
            "export",
            "--profile",
            "demo",
            "--out",
            "-",
            "--sample",
            "99999999",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--sample must be between 1 and 10000"),
        "{}",
        stderr(&o)
    );

    // A bearer token never goes to a plain-http API, except a local test server.
    let o = panel(
        dir.path(),
        &[
            "profile",
            "add",
            "p",
            "--vercel-project",
            "zrg",
            "--vercel-api",
            "http://example.com",
        ],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("the token would travel in clear"),
        "{}",
        stderr(&o)
    );
    let o = panel(
        dir.path(),
        &[
            "profile",
            "add",
            "p",
            "--vercel-project",
            "zrg",
            "--vercel-api",
            "http://127.0.0.1:9",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));

    // A hand-edited `refresh_secs = 0`: reported with its line, ignored.
    let config = dir.path().join("config").join("profiles.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}refresh_secs = 0\n")).unwrap();
    let line = std::fs::read_to_string(&config)
        .unwrap()
        .lines()
        .position(|l| l == "refresh_secs = 0")
        .expect("the line")
        + 1;
    let o = panel(dir.path(), &["profile", "check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "profiles.toml:{line}: [profiles.p] refresh_secs = 0 is out of range"
        )),
        "{}",
        stderr(&o)
    );
    // (exit 1 when no keyring is reachable; the settings are printed anyway)
    let o = panel(dir.path(), &["profile", "show", "p", "--json"]);
    assert_ne!(o.status.code(), Some(101), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(json["refresh_secs"], 5, "{json:#}");

    assert!(!crash_dir.exists(), "no crash report");
}

/// Another operator's reason with escape sequences (they could clear the
/// screen, rewrite a line or set the window title) prints inert.
#[test]
fn data_from_outside_prints_without_its_control_characters() {
    let dir = common::temp_dir();
    assert!(
        panel(dir.path(), &["demo", "--reset", "--stage", "canary"])
            .status
            .success()
    );
    let evil = "rehearsal\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}gnp.exe";
    let o = panel(
        dir.path(),
        &[
            "lever",
            "revision-kill-switch",
            "on",
            "--profile",
            "demo",
            "--reason",
            evil,
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for args in [
        &["audit", "--profile", "demo"][..],
        &["audit", "--profile", "demo", "--json"][..],
    ] {
        let o = panel(dir.path(), args);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains("rehearsal"), "{text}");
        for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!text.contains(raw), "{args:?} prints {raw:?} raw: {text:?}");
        }
    }
    let json = stdout(&panel(
        dir.path(),
        &["audit", "--profile", "demo", "--json"],
    ));
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("still JSON");
    assert!(parsed.to_string().contains("rehearsal"), "{parsed}");
    assert!(
        stdout(&panel(dir.path(), &["audit", "--profile", "demo"])).contains("\\u{1b}[2J"),
        "shown escaped"
    );
}

#[test]
fn record_writes_the_folder_on_the_demo_and_bad_periods_are_clear_errors() {
    let dir = common::temp_dir();
    let out = dir.path().join("rollout");
    let o = panel(
        dir.path(),
        &["record", "--profile", "demo", "--since", "6h", "--out"],
    );
    assert_eq!(o.status.code(), Some(2), "--out needs a folder");
    let out_arg = out.to_str().unwrap();
    let o = panel(
        dir.path(),
        &[
            "record",
            "--profile",
            "demo",
            "--since",
            "6h",
            "--out",
            out_arg,
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = stdout(&o);
    let wrote: Vec<&str> = printed
        .lines()
        .filter_map(|l| l.strip_prefix("wrote "))
        .collect();
    assert_eq!(
        wrote.len(),
        7,
        "the Markdown and three plots twice: {wrote:?}"
    );
    for f in &wrote {
        let len = std::fs::metadata(f).expect("written").len();
        assert!(len > 0, "{f} is empty");
    }
    assert!(wrote[0].ends_with("rollout-record.md"), "{wrote:?}");

    for (args, says) in [
        (vec!["--since", "48x"], "48x"),
        (vec!["--from", "nonexistent-action"], "nonexistent-action"),
        (
            vec!["--at", "2999-01-01T00:00:00Z"],
            "--at is in the future",
        ),
        (vec!["--at", "yesterday"], "--at"),
    ] {
        let mut a = vec!["record", "--profile", "demo", "--out", out_arg];
        a.extend(args);
        let o = panel(dir.path(), &a);
        assert_eq!(o.status.code(), Some(1), "{a:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{a:?}: {}", stderr(&o));
    }
}

#[test]
fn drill_list_names_every_drill_with_its_levels_and_run_refuses_an_unknown_one() {
    let dir = common::temp_dir();
    let o = panel(dir.path(), &["drill", "list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let drills = v.as_array().expect("an array");
    assert_eq!(drills.len(), 7);
    assert_eq!(drills[0]["number"], 1);
    assert_eq!(drills[0]["expected"], serde_json::json!(["workspace"]));
    assert_eq!(
        drills[2]["expected"],
        serde_json::json!(["revision-kill-switch"])
    );
    assert_eq!(drills[6]["expected"], serde_json::json!([]));
    let o = panel(dir.path(), &["drill", "list"]);
    assert!(
        stdout(&o).contains("7. a harmless noisy minute"),
        "{}",
        stdout(&o)
    );
    let o = panel(dir.path(), &["drill", "run", "9", "--within", "1m"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("there is no drill 9"), "{}", stderr(&o));
}

#[test]
fn drill_run_at_speed_60_plays_the_harmless_drill_in_half_a_minute_and_leaves_the_clock_at_1_ahead()
{
    let dir = common::temp_dir();
    let started = chrono::Utc::now().naive_utc();
    for bad in ["0", "61", "fast"] {
        let o = panel(dir.path(), &["drill", "run", "7", "--speed", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("--speed"), "{}", stderr(&o));
    }
    // Drill 7 runs 30 demo minutes after its fault: half a wall minute at 60x.
    let o = panel(
        dir.path(),
        &[
            "drill", "run", "7", "--within", "1m", "--speed", "60", "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let score: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(score["judgement"], "held", "{score:#}");
    assert_eq!(score["passed"], true, "{score:#}");
    assert!(
        stderr(&o).contains("wall clock's pace again"),
        "{}",
        stderr(&o)
    );
    let wall = chrono::Utc::now().naive_utc();
    assert!(
        wall - started < chrono::Duration::minutes(10),
        "30 demo minutes took {} wall seconds",
        (wall - started).num_seconds()
    );
    // The world's clock is back at 1, ahead of the wall clock by what the
    // drill skipped; the other commands read that time too.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let anchor = rt.block_on(async {
        let w = rollout_panel::demo::DemoWorld::open(&dir.path().join("demo").join("demo.sqlite"))
            .await
            .unwrap();
        let a = w.clock(wall).await.unwrap();
        w.close().await;
        a
    });
    assert_eq!(anchor.speed, 1.0);
    assert!(
        anchor.at(wall) - wall >= chrono::Duration::minutes(25),
        "{anchor:?} at {wall}"
    );
    let o = panel(dir.path(), &["metrics", "--profile", "demo", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn gui_speed_is_refused_on_a_production_profile_before_any_window_opens() {
    let dir = common::temp_dir();
    let o = panel(
        dir.path(),
        &["profile", "add", "production", "--vercel-project", "zrg"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = panel(
        dir.path(),
        &["gui", "--speed", "4", "--profile", "production"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--speed runs the demo world's clock faster"),
        "{}",
        stderr(&o)
    );
}
