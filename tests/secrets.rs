//! Secrets against the real Secret Service (gnome-keyring on a private D-Bus
//! session: `scripts/with-keyring.sh`, which the README's test command uses),
//! the command line end to end against a real PostgreSQL and a fake Vercel,
//! and a leak test over every file and every byte of output the panel wrote.

mod common;

use common::{
    DATA_BASE, PG_V0, PG_V1, PG_V2, TestDb, panel_env, require_secret_service, run_with_stdin,
};
use rollout_panel::adapters::secrets::{Keyring, SecretStatus};
use rollout_panel::core::secret::{Secret, SecretKey};
use std::path::Path;
use std::process::{Command, Output};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_rollout-panel");

/// Runs the panel with `stdin` piped in.
fn panel(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    panel_env(data_dir, args, stdin, &[])
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        out(o),
        err(o)
    );
    out(o)
}

/// What `secret-tool` (libsecret, not our code) finds for an entry.
fn secret_tool_lookup(user: &str) -> Option<String> {
    let o = Command::new("secret-tool")
        .args(["lookup", "service", "rollout-panel", "username", user])
        .output()
        .expect("secret-tool (apt package libsecret-tools)");
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// A profile name no other test uses.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", std::process::id())
}

#[test]
fn the_native_keyring_stores_what_secret_tool_reads_back() {
    require_secret_service();
    let kr = Keyring::native();
    kr.availability().expect("the Secret Service is reachable");
    let profile = unique("native");
    let value = Secret::new("postgres://u:native-Pa55@db.example.com/zrg?sslmode=require");
    kr.set(&profile, SecretKey::DatabaseUrl, &value)
        .expect("store");
    assert_eq!(
        kr.get(&profile, SecretKey::DatabaseUrl).expect("read"),
        Some(value.clone())
    );
    assert_eq!(
        secret_tool_lookup(&format!("{profile}:database-url")).as_deref(),
        Some(value.expose())
    );
    let status = kr.status(&profile).expect("status");
    assert_eq!(
        status[0].1,
        SecretStatus::Set {
            hint: "•••• uire".into()
        }
    );
    assert_eq!(status[2].1, SecretStatus::Unset);
    assert!(kr.delete(&profile, SecretKey::DatabaseUrl).expect("delete"));
    assert_eq!(secret_tool_lookup(&format!("{profile}:database-url")), None);
    assert_eq!(
        kr.get(&profile, SecretKey::DatabaseUrl).expect("read"),
        None
    );
}

