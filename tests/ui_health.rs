//! The Metrics tab's revision-path health: the stacked plot, every draft id
//! (folded on screen, copied whole), what the database cannot show and the
//! link to the project's Vercel logs. Driven through AccessKit.

use egui::{OutputCommand, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::core::alarms::ClaimFact;
use rollout_panel::core::health::{PathRows, ReviseCall, VercelLogs, judge};
use rollout_panel::core::metrics::{MinuteBucket, MinuteStats, SeriesChunk};
use rollout_panel::core::schema::{SchemaReport, SchemaVariant};
use rollout_panel::core::workspace::{RevisionToggle, Workspace};
use rollout_panel::gui::command::MetricsWindow;
use rollout_panel::gui::panels::metrics::{MetricsPanel, VerdictPrefs, metrics_ui};
use rollout_panel::worker::{Health, Snapshot};
use std::sync::Arc;

struct State {
    panel: MetricsPanel,
    prefs: VerdictPrefs,
    snapshot: Snapshot,
}

#[test]
fn the_health_section_names_every_draft_once_and_links_the_vercel_logs() {
    let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 5)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let mut s = Snapshot::for_profile("production");
    s.made_at = Some(now);
    s.db = Health {
        last_ok: Some(now),
        ..Health::default()
    };
    s.schema = Some(SchemaReport {
        variant: SchemaVariant::V2,
        missing: vec![],
        type_mismatches: vec![],
        revision_index: true,
        ai_interaction: true,
        pipeline_artifacts: true,
    });
    s.workspaces = vec![Workspace {
        id: "c-alpha".to_owned(),
        name: "Alpha".to_owned(),
        toggle: RevisionToggle::Enabled,
        settings_updated_at: None,
    }];
    // 30 stuck claims and one reviser failure in the last 40 minutes.
    let claim = |i: i64| ClaimFact {
        draft_id: format!("d{i:02}"),
        client_id: "c-alpha".to_owned(),
        lead_id: format!("l{i:02}"),
        revised: false,
        stamp: now - chrono::Duration::minutes(40) + chrono::Duration::minutes(i),
        channel: "sms".to_owned(),
        iterations: None,
        max_iterations: None,
    };
    let claims: Vec<ClaimFact> = (0..31).map(claim).collect();
    let rows = PathRows {
        calls: Some(vec![ReviseCall {
            lead_id: "l30".to_owned(),
            at: claims[30].stamp + chrono::Duration::seconds(10),
            error: true,
            runner_retry: false,
        }]),
        loop_errors: Some(vec![]),
    };
    s.revision_health = Arc::new(judge(&claims, &[], &rows, now));
    s.vercel_logs = Some(VercelLogs::new(Some("zrg"), "zrg-dashboard"));
    s.series.apply(
        SeriesChunk {
            since: now - chrono::Duration::hours(72),
            buckets: vec![MinuteBucket {
                minute: now - chrono::Duration::minutes(30),
                client_id: "c-alpha".to_owned(),
                counts: MinuteStats {
                    attempted: 31,
                    ..MinuteStats::default()
                },
            }],
            max_stamp: Some(now - chrono::Duration::minutes(30)),
        },
        now,
    );
    // What the runtime logs counted: the canary's two timeouts, and one
    // decision write that names no workspace.
    let mut canary = rollout_panel::core::runtime_log::Totals {
        revision_loop_failed: 2,
        deadline_exceeded: 2,
        ..Default::default()
    };
    canary.draft_ids.deadline_exceeded = vec!["d07".to_owned(), "d08".to_owned()];
    let mut rest = rollout_panel::core::runtime_log::Totals {
        db_write_failed: 1,
        ..Default::default()
    };
    rest.draft_ids.db_write_failed = vec!["d99".to_owned()];
    s.runtime_logs = Some(rollout_panel::ops::runtime_logs::RuntimeLogsReport {
        source: "vercel",
        state: "limited",
        reason: Some("dpl_1: Vercel cut the stream".to_owned()),
        minutes: 60,
        covered_from: Some(rollout_panel::core::time::rfc3339(
            now - chrono::Duration::minutes(50),
        )),
        canary,
        rest,
        draining: vec!["dpl_0".to_owned()],
        per_minute: vec![rollout_panel::ops::runtime_logs::LogMinute {
            minute: now - chrono::Duration::minutes(20),
            canary: 2,
            rest: 1,
            provisional: false,
        }],
    });
    s.derive_views(now);
    let mut h = Harness::builder()
        .with_size([1200.0, 2400.0])
        .build_ui_state(
            move |ui, st: &mut State| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    metrics_ui(
                        ui,
                        &mut st.panel,
                        &mut st.prefs,
                        &st.snapshot,
                        MetricsWindow::default(),
                        now,
                    );
                });
            },
            State {
                panel: MetricsPanel::default(),
                prefs: VerdictPrefs::default(),
                snapshot: s,
            },
        );
    h.run();
    let _plot = h.get_by(|n| {
        n.role() == Role::Figure
            && n.label()
                .is_some_and(|l| l.starts_with("Revision path problems"))
    });
    // The log-derived series, canary against the rest, beside the database's.
    let _logs_plot = h.get_by(|n| {
        n.role() == Role::Figure
            && n.label()
                .is_some_and(|l| l.starts_with("Revision path errors per bin (runtime logs"))
    });
    let labels: Vec<String> = h
        .query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .collect();
    assert!(
        labels
            .iter()
            .any(|l| l == "stuck, nothing else recorded: 30"),
        "{labels:#?}"
    );
    assert!(
        labels.iter().any(|l| l == "reviser failures: 1"),
        "the failure is not also stuck: {labels:#?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.contains("d19 … and 10 more (copy has all)")),
        "folded at 20: {labels:#?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.contains("deadline_exceeded on an SMS draft")),
        "{labels:#?}"
    );

    // The log-derived counts, beside the database's, with their source and
    // what the reader cannot see.
    for want in [
        "From the runtime logs (Vercel), last 60 min:",
        "LIMITED: dpl_1: Vercel cut the stream",
        "canary: revision loop failed 2 (2 deadline_exceeded, 0 other) · DB write failed 0",
        "the rest (and lines naming no workspace): revision loop failed 0 (0 deadline_exceeded, 0 other) · DB write failed 1",
    ] {
        assert!(labels.iter().any(|l| l == want), "{want:?} in {labels:#?}");
    }
    assert!(
        labels
            .iter()
            .any(|l| l.contains("revision loop failed: deadline_exceeded (canary, logs): d07, d08")),
        "{labels:#?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.contains("dpl_0 (no longer serves production")),
        "{labels:#?}"
    );

    h.get_by_label("Copy 30 ids").click();
    // One frame: the output is the frame's that handled the click.
    h.step();
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (0..30).map(|i| format!("d{i:02}")).collect();
    assert_eq!(copied, vec![expected.join("\n")]);

    h.get_by_label("Open the Vercel logs: \"Revision loop failed\"")
        .click();
    h.step();
    let opened: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            OutputCommand::OpenUrl(u) => Some(u.url.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        opened,
        vec![
            "https://vercel.com/zrg/zrg-dashboard/logs?searchQuery=Revision+loop+failed".to_owned()
        ]
    );
}
