//! Gathers the readiness facts from the outside world (Vercel, the database,
//! the keyring, or the demo world) and runs the pure rules of
//! [`core::readiness`](crate::core::readiness) over them. Shared by
//! `rollout-panel check` and the Readiness tab.

use crate::adapters::store::Store;
use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, EnvSnapshot};
use crate::core::readiness::{
    DbFacts, DbTarget, DraftFacts, Facts, Item, JudgeStage, attempts_judged_from, evaluate,
    live_since,
};
use crate::core::runbook::Stage;
use crate::core::schema::SchemaReport;
use crate::core::time::UtcNaive;
use crate::ops::session::Session;
use serde::Serialize;
use std::time::Instant;

/// One run of the checklist.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The profile checked.
    pub profile: String,
    /// When (the panel's clock, UTC).
    #[serde(serialize_with = "rfc3339")]
    pub checked_at: UtcNaive,
    /// The stage judged against.
    pub stage: JudgeStage,
    /// The stage derived from the real state.
    pub derived_stage: Stage,
    /// The items, in display order.
    pub items: Vec<Item>,
    /// The env as read (Vercel or the demo), for the top bar; not printed.
    #[serde(skip)]
    pub env: Result<EnvSnapshot, String>,
}

fn rfc3339<S: serde::Serializer>(t: &UtcNaive, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(
        &t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

impl Report {
    /// 0 all pass, 1 warnings only, 2 any failure or unknown.
    pub fn exit_status(&self) -> u8 {
        crate::core::readiness::exit_status(&self.items)
    }
}

/// What the database part of the checklist found.
struct DbPart {
    db: Result<DbFacts, String>,
    schema: Result<SchemaReport, String>,
    drafts: Result<DraftFacts, String>,
}

/// Reads the database facts through a store.
async fn db_part(
    store: &dyn Store,
    local: bool,
    sslmode: Option<String>,
    since: UtcNaive,
    attempts_from: UtcNaive,
    now: UtcNaive,
) -> DbPart {
    let started = Instant::now();
    let db = match store.server_version().await {
        Ok(server_version) => {
            let latency_ms = started.elapsed().as_millis() as u64;
            let tls = store.tls_in_use().await.unwrap_or(None);
            Ok(DbFacts {
                server_version,
                latency_ms,
                tls,
                local,
                sslmode,
            })
        }
        Err(e) => Err(e.to_string()),
    };
    let drafts = match (
        store.draft_facts(since, attempts_from).await,
        store.workspaces().await,
    ) {
        (Ok(mut d), Ok(ws)) => {
            let on: Vec<_> = ws.iter().filter(|w| w.toggle.is_on()).collect();
            d.enabled_workspaces = on.len();
            d.enabled_names = on
                .iter()
                .map(|w| format!("{} ({})", w.name, w.id))
                .collect();
            d.too_early = attempts_from > now;
            Ok(d)
        }
        (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
    };
    DbPart {
        db,
        schema: Ok(store.schema().clone()),
        drafts,
    }
}

fn db_failed(message: &str) -> DbPart {
    DbPart {
        db: Err(message.to_owned()),
        schema: Err(message.to_owned()),
        drafts: Err(message.to_owned()),
    }
}

/// The stage to judge against: the override, else the derived one.
fn judge(
    env: &Result<EnvSnapshot, String>,
    drafts: &Result<DraftFacts, String>,
    stage: Option<JudgeStage>,
) -> (Stage, JudgeStage) {
    let derived = match (env, drafts) {
        (Ok(env), Ok(d)) => Stage::derive(
            &env.flag(AUTO_SEND_REVISION_DISABLED),
            &env.flag(AUTO_SEND_DISABLED),
            d.enabled_workspaces,
        ),
        _ => Stage::Unknown,
    };
    let revision = env
        .as_ref()
        .ok()
        .map(|e| e.flag(AUTO_SEND_REVISION_DISABLED));
    let judged = stage.unwrap_or_else(|| JudgeStage::from_stage(derived, revision.as_ref()));
    (derived, judged)
}

fn report(profile: &str, now: UtcNaive, facts: &Facts, stage: Option<JudgeStage>) -> Report {
    let (derived_stage, judged) = judge(&facts.env, &facts.drafts, stage);
    Report {
        profile: profile.to_owned(),
        checked_at: now,
        stage: judged,
        derived_stage,
        items: evaluate(facts, judged),
        env: facts.env.clone(),
    }
}

/// The checklist of a session: the env source (env, deployments, the
/// serving URL), the database through the session's store, and the pooled
/// URL when a production profile stores one.
pub async fn check(session: &mut Session, now: UtcNaive, stage: Option<JudgeStage>) -> Report {
    // The env first: the serving deployment's build time bounds the smoke counts.
    let (env, url_check) = match session.env().await {
        Err(e) => (Err(e.to_string()), None),
        Ok(source) => match source.read(now).await {
            Err(e) => (Err(e.to_string()), None),
            Ok(env) => {
                let url = source.probe_serving(&env).await;
                (Ok(env), url)
            }
        },
    };
    let since = env.as_ref().ok().and_then(live_since).unwrap_or(now);
    let grace = session.grace();
    let attempts_from = env
        .as_ref()
        .ok()
        .and_then(|e| attempts_judged_from(e, grace))
        .unwrap_or(now);
    let demo = session.is_demo();
    let monitored = session.monitored_db().await;
    let local = demo || monitored.as_ref().is_some_and(DbTarget::is_local);
    let part = match session.store().await {
        Ok(store) => {
            let sslmode = monitored.as_ref().map(|t| {
                t.sslmode
                    .clone()
                    .unwrap_or_else(|| crate::adapters::store::DEFAULT_SSLMODE.to_owned())
            });
            db_part(store.as_ref(), local, sslmode, since, attempts_from, now).await
        }
        Err(e) => db_failed(&e.to_string()),
    };
    let pooled = session.pooled_check().await;
    let profile = session.profile().to_owned();
    let facts = Facts {
        env,
        profile: profile.clone(),
        demo,
        monitored,
        db: part.db,
        pooled,
        schema: part.schema,
        drafts: part.drafts,
        grace,
        url_check,
    };
    report(&profile, now, &facts, stage)
}
