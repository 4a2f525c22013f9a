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

impl_store!(
    SqliteStore,
    sql::SQLITE_COUNTS,
    sql::SQLITE_SERIES,
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
