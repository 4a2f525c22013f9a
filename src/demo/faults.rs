//! The demo world's faults: what a rehearsal injects (`demo fault …`, the
//! Rehearsal tab's switches, a drill's script).

use crate::core::time::UtcNaive;
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// Faults to inject for a rehearsal.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Revisions get worse and low-confidence drafts become common: needs_review spikes.
    pub needs_review_spike: bool,
    /// Half the revisions run past the loop budget (`deadline_exceeded`).
    pub timeouts: bool,
    /// A third of the revisions fail with an AI error (AIInteraction status 'error').
    pub ai_errors: bool,
    /// The next redeploy ends CANCELED, as with an Ignored Build Step.
    pub cancel_next_redeploy: bool,
    /// Some revision loops run more iterations than the clamp allows (email:
    /// 4 on a clamp of 3; sms: 2 passes), as their loop summaries show.
    pub repeated_attempts: bool,
    /// Background jobs run long: a workspace whose toggle went off keeps
    /// being claimed for [`SLOW_JOBS`](super::simulator::SLOW_JOBS) (jobs started before the change finish
    /// with the old value, contract §9).
    pub slow_jobs: bool,
    /// The project has Rolling Releases on: a new production build becomes
    /// the canary of a rolling release at 10 % of traffic until someone
    /// completes it (turned off, an active release is aborted).
    pub rolling_release: bool,
    /// The runtime-log stream is cut ("log limit reached"): the orchestrator's
    /// lines are dropped and a delimiter row is printed each minute.
    pub log_limit: bool,
    /// The production database stops answering (the panel's reads and a
    /// workspace toggle fail; the app writes nothing), while Vercel — the
    /// env, the deployments, the runtime logs — still does.
    pub database_down: bool,
    /// One noisy minute from this time ([`BURST`]): four times the traffic,
    /// and the canary's drafts as under the needs_review spike (a drill's
    /// harmless burst, which the verdict does not call harm).
    pub burst: Option<UtcNaive>,
}

/// One switch of [`Faults`]: the Rehearsal tab's, and `demo fault NAME`'s
/// values (their names and help come from here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FaultSwitch {
    /// The canary's revisions get worse; needs_review spikes.
    NeedsReviewSpike,
    /// Half the revisions time out.
    Timeouts,
    /// A third of the revisions fail with an AI error.
    AiErrors,
    /// The next redeploy ends CANCELED.
    CancelRedeploy,
    /// Some revision loops run more iterations than the clamp allows.
    RepeatedAttempts,
    /// Jobs run long: claims keep coming for minutes after a toggle-off.
    SlowJobs,
    /// Rolling Releases on: a new production build serves 10 % until completed.
    RollingRelease,
    /// The runtime-log stream is cut ("log limit reached").
    LogLimit,
    /// The database stops answering; Vercel still does.
    DatabaseDown,
}

impl FaultSwitch {
    /// Every switch, in `demo fault`'s order.
    pub const ALL: [Self; 9] = [
        Self::NeedsReviewSpike,
        Self::Timeouts,
        Self::AiErrors,
        Self::CancelRedeploy,
        Self::RepeatedAttempts,
        Self::SlowJobs,
        Self::RollingRelease,
        Self::LogLimit,
        Self::DatabaseDown,
    ];

    /// Its `demo fault` name.
    pub fn name(self) -> String {
        use clap::ValueEnum as _;
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }

    /// What it does, for people (its `demo fault` help).
    pub fn describe(self) -> String {
        use clap::ValueEnum as _;
        self.to_possible_value()
            .and_then(|v| v.get_help().map(ToString::to_string))
            .unwrap_or_default()
    }

    fn flag(self, f: &mut Faults) -> &mut bool {
        match self {
            Self::NeedsReviewSpike => &mut f.needs_review_spike,
            Self::Timeouts => &mut f.timeouts,
            Self::AiErrors => &mut f.ai_errors,
            Self::CancelRedeploy => &mut f.cancel_next_redeploy,
            Self::RepeatedAttempts => &mut f.repeated_attempts,
            Self::SlowJobs => &mut f.slow_jobs,
            Self::RollingRelease => &mut f.rolling_release,
            Self::LogLimit => &mut f.log_limit,
            Self::DatabaseDown => &mut f.database_down,
        }
    }

    /// Throws it.
    pub fn set(self, f: &mut Faults, on: bool) {
        *self.flag(f) = on;
    }

    /// Whether it is on.
    pub fn is_on(self, f: &Faults) -> bool {
        let mut copy = f.clone();
        *self.flag(&mut copy)
    }
}

/// How long a [`Faults::burst`] lasts.
pub const BURST: Duration = Duration::minutes(1);

impl Faults {
    pub(super) fn bursting(&self, at: UtcNaive) -> bool {
        self.burst.is_some_and(|b| at >= b && at < b + BURST)
    }
}
