//! Secrets and their names: a [`Secret`] never prints its value, a
//! [`SecretKey`] names one of the three a profile can hold, and the input
//! checks say what is wrong with a pasted value without repeating it.

use std::fmt;
use std::str::FromStr;

/// A secret value (a database URL with its password, a Vercel token).
///
/// `Debug` and `Display` print a mask; the value is only reachable through
/// [`Secret::expose`], whose callers hand it straight to a driver.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Only for the code that uses it to connect.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the screen may show of a stored secret: `•••• abcd` (its last
    /// four characters), or only the mask when it is too short to show any.
    pub fn hint(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 12 {
            return "••••".to_owned();
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("•••• {tail}")
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(••••)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("••••")
    }
}

/// The secrets a profile can hold; each is one keyring entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretKey {
    /// The connection the panel monitors and writes toggles through
    /// (recommended: the app's `DIRECT_URL`).
    DatabaseUrl,
    /// Optional: the app's pooled `DATABASE_URL`, only checked for reachability.
    PooledDatabaseUrl,
    /// A Vercel access token.
    VercelToken,
}

impl SecretKey {
    /// Every key, in display order.
    pub const ALL: [SecretKey; 3] = [
        SecretKey::DatabaseUrl,
        SecretKey::PooledDatabaseUrl,
        SecretKey::VercelToken,
    ];

