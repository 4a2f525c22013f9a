//! The quality review of the sampled revisions (runbook step 6: "sample a
//! small set of revised drafts … to confirm quality meets policy"): each
//! draft's text before and after the revision with a word diff, the
//! reviewers' verdicts, and the decision against the policy target from the
//! pass rate's Wilson 95 % interval. Pure: the store reads the texts, the
//! audit log keeps the verdicts.

use crate::core::time::UtcNaive;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The z of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The largest number of further reviews [`decide`] looks for.
const MAX_MORE: usize = 100_000;

/// Why a revision fails review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// The tone is wrong for the lead or the brand.
    Tone,
    /// It states something false (a price, a date, a feature).
    FactualError,
    /// It breaks a policy (opt-out, compliance, a forbidden promise).
    Policy,
    /// Layout, length, signature, links.
    Formatting,
    /// It says something other than the draft meant.
    MeaningChanged,
    /// Anything else (the note says what).
    Other,
}

impl FailReason {
    /// Every reason, in the order the review offers them.
    pub const ALL: [FailReason; 6] = [
        Self::Tone,
        Self::FactualError,
        Self::Policy,
        Self::Formatting,
        Self::MeaningChanged,
        Self::Other,
    ];

    /// The stable id (audit detail, exports).
    pub fn id(self) -> &'static str {
        match self {
            Self::Tone => "tone",
            Self::FactualError => "factual_error",
            Self::Policy => "policy",
            Self::Formatting => "formatting",
            Self::MeaningChanged => "meaning_changed",
            Self::Other => "other",
        }
    }

    /// The reason for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Tone => "tone",
            Self::FactualError => "factual error",
            Self::Policy => "policy",
            Self::Formatting => "formatting",
            Self::MeaningChanged => "meaning changed",
            Self::Other => "other",
        }
    }

    /// The reason of an id, if it is one.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == id)
    }
}

/// One reviewer's judgement of one draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `AIDraft.id`.
    pub draft_id: String,
    /// Pass (`true`) or fail.
    pub pass: bool,
    /// Why it failed (`None` on a pass).
    pub reason: Option<FailReason>,
    /// The reviewer's note (may be empty).
    pub note: String,
    /// Who judged it (the audit entry's operator).
    pub reviewer: String,
    /// When.
    pub at: UtcNaive,
}

/// A verdict as a reviewer gives it (before it is an audit entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement<'a> {
    /// `AIDraft.id`.
    pub draft_id: &'a str,
    /// Pass or fail.
    pub pass: bool,
    /// Why it fails (`None` on a fail is recorded as "other").
    pub reason: Option<FailReason>,
    /// The reviewer's note (may be empty).
    pub note: &'a str,
    /// The seed of the sample it belongs to.
    pub seed: u64,
}

/// The latest verdict per draft among `verdicts` (a reviewer may change
/// their mind; another reviewer's later verdict stands over an earlier one).
pub fn latest(verdicts: &[Verdict]) -> BTreeMap<&str, &Verdict> {
    let mut out: BTreeMap<&str, &Verdict> = BTreeMap::new();
    for v in verdicts {
        match out.get(v.draft_id.as_str()) {
            Some(old) if old.at > v.at => {}
            _ => {
                out.insert(v.draft_id.as_str(), v);
            }
        }
    }
    out
}

/// The Wilson score interval of `passes` in `n` at 95 % (`None` for n = 0).
pub fn wilson(passes: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n_f = n as f64;
    let p = passes.min(n) as f64 / n_f;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = Z95 * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// What the verdicts so far say against the policy target.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// The interval's lower bound is at or above the target.
    MeetsPolicy,
    /// The interval's upper bound is below the target.
    FailsPolicy,
    /// Neither yet: `more` further reviews at the pass rate seen so far
    /// would decide it (`None`: none would — the rate is at the target, or
    /// it takes more than 100 000).
    Undecided {
        /// Further reviews needed, if any number decides it.
        more: Option<usize>,
    },
}

/// The review's decision: counts, the interval, the decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// Drafts judged pass.
    pub passes: usize,
    /// Drafts judged.
    pub judged: usize,
    /// The sample's size.
    pub sample: usize,
    /// The pass rate's Wilson 95 % interval (`None` before any verdict).
    pub interval: Option<(f64, f64)>,
    /// The policy target (e.g. 0.95).
    pub target: f64,
    /// The decision.
    pub decision: Decision,
    /// The failures by reason, each with its draft ids (sorted).
    pub failures: BTreeMap<FailReason, Vec<String>>,
}

