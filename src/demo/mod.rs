//! The rehearsal world: a production-shaped SQLite database, a stand-in for
//! Vercel's env and deployments, and a simulator that plays the production app.
//!
//! Env changes only reach the simulated app through a redeploy, exactly as on
//! Vercel: each deployment captures the env when it is created, and the app
//! runs with the env of the deployment that serves production.

mod env;
mod faults;
mod log_rows;
mod pipeline;
mod rolling;
mod seed;
mod simulator;
mod store;

pub use faults::{FaultSwitch, Faults};
pub use log_rows::LOG_LIMIT_MESSAGE;
pub use rolling::CANARY_SHARE;
pub use seed::{DemoStage, SEED_WORKSPACES};
pub use simulator::{Simulator, TickSummary};
pub use store::{AppStore, DOWN_MESSAGE};

use crate::adapters::store::{SqliteStore, StoreError, describe};
use crate::core::demo_clock::Anchor;
use crate::core::env::{Deployment, EnvSnapshot, EnvVar, ReadyState};
use crate::core::time::UtcNaive;
use chrono::Duration;
use serde::{Serialize, de::DeserializeOwned};
use sqlx::SqliteConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How long a demo deployment stays QUEUED, then BUILDING, before READY.
pub const QUEUED_FOR: Duration = Duration::seconds(1);
/// When a demo deployment becomes READY, after creation.
pub const READY_AFTER: Duration = Duration::seconds(6);
/// When a deployment marked to be cancelled ends CANCELED, after creation.
pub const CANCELED_AFTER: Duration = Duration::seconds(3);

/// Why a demo operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The SQLite file could not be opened or written.
    #[error("demo database {path}: {message}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The demo schema could not be applied.
    #[error("demo database schema: {0} (run `rollout-panel demo --reset` to start afresh)")]
    Migrate(String),
    /// A query failed.
    #[error("demo database: {0}")]
    Db(String),
    /// Reading through the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request makes no sense for this world.
    #[error("{0}")]
    Invalid(String),
}

impl From<sqlx::Error> for DemoError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(describe(&e))
    }
}

/// The seed of a new demo world (and of its simulator) unless one is given.
pub const DEFAULT_SEED: u64 = 116;

/// The demo world on disk.
#[derive(Clone, Debug)]
pub struct DemoWorld {
    pool: SqlitePool,
    path: PathBuf,
    file_id: Option<(u64, u64)>,
}

/// The identity of a file on disk (device, inode), to notice it was replaced.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        // Elsewhere an open database cannot be deleted, so it cannot be replaced.
        let _ = path;
        None
    }
}

impl DemoWorld {
    /// Opens the world at `path`, creating and seeding it (history ending at
    /// `now`) when the file does not exist yet.
    pub async fn open_or_create(
        path: &Path,
        now: UtcNaive,
        stage: DemoStage,
        seed: u64,
    ) -> Result<Self, DemoError> {
        if path.exists() {
            Self::open(path).await
        } else {
            Self::create(path, now, stage, seed).await
        }
    }

    /// Opens an existing world.
    pub async fn open(path: &Path) -> Result<Self, DemoError> {
        let world = Self::connect(path, false).await?;
        world.migrate().await?;
        if world.meta::<u64>("seed").await?.is_none() {
            return Err(DemoError::Invalid(format!(
                "{} is not a seeded demo world (run `rollout-panel demo --reset`)",
                path.display()
            )));
        }
        Ok(world)
    }

