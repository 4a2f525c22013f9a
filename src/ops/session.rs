//! A session on one profile: its store (the database), its env source and its
//! audit log. [`Session::open`] is the one place that tells the demo from
//! production; everything after it works through the traits.
//!
//! Every part is opened on first use, so a part that is down only fails what
//! needs it: a kill switch needs the env source, not the database.

use crate::adapters::audit::{AuditError, AuditLog, SharedAudit};
use crate::adapters::clock::{Clock, DemoClock};
use crate::adapters::deadline::{Bounded, within};
use crate::adapters::env::EnvSource;
use crate::adapters::env::vercel::VercelClient;
use crate::adapters::secrets::Keyring;
use crate::adapters::store::{PgStore, Store};
use crate::core::dburl::DbTarget;
use crate::core::profile::{DEMO_PROFILE, Profile};
use crate::core::secret::{Secret, SecretKey};
use crate::core::time::UtcNaive;
use crate::demo::{DemoStage, DemoWorld, Simulator};
use crate::ops::profiles::{ProfileError, ProfileManager};
use crate::platform::paths::Paths;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How many of this machine's newest rows are compared with the shared
/// table when it comes (back) within reach.
pub const CATCH_UP_ROWS: u32 = 1000;

/// The longest a keyring read may take (a locked keyring can wait on a prompt).
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// What a session opens: the embedded rehearsal world or a configured profile.
#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one Target per session, made once: boxing the profile buys nothing"
)]
pub enum Target {
    /// The embedded rehearsal world.
    Demo {
        /// The SQLite file (created and seeded when missing).
        db_path: PathBuf,
        /// Where a new world's history leaves the runbook.
        stage: DemoStage,
        /// Seed of a new world and of the simulator.
        seed: u64,
    },
    /// A configured profile: its secrets are read from the keyring when a
    /// part is opened (the UI never holds them).
    Profile {
        /// The profile's name.
        name: String,
        /// Its settings.
        profile: Profile,
        /// Where its secrets are.
        keyring: Keyring,
    },
}

impl Target {
    /// The clock of a session on this target: on the demo, the world's
    /// ([`DemoClock`]: its speed set by this process when `speed` is given,
    /// else followed); elsewhere `base`, the wall clock — a production
    /// profile never runs on a demo's time.
    pub fn clock(&self, base: Arc<dyn Clock>, speed: Option<f64>) -> Arc<dyn Clock> {
        match self {
            Self::Demo { .. } => Arc::new(DemoClock::new(base, speed)),
            Self::Profile { .. } => base,
        }
    }

    /// The profile name.
    pub fn profile_name(&self) -> &str {
        match self {
            Self::Demo { .. } => DEMO_PROFILE,
            Self::Profile { name, .. } => name,
        }
    }

    /// Seconds between the window's automatic refreshes.
    pub fn refresh_secs(&self) -> u64 {
        match self {
            Self::Demo { .. } => 2,
            Self::Profile { profile, .. } => profile.refresh_secs(),
        }
    }

    /// The guard's thresholds (the profile's `guard` table; the defaults
    /// for the demo).
    pub fn guard_settings(&self) -> crate::core::guard::GuardSettings {
        match self {
            Self::Demo { .. } => crate::core::guard::GuardSettings::default(),
            Self::Profile { profile, .. } => profile.guard_settings(),
        }
    }

    /// Whether arming starts as a dry run (the profile's `guard.dry_run`).
    pub fn guard_dry_run(&self) -> bool {
        match self {
            Self::Demo { .. } => false,
            Self::Profile { profile, .. } => profile.guard.as_ref().is_some_and(|g| g.dry_run()),
        }
    }

    /// Whether the window raises desktop notifications (the profile's
    /// `notifications`, on by default; on for the demo).
    pub fn notifications(&self) -> bool {
        match self {
            Self::Demo { .. } => true,
            Self::Profile { profile, .. } => profile.notifications(),
        }
    }

    /// Whether the canary and an expansion need a second operator's approval
    /// (the profile's `approvals`; never in the demo, which has no second
    /// panel).
    pub fn approvals(&self) -> bool {
        match self {
            Self::Demo { .. } => false,
            Self::Profile { profile, .. } => profile.approvals(),
        }
    }

    /// The grace after a change during which revision attempts are still
    /// expected (the profile's `grace_minutes`; the demo uses the default).
    pub fn grace(&self) -> chrono::Duration {
        let minutes = match self {
            Self::Demo { .. } => crate::core::profile::DEFAULT_GRACE_MINUTES,
            Self::Profile { profile, .. } => profile.grace_minutes(),
        };
        chrono::Duration::minutes(i64::from(minutes))
    }

