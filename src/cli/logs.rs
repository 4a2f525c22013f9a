//! `logs`: the revision path's errors, counted from production's runtime
//! logs (`adapters::env::vercel::logs`, `core::runtime_log`).

use super::args::LogsArgs;
use super::print;
use crate::adapters::clock::{Clock, SystemClock};
use crate::adapters::env::vercel::logs::{LogTiming, Reader};
use crate::core::runtime_log::{Book, BookLimits, DraftIds, MinuteRow, Totals};
use crate::core::time::rfc3339;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What `logs --json` prints (one object; with `--follow`, one per line).
#[derive(Debug, serde::Serialize)]
pub struct LogsReport {
    /// The profile.
    pub profile: String,
    /// Now (RFC 3339).
    pub now: String,
    /// The start of the minutes asked for.
    pub since: String,
    /// `reading`, `limited`, `blind` or `starting`.
    pub state: &'static str,
    /// Why it is limited or blind.
    pub reason: Option<String>,
    /// From when the counts are complete (the first connection, or the
    /// oldest row the server replayed).
    pub covered_from: Option<String>,
    /// The deployments read.
    pub deployments: Vec<DeploymentRead>,
    /// Every minute and workspace with a count, oldest first.
    pub minutes: Vec<MinuteRow>,
    /// The drafts named by the counted lines, per kind.
    pub draft_ids: DraftIdsOut,
    /// The totals since `since`.
    pub totals: TotalsOut,
}

/// One deployment the reader follows.
#[derive(Debug, serde::Serialize)]
pub struct DeploymentRead {
    /// Its id.
    pub id: String,
    /// It no longer serves production (read for 15 minutes after).
    pub draining: bool,
    /// Its stream's state.
    pub state: &'static str,
    /// Why, when not reading.
    pub reason: Option<String>,
}

/// Draft ids per kind (`revision_loop_failed` = both loop kinds).
#[derive(Debug, serde::Serialize)]
pub struct DraftIdsOut {
    /// Every revision loop failure's draft.
    pub revision_loop_failed: Vec<String>,
    /// With `deadline_exceeded`.
    pub deadline_exceeded: Vec<String>,
    /// With another error.
    pub other_error: Vec<String>,
    /// Database writes that failed.
    pub db_write_failed: Vec<String>,
    /// Ids not kept (over the per-minute bound).
    pub left_out: u64,
}

impl From<&DraftIds> for DraftIdsOut {
    fn from(d: &DraftIds) -> Self {
        let mut both: Vec<String> = d
            .deadline_exceeded
            .iter()
            .chain(&d.other_error)
            .cloned()
            .collect();
        both.sort_unstable();
        both.dedup();
        Self {
            revision_loop_failed: both,
            deadline_exceeded: d.deadline_exceeded.clone(),
            other_error: d.other_error.clone(),
            db_write_failed: d.db_write_failed.clone(),
            left_out: d.left_out,
        }
    }
}

/// The totals, without the ids.
#[derive(Debug, serde::Serialize)]
pub struct TotalsOut {
    /// Revision loops that failed.
    pub revision_loop_failed: u64,
    /// Of which with `deadline_exceeded`.
    pub deadline_exceeded: u64,
    /// Of which with another error.
    pub other_error: u64,
    /// Database writes that failed.
    pub db_write_failed: u64,
}

impl From<&Totals> for TotalsOut {
    fn from(t: &Totals) -> Self {
        Self {
            revision_loop_failed: t.revision_loop_failed,
            deadline_exceeded: t.deadline_exceeded,
            other_error: t.other_error,
            db_write_failed: t.db_write_failed,
        }
    }
}

/// The report of `book` for the minutes since `since_ms`.
pub fn report(profile: &str, book: &Book, since_ms: i64, now_ms: i64) -> LogsReport {
    let at = |ms| rfc3339(crate::core::runtime_log::from_ms(ms));
    let state = book.state(since_ms, now_ms);
    let totals = book.totals(since_ms, |_| true);
    LogsReport {
        profile: profile.to_owned(),
        now: at(now_ms),
        since: at(since_ms),
        state: state.name(),
        reason: state.reason().map(str::to_owned),
        covered_from: book.covered_from().map(rfc3339),
        deployments: book
            .deployments()
            .into_iter()
            .map(|(id, draining, s)| DeploymentRead {
                id,
                draining,
                state: s.name(),
                reason: s.reason().map(str::to_owned),
            })
            .collect(),
        minutes: book.minutes(since_ms, now_ms),
        draft_ids: DraftIdsOut::from(&totals.draft_ids),
        totals: TotalsOut::from(&totals),
    }
}

fn exit_code(state: &str) -> ExitCode {
    match state {
        "reading" => ExitCode::SUCCESS,
        "limited" | "starting" => ExitCode::from(1),
        _ => ExitCode::from(2),
    }
}

/// The book for minutes since `since_ms` ago: the span, at least 30 min,
/// plus 5 min for rows that arrive late.
fn limits(since_ms: i64) -> BookLimits {
    BookLimits {
        window_ms: since_ms.max(30 * 60_000) + 5 * 60_000,
        ..BookLimits::default()
    }
}

