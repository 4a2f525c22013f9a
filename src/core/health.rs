//! The revision path's health, per draft (contract §3.4, §3.6, §9).
//!
//! Every claim of the window is judged once, under the first problem it has,
//! in this order: a reviser failure, a loop that stopped on a timeout or an
//! error, attempts above the clamp in force, or a claim still without a
//! revised confidence after [`STUCK_AFTER`] that nothing else explains. A
//! draft is therefore never counted twice, and the per-minute series can be
//! stacked.
//!
//! The sources, and the app lines they follow (ZRG-Dashboard a0c30ab):
//! - `auto_send.revise` rows (`AIInteraction`): one per reviser call; an
//!   `error` status is a failed call (`lib/ai/prompt-runner/runner.ts:574,588`
//!   writes a token-budget retry of one call as its own row, promptKey
//!   `….retryN`: it is not a second attempt).
//! - `loop_error` artifacts: the reviser returned no draft
//!   (`lib/auto-send/revision-agent.ts:756-758`, email with a pipeline run).
//! - loop summaries (`auto_send.revision_loop`): `stopReason` `timeout` or
//!   `error` (`lib/auto-send/orchestrator.ts:478,496`: a `deadline_exceeded`
//!   in the reviser or the re-evaluation ends as `error`).
//!
//! Rows are tied to a claim by lead and time: the latest claim of the same
//! lead stamped at or before the row, within [`CALLS_WITHIN`] (retries can
//! re-enter the reviser after the stamp, which is written once). A call that
//! two claims of one lead could own is not counted as an attempt of either;
//! an error row still makes one reviser failure (of the latest claim).

use crate::core::alarms::{ClaimFact, LoopSummary};
use crate::core::metrics::STUCK_AFTER;
use crate::core::time::{UtcNaive, floor_minute};
use chrono::Duration;
use serde::Serialize;
use std::collections::BTreeMap;

/// How long after a claim a reviser row of its lead still belongs to it
/// (unless the lead was claimed again): job retries re-enter the reviser
/// minutes after the first claim.
pub const CALLS_WITHIN: Duration = Duration::minutes(30);

/// What the database cannot show, said next to the plot.
pub const BLIND_SPOTS: &str = "Not in the database: a deadline_exceeded on an SMS draft (no loop summary is written for SMS; it shows here only as stuck), \
     and failed writes of the selector flag, the revised confidence or the apply, which the app ignores or only logs. \
     Vercel's function logs have both: \"[AutoSend] Revision loop failed; continuing without revision\".";

/// The log line the app writes when the revision loop fails
/// (`lib/auto-send/orchestrator.ts:478`).
pub const LOOP_FAILED_LOG: &str = "Revision loop failed";

/// One `auto_send.revise` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviseCall {
    /// `AIInteraction.leadId`.
    pub lead_id: String,
    /// When it was recorded.
    pub at: UtcNaive,
    /// `status = 'error'`.
    pub error: bool,
    /// A token-budget retry of the same call (promptKey `….retryN`).
    pub runner_retry: bool,
}

impl ReviseCall {
    /// Whether a prompt key names a runner retry (`….retry2`, `….retry3`).
    pub fn is_runner_retry(prompt_key: Option<&str>) -> bool {
        prompt_key
            .and_then(|k| k.rsplit_once(".retry"))
            .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// One `loop_error` artifact of a draft's pipeline run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopError {
    /// The run's `draftId`.
    pub draft_id: String,
    /// The loop iteration that failed.
    pub iteration: i64,
}

/// What the store could read for the judgement. `None`: the table is not
/// there (or lacks the columns), so that source says nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathRows {
    /// `auto_send.revise` rows since the window's start.
    pub calls: Option<Vec<ReviseCall>>,
    /// `loop_error` artifacts of the window's claims.
    pub loop_errors: Option<Vec<LoopError>>,
}

/// A draft's problem; the order is the precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The reviser failed: an `auto_send.revise` error or a `loop_error` artifact.
    ReviserFailure,
    /// The loop stopped on `timeout` or `error` (a `deadline_exceeded`).
    LoopTimeout,
    /// More attempts than the clamp in force allows.
    RepeatedAttempts,
    /// No revised confidence after the stuck time, and nothing above explains it.
    Stuck,
}

impl Problem {
    /// All, in precedence order.
    pub const ALL: [Problem; 4] = [
        Problem::ReviserFailure,
        Problem::LoopTimeout,
        Problem::RepeatedAttempts,
        Problem::Stuck,
    ];

