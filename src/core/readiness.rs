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
    /// Every draft a failing smoke check is about (none for other items).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub draft_ids: Vec<String>,
    /// How many (`draft_ids.len()`), with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft_count: Option<usize>,
}

impl Item {
    /// The item, naming `drafts` (all of them).
    fn with_drafts(mut self, drafts: &[String]) -> Self {
        if !drafts.is_empty() {
            self.draft_count = Some(drafts.len());
            self.draft_ids = drafts.to_vec();
        }
        self
    }
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
        draft_ids: Vec::new(),
        draft_count: None,
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
    /// The URL's `sslmode` as the panel connects with it (`verify-full`
    /// when the URL names none: the default for a remote host).
    pub sslmode: Option<String>,
}

/// Counts for the schema sanity and smoke items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DraftFacts {
    /// Drafts with `autoSendRevisionApplied` but no attempt stamp (should be 0).
    pub applied_without_attempt: u64,
    /// Drafts evaluated since the serving deployment was built.
    pub evaluated_since_live: u64,
    /// … of which have their decision recorded: `autoSendAction` set, and
    /// `autoSendConfidence` unless the action is `skip` (skipped before
    /// scoring: no confidence, contract §9).
    pub recorded_since_live: u64,
    /// The ids of the others (every one).
    pub unrecorded_ids: Vec<String>,
    /// Revision attempts stamped from `attempts_from` on.
    pub attempts_since_live: u64,
    /// Their ids (every one).
    pub attempt_ids: Vec<String>,
    /// From when attempts count against a live kill switch: the serving
    /// deployment's creation + the build time + the grace (jobs started on
    /// the old deployment finish with the old env). `None` = not judged.
    pub attempts_from: Option<UtcNaive>,
    /// `attempts_from` is still ahead: too early to judge.
    pub too_early: bool,
    /// Workspaces whose revision toggle is on.
    pub enabled_workspaces: usize,
    /// Each of them, as "Name (id)": a check that counts them names them.
    pub enabled_names: Vec<String>,
}

