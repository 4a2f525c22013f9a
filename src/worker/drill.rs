//! Drills on the demo world (issue 31), the worker's side: a started drill
//! injects its fault at its hidden minute, watches each read for the
//! panel's first sign and the audited levers, and once it is over scores
//! it (`core::drill`), records it in the local audit log as a drill entry
//! and writes its Markdown report. The scoring is pure; this is the IO.

use crate::adapters::audit::{AuditEntry, EntryKind, EntryStatus};
use crate::core::drill::{self, Drill, Inject, Level, LeverTaken, Score, Timeline};
use crate::core::time::UtcNaive;
use crate::core::verdict::VerdictState;
use crate::demo::{DemoWorld, Faults};
use crate::worker::snapshot::Snapshot;
use chrono::Duration;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// A drill as the window shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DrillView {
    /// The drill.
    pub drill: &'static Drill,
    /// When it was started.
    pub started: UtcNaive,
    /// The end of the window its fault falls in (the minute itself stays hidden).
    pub window_end: UtcNaive,
    /// Whether the fault has happened (shown only once the drill is over).
    pub injected: bool,
    /// The score, once over.
    pub score: Option<Score>,
    /// The report's file, once written (or why not).
    pub report: Option<Result<PathBuf, String>>,
}

/// A drill that runs.
pub(crate) struct ActiveDrill {
    drill: &'static Drill,
    fault_at: UtcNaive,
    window_end: UtcNaive,
    injected: bool,
    /// Whether its database went down (drill 5).
    database_down: bool,
    /// The faults before the drill (restored at its end).
    faults_before: Option<Faults>,
    /// Alarms firing when it started (not its signs).
    alarms_before: BTreeSet<String>,
    harm_before: bool,
    timeline: Timeline,
    /// The tab shown, and each switch (the window's; none from the CLI).
    looks: Vec<(String, UtcNaive)>,
    operator: String,
    reports: PathBuf,
}

/// Why a drill cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// Only on the demo.
    #[error(
        "drills run on the demo profile only: they inject faults into its world, and nothing they do may reach a production database (open the demo profile)"
    )]
    NotDemo,
    /// No such drill.
    #[error("there is no drill {0}: `rollout-panel drill list` lists them")]
    Unknown(u8),
    /// One runs already.
    #[error("drill {0} is running: end or abandon it first")]
    Running(u8),
    /// The demo world failed.
    #[error("the demo world failed: {0}")]
    Demo(String),
}

impl ActiveDrill {
    /// Starts drill `n` at `now` with its fault inside `within`; `pick` is
    /// the random number that places it.
    pub(crate) fn start(
        n: u8,
        now: UtcNaive,
        within: Duration,
        pick: u64,
        snap: &Snapshot,
        operator: &str,
        reports: PathBuf,
    ) -> Result<Self, DrillError> {
        let drill = drill::drill(n).ok_or(DrillError::Unknown(n))?;
        let fault_at = drill::fault_minute(now, within, pick);
        Ok(Self {
            drill,
            fault_at,
            window_end: now + within.max(Duration::minutes(1)),
            injected: false,
            database_down: false,
            faults_before: None,
            alarms_before: snap.alarms.iter().map(|a| a.id.clone()).collect(),
            harm_before: harm(snap, now),
            timeline: Timeline {
                started: now,
                fault_at: None,
                first_signal: None,
                first_look: None,
                levers: Vec::new(),
            },
            looks: Vec::new(),
            operator: operator.to_owned(),
            reports,
        })
    }

    /// The drill's number.
    pub(crate) fn number(&self) -> u8 {
        self.drill.number
    }

    /// The window showed `tab` from `at` on.
    pub(crate) fn look(&mut self, tab: &str, at: UtcNaive) {
        if self.looks.last().is_none_or(|(t, _)| t != tab) {
            self.looks.push((tab.to_owned(), at));
        }
    }

