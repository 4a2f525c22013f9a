//! The env source: where production's environment variables and deployments
//! live. One trait, [`EnvSource`]; Vercel implements it for production
//! ([`vercel`]) and the demo world for rehearsal (`demo::env`, next to the
//! world it plays). Readiness, the levers, the top bar's configured/live state
//! and the CLI all read env through it.

pub mod vercel;

use crate::core::env::{Deployment, EnvSnapshot, ReadyState};
use crate::core::time::UtcNaive;
use vercel::VercelError;

/// Why the env source could not answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    /// A Vercel call failed.
    #[error(transparent)]
    Vercel(#[from] VercelError),
    /// The demo world's env store failed.
    #[error("{0}")]
    Demo(String),
    /// No deployment serves production, so there is nothing to redeploy.
    #[error("nothing serves production: there is no deployment to redeploy")]
    NothingServes,
    /// A deployment the source cannot describe.
    #[error("deployment {id}: {problem}")]
    Deployment {
        /// The deployment id.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// An env record as the operator saw it when the plan was made: the
/// compare-and-set of [`EnvSource::write_checked`] expects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The value (`None` = unset).
    pub value: Option<&'a str>,
    /// The record's `updatedAt` (`None` = no record).
    pub updated_at: Option<UtcNaive>,
}

/// How a compare-and-set write of one variable ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvWrite {
    /// Written, and read back with the new value.
    Written,
    /// The record is not what the plan saw: nothing was written.
    Conflict {
        /// Its value now.
        value: Option<String>,
        /// Its `updatedAt` now.
        updated_at: Option<UtcNaive>,
    },
    /// Written, but it reads back as something else.
    ReadBack {
        /// What it reads back as.
        found: Option<String>,
    },
}

/// Why a compare-and-set write could not be carried out (the step at which
/// it stopped decides what is known: before the write nothing changed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The record could not be read before writing: nothing was written.
    #[error("cannot read {key} before writing it: {error}")]
    BeforeRead {
        /// The variable.
        key: String,
        /// Why.
        error: EnvError,
    },
    /// The write itself failed.
    #[error(transparent)]
    Write(EnvError),
    /// Written, but the new value could not be read back.
    #[error("written, but cannot be read back: {0}")]
    ReadBack(EnvError),
}

/// Production's env and deployments, read and changed.
#[async_trait::async_trait]
pub trait EnvSource: Send + Sync {
    /// What this source is, for people ("Vercel project zrg", "the demo's env store").
    fn label(&self) -> String;

    /// The production env and deployments as they are now.
    async fn read(&self, now: UtcNaive) -> Result<EnvSnapshot, EnvError>;

    /// Writes one production variable as it is, without a check. Use
    /// [`EnvSource::write_checked`]: this is its last step.
    async fn write_unchecked(&self, key: &str, value: &str, now: UtcNaive) -> Result<(), EnvError>;

    /// Starts a production redeploy of what serves now; the new deployment's id.
    async fn redeploy(&self, now: UtcNaive) -> Result<String, EnvError>;

    /// A deployment's state now.
    async fn deployment_state(&self, id: &str, now: UtcNaive) -> Result<ReadyState, EnvError>;

    /// Points production at a READY deployment without rebuilding it.
    async fn promote(&self, id: &str, now: UtcNaive) -> Result<(), EnvError>;

    /// Completes the active rolling release whose canary is `canary`, so it
    /// serves all of production. A source without rolling releases refuses.
    async fn complete_rolling(&self, canary: &str, _now: UtcNaive) -> Result<(), EnvError> {
        Err(EnvError::Deployment {
            id: canary.to_owned(),
            problem: format!("{} has no rolling releases to complete", self.label()),
        })
    }

    /// The deployment that serves production now.
    async fn serving(&self, now: UtcNaive) -> Result<Option<Deployment>, EnvError> {
        Ok(self.read(now).await?.serving)
    }

    /// Calls the serving deployment's URL once, where the source has one:
    /// `None` = nothing to call (the demo, or no URL known).
    async fn probe_serving(&self, _env: &EnvSnapshot) -> Option<Result<u16, String>> {
        None
    }

    /// Writes `key = value` only if its record still is what the plan saw
    /// (value and `updatedAt`), then reads it back.
    async fn write_checked(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: &str,
        now: UtcNaive,
    ) -> Result<EnvWrite, WriteError> {
        let record = self
            .read(now)
            .await
            .map_err(|error| WriteError::BeforeRead {
                key: key.to_owned(),
                error,
            })?
            .configured
            .get(key)
            .cloned();
        let current = record.as_ref().and_then(|v| v.value.clone());
        let current_at = record.as_ref().map(|v| v.updated_at);
        if current.as_deref() != expected.value || current_at != expected.updated_at {
            return Ok(EnvWrite::Conflict {
                value: current,
                updated_at: current_at,
            });
        }
        if let Err(e) = self.write_unchecked(key, value, now).await {
            // The write may have been taken although its answer was an error
            // (a 5xx, a lost answer): look before calling it failed, so a
            // value that did change is not left without its redeploy.
            let found = self
                .read(now)
                .await
                .ok()
                .and_then(|env| env.configured.get(key).and_then(|v| v.value.clone()));
            if found.as_deref() == Some(value) {
                tracing::warn!(
                    "the write of {key} answered an error ({e}) but was taken: it reads back as written"
                );
                return Ok(EnvWrite::Written);
            }
            return Err(WriteError::Write(e));
        }
        let found = self
            .read(now)
            .await
            .map_err(WriteError::ReadBack)?
            .configured
            .get(key)
            .and_then(|v| v.value.clone());
        Ok(if found.as_deref() == Some(value) {
            EnvWrite::Written
        } else {
            EnvWrite::ReadBack { found }
        })
    }
}
