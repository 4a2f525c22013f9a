//! Desktop notifications end to end: the real window (kittest) on the demo
//! world, the real `notify-rust` client, and a private D-Bus daemon on which
//! this test owns `org.freedesktop.Notifications` and records every call.
//! One notification per alarm kind, none again while the alarm stays, no
//! draft content in any, and a click focuses the window on its tab.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::adapters::clock::{Clock, ManualClock};
use rollout_panel::demo::{DemoStage, DemoWorld, Faults};
use rollout_panel::gui::Tab;
use rollout_panel::gui::app::App;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

const DEADLINE: Duration = Duration::from_secs(120);

fn refresh(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(Role::Button, "Refresh").click();
    h.run_steps(4);
    assert!(h.state().worker().wait_idle(DEADLINE), "refresh");
    h.run_steps(4);
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn each_new_alarm_raises_one_notification_without_draft_content_and_a_click_opens_its_tab() {
    let bus = common::notify::Bus::start();
    // SAFETY: set before this process starts any thread that reads the
    // environment (nextest runs each test in a process of its own).
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address) };
    let service = common::notify::Service::start(&bus.address);
    let calls = Arc::clone(&service.calls);

    let dir = common::temp_dir();
    let clock = ManualClock::new(common::ts("2026-03-04 10:00:00"));
    let config = common::ui::demo_config(dir.path(), &clock);
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| App::new(cc, config, None).with_desktop_notifications());
    assert!(h.state().worker().wait_idle(DEADLINE), "first read");
    h.run_steps(4);
    // A quiet canary: nothing to tell.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        calls.lock().unwrap().len(),
        0,
        "{:?}",
        calls.lock().unwrap()
    );

    // The canary's drafts go to needs_review far more often, and some loops
    // run past the clamp.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let world = DemoWorld::open_or_create(
            &common::ui::demo_db(dir.path()),
            clock.now(),
            DemoStage::Canary,
            rollout_panel::cli::DEFAULT_DEMO_SEED,
        )
        .await
        .unwrap();
        world
            .set_faults(&Faults {
                needs_review_spike: true,
                repeated_attempts: true,
                ..Faults::default()
            })
            .await
            .unwrap();
        world.close().await;
    });
    clock.advance(chrono::Duration::hours(3));
    let refreshed = Instant::now();
    refresh(&mut h);
    let snapshot_alarms: Vec<_> = h.state().snapshot().alarms.clone();
    let kinds: std::collections::BTreeSet<_> = snapshot_alarms.iter().map(|a| a.kind).collect();
    assert!(!kinds.is_empty(), "the faults raise an alarm");
    let expected = kinds.len() + 1; // and the harm verdict
    wait_for("a notification per alarm kind and the verdict", || {
        calls.lock().unwrap().len() >= expected
    });
    eprintln!(
        "refresh with new alarms to the last notification recorded on the bus: {} ms",
        refreshed.elapsed().as_millis()
    );
    std::thread::sleep(Duration::from_millis(300));
    let told = calls.lock().unwrap().clone();
    assert_eq!(told.len(), expected, "{told:#?}");
    assert!(
        told.iter()
            .any(|c| c.summary == "Canary verdict: harm detected"),
        "{told:#?}"
    );
    for c in &told {
        assert_eq!(c.app_name, "rollout-panel");
        assert_eq!(c.actions, vec!["default", "Open the panel"]);
        assert!(c.body.contains("suggested:"), "{c:?}");
    }

    // No draft content and no draft id in any notification: every text the
    // demo's drafts hold is checked.
    let texts: Vec<(String, String)> = rt.block_on(async {
        let url = format!(
            "sqlite://{}?mode=ro",
            common::ui::demo_db(dir.path()).display()
        );
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query_as::<_, (String, String)>("SELECT id, content FROM AIDraft")
            .fetch_all(&pool)
            .await
            .unwrap()
    });
    assert!(texts.len() > 20, "{}", texts.len());
    for c in &told {
        for (id, content) in &texts {
            let all = format!("{} {}", c.summary, c.body);
            assert!(!all.contains(id.as_str()), "draft id {id} in {c:?}");
            assert!(
                content.len() < 12 || !all.contains(content.as_str()),
                "draft content in {c:?}"
            );
        }
    }

    // Still firing three minutes later: nothing new is told.
    clock.advance(chrono::Duration::minutes(3));
    refresh(&mut h);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(calls.lock().unwrap().len(), expected);

    // On another tab, the harm notification is clicked: the window opens
    // the Metrics tab.
    h.get_by_role_and_label(Role::Button, "Audit").click();
    h.run_steps(4);
    assert_eq!(h.state().state().tab, Tab::Audit);
    let harm = told
        .iter()
        .find(|c| c.summary.starts_with("Canary verdict"))
        .unwrap();
    let clicked_at = Instant::now();
    service.click(harm.id);
    let start = Instant::now();
    while h.state().state().tab != Tab::Metrics {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the click opened Metrics"
        );
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!(
        "notification click to the Metrics tab on screen: {} ms",
        clicked_at.elapsed().as_millis()
    );
}
