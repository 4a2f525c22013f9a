//! The quality-review export: the sample of revised drafts from a store and
//! its CSV file, written atomically. Shared by `rollout-panel export` and the
//! Drafts tab; the CSV format and the sampling are in [`crate::core::export`].

use crate::adapters::store::Store;
use crate::core::export::{DraftRow, sample_ids, write_csv};
use crate::core::time::UtcNaive;
use std::path::{Path, PathBuf};

/// What to sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleRequest {
    /// Revision stamps from (inclusive).
    pub start: UtcNaive,
    /// Revision stamps until (exclusive).
    pub end: UtcNaive,
    /// One workspace (`Client.id`), or all.
    pub workspace_id: Option<String>,
    /// How many drafts.
    pub n: usize,
    /// The seed (shown, and written into the file name).
    pub seed: u64,
}

/// A drawn sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// What was asked.
    pub request: SampleRequest,
    /// How many revised drafts the window holds.
    pub population: usize,
    /// The sampled drafts, by revision stamp.
    pub rows: Vec<DraftRow>,
}

impl Sample {
    /// "25 of 311 revised drafts" or "all 12 revised drafts (25 asked)".
    pub fn describe(&self) -> String {
        if self.request.n >= self.population {
            format!(
                "all {} revised drafts of the window ({} asked, fewer exist)",
                self.population, self.request.n
            )
        } else {
            format!("{} of {} revised drafts", self.rows.len(), self.population)
        }
    }

    /// What the audit log records of an export of this sample (never the
    /// content): rows, population, seed, window, workspace, where it went.
    pub fn audit_detail(&self, out: Option<String>) -> serde_json::Value {
        serde_json::json!({
            "rows": self.rows.len(),
            "population": self.population,
            "seed": self.request.seed,
            "window_start": crate::core::time::rfc3339(self.request.start),
            "workspace": self.request.workspace_id,
            "out": out,
        })
    }
}

/// Draws the sample: every candidate id, the seeded choice, then the rows.
pub async fn draw(store: &dyn Store, request: SampleRequest) -> Result<Sample, String> {
    let ids = store
        .revised_draft_ids(request.start, request.end, request.workspace_id.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let population = ids.len();
    let chosen = sample_ids(ids, request.n, request.seed);
    let rows = store
        .drafts_by_ids(&chosen)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Sample {
        request,
        population,
        rows,
    })
}

/// Writes the CSV to `path` atomically: a temporary file in the same
/// directory, flushed and synced, then renamed over the target. A failure
/// leaves the target as it was (absent, or the old file).
pub fn write_atomic(path: &Path, rows: &[DraftRow]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        format!("cannot write {}: {what}: {e}", path.display())
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".revised-drafts-")
        .suffix(".csv.part")
        .tempfile_in(&dir)
        .map_err(|e| fail("cannot create a file in its folder", &e))?;
    write_csv(std::io::BufWriter::new(tmp.as_file_mut()), rows)
        .map_err(|e| fail("writing failed", &e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| fail("syncing failed", &e))?;
    // The temporary file is private (0600); the export is meant to be shared
    // with a reviewer, so it gets the usual permissions of a new file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(|e| fail("setting its permissions failed", &e))?;
    }
    tmp.persist(path)
        .map_err(|e| fail("moving it into place failed", &e.error))?;
    Ok(())
}

/// Where an export goes when no save dialog can be shown: the user's
/// downloads folder, else the panel's data dir.
pub fn fallback_dir(data_dir: &Path) -> PathBuf {
    directories::UserDirs::new()
        .and_then(|u| u.download_dir().map(Path::to_path_buf))
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| data_dir.join("exports"))
}

/// What a save dialog answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogOutcome {
    /// The person chose this file.
    Chosen(PathBuf),
    /// The person cancelled.
    Cancelled,
    /// No dialog can be shown here (why).
    Unavailable(String),
}

/// A native save dialog (a trait so tests can answer it).
pub trait SaveDialog: Send + Sync {
    /// Asks where to save, starting in `dir` with `name`. Blocks: call it off
    /// the UI thread.
    fn ask(&self, dir: &Path, name: &str) -> DialogOutcome;
}

/// The OS dialog through `rfd`: the desktop portal, or `zenity` when no
/// portal runs. rfd cannot tell "no dialog" from "cancelled" (both are
/// `None`), so availability is checked first.
pub struct NativeDialog;

/// Why no save dialog can be shown here, if none can.
pub fn dialog_unavailable() -> Option<String> {
    let display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    dialog_unavailable_in(std::env::var_os("PATH"), display)
}

/// [`dialog_unavailable`] for a given `PATH` and display: on Linux a dialog
/// needs a desktop portal on the session bus, or `zenity` and a display.
pub fn dialog_unavailable_in(path: Option<std::ffi::OsString>, display: bool) -> Option<String> {
    if cfg!(target_os = "linux") {
        let on_path = |tool: &str| {
            path.as_ref()
                .is_some_and(|p| std::env::split_paths(p).any(|d| d.join(tool).is_file()))
        };
        let portal = on_path("dbus-send")
            && std::process::Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.portal.Desktop",
                ])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"));
        if !(portal || display && on_path("zenity")) {
            return Some(
                "no desktop portal is running and zenity is not installed (or there is no display)"
                    .to_owned(),
            );
        }
    }
    None
}

impl SaveDialog for NativeDialog {
    fn ask(&self, dir: &Path, name: &str) -> DialogOutcome {
        if let Some(why) = dialog_unavailable() {
            return DialogOutcome::Unavailable(why);
        }
        match rfd::FileDialog::new()
            .set_title("Export revised drafts as CSV")
            .set_directory(dir)
            .set_file_name(name)
            .add_filter("CSV", &["csv"])
            .save_file()
        {
            Some(path) => DialogOutcome::Chosen(path),
            None => DialogOutcome::Cancelled,
        }
    }
}

/// How an export ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportOutcome {
    /// Written here (`fallback` when no dialog could be shown, with why).
    Written {
        /// The file.
        path: PathBuf,
        /// Rows written.
        rows: usize,
        /// Why the file went to the fallback folder, if it did.
        fallback: Option<String>,
    },
    /// The person cancelled: nothing written.
    Cancelled,
    /// Writing failed: nothing (or the old file) at the target.
    Failed(String),
}

/// Asks where, then writes atomically; without a dialog, writes to
/// `fallback_dir` under `name`.
pub fn export_with(
    dialog: &dyn SaveDialog,
    fallback_dir: &Path,
    name: &str,
    rows: &[DraftRow],
) -> ExportOutcome {
    let (path, fallback) = match dialog.ask(fallback_dir, name) {
        DialogOutcome::Chosen(p) => (p, None),
        DialogOutcome::Cancelled => return ExportOutcome::Cancelled,
        DialogOutcome::Unavailable(why) => {
            if let Err(e) = std::fs::create_dir_all(fallback_dir) {
                return ExportOutcome::Failed(format!(
                    "no save dialog ({why}) and {} cannot be created: {e}",
                    fallback_dir.display()
                ));
            }
            (fallback_dir.join(name), Some(why))
        }
    };
    match write_atomic(&path, rows) {
        Ok(()) => ExportOutcome::Written {
            path,
            rows: rows.len(),
            fallback,
        },
        Err(e) => ExportOutcome::Failed(e),
    }
}
