//! The rollout record (issue 30): gathers what `core::record` writes from
//! the audit log and the store, and writes `rollout-record.md` with its
//! plots (SVG and PNG) into a directory, each file atomically.
//!
//! Only entries that count are used (this machine's own, and shared rows
//! verified against the roster); the record says how many were left out.

use crate::adapters::audit::review::{REVIEW_LEVER, verdicts};
use crate::adapters::audit::{AuditEntry, EntryKind, EntryStatus};
use crate::adapters::store::{Store, StoreError};
use crate::core::lever::ReadinessMark;
use crate::core::metrics::{MinuteStats, SplitSeries, baseline_start, canary_arms};
use crate::core::record::{
    Action, AlarmLine, DayReview, Ended, Loops, Plot, PlotLine, Quality, ReadinessSource, Record,
    Step, Watch, bin_for,
};
use crate::core::time::{UtcNaive, floor_minute};
use crate::core::verdict::{VerdictSettings, verdict};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod from_session;
pub use from_session::{AUDIT_LIMIT, Ask, Written, write_from};

/// How the record's period is chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Period {
    /// The last stretch of time (`--since 48h`).
    Since(chrono::Duration),
    /// From one audited action on (`--from ACTION_ID`, its first 8
    /// characters at least).
    From(String),
}

/// The default period: the last 48 hours.
pub const DEFAULT_SINCE: chrono::Duration = chrono::Duration::hours(48);

/// The record's files hold no content and no secret: readable by the
/// team, to be committed next to the app's planning docs.
const RECORD_MODE: u32 = 0o644;

/// At most this many points per plot line (long periods are binned).
const PLOT_POINTS: usize = 240;

/// Why the record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A read of the database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `--from` names no action, or more than one.
    #[error("{0}")]
    Period(String),
    /// A plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::adapters::plots::PlotError),
    /// The audit log (or another source the record needs) cannot be read.
    #[error("{0}")]
    Source(String),
    /// A file could not be written (nothing half-written is left under its name).
    #[error("cannot write {path}: {detail}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
}

/// What the record is gathered with.
pub struct Request<'a> {
    /// The profile.
    pub profile: &'a str,
    /// The record's time (the panel's clock).
    pub now: UtcNaive,
    /// Its period.
    pub period: &'a Period,
    /// Who writes it (`user@host`).
    pub written_by: &'a str,
    /// The profile's quality target (0.5–0.999).
    pub quality_target: f64,
    /// The verdict's settings.
    pub settings: VerdictSettings,
    /// The alarms' grace after a change.
    pub grace: chrono::Duration,
    /// The env as read now (its kill switches), or why not.
    pub env: Result<&'a crate::core::env::EnvSnapshot, String>,
    /// A readiness check run now, for when no lever recorded one (`None`:
    /// not run).
    pub readiness_now: Option<Result<Vec<ReadinessMark>, String>>,
}

/// The period's start for `period` against the audit (entries that count).
pub fn period_start(
    period: &Period,
    entries: &[AuditEntry],
    now: UtcNaive,
) -> Result<(UtcNaive, String), RecordError> {
    match period {
        Period::Since(d) => Ok((now - *d, format!("the last {}", window_text(*d)))),
        Period::From(id) => {
            let id = id.trim();
            if id.len() < 8 {
                return Err(RecordError::Period(format!(
                    "--from needs an action id (at least its first 8 characters, as the Audit tab shows it); got {id:?}"
                )));
            }
            let ids: BTreeSet<&str> = entries
                .iter()
                .filter(|e| e.counts() && e.action_id.starts_with(id))
                .map(|e| e.action_id.as_str())
                .collect();
            match ids.len() {
                0 => Err(RecordError::Period(format!(
                    "no audited action has the id {id} (among the entries that count: this machine's and verified shared ones)"
                ))),
                1 => {
                    let at = entries
                        .iter()
                        .filter(|e| e.counts() && e.action_id.starts_with(id))
                        .map(|e| e.at)
                        .min()
                        .unwrap_or(now);
                    Ok((
                        at,
                        format!("from action {}", crate::adapters::audit::short_id(id)),
                    ))
                }
                n => Err(RecordError::Period(format!(
                    "{n} actions start with {id}: give more of the id"
                ))),
            }
        }
    }
}

