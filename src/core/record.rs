//! The rollout record (issue 30): what happened in one rollout, under the
//! runbook's own headings, as CommonMark with its plots as relative image
//! links — written from the audit and the store by `ops::record`, drawn by
//! `adapters::plots`. Pure: the same [`Record`] gives the same bytes.
//!
//! It names people, workspaces and draft ids, never a draft's content, a
//! reviewer's note or a secret: every free text in it is an operator's
//! reason or a finding the panel wrote, passed through [`inline`].

use crate::core::lever::ReadinessMark;
use crate::core::metrics::MinuteStats;
use crate::core::review::Outcome;
use crate::core::time::UtcNaive;
use crate::core::verdict::{Arm, Verdict};
use std::collections::BTreeMap;

/// The record's Markdown file name.
pub const FILE_NAME: &str = "rollout-record.md";

/// The Phase 123 success criterion: loop exhaustion below this share.
pub const EXHAUSTION_CRITERION: f64 = 0.5;

/// How an audited action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Done and verified.
    Verified,
    /// Failed.
    Failed,
    /// Given up after an interruption.
    Abandoned,
    /// No result yet.
    Pending,
}

impl Ended {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Failed => "failed",
            Self::Abandoned => "abandoned",
            Self::Pending => "no result",
        }
    }
}

/// What kind of step of the runbook an action is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A canary enable (section 3).
    Canary,
    /// A workspace rollback or a canary's restore (section 5).
    Rollback,
    /// An expansion or its rollback (section 5).
    Expansion,
    /// A kill switch either way (sections 2, 3 and 5).
    KillSwitch,
    /// Arming or disarming the guard.
    Guard,
    /// Anything else the audit records (approvals, exports, policy).
    Other,
}

/// One audited action of the period (every lever, the guard's arming,
/// approvals, exports; a review's verdicts are summed in section 7).
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// Its number in the record (the plots' markers).
    pub number: usize,
    /// The action id.
    pub action_id: String,
    /// The audit's lever name.
    pub lever: String,
    /// Which step of the runbook.
    pub step: Step,
    /// `true` for a lever, `false` for its restore (`None`: not a lever).
    pub on: Option<bool>,
    /// Who (the guard's rollbacks read "guard (armed by …)").
    pub operator: String,
    /// Why (the operator's words).
    pub reason: String,
    /// One line for people (the plan's title).
    pub summary: String,
    /// When it was confirmed (its intent).
    pub confirmed: UtcNaive,
    /// When its result was recorded.
    pub ended_at: Option<UtcNaive>,
    /// How it ended.
    pub ended: Ended,
    /// The workspaces it changes (names where known).
    pub workspaces: Vec<String>,
    /// Who approved it, when an approval was used.
    pub approved_by: Option<String>,
}

impl Action {
    /// Confirm → verified, when it was verified.
    pub fn took(&self) -> Option<chrono::Duration> {
        match self.ended {
            Ended::Verified => Some(self.ended_at? - self.confirmed),
            _ => None,
        }
    }
}

/// Where the prerequisites' results come from.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadinessSource {
    /// Recorded with the period's first lever that carried them.
    Recorded {
        /// The action's number.
        number: usize,
        /// Its lever.
        lever: String,
        /// When.
        at: UtcNaive,
        /// Who.
        operator: String,
    },
    /// None was recorded: a check run as the record was written.
    Now {
        /// When it ran.
        at: UtcNaive,
    },
    /// None was recorded and no check could run.
    Unavailable {
        /// Why.
        why: String,
    },
}

/// The canary's watch: its numbers against its baselines.
#[derive(Clone, Debug, PartialEq)]
pub struct Watch {
    /// The canary workspaces (names).
    pub workspaces: Vec<String>,
    /// When the canary was enabled.
    pub start: UtcNaive,
    /// When it ended (a rollback's result), or the record's time.
    pub end: UtcNaive,
    /// The action that ended it, if one did.
    pub ended_by: Option<usize>,
    /// The canary since it started, before it (same length) and the others.
    pub arms: (Arm, Arm, Arm),
    /// The verdict at its end.
    pub verdict: Verdict,
}

/// One alarm over the period, with its drafts' first and last claim.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmLine {
    /// Its stable id.
    pub id: String,
    /// How many drafts.
    pub drafts: usize,
    /// The first and last claim of its drafts (none for an env alarm).
    pub span: Option<(UtcNaive, UtcNaive)>,
    /// What was found.
    pub finding: String,
}

