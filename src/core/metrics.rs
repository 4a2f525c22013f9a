//! Per-minute revision series with incremental, late-update-safe merging.
//!
//! The store answers "buckets since T" (claim stamps grouped by minute and
//! workspace). Because an apply lands seconds to a minute after its claim, every
//! poll re-reads a trailing window at least as long as the revision loop budget
//! and *replaces* the buckets from that point on, so late updates correct their
//! bucket instead of being lost.

use crate::core::time::{UtcNaive, floor_minute};
use crate::core::verdict::Arm;
use crate::core::workspace::RevisionCounts;
use chrono::Duration;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A claim still without a revision confidence this long after its stamp is
/// stuck: well past the longest loop budget the app allows (contract §3.4:
/// clamped to 15–120 s). It is the only database trace of a
/// `deadline_exceeded` (contract §3.6).
pub const STUCK_AFTER: Duration = Duration::minutes(5);

/// How far back every poll re-reads: longer than the loop budget (applies
/// land up to a minute or two after their claim) and than [`STUCK_AFTER`], so
/// a bucket is final (its stuck claims judged) before it stops being re-read.
pub const REREAD_WINDOW: Duration = Duration::minutes(6);

/// How much history the panel keeps: the admin page's 72-hour window.
pub const RETAIN: Duration = Duration::hours(72);

/// The first poll reads this much (the newest part of the window), so the
/// tab draws at once; the rest of [`RETAIN`] is read in
/// [`HISTORY_STEP`] pieces, newest first, while it already shows.
pub const FIRST_READ: Duration = Duration::hours(1);

/// How much older history one read after the first poll adds.
pub const HISTORY_STEP: Duration = Duration::hours(12);

/// What happened in one workspace in one minute. Claims are bucketed by their
/// stamp (`autoSendRevisionAttemptedAt`), evaluations by
/// `autoSendEvaluatedAt`, AI errors by the interaction's `createdAt`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MinuteStats {
    /// Revision claims (the admin page's "attempted").
    pub attempted: u64,
    /// Claims whose revision was applied (the admin page's "applied").
    pub applied: u64,
    /// Drafts evaluated for auto-send.
    pub evaluated: u64,
    /// Evaluated drafts whose action is `needs_review`.
    pub needs_review: u64,
    /// `AIInteraction` errors of `auto_send.revise` (context-select errors are
    /// not fatal and not counted).
    pub ai_errors: u64,
    /// Claims still without a revision confidence [`STUCK_AFTER`] after their stamp.
    pub stuck: u64,
    /// Sum of (revised − original) confidence over claims that have both.
    pub uplift_sum: f64,
    /// How many claims have both confidences.
    pub uplift_n: u64,
}

impl<'a> std::iter::Sum<&'a MinuteStats> for MinuteStats {
    fn sum<I: Iterator<Item = &'a MinuteStats>>(iter: I) -> Self {
        iter.fold(MinuteStats::default(), |mut acc, c| {
            acc.add(*c);
            acc
        })
    }
}

impl MinuteStats {
    /// Adds another minute (or workspace) to this one.
    pub fn add(&mut self, o: MinuteStats) {
        self.attempted += o.attempted;
        self.applied += o.applied;
        self.evaluated += o.evaluated;
        self.needs_review += o.needs_review;
        self.ai_errors += o.ai_errors;
        self.stuck += o.stuck;
        self.uplift_sum += o.uplift_sum;
        self.uplift_n += o.uplift_n;
    }

    /// The admin page's two counts.
    pub fn revision(&self) -> RevisionCounts {
        RevisionCounts {
            attempted: self.attempted,
            applied: self.applied,
        }
    }

    /// Applied / attempted (0–1), `None` when nothing was attempted.
    pub fn applied_rate(&self) -> Option<f64> {
        (self.attempted > 0).then(|| self.applied as f64 / self.attempted as f64)
    }