/// Every file under `dir` and every captured output, searched for `needle`.
fn hits(dir: &Path, outputs: &[String], needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                );
                let bytes = std::fs::read(&p).expect("read file");
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(p.display().to_string());
                }
            }
        }
    }
    for expected in ["profiles.toml", "demo.sqlite"] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} not among {files:?}"
        );
    }
    for (i, o) in outputs.iter().enumerate() {
        if o.contains(needle) {
            found.push(format!("output #{i}"));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sets_up_a_profile_tests_it_and_leaks_no_secret() {
    require_secret_service();
    const DB_PASSWORD: &str = "LeakCanary-db-7f3a91c2";
    const TOKEN: &str = "LeakCanaryVercelToken9b8c7d6e";
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let mut url = url::Url::parse(&db.url).expect("url");
    url.set_password(Some(DB_PASSWORD)).expect("password");
    let url = url.to_string();

    // The fake Vercel: the right token sees the project, anything else is refused.
    let vercel = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg-dashboard"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "prj_test123", "name": "zrg-dashboard", "framework": "nextjs"
        })))
        .with_priority(1)
        .mount(&vercel)
        .await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg-dashboard"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": {"code": "forbidden", "message": "Not authorized"}
        })))
        .with_priority(2)
        .mount(&vercel)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "error": {"code": "not_found", "message": "Project not found"}
        })))
        .with_priority(3)
        .mount(&vercel)
        .await;

    let dir = common::temp_dir();
    let d = dir.path();
    let name = unique("leak");
    let trace = ["--log-level", "trace"];
    let mut outputs = Vec::new();
    let mut run = |args: &[&str], stdin: &str| {
        let mut all: Vec<&str> = trace.to_vec();
        all.extend_from_slice(args);
        let o = panel(d, &all, stdin);
        outputs.push(out(&o));
        outputs.push(err(&o));
        o
    };

    let api = vercel.uri();
    ok(&run(
        &[
            "profile",
            "add",
            &name,
            "--vercel-project",
            "zrg-dashboard",
            "--vercel-api",
            &api,
        ],
        "",
    ));
    // Piped with a trailing newline, as `echo` or a password manager would.
    let o = run(
        &["secrets", "set", "--profile", &name, "database-url"],
        &format!("{url}\n"),
    );
    ok(&o);
    let o = run(
        &["secrets", "set", "--profile", &name, "vercel-token"],
        &format!("{TOKEN}\n"),
    );
    ok(&o);
    assert!(
        !err(&o).contains("whitespace"),
        "one trailing newline is not worth a warning"
    );
    let o = run(
        &["secrets", "set", "--profile", &name, "pooled-database-url"],
        &url,
    );
    ok(&o);
    // Stored exactly, without the newline.
    assert_eq!(
        secret_tool_lookup(&format!("{name}:vercel-token")).as_deref(),
        Some(TOKEN)
    );
    assert_eq!(
        secret_tool_lookup(&format!("{name}:database-url")).as_deref(),
        Some(url.as_str())
    );

    let list = ok(&run(&["secrets", "list", "--profile", &name], ""));
    assert_eq!(
        list,
        "database-url set\npooled-database-url set\nvercel-token set\n"
    );

    let show = ok(&run(&["profile", "show", &name], ""));
    assert!(show.contains(&format!("vercel api: {api}")), "{show}");
    assert!(
        show.contains("secret vercel-token: set (•••• 7d6e)"),
        "{show}"
    );

    // The check: real Postgres, fake Vercel, JSON for scripts.
    let o = run(&["test-connection", "--profile", &name, "--json"], "");
    let report: serde_json::Value = serde_json::from_str(&ok(&o)).expect("JSON");
    assert_eq!(report["ok"], true, "{report}");
    let results = report["results"].as_array().expect("results");
    let by_key = |k: &str| {
        results
            .iter()
            .find(|r| r["key"] == k)
            .unwrap_or_else(|| panic!("no result for {k}: {report}"))
    };
    assert_eq!(by_key("database-url")["outcome"], "ok");
    let db_detail = by_key("database-url")["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(
        db_detail.starts_with("connected · PostgreSQL"),
        "{db_detail}"
    );
    assert!(db_detail.contains("schema V2"), "{db_detail}");
    assert_eq!(by_key("pooled-database-url")["outcome"], "ok");
    assert_eq!(
        by_key("vercel-token")["detail"],
        "token valid · project zrg-dashboard (prj_test123)"
    );

    // The demo writes its files into the same data dir (searched below).
    ok(&run(&["demo", "--json"], ""));

    // A wrong token and a missing project fail with what to do.
    ok(&run(
        &["secrets", "set", "--profile", &name, "vercel-token"],
        "wrong-token-123456\n",
    ));
    let o = run(&["test-connection", "--profile", &name], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("Vercel refused the token (HTTP 403: Not authorized)"),
        "{}",
        out(&o)
    );
    let o = run(
        &["secrets", "delete", "--profile", &name, "vercel-token"],
        "",
    );
    assert!(ok(&o).contains("deleted"));
    let o = run(&["test-connection", "--profile", &name], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains(&format!(
            "secret vercel-token of profile {name} is not set: rollout-panel secrets set --profile {name} vercel-token"
        )),
        "{}",
        out(&o)
    );

    // A URL carrying `sslpassword` and a parameter sqlx does not know: sqlx
    // warns about unknown parameters with their values; neither may reach
    // the terminal or the log (trace level, every readiness read).
    const SSL_PASSWORD: &str = "LeakCanary-sslpw-31d0";
    const UNKNOWN_VALUE: &str = "LeakCanary-unknown-77e1";
    let odd_url = format!("{url}?sslpassword={SSL_PASSWORD}&frobnicate={UNKNOWN_VALUE}");
    ok(&run(
        &["secrets", "set", "--profile", &name, "pooled-database-url"],
        &format!("{odd_url}\n"),
    ));
    let _ = run(&["test-connection", "--profile", &name], "");
    let _ = run(&["check", "--profile", &name], "");

    // Nothing the panel wrote or printed holds either secret — the daily log
    // files under <data dir>/logs included (they exist: checked here).
    let logs = std::fs::read_dir(d.join("logs"))
        .map(|r| r.count())
        .unwrap_or(0);
    assert!(
        logs > 0,
        "the panel wrote no log file under {}",
        d.display()
    );
    let outputs_now = outputs.clone();
    for needle in [
        DB_PASSWORD,
        TOKEN,
        url.as_str(),
        SSL_PASSWORD,
        UNKNOWN_VALUE,
    ] {
        let found = hits(d, &outputs_now, needle);
        assert!(found.is_empty(), "a secret leaked into {found:?}");
    }

    // Remove says which entries it deletes, and they are gone from the keyring.
    let o = panel(d, &["profile", "remove", &name], "");
    let text = ok(&o);
    assert!(
        text.contains(&format!(
            "deleting the keyring entries of profile {name}: database-url, pooled-database-url"
        )),
        "{text}"
    );
    for key in ["database-url", "pooled-database-url", "vercel-token"] {
        assert_eq!(secret_tool_lookup(&format!("{name}:{key}")), None, "{key}");
    }
    let o = panel(d, &["secrets", "list", "--profile", &name], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("none is configured"), "{}", err(&o));
}

