//! The panel's files are its user's alone, whatever the umask: the binary is
//! run under `umask 000` and every mode is read back with `stat`.

mod common;

use std::path::Path;
use std::process::Command;

/// Runs the panel under `umask 000` (the loosest a shell can have).
fn panel(home: &Path, data: &Path, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_rollout-panel"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("HOME", home)
        .env_remove("RUST_LOG")
        .output()
        .expect("run the panel")
}

/// The mode as `stat` prints it (`600`).
fn mode(path: &Path) -> String {
    let o = Command::new("stat")
        .args(["-c", "%a"])
        .arg(path)
        .output()
        .expect("stat");
    assert!(o.status.success(), "stat {}", path.display());
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect()
}

#[test]
fn logs_crash_reports_the_audit_store_and_exports_are_private_under_umask_000() {
    let home = common::temp_dir();
    let data = home.path().join("panel-data");
    // An older version left its folder and a log file readable by everyone.
    std::fs::create_dir_all(data.join("logs")).unwrap();
    std::fs::write(
        data.join("logs").join("rollout-panel.log.2026-01-01"),
        "old",
    )
    .unwrap();
    for p in [&data, &data.join("logs")] {
        Command::new("chmod").arg("755").arg(p).status().unwrap();
    }
    Command::new("chmod")
        .arg("644")
        .arg(data.join("logs").join("rollout-panel.log.2026-01-01"))
        .status()
        .unwrap();

    let o = panel(
        home.path(),
        &data,
        &["metrics", "--profile", "demo", "--json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The user's own folder for the export: it stays as the user made it.
    let reviews = home.path().join("reviews");
    std::fs::create_dir(&reviews).unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(&reviews)
        .status()
        .unwrap();
    let out = reviews.join("sample.csv");
    let o = panel(
        home.path(),
        &data,
        &[
            "export",
            "--profile",
            "demo",
            "--sample",
            "5",
            "--seed",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = panel(home.path(), &data, &["debug-panic"]);
    assert_eq!(o.status.code(), Some(101));

    assert_eq!(mode(&out), "600", "the export");
    assert_eq!(mode(&reviews), "755", "the user's folder is left alone");
    assert_eq!(mode(&data), "700", "the data dir");
    for dir in ["logs", "crash-reports", "demo"] {
        let dir = data.join(dir);
        assert_eq!(mode(&dir), "700", "{}", dir.display());
        let files = files_in(&dir);
        assert!(!files.is_empty(), "{}", dir.display());
        for f in files {
            assert_eq!(mode(&f), "600", "{}", f.display());
        }
    }
    let audit: Vec<_> = files_in(&data)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("audit.sqlite"))
        })
        .collect();
    assert!(
        audit.iter().any(|p| p.ends_with("audit.sqlite")),
        "the audit store is there to check: {audit:?}"
    );
    for f in audit {
        assert_eq!(mode(&f), "600", "{}", f.display());
    }
}
