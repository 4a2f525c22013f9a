//! The panel's files are private to its user: exports (customer messages),
//! logs, crash reports, the audit store and its WAL, the demo world.
//!
//! Three layers, so no single one has to be right: the process's umask is
//! set to `077` first thing (every file and folder it creates is `0600` /
//! `0700`, whatever the shell's umask); the files the panel writes itself
//! get the mode explicitly; and at start the panel's own folders and the
//! files in them, from an older version or another umask, are tightened.
//! The export's folder is the user's (their downloads, say): it is not
//! changed, only the file is private.

use crate::platform::paths::Paths;
use std::path::Path;

/// A private file's mode.
pub const FILE_MODE: u32 = 0o600;
/// A private folder's mode.
pub const DIR_MODE: u32 = 0o700;

/// Sets the process umask to `077` (call before anything is created).
pub fn restrict_umask() {
    #[cfg(unix)]
    {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
}

/// Creates `dir` (and its parents) and makes it `0700`.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, DIR_MODE)
}

/// Sets a file's or folder's mode (nothing on other systems).
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Writes a new private file (`0600` from its creation, never readable by
/// others in between).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let mut file = options.open(path)?;
    set_mode(path, FILE_MODE)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Tightens the panel's own folders and every file in them (one level of
/// sub-folders: logs, crash reports, the demo world, exports). A failure is
/// logged, never fatal: the panel still runs.
pub fn tighten(paths: &Paths) {
    for dir in [&paths.data_dir, &paths.config_dir] {
        if dir.is_dir() {
            tighten_dir(dir, 1);
        }
    }
}

fn tighten_dir(dir: &Path, depth: u32) {
    if let Err(e) = set_mode(dir, DIR_MODE) {
        tracing::warn!("cannot make {} private: {e}", dir.display());
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() && depth > 0 {
            tighten_dir(&path, depth - 1);
        } else if kind.is_file()
            && let Err(e) = set_mode(&path, FILE_MODE)
        {
            tracing::warn!("cannot make {} private: {e}", path.display());
        }
    }
}
