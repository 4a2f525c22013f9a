//! Everything the window draws, as of one refresh.

use crate::core::env::{EnvSnapshot, FlagState};
use crate::core::metrics::RevisionSeries;
use crate::core::runbook::Stage;
use crate::core::schema::SchemaReport;
use crate::core::time::UtcNaive;
use crate::core::workspace::{RevisionCounts, Workspace};
use chrono::Duration as ChronoDuration;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The canary the verdict is about, and its three arms.
#[derive(Clone, Debug, PartialEq)]
pub struct CanaryArms {
    /// When it started.
    pub start: UtcNaive,
    /// How that is known ("audit log", or inferred from the claims: [`crate::ops::metrics::INFERRED_START`]).
    pub start_from: &'static str,
    /// The canary workspaces.
    pub workspace_ids: Vec<String>,
    /// The canary since it started.
    pub after: crate::core::verdict::Arm,
    /// The canary over the same length of time before (within the retained 72 h).
    pub before: crate::core::verdict::Arm,
    /// The other workspaces since it started.
    pub others: crate::core::verdict::Arm,
    /// Whether every minute the arms count has been read: the first poll
    /// reads the newest hour and the older history follows, so until then
    /// the baseline before the start may be short and there is no verdict.
    pub complete: bool,
}

/// The health of one source (database or env).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// When the last read succeeded (the panel's clock).
    pub last_ok: Option<UtcNaive>,
    /// The last read's error, if it failed.
    pub error: Option<String>,
    /// Round-trip time of the last successful read.
    pub latency_ms: Option<u64>,
    /// Why the source is not read at all (neither ok nor an error).
    pub note: Option<String>,
}

