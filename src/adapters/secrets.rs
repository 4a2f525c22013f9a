//! The OS keyring (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows) through `keyring` 4: one entry per profile and secret,
//! service `rollout-panel`, user `<profile>:<key>`. There is no plaintext
//! fallback: without a reachable, unlocked keyring, secrets cannot be used.

use crate::core::secret::{Secret, SecretKey};
use keyring_core::{Entry, Error as KeyringCoreError};

/// The keyring service name of every entry.
pub const SERVICE: &str = "rollout-panel";

/// The keyring entry (user) of this operator's signing key.
pub const OPERATOR_KEY_ENTRY: &str = "operator-key";

/// How to fix a keyring that cannot be used, per OS.
#[cfg(all(unix, not(target_os = "macos")))]
const FIX: &str = "start a Secret Service (e.g. gnome-keyring or KeePassXC) in your desktop \
                   session and unlock your login keyring; over SSH, run the panel inside \
                   `dbus-run-session` with `gnome-keyring-daemon --unlock`";
#[cfg(target_os = "macos")]
const FIX: &str = "unlock your login keychain (Keychain Access) and allow rollout-panel to use it";
#[cfg(windows)]
const FIX: &str = "sign in to Windows normally so the Credential Manager is available";
#[cfg(not(any(unix, windows)))]
const FIX: &str = "this platform has no supported keyring";

/// Why the keyring could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// No keyring service is reachable (no D-Bus session, no Secret Service).
    #[error("no OS keyring is reachable ({detail}); {fix}. The demo keeps working", fix = FIX)]
    Unavailable {
        /// The platform's words.
        detail: String,
    },
    /// The keyring is there but locked or access was refused.
    #[error("the OS keyring is locked or refused access ({detail}); {fix}. The demo keeps working", fix = FIX)]
    Locked {
        /// The platform's words.
        detail: String,
    },
    /// Any other failure of the keyring.
    #[error("the OS keyring failed: {detail}")]
    Failed {
        /// The platform's words.
        detail: String,
    },
}

impl KeyringError {
    fn from_core(e: KeyringCoreError) -> Self {
        match e {
            KeyringCoreError::NoDefaultStore => Self::Unavailable {
                detail: "no credential store could be opened".to_owned(),
            },
            KeyringCoreError::NoStorageAccess(err) => Self::Locked {
                detail: err.to_string(),
            },
            KeyringCoreError::PlatformFailure(err) => {
                let detail = err.to_string();
                // zbus reports a missing session bus or Secret Service as a
                // platform failure.
                let lower = detail.to_lowercase();
                if lower.contains("dbus")
                    || lower.contains("d-bus")
                    || lower.contains("no such file")
                    || lower.contains("serviceunknown")
                    || lower.contains("not provided by any")
                {
                    Self::Unavailable { detail }
                } else {
                    Self::Failed { detail }
                }
            }
            other => Self::Failed {
                detail: other.to_string(),
            },
        }
    }
}

/// What the keyring holds for one key of a profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretStatus {
    /// Not stored.
    Unset,
    /// Stored; the hint shows the last four characters only (`•••• abcd`).
    Set {
        /// The masked hint.
        hint: String,
    },
}

impl SecretStatus {
    /// Whether the secret is stored.
    pub fn is_set(&self) -> bool {
        matches!(self, Self::Set { .. })
    }

    /// "set" or "unset" (what `secrets list` prints).
    pub fn word(&self) -> &'static str {
        if self.is_set() { "set" } else { "unset" }
    }

    /// "set (•••• abcd)" or "unset".
    pub fn label(&self) -> String {
        match self {
            Self::Unset => "unset".to_owned(),
            Self::Set { hint } => format!("set ({hint})"),
        }
    }
}

/// The keyring, as the panel uses it.
#[derive(Clone, Debug)]
pub struct Keyring {
    ready: Result<(), KeyringError>,
}

