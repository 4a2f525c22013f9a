//! The runtime logs as the window, `logs` and `metrics` read them: the demo
//! world's table, paged into a [`Book`]; and the report `metrics --json`
//! carries (canary against the rest, with the reader's state).

use crate::core::runtime_log::{Book, BookLimits, ReaderState, Totals, parse_line};
use crate::core::time::UtcNaive;
use crate::demo::{DemoError, DemoWorld};

/// The demo's one log stream.
pub const DEMO_LOG: &str = "demo";

/// Rows read per page, and pages per read (the rest comes on the next).
const PAGE: u32 = 5_000;
const PAGES: usize = 5;

/// A book for the demo's table, complete from `now - window`, and the last
/// row before that.
pub async fn demo_book(
    world: &DemoWorld,
    now: UtcNaive,
    limits: BookLimits,
) -> Result<(Book, i64), DemoError> {
    let from = now - chrono::Duration::milliseconds(limits.window_ms);
    let after = world.runtime_log_from(from).await?;
    let mut book = Book::new(limits);
    // The demo's log is a table: every row from `from` on is there.
    book.complete_from(from.and_utc().timestamp_millis());
    Ok((book, after))
}

/// Reads the demo's rows after `after` into `book` (bounded: a few pages).
/// A failed read makes the book blind, with the reason.
pub async fn demo_read(world: &DemoWorld, book: &mut Book, after: &mut i64, now: UtcNaive) {
    let now_ms = now.and_utc().timestamp_millis();
    for _ in 0..PAGES {
        match world.runtime_log(*after, PAGE).await {
            Ok(rows) => {
                book.heard(DEMO_LOG, now_ms);
                let full = rows.len() == PAGE as usize;
                for (seq, _deployment, line) in rows {
                    *after = seq;
                    book.line(DEMO_LOG, &parse_line(&line), now_ms);
                }
                if !full {
                    return;
                }
            }
            Err(e) => {
                book.trouble(
                    DEMO_LOG,
                    ReaderState::Blind {
                        reason: format!("the demo's log cannot be read: {e}"),
                    },
                );
                return;
            }
        }
    }
}

/// What the runtime logs counted, canary against the rest: `runtime_logs`
/// of `metrics --json`, and what the window's Revision health card shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RuntimeLogsReport {
    /// `vercel` or `demo`.
    pub source: &'static str,
    /// `reading`, `limited`, `blind` or `starting`.
    pub state: &'static str,
    /// Why it is limited or blind.
    pub reason: Option<String>,
    /// How far back the counts go, in minutes.
    pub minutes: i64,
    /// From when the counts are complete.
    pub covered_from: Option<String>,
    /// The canary's workspaces (toggle on): counts and every draft.
    pub canary: Totals,
    /// The other workspaces, and lines naming none.
    pub rest: Totals,
    /// Deployments still read although they no longer serve production
    /// (for 15 minutes: their jobs finish on the old build).
    pub draining: Vec<String>,
    /// The minutes with errors over the whole book (up to 3 h), canary
    /// against the rest, oldest first: a minute not listed but after
    /// `covered_from` had none. The Metrics tab's series.
    pub per_minute: Vec<LogMinute>,
}

impl RuntimeLogsReport {
    /// The errors per bin (each bin starting at one of `starts`, of
    /// `bin_minutes`), canary and rest: `None` for a bin the logs do not
    /// cover from its start (not read is not zero).
    pub fn binned(&self, starts: &[UtcNaive], bin_minutes: i64) -> Vec<Option<(u32, u32)>> {
        let covered = self
            .covered_from
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.naive_utc());
        let bin = chrono::Duration::minutes(bin_minutes);
        starts
            .iter()
            .map(|start| {
                covered.filter(|c| c <= start)?;
                let end = *start + bin;
                Some(
                    self.per_minute
                        .iter()
                        .filter(|m| m.minute >= *start && m.minute < end)
                        .fold((0, 0), |(c, r), m| (c + m.canary, r + m.rest)),
                )
            })
            .collect()
    }
}

/// One minute's revision-path errors from the logs (loop failures and
/// failed DB writes), canary against the rest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LogMinute {
    /// The minute's start (UTC).
    #[serde(serialize_with = "crate::core::time::serialize_rfc3339")]
    pub minute: UtcNaive,
    /// Errors in the canary's workspaces.
    pub canary: u32,
    /// Errors elsewhere (and in lines naming no workspace).
    pub rest: u32,
    /// Late rows may still come.
    pub provisional: bool,
}

/// The report of `book` over the last `minutes`, the canary being `canary`.
pub fn report(
    source: &'static str,
    book: &Book,
    canary: &[String],
    minutes: i64,
    now: UtcNaive,
) -> RuntimeLogsReport {
    let now_ms = now.and_utc().timestamp_millis();
    let since = now_ms - minutes * 60_000;
    let in_canary = |ws: Option<&str>| ws.is_some_and(|w| canary.iter().any(|c| c == w));
    let state = book.state(since, now_ms);
    RuntimeLogsReport {
        source,
        state: state.name(),
        reason: state.reason().map(str::to_owned),
        minutes,
        covered_from: book.covered_from().map(crate::core::time::rfc3339),
        canary: book.totals(since, in_canary),
        rest: book.totals(since, |ws| !in_canary(ws)),
        draining: book
            .deployments()
            .into_iter()
            .filter(|(_, draining, _)| *draining)
            .map(|(id, _, _)| id)
            .collect(),
        per_minute: per_minute(book, &in_canary, now_ms),
    }
}

/// The book's minutes with errors, summed per minute, canary against the rest.
fn per_minute(
    book: &Book,
    in_canary: &dyn Fn(Option<&str>) -> bool,
    now_ms: i64,
) -> Vec<LogMinute> {
    let mut out: std::collections::BTreeMap<UtcNaive, LogMinute> = Default::default();
    for row in book.minutes(i64::MIN / 2, now_ms) {
        let errors = row.revision_loop_failed + row.db_write_failed;
        if errors == 0 {
            continue;
        }
        let m = out.entry(row.minute).or_insert(LogMinute {
            minute: row.minute,
            canary: 0,
            rest: 0,
            provisional: row.provisional,
        });
        if in_canary(row.workspace_id.as_deref()) {
            m.canary += errors;
        } else {
            m.rest += errors;
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: i64) -> UtcNaive {
        chrono::DateTime::from_timestamp(1_800_000_000 / 3600 * 3600 + m * 60, 0)
            .expect("time")
            .naive_utc()
    }

    #[test]
    fn bins_sum_their_minutes_and_a_bin_not_covered_is_none_not_zero() {
        let minute = |m, canary, rest| LogMinute {
            minute: at(m),
            canary,
            rest,
            provisional: false,
        };
        let r = RuntimeLogsReport {
            source: "demo",
            state: "reading",
            reason: None,
            minutes: 60,
            covered_from: Some(crate::core::time::rfc3339(at(10))),
            canary: Totals::default(),
            rest: Totals::default(),
            draining: Vec::new(),
            per_minute: vec![minute(11, 2, 0), minute(14, 1, 3), minute(15, 0, 1)],
        };
        let starts = [at(5), at(10), at(15), at(20)];
        assert_eq!(
            r.binned(&starts, 5),
            vec![None, Some((3, 3)), Some((0, 1)), Some((0, 0))]
        );
        // Nothing covered (the reader never connected): nothing drawn.
        let blind = RuntimeLogsReport {
            covered_from: None,
            ..r
        };
        assert_eq!(blind.binned(&starts, 5), vec![None; 4]);
    }
}
