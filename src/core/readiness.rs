//! The readiness checklist (runbook step 1): pure rules from gathered facts
//! to items, each with a status, what was found and what to do. Nothing here
//! does IO; adapters gather [`Facts`], and the rules never see a secret value
//! beyond what they need to judge its shape.

use crate::core::env::{
    AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, EnvSnapshot, FlagState, Live, ReadyState,
};
use crate::core::runbook::Stage;
use crate::core::schema::{SchemaReport, SchemaVariant};
use crate::core::time::UtcNaive;
use serde::Serialize;

/// An item's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// As it should be.
    Pass,
    /// Works, but look at it.
    Warn,
    /// Must be fixed before going on.
    Fail,
    /// Could not be checked (never counts as a pass).
    Unknown,
}

impl CheckStatus {
    /// "pass", "warn", "fail", "unknown".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Unknown => "unknown",
        }
    }
}

/// The checklist's groups, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Vercel env, production target.
    VercelEnv,
    /// The production deployment and kill-switch liveness.
    Deployment,
    /// The panel's own connection (and the pooled URL).
    Database,
    /// Runbook 116b: the revision columns.
    Schema,
    /// After deploying dark.
    Smoke,
}

impl Group {
    /// All groups in display order.
    pub const ALL: [Group; 5] = [
        Group::VercelEnv,
        Group::Deployment,
        Group::Database,
        Group::Schema,
        Group::Smoke,
    ];

    /// The group's heading.
    pub fn label(self) -> &'static str {
        match self {
            Self::VercelEnv => "Vercel env (production)",
            Self::Deployment => "Deployment",
            Self::Database => "Database",
            Self::Schema => "Schema (runbook 116b)",
            Self::Smoke => "Smoke (after deploying dark)",
        }
    }
}

/// The stage the checklist judges against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JudgeStage {
    /// Before the canary: kill switch "1", no workspace enabled.
    PreCanary,
    /// During the canary: kill switch off, exactly one workspace enabled.
    Canary,
    /// After a rollback (any level).
    RolledBack,
}

impl JudgeStage {
    /// The stage implied by the derived runbook stage (without an audit
    /// record of a canary start, a held or dark state counts as pre-canary).
    pub fn from_stage(stage: Stage, revision: Option<&FlagState>) -> Self {
        match stage {
            Stage::Canary | Stage::Expanded => Self::Canary,
            Stage::AutoSendOff | Stage::NoWorkspaceEnabled => Self::RolledBack,
            Stage::AwaitingRedeploy if revision.is_some_and(|f| !f.configured_on) => Self::Canary,
            _ => Self::PreCanary,
        }
    }

    /// "pre-canary", "canary", "rolled-back".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreCanary => "pre-canary",
            Self::Canary => "canary",
            Self::RolledBack => "rolled-back",
        }
    }
}

/// One checklist row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Stable id (`env.<KEY>`, `deploy.<…>`, `db.<…>`, `schema.<…>`, `smoke.<…>`).
    pub id: String,
    /// Its group.
    pub group: Group,
    /// The verdict.
    pub status: CheckStatus,
    /// What was found (never a secret value).
    pub finding: String,
    /// What to do about it (empty when nothing is to do).
    pub fix: String,
}

fn item(
    id: &str,
    group: Group,
    status: CheckStatus,
    finding: impl Into<String>,
    fix: impl Into<String>,
) -> Item {
    Item {
        id: id.to_owned(),
        group,
        status,
        finding: finding.into(),
        fix: fix.into(),
    }
}

pub use crate::core::dburl::DbTarget;

/// The database facts, from the panel's own connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbFacts {
    /// Server version.
    pub server_version: String,
    /// Round trip of one small query.
    pub latency_ms: u64,
    /// Whether the connection uses TLS (`None` = could not tell).
    pub tls: Option<bool>,
    /// Whether the server is on this machine (or a local file, for the demo).
    pub local: bool,
}

