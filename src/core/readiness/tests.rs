//! Table-driven tests of the readiness rules: every item, every status.

use super::*;
use crate::core::env::{Deployment, EnvVar};
use crate::core::schema::{ColumnType, TypeMismatch};
use chrono::NaiveDate;
use std::collections::BTreeMap;

fn at(h: u32) -> UtcNaive {
    NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

/// A variable as a source reads it (a secret reduced to its facts).
fn var(key: &str, v: &str) -> EnvVar {
    EnvVar::read(key, Some(v.to_owned()), at(1))
}

fn dep(id: &str, h: u32, state: ReadyState) -> Deployment {
    Deployment {
        id: id.to_owned(),
        created_at: at(h),
        state,
        env: None,
    }
}

const DIRECT: &str = "postgresql://app:pw@db.example.com:5432/zrg?sslmode=require";

/// A production that is ready before the canary: every item passes.
fn good() -> Facts {
    let mut configured = BTreeMap::new();
    for (k, v) in [
        (
            "DATABASE_URL",
            "postgresql://app:pw@db.example.com:6543/zrg?pgbouncer=true",
        ),
        ("DIRECT_URL", DIRECT),
        ("OPENAI_API_KEY", "sk-proj-abcdefghijklmnopqrstuvwxyz"),
        ("CRON_SECRET", "0123456789abcdef0123456789abcdef"),
        (
            "WORKSPACE_PROVISIONING_SECRET",
            "fedcba9876543210fedcba9876543210",
        ),
        ("AUTO_SEND_DISABLED", "0"),
        ("AUTO_SEND_REVISION_DISABLED", "1"),
    ] {
        configured.insert(k.to_owned(), var(k, v));
    }
    let d = dep("dpl_2", 2, ReadyState::Ready);
    Facts {
        env: Ok(EnvSnapshot {
            configured,
            serving: Some(d.clone()),
            latest: Some(d),
            ..EnvSnapshot::default()
        }),
        profile: "production".into(),
        demo: false,
        monitored: Some(DbTarget::parse(DIRECT).unwrap()),
        db: Ok(DbFacts {
            server_version: "PostgreSQL 15.18".into(),
            latency_ms: 3,
            tls: Some(true),
            local: false,
            sslmode: Some("verify-full".into()),
        }),
        pooled: Some(Ok("reachable".into())),
        schema: Ok(SchemaReport {
            variant: SchemaVariant::V2Plus,
            missing: vec![],
            type_mismatches: vec![],
            revision_index: true,
            ai_interaction: true,
            pipeline_artifacts: true,
        }),
        drafts: Ok(DraftFacts {
            applied_without_attempt: 0,
            evaluated_since_live: 10,
            recorded_since_live: 10,
            attempts_since_live: 0,
            enabled_workspaces: 0,
            ..DraftFacts::default()
        }),
        grace: crate::core::alarms::DEFAULT_GRACE,
        url_check: Some(Ok(307)),
    }
}

fn status_of(facts: &Facts, stage: JudgeStage, id: &str) -> (CheckStatus, String) {
    let items = evaluate(facts, stage);
    let i = items
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("no item {id}"));
    (i.status, i.finding.clone())
}

fn env_mut(f: &mut Facts) -> &mut EnvSnapshot {
    f.env.as_mut().unwrap()
}

fn set(f: &mut Facts, key: &str, v: Option<&str>) {
    match v {
        Some(v) => {
            env_mut(f).configured.insert(key.to_owned(), var(key, v));
        }
        None => {
            env_mut(f).configured.remove(key);
        }
    }
}

fn unreadable(f: &mut Facts, key: &str) {
    let e = env_mut(f).configured.get_mut(key).unwrap();
    e.value = None;
    e.unreadable = Some("sensitive".into());
}

