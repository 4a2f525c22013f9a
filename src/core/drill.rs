//! Incident drills on the demo world (issue 31), pure: the catalogue (what
//! each drill injects, the lever it expects, the levels too small and too
//! big), when a drill is over, and its score from the drill's script and
//! the audited levers. No IO, no clock: every time comes in.

use crate::core::time::UtcNaive;
use chrono::Duration;
use serde::Serialize;

mod report;
#[cfg(test)]
mod tests;

pub use report::{levels_text, markdown, secs_text};

/// The lever name of drill entries in the local audit log.
pub const DRILL_LEVER: &str = "drill";

/// A lever's blast radius, smallest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// One workspace's toggle (or an expansion's workspaces).
    Workspace,
    /// `AUTO_SEND_REVISION_DISABLED=1`: revision off everywhere.
    RevisionKillSwitch,
    /// `AUTO_SEND_DISABLED=1`: auto-send itself off everywhere.
    AutoSendKillSwitch,
}

impl Level {
    /// The level of an audited lever that turns something off, from its
    /// plan's `lever` and `on` (`on` = the lever itself, `false` = its
    /// restore; an expansion's `false` is its rollback). `None` for a lever
    /// that turns something on.
    pub fn of_lever(lever: &str, on: bool) -> Option<Self> {
        match (lever, on) {
            ("workspace-rollback", true) | ("expansion", false) => Some(Self::Workspace),
            ("revision-kill-switch", true) => Some(Self::RevisionKillSwitch),
            ("auto-send-kill-switch", true) => Some(Self::AutoSendKillSwitch),
            _ => None,
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Workspace => "workspace rollback",
            Self::RevisionKillSwitch => "revision kill switch",
            Self::AutoSendKillSwitch => "auto-send kill switch",
        }
    }
}

/// What a drill does to the demo world at its fault minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Inject {
    /// The canary's revisions get worse: needs_review spikes.
    NeedsReviewSpike,
    /// Half the revisions run past the loop budget (`deadline_exceeded`).
    Timeouts,
    /// Revision loops run more iterations than the clamp in every enabled
    /// workspace.
    RepeatedAttempts,
    /// Repeated attempts, and the next redeploy ends CANCELED.
    RepeatedAttemptsCancelRedeploy,
    /// Repeated attempts, then the database goes down.
    RepeatedAttemptsDatabaseDown,
    /// Repeated attempts, and someone's Instant Rollback pins production.
    RepeatedAttemptsInstantRollback,
    /// One noisy minute of low-confidence drafts that the verdict does not
    /// call harm.
    NoisyMinute,
}

/// One scripted incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Drill {
    /// Its number (`drill run N`).
    pub number: u8,
    /// One line.
    pub title: &'static str,
    /// What it injects.
    pub inject: Inject,
    /// The levels that close it; empty: nothing should be pulled.
    pub expected: &'static [Level],
    /// What a smaller lever leaves going on.
    pub too_small: &'static str,
    /// What a bigger lever costs.
    pub too_big: &'static str,
    /// The tab where its first sign shows.
    pub shows_on: &'static str,
    /// How long after its fault it runs at most before it is scored (a
    /// harmful one as missed, a harmless one as held).
    #[serde(rename = "lasts_minutes", serialize_with = "minutes")]
    pub lasts: Duration,
}

fn minutes<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_minutes())
}

