//! The verdict: states on hand-picked arms, and by simulation its false-alarm
//! rate under continuous monitoring and its power against a real harm.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn arm(evaluated: u64, needs_review: u64) -> Arm {
    Arm {
        evaluated,
        needs_review,
    }
}

#[test]
fn states_on_hand_picked_arms() {
    let s = VerdictSettings::default();
    // Too few drafts in the canary.
    let v = verdict(arm(10, 9), arm(500, 50), arm(5000, 500), s);
    assert_eq!(v.state, VerdictState::InsufficientData);
    assert_eq!(v.estimate.map(|e| (e * 100.0).round()), Some(80.0));
    // 10 % against 10 %, many drafts: no harm detected, interval around 0.
    let v = verdict(arm(2000, 200), arm(2000, 200), arm(20_000, 2000), s);
    assert_eq!(v.state, VerdictState::NoHarmDetected, "{v:#?}");
    let (lo, hi) = v.interval.unwrap();
    assert!(lo < 0.0 && 0.0 < hi && hi < 0.10);
    // 40 % against 10 %: harm, with the recommendation.
    let v = verdict(arm(400, 160), arm(400, 40), arm(4000, 400), s);
    assert_eq!(v.state, VerdictState::HarmDetected);
    assert!(v.interval.unwrap().0 > 0.0);
    assert!(
        v.recommendation
            .unwrap()
            .contains("Roll back the canary workspace first")
    );
    // A small sample with a modest difference: inconclusive.
    let v = verdict(arm(60, 12), arm(60, 9), arm(600, 90), s);
    assert_eq!(v.state, VerdictState::Inconclusive, "{v:#?}");
    // Only the canary's own past counts when there are no other workspaces.
    let v = verdict(arm(400, 160), arm(400, 40), arm(0, 0), s);
    assert_eq!(v.state, VerdictState::HarmDetected);
    assert_eq!(v.comparisons[0].state, VerdictState::InsufficientData);
}

#[test]
fn the_interval_is_symmetric_and_shrinks_with_data() {
    let w = |n: u64| {
        let (lo, hi) = interval(arm(n, n / 5), arm(n, n / 5), 0.05, 0.1).unwrap();
        assert!((lo + hi).abs() < 1e-12);
        hi - lo
    };
    assert!(w(100) > w(1000) && w(1000) > w(10_000));
    assert_eq!(interval(arm(0, 0), arm(10, 1), 0.05, 0.1), None);
    // An arm at 0 % still has a width.
    let (lo, hi) = interval(arm(50, 0), arm(50, 0), 0.05, 0.1).unwrap();
    assert!(hi - lo > 0.01);
}

/// A fixed-horizon one-sided z-test of canary > rest at level 0.05, used
/// (wrongly) on every poll: the contrast the anytime-valid verdict avoids.
fn naive_z_alarm(canary: Arm, rest: Arm, min: u64) -> bool {
    if canary.evaluated < min || rest.evaluated < min {
        return false;
    }
    let (pc, pr) = (canary.share().unwrap(), rest.share().unwrap());
    let pooled = (canary.needs_review + rest.needs_review) as f64
        / (canary.evaluated + rest.evaluated) as f64;
    let se =
        (pooled * (1.0 - pooled) * (1.0 / canary.evaluated as f64 + 1.0 / rest.evaluated as f64))
            .sqrt();
    se > 0.0 && (pc - pr) / se > 1.645
}

/// One monitored canary: drafts arrive one at a time, alternating between
/// the canary and the other workspaces; the verdict is computed after every
/// draft. Returns the number of drafts after which harm was first detected.
fn monitor(rng: &mut StdRng, p_canary: f64, p_rest: f64, drafts: u64) -> Option<u64> {
    monitor_with(rng, p_canary, p_rest, drafts, |canary, before, rest| {
        verdict(canary, before, rest, VerdictSettings::default()).state
            == VerdictState::HarmDetected
    })
}

/// [`monitor`] with any alarm rule.
fn monitor_with(
    rng: &mut StdRng,
    p_canary: f64,
    p_rest: f64,
    drafts: u64,
    alarm: impl Fn(Arm, Arm, Arm) -> bool,
) -> Option<u64> {
    // The canary's own past: a day before it started at the baseline rate.
    let mut before = Arm::default();
    for _ in 0..1000 {
        before.evaluated += 1;
        before.needs_review += u64::from(rng.random_bool(p_rest));
    }
    let (mut canary, mut rest) = (Arm::default(), Arm::default());
    for i in 0..drafts {
        let (a, p) = if i % 2 == 0 {
            (&mut canary, p_canary)
        } else {
            (&mut rest, p_rest)
        };
        a.evaluated += 1;
        a.needs_review += u64::from(rng.random_bool(p));
        if alarm(canary, before, rest) {
            return Some(i + 1);
        }
    }
    None
}

#[test]
fn simulated_false_alarms_stay_within_alpha_while_polling_after_every_draft() {
    const RUNS: u64 = 1000;
    let mut rng = StdRng::seed_from_u64(116);
    let alarms = (0..RUNS)
        .filter(|_| monitor(&mut rng, 0.2, 0.2, 2000).is_some())
        .count();
    let rate = alarms as f64 / RUNS as f64;
    let alpha = VerdictSettings::default().alpha;
    // α plus three standard errors of the simulation.
    let bound = alpha + 3.0 * (alpha * (1.0 - alpha) / RUNS as f64).sqrt();
    eprintln!(
        "false-alarm rate under no difference, {RUNS} runs x 2000 polls: {rate:.3} (bound {bound:.3})"
    );
    assert!(rate <= bound, "false-alarm rate {rate} > {bound}");
    // The same data judged by a fixed-horizon z-test on every poll: far
    // above α, which is why the verdict does not use one.
    let mut rng = StdRng::seed_from_u64(116);
    let naive = (0..RUNS)
        .filter(|_| {
            monitor_with(&mut rng, 0.2, 0.2, 2000, |c, _, r| naive_z_alarm(c, r, 30)).is_some()
        })
        .count() as f64
        / RUNS as f64;
    eprintln!("the same with a fixed-horizon z-test on every poll: {naive:.3}");
    assert!(naive > 2.0 * alpha, "{naive}");
}

#[test]
fn simulated_power_against_a_twenty_point_harm_with_a_few_hundred_drafts_per_arm() {
    const RUNS: u64 = 1000;
    let mut rng = StdRng::seed_from_u64(123);
    // 300 drafts per arm.
    let detected = (0..RUNS)
        .filter(|_| monitor(&mut rng, 0.4, 0.2, 600).is_some())
        .count();
    let power = detected as f64 / RUNS as f64;
    eprintln!("detection rate of a +20 pp harm within 300 drafts per arm: {power:.3}");
    assert!(power >= 0.8, "power {power}");
}