/// Counts for the schema sanity and smoke items.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DraftFacts {
    /// Drafts with `autoSendRevisionApplied` but no attempt stamp (should be 0).
    pub applied_without_attempt: u64,
    /// Drafts evaluated since the serving deployment was built.
    pub evaluated_since_live: u64,
    /// … of which have both `autoSendAction` and `autoSendConfidence`.
    pub recorded_since_live: u64,
    /// Revision attempts stamped since the serving deployment was built.
    pub attempts_since_live: u64,
    /// Workspaces whose revision toggle is on.
    pub enabled_workspaces: usize,
}

/// Everything the rules look at. `Err` = that source could not be read (why).
#[derive(Clone, Debug)]
pub struct Facts {
    /// The env source (Vercel, or the demo's stand-in).
    pub env: Result<EnvSnapshot, String>,
    /// The profile's name (for the commands a fix names).
    pub profile: String,
    /// Whether this is the demo (some items cannot apply).
    pub demo: bool,
    /// The panel's own database (from its `database-url`), to compare with `DIRECT_URL`.
    pub monitored: Option<DbTarget>,
    /// The database connection.
    pub db: Result<DbFacts, String>,
    /// The pooled URL's reachability (`None` = its secret is not stored).
    pub pooled: Option<Result<String, String>>,
    /// The schema report.
    pub schema: Result<SchemaReport, String>,
    /// Draft counts.
    pub drafts: Result<DraftFacts, String>,
    /// The serving deployment's HTTPS answer (status code), `None` = not tried.
    pub url_check: Option<Result<u16, String>>,
}

/// Computes every item, in display order.
pub fn evaluate(facts: &Facts, stage: JudgeStage) -> Vec<Item> {
    let mut items = Vec::new();
    env_items(facts, stage, &mut items);
    deploy_items(facts, &mut items);
    db_items(facts, &mut items);
    schema_items(facts, &mut items);
    smoke_items(facts, stage, &mut items);
    items
}

/// The exit status of `check`: 0 all pass, 1 warnings only, 2 any failure or unknown.
pub fn exit_status(items: &[Item]) -> u8 {
    if items
        .iter()
        .any(|i| matches!(i.status, CheckStatus::Fail | CheckStatus::Unknown))
    {
        2
    } else if items.iter().any(|i| i.status == CheckStatus::Warn) {
        1
    } else {
        0
    }
}

/// What the env holds for a key.
enum Value<'a> {
    Missing { elsewhere: bool },
    Unreadable(&'a str),
    Readable(&'a str),
}

fn value<'a>(env: &'a EnvSnapshot, key: &str) -> Value<'a> {
    match env.configured.get(key) {
        None => Value::Missing {
            elsewhere: env.other_targets_only.contains(key),
        },
        Some(v) => match (&v.unreadable, &v.value) {
            (Some(why), _) => Value::Unreadable(why),
            (None, Some(s)) => Value::Readable(s),
            (None, None) => Value::Missing { elsewhere: false },
        },
    }
}

fn missing_finding(key: &str, elsewhere: bool) -> String {
    if elsewhere {
        format!("{key} exists only for preview/development, not for production")
    } else {
        format!("{key} is not set for production")
    }
}

fn add_fix(key: &str) -> String {
    format!("add {key} to the project's production env in Vercel, then redeploy")
}

