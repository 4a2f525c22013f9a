//! Finish… on an interrupted action, driven through AccessKit: it closes the
//! action `ok` only when the state read now is the recorded plan's
//! after-state; with the env unreadable, or the state only half changed, the
//! action stays open and the tab says why.

use chrono::NaiveDate;
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::audit::{AuditEntry, EntryKind, EntryStatus, Origin};
use rollout_panel::core::env::{
    AUTO_SEND_REVISION_DISABLED, Deployment, EnvSnapshot, EnvVar, ReadyState,
};
use rollout_panel::core::lever::{LeverKind, LeverRequest, LeverState, Plan, Watch, plan};
use rollout_panel::core::schema::{SchemaReport, SchemaVariant};
use rollout_panel::core::time::UtcNaive;
use rollout_panel::core::workspace::{RevisionToggle, Workspace};
use rollout_panel::gui::AppCommand;
use rollout_panel::gui::panels::levers::LeversPanel;
use rollout_panel::worker::{Health, Snapshot};

fn at(hour: u32, min: u32) -> UtcNaive {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(hour, min, 0)
        .unwrap()
}

fn schema() -> SchemaReport {
    SchemaReport {
        variant: SchemaVariant::V2,
        missing: vec![],
        type_mismatches: vec![],
        revision_index: true,
        ai_interaction: true,
        pipeline_artifacts: true,
    }
}

fn acme(toggle: RevisionToggle) -> Vec<Workspace> {
    vec![Workspace {
        id: "w-acme".to_owned(),
        name: "Acme".to_owned(),
        toggle,
        settings_updated_at: Some(at(9, 0)),
    }]
}

/// The revision kill switch configured `value` since `updated`, served by a
/// deployment built at `built` (so live = configured when built later).
fn env(value: &str, updated: UtcNaive, built: UtcNaive) -> EnvSnapshot {
    let dep = Deployment {
        id: format!("dpl_{}", built.format("%H%M")),
        created_at: built,
        state: ReadyState::Ready,
        env: None,
    };
    EnvSnapshot {
        configured: [(
            AUTO_SEND_REVISION_DISABLED.to_owned(),
            EnvVar {
                value: Some(value.to_owned()),
                updated_at: updated,
                unreadable: None,
                facts: None,
            },
        )]
        .into(),
        serving: Some(dep.clone()),
        latest: Some(dep),
        ..EnvSnapshot::default()
    }
}

/// The plan of `kind` made from the state before the action.
fn plan_before(kind: LeverKind, workspaces: &[Workspace], env: &EnvSnapshot) -> Plan {
    let schema = schema();
    plan(
        &LeverRequest {
            kind,
            on: true,
            workspace: Some("w-acme".to_owned()).filter(|_| kind == LeverKind::CanaryEnable),
        },
        LeverState {
            workspaces,
            env,
            schema: &schema,
            readiness: Some(&[]),
        },
    )
    .expect("a plan")
}

/// An intent without a result, as the audit log keeps it.
fn intent(plan: &Plan) -> AuditEntry {
    AuditEntry {
        id: 1,
        entry_id: "e-1".to_owned(),
        origin: Origin::Local,
        action_id: "a-interrupted".to_owned(),
        at: at(10, 0),
        operator: "alice@host".to_owned(),
        profile: "production".to_owned(),
        lever: plan.lever.as_str().to_owned(),
        kind: EntryKind::Intent,
        status: EntryStatus::Pending,
        reason: "rehearsal".to_owned(),
        summary: plan.title.clone(),
        detail: serde_json::json!({ "plan": plan }),
        trust: rollout_panel::core::trust::Trust::Local,
        signer: None,
        recorded_at: None,
        read_at: None,
    }
}

/// The state read now, with the interrupted action in it.
fn snapshot(workspaces: Vec<Workspace>, env: Option<EnvSnapshot>, intent: AuditEntry) -> Snapshot {
    let mut s = Snapshot::for_profile("production");
    s.made_at = Some(at(10, 30));
    s.db = Health {
        last_ok: Some(at(10, 30)),
        ..Health::default()
    };
    s.env = Health {
        last_ok: env.as_ref().map(|_| at(10, 30)),
        ..Health::default()
    };
    s.schema = Some(schema());
    s.workspaces = workspaces;
    s.env_snapshot = env;
    s.revision_flag = s
        .env_snapshot
        .as_ref()
        .map(|e| e.flag(AUTO_SEND_REVISION_DISABLED));
    s.audit = vec![intent.clone()];
    s.unfinished = vec![intent];
    s
}

struct State {
    panel: LeversPanel,
    snapshot: Snapshot,
    commands: Vec<AppCommand>,
}

