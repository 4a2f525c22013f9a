//! The Profiles window, driven through AccessKit: add a profile, paste its
//! database URL into a masked field, see it stored only as "set (•••• last
//! 4)", and open the profile: the panel connects to a real PostgreSQL.
//! Secrets go to keyring-core's mock store here (one process, one store);
//! tests/secrets.rs covers the real Secret Service.

mod common;

use common::{DATA_BASE, PG_V0, PG_V1, PG_V2, TestDb};
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::clock::SystemClock;
use rollout_panel::adapters::config::ConfigStore;
use rollout_panel::adapters::secrets::Keyring;
use rollout_panel::core::secret::SecretKey;
use rollout_panel::gui::app::{App, Launcher};
use rollout_panel::ops::profiles::ProfileManager;
use rollout_panel::platform::paths::Paths;
use std::sync::Arc;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(120);
const PASSWORD: &str = "kittest-Pa55word-must-not-show";

fn wait(h: &mut Harness<'static, App>) {
    h.step();
    assert!(
        h.state().jobs().wait_idle(DEADLINE),
        "profile job timed out"
    );
    assert!(h.state().worker().wait_idle(DEADLINE), "worker timed out");
    h.run_steps(4);
}

/// Focuses a text field (found by role and label) and types into it.
fn type_into(h: &mut Harness<'static, App>, role: Role, label: &str, text: &str) {
    h.get_by_role_and_label(role, label).focus();
    h.run_steps(4);
    h.get_by_role_and_label(role, label).type_text(text);
    h.run_steps(4);
}