fn env_items(facts: &Facts, stage: JudgeStage, items: &mut Vec<Item>) {
    let g = Group::VercelEnv;
    let env = match &facts.env {
        Ok(env) => env,
        Err(e) => {
            for id in [
                "env.DATABASE_URL",
                "env.DIRECT_URL",
                "env.same_database",
                "env.monitored_database",
                "env.OPENAI_API_KEY",
                "env.CRON_SECRET",
                "env.WORKSPACE_PROVISIONING_SECRET",
                "env.AUTO_SEND_DISABLED",
                "env.AUTO_SEND_REVISION_DISABLED",
            ] {
                items.push(item(
                    id,
                    g,
                    CheckStatus::Unknown,
                    format!("the env could not be read: {e}"),
                    "fix the Vercel connection (Profiles…, Test Vercel), then re-check",
                ));
            }
            return;
        }
    };
    let dup = |key: &str, mut it: Item| {
        if let Some(n) = env.duplicates.get(key) {
            if it.status == CheckStatus::Pass {
                it.status = CheckStatus::Warn;
            }
            it.finding
                .push_str(&format!("; {n} production records exist for {key}"));
            if it.fix.is_empty() {
                it.fix = format!("keep one production record of {key}");
            }
        }
        it
    };

    // Database URLs.
    let mut targets: [Option<DbTarget>; 2] = [None, None];
    for (i, key) in ["DATABASE_URL", "DIRECT_URL"].into_iter().enumerate() {
        let id = format!("env.{key}");
        let it = match value(env, key) {
            Value::Missing { elsewhere } => item(
                &id,
                g,
                CheckStatus::Fail,
                missing_finding(key, elsewhere),
                add_fix(key),
            ),
            Value::Unreadable(why) => item(
                &id,
                g,
                CheckStatus::Unknown,
                format!(
                    "{key} is present but its value cannot be read ({why}), so it cannot be checked"
                ),
                "compare it by hand with the connection strings of the database provider",
            ),
            Value::Readable(v) => match DbTarget::parse(v) {
                Err(e) => item(
                    &id,
                    g,
                    CheckStatus::Fail,
                    format!("{key}: {e}"),
                    format!("set {key} to a postgresql:// URL with host and database"),
                ),
                Ok(t) if key == "DIRECT_URL" && t.pooler => {
                    targets[i] = Some(t.clone());
                    item(
                        &id,
                        g,
                        CheckStatus::Fail,
                        format!(
                            "DIRECT_URL points at a transaction-mode pooler ({}:{}); Prisma's CLI (db push) needs a direct or session connection",
                            t.host, t.port
                        ),
                        "set DIRECT_URL to the direct (port 5432) connection string",
                    )
                }
                Ok(t) => {
                    let f = format!("{key} points at {}:{} / {}", t.host, t.port, t.database);
                    targets[i] = Some(t);
                    item(&id, g, CheckStatus::Pass, f, "")
                }
            },
        };
        items.push(dup(key, it));
    }
    items.push(match (&targets[0], &targets[1]) {
        (Some(a), Some(b)) if a.host == b.host && a.database == b.database => item("env.same_database", g, CheckStatus::Pass, format!("DATABASE_URL and DIRECT_URL both point at {}", b.label()), ""),
        (Some(a), Some(b)) if a.database == b.database => item("env.same_database", g, CheckStatus::Warn, format!("same database name {} on different hosts ({} and {}); a pooler often has its own host", b.database, a.host, b.host), "confirm in the provider's dashboard that both strings reach the same database"),
        (Some(a), Some(b)) => item("env.same_database", g, CheckStatus::Fail, format!("DATABASE_URL points at {} but DIRECT_URL at {}", a.label(), b.label()), "make both point at the same database (db push goes through DIRECT_URL)"),
        _ => item("env.same_database", g, CheckStatus::Unknown, "needs both DATABASE_URL and DIRECT_URL readable", "fix the two items above"),
    });
    items.push(match (&facts.monitored, &targets[1]) {
        (_, _) if facts.demo => item("env.monitored_database", g, CheckStatus::Unknown, "the demo reads its own database; there is no separate connection to compare", "on a real profile this compares DIRECT_URL with the panel's database-url"),
        (Some(m), Some(d)) if m.host == d.host && m.database == d.database => item("env.monitored_database", g, CheckStatus::Pass, format!("the panel monitors {}, the database DIRECT_URL points at", m.label()), ""),
        (Some(m), Some(d)) => item("env.monitored_database", g, CheckStatus::Fail, format!("the panel monitors {} but DIRECT_URL points at {}", m.label(), d.label()), "store the app's DIRECT_URL as the profile's database-url (Profiles… or rollout-panel secrets set)"),
        (None, _) => item("env.monitored_database", g, CheckStatus::Unknown, "the panel's own database-url is not known", "set the profile's database-url"),
        (_, None) => item("env.monitored_database", g, CheckStatus::Unknown, "DIRECT_URL is not readable", "fix env.DIRECT_URL"),
    });

    // OPENAI_API_KEY.
    let key = "OPENAI_API_KEY";
    let consequence = "without it the evaluator hard-blocks every draft (missing_openai_key, confidence 0): revision never runs and every draft goes to needs_review";
    items.push(dup(key, match value(env, key) {
        Value::Missing { elsewhere } => item("env.OPENAI_API_KEY", g, CheckStatus::Fail, format!("{}; {consequence}", missing_finding(key, elsewhere)), add_fix(key)),
        Value::Unreadable(why) => item("env.OPENAI_API_KEY", g, CheckStatus::Pass, format!("present ({why}: the value cannot be read, its shape is not checked)"), ""),
        Value::Readable(v) if v.starts_with("sk-") && v.len() >= 20 && !v.contains(char::is_whitespace) => item("env.OPENAI_API_KEY", g, CheckStatus::Pass, format!("present, shape sk-… ({} characters)", v.len()), ""),
        Value::Readable(v) => item("env.OPENAI_API_KEY", g, CheckStatus::Warn, format!("present but not shaped like an OpenAI key (sk-…, {} characters); {consequence} if it is invalid", v.len()), "check the key in the OpenAI dashboard and paste it again"),
    }));

    // CRON_SECRET.
    let key = "CRON_SECRET";
    let cron = value(env, key);
    items.push(dup(
        key,
        match &cron {
            Value::Missing { elsewhere } => item(
                "env.CRON_SECRET",
                g,
                CheckStatus::Fail,
                format!(
                    "{}; every cron route answers unauthorized",
                    missing_finding(key, *elsewhere)
                ),
                add_fix(key),
            ),
            Value::Unreadable(why) => item(
                "env.CRON_SECRET",
                g,
                CheckStatus::Pass,
                format!("present ({why}: length not checked)"),
                "",
            ),
            Value::Readable(v) if v.len() >= 16 => item(
                "env.CRON_SECRET",
                g,
                CheckStatus::Pass,
                format!("present ({} characters)", v.len()),
                "",
            ),
            Value::Readable(v) => item(
                "env.CRON_SECRET",
                g,
                CheckStatus::Warn,
                format!("present but only {} characters: easy to guess", v.len()),
                "use a random secret of 32+ characters",
            ),
        },
    ));

    // WORKSPACE_PROVISIONING_SECRET, with the app's fallbacks (contract §4).
    let key = "WORKSPACE_PROVISIONING_SECRET";
    items.push(dup(key, match value(env, key) {
        Value::Readable("") => item("env.WORKSPACE_PROVISIONING_SECRET", g, CheckStatus::Fail, "set to an empty string: the admin routes answer 500 \"Server misconfigured\" (an empty value does not fall through)", "set a random secret or remove the variable"),
        Value::Readable(_) | Value::Unreadable(_) => item("env.WORKSPACE_PROVISIONING_SECRET", g, CheckStatus::Pass, "present", ""),
        Value::Missing { elsewhere } => {
            let fallback = if env.configured.contains_key("ADMIN_ACTIONS_SECRET") {
                "the app falls back to ADMIN_ACTIONS_SECRET"
            } else if matches!(cron, Value::Missing { .. }) {
                "the app has no fallback (CRON_SECRET is missing too): the admin routes are disabled"
            } else {
                "the app falls back to CRON_SECRET: whoever holds the cron secret can provision workspaces"
            };
            item("env.WORKSPACE_PROVISIONING_SECRET", g, CheckStatus::Warn, format!("{}; {fallback}", missing_finding(key, elsewhere)), add_fix(key))
        }
    }));

    // The two kill switches: exact-"1" semantics.
    let key = AUTO_SEND_DISABLED;
    items.push(dup(
        key,
        match value(env, key) {
            Value::Missing { .. } => item(
                "env.AUTO_SEND_DISABLED",
                g,
                CheckStatus::Pass,
                "unset: auto-send is enabled",
                "",
            ),
            Value::Unreadable(why) => item(
                "env.AUTO_SEND_DISABLED",
                g,
                CheckStatus::Unknown,
                format!(
                    "present but unreadable ({why}): whether all auto-send is off cannot be told"
                ),
                "make AUTO_SEND_DISABLED a plain (non-sensitive) variable",
            ),
            Value::Readable("0") => item(
                "env.AUTO_SEND_DISABLED",
                g,
                CheckStatus::Pass,
                "\"0\": auto-send is enabled",
                "",
            ),
            Value::Readable("1") if stage == JudgeStage::RolledBack => item(
                "env.AUTO_SEND_DISABLED",
                g,
                CheckStatus::Warn,
                "\"1\": ALL auto-send is OFF (the last-resort rollback is configured)",
                "restore it to \"0\" (Levers) once the incident is over, then redeploy",
            ),
            Value::Readable("1") => item(
                "env.AUTO_SEND_DISABLED",
                g,
                CheckStatus::Warn,
                "\"1\": ALL AUTO-SEND IS OFF — no evaluation, no revision, no send",
                "set it to \"0\" (or remove it) and redeploy, unless this is intended",
            ),
            Value::Readable(v) => item(
                "env.AUTO_SEND_DISABLED",
                g,
                CheckStatus::Warn,
                format!(
                    "{v:?} does NOT disable anything: only exactly \"1\" does; auto-send is enabled"
                ),
                "set \"0\" to mean enabled or \"1\" to mean disabled; nothing else",
            ),
        },
    ));
    let key = AUTO_SEND_REVISION_DISABLED;
    let id = "env.AUTO_SEND_REVISION_DISABLED";
    items.push(dup(key, match (value(env, key), stage) {
        (Value::Unreadable(why), _) => item(id, g, CheckStatus::Unknown, format!("present but unreadable ({why})"), "make AUTO_SEND_REVISION_DISABLED a plain (non-sensitive) variable"),
        (Value::Readable("1"), JudgeStage::PreCanary) => item(id, g, CheckStatus::Pass, "\"1\": revision is off, as the runbook wants before the canary", ""),
        (Value::Readable("1"), JudgeStage::RolledBack) => item(id, g, CheckStatus::Pass, "\"1\": revision is off (the kill-switch rollback)", ""),
        (Value::Readable("1"), JudgeStage::Canary) => item(id, g, CheckStatus::Fail, "\"1\": the kill switch overrides every workspace toggle, so the canary cannot run", "set it to \"0\" and redeploy (Levers) to start the canary"),
        (v, stage) => {
            let shown = match v {
                Value::Readable(s) if s != "0" => format!("{s:?} (not exactly \"1\", so revision is ALLOWED)"),
                Value::Readable(_) => "\"0\": revision is allowed".to_owned(),
                _ => "unset: revision is allowed".to_owned(),
            };
            match stage {
                JudgeStage::Canary => item(id, g, CheckStatus::Pass, format!("{shown}, as the canary needs"), ""),
                JudgeStage::PreCanary => item(id, g, CheckStatus::Fail, format!("{shown}; before the canary the runbook starts at \"1\" so nothing revises until a workspace is chosen"), "set AUTO_SEND_REVISION_DISABLED to \"1\" and redeploy before enabling anything"),
                JudgeStage::RolledBack => item(id, g, CheckStatus::Warn, format!("{shown}; the rollback relies on workspace toggles alone"), "set it to \"1\" for a global stop (Levers, Revision kill switch)"),
            }
        }
    }));
}

