//! The canary verdict: is the canary's needs_review share worse than its
//! baseline? Pure; the Metrics tab and `rollout-panel metrics` show it.
//!
//! The panel re-evaluates on every poll, so a fixed-horizon z-test would raise
//! false alarms far above α simply by being looked at often. The verdict uses
//! an anytime-valid method instead: the two-sample **mixture SPRT** for a
//! difference of proportions (normal mixture over the effect, as in Johari,
//! Pekelis & Walsh, "Always valid inference", 2017 — the method behind
//! Optimizely's stats engine). Its confidence sequence
//!
//! ```text
//! θ̂ ± sqrt( V (V + τ²) / τ² · ( 2 ln(1/α) + ln((V + τ²) / V) ) )
//! V = p̂c (1 − p̂c) / nc + p̂b (1 − p̂b) / nb
//! ```
//!
//! covers the true difference at every poll at once with probability ≥ 1 − α
//! (asymptotically, with the estimated variance). Two baselines are compared
//! (the canary before it started, over the same length of time; the other
//! workspaces over the same period), each at α/2, so "harm detected" by
//! either stays within α overall.
//!
//! States: below `min_per_arm` evaluated drafts in an arm → insufficient data;
//! the interval entirely above 0 → harm detected (the canary is worse);
//! entirely below the harm tolerance → no harm detected; otherwise inconclusive.

use serde::Serialize;

/// Evaluated drafts of one arm and how many of them went to needs_review.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Arm {
    /// Drafts evaluated for auto-send.
    pub evaluated: u64,
    /// Of those, `autoSendAction = needs_review`.
    pub needs_review: u64,
}

impl Arm {
    /// needs_review / evaluated, `None` when empty.
    pub fn share(&self) -> Option<f64> {
        (self.evaluated > 0).then(|| self.needs_review as f64 / self.evaluated as f64)
    }
}

/// The verdict's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct VerdictSettings {
    /// The largest increase of the needs_review share that is not harm
    /// (fraction; default 0.10 = +10 percentage points).
    pub tolerance: f64,
    /// The error level over all polls and both baselines (default 0.05).
    pub alpha: f64,
    /// Evaluated drafts needed in each arm before a comparison counts.
    pub min_per_arm: u64,
    /// The mixture's spread τ: the effect size the test is most sensitive to
    /// (default 0.10, the tolerance).
    pub tau: f64,
}

impl Default for VerdictSettings {
    fn default() -> Self {
        Self {
            tolerance: 0.10,
            alpha: 0.05,
            min_per_arm: 30,
            tau: 0.10,
        }
    }
}

/// Where a verdict stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictState {
    /// Too few evaluated drafts in an arm.
    InsufficientData,
    /// Confident the increase is below the tolerance.
    NoHarmDetected,
    /// Neither.
    Inconclusive,
    /// Confident the canary's needs_review share is higher than the baseline's.
    HarmDetected,
}

impl VerdictState {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::InsufficientData => "insufficient data",
            Self::NoHarmDetected => "no harm detected",
            Self::Inconclusive => "inconclusive",
            Self::HarmDetected => "harm detected",
        }
    }
}

/// Which baseline a comparison uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The canary workspace(s) over the same length of time before the canary started.
    SameWorkspaceBefore,
    /// Every other workspace over the same period.
    OtherWorkspaces,
}

impl Baseline {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::SameWorkspaceBefore => "the canary before it started",
            Self::OtherWorkspaces => "the other workspaces, same period",
        }
    }
}

/// The canary against one baseline.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Which baseline.
    pub baseline: Baseline,
    /// The canary since it started.
    pub canary: Arm,
    /// The baseline arm.
    pub base: Arm,
    /// canary share − baseline share (fraction), when both arms have drafts.
    pub estimate: Option<f64>,
    /// The anytime-valid interval of the difference at this comparison's level.
    pub interval: Option<(f64, f64)>,
    /// Where it stands.
    pub state: VerdictState,
}

/// The verdict over both baselines.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// Where it stands overall.
    pub state: VerdictState,
    /// The headline difference (the comparison that decided the state).
    pub estimate: Option<f64>,
    /// Its interval.
    pub interval: Option<(f64, f64)>,
    /// Both comparisons.
    pub comparisons: Vec<Comparison>,
    /// The settings used.
    pub settings: VerdictSettings,
    /// What to do, when harm is detected.
    pub recommendation: Option<String>,
}