pub(super) fn run_logs(
    paths: &crate::platform::paths::Paths,
    args: &LogsArgs,
) -> anyhow::Result<ExitCode> {
    let since = crate::core::time::parse_window(&args.since).map_err(anyhow::Error::msg)?;
    let since_ms = since.num_milliseconds();
    let mut session = super::session(paths, &args.profile)?;
    super::runtime()?.block_on(async {
        if let Some(world) = session.demo_world().await? {
            return demo_logs(&mut session, &world, args, since_ms).await;
        }
        let Some(client) = session.vercel_client().await? else {
            anyhow::bail!(
                "profile {} has no Vercel project to read logs from",
                args.profile
            );
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let book = Arc::new(Mutex::new(Book::new(limits(since_ms))));
        let mut reader = Reader::new(
            client.clone(),
            LogTiming::default(),
            Arc::clone(&book),
            Arc::clone(&clock),
        );
        let now_ms = || clock.now().and_utc().timestamp_millis();
        let mut serving_error = None;
        match crate::adapters::env::vercel::serving_ids(&client).await {
            Ok(ids) if ids.is_empty() => {}
            Ok(ids) => reader.serving(&ids),
            Err(e) => serving_error = Some(e),
        }
        let print = |book: &Book, serving_error: &Option<String>| -> anyhow::Result<&'static str> {
            let now = now_ms();
            let mut r = report(&args.profile, book, now - since_ms, now);
            if let Some(e) = serving_error
                && r.deployments.is_empty()
            {
                r.state = "blind";
                r.reason = Some(format!(
                    "which deployment serves production cannot be read: {e}"
                ));
            }
            emit(args, &r)?;
            Ok(r.state)
        };
        if !args.follow {
            tokio::time::sleep(Duration::from_secs(args.read_secs.clamp(1, 300))).await;
            let state = print(
                &book.lock().unwrap_or_else(|e| e.into_inner()),
                &serving_error,
            )?;
            return Ok(exit_code(state));
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let every = Duration::from_secs(args.every_secs.clamp(1, 3600));
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
            }
            // Production may have moved: follow what serves now (the one
            // that left is read for 15 minutes more).
            match crate::adapters::env::vercel::serving_ids(&client).await {
                Ok(ids) => {
                    serving_error = None;
                    reader.serving(&ids);
                }
                Err(e) => serving_error = Some(e),
            }
            print(
                &book.lock().unwrap_or_else(|e| e.into_inner()),
                &serving_error,
            )?;
        }
        if !args.json {
            say!("logs stopped");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints (or keeps printing) `report`, per the flags.
fn emit(args: &LogsArgs, r: &LogsReport) -> anyhow::Result<()> {
    if args.json {
        if args.follow {
            println!("{}", crate::core::text::json(&serde_json::to_string(r)?));
        } else {
            print::json(r)?;
        }
    } else {
        text(r);
    }
    Ok(())
}

/// The demo's runtime log: the rows its simulated app printed (the
/// simulator runs up to now first, as every demo command does).
async fn demo_logs(
    session: &mut crate::ops::session::Session,
    world: &crate::demo::DemoWorld,
    args: &LogsArgs,
    since_ms: i64,
) -> anyhow::Result<ExitCode> {
    let (mut book, mut after) =
        crate::ops::runtime_logs::demo_book(world, SystemClock.now(), limits(since_ms)).await?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let every = Duration::from_secs(args.every_secs.clamp(1, 3600));
    loop {
        let now = SystemClock.now();
        session
            .advance(now, Duration::from_secs(60))
            .await
            .map_err(anyhow::Error::msg)?;
        let now_ms = now.and_utc().timestamp_millis();
        crate::ops::runtime_logs::demo_read(world, &mut book, &mut after, now).await;
        let r = report(&args.profile, &book, now_ms - since_ms, now_ms);
        emit(args, &r)?;
        if !args.follow {
            return Ok(exit_code(r.state));
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
    if !args.json {
        say!("logs stopped");
    }
    Ok(ExitCode::SUCCESS)
}

/// The report for people.
fn text(r: &LogsReport) {
    say!(
        "runtime logs of {}: {}{}",
        r.profile,
        r.state,
        r.reason
            .as_deref()
            .map_or(String::new(), |w| format!(" ({w})"))
    );
    for d in &r.deployments {
        say!(
            "  {}{}: {}",
            d.id,
            if d.draining {
                " (no longer serves; read until its jobs end)"
            } else {
                ""
            },
            d.reason
                .as_deref()
                .map_or(d.state.to_owned(), |w| format!("{} ({w})", d.state))
        );
    }
    if let Some(from) = &r.covered_from {
        say!("  complete from {from}");
    }
    say!(
        "since {}: revision loop failed {} (deadline_exceeded {}, other {}), DB write failed {}",
        r.since,
        r.totals.revision_loop_failed,
        r.totals.deadline_exceeded,
        r.totals.other_error,
        r.totals.db_write_failed
    );
    for m in &r.minutes {
        say!(
            "  {} {:<28} loop failed {:>3} (deadline {:>3}) · db write failed {:>3}{}{}",
            rfc3339(m.minute),
            m.workspace_id.as_deref().unwrap_or("(workspace not named)"),
            m.revision_loop_failed,
            m.deadline_exceeded,
            m.db_write_failed,
            if m.provisional { " · provisional" } else { "" },
            if m.from_history { " · replayed" } else { "" },
        );
    }
    for (kind, ids) in [
        ("deadline_exceeded", &r.draft_ids.deadline_exceeded),
        ("other error", &r.draft_ids.other_error),
        ("DB write failed", &r.draft_ids.db_write_failed),
    ] {
        if !ids.is_empty() {
            say!("  drafts, {kind}: {}", ids.join(", "));
        }
    }
}
