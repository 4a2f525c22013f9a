//! One panel per profile: while one process holds a profile's lock, a second
//! window for that profile is refused with a message, before it opens.

mod common;

#[test]
fn a_second_window_on_the_same_profile_is_refused_with_a_message() {
    let dir = common::temp_dir();
    let paths = rollout_panel::platform::paths::Paths::resolve(Some(dir.path())).expect("paths");
    // This process stands in for the first window.
    let held = rollout_panel::platform::instance::lock(&paths, "demo").expect("first lock");
    // Within one process a second lock on the same file is refused too.
    let again = rollout_panel::platform::instance::lock(&paths, "demo").expect_err("held");
    assert!(again.contains("already open for profile demo"), "{again}");
    assert!(
        again.contains(&format!("process {}", std::process::id())),
        "{again}"
    );
    // Another profile is free.
    drop(rollout_panel::platform::instance::lock(&paths, "other").expect("another profile"));

    // The real second window: no display either, so only the lock can be
    // what stops it (the message tells which).
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_rollout-panel"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("gui")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains("rollout-panel is already open for profile demo"),
        "{said}"
    );
    drop(held);
    // Released with the holder: the next one takes it.
    rollout_panel::platform::instance::lock(&paths, "demo").expect("free again");
}

/// A window that switches profiles moves its lock: it refuses to switch onto
/// a profile another window holds (and stays where it is), and once it has
/// switched, the profile it left is free and the new one is held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_profiles_in_the_window_moves_the_lock_and_refuses_a_held_profile() {
    use egui::Role;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use rollout_panel::adapters::clock::SystemClock;
    use rollout_panel::adapters::config::ConfigStore;
    use rollout_panel::adapters::secrets::Keyring;
    use rollout_panel::gui::app::{App, Launcher};
    use rollout_panel::ops::profiles::ProfileManager;
    use std::sync::Arc;
    use std::time::Duration;

    keyring_core::set_default_store(keyring_core::mock::Store::new().expect("mock store"));
    let dir = common::temp_dir();
    let o = common::panel_env(
        dir.path(),
        &["profile", "add", "production", "--vercel-project", "zrg"],
        "",
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let paths = rollout_panel::platform::paths::Paths::resolve(Some(dir.path())).expect("paths");
    let launcher = Launcher {
        paths: paths.clone(),
        manager: ProfileManager {
            config: ConfigStore::new(&paths.config_dir),
            keyring: Keyring::default_store(),
        },
        clock: Arc::new(SystemClock),
        read_timeout: Duration::from_secs(60),
        auto_refresh: false,
        refresh_override: None,
        demo_speed: 1.0,
    };
    let config = launcher.config_for("demo", None);
    let demo_lock =
        rollout_panel::platform::instance::lock(&paths, "demo").expect("the window's lock");
    // Another window (this test) has production open.
    let other =
        rollout_panel::platform::instance::lock(&paths, "production").expect("the other window");

    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| App::new(cc, config, Some(launcher)).with_instance_lock(demo_lock));
    let wait = |h: &mut Harness<'static, App>| {
        h.step();
        let deadline = Duration::from_secs(120);
        assert!(h.state().jobs().wait_idle(deadline));
        assert!(h.state().worker().wait_idle(deadline));
        h.run_steps(5);
    };
    let switch_to = |h: &mut Harness<'static, App>, name: &str| {
        h.get_by_role_and_label(Role::ComboBox, "Profile:").click();
        h.run_steps(3);
        h.get_by_label(name).click();
        h.run_steps(3);
    };
    wait(&mut h);

    switch_to(&mut h, "production");
    wait(&mut h);
    assert_eq!(h.state().snapshot().profile, "demo", "it must not switch");
    let said = h
        .query_all_by(|n| {
            n.label().or(n.value()).is_some_and(|t| {
                t.contains("not switching to production")
                    && t.contains("already open for profile production")
            })
        })
        .count();
    assert!(said > 0, "the window says why it did not switch");
    // Still holds demo.
    rollout_panel::platform::instance::lock(&paths, "demo").expect_err("demo is still held");

    drop(other);
    switch_to(&mut h, "production");
    wait(&mut h);
    assert_eq!(h.state().snapshot().profile, "production");
    let held = rollout_panel::platform::instance::lock(&paths, "production").expect_err("now held");
    assert!(
        held.contains("already open for profile production"),
        "{held}"
    );
    // The profile it left is free for another window.
    drop(rollout_panel::platform::instance::lock(&paths, "demo").expect("demo released"));
}