/// No node of the accessibility tree shows `needle`, in label or value.
fn nowhere(h: &Harness<'static, App>, needle: &str) {
    let hits: Vec<String> = h
        .query_all_by(|n| {
            n.label().is_some_and(|l| l.contains(needle))
                || n.value().is_some_and(|v| v.contains(needle))
        })
        .map(|n| format!("{:?}", n.accesskit_node().role()))
        .collect();
    assert!(hits.is_empty(), "the secret is visible in {hits:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_a_profile_and_its_secret_through_the_window_then_open_it() {
    keyring_core::set_default_store(keyring_core::mock::Store::new().expect("mock store"));
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE]).await;
    let mut url = url::Url::parse(&db.url).expect("url");
    url.set_password(Some(PASSWORD)).expect("password");
    let url = url.to_string();

    let dir = common::temp_dir();
    let paths = Paths::resolve(Some(dir.path())).expect("paths");
    let manager = ProfileManager {
        config: ConfigStore::new(&paths.config_dir),
        keyring: Keyring::default_store(),
    };
    let launcher = Launcher {
        paths,
        manager: manager.clone(),
        clock: Arc::new(SystemClock),
        read_timeout: Duration::from_secs(60),
        auto_refresh: false,
        refresh_override: None,
        demo_speed: 1.0,
    };
    let config = launcher.config_for("demo", None);
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| App::new(cc, config, Some(launcher)));
    wait(&mut h);

    h.get_by_role_and_label(Role::Button, "Profiles…").click();
    wait(&mut h);
    h.get_by_label("+ New profile").click();
    h.run_steps(4);
    type_into(&mut h, Role::TextInput, "Name", "production");
    type_into(&mut h, Role::TextInput, "Vercel project", "zrg-dashboard");
    h.get_by_role_and_label(Role::Button, "Add profile").click();
    wait(&mut h);

    // The profile is saved; its secrets are all unset and editable, masked.
    type_into(&mut h, Role::PasswordInput, "database-url", &url);
    let field = h.get_by_role_and_label(Role::PasswordInput, "database-url");
    let shown = field.accesskit_node().value().unwrap_or_default();
    assert!(
        !shown.contains(PASSWORD),
        "the field shows the value: {shown}"
    );
    assert!(shown.chars().all(|c| c == '•'), "not masked: {shown}");
    // The eye shows what was pasted, and hides it again.
    h.get_by_role_and_label(Role::CheckBox, "Show database-url")
        .click();
    h.run_steps(4);
    let visible = h.get_by_role_and_label(Role::TextInput, "database-url");
    assert_eq!(
        visible.accesskit_node().value().as_deref(),
        Some(url.as_str())
    );
    h.get_by_role_and_label(Role::CheckBox, "Show database-url")
        .click();
    h.run_steps(4);
    h.get_by_role_and_label(Role::PasswordInput, "database-url");
    nowhere(&h, PASSWORD);
    h.get_by_role_and_label(Role::Button, "Save database-url")
        .click();
    wait(&mut h);

    // Stored for real in the (mock) keyring, shown only masked.
    let stored = manager
        .keyring
        .get("production", SecretKey::DatabaseUrl)
        .expect("keyring")
        .expect("stored");
    assert_eq!(stored.expose(), url);
    let tail: String = url
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    h.get_by_role_and_label(Role::Label, &format!("set (•••• {tail})"));
    h.get_by_role_and_label(Role::Button, "Replace database-url");
    nowhere(&h, PASSWORD);

    // Test database: connects for real and names the schema.
    h.get_by_role_and_label(Role::Button, "Test database")
        .click();
    wait(&mut h);
    let result = h.get_by(|n| {
        n.role() == Role::Label
            && n.value()
                .is_some_and(|v| v.starts_with("connected · PostgreSQL"))
    });
    let text = result.accesskit_node().value().unwrap_or_default();
    assert!(text.contains("schema V2"), "{text}");

    // Open it: the panel now reads production (the test database).
    h.get_by_role_and_label(Role::Button, "Open this profile")
        .click();
    wait(&mut h);
    let db_health =
        h.get_by(|n| n.role() == Role::Label && n.value().is_some_and(|v| v.starts_with("DB ")));
    let health = db_health.accesskit_node().value().unwrap_or_default();
    assert!(health.starts_with("DB ok"), "{health}");
    assert_eq!(h.state().snapshot().profile, "production");
    assert!(!h.state().snapshot().workspaces.is_empty());
    // The readiness check ran on the real database; without a Vercel token
    // the env is an error that says how to fix it, never a guess.
    let snap = h.state().snapshot();
    let report = snap.readiness.as_ref().expect("a readiness report");
    let connect = report
        .items
        .iter()
        .find(|i| i.id == "db.connect")
        .expect("db.connect");
    assert_eq!(connect.status.as_str(), "pass", "{connect:?}");
    let env_error = snap.env.error.clone().unwrap_or_default();
    assert!(
        env_error.contains("secrets set --profile production vercel-token"),
        "{env_error}"
    );
    nowhere(&h, PASSWORD);

    // Replacing the open profile's database URL reconnects at once: a
    // database that does not exist turns the DB health red, with the reason.
    h.get_by_role_and_label(Role::Button, "Replace database-url")
        .click();
    h.run_steps(4);
    let bad = url.replace(&format!("/{}", db.name), "/no_such_db");
    type_into(&mut h, Role::PasswordInput, "database-url", &bad);
    h.get_by_role_and_label(Role::Button, "Save database-url")
        .click();
    wait(&mut h);
    wait(&mut h);
    let db_health =
        h.get_by(|n| n.role() == Role::Label && n.value().is_some_and(|v| v.starts_with("DB ")));
    let health = db_health.accesskit_node().value().unwrap_or_default();
    assert!(health.starts_with("DB error"), "{health}");
    let error = h.state().snapshot().db.error.clone().unwrap_or_default();
    assert!(error.contains("no_such_db"), "{error}");
    nowhere(&h, PASSWORD);

    // The choice is remembered, and the config file holds no secret.
    let text = std::fs::read_to_string(manager.config.path()).expect("profiles.toml");
    assert!(text.contains("default_profile = \"production\""), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(
        !text.contains(&db.name),
        "the URL leaked into the config: {text}"
    );
}
