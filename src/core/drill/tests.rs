use super::*;
use crate::core::time::UtcNaive;

fn t0() -> UtcNaive {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
}

fn at(secs: i64) -> UtcNaive {
    t0() + Duration::seconds(secs)
}

fn lever(level: Level, confirmed: i64, ended: Option<i64>, verified: bool) -> LeverTaken {
    LeverTaken {
        action_id: format!("a{confirmed}"),
        level,
        by: "alice@laptop".into(),
        confirmed_at: at(confirmed),
        ended_at: ended.map(at),
        verified,
    }
}

fn timeline(levers: Vec<LeverTaken>) -> Timeline {
    Timeline {
        started: at(-240),
        fault_at: Some(at(0)),
        first_signal: Some(at(45)),
        first_look: Some(at(100)),
        levers,
    }
}

#[test]
fn the_catalogue_has_seven_drills_numbered_in_order_each_with_its_levels() {
    assert_eq!(DRILLS.len(), 7);
    for (i, d) in DRILLS.iter().enumerate() {
        assert_eq!(d.number as usize, i + 1);
        assert_eq!(drill(d.number), Some(d));
        assert!(!d.too_big.is_empty(), "{d:?}");
    }
    assert_eq!(drill(1).unwrap().expected, &[Level::Workspace]);
    assert_eq!(drill(3).unwrap().expected, &[Level::RevisionKillSwitch]);
    assert!(drill(7).unwrap().expected.is_empty());
    assert_eq!(drill(8), None);
}

#[test]
fn the_right_lever_scores_every_time_from_the_fault() {
    let d = drill(1).unwrap();
    let t = timeline(vec![lever(Level::Workspace, 130, Some(133), true)]);
    assert!(over(d, &t, at(133)));
    let s = score(d, &t, false);
    assert_eq!(s.judgement, Judgement::Right);
    assert!(s.passed());
    assert_eq!(s.to_signal_secs, Some(45));
    assert_eq!(s.to_look_secs, Some(100));
    assert_eq!(s.to_confirm_secs, Some(130));
    assert_eq!(s.to_verified_secs, Some(133));
    assert_eq!(s.chosen, Some(Level::Workspace));
    assert_eq!(s.failed_levers, 0);
    assert!(s.note.is_empty());
}

#[test]
fn a_kill_switch_for_one_harmed_workspace_is_too_big() {
    let d = drill(1).unwrap();
    let t = timeline(vec![lever(Level::RevisionKillSwitch, 90, Some(100), true)]);
    let s = score(d, &t, false);
    assert_eq!(s.judgement, Judgement::TooBig);
    assert!(!s.passed());
    assert_eq!(s.chosen, Some(Level::RevisionKillSwitch));
    assert_eq!(s.note, d.too_big);
    // A workspace rollback first, then the kill switch as well: the biggest counts.
    let t = timeline(vec![
        lever(Level::Workspace, 60, Some(62), true),
        lever(Level::RevisionKillSwitch, 90, Some(100), true),
    ]);
    assert_eq!(score(d, &t, false).judgement, Judgement::TooBig);
}

#[test]
fn a_workspace_rollback_when_every_workspace_loops_is_too_small_and_does_not_end_it() {
    let d = drill(3).unwrap();
    let t = timeline(vec![lever(Level::Workspace, 60, Some(62), true)]);
    assert!(!over(d, &t, at(600)), "harm goes on: the drill goes on");
    assert!(over(d, &t, at(3600)), "until its time runs out");
    let s = score(d, &t, false);
    assert_eq!(s.judgement, Judgement::TooSmall);
    assert_eq!(s.note, d.too_small);
    // The verified kill switch closes it at the right level.
    let t = timeline(vec![
        lever(Level::Workspace, 60, Some(62), true),
        lever(Level::RevisionKillSwitch, 200, Some(215), true),
    ]);
    assert!(over(d, &t, at(215)));
    let s = score(d, &t, false);
    assert_eq!(s.judgement, Judgement::Right);
    assert_eq!(s.to_confirm_secs, Some(200));
    assert_eq!(s.to_verified_secs, Some(215));
}

#[test]
fn a_canceled_flip_counts_as_failed_and_a_retry_or_the_workspace_level_closes_it() {
    let d = drill(4).unwrap();
    let failed = lever(Level::RevisionKillSwitch, 100, Some(130), false);
    let t = timeline(vec![failed.clone()]);
    assert!(!over(d, &t, at(200)), "a failed flip does not end it");
    let s = score(d, &t, false);
    assert_eq!(s.judgement, Judgement::Missed);
    assert_eq!(s.failed_levers, 1);
    for retry in [
        lever(Level::RevisionKillSwitch, 150, Some(170), true),
        lever(Level::Workspace, 150, Some(152), true),
    ] {
        let t = timeline(vec![failed.clone(), retry]);
        let s = score(d, &t, false);
        assert_eq!(s.judgement, Judgement::Right, "{s:?}");
        assert_eq!(s.failed_levers, 1);
        assert_eq!(s.to_confirm_secs, Some(150));
    }
    // The auto-send kill switch is bigger than both expected levels.
    let t = timeline(vec![
        failed,
        lever(Level::AutoSendKillSwitch, 150, Some(170), true),
    ]);
    assert_eq!(score(d, &t, false).judgement, Judgement::TooBig);
}

