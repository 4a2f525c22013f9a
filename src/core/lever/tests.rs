//! Lever plans, table-driven: changes, preconditions, guards, refusals.

use super::*;
use crate::core::env::{Deployment, EnvVar, ReadyState};
use crate::core::readiness::Group;
use crate::core::schema::SchemaVariant;
use chrono::NaiveDate;
use std::collections::BTreeMap;

fn at(h: u32) -> crate::core::time::UtcNaive {
    NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

fn ws(id: &str, toggle: RevisionToggle) -> Workspace {
    Workspace {
        id: id.to_owned(),
        name: format!("{id} Inc"),
        toggle,
        settings_updated_at: None,
    }
}

/// Env with both switches as given, configured at 1:00 and served by a 2:00 build.
fn env(revision: Option<&str>, all: Option<&str>) -> EnvSnapshot {
    let mut configured = BTreeMap::new();
    for (k, v) in [
        (AUTO_SEND_REVISION_DISABLED, revision),
        (AUTO_SEND_DISABLED, all),
    ] {
        if let Some(v) = v {
            configured.insert(
                k.to_owned(),
                EnvVar {
                    value: Some(v.to_owned()),
                    updated_at: at(1),
                    unreadable: None,
                    facts: None,
                },
            );
        }
    }
    let d = Deployment {
        id: "dpl".into(),
        created_at: at(2),
        state: ReadyState::Ready,
        env: None,
    };
    EnvSnapshot {
        configured,
        serving: Some(d.clone()),
        latest: Some(d),
        ..EnvSnapshot::default()
    }
}

fn schema(variant: SchemaVariant) -> SchemaReport {
    SchemaReport {
        variant,
        missing: vec![],
        type_mismatches: vec![],
        revision_index: true,
        ai_interaction: true,
        pipeline_artifacts: true,
    }
}

fn req(kind: LeverKind, on: bool, w: Option<&str>) -> LeverRequest {
    LeverRequest {
        kind,
        on,
        workspace: w.map(str::to_owned),
    }
}

#[test]
fn canary_enable_turns_the_toggle_on_and_the_kill_switch_off() {
    let workspaces = [
        ws("a", RevisionToggle::Disabled),
        ws("b", RevisionToggle::NoSettingsRow),
    ];
    let env = env(Some("1"), Some("0"));
    let schema = schema(SchemaVariant::V2Plus);
    let items: Vec<Item> = vec![];
    let state = LeverState {
        workspaces: &workspaces,
        env: &env,
        schema: &schema,
        readiness: Some(&items),
    };
    let p = plan(&req(LeverKind::CanaryEnable, true, Some("b Inc")), state).unwrap();
    assert_eq!(
        p.changes,
        vec![
            Change::Toggle {
                workspace_id: "b".into(),
                workspace_name: "b Inc".into(),
                before: RevisionToggle::NoSettingsRow,
                after: true
            },
            Change::Env {
                key: AUTO_SEND_REVISION_DISABLED.into(),
                before: Some("1".into()),
                before_updated_at: Some(at(1)),
                after: "0".into()
            },
            Change::Redeploy,
        ]
    );
    assert_eq!(p.guard, Guard::Type("b Inc".into()));
    assert!(p.needs_redeploy && !p.blocked() && !p.needs_override());
    assert!(!p.guard_satisfied("b"), "a partial name is not enough");
    assert!(p.guard_satisfied("b Inc"));
    assert!(p.warnings.iter().any(|w| w.contains("Instant Rollback")));
    assert_eq!(
        p.changes[1].describe(),
        "Vercel production env: AUTO_SEND_REVISION_DISABLED \"1\" -> \"0\""
    );
}

#[test]
fn canary_enable_preconditions() {
    let env = env(Some("0"), None);
    let v2 = schema(SchemaVariant::V2);
    // Another workspace on: overridable.
    let workspaces = [
        ws("a", RevisionToggle::Enabled),
        ws("b", RevisionToggle::Disabled),
    ];
    let items: Vec<Item> = vec![];
    let p = plan(
        &req(LeverKind::CanaryEnable, true, Some("b")),
        LeverState {
            workspaces: &workspaces,
            env: &env,
            schema: &v2,
            readiness: Some(&items),
        },
    )
    .unwrap();
    assert!(p.needs_override() && !p.blocked());
    assert_eq!(
        p.changes.len(),
        1,
        "kill switch already off and live: toggle only"
    );
    assert!(
        p.takes_effect
            .starts_with("new jobs at once; jobs already running finish with the old value"),
        "{}",
        p.takes_effect
    );
    // Readiness failures and a check that never ran: overridable.
    let failing = vec![Item {
        id: "env.CRON_SECRET".into(),
        group: Group::VercelEnv,
        status: CheckStatus::Fail,
        finding: String::new(),
        fix: String::new(),
        draft_ids: Vec::new(),
        draft_count: None,
    }];
    let one = [ws("b", RevisionToggle::Disabled)];
    let p = plan(
        &req(LeverKind::CanaryEnable, true, Some("b")),
        LeverState {
            workspaces: &one,
            env: &env,
            schema: &v2,
            readiness: Some(&failing),
        },
    )
    .unwrap();
    assert!(
        p.preconditions
            .iter()
            .any(|c| !c.ok && c.detail.contains("env.CRON_SECRET"))
    );
    let p = plan(
        &req(LeverKind::CanaryEnable, true, Some("b")),
        LeverState {
            workspaces: &one,
            env: &env,
            schema: &v2,
            readiness: None,
        },
    )
    .unwrap();
    assert!(p.needs_override());
    // Missing columns: blocked, no override.
    let v0 = schema(SchemaVariant::V0);
    let p = plan(
        &req(LeverKind::CanaryEnable, true, Some("b")),
        LeverState {
            workspaces: &one,
            env: &env,
            schema: &v0,
            readiness: Some(&items),
        },
    )
    .unwrap();
    assert!(p.blocked());
    // Already on, unknown workspace, no workspace: refused with the reason.
    let on = [ws("b", RevisionToggle::Enabled)];
    let s = LeverState {
        workspaces: &on,
        env: &env,
        schema: &v2,
        readiness: Some(&items),
    };
    assert!(
        plan(&req(LeverKind::CanaryEnable, true, Some("b")), s)
            .unwrap_err()
            .to_string()
            .contains("already ON")
    );
    assert!(
        plan(&req(LeverKind::CanaryEnable, true, Some("zz")), s)
            .unwrap_err()
            .to_string()
            .contains("the workspaces are: b Inc")
    );
    assert!(
        plan(&req(LeverKind::CanaryEnable, true, None), s)
            .unwrap_err()
            .to_string()
            .contains("needs a workspace")
    );
}

#[test]
fn a_workspace_rollback_needs_one_confirm_and_its_restore_is_an_enable() {
    let workspaces = [ws("a", RevisionToggle::Enabled)];
    let env = env(Some("0"), None);
    let v2 = schema(SchemaVariant::V2);
    let s = LeverState {
        workspaces: &workspaces,
        env: &env,
        schema: &v2,
        readiness: None,
    };
    let p = plan(&req(LeverKind::WorkspaceRollback, true, Some("a")), s).unwrap();
    assert_eq!(p.guard, Guard::Confirm);
    assert!(!p.needs_redeploy);
    assert!(matches!(
        p.changes[..],
        [Change::Toggle {
            after: false,
            before: RevisionToggle::Enabled,
            ..
        }]
    ));
    assert!(
        plan(&req(LeverKind::WorkspaceRollback, false, Some("a")), s)
            .unwrap_err()
            .to_string()
            .contains("already ON")
    );
    let off = [ws("a", RevisionToggle::Disabled)];
    let s = LeverState {
        workspaces: &off,
        env: &env,
        schema: &v2,
        readiness: None,
    };
    let p = plan(&req(LeverKind::WorkspaceRollback, false, Some("a")), s).unwrap();
    assert!(matches!(
        p.changes[..],
        [Change::Toggle { after: true, .. }]
    ));
    // A restore turns revision on: typed like the canary, with its
    // preconditions (issue 28).
    assert!(matches!(p.guard, Guard::Type(_)), "{:?}", p.guard);
    let names: Vec<&str> = p.preconditions.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["schema", "one canary", "readiness"]);
    assert!(p.turns_revision_on() && !p.is_rollback());
    // Canary disable is the same toggle-off.
    let on = [ws("a", RevisionToggle::Enabled)];
    let s = LeverState {
        workspaces: &on,
        env: &env,
        schema: &v2,
        readiness: None,
    };
    let p = plan(&req(LeverKind::CanaryEnable, false, Some("a")), s).unwrap();
    assert!(matches!(
        p.changes[..],
        [Change::Toggle { after: false, .. }]
    ));
}