    /// Deletes any world at `path` and creates a fresh one whose history ends at `now`.
    pub async fn create(
        path: &Path,
        now: UtcNaive,
        stage: DemoStage,
        seed: u64,
    ) -> Result<Self, DemoError> {
        remove_db_files(path)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| DemoError::Open {
                path: dir.to_owned(),
                message: e.to_string(),
            })?;
        }
        let world = Self::connect(path, true).await?;
        world.migrate().await?;
        seed::seed_world(&world, now, stage, seed).await?;
        Ok(world)
    }

    async fn connect(path: &Path, create: bool) -> Result<Self, DemoError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| DemoError::Open {
                path: path.to_owned(),
                message: describe(&e),
            })?;
        Ok(Self {
            pool,
            path: path.to_owned(),
            file_id: file_id(path),
        })
    }

    /// Whether the file was deleted or replaced (e.g. by `demo --reset` in
    /// another process) since this world was opened.
    pub fn is_replaced(&self) -> bool {
        file_id(&self.path) != self.file_id
    }

    async fn migrate(&self) -> Result<(), DemoError> {
        apply_schema(&self.pool).await
    }

    /// The file this world lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection pool (the simulator and the store share it).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A store reading this world like production.
    pub async fn store(&self) -> Result<SqliteStore, StoreError> {
        SqliteStore::from_pool(self.pool.clone()).await
    }

    /// The store the panel reads this world through, as production's
    /// database: down while the `database-down` fault is on.
    pub async fn app_store(&self) -> Result<AppStore, StoreError> {
        AppStore::open(self).await
    }

    /// Closes the pool (lets the file be removed).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Reads a value of the world's settings.
    pub async fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, DemoError> {
        let mut conn = self.pool.acquire().await?;
        meta_get(&mut conn, key).await
    }

    /// Writes a value of the world's settings.
    pub async fn set_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), DemoError> {
        let mut conn = self.pool.acquire().await?;
        meta_set(&mut conn, key, value).await
    }

    /// The world's clock (the wall clock until a process set a speed).
    pub async fn clock(&self, wall: UtcNaive) -> Result<Anchor, DemoError> {
        Ok(self
            .meta::<Anchor>("clock")
            .await?
            .unwrap_or_else(|| Anchor::wall(wall)))
    }

    /// The world's time at wall-clock time `wall` (its clock may run ahead
    /// after a fast drill).
    pub async fn now(&self, wall: UtcNaive) -> Result<UtcNaive, DemoError> {
        Ok(self.clock(wall).await?.at(wall))
    }

    /// Sets the world's clock to run at `speed` from `wall` on, going on
    /// from the time it reads then (it never goes back).
    pub async fn set_speed(&self, wall: UtcNaive, speed: f64) -> Result<Anchor, DemoError> {
        let anchor = self.clock(wall).await?.rebased(wall, speed);
        self.set_meta("clock", &anchor).await?;
        Ok(anchor)
    }

    /// The faults currently injected.
    pub async fn faults(&self) -> Result<Faults, DemoError> {
        Ok(self.meta("faults").await?.unwrap_or_default())
    }

    /// Sets the faults to inject. Turning `rolling_release` off aborts an
    /// active release (traffic back to the deployment that served before).
    pub async fn set_faults(&self, faults: &Faults) -> Result<(), DemoError> {
        if !faults.rolling_release {
            self.abort_rolling().await?;
        }
        self.set_meta("faults", faults).await
    }

    /// What a Vercel read would show: configured env, the serving and the latest deployment.
    pub async fn env_snapshot(&self) -> Result<EnvSnapshot, DemoError> {
        let mut conn = self.pool.acquire().await?;
        env_snapshot(&mut conn).await
    }

    /// Sets (or, with `None`, removes the value of) a production variable.
    pub async fn set_env(
        &self,
        key: &str,
        value: Option<&str>,
        now: UtcNaive,
    ) -> Result<(), DemoError> {
        let mut conn = self.pool.acquire().await?;
        set_env(&mut conn, key, value, now).await
    }

    /// Starts a redeploy of production that captures the current env. With the
    /// `cancel_next_redeploy` fault set, it will end CANCELED (the fault is consumed).
    pub async fn redeploy(&self, now: UtcNaive) -> Result<String, DemoError> {
        let mut faults = self.faults().await?;
        let cancel = faults.cancel_next_redeploy;
        let mut conn = self.pool.acquire().await?;
        let id = create_deployment(&mut conn, now, cancel).await?;
        if cancel {
            faults.cancel_next_redeploy = false;
            meta_set(&mut conn, "faults", &faults).await?;
        }
        Ok(id)
    }

    /// Moves deployments along QUEUED → BUILDING → READY (or CANCELED) up to `now`.
    pub async fn advance_deployments(&self, now: UtcNaive) -> Result<(), DemoError> {
        let mut conn = self.pool.acquire().await?;
        advance_deployments(&mut conn, now).await
    }

    /// Makes a READY deployment the one that serves production (as Vercel's
    /// promote does: no rebuild, its own env). Promoting an older build pins
    /// production to it: later builds reach READY but do not serve, until
    /// the newest one is promoted.
    pub async fn promote(&self, id: &str, now: UtcNaive) -> Result<(), DemoError> {
        let mut conn = self.pool.acquire().await?;
        advance_deployments(&mut conn, now).await?;
        let ready: Option<(String,)> = sqlx::query_as(
            r#"SELECT "id" FROM "_demo_deployment" WHERE "id" = ? AND "readyState" = 'READY'"#,
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        if ready.is_none() {
            return Err(DemoError::Invalid(format!(
                "deployment {id} is not a READY deployment of the demo"
            )));
        }
        let newest: Option<(String,)> = sqlx::query_as(
            r#"SELECT "id" FROM "_demo_deployment" WHERE "readyState" = 'READY'
               ORDER BY "createdAt" DESC LIMIT 1"#,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let pin = match newest {
            Some((n,)) if n == id => None,
            _ => Some(id.to_owned()),
        };
        meta_set(&mut conn, PINNED, &pin).await
    }

    /// A Vercel Instant Rollback: pins production to the READY build made
    /// before the one serving now (with that build's env). Returns its id.
    pub async fn instant_rollback(&self, now: UtcNaive) -> Result<String, DemoError> {
        let env = self.env_snapshot().await?;
        let serving = env
            .serving
            .ok_or_else(|| DemoError::Invalid("nothing serves demo production".to_owned()))?;
        let mut conn = self.pool.acquire().await?;
        let before: Option<(String,)> = sqlx::query_as(
            r#"SELECT "id" FROM "_demo_deployment" WHERE "readyState" = 'READY' AND "createdAt" < ?
               ORDER BY "createdAt" DESC LIMIT 1"#,
        )
        .bind(serving.created_at)
        .fetch_optional(&mut *conn)
        .await?;
        drop(conn);
        let Some((id,)) = before else {
            return Err(DemoError::Invalid(format!(
                "no READY build before {}: redeploy first",
                serving.id
            )));
        };
        self.promote(&id, now).await?;
        Ok(id)
    }

    /// Sets a workspace's revision toggle the way the app's rollout action does:
    /// upsert by `clientId`, `updatedAt` set.
    pub async fn set_revision_toggle(
        &self,
        client_id: &str,
        enabled: bool,
        now: UtcNaive,
    ) -> Result<(), DemoError> {
        let mut conn = self.pool.acquire().await?;
        set_revision_toggle(&mut conn, client_id, enabled, now).await
    }

    /// The id of the workspace with this exact name.
    pub async fn workspace_id(&self, name: &str) -> Result<String, DemoError> {
        let row: Option<(String,)> =
            sqlx::query_as(r#"SELECT "id" FROM "Client" WHERE "name" = ?"#)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| r.0)
            .ok_or_else(|| DemoError::Invalid(format!("no workspace named {name:?} in the demo")))
    }
}

impl DemoWorld {
    /// The runtime-log rows printed after `after` (a `seq`), oldest first,
    /// at most `limit`: (seq, deployment, the row's JSON).
    pub async fn runtime_log(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String, String)>, DemoError> {
        Ok(sqlx::query_as(
            r#"SELECT "seq", "deploymentId", "line" FROM "_demo_runtime_log"
               WHERE "seq" > ? ORDER BY "seq" LIMIT ?"#,
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The first `seq` of the rows printed at or after `since`.
    pub async fn runtime_log_from(&self, since: UtcNaive) -> Result<i64, DemoError> {
        let row: (Option<i64>,) = sqlx::query_as(
            r#"SELECT COALESCE(
                   (SELECT MIN("seq") - 1 FROM "_demo_runtime_log" WHERE "printedAt" >= ?),
                   (SELECT MAX("seq") FROM "_demo_runtime_log"))"#,
        )
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.0.unwrap_or(0))
    }
}

/// Creates (or brings up to date) the production-shaped demo schema in a
/// SQLite database, without seeding anything.
pub async fn apply_schema(pool: &SqlitePool) -> Result<(), DemoError> {
    sqlx::migrate!("./migrations/demo")
        .run(pool)
        .await
        .map_err(|e| DemoError::Migrate(e.to_string()))
}

/// Removes a SQLite file and its WAL companions, if present.
pub fn remove_db_files(path: &Path) -> Result<(), DemoError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(DemoError::Open {
                    path: p,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(())
}

pub(crate) async fn meta_get<T: DeserializeOwned>(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<T>, DemoError> {
    let row: Option<(String,)> =
        sqlx::query_as(r#"SELECT "value" FROM "_demo_meta" WHERE "key" = ?"#)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(v,)| {
        serde_json::from_str(&v).map_err(|e| DemoError::Db(format!("setting {key}: {e}")))
    })
    .transpose()
}

pub(crate) async fn meta_set<T: Serialize>(
    conn: &mut SqliteConnection,
    key: &str,
    value: &T,
) -> Result<(), DemoError> {
    let text = serde_json::to_string(value).map_err(|e| DemoError::Db(e.to_string()))?;
    sqlx::query(
        r#"INSERT INTO "_demo_meta" ("key", "value") VALUES (?, ?)
           ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value""#,
    )
    .bind(key)
    .bind(text)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn set_env(
    conn: &mut SqliteConnection,
    key: &str,
    value: Option<&str>,
    now: UtcNaive,
) -> Result<(), DemoError> {
    let ty = if crate::core::env::is_secret_var(key) {
        "sensitive"
    } else {
        "plain"
    };
    sqlx::query(
        r#"INSERT INTO "_demo_env" ("key", "value", "type", "updatedAt") VALUES (?, ?, ?, ?)
           ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt""#,
    )
    .bind(key)
    .bind(value)
    .bind(ty)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn configured_env(
    conn: &mut SqliteConnection,
) -> Result<BTreeMap<String, EnvVar>, DemoError> {
    let rows: Vec<(String, Option<String>, UtcNaive)> =
        sqlx::query_as(r#"SELECT "key", "value", "updatedAt" FROM "_demo_env""#)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(k, value, updated_at)| {
            (
                k.clone(),
                // Secrets are reduced to facts here, as Vercel's are.
                EnvVar::read(&k, value, updated_at),
            )
        })
        .collect())
}

pub(crate) async fn create_deployment(
    conn: &mut SqliteConnection,
    now: UtcNaive,
    will_cancel: bool,
) -> Result<String, DemoError> {
    let env: BTreeMap<String, Option<String>> = configured_env(conn)
        .await?
        .into_iter()
        .map(|(k, v)| (k, v.value))
        .collect();
    let env = serde_json::to_string(&env).map_err(|e| DemoError::Db(e.to_string()))?;
    let id = format!("dpl_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(
        r#"INSERT INTO "_demo_deployment" ("id", "createdAt", "readyState", "willCancel", "env")
           VALUES (?, ?, 'QUEUED', ?, ?)"#,
    )
    .bind(&id)
    .bind(now)
    .bind(will_cancel)
    .bind(env)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub(crate) async fn advance_deployments(
    conn: &mut SqliteConnection,
    now: UtcNaive,
) -> Result<(), DemoError> {
    let rows: Vec<(String, UtcNaive, String, bool)> = sqlx::query_as(
        r#"SELECT "id", "createdAt", "readyState", "willCancel" FROM "_demo_deployment"
           WHERE "readyState" IN ('QUEUED', 'INITIALIZING', 'BUILDING')"#,
    )
    .fetch_all(&mut *conn)
    .await?;
    // With Rolling Releases on, a build that turns READY joins a release
    // instead of taking all traffic: what serves before it is its current.
    let rolling_on = !rows.is_empty()
        && meta_get::<Faults>(conn, "faults")
            .await?
            .unwrap_or_default()
            .rolling_release;
    let serving_before = if rolling_on {
        env_snapshot(conn).await?.serving.map(|d| d.id)
    } else {
        None
    };
    for (id, created, state, cancel) in rows {
        let age = now - created;
        let next = if cancel && age >= CANCELED_AFTER {
            ReadyState::Canceled
        } else if !cancel && age >= READY_AFTER {
            ReadyState::Ready
        } else if age >= QUEUED_FOR {
            ReadyState::Building
        } else {
            ReadyState::Queued
        };
        if next.as_str() == state {
            continue;
        }
        let building_at = (age >= QUEUED_FOR).then(|| created + QUEUED_FOR);
        let ready_at = (next == ReadyState::Ready).then(|| created + READY_AFTER);
        sqlx::query(
            r#"UPDATE "_demo_deployment"
               SET "readyState" = ?, "buildingAt" = COALESCE("buildingAt", ?), "readyAt" = ?
               WHERE "id" = ?"#,
        )
        .bind(next.as_str())
        .bind(building_at)
        .bind(ready_at)
        .bind(&id)
        .execute(&mut *conn)
        .await?;
        if rolling_on && next == ReadyState::Ready {
            rolling::started(conn, serving_before.clone(), &id).await?;
        }
    }
    Ok(())
}

type DeploymentRow = (String, UtcNaive, String, String);

/// One deployment by its id (it must exist).
async fn deployment_by_id(conn: &mut SqliteConnection, id: &str) -> Result<Deployment, DemoError> {
    let found: Option<DeploymentRow> = sqlx::query_as(
        r#"SELECT "id", "createdAt", "readyState", "env" FROM "_demo_deployment" WHERE "id" = ?"#,
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    found
        .map(deployment_from_row)
        .transpose()?
        .ok_or_else(|| DemoError::Db(format!("no deployment {id}")))
}

fn deployment_from_row(
    (id, created_at, state, env): DeploymentRow,
) -> Result<Deployment, DemoError> {
    let mut env: BTreeMap<String, Option<String>> = serde_json::from_str(&env)
        .map_err(|e| DemoError::Db(format!("deployment {id} env: {e}")))?;
    // A build's live values matter for the flags only; secrets stay here.
    env.retain(|k, _| !crate::core::env::is_secret_var(k));
    Ok(Deployment {
        state: ReadyState::parse(&state)
            .ok_or_else(|| DemoError::Db(format!("deployment {id}: unknown state {state}")))?,
        id,
        created_at,
        env: Some(env),
    })
}

/// The meta key of the build production is pinned to (an Instant Rollback).
const PINNED: &str = "pinned_deployment";

pub(crate) async fn env_snapshot(conn: &mut SqliteConnection) -> Result<EnvSnapshot, DemoError> {
    let configured = configured_env(conn).await?;
    let pinned: Option<String> = meta_get::<Option<String>>(conn, PINNED).await?.flatten();
    let serving: Option<DeploymentRow> = match &pinned {
        Some(id) => {
            sqlx::query_as(
                r#"SELECT "id", "createdAt", "readyState", "env" FROM "_demo_deployment" WHERE "id" = ?"#,
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
        None => {
            sqlx::query_as(
                r#"SELECT "id", "createdAt", "readyState", "env" FROM "_demo_deployment"
                   WHERE "readyState" = 'READY' ORDER BY "readyAt" DESC, "createdAt" DESC LIMIT 1"#,
            )
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    let latest: Option<DeploymentRow> = sqlx::query_as(
        r#"SELECT "id", "createdAt", "readyState", "env" FROM "_demo_deployment"
           ORDER BY "createdAt" DESC LIMIT 1"#,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let newest_ready: Option<DeploymentRow> = sqlx::query_as(
        r#"SELECT "id", "createdAt", "readyState", "env" FROM "_demo_deployment"
           WHERE "readyState" = 'READY' ORDER BY "createdAt" DESC LIMIT 1"#,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let latest = latest.map(deployment_from_row).transpose()?;
    if let Some(r) = rolling::active(conn).await? {
        // Both serve; production's target is the current one (as Vercel's
        // project answer names it), and nothing is pinned.
        let current = deployment_by_id(conn, &r.current).await?;
        let canary = deployment_by_id(conn, &r.canary).await?;
        return Ok(EnvSnapshot {
            configured,
            serving: Some(current.clone()),
            latest,
            rolling: Some(crate::core::env::RollingRelease {
                current,
                canary,
                canary_share: Some(r.share),
            }),
            ..EnvSnapshot::default()
        });
    }
    let serving = serving.map(deployment_from_row).transpose()?;
    let newest_ready = newest_ready.map(deployment_from_row).transpose()?;
    // A promote of an older build pins production to it, as on Vercel.
    let pinned_past = crate::core::env::pinned_past(serving.as_ref(), newest_ready);
    let rolling_on = meta_get::<Faults>(conn, "faults")
        .await?
        .unwrap_or_default()
        .rolling_release;
    Ok(EnvSnapshot {
        configured,
        serving,
        latest,
        pinned_past,
        rolling_config: if rolling_on {
            crate::core::env::RollingConfig::On
        } else {
            crate::core::env::RollingConfig::Off
        },
        ..EnvSnapshot::default()
    })
}

pub(crate) async fn set_revision_toggle(
    conn: &mut SqliteConnection,
    client_id: &str,
    enabled: bool,
    now: UtcNaive,
) -> Result<(), DemoError> {
    let done = sqlx::query(
        r#"INSERT INTO "WorkspaceSettings" ("id", "clientId", "autoSendRevisionEnabled", "createdAt", "updatedAt")
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT ("clientId") DO UPDATE
           SET "autoSendRevisionEnabled" = excluded."autoSendRevisionEnabled", "updatedAt" = excluded."updatedAt""#,
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(client_id)
    .bind(enabled)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await;
    match done {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Err(DemoError::Invalid(
            format!("no workspace with id {client_id} in the demo"),
        )),
        Err(e) => Err(e.into()),
    }
}
