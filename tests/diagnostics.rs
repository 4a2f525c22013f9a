//! Logs and crash reports: a panic in a child process leaves a report in the
//! data dir (version, message, backtrace with the home directory anonymised,
//! the last log lines) and the next start says where it is, once.

mod common;

use std::process::Command;

fn panel(home: &std::path::Path, data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rollout-panel"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("HOME", home)
        .env_remove("RUST_LOG")
        .output()
        .expect("run the panel")
}

#[test]
fn a_panic_leaves_a_crash_report_and_the_next_start_says_where() {
    let home = common::temp_dir();
    // The data dir inside HOME: every path in the report would name the user.
    let data = home.path().join("panel-data");
    let o = panel(home.path(), &data, &["debug-panic"]);
    assert_eq!(o.status.code(), Some(101), "a panic exits 101");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("a report is at ~/panel-data/crash-reports/"),
        "{stderr}"
    );

    let reports: Vec<_> = std::fs::read_dir(data.join("crash-reports"))
        .expect("the crash dir")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    assert_eq!(reports.len(), 1);
    let report = std::fs::read_to_string(&reports[0]).unwrap();
    assert!(report.contains(&format!("version: {}", env!("CARGO_PKG_VERSION"))));
    assert!(report.contains("panic: a panic on purpose (rollout-panel debug-panic)"));
    assert!(report.contains("backtrace:"));
    assert!(
        report.contains("about to panic on purpose"),
        "the last log lines are in it: {report}"
    );
    let home_text = home.path().display().to_string();
    assert!(
        !report.contains(&home_text),
        "the home directory is anonymised"
    );

    // The daily log file exists next to it.
    let logs: Vec<_> = std::fs::read_dir(data.join("logs")).unwrap().collect();
    assert_eq!(logs.len(), 1);

    // The next start says it crashed and where the report is, once.
    let o = panel(home.path(), &data, &["profile", "list"]);
    assert!(o.status.success());
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("the panel crashed last time"), "{said}");
    assert!(said.contains("crash-reports"), "{said}");
    let o = panel(home.path(), &data, &["profile", "list"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("crashed"));
}
