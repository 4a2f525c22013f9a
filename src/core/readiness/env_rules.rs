//! The Vercel env part of the readiness checklist: each runbook variable
//! present for production and sane, the kill switches as the stage wants them.

use super::{CheckStatus, DbTarget, Facts, Group, Item, JudgeStage, item};
use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, EnvSnapshot, SecretFacts};

/// What the env holds for a key.
enum Value<'a> {
    Missing {
        elsewhere: bool,
    },
    Unreadable(&'a str),
    /// A flag's value.
    Readable(&'a str),
    /// What is known of a secret's value (never the value).
    Secret(&'a SecretFacts),
}

fn value<'a>(env: &'a EnvSnapshot, key: &str) -> Value<'a> {
    match env.configured.get(key) {
        None => Value::Missing {
            elsewhere: env.other_targets_only.contains(key),
        },
        Some(v) => match (&v.unreadable, &v.facts, &v.value) {
            (Some(why), _, _) => Value::Unreadable(why),
            (None, Some(f), _) => Value::Secret(f),
            (None, None, Some(s)) => Value::Readable(s),
            (None, None, None) => Value::Missing { elsewhere: false },
        },
    }
}

/// Where a URL variable points: from its facts, or a plain value parsed.
fn db_of(env: &EnvSnapshot, key: &str) -> Result<DbTarget, String> {
    match env.configured.get(key) {
        Some(v) => match (&v.facts, &v.value) {
            (Some(SecretFacts { db: Some(r), .. }), _) => r.clone(),
            (_, Some(plain)) => DbTarget::parse(plain),
            _ => Err("its value was not read".to_owned()),
        },
        None => Err("it is not set".to_owned()),
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

pub(super) fn env_items(facts: &Facts, stage: JudgeStage, items: &mut Vec<Item>) {
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
            // A URL variable holds a secret (its password): its facts say
            // where it points. A plain value (never seen from Vercel) is
            // parsed the same way.
            Value::Secret(SecretFacts { db: None, .. }) => item(
                &id,
                g,
                CheckStatus::Unknown,
                format!("{key} is present but where it points was not read"),
                "re-check",
            ),
            Value::Readable(_) | Value::Secret(SecretFacts { db: Some(_), .. }) => {
                match db_of(env, key) {
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
                }
            }
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
        Value::Secret(f) if f.openai_prefix && f.chars >= 20 && !f.whitespace => item("env.OPENAI_API_KEY", g, CheckStatus::Pass, format!("present, shape sk-… ({} characters)", f.chars), ""),
        Value::Secret(f) => item("env.OPENAI_API_KEY", g, CheckStatus::Warn, format!("present but not shaped like an OpenAI key (sk-…, {} characters); {consequence} if it is invalid", f.chars), "check the key in the OpenAI dashboard and paste it again"),
        Value::Readable(_) => item("env.OPENAI_API_KEY", g, CheckStatus::Pass, "present (read as a plain value: its shape is not checked)", ""),
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
            Value::Secret(f) if f.chars >= 16 => item(
                "env.CRON_SECRET",
                g,
                CheckStatus::Pass,
                format!("present ({} characters)", f.chars),
                "",
            ),
            Value::Secret(f) => item(
                "env.CRON_SECRET",
                g,
                CheckStatus::Warn,
                format!("present but only {} characters: easy to guess", f.chars),
                "use a random secret of 32+ characters",
            ),
            Value::Readable(_) => item(
                "env.CRON_SECRET",
                g,
                CheckStatus::Pass,
                "present (read as a plain value: its length is not checked)",
                "",
            ),
        },
    ));

    // WORKSPACE_PROVISIONING_SECRET, with the app's fallbacks (contract §4).
    let key = "WORKSPACE_PROVISIONING_SECRET";
    items.push(dup(key, match value(env, key) {
        Value::Readable("") | Value::Secret(SecretFacts { chars: 0, .. }) => item("env.WORKSPACE_PROVISIONING_SECRET", g, CheckStatus::Fail, "set to an empty string: the admin routes answer 500 \"Server misconfigured\" (an empty value does not fall through)", "set a random secret or remove the variable"),
        Value::Readable(_) | Value::Secret(_) | Value::Unreadable(_) => item("env.WORKSPACE_PROVISIONING_SECRET", g, CheckStatus::Pass, "present", ""),
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
            // (a flag is never a secret: no facts are kept for it)
            Value::Secret(_) => item(
                "env.AUTO_SEND_DISABLED",
                g,
                CheckStatus::Unknown,
                "present but its value was not kept",
                "re-check",
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
        (Value::Secret(_), _) => item(id, g, CheckStatus::Unknown, "present but its value was not kept", "re-check"),
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