    /// The key's name on the command line and in the keyring.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DatabaseUrl => "database-url",
            Self::PooledDatabaseUrl => "pooled-database-url",
            Self::VercelToken => "vercel-token",
        }
    }

    /// What the key is for, for people.
    pub fn description(self) -> &'static str {
        match self {
            Self::DatabaseUrl => {
                "the database the panel monitors and writes toggles through — use the app's \
                 DIRECT_URL (a direct or session connection; sqlx prepares statements, which a \
                 transaction-mode pooler breaks)"
            }
            Self::PooledDatabaseUrl => {
                "optional: the app's pooled DATABASE_URL, only checked for reachability"
            }
            Self::VercelToken => "a Vercel access token with access to the project",
        }
    }

    /// Whether the value is a Postgres URL.
    pub fn is_database_url(self) -> bool {
        matches!(self, Self::DatabaseUrl | Self::PooledDatabaseUrl)
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key name that is not one of [`SecretKey::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown secret key {given:?}; the keys are: database-url, pooled-database-url, vercel-token"
)]
pub struct UnknownSecretKey {
    /// What was given.
    pub given: String,
}

impl FromStr for SecretKey {
    type Err = UnknownSecretKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownSecretKey {
                given: s.to_owned(),
            })
    }
}

/// A pasted secret, cleaned and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedSecret {
    /// The value to store.
    pub secret: Secret,
    /// What was changed or looks wrong; shown to the user, never the value.
    pub warnings: Vec<String>,
}

/// Why a pasted value cannot be stored at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretInputError {
    /// Nothing was given.
    #[error("the value of {0} is empty; nothing was stored")]
    Empty(SecretKey),
    /// A database URL that cannot be used.
    #[error("{key} is not a usable Postgres URL: {reason}; nothing was stored")]
    BadDatabaseUrl {
        /// Which key.
        key: SecretKey,
        /// Why (never contains the value).
        reason: String,
    },
}

/// Cleans and checks a pasted value for `key`: surrounding whitespace and
/// newlines are removed (and reported); a database URL must parse as a
/// Postgres URL with a host and a database, and is warned about when it goes
/// to a remote host without TLS or through a transaction-mode pooler; a token
/// must not contain whitespace.
pub fn check_secret_input(key: SecretKey, raw: &str) -> Result<CheckedSecret, SecretInputError> {
    let mut warnings = Vec::new();
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(SecretInputError::Empty(key));
    }
    if trimmed.len() != raw.trim_end_matches(['\n', '\r']).len() {
        warnings.push(format!(
            "whitespace around the value of {key} was removed (a paste often carries some)"
        ));
    }
    let mut value = trimmed.to_owned();
    if key.is_database_url() {
        warnings.extend(
            check_database_url(key, &value)
                .map_err(|reason| SecretInputError::BadDatabaseUrl { key, reason })?,
        );
    } else if value.chars().any(char::is_whitespace) {
        value.retain(|c| !c.is_whitespace());
        warnings.push(format!(
            "{key} contained whitespace or a line break inside it; it was removed"
        ));
    }
    Ok(CheckedSecret {
        secret: Secret::new(value),
        warnings,
    })
}

/// Checks a Postgres URL. `Err` = unusable (the reason); `Ok` = the warnings.
/// Neither ever contains the URL or its password.
pub fn check_database_url(key: SecretKey, value: &str) -> Result<Vec<String>, String> {
    let target = crate::core::dburl::DbTarget::parse(value)?;
    let host = &target.host;
    let mut warnings = Vec::new();
    if !target.is_local() {
        match target.sslmode.as_deref() {
            // No sslmode: the panel connects with verify-full.
            None | Some("verify-full" | "verify-ca") => {}
            Some(mode @ ("disable" | "allow" | "prefer")) => warnings.push(format!(
                "{key} goes to the remote host {host} with sslmode={mode}: the connection may \
                 not be encrypted; use sslmode=verify-full (or leave sslmode out: the panel \
                 then checks the server's certificate)"
            )),
            // The pooled URL is only checked for reachability; the write
            // connection is the one that must be authenticated.
            Some(_) if key != SecretKey::DatabaseUrl => {}
            Some(mode) => warnings.push(format!(
                "{key} goes to the remote host {host} with sslmode={mode}: encrypted, but the \
                 server's certificate is not checked; use sslmode=verify-full (or leave sslmode \
                 out: the panel then checks the server's certificate)"
            )),
        }
    }
    if key == SecretKey::DatabaseUrl && target.pooler {
        warnings.push(
            "database-url looks like a transaction-mode pooler (pgbouncer=true or port 6543): \
             the panel prepares statements, which such a pooler breaks; use the app's DIRECT_URL"
                .to_owned(),
        );
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_its_value() {
        let s = Secret::new("postgres://u:hunter2-very-secret@db/x");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert!(!format!("{:?}", Some(s.clone())).contains("hunter2"));
        assert_eq!(s.hint(), "•••• db/x");
        assert_eq!(Secret::new("short").hint(), "••••");
    }

    #[test]
    fn keys_parse_and_an_unknown_key_lists_the_known_ones() {
        for k in SecretKey::ALL {
            assert_eq!(k.as_str().parse::<SecretKey>(), Ok(k));
        }
        let e = "db-url".parse::<SecretKey>().unwrap_err().to_string();
        assert!(
            e.contains("database-url, pooled-database-url, vercel-token"),
            "{e}"
        );
    }

    #[test]
    fn a_token_with_pasted_whitespace_is_trimmed_and_reported() {
        let c = check_secret_input(SecretKey::VercelToken, "  abc123def456\n").unwrap();
        assert_eq!(c.secret.expose(), "abc123def456");
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        let c = check_secret_input(SecretKey::VercelToken, "abc123\ndef456").unwrap();
        assert_eq!(c.secret.expose(), "abc123def456");
        assert!(c.warnings[0].contains("line break"));
        // A single trailing newline (from `echo`) is not worth a warning.
        let c = check_secret_input(SecretKey::VercelToken, "abc123def456\n").unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(
            check_secret_input(SecretKey::VercelToken, " \n"),
            Err(SecretInputError::Empty(SecretKey::VercelToken))
        );
    }

    #[test]
    fn database_urls_are_checked_without_repeating_them() {
        let bad = |v: &str| {
            let e = check_secret_input(SecretKey::DatabaseUrl, v)
                .unwrap_err()
                .to_string();
            assert!(!e.contains("s3cr3t"), "{e}");
            e
        };
        assert!(bad("not a url s3cr3t").contains("does not parse"));
        assert!(bad("mysql://u:s3cr3t@h/db").contains("scheme"));
        assert!(bad("postgres://u:s3cr3t@db.example.com").contains("no database"));
        assert!(bad("postgres://u:s3cr3t@db.example.com/").contains("no database"));

        let warn = |v: &str| {
            check_secret_input(SecretKey::DatabaseUrl, v)
                .unwrap()
                .warnings
        };
        assert!(warn("postgres://u:s3cr3t@localhost:5432/zrg").is_empty());
        assert!(warn("postgres://u:s3cr3t@127.0.0.1/zrg").is_empty());
        assert!(warn("postgresql://u:s3cr3t@db.example.com/zrg?sslmode=verify-full").is_empty());
        // No sslmode: connected with verify-full, nothing to warn about.
        assert!(warn("postgres://u:s3cr3t@db.example.com/zrg").is_empty());
        let w = warn("postgresql://u:s3cr3t@db.example.com/zrg?sslmode=require");
        assert!(w[0].contains("not checked"), "{w:?}");
        let w = warn("postgres://u:s3cr3t@db.example.com/zrg?sslmode=disable");
        assert!(w[0].contains("sslmode=disable"), "{w:?}");
        let w =
            warn("postgres://u:s3cr3t@pool.example.com:6543/zrg?sslmode=require&pgbouncer=true");
        assert!(w.iter().any(|w| w.contains("DIRECT_URL")), "{w:?}");
        // The pooled URL is expected to be a pooler.
        let pooled = check_secret_input(
            SecretKey::PooledDatabaseUrl,
            "postgres://u:s3cr3t@pool.example.com:6543/zrg?sslmode=require&pgbouncer=true",
        )
        .unwrap();
        assert!(pooled.warnings.is_empty(), "{:?}", pooled.warnings);
        // A Unix socket given as a query host is local and has a host.
        assert!(warn("postgresql:///zrg?host=/var/run/postgresql").is_empty());
        let w = warn("postgres://u:s3cr3t@db.example.com/zrg?sslmode=prefer");
        assert!(
            !w.is_empty() && w.iter().all(|w| !w.contains("s3cr3t")),
            "{w:?}"
        );
    }
}
