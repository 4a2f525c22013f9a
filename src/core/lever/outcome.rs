//! How a lever run went: each step's typed outcome, and the run's report.
//! Text is made once, for display; no logic matches on it.

use serde::{Deserialize, Serialize};

/// How one step of a lever run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// Done, and read back as planned.
    Verified,
    /// Someone else changed it first: nothing was overwritten.
    Conflict,
    /// The redeploy ended CANCELED or ERROR: the env change is NOT live.
    FailedFlip,
    /// The redeploy is READY, but production does not run the new values.
    NotServing,
    /// No final state within the deadline.
    TimedOut,
    /// A call failed; what is known is in the detail.
    Failed,
}

impl StepOutcome {
    /// The step's mark for people: `done`, or what went wrong.
    pub fn label(self) -> &'static str {
        match self {
            Self::Verified => "done",
            Self::Conflict => "CONFLICT",
            Self::FailedFlip => "FAILED FLIP",
            Self::NotServing => "NOT SERVING",
            Self::TimedOut => "TIMED OUT",
            Self::Failed => "FAILED",
        }
    }
}

/// How a step stands, for the progress view and the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// What the step does.
    pub label: String,
    /// Done and verified, or not (`outcome == Some(Verified)`).
    pub ok: bool,
    /// What was found (never a secret).
    pub detail: String,
    /// `true` while the step is still going (e.g. "redeploy BUILDING"); its
    /// final report follows with `running = false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub running: bool,
    /// How it ended (`None` while running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<StepOutcome>,
}

impl StepReport {
    /// A step still going.
    pub fn running(label: &str, detail: String) -> Self {
        Self {
            label: label.to_owned(),
            ok: false,
            detail,
            running: true,
            outcome: None,
        }
    }

    /// Something the operator must know that is not a change (another
    /// panel's lever on the same target while a rollback goes on).
    pub fn note(label: &str, detail: String) -> Self {
        Self {
            label: label.to_owned(),
            ok: true,
            detail,
            running: false,
            outcome: None,
        }
    }

    /// An audit row that could not be written ([`AUDIT_GAP`]).
    pub fn audit_gap(detail: String) -> Self {
        Self::ended(AUDIT_GAP, StepOutcome::Failed, detail)
    }

    /// Whether this is a [`StepReport::note`]: ended, fine, without an
    /// outcome (no change behind it).
    pub fn is_note(&self) -> bool {
        !self.running && self.ok && self.outcome.is_none()
    }

    /// A step that ended.
    pub fn ended(label: &str, outcome: StepOutcome, detail: String) -> Self {
        Self {
            label: label.to_owned(),
            ok: outcome == StepOutcome::Verified,
            detail,
            running: false,
            outcome: Some(outcome),
        }
    }
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// The audit action id.
    pub action_id: String,
    /// Every step that ran, in order.
    pub steps: Vec<StepReport>,
    /// Whether every change is done and verified.
    pub ok: bool,
    /// Audit rows that could not be written even after retries (the run
    /// went on without them): shown loudly, never a reason to stop.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_failures: Vec<String>,
}

/// The label of an audit-gap step: an audit row that could not be written
/// (shown loudly; not a change of the plan).
pub const AUDIT_GAP: &str = "audit";

/// The last step of a plan's changes that did not verify (audit gaps aside).
pub fn failed_step(steps: &[StepReport]) -> Option<&StepReport> {
    steps.iter().rev().find(|s| !s.ok && s.label != AUDIT_GAP)
}

impl RunReport {
    /// The last change of this run that did not verify.
    pub fn failed_step(&self) -> Option<&StepReport> {
        failed_step(&self.steps)
    }

    /// Whether a redeploy of this run ended without going live.
    pub fn failed_flip(&self) -> bool {
        self.steps.iter().any(|s| {
            matches!(
                s.outcome,
                Some(StepOutcome::FailedFlip | StepOutcome::NotServing)
            )
        })
    }
}