    /// The view for the window.
    pub(crate) fn view(&self) -> DrillView {
        DrillView {
            drill: self.drill,
            started: self.timeline.started,
            window_end: self.window_end,
            injected: self.injected,
            score: None,
            report: None,
        }
    }

    /// The fault's minute, when it is due at `now` and not injected yet.
    pub(crate) fn due(&self, now: UtcNaive) -> Option<UtcNaive> {
        (!self.injected && now >= self.fault_at).then_some(self.fault_at)
    }

    /// When its database goes down, once that is due at `now` (drill 5).
    pub(crate) fn database_down_due(&self, now: UtcNaive) -> Option<UtcNaive> {
        drill::database_down_at(self.drill, &self.timeline)
            .filter(|at| !self.database_down && self.injected && now >= *at)
    }

    /// Takes the demo world's database down (the simulator has played up
    /// to that moment); the drill's end brings it back.
    pub(crate) async fn take_database_down(&mut self, world: &DemoWorld) -> Result<(), DrillError> {
        let demo = |e: crate::demo::DemoError| DrillError::Demo(e.to_string());
        let mut f = world.faults().await.map_err(demo)?;
        f.database_down = true;
        world.set_faults(&f).await.map_err(demo)?;
        self.database_down = true;
        Ok(())
    }

    /// Injects the fault into the demo world (the simulator has played up
    /// to its minute).
    pub(crate) async fn inject(&mut self, world: &DemoWorld) -> Result<(), DrillError> {
        let demo = |e: crate::demo::DemoError| DrillError::Demo(e.to_string());
        let before = world.faults().await.map_err(demo)?;
        let mut f = before.clone();
        let at = self.fault_at;
        match self.drill.inject {
            Inject::NeedsReviewSpike => f.needs_review_spike = true,
            Inject::Timeouts => f.timeouts = true,
            Inject::RepeatedAttempts => f.repeated_attempts = true,
            Inject::RepeatedAttemptsCancelRedeploy => {
                f.repeated_attempts = true;
                f.cancel_next_redeploy = true;
            }
            // The database goes down later, once the incident shows
            // (`database_down_due`).
            Inject::RepeatedAttemptsDatabaseDown => f.repeated_attempts = true,
            Inject::RepeatedAttemptsInstantRollback => {
                f.repeated_attempts = true;
                world.instant_rollback(at).await.map_err(demo)?;
            }
            Inject::NoisyMinute => f.burst = Some(at),
        }
        world.set_faults(&f).await.map_err(demo)?;
        self.faults_before = Some(before);
        self.injected = true;
        self.timeline.fault_at = Some(at);
        Ok(())
    }

    /// Takes in a read: its first sign after the fault, the levers the
    /// audit shows since the start, and the first look at the tab.
    pub(crate) fn observe(&mut self, snap: &Snapshot, now: UtcNaive) {
        if self.injected && self.timeline.first_signal.is_none() {
            let new_alarm = snap
                .alarms
                .iter()
                .any(|a| !self.alarms_before.contains(&a.id));
            let turned = harm(snap, now) && !self.harm_before;
            if new_alarm || turned {
                self.timeline.first_signal = Some(now);
            }
        }
        self.timeline.levers = levers(&snap.audit, self.timeline.started);
        if let Some(signal) = self.timeline.first_signal {
            let showing_then = self
                .looks
                .iter()
                .rev()
                .find(|(_, at)| *at <= signal)
                .is_some_and(|(t, _)| t == self.drill.shows_on);
            self.timeline.first_look = if showing_then {
                Some(signal)
            } else {
                self.looks
                    .iter()
                    .find(|(t, at)| *at >= signal && t == self.drill.shows_on)
                    .map(|(_, at)| *at)
            };
        }
    }

    /// Whether it is over at `now`.
    pub(crate) fn over(&self, now: UtcNaive) -> bool {
        drill::over(self.drill, &self.timeline, now)
    }