    /// needs_review / evaluated (0–1), `None` when nothing was evaluated.
    pub fn needs_review_share(&self) -> Option<f64> {
        (self.evaluated > 0).then(|| self.needs_review as f64 / self.evaluated as f64)
    }

    /// Mean (revised − original) confidence, `None` without any pair.
    pub fn mean_uplift(&self) -> Option<f64> {
        (self.uplift_n > 0).then(|| self.uplift_sum / self.uplift_n as f64)
    }
}

/// One workspace in one minute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MinuteBucket {
    /// Start of the minute (UTC).
    pub minute: UtcNaive,
    /// `Lead.clientId` (or `AIInteraction.clientId`).
    pub client_id: String,
    /// The counts.
    pub counts: MinuteStats,
}

/// One answer of the store: every bucket from `since` on (complete, not a delta).
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesChunk {
    /// The minute the query started at (inclusive).
    pub since: UtcNaive,
    /// All buckets at or after `since`.
    pub buckets: Vec<MinuteBucket>,
    /// The newest stamp seen in any source (the app's clock).
    pub max_stamp: Option<UtcNaive>,
}

impl SeriesChunk {
    /// Totals per workspace over the whole chunk (exact: the store filtered
    /// on `since` itself, not on its minute).
    pub fn totals_by_workspace(&self) -> BTreeMap<String, MinuteStats> {
        let mut out: BTreeMap<String, MinuteStats> = BTreeMap::new();
        for b in &self.buckets {
            out.entry(b.client_id.clone()).or_default().add(b.counts);
        }
        out
    }
}

/// The series the worker keeps, merged from successive chunks.
#[derive(Clone, Debug, Default)]
pub struct RevisionSeries {
    buckets: BTreeMap<UtcNaive, BTreeMap<String, MinuteStats>>,
    watermark: Option<UtcNaive>,
    /// The oldest minute read: the buckets are complete from it on (`None`
    /// before the first read).
    from: Option<UtcNaive>,
}

/// Dense per-minute values for the canary set and for the rest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SplitSeries {
    /// Minute starts, oldest first, one per minute of the window.
    pub minutes: Vec<UtcNaive>,
    /// Canary workspaces' counts per minute.
    pub canary: Vec<MinuteStats>,
    /// Every other workspace's counts per minute.
    pub rest: Vec<MinuteStats>,
}

impl SplitSeries {
    /// Totals over the window: (canary, rest).
    pub fn totals(&self) -> (MinuteStats, MinuteStats) {
        (self.canary.iter().sum(), self.rest.iter().sum())
    }
}

impl SplitSeries {
    /// The newest `minutes` minutes (all of them when there are fewer).
    pub fn tail(&self, minutes: usize) -> SplitSeries {
        self.slice_from(self.minutes.len().saturating_sub(minutes))
    }

    /// The minutes from `minute` on (all of them when it is older).
    pub fn since(&self, minute: UtcNaive) -> SplitSeries {
        self.slice_from(self.minutes.partition_point(|m| *m < minute))
    }

    fn slice_from(&self, from: usize) -> SplitSeries {
        SplitSeries {
            minutes: self.minutes[from..].to_vec(),
            canary: self.canary[from..].to_vec(),
            rest: self.rest[from..].to_vec(),
        }
    }

    /// Groups every `k` consecutive minutes into one point (sums), oldest
    /// first; a partial group at the start is kept. Used to draw long windows.
    pub fn binned(&self, k: usize) -> SplitSeries {
        let k = k.max(1);
        if k == 1 {
            return self.clone();
        }
        let n = self.minutes.len();
        let mut out = SplitSeries::default();
        // Align groups to the newest minute so the last point is always complete.
        let first_len = match n % k {
            0 => k,
            r => r,
        };
        let mut start = 0;
        let mut len = first_len.min(n);
        while start < n {
            let end = (start + len).min(n);
            let sum = |v: &[MinuteStats]| v[start..end].iter().sum();
            out.minutes.push(self.minutes[start]);
            out.canary.push(sum(&self.canary));
            out.rest.push(sum(&self.rest));
            start = end;
            len = k;
        }
        out
    }
}