#[test]
fn a_bad_value_is_refused_and_nothing_is_stored() {
    require_secret_service();
    let dir = common::temp_dir();
    let name = unique("bad");
    ok(&panel(
        dir.path(),
        &["profile", "add", &name, "--vercel-project", "p"],
        "",
    ));
    let o = panel(
        dir.path(),
        &["secrets", "set", "--profile", &name, "database-url"],
        "postgres://u:Secr3tValue@db.example.com\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("names no database"), "{}", err(&o));
    assert!(!err(&o).contains("Secr3tValue"));
    assert_eq!(secret_tool_lookup(&format!("{name}:database-url")), None);
    // An unknown key is a usage error listing the known ones.
    let o = panel(
        dir.path(),
        &["secrets", "set", "--profile", &name, "token"],
        "x",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("database-url, pooled-database-url, vercel-token"));
    ok(&panel(dir.path(), &["profile", "remove", &name], ""));
}

#[test]
fn without_a_keyring_the_cli_says_how_to_fix_it_and_the_demo_still_works() {
    let dir = common::temp_dir();
    let d = dir.path();
    ok(&panel(
        d,
        &["profile", "add", "production", "--vercel-project", "p"],
        "",
    ));
    let no_bus = [("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")];
    let o = panel_env(
        d,
        &["secrets", "set", "--profile", "production", "vercel-token"],
        "tok-123456789\n",
        &no_bus,
    );
    assert_eq!(o.status.code(), Some(1));
    let e = err(&o);
    assert!(e.contains("no OS keyring is reachable"), "{e}");
    assert!(e.contains("gnome-keyring"), "{e}");
    assert_eq!(e.matches("no OS keyring").count(), 1, "reported once: {e}");
    let o = panel_env(d, &["demo", "--json"], "", &no_bus);
    let status: serde_json::Value = serde_json::from_str(&ok(&o)).expect("JSON");
    assert!(
        status["workspaces"]
            .as_array()
            .is_some_and(|w| !w.is_empty())
    );
}

#[test]
fn a_locked_keyring_is_reported_with_the_fix() {
    // A Secret Service that was started but never unlocked, on its own bus.
    let keyring_dir = common::temp_dir();
    let dir = common::temp_dir();
    ok(&panel(
        dir.path(),
        &["profile", "add", "production", "--vercel-project", "p"],
        "",
    ));
    let script = format!(
        "XDG_DATA_HOME='{}' gnome-keyring-daemon --start --components=secrets >/dev/null; \
         exec '{BIN}' --data-dir '{}' secrets set --profile production vercel-token",
        keyring_dir.path().display(),
        dir.path().display()
    );
    // dbus-run-session comes with the apt package dbus.
    let o = run_with_stdin(
        Command::new("dbus-run-session")
            .args(["--", "sh", "-c", &script])
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY"),
        "tok-123456789\n",
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("locked or refused access"), "{e}");
    assert!(e.contains("unlock"), "{e}");
    assert!(!e.contains("tok-123456789"), "{e}");
}

#[test]
fn a_keyring_locked_after_use_refuses_reads_with_the_fix() {
    // Unlocked, a secret stored, then the login collection locked again, as
    // when a desktop session locks the keyring; no prompt can be shown.
    let keyring_dir = common::temp_dir();
    let dir = common::temp_dir();
    ok(&panel(
        dir.path(),
        &["profile", "add", "production", "--vercel-project", "p"],
        "",
    ));
    let panel_cmd = format!("'{BIN}' --data-dir '{}'", dir.path().display());
    let script = format!(
        "printf pw | XDG_DATA_HOME='{}' gnome-keyring-daemon --unlock --components=secrets >/dev/null; \
         printf tok-123456789 | {panel_cmd} secrets set --profile production vercel-token || exit 10; \
         dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
           org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login \
           >/dev/null || exit 11; \
         exec {panel_cmd} secrets list --profile production",
        keyring_dir.path().display(),
    );
    let o = run_with_stdin(
        Command::new("dbus-run-session")
            .args(["--", "sh", "-c", &script])
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY"),
        "",
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let e = err(&o);
    assert!(e.contains("locked or refused access"), "{e}");
    assert!(e.contains("unlock your login keyring"), "{e}");
    assert!(
        !out(&o).contains("set"),
        "no status may be claimed: {}",
        out(&o)
    );
}
