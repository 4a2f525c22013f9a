//! The Vercel REST API (contract/vercel.md): the client and the calls the
//! panel makes. The token travels only in the `Authorization` header (marked
//! sensitive) and never appears in an error.

use crate::core::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

mod decode;
pub mod logs;
mod read;
mod rolling;
use decode::DeploymentsPage;
pub use decode::{EnvPageDecoded, decode_env_page};
pub use read::{URL_TIMEOUT, read_env, serving_ids};
pub use rolling::RollingInfo;

/// How long one call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a Vercel call failed, for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VercelError {
    /// 401/403: the token is wrong, expired or lacks access.
    #[error(
        "Vercel refused the token (HTTP {status}: {message}); create a token with access to the \
         project and store it: rollout-panel secrets set --profile P vercel-token"
    )]
    Unauthorized {
        /// The HTTP status.
        status: u16,
        /// Vercel's message.
        message: String,
    },
    /// 404: the project (or team) does not exist for this token.
    #[error(
        "Vercel has no project {project:?} for this token{team} (HTTP 404: {message}); check the \
         profile's project id/name and team"
    )]
    NotFound {
        /// The project asked for.
        project: String,
        /// " in team X" or "".
        team: String,
        /// Vercel's message.
        message: String,
    },
    /// 429: rate limited.
    #[error(
        "Vercel is rate-limiting this token (HTTP 429, still after {MAX_RETRIES} retries); wait{} and try again",
        wait_hint(*retry_after_secs)
    )]
    RateLimited {
        /// Seconds to wait (from `Retry-After` / `X-RateLimit-Reset`, else a default).
        retry_after_secs: u64,
    },
    /// Any other HTTP error.
    #[error("Vercel answered HTTP {status}: {message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// Vercel's message, or the start of the body.
        message: String,
    },
    /// The API could not be reached.
    #[error("cannot reach the Vercel API at {base}: {detail}")]
    Network {
        /// The base URL.
        base: String,
        /// What failed.
        detail: String,
    },
    /// The answer was not in the documented shape.
    #[error("Vercel's answer was not in the expected shape: {0}")]
    BadResponse(String),
    /// The client could not be built or the URL is wrong.
    #[error("{0}")]
    Setup(String),
    /// A write answered 201 but listed the key under `failed`.
    #[error("Vercel did not write {key}: {message}")]
    WriteFailed {
        /// The variable.
        key: String,
        /// Vercel's words.
        message: String,
    },
}

/// Who a Vercel token belongs to (`GET /v2/user`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct VercelUser {
    /// The user's id.
    #[serde(alias = "uid")]
    pub id: String,
    /// Their username.
    #[serde(default)]
    pub username: String,
}

#[derive(Deserialize)]
struct UserAnswer {
    user: VercelUser,
}

/// A Vercel project, as far as the panel needs it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ProjectInfo {
    /// `prj_…`.
    pub id: String,
    /// The project's name.
    pub name: String,
    /// What its targets point at (`targets.production` serves production).
    #[serde(default)]
    pub targets: Option<ProjectTargets>,
}

/// A project's targets.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ProjectTargets {
    /// The deployment production's domains point at (the same fields as a
    /// deployment's own answer).
    #[serde(default)]
    pub production: Option<DeploymentState>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
}

/// A client for one project.
#[derive(Clone, Debug)]
pub struct VercelClient {
    http: reqwest::Client,
    base: url::Url,
    project: String,
    team: Option<String>,
    token: Secret,
    backoff: Duration,
}

impl VercelClient {
    /// A client for `project` (id or name), optionally in a team (id
    /// `team_…` or slug), at `base` (e.g. `https://api.vercel.com`).
    pub fn new(
        base: &str,
        project: &str,
        team: Option<&str>,
        token: Secret,
    ) -> Result<Self, VercelError> {
        crate::core::profile::check_api_url(base).map_err(VercelError::Setup)?;
        let base = url::Url::parse(base).map_err(|e| VercelError::Setup(e.to_string()))?;
        Ok(Self {
            http: http_client(CALL_TIMEOUT)?,
            base,
            project: project.to_owned(),
            team: team.map(str::to_owned),
            token,
            backoff: Duration::from_millis(500),
        })
    }

