use super::*;

fn key(n: u8) -> OperatorKey {
    OperatorKey::from_seed(&[n; 32])
}

fn signed<'a>(operator: &'a str, signer: &'a str, seq: i64, prev: &'a str) -> Signed<'a> {
    Signed {
        entry_id: "e1",
        action_id: "a1",
        at_ms: 1_772_359_200_000,
        operator,
        profile: "production",
        lever: "approval",
        kind: "intent",
        status: "pending",
        reason: "r",
        summary: "s",
        detail: "{}",
        seq,
        prev,
        signer,
    }
}

fn roster() -> Roster {
    Roster::new(vec![
        Operator {
            name: "alice@zrg".to_owned(),
            key: key(1).public(),
        },
        Operator {
            name: "bob@zrg".to_owned(),
            key: key(2).public(),
        },
    ])
    .expect("roster")
}

#[test]
fn a_signed_entry_verifies_and_every_alteration_is_caught() {
    let alice = key(1);
    let signer = alice.public().to_string();
    let s = signed("alice@zrg", &signer, 1, "");
    let sig = alice.sign(&s.message());
    let chain = Chain {
        seq: Some(1),
        prev: Some(String::new()),
        signer: Some(signer.clone()),
        signature: Some(sig.clone()),
    };
    let r = roster();
    assert_eq!(check_signature(&s, &chain, &r), Ok("alice@zrg"));
    // Any field changed: the signature no longer holds.
    let mut altered = s.clone();
    altered.reason = "other";
    assert_eq!(check_signature(&altered, &chain, &r), Err(Why::Altered));
    let mut altered = s.clone();
    altered.at_ms += 1;
    assert_eq!(check_signature(&altered, &chain, &r), Err(Why::Altered));
    // Unsigned, unknown key, a name that is not the key's.
    assert_eq!(
        check_signature(&s, &Chain::default(), &r),
        Err(Why::Unsigned)
    );
    let mallory = key(9);
    let m_signer = mallory.public().to_string();
    let m = signed("alice@zrg", &m_signer, 1, "");
    let m_chain = Chain {
        seq: Some(1),
        prev: Some(String::new()),
        signer: Some(m_signer.clone()),
        signature: Some(mallory.sign(&m.message())),
    };
    assert!(matches!(
        check_signature(&m, &m_chain, &r),
        Err(Why::UnknownKey(_))
    ));
    let as_bob = signed("bob@zrg", &signer, 1, "");
    let chain_bob = Chain {
        signature: Some(alice.sign(&as_bob.message())),
        ..chain.clone()
    };
    assert_eq!(
        check_signature(&as_bob, &chain_bob, &r),
        Err(Why::NameMismatch {
            claimed: "bob@zrg".to_owned(),
            known: "alice@zrg".to_owned()
        })
    );
}

#[test]
fn links_hold_only_to_the_entry_before() {
    assert_eq!(check_link(1, "", None), Ok(()));
    assert!(check_link(1, "abc", None).is_err());
    assert!(matches!(
        check_link(2, "abc", None),
        Err(Why::OutOfChain(_))
    ));
    assert!(matches!(
        check_link(2, "abc", Some("abd")),
        Err(Why::OutOfChain(_))
    ));
    assert_eq!(check_link(2, "abc", Some("abc")), Ok(()));
    assert!(check_link(0, "", None).is_err());
}

#[test]
fn hostile_times_are_rejected_not_decoded() {
    for t in [
        "infinity",
        "-infinity",
        "294276-12-31 23:59:59.999",
        "4713-01-01 00:00:00 BC",
        "1970-01-01 00:00:00",
        "",
        "garbage",
    ] {
        assert!(matches!(parse_time(t), Err(Why::BadTime(_))), "{t}");
    }
    let t = parse_time("2026-03-01 10:00:00.123").expect("a real time");
    assert_eq!(t.format("%H:%M:%S%.3f").to_string(), "10:00:00.123");
    let now = parse_time("2026-03-01 10:00:00").expect("now");
    assert!(check_not_future(now + chrono::Duration::minutes(4), now).is_ok());
    assert!(matches!(
        check_not_future(now + chrono::Duration::minutes(6), now),
        Err(Why::Future { .. })
    ));
}

#[test]
fn rosters_refuse_shared_keys_and_name_the_bad_line() {
    let a = key(1).public();
    let text = format!(
        "# team\nalice@zrg {a}  # laptop\n\nbob@zrg {}\n",
        key(2).public()
    );
    let r = Roster::parse(&text).expect("parsed");
    assert_eq!(r.name_of(&a), Some("alice@zrg"));
    let twice = format!("alice@zrg {a}\nbob@zrg {a}\n");
    assert!(Roster::parse(&twice).unwrap_err().contains("the same key"));
    assert!(
        Roster::parse("alice@zrg")
            .unwrap_err()
            .starts_with("line 1")
    );
    assert!(
        Roster::parse("alice@zrg ed25519:AAAA")
            .unwrap_err()
            .contains("32 bytes")
    );
}

#[test]
fn keys_round_trip_through_their_text_forms() {
    let k = key(7);
    let back = OperatorKey::from_seed_text(&k.seed_text()).expect("seed");
    assert_eq!(back.public(), k.public());
    let p: PublicKey = k.public().to_string().parse().expect("public");
    assert_eq!(p, k.public());
    assert!(format!("{k:?}").starts_with("OperatorKey(ed25519:"));
    assert!(!format!("{k:?}").contains(&k.seed_text()));
}

#[test]
fn display_text_is_one_inert_bounded_line() {
    assert_eq!(display_text("a\nb\u{1b}[2J", 100), "a\\nb\\u{1b}[2J");
    let long = "é".repeat(100);
    let shown = display_text(&long, 11);
    assert!(shown.ends_with("… (cut)"), "{shown}");
    assert!(shown.starts_with("ééééé"), "{shown}");
}
