//! Test support: a real, throwaway PostgreSQL, and the production fixtures.
//!
//! When `ROLLOUT_PANEL_TEST_PG` names a running server (scripts/test.sh starts
//! one for the whole run), each test gets a fresh database on it. Otherwise the
//! test starts a private server from the machine's PostgreSQL binaries in a
//! temp dir and stops it when done. Postgres tests never skip: without a server
//! or binaries they fail and say how to fix it.

#![allow(dead_code)]

pub mod logstream;
pub mod notify;
pub mod production;
pub mod proxy;
pub mod ui;

use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Schema V0 (pre-116).
pub const PG_V0: &str = include_str!("../fixtures/pg_v0.sql");
/// Phase 116 on top of V0.
pub const PG_V1: &str = include_str!("../fixtures/pg_v1.sql");
/// Phase 123/127/136 on top of V1.
pub const PG_V2: &str = include_str!("../fixtures/pg_v2.sql");
/// Workspaces, leads, settings rows.
pub const DATA_BASE: &str = include_str!("../fixtures/data_base.sql");
/// Revision claims with hand-computed expectations.
pub const DATA_REVISIONS: &str = include_str!("../fixtures/data_revisions.sql");
/// Evaluations, confidences and AI errors on top of `DATA_REVISIONS`.
pub const DATA_METRICS: &str = include_str!("../fixtures/data_metrics.sql");

/// A PostgreSQL server this process started.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
}

fn pg_bin_dir() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    candidates.retain(|p| p.join("initdb").exists());
    candidates.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(p) = candidates.pop() {
        return p;
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() {
            return p;
        }
    }
    panic!(
        "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (apt-get install postgresql-15) \
         or run the tests through scripts/test.sh, which does."
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free TCP port on 127.0.0.1")
}

impl PgServer {
    /// initdb + start, in a fresh temp dir, on a free port.
    pub fn start() -> Self {
        let bin = pg_bin_dir();
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("rollout-pg-")
            .tempdir()
            .expect("temp dir");
        if as_postgres {
            run_ok(
                Command::new("chown")
                    .args(["postgres:postgres"])
                    .arg(dir.path()),
            );
        }
        let server = Self {
            dir,
            bin,
            as_postgres,
            port: free_port(),
        };
        let data = server.dir.path().join("data");
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]);
        run_ok(&mut initdb);
        server.start_again();
        server
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// Starts the (stopped) server again on the same port.
    pub fn start_again(&self) {
        let data = self.dir.path().join("data");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let mut start = self.command("pg_ctl");
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "30", "-o", &opts, "start"]);
        run_ok(&mut start);
    }

    /// Stops the server, cutting every client connection (committed data survives).
    pub fn stop(&self) {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "fast", "-w", "stop"]);
        run_ok(&mut stop);
    }

    /// The superuser URL of the `postgres` database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"]);
        let _ = stop.output();
    }
}

fn run_ok(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh database for one test.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Its name.
    pub name: String,
    _server: Option<PgServer>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// Creates an empty database on the shared server, or on a private one.
    pub async fn create() -> Self {
        let (admin_url, server) = match std::env::var("ROLLOUT_PANEL_TEST_PG") {
            Ok(url) if !url.is_empty() => (url, None),
            _ => {
                let s = PgServer::start();
                (s.admin_url(), Some(s))
            }
        };
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {admin_url}: {e}"));
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .expect("create test database");
        admin.close().await;
        let url = match admin_url.rfind('/') {
            Some(i) => format!("{}/{name}", &admin_url[..i]),
            None => panic!("unexpected admin URL {admin_url}"),
        };
        Self {
            url,
            name,
            _server: server,
        }
    }

    /// A pool on the test database.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .expect("connect to test database")
    }

    /// Runs fixture scripts in order.
    pub async fn apply(&self, scripts: &[&'static str]) {
        let pool = self.pool().await;
        for script in scripts {
            sqlx::raw_sql(*script)
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("fixture failed: {e}"));
        }
        pool.close().await;
    }
}

/// A naive UTC timestamp from text.
pub fn ts(text: &str) -> chrono::NaiveDateTime {
    rollout_panel::core::time::parse_naive(text).expect("timestamp")
}

/// A temp dir for a test's files.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("rollout-test-")
        .tempdir()
        .expect("temp dir")
}

/// Runs a command with `stdin` piped in and its output captured.
pub fn run_with_stdin(cmd: &mut Command, stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for the command")
}

/// Runs the panel binary on a data dir, with extra environment and `stdin`.
pub fn panel_env(
    data_dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rollout-panel"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("RUST_LOG")
        .envs(env.iter().copied());
    run_with_stdin(&mut cmd, stdin)
}