impl Keyring {
    /// The OS keyring (opened once per process by `keyring` 4; when it
    /// cannot be opened, every call returns the reason and how to fix it).
    pub fn native() -> Self {
        let ready = match keyring::Entry::store_status() {
            Ok(()) => Ok(()),
            Err(e) => {
                // Reported where it is used (the CLI's error, the window's banner).
                tracing::debug!("OS keyring unavailable: {e}");
                Err(KeyringError::Unavailable {
                    detail: e.to_string(),
                })
            }
        };
        Self { ready }
    }

    /// Whatever store was set with `keyring_core::set_default_store` (tests
    /// use keyring-core's mock store).
    pub fn default_store() -> Self {
        Self { ready: Ok(()) }
    }

    /// Whether the keyring could be opened at all (it may still be locked).
    pub fn availability(&self) -> Result<(), KeyringError> {
        self.ready.clone()
    }

    fn entry(&self, profile: &str, key: SecretKey) -> Result<Entry, KeyringError> {
        self.ready.clone()?;
        Entry::new(SERVICE, &format!("{profile}:{key}")).map_err(KeyringError::from_core)
    }

    /// Reads a secret; `None` when it is not stored.
    pub fn get(&self, profile: &str, key: SecretKey) -> Result<Option<Secret>, KeyringError> {
        match self.entry(profile, key)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(KeyringCoreError::NoEntry) => Ok(None),
            Err(e) => Err(KeyringError::from_core(e)),
        }
    }

    /// Reads a secret that must be there; the error says how to set it.
    pub fn require(&self, profile: &str, key: SecretKey) -> Result<Secret, String> {
        match self.get(profile, key) {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(not_set_message(profile, key)),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Stores (or replaces) a secret and reads it back to be sure.
    pub fn set(&self, profile: &str, key: SecretKey, secret: &Secret) -> Result<(), KeyringError> {
        let entry = self.entry(profile, key)?;
        entry
            .set_password(secret.expose())
            .map_err(KeyringError::from_core)?;
        match entry.get_password() {
            Ok(v) if v == secret.expose() => Ok(()),
            Ok(_) => Err(KeyringError::Failed {
                detail: format!(
                    "{key} of profile {profile} read back different from what was stored"
                ),
            }),
            Err(e) => Err(KeyringError::from_core(e)),
        }
    }

    /// Deletes a secret; `false` when there was none.
    pub fn delete(&self, profile: &str, key: SecretKey) -> Result<bool, KeyringError> {
        match self.entry(profile, key)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringCoreError::NoEntry) => Ok(false),
            Err(e) => Err(KeyringError::from_core(e)),
        }
    }

    /// This operator's signing key (issue 28): one per OS user's keyring,
    /// entry `rollout-panel` / [`OPERATOR_KEY_ENTRY`]; made on first use
    /// (32 random bytes) and read back before it is used. `created` says
    /// whether it was made now.
    pub fn operator_key(&self) -> Result<(crate::core::trust::OperatorKey, bool), KeyringError> {
        use crate::core::trust::OperatorKey;
        self.ready.clone()?;
        let entry = Entry::new(SERVICE, OPERATOR_KEY_ENTRY).map_err(KeyringError::from_core)?;
        match entry.get_password() {
            Ok(text) => OperatorKey::from_seed_text(&text)
                .map(|k| (k, false))
                .ok_or_else(|| KeyringError::Failed {
                    detail: format!(
                        "the keyring entry {SERVICE}/{OPERATOR_KEY_ENTRY} does not hold an operator key; delete it to make a new one"
                    ),
                }),
            Err(KeyringCoreError::NoEntry) => {
                let mut seed = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
                let key = OperatorKey::from_seed(&seed);
                let text = key.seed_text();
                entry
                    .set_password(&text)
                    .map_err(KeyringError::from_core)?;
                match entry.get_password() {
                    Ok(v) if v == text => Ok((key, true)),
                    Ok(_) => Err(KeyringError::Failed {
                        detail: "the operator key read back different from what was stored"
                            .to_owned(),
                    }),
                    Err(e) => Err(KeyringError::from_core(e)),
                }
            }
            Err(e) => Err(KeyringError::from_core(e)),
        }
    }

    /// Every key of a profile: set (with a masked hint) or unset.
    pub fn status(&self, profile: &str) -> Result<Vec<(SecretKey, SecretStatus)>, KeyringError> {
        SecretKey::ALL
            .into_iter()
            .map(|key| {
                Ok((
                    key,
                    match self.get(profile, key)? {
                        Some(s) => SecretStatus::Set { hint: s.hint() },
                        None => SecretStatus::Unset,
                    },
                ))
            })
            .collect()
    }
}