/// A difference of shares in signed percentage points: "+4.3 pp".
pub fn pp(x: f64) -> String {
    format!("{:+.1} pp", x * 100.0)
}

impl Verdict {
    /// "needs_review +4.3 pp (interval -1.2 pp to +9.8 pp)", when the
    /// headline has an estimate and an interval.
    pub fn estimate_text(&self) -> Option<String> {
        let (e, (lo, hi)) = (self.estimate?, self.interval?);
        Some(format!(
            "needs_review {} (interval {} to {})",
            pp(e),
            pp(lo),
            pp(hi)
        ))
    }
}

/// The anytime-valid interval of `canary − base` at level `alpha`, or `None`
/// when an arm is empty.
pub fn interval(canary: Arm, base: Arm, alpha: f64, tau: f64) -> Option<(f64, f64)> {
    let (pc, pb) = (canary.share()?, base.share()?);
    // The variance uses shares pulled slightly inward, so an arm at 0 % or
    // 100 % does not claim zero variance.
    let smooth = |a: Arm| (a.needs_review as f64 + 0.5) / (a.evaluated as f64 + 1.0);
    let var = |a: Arm| {
        let p = smooth(a);
        p * (1.0 - p) / a.evaluated as f64
    };
    let v = var(canary) + var(base);
    let t2 = tau * tau;
    let half = (v * (v + t2) / t2 * (2.0 * (1.0 / alpha).ln() + ((v + t2) / v).ln())).sqrt();
    let d = pc - pb;
    Some((d - half, d + half))
}

/// One comparison at level `alpha`.
pub fn compare(
    baseline: Baseline,
    canary: Arm,
    base: Arm,
    alpha: f64,
    s: &VerdictSettings,
) -> Comparison {
    let estimate = match (canary.share(), base.share()) {
        (Some(c), Some(b)) => Some(c - b),
        _ => None,
    };
    let interval = interval(canary, base, alpha, s.tau);
    let enough = canary.evaluated >= s.min_per_arm && base.evaluated >= s.min_per_arm;
    let state = match interval {
        _ if !enough => VerdictState::InsufficientData,
        Some((lo, _)) if lo > 0.0 => VerdictState::HarmDetected,
        Some((_, hi)) if hi < s.tolerance => VerdictState::NoHarmDetected,
        _ => VerdictState::Inconclusive,
    };
    Comparison {
        baseline,
        canary,
        base,
        estimate,
        interval,
        state,
    }
}

/// The verdict: the canary since it started against both baselines, each at α/2.
pub fn verdict(canary: Arm, before: Arm, others: Arm, s: VerdictSettings) -> Verdict {
    let alpha = s.alpha / 2.0;
    let comparisons = vec![
        compare(Baseline::OtherWorkspaces, canary, others, alpha, &s),
        compare(Baseline::SameWorkspaceBefore, canary, before, alpha, &s),
    ];
    let counted: Vec<&Comparison> = comparisons
        .iter()
        .filter(|c| c.state != VerdictState::InsufficientData)
        .collect();
    let state = if counted.is_empty() {
        VerdictState::InsufficientData
    } else if counted
        .iter()
        .any(|c| c.state == VerdictState::HarmDetected)
    {
        VerdictState::HarmDetected
    } else if counted
        .iter()
        .all(|c| c.state == VerdictState::NoHarmDetected)
    {
        VerdictState::NoHarmDetected
    } else {
        VerdictState::Inconclusive
    };
    // The headline: the comparison that decided it (harm first), else the
    // other workspaces when they count, else the canary's own past.
    let headline = comparisons
        .iter()
        .find(|c| c.state == state && state == VerdictState::HarmDetected)
        .or_else(|| counted.first().copied())
        .or_else(|| comparisons.first());
    let recommendation = (state == VerdictState::HarmDetected).then(|| {
        "Roll back the canary workspace first (Levers: Roll back, one confirm, takes effect at once); \
         if needs_review stays high elsewhere too, the revision kill switch is next."
            .to_owned()
    });
    Verdict {
        state,
        estimate: headline.and_then(|c| c.estimate),
        interval: headline.and_then(|c| c.interval),
        comparisons,
        settings: s,
        recommendation,
    }
}

#[cfg(test)]
mod tests;
