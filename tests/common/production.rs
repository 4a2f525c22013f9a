//! The production set-up of the lever tests: a stateful fake Vercel (env
//! records, deployments that go QUEUED → BUILDING → READY or CANCELED as they
//! are polled, per-item upsert failures, 429s, 5xx, slow answers, an Instant
//! Rollback pin, and kill points that kill the CLI right after a request took
//! effect), and a profile on a fresh PostgreSQL database.

use super::{DATA_BASE, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb, panel_env};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Output;
use std::sync::{Arc, Mutex};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Default)]
pub struct State {
    /// key → (value, updatedAt ms)
    pub env: BTreeMap<String, (String, i64)>,
    /// Every env write (key, value, at ms), in order: a build runs the
    /// values written before it was created.
    pub history: Vec<(String, String, i64)>,
    /// (id, created ms, state, polls, final state)
    pub deployments: Vec<(String, i64, String, u32, &'static str)>,
    pub clock: i64,
    pub cancel_next: bool,
    /// The next redeploy ends ERROR (a failed build).
    pub error_next: bool,
    /// Answer this many requests with 429 first.
    pub throttle: u32,
    /// 429s answered.
    pub throttled: u32,
    pub fail_next_upsert: bool,
    pub base: String,
    /// Production pinned to this build (an Instant Rollback): new builds
    /// reach READY but do not serve until promoted.
    pub pinned: Option<String>,
    /// Answer this many requests with `fail_status` (after any 429s): every
    /// request, or only those `fail_on` matches (method, path prefix).
    pub fail: u32,
    /// Which requests fail (`None` = any).
    pub fail_on: Option<(&'static str, &'static str)>,
    /// The status of those failures (500, 502, 503…).
    pub fail_status: u16,
    /// Every answer is this slow.
    pub slow: std::time::Duration,
    /// Kill a process right after a request has taken effect here.
    pub kill: Option<Kill>,
    /// When each write (POST) arrived, with its path: for timings.
    pub posts: Vec<(String, std::time::Instant)>,
    /// The next request matching (method, path prefix) takes effect, but its
    /// answer is a 500 (a lost acknowledgement).
    pub lose_answer: Option<(&'static str, &'static str)>,
    /// The project has Rolling Releases on: a build that turns READY becomes
    /// the canary of a release instead of taking all traffic.
    pub rolling_releases: bool,
    /// The active rolling release: (current, canary), the canary at 10 %.
    pub rolling: Option<(String, String)>,
}

impl State {
    /// The build production serves: the pinned one, else the newest READY.
    pub fn serving(&self) -> Option<&(String, i64, String, u32, &'static str)> {
        if let Some((current, _)) = &self.rolling {
            return self.deployments.iter().find(|d| &d.0 == current);
        }
        match &self.pinned {
            Some(id) => self.deployments.iter().find(|d| &d.0 == id),
            None => self.deployments.iter().rev().find(|d| d.2 == "READY"),
        }
    }

    /// The value of `key` a build created at `at` runs.
    pub fn value_at(&self, key: &str, at: i64) -> Option<&str> {
        self.history
            .iter()
            .rfind(|(k, _, t)| k == key && *t < at)
            .map(|(_, v, _)| v.as_str())
    }
}

/// A kill point: when a `method` request whose path starts with `path` has
/// taken effect, `pid` is killed (SIGKILL) before it hears the answer.
pub struct Kill {
    /// HTTP method.
    pub method: &'static str,
    /// Path prefix.
    pub path: &'static str,
    /// The process to kill.
    pub pid: u32,
    /// Set once it was killed.
    pub fired: bool,
}

#[derive(Clone)]
struct FakeVercel(Arc<Mutex<State>>);

impl Respond for FakeVercel {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if req.method.as_str() == "POST" {
            s.posts
                .push((req.url.path().to_owned(), std::time::Instant::now()));
        }
        let answer = answer(&mut s, req);
        let method = req.method.as_str();
        let path = req.url.path();
        if let Some((m, p)) = s.lose_answer
            && m == method
            && path.starts_with(p)
        {
            s.lose_answer = None;
            return ResponseTemplate::new(500).set_body_json(
                json!({"error": {"code": "internal_server_error", "message": "an unexpected error occurred"}}),
            );
        }
        if let Some(k) = s.kill.as_mut()
            && !k.fired
            && k.method == method
            && path.starts_with(k.path)
        {
            // The request took effect; its sender dies before the answer.
            k.fired = true;
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &k.pid.to_string()])
                .status();
            return answer.set_delay(std::time::Duration::from_millis(500));
        }
        answer.set_delay(s.slow)
    }
}