fn window_text(d: chrono::Duration) -> String {
    let m = d.num_minutes();
    if m % (24 * 60) == 0 && m > 72 * 60 {
        format!("{} d", m / (24 * 60))
    } else if m % 60 == 0 {
        format!("{} h", m / 60)
    } else {
        format!("{m} min")
    }
}

/// The readiness marks the period's first lever recorded, with that action's
/// id, lever, time and operator.
pub fn recorded_readiness(
    entries: &[AuditEntry],
    from: UtcNaive,
) -> Option<(&AuditEntry, Vec<ReadinessMark>)> {
    entries
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Intent && e.at >= from)
        .filter_map(|e| {
            let marks: Vec<ReadinessMark> =
                serde_json::from_value(e.detail.pointer("/plan/readiness")?.clone()).ok()?;
            (!marks.is_empty()).then_some((e, marks))
        })
        .min_by_key(|(e, _)| (e.at, e.id))
}

fn step_of(lever: &str, plan: Option<&serde_json::Value>) -> (Step, Option<bool>) {
    use crate::core::lever::LeverKind;
    let on = plan.and_then(|p| p.get("on")).and_then(|v| v.as_bool());
    let turns_on = plan
        .and_then(|p| p.get("changes"))
        .and_then(|c| c.as_array())
        .is_some_and(|c| {
            c.iter().any(|c| {
                c.get("workspace_id").is_some()
                    && c.get("after").and_then(|a| a.as_bool()) == Some(true)
            })
        });
    let step = match LeverKind::parse(lever) {
        Some(LeverKind::CanaryEnable | LeverKind::WorkspaceRollback) if turns_on => Step::Canary,
        Some(LeverKind::CanaryEnable | LeverKind::WorkspaceRollback) => Step::Rollback,
        Some(LeverKind::Expansion) => Step::Expansion,
        Some(LeverKind::RevisionKillSwitch | LeverKind::AutoSendKillSwitch) => Step::KillSwitch,
        None if lever == crate::core::guard::GUARD_LEVER => Step::Guard,
        None => Step::Other,
    };
    (step, on)
}

/// A workspace as the record names it: "Name (id)", or the id alone.
fn named(names: &BTreeMap<String, String>, id: &str) -> String {
    match names.get(id) {
        Some(n) => format!("{n} ({id})"),
        None => id.to_owned(),
    }
}

/// The period's actions (not the review's verdicts), oldest first, numbered.
fn actions(entries: &[&AuditEntry], names: &BTreeMap<String, String>) -> Vec<Action> {
    let mut intents: Vec<&AuditEntry> = entries
        .iter()
        .copied()
        .filter(|e| e.kind == EntryKind::Intent && e.lever != REVIEW_LEVER)
        .collect();
    intents.sort_by_key(|e| (e.at, e.id));
    intents
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let plan = e.detail.get("plan");
            let (step, on) = step_of(&e.lever, plan);
            let result = entries
                .iter()
                .filter(|r| r.kind == EntryKind::Result && r.action_id == e.action_id)
                .max_by_key(|r| (r.at, r.id));
            let ended = match result.map(|r| r.status) {
                Some(EntryStatus::Ok) => Ended::Verified,
                Some(EntryStatus::Failed) => Ended::Failed,
                Some(EntryStatus::Abandoned) => Ended::Abandoned,
                Some(EntryStatus::Pending) | None => Ended::Pending,
            };
            let mut workspaces: Vec<String> = e
                .plan_changes()
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c.get("workspace_id").and_then(|w| w.as_str()))
                .map(|id| named(names, id))
                .collect();
            workspaces.dedup();
            let approved_by = e.detail.get("approval").and_then(|a| a.as_str()).map(|id| {
                entries
                    .iter()
                    .find(|a| a.action_id == id && a.kind == EntryKind::Intent)
                    .map_or_else(
                        || {
                            format!(
                                "approval {} (not in the period)",
                                crate::adapters::audit::short_id(id)
                            )
                        },
                        |a| a.operator.clone(),
                    )
            });
            Action {
                number: i + 1,
                action_id: e.action_id.clone(),
                lever: e.lever.clone(),
                step,
                on,
                operator: e.operator.clone(),
                reason: crate::adapters::store::redact_urls(&e.reason),
                summary: crate::adapters::store::redact_urls(&e.summary),
                confirmed: e.at,
                ended_at: result.map(|r| r.at),
                ended,
                workspaces,
                approved_by,
            }
        })
        .collect()
}

