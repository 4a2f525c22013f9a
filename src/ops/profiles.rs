//! Profile and secret operations shared by the command line and the window:
//! the config file, the keyring and the connection tests, put together.
//! Every function here may block (keyring, files) or wait on the network:
//! call them from the CLI or a background thread, never from the UI thread.

use crate::adapters::config::{ConfigError, ConfigStore};
use crate::adapters::env::vercel::{VercelClient, VercelError};
use crate::adapters::secrets::{Keyring, KeyringError, SecretStatus};
use crate::adapters::store::{PgStore, Store, StoreError, describe};
use crate::core::profile::{Profile, ProfilesFile, check_profile_name};
use crate::core::secret::{CheckedSecret, Secret, SecretKey, check_secret_input};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The deadline of one connection test.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// The config file and the keyring, together.
#[derive(Clone, Debug)]
pub struct ProfileManager {
    /// `profiles.toml`.
    pub config: ConfigStore,
    /// The OS keyring.
    pub keyring: Keyring,
}

/// A failed profile operation: a message for people.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The config file.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The keyring.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// A refused input.
    #[error("{0}")]
    Invalid(String),
}

/// What `remove` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// The keyring entries deleted.
    pub deleted_secrets: Vec<SecretKey>,
}

impl ProfileManager {
    /// Adds a profile or replaces its settings (name checked, settings
    /// validated). The first profile added becomes the window's default.
    /// Returns whether it became the default.
    pub fn save(&self, name: &str, profile: Profile, create: bool) -> Result<bool, ProfileError> {
        check_profile_name(name).map_err(ProfileError::Invalid)?;
        profile.validate().map_err(ProfileError::Invalid)?;
        Ok(self.config.update(|file| {
            match (create, file.profiles.get_mut(name)) {
                (true, Some(_)) => {
                    return Err(format!(
                        "a profile named {name:?} exists already; edit it in the window or \
                         remove it first (rollout-panel profile remove {name})"
                    ));
                }
                (false, Some(existing)) => {
                    // Keep what this version does not know about.
                    let unknown = std::mem::take(&mut existing.unknown);
                    *existing = Profile { unknown, ..profile };
                }
                (_, None) => {
                    file.profiles.insert(name.to_owned(), profile);
                }
            }
            let became_default = file.default_profile.is_none();
            if became_default {
                file.default_profile = Some(name.to_owned());
            }
            Ok(became_default)
        })?)
    }

    /// Reads one profile; the error lists the known names.
    pub fn get(&self, name: &str) -> Result<Profile, ProfileError> {
        let loaded = self.config.load()?;
        // Values out of range are ignored (the profile still works), said here.
        for w in &loaded.warnings {
            tracing::warn!("{w}");
        }
        loaded
            .file
            .get(name)
            .cloned()
            .map_err(ProfileError::Invalid)
    }

    /// Removes a profile: first its keyring entries (so a locked keyring
    /// leaves everything as it was), then its settings.
    pub fn remove(&self, name: &str) -> Result<Removed, ProfileError> {
        self.get(name)?;
        let mut removed = Removed::default();
        for key in SecretKey::ALL {
            if self.keyring.delete(name, key)? {
                removed.deleted_secrets.push(key);
            }
        }
        self.config.update(|file| {
            file.profiles.remove(name);
            if file.default_profile.as_deref() == Some(name) {
                file.default_profile = None;
            }
            Ok(())
        })?;
        Ok(removed)
    }

    /// Sets the profile the window opens with (`demo` clears it).
    pub fn set_default(&self, name: &str) -> Result<(), ProfileError> {
        Ok(self.config.update(|file| {
            if name == crate::core::profile::DEMO_PROFILE {
                file.default_profile = None;
                return Ok(());
            }
            file.get(name)?;
            file.default_profile = Some(name.to_owned());
            Ok(())
        })?)
    }

    /// Checks and stores a secret of an existing profile. Returns the
    /// warnings about the value (never the value).
    pub fn set_secret(
        &self,
        profile: &str,
        key: SecretKey,
        raw: &str,
    ) -> Result<Vec<String>, ProfileError> {
        self.get(profile)?;
        let CheckedSecret { secret, warnings } =
            check_secret_input(key, raw).map_err(|e| ProfileError::Invalid(e.to_string()))?;
        self.keyring.set(profile, key, &secret)?;
        Ok(warnings)
    }

