//! The guarded canary (issue 29): the rules under which the panel rolls the
//! canary back itself, and how it decides — pure, on the readings it is
//! given.
//!
//! The only lever the guard ever pulls is the smallest and safest one: the
//! canary workspaces' toggles off (a workspace rollback), the state they had
//! before the canary. It never pulls a kill switch and never turns anything
//! on. It acts only on fresh data: a read that failed, data older than the
//! poll allows or a verdict with too few drafts makes it **blind**, never
//! trigger-happy. A rule fires only when it holds on two consecutive fresh
//! readings at least [`GuardSettings::confirm_gap`] apart (no single-poll
//! flap).

use crate::core::time::UtcNaive;
use crate::core::verdict::VerdictState;
use chrono::Duration;
use serde::Serialize;

/// A rule the guard watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The canary verdict is *harm detected* (anytime-valid, sticky).
    Harm,
    /// Drafts in the canary revised more often than the bound allows.
    AttemptsAboveBound,
    /// Stuck claims and reviser failures in the canary above a share of
    /// its attempts.
    ReviserFailures,
    /// Revision-path errors in the canary from production's runtime logs
    /// (the `revision_path_errors` alarm: loop failures or failed DB writes).
    RevisionPathErrors,
}

impl Rule {
    /// Every rule, in the order they are checked.
    pub const ALL: [Rule; 4] = [
        Rule::Harm,
        Rule::AttemptsAboveBound,
        Rule::ReviserFailures,
        Rule::RevisionPathErrors,
    ];

    /// The rule's stable id (audit entries, JSON).
    pub fn id(self) -> &'static str {
        match self {
            Self::Harm => "harm",
            Self::AttemptsAboveBound => "attempts-above-bound",
            Self::ReviserFailures => "reviser-failures",
            Self::RevisionPathErrors => "revision-path-errors",
        }
    }

    /// The rule and its evidence threshold, for people (the dialog, the
    /// README, `guard status`).
    pub fn describe(self, s: &GuardSettings) -> String {
        match self {
            Self::Harm => "the canary verdict is \"harm detected\" (needs_review share above its baseline, anytime-valid)".to_owned(),
            Self::AttemptsAboveBound => format!(
                "at least {} canary draft(s) revised more often than the bound allows",
                s.bound_min_drafts
            ),
            Self::ReviserFailures => format!(
                "reviser failures, loop timeouts and stuck claims in the canary at least {:.0} % of its attempts and at least {}",
                s.failure_share * 100.0,
                s.failure_min
            ),
            Self::RevisionPathErrors => "production's runtime logs show the canary's revision path failing (in the last hour at least 5 loop failures and at least 25 % of its attempts, or at least 3 failed DB writes; a log reader that cannot see never fires it)".to_owned(),
        }
    }
}

/// The guard's thresholds: defaults that need no tuning.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GuardSettings {
    /// Drafts above the attempts bound that make the rule hold.
    pub bound_min_drafts: usize,
    /// The share of the canary's attempts with a reviser failure, loop
    /// timeout or stuck claim that makes the rule hold…
    pub failure_share: f64,
    /// … with at least this many such drafts.
    pub failure_min: usize,
    /// A rule must hold on two readings at least this far apart.
    pub confirm_gap: Duration,
    /// A reading older than this (the data's age) is stale: blind.
    pub stale_after: Duration,
    /// Blind this long: the operator is told (once).
    pub blind_notice_after: Duration,
    /// The acting guard's heartbeat older than this (by the database
    /// server's clock) while armed: "guard down".
    pub down_after: Duration,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self {
            bound_min_drafts: 3,
            failure_share: 0.20,
            failure_min: 5,
            confirm_gap: Duration::seconds(30),
            stale_after: Duration::minutes(2),
            blind_notice_after: Duration::minutes(3),
            down_after: Duration::minutes(2),
        }
    }
}

