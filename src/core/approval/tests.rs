use super::*;
use crate::core::lever::Guard;

fn at(min: i64) -> UtcNaive {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        + chrono::Duration::minutes(min)
}

fn plan(lever: LeverKind, on: bool, workspace: Option<&str>, targets: &[&str]) -> Plan {
    Plan {
        readiness: Vec::new(),
        lever,
        on,
        workspace: workspace.map(str::to_owned),
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        title: "t".to_owned(),
        changes: vec![],
        preconditions: vec![],
        guard: Guard::Confirm,
        needs_redeploy: false,
        takes_effect: String::new(),
        warnings: vec![],
    }
}

fn request(id: &str, by: &str, min: i64, p: Plan) -> Requested {
    Requested {
        action_id: id.to_owned(),
        operator: by.to_owned(),
        at: at(min),
        digest: plan_digest(&p),
        plan: p,
        reason: "r".to_owned(),
    }
}

fn approval(req: &Requested, by: &str, min: i64) -> Approved {
    Approved {
        action_id: format!("ap-{}-{min}", req.action_id),
        operator: by.to_owned(),
        at: at(min),
        request_id: req.action_id.clone(),
        digest: req.digest.clone(),
        server_age: None,
        used: false,
    }
}

#[test]
fn only_the_canary_and_an_expansion_wait_and_never_a_rollback() {
    assert!(needs_approval(&plan(
        LeverKind::CanaryEnable,
        true,
        Some("c"),
        &[]
    )));
    assert!(needs_approval(&plan(
        LeverKind::Expansion,
        true,
        None,
        &["a"]
    )));
    assert!(!needs_approval(&plan(
        LeverKind::Expansion,
        false,
        None,
        &["a"]
    )));
    assert!(!needs_approval(&plan(
        LeverKind::WorkspaceRollback,
        true,
        Some("c"),
        &[]
    )));
    assert!(!needs_approval(&plan(
        LeverKind::RevisionKillSwitch,
        true,
        None,
        &[]
    )));
    assert!(!needs_approval(&plan(
        LeverKind::CanaryEnable,
        false,
        Some("c"),
        &[]
    )));
}

#[test]
fn an_approval_counts_fifteen_minutes_from_another_operator_for_the_same_target() {
    let canary = plan(LeverKind::CanaryEnable, true, Some("c1"), &[]);
    let reqs = vec![request("r1", "alice@a", 0, canary.clone())];
    // Nothing yet.
    let e = approval_for(&canary, "alice@a", &reqs, &[], at(1)).unwrap_err();
    assert!(e.contains("still waiting"), "{e}");
    // Her own approval does not count.
    let own = [approval(&reqs[0], "alice@a", 1)];
    assert!(approval_for(&canary, "alice@a", &reqs, &own, at(2)).is_err());
    // Bob's does, for 15 minutes.
    let bob = [approval(&reqs[0], "bob@b", 2)];
    let g = approval_for(&canary, "alice@a", &reqs, &bob, at(16)).unwrap();
    assert_eq!(g.request.action_id, "r1");
    assert!(g.by == "bob@b" && g.until == at(17), "{g:?}");
    let e = approval_for(&canary, "alice@a", &reqs, &bob, at(17)).unwrap_err();
    assert!(e.contains("bob@b's approval expired"), "{e}");
    // Not for another workspace, not for another runner.
    let other = plan(LeverKind::CanaryEnable, true, Some("c2"), &[]);
    assert!(approval_for(&other, "alice@a", &reqs, &bob, at(3)).is_err());
    assert!(approval_for(&canary, "carol@c", &reqs, &bob, at(3)).is_err());
    // An expansion matches on its workspaces, in any order.
    let ex = plan(LeverKind::Expansion, true, None, &["b", "a"]);
    let reqs = vec![request(
        "r2",
        "alice@a",
        0,
        plan(LeverKind::Expansion, true, None, &["a", "b"]),
    )];
    let ok = [approval(&reqs[0], "bob@b", 1)];
    assert!(approval_for(&ex, "alice@a", &reqs, &ok, at(2)).is_ok());
    let more = plan(LeverKind::Expansion, true, None, &["a", "b", "c"]);
    assert!(approval_for(&more, "alice@a", &reqs, &ok, at(2)).is_err());
    assert_eq!(standing(&reqs[0], &[], at(1)), Standing::Waiting);
}

fn toggle_plan(before: crate::core::workspace::RevisionToggle) -> Plan {
    let mut p = plan(LeverKind::CanaryEnable, true, Some("c1"), &[]);
    p.changes = vec![crate::core::lever::Change::Toggle {
        workspace_id: "c1".to_owned(),
        workspace_name: "Acme".to_owned(),
        before,
        after: true,
    }];
    p
}

