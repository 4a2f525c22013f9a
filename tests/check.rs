//! `rollout-panel check` end to end: a real PostgreSQL, the real Secret
//! Service (run through scripts/with-keyring.sh), and a fake Vercel in the
//! documented shapes. Also the schema items on every fixture variant.

mod common;

use common::{DATA_BASE, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb};
use rollout_panel::adapters::store::{PgStore, Store};
use rollout_panel::core::env::EnvSnapshot;
use rollout_panel::core::readiness::{CheckStatus, Facts, JudgeStage, evaluate};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DB_PASSWORD: &str = "check-Canary-Pw-4411";
const TOKEN: &str = "checkCanaryToken77aa";

fn panel(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    common::panel_env(data_dir, args, stdin, &[])
}

fn ms(text: &str) -> i64 {
    common::ts(text).and_utc().timestamp_millis()
}

fn rec(
    id: &str,
    key: &str,
    value: Option<&str>,
    kind: &str,
    target: &[&str],
    decrypted: bool,
) -> Value {
    json!({"id": id, "key": key, "value": value, "type": kind, "target": target, "gitBranch": null,
           "decrypted": decrypted, "updatedAt": ms("2026-02-21 08:00:00"), "createdAt": ms("2026-02-01 00:00:00")})
}

/// The fake Vercel of a production that is ready before the canary, with a
/// few traps: a value only readable by id, a sensitive key, a preview-only key.
async fn fake_vercel(direct_url: &str, pooled_url: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v10/projects/zrg-dashboard/env"))
        .and(query_param_is_missing("until"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "envs": [
                rec("e1", "DATABASE_URL", Some(pooled_url), "encrypted", &["production"], true),
                rec("e2", "DIRECT_URL", Some("v1:ciphertext"), "encrypted", &["production"], false),
                rec("e3", "OPENAI_API_KEY", None, "sensitive", &["production"], false),
            ],
            "pagination": {"count": 3, "next": 1_771_000_000_000i64, "prev": null}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v10/projects/zrg-dashboard/env"))
        .and(query_param("until", "1771000000000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "envs": [
                rec("e4", "CRON_SECRET", Some("cron-secret-of-32-characters-xx"), "encrypted", &["production"], true),
                rec("e5", "WORKSPACE_PROVISIONING_SECRET", Some("x"), "encrypted", &["preview"], true),
                rec("e6", "AUTO_SEND_DISABLED", Some("0"), "plain", &["production"], true),
                rec("e7", "AUTO_SEND_REVISION_DISABLED", Some("1"), "plain", &["production"], true),
            ],
            "pagination": {"count": 4, "next": null, "prev": null}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/projects/zrg-dashboard/env/e2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(rec(
            "e2",
            "DIRECT_URL",
            Some(direct_url),
            "encrypted",
            &["production"],
            true,
        )))
        .mount(&server)
        .await;
    let app_url = format!("{}/app", server.uri());
    Mock::given(method("GET"))
        .and(path("/v6/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployments": [{"uid": "dpl_live", "name": "zrg-dashboard", "url": app_url,
                             "created": ms("2026-02-21 09:00:00"), "state": "READY", "target": "production"}],
            "pagination": {"count": 1, "next": null, "prev": null}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v9/projects/zrg-dashboard"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "prj_1", "name": "zrg-dashboard",
            "targets": {"production": {"id": "dpl_live", "url": app_url.clone(),
                                       "readyState": "READY", "createdAt": ms("2026-02-21 09:00:00")}}
        })))
        .mount(&server)
        .await;
    // The app redirects to its login page: that counts as up.
    Mock::given(method("GET"))
        .and(path("/app"))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", "/login"))
        .mount(&server)
        .await;
    server
}

