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

/// Why a lock file could not be taken.
enum Held {
    /// Another process holds it (its pid, when it wrote one).
    Busy(Option<String>),
    /// The file could not be used.
    Io(String),
}

/// Takes `<data dir>/locks/<name>` without waiting.
fn take(data_dir: &std::path::Path, name: &str, profile: &str) -> Result<InstanceLock, Held> {
    let dir = data_dir.join("locks");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Held::Io(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(name);
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Held::Io(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for the message the next one shows.
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
            let pid = pid.trim();
            Err(Held::Busy((!pid.is_empty()).then(|| pid.to_owned())))
        }
        Err(TryLockError::Error(e)) => {
            Err(Held::Io(format!("cannot lock {}: {e}", path.display())))
        }
    }
}

/// Takes the profile's lock, or says who holds it.
pub fn lock(paths: &Paths, profile: &str) -> Result<InstanceLock, String> {
    take(&paths.data_dir, &format!("{profile}.lock"), profile).map_err(|held| match held {
        Held::Busy(pid) => format!(
            "rollout-panel is already open for profile {profile}{}: use that window (or close it first); two panels on one profile would race each other's levers",
            pid.map_or(String::new(), |p| format!(" (process {p})"))
        ),
        Held::Io(e) => e,
    })
}

/// The parts a lever changes, each with its own lever lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeverPart {
    /// Production's env and deployments (two redeploys would race).
    Env,
    /// The workspace toggles in the database.
    Toggles,
}

/// The profile's lever locks of the parts a plan changes (all or none), for
/// one lever run: the window and the command line take them alike, so two
/// levers on one part never interleave on a machine (a toggle rollback may
/// still run while a kill switch's redeploy builds). Held until dropped.
pub fn lever_locks(
    data_dir: &std::path::Path,
    profile: &str,
    database: bool,
    env: bool,
) -> Result<Vec<InstanceLock>, String> {
    let parts = [(env, LeverPart::Env), (database, LeverPart::Toggles)];
    let mut held = Vec::new();
    for (_, part) in parts.into_iter().filter(|(wanted, _)| *wanted) {
        let (file, what) = match part {
            LeverPart::Env => ("env", "the Vercel env"),
            LeverPart::Toggles => ("toggles", "the workspace toggles"),
        };
        let lock = take(data_dir, &format!("{profile}.{file}.lever.lock"), profile).map_err(
            |held| match held {
                Held::Busy(pid) => format!(
                    "another lever on {what} of profile {profile} is running{}; wait for it to end (its progress is in that panel or terminal)",
                    pid.map_or(String::new(), |p| format!(" (process {p})"))
                ),
                Held::Io(e) => e,
            },
        )?;
        held.push(lock);
    }
    Ok(held)
}