fn deploy_items(facts: &Facts, items: &mut Vec<Item>) {
    let g = Group::Deployment;
    let env = match &facts.env {
        Ok(env) => env,
        Err(e) => {
            for id in [
                "deploy.latest",
                "deploy.live.AUTO_SEND_REVISION_DISABLED",
                "deploy.live.AUTO_SEND_DISABLED",
            ] {
                items.push(item(
                    id,
                    g,
                    CheckStatus::Unknown,
                    format!("deployments could not be read: {e}"),
                    "fix the Vercel connection, then re-check",
                ));
            }
            return;
        }
    };
    items.push(match &env.latest {
        None => item("deploy.latest", g, CheckStatus::Fail, "no production deployment found", "deploy the app to production"),
        Some(d) => {
            let serving = env.serving.as_ref().map_or("nothing".to_owned(), |s| s.id.clone());
            match d.state {
                ReadyState::Ready => item("deploy.latest", g, CheckStatus::Pass, format!("{} READY (built {} UTC)", d.id, d.created_at.format("%Y-%m-%d %H:%M")), ""),
                ReadyState::Canceled | ReadyState::Error => item("deploy.latest", g, CheckStatus::Fail, format!("the latest production deployment {} ended {}; production still serves {serving}, and env changes made before it are NOT live", d.id, d.state.as_str()), "find out why (an Ignored Build Step cancels same-commit redeploys), then redeploy"),
                s => item("deploy.latest", g, CheckStatus::Warn, format!("{} is {} (in progress); production serves {serving}", d.id, s.as_str()), "wait for it to be READY, then re-check"),
            }
        }
    });
    for key in [AUTO_SEND_REVISION_DISABLED, AUTO_SEND_DISABLED] {
        let id = format!("deploy.live.{key}");
        let f = env.flag(key);
        let word = |on: bool| if on { "ON" } else { "OFF" };
        items.push(match f.live {
            Live::Known(live) if live == f.configured_on => item(&id, g, CheckStatus::Pass, format!("configured {}, live {}", word(f.configured_on), word(live)), ""),
            Live::Known(live) => item(&id, g, CheckStatus::Warn, format!("configured {}, live {} — redeploy to apply", word(f.configured_on), word(live)), "redeploy production (Levers) and wait for READY"),
            Live::AwaitingRedeploy => item(&id, g, CheckStatus::Warn, format!("configured {}, not live yet: the serving deployment was built before the change — redeploy to apply", word(f.configured_on)), "redeploy production (Levers) and wait for READY"),
            Live::Unknown => item(&id, g, CheckStatus::Unknown, "what production runs cannot be told (no serving deployment, or the value is unreadable)", "check the deployments in Vercel"),
        });
    }
}

