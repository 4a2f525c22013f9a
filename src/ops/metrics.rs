//! The metrics report of `rollout-panel metrics` (and the Metrics tab's
//! verdict): per-workspace totals over a window with the admin page's exact
//! definitions, the canary verdict against its baselines, and the alarms.
//! Gathers from a [`Store`] and the audit log; the arithmetic is in `core`.

use crate::adapters::audit::{AuditEntry, EntryKind, EntryStatus};
use crate::adapters::store::{Store, StoreError};
use crate::core::metrics::MinuteStats;
use crate::core::time::UtcNaive;
use crate::core::verdict::{Arm, Verdict, VerdictSettings, verdict};
use crate::core::workspace::Workspace;
use serde::Serialize;
use std::collections::BTreeSet;

/// Counts of one workspace (or all) over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Revision claims (admin "attempted": stamp at or after the window start);
    /// `null` on a schema without the revision columns (V0).
    pub attempted: Option<u64>,
    /// Of those, applied (admin "applied"); `null` on V0.
    pub applied: Option<u64>,
    /// applied / attempted (0–1), `null` when nothing was attempted.
    pub applied_rate: Option<f64>,
    /// Drafts evaluated for auto-send in the window.
    pub evaluated: u64,
    /// Of those, `needs_review`.
    pub needs_review: u64,
    /// needs_review / evaluated (0–1), `null` when nothing was evaluated.
    pub needs_review_share: Option<f64>,
    /// Revision-path `AIInteraction` errors (`null` when the table is not readable).
    pub ai_errors: Option<u64>,
    /// Claims without a revision confidence well past the loop budget; `null` on V0.
    pub stuck_claims: Option<u64>,
    /// Mean revised − original confidence of the claims that have both.
    pub mean_uplift: Option<f64>,
}

impl Counts {
    fn from_stats(s: MinuteStats, ai_errors_readable: bool, revision_readable: bool) -> Self {
        let revision = |v: u64| revision_readable.then_some(v);
        Self {
            attempted: revision(s.attempted),
            applied: revision(s.applied),
            applied_rate: s.applied_rate().filter(|_| revision_readable),
            evaluated: s.evaluated,
            needs_review: s.needs_review,
            needs_review_share: s.needs_review_share(),
            ai_errors: ai_errors_readable.then_some(s.ai_errors),
            stuck_claims: revision(s.stuck),
            mean_uplift: s.mean_uplift().filter(|_| revision_readable),
        }
    }
}

/// What `metrics` says when the schema predates the revision columns.
pub const V0_NOTE: &str = "the database predates Phase 116 (schema V0): the revision columns do not exist, so attempted, applied, stuck and uplift are null; evaluated, needs_review and AI errors are shown";

/// One workspace's row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkspaceRow {
    /// `Client.id`.
    pub id: String,
    /// `Client.name`.
    pub name: String,
    /// The revision toggle (a missing settings row is `false`).
    pub toggle: bool,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// The window, RFC 3339 UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Inclusive start.
    pub start: String,
    /// End (now).
    pub end: String,
}

/// The canary the verdict is about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CanaryInfo {
    /// The canary workspaces (toggle on now).
    pub workspace_ids: Vec<String>,
    /// When the canary started (RFC 3339 UTC), and how that is known.
    pub started: Option<String>,
    /// "audit log" or "WorkspaceSettings.updatedAt".
    pub started_from: Option<String>,
}

/// The verdict with what it is about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerdictReport {
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The canary.
    pub canary: CanaryInfo,
    /// Why there is no comparison, when there is none.
    pub note: Option<String>,
}

/// One problem of the revision path, over the window's claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProblemReport {
    /// `reviser_failure`, `loop_timeout`, `repeated_attempts` or `stuck`.
    pub kind: crate::core::health::Problem,
    /// For people.
    pub label: &'static str,
    /// How many drafts (each counted under one problem only).
    pub draft_count: usize,
    /// All of them, by claim time.
    pub draft_ids: Vec<String>,
}