#[test]
fn a_ready_production_passes_every_item_with_stable_ids() {
    let items = evaluate(&good(), JudgeStage::PreCanary);
    let bad: Vec<_> = items
        .iter()
        .filter(|i| i.status != CheckStatus::Pass)
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "env.DATABASE_URL",
            "env.DIRECT_URL",
            "env.same_database",
            "env.monitored_database",
            "env.OPENAI_API_KEY",
            "env.CRON_SECRET",
            "env.WORKSPACE_PROVISIONING_SECRET",
            "env.AUTO_SEND_DISABLED",
            "env.AUTO_SEND_REVISION_DISABLED",
            "deploy.latest",
            "deploy.live.AUTO_SEND_REVISION_DISABLED",
            "deploy.live.AUTO_SEND_DISABLED",
            "db.connect",
            "db.tls",
            "db.pooled",
            "schema.variant",
            "schema.columns",
            "schema.index",
            "schema.backfill",
            "smoke.url",
            "smoke.decisions_recorded",
            "smoke.no_attempts_while_disabled",
            "smoke.workspaces_enabled",
        ]
    );
    assert_eq!(exit_status(&items), 0);
    // No secret value ever appears in a finding or a fix.
    for i in &items {
        for secret in ["pw@", "sk-proj-abc", "0123456789abcdef", "fedcba98"] {
            assert!(
                !i.finding.contains(secret) && !i.fix.contains(secret),
                "{i:?}"
            );
        }
    }
}

type Change = fn(&mut Facts);