    /// Ends it: the score, the faults as they were, the drill entry in the
    /// local audit log and the report. Returns the view with its score.
    pub(crate) async fn end(
        self,
        world: Option<&DemoWorld>,
        audit: Option<&crate::adapters::audit::AuditLog>,
        profile: &str,
        now: UtcNaive,
        abandoned: bool,
    ) -> DrillView {
        let score = drill::score(self.drill, &self.timeline, abandoned);
        if let (Some(world), Some(before)) = (world, &self.faults_before)
            && let Err(e) = world.set_faults(before).await
        {
            tracing::warn!("the drill's faults could not be cleared: {e}");
        }
        if let Some(audit) = audit {
            let detail = serde_json::json!({"drill": self.drill.number, "score": score, "timeline": self.timeline});
            let summary = format!(
                "Drill {}: {} — {}",
                self.drill.number,
                self.drill.title,
                score.judgement.label()
            );
            if let Err(e) = audit.record_drill(now, profile, &summary, detail).await {
                tracing::warn!("the drill could not be recorded: {e}");
            }
        }
        let md = drill::markdown(self.drill, &self.timeline, &score, &self.operator);
        let file = self.reports.join(format!(
            "drill-{}-{}.md",
            self.drill.number,
            self.timeline.started.format("%Y%m%d-%H%M%S")
        ));
        let report = std::fs::create_dir_all(&self.reports)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                crate::adapters::files::write_bytes_atomic(&file, md.as_bytes(), 0o644)
                    .map_err(|e| e.to_string())
            })
            .map(|()| file);
        DrillView {
            drill: self.drill,
            started: self.timeline.started,
            window_end: self.window_end,
            injected: self.injected,
            score: Some(score),
            report: Some(report),
        }
    }
}

/// Whether the canary verdict reads harm in `snap`.
fn harm(snap: &Snapshot, now: UtcNaive) -> bool {
    crate::worker::guard::reading(snap, now).verdict == Some(VerdictState::HarmDetected)
}

/// The rollback-level levers the audit shows since `since`, oldest first.
fn levers(audit: &[AuditEntry], since: UtcNaive) -> Vec<LeverTaken> {
    let mut out: Vec<LeverTaken> = audit
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Intent && e.at >= since)
        .filter_map(|e| {
            let plan = &e.detail["plan"];
            let on = plan["on"].as_bool().unwrap_or(true);
            let level = Level::of_lever(&e.lever, on)?;
            let result = audit
                .iter()
                .find(|r| r.counts() && r.kind == EntryKind::Result && r.action_id == e.action_id);
            Some(LeverTaken {
                action_id: e.action_id.clone(),
                level,
                // The guard's runs say so in their reason: "guard (armed by …): …".
                by: match e.reason.find(')') {
                    Some(end) if e.reason.starts_with("guard (") => e.reason[..=end].to_owned(),
                    _ => e.operator.clone(),
                },
                confirmed_at: e.at,
                ended_at: result.map(|r| r.at),
                verified: result.is_some_and(|r| r.status == EntryStatus::Ok),
            })
        })
        .collect();
    out.sort_by_key(|l| l.confirmed_at);
    out
}

