//! The Drafts tab's Review mode on the demo, driven through AccessKit: the
//! text before the revision is the demo database's `final_draft` artifact
//! byte for byte, a pass is recorded as an audit entry and shown as judged
//! with the decision's counts, → moves on, and Fail waits for a reason.

mod common;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rollout_panel::adapters::audit::AuditLog;
use rollout_panel::adapters::clock::{Clock, ManualClock, SystemClock};
use rollout_panel::demo::DemoStage;
use rollout_panel::gui::app::App;
use rollout_panel::worker::{Target, WorkerConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(120);

fn harness(dir: &Path) -> Harness<'static, App> {
    let config = WorkerConfig {
        target: Target::Demo {
            db_path: dir.join("demo").join("demo.sqlite"),
            stage: DemoStage::Canary,
            seed: rollout_panel::cli::DEFAULT_DEMO_SEED,
        },
        clock: Arc::new(ManualClock::new(SystemClock.now())),
        auto_refresh: None,
        read_timeout: Duration::from_secs(60),
        audit_path: Some(AuditLog::path_in(dir)),
        waits: rollout_panel::ops::levers::Waits::default(),
    };
    let mut h = Harness::builder()
        .with_size([1280.0, 1400.0])
        .build_eframe(move |cc| App::new(cc, config, None));
    assert!(h.state().worker().wait_idle(DEADLINE));
    h.run_steps(4);
    h
}

fn labels(h: &Harness<'static, App>) -> Vec<String> {
    h.query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .collect()
}

fn wait_for(h: &mut Harness<'static, App>, needle: &str) -> String {
    for _ in 0..600 {
        if let Some(v) = labels(h).into_iter().find(|v| v.contains(needle)) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
        h.run_steps(4);
    }
    panic!("never saw {needle:?}: {:#?}", labels(h));
}

/// The `final_draft` text the demo kept for a draft, if any.
async fn before_of(db: &Path, draft: &str) -> Option<String> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .expect("demo db");
    let row: Option<(Option<String>,)> = sqlx::query_as(
        r#"SELECT a."text" FROM "DraftPipelineArtifact" a JOIN "DraftPipelineRun" r ON r."id" = a."runId"
           WHERE r."draftId" = ? AND a."stage" = 'final_draft' AND a."iteration" = 0"#,
    )
    .bind(draft)
    .fetch_optional(&pool)
    .await
    .expect("query");
    pool.close().await;
    row.and_then(|r| r.0)
}

#[test]
fn review_mode_shows_the_artifact_texts_and_records_a_verdict_seen_as_judged() {
    let dir = common::temp_dir();
    let mut h = harness(dir.path());
    h.get_by_role_and_label(Role::Button, "Drafts").click();
    h.run_steps(4);
    wait_for(&mut h, "revised drafts");
    h.get_by_label("Review").click();
    h.run_steps(4);
    let headline = wait_for(&mut h, "undecided — review");
    assert!(headline.contains("0/0 pass"), "no verdict yet: {headline}");
    let of = wait_for(&mut h, "Draft 1 of ");
    let n: usize = of
        .trim_start_matches("Draft 1 of ")
        .parse()
        .expect("a count");
    assert!(n > 1, "{of}");

    // The draft's texts, byte for byte from the demo's artifacts (or why not).
    let title = wait_for(&mut h, "Draft ");
    let title = labels(&h)
        .into_iter()
        .find(|l| l.starts_with("Draft ") && l.contains(" · "))
        .unwrap_or(title);
    let draft = title
        .trim_start_matches("Draft ")
        .split(" · ")
        .next()
        .expect("an id")
        .to_owned();
    let db = dir.path().join("demo").join("demo.sqlite");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let texts: Vec<String> = h
        .query_all_by_role(Role::MultilineTextInput)
        .filter_map(|n| n.value())
        .collect();
    match rt.block_on(before_of(&db, &draft)) {
        Some(before) => assert!(texts.contains(&before), "{draft}: {before:?} in {texts:#?}"),
        None => {
            wait_for(&mut h, "no text from before the revision");
        }
    }

    // Fail waits for a reason; Pass is recorded and shown as judged.
    assert!(
        h.get_by_role_and_label(Role::Button, "Fail")
            .accesskit_node()
            .is_disabled(),
        "no reason chosen yet"
    );
    h.get_by_role_and_label(Role::Button, "Pass").click();
    h.run_steps(4);
    wait_for(&mut h, &format!("draft {draft}: pass recorded"));
    assert!(h.state().worker().wait_idle(DEADLINE));
    h.run_steps(4);
    wait_for(&mut h, "Judged pass");
    let headline = wait_for(&mut h, "1/1 pass");
    assert!(headline.starts_with("undecided — review"), "{headline}");

    // → moves to the next draft, not yet judged.
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(4);
    wait_for(&mut h, "Draft 2 of ");
    assert!(
        !labels(&h).iter().any(|l| l == "Judged pass"),
        "{:#?}",
        labels(&h)
    );

    // The verdict is an audit entry of this machine's log, naming the draft
    // and never its content.
    let entries = rt.block_on(async {
        let log = AuditLog::open(&AuditLog::path_in(dir.path()))
            .await
            .expect("log");
        log.local("demo", 100).await.expect("entries")
    });
    let v = rollout_panel::adapters::audit::review::verdicts(&entries);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].draft_id, draft);
    assert!(v[0].pass);
}