/// Where the canary's own baseline starts: the same length of time before
/// `start` as has passed since it.
pub fn baseline_start(start: UtcNaive, now: UtcNaive) -> UtcNaive {
    start - (now - start).max(Duration::zero())
}

/// The canary verdict's three arms from per-minute buckets: the canary since
/// `start`; the canary over the same length of time before `start`; every
/// other workspace since `start` (minute resolution, evaluated drafts).
pub fn canary_arms<'a>(
    buckets: impl Iterator<Item = (UtcNaive, &'a str, &'a MinuteStats)>,
    canary: &BTreeSet<String>,
    start: UtcNaive,
    now: UtcNaive,
) -> (Arm, Arm, Arm) {
    let start_minute = floor_minute(start);
    let before_from = floor_minute(baseline_start(start, now));
    let (mut after, mut before, mut others) = (Arm::default(), Arm::default(), Arm::default());
    for (minute, client, stats) in buckets {
        let arm = match (canary.contains(client), minute >= start_minute) {
            (true, true) => &mut after,
            (true, false) if minute >= before_from => &mut before,
            (false, true) => &mut others,
            _ => continue,
        };
        arm.evaluated += stats.evaluated;
        arm.needs_review += stats.needs_review;
    }
    (after, before, others)
}

impl RevisionSeries {
    /// The verdict's arms from the retained series (see [`canary_arms`]); the
    /// baseline before the canary reaches back at most [`RETAIN`].
    pub fn canary_arms(
        &self,
        canary: &BTreeSet<String>,
        start: UtcNaive,
        now: UtcNaive,
    ) -> (Arm, Arm, Arm) {
        canary_arms(self.buckets(), canary, start, now)
    }

    /// Every bucket, oldest minute first (workspaces in id order within one).
    pub fn buckets(&self) -> impl Iterator<Item = (UtcNaive, &str, &MinuteStats)> {
        self.buckets
            .iter()
            .flat_map(|(m, per)| per.iter().map(move |(c, s)| (*m, c.as_str(), s)))
    }

    /// The newest claim stamp merged so far.
    pub fn watermark(&self) -> Option<UtcNaive> {
        self.watermark
    }

    /// Where the next poll must start: the newest [`FIRST_READ`] on the first
    /// poll, else the minute holding `watermark − REREAD_WINDOW` (the minute
    /// the series was read from while nothing has been stamped in it).
    pub fn next_since(&self, now: UtcNaive) -> UtcNaive {
        let oldest = floor_minute(now - RETAIN);
        match (self.watermark, self.from) {
            (Some(w), _) => floor_minute(w - REREAD_WINDOW).max(oldest),
            (None, Some(from)) => from.max(oldest),
            (None, None) => floor_minute(now - FIRST_READ).max(oldest),
        }
    }

    /// The oldest minute read (the series is complete from it on), `None`
    /// before the first read.
    pub fn from(&self) -> Option<UtcNaive> {
        self.from
    }

    /// Whether every minute of the retained window has been read.
    pub fn is_complete(&self, now: UtcNaive) -> bool {
        self.covers(now - RETAIN)
    }

    /// Whether every minute from `at` on has been read.
    pub fn covers(&self, at: UtcNaive) -> bool {
        self.from.is_some_and(|from| from <= floor_minute(at))
    }

    /// The next older piece of the retained window still to read, `[start,
    /// end)` ([`HISTORY_STEP`] long, ending where the series starts), or
    /// `None` when the series is complete or nothing has been read yet.
    pub fn next_history(&self, now: UtcNaive) -> Option<(UtcNaive, UtcNaive)> {
        let oldest = floor_minute(now - RETAIN);
        let from = self.from?;
        (from > oldest).then(|| ((from - HISTORY_STEP).max(oldest), from))
    }