/// The revision path's health over the window: each claim judged once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevisionHealthReport {
    /// Claims judged (of the listed workspaces).
    pub claims: usize,
    /// Each problem, in precedence order (a draft counts under the first it has).
    pub problems: Vec<ProblemReport>,
    /// What the database cannot show.
    pub not_in_database: &'static str,
    /// Sources this database lacks, so not counted.
    pub unreadable: Option<String>,
    /// Where the rest is: the project's Vercel logs (none for the demo).
    pub vercel_logs: Option<crate::core::health::VercelLogs>,
}

impl RevisionHealthReport {
    fn new(
        health: &crate::core::health::Health,
        vercel_logs: Option<crate::core::health::VercelLogs>,
    ) -> Self {
        use crate::core::health::Problem;
        Self {
            claims: health.claims,
            problems: Problem::ALL
                .iter()
                .map(|p| {
                    let ids = health.draft_ids(*p);
                    ProblemReport {
                        kind: *p,
                        label: p.label(),
                        draft_count: ids.len(),
                        draft_ids: ids,
                    }
                })
                .collect(),
            not_in_database: crate::core::health::BLIND_SPOTS,
            unreadable: health.unreadable_note(),
            vercel_logs,
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricsReport {
    /// The profile.
    pub profile: String,
    /// The window.
    pub window: Window,
    /// Every workspace (with no activity too), in name order.
    pub workspaces: Vec<WorkspaceRow>,
    /// The listed workspaces together.
    pub totals: Counts,
    /// The canary verdict.
    pub verdict: VerdictReport,
    /// Invariant alarms.
    pub alarms: Vec<crate::core::alarms::Alarm>,
    /// The revision path's health (`null` on V0, where there are no claims).
    pub revision_health: Option<RevisionHealthReport>,
    /// The revision path's errors from the runtime logs, canary against the
    /// rest, with the reader's state (`null` when they were not read).
    pub runtime_logs: Option<super::runtime_logs::RuntimeLogsReport>,
    /// What the report cannot show, and why (e.g. on a V0 schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

use crate::core::time::rfc3339;

/// Levers the audit log records as done and verified: (lever, result time).
/// Only entries that count (this machine's, or verified shared ones): an
/// unsigned row cannot move an alarm's kill-switch time.
pub fn verified_levers(audit: &[AuditEntry]) -> Vec<(String, UtcNaive)> {
    audit
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Result && e.status == EntryStatus::Ok)
        .map(|e| (e.lever.clone(), e.at))
        .collect()
}

/// Vercel tokens that two operators share (issue 28): the Vercel user id
/// that verified intents of two different operators record, with their
/// names. Approvals need personal tokens.
pub fn shared_tokens(audit: &[AuditEntry]) -> Vec<(String, Vec<String>)> {
    let mut by_user: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for e in audit
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Intent)
    {
        if let Some(id) = e.detail.pointer("/vercel_user/id").and_then(|v| v.as_str()) {
            by_user
                .entry(id.to_owned())
                .or_default()
                .insert(e.operator.clone());
        }
    }
    by_user
        .into_iter()
        .filter(|(_, who)| who.len() > 1)
        .map(|(id, who)| (id, who.into_iter().collect()))
        .collect()
}

/// What each verified panel lever (this machine's or another operator's
/// verified one) changes, from its intent to its result: what a change
/// seen between two reads is explained by (issue 28).
pub fn panel_touches(audit: &[AuditEntry]) -> Vec<crate::core::outside::PanelTouch> {
    audit
        .iter()
        .filter(|e| {
            e.counts()
                && e.kind == EntryKind::Intent
                && crate::adapters::audit::live::is_lever(&e.lever)
        })
        .filter_map(|e| {
            let changes = e.plan_changes()?;
            let field = |name: &str| -> Vec<String> {
                changes
                    .iter()
                    .filter_map(|c| c.get(name).and_then(|v| v.as_str()).map(str::to_owned))
                    .collect()
            };
            let until = audit
                .iter()
                .filter(|r| r.counts() && r.kind == EntryKind::Result && r.action_id == e.action_id)
                .map(|r| r.at)
                .max();
            Some(crate::core::outside::PanelTouch {
                workspaces: field("workspace_id"),
                keys: field("key"),
                from: e.at,
                until,
            })
        })
        .collect()
}

/// Where the canary's start came from when the audit log has none.
pub const INFERRED_START: &str =
    "inferred: the first revision claim after the workspace's last quiet hour";

/// How long without a claim counts as "quiet" for an inferred canary start.
const QUIET: chrono::Duration = chrono::Duration::hours(1);

/// When the canary of `workspaces` started: the newest successful
/// canary-enable (or workspace restore) of an enabled workspace in the audit
/// log; else inferred from the claims — the first claim in an enabled
/// workspace after its last quiet hour, labelled as inferred. Never
/// `WorkspaceSettings.updatedAt`: unrelated writes bump it (contract §9).
pub fn canary_start(
    workspaces: &[Workspace],
    audit: &[AuditEntry],
    claims: &[crate::core::alarms::ClaimFact],
) -> Option<(UtcNaive, &'static str)> {
    let enabled: BTreeSet<&str> = workspaces
        .iter()
        .filter(|w| w.toggle.is_on())
        .map(|w| w.id.as_str())
        .collect();
    if enabled.is_empty() {
        return None;
    }
    // Only entries that count: an unsigned row cannot set the canary's start.
    let ok: BTreeSet<&str> = audit
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Result && e.status == EntryStatus::Ok)
        .map(|e| e.action_id.as_str())
        .collect();
    let from_audit = audit
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Intent && ok.contains(e.action_id.as_str()))
        .filter(|e| {
            e.plan_changes().is_some_and(|changes| {
                changes.iter().any(|c| {
                    c.get("after").and_then(|a| a.as_bool()) == Some(true)
                        && c.get("workspace_id")
                            .and_then(|w| w.as_str())
                            .is_some_and(|w| enabled.contains(w))
                })
            })
        })
        .map(|e| e.at)
        .max();
    if let Some(at) = from_audit {
        return Some((at, "audit log"));
    }
    enabled
        .iter()
        .filter_map(|id| {
            let mut stamps: Vec<UtcNaive> = claims
                .iter()
                .filter(|c| c.client_id == *id)
                .map(|c| c.stamp)
                .collect();
            stamps.sort_unstable();
            // The first stamp after the last gap of an hour or more.
            let mut start = *stamps.first()?;
            for pair in stamps.windows(2) {
                if pair[1] - pair[0] >= QUIET {
                    start = pair[1];
                }
            }
            Some(start)
        })
        .max()
        .map(|at| (at, INFERRED_START))
}