fn answer(s: &mut State, req: &Request) -> ResponseTemplate {
    {
        s.clock += 1000;
        let now = s.clock;
        if s.throttle > 0 {
            s.throttle -= 1;
            s.throttled += 1;
            return ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(
                    json!({"error": {"code": "too_many_requests", "message": "rate limited"}}),
                );
        }
        let targeted = s
            .fail_on
            .is_none_or(|(m, p)| req.method.as_str() == m && req.url.path().starts_with(p));
        if s.fail > 0 && targeted {
            s.fail -= 1;
            return ResponseTemplate::new(s.fail_status).set_body_json(
                json!({"error": {"code": "internal_server_error", "message": "an unexpected error occurred"}}),
            );
        }
        let path = req.url.path().to_owned();
        let method = req.method.as_str().to_owned();
        match (method.as_str(), path.as_str()) {
            ("GET", "/v10/projects/zrg/env") => {
                let envs: Vec<Value> = s
                    .env
                    .iter()
                    .map(|(k, (v, at))| json!({"id": format!("env_{k}"), "key": k, "value": v, "type": "plain",
                        "target": ["production"], "gitBranch": null, "decrypted": true, "updatedAt": at}))
                    .collect();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"envs": envs, "pagination": {"count": 1, "next": null}}))
            }
            ("POST", "/v10/projects/zrg/env") => {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let item = &body[0];
                let key = item["key"].as_str().unwrap_or_default().to_owned();
                if s.fail_next_upsert {
                    s.fail_next_upsert = false;
                    return ResponseTemplate::new(201).set_body_json(json!({"created": [], "failed": [
                        {"error": {"code": "forbidden", "message": "not allowed for this token", "key": key}}]}));
                }
                let value = item["value"].as_str().unwrap_or_default().to_owned();
                s.history.push((key.clone(), value.clone(), now));
                s.env.insert(key, (value, now));
                ResponseTemplate::new(201).set_body_json(json!({"created": item, "failed": []}))
            }
            ("GET", "/v6/deployments") => {
                let base = s.base.clone();
                let mut deps: Vec<Value> = s
                    .deployments
                    .iter()
                    .map(|(id, created, state, _, _)| {
                        json!({"uid": id, "name": "zrg", "url": format!("{base}/app"),
                        "created": created, "state": state})
                    })
                    .collect();
                deps.reverse();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"deployments": deps, "pagination": {"next": null}}))
            }
            ("POST", "/v13/deployments") => {
                let id = format!("dpl_{}", s.deployments.len() + 1);
                let end = if std::mem::take(&mut s.cancel_next) {
                    "CANCELED"
                } else if std::mem::take(&mut s.error_next) {
                    "ERROR"
                } else {
                    "READY"
                };
                s.deployments
                    .push((id.clone(), now, "QUEUED".into(), 0, end));
                ResponseTemplate::new(200)
                    .set_body_json(json!({"id": id, "readyState": "QUEUED", "createdAt": now}))
            }
            ("GET", p) if p.starts_with("/v13/deployments/") => {
                let id = p.trim_start_matches("/v13/deployments/").to_owned();
                let serving_before = s.serving().map(|d| d.0.clone());
                let rolling_on = s.rolling_releases;
                let current = s.rolling.as_ref().map(|r| r.0.clone()).or(serving_before);
                match s.deployments.iter_mut().find(|d| d.0 == id) {
                    Some(d) => {
                        d.3 += 1;
                        let was = d.2.clone();
                        d.2 = if d.3 == 1 { "BUILDING" } else { d.4 }.into();
                        let answer = ResponseTemplate::new(200)
                            .set_body_json(json!({"id": d.0, "readyState": d.2}));
                        if rolling_on && was != "READY" && d.2 == "READY"
                            && let Some(current) = current.filter(|c| *c != id)
                        {
                            s.rolling = Some((current, id));
                        }
                        answer
                    }
                    None => ResponseTemplate::new(404).set_body_json(
                        json!({"error": {"code": "not_found", "message": "no such deployment"}}),
                    ),
                }
            }
            ("GET", "/v9/projects/zrg") => {
                // Production's target: the rolling release's current, the
                // pinned build, else the newest READY.
                let serving = s.serving();
                let production = serving.map(|(id, created, state, _, _)| {
                    json!({"id": id, "url": format!("{}/app", s.base), "readyState": state, "createdAt": created})
                });
                ResponseTemplate::new(200).set_body_json(
                    json!({"id": "prj_zrg", "name": "zrg", "targets": {"production": production}}),
                )
            }
            ("GET", "/v1/projects/zrg/rolling-release/config") => {
                let config = s.rolling_releases.then(|| {
                    json!({"target": "production", "stages": [{"targetPercentage": 10, "requireApproval": true}, {"targetPercentage": 100}]})
                });
                ResponseTemplate::new(200).set_body_json(json!({"rollingRelease": config}))
            }
            ("GET", "/v1/projects/zrg/rolling-release") => {
                let release = s.rolling.as_ref().map(|(current, canary)| {
                    json!({"state": "ACTIVE", "currentDeployment": {"id": current}, "canaryDeployment": {"id": canary},
                        "activeStage": {"index": 0, "targetPercentage": 10, "requireApproval": true},
                        "stages": [{"targetPercentage": 10}, {"targetPercentage": 100}]})
                });
                ResponseTemplate::new(200).set_body_json(json!({"rollingRelease": release}))
            }
            ("POST", "/v1/projects/zrg/rolling-release/complete") => {
                let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                let asked = body["canaryDeploymentId"].as_str().unwrap_or_default();
                match &s.rolling {
                    Some((_, canary)) if canary == asked => {
                        s.rolling = None;
                        s.pinned = None;
                        ResponseTemplate::new(200).set_body_json(json!({"rollingRelease": null}))
                    }
                    _ => ResponseTemplate::new(400).set_body_json(
                        json!({"error": {"code": "bad_request", "message": format!("{asked} is not the canary of an active rolling release")}}),
                    ),
                }
            }
            ("POST", p) if p.starts_with("/v1/projects/zrg/rollback/") => {
                s.pinned = Some(
                    p.trim_start_matches("/v1/projects/zrg/rollback/")
                        .to_owned(),
                );
                ResponseTemplate::new(201)
            }
            ("POST", p) if p.starts_with("/v10/projects/zrg/promote/") => {
                let id = p
                    .trim_start_matches("/v10/projects/zrg/promote/")
                    .to_owned();
                let newest = s
                    .deployments
                    .iter()
                    .rev()
                    .find(|d| d.2 == "READY")
                    .map(|d| d.0.clone());
                s.pinned = if newest.as_deref() == Some(id.as_str()) {
                    None
                } else {
                    Some(id)
                };
                ResponseTemplate::new(202)
            }
            ("GET", "/app") => ResponseTemplate::new(307).insert_header("Location", "/login"),
            ("GET", "/v2/user") => ResponseTemplate::new(200).set_body_json(
                json!({"user": {"id": "usr_shared", "username": "ops-bot", "email": "ops@zrg.invalid"}}),
            ),
            _ => ResponseTemplate::new(404).set_body_json(
                json!({"error": {"code": "not_found", "message": format!("{method} {path}")}}),
            ),
        }
    }
}

