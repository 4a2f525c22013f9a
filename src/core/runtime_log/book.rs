//! The counts: per minute (of the row's own time, never its arrival) and
//! workspace, each row once, in bounded memory.

use super::{Finding, Kind, Line, ReaderState, Row, classify};
use crate::core::time::UtcNaive;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

const MINUTE_MS: i64 = 60_000;

/// What the book keeps and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookLimits {
    /// How far back minutes are kept (older rows are not counted).
    pub window_ms: i64,
    /// A minute is provisional until this long after it ended (late rows).
    pub provisional_ms: i64,
    /// How many counted rows are remembered for de-duplication.
    pub max_seen: usize,
    /// How many draft ids one minute keeps per workspace and kind (the
    /// rest are counted, and said to be left out).
    pub max_ids: usize,
    /// A stream that brought no row at all for this long is silent
    /// (production's background-jobs cron prints every minute).
    pub silent_ms: i64,
}

impl Default for BookLimits {
    fn default() -> Self {
        Self {
            window_ms: 3 * 60 * MINUTE_MS,
            provisional_ms: 3 * MINUTE_MS,
            max_seen: 200_000,
            max_ids: 1_000,
            silent_ms: 3 * MINUTE_MS,
        }
    }
}

/// Draft ids, per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DraftIds {
    /// Revision loops that failed with `deadline_exceeded`.
    pub deadline_exceeded: Vec<String>,
    /// Revision loops that failed with another error.
    pub other_error: Vec<String>,
    /// Database writes that failed.
    pub db_write_failed: Vec<String>,
    /// Ids not kept (over the per-minute bound); their rows are counted.
    pub left_out: u64,
}

impl DraftIds {
    fn of(&mut self, kind: Kind) -> &mut Vec<String> {
        match kind {
            Kind::DeadlineExceeded => &mut self.deadline_exceeded,
            Kind::OtherError => &mut self.other_error,
            Kind::DbWriteFailed => &mut self.db_write_failed,
        }
    }

    /// The ids of one kind.
    pub fn get(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::DeadlineExceeded => &self.deadline_exceeded,
            Kind::OtherError => &self.other_error,
            Kind::DbWriteFailed => &self.db_write_failed,
        }
    }

    fn merge(&mut self, other: &DraftIds) {
        for kind in Kind::ALL {
            self.of(kind).extend(other.get(kind).iter().cloned());
        }
        self.left_out += other.left_out;
    }

    /// Each id once per kind, sorted.
    fn dedup(&mut self) {
        for kind in Kind::ALL {
            let ids = self.of(kind);
            ids.sort_unstable();
            ids.dedup();
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Cell {
    counts: [u32; 3],
    ids: DraftIds,
}

fn index(kind: Kind) -> usize {
    match kind {
        Kind::DeadlineExceeded => 0,
        Kind::OtherError => 1,
        Kind::DbWriteFailed => 2,
    }
}

/// One minute of one workspace, as `logs --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MinuteRow {
    /// The minute's start (UTC).
    #[serde(serialize_with = "crate::core::time::serialize_rfc3339")]
    pub minute: UtcNaive,
    /// The workspace (`clientId`); `None` when the line does not name one
    /// (the decision write's line carries only the draft).
    pub workspace_id: Option<String>,
    /// Revision loops that failed (`deadline_exceeded` + other errors).
    pub revision_loop_failed: u32,
    /// Of which with `deadline_exceeded`.
    pub deadline_exceeded: u32,
    /// Of which with another error.
    pub other_error: u32,
    /// Database writes that failed (the decision, the artifact).
    pub db_write_failed: u32,
    /// Late rows may still come (the minute ended less than 3 min ago).
    pub provisional: bool,
    /// The minute ended before the reader connected: its rows are what the
    /// server replayed, which may be part of them.
    pub from_history: bool,
}

/// Totals over a span, with every draft named.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Revision loops that failed.
    pub revision_loop_failed: u64,
    /// Of which with `deadline_exceeded`.
    pub deadline_exceeded: u64,
    /// Of which with another error.
    pub other_error: u64,
    /// Database writes that failed.
    pub db_write_failed: u64,
    /// The drafts, per kind.
    pub draft_ids: DraftIds,
}