#[test]
fn every_item_reaches_its_other_statuses() {
    use CheckStatus::*;
    let cases: Vec<(&str, Change, &str, CheckStatus, &str)> = vec![
        (
            "missing DATABASE_URL",
            |f| set(f, "DATABASE_URL", None),
            "env.DATABASE_URL",
            Fail,
            "not set",
        ),
        (
            "preview-only DIRECT_URL",
            |f| {
                set(f, "DIRECT_URL", None);
                env_mut(f).other_targets_only.insert("DIRECT_URL".into());
            },
            "env.DIRECT_URL",
            Fail,
            "only for preview",
        ),
        (
            "unparsable DATABASE_URL",
            |f| set(f, "DATABASE_URL", Some("not a url")),
            "env.DATABASE_URL",
            Fail,
            "does not parse",
        ),
        (
            "DIRECT_URL via pooler",
            |f| {
                set(
                    f,
                    "DIRECT_URL",
                    Some("postgresql://a:b@db.example.com:6543/zrg"),
                )
            },
            "env.DIRECT_URL",
            Fail,
            "pooler",
        ),
        (
            "sensitive DIRECT_URL",
            |f| unreadable(f, "DIRECT_URL"),
            "env.DIRECT_URL",
            Unknown,
            "cannot be read",
        ),
        (
            "two DIRECT_URL records",
            |f| {
                env_mut(f).duplicates.insert("DIRECT_URL".into(), 2);
            },
            "env.DIRECT_URL",
            Warn,
            "2 production records",
        ),
        (
            "pooler on its own host",
            |f| {
                set(
                    f,
                    "DATABASE_URL",
                    Some("postgresql://a:b@pooler.example.com:6543/zrg"),
                )
            },
            "env.same_database",
            Warn,
            "different hosts",
        ),
        (
            "different databases",
            |f| {
                set(
                    f,
                    "DATABASE_URL",
                    Some("postgresql://a:b@db.example.com:6543/other"),
                )
            },
            "env.same_database",
            Fail,
            "points at",
        ),
        (
            "unreadable DIRECT_URL for comparison",
            |f| unreadable(f, "DIRECT_URL"),
            "env.same_database",
            Unknown,
            "needs both",
        ),
        (
            "panel watches another database",
            |f| f.monitored = Some(DbTarget::parse("postgres://x@other.example.com/zrg").unwrap()),
            "env.monitored_database",
            Fail,
            "the panel monitors other.example.com/zrg",
        ),
        (
            "panel database unknown",
            |f| f.monitored = None,
            "env.monitored_database",
            Unknown,
            "not known",
        ),
        (
            "demo has nothing to compare",
            |f| f.demo = true,
            "env.monitored_database",
            Unknown,
            "demo",
        ),
        (
            "missing OpenAI key",
            |f| set(f, "OPENAI_API_KEY", None),
            "env.OPENAI_API_KEY",
            Fail,
            "hard-blocks every draft",
        ),
        (
            "odd OpenAI key",
            |f| set(f, "OPENAI_API_KEY", Some("abc")),
            "env.OPENAI_API_KEY",
            Warn,
            "not shaped",
        ),
        (
            "sensitive OpenAI key",
            |f| unreadable(f, "OPENAI_API_KEY"),
            "env.OPENAI_API_KEY",
            Pass,
            "cannot be read",
        ),
        (
            "missing cron secret",
            |f| set(f, "CRON_SECRET", None),
            "env.CRON_SECRET",
            Fail,
            "unauthorized",
        ),
        (
            "short cron secret",
            |f| set(f, "CRON_SECRET", Some("abc")),
            "env.CRON_SECRET",
            Warn,
            "3 characters",
        ),
        (
            "provisioning falls back to cron",
            |f| set(f, "WORKSPACE_PROVISIONING_SECRET", None),
            "env.WORKSPACE_PROVISIONING_SECRET",
            Warn,
            "falls back to CRON_SECRET",
        ),
        (
            "provisioning falls back to admin",
            |f| {
                set(f, "WORKSPACE_PROVISIONING_SECRET", None);
                set(f, "ADMIN_ACTIONS_SECRET", Some("x"));
            },
            "env.WORKSPACE_PROVISIONING_SECRET",
            Warn,
            "ADMIN_ACTIONS_SECRET",
        ),
        (
            "provisioning empty",
            |f| set(f, "WORKSPACE_PROVISIONING_SECRET", Some("")),
            "env.WORKSPACE_PROVISIONING_SECRET",
            Fail,
            "Server misconfigured",
        ),
        (
            "all auto-send off",
            |f| set(f, "AUTO_SEND_DISABLED", Some("1")),
            "env.AUTO_SEND_DISABLED",
            Warn,
            "ALL AUTO-SEND IS OFF",
        ),
        (
            "\"true\" is not on",
            |f| set(f, "AUTO_SEND_DISABLED", Some("true")),
            "env.AUTO_SEND_DISABLED",
            Warn,
            "does NOT disable",
        ),
        (
            "unset is enabled",
            |f| set(f, "AUTO_SEND_DISABLED", None),
            "env.AUTO_SEND_DISABLED",
            Pass,
            "unset",
        ),
        (
            "sensitive switch",
            |f| unreadable(f, "AUTO_SEND_DISABLED"),
            "env.AUTO_SEND_DISABLED",
            Unknown,
            "unreadable",
        ),
        (
            "latest canceled",
            |f| env_mut(f).latest = Some(dep("dpl_3", 3, ReadyState::Canceled)),
            "deploy.latest",
            Fail,
            "ended CANCELED",
        ),
        (
            "latest building",
            |f| env_mut(f).latest = Some(dep("dpl_3", 3, ReadyState::Building)),
            "deploy.latest",
            Warn,
            "in progress",
        ),
        (
            "no deployment",
            |f| {
                env_mut(f).latest = None;
                env_mut(f).serving = None;
            },
            "deploy.latest",
            Fail,
            "no production deployment",
        ),
        (
            "flip not live",
            |f| {
                set(f, "AUTO_SEND_REVISION_DISABLED", Some("0"));
                env_mut(f)
                    .configured
                    .get_mut("AUTO_SEND_REVISION_DISABLED")
                    .unwrap()
                    .updated_at = at(5);
            },
            "deploy.live.AUTO_SEND_REVISION_DISABLED",
            Warn,
            "redeploy to apply",
        ),
        (
            "nothing serving",
            |f| env_mut(f).serving = None,
            "deploy.live.AUTO_SEND_DISABLED",
            Unknown,
            "cannot be told",
        ),
        (
            "env unreadable",
            |f| f.env = Err("HTTP 401".into()),
            "env.CRON_SECRET",
            Unknown,
            "HTTP 401",
        ),
        (
            "env unreadable for deploys",
            |f| f.env = Err("HTTP 401".into()),
            "deploy.latest",
            Unknown,
            "HTTP 401",
        ),
        (
            "db down",
            |f| f.db = Err("timed out".into()),
            "db.connect",
            Fail,
            "timed out",
        ),
        (
            "db down, tls",
            |f| f.db = Err("timed out".into()),
            "db.tls",
            Unknown,
            "not connected",
        ),
        (
            "remote without TLS",
            |f| f.db.as_mut().unwrap().tls = Some(false),
            "db.tls",
            Fail,
            "NOT encrypted",
        ),
        (
            "TLS unknown",
            |f| f.db.as_mut().unwrap().tls = None,
            "db.tls",
            Unknown,
            "could not be read",
        ),
        (
            "local without TLS",
            |f| {
                let d = f.db.as_mut().unwrap();
                d.tls = Some(false);
                d.local = true;
            },
            "db.tls",
            Pass,
            "local",
        ),
        (
            "pooled down",
            |f| f.pooled = Some(Err("refused".into())),
            "db.pooled",
            Fail,
            "refused",
        ),
        (
            "pooled not stored",
            |f| f.pooled = None,
            "db.pooled",
            Unknown,
            "not stored",
        ),
        (
            "V0",
            |f| f.schema.as_mut().unwrap().variant = SchemaVariant::V0,
            "schema.variant",
            Fail,
            "V0",
        ),
        (
            "V1",
            |f| f.schema.as_mut().unwrap().variant = SchemaVariant::V1,
            "schema.variant",
            Warn,
            "V1",
        ),
        (
            "not ZRG",
            |f| f.schema.as_mut().unwrap().variant = SchemaVariant::Unrecognised,
            "schema.variant",
            Fail,
            "not the ZRG schema",
        ),
        (
            "missing column",
            |f| f.schema.as_mut().unwrap().missing = vec!["AIDraft.autoSendRevisionApplied".into()],
            "schema.columns",
            Fail,
            "autoSendRevisionApplied",
        ),
        (
            "wrong type",
            |f| {
                f.schema.as_mut().unwrap().type_mismatches = vec![TypeMismatch {
                    column: "AIDraft.autoSendRevisionAttemptedAt".into(),
                    expected: ColumnType::Timestamp,
                    found: ColumnType::Text,
                }]
            },
            "schema.columns",
            Fail,
            "expected",
        ),
        (
            "no index",
            |f| f.schema.as_mut().unwrap().revision_index = false,
            "schema.index",
            Warn,
            "no index",
        ),
        (
            "schema unreadable",
            |f| f.schema = Err("gone".into()),
            "schema.index",
            Unknown,
            "gone",
        ),
        (
            "needs backfill",
            |f| f.drafts.as_mut().unwrap().applied_without_attempt = 4,
            "schema.backfill",
            Warn,
            "4 drafts",
        ),
        (
            "counts unreadable",
            |f| f.drafts = Err("gone".into()),
            "schema.backfill",
            Unknown,
            "gone",
        ),
        (
            "site down",
            |f| f.url_check = Some(Err("timed out after 10 s".into())),
            "smoke.url",
            Fail,
            "did not answer",
        ),
        (
            "no url",
            |f| f.url_check = None,
            "smoke.url",
            Unknown,
            "not known",
        ),
        (
            "decisions missing",
            |f| f.drafts.as_mut().unwrap().recorded_since_live = 7,
            "smoke.decisions_recorded",
            Fail,
            "3 of 10",
        ),
        (
            "no traffic",
            |f| {
                let d = f.drafts.as_mut().unwrap();
                d.evaluated_since_live = 0;
                d.recorded_since_live = 0;
            },
            "smoke.decisions_recorded",
            Unknown,
            "no draft",
        ),
        (
            "switch ignored",
            |f| f.drafts.as_mut().unwrap().attempts_since_live = 2,
            "smoke.no_attempts_while_disabled",
            Fail,
            "2 revision attempts",
        ),
        (
            "switch too new to judge",
            |f| {
                let d = f.drafts.as_mut().unwrap();
                d.attempts_since_live = 2;
                d.too_early = true;
            },
            "smoke.no_attempts_while_disabled",
            Unknown,
            "grace 15 min",
        ),
        (
            "switch live off",
            |f| {
                set(f, "AUTO_SEND_REVISION_DISABLED", Some("0"));
                f.drafts.as_mut().unwrap().attempts_since_live = 2;
            },
            "smoke.no_attempts_while_disabled",
            Pass,
            "expected",
        ),
        (
            "switch liveness unknown",
            |f| env_mut(f).serving = None,
            "smoke.no_attempts_while_disabled",
            Unknown,
            "cannot be told",
        ),
        (
            "a workspace on before the canary",
            |f| f.drafts.as_mut().unwrap().enabled_workspaces = 1,
            "smoke.workspaces_enabled",
            Warn,
            "1 workspaces",
        ),
    ];
    for (name, change, id, want, needle) in cases {
        let mut f = good();
        change(&mut f);
        let (got, finding) = status_of(&f, JudgeStage::PreCanary, id);
        assert_eq!(got, want, "{name}: {id} → {finding}");
        assert!(
            finding.contains(needle),
            "{name}: {finding:?} lacks {needle:?}"
        );
    }
}