    /// Deletes a secret of a profile; `false` when it was not set.
    pub fn delete_secret(&self, profile: &str, key: SecretKey) -> Result<bool, ProfileError> {
        self.get(profile)?;
        Ok(self.keyring.delete(profile, key)?)
    }

    /// Every key of a profile: set (masked) or unset.
    pub fn secret_status(
        &self,
        profile: &str,
    ) -> Result<Vec<(SecretKey, SecretStatus)>, ProfileError> {
        self.get(profile)?;
        Ok(self.keyring.status(profile)?)
    }

    /// Tests every connection of a profile, one after the other.
    pub async fn test_all(&self, profile_name: &str) -> Result<Vec<TestResult>, ProfileError> {
        let mut results = Vec::new();
        for key in SecretKey::ALL {
            results.push(self.test_key(profile_name, key).await?);
        }
        Ok(results)
    }

    /// Tests one secret of a profile (the keyring read blocks: call it off
    /// the async threads, as the jobs runner does).
    pub async fn test_key(
        &self,
        profile_name: &str,
        key: SecretKey,
    ) -> Result<TestResult, ProfileError> {
        let profile = self.get(profile_name)?;
        let secret = match self.keyring.get(profile_name, key)? {
            None if key == SecretKey::PooledDatabaseUrl => {
                return Ok(TestResult {
                    key,
                    outcome: Outcome::Skipped,
                    detail: "not set (optional)".to_owned(),
                });
            }
            None => {
                return Ok(TestResult {
                    key,
                    outcome: Outcome::Failed,
                    detail: crate::adapters::secrets::not_set_message(profile_name, key),
                });
            }
            Some(s) => s,
        };
        let result = test_one(&profile, key, &secret).await;
        Ok(TestResult::from(key, result))
    }

    /// Everything the Profiles window shows: the file (or why it cannot be
    /// read), the keyring's state and each profile's secrets, masked.
    pub fn view(&self) -> ProfilesView {
        let loaded = self.config.load();
        let keyring = self.keyring.availability().map_err(|e| e.to_string());
        let mut secrets = BTreeMap::new();
        let (file, warnings) = match loaded {
            Ok(l) => {
                for name in l.file.profiles.keys() {
                    let status = self.keyring.status(name).map_err(|e| e.to_string());
                    secrets.insert(name.clone(), status);
                }
                (Ok(l.file), l.warnings)
            }
            Err(e) => (Err(e.to_string()), Vec::new()),
        };
        ProfilesView {
            config_path: self.config.path().to_path_buf(),
            file,
            warnings,
            keyring,
            secrets,
        }
    }

    /// Runs one job of the window and reloads the view.
    pub async fn run_job(&self, job: ProfileJob) -> JobDone {
        let mut test = None;
        let mut saved = None;
        let mut removed = None;
        let message = match job {
            ProfileJob::Reload => None,
            ProfileJob::Save {
                name,
                profile,
                create,
            } => Some(self.save(&name, *profile, create).map(|became_default| {
                saved = Some(name.clone());
                if became_default {
                    format!("profile {name} saved; it is the default profile")
                } else {
                    format!("profile {name} saved")
                }
            })),
            ProfileJob::SetSecret {
                profile,
                key,
                value,
            } => Some(
                self.set_secret(&profile, key, value.expose())
                    .map(|warnings| {
                        let mut m = format!("{key} of {profile} stored in the OS keyring");
                        for w in warnings {
                            m.push_str("\nwarning: ");
                            m.push_str(&w);
                        }
                        m
                    }),
            ),
            ProfileJob::DeleteSecret { profile, key } => {
                Some(self.delete_secret(&profile, key).map(|deleted| {
                    if deleted {
                        format!("{key} of {profile} deleted from the OS keyring")
                    } else {
                        format!("{key} of {profile} was not set")
                    }
                }))
            }
            ProfileJob::Test { profile, key } => match self.test_key(&profile, key).await {
                Ok(r) => {
                    test = Some((profile, r));
                    None
                }
                Err(e) => Some(Err(e)),
            },
            ProfileJob::SetDefault(name) => self.set_default(&name).err().map(Err),
            ProfileJob::Remove(name) => Some(self.remove(&name).map(|r| {
                removed = Some(name.clone());
                let keys: Vec<&str> = r.deleted_secrets.iter().map(|k| k.as_str()).collect();
                if keys.is_empty() {
                    format!("profile {name} removed")
                } else {
                    format!(
                        "profile {name} removed with its keyring entries: {}",
                        keys.join(", ")
                    )
                }
            })),
        };
        JobDone {
            message: message.map(|m| m.map_err(|e| e.to_string())),
            test,
            saved,
            removed,
            view: self.view(),
        }
    }
}