/// A profile's `[profiles.NAME.guard]` table: each key overrides one
/// default of [`GuardSettings`] (out-of-range values are clamped), and
/// `dry_run` makes every arming from this profile a dry run unless the
/// operator unticks it.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GuardProfile {
    /// See [`GuardSettings::bound_min_drafts`] (1–1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_min_drafts: Option<usize>,
    /// See [`GuardSettings::failure_share`] (0.01–1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_share: Option<f64>,
    /// See [`GuardSettings::failure_min`] (1–1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_min: Option<usize>,
    /// See [`GuardSettings::confirm_gap`], in seconds (10–600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_gap_secs: Option<u64>,
    /// See [`GuardSettings::down_after`], in seconds (5–3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_after_secs: Option<u64>,
    /// Arm as a dry run by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

impl GuardProfile {
    /// The settings these keys make, the defaults for the rest.
    pub fn settings(&self) -> GuardSettings {
        let d = GuardSettings::default();
        let secs = |v: Option<u64>, lo: u64, hi: u64, def: Duration| {
            v.map_or(def, |s| Duration::seconds(s.clamp(lo, hi) as i64))
        };
        GuardSettings {
            bound_min_drafts: self
                .bound_min_drafts
                .map_or(d.bound_min_drafts, |n| n.clamp(1, 1000)),
            failure_share: self
                .failure_share
                .filter(|f| f.is_finite())
                .map_or(d.failure_share, |f| f.clamp(0.01, 1.0)),
            failure_min: self.failure_min.map_or(d.failure_min, |n| n.clamp(1, 1000)),
            confirm_gap: secs(self.confirm_gap_secs, 10, 600, d.confirm_gap),
            down_after: secs(self.down_after_secs, 5, 3600, d.down_after),
            ..d
        }
    }

    /// Whether armings from this profile start as a dry run.
    pub fn dry_run(&self) -> bool {
        self.dry_run.unwrap_or(false)
    }
}

/// One panel's heartbeat in the shared table, as read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Beat {
    /// The panel (host, process, run).
    pub panel: String,
    /// Its host.
    pub host: String,
    /// Its operator.
    pub operator: String,
    /// The database backend holding its guard lock, when it said it holds it.
    pub backend_pid: Option<i32>,
    /// When it last beat (the database server's clock).
    pub at: UtcNaive,
    /// How old that is (the server's clock).
    pub age: Duration,
}

/// Who guards the canary, as this panel sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "duty", rename_all = "snake_case")]
pub enum Duty {
    /// No shared table: this panel acts alone (the demo, a database
    /// without `audit init`).
    Solo,
    /// This panel holds the lock: it is the guard.
    Acting,
    /// Another panel holds the lock (the host, when its heartbeat says).
    Watching {
        /// The guarding panel's host, when its heartbeat names it.
        host: Option<String>,
        /// Its heartbeat's age, in seconds.
        beat_age_secs: Option<i64>,
    },
    /// Who holds the lock could not be read: this panel does not act.
    Unknown {
        /// Why.
        why: String,
    },
}

/// The guard is armed but nobody is seen guarding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Down {
    /// Since when (the guard's last heartbeat, else the arming).
    pub since: UtcNaive,
    /// The host that guarded, when known.
    pub host: Option<String>,
}

/// Whether the armed guard is down: another panel holds the lock (this one
/// could not take it) and the heartbeat of the backend holding it is older
/// than [`GuardSettings::down_after`] or missing. Only a heartbeat naming
/// the backend the database says holds the lock counts, so a row written
/// by anyone else cannot hide a dead guard.
pub fn down(
    arming: Option<&Arming>,
    holder_pid: Option<i32>,
    beats: &[Beat],
    s: &GuardSettings,
) -> Option<Down> {
    let arming = arming?;
    let holder = holder_pid?;
    let beat = beats
        .iter()
        .filter(|b| b.backend_pid == Some(holder))
        .max_by_key(|b| b.at);
    match beat {
        Some(b) if b.age <= s.down_after => None,
        Some(b) => Some(Down {
            since: b.at,
            host: Some(b.host.clone()),
        }),
        None => Some(Down {
            since: arming.since,
            host: None,
        }),
    }
}

