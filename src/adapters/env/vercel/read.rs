//! Vercel as the [`EnvSource`]: the production env and deployments read into
//! the rules' shape (what serves is the project's production target), and
//! the writes, redeploys and promotes of the levers.

use super::{DeploymentInfo, EnvRecord, VercelClient, VercelError};
use crate::adapters::env::{EnvError, EnvSource};
use crate::core::env::{Deployment, EnvSnapshot, EnvVar, ReadyState, RollingConfig};
use crate::core::time::UtcNaive;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long the serving deployment's URL may take to answer.
pub const URL_TIMEOUT: Duration = Duration::from_secs(10);

fn from_millis(ms: i64) -> Option<crate::core::time::UtcNaive> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc())
}

/// Reads the production env and deployments from Vercel into the shape the
/// rules use: only `production` records count; sensitive and undecrypted
/// values are never judged (an undecrypted one is fetched once by id).
pub async fn read_env(client: &VercelClient) -> Result<EnvSnapshot, VercelError> {
    let records = client.env_records().await?;
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
        // Only the variables a check judges are decrypted, one by one; the
        // others count by their presence.
        let judged = crate::core::env::RUNBOOK_VARS.contains(&key.as_str());
        if judged && !r.readable() && r.kind != "sensitive" {
            // The list is not decrypted: ask for the one record.
            match client.env_record(&r.id).await {
                Ok(one) => r = one,
                Err(e) => tracing::warn!("reading {key} by id failed: {e}"),
            }
        }
        let updated_at = r.updated_at.and_then(from_millis).unwrap_or_default();
        // A secret is reduced to facts here and its value dropped: it never
        // leaves the adapter.
        let var = if r.readable() {
            EnvVar::read(&key, r.value.take(), updated_at)
        } else {
            EnvVar::unreadable(
                updated_at,
                if r.kind == "sensitive" {
                    "sensitive"
                } else if judged {
                    "not decrypted"
                } else {
                    "not read: no check needs its value"
                },
            )
        };
        env.configured.insert(key, var);
    }
    env.other_targets_only = elsewhere
        .into_iter()
        .filter(|k| !env.configured.contains_key(k))
        .collect();
    // The deployments and the project are reads of their own: one that
    // fails (or does not decode) leaves the env read standing, says why,
    // and leaves what serves unknown.
    if let Err(e) = read_deployments(client, &mut env).await {
        tracing::warn!("the production deployments cannot be read: {e}");
        env.deployments_error = Some(e.to_string());
    }
    // Whether a new production build will start a rolling release (the
    // project's template): a kill switch's plan then completes it.
    if env.rolling.is_none() {
        env.rolling_config = match client.rolling_release_configured().await {
            Ok(true) => RollingConfig::On,
            Ok(false) => RollingConfig::Off,
            Err(e) => RollingConfig::Unknown(e.to_string()),
        };
    }
    Ok(env)
}

/// Every deployment that serves production, observed as the env read
/// observes it (the project's production target, both deployments of an
/// active rolling release), without reading the env itself.
pub async fn serving_ids(client: &VercelClient) -> Result<Vec<String>, String> {
    let mut env = EnvSnapshot::default();
    read_deployments(client, &mut env)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(e) = &env.rolling_error {
        return Err(format!("the rolling release cannot be read: {e}"));
    }
    env.serving_ids()
}

/// What serves production, and the newest production deployment.
async fn read_deployments(client: &VercelClient, env: &mut EnvSnapshot) -> Result<(), VercelError> {
    let mut deployments = client.production_deployments().await?;
    deployments.sort_by_key(|d| std::cmp::Reverse(d.created));
    let to_dep = |d: &DeploymentInfo| {
        Some(Deployment {
            id: d.uid.clone(),
            created_at: from_millis(d.created)?,
            state: d.ready()?,
            env: None,
        })
    };
    env.latest = deployments.first().and_then(to_dep);
    // What serves is observed, not inferred: the project's production target
    // (after an Instant Rollback it is an older build than the newest READY).
    let target = client.project().await?.targets.and_then(|t| t.production);
    env.serving = target.as_ref().and_then(|t| {
        let listed = deployments.iter().find(|d| d.uid == t.id);
        Some(Deployment {
            id: t.id.clone(),
            created_at: t
                .created_at
                .or(listed.map(|d| d.created))
                .and_then(from_millis)?,
            state: t
                .ready_state
                .as_deref()
                .and_then(ReadyState::parse)
                .or_else(|| listed.and_then(DeploymentInfo::ready))?,
            env: None,
        })
    });
    env.serving_url = target.as_ref().and_then(|t| t.url.clone()).or_else(|| {
        let t = target.as_ref()?;
        deployments.iter().find(|d| d.uid == t.id)?.url.clone()
    });
    let newest_ready = deployments
        .iter()
        .find(|d| d.ready() == Some(ReadyState::Ready))
        .and_then(to_dep);
    env.pinned_past = crate::core::env::pinned_past(env.serving.as_ref(), newest_ready);
    // A rolling release is its own read: when it fails, only what all of
    // production runs becomes unknown.
    match read_rolling(client, &deployments).await {
        Ok(Some(r)) => {
            // Two deployments serve on purpose: not a pin.
            env.pinned_past = None;
            env.rolling = Some(r);
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!("the rolling release cannot be read: {e}");
            env.rolling_error = Some(e.to_string());
        }
    }
    Ok(())
}