/// "secret database-url of profile X is not set: rollout-panel secrets set --profile X database-url".
pub fn not_set_message(profile: &str, key: SecretKey) -> String {
    format!(
        "secret {key} of profile {profile} is not set: rollout-panel secrets set --profile {profile} {key}"
    )
}

/// The OS keyring this build uses (keyring 4's platform store).
pub fn backend_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(target_os = "windows") {
        "Windows Credential Manager"
    } else {
        "Secret Service over D-Bus (GNOME Keyring, KWallet, KeePassXC)"
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{Mutex, MutexGuard};

    /// keyring-core's default store is process-wide: tests that set it take this lock.
    static MOCK: Mutex<()> = Mutex::new(());

    /// Installs a fresh mock store and returns the guard that keeps other tests out.
    pub(crate) fn mock_keyring() -> (MutexGuard<'static, ()>, Keyring) {
        let guard = MOCK.lock().unwrap_or_else(|e| e.into_inner());
        keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap());
        (guard, Keyring::default_store())
    }

    #[test]
    fn set_get_status_delete_round_trip() {
        let (_g, kr) = mock_keyring();
        let url = Secret::new("postgres://u:pw-1234@db.example.com/zrg?sslmode=require");
        assert_eq!(kr.get("production", SecretKey::DatabaseUrl).unwrap(), None);
        kr.set("production", SecretKey::DatabaseUrl, &url).unwrap();
        assert_eq!(
            kr.get("production", SecretKey::DatabaseUrl).unwrap(),
            Some(url)
        );
        let status = kr.status("production").unwrap();
        assert_eq!(status[0].1.label(), "set (•••• uire)");
        assert_eq!(status[1].1, SecretStatus::Unset);
        assert_eq!(status[2].1.label(), "unset");
        // Profiles do not see each other's secrets.
        assert_eq!(kr.get("staging", SecretKey::DatabaseUrl).unwrap(), None);
        assert!(kr.delete("production", SecretKey::DatabaseUrl).unwrap());
        assert!(!kr.delete("production", SecretKey::DatabaseUrl).unwrap());
        let e = kr
            .require("production", SecretKey::DatabaseUrl)
            .unwrap_err();
        assert_eq!(
            e,
            "secret database-url of profile production is not set: rollout-panel secrets set --profile production database-url"
        );
    }

    #[test]
    fn a_locked_store_says_so_and_how_to_fix_it() {
        let (_g, kr) = mock_keyring();
        let entry = Entry::new(SERVICE, "production:vercel-token").unwrap();
        let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(KeyringCoreError::NoStorageAccess(Box::new(
            std::io::Error::other("collection is locked"),
        )));
        let e = kr.get("production", SecretKey::VercelToken).unwrap_err();
        assert!(matches!(e, KeyringError::Locked { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("locked") && msg.contains("unlock"), "{msg}");
        assert!(msg.contains("demo keeps working"), "{msg}");
    }

    #[test]
    fn an_unavailable_keyring_refuses_every_call_with_the_fix() {
        let kr = Keyring {
            ready: Err(KeyringError::Unavailable {
                detail: "no session bus".into(),
            }),
        };
        let e = kr.get("p", SecretKey::DatabaseUrl).unwrap_err().to_string();
        assert!(e.contains("no OS keyring is reachable"), "{e}");
        assert!(
            kr.set("p", SecretKey::DatabaseUrl, &Secret::new("x"))
                .is_err()
        );
        assert!(kr.status("p").is_err());
    }
}
