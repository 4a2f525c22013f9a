//! The Vercel client against a local fake answering in the documented shapes
//! (contract/vercel.md), traps included: pagination with `until`,
//! `decrypted: false`, `sensitive`, preview-only keys, several records per
//! key, 401, 404, 429 with and without `Retry-After`, 500, a slow answer.

use rollout_panel::adapters::env::vercel::read_env;
use rollout_panel::adapters::env::vercel::{MAX_RETRIES, VercelClient, VercelError};
use rollout_panel::core::secret::Secret;
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "vercel-test-token-123";

fn client(server: &MockServer) -> VercelClient {
    VercelClient::new(&server.uri(), "zrg", Some("team_1"), Secret::new(TOKEN))
        .expect("client")
        .with_backoff(Duration::from_millis(10))
}

fn rec(
    id: &str,
    key: &str,
    value: Option<&str>,
    kind: &str,
    target: &[&str],
    decrypted: bool,
    updated: i64,
) -> serde_json::Value {
    json!({
        "id": id, "key": key, "value": value, "type": kind, "target": target,
        "gitBranch": null, "decrypted": decrypted, "comment": null,
        "createdAt": 1_771_000_000_000i64, "updatedAt": updated,
        "createdBy": "u", "updatedBy": "u", "customEnvironmentIds": []
    })
}

#[tokio::test]
async fn env_is_read_across_pages_with_every_trap_handled() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v10/projects/zrg/env"))
        // The list is never asked decrypted: the values a check needs are
        // read one by one, and reduced to facts at once.
        .and(query_param_is_missing("decrypt"))
        .and(query_param("teamId", "team_1"))
        .and(query_param_is_missing("until"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "envs": [
                rec("e1", "DIRECT_URL", Some("ciphertext=="), "encrypted", &["production"], false, 1_771_600_000_000),
                // Malformed: no id. Skipped and reported, the read stands.
                {"key": "BROKEN", "value": "x", "type": "plain", "target": ["production"]},
                // Not a variable any check judges: never decrypted, never read by id.
                rec("e9", "STRIPE_SECRET_KEY", Some("ciphertext=="), "encrypted", &["production"], false, 1_771_600_000_000),
                rec("e2", "OPENAI_API_KEY", None, "sensitive", &["production", "preview"], false, 1_771_600_000_000),
                rec("e3", "CRON_SECRET", Some("old-secret-value-0000"), "encrypted", &["production"], true, 1_771_500_000_000),
            ],
            "pagination": {"count": 3, "next": 1_771_400_000_000i64, "prev": null}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v10/projects/zrg/env"))
        .and(query_param("until", "1771400000000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "envs": [
                rec("e4", "CRON_SECRET", Some("new-secret-value-1111"), "encrypted", &["production"], true, 1_771_700_000_000),
                rec("e5", "WORKSPACE_PROVISIONING_SECRET", Some("p"), "plain", &["preview", "development"], true, 1_771_600_000_000),
                rec("e6", "AUTO_SEND_REVISION_DISABLED", Some("1"), "plain", &["production"], false, 1_771_600_000_000),
            ],
            "pagination": {"count": 3, "next": null, "prev": 1_771_400_000_000i64}
        })))
        .expect(1)
        .mount(&server)
        .await;
    // A record no check judges is never read by id.
    Mock::given(method("GET"))
        .and(path("/v1/projects/zrg/env/e9"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    // The one record the list did not decrypt, read by id.
    Mock::given(method("GET"))
        .and(path("/v1/projects/zrg/env/e1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rec(
            "e1",
            "DIRECT_URL",
            Some("postgresql://app:pw@db.example.com:5432/zrg"),
            "encrypted",
            &["production"],
            true,
            1_771_600_000_000,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .and(query_param("projectId", "zrg"))
        .and(query_param("target", "production"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployments": [
                // Malformed (no uid): skipped, the others are read.
                {"name": "zrg", "created": 1_771_900_000_000i64, "state": "READY"},
                {"uid": "dpl_new", "name": "zrg", "url": "zrg-new.vercel.app", "created": 1_771_800_000_000i64, "state": "CANCELED", "target": "production"},
                {"uid": "dpl_old", "name": "zrg", "url": "zrg-old.vercel.app", "created": 1_771_700_000_000i64, "readyState": "READY", "target": "production"}
            ],
            "pagination": {"count": 2, "next": null, "prev": null}
        })))
        .mount(&server)
        .await;

    // What serves is the project's production target.
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "prj_1", "name": "zrg",
            "targets": {"production": {"id": "dpl_old", "url": "zrg-old.vercel.app",
                                       "readyState": "READY", "createdAt": 1_771_700_000_000i64}}
        })))
        .mount(&server)
        .await;

    let env = read_env(&client(&server)).await.expect("env");
    // The secrets left the adapter as facts only: no value anywhere in the
    // snapshot (its Debug is what a log or a panic would show).
    let shown = format!("{env:?}");
    for secret in [
        "app:pw",
        "new-secret-value-1111",
        "old-secret-value-0000",
        "ciphertext",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    let direct = &env.configured["DIRECT_URL"];
    assert_eq!(direct.value, None);
    let db = direct
        .facts
        .as_ref()
        .and_then(|f| f.db.clone())
        .expect("facts")
        .expect("a URL");
    assert_eq!(
        (db.host.as_str(), db.port, db.database.as_str()),
        ("db.example.com", 5432, "zrg")
    );
    assert_eq!(direct.unreadable, None);
    assert!(!env.configured.contains_key("BROKEN"));
    assert_eq!(
        env.configured["STRIPE_SECRET_KEY"].unreadable.as_deref(),
        Some("not read: no check needs its value")
    );
    let openai = &env.configured["OPENAI_API_KEY"];
    assert_eq!(
        (openai.value.as_deref(), openai.unreadable.as_deref()),
        (None, Some("sensitive"))
    );
    // Two production records: the newest wins, and the duplicate is reported.
    assert_eq!(
        env.configured["CRON_SECRET"]
            .facts
            .as_ref()
            .map(|f| f.chars),
        Some("new-secret-value-1111".len())
    );
    assert_eq!(env.duplicates.get("CRON_SECRET"), Some(&2));
    // A preview-only key is not production's.
    assert!(!env.configured.contains_key("WORKSPACE_PROVISIONING_SECRET"));
    assert!(
        env.other_targets_only
            .contains("WORKSPACE_PROVISIONING_SECRET")
    );
    assert_eq!(
        env.configured["AUTO_SEND_REVISION_DISABLED"]
            .value
            .as_deref(),
        Some("1")
    );
    // The latest deployment was CANCELED; the serving one is the newest READY.
    assert_eq!(env.latest.as_ref().map(|d| d.id.as_str()), Some("dpl_new"));
    assert_eq!(env.serving.as_ref().map(|d| d.id.as_str()), Some("dpl_old"));
    assert_eq!(env.serving_url.as_deref(), Some("zrg-old.vercel.app"));
    assert!(!env.is_pinned());
}