    /// The project's Vercel logs searched for the revision loop's failures
    /// (none for the demo, which has no Vercel project).
    pub fn vercel_logs(&self) -> Option<crate::core::health::VercelLogs> {
        match self {
            Self::Demo { .. } => None,
            Self::Profile { profile, .. } => Some(crate::core::health::VercelLogs::new(
                profile.vercel_team.as_deref(),
                &profile.vercel_project,
            )),
        }
    }

    /// The demo world in the panel's data dir.
    pub fn demo(paths: &Paths) -> Self {
        Self::Demo {
            db_path: paths.demo_db(),
            stage: DemoStage::Canary,
            seed: crate::demo::DEFAULT_SEED,
        }
    }

    /// The target of a profile by name (`demo` = the rehearsal world).
    pub fn resolve(
        paths: &Paths,
        manager: &ProfileManager,
        name: &str,
    ) -> Result<Self, ProfileError> {
        if name == DEMO_PROFILE {
            return Ok(Self::demo(paths));
        }
        Ok(Self::Profile {
            name: name.to_owned(),
            profile: manager.get(name)?,
            keyring: manager.keyring.clone(),
        })
    }

    /// The target of a profile whose settings are known (`None` = the demo).
    pub fn of(paths: &Paths, keyring: &Keyring, name: &str, profile: Option<&Profile>) -> Self {
        match profile {
            Some(p) if name != DEMO_PROFILE => Self::Profile {
                name: name.to_owned(),
                profile: p.clone(),
                keyring: keyring.clone(),
            },
            _ => Self::demo(paths),
        }
    }
}

/// Why a part of a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A secret could not be read from the keyring.
    #[error("{0}")]
    Secret(String),
    /// The database could not be reached in time or refused.
    #[error("{0}")]
    Database(String),
    /// The Vercel client could not be set up.
    #[error("{0}")]
    Env(String),
    /// The demo world could not be opened.
    #[error("{0}")]
    Demo(#[from] crate::demo::DemoError),
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// This session keeps no audit log.
    #[error("this panel has no audit log configured")]
    NoAudit,
}

/// How a session opens its parts.
#[derive(Clone)]
pub struct SessionOptions {
    /// The clock (a new demo world's history ends at its now).
    pub clock: Arc<dyn Clock>,
    /// The deadline of a connect.
    pub connect_timeout: Duration,
    /// The local audit log (`None` = none, in some tests).
    pub audit_path: Option<PathBuf>,
}

impl SessionOptions {
    /// The panel's own audit log in `paths`, connects bounded by `connect_timeout`.
    pub fn new(paths: &Paths, clock: Arc<dyn Clock>, connect_timeout: Duration) -> Self {
        Self {
            clock,
            connect_timeout,
            audit_path: Some(AuditLog::path_in(&paths.data_dir)),
        }
    }
}

/// One profile's store, env source and audit log.
pub struct Session {
    target: Target,
    options: SessionOptions,
    demo: Option<(DemoWorld, Simulator)>,
    store: Option<Arc<dyn Store>>,
    audit: Option<AuditLog>,
    shared_audit: Option<SharedAudit>,
    source: String,
}

impl Session {
    /// A session on `target`; nothing is connected before a part is used.
    pub fn open(target: Target, options: SessionOptions) -> Self {
        Self {
            target,
            options,
            demo: None,
            store: None,
            audit: None,
            shared_audit: None,
            source: String::new(),
        }
    }

    /// The profile's name.
    pub fn profile(&self) -> &str {
        self.target.profile_name()
    }

    /// The profile's grace after a change (see [`Target::grace`]).
    pub fn grace(&self) -> chrono::Duration {
        self.target.grace()
    }

    /// The quality review's policy target (the profile's `quality_target`;
    /// the demo uses the default).
    pub fn quality_target(&self) -> f64 {
        match &self.target {
            Target::Demo { .. } => crate::core::profile::DEFAULT_QUALITY_TARGET,
            Target::Profile { profile, .. } => profile.quality_target(),
        }
    }

    /// Whether the canary and an expansion need a second operator's approval.
    pub fn approvals(&self) -> bool {
        self.target.approvals()
    }

    /// The project's Vercel logs (see [`Target::vercel_logs`]).
    pub fn vercel_logs(&self) -> Option<crate::core::health::VercelLogs> {
        self.target.vercel_logs()
    }

    /// Whether this is the rehearsal world.
    pub fn is_demo(&self) -> bool {
        matches!(self.target, Target::Demo { .. })
    }