/// What the guard sees on one read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    /// When the read was made (the panel's clock).
    pub at: UtcNaive,
    /// When the database was last read successfully.
    pub db_ok_at: Option<UtcNaive>,
    /// The last read's error, if it failed.
    pub db_error: Option<String>,
    /// The canary workspaces (toggle on); empty = no canary.
    pub canary_ids: Vec<String>,
    /// The verdict (None = not computed yet: history still loading).
    pub verdict: Option<VerdictState>,
    /// The verdict's headline, for the evidence ("+14.2 pp [+6.0, +22.4]").
    pub verdict_text: Option<String>,
    /// Canary drafts above the attempts bound.
    pub bound_drafts: Vec<String>,
    /// Canary drafts attempted since the canary started.
    pub canary_attempts: usize,
    /// Canary drafts with a reviser failure, a loop timeout or stuck.
    pub failed_drafts: Vec<String>,
    /// The runtime logs' `revision_path_errors` alarm for the canary, when
    /// it holds: its finding and every draft it names.
    pub log_errors: Option<(String, Vec<String>)>,
}

/// A rule that holds, with its evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// What was seen, for people and the audit reason.
    pub evidence: String,
    /// The drafts involved (all of them).
    pub draft_ids: Vec<String>,
}

/// What the guard makes of a reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Look {
    /// No canary to guard.
    Idle,
    /// The data cannot be trusted for a decision: why.
    Blind {
        /// Why.
        why: String,
        /// Since when (the first blind reading of this stretch).
        since: UtcNaive,
    },
    /// Fresh data, no rule holds.
    Quiet,
    /// A rule holds once; it fires if it still holds on a reading at least
    /// the confirm gap later.
    Holding {
        /// What holds.
        finding: Finding,
        /// When it was first seen.
        since: UtcNaive,
    },
    /// A rule held on two readings: roll the canary back.
    Fire {
        /// What held.
        finding: Finding,
        /// The canary workspaces to roll back.
        workspace_ids: Vec<String>,
    },
}

/// The guard's memory between readings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GuardState {
    holding: Option<(Rule, UtcNaive)>,
    blind_since: Option<UtcNaive>,
    blind_told: bool,
}

impl GuardState {
    /// Judges one reading. A blind or quiet reading clears a holding rule
    /// (two *consecutive* readings must show it).
    pub fn observe(&mut self, r: &Reading, s: &GuardSettings) -> Look {
        if r.canary_ids.is_empty() {
            *self = Self::default();
            return Look::Idle;
        }
        if let Some(why) = blind_reason(r, s) {
            self.holding = None;
            let since = *self.blind_since.get_or_insert(r.at);
            return Look::Blind { why, since };
        }
        self.blind_since = None;
        self.blind_told = false;
        let Some(finding) = holds(r, s) else {
            self.holding = None;
            return Look::Quiet;
        };
        match self.holding {
            Some((rule, since)) if rule == finding.rule && r.at - since >= s.confirm_gap => {
                self.holding = None;
                Look::Fire {
                    finding,
                    workspace_ids: r.canary_ids.clone(),
                }
            }
            Some((rule, since)) if rule == finding.rule => Look::Holding { finding, since },
            _ => {
                self.holding = Some((finding.rule, r.at));
                Look::Holding {
                    finding,
                    since: r.at,
                }
            }
        }
    }

    /// Whether the operator should now be told the guard is blind (once per
    /// blind stretch, after [`GuardSettings::blind_notice_after`]).
    pub fn tell_blind(&mut self, now: UtcNaive, s: &GuardSettings) -> bool {
        match self.blind_since {
            Some(since) if !self.blind_told && now - since >= s.blind_notice_after => {
                self.blind_told = true;
                true
            }
            _ => false,
        }
    }
}

/// Why a reading cannot be acted on, if it cannot.
fn blind_reason(r: &Reading, s: &GuardSettings) -> Option<String> {
    if let Some(e) = &r.db_error {
        return Some(format!("the database read failed: {e}"));
    }
    let Some(ok) = r.db_ok_at else {
        return Some("the database has not been read yet".to_owned());
    };
    if r.at - ok > s.stale_after {
        return Some(format!(
            "the data is {} s old (more than {} s)",
            (r.at - ok).num_seconds(),
            s.stale_after.num_seconds()
        ));
    }
    match r.verdict {
        None => Some("the canary's history is still being read: no verdict yet".to_owned()),
        Some(VerdictState::InsufficientData) => {
            Some("the verdict has too few evaluated drafts (insufficient data)".to_owned())
        }
        Some(_) => None,
    }
}

