use super::*;

fn at(min: i64) -> UtcNaive {
    chrono::DateTime::from_timestamp(1_800_000_000 + min * 60, 0)
        .expect("time")
        .naive_utc()
}

fn verdict(id: &str, pass: bool, reviewer: &str, min: i64) -> Verdict {
    Verdict {
        draft_id: id.to_owned(),
        pass,
        reason: (!pass).then_some(FailReason::Tone),
        note: String::new(),
        reviewer: reviewer.to_owned(),
        at: at(min),
    }
}

#[test]
fn wilson_matches_the_textbook_values() {
    let (lo, hi) = wilson(19, 20).expect("an interval");
    assert!((lo - 0.7639).abs() < 1e-3, "{lo}");
    assert!((hi - 0.9911).abs() < 1e-3, "{hi}");
    let (lo, hi) = wilson(0, 10).expect("an interval");
    assert_eq!(lo, 0.0);
    assert!((hi - 0.2775).abs() < 1e-3, "{hi}");
    assert_eq!(wilson(0, 0), None);
}

#[test]
fn nineteen_of_twenty_decides_neither_ninety_nor_ninety_five_percent() {
    // [76.4 %, 99.1 %] holds both targets: undecided against each.
    let Decision::Undecided { more: Some(n) } = decide(19, 20, 0.90) else {
        panic!("{:?}", decide(19, 20, 0.90));
    };
    // At 95 % passing, exactly n more decide it and n - 1 do not.
    let at_rate = |k: usize| 19 + (0.95 * k as f64).round() as usize;
    assert_eq!(decide(at_rate(n), 20 + n, 0.90), Decision::MeetsPolicy);
    assert!(matches!(
        decide(at_rate(n - 1), 20 + n - 1, 0.90),
        Decision::Undecided { .. }
    ));
    assert!(n > 20 && n < 200, "{n}");
    // At 95 % passing against 95 %: no number of reviews decides it.
    assert_eq!(decide(19, 20, 0.95), Decision::Undecided { more: None });
}

#[test]
fn no_verdict_yet_names_how_many_passes_in_a_row_would_meet_the_target() {
    // lo(m, m) = m / (m + z²): ≥ 0.95 from m = 73, ≥ 0.90 from m = 35.
    assert_eq!(decide(0, 0, 0.95), Decision::Undecided { more: Some(73) });
    assert_eq!(decide(0, 0, 0.90), Decision::Undecided { more: Some(35) });
    assert_eq!(decide(73, 73, 0.95), Decision::MeetsPolicy);
    assert!(matches!(decide(72, 72, 0.95), Decision::Undecided { .. }));
}

#[test]
fn clear_samples_meet_or_fail() {
    assert_eq!(decide(20, 20, 0.80), Decision::MeetsPolicy);
    assert_eq!(decide(10, 20, 0.95), Decision::FailsPolicy);
    let more = |p, n, t| match decide(p, n, t) {
        Decision::Undecided { more } => more,
        d => panic!("{d:?}"),
    };
    // Failing faster than the target allows: more reviews show it fails.
    let n = more(18, 20, 0.95).expect("a number");
    let at_rate = |k: usize| 18 + (0.9 * k as f64).round() as usize;
    assert_eq!(decide(at_rate(n), 20 + n, 0.95), Decision::FailsPolicy);
}

#[test]
fn the_outcome_counts_the_latest_verdict_per_sampled_draft_and_lists_failures() {
    let sample: Vec<String> = ["d1", "d2", "d3", "d4"].map(str::to_owned).to_vec();
    let mut wrong = verdict("d2", false, "bob", 3);
    wrong.reason = Some(FailReason::FactualError);
    let verdicts = vec![
        verdict("d1", true, "alice", 1),
        verdict("d2", true, "alice", 2),
        // Bob's later verdict on d2 stands.
        wrong,
        verdict("d3", false, "bob", 4),
        // Not in the sample: not counted.
        verdict("d9", false, "bob", 5),
    ];
    let o = outcome(&sample, &verdicts, 0.95);
    assert_eq!((o.passes, o.judged, o.sample), (1, 3, 4));
    assert_eq!(
        o.failures,
        BTreeMap::from([
            (FailReason::Tone, vec!["d3".to_owned()]),
            (FailReason::FactualError, vec!["d2".to_owned()]),
        ])
    );
    assert_eq!(o.interval, wilson(1, 3));
    assert!(o.headline().contains("1/3 pass"), "{}", o.headline());
    let none = outcome(&sample, &[], 0.95);
    assert_eq!(none.interval, None);
    assert!(
        none.headline().starts_with("undecided — review 73 more"),
        "{}",
        none.headline()
    );
}

#[test]
fn the_word_diff_gives_both_texts_back() {
    let before = "Hi Ana, thanks for the\r\nquick reply. See you 😀 soon";
    let after = "Hi Ana, thank you for the\r\nquick reply. Talk soon";
    let d = word_diff(before, after);
    let (mut b, mut a) = (String::new(), String::new());
    for p in &d {
        match p {
            Piece::Same(t) => {
                b.push_str(t);
                a.push_str(t);
            }
            Piece::Removed(t) => b.push_str(t),
            Piece::Added(t) => a.push_str(t),
        }
    }
    assert_eq!((b.as_str(), a.as_str()), (before, after));
    assert!(d.contains(&Piece::Removed("thanks ".to_owned())), "{d:?}");
    assert!(d.contains(&Piece::Added("thank you ".to_owned())), "{d:?}");
    // A changed stretch: all removed, then all added.
    let stretch = word_diff("a b c d", "a x y d");
    assert_eq!(
        stretch,
        vec![
            Piece::Same("a ".into()),
            Piece::Removed("b c".into()),
            Piece::Added("x y".into()),
            Piece::Same(" d".into()),
        ]
    );
    assert!(
        d.contains(&Piece::Removed("See you 😀".to_owned())),
        "{d:?}"
    );
    assert!(d.contains(&Piece::Added("Talk".to_owned())), "{d:?}");
}

#[test]
fn the_revisers_account_is_read_leniently() {
    let a = Account::from_payload(&serde_json::json!({
        "changesMade": ["softened the opener", null, 3],
        "issuesAddressed": "missing booking link",
        "unresolvedRequirements": []
    }));
    assert_eq!(
        a.changes_made,
        vec!["softened the opener".to_owned(), "3".to_owned()]
    );
    assert_eq!(a.issues_addressed, vec!["missing booking link".to_owned()]);
    assert!(a.unresolved_requirements.is_empty());
    assert_eq!(
        Account::from_payload(&serde_json::Value::Null),
        Account::default()
    );
    for r in FailReason::ALL {
        assert_eq!(FailReason::parse(r.id()), Some(r));
    }
}