async fn one_answer(template: ResponseTemplate) -> (MockServer, Result<(), VercelError>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(template)
        .mount(&server)
        .await;
    let r = client(&server).project().await.map(|_| ());
    (server, r)
}

#[tokio::test]
async fn errors_say_what_happened_and_never_show_the_token() {
    let (_s, r) = one_answer(ResponseTemplate::new(401).set_body_json(
        json!({"error": {"code": "unauthorized", "message": "The token is invalid"}}),
    ))
    .await;
    let e = r.unwrap_err();
    assert!(
        matches!(e, VercelError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("The token is invalid"), "{e}");

    let (_s, r) = one_answer(
        ResponseTemplate::new(404)
            .set_body_json(json!({"error": {"code": "not_found", "message": "Project not found"}})),
    )
    .await;
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("no project \"zrg\" for this token in team team_1"),
        "{e}"
    );

    let (_s, r) = one_answer(ResponseTemplate::new(500).set_body_string("upstream exploded")).await;
    let e = r.unwrap_err();
    assert_eq!(
        e,
        VercelError::Http {
            status: 500,
            message: "upstream exploded".into()
        }
    );
    assert!(!e.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_429_is_retried_honouring_retry_after_then_given_up_after_a_bound() {
    // One 429 with Retry-After, then success.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "prj_1", "name": "zrg"})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let p = client(&server).project().await.expect("retried");
    assert_eq!(p.id, "prj_1");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        2
    );

    // Always 429 without headers: exponential backoff, then a clear error.
    let (server, r) = one_answer(ResponseTemplate::new(429)).await;
    let e = r.unwrap_err();
    assert!(matches!(e, VercelError::RateLimited { .. }), "{e:?}");
    assert!(e.to_string().contains("HTTP 429"), "{e}");
    let calls = server.received_requests().await.unwrap_or_default().len();
    assert_eq!(calls as u32, MAX_RETRIES + 1);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "prj_1", "name": "zrg"}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let c = client(&server)
        .with_timeout(Duration::from_millis(300))
        .expect("client");
    let e = c.project().await.unwrap_err();
    assert!(e.to_string().contains("timed out"), "{e}");
}

