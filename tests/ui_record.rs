//! The Audit tab's "Write the rollout record…", driven through AccessKit on
//! the demo: a folder chosen in the dialog (the Markdown parses with a
//! CommonMark parser, its headings are the runbook's, every image link
//! resolves to a non-empty file), a cancelled dialog (nothing written), no
//! dialog at all (a new folder under the fallback, said so), and a folder
//! that cannot be written (said so, nothing left under its names).

mod common;

use common::ui::labels;
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use rollout_panel::adapters::clock::{Clock, ManualClock, SystemClock};
use rollout_panel::gui::app::App;
use rollout_panel::ops::export::{DialogOutcome, SaveDialog};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(120);

/// A folder dialog that answers what the test tells it, and records where it started.
struct Scripted {
    answer: Mutex<DialogOutcome>,
    started_in: Mutex<Option<PathBuf>>,
}

impl SaveDialog for Scripted {
    fn ask(&self, _dir: &Path, _name: &str) -> DialogOutcome {
        panic!("the record asks for a folder, never a file");
    }

    fn pick_folder(&self, dir: &Path) -> DialogOutcome {
        *self.started_in.lock().unwrap() = Some(dir.to_path_buf());
        self.answer.lock().unwrap().clone()
    }
}

fn harness(dir: &Path, dialog: Arc<Scripted>, fallback: PathBuf) -> Harness<'static, App> {
    let config = common::ui::demo_config(dir, &ManualClock::new(SystemClock.now()));
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| App::new(cc, config, None).with_dialog(dialog, fallback));
    assert!(h.state().worker().wait_idle(DEADLINE));
    h.run_steps(4);
    h
}

/// Steps until a label contains `needle` (the dialog's job and the worker answer).
fn wait_for(h: &mut Harness<'static, App>, needle: &str) -> String {
    for _ in 0..3000 {
        if let Some(v) = labels(h).into_iter().find(|v| v.contains(needle)) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
        h.run_steps(4);
    }
    panic!("never saw {needle:?}: {:#?}", labels(h));
}

fn write_record(h: &mut Harness<'static, App>) {
    h.get_by_role_and_label(Role::Button, "Write the rollout record…")
        .click();
    h.run_steps(4);
}

/// The level-2 headings and every link or image target of a CommonMark file.
fn parse(md: &str) -> (Vec<String>, Vec<String>) {
    let (mut headings, mut targets) = (Vec::new(), Vec::new());
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(md, pulldown_cmark::Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => headings.extend(heading.take()),
            Event::Start(Tag::Image { dest_url, .. }) => targets.push(dest_url.to_string()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            _ => {}
        }
    }
    (headings, targets)
}

#[test]
fn the_audit_tab_writes_the_rollout_record_into_the_chosen_folder() {
    let dir = common::temp_dir();
    let out = dir.path().join("phase-116").join("rollout");
    let fallback = dir.path().join("Downloads");
    let dialog = Arc::new(Scripted {
        answer: Mutex::new(DialogOutcome::Chosen(out.clone())),
        started_in: Mutex::new(None),
    });
    let mut h = harness(dir.path(), Arc::clone(&dialog), fallback.clone());
    h.get_by_role_and_label(Role::Button, "Audit").click();
    h.run_steps(4);
    write_record(&mut h);
    let said = wait_for(&mut h, "Wrote the rollout record");
    assert!(said.contains(&out.display().to_string()), "{said}");
    assert_eq!(
        dialog.started_in.lock().unwrap().as_deref(),
        Some(fallback.as_path()),
        "the dialog starts in the exports folder"
    );
    h.get_by_role_and_label(Role::Button, "Open folder");

    let md = std::fs::read_to_string(out.join("rollout-record.md")).expect("the record");
    let (headings, images) = parse(&md);
    for (n, want) in [
        (1, "Prerequisites"),
        (2, "Dark deploy and smoke"),
        (3, "Canary"),
        (4, "The watch"),
        (5, "Rollbacks and expansions"),
        (6, "The 24 h review"),
        (7, "quality review"),
        (8, "Handoff"),
    ] {
        assert!(
            headings
                .iter()
                .any(|h| h.starts_with(&format!("{n}.")) && h.contains(want)),
            "heading {n} {want:?} missing: {headings:?}"
        );
    }
    assert_eq!(images.len(), 3, "three plots: {images:?}");
    for link in &images {
        assert!(!link.starts_with('/'), "a relative link: {link}");
        for ext in ["svg", "png"] {
            let file = out.join(Path::new(link).with_extension(ext));
            let len = std::fs::metadata(&file).expect("the plot exists").len();
            assert!(len > 0, "{} is empty", file.display());
        }
    }
    // The said file count is the folder's.
    let files = std::fs::read_dir(&out).unwrap().count();
    assert!(said.contains(&format!("({files} files)")), "{said}");
    assert!(!fallback.exists(), "nothing went to the fallback folder");
}

#[test]
fn a_cancelled_dialog_writes_nothing_no_dialog_falls_back_and_a_bad_folder_is_said() {
    let dir = common::temp_dir();
    let fallback = dir.path().join("Downloads");
    let dialog = Arc::new(Scripted {
        answer: Mutex::new(DialogOutcome::Cancelled),
        started_in: Mutex::new(None),
    });
    let mut h = harness(dir.path(), Arc::clone(&dialog), fallback.clone());
    h.get_by_role_and_label(Role::Button, "Audit").click();
    h.run_steps(4);

    // Cancelled: nothing written, and the button is back.
    write_record(&mut h);
    for _ in 0..500 {
        if dialog.started_in.lock().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..50 {
        h.run_steps(4);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !h.get_by_role_and_label(Role::Button, "Write the rollout record…")
            .accesskit_node()
            .is_disabled(),
        "the button is enabled again after a cancel"
    );
    assert!(!fallback.exists());
    assert!(!labels(&h).iter().any(|l| l.contains("rollout record")));

    // No dialog here: a new folder under the fallback, and the panel says why.
    *dialog.answer.lock().unwrap() =
        DialogOutcome::Unavailable("no desktop portal is running".into());
    write_record(&mut h);
    let said = wait_for(&mut h, "Wrote the rollout record");
    wait_for(&mut h, "No folder dialog (no desktop portal is running)");
    let made: Vec<PathBuf> = std::fs::read_dir(&fallback)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    let name = made[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("rollout-record-demo-"), "{name}");
    assert!(said.contains(&made[0].display().to_string()), "{said}");
    assert!(made[0].join("rollout-record.md").is_file());

    // A folder that is a file: said, and nothing written.
    let blocked = dir.path().join("not-a-folder");
    std::fs::write(&blocked, b"x").unwrap();
    *dialog.answer.lock().unwrap() = DialogOutcome::Chosen(blocked.clone());
    write_record(&mut h);
    let said = wait_for(&mut h, "The rollout record was not written");
    assert!(said.contains("not-a-folder"), "{said}");
    assert_eq!(std::fs::read(&blocked).unwrap(), b"x");
}
