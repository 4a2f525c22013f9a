//! The demo world as an [`EnvSource`]: its env store stands in for Vercel,
//! and its deployments pass QUEUED → BUILDING → READY in a few seconds. Reads
//! first move the deployments along to `now`, as time passes on Vercel.

use super::{DemoError, DemoWorld};
use crate::adapters::env::{EnvError, EnvSource};
use crate::core::env::{EnvSnapshot, ReadyState};
use crate::core::time::UtcNaive;

impl From<DemoError> for EnvError {
    fn from(e: DemoError) -> Self {
        EnvError::Demo(e.to_string())
    }
}

#[async_trait::async_trait]
impl EnvSource for DemoWorld {
    fn label(&self) -> String {
        "the demo's env store".to_owned()
    }

    async fn read(&self, now: UtcNaive) -> Result<EnvSnapshot, EnvError> {
        self.advance_deployments(now).await?;
        Ok(self.env_snapshot().await?)
    }

    async fn write_unchecked(&self, key: &str, value: &str, now: UtcNaive) -> Result<(), EnvError> {
        Ok(self.set_env(key, Some(value), now).await?)
    }

    async fn redeploy(&self, now: UtcNaive) -> Result<String, EnvError> {
        Ok(DemoWorld::redeploy(self, now).await?)
    }

    async fn deployment_state(&self, id: &str, now: UtcNaive) -> Result<ReadyState, EnvError> {
        self.read(now)
            .await?
            .latest
            .filter(|d| d.id == id)
            .map(|d| d.state)
            .ok_or_else(|| EnvError::Deployment {
                id: id.to_owned(),
                problem: "it is no longer the latest".to_owned(),
            })
    }

    async fn promote(&self, id: &str, now: UtcNaive) -> Result<(), EnvError> {
        Ok(DemoWorld::promote(self, id, now).await?)
    }

    async fn complete_rolling(&self, canary: &str, now: UtcNaive) -> Result<(), EnvError> {
        Ok(DemoWorld::complete_rolling(self, canary, now).await?)
    }
}
