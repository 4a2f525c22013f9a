//! Invariant alarms (contract §3): each names the workspaces and drafts
//! involved and the lever that fits. Pure: evaluated over the claims of the
//! window and facts the panel already has (toggles, env liveness, the
//! verdict, the audit log).

use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, EnvSnapshot, Live};
use crate::core::time::UtcNaive;
use crate::core::verdict::{Verdict, VerdictState, pp};
use crate::core::workspace::{RevisionToggle, Workspace};
use chrono::Duration;
use serde::Serialize;

/// A claim after a switch turned revision off is only a violation once the
/// grace has passed: the app reads the toggle and the env when a background
/// job starts, and jobs keep running (and claiming) for up to ~14 min on the
/// old value (contract §9). The profile's `grace_minutes` sets it.
pub const DEFAULT_GRACE: Duration =
    Duration::minutes(crate::core::profile::DEFAULT_GRACE_MINUTES as i64);

/// What every alarm and check that allows the grace says about it.
pub fn grace_note(grace: Duration) -> String {
    format!(
        "grace {} min: attempts within the grace after a change are expected, jobs already running finish with the old value",
        grace.num_minutes()
    )
}

/// Without a better record, a deployment is taken to serve this long after
/// it was created (builds take 1–3 minutes).
pub const BUILD_GRACE: Duration = Duration::minutes(10);

/// A kill switch held ON longer than this after a rollback is stale.
pub const STALE_AFTER: Duration = Duration::hours(24);

/// One claim of the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimFact {
    /// `AIDraft.id`.
    pub draft_id: String,
    /// The draft's workspace (`Lead.clientId`).
    pub client_id: String,
    /// `AIDraft.leadId` (ties `AIInteraction` rows to the claim).
    pub lead_id: String,
    /// Whether `autoSendRevisionConfidence` is set.
    pub revised: bool,
    /// `autoSendRevisionAttemptedAt`.
    pub stamp: UtcNaive,
    /// `AIDraft.channel`.
    pub channel: String,
    /// `autoSendRevisionIterations` (V2; written on apply).
    pub iterations: Option<i64>,
    /// The workspace's `autoSendRevisionMaxIterations` (V2).
    pub max_iterations: Option<i64>,
}

/// One revision loop's summary, as the app records it (an `AIInteraction`
/// row `auto_send.revision_loop`, metadata: draftId, stopReason,
/// iterationsUsed, cacheHits, channel; `lib/auto-send/loop-observability.ts`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoopSummary {
    /// The draft (`metadata.draftId`).
    pub draft_id: String,
    /// The workspace.
    pub client_id: String,
    /// `metadata.stopReason` (threshold_met, hard_block, no_improvement,
    /// timeout, exhausted, error).
    pub stop_reason: String,
    /// `metadata.iterationsUsed`.
    pub iterations_used: i64,
    /// `metadata.cacheHits` (a retry that reused cached artifacts).
    pub cache_hits: Option<i64>,
    /// `metadata.channel`.
    pub channel: String,
    /// When it was recorded.
    pub at: UtcNaive,
}

/// What an alarm is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// Revision attempts in a workspace whose toggle was off.
    AttemptWhileToggleOff,
    /// Revision attempts after the revision kill switch went live ON.
    AttemptAfterKillSwitch,
    /// Revision attempts while all auto-send is live OFF.
    AttemptWhileAutoSendOff,
    /// More attempts per draft than the bound allows.
    AttemptsAboveBound,
    /// The canary's needs_review share is above its baseline (the verdict).
    NeedsReviewHarm,
    /// The revision kill switch held ON more than 24 h after a rollback.
    StaleKillSwitch,
    /// A toggle or a runbook env variable changed with no panel action
    /// explaining it (the admin page, psql, the Vercel dashboard).
    ChangedOutsidePanel,
    /// The runtime logs show the canary's revision path failing (loops that
    /// failed, `deadline_exceeded` or other, and failed DB writes): errors
    /// the app only prints, never stores.
    RevisionPathErrors,
}

/// One alarm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alarm {
    /// Stable id (kind and scope).
    pub id: String,
    /// What it is about.
    pub kind: AlarmKind,
    /// The workspaces involved.
    pub workspace_ids: Vec<String>,
    /// Every draft involved.
    pub draft_ids: Vec<String>,
    /// How many (`draft_ids.len()`).
    pub draft_count: usize,
    /// The grace it allowed after the change, in minutes (alarms about
    /// attempts after a change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_minutes: Option<i64>,
    /// What was found, for people.
    pub finding: String,
    /// The lever that fits (the CLI's lever name).
    pub suggested_lever: String,
}