/// Stdout and stderr of a run, for messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The fake Vercel, seeded with the app's env and one READY build, dpl_0.
pub async fn fake_vercel(db_url: &str) -> (MockServer, Arc<Mutex<State>>) {
    let server = MockServer::start().await;
    let state = Arc::new(Mutex::new(State {
        clock: 1_772_000_000_000,
        base: server.uri(),
        ..State::default()
    }));
    {
        let mut s = state.lock().unwrap();
        for (k, v) in [
            ("DATABASE_URL", db_url),
            ("DIRECT_URL", db_url),
            ("OPENAI_API_KEY", "sk-test-0123456789abcdefghij"),
            ("CRON_SECRET", "0123456789abcdef0123456789abcdef"),
            (
                "WORKSPACE_PROVISIONING_SECRET",
                "fedcba9876543210fedcba9876543210",
            ),
            ("AUTO_SEND_DISABLED", "0"),
            ("AUTO_SEND_REVISION_DISABLED", "0"),
        ] {
            s.env
                .insert(k.to_owned(), (v.to_owned(), 1_771_000_000_000));
            s.history
                .push((k.to_owned(), v.to_owned(), 1_771_000_000_000));
        }
        s.deployments.push((
            "dpl_0".into(),
            1_771_500_000_000,
            "READY".into(),
            0,
            "READY",
        ));
    }
    Mock::given(any())
        .respond_with(FakeVercel(Arc::clone(&state)))
        .mount(&server)
        .await;

    (server, state)
}

/// A production profile as the fault tests use it: a fresh database with the
/// fixtures, the stateful fake Vercel, the profile with its database URL
/// and Vercel token in the keyring, in its own data dir.
pub struct Production {
    pub db: TestDb,
    pub server: MockServer,
    pub state: Arc<Mutex<State>>,
    pub dir: tempfile::TempDir,
    pub name: String,
}

pub async fn production(prefix: &str) -> Production {
    super::require_secret_service();
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    let (server, state) = fake_vercel(&db.url).await;
    let dir = super::temp_dir();
    let name = format!("{prefix}-{}", std::process::id());
    super::add_db_profile(dir.path(), &name, &server.uri(), &db.url);
    let o = panel_env(
        dir.path(),
        &["secrets", "set", "--profile", &name, "vercel-token"],
        "fake-token-1234567",
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    Production {
        db,
        server,
        state,
        dir,
        name,
    }
}

/// A TCP port that accepts connections and never answers (a black-holed
/// database): every connect to it hangs until the client's own deadline.
pub fn black_hole() -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        // Bounded: a few hundred connections at most, then the test is over.
        for conn in listener.incoming().take(500) {
            match conn {
                Ok(c) => open.push(c),
                Err(_) => break,
            }
        }
    });
    (port, held)
}
