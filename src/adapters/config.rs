//! `profiles.toml` in the OS config dir: read, changed and written back
//! whole, atomically, never over a file that did not parse.

use crate::core::profile::ProfilesFile;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name inside the config dir.
pub const PROFILES_FILE: &str = "profiles.toml";

const HEADER: &str = "\
# rollout-panel profiles. Hand-editable; secrets are never stored here (they
# live in the OS keyring: `rollout-panel secrets set --profile NAME KEY`).
# Keys the panel does not know are kept when it saves this file.

";

/// Why the profiles file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid TOML or has wrong types.
    #[error(
        "{path} is malformed at line {line}, column {column}: {message}. Fix it by hand (or move \
         it away); the panel will not overwrite it"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// Reading or writing failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// "cannot read" / "cannot write".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The change was refused (the message says why).
    #[error("{0}")]
    Invalid(String),
}

/// The profiles file, as loaded.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The content (empty when the file does not exist yet).
    pub file: ProfilesFile,
    /// Whether the file exists.
    pub exists: bool,
    /// Things worth telling (unknown keys that are kept).
    pub warnings: Vec<String>,
}

/// Reads and writes `profiles.toml`.
#[derive(Clone, Debug)]
pub struct ConfigStore {
    path: PathBuf,
}

/// The 1-based line of `key = …` in the table `[profiles.<name>]` (the
/// name bare or quoted), if it can be found.
fn line_of_key(text: &str, name: &str, key: &str) -> Option<usize> {
    let headers = [
        format!("[profiles.{name}]"),
        format!("[profiles.\"{name}\"]"),
    ];
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = headers.iter().any(|h| t.starts_with(h.as_str()));
            continue;
        }
        if inside
            && let Some(rest) = t.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return Some(i + 1);
        }
    }
    None
}