impl crate::worker::refresh::Worker {
    /// A drill request: start, abandon, a look, a fault switch. Refused on
    /// any profile but the demo.
    pub(crate) async fn drill_request(
        &mut self,
        ask: crate::worker::protocol::DrillAsk,
    ) -> Result<String, String> {
        use crate::worker::protocol::DrillAsk;
        let now = self.config.clock.now();
        if !self.session.is_demo() {
            return Err(DrillError::NotDemo.to_string());
        }
        match ask {
            DrillAsk::Start {
                number,
                within,
                pick,
            } => {
                if let Some(d) = &self.drill {
                    return Err(DrillError::Running(d.number()).to_string());
                }
                let reports = self
                    .config
                    .audit_path
                    .as_deref()
                    .and_then(std::path::Path::parent)
                    .map_or_else(std::env::temp_dir, std::path::Path::to_path_buf)
                    .join("drills");
                let d = ActiveDrill::start(
                    number,
                    now,
                    within,
                    pick.unwrap_or_else(rand::random),
                    &self.snapshot,
                    &crate::adapters::audit::operator(),
                    reports,
                )
                .map_err(|e| e.to_string())?;
                self.snapshot.drill = Some(d.view());
                self.drill = Some(d);
                Ok(format!(
                    "Drill {number} started: something happens within {} min. Watch the panel and act as you would.",
                    within.num_minutes().max(1)
                ))
            }
            DrillAsk::Abandon => {
                let Some(d) = self.drill.take() else {
                    return Err("no drill is running".to_owned());
                };
                let n = d.number();
                let view = self.end_drill(d, now, true).await;
                self.snapshot.drill = Some(view);
                Ok(format!("Drill {n} abandoned; its score is recorded"))
            }
            DrillAsk::Look(tab) => {
                if let Some(d) = &mut self.drill {
                    d.look(&tab, now);
                }
                Ok(String::new())
            }
            DrillAsk::Fault { fault, on } => {
                let world = match self.session.demo_world().await {
                    Ok(Some(w)) => w,
                    Ok(None) => return Err(DrillError::NotDemo.to_string()),
                    Err(e) => return Err(e.to_string()),
                };
                let mut f = world.faults().await.map_err(|e| e.to_string())?;
                fault.set(&mut f, on);
                world.set_faults(&f).await.map_err(|e| e.to_string())?;
                Ok(format!(
                    "fault {} {}",
                    fault.name(),
                    if on { "on" } else { "off" }
                ))
            }
        }
    }

    /// Injects the running drill's fault once its minute has come, and
    /// (drill 5) takes its database down once that is due: the world is
    /// played up to that moment first, so the fault starts on it.
    pub(crate) async fn drill_inject(&mut self, now: UtcNaive) {
        let Some(d) = self.drill.as_ref() else {
            return;
        };
        let (fault, down) = (d.due(now), d.database_down_due(now));
        let Some(at) = fault.or(down) else {
            return;
        };
        if let Err(e) = self.session.advance(at, self.config.read_timeout).await {
            tracing::warn!("the demo could not be played up to the drill's fault: {e}");
        }
        let world = match self.session.demo_world().await {
            Ok(Some(w)) => w,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("the drill's fault waits: {e}");
                return;
            }
        };
        let Some(d) = &mut self.drill else {
            return;
        };
        let done = if fault.is_some() {
            d.inject(&world).await
        } else {
            d.take_database_down(&world).await
        };
        if let Err(e) = done {
            tracing::warn!("the drill's fault could not be injected: {e}");
        }
    }

    /// Takes in this read for the running drill; ends it once it is over.
    /// On the demo, reads its fault switches too.
    pub(crate) async fn drill_observe(&mut self, now: UtcNaive) {
        if let Some(d) = &mut self.drill {
            d.observe(&self.snapshot, now);
            if d.over(now) {
                if let Some(d) = self.drill.take() {
                    let view = self.end_drill(d, now, false).await;
                    self.snapshot.drill = Some(view);
                }
            } else {
                self.snapshot.drill = Some(d.view());
            }
        }
        // After a drill's end, which clears its faults.
        if self.session.is_demo()
            && let Ok(Some(world)) = self.session.demo_world().await
        {
            self.snapshot.demo_faults = world.faults().await.ok();
        }
    }

    async fn end_drill(&mut self, d: ActiveDrill, now: UtcNaive, abandoned: bool) -> DrillView {
        let world = self.session.demo_world().await.ok().flatten();
        let audit = self.session.audit().await.ok();
        let profile = self.session.profile().to_owned();
        d.end(world.as_ref(), audit.as_ref(), &profile, now, abandoned)
            .await
    }
}