/// The Levers tab on `snapshot`, after a click on Finish….
fn finish(snapshot: Snapshot) -> Harness<'static, State> {
    let state = State {
        panel: LeversPanel::default(),
        snapshot,
        commands: Vec::new(),
    };
    let mut h = Harness::builder()
        .with_size([1100.0, 900.0])
        .build_ui_state(
            |ui, s: &mut State| {
                let cmds = s.panel.levers_ui(ui, &s.snapshot, Watch::default());
                s.commands.extend(cmds);
                let cmds =
                    s.panel
                        .dialog_ui(ui.ctx(), &s.snapshot, chrono::NaiveDateTime::default());
                s.commands.extend(cmds);
            },
            state,
        );
    h.run();
    h.get_by_role_and_label(Role::Button, "Finish…").click();
    h.run();
    h
}

fn closed_ok(h: &Harness<'static, State>) -> bool {
    h.state().commands.iter().any(
        |c| matches!(c, AppCommand::CloseUnfinished(closing) if closing.status == EntryStatus::Ok),
    )
}

fn note_containing(h: &Harness<'static, State>, needle: &str) -> String {
    let node =
        h.get_by(|n| n.role() == Role::Label && n.value().is_some_and(|v| v.contains(needle)));
    node.accesskit_node().value().unwrap_or_default()
}

#[test]
fn finish_after_the_change_really_happened_closes_it_ok() {
    // Before: kill switch "0", live OFF. The action wanted "1" + redeploy.
    let before = env("0", at(8, 0), at(8, 5));
    let p = plan_before(
        LeverKind::RevisionKillSwitch,
        &acme(RevisionToggle::Enabled),
        &before,
    );
    // Now: "1" configured at 10:01 and served by a build of 10:03.
    let now = env("1", at(10, 1), at(10, 3));
    let h = finish(snapshot(
        acme(RevisionToggle::Enabled),
        Some(now),
        intent(&p),
    ));
    assert!(
        closed_ok(&h),
        "Finish should close it ok: {:?}",
        h.state().commands
    );
    let note = note_containing(&h, "Nothing left to do");
    assert!(note.contains("closed as done"), "{note}");
    assert!(
        h.state()
            .commands
            .iter()
            .all(|c| !matches!(c, AppCommand::RunLever(_))),
        "nothing is run again"
    );
}

#[test]
fn finish_with_the_env_unreadable_keeps_the_action_open() {
    let before = env("0", at(8, 0), at(8, 5));
    let p = plan_before(
        LeverKind::RevisionKillSwitch,
        &acme(RevisionToggle::Enabled),
        &before,
    );
    // The last good read shows it done, but the env cannot be read now.
    let mut s = snapshot(
        acme(RevisionToggle::Enabled),
        Some(env("1", at(10, 1), at(10, 3))),
        intent(&p),
    );
    s.env.error = Some("Vercel answered HTTP 500 (internal error)".to_owned());
    let h = finish(s);
    assert!(!closed_ok(&h), "{:?}", h.state().commands);
    assert!(h.state().commands.is_empty(), "{:?}", h.state().commands);
    let note = note_containing(&h, "Cannot finish it now");
    assert!(note.contains("env cannot be read now"), "{note}");
    assert!(note.contains("stays open"), "{note}");

    // Never read at all: the plan cannot be made, the action stays open.
    let h = finish(snapshot(acme(RevisionToggle::Enabled), None, intent(&p)));
    assert!(h.state().commands.is_empty(), "{:?}", h.state().commands);
    let note = note_containing(&h, "Cannot finish it now");
    assert!(note.contains("has not been read"), "{note}");
}

#[test]
fn finish_plans_only_what_a_half_done_canary_left() {
    // The canary wanted: toggle ON, kill switch "0", redeploy. It was
    // interrupted after the toggle: the kill switch is still "1".
    let before = env("1", at(8, 0), at(8, 5));
    let p = plan_before(
        LeverKind::CanaryEnable,
        &acme(RevisionToggle::Disabled),
        &before,
    );
    assert_eq!(p.changes.len(), 3, "{p:#?}");
    let h = finish(snapshot(
        acme(RevisionToggle::Enabled),
        Some(env("1", at(8, 0), at(8, 5))),
        intent(&p),
    ));
    // Not closed: the confirm dialog opens with what is left, the toggle
    // (already on) is not written again.
    assert!(!closed_ok(&h), "{:?}", h.state().commands);
    note_containing(&h, "- Vercel production env: AUTO_SEND_REVISION_DISABLED");
    note_containing(&h, "- Vercel: redeploy production");
    assert!(
        h.query_by(|n| n
            .value()
            .is_some_and(|v| v.contains("- database: Acme's revision toggle")))
            .is_none(),
        "the toggle step is not repeated"
    );
}