/// The facts besides the claims.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// Now (the panel's clock).
    pub now: UtcNaive,
    /// Where the window starts.
    pub window_start: UtcNaive,
    /// Workspaces and toggles.
    pub workspaces: &'a [Workspace],
    /// The env, when read.
    pub env: Option<&'a EnvSnapshot>,
    /// The verdict, when computed.
    pub verdict: Option<&'a Verdict>,
    /// The canary workspaces.
    pub canary_ids: &'a [String],
    /// Levers the audit log records as done and verified: (lever name as
    /// the CLI spells it, when its result was written).
    pub verified: &'a [(String, UtcNaive)],
    /// How long after a change attempts are still expected.
    pub grace: Duration,
    /// The revision loops' summaries of the window (empty when the app
    /// records none, or `AIInteraction` cannot be read).
    pub loops: &'a [LoopSummary],
}

fn fmt(t: UtcNaive) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn ids(claims: &[&ClaimFact]) -> Vec<String> {
    claims.iter().map(|c| c.draft_id.clone()).collect()
}

impl Alarm {
    /// An alarm about `drafts` (all of them are listed).
    fn about(
        id: String,
        kind: AlarmKind,
        workspace_ids: Vec<String>,
        drafts: Vec<String>,
        finding: String,
        suggested_lever: &str,
    ) -> Self {
        Self {
            id,
            kind,
            workspace_ids,
            draft_count: drafts.len(),
            draft_ids: drafts,
            grace_minutes: None,
            finding,
            suggested_lever: suggested_lever.to_owned(),
        }
    }

    fn with_grace(mut self, grace: Duration) -> Self {
        self.grace_minutes = Some(grace.num_minutes());
        self
    }
}

fn workspaces_of(claims: &[&ClaimFact]) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> =
        claims.iter().map(|c| c.client_id.as_str()).collect();
    set.into_iter().map(str::to_owned).collect()
}

/// Since when a switch is live ON, if it is: the panel's own verified flip
/// (the audit result of the lever that set it) when there is one after the
/// serving deployment was created, else the serving deployment's creation
/// plus [`BUILD_GRACE`].
fn live_on_since(
    env: &EnvSnapshot,
    key: &'static str,
    lever: &str,
    verified: &[(String, UtcNaive)],
) -> Option<UtcNaive> {
    let flag = env.flag(key);
    if flag.live != Live::Known(true) {
        return None;
    }
    let serving = env.serving.as_ref()?;
    let verified = verified
        .iter()
        .filter(|(l, at)| l == lever && *at >= serving.created_at)
        .map(|(_, at)| *at)
        .min();
    Some(verified.unwrap_or(serving.created_at + BUILD_GRACE))
}

/// Evaluates every invariant; an empty list means all hold.
pub fn evaluate(f: &Facts<'_>, claims: &[ClaimFact]) -> Vec<Alarm> {
    let mut out = Vec::new();
    toggle_off(f, claims, &mut out);
    if let Some(env) = f.env {
        // (switch, the lever that sets it, kind, what happened, the lever that fits)
        for (key, lever, kind, what, fits) in [
            (
                AUTO_SEND_REVISION_DISABLED,
                "revision-kill-switch",
                AlarmKind::AttemptAfterKillSwitch,
                "the revision kill switch went live ON",
                "auto-send-kill-switch",
            ),
            (
                AUTO_SEND_DISABLED,
                "auto-send-kill-switch",
                AlarmKind::AttemptWhileAutoSendOff,
                "all auto-send went live OFF",
                "revision-kill-switch",
            ),
        ] {
            let Some(since) = live_on_since(env, key, lever, f.verified) else {
                continue;
            };
            let after = since + f.grace;
            let bad: Vec<&ClaimFact> = claims.iter().filter(|c| c.stamp > after).collect();
            if bad.is_empty() {
                continue;
            }
            out.push(
                Alarm::about(
                    format!("{}:{key}", kind_id(kind)),
                    kind,
                    workspaces_of(&bad),
                    ids(&bad),
                    format!(
                        "{} revision attempt(s) after {what} ({key}, live since {}; {}): the app is not honouring the switch, or another deployment serves",
                        bad.len(),
                        fmt(since),
                        grace_note(f.grace)
                    ),
                    fits,
                )
                .with_grace(f.grace),
            );
        }
        stale_kill_switch(f, env, &mut out);
    }
    above_bound(claims, f.loops, &mut out);
    if let Some(v) = f.verdict
        && v.state == VerdictState::HarmDetected
    {
        out.push(Alarm::about(
            "needs-review-harm".to_owned(),
            AlarmKind::NeedsReviewHarm,
            f.canary_ids.to_vec(),
            Vec::new(),
            format!(
                "the canary's needs_review share is above its baseline: {} (interval {}); harm line +{:.0} pp",
                v.estimate.map_or("?".to_owned(), pp),
                v.interval
                    .map_or("?".to_owned(), |(lo, hi)| format!("{} to {}", pp(lo), pp(hi))),
                v.settings.tolerance * 100.0
            ),
            "workspace-rollback",
        ));
    }
    out
}