#[test]
fn the_revision_kill_switch_is_judged_against_the_stage() {
    use CheckStatus::*;
    use JudgeStage::*;
    let table = [
        (Some("1"), PreCanary, Pass),
        (Some("1"), Canary, Fail),
        (Some("1"), RolledBack, Pass),
        (Some("0"), PreCanary, Fail),
        (Some("0"), Canary, Pass),
        (Some("0"), RolledBack, Warn),
        (None, PreCanary, Fail),
        (None, Canary, Pass),
        (Some("true"), PreCanary, Fail),
        (Some("true"), Canary, Pass),
    ];
    for (value, stage, want) in table {
        let mut f = good();
        set(&mut f, AUTO_SEND_REVISION_DISABLED, value);
        let (got, finding) = status_of(&f, stage, "env.AUTO_SEND_REVISION_DISABLED");
        assert_eq!(got, want, "{value:?} at {stage:?}: {finding}");
        if value == Some("true") {
            assert!(finding.contains("ALLOWED"), "{finding}");
        }
    }
    let mut f = good();
    unreadable(&mut f, AUTO_SEND_REVISION_DISABLED);
    assert_eq!(
        status_of(&f, Canary, "env.AUTO_SEND_REVISION_DISABLED").0,
        Unknown
    );
    // Workspaces against the stage.
    for (n, stage, want) in [
        (1, Canary, Pass),
        (0, Canary, Warn),
        (2, Canary, Warn),
        (0, RolledBack, Pass),
        (1, RolledBack, Warn),
    ] {
        let mut f = good();
        let d = f.drafts.as_mut().unwrap();
        d.enabled_workspaces = n;
        d.enabled_names = (0..n).map(|i| format!("W{i} (ws_{i})")).collect();
        let (status, found) = status_of(&f, stage, "smoke.workspaces_enabled");
        assert_eq!(status, want, "{n} at {stage:?}");
        // A check that counts workspaces names every one.
        for i in 0..n {
            assert!(found.contains(&format!("W{i} (ws_{i})")), "{found}");
        }
    }
}

