//! The Drafts tab, driven through AccessKit: the sample on the demo, the seed
//! and Resample, and Export CSV… with a save dialog answered by the test
//! (chosen path, cancel, no dialog at all). The files are read back with the
//! `csv` reader; the audit log is read from its file.

mod common;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::audit::AuditLog;
use rollout_panel::adapters::clock::{Clock, ManualClock, SystemClock};
use rollout_panel::demo::DemoStage;
use rollout_panel::gui::app::App;
use rollout_panel::ops::export::{DialogOutcome, SaveDialog};
use rollout_panel::worker::{Target, WorkerConfig};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(120);

/// A save dialog that answers what the test tells it, and records the name it offered.
struct Scripted {
    answer: Mutex<DialogOutcome>,
    offered: Mutex<Option<String>>,
}

impl SaveDialog for Scripted {
    fn ask(&self, _dir: &Path, name: &str) -> DialogOutcome {
        *self.offered.lock().unwrap() = Some(name.to_owned());
        self.answer.lock().unwrap().clone()
    }
}

fn harness(dir: &Path, dialog: Arc<Scripted>, fallback: PathBuf) -> Harness<'static, App> {
    let clock = ManualClock::new(SystemClock.now());
    let config = WorkerConfig {
        target: Target::Demo {
            db_path: dir.join("demo").join("demo.sqlite"),
            stage: DemoStage::Canary,
            seed: rollout_panel::cli::DEFAULT_DEMO_SEED,
        },
        clock: Arc::new(clock),
        auto_refresh: None,
        read_timeout: Duration::from_secs(60),
        audit_path: Some(AuditLog::path_in(dir)),
        waits: rollout_panel::ops::levers::Waits::default(),
    };
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| App::new(cc, config, None).with_dialog(dialog, fallback));
    assert!(h.state().worker().wait_idle(DEADLINE));
    h.run_steps(4);
    h
}

fn frames(h: &mut Harness<'static, App>) {
    h.run_steps(4);
}

fn labels(h: &Harness<'static, App>) -> Vec<String> {
    h.query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .collect()
}

fn label_containing(h: &Harness<'static, App>, needle: &str) -> Option<String> {
    h.query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .find(|v| v.contains(needle))
}

/// Steps until a label contains `needle` (the worker or an export thread answers).
fn wait_for(h: &mut Harness<'static, App>, needle: &str) -> String {
    for _ in 0..600 {
        if let Some(v) = label_containing(h, needle) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
        frames(h);
    }
    panic!("never saw {needle:?}: {:#?}", labels(h));
}

fn open_drafts(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(Role::Button, "Drafts").click();
    frames(h);
    wait_for(h, "revised drafts");
}

/// Whether an export said anything (written, cancelled or failed).
fn has_exporting_status(h: &Harness<'static, App>) -> bool {
    [
        "Exported ",
        "export cancelled",
        "Export failed",
        "No save dialog",
    ]
    .iter()
    .any(|n| label_containing(h, n).is_some())
}

fn seed_of(h: &Harness<'static, App>) -> String {
    label_containing(h, "Seed ").expect("the seed is shown")
}

fn read_csv(path: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path)
        .expect("open")
        .records()
        .map(|r| r.expect("parses"))
        .collect()
}

#[test]
fn the_drafts_tab_samples_resamples_and_exports_to_the_chosen_file() {
    let dir = common::temp_dir();
    let target = dir.path().join("review.csv");
    let dialog = Arc::new(Scripted {
        answer: Mutex::new(DialogOutcome::Chosen(target.clone())),
        offered: Mutex::new(None),
    });
    let mut h = harness(dir.path(), Arc::clone(&dialog), dir.path().join("fallback"));
    open_drafts(&mut h);
    // Since the canary started: the demo's pilot has applied revisions.
    let said = wait_for(&mut h, "revised drafts");
    assert!(said.contains(" of ") || said.starts_with("all "), "{said}");
    let first_seed = seed_of(&h);
    h.get_by_role_and_label(Role::Button, "Resample").click();
    frames(&mut h);
    assert_ne!(seed_of(&h), first_seed, "Resample draws a new seed");
    assert!(h.state().worker().wait_idle(DEADLINE));
    frames(&mut h);

    h.get_by_role_and_label(Role::Button, "Export CSV…").click();
    frames(&mut h);
    let done = wait_for(&mut h, "Exported ");
    assert!(done.contains(&target.display().to_string()), "{done}");
    let offered = dialog.offered.lock().unwrap().clone().expect("asked");
    let seed = seed_of(&h).trim_start_matches("Seed ").to_owned();
    assert!(
        offered.starts_with("revised-drafts-demo-")
            && offered.ends_with(&format!("-seed{seed}.csv")),
        "{offered}"
    );
    let rows = read_csv(&target);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.len() == 16));
    // The export is audited: who, how many, where, and not the content.
    assert!(h.state().worker().wait_idle(DEADLINE));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let log = rt.block_on(async {
        let log = AuditLog::open(&AuditLog::path_in(dir.path()))
            .await
            .unwrap();
        let rows = log.list("demo", 20).await.unwrap();
        log.close().await;
        rows
    });
    let export = log
        .iter()
        .find(|e| {
            e.lever == "export"
                && e.kind == rollout_panel::adapters::audit::EntryKind::Intent
                && e.summary.contains("review.csv")
        })
        .expect("an export entry");
    assert_eq!(export.detail["rows"], rows.len());
    assert!(
        !serde_json::to_string(&log)
            .unwrap()
            .contains(rows[0].get(15).unwrap())
    );
}