/// The workspace ids an action turns on (a canary, an expansion).
fn turned_on(e: &AuditEntry) -> Vec<String> {
    e.plan_changes()
        .unwrap_or_default()
        .iter()
        .filter(|c| c.get("after").and_then(|a| a.as_bool()) == Some(true))
        .filter_map(|c| {
            c.get("workspace_id")
                .and_then(|w| w.as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// Dense per-minute series of `[from, to]` split by `canary`.
fn split(
    chunk: &crate::core::metrics::SeriesChunk,
    canary: &BTreeSet<String>,
    from: UtcNaive,
    to: UtcNaive,
) -> SplitSeries {
    let first = floor_minute(from);
    let last = floor_minute(to);
    let n = ((last - first).num_minutes().max(0) + 1) as usize;
    let mut out = SplitSeries {
        minutes: (0..n)
            .map(|i| first + chrono::Duration::minutes(i as i64))
            .collect(),
        canary: vec![MinuteStats::default(); n],
        rest: vec![MinuteStats::default(); n],
    };
    for b in &chunk.buckets {
        let i = (b.minute - first).num_minutes();
        if !(0..n as i64).contains(&i) {
            continue;
        }
        let side = if canary.contains(&b.client_id) {
            &mut out.canary
        } else {
            &mut out.rest
        };
        side[i as usize].add(b.counts);
    }
    out
}

/// Gathers the record.
pub async fn gather(
    store: &dyn Store,
    entries: &[AuditEntry],
    req: &Request<'_>,
) -> Result<Record, RecordError> {
    let now = req.now;
    let (start, period_label) = period_start(req.period, entries, now)?;
    let in_period: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.at >= start && e.at <= now + crate::core::trust::MAX_SKEW)
        .collect();
    let left_out = in_period.iter().filter(|e| !e.counts()).count();
    let counted: Vec<&AuditEntry> = in_period.into_iter().filter(|e| e.counts()).collect();
    let workspaces = store.workspaces().await?;
    let names: BTreeMap<String, String> = workspaces
        .iter()
        .map(|w| (w.id.clone(), w.name.clone()))
        .collect();
    let name = |id: &str| named(&names, id);
    let actions = actions(&counted, &names);

    // The canary: the workspaces the period's canary enables and expansions
    // turned on; without any, those on now.
    let mut canary: BTreeSet<String> = counted
        .iter()
        .filter(|e| e.kind == EntryKind::Intent)
        .filter(|e| {
            actions.iter().any(|a| {
                a.action_id == e.action_id && matches!(a.step, Step::Canary | Step::Expansion)
            })
        })
        .flat_map(|e| turned_on(e))
        .collect();
    if canary.is_empty() {
        canary = workspaces
            .iter()
            .filter(|w| w.toggle.is_on())
            .map(|w| w.id.clone())
            .collect();
    }

    let chunk = store.revision_series(start, now).await?;
    let series = split(&chunk, &canary, start, now);
    let totals = series.totals();

    let watch = match actions
        .iter()
        .find(|a| a.step == Step::Canary && a.ended == Ended::Verified)
    {
        None => None,
        Some(first) => {
            let intent = counted
                .iter()
                .find(|e| e.action_id == first.action_id && e.kind == EntryKind::Intent);
            let set: BTreeSet<String> = intent
                .map(|e| turned_on(e))
                .unwrap_or_default()
                .into_iter()
                .collect();
            let set_names: BTreeSet<String> = set.iter().map(|id| name(id)).collect();
            // What ended it: a kill switch pulled, or a rollback (of the
            // workspace, or of an expansion) that turned one of its
            // workspaces off, verified.
            let ender = actions.iter().find(|a| {
                let touches = a.workspaces.iter().any(|w| set_names.contains(w));
                a.confirmed >= first.confirmed
                    && a.ended == Ended::Verified
                    && match a.step {
                        Step::KillSwitch => a.on == Some(true),
                        Step::Rollback => touches,
                        Step::Expansion => a.on == Some(false) && touches,
                        _ => false,
                    }
            });
            let end = ender.and_then(|a| a.ended_at).unwrap_or(now).min(now);
            let from = baseline_start(first.confirmed, end);
            let arms_chunk = store.revision_series(from, end).await?;
            let arms = canary_arms(
                arms_chunk
                    .buckets
                    .iter()
                    .map(|b| (b.minute, b.client_id.as_str(), &b.counts)),
                &set,
                first.confirmed,
                end,
            );
            Some(Watch {
                workspaces: set_names.into_iter().collect(),
                start: first.confirmed,
                end,
                ended_by: ender.map(|a| a.number),
                verdict: verdict(arms.0, arms.1, arms.2, req.settings),
                arms,
            })
        }
    };

    // The database's revision path over the period.
    let schema = store.schema().clone();
    let revision_readable = schema.revision_readable();
    let claims = if revision_readable {
        store.claims_since(start).await?
    } else {
        Vec::new()
    };
    let loops_rows = store.loop_summaries(start).await?;
    let (problems, problems_note, health) = if revision_readable {
        let path = store.revision_path(start).await?;
        let health = crate::core::health::judge(&claims, &loops_rows, &path, now);
        let counted_problems = crate::core::health::Problem::ALL
            .iter()
            .map(|p| {
                let (c, r): (Vec<_>, Vec<_>) = health
                    .problems
                    .iter()
                    .filter(|d| d.problem == *p)
                    .partition(|d| canary.contains(&d.client_id));
                (p.label(), c.len(), r.len())
            })
            .collect();
        let note = health.unreadable_note();
        (counted_problems, note, Some(health))
    } else {
        (
            Vec::new(),
            Some(crate::ops::metrics::V0_NOTE.to_owned()),
            None,
        )
    };
    let loops = (schema.variant >= crate::core::schema::SchemaVariant::V2 && schema.ai_interaction)
        .then(|| {
            let mut l = Loops {
                total: loops_rows.len(),
                ..Loops::default()
            };
            for s in &loops_rows {
                *l.by_reason.entry(s.stop_reason.clone()).or_default() += 1;
            }
            l
        });

    // Alarms over the whole period, as `metrics --window` gives them.
    let owned: Vec<AuditEntry> = counted.iter().map(|e| (*e).clone()).collect();
    let report = crate::ops::metrics::gather(
        store,
        &crate::ops::metrics::Request {
            profile: req.profile,
            now,
            window: now - start,
            workspace: None,
            settings: req.settings,
            audit: &owned,
            env: req.env.as_ref().ok().copied(),
            grace: req.grace,
            vercel_logs: None,
            logs: None,
        },
    )
    .await
    .map_err(|e| match e {
        crate::ops::metrics::MetricsError::Store(s) => RecordError::Store(s),
        other => RecordError::Period(other.to_string()),
    })?;
    let stamps: BTreeMap<&str, UtcNaive> = claims
        .iter()
        .map(|c| (c.draft_id.as_str(), c.stamp))
        .collect();
    let alarms = report
        .alarms
        .iter()
        .map(|a| {
            let times: Vec<UtcNaive> = a
                .draft_ids
                .iter()
                .filter_map(|d| stamps.get(d.as_str()).copied())
                .collect();
            AlarmLine {
                id: a.id.clone(),
                drafts: a.draft_count,
                span: times.iter().min().copied().zip(times.iter().max().copied()),
                finding: a.finding.clone(),
            }
        })
        .collect();

    // The 24 h review: the day after the canary started, else the last day.
    let day_from = watch
        .as_ref()
        .map_or(now - chrono::Duration::hours(24), |w| w.start);
    let day_to = (day_from + chrono::Duration::hours(24)).min(now);
    let day_chunk = store.revision_series(day_from, day_to).await?;
    let mut rows: Vec<(String, MinuteStats)> = day_chunk
        .totals_by_workspace()
        .into_iter()
        .filter(|(_, s)| s.attempted + s.evaluated + s.ai_errors > 0)
        .map(|(id, s)| (name(&id), s))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let day = DayReview {
        from: day_from,
        to: day_to,
        complete: day_from + chrono::Duration::hours(24) <= now,
        rows,
    };

    // The quality review.
    let verdict_list = verdicts(&owned);
    let quality = (!verdict_list.is_empty()).then(|| {
        let sample: Vec<String> = verdict_list
            .iter()
            .map(|v| v.draft_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let reviewers: BTreeSet<String> = verdict_list.iter().map(|v| v.reviewer.clone()).collect();
        let first = verdict_list.iter().map(|v| v.at).min().unwrap_or(now);
        let last = verdict_list.iter().map(|v| v.at).max().unwrap_or(now);
        Quality {
            outcome: crate::core::review::outcome(&sample, &verdict_list, req.quality_target),
            reviewers: reviewers.into_iter().collect(),
            span: (first, last),
        }
    });

    // The prerequisites.
    let readiness = match recorded_readiness(&owned, start) {
        Some((e, marks)) => (
            ReadinessSource::Recorded {
                number: actions
                    .iter()
                    .find(|a| a.action_id == e.action_id)
                    .map_or(0, |a| a.number),
                lever: e.lever.clone(),
                at: e.at,
                operator: e.operator.clone(),
            },
            marks,
        ),
        None => match &req.readiness_now {
            Some(Ok(marks)) => (ReadinessSource::Now { at: now }, marks.clone()),
            Some(Err(why)) => (
                ReadinessSource::Unavailable { why: why.clone() },
                Vec::new(),
            ),
            None => (
                ReadinessSource::Unavailable {
                    why: "the check was not run".to_owned(),
                },
                Vec::new(),
            ),
        },
    };

    let env_now = req.env.as_ref().map_err(Clone::clone).map(|env| {
        [
            crate::core::env::AUTO_SEND_REVISION_DISABLED,
            crate::core::env::AUTO_SEND_DISABLED,
        ]
        .iter()
        .map(|key| {
            let f = env.flag(key);
            let configured = match &f.configured_value {
                Some(v) => format!("\"{v}\""),
                None => "unset".to_owned(),
            };
            format!(
                "{key}: configured {configured} ({}), live {}",
                if f.configured_on { "on" } else { "off" },
                f.live.label("on", "off")
            )
        })
        .collect()
    });

    let plots = plots(&series, health.as_ref(), &canary, &actions);
    Ok(Record {
        profile: req.profile.to_owned(),
        written_at: now,
        written_by: req.written_by.to_owned(),
        period: (start, now),
        period_label,
        left_out,
        readiness,
        env_now,
        verdict_count: counted
            .iter()
            .filter(|e| e.lever == REVIEW_LEVER && e.kind == EntryKind::Intent)
            .count(),
        actions,
        watch,
        totals,
        alarms,
        problems,
        problems_note,
        day,
        quality,
        loops,
        plots,
    })
}

/// The record's three plots over the period.
fn plots(
    series: &SplitSeries,
    health: Option<&crate::core::health::Health>,
    canary: &BTreeSet<String>,
    actions: &[Action],
) -> Vec<Plot> {
    let k = bin_for(series.minutes.len(), PLOT_POINTS);
    let binned = series.binned(k);
    let per = if k == 1 {
        "minute".to_owned()
    } else {
        format!("{k} minutes")
    };
    let markers: Vec<(UtcNaive, usize)> = actions
        .iter()
        .filter(|a| a.step != Step::Other)
        .map(|a| (a.confirmed, a.number))
        .collect();
    let line = |label: &str, values: Vec<Option<f64>>| PlotLine {
        label: label.to_owned(),
        values,
    };
    let of = |v: &[MinuteStats], f: fn(&MinuteStats) -> Option<f64>| v.iter().map(f).collect();
    let plot = |stem, title: String, y_label, lines, share| Plot {
        stem,
        title,
        y_label,
        x: binned.minutes.clone(),
        bin_minutes: k as i64,
        lines,
        markers: markers.clone(),
        share,
    };
    let (mut c_err, mut r_err) = (
        vec![Some(0.0); binned.minutes.len()],
        vec![Some(0.0); binned.minutes.len()],
    );
    if let Some(h) = health {
        for d in &h.problems {
            let m = floor_minute(d.stamp);
            let slot = binned.minutes.partition_point(|s| *s <= m);
            let Some(i) = slot.checked_sub(1) else {
                continue;
            };
            let side = if canary.contains(&d.client_id) {
                &mut c_err
            } else {
                &mut r_err
            };
            if let Some(Some(v)) = side.get_mut(i) {
                *v += 1.0;
            }
        }
    }
    vec![
        plot(
            "attempted-applied",
            format!("Revision attempted and applied per {per}"),
            "drafts",
            vec![
                line(
                    "canary attempted",
                    of(&binned.canary, |s| Some(s.attempted as f64)),
                ),
                line(
                    "rest attempted",
                    of(&binned.rest, |s| Some(s.attempted as f64)),
                ),
                line(
                    "canary applied",
                    of(&binned.canary, |s| Some(s.applied as f64)),
                ),
                line("rest applied", of(&binned.rest, |s| Some(s.applied as f64))),
            ],
            false,
        ),
        plot(
            "needs-review",
            format!("needs_review share of evaluated drafts per {per}"),
            "share",
            vec![
                line(
                    "canary",
                    of(&binned.canary, MinuteStats::needs_review_share),
                ),
                line("rest", of(&binned.rest, MinuteStats::needs_review_share)),
            ],
            true,
        ),
        plot(
            "errors",
            format!("Revision-path problems per {per} (database)"),
            "drafts",
            vec![line("canary", c_err), line("rest", r_err)],
            false,
        ),
    ]
}

/// Writes `rollout-record.md` and the plots into `dir` (created if
/// missing); returns the files written, the Markdown first.
pub fn write(dir: &Path, record: &Record) -> Result<Vec<PathBuf>, RecordError> {
    let fail = |path: &Path, e: &dyn std::fmt::Display| RecordError::Write {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, &e))?;
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![(
        dir.join(crate::core::record::FILE_NAME),
        crate::core::record::markdown(record).into_bytes(),
    )];
    for p in &record.plots {
        let svg = crate::adapters::plots::svg(p)?;
        let png = crate::adapters::plots::png(p.stem, &svg)?;
        files.push((dir.join(format!("{}.svg", p.stem)), svg.into_bytes()));
        files.push((dir.join(format!("{}.png", p.stem)), png));
    }
    // Everything is drawn before anything is written: a plot that fails
    // leaves no record pointing at a missing image.
    for (path, bytes) in &files {
        crate::adapters::files::write_bytes_atomic(path, bytes, RECORD_MODE)
            .map_err(|e| fail(path, &e))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
