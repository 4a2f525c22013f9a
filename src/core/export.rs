//! The quality-review export (runbook step 6): a reproducible uniform sample
//! of revised drafts and its CSV. Pure: the store reads the rows, the caller
//! writes the bytes.
//!
//! Reproducible: the candidates are ordered by draft id (byte order, the same
//! on Postgres and SQLite whatever their collation) and sampled without
//! replacement by a generator seeded with the shown seed, so the same seed and
//! the same data give the same rows everywhere.

use crate::core::time::{UtcNaive, rfc3339};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

/// The largest sample a review asks for (a bound on every input).
pub const MAX_SAMPLE: usize = 10_000;

/// The CSV columns, in order (documented in the README).
pub const COLUMNS: [&str; 16] = [
    "draft_id",
    "workspace_id",
    "workspace_name",
    "lead_id",
    "channel",
    "created_at",
    "revision_attempted_at",
    "original_confidence",
    "revised_confidence",
    "uplift",
    "threshold",
    "auto_send_action",
    "status",
    "iterations",
    "selector_used",
    "content",
];

/// One revised draft as exported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DraftRow {
    /// `AIDraft.id`.
    pub draft_id: String,
    /// `Lead.clientId`.
    pub workspace_id: String,
    /// `Client.name`.
    pub workspace_name: String,
    /// `AIDraft.leadId`.
    pub lead_id: String,
    /// `AIDraft.channel`.
    pub channel: String,
    /// `AIDraft.createdAt`.
    pub created_at: UtcNaive,
    /// `autoSendRevisionAttemptedAt`.
    pub attempted_at: UtcNaive,
    /// `autoSendOriginalConfidence`.
    pub original_confidence: Option<f64>,
    /// `autoSendRevisionConfidence`.
    pub revised_confidence: Option<f64>,
    /// `autoSendThreshold`.
    pub threshold: Option<f64>,
    /// `autoSendAction`.
    pub action: Option<String>,
    /// `AIDraft.status`.
    pub status: String,
    /// `autoSendRevisionIterations` (V2; `None` before).
    pub iterations: Option<i64>,
    /// `autoSendRevisionSelectorUsed`.
    pub selector_used: Option<bool>,
    /// `AIDraft.content`: the revised text once a revision is applied (contract §3.3).
    pub content: String,
}

impl DraftRow {
    /// revised − original, when both are known.
    pub fn uplift(&self) -> Option<f64> {
        Some(self.revised_confidence? - self.original_confidence?)
    }
}

/// Picks `n` of `candidates` uniformly without replacement, reproducibly from
/// `seed`: the ids are sorted (byte order) first, so the order they were read
/// in does not matter. Returns the chosen ids, sorted; all of them when `n`
/// is at least the population.
pub fn sample_ids(mut candidates: Vec<String>, n: usize, seed: u64) -> Vec<String> {
    candidates.sort();
    candidates.dedup();
    if n >= candidates.len() {
        return candidates;
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut picked: Vec<usize> = rand::seq::index::sample(&mut rng, candidates.len(), n).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| candidates[i].clone()).collect()
}

/// The characters a spreadsheet starts a formula with, in their ASCII and
/// full-width forms (some spreadsheets fold `＝` to `=`).
pub const FORMULA_TRIGGERS: [char; 8] = [
    '=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
];

/// What a spreadsheet skips before it looks for a formula: blanks, control
/// characters and quotes.
fn skipped(c: char) -> bool {
    c.is_whitespace() || c.is_control() || c == '"'
}

/// Makes a text cell safe to open in a spreadsheet: a `'` (shown as text)
/// goes before a formula trigger ([`FORMULA_TRIGGERS`]) at the start of the
/// cell and at the start of every part a reader could split it into at `,`,
/// `;`, a tab or a line break (a `;`-locale spreadsheet reading `ok;=1+1`
/// reads past the quotes of a `,` file, and then a line break ends a row),
/// after any blanks, control characters or quotes; a cell that starts with
/// a tab or a carriage return gets one in front too. So a draft's `- item`
/// line reads `'- item` in the CSV. Numbers are written as numbers and
/// never pass through here.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::with_capacity(text.len() + 2);
    let mut changed = false;
    if text.starts_with(['\t', '\r']) {
        out.push('\'');
        changed = true;
    }
    let mut at_start = true;
    for c in text.chars() {
        if at_start && !skipped(c) {
            if FORMULA_TRIGGERS.contains(&c) {
                out.push('\'');
                changed = true;
            }
            at_start = false;
        }
        out.push(c);
        if matches!(c, ',' | ';' | '\t' | '\n' | '\r') {
            at_start = true;
        }
    }
    if changed { out.into() } else { text.into() }
}

/// Whether a cell read back from a CSV starts a formula: its first character
/// after blanks, control characters and quotes is a trigger (a number, which
/// may start with `-`, does not).
pub fn starts_formula(cell: &str) -> bool {
    if cell.trim().parse::<f64>().is_ok() {
        return false;
    }
    cell.chars()
        .find(|c| !skipped(*c))
        .is_some_and(|c| FORMULA_TRIGGERS.contains(&c))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| {
        // Round away float noise (0.7 − 0.6 = 0.09999999999999998).
        let r = (x * 1e9).round() / 1e9;
        format!("{r}")
    })
}

