//! The demo store: the same reads against the production-shaped SQLite file.

use super::sql::{self, impl_shared_reads};
use super::{Backend, Store, StoreError};
use crate::core::metrics::SeriesChunk;
use crate::core::schema::{Catalog, CatalogColumn, ColumnType, SchemaReport, TABLES};
use crate::core::time::UtcNaive;
use crate::core::workspace::{RevisionCounts, Workspace};
use async_trait::async_trait;
use sqlx::SqlitePool;
use std::collections::BTreeMap;

/// A SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    report: SchemaReport,
}

impl SqliteStore {
    /// Wraps a pool and reads the catalogue.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        let report = SchemaReport::from_catalog(&read_catalog(&pool).await?);
        Ok(Self { pool, report })
    }
}

async fn read_catalog(pool: &SqlitePool) -> Result<Catalog, StoreError> {
    let mut catalog = Catalog::default();
    for table in TABLES {
        let columns: Vec<(String, String)> =
            sqlx::query_as("SELECT name, type FROM pragma_table_info(?)")
                .bind(*table)
                .fetch_all(pool)
                .await
                .map_err(|e| StoreError::query("the schema catalogue", e))?;
        catalog
            .columns
            .extend(columns.into_iter().map(|(column, ty)| CatalogColumn {
                table: (*table).to_owned(),
                column,
                ty: ColumnType::from_sqlite(&ty),
            }));
        let leading: Vec<(String,)> = sqlx::query_as(
            "SELECT ii.name FROM pragma_index_list(?) il
             JOIN pragma_index_info(il.name) ii
             WHERE ii.seqno = 0",
        )
        .bind(*table)
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::query("the index catalogue", e))?;
        catalog
            .index_leading_columns
            .extend(leading.into_iter().map(|(c,)| ((*table).to_owned(), c)));
    }
    Ok(catalog)
}

impl_shared_reads!(SqliteStore, sql::SQLITE_COUNTS, sql::SQLITE_SERIES);

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn schema(&self) -> &SchemaReport {
        &self.report
    }

    async fn refresh_schema(&mut self) -> Result<&SchemaReport, StoreError> {
        self.report = SchemaReport::from_catalog(&read_catalog(&self.pool).await?);
        Ok(&self.report)
    }

    async fn server_version(&self) -> Result<String, StoreError> {
        let (v,): (String,) = sqlx::query_as("SELECT sqlite_version()")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| StoreError::query("the server version", e))?;
        Ok(format!("SQLite {v} (demo)"))
    }

    async fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.read_workspaces().await
    }

    async fn revision_counts(
        &self,
        since: UtcNaive,
    ) -> Result<BTreeMap<String, RevisionCounts>, StoreError> {
        self.read_revision_counts(since).await
    }

    async fn revision_series(&self, since: UtcNaive) -> Result<SeriesChunk, StoreError> {
        self.read_revision_series(since).await
    }
}