    /// Whether env reads are cheap enough to make on every refresh (the demo's
    /// are; Vercel's are made with the readiness check, to spare its rate limit).
    pub fn polls_env(&self) -> bool {
        self.is_demo()
    }

    /// Where the data comes from, for people (set once the store is open).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// A secret of the profile, read off the async threads (the keyring
    /// blocks on D-Bus).
    pub async fn secret(&self, key: SecretKey) -> Result<Option<Secret>, SessionError> {
        let Target::Profile { name, keyring, .. } = &self.target else {
            return Ok(None);
        };
        let (name, keyring) = (name.clone(), keyring.clone());
        let read = tokio::task::spawn_blocking(move || keyring.get(&name, key));
        match tokio::time::timeout(KEYRING_TIMEOUT, read).await {
            Err(_) => Err(SessionError::Secret(format!(
                "the OS keyring did not answer within {} s (is it locked, waiting for a password prompt?)",
                KEYRING_TIMEOUT.as_secs()
            ))),
            Ok(joined) => joined
                .map_err(|e| SessionError::Secret(format!("reading the keyring failed: {e}")))?
                .map_err(|e| SessionError::Secret(e.to_string())),
        }
    }

    /// A secret that must be set.
    async fn required(&self, key: SecretKey) -> Result<Secret, SessionError> {
        match self.secret(key).await? {
            Some(s) => Ok(s),
            None => Err(SessionError::Secret(
                crate::adapters::secrets::not_set_message(self.profile(), key),
            )),
        }
    }

    /// Opens the demo world once.
    async fn world(&mut self) -> Result<Option<&(DemoWorld, Simulator)>, SessionError> {
        let Target::Demo {
            db_path,
            stage,
            seed,
        } = &self.target
        else {
            return Ok(None);
        };
        if self.demo.is_none() {
            let now = self.options.clock.now();
            let world = within(
                self.options.connect_timeout.max(Duration::from_secs(60)),
                "creating the demo world",
                DemoWorld::open_or_create(db_path, now, *stage, *seed),
            )
            .await
            .map_err(|e| SessionError::Database(e.to_string()))?;
            self.source = format!("demo world {}", db_path.display());
            // The demo's time is the world's: set its speed (the window,
            // `drill run`) or follow it (the other commands).
            if let Some(clock) = self.options.clock.demo() {
                let wall = clock.wall();
                let anchor = match clock.asked_speed() {
                    Some(speed) => world.set_speed(wall, speed).await,
                    None => world.clock(wall).await,
                }
                .map_err(|e| SessionError::Database(e.to_string()))?;
                clock.follow(anchor);
            }
            self.demo = Some((world, Simulator::new(*seed)));
        }
        Ok(self.demo.as_ref())
    }