/// Adds profile `name` (Vercel project "zrg" at `api`) to a data dir and
/// stores `db_url` as its database URL in the keyring; each step must succeed.
pub fn add_db_profile(data_dir: &std::path::Path, name: &str, api: &str, db_url: &str) {
    let steps: [(&[&str], &str); 2] = [
        (
            &[
                "profile",
                "add",
                name,
                "--vercel-project",
                "zrg",
                "--vercel-api",
                api,
            ],
            "",
        ),
        (
            &["secrets", "set", "--profile", name, "database-url"],
            db_url,
        ),
    ];
    for (args, stdin) in steps {
        let o = panel_env(data_dir, args, stdin, &[]);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    add_roster(data_dir, name);
}

/// Writes the team's roster ([`roster_lines`]: the test operators and this
/// machine's key) into profile `name` of a data dir's profiles.toml.
pub fn add_roster(data_dir: &std::path::Path, name: &str) {
    let path = data_dir.join("config").join("profiles.toml");
    let text = std::fs::read_to_string(&path).expect("profiles.toml");
    let mut doc: toml::Table = toml::from_str(&text).expect("toml");
    let profile = doc
        .get_mut("profiles")
        .and_then(|p| p.get_mut(name))
        .and_then(|p| p.as_table_mut())
        .expect("the profile");
    profile.insert(
        "operators".to_owned(),
        toml::Value::Array(
            roster_lines()
                .into_iter()
                .map(toml::Value::String)
                .collect(),
        ),
    );
    std::fs::write(&path, toml::to_string(&doc).expect("toml")).expect("write profiles.toml");
}

/// Keyring tests must run, not skip: without a session bus they fail and say why.
pub fn require_secret_service() {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    assert!(
        !bus.is_empty(),
        "these tests need the real Secret Service: run them through scripts/with-keyring.sh \
         (the README's test command does)"
    );
}

/// The test operators of the team's roster, each with a key of its own.
pub const TEST_OPERATORS: [&str; 3] = ["alice@host-a", "bob@host-b", "carol@host-c"];

/// A test operator's signing key (fixed per name).
pub fn test_key(name: &str) -> rollout_panel::core::trust::OperatorKey {
    let mut seed = [0u8; 32];
    for (i, b) in name.bytes().cycle().take(32).enumerate() {
        seed[i] = b ^ (i as u8);
    }
    rollout_panel::core::trust::OperatorKey::from_seed(&seed)
}

/// The roster lines of the test operators, and of this machine's operator
/// key in the real Secret Service under this machine's `user@host` when a
/// keyring is reachable (a window's panel signs with it).
pub fn roster_lines() -> Vec<String> {
    let mut lines: Vec<String> = TEST_OPERATORS
        .iter()
        .map(|n| format!("{n} {}", test_key(n).public()))
        .collect();
    if let Ok((key, _)) = rollout_panel::adapters::secrets::Keyring::native().operator_key() {
        lines.push(format!(
            "{} {}",
            rollout_panel::adapters::audit::operator(),
            key.public()
        ));
    }
    lines
}

/// The roster of [`roster_lines`].
pub fn test_roster() -> std::sync::Arc<rollout_panel::core::trust::Roster> {
    std::sync::Arc::new(
        rollout_panel::core::trust::Roster::parse(&roster_lines().join("\n")).expect("roster"),
    )
}

/// The shared audit table on a test database (`audit init`, then found as
/// a panel finds it), judged by [`test_roster`].
pub async fn shared_audit(db: &TestDb) -> rollout_panel::adapters::audit::SharedAudit {
    use rollout_panel::adapters::audit::SharedAudit;
    let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
    SharedAudit::init(&pool).await.expect("audit init");
    SharedAudit::find(&pool, test_roster())
        .await
        .expect("find")
        .expect("the shared table is there")
}

/// A panel's audit log (its own local file in `dir`) writing to `shared`
/// as `operator`, signing with the test key of that name.
pub async fn panel_log(
    dir: &std::path::Path,
    shared: &rollout_panel::adapters::audit::SharedAudit,
    operator: &str,
) -> rollout_panel::adapters::audit::AuditLog {
    rollout_panel::adapters::audit::AuditLog::open(&dir.join(format!("{operator}.sqlite")))
        .await
        .expect("audit log")
        .with_shared(shared.clone())
        .with_operator(operator)
        .with_key(test_key(operator), shared.roster())
}

/// An expansion (or its rollback) of `names` (ids or exact names), planned
/// from what the database holds now.
pub async fn expansion_plan(
    store: &rollout_panel::adapters::store::PgStore,
    on: bool,
    names: &[&str],
) -> rollout_panel::core::lever::Plan {
    use rollout_panel::adapters::store::Store;
    use rollout_panel::core::lever::{Parts, PlanSource, plan_source};
    let workspaces = store.workspaces().await.expect("workspaces");
    plan_source(
        &PlanSource::Expansion {
            on,
            workspaces: names.iter().map(|n| (*n).to_owned()).collect(),
        },
        Parts {
            workspaces: Some(&workspaces),
            schema: Some(store.schema()),
            ..Parts::default()
        },
    )
    .expect("plan")
}

/// A window's worker on a profile whose database is `db_url` (its secret
/// stored in the real Secret Service under a fresh profile name) and whose
/// Vercel is unreachable (the env is "down"); refreshing only when asked.
pub fn db_only_profile(
    prefix: &str,
    db_url: &str,
    settings: rollout_panel::core::profile::Profile,
    audit_path: std::path::PathBuf,
) -> rollout_panel::worker::WorkerConfig {
    use rollout_panel::adapters::secrets::Keyring;
    use rollout_panel::core::secret::{Secret, SecretKey};
    let name = format!("{prefix}-{}", std::process::id());
    let keyring = Keyring::native();
    keyring
        .set(&name, SecretKey::DatabaseUrl, &Secret::new(db_url))
        .expect("db url");
    rollout_panel::worker::WorkerConfig {
        target: rollout_panel::worker::Target::Profile {
            name,
            profile: rollout_panel::core::profile::Profile {
                vercel_api: "http://127.0.0.1:9".into(),
                operators: roster_lines(),
                ..settings
            },
            keyring,
        },
        clock: std::sync::Arc::new(rollout_panel::adapters::clock::SystemClock),
        auto_refresh: None,
        read_timeout: std::time::Duration::from_secs(15),
        audit_path: Some(audit_path),
        waits: rollout_panel::ops::levers::Waits::default(),
    }
}
