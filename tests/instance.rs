//! One panel per profile: while one process holds a profile's lock, a second
//! window for that profile is refused with a message, before it opens.

mod common;

#[test]
fn a_second_window_on_the_same_profile_is_refused_with_a_message() {
    let dir = common::temp_dir();
    let paths = rollout_panel::paths::Paths::resolve(Some(dir.path())).expect("paths");
    // This process stands in for the first window.
    let held = rollout_panel::instance::lock(&paths, "demo").expect("first lock");
    // Within one process a second lock on the same file is refused too.
    let again = rollout_panel::instance::lock(&paths, "demo").expect_err("held");
    assert!(again.contains("already open for profile demo"), "{again}");
    assert!(
        again.contains(&format!("process {}", std::process::id())),
        "{again}"
    );
    // Another profile is free.
    drop(rollout_panel::instance::lock(&paths, "other").expect("another profile"));

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
    rollout_panel::instance::lock(&paths, "demo").expect("free again");
}