/// The runtime-log alarm holds when at least this many of the canary's
/// revision loops failed in the window…
pub const LOG_ALARM_MIN: u64 = 5;
/// … and they are at least this share of its attempts in the window (the
/// loop fails now and then by design: a slow model call ends as
/// `deadline_exceeded`, and the draft goes to review).
pub const LOG_ALARM_SHARE: f64 = 0.25;
/// Or when at least this many DB writes of the canary failed.
pub const LOG_ALARM_DB_MIN: u64 = 3;

/// The alarm on what the runtime logs counted for the canary over the last
/// `minutes`, against its revision claims in the same span; it names every
/// draft; `None` when it does not hold.
pub fn log_alarm(
    canary_ids: &[String],
    canary: &crate::core::runtime_log::Totals,
    claims: &[ClaimFact],
    minutes: i64,
    now: UtcNaive,
) -> Option<Alarm> {
    let since = now - Duration::minutes(minutes);
    let attempted = claims
        .iter()
        .filter(|c| c.stamp >= since && canary_ids.contains(&c.client_id))
        .count() as u64;
    let failed = canary.revision_loop_failed;
    let share = (attempted > 0).then(|| failed as f64 / attempted as f64);
    let loops = failed >= LOG_ALARM_MIN && share.is_none_or(|s| s >= LOG_ALARM_SHARE);
    let writes = canary.db_write_failed >= LOG_ALARM_DB_MIN;
    if !(loops || writes) {
        return None;
    }
    let ids = &canary.draft_ids;
    let mut drafts: Vec<String> = ids
        .deadline_exceeded
        .iter()
        .chain(&ids.other_error)
        .chain(&ids.db_write_failed)
        .cloned()
        .collect();
    drafts.sort_unstable();
    drafts.dedup();
    let of = share.map_or(String::new(), |s| {
        format!(" of {attempted} attempts ({:.0} %)", s * 100.0)
    });
    Some(Alarm::about(
        "revision-path-errors".to_owned(),
        AlarmKind::RevisionPathErrors,
        canary_ids.to_vec(),
        drafts,
        format!(
            "the runtime logs show the canary's revision path failing in the last {minutes} min: {failed} revision loops failed{of} ({} deadline_exceeded, {} other), {} DB writes failed",
            canary.deadline_exceeded, canary.other_error, canary.db_write_failed
        ),
        "workspace-rollback",
    ))
}

fn kind_id(kind: AlarmKind) -> &'static str {
    match kind {
        AlarmKind::AttemptWhileToggleOff => "toggle-off",
        AlarmKind::AttemptAfterKillSwitch => "kill-switch",
        AlarmKind::AttemptWhileAutoSendOff => "auto-send-off",
        AlarmKind::AttemptsAboveBound => "above-bound",
        AlarmKind::NeedsReviewHarm => "needs-review-harm",
        AlarmKind::StaleKillSwitch => "stale-kill-switch",
        AlarmKind::RevisionPathErrors => "revision-path-errors",
        AlarmKind::ChangedOutsidePanel => "outside",
    }
}

/// Claims in a workspace whose toggle is off, after it went off (its settings
/// `updatedAt`; any time in the window when it has no settings row).
fn toggle_off(f: &Facts<'_>, claims: &[ClaimFact], out: &mut Vec<Alarm>) {
    for w in f.workspaces {
        let off_since = match w.toggle {
            RevisionToggle::Disabled => w.settings_updated_at.unwrap_or(f.window_start),
            RevisionToggle::NoSettingsRow => f.window_start,
            RevisionToggle::Enabled | RevisionToggle::ColumnMissing => continue,
        };
        let after = off_since + f.grace;
        let bad: Vec<&ClaimFact> = claims
            .iter()
            .filter(|c| c.client_id == w.id && c.stamp > after)
            .collect();
        if bad.is_empty() {
            continue;
        }
        out.push(
            Alarm::about(
                format!("toggle-off:{}", w.id),
                AlarmKind::AttemptWhileToggleOff,
                vec![w.id.clone()],
                ids(&bad),
                format!(
                    "{} revision attempt(s) in {} while its toggle is {} (off since {}; {}): the toggle is not what gates revision here",
                    bad.len(),
                    w.name,
                    w.toggle.label(),
                    fmt(off_since),
                    grace_note(f.grace)
                ),
                "revision-kill-switch",
            )
            .with_grace(f.grace),
        );
    }
}

