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
    /// What the poll keeps between reads (shared by clones).
    cache: std::sync::Arc<std::sync::Mutex<super::poll::PollCache>>,
    /// The live poll's own connection: one round trip per poll (the pool
    /// pings a connection before lending it and again when it comes back,
    /// three round trips for one statement).
    poll_conn: std::sync::Arc<tokio::sync::Mutex<Option<sqlx::postgres::PgConnection>>>,
}

impl PgStore {
    /// Connects and reads the catalogue. The URL never appears in an error.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut options =
            PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(describe(&e)))?;
        // A remote host whose URL names no sslmode: the server's certificate
        // is checked (the panel writes toggles and the shared audit through
        // this connection). An explicit sslmode is kept (require: readiness
        // warns that it is not authenticated).
        let remote = crate::core::dburl::DbTarget::parse(url).is_ok_and(|t| !t.is_local());
        let named = crate::core::dburl::DbTarget::parse(url).is_ok_and(|t| t.sslmode.is_some());
        if remote && !named {
            options = options.ssl_mode(sqlx::postgres::PgSslMode::VerifyFull);
        }
        let options = options
            .application_name("rollout-panel")
            // Every statement and every lock wait is bounded, writes included.
            .options([
                ("statement_timeout", STATEMENT_TIMEOUT),
                ("lock_timeout", LOCK_TIMEOUT),
                // The panel's statements are short; compiling one (tens
                // of ms) would cost more than running it.
                ("jit", "off"),
            ]);
        let pool = PgPoolOptions::new()
            .max_connections(3)
            .acquire_timeout(CONNECT_TIMEOUT)
            .after_connect(|conn, _| Box::pin(async move { set_up(conn).await }))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Connect(describe(&e)))?;
        Self::from_pool(pool).await
    }

    /// Wraps an existing pool and reads the catalogue.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        let report = SchemaReport::from_catalog(&read_catalog(&pool).await?);
        Ok(Self {
            pool,
            report,
            cache: Default::default(),
            poll_conn: Default::default(),
        })
    }

    /// The underlying pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs the live poll's statement on the poll's own connection (opened
    /// with the pool's options on first use). A connection that fails or
    /// whose poll is cancelled (a timeout) is dropped; a dead one (cut, or
    /// ended by a server restart) is replaced once before the poll gives up.
    async fn fetch_poll(
        &self,
        q: &'static str,
        since: crate::core::time::UtcNaive,
        stuck: crate::core::time::UtcNaive,
        known: Option<String>,
    ) -> Result<Vec<super::poll::PollRow>, sqlx::Error> {
        let mut slot = self.poll_conn.lock().await;
        if self.pool.is_closed() {
            // Closed: no connection is opened again.
            return Err(sqlx::Error::PoolClosed);
        }
        let (mut conn, reused) = match slot.take() {
            Some(conn) => (conn, true),
            None => (self.open_poll_connection().await?, false),
        };
        let params = (since, stuck, known);
        let rows = match run_poll(&mut conn, q, &params).await {
            Err(e) if reused && connection_gone(&e) => {
                conn = self.open_poll_connection().await?;
                run_poll(&mut conn, q, &params).await?
            }
            other => other?,
        };
        *slot = Some(conn);
        Ok(rows)
    }

    /// Closes the poll's own connection.
    async fn close_poll(&self) {
        if let Some(conn) = self.poll_conn.lock().await.take() {
            use sqlx::Connection;
            if let Err(e) = conn.close().await {
                tracing::debug!("closing the poll connection: {e}");
            }
        }
    }

    async fn open_poll_connection(&self) -> Result<sqlx::postgres::PgConnection, sqlx::Error> {
        use sqlx::ConnectOptions;
        let mut conn = self.pool.connect_options().connect().await?;
        set_up(&mut conn).await?;
        for setting in POLL_SESSION {
            if let Err(e) = sqlx::Executor::execute(&mut conn, *setting).await {
                tracing::debug!("{setting} not applied to the poll connection: {e}");
            }
        }
        Ok(conn)
    }
}

/// Whether an error says the connection itself is gone (cut, or ended by a
/// server shutdown or restart: SQLSTATE class 08 and 57P), not the query.
fn connection_gone(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

/// The poll statement's parameters: since, the stuck cutoff, the
/// fingerprint the panel holds.
type PollParams = (
    crate::core::time::UtcNaive,
    crate::core::time::UtcNaive,
    Option<String>,
);

async fn run_poll(
    conn: &mut sqlx::postgres::PgConnection,
    q: &'static str,
    (since, stuck, known): &PollParams,
) -> Result<Vec<super::poll::PollRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(*since)
        .bind(*stuck)
        .bind(super::poll::NO_END)
        .bind(known.clone())
        .fetch_all(conn)
        .await
}

/// The poll connection's session: its one statement always reads the last
/// minutes, so one plan made without the parameters' values serves every
/// poll — a custom plan per poll costs more to make than to run (0.8 ms of
/// 1.8 ms at 2 M drafts). Without JIT (its compile takes tens of ms when a
/// plan's estimated cost is high, as a generic plan's is), parallel workers
/// (their start-up alone costs more than the poll) and hash aggregation
/// (its table is sized by the generic estimate, which grows with the table
/// rather than with the rows read).
pub const POLL_SESSION: &[&str] = &[
    "SET jit = off",
    "SET plan_cache_mode = force_generic_plan",
    "SET max_parallel_workers_per_gather = 0",
    "SET enable_hashagg = off",
];

/// Every connection's session set-up (the pool's and the poll's).
async fn set_up(conn: &mut sqlx::postgres::PgConnection) -> Result<(), sqlx::Error> {
    // PostgreSQL 14+: a statement whose client is gone (a cut connection) is
    // cancelled instead of running on — e.g. a toggle write waiting on a row
    // lock. Older servers lack it; nothing else depends on it.
    if let Err(e) =
        sqlx::Executor::execute(&mut *conn, "SET client_connection_check_interval = '1s'").await
    {
        tracing::debug!("client_connection_check_interval not set: {e}");
    }
    Ok(())
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
    crate::adapters::store::poll::Dialect::Postgres,
    sql::PG_LEAD_CLIENTS,
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
