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
    }
}