/// The first rule that holds on this reading.
fn holds(r: &Reading, s: &GuardSettings) -> Option<Finding> {
    if r.verdict == Some(VerdictState::HarmDetected) {
        return Some(Finding {
            rule: Rule::Harm,
            evidence: format!(
                "the canary verdict is harm detected{}",
                r.verdict_text
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ),
            draft_ids: Vec::new(),
        });
    }
    if r.bound_drafts.len() >= s.bound_min_drafts {
        return Some(Finding {
            rule: Rule::AttemptsAboveBound,
            evidence: format!(
                "{} canary draft(s) revised more often than the bound allows (threshold {})",
                r.bound_drafts.len(),
                s.bound_min_drafts
            ),
            draft_ids: r.bound_drafts.clone(),
        });
    }
    let failed = r.failed_drafts.len();
    if failed >= s.failure_min
        && r.canary_attempts > 0
        && failed as f64 >= s.failure_share * r.canary_attempts as f64
    {
        return Some(Finding {
            rule: Rule::ReviserFailures,
            evidence: format!(
                "{failed} of {} canary attempts failed, timed out or are stuck ({:.0} %; threshold {:.0} % and {})",
                r.canary_attempts,
                100.0 * failed as f64 / r.canary_attempts as f64,
                s.failure_share * 100.0,
                s.failure_min
            ),
            draft_ids: r.failed_drafts.clone(),
        });
    }
    if let Some((finding, drafts)) = &r.log_errors {
        return Some(Finding {
            rule: Rule::RevisionPathErrors,
            evidence: format!("from the runtime logs: {finding}"),
            draft_ids: drafts.clone(),
        });
    }
    None
}

/// Whether the guard is armed, from its audited arm/disarm entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Arming {
    /// Who armed it.
    pub by: String,
    /// When.
    pub since: UtcNaive,
    /// Dry run: records what it would do, writes nothing.
    pub dry_run: bool,
    /// The arming's action id.
    pub action_id: String,
}

/// The audit log's lever name of arming and disarming.
pub const GUARD_LEVER: &str = "guard";

/// An arm or disarm as the audit log records it (oldest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardEvent {
    /// When.
    pub at: UtcNaive,
    /// Who.
    pub operator: String,
    /// Armed (true) or disarmed.
    pub armed: bool,
    /// Dry run.
    pub dry_run: bool,
    /// Its action id.
    pub action_id: String,
}

/// The arming in force after these events (oldest first): the last one
/// decides.
pub fn arming(events: &[GuardEvent]) -> Option<Arming> {
    let last = events.iter().max_by_key(|e| e.at)?;
    last.armed.then(|| Arming {
        by: last.operator.clone(),
        since: last.at,
        dry_run: last.dry_run,
        action_id: last.action_id.clone(),
    })
}

/// The name of the canary enable's precondition that shows the guard's
/// last finding.
pub const GUARD_FINDING: &str = "guard's finding";

/// A canary enable after the guard rolled the canary back: a precondition
/// that fails (overridable, with the reason the dialog asks for anyway) and
/// shows what the guard found, so re-enabling is a decision, not a reflex.
pub fn finding_precondition(
    last_rollback: Option<&(UtcNaive, String)>,
) -> Option<crate::core::lever::Precondition> {
    let (at, reason) = last_rollback?;
    Some(crate::core::lever::Precondition {
        name: GUARD_FINDING.to_owned(),
        ok: false,
        detail: format!(
            "the guard rolled the canary back at {} UTC: {reason}. Enable again only once that is understood (override with a reason)",
            at.format("%Y-%m-%d %H:%M")
        ),
        overridable: true,
    })
}

/// The reason an automatic rollback is audited with.
pub fn rollback_reason(arming: &Arming, finding: &Finding) -> String {
    format!(
        "guard (armed by {}): rule {}: {}",
        arming.by,
        finding.rule.id(),
        finding.evidence
    )
}

#[cfg(test)]
mod tests;