/// Every drill, in order.
pub const DRILLS: [Drill; 7] = [
    Drill {
        number: 1,
        title: "needs_review spike in the canary",
        inject: Inject::NeedsReviewSpike,
        expected: &[Level::Workspace],
        too_small: "nothing: the canary's drafts keep going to review",
        too_big: "a kill switch turns revision off for every workspace when one was harmed",
        shows_on: "Metrics",
        lasts: Duration::hours(4),
    },
    Drill {
        number: 2,
        title: "reviser timeouts (deadline_exceeded) in the canary",
        inject: Inject::Timeouts,
        expected: &[Level::Workspace],
        too_small: "nothing: half the canary's revisions keep timing out",
        too_big: "a kill switch turns revision off for every workspace when one was harmed",
        shows_on: "Metrics",
        lasts: Duration::hours(1),
    },
    Drill {
        number: 3,
        title: "repeated attempts per draft in every enabled workspace",
        inject: Inject::RepeatedAttempts,
        expected: &[Level::RevisionKillSwitch],
        too_small: "a workspace rollback leaves the others looping",
        too_big: "the auto-send kill switch stops every auto-send, not only the revision",
        shows_on: "Metrics",
        lasts: Duration::hours(1),
    },
    Drill {
        number: 4,
        title: "the kill switch's redeploy ends CANCELED",
        inject: Inject::RepeatedAttemptsCancelRedeploy,
        expected: &[Level::RevisionKillSwitch, Level::Workspace],
        too_small: "a failed flip not retried: revision is still live",
        too_big: "the auto-send kill switch stops every auto-send, not only the revision",
        shows_on: "Levers",
        lasts: Duration::hours(1),
    },
    Drill {
        number: 5,
        title: "the database goes down in the middle of the incident",
        inject: Inject::RepeatedAttemptsDatabaseDown,
        expected: &[Level::RevisionKillSwitch],
        too_small: "a workspace rollback needs the database, which is down: the loops go on",
        too_big: "the auto-send kill switch stops every auto-send, not only the revision",
        shows_on: "Metrics",
        lasts: Duration::hours(1),
    },
    Drill {
        number: 6,
        title: "someone else's Instant Rollback pins production",
        inject: Inject::RepeatedAttemptsInstantRollback,
        expected: &[Level::RevisionKillSwitch],
        too_small: "a workspace rollback leaves the others looping",
        too_big: "the auto-send kill switch stops every auto-send, not only the revision",
        shows_on: "Metrics",
        lasts: Duration::hours(1),
    },
    Drill {
        number: 7,
        title: "a harmless noisy minute",
        inject: Inject::NoisyMinute,
        expected: &[],
        too_small: "",
        too_big: "any rollback: the verdict does not call one noisy minute harm",
        shows_on: "Metrics",
        lasts: Duration::minutes(30),
    },
];

/// How long after the first sign the database goes down in drill 5 (the
/// operator has seen the incident; the panel then loses its database).
pub const DATABASE_DOWN_AFTER_SIGN: Duration = Duration::seconds(30);

/// The latest the database goes down in drill 5 when the panel showed no
/// sign by then.
pub const DATABASE_DOWN_AT_LATEST: Duration = Duration::minutes(10);

/// When drill `d`'s database goes down ("in the middle of the incident"):
/// 30 s after the panel's first sign, or 10 minutes after the fault without
/// one. `None` for the drills that keep it, or before the fault.
pub fn database_down_at(d: &Drill, t: &Timeline) -> Option<UtcNaive> {
    if d.inject != Inject::RepeatedAttemptsDatabaseDown {
        return None;
    }
    let fault = t.fault_at?;
    let latest = fault + DATABASE_DOWN_AT_LATEST;
    Some(
        t.first_signal
            .map_or(latest, |s| (s + DATABASE_DOWN_AFTER_SIGN).min(latest)),
    )
}

/// The drill numbered `n`.
pub fn drill(n: u8) -> Option<&'static Drill> {
    DRILLS.iter().find(|d| d.number == n)
}

/// A lever the operator (or the guard) ran during the drill, from the audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeverTaken {
    /// The audit's action id.
    pub action_id: String,
    /// Its level.
    pub level: Level,
    /// Who (the guard's runs read "guard (armed by …)").
    pub by: String,
    /// When it was confirmed (its intent).
    pub confirmed_at: UtcNaive,
    /// When it ended (its result), if it has.
    pub ended_at: Option<UtcNaive>,
    /// Whether it ended verified (`ok`).
    pub verified: bool,
}

/// What happened during a drill, as observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// When the drill was started.
    pub started: UtcNaive,
    /// When its fault was injected (`None`: not yet).
    pub fault_at: Option<UtcNaive>,
    /// The first read after the fault with a new alarm or the verdict
    /// turned (the panel's first sign).
    pub first_signal: Option<UtcNaive>,
    /// When the operator first had the tab that shows it open, at or after
    /// the first sign (`None`: never, or not observable from the command line).
    pub first_look: Option<UtcNaive>,
    /// Every rollback-level lever since the drill started, in order.
    pub levers: Vec<LeverTaken>,
}

/// How the level chosen compares with the expected one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Judgement {
    /// The expected lever, verified.
    Right,
    /// A smaller lever only: harm went on.
    TooSmall,
    /// A bigger lever than needed: a larger blast radius.
    TooBig,
    /// No lever verified before the drill ran out (or was abandoned).
    Missed,
    /// A harmless drill held without a rollback.
    Held,
    /// A harmless drill with a rollback (every one is unnecessary).
    Unnecessary,
}

impl Judgement {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Right => "right level",
            Self::TooSmall => "too small: harm went on",
            Self::TooBig => "too big: blast radius larger than needed",
            Self::Missed => "missed: no lever verified",
            Self::Held => "held: nothing pulled, rightly",
            Self::Unnecessary => "unnecessary rollback",
        }
    }
}