impl Outcome {
    /// One line for people: "meets policy: 19/20 pass, 95 % CI [76.4 %, 99.1 %] ≥ 90 %".
    pub fn headline(&self) -> String {
        let ci = self.interval.map_or(String::new(), |(lo, hi)| {
            format!(", 95 % CI [{:.1} %, {:.1} %]", lo * 100.0, hi * 100.0)
        });
        let target = self.target * 100.0;
        let counts = format!("{}/{} pass{ci}", self.passes, self.judged);
        match &self.decision {
            Decision::MeetsPolicy => {
                format!("meets policy: {counts} (lower bound ≥ {target:.0} %)")
            }
            Decision::FailsPolicy => {
                format!("fails policy: {counts} (upper bound < {target:.0} %)")
            }
            Decision::Undecided { more: Some(n) } => format!(
                "undecided — review {n} more (at the pass rate so far): {counts}, target {target:.0} %"
            ),
            Decision::Undecided { more: None } => format!(
                "undecided: {counts}, target {target:.0} %; at this pass rate no number of further reviews decides it"
            ),
        }
    }
}

/// The decision for `passes` of `judged` against `target` (0..1).
pub fn decide(passes: usize, judged: usize, target: f64) -> Decision {
    let target = target.clamp(0.0, 1.0);
    if let Some((lo, hi)) = wilson(passes, judged) {
        if lo >= target {
            return Decision::MeetsPolicy;
        }
        if hi < target {
            return Decision::FailsPolicy;
        }
    }
    Decision::Undecided {
        more: more_needed(passes, judged, target),
    }
}

/// The fewest further reviews that would decide it if they passed at the
/// rate seen so far (all passing, before any verdict).
fn more_needed(passes: usize, judged: usize, target: f64) -> Option<usize> {
    let rate = if judged == 0 {
        1.0
    } else {
        passes as f64 / judged as f64
    };
    if judged > 0 && (rate - target).abs() < 1e-12 {
        return None;
    }
    (1..=MAX_MORE).find(|k| {
        let n = judged + k;
        let p = if judged == 0 {
            n
        } else {
            passes + (rate * *k as f64).round() as usize
        };
        match wilson(p.min(n), n) {
            Some((lo, hi)) => lo >= target || hi < target,
            None => false,
        }
    })
}

/// The outcome of the review of `sample` (draft ids), from every verdict
/// recorded (the latest per draft counts; verdicts on drafts outside the
/// sample do not).
pub fn outcome(sample: &[String], verdicts: &[Verdict], target: f64) -> Outcome {
    let latest = latest(verdicts);
    let mut passes = 0;
    let mut judged = 0;
    let mut failures: BTreeMap<FailReason, Vec<String>> = BTreeMap::new();
    for id in sample {
        let Some(v) = latest.get(id.as_str()) else {
            continue;
        };
        judged += 1;
        if v.pass {
            passes += 1;
        } else {
            failures
                .entry(v.reason.unwrap_or(FailReason::Other))
                .or_default()
                .push(id.clone());
        }
    }
    for ids in failures.values_mut() {
        ids.sort();
    }
    Outcome {
        passes,
        judged,
        sample: sample.len(),
        interval: wilson(passes, judged),
        target: target.clamp(0.0, 1.0),
        decision: decide(passes, judged, target),
        failures,
    }
}

/// One piece of a word diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// In both texts.
    Same(String),
    /// Only before the revision.
    Removed(String),
    /// Only after it.
    Added(String),
}