impl Totals {
    /// How many of `kind`.
    pub fn count(&self, kind: Kind) -> u64 {
        match kind {
            Kind::DeadlineExceeded => self.deadline_exceeded,
            Kind::OtherError => self.other_error,
            Kind::DbWriteFailed => self.db_write_failed,
        }
    }
}

/// One deployment's stream.
#[derive(Clone, Debug)]
struct Stream {
    state: ReaderState,
    /// When a row (any row) last arrived, by the reader's clock.
    last_row_ms: Option<i64>,
    /// When the current connection opened.
    connected_ms: Option<i64>,
    /// It no longer serves production: it is read until its jobs end, and
    /// its silence is expected.
    draining: bool,
    /// When the server last cut it (a delimiter row).
    cut_ms: Option<i64>,
    cut_message: String,
    /// The cuts seen (a replay may bring one again: it is not a new cut).
    cuts: VecDeque<u64>,
}

/// What one line was to the book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// Nothing to count (noise, a row that is not an error, a repeat).
    Nothing,
    /// A counted error.
    Counted(Finding),
    /// The server cut the stream here (a delimiter not seen before): the
    /// connection ends.
    Cut,
}

/// The counts of every deployment read.
#[derive(Debug)]
pub struct Book {
    limits: BookLimits,
    cells: BTreeMap<(i64, String), Cell>,
    seen: HashSet<u64>,
    seen_order: VecDeque<(i64, u64)>,
    streams: BTreeMap<String, Stream>,
    /// When the first connection opened.
    started_ms: Option<i64>,
    /// The oldest row time seen.
    oldest_row_ms: Option<i64>,
    /// The source holds every row from this time on (a table, like the
    /// demo's; a stream never says so).
    complete_from_ms: Option<i64>,
    /// Rows seen (all), counted rows, repeats ignored, rows too old.
    pub rows: u64,
    /// Rows that counted.
    pub counted: u64,
    /// Counted rows seen again (a replay) and not counted twice.
    pub repeats: u64,
    /// Rows older than the window, not counted.
    pub too_old: u64,
}

impl Book {
    /// An empty book.
    pub fn new(limits: BookLimits) -> Self {
        Self {
            limits,
            cells: BTreeMap::new(),
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
            streams: BTreeMap::new(),
            started_ms: None,
            oldest_row_ms: None,
            complete_from_ms: None,
            rows: 0,
            counted: 0,
            repeats: 0,
            too_old: 0,
        }
    }

    /// The limits it keeps.
    pub fn limits(&self) -> BookLimits {
        self.limits
    }

    fn stream(&mut self, deployment: &str) -> &mut Stream {
        self.streams
            .entry(deployment.to_owned())
            .or_insert_with(|| Stream {
                state: ReaderState::Starting,
                last_row_ms: None,
                connected_ms: None,
                draining: false,
                cut_ms: None,
                cut_message: String::new(),
                cuts: VecDeque::new(),
            })
    }

    /// The deployments read: the ones serving production, and one that
    /// stopped serving less than a while ago (`draining`).
    pub fn follow(&mut self, deployment: &str, draining: bool) {
        self.stream(deployment).draining = draining;
    }

    /// Stops reading a deployment (its counts stay).
    pub fn forget(&mut self, deployment: &str) {
        self.streams.remove(deployment);
    }

    /// The deployments read, with whether each is draining.
    pub fn deployments(&self) -> Vec<(String, bool, ReaderState)> {
        self.streams
            .iter()
            .map(|(id, s)| (id.clone(), s.draining, s.state.clone()))
            .collect()
    }

    /// A connection to `deployment`'s stream opened.
    pub fn connected(&mut self, deployment: &str, now_ms: i64) {
        self.started_ms.get_or_insert(now_ms);
        let s = self.stream(deployment);
        s.connected_ms = Some(now_ms);
        s.last_row_ms.get_or_insert(now_ms);
        s.state = ReaderState::Reading;
    }