#[tokio::test]
async fn env_writes_check_the_failed_list_of_a_201() {
    use wiremock::matchers::body_json;
    let server = MockServer::start().await;
    let body = json!([{"key": "AUTO_SEND_REVISION_DISABLED", "value": "1", "type": "plain",
                       "target": ["production"], "comment": "set by rollout-panel"}]);
    Mock::given(method("POST"))
        .and(path("/v10/projects/zrg/env"))
        .and(query_param("upsert", "true"))
        .and(query_param("teamId", "team_1"))
        .and(body_json(&body))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"created": body[0], "failed": []})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    // The same call again answers 201 with a per-item failure.
    Mock::given(method("POST"))
        .and(path("/v10/projects/zrg/env"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "created": [],
            "failed": [{"error": {"code": "ENV_CONFLICT", "message": "A variable with the name already exists", "key": "AUTO_SEND_REVISION_DISABLED"}}]
        })))
        .with_priority(2)
        .mount(&server)
        .await;
    let c = client(&server);
    c.upsert_env("AUTO_SEND_REVISION_DISABLED", "1")
        .await
        .expect("written");
    let e = c
        .upsert_env("AUTO_SEND_REVISION_DISABLED", "1")
        .await
        .unwrap_err();
    assert!(matches!(e, VercelError::WriteFailed { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("did not write AUTO_SEND_REVISION_DISABLED"),
        "{e}"
    );
    assert!(e.to_string().contains("ENV_CONFLICT"), "{e}");
}

#[tokio::test]
async fn a_redeploy_is_requested_like_the_cli_and_its_state_read_back() {
    use rollout_panel::core::env::ReadyState;
    use wiremock::matchers::body_json;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v13/deployments"))
        .and(query_param("forceNew", "1"))
        .and(body_json(json!({"name": "zrg", "deploymentId": "dpl_old", "target": "production",
                              "meta": {"action": "redeploy"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "dpl_new", "url": "zrg-new.vercel.app", "readyState": "QUEUED", "createdAt": 1_771_900_000_000i64
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v13/deployments/dpl_new"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "dpl_new", "readyState": "BUILDING"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v13/deployments/dpl_new"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "dpl_new", "readyState": "CANCELED"})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let d = c.redeploy("dpl_old", "zrg").await.expect("redeploy");
    assert_eq!(
        (d.id.as_str(), d.ready()),
        ("dpl_new", Some(ReadyState::Queued))
    );
    assert_eq!(
        c.deployment("dpl_new").await.expect("poll").ready(),
        Some(ReadyState::Building)
    );
    let last = c.deployment("dpl_new").await.expect("poll").ready();
    assert_eq!(last, Some(ReadyState::Canceled));
    assert!(last.is_some_and(ReadyState::is_final));
}

#[tokio::test]
async fn promote_points_production_at_a_build_and_a_refusal_is_an_error() {
    use rollout_panel::adapters::env::{EnvError, EnvSource};
    let server = MockServer::start().await;
    // 202 without a body, as Vercel answers a promote.
    Mock::given(method("POST"))
        .and(path("/v10/projects/zrg/promote/dpl_old"))
        .and(query_param("teamId", "team_1"))
        .respond_with(ResponseTemplate::new(202))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v10/projects/zrg/promote/dpl_gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error": {"code": "not_found", "message": "Deployment not found"}}),
        ))
        .mount(&server)
        .await;
    let c = client(&server);
    c.promote("dpl_old").await.expect("promoted");
    let now = rollout_panel::core::time::naive(chrono::Utc::now());
    EnvSource::promote(&c, "dpl_old", now)
        .await
        .expect("promoted through the env source");
    let e = EnvSource::promote(&c, "dpl_gone", now)
        .await
        .expect_err("refused");
    assert!(
        matches!(e, EnvError::Vercel(VercelError::NotFound { .. })),
        "{e:?}"
    );
    assert!(!format!("{e} {e:?}").contains(TOKEN));
}

#[tokio::test]
async fn after_an_instant_rollback_the_pinned_build_is_what_serves() {
    use rollout_panel::core::env::{AUTO_SEND_REVISION_DISABLED, Live};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v10/projects/zrg/env"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "envs": [rec("e1", "AUTO_SEND_REVISION_DISABLED", Some("1"), "plain", &["production"], true, 1_771_750_000_000)],
            "pagination": {"count": 1, "next": null, "prev": null}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployments": [
                {"uid": "dpl_flip", "name": "zrg", "url": "zrg-flip.vercel.app", "created": 1_771_800_000_000i64, "state": "READY"},
                {"uid": "dpl_old", "name": "zrg", "url": "zrg-old.vercel.app", "created": 1_771_700_000_000i64, "state": "READY"}
            ],
            "pagination": {"count": 2, "next": null, "prev": null}
        })))
        .mount(&server)
        .await;
    // Someone rolled production back to the build made before the flip.
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "prj_1", "name": "zrg",
            "targets": {"production": {"id": "dpl_old", "url": "zrg-old.vercel.app",
                                       "readyState": "READY", "createdAt": 1_771_700_000_000i64}}
        })))
        .mount(&server)
        .await;
    let env = read_env(&client(&server)).await.expect("env");
    assert_eq!(env.serving.as_ref().map(|d| d.id.as_str()), Some("dpl_old"));
    assert_eq!(
        env.pinned_past.as_ref().map(|d| d.id.as_str()),
        Some("dpl_flip")
    );
    assert!(env.is_pinned());
    // Configured "1", but the pinned build was made before: not "live ON".
    let flag = env.flag(AUTO_SEND_REVISION_DISABLED);
    assert!(flag.configured_on);
    assert_eq!(flag.live, Live::Unknown);
}