/// The word-level diff of `before` → `after` (words and the whitespace
/// between them; concatenating the `Same`+`Removed` pieces gives `before`
/// back, `Same`+`Added` gives `after`).
pub fn word_diff(before: &str, after: &str) -> Vec<Piece> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_words(before, after);
    // A changed stretch reads as all that was removed, then all that was
    // added: the blanks between changed words go with both sides.
    let mut out: Vec<Piece> = Vec::new();
    let (mut removed, mut added) = (String::new(), String::new());
    let flush = |out: &mut Vec<Piece>, removed: &mut String, added: &mut String| {
        if !removed.is_empty() {
            out.push(Piece::Removed(std::mem::take(removed)));
        }
        if !added.is_empty() {
            out.push(Piece::Added(std::mem::take(added)));
        }
    };
    let changes: Vec<_> = diff.iter_all_changes().collect();
    for (i, change) in changes.iter().enumerate() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Delete => removed.push_str(text),
            ChangeTag::Insert => added.push_str(text),
            ChangeTag::Equal => {
                let between = (!removed.is_empty() || !added.is_empty())
                    && text.trim().is_empty()
                    && changes[i + 1..]
                        .first()
                        .is_some_and(|c| c.tag() != ChangeTag::Equal);
                if between {
                    removed.push_str(text);
                    added.push_str(text);
                } else {
                    flush(&mut out, &mut removed, &mut added);
                    match out.last_mut() {
                        Some(Piece::Same(a)) => a.push_str(text),
                        _ => out.push(Piece::Same(text.to_owned())),
                    }
                }
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

/// Why the panel shows no text from before the revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum NoBefore {
    /// The database has no pipeline tables (before Phase 123, V0/V1).
    NoPipelineTables,
    /// The draft has no pipeline run (created before the run was written,
    /// or pruned: runs are kept 30 days by default).
    NoRun,
    /// The run has no `final_draft` artifact with a text.
    NoFinalDraft,
}

impl NoBefore {
    /// For people: why there is no "before" (never a guessed text).
    pub fn explain(&self) -> &'static str {
        match self {
            Self::NoPipelineTables => {
                "no text from before the revision: this database has no DraftPipelineRun/DraftPipelineArtifact tables (before Phase 123), so the app kept none"
            }
            Self::NoRun => {
                "no text from before the revision: the draft has no pipeline run (runs are written since 2026-02-09 and pruned after 30 days)"
            }
            Self::NoFinalDraft => {
                "no text from before the revision: its pipeline run has no final_draft artifact with a text"
            }
        }
    }
}

/// The reviser's own account of the applied iteration (its artifact's payload).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Account {
    /// `changesMade`.
    pub changes_made: Vec<String>,
    /// `issuesAddressed`.
    pub issues_addressed: Vec<String>,
    /// `unresolvedRequirements`.
    pub unresolved_requirements: Vec<String>,
}

impl Account {
    /// Reads the reviser artifact's payload leniently (a list of strings,
    /// or one string, under each key).
    pub fn from_payload(payload: &serde_json::Value) -> Self {
        let list = |key: &str| match &payload[key] {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| match i {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                })
                .collect(),
            serde_json::Value::String(s) if !s.is_empty() => vec![s.clone()],
            _ => Vec::new(),
        };
        Self {
            changes_made: list("changesMade"),
            issues_addressed: list("issuesAddressed"),
            unresolved_requirements: list("unresolvedRequirements"),
        }
    }
}

/// A sampled draft's texts for the review.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReviewText {
    /// `AIDraft.id`.
    pub draft_id: String,
    /// The text the evaluator scored before the revision: the run's
    /// `final_draft` artifact (`lib/ai-drafts.ts:6612`, the content the
    /// draft was created with), or why there is none.
    pub before: Result<String, NoBefore>,
    /// The reviser's text of the applied iteration
    /// (`auto_send_revision_reviser` at `autoSendRevisionIterations`,
    /// `lib/auto-send/revision-agent.ts:848`; only loop iterations ≥ 1 are
    /// persisted, so a single-pass SMS revision has none).
    pub after: Option<String>,
    /// The reviser's account of that iteration.
    pub account: Option<Account>,
    /// `AIDraft.content` now.
    pub content_now: String,
}

impl ReviewText {
    /// The revised text to judge: the reviser's, else the draft's content
    /// (which holds the applied revision, contract §3.3).
    pub fn revised(&self) -> &str {
        self.after.as_deref().unwrap_or(&self.content_now)
    }

    /// Whether the content now differs from the reviser's text (an
    /// availability refresh or a person edited it after the apply; the
    /// apply also trims to the channel's limit).
    pub fn content_moved(&self) -> bool {
        self.after
            .as_deref()
            .is_some_and(|a| a.trim() != self.content_now.trim())
    }
}

#[cfg(test)]
mod tests;
