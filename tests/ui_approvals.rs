//! Approvals through the window (a profile with `approvals = true`, its
//! secrets in the real Secret Service, its database a real Postgres with the
//! shared audit table): the confirm dialog asks for the approval instead of
//! running; another operator (bob, a second audit log on the same table)
//! approves; the window shows it without a poll and the lever then runs.
//! And a lever of the window on a target another operator's lever is still
//! running on is refused with their name.

mod common;

use common::ui::{self, Window, frames, has_label, labels, type_into, wait_label};
use common::{DATA_BASE, PG_V0, PG_V1, PG_V2, TestDb};
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::audit::Intent;
use rollout_panel::adapters::clock::{Clock, SystemClock};
use rollout_panel::adapters::secrets::Keyring;
use rollout_panel::core::profile::Profile;
use rollout_panel::core::secret::SecretKey;
use rollout_panel::gui::app::App;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

/// Revision's toggle of a workspace as the database holds it (`None` = no
/// settings row).
async fn toggle(pool: &sqlx::PgPool, id: &str) -> Option<bool> {
    sqlx::query_as::<_, (Option<bool>,)>(
        r#"SELECT s."autoSendRevisionEnabled" FROM "Client" c
           LEFT JOIN "WorkspaceSettings" s ON s."clientId" = c."id" WHERE c."id" = $1"#,
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("toggle")
    .0
}

/// Fills the open expansion dialog: a reason, the word, the override.
fn fill_expansion(h: &mut Window, reason: &str) {
    type_into(h, "Reason", reason);
    type_into(h, "Type EXPAND to confirm", "EXPAND");
    h.get_by_role_and_label(
        Role::CheckBox,
        "Go on although a precondition fails (recorded in the audit log)",
    )
    .click();
    frames(h);
}

/// Opens the expansion dialog for Beta, with a reason, the override and the word.
/// `tick`: Beta is not ticked yet (the tab keeps the ticks).
fn open_expansion(h: &mut Window, tick: bool) {
    if tick {
        h.get_by_role_and_label(Role::CheckBox, "Beta").click();
        frames(h);
    }
    h.get_by_role_and_label(Role::Button, "Expand to workspaces…")
        .click();
    frames(h);
    fill_expansion(h, "Alpha clean for 45 min");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_asks_for_an_approval_another_operator_gives_it_and_the_lever_runs() {
    common::require_secret_service();
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let pool = db.pool().await;
    let shared = common::shared_audit(&db).await;
    let dir = common::temp_dir();
    let bob = common::panel_log(dir.path(), &shared, "bob@host-b").await;

    // Vercel is not needed for an expansion: nothing listens there.
    let mut config = common::db_only_profile(
        "approvals",
        &db.url,
        Profile {
            approvals: Some(true),
            ..Profile::new("zrg")
        },
        dir.path().join("alice.sqlite"),
    );
    config.read_timeout = Duration::from_secs(10);
    let keyring = Keyring::native();
    let name = config.target.profile_name().to_owned();
    // The desktop's notification service on the session bus (the private
    // one scripts/with-keyring.sh starts): A's window notifies through it.
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a session bus");
    let desktop = common::notify::Service::start(&bus);
    let mut h = Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config, None).with_desktop_notifications());
    assert!(h.state().worker().wait_idle(DEADLINE), "first read");
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Levers").click();
    frames(&mut h);
    assert!(
        has_label(
            &h,
            "Approvals (the canary and expansions wait for a second operator"
        ),
        "{:#?}",
        labels(&h)
    );

    // Confirm asks for the approval; nothing runs.
    open_expansion(&mut h, true);
    assert!(has_label(
        &h,
        "This profile asks for a second operator's approval"
    ));
    h.get_by_role_and_label(Role::Button, "Request approval")
        .click();
    frames(&mut h);
    wait_label(&mut h, "approval asked for");
    assert!(!h.state().levers_running());
    wait_label(&mut h, "waiting for a second operator");

    // Bob's panel sees the request and approves it.
    let now = SystemClock.now();
    let (requests, _) = bob.approvals(now).await.expect("read");
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert!(requests[0].plan.title.contains("Beta"), "{requests:#?}");
    bob.approve(now, "prod", &requests[0], "checked the canary plots")
        .await
        .expect("approved");
    let seen = wait_label(&mut h, "approved by bob@host-b until");
    eprintln!("B's approval to A's window, without polling: {seen:?}");

    // Now the dialog runs the lever.
    open_expansion(&mut h, false);
    assert!(has_label(
        &h,
        "approved by bob@host-b; the approval counts until"
    ));
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    ui::wait_runs(&mut h);
    let on = toggle(&pool, "c-beta").await;
    assert_eq!(on, Some(true), "{:#?}", labels(&h));

    // Bob starts an expansion and it is still running: the window names
    // him in the top bar, and its rollback of the expansion goes on (a
    // rollback never waits, and needs no approval) and says so in its run.
    let started = Instant::now();
    bob.intent(
        SystemClock.now(),
        &Intent {
            profile: "prod",
            lever: "expansion",
            reason: "bob's",
            summary: "Expand revision to 1 workspace(s): Gamma",
            detail: serde_json::json!({"plan": {"targets": ["c-gamma"]}}),
        },
    )
    .await
    .expect("bob's intent");
    wait_label(&mut h, "Lever running by bob@host-b");
    eprintln!(
        "bob's intent written to A's top bar: {:?}",
        started.elapsed()
    );
    let told = loop {
        if let Some(c) = desktop
            .calls()
            .into_iter()
            .find(|c| c.summary == "Lever running by bob@host-b")
        {
            break c;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:#?}",
            desktop.calls()
        );
        std::thread::sleep(Duration::from_millis(5));
        frames(&mut h);
    };
    eprintln!(
        "bob's intent written to A's desktop notification: {:?}",
        told.at - started
    );
    assert_eq!(told.body, "Expand revision to 1 workspace(s): Gamma");
    assert!(
        !h.get_by_role_and_label(
            Role::Button,
            "Roll back every workspace enabled by this expansion…"
        )
        .accesskit_node()
        .is_disabled(),
        "{:#?}",
        labels(&h)
    );
    h.get_by_role_and_label(
        Role::Button,
        "Roll back every workspace enabled by this expansion…",
    )
    .click();
    frames(&mut h);
    assert!(
        has_label(&h, "Roll back the expansion"),
        "{:#?}",
        labels(&h)
    );
    type_into(&mut h, "Reason", "Beta looks off");
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    wait_label(&mut h, "bob@host-b is running");
    ui::wait_runs(&mut h);
    let on = toggle(&pool, "c-beta").await;
    assert_eq!(on, Some(false), "{:#?}", labels(&h));

    // An expansion is not a rollback: approved or not, it waits for bob's
    // running lever, and says whose it is; nothing is changed.
    // Wait for the refresh after the rollback (Beta back among the
    // candidates): a click lands where the check box was drawn.
    ui::wait_until(&mut h, "Beta among the candidates again", |h| {
        h.query_by_role_and_label(Role::CheckBox, "Beta").is_some()
    });
    h.get_by_role_and_label(Role::CheckBox, "Gamma").click();
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Expand to workspaces…")
        .click();
    frames(&mut h);
    assert!(
        has_label(&h, "- database: Gamma's revision toggle"),
        "{:#?}",
        labels(&h)
    );
    fill_expansion(&mut h, "Gamma next");
    h.get_by_role_and_label(Role::Button, "Request approval")
        .click();
    frames(&mut h);
    wait_label(&mut h, "approval asked for");
    let now = SystemClock.now();
    let (requests, _) = bob.approvals(now).await.expect("read");
    let gamma = requests
        .iter()
        .find(|r| r.plan.targets == vec!["c-gamma".to_owned()])
        .expect("the Gamma request");
    bob.approve(now, "prod", gamma, "ok")
        .await
        .expect("approved");
    ui::wait_until(&mut h, "Gamma's request approved", |h| {
        h.query_all_by_role(Role::Label).any(|n| {
            n.value().is_some_and(|v| {
                v.contains("\"Gamma next\"") && v.contains("approved by bob@host-b")
            })
        })
    });
    h.get_by_role_and_label(Role::Button, "Expand to workspaces…")
        .click();
    frames(&mut h);
    fill_expansion(&mut h, "Gamma next");
    h.get_by_role_and_label(Role::Button, "Confirm").click();
    frames(&mut h);
    wait_label(&mut h, "nothing was changed: bob@host-b is running");
    let gamma_on = toggle(&pool, "c-gamma").await;
    assert_ne!(gamma_on, Some(true));

    // Bob asks in turn: A's window shows the whole plan it would approve
    // (each change with its before-value, the digest), not only its title.
    let plan = gamma.plan.clone();
    bob.request_approval(SystemClock.now(), "prod", &plan, "bob asks")
        .await
        .expect("bob's request");
    wait_label(&mut h, "The plan you approve (digest");
    let change = format!("• {}", plan.changes[0].describe());
    assert!(has_label(&h, &change), "{change:?} in {:#?}", labels(&h));
    keyring
        .delete(&name, SecretKey::DatabaseUrl)
        .expect("clean up the secret");
}