#[test]
fn kill_switch_plans_flip_the_env_and_redeploy() {
    let enabled = [ws("a", RevisionToggle::Enabled)];
    let v2 = schema(SchemaVariant::V2);
    // Fast rollback: one confirm, and the instant complement offered.
    let e = env(Some("0"), Some("0"));
    let s = LeverState {
        workspaces: &enabled,
        env: &e,
        schema: &v2,
        readiness: None,
    };
    let p = plan(&req(LeverKind::RevisionKillSwitch, true, None), s).unwrap();
    assert_eq!(p.guard, Guard::Confirm);
    assert_eq!(
        p.changes,
        vec![
            Change::Env {
                key: AUTO_SEND_REVISION_DISABLED.into(),
                before: Some("0".into()),
                before_updated_at: Some(at(1)),
                after: "1".into()
            },
            Change::Redeploy
        ]
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("roll back the workspaces with the toggle on: a Inc"))
    );
    // Already "1" and live: nothing to do.
    let e = env(Some("1"), Some("0"));
    let s = LeverState {
        workspaces: &enabled,
        env: &e,
        schema: &v2,
        readiness: None,
    };
    assert!(
        plan(&req(LeverKind::RevisionKillSwitch, true, None), s)
            .unwrap_err()
            .to_string()
            .contains("already")
    );
    // Configured "1" but not live yet (changed after the build): redeploy only.
    let mut e = env(Some("1"), Some("0"));
    e.configured
        .get_mut(AUTO_SEND_REVISION_DISABLED)
        .unwrap()
        .updated_at = at(3);
    let s = LeverState {
        workspaces: &enabled,
        env: &e,
        schema: &v2,
        readiness: None,
    };
    assert_eq!(
        plan(&req(LeverKind::RevisionKillSwitch, true, None), s)
            .unwrap()
            .changes,
        vec![Change::Redeploy]
    );
    // "true" is off: turning the switch on writes "1".
    let e = env(Some("true"), None);
    let s = LeverState {
        workspaces: &enabled,
        env: &e,
        schema: &v2,
        readiness: None,
    };
    let p = plan(&req(LeverKind::RevisionKillSwitch, true, None), s).unwrap();
    assert!(
        matches!(&p.changes[0], Change::Env { before: Some(b), after, .. } if b == "true" && after == "1")
    );
    // Full rollback and its restore: typed words.
    let e = env(Some("0"), None);
    let s = LeverState {
        workspaces: &enabled,
        env: &e,
        schema: &v2,
        readiness: None,
    };
    let p = plan(&req(LeverKind::AutoSendKillSwitch, true, None), s).unwrap();
    assert_eq!(p.guard, Guard::Type("DISABLE".into()));
    assert!(
        matches!(&p.changes[0], Change::Env { key, before: None, after, .. } if key == AUTO_SEND_DISABLED && after == "1")
    );
    assert!(!p.guard_satisfied("disable"));
    let e = env(Some("0"), Some("1"));
    let s = LeverState {
        workspaces: &enabled,
        env: &e,
        schema: &v2,
        readiness: None,
    };
    let p = plan(&req(LeverKind::AutoSendKillSwitch, false, None), s).unwrap();
    assert_eq!(p.guard, Guard::Type("ENABLE".into()));
    assert!(matches!(&p.changes[0], Change::Env { after, .. } if after == "0"));
}

