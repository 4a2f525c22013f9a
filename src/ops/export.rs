//! The quality-review export: the sample of revised drafts from a store and
//! its CSV file, written atomically. Shared by `rollout-panel export` and the
//! Drafts tab; the CSV format and the sampling are in [`crate::core::export`].

pub use crate::adapters::files::{
    DialogOutcome, FileError, NativeDialog, SaveDialog, dialog_unavailable, dialog_unavailable_in,
    fallback_dir, write_atomic, write_atomic_as,
};
use crate::adapters::store::{Store, StoreError};
use crate::core::export::{DraftRow, sample_ids};
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
    /// Their texts for the review (before, after, the reviser's account),
    /// in the rows' order; their own read, so a failure leaves the sample
    /// standing and says why.
    pub texts: Result<Vec<crate::core::review::ReviewText>, String>,
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
pub async fn draw(store: &dyn Store, request: SampleRequest) -> Result<Sample, StoreError> {
    let ids = store
        .revised_draft_ids(request.start, request.end, request.workspace_id.as_deref())
        .await?;
    let population = ids.len();
    let chosen = sample_ids(ids, request.n, request.seed);
    let rows = store.drafts_by_ids(&chosen).await?;
    let ordered: Vec<String> = rows.iter().map(|r| r.draft_id.clone()).collect();
    let texts = store
        .review_texts(&ordered)
        .await
        .map_err(|e| e.to_string());
    Ok(Sample {
        request,
        population,
        rows,
        texts,
    })
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
    review: Option<&crate::core::export::Review>,
) -> ExportOutcome {
    let (path, fallback) = match dialog.ask(fallback_dir, name) {
        DialogOutcome::Chosen(p) => (p, None),
        DialogOutcome::Cancelled => return ExportOutcome::Cancelled,
        DialogOutcome::Unavailable(why) => {
            // The panel's own exports folder is created private; an existing
            // folder (the user's downloads) is left as it is.
            let made = match fallback_dir.exists() {
                true => Ok(()),
                false => crate::platform::private::private_dir(fallback_dir),
            };
            if let Err(e) = made {
                return ExportOutcome::Failed(format!(
                    "no save dialog ({why}) and {} cannot be created: {e}",
                    fallback_dir.display()
                ));
            }
            (fallback_dir.join(name), Some(why))
        }
    };
    // The format the chosen name asks for (a `.xlsx` workbook, else CSV).
    let format = crate::core::export::Format::of_path(&path);
    match crate::adapters::files::write_atomic_as(&path, rows, format, review) {
        Ok(()) => ExportOutcome::Written {
            path,
            rows: rows.len(),
            fallback,
        },
        Err(e) => ExportOutcome::Failed(e.to_string()),
    }
}
