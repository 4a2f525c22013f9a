//! The production store: Postgres, read through the panel's own connection
//! (in practice the app's `DIRECT_URL`, a direct or session connection).

use super::sql::{self, impl_store};
use super::{StoreError, describe};
use crate::core::schema::{Catalog, CatalogColumn, ColumnType, SchemaReport, TABLES};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// How long to wait for a connection before calling the database unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest one statement of the panel may run (every session sets it).
pub const STATEMENT_TIMEOUT: &str = "15s";
/// The longest the panel waits for a row lock someone else holds (the
/// workspace lever fails within seconds instead of hanging).
pub const LOCK_TIMEOUT: &str = "3s";

/// A Postgres store.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    report: SchemaReport,
}

impl PgStore {
    /// Connects and reads the catalogue. The URL never appears in an error.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(describe(&e)))?
            .application_name("rollout-panel")
            // Every statement and every lock wait is bounded, writes included.
            .options([
                ("statement_timeout", STATEMENT_TIMEOUT),
                ("lock_timeout", LOCK_TIMEOUT),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(3)
            .acquire_timeout(CONNECT_TIMEOUT)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // PostgreSQL 14+: a statement whose client is gone (a cut
                    // connection) is cancelled instead of running on — e.g. a
                    // toggle write waiting on a row lock. Older servers lack
                    // it; nothing else depends on it.
                    if let Err(e) = sqlx::Executor::execute(
                        &mut *conn,
                        "SET client_connection_check_interval = '1s'",
                    )
                    .await
                    {
                        tracing::debug!("client_connection_check_interval not set: {e}");
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connect(describe(&e)))?;
        Self::from_pool(pool).await
    }

    /// Wraps an existing pool and reads the catalogue.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        let report = SchemaReport::from_catalog(&read_catalog(&pool).await?);
        Ok(Self { pool, report })
    }

    /// The underlying pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

async fn read_catalog(pool: &PgPool) -> Result<Catalog, StoreError> {
    let tables: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = ANY($1)",
    )
    .bind(&tables)
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::query("the schema catalogue", e))?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ix.indkey[0]
         WHERE n.nspname = 'public' AND t.relname = ANY($1)",
    )
    .bind(&tables)
    .fetch_all(pool)
    .await
    .map_err(|e| StoreError::query("the index catalogue", e))?;
    Ok(Catalog {
        columns: columns
            .into_iter()
            .map(|(table, column, ty)| CatalogColumn {
                table,
                column,
                ty: ColumnType::from_postgres(&ty),
            })
            .collect(),
        index_leading_columns: indexes,
    })
}

impl_store!(
    PgStore,
    sql::PG_COUNTS,
    sql::PG_SERIES,
    sql::PG_CLAIMS,
    (sql::PG_REVISED_IDS, sql::PG_DRAFTS_BY_IDS),
    sql::PG_DRAFT_FACTS,
    sql::PG_TOGGLE,
    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    "SHOW server_version",
    |v| format!("PostgreSQL {v}"),
    sql::PG_LOOPS,
    sql::PG_PATH
);