/// A drill's score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    /// The drill's number.
    pub drill: u8,
    /// Its title.
    pub title: &'static str,
    /// Fault → the panel's first sign (seconds).
    pub to_signal_secs: Option<i64>,
    /// Fault → the operator's first look at the tab that shows it.
    pub to_look_secs: Option<i64>,
    /// Fault → the deciding lever confirmed.
    pub to_confirm_secs: Option<i64>,
    /// Fault → that lever verified.
    pub to_verified_secs: Option<i64>,
    /// The deciding lever's level (the biggest verified one).
    pub chosen: Option<Level>,
    /// The levels expected.
    pub expected: Vec<Level>,
    /// How the choice compares.
    pub judgement: Judgement,
    /// Levers that failed (a flip not verified), and whether one was
    /// followed by a verified lever (noticed).
    pub failed_levers: usize,
    /// Rollbacks in a harmless drill.
    pub unnecessary: usize,
    /// Levers run by the guard rather than a person.
    pub by_guard: usize,
    /// The drill was abandoned before it ended.
    pub abandoned: bool,
    /// One line on what the level means.
    pub note: String,
}

impl Score {
    /// Whether the drill was passed (the right level, or held).
    pub fn passed(&self) -> bool {
        matches!(self.judgement, Judgement::Right | Judgement::Held)
    }
}

/// The lever that decides a harmful drill: the first verified one since
/// the fault at or above the smallest expected level.
fn deciding<'a>(d: &Drill, t: &'a Timeline) -> Option<&'a LeverTaken> {
    let least = d.expected.iter().min()?;
    let fault = t.fault_at?;
    t.levers
        .iter()
        .filter(|l| l.confirmed_at >= fault && l.verified && l.level >= *least)
        .min_by_key(|l| l.ended_at)
}

/// Whether the drill is over at `now`: a harmful one once its deciding
/// lever is verified or its time ran out; a harmless one once its time ran
/// out. Nothing is over before its fault.
pub fn over(d: &Drill, t: &Timeline, now: UtcNaive) -> bool {
    let Some(fault) = t.fault_at else {
        return false;
    };
    now >= fault + d.lasts || deciding(d, t).is_some()
}

/// The score of drill `d` from its timeline.
pub fn score(d: &Drill, t: &Timeline, abandoned: bool) -> Score {
    let secs = |at: Option<UtcNaive>| {
        at.zip(t.fault_at)
            .map(|(a, f)| (a - f).num_seconds().max(0))
    };
    let after_fault: Vec<&LeverTaken> = t
        .levers
        .iter()
        .filter(|l| t.fault_at.is_some_and(|f| l.confirmed_at >= f))
        .collect();
    let failed = after_fault.iter().filter(|l| !l.verified).count();
    let by_guard = after_fault
        .iter()
        .filter(|l| l.by.starts_with("guard ("))
        .count();
    let biggest = after_fault
        .iter()
        .filter(|l| l.verified)
        .map(|l| l.level)
        .max();
    let (judgement, chosen_lever, unnecessary) = if d.expected.is_empty() {
        let n = after_fault.len();
        let j = if n == 0 {
            Judgement::Held
        } else {
            Judgement::Unnecessary
        };
        (j, after_fault.first().copied(), n)
    } else {
        let decide = deciding(d, t);
        let j = match biggest {
            None => Judgement::Missed,
            Some(b) if d.expected.contains(&b) => Judgement::Right,
            Some(b) if d.expected.iter().all(|e| b > *e) => Judgement::TooBig,
            Some(_) => Judgement::TooSmall,
        };
        (j, decide, 0)
    };
    let note = match judgement {
        Judgement::Right | Judgement::Held => String::new(),
        Judgement::TooSmall | Judgement::Missed => d.too_small.to_owned(),
        Judgement::TooBig | Judgement::Unnecessary => d.too_big.to_owned(),
    };
    Score {
        drill: d.number,
        title: d.title,
        to_signal_secs: secs(t.first_signal),
        to_look_secs: secs(t.first_look),
        to_confirm_secs: secs(chosen_lever.map(|l| l.confirmed_at)),
        to_verified_secs: secs(chosen_lever.and_then(|l| l.ended_at.filter(|_| l.verified))),
        chosen: biggest.or(chosen_lever.map(|l| l.level)),
        expected: d.expected.to_vec(),
        judgement,
        failed_levers: failed,
        unnecessary,
        by_guard,
        abandoned,
        note,
    }
}

/// The fault minute of a drill started at `started` with a window of
/// `within`: a whole minute from one minute after the start to the window's
/// end, picked by `pick` (a random number from the caller).
pub fn fault_minute(started: UtcNaive, within: Duration, pick: u64) -> UtcNaive {
    let minutes = within.num_minutes().max(1) as u64;
    let offset = 1 + pick % minutes;
    started + Duration::minutes(offset as i64)
}
