//! Where the panel keeps its files: the OS data and config dirs, or a
//! directory given with `--data-dir` / `ROLLOUT_PANEL_DATA_DIR`.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "ROLLOUT_PANEL_DATA_DIR";

/// The panel's directories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// Data: the demo world, local state.
    pub data_dir: PathBuf,
    /// Config: profiles (hand-editable).
    pub config_dir: PathBuf,
}

impl Paths {
    /// Resolves the directories: an explicit override wins, then the
    /// environment variable, then the OS conventions.
    pub fn resolve(data_dir: Option<&Path>) -> anyhow::Result<Self> {
        if let Some(dir) = data_dir
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os(DATA_DIR_ENV).map(PathBuf::from))
        {
            return Ok(Self {
                config_dir: dir.join("config"),
                data_dir: dir,
            });
        }
        let dirs = directories::ProjectDirs::from("dev", "rollout-panel", "rollout-panel")
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "cannot find a home directory for the panel's files; pass --data-dir DIR"
                )
            })?;
        Ok(Self {
            data_dir: dirs.data_dir().to_path_buf(),
            config_dir: dirs.config_dir().to_path_buf(),
        })
    }

    /// The demo world's SQLite file.
    pub fn demo_db(&self) -> PathBuf {
        self.data_dir.join("demo").join("demo.sqlite")
    }

    /// The daily-rotated log files.
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Crash reports (written by the panic hook, never uploaded).
    pub fn crash_dir(&self) -> PathBuf {
        self.data_dir.join("crash-reports")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_directory_wins() {
        let p = Paths::resolve(Some(Path::new("/tmp/rp-test"))).unwrap();
        assert_eq!(p.data_dir, PathBuf::from("/tmp/rp-test"));
        assert_eq!(p.config_dir, PathBuf::from("/tmp/rp-test/config"));
        assert_eq!(p.demo_db(), PathBuf::from("/tmp/rp-test/demo/demo.sqlite"));
    }
}
