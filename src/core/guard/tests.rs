use super::*;

fn ts(s: &str) -> UtcNaive {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("a time")
}

/// A fresh reading of one canary with no problem.
fn quiet(at: &str) -> Reading {
    Reading {
        at: ts(at),
        db_ok_at: Some(ts(at)),
        db_error: None,
        canary_ids: vec!["c-alpha".to_owned()],
        verdict: Some(VerdictState::Inconclusive),
        verdict_text: None,
        bound_drafts: Vec::new(),
        canary_attempts: 40,
        failed_drafts: Vec::new(),
        log_errors: None,
    }
}

fn harm(at: &str) -> Reading {
    Reading {
        verdict: Some(VerdictState::HarmDetected),
        verdict_text: Some("+14.2 pp".to_owned()),
        ..quiet(at)
    }
}

fn fires(look: &Look) -> bool {
    matches!(look, Look::Fire { .. })
}

#[test]
fn a_rule_fires_only_on_two_consecutive_readings_thirty_seconds_apart() {
    let s = GuardSettings::default();
    let mut g = GuardState::default();
    let first = g.observe(&harm("2026-03-01 10:00:00"), &s);
    assert!(
        matches!(&first, Look::Holding { finding, .. } if finding.rule == Rule::Harm),
        "{first:?}"
    );
    // 10 s later: still holding, not yet firing.
    assert!(matches!(
        g.observe(&harm("2026-03-01 10:00:10"), &s),
        Look::Holding { .. }
    ));
    // 30 s after the first: fires, with the canary's workspaces.
    let look = g.observe(&harm("2026-03-01 10:00:30"), &s);
    match &look {
        Look::Fire {
            finding,
            workspace_ids,
        } => {
            assert_eq!(workspace_ids, &vec!["c-alpha".to_owned()]);
            assert!(finding.evidence.contains("+14.2 pp"), "{finding:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_single_poll_flap_never_fires() {
    let s = GuardSettings::default();
    let mut g = GuardState::default();
    // Harm, quiet, harm, quiet … every 20 s for an hour: never two in a row.
    for i in 0..180 {
        let at = ts("2026-03-01 10:00:00") + Duration::seconds(20 * i);
        let mut r = if i % 2 == 0 {
            harm("2026-03-01 10:00:00")
        } else {
            quiet("2026-03-01 10:00:00")
        };
        r.at = at;
        r.db_ok_at = Some(at);
        assert!(!fires(&g.observe(&r, &s)), "reading {i}");
    }
}

#[test]
fn a_blind_reading_between_two_harmful_ones_resets_the_count() {
    let s = GuardSettings::default();
    let mut g = GuardState::default();
    g.observe(&harm("2026-03-01 10:00:00"), &s);
    let blind = Reading {
        db_error: Some("connection refused".to_owned()),
        ..harm("2026-03-01 10:00:20")
    };
    assert!(matches!(g.observe(&blind, &s), Look::Blind { .. }));
    // Not two consecutive readings: holding again from here.
    assert!(matches!(
        g.observe(&harm("2026-03-01 10:00:40"), &s),
        Look::Holding { .. }
    ));
    assert!(fires(&g.observe(&harm("2026-03-01 10:01:10"), &s)));
}

#[test]
fn missing_stale_or_thin_data_is_blind_never_a_trigger() {
    let s = GuardSettings::default();
    let mut g = GuardState::default();
    // Each case: the reading, and how old its data is (None = never read).
    let cases = [
        (
            Reading {
                db_error: Some("timeout".to_owned()),
                ..harm("2026-03-01 10:00:00")
            },
            Some(0),
        ),
        (harm("2026-03-01 10:00:00"), None),
        (harm("2026-03-01 10:00:00"), Some(5)),
        (
            Reading {
                verdict: None,
                ..harm("2026-03-01 10:00:00")
            },
            Some(0),
        ),
        (
            Reading {
                verdict: Some(VerdictState::InsufficientData),
                bound_drafts: vec!["d1".into(), "d2".into(), "d3".into(), "d4".into()],
                ..quiet("2026-03-01 10:00:00")
            },
            Some(0),
        ),
    ];
    for (i, (mut r, age)) in cases.into_iter().enumerate() {
        for k in 0..10 {
            r.at = ts("2026-03-01 10:00:00") + Duration::minutes(k);
            r.db_ok_at = age.map(|m| r.at - Duration::minutes(m));
            let look = g.observe(&r, &s);
            assert!(
                matches!(look, Look::Blind { .. }),
                "case {i}, reading {k}: {look:?}"
            );
        }
    }
}

#[test]
fn blindness_is_told_once_after_a_few_minutes() {
    let s = GuardSettings::default();
    let mut g = GuardState::default();
    let mut told = Vec::new();
    for k in 0..20 {
        let at = ts("2026-03-01 10:00:00") + Duration::seconds(30 * k);
        let r = Reading {
            at,
            db_error: Some("down".to_owned()),
            ..quiet("2026-03-01 10:00:00")
        };
        let look = g.observe(&r, &s);
        assert!(matches!(&look, Look::Blind { since, .. } if *since == ts("2026-03-01 10:00:00")));
        if g.tell_blind(at, &s) {
            told.push(k);
        }
    }
    // 3 minutes = the 7th reading (k = 6); once.
    assert_eq!(told, vec![6]);
    // Seeing again ends the stretch; a new one is told again.
    g.observe(&quiet("2026-03-01 10:20:00"), &s);
    let r = Reading {
        db_error: Some("down".to_owned()),
        ..quiet("2026-03-01 10:21:00")
    };
    g.observe(&r, &s);
    assert!(!g.tell_blind(ts("2026-03-01 10:21:00"), &s));
    assert!(g.tell_blind(ts("2026-03-01 10:24:00"), &s));
}

#[test]
fn each_rule_holds_at_its_threshold_and_not_below() {
    let s = GuardSettings::default();
    let holds_at = |r: &Reading| holds(r, &s).map(|f| f.rule);
    let drafts = |n: usize| (0..n).map(|i| format!("d{i}")).collect::<Vec<_>>();
    // Attempts bound: 3 drafts.
    let r = Reading {
        bound_drafts: drafts(2),
        ..quiet("2026-03-01 10:00:00")
    };
    assert_eq!(holds_at(&r), None);
    let r = Reading {
        bound_drafts: drafts(3),
        ..quiet("2026-03-01 10:00:00")
    };
    assert_eq!(holds_at(&r), Some(Rule::AttemptsAboveBound));
    assert_eq!(holds(&r, &s).expect("holds").draft_ids, drafts(3));
    // Failures: at least 5 and at least 20 % of the attempts.
    let r = Reading {
        failed_drafts: drafts(4),
        canary_attempts: 10,
        ..quiet("2026-03-01 10:00:00")
    };
    assert_eq!(holds_at(&r), None, "4 < 5 even at 40 %");
    let r = Reading {
        failed_drafts: drafts(5),
        canary_attempts: 26,
        ..quiet("2026-03-01 10:00:00")
    };
    assert_eq!(holds_at(&r), None, "5 of 26 is under 20 %");
    let r = Reading {
        failed_drafts: drafts(5),
        canary_attempts: 25,
        ..quiet("2026-03-01 10:00:00")
    };
    assert_eq!(holds_at(&r), Some(Rule::ReviserFailures));
    let f = holds(&r, &s).expect("holds");
    assert!(f.evidence.contains("5 of 25"), "{}", f.evidence);
    // No-harm verdict and nothing else: quiet.
    let r = Reading {
        verdict: Some(VerdictState::NoHarmDetected),
        ..quiet("2026-03-01 10:00:00")
    };
    assert_eq!(holds_at(&r), None);
    // Every rule is described with its threshold.
    for rule in Rule::ALL {
        assert!(!rule.describe(&s).is_empty());
    }
    assert!(Rule::ReviserFailures.describe(&s).contains("20 %"));
}

#[test]
fn a_rule_must_hold_twice_as_the_same_rule() {
    let s = GuardSettings::default();
    let mut g = GuardState::default();
    let bound = Reading {
        bound_drafts: vec!["a".into(), "b".into(), "c".into()],
        ..quiet("2026-03-01 10:00:00")
    };
    g.observe(&bound, &s);
    // A different rule 30 s later starts its own count.
    assert!(matches!(
        g.observe(&harm("2026-03-01 10:00:30"), &s),
        Look::Holding { .. }
    ));
    assert!(fires(&g.observe(&harm("2026-03-01 10:01:00"), &s)));
}

#[test]
fn no_canary_is_idle_and_forgets() {
    let s = GuardSettings::default();
    let mut g = GuardState::default();
    g.observe(&harm("2026-03-01 10:00:00"), &s);
    let none = Reading {
        canary_ids: Vec::new(),
        ..harm("2026-03-01 10:00:20")
    };
    assert_eq!(g.observe(&none, &s), Look::Idle);
    assert!(matches!(
        g.observe(&harm("2026-03-01 10:00:40"), &s),
        Look::Holding { .. }
    ));
}

#[test]
fn the_last_arm_or_disarm_decides() {
    let ev = |at: &str, armed: bool, who: &str| GuardEvent {
        at: ts(at),
        operator: who.to_owned(),
        armed,
        dry_run: false,
        action_id: format!("{who}-{at}"),
    };
    assert_eq!(arming(&[]), None);
    let a = arming(&[ev("2026-03-01 10:02:00", true, "alice")]).expect("armed");
    assert_eq!(
        (a.by.as_str(), a.since),
        ("alice", ts("2026-03-01 10:02:00"))
    );
    assert_eq!(
        arming(&[
            ev("2026-03-01 10:02:00", true, "alice"),
            ev("2026-03-01 10:05:00", false, "bob")
        ]),
        None
    );
    // Out of order in the list: time decides.
    let a = arming(&[
        ev("2026-03-01 10:09:00", true, "bob"),
        ev("2026-03-01 10:05:00", false, "alice"),
    ])
    .expect("armed");
    assert_eq!(a.by, "bob");
    let f = Finding {
        rule: Rule::Harm,
        evidence: "harm detected (+14 pp)".into(),
        draft_ids: vec![],
    };
    assert_eq!(
        rollback_reason(&a, &f),
        "guard (armed by bob): rule harm: harm detected (+14 pp)"
    );
}

fn beat(pid: Option<i32>, at: &str, age_secs: i64) -> Beat {
    Beat {
        panel: format!("host-a/{pid:?}"),
        host: "host-a".to_owned(),
        operator: "alice".to_owned(),
        backend_pid: pid,
        at: ts(at),
        age: Duration::seconds(age_secs),
    }
}

fn armed_at(at: &str) -> Arming {
    Arming {
        by: "alice".to_owned(),
        since: ts(at),
        dry_run: false,
        action_id: "a1".to_owned(),
    }
}

#[test]
fn the_guard_is_down_only_when_the_lock_holders_heartbeat_is_old_or_missing() {
    let s = GuardSettings::default();
    let arming = armed_at("2026-03-01 10:00:00");
    let fresh = beat(Some(42), "2026-03-01 10:05:00", 10);
    let old = beat(Some(42), "2026-03-01 10:05:00", 121);
    // Disarmed, or nobody holds the lock: not down (a panel then takes it).
    assert_eq!(down(None, Some(42), std::slice::from_ref(&old), &s), None);
    assert_eq!(
        down(Some(&arming), None, std::slice::from_ref(&old), &s),
        None
    );
    // The holder beats: up; up to the limit itself.
    assert_eq!(
        down(Some(&arming), Some(42), std::slice::from_ref(&fresh), &s),
        None
    );
    let at_limit = beat(Some(42), "2026-03-01 10:05:00", 120);
    assert_eq!(down(Some(&arming), Some(42), &[at_limit], &s), None);
    // Its heartbeat is too old: down since that heartbeat, on its host.
    assert_eq!(
        down(Some(&arming), Some(42), std::slice::from_ref(&old), &s),
        Some(Down {
            since: ts("2026-03-01 10:05:00"),
            host: Some("host-a".to_owned())
        })
    );
    // A fresh heartbeat of another backend (anyone can write one) does not
    // hide it; no heartbeat of the holder at all: down since the arming.
    let other = beat(Some(7), "2026-03-01 10:09:00", 1);
    let unclaimed = beat(None, "2026-03-01 10:09:00", 1);
    assert_eq!(
        down(Some(&arming), Some(42), &[other, unclaimed], &s),
        Some(Down {
            since: ts("2026-03-01 10:00:00"),
            host: None
        })
    );
}

#[test]
fn profile_guard_settings_override_defaults_and_are_clamped() {
    let none = GuardProfile::default();
    assert_eq!(none.settings(), GuardSettings::default());
    assert!(!none.dry_run());
    let p: GuardProfile = toml::from_str(
        "bound_min_drafts = 0\nfailure_share = 7.5\nfailure_min = 9\nconfirm_gap_secs = 1\ndown_after_secs = 30\ndry_run = true",
    )
    .expect("toml");
    let s = p.settings();
    assert_eq!(s.bound_min_drafts, 1);
    assert!((s.failure_share - 1.0).abs() < f64::EPSILON);
    assert_eq!(s.failure_min, 9);
    assert_eq!(s.confirm_gap, Duration::seconds(10));
    assert_eq!(s.down_after, Duration::seconds(30));
    assert!(p.dry_run());
    // A key this version does not know is refused (the loader then drops
    // the table with a warning rather than guess).
    assert!(toml::from_str::<GuardProfile>("confirm_gap = 30").is_err());
}

#[test]
fn re_enabling_after_the_guards_rollback_is_an_overridable_failing_precondition() {
    assert_eq!(finding_precondition(None), None);
    let p = finding_precondition(Some(&(
        ts("2026-03-01 10:41:00"),
        "guard (armed by alice): rule harm: the canary verdict is harm detected".to_owned(),
    )))
    .expect("a precondition");
    assert_eq!(p.name, GUARD_FINDING);
    assert!(!p.ok && p.overridable);
    assert!(
        p.detail.contains("10:41") && p.detail.contains("rule harm"),
        "{}",
        p.detail
    );
}

#[test]
fn revision_path_errors_from_the_logs_fire_on_two_readings_and_name_every_draft() {
    let s = GuardSettings::default();
    let mut g = GuardState::default();
    let logged = |at: &str| Reading {
        log_errors: Some((
            "canary: 6 revision loops failed in the last hour".to_owned(),
            vec!["d1".to_owned(), "d2".to_owned()],
        )),
        ..quiet(at)
    };
    assert!(matches!(
        g.observe(&logged("2026-03-01 10:00:00"), &s),
        Look::Holding { finding, .. } if finding.rule == Rule::RevisionPathErrors
    ));
    match g.observe(&logged("2026-03-01 10:00:31"), &s) {
        Look::Fire {
            finding,
            workspace_ids,
        } => {
            assert_eq!(finding.rule, Rule::RevisionPathErrors);
            assert_eq!(finding.draft_ids, vec!["d1".to_owned(), "d2".to_owned()]);
            assert!(
                finding
                    .evidence
                    .starts_with("from the runtime logs: canary: 6"),
                "{}",
                finding.evidence
            );
            assert_eq!(workspace_ids, vec!["c-alpha".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    // The other rules come first: harm names the verdict, not the logs.
    let both = Reading {
        verdict: Some(VerdictState::HarmDetected),
        ..logged("2026-03-01 10:05:00")
    };
    assert_eq!(holds(&both, &s).map(|f| f.rule), Some(Rule::Harm));
    // A blind database read stays blind, whatever the logs say.
    let blind = Reading {
        db_error: Some("connection refused".to_owned()),
        ..logged("2026-03-01 10:06:00")
    };
    assert!(matches!(g.observe(&blind, &s), Look::Blind { .. }));
}