#[test]
fn exit_status_and_judged_stage() {
    let mut f = good();
    assert_eq!(exit_status(&evaluate(&f, JudgeStage::PreCanary)), 0);
    f.schema.as_mut().unwrap().revision_index = false;
    assert_eq!(exit_status(&evaluate(&f, JudgeStage::PreCanary)), 1);
    f.pooled = None;
    let items = evaluate(&f, JudgeStage::PreCanary);
    assert_eq!(exit_status(&items), 2, "unknown is not a pass");
    let pooled = items.iter().find(|i| i.id == "db.pooled").unwrap();
    assert!(
        pooled
            .fix
            .contains("secrets set --profile production pooled-database-url"),
        "{pooled:?}"
    );
    f.pooled = Some(Ok("ok".into()));
    f.db = Err("down".into());
    assert_eq!(exit_status(&evaluate(&f, JudgeStage::PreCanary)), 2);

    use JudgeStage::*;
    for (stage, want) in [
        (Stage::Dark, PreCanary),
        (Stage::HeldByKillSwitch, PreCanary),
        (Stage::Unknown, PreCanary),
        (Stage::Canary, Canary),
        (Stage::Expanded, Canary),
        (Stage::AutoSendOff, RolledBack),
        (Stage::NoWorkspaceEnabled, RolledBack),
    ] {
        assert_eq!(JudgeStage::from_stage(stage, None), want, "{stage:?}");
    }
}

#[test]
fn db_targets_parse_without_showing_credentials() {
    let t =
        DbTarget::parse("postgresql://u:secret@db.example.com:6543/zrg?pgbouncer=true").unwrap();
    assert_eq!(
        (t.host.as_str(), t.port, t.database.as_str(), t.pooler),
        ("db.example.com", 6543, "zrg", true)
    );
    assert_eq!(t.label(), "db.example.com/zrg");
    let e = DbTarget::parse("postgresql://u:secret@db.example.com").unwrap_err();
    assert!(!e.contains("secret"), "{e}");
}