/// From when revision attempts count against a kill switch that is live
/// in the serving deployment: its creation, plus the build time, plus the
/// grace for jobs already running on the old deployment.
pub fn attempts_judged_from(env: &EnvSnapshot, grace: chrono::Duration) -> Option<UtcNaive> {
    live_since(env).map(|t| t + crate::core::alarms::BUILD_GRACE + grace)
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
    /// The grace after a change (the profile's `grace_minutes`).
    pub grace: chrono::Duration,
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

fn deploy_items(facts: &Facts, items: &mut Vec<Item>) {
    let g = Group::Deployment;
    // The deployment checks are unknown, all for one reason.
    let unknown = |items: &mut Vec<Item>, why: String| {
        for id in [
            "deploy.latest",
            "deploy.live.AUTO_SEND_REVISION_DISABLED",
            "deploy.live.AUTO_SEND_DISABLED",
        ] {
            items.push(item(
                id,
                g,
                CheckStatus::Unknown,
                why.clone(),
                "fix the Vercel connection, then re-check",
            ));
        }
    };
    let env = match &facts.env {
        Ok(env) => match &env.deployments_error {
            Some(e) => {
                return unknown(
                    items,
                    format!("the env was read, but the deployments could not be: {e}"),
                );
            }
            None => env,
        },
        Err(e) => return unknown(items, format!("deployments could not be read: {e}")),
    };
    items.push(match (&env.latest, &env.pinned_past, &env.serving) {
        (_, Some(past), Some(serving)) => item(
            "deploy.latest",
            g,
            CheckStatus::Warn,
            format!(
                "production is pinned to {} (built {} UTC) by an Instant Rollback: the newest READY build {} does not serve, and env changes made since {} was built are NOT live",
                serving.id,
                serving.created_at.format("%Y-%m-%d %H:%M"),
                past.id,
                serving.id
            ),
            "undo the rollback in Vercel, or let a lever promote its new build (it shows that step in its plan)",
        ),
        (None, _, _) => item("deploy.latest", g, CheckStatus::Fail, "no production deployment found", "deploy the app to production"),
        (Some(d), _, _) => {
            let serving = env.serving.as_ref().map_or("nothing".to_owned(), |s| s.id.clone());
            match d.state {
                ReadyState::Ready => item("deploy.latest", g, CheckStatus::Pass, format!("{} READY (built {} UTC)", d.id, d.created_at.format("%Y-%m-%d %H:%M")), ""),
                ReadyState::Canceled | ReadyState::Error => item("deploy.latest", g, CheckStatus::Fail, format!("the latest production deployment {} ended {}; production still serves {serving}, and env changes made before it are NOT live", d.id, d.state.as_str()), "find out why (an Ignored Build Step cancels same-commit redeploys), then redeploy"),
                s => item("deploy.latest", g, CheckStatus::Warn, format!("{} is {} (in progress); production serves {serving}", d.id, s.as_str()), "wait for it to be READY, then re-check"),
            }
        }
    });
    match (&env.rolling, &env.rolling_error) {
        (_, Some(e)) => items.push(item(
            "deploy.rolling_release",
            g,
            CheckStatus::Unknown,
            format!("whether a rolling release is active cannot be read: {e}"),
            "fix the Vercel connection, then re-check",
        )),
        (Some(r), None) => items.push(item(
            "deploy.rolling_release",
            g,
            CheckStatus::Warn,
            format!(
                "a rolling release is active: production is served by two deployments ({}); an env change is live for all of production only when both were built after it",
                r.describe()
            ),
            "a kill-switch lever completes the release as a step of its plan; otherwise complete or abort it in Vercel before relying on a kill switch",
        )),
        (None, None) => {}
    }
    for key in [AUTO_SEND_REVISION_DISABLED, AUTO_SEND_DISABLED] {
        let id = format!("deploy.live.{key}");
        let f = env.flag(key);
        let word = |on: bool| if on { "ON" } else { "OFF" };
        if let (Live::Known(live), true, Some(serving)) = (f.live, env.is_pinned(), &env.serving) {
            // Pinned: the build's own env, or what a record shows it runs.
            let how = env
                .recorded_live
                .get(key)
                .map_or(String::new(), |r| format!(" ({})", r.how));
            let status = if live == f.configured_on {
                CheckStatus::Pass
            } else {
                CheckStatus::Warn
            };
            items.push(item(&id, g, status, format!("configured {}, live {} in the pinned build {}{how}", word(f.configured_on), word(live), serving.id), if live == f.configured_on { "" } else { "pull the lever again: it promotes its new build; or undo the rollback in Vercel" }));
            continue;
        }
        items.push(match f.live {
            Live::Known(live) if live == f.configured_on => item(&id, g, CheckStatus::Pass, format!("configured {}, live {}", word(f.configured_on), word(live)), ""),
            Live::Known(live) => item(&id, g, CheckStatus::Warn, format!("configured {}, live {} — redeploy to apply", word(f.configured_on), word(live)), "redeploy production (Levers) and wait for READY"),
            Live::AwaitingRedeploy => item(&id, g, CheckStatus::Warn, format!("configured {}, not live yet: the serving deployment was built before the change — redeploy to apply", word(f.configured_on)), "redeploy production (Levers) and wait for READY"),
            Live::Partial { share } => item(&id, g, CheckStatus::Warn, format!(
                "configured {} · live on {} only: a rolling release is active ({}) and only its canary deployment was built after the change",
                word(f.configured_on),
                share.map_or("the canary's share".to_owned(), |p| format!("{p} %")),
                env.rolling.as_ref().map_or(String::new(), |r| r.describe())
            ), "complete the rolling release (Vercel → Deployments → Rolling Release), then re-check"),
            Live::Unknown if env.rolling_error.is_some() => item(&id, g, CheckStatus::Unknown, format!(
                "configured {}; whether a rolling release splits production cannot be read ({}), so what all of production runs cannot be told",
                word(f.configured_on),
                env.rolling_error.as_deref().unwrap_or_default()
            ), "fix the Vercel connection, then re-check"),
            Live::Unknown if env.is_pinned() => item(&id, g, CheckStatus::Unknown, format!("configured {}; production is pinned to {}, built before this variable last changed: what it runs there cannot be told", word(f.configured_on), env.serving.as_ref().map_or("nothing", |s| s.id.as_str())), "undo the rollback in Vercel, or pull the lever again: it promotes its new build"),
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
                (false, Some(true)) => match db.sslmode.as_deref() {
                    Some("verify-full") | Some("verify-ca") => item(
                        "db.tls",
                        g,
                        CheckStatus::Pass,
                        format!(
                            "TLS in use, the server's certificate checked (sslmode={})",
                            db.sslmode.as_deref().unwrap_or_default()
                        ),
                        "",
                    ),
                    mode => item(
                        "db.tls",
                        g,
                        CheckStatus::Warn,
                        format!(
                            "TLS in use, but sslmode={} does not check the server's certificate: the write connection (toggles, the shared audit) is encrypted, not authenticated",
                            mode.unwrap_or("prefer")
                        ),
                        "use sslmode=verify-full (or verify-ca with sslrootcert=<the provider's CA>) in the profile's database-url",
                    ),
                },
                (false, Some(false)) => item(
                    "db.tls",
                    g,
                    CheckStatus::Fail,
                    "the connection to a remote host is NOT encrypted",
                    "use sslmode=verify-full in the profile's database-url (or leave sslmode out: the panel then checks the certificate)",
                ),
                (false, None) => item(
                    "db.tls",
                    g,
                    CheckStatus::Unknown,
                    "whether TLS is in use could not be read",
                    "use sslmode=verify-full in the profile's database-url (or leave sslmode out: the panel then checks the certificate)",
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
            let unrecorded = d.evaluated_since_live.saturating_sub(d.recorded_since_live);
            items.push(if d.evaluated_since_live == 0 {
                item("smoke.decisions_recorded", g, CheckStatus::Unknown, "no draft was evaluated since the serving deployment went live", "wait for traffic, then re-check")
            } else if unrecorded == 0 {
                item("smoke.decisions_recorded", g, CheckStatus::Pass, format!("all {} drafts evaluated since the deployment have their decision recorded (autoSendAction, and autoSendConfidence unless the action is skip)", d.evaluated_since_live), "")
            } else {
                item("smoke.decisions_recorded", g, CheckStatus::Fail, format!("{unrecorded} of {} drafts evaluated since the deployment lack autoSendAction, or autoSendConfidence with an action other than skip", d.evaluated_since_live), "check the evaluator's errors (AI Ops feed) before going on").with_drafts(&d.unrecorded_ids)
            });
            let from = d.attempts_from.map_or("the deployment".to_owned(), |t| {
                format!("{} UTC", t.format("%Y-%m-%d %H:%M"))
            });
            let grace = crate::core::alarms::grace_note(facts.grace);
            items.push(match revision.as_ref().map(|f| f.live) {
                Some(Live::Known(true)) if d.too_early => item("smoke.no_attempts_while_disabled", g, CheckStatus::Unknown, format!("kill switch live ON; attempts count from {from} (the deployment + {} min build + {grace})", crate::core::alarms::BUILD_GRACE.num_minutes()), "re-check after that time"),
                Some(Live::Known(true)) if d.attempts_since_live == 0 => item("smoke.no_attempts_while_disabled", g, CheckStatus::Pass, format!("kill switch live ON and no revision attempt since {from} ({grace})"), ""),
                Some(Live::Known(true)) => item("smoke.no_attempts_while_disabled", g, CheckStatus::Fail, format!("kill switch live ON, yet {} revision attempts were stamped since {from} ({grace})", d.attempts_since_live), "the switch is not honoured: stop here and investigate").with_drafts(&d.attempt_ids),
                Some(Live::Known(false)) => item("smoke.no_attempts_while_disabled", g, CheckStatus::Pass, format!("kill switch live OFF: {} attempts since {from} are expected", d.attempts_since_live), ""),
                _ => item("smoke.no_attempts_while_disabled", g, CheckStatus::Unknown, "whether the kill switch is live cannot be told", "see deploy.live.AUTO_SEND_REVISION_DISABLED"),
            });
            let n = d.enabled_workspaces;
            // Every one named, as the alarms name every draft.
            let named = if d.enabled_names.is_empty() {
                String::new()
            } else {
                format!(": {}", d.enabled_names.join(", "))
            };
            items.push(match (stage, n) {
                (JudgeStage::Canary, 1) => item(
                    "smoke.workspaces_enabled",
                    g,
                    CheckStatus::Pass,
                    format!("exactly one workspace has the revision toggle on (the canary){named}"),
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
                        "{n} workspaces have the revision toggle on; the canary expects exactly one{named}"
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
                    format!("{n} workspaces have the revision toggle on{named}"),
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

mod env_rules;
use env_rules::env_items;

#[cfg(test)]
mod tests;
