use super::*;

fn t(min: i64) -> UtcNaive {
    chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("time")
        + chrono::Duration::minutes(min)
}

fn obs(at: i64, alpha_on: bool, flag: (&str, i64)) -> Observation {
    let mut toggles = BTreeMap::new();
    toggles.insert("c-alpha".to_owned(), ("Alpha".to_owned(), alpha_on, None));
    let mut env = BTreeMap::new();
    env.insert(
        "AUTO_SEND_REVISION_DISABLED".to_owned(),
        (Some(flag.0.to_owned()), Some(t(flag.1))),
    );
    Observation {
        at: t(at),
        toggles: Some(toggles),
        env: Some(env),
    }
}

#[test]
fn an_unexplained_toggle_flip_and_env_change_are_named_with_their_times() {
    let a = outside_changes(&obs(0, false, ("1", -60)), &obs(1, true, ("0", 0)), &[]);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert!(
        a[0].finding
            .starts_with("Alpha's revision toggle changed OFF -> ON outside the panel"),
        "{}",
        a[0].finding
    );
    assert!(
        a[0].finding
            .contains("between 2026-03-01 10:00:00 and 2026-03-01 10:01:00 UTC"),
        "{}",
        a[0].finding
    );
    assert_eq!(a[0].suggested_lever, "workspace-rollback");
    assert!(
        a[1].finding
            .contains("AUTO_SEND_REVISION_DISABLED changed outside the panel"),
        "{}",
        a[1].finding
    );
    assert!(
        a[1].finding.contains("\"1\" -> \"0\"")
            && a[1].finding.contains("updatedAt 2026-03-01 10:00:00"),
        "{}",
        a[1].finding
    );
    assert!(a.iter().all(|x| x.kind == AlarmKind::ChangedOutsidePanel));
}

#[test]
fn a_panel_action_explains_its_own_changes_and_nothing_else() {
    let touch = PanelTouch {
        workspaces: vec!["c-alpha".to_owned()],
        keys: vec!["AUTO_SEND_REVISION_DISABLED".to_owned()],
        from: t(0),
        until: Some(t(1)),
    };
    assert!(
        outside_changes(
            &obs(0, false, ("1", -60)),
            &obs(1, true, ("0", 0)),
            std::slice::from_ref(&touch)
        )
        .is_empty()
    );
    // An env change an hour after the action ended is not its.
    let late = outside_changes(
        &obs(60, true, ("0", 0)),
        &obs(61, true, ("1", 61)),
        &[touch],
    );
    assert_eq!(late.len(), 1, "{late:#?}");
    // Nothing changed: nothing to say; a part not read: nothing judged.
    assert!(outside_changes(&obs(0, true, ("0", 0)), &obs(1, true, ("0", 0)), &[]).is_empty());
    let unread = Observation {
        env: None,
        toggles: None,
        ..obs(1, false, ("1", 1))
    };
    assert!(outside_changes(&obs(0, true, ("0", 0)), &unread, &[]).is_empty());
}

#[test]
fn a_secret_changes_without_its_value() {
    let mut env = BTreeMap::new();
    env.insert("OPENAI_API_KEY".to_owned(), (None, Some(t(-5))));
    let prev = Observation {
        at: t(0),
        toggles: None,
        env: Some(env.clone()),
    };
    env.insert("OPENAI_API_KEY".to_owned(), (None, Some(t(1))));
    let now = Observation {
        at: t(2),
        toggles: None,
        env: Some(env),
    };
    let a = outside_changes(&prev, &now, &[]);
    assert_eq!(a.len(), 1);
    assert!(
        a[0].finding
            .contains("a value not shown -> a value not shown"),
        "{}",
        a[0].finding
    );
}
