//! The Vercel REST API (contract/vercel.md): the client and the calls the
//! panel makes. The token travels only in the `Authorization` header (marked
//! sensitive) and never appears in an error.

use crate::core::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

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
    #[error("Vercel is rate-limiting this token (HTTP 429); retry in {retry_after_secs} s")]
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
}

/// A Vercel project, as far as the panel needs it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ProjectInfo {
    /// `prj_…`.
    pub id: String,
    /// The project's name.
    pub name: String,
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
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("rollout-panel/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| VercelError::Setup(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            project: project.to_owned(),
            team: team.map(str::to_owned),
            token,
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
        let response = self
            .http
            .get(url)
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|e| VercelError::Network {
                base: self.base.to_string(),
                detail: describe_reqwest(&e),
            })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.map_err(|e| VercelError::Network {
            base: self.base.to_string(),
            detail: describe_reqwest(&e),
        })?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&body)
                .map_err(|e| VercelError::BadResponse(format!("project: {e}")));
        }
        let message = serde_json::from_str::<ErrorBody>(&body)
            .map(|b| b.error.message)
            .unwrap_or_else(|_| body.chars().take(200).collect());
        Err(match status {
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
                retry_after_secs: retry_after(&headers).unwrap_or(60),
            },
            _ => VercelError::Http { status, message },
        })
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
    num("retry-after").or_else(|| {
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