    /// The source holds every row printed from `ms` on (it was read from
    /// there): the minutes after it are complete.
    pub fn complete_from(&mut self, ms: i64) {
        self.complete_from_ms = Some(self.complete_from_ms.map_or(ms, |c| c.min(ms)));
    }

    /// The source answered for `deployment` although it had no row (a
    /// source that is polled, like the demo's: its answer is the sign of
    /// life a stream's rows are).
    pub fn heard(&mut self, deployment: &str, now_ms: i64) {
        self.started_ms.get_or_insert(now_ms);
        let s = self.stream(deployment);
        s.last_row_ms = Some(now_ms);
        s.connected_ms.get_or_insert(now_ms);
        s.state = ReaderState::Reading;
    }

    /// The reader cannot read `deployment` (blind), or reads part of it.
    pub fn trouble(&mut self, deployment: &str, state: ReaderState) {
        self.stream(deployment).state = state;
    }

    /// One line of `deployment`'s stream, read at `now_ms`: what it was.
    pub fn line(&mut self, deployment: &str, line: &Line, now_ms: i64) -> Read {
        match line {
            Line::Noise => Read::Nothing,
            Line::Delimiter {
                message,
                timestamp_ms,
            } => {
                let mut h = DefaultHasher::new();
                (timestamp_ms, message).hash(&mut h);
                let key = h.finish();
                let s = self.stream(deployment);
                if s.cuts.contains(&key) {
                    return Read::Nothing;
                }
                if s.cuts.len() >= 64 {
                    s.cuts.pop_front();
                }
                s.cuts.push_back(key);
                s.cut_ms = Some(now_ms);
                s.cut_message = message.clone();
                Read::Cut
            }
            Line::Row(row) => {
                self.rows += 1;
                self.stream(deployment).last_row_ms = Some(now_ms);
                self.count(row, now_ms).map_or(Read::Nothing, Read::Counted)
            }
        }
    }

    fn count(&mut self, row: &Row, now_ms: i64) -> Option<Finding> {
        let finding = classify(row)?;
        let oldest = now_ms - self.limits.window_ms;
        if row.timestamp_ms < oldest {
            self.too_old += 1;
            return None;
        }
        let key = row_key(row);
        if !self.seen.insert(key) {
            self.repeats += 1;
            return None;
        }
        self.seen_order.push_back((row.timestamp_ms, key));
        self.oldest_row_ms = Some(
            self.oldest_row_ms
                .map_or(row.timestamp_ms, |o| o.min(row.timestamp_ms)),
        );
        let minute = row.timestamp_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
        let cell = self
            .cells
            .entry((minute, finding.workspace.clone().unwrap_or_default()))
            .or_default();
        cell.counts[index(finding.kind)] += 1;
        if let Some(id) = &finding.draft_id {
            let ids = cell.ids.of(finding.kind);
            if ids.len() < self.limits.max_ids {
                ids.push(id.clone());
            } else {
                cell.ids.left_out += 1;
            }
        }
        self.counted += 1;
        self.prune(now_ms);
        Some(finding)
    }

    /// Drops what fell out of the window, and the oldest remembered rows
    /// over the bound.
    fn prune(&mut self, now_ms: i64) {
        let oldest = now_ms - self.limits.window_ms;
        while let Some(&(ts, key)) = self.seen_order.front() {
            if ts >= oldest && self.seen_order.len() <= self.limits.max_seen {
                break;
            }
            self.seen_order.pop_front();
            self.seen.remove(&key);
        }
        let keep = self
            .cells
            .split_off(&(oldest.div_euclid(MINUTE_MS) * MINUTE_MS, String::new()));
        self.cells = keep;
    }

    /// Every minute with a count since `since_ms`, oldest first.
    pub fn minutes(&self, since_ms: i64, now_ms: i64) -> Vec<MinuteRow> {
        let start = since_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
        self.cells
            .range((start, String::new())..)
            .map(|((minute, ws), cell)| {
                let [deadline, other, db] = cell.counts;
                MinuteRow {
                    minute: from_ms(*minute),
                    workspace_id: (!ws.is_empty()).then(|| ws.clone()),
                    revision_loop_failed: deadline + other,
                    deadline_exceeded: deadline,
                    other_error: other,
                    db_write_failed: db,
                    provisional: minute + MINUTE_MS + self.limits.provisional_ms > now_ms,
                    from_history: self.started_ms.is_none_or(|s| minute + MINUTE_MS <= s),
                }
            })
            .collect()
    }