/// What the report is computed over.
pub struct Request<'a> {
    /// The profile (for the report).
    pub profile: &'a str,
    /// Now (the panel's clock).
    pub now: UtcNaive,
    /// The window's length.
    pub window: chrono::Duration,
    /// One workspace (id or exact name), or all.
    pub workspace: Option<&'a str>,
    /// The verdict's settings.
    pub settings: VerdictSettings,
    /// The audit log's entries (canary start, markers).
    pub audit: &'a [AuditEntry],
    /// The alarms' outside facts (env liveness).
    pub env: Option<&'a crate::core::env::EnvSnapshot>,
    /// The grace after a change (the profile's `grace_minutes`).
    pub grace: chrono::Duration,
    /// The profile's Vercel logs (none for the demo).
    pub vercel_logs: Option<crate::core::health::VercelLogs>,
    /// What the runtime logs counted (`vercel` or `demo`, and the book),
    /// when they were read: `runtime_logs` in the report, and the alarm.
    pub logs: Option<(&'static str, &'a crate::core::runtime_log::Book)>,
}

/// How far back the runtime-log counts go (the report's, the window's), in minutes.
pub const LOG_MINUTES: i64 = 60;

/// Why the report could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// A read failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No workspace by that id or name (the message lists them).
    #[error("{0}")]
    NoWorkspace(String),
}

