//! One panel per profile on a machine: the window holds a lock file per
//! profile (`<data dir>/locks/<profile>.lock`, an OS file lock that dies with
//! the process), and a second window for the same profile is refused with a
//! message instead of racing the first. A window that switches profiles takes
//! the new profile's lock before it lets go of the old one (`App::open_profile`).

use crate::platform::paths::Paths;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    /// The lock file.
    pub path: PathBuf,
    /// The profile it locks.
    pub profile: String,
}

/// Takes the profile's lock, or says who holds it.
pub fn lock(paths: &Paths, profile: &str) -> Result<InstanceLock, String> {
    let dir = paths.data_dir.join("locks");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{profile}.lock"));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for the message a second window shows.
            let _ = file
                .set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| write!(file, "{}", std::process::id()))
                .and_then(|()| file.flush());
            Ok(InstanceLock {
                _file: file,
                path,
                profile: profile.to_owned(),
            })
        }
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            Err(format!(
                "rollout-panel is already open for profile {profile}{}: use that window (or close it first); two panels on one profile would race each other's levers",
                if pid.trim().is_empty() {
                    String::new()
                } else {
                    format!(" (process {})", pid.trim())
                }
            ))
        }
        Err(TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}