    /// Totals since `since_ms`, of the workspaces `only` lets through.
    pub fn totals(&self, since_ms: i64, only: impl Fn(Option<&str>) -> bool) -> Totals {
        let start = since_ms.div_euclid(MINUTE_MS) * MINUTE_MS;
        let mut t = Totals::default();
        for ((_, ws), cell) in self.cells.range((start, String::new())..) {
            if !only((!ws.is_empty()).then_some(ws.as_str())) {
                continue;
            }
            let [deadline, other, db] = cell.counts.map(u64::from);
            t.deadline_exceeded += deadline;
            t.other_error += other;
            t.revision_loop_failed += deadline + other;
            t.db_write_failed += db;
            t.draft_ids.merge(&cell.ids);
        }
        t.draft_ids.dedup();
        t
    }

    /// From when the counts are complete: the first connection, or the
    /// oldest row the server replayed if older.
    pub fn covered_from(&self) -> Option<UtcNaive> {
        self.covered_from_ms().map(from_ms)
    }

    fn covered_from_ms(&self) -> Option<i64> {
        [self.started_ms, self.oldest_row_ms, self.complete_from_ms]
            .into_iter()
            .flatten()
            .min()
    }

    /// What the reader sees now, the worst of its streams: blind, then
    /// limited (cut by the server within the window's provisional span, a
    /// silent stream, or a window reaching before what it saw), then
    /// reading.
    pub fn state(&self, since_ms: i64, now_ms: i64) -> ReaderState {
        if self.streams.is_empty() {
            return ReaderState::Blind {
                reason: "no deployment serves production, so there is no log to read".to_owned(),
            };
        }
        let mut limited = Vec::new();
        let mut starting = false;
        for (id, s) in &self.streams {
            match &s.state {
                ReaderState::Blind { reason } => {
                    return ReaderState::Blind {
                        reason: format!("{id}: {reason}"),
                    };
                }
                ReaderState::Limited { reason } => limited.push(format!("{id}: {reason}")),
                ReaderState::Starting => starting |= !s.draining,
                ReaderState::Reading => {}
            }
            if let Some(cut) = s.cut_ms
                && cut >= since_ms
            {
                limited.push(format!(
                    "{id}: Vercel cut the stream at {} ({}): rows of that time may be missing",
                    crate::core::time::rfc3339(from_ms(cut)),
                    s.cut_message
                ));
            }
            if !s.draining
                && s.state == ReaderState::Reading
                && let Some(last) = s.last_row_ms
                && now_ms - last >= self.limits.silent_ms
            {
                limited.push(format!(
                    "{id}: silent: no row for {} min, although production's background-jobs cron prints every minute",
                    (now_ms - last) / MINUTE_MS
                ));
            }
        }
        if self.started_ms.is_some()
            && let Some(from) = self.covered_from_ms()
            && from > since_ms + MINUTE_MS
        {
            limited.push(format!(
                "the rows seen start at {}: the minutes before are not seen (the stream replays little or nothing, and the plan's retention may be shorter)",
                crate::core::time::rfc3339(from_ms(from))
            ));
        }
        if !limited.is_empty() {
            return ReaderState::Limited {
                reason: limited.join("; "),
            };
        }
        if starting {
            return ReaderState::Starting;
        }
        ReaderState::Reading
    }

    /// Rows remembered for de-duplication (a bound of the memory used).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }
}

/// The key a row is known by: its `rowId`, or a hash of what it says when
/// it has none.
fn row_key(row: &Row) -> u64 {
    let mut h = DefaultHasher::new();
    if row.row_id.is_empty() {
        (1u8, row.timestamp_ms, &row.source, &row.message).hash(&mut h);
    } else {
        (0u8, &row.row_id).hash(&mut h);
    }
    h.finish()
}

/// A time in ms since the epoch, as the tables' naive UTC.
pub fn from_ms(ms: i64) -> UtcNaive {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .naive_utc()
}