/// Everything the UI draws, as of one refresh. Data from the last good read is
/// kept when a later read fails; `Health` says how old it is.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Profile name.
    pub profile: String,
    /// Where the data comes from, for people.
    pub source: String,
    /// The profile's Vercel logs for what the database cannot show (none
    /// in the demo).
    pub vercel_logs: Option<crate::core::health::VercelLogs>,
    /// The quality review's policy target (the profile's `quality_target`).
    pub quality_target: f64,
    /// The revision path's errors counted from production's runtime logs
    /// (`None`: the demo, or nothing serves yet).
    pub runtime_logs: Option<crate::ops::runtime_logs::RuntimeLogsReport>,
    /// When this snapshot was made (the panel's clock).
    pub made_at: Option<UtcNaive>,
    /// Database health.
    pub db: Health,
    /// Env source health.
    pub env: Health,
    /// Database server version.
    pub server_version: Option<String>,
    /// The schema report read at connect.
    pub schema: Option<SchemaReport>,
    /// Workspaces and their toggles.
    pub workspaces: Vec<Workspace>,
    /// The admin page's 72-hour counts per workspace id.
    pub counts_72h: BTreeMap<String, RevisionCounts>,
    /// When `counts_72h` was read (the panel's clock).
    pub counts_72h_at: Option<UtcNaive>,
    /// The claims of the last 72 hours, for the alarms (read with `counts_72h`).
    pub claims: Arc<Vec<crate::core::alarms::ClaimFact>>,
    /// The revision loops' summaries of the same 72 h (read with the claims).
    pub loops: Arc<Vec<crate::core::alarms::LoopSummary>>,
    /// The revision path's health over the same 72 h, each claim judged
    /// once (read and judged with the claims).
    pub revision_health: Arc<crate::core::health::Health>,
    /// The canary and its verdict's arms, when a workspace has the toggle on.
    pub canary: Option<CanaryArms>,
    /// The invariant alarms except the verdict's (the UI adds that one with
    /// its own settings).
    pub alarms: Vec<crate::core::alarms::Alarm>,
    /// The series as the plots need it: dense per minute over the retained
    /// 72 h, the canary set against the rest, ending with this refresh's
    /// minute. Computed here so a frame only slices it.
    pub split_72h: Arc<crate::core::metrics::SplitSeries>,
    /// Per-workspace totals of the last 24 h (the review view).
    pub review_24h: Arc<BTreeMap<String, crate::core::metrics::MinuteStats>>,
    /// Per-minute series (72 hours).
    pub series: RevisionSeries,
    /// The env as last read.
    pub env_snapshot: Option<EnvSnapshot>,
    /// `AUTO_SEND_REVISION_DISABLED`, configured vs live.
    pub revision_flag: Option<FlagState>,
    /// `AUTO_SEND_DISABLED`, configured vs live.
    pub auto_send_flag: Option<FlagState>,
    /// The runbook stage.
    pub stage: Option<Stage>,
    /// The last readiness checklist.
    pub readiness: Option<Arc<crate::ops::readiness::Report>>,
    /// Why the last readiness check could not run, if it could not.
    pub readiness_error: Option<String>,
    /// The profile's audit log, newest first.
    pub audit: Vec<crate::adapters::audit::AuditEntry>,
    /// The drill that runs on the demo, or the last one with its score.
    pub drill: Option<crate::worker::drill::DrillView>,
    /// The demo world's fault switches as read now (`None`: not the demo,
    /// or not read).
    pub demo_faults: Option<crate::demo::Faults>,
    /// Why the audit log could not be read, if it could not.
    pub audit_error: Option<String>,
    /// Intents without a result that no lever of this panel is running: an
    /// action interrupted (the panel died mid-lever), oldest first.
    pub unfinished: Vec<crate::adapters::audit::AuditEntry>,
    /// Levers other panels are running now (from the shared table; the top
    /// bar names them).
    pub running_elsewhere: Vec<crate::adapters::audit::AuditEntry>,
    /// Whether the shared audit table (other operators' actions) is read.
    pub audit_shared: bool,
    /// Who this panel writes as (`user@host`).
    pub operator: String,
    /// This operator's identity, for people: the name, the key and whether
    /// the team's roster lists it, the Vercel user (issue 28).
    pub identity: Option<String>,
    /// Whether other panels count this panel's shared entries (its key is
    /// in the team's roster under its name).
    pub identity_trusted: bool,
    /// Who the profile's Vercel token belongs to, once read.
    pub vercel_user: Option<String>,
    /// Vercel tokens two operators share: (user id, operators).
    pub shared_tokens: Vec<(String, Vec<String>)>,
    /// Whether the profile asks for a second operator's approval before
    /// the canary and an expansion.
    pub approvals_required: bool,
    /// The guard of the canary: armed or not, what it saw, what it did.
    pub guard: crate::worker::guard::GuardView,
    /// The requests and approvals of the last two hours (from the shared
    /// table; `None` without one).
    pub approvals: Option<
        Arc<(
            Vec<crate::core::approval::Requested>,
            Vec<crate::core::approval::Approved>,
        )>,
    >,
}

impl Snapshot {
    /// An empty snapshot of a profile, before any read.
    /// Whether this is the demo profile (its rehearsal world).
    pub fn is_demo(&self) -> bool {
        self.profile == crate::core::profile::DEMO_PROFILE
    }

    /// A snapshot of `profile` before any read.
    pub fn for_profile(profile: &str) -> Self {
        Self {
            profile: profile.to_owned(),
            ..Self::default()
        }
    }

    /// A snapshot that only says the worker could not start.
    pub(crate) fn failed_to_start(message: String) -> Self {
        Self {
            db: Health {
                error: Some(message),
                ..Health::default()
            },
            ..Self::default()
        }
    }

    /// Computes what the Metrics tab draws from the series (the dense 72-hour
    /// split and the 24-hour review), so a frame only slices it.
    pub fn derive_views(&mut self, now: UtcNaive) {
        let canary: std::collections::BTreeSet<String> =
            self.enabled_workspaces().map(|w| w.id.clone()).collect();
        self.split_72h = Arc::new(self.series.split(
            &canary,
            now,
            crate::core::metrics::RETAIN.num_minutes(),
        ));
        self.review_24h = Arc::new(self.series.totals_by_workspace(
            now - ChronoDuration::hours(24),
            now + ChronoDuration::minutes(1),
        ));
    }

    /// Workspaces whose toggle is on (the canary set).
    pub fn enabled_workspaces(&self) -> impl Iterator<Item = &Workspace> {
        self.workspaces.iter().filter(|w| w.toggle.is_on())
    }
}