/// A Vercel stand-in whose redeploy POST is accepted but answered too late
/// for the client: the build exists, the answer never arrives in time.
#[derive(Clone, Default)]
struct SlowRedeploy(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl wiremock::Respond for SlowRedeploy {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let marker = body["meta"]["rolloutPanelRequest"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut builds = self.0.lock().unwrap();
        builds.push(marker);
        let id = format!("dpl_new{}", builds.len());
        ResponseTemplate::new(200)
            .set_body_json(json!({"id": id, "readyState": "QUEUED"}))
            .set_delay(Duration::from_secs(3))
    }
}

#[derive(Clone, Default)]
struct Deployments(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl wiremock::Respond for Deployments {
    fn respond(&self, _req: &wiremock::Request) -> ResponseTemplate {
        let mut list = vec![
            json!({"uid": "dpl_0", "name": "zrg", "url": "zrg-0.vercel.app",
                                   "created": 1_771_700_000_000i64, "state": "READY"}),
        ];
        for (i, marker) in self.0.lock().unwrap().iter().enumerate() {
            list.insert(
                0,
                json!({"uid": format!("dpl_new{}", i + 1), "name": "zrg",
                "created": 1_771_800_000_000i64, "state": "QUEUED",
                "meta": {"action": "redeploy", "rolloutPanelRequest": marker}}),
            );
        }
        ResponseTemplate::new(200)
            .set_body_json(json!({"deployments": list, "pagination": {"count": 1, "next": null}}))
    }
}

#[tokio::test]
async fn a_redeploy_whose_answer_is_lost_is_looked_up_not_started_twice() {
    use rollout_panel::adapters::env::EnvSource;
    let server = MockServer::start().await;
    let builds = SlowRedeploy::default();
    Mock::given(method("GET"))
        .and(path("/v10/projects/zrg/env"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"envs": [], "pagination": {"count": 0, "next": null, "prev": null}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "prj_1", "name": "zrg",
            "targets": {"production": {"id": "dpl_0", "readyState": "READY", "createdAt": 1_771_700_000_000i64}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .respond_with(Deployments(std::sync::Arc::clone(&builds.0)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v13/deployments"))
        .respond_with(builds.clone())
        .mount(&server)
        .await;
    let c = client(&server)
        .with_timeout(Duration::from_millis(500))
        .expect("client");
    let now = rollout_panel::core::time::naive(chrono::Utc::now());
    let id = EnvSource::redeploy(&c, now).await.expect("followed");
    assert_eq!(id, "dpl_new1", "the accepted build is followed");
    assert_eq!(builds.0.lock().unwrap().len(), 1, "one lever, one build");
}

/// One env record (the revision kill switch, changed at `updated`) and a
/// production deployment list.
async fn mount_env_and_deployments(server: &MockServer, updated: i64) {
    Mock::given(method("GET"))
        .and(path("/v10/projects/zrg/env"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "envs": [rec("e6", "AUTO_SEND_REVISION_DISABLED", Some("1"), "plain", &["production"], true, updated)],
            "pagination": {"count": 1, "next": null, "prev": null}
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployments": [
                {"uid": "dpl_new", "name": "zrg", "url": "zrg-new.vercel.app", "created": 1_771_900_000_000i64, "state": "READY", "target": "production"}
            ],
            "pagination": {"count": 1, "next": null, "prev": null}
        })))
        .mount(server)
        .await;
}

/// `GET /v9/projects/zrg` naming `production` (id, created ms) as what serves.
async fn mount_project(server: &MockServer, production: &str, created: i64) {
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "prj_1", "name": "zrg",
            "targets": {"production": {"id": production, "readyState": "READY", "createdAt": created}}
        })))
        .mount(server)
        .await;
}