    /// The session's clock (on the demo, the world's once it is open).
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.options.clock)
    }

    /// The time now: on the demo, the world's (opened first, so its clock is
    /// followed); elsewhere the wall clock.
    pub async fn now(&mut self) -> Result<UtcNaive, SessionError> {
        self.world().await?;
        Ok(self.options.clock.now())
    }

    /// Follows the demo world's clock as it is now (another process on the
    /// world may have changed its speed since: the last one set wins, so
    /// every process on one world reads the same time). Opens the world
    /// first; nothing on a production profile.
    pub async fn sync_clock(&mut self) -> Result<(), SessionError> {
        let Some((world, _)) = self.world().await? else {
            return Ok(());
        };
        let world = world.clone();
        if let Some(clock) = self.options.clock.demo() {
            let anchor = world
                .clock(clock.wall())
                .await
                .map_err(|e| SessionError::Database(e.to_string()))?;
            clock.follow(anchor);
        }
        Ok(())
    }

    /// The demo world (opened on first use); `None` for a production profile.
    pub async fn demo_world(&mut self) -> Result<Option<DemoWorld>, SessionError> {
        Ok(self.world().await?.map(|(w, _)| w.clone()))
    }

    /// The database (connected on first use, bounded by the connect deadline).
    pub async fn store(&mut self) -> Result<Arc<dyn Store>, SessionError> {
        if let Some(store) = &self.store {
            return Ok(Arc::clone(store));
        }
        let timeout = self.options.connect_timeout;
        let store: Arc<dyn Store> = match self.world().await? {
            Some((world, _)) => Arc::new(
                within(timeout, "the demo database", world.app_store())
                    .await
                    .map_err(|e| SessionError::Database(e.to_string()))?,
            ),
            None => {
                let url = self.required(SecretKey::DatabaseUrl).await?;
                self.source = match DbTarget::parse(url.expose()) {
                    Ok(t) => format!("database {}", t.label()),
                    Err(e) => format!("database (URL not usable: {e})"),
                };
                let pg = within(
                    timeout,
                    "connecting to the database",
                    PgStore::connect(url.expose()),
                )
                .await
                .map_err(|e| SessionError::Database(e.to_string()))?;
                // Operators see each other's actions when `audit init` made
                // the shared table.
                match SharedAudit::find(pg.pool(), self.roster()).await {
                    Ok(found) => self.shared_audit = found,
                    Err(e) => tracing::warn!("the shared audit table cannot be read: {e}"),
                }
                Arc::new(pg)
            }
        };
        self.store = Some(Arc::clone(&store));
        Ok(store)
    }

    /// Connects a production database to find its shared audit table (the
    /// demo has none); the audit log then writes and reads it too.
    pub async fn find_shared_audit(&mut self) -> Result<(), SessionError> {
        if self.is_demo() {
            return Ok(());
        }
        self.store().await.map(|_| ())
    }

    /// The env source: the demo world's env store, or a Vercel client made
    /// with the token read now (so a changed token is used at once).
    pub async fn env(&mut self) -> Result<Arc<dyn EnvSource>, SessionError> {
        if let Some((world, _)) = self.world().await? {
            return Ok(Arc::new(world.clone()));
        }
        let client = self
            .vercel_client()
            .await?
            .ok_or_else(|| SessionError::Env("no env source".to_owned()))?;
        let client: Arc<dyn EnvSource> = Arc::new(client);
        let name = self.profile().to_owned();
        // What a pinned build runs is learnt from this machine's audit log.
        match &self.audit {
            Some(log) => Ok(Arc::new(super::recorded::WithRecords::new(
                client,
                log.clone(),
                &name,
            ))),
            None if self.has_audit() => match self.local_audit().await {
                Ok(log) => Ok(Arc::new(super::recorded::WithRecords::new(
                    client, log, &name,
                ))),
                Err(e) => {
                    tracing::warn!(
                        "the audit log cannot be opened to read a pinned build's values: {e}"
                    );
                    Ok(client)
                }
            },
            None => Ok(client),
        }
    }

    /// The audit log: this machine's, plus the shared table once the
    /// database has shown one.
    pub async fn audit(&mut self) -> Result<AuditLog, SessionError> {
        if let Some(log) = &self.audit {
            if let Some(shared) = &self.shared_audit
                && !log.has_shared()
            {
                let log = log.clone().with_shared(shared.clone());
                self.catch_up(&log).await;
                self.audit = Some(log.clone());
                return Ok(log);
            }
            return Ok(log.clone());
        }
        let path = self
            .options
            .audit_path
            .clone()
            .ok_or(SessionError::NoAudit)?;
        let mut log = AuditLog::open(&path).await?;
        if let Some(key) = self.operator_key().await {
            log = log.with_key(key, &self.roster());
        }
        if let Some(shared) = &self.shared_audit {
            log = log.with_shared(shared.clone());
            self.catch_up(&log).await;
        }
        self.audit = Some(log.clone());
        Ok(log)
    }

    /// A Vercel client for the profile's project, made with the token read
    /// now; `None` for the demo.
    pub async fn vercel_client(&self) -> Result<Option<VercelClient>, SessionError> {
        let Target::Profile { profile, .. } = &self.target else {
            return Ok(None);
        };
        let token = self.required(SecretKey::VercelToken).await?;
        VercelClient::new(
            &profile.vercel_api,
            &profile.vercel_project,
            profile.vercel_team.as_deref(),
            token,
        )
        .map(Some)
        .map_err(|e| SessionError::Env(e.to_string()))
    }

    /// Who the profile's Vercel token belongs to (`GET /v2/user`, bounded);
    /// `None` for the demo.
    pub async fn vercel_user(
        &self,
    ) -> Result<Option<crate::adapters::env::vercel::VercelUser>, SessionError> {
        let Some(client) = self.vercel_client().await? else {
            return Ok(None);
        };
        client
            .user()
            .await
            .map(Some)
            .map_err(|e| SessionError::Env(e.to_string()))
    }

    /// The team's roster the profile names (empty for the demo, and when
    /// it cannot be read: then no other panel's entry counts, and
    /// [`Session::roster_problem`] says why).
    pub fn roster(&self) -> Arc<crate::core::trust::Roster> {
        match &self.target {
            Target::Demo { .. } => Arc::default(),
            Target::Profile { profile, .. } => Arc::new(
                crate::adapters::audit::identity::roster_of(profile).unwrap_or_else(|e| {
                    tracing::warn!("the team's roster cannot be used: {e}");
                    crate::core::trust::Roster::default()
                }),
            ),
        }
    }

    /// Why the profile's roster cannot be used, if it cannot.
    pub fn roster_problem(&self) -> Option<String> {
        match &self.target {
            Target::Demo { .. } => None,
            Target::Profile { profile, .. } => {
                crate::adapters::audit::identity::roster_of(profile).err()
            }
        }
    }

    /// This operator's signing key from the OS keyring (made on first
    /// use), off the async threads and bounded; `None` (logged) when the
    /// keyring cannot give it: the entries are then written unsigned, and
    /// no other panel counts them.
    pub async fn operator_key(&self) -> Option<crate::core::trust::OperatorKey> {
        let Target::Profile { keyring, .. } = &self.target else {
            return None;
        };
        let keyring = keyring.clone();
        let read = tokio::task::spawn_blocking(move || keyring.operator_key());
        match tokio::time::timeout(KEYRING_TIMEOUT, read).await {
            Ok(Ok(Ok((key, created)))) => {
                if created {
                    tracing::info!("made this operator's signing key {}", key.public());
                }
                Some(key)
            }
            Ok(Ok(Err(e))) => {
                tracing::warn!("no operator key: the shared audit entries go unsigned ({e})");
                None
            }
            Ok(Err(e)) => {
                tracing::warn!("no operator key: reading the keyring failed ({e})");
                None
            }
            Err(_) => {
                tracing::warn!(
                    "no operator key: the OS keyring did not answer within {} s",
                    KEYRING_TIMEOUT.as_secs()
                );
                None
            }
        }
    }

    /// Copies this machine's rows that the shared table misses (written while
    /// the database was away); a failure is the log's shared problem.
    async fn catch_up(&self, log: &AuditLog) {
        if let Err(e) = log.catch_up_shared(self.profile(), CATCH_UP_ROWS).await {
            tracing::warn!("the shared audit table could not catch up: {e}");
        }
    }

    /// This machine's audit log alone, without the shared table (the
    /// read-only reports use it).
    pub async fn local_audit(&self) -> Result<AuditLog, SessionError> {
        let path = self
            .options
            .audit_path
            .as_deref()
            .ok_or(SessionError::NoAudit)?;
        Ok(AuditLog::open(path).await?)
    }

    /// Whether a session keeps an audit log at all.
    pub fn has_audit(&self) -> bool {
        self.options.audit_path.is_some()
    }

    /// Lets the world move on to `now`: in the demo, the simulated app runs up
    /// to now; production moves by itself.
    pub async fn advance(
        &mut self,
        now: UtcNaive,
        timeout: Duration,
    ) -> Result<(), Bounded<crate::demo::DemoError>> {
        let Some((world, sim)) = &mut self.demo else {
            return Ok(());
        };
        let world = world.clone();
        within(timeout, "the demo simulator", sim.advance_to(&world, now))
            .await
            .map(|_| ())
    }

    /// Whether the demo world was reset or removed on disk since it was
    /// opened; then [`Session::reopen`] starts over on the new one.
    pub fn replaced(&self) -> bool {
        self.demo.as_ref().is_some_and(|(w, _)| w.is_replaced())
    }

    /// Closes every part; the next use opens them again.
    pub async fn reopen(&mut self) {
        if let Some((world, _)) = self.demo.take() {
            world.close().await;
        }
        self.store = None;
    }

    /// The monitored database (host, port, name) of a production profile:
    /// `None` in the demo or when the URL cannot be read.
    pub async fn monitored_db(&self) -> Option<DbTarget> {
        let url = self.secret(SecretKey::DatabaseUrl).await.ok()??;
        DbTarget::parse(url.expose()).ok()
    }

    /// The pooled URL's reachability, when a production profile stores one.
    pub async fn pooled_check(&self) -> Option<Result<String, String>> {
        match self.secret(SecretKey::PooledDatabaseUrl).await {
            Ok(Some(url)) => Some(
                crate::ops::profiles::test_reachable(&url)
                    .await
                    .map_err(|e| e.to_string()),
            ),
            Ok(None) => None,
            Err(e) => Some(Err(e.to_string())),
        }
    }

    /// Closes the connections.
    pub async fn close(self) {
        if let Some((world, _)) = &self.demo {
            world.close().await;
        }
        if let Some(store) = &self.store {
            store.close().await;
        }
        if let Some(audit) = &self.audit {
            audit.close().await;
        }
    }
}
