//! Gathers the readiness facts from the outside world (Vercel, the database,
//! the keyring, or the demo world) and runs the pure rules of
//! [`core::readiness`](crate::core::readiness) over them. Shared by
//! `rollout-panel check` and the Readiness tab.

use crate::adapters::secrets::Keyring;
use crate::adapters::store::{PgStore, Store};
use crate::adapters::vercel::{EnvRecord, VercelClient};
use crate::core::env::{
    AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, Deployment, EnvSnapshot, EnvVar,
};
use crate::core::profile::Profile;
use crate::core::readiness::{
    DbFacts, DbTarget, DraftFacts, Facts, Item, JudgeStage, evaluate, live_since,
};
use crate::core::runbook::Stage;
use crate::core::schema::SchemaReport;
use crate::core::secret::SecretKey;
use crate::core::time::UtcNaive;
use crate::demo::DemoWorld;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long the serving deployment's URL may take to answer.
pub const URL_TIMEOUT: Duration = Duration::from_secs(10);

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
async fn db_part(store: &dyn Store, local: bool, since: UtcNaive) -> DbPart {
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
            })
        }
        Err(e) => Err(e.to_string()),
    };
    let drafts = match (store.draft_facts(since).await, store.workspaces().await) {
        (Ok(mut d), Ok(ws)) => {
            d.enabled_workspaces = ws.iter().filter(|w| w.toggle.is_on()).count();
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

/// The checklist on the demo world (its env store stands in for Vercel).
pub async fn check_demo(
    world: &DemoWorld,
    store: &dyn Store,
    now: UtcNaive,
    stage: Option<JudgeStage>,
) -> Report {
    let _ = world.advance_deployments(now).await;
    let env = world.env_snapshot().await.map_err(|e| e.to_string());
    let since = env.as_ref().ok().and_then(live_since).unwrap_or(now);
    let part = db_part(store, true, since).await;
    let facts = Facts {
        env,
        profile: crate::core::profile::DEMO_PROFILE.to_owned(),
        demo: true,
        monitored: None,
        db: part.db,
        pooled: None,
        schema: part.schema,
        drafts: part.drafts,
        url_check: None,
    };
    report(crate::core::profile::DEMO_PROFILE, now, &facts, stage)
}

/// The checklist of a configured profile: Vercel (env, deployments, the
/// serving URL), the database through the panel's own connection (`store`,
/// or a new connection when `None`), and the pooled URL when stored.
pub async fn check_profile(
    name: &str,
    profile: &Profile,
    keyring: &Keyring,
    store: Option<&dyn Store>,
    now: UtcNaive,
    stage: Option<JudgeStage>,
) -> Report {
    let secret = |key| {
        let keyring = keyring.clone();
        let name = name.to_owned();
        async move {
            tokio::task::spawn_blocking(move || keyring.require(&name, key))
                .await
                .map_err(|e| format!("reading the keyring failed: {e}"))?
        }
    };
    // Vercel first: the serving deployment's build time bounds the smoke counts.
    let (env, url_check) = match secret(SecretKey::VercelToken).await {
        Err(e) => (Err(e), None),
        Ok(token) => match VercelClient::new(
            &profile.vercel_api,
            &profile.vercel_project,
            profile.vercel_team.as_deref(),
            token,
        ) {
            Err(e) => (Err(e.to_string()), None),
            Ok(client) => match read_vercel_env(&client).await {
                Err(e) => (Err(e), None),
                Ok(env) => {
                    let url = match &env.serving_url {
                        Some(u) => Some(client.probe(u, URL_TIMEOUT).await),
                        None => None,
                    };
                    (Ok(env), url)
                }
            },
        },
    };
    let since = env.as_ref().ok().and_then(live_since).unwrap_or(now);
    let db_url = secret(SecretKey::DatabaseUrl).await;
    let monitored = db_url
        .as_ref()
        .ok()
        .and_then(|u| DbTarget::parse(u.expose()).ok());
    let local = monitored.as_ref().is_some_and(DbTarget::is_local);
    let part = match (store, &db_url) {
        (Some(store), _) => db_part(store, local, since).await,
        (None, Err(e)) => db_failed(e),
        (None, Ok(url)) => match tokio::time::timeout(
            crate::profiles::TEST_TIMEOUT,
            PgStore::connect(url.expose()),
        )
        .await
        {
            Ok(Ok(pg)) => {
                let part = db_part(&pg, local, since).await;
                pg.pool().close().await;
                part
            }
            Ok(Err(e)) => db_failed(&e.to_string()),
            Err(_) => db_failed("the database did not answer in time"),
        },
    };
    // The keyring blocks on D-Bus: off the async threads, like the reads above.
    let pooled_secret = {
        let (keyring, name) = (keyring.clone(), name.to_owned());
        tokio::task::spawn_blocking(move || keyring.get(&name, SecretKey::PooledDatabaseUrl))
            .await
            .unwrap_or_else(|e| {
                Err(crate::adapters::secrets::KeyringError::Failed {
                    detail: e.to_string(),
                })
            })
    };
    let pooled = match pooled_secret {
        Ok(Some(url)) => Some(crate::profiles::test_reachable(&url).await),
        Ok(None) => None,
        Err(e) => Some(Err(e.to_string())),
    };
    let facts = Facts {
        env,
        profile: name.to_owned(),
        demo: false,
        monitored,
        db: part.db,
        pooled,
        schema: part.schema,
        drafts: part.drafts,
        url_check,
    };
    report(name, now, &facts, stage)
}

fn from_millis(ms: i64) -> Option<UtcNaive> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc())
}