/// `GET /v1/projects/zrg/rolling-release` answering `status` with `body`.
async fn mount_rolling(server: &MockServer, status: u16, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/v1/projects/zrg/rolling-release"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_project_that_does_not_decode_fails_only_the_deployments_not_the_env() {
    let server = MockServer::start().await;
    mount_env_and_deployments(&server, 1_771_800_000_000).await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 7, "targets": "nope"})))
        .mount(&server)
        .await;
    let env = read_env(&client(&server))
        .await
        .expect("the env read stands");
    assert!(env.configured.contains_key("AUTO_SEND_REVISION_DISABLED"));
    let e = env
        .deployments_error
        .clone()
        .expect("the deployments' own error");
    assert!(e.contains("expected shape"), "{e}");
    assert!(env.serving_read().is_err(), "not \"nothing serves\"");
    assert_eq!(
        env.flag("AUTO_SEND_REVISION_DISABLED").live,
        rollout_panel::core::env::Live::Unknown
    );
}

#[tokio::test]
async fn an_active_rolling_release_serves_two_deployments_and_the_switch_is_live_on_its_share() {
    use rollout_panel::core::env::Live;
    let server = MockServer::start().await;
    // The switch changed after dpl_old was built and before dpl_new.
    mount_env_and_deployments(&server, 1_771_800_000_000).await;
    mount_project(&server, "dpl_old", 1_771_700_000_000).await;
    mount_rolling(
        &server,
        200,
        json!({
            "rollingRelease": {
                "state": "ACTIVE",
                "currentDeployment": {"id": "dpl_old", "url": "zrg-old.vercel.app"},
                "canaryDeployment": "dpl_new",
                "activeStage": {"index": 0, "targetPercentage": 10, "requireApproval": true},
                "stages": [{"targetPercentage": 10}, {"targetPercentage": 100}]
            }
        }),
    )
    .await;
    // dpl_old is not in the production list (older than its page): asked by id.
    Mock::given(method("GET"))
        .and(path("/v13/deployments/dpl_old"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "dpl_old", "url": "zrg-old.vercel.app", "readyState": "READY", "createdAt": 1_771_700_000_000i64
        })))
        .mount(&server)
        .await;
    let env = read_env(&client(&server)).await.expect("env");
    let r = env.rolling.clone().expect("the rolling release");
    assert_eq!(
        (r.current.id.as_str(), r.canary.id.as_str(), r.canary_share),
        ("dpl_old", "dpl_new", Some(10))
    );
    assert_eq!(
        env.pinned_past, None,
        "two deployments serving on purpose is not a pin"
    );
    let f = env.flag("AUTO_SEND_REVISION_DISABLED");
    assert!(f.configured_on);
    assert_eq!(
        f.live,
        Live::Partial { share: Some(10) },
        "configured ON · live on 10 %"
    );
    assert_eq!(
        env.serving_ids().unwrap(),
        vec!["dpl_old".to_owned(), "dpl_new".to_owned()]
    );

    // Completed: the canary serves everything; the switch is live.
    server.reset().await;
    mount_env_and_deployments(&server, 1_771_800_000_000).await;
    mount_project(&server, "dpl_new", 1_771_900_000_000).await;
    mount_rolling(&server, 200, json!({"rollingRelease": null})).await;
    let env = read_env(&client(&server)).await.expect("env");
    assert_eq!(env.rolling, None);
    assert_eq!(
        env.flag("AUTO_SEND_REVISION_DISABLED").live,
        Live::Known(true)
    );

    // The release cannot be read (a 500 after the retries): unknown, the rest stands.
    server.reset().await;
    mount_env_and_deployments(&server, 1_771_800_000_000).await;
    mount_project(&server, "dpl_new", 1_771_900_000_000).await;
    mount_rolling(
        &server,
        500,
        json!({"error": {"code": "x", "message": "boom"}}),
    )
    .await;
    let env = read_env(&client(&server)).await.expect("env");
    assert!(
        env.rolling_error
            .as_deref()
            .is_some_and(|e| e.contains("500")),
        "{:?}",
        env.rolling_error
    );
    assert!(env.serving.is_some());
    assert_eq!(env.flag("AUTO_SEND_REVISION_DISABLED").live, Live::Unknown);
}