    /// The URL of `path` with the team appended.
    fn url(&self, segments: &[&str]) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if let Some(team) = &self.team {
            let key = if team.starts_with("team_") {
                "teamId"
            } else {
                "slug"
            };
            url.query_pairs_mut().append_pair(key, team);
        }
        url
    }

    /// `GET /v9/projects/{idOrName}`: proves the token works and the project exists.
    pub async fn project(&self) -> Result<ProjectInfo, VercelError> {
        let url = self.url(&["v9", "projects", &self.project]);
        self.get_json(url, "project").await
    }

    /// `GET /v2/user`: who the token belongs to (shown and recorded with
    /// the operator's entries, so a token two operators share is seen).
    pub async fn user(&self) -> Result<VercelUser, VercelError> {
        let url = self.url(&["v2", "user"]);
        let answer: UserAnswer = self.get_json(url, "user").await?;
        Ok(answer.user)
    }

    /// GETs JSON, retrying a 429 a bounded number of times: it honours
    /// `Retry-After` / `X-RateLimit-Reset` (capped), else backs off
    /// exponentially with jitter.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: url::Url,
        what: &str,
    ) -> Result<T, VercelError> {
        self.call_json(url, None, what).await
    }

    /// Sends a request (GET, or POST with `body`), retrying a 429 (a
    /// rate-limited request was not processed, so a retry is safe), and a
    /// GET answered with a 5xx.
    async fn call_json<T: serde::de::DeserializeOwned>(
        &self,
        url: url::Url,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<T, VercelError> {
        let mut attempt = 0u32;
        loop {
            match self.call_once(url.clone(), body, what).await {
                Err(VercelError::RateLimited { retry_after_secs }) if attempt < MAX_RETRIES => {
                    let base = match retry_after_secs {
                        0 => self.backoff * 2u32.pow(attempt),
                        s => Duration::from_secs(s).min(MAX_RETRY_WAIT),
                    };
                    let jitter = base.mul_f64(rand::random::<f64>() * 0.25);
                    tracing::info!(
                        "Vercel rate limit on {what}; retrying in {:?}",
                        base + jitter
                    );
                    tokio::time::sleep(base + jitter).await;
                    attempt += 1;
                }
                // A read changes nothing: a 5xx is retried (bounded; a call
                // that timed out is not: its wait is spent); a write is
                // never retried blindly here.
                Err(e @ VercelError::Http { status: 500.., .. })
                    if body.is_none() && attempt < MAX_RETRIES =>
                {
                    let wait = self.backoff * 2u32.pow(attempt);
                    tracing::info!("Vercel {what} failed ({e}); retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn call_once<T: serde::de::DeserializeOwned>(
        &self,
        url: url::Url,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<T, VercelError> {
        let network = |e: reqwest::Error| VercelError::Network {
            base: self.base.to_string(),
            detail: describe_reqwest(&e),
        };
        let request = match body {
            Some(b) => self.http.post(url).json(b),
            None => self.http.get(url),
        };
        let response = request
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(network)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(network)?;
        if (200..300).contains(&status) {
            // A 201/202 may come without a body (promote): read it as `null`.
            let body = if body.trim().is_empty() {
                "null"
            } else {
                &body
            };
            return serde_json::from_str(body)
                .map_err(|e| VercelError::BadResponse(format!("{what}: {e}")));
        }
        Err(self.http_error(status, &headers, &body))
    }

    /// The error a non-2xx answer stands for.
    fn http_error(
        &self,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &str,
    ) -> VercelError {
        let message = serde_json::from_str::<ErrorBody>(body)
            .map(|b| b.error.message)
            .unwrap_or_else(|_| body.chars().take(200).collect());
        match status {
            401 | 403 => VercelError::Unauthorized { status, message },
            404 => VercelError::NotFound {
                project: self.project.clone(),
                team: self
                    .team
                    .as_ref()
                    .map(|t| format!(" in team {t}"))
                    .unwrap_or_default(),
                message,
            },
            429 => VercelError::RateLimited {
                retry_after_secs: retry_after(headers).unwrap_or(0),
            },
            _ => VercelError::Http { status, message },
        }
    }

    /// Every env record of the project (all targets), following `until`
    /// pagination. Values are **not** asked decrypted: the few a check needs
    /// are read one by one ([`VercelClient::env_record`]). A record that
    /// does not decode (no `id`, a wrong type) is skipped and reported; the
    /// rest of the read stands.
    pub async fn env_records(&self) -> Result<Vec<EnvRecord>, VercelError> {
        let mut out = Vec::new();
        let mut until: Option<i64> = None;
        for _ in 0..MAX_PAGES {
            let mut url = self.url(&["v10", "projects", &self.project, "env"]);
            if let Some(u) = until {
                url.query_pairs_mut().append_pair("until", &u.to_string());
            }
            let page: serde_json::Value = self.get_json(url, "env list").await?;
            let page = decode_env_page(page)?;
            for skipped in &page.skipped {
                tracing::warn!("skipped one Vercel env record: {skipped}; the others are read");
            }
            out.extend(page.records);
            match page.next {
                Some(next) => until = Some(next),
                None => return Ok(out),
            }
        }
        Err(VercelError::BadResponse(format!(
            "env list: more than {MAX_PAGES} pages"
        )))
    }

    /// One env record by id (`GET /v1/projects/{idOrName}/env/{id}`), which
    /// returns the decrypted value where the list did not.
    pub async fn env_record(&self, id: &str) -> Result<EnvRecord, VercelError> {
        let url = self.url(&["v1", "projects", &self.project, "env", id]);
        self.get_json(url, "env record").await
    }

    /// The newest production deployments, newest first.
    pub async fn production_deployments(&self) -> Result<Vec<DeploymentInfo>, VercelError> {
        let mut url = self.url(&["v6", "deployments"]);
        url.query_pairs_mut()
            .append_pair("projectId", &self.project)
            .append_pair("target", "production")
            .append_pair("limit", "20");
        let page: DeploymentsPage = self.get_json(url, "deployments").await?;
        Ok(page.decoded())
    }

    /// Calls a deployment's URL (host, or a full URL) once, without
    /// following redirects; returns the HTTP status.
    pub async fn probe(&self, deployment_url: &str, timeout: Duration) -> Result<u16, String> {
        let target =
            if deployment_url.starts_with("http://") || deployment_url.starts_with("https://") {
                deployment_url.to_owned()
            } else {
                format!("https://{deployment_url}")
            };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let r = client
            .get(&target)
            .send()
            .await
            .map_err(|e| format!("{target}: {}", describe_reqwest(&e)))?;
        let code = r.status().as_u16();
        if (200..400).contains(&code) || code == 401 {
            Ok(code)
        } else {
            Err(format!("{target} answered HTTP {code}"))
        }
    }

    /// Creates or replaces a production env variable (`POST
    /// /v10/projects/{idOrName}/env?upsert=true`). A 201 that lists the key
    /// under `failed` is a failure.
    pub async fn upsert_env(&self, key: &str, value: &str) -> Result<(), VercelError> {
        let mut url = self.url(&["v10", "projects", &self.project, "env"]);
        url.query_pairs_mut().append_pair("upsert", "true");
        let body = serde_json::json!([{
            "key": key, "value": value, "type": "plain", "target": ["production"],
            "comment": "set by rollout-panel"
        }]);
        let answer: UpsertAnswer = self.call_json(url, Some(&body), "env upsert").await?;
        match answer.failed.first() {
            None => Ok(()),
            Some(f) => Err(VercelError::WriteFailed {
                key: f.error.key.clone().unwrap_or_else(|| key.to_owned()),
                message: format!("{} ({})", f.error.message, f.error.code),
            }),
        }
    }

    /// Redeploys production from an existing deployment, as `vercel
    /// redeploy` does (`POST /v13/deployments?forceNew=1`).
    pub async fn redeploy(
        &self,
        from_id: &str,
        name: &str,
    ) -> Result<DeploymentState, VercelError> {
        let mut url = self.url(&["v13", "deployments"]);
        url.query_pairs_mut().append_pair("forceNew", "1");
        let body = serde_json::json!({
            "name": name, "deploymentId": from_id, "target": "production",
            "meta": {"action": "redeploy"}
        });
        self.call_json(url, Some(&body), "redeploy").await
    }

    /// A redeploy whose meta carries `marker`, so a build whose POST failed
    /// ambiguously can be found again.
    async fn redeploy_marked(
        &self,
        from_id: &str,
        name: &str,
        marker: &str,
    ) -> Result<DeploymentState, VercelError> {
        let mut url = self.url(&["v13", "deployments"]);
        url.query_pairs_mut().append_pair("forceNew", "1");
        let body = serde_json::json!({
            "name": name, "deploymentId": from_id, "target": "production",
            "meta": {"action": "redeploy", REDEPLOY_MARKER: marker}
        });
        self.call_json(url, Some(&body), "redeploy").await
    }

    /// The production deployment created since `since_ms` whose meta carries
    /// `marker`, if Vercel accepted such a redeploy.
    async fn find_marked(
        &self,
        marker: &str,
        since_ms: i64,
    ) -> Result<Option<String>, VercelError> {
        let mut url = self.url(&["v6", "deployments"]);
        url.query_pairs_mut()
            .append_pair("projectId", &self.project)
            .append_pair("target", "production")
            .append_pair("since", &since_ms.to_string())
            .append_pair("limit", "20");
        let page: DeploymentsPage = self.get_json(url, "deployments").await?;
        Ok(page
            .decoded()
            .into_iter()
            .find(|d| {
                d.meta
                    .as_ref()
                    .and_then(|m| m.get(REDEPLOY_MARKER))
                    .and_then(|v| v.as_str())
                    == Some(marker)
            })
            .map(|d| d.uid))
    }

    /// Redeploys so that one lever makes one build: a POST that failed
    /// ambiguously (no answer, a 5xx) may still have been accepted, so the
    /// build is looked up by its marker before the one retry.
    pub async fn redeploy_once(&self, from_id: &str, name: &str) -> Result<String, VercelError> {
        let marker = uuid::Uuid::new_v4().to_string();
        // Vercel's clock, not ours, stamps `created`: look a minute back.
        let since = chrono::Utc::now().timestamp_millis() - 60_000;
        let mut tries = 0;
        loop {
            tries += 1;
            match self.redeploy_marked(from_id, name, &marker).await {
                Ok(d) => return Ok(d.id),
                Err(e) if e.is_ambiguous() => {
                    tracing::warn!(
                        "the redeploy request failed ambiguously ({e}); looking for its build"
                    );
                    if let Some(id) = self.find_marked(&marker, since).await? {
                        tracing::info!("the redeploy was accepted after all: following {id}");
                        return Ok(id);
                    }
                    if tries >= 2 {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One deployment's state (`GET /v13/deployments/{id}`).
    pub async fn deployment(&self, id: &str) -> Result<DeploymentState, VercelError> {
        let url = self.url(&["v13", "deployments", id]);
        self.get_json(url, "deployment").await
    }

    /// Points production at a READY deployment without rebuilding it
    /// (`POST /v10/projects/{idOrName}/promote/{deploymentId}`, 201/202).
    pub async fn promote(&self, id: &str) -> Result<(), VercelError> {
        let url = self.url(&["v10", "projects", &self.project, "promote", id]);
        let _: serde_json::Value = self
            .call_json(url, Some(&serde_json::json!({})), "promote")
            .await?;
        Ok(())
    }

    /// Shortens the backoff of unannounced 429s (tests).
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Changes the per-call timeout (tests).
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self, VercelError> {
        self.http = http_client(timeout)?;
        Ok(self)
    }
}

/// The meta key of the panel's redeploys (a request id).
pub const REDEPLOY_MARKER: &str = "rolloutPanelRequest";

impl VercelError {
    /// Whether the request may have been carried out although it failed (no
    /// answer, or a server error): look before retrying a write.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, Self::Network { .. })
            || matches!(self, Self::Http { status, .. } if *status >= 500)
    }
}

/// How often a 429 (or a 5xx on a read) is retried: a storm of five
/// answers in a row is ridden out, each wait bounded by [`MAX_RETRY_WAIT`].
pub const MAX_RETRIES: u32 = 5;
/// The longest wait honoured from `Retry-After`.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(20);
/// A bound on env pagination.
const MAX_PAGES: usize = 50;

fn http_client(timeout: Duration) -> Result<reqwest::Client, VercelError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("rollout-panel/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| VercelError::Setup(format!("cannot build the HTTP client: {e}")))
}

/// One env record as the API returns it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvRecord {
    /// Record id.
    pub id: String,
    /// Variable name.
    pub key: String,
    /// The value (ciphertext when `decrypted` is false; absent for sensitive).
    #[serde(default)]
    pub value: Option<String>,
    /// `plain`, `encrypted`, `sensitive`, `system`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The targets it serves.
    #[serde(default)]
    pub target: Vec<String>,
    /// A git branch it is limited to.
    #[serde(default)]
    pub git_branch: Option<String>,
    /// Whether `value` is plaintext.
    #[serde(default)]
    pub decrypted: Option<bool>,
    /// Last change, ms since epoch.
    #[serde(default)]
    pub updated_at: Option<i64>,
}

impl EnvRecord {
    /// Whether the value can be judged: plain, or decrypted.
    pub fn readable(&self) -> bool {
        self.kind != "sensitive"
            && self.value.is_some()
            && (self.kind == "plain" || self.decrypted == Some(true))
    }
}

/// A deployment as listed.
#[derive(Clone, Debug, Deserialize)]
pub struct DeploymentInfo {
    /// Deployment id.
    pub uid: String,
    /// The project name it was deployed as (a redeploy needs it).
    #[serde(default)]
    pub name: Option<String>,
    /// Its host name.
    #[serde(default)]
    pub url: Option<String>,
    /// Created, ms since epoch.
    pub created: i64,
    /// `state` (older answers) …
    #[serde(default)]
    pub state: Option<String>,
    /// … or `readyState`.
    #[serde(default, rename = "readyState")]
    pub ready_state: Option<String>,
    /// The deployment's meta (a redeploy of the panel carries its request id).
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
}

impl DeploymentInfo {
    /// Its state, whichever field carries it.
    pub fn ready(&self) -> Option<crate::core::env::ReadyState> {
        self.ready_state
            .as_deref()
            .or(self.state.as_deref())
            .and_then(crate::core::env::ReadyState::parse)
    }
}

/// A deployment's state, as `GET /v13/deployments/{id}`, the redeploy, and a
/// project's target (`targets.production`) answer it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentState {
    /// Deployment id.
    pub id: String,
    /// Its host name.
    #[serde(default)]
    pub url: Option<String>,
    /// `QUEUED`, `BUILDING`, `READY`, `ERROR`, `CANCELED`, …
    #[serde(default)]
    pub ready_state: Option<String>,
    /// Created, ms since epoch.
    #[serde(default)]
    pub created_at: Option<i64>,
}

impl DeploymentState {
    /// The parsed state.
    pub fn ready(&self) -> Option<crate::core::env::ReadyState> {
        self.ready_state
            .as_deref()
            .and_then(crate::core::env::ReadyState::parse)
    }
}

#[derive(Deserialize)]
struct UpsertAnswer {
    #[serde(default)]
    failed: Vec<UpsertFailure>,
}

#[derive(Deserialize)]
struct UpsertFailure {
    error: UpsertError,
}

#[derive(Deserialize)]
struct UpsertError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    key: Option<String>,
}

fn wait_hint(secs: u64) -> String {
    if secs == 0 {
        " a minute".to_owned()
    } else {
        format!(" {secs} s")
    }
}

/// Seconds to wait from `Retry-After` (seconds) or `X-RateLimit-Reset` (epoch seconds).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let num = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    // `Retry-After` may also be an HTTP date (contract: runtime logs).
    let date = || {
        let v = headers.get("retry-after")?.to_str().ok()?;
        let at = chrono::DateTime::parse_from_rfc2822(v.trim()).ok()?;
        let secs = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
        Some(u64::try_from(secs).unwrap_or(0))
    };
    num("retry-after").or_else(date).or_else(|| {
        let reset = num("x-ratelimit-reset")?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs();
        Some(reset.saturating_sub(now))
    })
}

/// A reqwest error without its URL's query (which could carry a team id;
/// never a token, which is only in a header).
fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({cause})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_team_and_escape_the_project() {
        let c = VercelClient::new(
            "http://127.0.0.1:9/base/",
            "my-app",
            Some("team_123"),
            Secret::new("t"),
        )
        .unwrap();
        assert_eq!(
            c.url(&["v9", "projects", "my-app"]).as_str(),
            "http://127.0.0.1:9/base/v9/projects/my-app?teamId=team_123"
        );
        let c = VercelClient::new(
            "https://api.vercel.com",
            "a b",
            Some("acme"),
            Secret::new("t"),
        )
        .unwrap();
        assert_eq!(
            c.url(&["v9", "projects", "a b"]).as_str(),
            "https://api.vercel.com/v9/projects/a%20b?slug=acme"
        );
        assert!(VercelClient::new("not a url", "p", None, Secret::new("t")).is_err());
    }
}