fn db_items(facts: &Facts, items: &mut Vec<Item>) {
    let g = Group::Database;
    match &facts.db {
        Err(e) => {
            items.push(item(
                "db.connect",
                g,
                CheckStatus::Fail,
                format!("cannot connect: {e}"),
                "check the profile's database-url (Profiles…, Test database)",
            ));
            items.push(item(
                "db.tls",
                g,
                CheckStatus::Unknown,
                "not connected",
                "fix db.connect",
            ));
        }
        Ok(db) => {
            items.push(item(
                "db.connect",
                g,
                CheckStatus::Pass,
                format!(
                    "connected · {} · round trip {} ms",
                    db.server_version, db.latency_ms
                ),
                "",
            ));
            items.push(match (db.local, db.tls) {
                (true, _) => item(
                    "db.tls",
                    g,
                    CheckStatus::Pass,
                    "local connection: TLS not needed",
                    "",
                ),
                (false, Some(true)) => item("db.tls", g, CheckStatus::Pass, "TLS in use", ""),
                (false, Some(false)) => item(
                    "db.tls",
                    g,
                    CheckStatus::Fail,
                    "the connection to a remote host is NOT encrypted",
                    "add ?sslmode=require to the profile's database-url",
                ),
                (false, None) => item(
                    "db.tls",
                    g,
                    CheckStatus::Unknown,
                    "whether TLS is in use could not be read",
                    "add ?sslmode=require to the profile's database-url",
                ),
            });
        }
    }
    items.push(match &facts.pooled {
        None if facts.demo => item("db.pooled", g, CheckStatus::Unknown, "the demo has no pooled URL", "on a real profile: rollout-panel secrets set --profile P pooled-database-url"),
        None => item("db.pooled", g, CheckStatus::Unknown, "pooled-database-url is not stored (optional), so the app's pooled DATABASE_URL was not tried", format!("store it to check it: rollout-panel secrets set --profile {} pooled-database-url", facts.profile)),
        Some(Ok(f)) => item("db.pooled", g, CheckStatus::Pass, f.clone(), ""),
        Some(Err(e)) => item("db.pooled", g, CheckStatus::Fail, format!("the pooled URL does not answer: {e}"), "check the pooler (the app's DATABASE_URL goes through it)"),
    });
}