#[test]
fn an_approval_is_of_the_exact_plan_used_once_and_expires_by_the_servers_clock_too() {
    use crate::core::workspace::RevisionToggle;
    let asked = toggle_plan(RevisionToggle::Disabled);
    let reqs = vec![request("r1", "alice@a", 0, asked.clone())];
    let bob = approval(&reqs[0], "bob@b", 1);
    assert!(approval_for(&asked, "alice@a", &reqs, std::slice::from_ref(&bob), at(2)).is_ok());
    // The before-value moved (the row is missing now): another plan.
    let moved = toggle_plan(RevisionToggle::NoSettingsRow);
    assert_ne!(plan_digest(&moved), plan_digest(&asked));
    let e = approval_for(&moved, "alice@a", &reqs, std::slice::from_ref(&bob), at(2)).unwrap_err();
    assert!(e.contains("exact plan"), "{e}");
    // A precondition's result changed: another plan; its wording is not.
    let mut failing = asked.clone();
    failing
        .preconditions
        .push(crate::core::lever::Precondition {
            name: "one canary".to_owned(),
            ok: false,
            detail: "already on: Beta".to_owned(),
            overridable: true,
        });
    let mut reworded = failing.clone();
    reworded.preconditions[0].detail = "already on: Beta, Gamma".to_owned();
    reworded.title = "other words".to_owned();
    assert_ne!(plan_digest(&failing), plan_digest(&asked));
    assert_eq!(plan_digest(&failing), plan_digest(&reworded));
    // An approval of another digest (re-aimed) does not count.
    let reaimed = Approved {
        digest: plan_digest(&failing),
        ..bob.clone()
    };
    assert!(approval_for(&asked, "alice@a", &reqs, &[reaimed], at(2)).is_err());
    // Used once.
    let used = Approved {
        used: true,
        ..bob.clone()
    };
    let e = approval_for(&asked, "alice@a", &reqs, &[used], at(2)).unwrap_err();
    assert!(e.contains("already used"), "{e}");
    // The panel's clock says 1 minute, the server's 16: expired.
    let old = Approved {
        server_age: Some(chrono::Duration::minutes(16)),
        ..bob.clone()
    };
    let e = approval_for(&asked, "alice@a", &reqs, &[old], at(2)).unwrap_err();
    assert!(e.contains("expired"), "{e}");
    // Dated ahead of the panel's clock by more than the skew: not current.
    let ahead = Approved { at: at(30), ..bob };
    assert!(approval_for(&asked, "alice@a", &reqs, &[ahead], at(2)).is_err());
}

#[test]
fn a_restore_waits_like_an_enable_and_a_rollback_never() {
    use crate::core::workspace::RevisionToggle;
    let mut restore = plan(LeverKind::WorkspaceRollback, false, Some("c1"), &[]);
    restore.changes = toggle_plan(RevisionToggle::Disabled).changes;
    assert!(!restore.is_rollback());
    assert!(needs_approval(&restore));
    let rollback = plan(LeverKind::WorkspaceRollback, true, Some("c1"), &[]);
    assert!(rollback.is_rollback());
    assert!(!needs_approval(&rollback));
}

#[test]
fn the_team_policy_goes_on_with_one_operator_and_off_only_with_two() {
    let ev = |id: &str, by: &str, min: i64, on: bool, seconds: Option<&str>| PolicyEvent {
        action_id: id.to_owned(),
        operator: by.to_owned(),
        at: at(min),
        approvals: on,
        seconds: seconds.map(str::to_owned),
    };
    assert_eq!(team_policy(&[]), None);
    let on = ev("p1", "alice@a", 0, true, None);
    assert_eq!(team_policy(std::slice::from_ref(&on)), Some(true));
    // A proposal alone, or co-signed by its own author: still on.
    let off = ev("p2", "alice@a", 1, false, None);
    assert_eq!(team_policy(&[on.clone(), off.clone()]), Some(true));
    let self_signed = ev("p3", "alice@a", 2, false, Some("p2"));
    assert_eq!(
        team_policy(&[on.clone(), off.clone(), self_signed]),
        Some(true)
    );
    // Co-signed by another operator too late: still on; in time: off.
    let late = ev("p4", "bob@b", 20, false, Some("p2"));
    assert_eq!(team_policy(&[on.clone(), off.clone(), late]), Some(true));
    let bob = ev("p5", "bob@b", 3, false, Some("p2"));
    assert_eq!(
        team_policy(&[on.clone(), off.clone(), bob.clone()]),
        Some(false)
    );
    // Anyone turns it on again.
    let again = ev("p6", "carol@c", 4, true, None);
    assert_eq!(team_policy(&[on, off, bob, again]), Some(true));
}