/// The 24 hours after the canary started (or the last 24 hours).
#[derive(Clone, Debug, PartialEq)]
pub struct DayReview {
    /// From.
    pub from: UtcNaive,
    /// To (at most the record's time).
    pub to: UtcNaive,
    /// Whether the whole 24 h have passed.
    pub complete: bool,
    /// Per workspace with activity: name, its counts.
    pub rows: Vec<(String, MinuteStats)>,
}

/// The quality review's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Quality {
    /// The decision and its failures.
    pub outcome: Outcome,
    /// Who judged (sorted).
    pub reviewers: Vec<String>,
    /// The first and last verdict.
    pub span: (UtcNaive, UtcNaive),
}

/// The revision loops' stop reasons over the period (V2).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loops {
    /// Loop summaries recorded.
    pub total: usize,
    /// Per stop reason.
    pub by_reason: BTreeMap<String, usize>,
}

impl Loops {
    /// The share that stopped `exhausted`, when any loop ran.
    pub fn exhaustion(&self) -> Option<f64> {
        let n = self.by_reason.get("exhausted").copied().unwrap_or(0);
        (self.total > 0).then(|| n as f64 / self.total as f64)
    }
}

/// One line of a plot.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotLine {
    /// Its legend.
    pub label: String,
    /// One value per bin (`None`: nothing to show there).
    pub values: Vec<Option<f64>>,
}

/// One static plot of the record.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The files' stem (`attempted-applied` → `.svg`, `.png`).
    pub stem: &'static str,
    /// Its title (also the image's alt text).
    pub title: String,
    /// The y axis.
    pub y_label: &'static str,
    /// Bin starts, oldest first.
    pub x: Vec<UtcNaive>,
    /// Minutes per bin.
    pub bin_minutes: i64,
    /// The lines.
    pub lines: Vec<PlotLine>,
    /// Audited actions: (when, its number).
    pub markers: Vec<(UtcNaive, usize)>,
    /// Whether the y axis is a share (0–1, drawn as %).
    pub share: bool,
}

/// Everything the record says.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The profile.
    pub profile: String,
    /// When it was written.
    pub written_at: UtcNaive,
    /// Who wrote it.
    pub written_by: String,
    /// The period: from, to.
    pub period: (UtcNaive, UtcNaive),
    /// How the period was chosen ("the last 48 h", "from action 1a2b3c4d").
    pub period_label: String,
    /// Entries of the period left out because they do not count (shared
    /// rows not verified against the roster).
    pub left_out: usize,
    /// The prerequisites' source and items.
    pub readiness: (ReadinessSource, Vec<ReadinessMark>),
    /// The kill switches as read when the record was written (one line
    /// each), or why they could not be read.
    pub env_now: Result<Vec<String>, String>,
    /// Every audited action of the period, in order.
    pub actions: Vec<Action>,
    /// Quality verdicts in the period (section 7 has their outcome).
    pub verdict_count: usize,
    /// The canary's watch, when a canary was enabled.
    pub watch: Option<Watch>,
    /// Totals over the period: (canary, rest).
    pub totals: (MinuteStats, MinuteStats),
    /// Alarms over the period.
    pub alarms: Vec<AlarmLine>,
    /// Revision-path problems over the period: (label, canary, rest).
    pub problems: Vec<(&'static str, usize, usize)>,
    /// What the database could not show (`None`: all was readable).
    pub problems_note: Option<String>,
    /// The 24 h review.
    pub day: DayReview,
    /// The quality review, when verdicts exist.
    pub quality: Option<Quality>,
    /// The loops' stop reasons (`None`: the database has no loop summaries).
    pub loops: Option<Loops>,
    /// The plots.
    pub plots: Vec<Plot>,
}

/// A time as the record writes it.
pub fn when(t: UtcNaive) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A duration for people: "4.2 s", "3 min 5 s", "2 h 10 min".
pub fn span(d: chrono::Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    if ms < 60_000 {
        return format!("{:.1} s", ms as f64 / 1000.0);
    }
    let s = ms / 1000;
    if s < 3600 {
        return format!("{} min {} s", s / 60, s % 60);
    }
    format!("{} h {} min", s / 3600, (s % 3600) / 60)
}

/// A share as a percentage ("12.5 %"), or "–".
pub fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |x| format!("{:.1} %", x * 100.0))
}

/// Text from outside (a reason, a name, a finding) made safe for one
/// line of CommonMark: line breaks become spaces and every character that
/// could start markup is backslash-escaped, so it reads as written.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let flat: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\r' | '\n' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    for c in crate::core::text::printable(&flat).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&' | '{'
            | '}' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The bin for drawing `minutes` minutes in at most `points` points.
pub fn bin_for(minutes: usize, points: usize) -> usize {
    minutes.div_ceil(points.max(1)).max(1)
}

mod markdown;
pub use markdown::markdown;

#[cfg(test)]
mod tests;