/// Gathers the report.
pub async fn gather(store: &dyn Store, req: &Request<'_>) -> Result<MetricsReport, MetricsError> {
    let now = req.now;
    let start = now - req.window;
    let workspaces = store.workspaces().await?;
    let listed: Vec<&Workspace> = match req.workspace {
        None => workspaces.iter().collect(),
        Some(w) => {
            crate::core::workspace::matching(&workspaces, w).map_err(MetricsError::NoWorkspace)?
        }
    };
    let chunk = store.revision_series(start, now).await?;
    let readable = store.schema().ai_interaction;
    let revision_readable = store.schema().revision_readable();
    let totals_by = chunk.totals_by_workspace();
    let mut total = MinuteStats::default();
    let rows: Vec<WorkspaceRow> = listed
        .iter()
        .map(|w| {
            let s = totals_by.get(&w.id).copied().unwrap_or_default();
            total.add(s);
            WorkspaceRow {
                id: w.id.clone(),
                name: w.name.clone(),
                toggle: w.toggle.is_on(),
                counts: Counts::from_stats(s, readable, revision_readable),
            }
        })
        .collect();
    let claims = match revision_readable {
        true => store.claims_since(start).await?,
        false => Vec::new(),
    };
    let loops = store.loop_summaries(start).await?;
    let verdict = verdict_report(store, &workspaces, &claims, req).await?;
    let verified = verified_levers(req.audit);
    let alarm_facts = crate::core::alarms::Facts {
        now,
        window_start: start,
        workspaces: &workspaces,
        env: req.env,
        verdict: Some(&verdict.verdict),
        canary_ids: &verdict.canary.workspace_ids,
        verified: &verified,
        grace: req.grace,
        loops: &loops,
    };
    let mut alarms = crate::core::alarms::evaluate(&alarm_facts, &claims);
    let canary_ids = &verdict.canary.workspace_ids;
    let runtime_logs = req.logs.map(|(source, book)| {
        let r = super::runtime_logs::report(source, book, canary_ids, LOG_MINUTES, now);
        alarms.extend(crate::core::alarms::log_alarm(
            canary_ids,
            &r.canary,
            &claims,
            LOG_MINUTES,
            now,
        ));
        r
    });
    let revision_health = match revision_readable {
        false => None,
        true => {
            let path = store.revision_path(start).await?;
            let ids: BTreeSet<&str> = listed.iter().map(|w| w.id.as_str()).collect();
            let mine: Vec<_> = claims
                .iter()
                .filter(|c| ids.contains(c.client_id.as_str()))
                .cloned()
                .collect();
            let health = crate::core::health::judge(&mine, &loops, &path, now);
            Some(RevisionHealthReport::new(&health, req.vercel_logs.clone()))
        }
    };
    Ok(MetricsReport {
        profile: req.profile.to_owned(),
        window: Window {
            start: rfc3339(start),
            end: rfc3339(now),
        },
        workspaces: rows,
        totals: Counts::from_stats(total, readable, revision_readable),
        note: (!revision_readable).then(|| V0_NOTE.to_owned()),
        verdict,
        alarms,
        revision_health,
        runtime_logs,
    })
}

async fn verdict_report(
    store: &dyn Store,
    workspaces: &[Workspace],
    claims: &[crate::core::alarms::ClaimFact],
    req: &Request<'_>,
) -> Result<VerdictReport, StoreError> {
    let canary: BTreeSet<String> = workspaces
        .iter()
        .filter(|w| w.toggle.is_on())
        .map(|w| w.id.clone())
        .collect();
    let info = |started: Option<(UtcNaive, &str)>| CanaryInfo {
        workspace_ids: canary.iter().cloned().collect(),
        started: started.map(|(t, _)| rfc3339(t)),
        started_from: started.map(|(_, f)| f.to_owned()),
    };
    let empty = |note: &str, started| VerdictReport {
        verdict: verdict(Arm::default(), Arm::default(), Arm::default(), req.settings),
        canary: info(started),
        note: Some(note.to_owned()),
    };
    let Some(started) = canary_start(workspaces, req.audit, claims) else {
        return Ok(empty(
            if canary.is_empty() {
                "no workspace has the revision toggle on: there is no canary to judge"
            } else {
                "the canary's start is not known (no audit entry, and no revision claim in its workspaces to infer it from)"
            },
            None,
        ));
    };
    let (start, _) = started;
    let length = (req.now - start).max(chrono::Duration::zero());
    let chunk = store.revision_series(start - length, req.now).await?;
    let (after, before, others) = crate::core::metrics::canary_arms(
        chunk
            .buckets
            .iter()
            .map(|b| (b.minute, b.client_id.as_str(), &b.counts)),
        &canary,
        start,
        req.now,
    );
    Ok(VerdictReport {
        verdict: verdict(after, before, others, req.settings),
        canary: info(Some(started)),
        note: None,
    })
}