/// The cells of one row, in [`COLUMNS`] order (empty for NULL, never "null").
pub fn cells(r: &DraftRow) -> [String; 16] {
    let text = |s: &str| neutralise(s).into_owned();
    [
        text(&r.draft_id),
        text(&r.workspace_id),
        text(&r.workspace_name),
        text(&r.lead_id),
        text(&r.channel),
        rfc3339(r.created_at),
        rfc3339(r.attempted_at),
        num(r.original_confidence),
        num(r.revised_confidence),
        num(r.uplift()),
        num(r.threshold),
        r.action.as_deref().map(text).unwrap_or_default(),
        text(&r.status),
        r.iterations.map(|i| i.to_string()).unwrap_or_default(),
        r.selector_used.map(|b| b.to_string()).unwrap_or_default(),
        text(&r.content),
    ]
}

/// Writes the header and the rows as RFC 4180 CSV (UTF-8, CRLF, every text
/// cell quoted) into `out`.
pub fn write_csv<W: std::io::Write>(out: W, rows: &[DraftRow]) -> Result<(), csv::Error> {
    write_csv_reviewed(out, rows, None)
}

/// The columns a review adds at the end of both exports (the others unchanged).
pub const REVIEW_COLUMNS: [&str; 4] = ["verdict", "fail_reason", "note", "reviewer"];

/// The latest verdict per draft id (see [`crate::core::review::latest`]).
pub type Review = std::collections::BTreeMap<String, crate::core::review::Verdict>;

/// The review of `rows`: the latest verdict of each sampled draft (from
/// every reviewer), `None` when none of them was judged (the export then
/// has no review columns).
pub fn review_of(rows: &[DraftRow], verdicts: &[crate::core::review::Verdict]) -> Option<Review> {
    let review: Review = crate::core::review::latest(verdicts)
        .into_iter()
        .filter(|(id, _)| rows.iter().any(|r| r.draft_id == *id))
        .map(|(id, v)| (id.to_owned(), v.clone()))
        .collect();
    (!review.is_empty()).then_some(review)
}

/// The review's cells of one draft: `pass`/`fail`, the reason, the note,
/// the reviewer; empty when it was not judged.
fn review_cells(v: Option<&crate::core::review::Verdict>) -> [String; 4] {
    match v {
        None => Default::default(),
        Some(v) => [
            if v.pass { "pass" } else { "fail" }.to_owned(),
            v.reason.map(|r| r.id().to_owned()).unwrap_or_default(),
            v.note.clone(),
            v.reviewer.clone(),
        ],
    }
}

/// [`write_csv`], with the review's columns at the end when `review` is given.
pub fn write_csv_reviewed<W: std::io::Write>(
    out: W,
    rows: &[DraftRow],
    review: Option<&Review>,
) -> Result<(), csv::Error> {
    // Every text cell quoted: a reader that splits at another delimiter
    // (`;`, a tab) still sees one cell.
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(out);
    let mut header: Vec<&str> = COLUMNS.to_vec();
    if review.is_some() {
        header.extend(REVIEW_COLUMNS);
    }
    w.write_record(header)?;
    for r in rows {
        let mut line: Vec<String> = cells(r).to_vec();
        if let Some(review) = review {
            let text = |s: String| neutralise(&s).into_owned();
            line.extend(review_cells(review.get(&r.draft_id)).map(text));
        }
        w.write_record(line)?;
    }
    w.flush()?;
    Ok(())
}

/// The export's file format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV, formula triggers neutralised (`'- item`).
    #[default]
    Csv,
    /// An Excel workbook where every text cell is a string cell holding the
    /// content byte for byte: nothing can run as a formula, whatever the locale.
    Xlsx,
}

impl Format {
    /// The format a file name asks for (`.xlsx`, any case; else CSV).
    pub fn of_path(path: &std::path::Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("xlsx") => Self::Xlsx,
            _ => Self::Csv,
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// The workbook of `rows` (one sheet, "revised drafts"): text cells are
/// string cells with the content as it is (no neutralising: a string cell
/// is never a formula), confidences are number cells, times RFC 3339 text.
pub fn xlsx_bytes(
    rows: &[DraftRow],
    review: Option<&Review>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("revised drafts")?;
    let mut header: Vec<&str> = COLUMNS.to_vec();
    if review.is_some() {
        header.extend(REVIEW_COLUMNS);
    }
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let mut text = |c: u16, s: &str| -> Result<(), rust_xlsxwriter::XlsxError> {
            if !s.is_empty() {
                sheet.write_string(row, c, s)?;
            }
            Ok(())
        };
        let texts: [(u16, String); 10] = [
            (0, r.draft_id.clone()),
            (1, r.workspace_id.clone()),
            (2, r.workspace_name.clone()),
            (3, r.lead_id.clone()),
            (4, r.channel.clone()),
            (5, rfc3339(r.created_at)),
            (6, rfc3339(r.attempted_at)),
            (11, r.action.clone().unwrap_or_default()),
            (12, r.status.clone()),
            (15, r.content.clone()),
        ];
        for (c, s) in &texts {
            text(*c, s)?;
        }
        text(
            14,
            &r.selector_used.map(|b| b.to_string()).unwrap_or_default(),
        )?;
        if let Some(review) = review {
            for (k, s) in review_cells(review.get(&r.draft_id)).iter().enumerate() {
                text(16 + k as u16, s)?;
            }
        }
        for (c, v) in [
            (7, r.original_confidence),
            (8, r.revised_confidence),
            (9, r.uplift()),
            (10, r.threshold),
            (13, r.iterations.map(|i| i as f64)),
        ] {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                sheet.write_number(row, c, v)?;
            }
        }
    }
    book.save_to_buffer()
}

/// `revised-drafts-<profile>-<UTC date>-seed<seed>.csv`.
pub fn file_name(profile: &str, now: UtcNaive, seed: u64) -> String {
    let safe: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "revised-drafts-{safe}-{}-seed{seed}.csv",
        now.format("%Y-%m-%d")
    )
}

#[cfg(test)]
mod tests;
