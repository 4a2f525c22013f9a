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
        plan: p,
        reason: "r".to_owned(),
    }
}

fn approval(req: &str, by: &str, min: i64) -> Approved {
    Approved {
        action_id: format!("ap-{req}-{min}"),
        operator: by.to_owned(),
        at: at(min),
        request_id: req.to_owned(),
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
    let own = [approval("r1", "alice@a", 1)];
    assert!(approval_for(&canary, "alice@a", &reqs, &own, at(2)).is_err());
    // Bob's does, for 15 minutes.
    let bob = [approval("r1", "bob@b", 2)];
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
    let ok = [approval("r2", "bob@b", 1)];
    assert!(approval_for(&ex, "alice@a", &reqs, &ok, at(2)).is_ok());
    let more = plan(LeverKind::Expansion, true, None, &["a", "b", "c"]);
    assert!(approval_for(&more, "alice@a", &reqs, &ok, at(2)).is_err());
    assert_eq!(standing(&reqs[0], &[], at(1)), Standing::Waiting);
}