/// Attempts per draft above the bound, each draft once: single-pass channels
/// (sms, linkedin) revise once (iteration 0 on the draft, one loop
/// iteration); the email loop at most the workspace's
/// `autoSendRevisionMaxIterations` (clamped to 1..3, default 3). Seen on the
/// draft's `autoSendRevisionIterations`, or in the loop summary's
/// `iterationsUsed` (contract §9: the stamp alone cannot show repeats).
fn above_bound(claims: &[ClaimFact], loops: &[LoopSummary], out: &mut Vec<Alarm>) {
    let cap = crate::core::health::clamp_in_force;
    // (draft, workspace, used, allowed)
    let mut bad: Vec<(String, String, i64, i64)> = Vec::new();
    for c in claims {
        // The draft's column counts from 0 on single-pass channels.
        let bound = match c.channel.as_str() {
            "email" => cap("email", c.max_iterations),
            _ => 0,
        };
        if let Some(i) = c.iterations.filter(|i| *i > bound) {
            bad.push((c.draft_id.clone(), c.client_id.clone(), i, bound));
        }
    }
    for l in loops {
        let max = claims
            .iter()
            .find(|c| c.draft_id == l.draft_id)
            .and_then(|c| c.max_iterations);
        let bound = cap(&l.channel, max);
        if l.iterations_used > bound && !bad.iter().any(|(d, ..)| *d == l.draft_id) {
            bad.push((
                l.draft_id.clone(),
                l.client_id.clone(),
                l.iterations_used,
                bound,
            ));
        }
    }
    if bad.is_empty() {
        return;
    }
    let worst = bad
        .iter()
        .map(|(_, _, used, allowed)| (*used, *allowed))
        .max()
        .unwrap_or_default();
    let workspaces: std::collections::BTreeSet<String> =
        bad.iter().map(|(_, w, ..)| w.clone()).collect();
    let finding = format!(
        "{} draft(s) revised more often than allowed (worst: {} where the bound is {}; single-pass channels allow one attempt; a loop summary's iterationsUsed counts too)",
        bad.len(),
        worst.0,
        worst.1
    );
    out.push(Alarm::about(
        "above-bound".to_owned(),
        AlarmKind::AttemptsAboveBound,
        workspaces.into_iter().collect(),
        bad.into_iter().map(|(d, ..)| d).collect(),
        finding,
        "revision-kill-switch",
    ));
}

/// The revision kill switch configured and live ON for more than 24 h after
/// a rollback (the panel's own kill-switch flip, or a canary held by it).
fn stale_kill_switch(f: &Facts<'_>, env: &EnvSnapshot, out: &mut Vec<Alarm>) {
    let flag = env.flag(AUTO_SEND_REVISION_DISABLED);
    if !(flag.configured_on && flag.live == Live::Known(true)) {
        return;
    }
    let Some(record) = env.configured.get(AUTO_SEND_REVISION_DISABLED) else {
        return;
    };
    let since = record.updated_at;
    if f.now - since <= STALE_AFTER {
        return;
    }
    let rolled_back = f
        .verified
        .iter()
        .any(|(l, at)| l == "revision-kill-switch" && *at >= since);
    let held: Vec<String> = f
        .workspaces
        .iter()
        .filter(|w| w.toggle.is_on())
        .map(|w| w.id.clone())
        .collect();
    if !rolled_back && held.is_empty() {
        // Deployed dark before any canary: a long-held switch is the plan.
        return;
    }
    out.push(Alarm::about(
        "stale-kill-switch".to_owned(),
        AlarmKind::StaleKillSwitch,
        held,
        Vec::new(),
        format!(
            "the revision kill switch has been ON since {} ({} h) after a rollback: fix the cause and restore it, or roll the workspaces back for good",
            fmt(since),
            (f.now - since).num_hours()
        ),
        "revision-kill-switch",
    ));
}

#[cfg(test)]
mod tests;