    /// Label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::ReviserFailure => "reviser failures",
            Self::LoopTimeout => "loop timeouts/errors",
            Self::RepeatedAttempts => "attempts above the clamp",
            Self::Stuck => "stuck, nothing else recorded",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One draft with a problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DraftProblem {
    /// `AIDraft.id`.
    pub draft_id: String,
    /// The workspace.
    pub client_id: String,
    /// The claim stamp (the minute it is plotted at).
    pub stamp: UtcNaive,
    /// Its problem (the first, in precedence order).
    pub problem: Problem,
    /// What was seen, in one line.
    pub detail: String,
}

/// The judgement over a window's claims.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Health {
    /// Claims judged.
    pub claims: usize,
    /// The drafts with a problem, by claim stamp.
    pub problems: Vec<DraftProblem>,
    /// Whether `auto_send.revise` rows could be read.
    pub calls_readable: bool,
    /// Whether `loop_error` artifacts could be read.
    pub artifacts_readable: bool,
}

/// The bound on reviser attempts per claim: the email loop runs up to the
/// workspace's `autoSendRevisionMaxIterations` clamped to 1..3 (default 3);
/// other channels one pass (contract §3.4).
pub fn clamp_in_force(channel: &str, max_iterations: Option<i64>) -> i64 {
    match channel {
        "email" => max_iterations.unwrap_or(3).clamp(1, 3),
        _ => 1,
    }
}

#[derive(Default)]
struct Seen {
    calls: i64,
    errors: i64,
    loop_errors: Vec<i64>,
}

/// Judges every claim once (see the module's doc).
pub fn judge(
    claims: &[ClaimFact],
    loops: &[LoopSummary],
    rows: &PathRows,
    now: UtcNaive,
) -> Health {
    // Claims by lead, in stamp order, to tie rows to their claim.
    let mut by_lead: BTreeMap<&str, Vec<(UtcNaive, usize)>> = BTreeMap::new();
    for (i, c) in claims.iter().enumerate() {
        by_lead.entry(&c.lead_id).or_default().push((c.stamp, i));
    }
    for v in by_lead.values_mut() {
        v.sort();
    }
    let mut seen: Vec<Seen> = claims.iter().map(|_| Seen::default()).collect();
    for call in rows.calls.iter().flatten() {
        let Some(list) = by_lead.get(call.lead_id.as_str()) else {
            continue;
        };
        // The lead's claims this row can belong to, latest first.
        let mut candidates = list
            .iter()
            .rev()
            .filter(|(s, _)| *s <= call.at && call.at - *s < CALLS_WITHIN);
        let Some(&(_, i)) = candidates.next() else {
            continue;
        };
        // With two claims of one lead under way (an email and an SMS draft,
        // say), a call cannot be told apart: it is not counted as an attempt
        // of either (the loop summaries, which name their draft, still are).
        let ambiguous = candidates.next().is_some();
        if !call.runner_retry && !ambiguous {
            seen[i].calls += 1;
        }
        if call.error {
            seen[i].errors += 1;
        }
    }
    let index: BTreeMap<&str, usize> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| (c.draft_id.as_str(), i))
        .collect();
    for e in rows.loop_errors.iter().flatten() {
        if let Some(&i) = index.get(e.draft_id.as_str()) {
            seen[i].loop_errors.push(e.iteration);
        }
    }
    let mut summary: BTreeMap<&str, &LoopSummary> = BTreeMap::new();
    for l in loops {
        summary.insert(&l.draft_id, l);
    }

    let mut problems = Vec::new();
    for (c, s) in claims.iter().zip(&seen) {
        let clamp = clamp_in_force(&c.channel, c.max_iterations);
        let loop_sum = summary.get(c.draft_id.as_str()).copied();
        let found = if s.errors > 0 || !s.loop_errors.is_empty() {
            let mut parts = Vec::new();
            if s.errors > 0 {
                parts.push(format!("{} auto_send.revise error(s)", s.errors));
            }
            if !s.loop_errors.is_empty() {
                let its: Vec<String> = s.loop_errors.iter().map(i64::to_string).collect();
                parts.push(format!("loop_error in iteration {}", its.join(", ")));
            }
            Some((Problem::ReviserFailure, parts.join("; ")))
        } else if let Some(l) =
            loop_sum.filter(|l| matches!(l.stop_reason.as_str(), "timeout" | "error"))
        {
            Some((
                Problem::LoopTimeout,
                format!(
                    "loop stopped on {} after {} iteration(s){}",
                    l.stop_reason,
                    l.iterations_used,
                    if l.stop_reason == "error" {
                        " (a deadline_exceeded or another exception: its text is only in Vercel's logs)"
                    } else {
                        " (less than 5 s of the loop budget left)"
                    }
                ),
            ))
        } else if let Some(n) = loop_sum
            .map(|l| l.iterations_used)
            .into_iter()
            .chain([s.calls])
            .chain(
                c.iterations
                    .map(|i| if c.channel == "email" { i } else { i + 1 }),
            )
            .filter(|n| *n > clamp)
            .max()
        {
            Some((
                Problem::RepeatedAttempts,
                format!("{n} attempts on a clamp of {clamp} ({})", c.channel),
            ))
        } else if !c.revised && now - c.stamp >= STUCK_AFTER {
            Some((
                Problem::Stuck,
                format!(
                    "no revised confidence {} min after the claim",
                    (now - c.stamp).num_minutes()
                ),
            ))
        } else {
            None
        };
        if let Some((problem, detail)) = found {
            problems.push(DraftProblem {
                draft_id: c.draft_id.clone(),
                client_id: c.client_id.clone(),
                stamp: c.stamp,
                problem,
                detail,
            });
        }
    }
    problems.sort_by(|a, b| (a.stamp, &a.draft_id).cmp(&(b.stamp, &b.draft_id)));
    Health {
        claims: claims.len(),
        problems,
        calls_readable: rows.calls.is_some(),
        artifacts_readable: rows.loop_errors.is_some(),
    }
}