fn statuses(report: &Value) -> std::collections::BTreeMap<String, String> {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap_or_default().to_owned(),
                i["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_json_against_postgres_and_a_fake_vercel() {
    common::require_secret_service();
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    // Two drafts evaluated after the live deployment (09:00), both recorded.
    let pool = db.pool().await;
    sqlx::raw_sql(
        r#"UPDATE "AIDraft" SET "autoSendEvaluatedAt" = '2026-02-21 09:30:00', "autoSendConfidence" = 0.8
           WHERE "id" IN ('d1', 'd2')"#,
    )
    .execute(&pool)
    .await
    .expect("fixture");
    pool.close().await;
    let mut url = url::Url::parse(&db.url).expect("url");
    url.set_password(Some(DB_PASSWORD)).expect("password");
    let direct = url.to_string();
    let mut pooled = url.clone();
    pooled.set_query(Some("pgbouncer=true"));
    let vercel = fake_vercel(&direct, pooled.as_str()).await;

    let dir = common::temp_dir();
    let d = dir.path();
    let name = format!("check-{}", std::process::id());
    let api = vercel.uri();
    let ok = |o: &Output| assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&panel(
        d,
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
    ok(&panel(
        d,
        &["secrets", "set", "--profile", &name, "database-url"],
        &direct,
    ));
    ok(&panel(
        d,
        &["secrets", "set", "--profile", &name, "pooled-database-url"],
        &direct,
    ));
    ok(&panel(
        d,
        &["secrets", "set", "--profile", &name, "vercel-token"],
        TOKEN,
    ));

    let o = panel(d, &["check", "--profile", &name, "--json"], "");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(report["profile"], name.as_str());
    assert!(
        chrono::DateTime::parse_from_rfc3339(report["checked_at"].as_str().unwrap_or_default())
            .is_ok(),
        "{}",
        report["checked_at"]
    );
    assert_eq!(report["stage"], "pre-canary");
    let got = statuses(&report);
    let want: Vec<(&str, &str)> = vec![
        ("env.DATABASE_URL", "pass"),
        ("env.DIRECT_URL", "pass"),
        ("env.same_database", "pass"),
        ("env.monitored_database", "pass"),
        ("env.OPENAI_API_KEY", "pass"),
        ("env.CRON_SECRET", "pass"),
        ("env.WORKSPACE_PROVISIONING_SECRET", "warn"),
        ("env.AUTO_SEND_DISABLED", "pass"),
        ("env.AUTO_SEND_REVISION_DISABLED", "pass"),
        ("deploy.latest", "pass"),
        ("deploy.live.AUTO_SEND_REVISION_DISABLED", "pass"),
        ("deploy.live.AUTO_SEND_DISABLED", "pass"),
        ("db.connect", "pass"),
        ("db.tls", "pass"),
        ("db.pooled", "pass"),
        ("schema.variant", "pass"),
        ("schema.columns", "pass"),
        ("schema.index", "pass"),
        ("schema.backfill", "warn"),
        ("smoke.url", "pass"),
        ("smoke.decisions_recorded", "pass"),
        ("smoke.no_attempts_while_disabled", "pass"),
        ("smoke.workspaces_enabled", "warn"),
    ];
    let want: std::collections::BTreeMap<String, String> = want
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    assert_eq!(got, want, "{report:#}");
    assert_eq!(o.status.code(), Some(1), "warnings only → 1");
    let wps = report["items"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|i| i["id"] == "env.WORKSPACE_PROVISIONING_SECRET")
        })
        .map(|i| i["finding"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    assert!(
        wps.contains("only for preview") && wps.contains("falls back to CRON_SECRET"),
        "{wps}"
    );

    // Judged as the canary: the kill switch at "1" is a failure → 2.
    let o = panel(
        d,
        &["check", "--profile", &name, "--json", "--stage", "canary"],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(statuses(&report)["env.AUTO_SEND_REVISION_DISABLED"], "fail");

    // The text form, and no secret anywhere in what was printed.
    let o = panel(d, &["check", "--profile", &name], "");
    let all = format!(
        "{text}{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        all.contains("WARN    env.WORKSPACE_PROVISIONING_SECRET"),
        "{all}"
    );
    for secret in [DB_PASSWORD, TOKEN, "cron-secret-of-32"] {
        assert!(!all.contains(secret), "{secret} leaked");
    }

    // Without a token the env items are unknown, and the check exits 2.
    ok(&panel(
        d,
        &["secrets", "delete", "--profile", &name, "vercel-token"],
        "",
    ));
    let o = panel(d, &["check", "--profile", &name, "--json"], "");
    assert_eq!(o.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(statuses(&report)["env.DIRECT_URL"], "unknown");
    assert_eq!(statuses(&report)["db.connect"], "pass");
    // An unknown profile cannot be checked at all: 2, with the known ones.
    let o = panel(d, &["check", "--profile", "nope"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&name));
    ok(&panel(d, &["profile", "remove", &name], ""));
}

/// The schema items of a fixture, read through the real store.
async fn schema_items(scripts: &[&'static str], drop_index: bool) -> Vec<(String, CheckStatus)> {
    let db = TestDb::create().await;
    db.apply(scripts).await;
    if drop_index {
        let pool = db.pool().await;
        sqlx::raw_sql(r#"DROP INDEX "AIDraft_autoSendRevisionAttemptedAt_idx""#)
            .execute(&pool)
            .await
            .expect("drop index");
        pool.close().await;
    }
    let store = PgStore::connect(&db.url).await.expect("connect");
    let drafts = store
        .draft_facts(
            common::ts("2026-02-21 00:00:00"),
            common::ts("2026-02-21 00:00:00"),
        )
        .await
        .map_err(|e| e.to_string());
    let facts = Facts {
        env: Ok(EnvSnapshot::default()),
        profile: "production".into(),
        demo: false,
        monitored: None,
        db: Err("not part of this test".into()),
        pooled: None,
        schema: Ok(store.schema().clone()),
        drafts,
        grace: rollout_panel::core::alarms::DEFAULT_GRACE,
        url_check: None,
    };
    evaluate(&facts, JudgeStage::PreCanary)
        .into_iter()
        .filter(|i| i.id.starts_with("schema."))
        .map(|i| (i.id, i.status))
        .collect()
}

#[tokio::test]
async fn schema_items_on_every_fixture_variant() {
    use CheckStatus::*;
    let s = |v: &[(&str, CheckStatus)]| -> Vec<(String, CheckStatus)> {
        v.iter().map(|(a, b)| ((*a).to_owned(), *b)).collect()
    };
    assert_eq!(
        schema_items(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS], false).await,
        s(&[
            ("schema.variant", Pass),
            ("schema.columns", Pass),
            ("schema.index", Pass),
            ("schema.backfill", Warn)
        ])
    );
    assert_eq!(
        schema_items(&[PG_V0, PG_V1, DATA_BASE], false).await,
        s(&[
            ("schema.variant", Warn),
            ("schema.columns", Pass),
            ("schema.index", Pass),
            ("schema.backfill", Pass)
        ])
    );
    assert_eq!(
        schema_items(&[PG_V0, DATA_BASE], false).await,
        s(&[
            ("schema.variant", Fail),
            ("schema.columns", Fail),
            ("schema.index", Unknown),
            ("schema.backfill", Unknown)
        ])
    );
    assert_eq!(
        schema_items(&[PG_V0, PG_V1, PG_V2, DATA_BASE], true).await,
        s(&[
            ("schema.variant", Pass),
            ("schema.columns", Pass),
            ("schema.index", Warn),
            ("schema.backfill", Pass)
        ])
    );
}
