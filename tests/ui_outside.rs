//! Changes made outside the panel (issue 28), through the real window
//! (kittest) on a production profile — a real Postgres, the stateful fake
//! Vercel, the real Secret Service: a toggle flipped with psql and an env
//! variable changed in "Vercel's dashboard" (the fake's state) with no panel
//! action each raise the "outside the panel" alarm within one refresh,
//! naming what changed; the desktop notification (recorded on the bus)
//! carries the tenant's workspace name markup-escaped.

mod common;

use common::ui::{Window, frames, has_label, labels};
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::adapters::secrets::Keyring;
use rollout_panel::core::profile::Profile;
use rollout_panel::gui::app::App;
use rollout_panel::worker::{Target, WorkerConfig};
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(60);
const NAME: &str = "<b>x</b> & <i>y";

fn refresh(h: &mut Window, button: &str) {
    h.get_by_role_and_label(Role::Button, button).click();
    frames(h);
    assert!(h.state().worker().wait_idle(DEADLINE), "{button}");
    frames(h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toggle_flipped_with_psql_and_an_env_changed_in_vercel_are_seen_as_outside_the_panel() {
    let p = common::production::production("outside").await;
    let pool = p.db.pool().await;
    sqlx::query(r#"UPDATE "Client" SET "name" = $1 WHERE "id" = 'c-alpha'"#)
        .bind(NAME)
        .execute(&pool)
        .await
        .expect("rename");
    let config = WorkerConfig {
        target: Target::Profile {
            name: p.name.clone(),
            profile: Profile {
                vercel_api: p.server.uri(),
                operators: common::roster_lines(),
                ..Profile::new("zrg")
            },
            keyring: Keyring::native(),
        },
        clock: std::sync::Arc::new(rollout_panel::adapters::clock::SystemClock),
        auto_refresh: None,
        read_timeout: Duration::from_secs(15),
        audit_path: Some(p.dir.path().join("window-audit.sqlite")),
        waits: rollout_panel::ops::levers::Waits::default(),
    };
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").expect("a session bus");
    let desktop = common::notify::Service::start(&bus);
    let mut h = Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config, None).with_desktop_notifications());
    assert!(h.state().worker().wait_idle(DEADLINE), "first read");
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Metrics").click();
    frames(&mut h);
    assert!(
        !labels(&h).iter().any(|l| l.contains("outside the panel")),
        "nothing changed yet: {:#?}",
        labels(&h)
    );

    // Someone turns Alpha's toggle off with psql.
    sqlx::query(
        r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = false WHERE "clientId" = 'c-alpha'"#,
    )
    .execute(&pool)
    .await
    .expect("psql flip");
    refresh(&mut h, "Refresh");
    let wanted = format!("{NAME}'s revision toggle changed ON -> OFF outside the panel");
    assert!(has_label(&h, &wanted), "{:#?}", labels(&h));
    let call = desktop.wait_for("Alarm: changed outside the panel");
    assert!(
        call.body.starts_with(
            "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;y's revision toggle changed ON -&gt; OFF"
        ),
        "{call:#?}"
    );
    assert!(!call.body.contains('<'), "{call:#?}");

    // Someone sets the revision kill switch in Vercel's dashboard.
    {
        let mut s = p.state.lock().unwrap();
        s.clock += 60_000;
        let at = s.clock;
        s.env
            .insert("AUTO_SEND_REVISION_DISABLED".into(), ("1".into(), at));
    }
    h.get_by_role_and_label(Role::Button, "Readiness").click();
    frames(&mut h);
    refresh(&mut h, "Re-check");
    h.get_by_role_and_label(Role::Button, "Metrics").click();
    frames(&mut h);
    assert!(
        labels(&h).iter().any(|l| l
            .contains("AUTO_SEND_REVISION_DISABLED changed outside the panel")
            && l.contains("\"0\" -> \"1\"")),
        "{:#?}",
        labels(&h)
    );

    // Who this operator is: the roster's name, its key, the token's user.
    h.get_by_role_and_label(Role::Button, "Audit").click();
    frames(&mut h);
    assert!(
        labels(&h).iter().any(|l| l.starts_with("You: ")
            && l.contains("key ed25519:")
            && l.contains("Vercel ops-bot (usr_shared)")),
        "{:#?}",
        labels(&h)
    );
}