/// What the Profiles window draws.
#[derive(Clone, Debug)]
pub struct ProfilesView {
    /// Where the file is.
    pub config_path: std::path::PathBuf,
    /// The file, or why it cannot be used.
    pub file: Result<ProfilesFile, String>,
    /// Unknown keys and the like.
    pub warnings: Vec<String>,
    /// Whether the keyring can be used (the message says how to fix it).
    pub keyring: Result<(), String>,
    /// Each profile's secrets, masked (or why they cannot be read).
    pub secrets: BTreeMap<String, Result<Vec<(SecretKey, SecretStatus)>, String>>,
}

/// A job the Profiles window asks for (run off the UI thread).
#[derive(Clone, Debug)]
pub enum ProfileJob {
    /// Reload the view.
    Reload,
    /// Add or update a profile.
    Save {
        /// Its name.
        name: String,
        /// Its settings (boxed: the other jobs are small).
        profile: Box<Profile>,
        /// Whether it must be new.
        create: bool,
    },
    /// Store a secret.
    SetSecret {
        /// The profile.
        profile: String,
        /// Which secret.
        key: SecretKey,
        /// The pasted value (masked in `Debug`).
        value: Secret,
    },
    /// Delete a secret.
    DeleteSecret {
        /// The profile.
        profile: String,
        /// Which secret.
        key: SecretKey,
    },
    /// Test one connection.
    Test {
        /// The profile.
        profile: String,
        /// Which secret.
        key: SecretKey,
    },
    /// Make a profile the window's default.
    SetDefault(String),
    /// Remove a profile and its secrets.
    Remove(String),
}

/// A finished job.
#[derive(Clone, Debug)]
pub struct JobDone {
    /// What to tell the user.
    pub message: Option<Result<String, String>>,
    /// A connection test's result, with its profile.
    pub test: Option<(String, TestResult)>,
    /// The profile a save wrote.
    pub saved: Option<String>,
    /// The profile a remove deleted.
    pub removed: Option<String>,
    /// The reloaded view.
    pub view: ProfilesView,
}

/// How one connection test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Connected.
    Ok,
    /// Did not connect (or the secret is missing).
    Failed,
    /// Not tested (an optional secret that is not set).
    Skipped,
}

/// One connection test's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// Which secret was tested.
    #[serde(serialize_with = "key_name")]
    pub key: SecretKey,
    /// How it ended.
    pub outcome: Outcome,
    /// What was found or what went wrong (never a secret).
    pub detail: String,
}

fn key_name<S: serde::Serializer>(key: &SecretKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(key.as_str())
}

impl TestResult {
    fn from(key: SecretKey, r: Result<String, TestError>) -> Self {
        match r.map_err(|e| e.to_string()) {
            Ok(detail) => Self {
                key,
                outcome: Outcome::Ok,
                detail,
            },
            Err(detail) => Self {
                key,
                outcome: Outcome::Failed,
                detail,
            },
        }
    }
}

/// Tests one secret of a profile with a deadline.
/// Why a connection test failed (never a secret: URLs are redacted).
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// The database answered with an error.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The URL cannot be parsed.
    #[error("the URL is not usable: {0}")]
    Url(String),
    /// No connection.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// Connected, but the query failed.
    #[error("connected, but SELECT 1 failed: {0}")]
    Select(String),
    /// Vercel refused or failed.
    #[error(transparent)]
    Vercel(#[from] VercelError),
    /// No answer in time.
    #[error("{key}: no answer within {secs} s")]
    TimedOut {
        /// The secret tested.
        key: SecretKey,
        /// The deadline.
        secs: u64,
    },
}

/// Tests one secret of a profile with a deadline; what was found, for people.
pub async fn test_one(
    profile: &Profile,
    key: SecretKey,
    secret: &Secret,
) -> Result<String, TestError> {
    let fut = async {
        match key {
            SecretKey::DatabaseUrl => test_database(secret).await,
            SecretKey::PooledDatabaseUrl => test_reachable(secret).await,
            SecretKey::VercelToken => test_vercel(profile, secret).await,
        }
    };
    match tokio::time::timeout(TEST_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(TestError::TimedOut {
            key,
            secs: TEST_TIMEOUT.as_secs(),
        }),
    }
}