#[test]
fn a_cancelled_dialog_writes_nothing_and_no_dialog_falls_back_and_says_where() {
    let dir = common::temp_dir();
    let fallback = dir.path().join("Downloads");
    let dialog = Arc::new(Scripted {
        answer: Mutex::new(DialogOutcome::Cancelled),
        offered: Mutex::new(None),
    });
    let mut h = harness(dir.path(), Arc::clone(&dialog), fallback.clone());
    open_drafts(&mut h);
    h.get_by_role_and_label(Role::Button, "Export CSV…").click();
    frames(&mut h);
    wait_for(&mut h, "export cancelled; nothing was written");
    assert!(!fallback.exists());

    // No portal, no zenity: the file goes to the fallback folder, and the
    // panel says why and where, with a button to open it.
    *dialog.answer.lock().unwrap() = DialogOutcome::Unavailable(
        "no desktop portal is running and zenity is not installed".into(),
    );
    // This time from the keyboard: Ctrl+E.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    frames(&mut h);
    let said = wait_for(&mut h, "No save dialog could be shown");
    assert!(said.contains(&fallback.display().to_string()), "{said}");
    h.get_by_role_and_label(Role::Button, "Open folder");
    let files: Vec<PathBuf> = std::fs::read_dir(&fallback)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(!read_csv(&files[0]).is_empty());
}

#[test]
fn an_empty_window_says_why_and_widens_in_one_click() {
    let dir = common::temp_dir();
    let dialog = Arc::new(Scripted {
        answer: Mutex::new(DialogOutcome::Cancelled),
        offered: Mutex::new(None),
    });
    let mut h = harness(dir.path(), Arc::clone(&dialog), dir.path().join("fallback"));
    open_drafts(&mut h);
    assert!(h.state().worker().wait_idle(DEADLINE));
    frames(&mut h);
    // One workspace that never had revision on: nothing since the canary.
    h.get_by_role_and_label(Role::ComboBox, "Workspace:")
        .click();
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Cobalt Legal")
        .click();
    frames(&mut h);
    let why = wait_for(&mut h, "No revised drafts since the canary started");
    assert!(
        why.contains("in Cobalt Legal") && why.contains(" ago"),
        "{why}"
    );
    assert!(
        h.get_by_role_and_label(Role::Button, "Export CSV…")
            .accesskit_node()
            .is_disabled(),
        "nothing to export"
    );
    // Nor from the keyboard: Ctrl+E asks no dialog.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    frames(&mut h);
    std::thread::sleep(Duration::from_millis(500));
    frames(&mut h);
    assert!(dialog.offered.lock().unwrap().is_none(), "no dialog asked");
    assert!(!has_exporting_status(&h));
    // One click each: 24 h, 72 h, then every workspace, which has rows.
    for (button, then) in [
        (
            "Widen to the last 24 h",
            "No revised drafts in the last 24 h",
        ),
        (
            "Widen to the last 72 h",
            "No revised drafts in the last 72 h",
        ),
        ("Show all workspaces", "revised drafts"),
    ] {
        h.get_by_role_and_label(Role::Button, button).click();
        frames(&mut h);
        assert!(h.state().worker().wait_idle(DEADLINE));
        frames(&mut h);
        let said = wait_for(&mut h, then);
        if button == "Show all workspaces" {
            assert!(!said.starts_with("No "), "{said}");
            assert!(said.contains(" of ") || said.starts_with("all "), "{said}");
        }
    }
    assert!(
        !h.get_by_role_and_label(Role::Button, "Export CSV…")
            .accesskit_node()
            .is_disabled()
    );
    // The sorted column's header stays on one line.
    let header = h
        .get_by_role_and_label(Role::Button, "Revised (UTC) ^")
        .rect();
    assert!(header.height() < 26.0, "one line: {header:?}");
}