#[test]
fn the_instant_complement_turns_off_every_enabled_toggle() {
    let v2 = schema(SchemaVariant::V2);
    let e = env(Some("0"), Some("0"));
    let none = [ws("a", RevisionToggle::Disabled)];
    let s = LeverState {
        workspaces: &none,
        env: &e,
        schema: &v2,
        readiness: None,
    };
    assert!(
        complement_plan(s)
            .unwrap_err()
            .to_string()
            .contains("no workspace")
    );
    let some = [
        ws("a", RevisionToggle::Enabled),
        ws("b", RevisionToggle::Disabled),
        ws("c", RevisionToggle::Enabled),
    ];
    let s = LeverState {
        workspaces: &some,
        ..s
    };
    let p = complement_plan(s).unwrap();
    assert_eq!(p.guard, Guard::Confirm, "speed matters: one confirm");
    assert!(!p.needs_redeploy);
    let toggled: Vec<(&str, bool)> = p
        .changes
        .iter()
        .map(|c| match c {
            Change::Toggle {
                workspace_id,
                before,
                after,
                ..
            } => (workspace_id.as_str(), before.is_on() && !after),
            other => panic!("not a toggle: {other:?}"),
        })
        .collect();
    assert_eq!(toggled, vec![("a", true), ("c", true)]);
}