impl Health {
    /// Drafts per problem, in precedence order.
    pub fn counts(&self) -> [usize; 4] {
        let mut n = [0; 4];
        for p in &self.problems {
            n[p.problem.index()] += 1;
        }
        n
    }

    /// The draft ids of one problem, all of them.
    pub fn draft_ids(&self, problem: Problem) -> Vec<String> {
        self.problems
            .iter()
            .filter(|p| p.problem == problem)
            .map(|p| p.draft_id.clone())
            .collect()
    }

    /// Only the claims stamped in `[from, to)`.
    pub fn between(&self, from: UtcNaive, to: UtcNaive) -> Health {
        Health {
            claims: self.claims,
            problems: self
                .problems
                .iter()
                .filter(|p| p.stamp >= from && p.stamp < to)
                .cloned()
                .collect(),
            ..*self
        }
    }

    /// Drafts per problem in each `bin`-minute bin starting at the given
    /// minutes (the plots' x axis): each draft in the bin of its claim.
    pub fn binned(&self, minutes: &[UtcNaive], bin: i64) -> Vec<[u64; 4]> {
        let mut out = vec![[0u64; 4]; minutes.len()];
        let bin = Duration::minutes(bin.max(1));
        for p in &self.problems {
            let m = floor_minute(p.stamp);
            let slot = minutes.partition_point(|start| *start <= m);
            if slot == 0 {
                continue;
            }
            let i = slot - 1;
            if m < minutes[i] + bin {
                out[i][p.problem.index()] += 1;
            }
        }
        out
    }

    /// What a reader must know about the sources that were not readable.
    pub fn unreadable_note(&self) -> Option<String> {
        let mut missing = Vec::new();
        if !self.calls_readable {
            missing.push("AIInteraction (reviser errors and repeated calls)");
        }
        if !self.artifacts_readable {
            missing.push("DraftPipelineArtifact (loop_error)");
        }
        (!missing.is_empty()).then(|| {
            format!(
                "not readable in this database, so not counted: {}",
                missing.join(", ")
            )
        })
    }
}

/// Where on-call reads what the database cannot show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VercelLogs {
    /// The dashboard's logs, searched for [`LOOP_FAILED_LOG`].
    pub url: String,
    /// The same with the Vercel CLI.
    pub command: String,
}

impl VercelLogs {
    /// For a profile's team (id or slug) and project (id or name).
    pub fn new(team: Option<&str>, project: &str) -> Self {
        Self {
            url: vercel_logs_url(team, project),
            command: vercel_logs_command(team, project),
        }
    }
}

/// The project's Vercel runtime logs, filtered for the loop's failure line.
///
/// The dashboard's logs page is `https://vercel.com/{team}/{project}/logs`
/// (team slug, project name); its search box is the `searchQuery` parameter.
/// A team id (`team_…`), a project id (`prj_…`) or no team (a personal
/// account) cannot be put in a dashboard path: then the link goes through
/// Vercel's `/d?to=` redirect, which asks for the team and project.
pub fn vercel_logs_url(team: Option<&str>, project: &str) -> String {
    let query = format!("searchQuery={}", encode(LOOP_FAILED_LOG));
    let slug = team.filter(|t| !t.starts_with("team_") && !t.is_empty());
    let name = (!project.starts_with("prj_") && !project.is_empty()).then_some(project);
    match (slug, name) {
        (Some(t), Some(p)) => format!(
            "https://vercel.com/{}/{}/logs?{query}",
            encode(t),
            encode(p)
        ),
        (t, p) => {
            let path = format!(
                "/{}/{}/logs?{query}",
                t.map_or_else(|| "[team]".to_owned(), encode),
                p.map_or_else(|| "[project]".to_owned(), encode)
            );
            format!("https://vercel.com/d?to={}", encode(&path))
        }
    }
}

/// The same search with the Vercel CLI (`vercel logs --query`).
pub fn vercel_logs_command(team: Option<&str>, project: &str) -> String {
    let scope = team.map_or_else(String::new, |t| format!(" --scope {t}"));
    format!("vercel logs --project {project}{scope} --query \"{LOOP_FAILED_LOG}\" --since 1h")
}

/// Form-encodes a URL component (`url::form_urlencoded`).
fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests;
