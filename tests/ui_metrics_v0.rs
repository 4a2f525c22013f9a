//! The Metrics tab on a database from before Phase 116 (schema V0): it
//! degrades instead of refusing — a note says what is missing, and the
//! evaluations, needs_review and AI errors are shown with the revision
//! columns marked n/a. Driven through AccessKit.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::core::metrics::{MinuteBucket, MinuteStats, SeriesChunk};
use rollout_panel::core::schema::{SchemaReport, SchemaVariant};
use rollout_panel::core::workspace::{RevisionToggle, Workspace};
use rollout_panel::gui::command::MetricsWindow;
use rollout_panel::gui::panels::metrics::{MetricsPanel, VerdictPrefs, metrics_ui};
use rollout_panel::worker::{Health, Snapshot};

#[test]
fn on_v0_the_metrics_tab_shows_what_the_schema_has_and_says_what_it_lacks() {
    let now = chrono::NaiveDate::from_ymd_opt(2026, 2, 22)
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
        variant: SchemaVariant::V0,
        missing: vec!["AIDraft.autoSendRevisionAttemptedAt".to_owned()],
        type_mismatches: vec![],
        revision_index: false,
        ai_interaction: true,
        pipeline_artifacts: true,
    });
    s.workspaces = vec![Workspace {
        id: "c-alpha".to_owned(),
        name: "Alpha".to_owned(),
        toggle: RevisionToggle::ColumnMissing,
        settings_updated_at: None,
    }];
    s.series.apply(
        SeriesChunk {
            since: now - chrono::Duration::hours(72),
            buckets: vec![MinuteBucket {
                minute: now - chrono::Duration::hours(2),
                client_id: "c-alpha".to_owned(),
                counts: MinuteStats {
                    evaluated: 3,
                    needs_review: 1,
                    ai_errors: 1,
                    ..MinuteStats::default()
                },
            }],
            max_stamp: Some(now - chrono::Duration::hours(2)),
        },
        now,
    );
    s.derive_views(now);
    struct State {
        panel: MetricsPanel,
        prefs: VerdictPrefs,
        snapshot: Snapshot,
    }
    let mut h = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(
            move |ui, st: &mut State| {
                metrics_ui(
                    ui,
                    &mut st.panel,
                    &mut st.prefs,
                    &st.snapshot,
                    MetricsWindow::default(),
                    now,
                );
            },
            State {
                panel: MetricsPanel::default(),
                prefs: VerdictPrefs::default(),
                snapshot: s,
            },
        );
    h.run();
    let labels: Vec<String> = h
        .query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .collect();
    assert!(
        labels
            .iter()
            .any(|l| l.contains("Revision numbers cannot be read from this database")),
        "{labels:#?}"
    );
    assert!(
        labels.iter().any(|l| l.contains("schema V0")),
        "{labels:#?}"
    );
    assert!(
        labels.iter().any(|l| l == "n/a"),
        "revision columns n/a: {labels:#?}"
    );
    assert!(
        labels.iter().any(|l| l == "3"),
        "evaluated shown: {labels:#?}"
    );
}
