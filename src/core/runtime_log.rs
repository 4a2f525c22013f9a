//! Production's runtime logs, counted (contract/vercel.md §"Runtime logs",
//! contract/zrg.md §3.6): the revision path's errors that the app prints and
//! never writes to the database.
//!
//! - [`Lines`] splits the stream's bytes into lines (a chunk can end
//!   anywhere, inside a UTF-8 character too);
//! - [`parse_line`] reads one line as a row, a delimiter, or noise;
//! - [`classify`] recognises the app's three messages by their text (never
//!   by `level`: a `console.warn` comes out as `warning` or `error`) and reads
//!   the object Node prints after them (`{ clientId: '…', draftId: '…' }`);
//! - [`Book`] counts them per minute and workspace, once each (by `rowId`,
//!   or a hash of the row when it has none), in memory that stays bounded;
//! - [`ReaderState`] says what the reader cannot see, each reason its own
//!   state: never a quiet zero.
//!
//! The app's lines (itsAR-VR/ZRG-Dashboard at a0c30ab):
//! `lib/auto-send/orchestrator.ts:478` (revision loop failed, with
//! `{ clientId, leadId, draftId, error }`; `error` is `deadline_exceeded`
//! when the agent's timeout race fired, `lib/auto-send/revision-agent.ts:58`),
//! `orchestrator.ts:101` (decision not persisted, `{ draftId, action, error }`:
//! no workspace) and `revision-agent.ts:394` (artifact not persisted).

mod book;
mod node;
#[cfg(test)]
mod tests;

pub use book::{Book, BookLimits, DraftIds, MinuteRow, Read, Totals, from_ms};
pub use node::field;

use serde::Deserialize;

/// The message of a revision loop that failed (`orchestrator.ts:478`).
pub const REVISION_LOOP_FAILED: &str =
    "[AutoSend] Revision loop failed; continuing without revision";
/// The message of an auto-send decision that was not written (`orchestrator.ts:101`).
pub const DECISION_NOT_PERSISTED: &str = "[AutoSend] Failed to persist auto-send decision";
/// The message of a pipeline artifact that was not written (`revision-agent.ts:394`).
pub const ARTIFACT_NOT_PERSISTED: &str =
    "[AutoSendRevision] Failed to persist DraftPipelineArtifact; continuing";
/// The agent's timeout error (`revision-agent.ts:58`).
pub const DEADLINE_EXCEEDED: &str = "deadline_exceeded";

/// The longest line kept (the platform's limit is 256 KB per line; a little
/// more is allowed for the row's JSON around the message).
pub const MAX_LINE: usize = 300 * 1024;

/// Splits a byte stream into lines. Bytes are kept until their line ends, so
/// a chunk that ends inside a UTF-8 character loses nothing.
#[derive(Debug, Default)]
pub struct Lines {
    buf: Vec<u8>,
    /// The current line is over [`MAX_LINE`]: skip to its end.
    skipping: bool,
    /// Lines dropped for being too long.
    pub overlong: u64,
}

impl Lines {
    /// Adds a chunk; the lines it completed (without their `\n`, a trailing
    /// `\r` removed, blank lines dropped).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = chunk;
        while let Some(at) = rest.iter().position(|b| *b == b'\n') {
            let (head, tail) = rest.split_at(at);
            rest = &tail[1..];
            if self.skipping {
                self.skipping = false;
                self.buf.clear();
                continue;
            }
            self.buf.extend_from_slice(head);
            if self.buf.len() > MAX_LINE {
                self.overlong += 1;
                self.buf.clear();
                continue;
            }
            let line = String::from_utf8_lossy(&self.buf);
            let line = line.trim_end_matches('\r');
            if !line.trim().is_empty() {
                out.push(line.to_owned());
            }
            self.buf.clear();
        }
        if !self.skipping {
            self.buf.extend_from_slice(rest);
            if self.buf.len() > MAX_LINE {
                self.overlong += 1;
                self.buf.clear();
                self.skipping = true;
            }
        }
        out
    }

    /// The connection ended: a partial line is dropped (a reset mid-line);
    /// whether there was one.
    pub fn reset(&mut self) -> bool {
        let partial = !self.buf.is_empty() || self.skipping;
        self.buf.clear();
        self.skipping = false;
        partial
    }
}