    /// Merges a chunk: every bucket at or after `chunk.since` is replaced by the
    /// chunk's, then history older than [`RETAIN`] before `now` is dropped.
    pub fn apply(&mut self, chunk: SeriesChunk, now: UtcNaive) {
        let since = floor_minute(chunk.since);
        self.buckets.split_off(&since);
        self.from = Some(self.from.map_or(since, |f| f.min(since)));
        self.merge(chunk, now);
    }

    /// Merges an older piece of history, `[chunk.since, end)` with `end` the
    /// minute the series started at ([`Self::next_history`]): it only adds
    /// minutes before what was read, it replaces nothing.
    /// Returns whether it was merged: a piece that does not end where the
    /// series starts (the series was read again meanwhile) is dropped, as
    /// merging it could count minutes twice.
    pub fn apply_history(&mut self, chunk: SeriesChunk, end: UtcNaive, now: UtcNaive) -> bool {
        if self.from != Some(end) {
            return false;
        }
        self.from = Some(floor_minute(chunk.since));
        self.merge(chunk, now);
        true
    }

    fn merge(&mut self, chunk: SeriesChunk, now: UtcNaive) {
        for b in chunk.buckets {
            let e = self
                .buckets
                .entry(floor_minute(b.minute))
                .or_default()
                .entry(b.client_id)
                .or_default();
            e.add(b.counts);
        }
        if let Some(m) = chunk.max_stamp {
            self.watermark = Some(self.watermark.map_or(m, |w| w.max(m)));
        }
        let keep_from = floor_minute(now - RETAIN);
        self.buckets = self.buckets.split_off(&keep_from);
        self.from = self.from.map(|f| f.max(keep_from));
    }

    /// Totals per workspace over `[from, to)` (minute resolution).
    pub fn totals_by_workspace(
        &self,
        from: UtcNaive,
        to: UtcNaive,
    ) -> BTreeMap<String, MinuteStats> {
        let mut out: BTreeMap<String, MinuteStats> = BTreeMap::new();
        for (_, per) in self.buckets.range(floor_minute(from)..to) {
            for (client, c) in per {
                out.entry(client.clone()).or_default().add(*c);
            }
        }
        out
    }