/// Connects as the panel will, and reads the server version and schema variant.
pub async fn test_database(url: &Secret) -> Result<String, TestError> {
    let store = PgStore::connect(url.expose()).await?;
    let version = store.server_version().await?;
    let summary = format!(
        "connected · {version} · schema {}",
        store.schema().summary()
    );
    store.pool().close().await;
    Ok(summary)
}

/// Connects once and runs `SELECT 1` with the simple protocol (which a
/// transaction-mode pooler accepts).
pub async fn test_reachable(url: &Secret) -> Result<String, TestError> {
    use sqlx::{ConnectOptions, Connection};
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url.expose())
        .map_err(|e| TestError::Url(describe(&e)))?
        .application_name("rollout-panel");
    let mut conn = options
        .connect()
        .await
        .map_err(|e| TestError::Connect(describe(&e)))?;
    sqlx::raw_sql("SELECT 1")
        .execute(&mut conn)
        .await
        .map_err(|e| TestError::Select(describe(&e)))?;
    let _ = conn.close().await;
    Ok("reachable (SELECT 1 answered)".to_owned())
}

/// Checks the token against the profile's project.
pub async fn test_vercel(profile: &Profile, token: &Secret) -> Result<String, TestError> {
    let client = VercelClient::new(
        &profile.vercel_api,
        &profile.vercel_project,
        profile.vercel_team.as_deref(),
        token.clone(),
    )?;
    let project = client.project().await?;
    Ok(format!(
        "token valid · project {} ({})",
        project.name, project.id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::secrets::tests::mock_keyring;

    fn manager(dir: &std::path::Path, keyring: Keyring) -> ProfileManager {
        ProfileManager {
            config: ConfigStore::new(dir),
            keyring,
        }
    }

    #[test]
    fn add_set_status_remove() {
        let (_g, kr) = mock_keyring();
        let dir = tempfile::tempdir().unwrap();
        let m = manager(dir.path(), kr);
        assert!(m.save("production", Profile::new("zrg"), true).unwrap());
        assert!(
            !m.save("staging", Profile::new("zrg-staging"), true)
                .unwrap()
        );
        let e = m.save("production", Profile::new("x"), true).unwrap_err();
        assert!(e.to_string().contains("exists already"), "{e}");
        let e = m
            .set_secret("prod", SecretKey::VercelToken, "abc")
            .unwrap_err();
        assert!(e.to_string().contains("production, staging"), "{e}");
        let w = m
            .set_secret(
                "production",
                SecretKey::VercelToken,
                " tok_1234567890abcd \n",
            )
            .unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        let status = m.secret_status("production").unwrap();
        assert_eq!(status[2].1.label(), "set (•••• abcd)");
        let e = m
            .set_secret("production", SecretKey::DatabaseUrl, "postgres://u:p@h")
            .unwrap_err();
        assert!(e.to_string().contains("no database"), "{e}");
        let removed = m.remove("production").unwrap();
        assert_eq!(removed.deleted_secrets, vec![SecretKey::VercelToken]);
        assert!(m.get("production").is_err());
        let file = m.config.load().unwrap().file;
        assert_eq!(file.default_profile, None);
        assert!(file.profiles.contains_key("staging"));
    }

    #[test]
    fn a_locked_keyring_leaves_the_profile_in_place_on_remove() {
        let dir = tempfile::tempdir().unwrap();
        let (_g, kr) = mock_keyring();
        let m = manager(dir.path(), kr);
        m.save("production", Profile::new("zrg"), true).unwrap();
        let entry =
            keyring_core::Entry::new(crate::adapters::secrets::SERVICE, "production:database-url")
                .unwrap();
        let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(keyring_core::Error::NoStorageAccess(Box::new(
            std::io::Error::other("locked"),
        )));
        let e = m.remove("production").unwrap_err().to_string();
        assert!(e.contains("locked"), "{e}");
        assert!(
            m.get("production").is_ok(),
            "the profile must still be there"
        );
    }

    #[test]
    fn test_all_reports_unset_secrets_with_the_command_to_set_them() {
        let (_g, kr) = mock_keyring();
        let dir = tempfile::tempdir().unwrap();
        let m = manager(dir.path(), kr);
        m.save("production", Profile::new("zrg"), true).unwrap();
        let results = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(m.test_all("production"))
            .unwrap();
        assert_eq!(results[0].outcome, Outcome::Failed);
        assert!(
            results[0]
                .detail
                .contains("secrets set --profile production database-url")
        );
        assert_eq!(results[1].outcome, Outcome::Skipped);
        assert_eq!(results[2].outcome, Outcome::Failed);
    }
}