/// A kill switch configured ON at 3:00 (after the 2:00 build that serves).
fn configured_on_after_the_serving_build() -> EnvSnapshot {
    let mut e = env(Some("1"), Some("0"));
    e.configured
        .get_mut(AUTO_SEND_REVISION_DISABLED)
        .unwrap()
        .updated_at = at(3);
    e
}

fn changes_of(e: &EnvSnapshot, on: bool) -> Vec<Change> {
    let ws = [ws("a", RevisionToggle::Disabled)];
    let sc = schema(SchemaVariant::V2);
    plan(
        &req(LeverKind::RevisionKillSwitch, on, None),
        LeverState {
            workspaces: &ws,
            env: e,
            schema: &sc,
            readiness: None,
        },
    )
    .expect("a plan")
    .changes
}

#[test]
fn a_build_under_way_since_the_change_is_followed_not_built_again() {
    let mut e = configured_on_after_the_serving_build();
    assert_eq!(changes_of(&e, true), vec![Change::Redeploy]);
    // A build started at 4:00 (after the change) is still building: an
    // interrupted lever's redeploy. Finishing follows it: one build.
    e.latest = Some(Deployment {
        id: "dpl_new".into(),
        created_at: at(4),
        state: ReadyState::Building,
        env: None,
    });
    let follow = Change::Follow {
        deployment: "dpl_new".into(),
    };
    assert_eq!(changes_of(&e, true), vec![follow.clone()]);
    let p = plan(
        &req(LeverKind::RevisionKillSwitch, true, None),
        LeverState {
            workspaces: &[],
            env: &e,
            schema: &schema(SchemaVariant::V2),
            readiness: None,
        },
    )
    .unwrap();
    assert_eq!(p.live_flags(), vec![(AUTO_SEND_REVISION_DISABLED, true)]);
    // A build started before the change does not carry it: redeploy.
    e.latest.as_mut().unwrap().created_at = at(2);
    e.latest.as_mut().unwrap().id = "dpl_old".into();
    assert_eq!(changes_of(&e, true), vec![Change::Redeploy]);
    // A plan that writes the env always builds after its write.
    e.latest.as_mut().unwrap().created_at = at(4);
    assert!(matches!(
        changes_of(&e, false).as_slice(),
        [Change::Env { .. }, Change::Redeploy]
    ));
}