    /// Dense per-minute series over the `minutes` minutes ending with the one
    /// holding `now`, split into the canary set and the rest.
    pub fn split(&self, canary: &BTreeSet<String>, now: UtcNaive, minutes: i64) -> SplitSeries {
        let last = floor_minute(now);
        let first = last - Duration::minutes(minutes.max(1) - 1);
        let mut out = SplitSeries::default();
        let mut t = first;
        while t <= last {
            let mut c = MinuteStats::default();
            let mut r = MinuteStats::default();
            if let Some(per) = self.buckets.get(&t) {
                for (client, counts) in per {
                    if canary.contains(client) {
                        c.add(*counts);
                    } else {
                        r.add(*counts);
                    }
                }
            }
            out.minutes.push(t);
            out.canary.push(c);
            out.rest.push(r);
            t += Duration::minutes(1);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32, s: u32) -> UtcNaive {
        NaiveDate::from_ymd_opt(2026, 2, 20)
            .unwrap()
            .and_hms_opt(h, m, s)
            .unwrap()
    }

    fn bucket(minute: UtcNaive, client: &str, attempted: u64, applied: u64) -> MinuteBucket {
        MinuteBucket {
            minute,
            client_id: client.into(),
            counts: MinuteStats {
                attempted,
                applied,
                ..MinuteStats::default()
            },
        }
    }

    #[test]
    fn first_poll_reads_the_newest_hour_then_only_the_trailing_window() {
        let now = at(12, 0, 30);
        let mut s = RevisionSeries::default();
        assert_eq!(s.next_since(now), at(11, 0, 0));
        assert_eq!(s.next_history(now), None, "nothing read yet");
        s.apply(
            SeriesChunk {
                since: s.next_since(now),
                buckets: vec![bucket(at(11, 58, 0), "a", 2, 0)],
                max_stamp: Some(at(11, 58, 40)),
            },
            now,
        );
        assert_eq!(s.watermark(), Some(at(11, 58, 40)));
        assert_eq!(s.next_since(now), at(11, 52, 0));
        assert_eq!(s.from(), Some(at(11, 0, 0)));
        assert!(!s.is_complete(now));
        assert!(s.covers(at(11, 0, 59)) && !s.covers(at(10, 59, 0)));
    }

    #[test]
    fn a_quiet_first_hour_is_polled_from_where_it_was_read() {
        let now = at(12, 0, 30);
        let mut s = RevisionSeries::default();
        s.apply(
            SeriesChunk {
                since: s.next_since(now),
                buckets: vec![],
                max_stamp: None,
            },
            now,
        );
        // Not the whole 72 hours again: the hour read so far.
        assert_eq!(s.next_since(at(12, 0, 40)), at(11, 0, 0));
    }

    #[test]
    fn the_history_is_read_newest_first_in_steps_until_the_window_is_complete() {
        let now = at(12, 0, 30);
        let oldest = floor_minute(now - RETAIN);
        let mut s = RevisionSeries::default();
        s.apply(
            SeriesChunk {
                since: s.next_since(now),
                buckets: vec![bucket(at(11, 30, 0), "a", 1, 1)],
                max_stamp: Some(at(11, 30, 5)),
            },
            now,
        );
        let mut pieces = Vec::new();
        while let Some((start, end)) = s.next_history(now) {
            pieces.push((start, end));
            // One claim at the start of each piece.
            let merged = s.apply_history(
                SeriesChunk {
                    since: start,
                    buckets: vec![bucket(start, "a", 1, 0)],
                    max_stamp: Some(start),
                },
                end,
                now,
            );
            assert!(merged);
            assert!(pieces.len() <= 10, "the history never completes");
        }
        assert!(s.is_complete(now));
        assert_eq!(pieces[0], (at(11, 0, 0) - HISTORY_STEP, at(11, 0, 0)));
        assert_eq!(pieces.last().map(|p| p.0), Some(oldest));
        for w in pieces.windows(2) {
            assert_eq!(w[1].1, w[0].0, "pieces are contiguous");
        }
        let totals = s.totals_by_workspace(oldest, now);
        assert_eq!(totals["a"].attempted, 1 + pieces.len() as u64);
        // The newest stamp stays the newest: the tail poll is unchanged.
        assert_eq!(s.next_since(now), at(11, 24, 0));
    }

    #[test]
    fn a_history_piece_that_no_longer_fits_is_dropped() {
        let now = at(12, 0, 30);
        let mut s = RevisionSeries::default();
        s.apply(
            SeriesChunk {
                since: at(11, 0, 0),
                buckets: vec![bucket(at(11, 30, 0), "a", 1, 1)],
                max_stamp: Some(at(11, 30, 5)),
            },
            now,
        );
        let (start, end) = s.next_history(now).expect("history to read");
        // Meanwhile the series was read again from further back.
        s.apply(
            SeriesChunk {
                since: at(10, 0, 0),
                buckets: vec![
                    bucket(at(10, 30, 0), "a", 1, 0),
                    bucket(at(11, 30, 0), "a", 1, 1),
                ],
                max_stamp: Some(at(11, 30, 5)),
            },
            now,
        );
        let merged = s.apply_history(
            SeriesChunk {
                since: start,
                buckets: vec![bucket(at(10, 30, 0), "a", 1, 0)],
                max_stamp: None,
            },
            end,
            now,
        );
        assert!(!merged);
        assert_eq!(s.totals_by_workspace(start, now)["a"].attempted, 2);
    }

    #[test]
    fn late_applies_replace_their_bucket_instead_of_double_counting() {
        let now = at(12, 0, 0);
        let mut s = RevisionSeries::default();
        s.apply(
            SeriesChunk {
                since: at(11, 0, 0),
                buckets: vec![
                    bucket(at(11, 10, 0), "a", 1, 1),
                    bucket(at(11, 59, 0), "a", 2, 0),
                ],
                max_stamp: Some(at(11, 59, 10)),
            },
            now,
        );
        // Next poll re-reads from 11:56; the 11:59 claims have since been applied.
        let since = s.next_since(now);
        s.apply(
            SeriesChunk {
                since,
                buckets: vec![
                    bucket(at(11, 59, 0), "a", 2, 2),
                    bucket(at(12, 0, 0), "b", 1, 0),
                ],
                max_stamp: Some(at(12, 0, 5)),
            },
            now,
        );
        let totals = s.totals_by_workspace(at(11, 0, 0), at(12, 1, 0));
        assert_eq!(
            totals["a"].revision(),
            RevisionCounts {
                attempted: 3,
                applied: 3
            }
        );
        assert_eq!(
            totals["b"].revision(),
            RevisionCounts {
                attempted: 1,
                applied: 0
            }
        );
    }

    #[test]
    fn split_is_dense_and_separates_the_canary() {
        let now = at(12, 2, 30);
        let mut s = RevisionSeries::default();
        s.apply(
            SeriesChunk {
                since: at(12, 0, 0),
                buckets: vec![
                    bucket(at(12, 0, 0), "canary", 2, 1),
                    bucket(at(12, 0, 0), "other", 1, 0),
                    bucket(at(12, 2, 0), "other2", 4, 4),
                ],
                max_stamp: Some(at(12, 2, 10)),
            },
            now,
        );
        let canary: BTreeSet<String> = ["canary".to_owned()].into();
        let split = s.split(&canary, now, 3);
        assert_eq!(
            split.minutes,
            vec![at(12, 0, 0), at(12, 1, 0), at(12, 2, 0)]
        );
        assert_eq!(
            split.canary[0].revision(),
            RevisionCounts {
                attempted: 2,
                applied: 1
            }
        );
        assert_eq!(split.canary[1], MinuteStats::default());
        assert_eq!(split.rest[0].attempted, 1);
        assert_eq!(split.rest[2].applied, 4);
        let (c, r) = split.totals();
        assert_eq!((c.attempted, r.attempted), (2, 5));
    }

    #[test]
    fn binning_keeps_every_count_and_aligns_to_the_newest_minute() {
        let c = |a| MinuteStats {
            attempted: a,
            ..MinuteStats::default()
        };
        let split = SplitSeries {
            minutes: (0..7).map(|m| at(12, m, 0)).collect(),
            canary: (1..=7).map(c).collect(),
            rest: vec![c(0); 7],
        };
        let b = split.binned(3);
        assert_eq!(b.minutes, vec![at(12, 0, 0), at(12, 1, 0), at(12, 4, 0)]);
        let attempted: Vec<u64> = b.canary.iter().map(|c| c.attempted).collect();
        assert_eq!(attempted, vec![1, 2 + 3 + 4, 5 + 6 + 7]);
        assert_eq!(b.totals(), split.totals());
        assert_eq!(split.binned(1), split);
    }

    #[test]
    fn history_older_than_the_retained_window_is_dropped() {
        let mut s = RevisionSeries::default();
        s.apply(
            SeriesChunk {
                since: at(0, 0, 0),
                buckets: vec![
                    bucket(at(0, 0, 0), "a", 1, 0),
                    bucket(at(1, 0, 0), "a", 1, 0),
                ],
                max_stamp: Some(at(1, 0, 0)),
            },
            at(1, 0, 0),
        );
        let later = at(0, 30, 0) + RETAIN;
        s.apply(
            SeriesChunk {
                since: s.next_since(later),
                buckets: vec![bucket(at(1, 0, 0), "a", 1, 0)],
                max_stamp: Some(at(1, 0, 0)),
            },
            later,
        );
        let totals = s.totals_by_workspace(at(0, 0, 0), later);
        assert_eq!(totals["a"].attempted, 1);
    }
}
