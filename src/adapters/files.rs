//! Files the panel writes and the desktop's file chooser: atomic writes,
//! the native save dialog (behind a trait, so tests answer it), the fallback
//! folder, and opening a folder in the file manager.

use crate::core::export::{DraftRow, Format, Review, write_csv_reviewed, xlsx_bytes};
use std::path::{Path, PathBuf};

/// A file that could not be written; the target is as it was.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {step}: {source}", path.display())]
pub struct FileError {
    /// The target.
    pub path: PathBuf,
    /// The step that failed ("writing failed", "moving it into place failed", …).
    pub step: &'static str,
    /// Why.
    pub source: std::io::Error,
}

/// Writes the CSV to `path` atomically: a temporary file in the same
/// directory, flushed and synced, then renamed over the target. A failure
/// leaves the target as it was (absent, or the old file).
pub fn write_atomic(path: &Path, rows: &[DraftRow]) -> Result<(), FileError> {
    write_atomic_as(path, rows, Format::Csv, None)
}

/// [`write_atomic`] in `format`, with the review's columns when given.
/// Revised drafts are customer messages: the file stays private (0600)
/// whatever the umask, in whatever folder it goes; the reviewer gets it
/// from the operator, not from the file system.
pub fn write_atomic_as(
    path: &Path,
    rows: &[DraftRow],
    format: Format,
    review: Option<&Review>,
) -> Result<(), FileError> {
    let fail = |step: &'static str| {
        move |source: std::io::Error| FileError {
            path: path.to_path_buf(),
            step,
            source,
        }
    };
    let bytes = match format {
        Format::Csv => {
            let mut out = Vec::new();
            write_csv_reviewed(&mut out, rows, review)
                .map_err(|e| fail("writing failed")(std::io::Error::other(e)))?;
            out
        }
        Format::Xlsx => xlsx_bytes(rows, review)
            .map_err(|e| fail("the workbook could not be made")(std::io::Error::other(e)))?,
    };
    write_bytes_atomic(path, &bytes, crate::platform::private::FILE_MODE)
}

/// Writes `bytes` to `path` atomically with the permissions `mode`: a
/// temporary file in the same directory, flushed and synced, then renamed
/// over the target. A failure leaves the target as it was (absent, or the
/// old file).
pub fn write_bytes_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FileError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let fail = |step: &'static str| {
        move |source: std::io::Error| FileError {
            path: path.to_path_buf(),
            step,
            source,
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}-"))
        .suffix(".part")
        .tempfile_in(&dir)
        .map_err(fail("cannot create a file in its folder"))?;
    std::io::Write::write_all(tmp.as_file_mut(), bytes).map_err(fail("writing failed"))?;
    tmp.as_file().sync_all().map_err(fail("syncing failed"))?;
    crate::platform::private::set_mode(tmp.path(), mode)
        .map_err(fail("setting its permissions failed"))?;
    tmp.persist(path)
        .map_err(|e| fail("moving it into place failed")(e.error))?;
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

    /// Asks for a folder, starting in `dir`. Blocks like [`Self::ask`]. A
    /// dialog that cannot choose folders says so (the caller falls back).
    fn pick_folder(&self, dir: &Path) -> DialogOutcome {
        let _ = dir;
        DialogOutcome::Unavailable("this dialog cannot choose a folder".to_owned())
    }
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

    fn pick_folder(&self, dir: &Path) -> DialogOutcome {
        if let Some(why) = dialog_unavailable() {
            return DialogOutcome::Unavailable(why);
        }
        match rfd::FileDialog::new()
            .set_title("Write the rollout record into a folder")
            .set_directory(dir)
            .pick_folder()
        {
            Some(path) => DialogOutcome::Chosen(path),
            None => DialogOutcome::Cancelled,
        }
    }
}

/// Opens a folder in the desktop's file manager (best effort: a failure is logged).
pub fn open_folder(dir: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(dir).spawn() {
        tracing::warn!("cannot open {}: {e}", dir.display());
    }
}
