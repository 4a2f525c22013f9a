//! The demo's production database as the panel reaches it: the world's
//! SQLite read like production ([`SqliteStore`]), which stops answering
//! while the `database-down` fault is on — as a Postgres that went away
//! does — while the world's Vercel side (env, deployments, logs) goes on.

use super::DemoWorld;
use crate::adapters::store::{PollRead, SqliteStore, Store, StoreError};
use crate::core::metrics::SeriesChunk;
use crate::core::schema::SchemaReport;
use crate::core::time::UtcNaive;
use crate::core::workspace::{RevisionCounts, RevisionToggle, ToggleWrite, Workspace};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// What a call says while the database is down.
pub const DOWN_MESSAGE: &str =
    "connection refused: the server does not answer (the demo's database-down fault is on)";

/// The demo world's database behind its `database-down` switch.
pub struct AppStore {
    inner: SqliteStore,
    world: DemoWorld,
}

impl AppStore {
    /// The store of `world`.
    pub async fn open(world: &DemoWorld) -> Result<Self, StoreError> {
        Ok(Self {
            inner: world.store().await?,
            world: world.clone(),
        })
    }

    /// Fails as a database that went away does while the fault is on. The
    /// switch is read from the world's settings on every call (one small
    /// read), so throwing it from another process takes effect at once; when
    /// even that read fails, the call goes on and fails on its own.
    async fn up(&self) -> Result<(), StoreError> {
        match self.world.faults().await {
            Ok(f) if f.database_down => Err(StoreError::Connect(DOWN_MESSAGE.to_owned())),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl Store for AppStore {
    fn schema(&self) -> &SchemaReport {
        self.inner.schema()
    }

    async fn refresh_schema(&mut self) -> Result<&SchemaReport, StoreError> {
        self.up().await?;
        self.inner.refresh_schema().await
    }

    async fn server_version(&self) -> Result<String, StoreError> {
        self.up().await?;
        self.inner.server_version().await
    }

    async fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.up().await?;
        self.inner.workspaces().await
    }

    async fn revision_counts(
        &self,
        since: UtcNaive,
    ) -> Result<BTreeMap<String, RevisionCounts>, StoreError> {
        self.up().await?;
        self.inner.revision_counts(since).await
    }

    async fn revised_draft_ids(
        &self,
        start: UtcNaive,
        end: UtcNaive,
        workspace_id: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        self.up().await?;
        self.inner.revised_draft_ids(start, end, workspace_id).await
    }

    async fn drafts_by_ids(
        &self,
        ids: &[String],
    ) -> Result<Vec<crate::core::export::DraftRow>, StoreError> {
        self.up().await?;
        self.inner.drafts_by_ids(ids).await
    }

    async fn review_texts(
        &self,
        ids: &[String],
    ) -> Result<Vec<crate::core::review::ReviewText>, StoreError> {
        self.up().await?;
        self.inner.review_texts(ids).await
    }

    async fn claims_since(
        &self,
        since: UtcNaive,
    ) -> Result<Vec<crate::core::alarms::ClaimFact>, StoreError> {
        self.up().await?;
        self.inner.claims_since(since).await
    }

    async fn revision_series(
        &self,
        since: UtcNaive,
        now: UtcNaive,
    ) -> Result<SeriesChunk, StoreError> {
        self.up().await?;
        self.inner.revision_series(since, now).await
    }

    async fn series_between(
        &self,
        since: UtcNaive,
        until: UtcNaive,
        now: UtcNaive,
    ) -> Result<SeriesChunk, StoreError> {
        self.up().await?;
        self.inner.series_between(since, until, now).await
    }

    async fn poll(&self, since: UtcNaive, now: UtcNaive) -> Result<PollRead, StoreError> {
        self.up().await?;
        self.inner.poll(since, now).await
    }

    async fn loop_summaries(
        &self,
        since: UtcNaive,
    ) -> Result<Vec<crate::core::alarms::LoopSummary>, StoreError> {
        self.up().await?;
        self.inner.loop_summaries(since).await
    }

    async fn revision_path(
        &self,
        since: UtcNaive,
    ) -> Result<crate::core::health::PathRows, StoreError> {
        self.up().await?;
        self.inner.revision_path(since).await
    }

    async fn draft_facts(
        &self,
        since: UtcNaive,
        attempts_from: UtcNaive,
    ) -> Result<crate::core::readiness::DraftFacts, StoreError> {
        self.up().await?;
        self.inner.draft_facts(since, attempts_from).await
    }

    async fn set_revision_toggle(
        &self,
        client_id: &str,
        expected: RevisionToggle,
        enabled: bool,
        now: UtcNaive,
    ) -> Result<ToggleWrite, StoreError> {
        // Refused before anything is sent: nothing was applied.
        self.up().await?;
        self.inner
            .set_revision_toggle(client_id, expected, enabled, now)
            .await
    }

    async fn tls_in_use(&self) -> Result<Option<bool>, StoreError> {
        self.up().await?;
        self.inner.tls_in_use().await
    }

    async fn close(&self) {
        self.inner.close().await;
    }
}