#[test]
fn in_the_harmless_drill_any_rollback_is_unnecessary() {
    let d = drill(7).unwrap();
    let quiet = timeline(vec![]);
    assert!(!over(d, &quiet, at(29 * 60)));
    assert!(over(d, &quiet, at(30 * 60)));
    let s = score(d, &quiet, false);
    assert_eq!(s.judgement, Judgement::Held);
    assert!(s.passed());
    assert_eq!(s.unnecessary, 0);
    let t = timeline(vec![
        lever(Level::Workspace, 70, Some(72), true),
        lever(Level::Workspace, 80, None, false),
    ]);
    assert!(
        !over(d, &t, at(100)),
        "a rollback does not end the harmless drill"
    );
    let s = score(d, &t, false);
    assert_eq!(s.judgement, Judgement::Unnecessary);
    assert_eq!(s.unnecessary, 2);
    assert_eq!(s.to_confirm_secs, Some(70));
}

#[test]
fn levers_before_the_fault_are_not_the_drills_and_the_guard_is_named() {
    let d = drill(1).unwrap();
    let mut by_guard = lever(Level::Workspace, 50, Some(51), true);
    by_guard.by = "guard (armed by alice@laptop)".into();
    let t = timeline(vec![
        lever(Level::Workspace, -100, Some(-98), true),
        by_guard,
    ]);
    let s = score(d, &t, false);
    assert_eq!(s.judgement, Judgement::Right);
    assert_eq!(s.by_guard, 1);
    assert_eq!(s.to_confirm_secs, Some(50));
}

#[test]
fn nothing_is_over_before_the_fault_and_an_abandoned_drill_is_missed() {
    let d = drill(2).unwrap();
    let mut t = timeline(vec![]);
    t.fault_at = None;
    t.first_signal = None;
    t.first_look = None;
    assert!(!over(d, &t, at(24 * 3600)));
    let s = score(d, &t, true);
    assert!(s.abandoned);
    assert_eq!(s.judgement, Judgement::Missed);
    assert_eq!(s.to_signal_secs, None);
}

#[test]
fn the_fault_minute_falls_inside_the_window_on_a_whole_minute() {
    let within = Duration::minutes(10);
    for pick in 0..100u64 {
        let m = fault_minute(t0(), within, pick);
        assert!(m > t0() && m <= t0() + within, "{m}");
        assert_eq!((m - t0()).num_seconds() % 60, 0);
    }
    assert_eq!(
        fault_minute(t0(), Duration::zero(), 5),
        t0() + Duration::minutes(1)
    );
}

#[test]
fn the_report_says_the_judgement_and_each_time() {
    let d = drill(1).unwrap();
    let t = timeline(vec![lever(Level::Workspace, 130, Some(133), true)]);
    let s = score(d, &t, false);
    let md = markdown(d, &t, &s, "alice@laptop");
    assert!(
        md.starts_with("# Drill 1: needs\\_review spike")
            || md.starts_with("# Drill 1: needs_review spike"),
        "{md}"
    );
    assert!(md.contains("**Passed** — right level"), "{md}");
    assert!(md.contains("| First sign in the panel | 45 s |"), "{md}");
    assert!(md.contains("| Verified | 2 min 13 s |"), "{md}");
}

#[test]
fn levels_come_from_the_plans_lever_and_direction() {
    assert_eq!(
        Level::of_lever("workspace-rollback", true),
        Some(Level::Workspace)
    );
    assert_eq!(
        Level::of_lever("workspace-rollback", false),
        None,
        "its restore"
    );
    assert_eq!(Level::of_lever("expansion", false), Some(Level::Workspace));
    assert_eq!(Level::of_lever("expansion", true), None);
    assert_eq!(
        Level::of_lever("revision-kill-switch", true),
        Some(Level::RevisionKillSwitch)
    );
    assert_eq!(Level::of_lever("auto-send-kill-switch", false), None);
    assert_eq!(Level::of_lever("canary-enable", true), None);
    assert!(Level::Workspace < Level::RevisionKillSwitch);
    assert!(Level::RevisionKillSwitch < Level::AutoSendKillSwitch);
}

#[test]
fn drill_5s_database_goes_down_half_a_minute_after_the_first_sign_or_at_ten_minutes() {
    let five = drill(5).unwrap();
    let mut t = timeline(vec![]);
    // Sign at 45 s → down at 75 s.
    assert_eq!(database_down_at(five, &t), Some(at(75)));
    // No sign yet: at the latest 10 minutes after the fault.
    t.first_signal = None;
    assert_eq!(database_down_at(five, &t), Some(at(600)));
    // A late sign does not push it past that.
    t.first_signal = Some(at(590));
    assert_eq!(database_down_at(five, &t), Some(at(600)));
    // Nothing before the fault, and the other drills keep their database.
    t.fault_at = None;
    assert_eq!(database_down_at(five, &t), None);
    for d in DRILLS.iter().filter(|d| d.number != 5) {
        assert_eq!(database_down_at(d, &timeline(vec![])), None, "{d:?}");
    }
}

#[test]
fn in_drill_5_a_verified_workspace_rollback_before_the_outage_is_too_small() {
    let five = drill(5).unwrap();
    let t = timeline(vec![lever(Level::Workspace, 60, Some(70), true)]);
    assert!(!over(five, &t, at(120)), "the loops go on elsewhere");
    let s = score(five, &t, false);
    assert_eq!(s.judgement, Judgement::TooSmall);
    let t = timeline(vec![
        lever(Level::Workspace, 60, Some(70), true),
        lever(Level::RevisionKillSwitch, 200, Some(215), true),
    ]);
    assert!(over(five, &t, at(220)));
    let s = score(five, &t, false);
    assert_eq!(s.judgement, Judgement::Right);
    assert_eq!(s.to_verified_secs, Some(215));
}