/// Line and column (1-based) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    // A span that is not on a character boundary falls back to the line start.
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl ConfigStore {
    /// The profiles file in `config_dir`.
    pub fn new(config_dir: &Path) -> Self {
        Self {
            path: config_dir.join(PROFILES_FILE),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Parses the file's text.
    pub fn parse(&self, text: &str) -> Result<ProfilesFile, ConfigError> {
        toml::from_str::<ProfilesFile>(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            ConfigError::Malformed {
                path: self.path.clone(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })
    }

    /// Loads the file; a missing file is an empty one.
    pub fn load(&self) -> Result<Loaded, ConfigError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
            Err(source) => {
                return Err(ConfigError::Io {
                    what: "cannot read",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let (file, warnings) = self.load_text(&text)?;
        Ok(Loaded {
            file,
            exists: true,
            warnings,
        })
    }

    /// What [`ConfigStore::load`] makes of the file's text: the profiles,
    /// with values out of range dropped, and the warnings (each with its
    /// line). Never panics, whatever the text.
    pub fn load_text(&self, text: &str) -> Result<(ProfilesFile, Vec<String>), ConfigError> {
        let (mut file, mut warnings) = match self.parse(text) {
            Ok(file) => (file, Vec::new()),
            // A number setting of the wrong type (`refresh_secs = "5"`,
            // `-1`) is ignored like one out of range; anything else wrong
            // is the parser's error, with its line and column.
            Err(malformed) => self.without_bad_numbers(text).ok_or(malformed)?,
        };
        warnings.extend(
            file.unknown_keys()
                .into_iter()
                .map(|k| {
                    format!(
                        "{}: unknown key `{k}` (kept as it is; check its spelling)",
                        self.path.display()
                    )
                })
                .collect::<Vec<_>>(),
        );
        // A value out of range is reported with its line and ignored: the
        // rest of the profile still works, and nothing downstream sees it.
        for (name, profile) in &mut file.profiles {
            for (key, why) in profile.drop_invalid() {
                let line =
                    line_of_key(text, name, key).map_or_else(String::new, |l| format!(":{l}"));
                warnings.push(format!(
                    "{}{line}: [profiles.{name}] {why}",
                    self.path.display()
                ));
            }
        }
        Ok((file, warnings))
    }

    /// The file with its number and switch settings of the wrong type dropped (each
    /// said with its line), if that is all that kept it from parsing.
    fn without_bad_numbers(&self, text: &str) -> Option<(ProfilesFile, Vec<String>)> {
        let mut table: toml::Table = text.parse().ok()?;
        let mut warnings = Vec::new();
        if let Some(toml::Value::Table(profiles)) = table.get_mut("profiles") {
            for (name, profile) in profiles.iter_mut() {
                let Some(profile) = profile.as_table_mut() else {
                    continue;
                };
                for (key, unit, max) in [
                    ("refresh_secs", "seconds", i64::from(u32::MAX)),
                    ("grace_minutes", "minutes", i64::from(u32::MAX)),
                ] {
                    let bad = match profile.get(key) {
                        Some(toml::Value::Integer(n)) => !(0..=max).contains(n),
                        Some(_) => true,
                        None => false,
                    };
                    if bad && let Some(value) = profile.remove(key) {
                        let line = line_of_key(text, name, key)
                            .map_or_else(String::new, |l| format!(":{l}"));
                        warnings.push(format!(
                            "{}{line}: [profiles.{name}] {key} = {} is not a number of {unit}; ignored, the default is used",
                            self.path.display(),
                            crate::core::text::printable(&value.to_string())
                        ));
                    }
                }
                // A guard table this version cannot read is dropped whole
                // (the guard then runs on its defaults), said with why.
                let bad_guard = profile.get("guard").and_then(|g| {
                    g.clone()
                        .try_into::<crate::core::guard::GuardProfile>()
                        .err()
                        .map(|e| e.message().trim().to_owned())
                });
                if let Some(why) = bad_guard {
                    profile.remove("guard");
                    let line = line_of_key(text, name, "guard")
                        .map_or_else(String::new, |l| format!(":{l}"));
                    warnings.push(format!(
                        "{}{line}: [profiles.{name}.guard] is not understood ({}); ignored, the guard's defaults are used",
                        self.path.display(),
                        crate::core::text::printable(&why)
                    ));
                }
                let bad_target = profile
                    .get("quality_target")
                    .is_some_and(|v| !matches!(v, toml::Value::Float(_) | toml::Value::Integer(_)));
                if bad_target && let Some(value) = profile.remove("quality_target") {
                    let line = line_of_key(text, name, "quality_target")
                        .map_or_else(String::new, |l| format!(":{l}"));
                    warnings.push(format!(
                        "{}{line}: [profiles.{name}] quality_target = {} is not a number (a pass rate such as 0.95); ignored, the default is used",
                        self.path.display(),
                        crate::core::text::printable(&value.to_string())
                    ));
                }
                for key in crate::core::profile::SWITCH_KEYS {
                    let bad = profile
                        .get(key)
                        .is_some_and(|v| !matches!(v, toml::Value::Boolean(_)));
                    if bad && let Some(value) = profile.remove(key) {
                        let line = line_of_key(text, name, key)
                            .map_or_else(String::new, |l| format!(":{l}"));
                        warnings.push(format!(
                            "{}{line}: [profiles.{name}] {key} = {} is not true or false; ignored, the default is used",
                            self.path.display(),
                            crate::core::text::printable(&value.to_string())
                        ));
                    }
                }
            }
        }
        let file = toml::Value::Table(table).try_into::<ProfilesFile>().ok()?;
        Some((file, warnings))
    }

    /// Loads the file fresh, applies `change`, and writes it back atomically
    /// (a temporary file renamed over it). Nothing is written when the file
    /// is malformed or `change` fails.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut ProfilesFile) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let mut file = self.load()?.file;
        let out = change(&mut file).map_err(ConfigError::Invalid)?;
        self.save(&file)?;
        Ok(out)
    }

    fn save(&self, file: &ProfilesFile) -> Result<(), ConfigError> {
        let io = |source| ConfigError::Io {
            what: "cannot write",
            path: self.path.clone(),
            source,
        };
        let body = toml::to_string_pretty(file)
            .map_err(|e| ConfigError::Invalid(format!("cannot encode the profiles: {e}")))?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut tmp = tempfile_in(dir).map_err(io)?;
        tmp.1
            .write_all(HEADER.as_bytes())
            .and_then(|()| tmp.1.write_all(body.as_bytes()))
            .and_then(|()| tmp.1.sync_all())
            .map_err(io)?;
        drop(tmp.1);
        std::fs::rename(&tmp.0, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp.0);
            io(e)
        })
    }
}

/// A new file next to the target, for an atomic rename.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!(".{PROFILES_FILE}.{}.tmp", uuid::Uuid::new_v4()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::profile::Profile;

    #[test]
    fn values_out_of_range_are_reported_with_their_line_and_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        std::fs::write(
            store.path(),
            "default_profile = \"production\"\n\n[profiles.production]\nvercel_project = \"zrg\"\nrefresh_secs = 0\ngrace_minutes = 9999\nvercel_api = \"http://example.com\"\n",
        )
        .unwrap();
        let loaded = store.load().unwrap();
        let p = loaded.file.get("production").unwrap();
        assert_eq!(p.refresh_secs, None);
        assert_eq!(p.refresh_secs(), crate::core::profile::DEFAULT_REFRESH_SECS);
        assert_eq!(p.grace_minutes, None);
        assert_eq!(p.vercel_api, crate::core::profile::DEFAULT_VERCEL_API);
        let w = loaded.warnings.join("\n");
        assert!(
            w.contains("profiles.toml:5: [profiles.production] refresh_secs = 0 is out of range"),
            "{w}"
        );
        assert!(
            w.contains("profiles.toml:6: [profiles.production] grace_minutes = 9999"),
            "{w}"
        );
        assert!(w.contains("profiles.toml:7: [profiles.production] the Vercel API URL \"http://example.com\" is http"), "{w}");

        // Wrong types: ignored the same way; a syntax error still is the parser's.
        std::fs::write(
            store.path(),
            "[profiles.production]\nvercel_project = \"zrg\"\nrefresh_secs = -1\ngrace_minutes = \"15\"\nnotifications = \"no\"\nquality_target = \"high\"\n",
        )
        .unwrap();
        let loaded = store.load().unwrap();
        let p = loaded.file.get("production").unwrap();
        assert_eq!((p.refresh_secs, p.grace_minutes), (None, None));
        assert!(p.notifications(), "a bad switch keeps the default (on)");
        let w = loaded.warnings.join("\n");
        assert!(
            w.contains(
                "profiles.toml:5: [profiles.production] notifications = \"no\" is not true or false"
            ),
            "{w}"
        );
        assert!(w.contains("profiles.toml:3: [profiles.production] refresh_secs = -1 is not a number of seconds"), "{w}");
        assert!(w.contains("profiles.toml:4: [profiles.production] grace_minutes = \"15\" is not a number of minutes"), "{w}");
        assert!(
            w.contains(
                "profiles.toml:6: [profiles.production] quality_target = \"high\" is not a number"
            ),
            "{w}"
        );
        assert_eq!(
            p.quality_target(),
            crate::core::profile::DEFAULT_QUALITY_TARGET
        );
        // A guard table this version cannot read: dropped whole, said, the
        // rest of the profile kept.
        std::fs::write(
            store.path(),
            "[profiles.production]\nvercel_project = \"zrg\"\n[profiles.production.guard]\nconfirm_gap = 30\n",
        )
        .unwrap();
        let loaded = store.load().unwrap();
        let p = loaded.file.get("production").unwrap();
        assert_eq!(p.vercel_project, "zrg");
        assert_eq!(p.guard, None);
        assert_eq!(
            p.guard_settings(),
            crate::core::guard::GuardSettings::default()
        );
        let w = loaded.warnings.join("\n");
        assert!(
            w.contains("[profiles.production.guard] is not understood"),
            "{w}"
        );
        std::fs::write(
            store.path(),
            "[profiles.production]\nvercel_project = \"zrg\"\n[profiles.production.guard]\ndown_after_secs = 30\n",
        )
        .unwrap();
        let loaded = store.load().unwrap();
        let p = loaded.file.get("production").unwrap();
        assert_eq!(p.guard_settings().down_after, chrono::Duration::seconds(30));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        std::fs::write(store.path(), "[profiles.production]\nvercel_project = 5\n").unwrap();
        assert!(matches!(
            store.load(),
            Err(ConfigError::Malformed { line: 2, .. })
        ));
    }

    #[test]
    fn a_missing_file_is_empty_and_the_first_save_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(&dir.path().join("nested"));
        let loaded = store.load().unwrap();
        assert!(!loaded.exists);
        store
            .update(|f| {
                f.profiles
                    .insert("production".into(), Profile::new("zrg-dashboard"));
                Ok(())
            })
            .unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(text.starts_with("# rollout-panel profiles"), "{text}");
        assert!(text.contains("[profiles.production]"), "{text}");
        assert!(
            text.contains("vercel_project = \"zrg-dashboard\""),
            "{text}"
        );
        let loaded = store.load().unwrap();
        assert!(loaded.exists);
        assert_eq!(
            loaded.file.get("production").unwrap().vercel_project,
            "zrg-dashboard"
        );
    }

    #[test]
    fn unknown_keys_are_reported_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        std::fs::write(
            store.path(),
            "colour = \"blue\"\n[profiles.production]\nvercel_project = \"p\"\nvercel_tema = \"t\"\n",
        )
        .unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
        assert!(
            loaded
                .warnings
                .iter()
                .any(|w| w.contains("profiles.production.vercel_tema"))
        );
        store
            .update(|f| {
                f.default_profile = Some("production".into());
                Ok(())
            })
            .unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(text.contains("colour = \"blue\""), "{text}");
        assert!(text.contains("vercel_tema = \"t\""), "{text}");
        assert!(text.contains("default_profile = \"production\""), "{text}");
    }

    #[test]
    fn a_malformed_file_is_reported_with_line_and_column_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        let broken = "[profiles.production]\nvercel_project = \"p\"\nrefresh_secs = = 3\n";
        std::fs::write(store.path(), broken).unwrap();
        let e = store.load().unwrap_err();
        match &e {
            ConfigError::Malformed { line, column, .. } => {
                assert_eq!((*line, *column), (3, 16), "{e}");
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
        assert!(e.to_string().contains("line 3, column 16"), "{e}");
        let r = store.update(|f| {
            f.default_profile = Some("x".into());
            Ok(())
        });
        assert!(matches!(r, Err(ConfigError::Malformed { .. })));
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), broken);

        // A wrong type is malformed too, pointing at the value.
        std::fs::write(store.path(), "[profiles.p]\nvercel_project = 7\n").unwrap();
        let e = store.load().unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn a_refused_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        let r: Result<(), _> = store.update(|_| Err("no".into()));
        assert!(matches!(r, Err(ConfigError::Invalid(_))));
        assert!(!store.path().exists());
    }
}