/// The active rolling release with both deployments' creation times (from
/// the list, else asked one by one).
async fn read_rolling(
    client: &VercelClient,
    listed: &[DeploymentInfo],
) -> Result<Option<crate::core::env::RollingRelease>, VercelError> {
    let Some(info) = client.rolling_release().await? else {
        return Ok(None);
    };
    if info.state != "ACTIVE" {
        return Ok(None);
    }
    let mut two = Vec::new();
    for id in [&info.current, &info.canary] {
        let (created, state) = match listed.iter().find(|d| &d.uid == id) {
            Some(d) => (from_millis(d.created), d.ready()),
            None => {
                let d = client.deployment(id).await?;
                (d.created_at.and_then(from_millis), d.ready())
            }
        };
        two.push(Deployment {
            id: id.clone(),
            created_at: created.ok_or_else(|| {
                VercelError::BadResponse(format!("rolling release: {id} has no creation time"))
            })?,
            state: state.unwrap_or(ReadyState::Ready),
            env: None,
        });
    }
    let canary = two
        .pop()
        .ok_or_else(|| VercelError::BadResponse("rolling release".to_owned()))?;
    let current = two
        .pop()
        .ok_or_else(|| VercelError::BadResponse("rolling release".to_owned()))?;
    Ok(Some(crate::core::env::RollingRelease {
        current,
        canary,
        canary_share: info.canary_share,
    }))
}

#[async_trait::async_trait]
impl EnvSource for VercelClient {
    fn label(&self) -> String {
        format!("Vercel project {}", self.project)
    }

    async fn read(&self, _now: UtcNaive) -> Result<EnvSnapshot, EnvError> {
        Ok(read_env(self).await?)
    }

    async fn write_unchecked(
        &self,
        key: &str,
        value: &str,
        _now: UtcNaive,
    ) -> Result<(), EnvError> {
        Ok(self.upsert_env(key, value).await?)
    }

    async fn redeploy(&self, now: UtcNaive) -> Result<String, EnvError> {
        let env = self.read(now).await?;
        let from = env
            .serving_read()
            .map_err(|problem| EnvError::Deployment {
                id: "production".to_owned(),
                problem: format!("what serves cannot be read: {problem}"),
            })?
            .cloned()
            .ok_or(EnvError::NothingServes)?;
        let name = self
            .production_deployments()
            .await?
            .into_iter()
            .find(|d| d.uid == from.id)
            .and_then(|d| d.name)
            .ok_or_else(|| EnvError::Deployment {
                id: from.id.clone(),
                problem: "it has no name to redeploy under".to_owned(),
            })?;
        Ok(self.redeploy_once(&from.id, &name).await?)
    }

    async fn deployment_state(&self, id: &str, _now: UtcNaive) -> Result<ReadyState, EnvError> {
        let d = self.deployment(id).await?;
        d.ready().ok_or_else(|| EnvError::Deployment {
            id: id.to_owned(),
            problem: format!("unknown state {:?}", d.ready_state),
        })
    }

    async fn promote(&self, id: &str, _now: UtcNaive) -> Result<(), EnvError> {
        Ok(VercelClient::promote(self, id).await?)
    }

    async fn complete_rolling(&self, canary: &str, _now: UtcNaive) -> Result<(), EnvError> {
        Ok(VercelClient::complete_rolling_release(self, canary).await?)
    }

    async fn probe_serving(&self, env: &EnvSnapshot) -> Option<Result<u16, String>> {
        let url = env.serving_url.as_ref()?;
        Some(self.probe(url, URL_TIMEOUT).await)
    }
}