/// Reads the production env and deployments from Vercel into the shape the
/// rules use: only `production` records count; sensitive and undecrypted
/// values are never judged (an undecrypted one is fetched once by id).
pub async fn read_vercel_env(client: &VercelClient) -> Result<EnvSnapshot, String> {
    let records = client.env_records().await.map_err(|e| e.to_string())?;
    let mut production: BTreeMap<String, Vec<EnvRecord>> = BTreeMap::new();
    let mut elsewhere = std::collections::BTreeSet::new();
    for r in records {
        if r.target.iter().any(|t| t == "production") && r.git_branch.is_none() {
            production.entry(r.key.clone()).or_default().push(r);
        } else {
            elsewhere.insert(r.key.clone());
        }
    }
    let mut env = EnvSnapshot::default();
    for (key, mut recs) in production {
        if recs.len() > 1 {
            env.duplicates.insert(key.clone(), recs.len());
        }
        recs.sort_by_key(|r| std::cmp::Reverse(r.updated_at));
        let mut r = recs.swap_remove(0);
        if !r.readable() && r.kind != "sensitive" {
            // decrypt=true can still return ciphertext: ask for the one record.
            match client.env_record(&r.id).await {
                Ok(one) => r = one,
                Err(e) => tracing::warn!("reading {key} by id failed: {e}"),
            }
        }
        let updated_at = r.updated_at.and_then(from_millis).unwrap_or_default();
        let var = if r.readable() {
            EnvVar {
                value: r.value.clone(),
                updated_at,
                unreadable: None,
            }
        } else {
            EnvVar {
                value: None,
                updated_at,
                unreadable: Some(if r.kind == "sensitive" {
                    "sensitive".to_owned()
                } else {
                    "not decrypted".to_owned()
                }),
            }
        };
        env.configured.insert(key, var);
    }
    env.other_targets_only = elsewhere
        .into_iter()
        .filter(|k| !env.configured.contains_key(k))
        .collect();
    let mut deployments = client
        .production_deployments()
        .await
        .map_err(|e| e.to_string())?;
    deployments.sort_by_key(|d| std::cmp::Reverse(d.created));
    let to_dep = |d: &crate::adapters::vercel::DeploymentInfo| {
        Some(Deployment {
            id: d.uid.clone(),
            created_at: from_millis(d.created)?,
            state: d.ready()?,
            env: None,
        })
    };
    env.latest = deployments.first().and_then(to_dep);
    let serving = deployments
        .iter()
        .find(|d| d.ready() == Some(crate::core::env::ReadyState::Ready));
    env.serving = serving.and_then(to_dep);
    env.serving_url = serving.and_then(|d| d.url.clone());
    Ok(env)
}