#[test]
fn under_a_pin_a_ready_build_since_the_change_is_promoted_not_rebuilt() {
    let mut e = configured_on_after_the_serving_build();
    let newer = Deployment {
        id: "dpl_new".into(),
        created_at: at(4),
        state: ReadyState::Ready,
        env: None,
    };
    e.latest = Some(newer.clone());
    e.pinned_past = Some(newer);
    assert_eq!(
        changes_of(&e, true),
        vec![
            Change::Follow {
                deployment: "dpl_new".into()
            },
            Change::Promote {
                pinned: "dpl".into()
            }
        ]
    );
}

#[test]
fn under_a_rolling_release_the_plan_completes_it_as_a_step_of_its_own() {
    use crate::core::env::{RollingConfig, RollingRelease};
    let dep = |id: &str, h: u32| Deployment {
        id: id.into(),
        created_at: at(h),
        state: ReadyState::Ready,
        env: None,
    };
    // Configured ON at 3:00; the canary dpl_new (4:00) carries it, the
    // current dpl (2:00) does not: live on 10 % only.
    let mut e = configured_on_after_the_serving_build();
    e.latest = Some(dep("dpl_new", 4));
    e.rolling = Some(RollingRelease {
        current: dep("dpl", 2),
        canary: dep("dpl_new", 4),
        canary_share: Some(10),
    });
    assert_eq!(
        e.flag(AUTO_SEND_REVISION_DISABLED).live,
        Live::Partial { share: Some(10) }
    );
    let release = "dpl_new 10 % · dpl 90 %".to_owned();
    // Nothing to write or build: the canary is completed.
    assert_eq!(
        changes_of(&e, true),
        vec![Change::CompleteRolling {
            canary: Some("dpl_new".into()),
            release: release.clone(),
        }]
    );
    let p = plan(
        &req(LeverKind::RevisionKillSwitch, true, None),
        LeverState {
            workspaces: &[],
            env: &e,
            schema: &schema(SchemaVariant::V2),
            readiness: None,
        },
    )
    .unwrap();
    assert!(!p.needs_redeploy && p.needs().env);
    assert_eq!(p.live_flags(), vec![(AUTO_SEND_REVISION_DISABLED, true)]);
    assert!(
        p.after_state_reached(&[], &e).is_err(),
        "live on 10 % is not the after-state"
    );
    // The restore writes, builds, and completes the release the build joins.
    assert!(matches!(
        changes_of(&e, false).as_slice(),
        [Change::Env { .. }, Change::Redeploy, Change::CompleteRolling { canary: None, release: r }] if *r == release
    ));
    // No release active, but the project starts one with each build (or
    // whether it does is unknown): the completion is planned too.
    let mut e = configured_on_after_the_serving_build();
    assert_eq!(changes_of(&e, true), vec![Change::Redeploy]);
    e.rolling_config = RollingConfig::On;
    assert!(matches!(
        changes_of(&e, true).as_slice(),
        [
            Change::Redeploy,
            Change::CompleteRolling { canary: None, .. }
        ]
    ));
    e.rolling_config = RollingConfig::Unknown("HTTP 500".into());
    match changes_of(&e, true).as_slice() {
        [
            Change::Redeploy,
            c @ Change::CompleteRolling { canary: None, .. },
        ] => {
            assert!(
                c.describe().contains("cannot be read (HTTP 500)"),
                "{}",
                c.describe()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_interrupted_canary_with_its_toggle_on_plans_only_the_kill_switch_left() {
    // The toggle was written, then the panel stopped: the kill switch is
    // still on. Enabling the canary again does only what is left.
    let on = [ws("b", RevisionToggle::Enabled)];
    let e = env(Some("1"), Some("0"));
    let v2 = schema(SchemaVariant::V2);
    let s = LeverState {
        workspaces: &on,
        env: &e,
        schema: &v2,
        readiness: Some(&[]),
    };
    let p = plan(&req(LeverKind::CanaryEnable, true, Some("b")), s).unwrap();
    assert!(
        matches!(
            p.changes.as_slice(),
            [Change::Env { after, .. }, Change::Redeploy] if after == "0"
        ),
        "{:?}",
        p.changes
    );
    assert!(p.after_state_reached(&on, &e).is_err());
}

#[test]
fn an_expansion_plans_each_off_workspace_with_the_watch_as_overridable_preconditions() {
    let workspaces = vec![
        ws("a", RevisionToggle::Enabled),
        ws("b", RevisionToggle::Disabled),
        ws("c", RevisionToggle::NoSettingsRow),
        ws("d", RevisionToggle::Enabled),
    ];
    let s = schema(SchemaVariant::V2);
    let parts = |watch| Parts {
        workspaces: Some(&workspaces),
        schema: Some(&s),
        watch,
        ..Parts::default()
    };
    let want = |on, ids: &[&str]| PlanSource::Expansion {
        on,
        workspaces: ids.iter().map(|i| (*i).to_owned()).collect(),
    };
    // Clean watch of 45 min: every precondition holds.
    let clean = Watch {
        verdict: Some(crate::core::verdict::VerdictState::NoHarmDetected),
        canary_since: Some(at(10)),
        now: at(10) + chrono::Duration::minutes(45),
        alarms: vec![],
    };
    let p = plan_source(&want(true, &["b", "c Inc", "d"]), parts(Some(&clean))).unwrap();
    assert_eq!(p.lever, LeverKind::Expansion);
    assert_eq!(p.changes.len(), 2, "d is already on: {p:#?}");
    assert_eq!(p.targets, vec!["b", "c", "d"]);
    assert!(!p.needs_override() && !p.blocked(), "{p:#?}");
    assert_eq!(p.guard, Guard::Type(EXPAND_WORD.to_owned()));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("already ON, left as they are: d Inc"))
    );
    assert!(!p.is_rollback());
    // The plan names itself again (check_again and Finish re-plan from it).
    assert_eq!(p.source(), want(true, &["b", "c", "d"]));
    // A short watch, harm and an alarm: each fails, each overridable.
    let bad = Watch {
        verdict: Some(crate::core::verdict::VerdictState::HarmDetected),
        canary_since: Some(at(10)),
        now: at(10) + chrono::Duration::minutes(12),
        alarms: vec!["revision after the kill switch".to_owned()],
    };
    let p2 = plan_source(&want(true, &["b"]), parts(Some(&bad))).unwrap();
    let failing: Vec<&str> = p2
        .preconditions
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failing, WATCH_PRECONDITIONS.to_vec());
    assert!(p2.needs_override() && !p2.blocked());
    assert!(
        p2.preconditions
            .iter()
            .any(|c| c.detail == "watched 12 min (runbook: 30–60 min of clean metrics)")
    );
    // Not read at all: not known, so not ok.
    let p3 = plan_source(&want(true, &["b"]), parts(None)).unwrap();
    assert!(p3.needs_override());
    // The watch is not read again at confirm time: it never "moves".
    assert!(p2.moved_since(&p3).is_empty(), "{:?}", p2.moved_since(&p3));
    // Nothing to do, unknown names, none chosen.
    assert!(matches!(
        plan_source(&want(true, &["a"]), parts(None)),
        Err(PlanError::NothingToDo(_))
    ));
    assert!(matches!(
        plan_source(&want(true, &["zz"]), parts(None)),
        Err(PlanError::Invalid(_))
    ));
    assert!(matches!(
        plan_source(&want(true, &[]), parts(None)),
        Err(PlanError::Invalid(_))
    ));
    // Its rollback: a rollback, no watch, a plain confirm, only those on.
    let back = plan_source(&want(false, &["a", "b", "d"]), parts(None)).unwrap();
    assert!(back.is_rollback());
    assert_eq!(back.guard, Guard::Confirm);
    assert_eq!(back.changes.len(), 2);
    assert_eq!(back.preconditions.len(), 1, "schema only: {back:#?}");
    assert_eq!(
        stage_line(&workspaces).as_deref(),
        Some("expanding: 2 of 4 workspaces on")
    );
    assert_eq!(stage_line(&workspaces[1..3]), None);
}