/// One row of the stream, as far as counting needs it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Row {
    /// `trace|debug|info|warning|error|fatal` (not stable: never decides).
    #[serde(default)]
    pub level: String,
    /// One console write; may hold newlines.
    #[serde(default)]
    pub message: String,
    /// The row's id (`""` on a delimiter; old servers sent numbers).
    #[serde(rename = "rowId", default, deserialize_with = "string_or_number")]
    pub row_id: String,
    /// `serverless|edge-function|edge-middleware|request|delimiter`.
    #[serde(default)]
    pub source: String,
    /// When the line was printed (ms since the epoch).
    #[serde(rename = "timestampInMs", default)]
    pub timestamp_ms: i64,
    /// The platform cut the message.
    #[serde(rename = "messageTruncated", default)]
    pub truncated: bool,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// What one line of the stream is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A row a function printed (or a request row).
    Row(Row),
    /// The server cut the stream ("Exceeded runtime logs limit …").
    Delimiter {
        /// Its message.
        message: String,
        /// Its time (a replayed cut is known by it and its message).
        timestamp_ms: i64,
    },
    /// Not a row: not JSON, or JSON without a message and a source.
    Noise,
}

/// Reads one line.
pub fn parse_line(line: &str) -> Line {
    match serde_json::from_str::<Row>(line) {
        Ok(row) if row.source == "delimiter" => Line::Delimiter {
            message: row.message,
            timestamp_ms: row.timestamp_ms,
        },
        Ok(row) if row.source.is_empty() && row.message.is_empty() => Line::Noise,
        Ok(row) => Line::Row(row),
        Err(_) => Line::Noise,
    }
}

/// Which error a row reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The revision loop failed with `deadline_exceeded`.
    DeadlineExceeded,
    /// The revision loop failed with another error.
    OtherError,
    /// A database write failed (the decision or the artifact).
    DbWriteFailed,
}

impl Kind {
    /// Every kind, in display order.
    pub const ALL: [Kind; 3] = [
        Kind::DeadlineExceeded,
        Kind::OtherError,
        Kind::DbWriteFailed,
    ];

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Kind::DeadlineExceeded => "revision loop failed: deadline_exceeded",
            Kind::OtherError => "revision loop failed: other error",
            Kind::DbWriteFailed => "DB write failed",
        }
    }
}

/// One counted error, read from a row's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Which error.
    pub kind: Kind,
    /// The workspace (`clientId`), when the line names it.
    pub workspace: Option<String>,
    /// The draft, when the line names it.
    pub draft_id: Option<String>,
    /// The error text, when the line has it.
    pub error: Option<String>,
}

/// Recognises the app's three messages. Request and delimiter rows never
/// count, whatever their text.
pub fn classify(row: &Row) -> Option<Finding> {
    if matches!(row.source.as_str(), "request" | "delimiter") {
        return None;
    }
    let m = row.message.as_str();
    let kind = if m.contains(REVISION_LOOP_FAILED) {
        let error = field(m, "error");
        match &error {
            Some(e) if e.contains(DEADLINE_EXCEEDED) => Kind::DeadlineExceeded,
            _ => Kind::OtherError,
        }
    } else if m.contains(DECISION_NOT_PERSISTED) || m.contains(ARTIFACT_NOT_PERSISTED) {
        Kind::DbWriteFailed
    } else {
        return None;
    };
    Some(Finding {
        kind,
        workspace: field(m, "clientId"),
        draft_id: field(m, "draftId"),
        error: field(m, "error"),
    })
}

/// What the reader cannot see, each reason its own state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReaderState {
    /// Not connected yet.
    Starting,
    /// Reading: the counts are what the stream holds.
    Reading,
    /// It sees nothing: the token has no log access, the deployment is
    /// unknown, the API cannot be reached.
    Blind {
        /// Why.
        reason: String,
    },
    /// It sees part: the server cut the stream (log limit), the stream is
    /// silent although production's cron prints every minute, or the
    /// window reaches past what the stream kept.
    Limited {
        /// Why.
        reason: String,
    },
}

impl ReaderState {
    /// `reading`, `blind`, `limited`, `starting`: the JSON `state`.
    pub fn name(&self) -> &'static str {
        match self {
            ReaderState::Starting => "starting",
            ReaderState::Reading => "reading",
            ReaderState::Blind { .. } => "blind",
            ReaderState::Limited { .. } => "limited",
        }
    }

    /// Why it is not reading, if so.
    pub fn reason(&self) -> Option<&str> {
        match self {
            ReaderState::Blind { reason } | ReaderState::Limited { reason } => Some(reason),
            _ => None,
        }
    }

    /// For people: `reading`, or `blind: why`.
    pub fn describe(&self) -> String {
        match self.reason() {
            Some(r) => format!("{}: {r}", self.name()),
            None => self.name().to_owned(),
        }
    }
}