fn schema_items(facts: &Facts, items: &mut Vec<Item>) {
    let g = Group::Schema;
    let report = match &facts.schema {
        Ok(r) => r,
        Err(e) => {
            for id in [
                "schema.variant",
                "schema.columns",
                "schema.index",
                "schema.backfill",
            ] {
                items.push(item(
                    id,
                    g,
                    CheckStatus::Unknown,
                    format!("the schema could not be read: {e}"),
                    "fix db.connect",
                ));
            }
            return;
        }
    };
    items.push(match report.variant {
        SchemaVariant::V2 | SchemaVariant::V2Plus => item("schema.variant", g, CheckStatus::Pass, report.variant.label(), ""),
        SchemaVariant::V1 => item("schema.variant", g, CheckStatus::Warn, "V1: revision columns without iterations (Phase 116); the panel works, loop summaries are absent", "deploy Phase 123+ and run prisma db push if the loop is wanted"),
        SchemaVariant::V0 => item("schema.variant", g, CheckStatus::Fail, "V0 (pre-116): no revision columns", "deploy Phase 116+ and run prisma db push through DIRECT_URL (runbook 116b)"),
        SchemaVariant::Unrecognised => item("schema.variant", g, CheckStatus::Fail, "not the ZRG schema (base tables missing)", "check that the profile's database-url points at the app's database"),
    });
    items.push(
        if report.missing.is_empty() && report.type_mismatches.is_empty() {
            item(
                "schema.columns",
                g,
                CheckStatus::Pass,
                "every revision column present with the right type",
                "",
            )
        } else {
            let mut f = Vec::new();
            if !report.missing.is_empty() {
                f.push(format!("missing: {}", report.missing.join(", ")));
            }
            for m in &report.type_mismatches {
                f.push(format!(
                    "{} is {:?}, expected {:?}",
                    m.column, m.found, m.expected
                ));
            }
            item(
                "schema.columns",
                g,
                CheckStatus::Fail,
                f.join("; "),
                "run prisma db push through DIRECT_URL (runbook 116b)",
            )
        },
    );
    items.push(if report.revision_index {
        item("schema.index", g, CheckStatus::Pass, "AIDraft(autoSendRevisionAttemptedAt) is indexed", "")
    } else if report.variant.has_revision_columns() {
        item("schema.index", g, CheckStatus::Warn, "no index on AIDraft.autoSendRevisionAttemptedAt: the 72 h admin window and the panel's polling scan the table", "run prisma db push (the schema declares the index)")
    } else {
        item("schema.index", g, CheckStatus::Unknown, "no revision columns yet", "fix schema.columns")
    });
    items.push(match &facts.drafts {
        Ok(d) if d.applied_without_attempt == 0 => item("schema.backfill", g, CheckStatus::Pass, "no backfill needed: no draft is applied without an attempt stamp", ""),
        Ok(d) => item("schema.backfill", g, CheckStatus::Warn, format!("{} with autoSendRevisionApplied but no attempt stamp; the admin counts will miss them", plural(d.applied_without_attempt, "draft")), "look at how they were written before trusting the numbers"),
        Err(e) => item("schema.backfill", g, CheckStatus::Unknown, format!("could not count: {e}"), "fix schema.columns"),
    });
}