#[test]
fn a_failing_smoke_check_names_every_draft_with_the_count() {
    let mut f = good();
    let d = f.drafts.as_mut().unwrap();
    d.attempts_since_live = 60;
    d.attempt_ids = (0..60).map(|i| format!("d{i}")).collect();
    d.recorded_since_live = 8;
    d.unrecorded_ids = vec!["u1".into(), "u2".into()];
    let items = evaluate(&f, JudgeStage::PreCanary);
    let attempts = items
        .iter()
        .find(|i| i.id == "smoke.no_attempts_while_disabled")
        .unwrap();
    assert_eq!(attempts.status, CheckStatus::Fail);
    assert_eq!(attempts.draft_count, Some(60));
    assert_eq!(attempts.draft_ids.len(), 60);
    let recorded = items
        .iter()
        .find(|i| i.id == "smoke.decisions_recorded")
        .unwrap();
    assert_eq!(recorded.draft_ids, vec!["u1", "u2"]);
    // A passing item names none (and its JSON has no such field).
    let env = items.iter().find(|i| i.id.starts_with("env.")).unwrap();
    let json = serde_json::to_value(env).unwrap();
    assert!(json.get("draft_ids").is_none(), "{json}");
}

#[test]
fn sslmode_require_is_a_warning_that_the_write_connection_is_not_authenticated() {
    let mut f = good();
    if let Ok(db) = &mut f.db {
        db.sslmode = Some("require".into());
    }
    let (status, finding) = status_of(&f, JudgeStage::PreCanary, "db.tls");
    assert_eq!(status, CheckStatus::Warn, "{finding}");
    assert!(finding.contains("not authenticated"), "{finding}");
    let (status, _) = status_of(&good(), JudgeStage::PreCanary, "db.tls");
    assert_eq!(status, CheckStatus::Pass);
}

#[test]
fn a_rolling_release_keeps_a_switch_from_being_live_until_it_completes() {
    // The variables changed at 01:00; the old build is from 00:00, the
    // release's canary from 02:00 at 10 %.
    let mut f = good();
    if let Ok(env) = f.env.as_mut() {
        env.serving = Some(dep("dpl_old", 0, ReadyState::Ready));
        env.rolling = Some(crate::core::env::RollingRelease {
            current: dep("dpl_old", 0, ReadyState::Ready),
            canary: dep("dpl_2", 2, ReadyState::Ready),
            canary_share: Some(10),
        });
    }
    let (status, found) = status_of(
        &f,
        JudgeStage::Canary,
        "deploy.live.AUTO_SEND_REVISION_DISABLED",
    );
    assert_eq!(status, CheckStatus::Warn, "{found}");
    assert!(
        found.contains("configured ON · live on 10 % only"),
        "{found}"
    );
    let (status, found) = status_of(&f, JudgeStage::Canary, "deploy.rolling_release");
    assert_eq!(status, CheckStatus::Warn);
    assert!(found.contains("dpl_2 10 % · dpl_old 90 %"), "{found}");
    // The release cannot be read: unknown, never "live".
    if let Ok(env) = f.env.as_mut() {
        env.rolling = None;
        env.rolling_error = Some("HTTP 500".into());
    }
    assert_eq!(
        status_of(
            &f,
            JudgeStage::Canary,
            "deploy.live.AUTO_SEND_REVISION_DISABLED"
        )
        .0,
        CheckStatus::Unknown
    );
    assert_eq!(
        status_of(&f, JudgeStage::Canary, "deploy.rolling_release").0,
        CheckStatus::Unknown
    );
}

#[test]
fn deployments_that_cannot_be_read_fail_only_their_own_checks() {
    let mut f = good();
    if let Ok(env) = f.env.as_mut() {
        env.serving = None;
        env.latest = None;
        env.deployments_error =
            Some("Vercel's answer was not in the expected shape: project".into());
    }
    let items = evaluate(&f, JudgeStage::Canary);
    for i in items.iter().filter(|i| i.id.starts_with("deploy.")) {
        assert_eq!(i.status, CheckStatus::Unknown, "{i:?}");
        assert!(i.finding.contains("not in the expected shape"), "{i:?}");
    }
    // The env's own checks are still judged.
    let env_items: Vec<_> = items.iter().filter(|i| i.id.starts_with("env.")).collect();
    assert!(!env_items.is_empty());
    assert!(
        env_items.iter().all(|i| i.status != CheckStatus::Unknown),
        "{env_items:?}"
    );
}
