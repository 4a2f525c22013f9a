//! The first poll reads the newest hour and the rest of the 72 hours follows
//! within seconds. Meanwhile the Metrics tab says so instead of showing a
//! short count under a whole window's label: the totals name the span read,
//! the 24 h review waits, and there is no verdict until the baseline before
//! the canary is read. Driven through AccessKit.

use chrono::{Duration, NaiveDateTime};
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rollout_panel::core::metrics::{MinuteBucket, MinuteStats, SeriesChunk};
use rollout_panel::core::schema::{Catalog, SchemaReport, SchemaVariant};
use rollout_panel::core::verdict::Arm;
use rollout_panel::core::workspace::{RevisionToggle, Workspace};
use rollout_panel::gui::command::MetricsWindow;
use rollout_panel::gui::panels::metrics::{MetricsPanel, VerdictPrefs, metrics_ui};
use rollout_panel::worker::snapshot::CanaryArms;
use rollout_panel::worker::{Health, Snapshot};

fn now() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 2, 22)
        .unwrap()
        .and_hms_opt(12, 0, 30)
        .unwrap()
}

fn bucket(minute: NaiveDateTime, client: &str) -> MinuteBucket {
    MinuteBucket {
        minute,
        client_id: client.to_owned(),
        counts: MinuteStats {
            attempted: 2,
            applied: 1,
            evaluated: 4,
            needs_review: 1,
            ..MinuteStats::default()
        },
    }
}

/// A snapshot whose series has read the newest hour only.
fn first_poll_snapshot() -> Snapshot {
    let now = now();
    let mut s = Snapshot::for_profile("production");
    s.made_at = Some(now);
    s.db = Health {
        last_ok: Some(now),
        ..Health::default()
    };
    let mut schema = SchemaReport::from_catalog(&Catalog::default());
    schema.variant = SchemaVariant::V2Plus;
    schema.missing.clear();
    schema.ai_interaction = true;
    s.schema = Some(schema);
    s.workspaces = ["alpha", "beta"]
        .iter()
        .map(|c| Workspace {
            id: (*c).to_owned(),
            name: format!("Workspace {c}"),
            toggle: if *c == "alpha" {
                RevisionToggle::Enabled
            } else {
                RevisionToggle::Disabled
            },
            settings_updated_at: Some(now - Duration::hours(3)),
        })
        .collect();
    let since = s.series.next_since(now);
    assert_eq!(since, now - Duration::seconds(30) - Duration::hours(1));
    s.series.apply(
        SeriesChunk {
            since,
            buckets: vec![
                bucket(now - Duration::minutes(10), "alpha"),
                bucket(now - Duration::minutes(10), "beta"),
            ],
            max_stamp: Some(now - Duration::minutes(10)),
        },
        now,
    );
    s.derive_views(now);
    s
}

fn canary(complete: bool) -> CanaryArms {
    let arm = Arm {
        evaluated: 40,
        needs_review: 10,
    };
    CanaryArms {
        start: now() - Duration::hours(2),
        start_from: "audit log",
        workspace_ids: vec!["alpha".to_owned()],
        after: arm,
        before: arm,
        others: arm,
        complete,
    }
}

fn labels_of(snapshot: Snapshot, window: MetricsWindow, review: bool) -> Vec<String> {
    struct State {
        panel: MetricsPanel,
        prefs: VerdictPrefs,
        snapshot: Snapshot,
    }
    let now = now();
    let mut h = Harness::builder()
        .with_size([1200.0, 900.0])
        .build_ui_state(
            move |ui, st: &mut State| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    metrics_ui(ui, &mut st.panel, &mut st.prefs, &st.snapshot, window, now);
                });
            },
            State {
                panel: MetricsPanel::default(),
                prefs: VerdictPrefs::default(),
                snapshot,
            },
        );
    h.run();
    if review {
        h.get_by_label("24 h review").click();
        h.run();
    }
    h.query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .collect()
}

#[test]
fn while_the_history_is_read_the_tab_says_how_much_and_gives_no_verdict() {
    let mut s = first_poll_snapshot();
    s.canary = Some(canary(false));
    let labels = labels_of(s, MetricsWindow::Hours24, false);
    let has = |needle: &str| labels.iter().any(|l| l.contains(needle));
    assert!(
        has("Reading the older history: the last 1 h 1 min of 72 h read"),
        "{labels:#?}"
    );
    assert!(
        has("Canary (Workspace alpha) — last 1 h 1 min read so far: 2 attempted"),
        "the totals name the span read: {labels:#?}"
    );
    assert!(!has("last 24 h:"), "no whole-window label: {labels:#?}");
    assert!(
        has("Reading the history the verdict compares with"),
        "{labels:#?}"
    );
    assert!(!has("Canary verdict:"), "no verdict yet: {labels:#?}");
}

#[test]
fn once_the_history_is_read_the_window_and_the_verdict_are_whole() {
    let now = now();
    let mut s = first_poll_snapshot();
    let mut pieces = 0;
    while let Some((start, end)) = s.series.next_history(now) {
        let chunk = SeriesChunk {
            since: start,
            buckets: vec![bucket(start, "alpha")],
            max_stamp: Some(start),
        };
        assert!(s.series.apply_history(chunk, end, now));
        pieces += 1;
    }
    assert_eq!(pieces, 6, "71 h in 12 h pieces");
    s.derive_views(now);
    s.canary = Some(canary(true));
    let labels = labels_of(s, MetricsWindow::Hours24, false);
    let has = |needle: &str| labels.iter().any(|l| l.contains(needle));
    assert!(!has("Reading the"), "{labels:#?}");
    // The 24 h window holds the first hour's minute and one history minute
    // (the start of the first 12 h piece, 13 h ago; the next is 25 h ago).
    assert!(
        has("Canary (Workspace alpha) — last 24 h: 4 attempted"),
        "{labels:#?}"
    );
    assert!(has("Canary verdict:"), "{labels:#?}");
}

#[test]
fn the_24_hour_review_waits_for_the_whole_day() {
    let mut s = first_poll_snapshot();
    s.canary = Some(canary(false));
    let labels = labels_of(s, MetricsWindow::Hours24, true);
    assert!(
        labels.iter().any(|l| l.contains(
            "Reading the older history (the last 1 h 1 min of 72 h read): the day's totals show when the whole day is read."
        )),
        "{labels:#?}"
    );
    assert!(
        !labels.iter().any(|l| l == "Workspace beta"),
        "no partial day's table: {labels:#?}"
    );
}