fn smoke_items(facts: &Facts, stage: JudgeStage, items: &mut Vec<Item>) {
    let g = Group::Smoke;
    items.push(match &facts.url_check {
        None if facts.demo => item(
            "smoke.url",
            g,
            CheckStatus::Unknown,
            "the demo has no web deployment to call",
            "on a real profile this calls the serving deployment's URL over HTTPS",
        ),
        None => item(
            "smoke.url",
            g,
            CheckStatus::Unknown,
            "the serving deployment's URL is not known",
            "check the deployments in Vercel",
        ),
        Some(Ok(code)) => item(
            "smoke.url",
            g,
            CheckStatus::Pass,
            format!("the serving deployment answered HTTP {code}"),
            "",
        ),
        Some(Err(e)) => item(
            "smoke.url",
            g,
            CheckStatus::Fail,
            format!("the serving deployment did not answer: {e}"),
            "open it in a browser and check the deployment's logs",
        ),
    });
    let revision = facts
        .env
        .as_ref()
        .ok()
        .map(|e| e.flag(AUTO_SEND_REVISION_DISABLED));
    match &facts.drafts {
        Err(e) => {
            for id in [
                "smoke.decisions_recorded",
                "smoke.no_attempts_while_disabled",
                "smoke.workspaces_enabled",
            ] {
                items.push(item(
                    id,
                    g,
                    CheckStatus::Unknown,
                    format!("could not count: {e}"),
                    "fix db.connect",
                ));
            }
        }
        Ok(d) => {
            items.push(if d.evaluated_since_live == 0 {
                item("smoke.decisions_recorded", g, CheckStatus::Unknown, "no draft was evaluated since the serving deployment went live", "wait for traffic, then re-check")
            } else if d.recorded_since_live == d.evaluated_since_live {
                item("smoke.decisions_recorded", g, CheckStatus::Pass, format!("all {} drafts evaluated since the deployment have autoSendAction and autoSendConfidence", d.evaluated_since_live), "")
            } else {
                item("smoke.decisions_recorded", g, CheckStatus::Fail, format!("{} of {} drafts evaluated since the deployment lack autoSendAction or autoSendConfidence", d.evaluated_since_live - d.recorded_since_live, d.evaluated_since_live), "check the evaluator's errors (AI Ops feed) before going on")
            });
            items.push(match revision.as_ref().map(|f| f.live) {
                Some(Live::Known(true)) if d.attempts_since_live == 0 => item("smoke.no_attempts_while_disabled", g, CheckStatus::Pass, "kill switch live ON and no revision attempt since the deployment", ""),
                Some(Live::Known(true)) => item("smoke.no_attempts_while_disabled", g, CheckStatus::Fail, format!("kill switch live ON, yet {} revision attempts were stamped since the deployment", d.attempts_since_live), "the switch is not honoured: stop here and investigate"),
                Some(Live::Known(false)) => item("smoke.no_attempts_while_disabled", g, CheckStatus::Pass, format!("kill switch live OFF: {} attempts since the deployment are expected", d.attempts_since_live), ""),
                _ => item("smoke.no_attempts_while_disabled", g, CheckStatus::Unknown, "whether the kill switch is live cannot be told", "see deploy.live.AUTO_SEND_REVISION_DISABLED"),
            });
            let n = d.enabled_workspaces;
            items.push(match (stage, n) {
                (JudgeStage::Canary, 1) => item(
                    "smoke.workspaces_enabled",
                    g,
                    CheckStatus::Pass,
                    "exactly one workspace has the revision toggle on (the canary)",
                    "",
                ),
                (JudgeStage::Canary, 0) => item(
                    "smoke.workspaces_enabled",
                    g,
                    CheckStatus::Warn,
                    "no workspace has the revision toggle on",
                    "enable the canary workspace (Levers)",
                ),
                (JudgeStage::Canary, n) => item(
                    "smoke.workspaces_enabled",
                    g,
                    CheckStatus::Warn,
                    format!(
                        "{n} workspaces have the revision toggle on; the canary expects exactly one"
                    ),
                    "turn the others off unless the canary was expanded on purpose",
                ),
                (_, 0) => item(
                    "smoke.workspaces_enabled",
                    g,
                    CheckStatus::Pass,
                    "no workspace has the revision toggle on",
                    "",
                ),
                (_, n) => item(
                    "smoke.workspaces_enabled",
                    g,
                    CheckStatus::Warn,
                    format!("{n} workspaces have the revision toggle on"),
                    "before the canary (or after a rollback) none should be on",
                ),
            });
        }
    }
}

/// "1 draft" / "4 drafts".
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// How many items have each status (for summaries).
pub fn counts(items: &[Item]) -> [(CheckStatus, usize); 4] {
    [
        CheckStatus::Pass,
        CheckStatus::Warn,
        CheckStatus::Fail,
        CheckStatus::Unknown,
    ]
    .map(|s| (s, items.iter().filter(|i| i.status == s).count()))
}

/// When the serving deployment was built (the smoke items count from there).
pub fn live_since(env: &EnvSnapshot) -> Option<UtcNaive> {
    env.serving.as_ref().map(|d| d.created_at)
}

#[cfg(test)]
mod tests;