#[test]
fn a_part_that_cannot_be_read_greys_out_only_the_levers_that_need_it() {
    let intent_plan = plan_before(
        LeverKind::RevisionKillSwitch,
        &acme(RevisionToggle::Enabled),
        &env("0", at(8, 0), at(8, 5)),
    );
    let mut s = snapshot(
        acme(RevisionToggle::Enabled),
        Some(env("0", at(8, 0), at(8, 5))),
        intent(&intent_plan),
    );
    s.unfinished.clear();
    s.audit.clear();
    // The database is down: the workspace levers are greyed out, the kill
    // switches are not.
    s.db.error = Some("connecting to the database did not answer within 15 s".to_owned());
    let state = State {
        panel: LeversPanel::default(),
        snapshot: s,
        commands: Vec::new(),
    };
    let mut h = Harness::builder()
        .with_size([1100.0, 900.0])
        .build_ui_state(
            |ui, s: &mut State| {
                let cmds = s.panel.levers_ui(ui, &s.snapshot, Watch::default());
                s.commands.extend(cmds);
            },
            state,
        );
    h.run();
    let rollback = h.get_by_role_and_label(Role::Button, "Roll back Acme…");
    assert!(
        rollback.accesskit_node().is_disabled(),
        "the workspace lever needs the database"
    );
    let kill = h.get_by_role_and_label(Role::Button, "Kill switch ON (fast rollback)…");
    assert!(
        !kill.accesskit_node().is_disabled(),
        "the kill switch needs only the env"
    );
    let all = h.get_by_role_and_label(Role::Button, "Disable all auto-send (full rollback)…");
    assert!(!all.accesskit_node().is_disabled());
    // The env is down instead: the other way round.
    h.state_mut().snapshot.db.error = None;
    h.state_mut().snapshot.env.error = Some("Vercel answered HTTP 503".to_owned());
    h.run();
    let rollback = h.get_by_role_and_label(Role::Button, "Roll back Acme…");
    assert!(!rollback.accesskit_node().is_disabled());
    let kill = h.get_by_role_and_label(Role::Button, "Kill switch ON (fast rollback)…");
    assert!(kill.accesskit_node().is_disabled());
}

/// After an Instant Rollback the Levers tab and the top bar name the pinned
/// build, its recorded values are the live ones, and the kill switch's plan
/// promotes its new build as a step.
#[test]
fn a_pinned_build_is_named_with_its_live_values_and_the_plan_promotes() {
    use rollout_panel::core::env::EnvRecord;
    use rollout_panel::gui::panels::top_bar::top_bar_ui;
    // Configured "1" since 10:10; production pinned to dpl_0900 (built 9:00),
    // the newer dpl_1015 does not serve.
    let mut e = env("1", at(10, 10), at(9, 0));
    e.pinned_past = Some(Deployment {
        id: "dpl_1015".to_owned(),
        created_at: at(10, 15),
        state: ReadyState::Ready,
        env: None,
    });
    e.learn_from_records(&[EnvRecord {
        key: AUTO_SEND_REVISION_DISABLED.to_owned(),
        value: Some("0".to_owned()),
        updated_at: at(8, 0),
        seen_at: at(10, 10),
        by: "the plan of action 1a2b3c4d by alice@host".to_owned(),
    }]);
    let plan = plan_before(
        LeverKind::RevisionKillSwitch,
        &acme(RevisionToggle::Disabled),
        &e,
    );
    let mut s = snapshot(acme(RevisionToggle::Disabled), Some(e), intent(&plan));
    s.unfinished.clear();
    let state = State {
        panel: LeversPanel::default(),
        snapshot: s,
        commands: Vec::new(),
    };
    let mut h = Harness::builder()
        .with_size([1100.0, 900.0])
        .build_ui_state(
            |ui, s: &mut State| {
                top_bar_ui(ui, &s.snapshot, at(10, 30), &[], false, None);
                let cmds = s.panel.levers_ui(ui, &s.snapshot, Watch::default());
                s.commands.extend(cmds);
                let cmds =
                    s.panel
                        .dialog_ui(ui.ctx(), &s.snapshot, chrono::NaiveDateTime::default());
                s.commands.extend(cmds);
            },
            state,
        );
    h.run();
    h.get_by_label("Pinned: dpl_0900");
    note_containing(&h, "Production is pinned to dpl_0900");
    let line = note_containing(&h, "Revision kill switch AUTO_SEND_REVISION_DISABLED:");
    assert!(line.contains("live OFF"), "{line}");
    let top = note_containing(&h, "Revision kill switch: configured");
    assert!(top.contains("live OFF"), "{top}");
    h.get_by_role_and_label(Role::Button, "Kill switch OFF (restore)…")
        .click();
    h.run();
    note_containing(&h, "promote the new build to production");
}
