//! Per-minute revision series with incremental, late-update-safe merging.
//!
//! The store answers "buckets since T" (claim stamps grouped by minute and
//! workspace). Because an apply lands seconds to a minute after its claim, every
//! poll re-reads a trailing window at least as long as the revision loop budget
//! and *replaces* the buckets from that point on, so late updates correct their
//! bucket instead of being lost.

use crate::core::time::{UtcNaive, floor_minute};
use crate::core::workspace::RevisionCounts;
use chrono::Duration;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The longest revision loop budget the app allows (contract §3.4: clamped to
/// 15–120 s), plus margin: how far back every poll re-reads.
pub const REREAD_WINDOW: Duration = Duration::minutes(3);

/// How much history the panel keeps: the admin page's 72-hour window.
pub const RETAIN: Duration = Duration::hours(72);

/// Attempted/applied claims of one workspace in one minute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MinuteBucket {
    /// Start of the minute (UTC).
    pub minute: UtcNaive,
    /// `Lead.clientId` of the drafts.
    pub client_id: String,
    /// The counts.
    pub counts: RevisionCounts,
}

/// One answer of the store: every bucket from `since` on (complete, not a delta).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesChunk {
    /// The minute the query started at (inclusive).
    pub since: UtcNaive,
    /// All buckets at or after `since`.
    pub buckets: Vec<MinuteBucket>,
    /// The newest claim stamp seen (the app's clock).
    pub max_stamp: Option<UtcNaive>,
}

/// The series the worker keeps, merged from successive chunks.
#[derive(Clone, Debug, Default)]
pub struct RevisionSeries {
    buckets: BTreeMap<UtcNaive, BTreeMap<String, RevisionCounts>>,
    watermark: Option<UtcNaive>,
}

/// Dense per-minute values for the canary set and for the rest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SplitSeries {
    /// Minute starts, oldest first, one per minute of the window.
    pub minutes: Vec<UtcNaive>,
    /// Canary workspaces' counts per minute.
    pub canary: Vec<RevisionCounts>,
    /// Every other workspace's counts per minute.
    pub rest: Vec<RevisionCounts>,
}

impl SplitSeries {
    /// Totals over the window: (canary, rest).
    pub fn totals(&self) -> (RevisionCounts, RevisionCounts) {
        let sum = |v: &[RevisionCounts]| {
            v.iter().fold(RevisionCounts::default(), |mut acc, c| {
                acc.add(*c);
                acc
            })
        };
        (sum(&self.canary), sum(&self.rest))
    }
}

impl SplitSeries {
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
            let sum = |v: &[RevisionCounts]| {
                v[start..end]
                    .iter()
                    .fold(RevisionCounts::default(), |mut acc, c| {
                        acc.add(*c);
                        acc
                    })
            };
            out.minutes.push(self.minutes[start]);
            out.canary.push(sum(&self.canary));
            out.rest.push(sum(&self.rest));
            start = end;
            len = k;
        }
        out
    }
}

impl RevisionSeries {
    /// The newest claim stamp merged so far.
    pub fn watermark(&self) -> Option<UtcNaive> {
        self.watermark
    }

    /// Where the next poll must start: the whole retained window on the first
    /// poll, else the minute holding `watermark − REREAD_WINDOW`.
    pub fn next_since(&self, now: UtcNaive) -> UtcNaive {
        let oldest = floor_minute(now - RETAIN);
        match self.watermark {
            None => oldest,
            Some(w) => floor_minute(w - REREAD_WINDOW).max(oldest),
        }
    }

    /// Merges a chunk: every bucket at or after `chunk.since` is replaced by the
    /// chunk's, then history older than [`RETAIN`] before `now` is dropped.
    pub fn apply(&mut self, chunk: SeriesChunk, now: UtcNaive) {
        let since = floor_minute(chunk.since);
        self.buckets.split_off(&since);
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
    }

    /// Totals per workspace over `[from, to)` (minute resolution).
    pub fn totals_by_workspace(
        &self,
        from: UtcNaive,
        to: UtcNaive,
    ) -> BTreeMap<String, RevisionCounts> {
        let mut out: BTreeMap<String, RevisionCounts> = BTreeMap::new();
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
            let mut c = RevisionCounts::default();
            let mut r = RevisionCounts::default();
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
            counts: RevisionCounts { attempted, applied },
        }
    }

    #[test]
    fn first_poll_covers_the_retained_window_then_only_the_trailing_window() {
        let now = at(12, 0, 30);
        let mut s = RevisionSeries::default();
        assert_eq!(s.next_since(now), floor_minute(now - RETAIN));
        s.apply(
            SeriesChunk {
                since: s.next_since(now),
                buckets: vec![bucket(at(11, 58, 0), "a", 2, 0)],
                max_stamp: Some(at(11, 58, 40)),
            },
            now,
        );
        assert_eq!(s.watermark(), Some(at(11, 58, 40)));
        assert_eq!(s.next_since(now), at(11, 55, 0));
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
            totals["a"],
            RevisionCounts {
                attempted: 3,
                applied: 3
            }
        );
        assert_eq!(
            totals["b"],
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
            split.canary[0],
            RevisionCounts {
                attempted: 2,
                applied: 1
            }
        );
        assert_eq!(split.canary[1], RevisionCounts::default());
        assert_eq!(split.rest[0].attempted, 1);
        assert_eq!(split.rest[2].applied, 4);
        let (c, r) = split.totals();
        assert_eq!((c.attempted, r.attempted), (2, 5));
    }

    #[test]
    fn binning_keeps_every_count_and_aligns_to_the_newest_minute() {
        let c = |a| RevisionCounts {
            attempted: a,
            applied: 0,
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
