//! The demo store: the same reads against the production-shaped SQLite file.

use super::StoreError;
use super::sql::{self, impl_store};
use crate::core::schema::{Catalog, CatalogColumn, ColumnType, SchemaReport, TABLES};
use sqlx::SqlitePool;

/// A SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    report: SchemaReport,
    /// What the poll keeps between reads (shared by clones).
    cache: std::sync::Arc<std::sync::Mutex<super::poll::PollCache>>,
}

impl SqliteStore {
    /// Wraps a pool and reads the catalogue.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        let report = SchemaReport::from_catalog(&read_catalog(&pool).await?);
        Ok(Self {
            pool,
            report,
            cache: Default::default(),
        })
    }

    /// Nothing to close besides the pool.
    async fn close_poll(&self) {}

    /// Runs the live poll's statement (the demo's file: no round trips).
    async fn fetch_poll(
        &self,
        q: &'static str,
        since: crate::core::time::UtcNaive,
        stuck: crate::core::time::UtcNaive,
        _known: Option<String>,
    ) -> Result<Vec<super::poll::PollRow>, sqlx::Error> {
        sqlx::query_as(sqlx::AssertSqlSafe(q))
            .bind(since)
            .bind(stuck)
            .bind(super::poll::NO_END)
            .fetch_all(&self.pool)
            .await
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

impl_store!(
    SqliteStore,
    sql::SQLITE_COUNTS,
    crate::adapters::store::poll::Dialect::Sqlite,
    sql::SQLITE_LEAD_CLIENTS,
    sql::SQLITE_CLAIMS,
    (sql::SQLITE_REVISED_IDS, sql::SQLITE_DRAFTS_BY_IDS),
    sql::SQLITE_DRAFT_FACTS,
    sql::SQLITE_TOGGLE,
    "SELECT 0 WHERE 0",
    "SELECT sqlite_version()",
    |v| format!("SQLite {v} (demo)"),
    sql::SQLITE_LOOPS,
    sql::SQLITE_PATH
);
