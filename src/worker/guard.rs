//! The guard in the worker (issue 29): after every refresh it judges what
//! was read (`core::guard`) and, when armed and a rule held on two readings,
//! rolls the canary back on the lever lane exactly like a confirmed lever —
//! compare-and-set, read back, intent before and result after. Its outcome
//! is observed, never inferred: "rolled back" is told when a fresh read
//! shows every canary toggle off. A rollback that cannot complete is retried
//! with backoff while armed; the guard never pulls a kill switch and never
//! turns anything on.

use crate::adapters::audit::heartbeat::{GuardLock, GuardWatch, Panel};
use crate::adapters::audit::{AuditLog, SharedAudit};
use crate::core::alarms::AlarmKind;
use crate::core::guard::{
    Arming, Down, Duty, Finding, GuardSettings, GuardState, Look, Reading, Rule,
};
use crate::core::health::Problem;
use crate::core::lever::{LeverKind, LeverRequest, Parts, PlanSource, plan_source};
use crate::core::time::UtcNaive;
use crate::worker::handle::Emit;
use crate::worker::protocol::{Event, LeverRun};
use crate::worker::snapshot::Snapshot;
use chrono::Duration;
use std::collections::{BTreeMap, BTreeSet};

/// The guard's lever runs are numbered from here (the window's own runs
/// count up from 1 and never reach it).
pub const GUARD_RUNS: u64 = 1 << 62;

/// What the window shows of the guard.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GuardView {
    /// Who armed it, since when, dry run or not (`None` = disarmed).
    pub arming: Option<Arming>,
    /// What it made of the last reading.
    pub look: Option<Look>,
    /// When it last looked (the panel's clock).
    pub looked_at: Option<UtcNaive>,
    /// How many rules it watches.
    pub rules: usize,
    /// A rollback it started and has not yet seen verified.
    pub acting: Option<String>,
    /// The last thing it did, for people.
    pub last: Option<String>,
    /// Who acts: this panel alone, this panel by the lock, or another.
    pub duty: Option<Duty>,
    /// Armed, but the guarding panel's heartbeat stopped.
    pub down: Option<Down>,
    /// The thresholds it judges by (the profile's).
    pub settings: GuardSettings,
    /// Whether arming from this profile starts as a dry run.
    pub dry_run_default: bool,
    /// A failure of the lock or the heartbeat (the guard still looks).
    pub problem: Option<String>,
}

/// A rollback the guard started, until a fresh read shows it done.
#[derive(Clone, Debug)]
struct Act {
    finding: Finding,
    workspaces: Vec<String>,
    names: Vec<String>,
    arming: Arming,
    tries: u32,
    next_at: UtcNaive,
    told_failing: bool,
    /// When the rule was confirmed (wall clock): the notification says how
    /// long confirm → verified took.
    confirmed: std::time::Instant,
}

/// The guard's state on the worker.
#[derive(Default)]
pub(crate) struct WorkerGuard {
    pub(crate) settings: GuardSettings,
    state: GuardState,
    /// The lever lane (set when the worker starts with one).
    pub(crate) levers: Option<tokio::sync::mpsc::UnboundedSender<LeverRun>>,
    act: Option<Act>,
    /// A dry run's finding already recorded (the workspaces and the rule).
    dry_told: Option<(Vec<String>, Rule)>,
    runs: u64,
    last: Option<String>,
    /// This panel, as its heartbeat names it (made on the first beat).
    panel: Option<Panel>,
    /// The guard's advisory lock, while this panel holds it.
    lock: Option<GuardLock>,
    /// Who acts, as of the last beat.
    duty: Option<Duty>,
    /// The lock's holder and the heartbeats, as of the last beat.
    watch: GuardWatch,
    /// The backend of a lock session this panel lost touch with (it may
    /// still hold the lock on the server's side).
    lost_pid: Option<i32>,
    /// When this panel last beat (its own monotonic clock).
    beat_at: Option<std::time::Instant>,
    /// Whether the guard was armed at that beat.
    beat_armed: bool,
    /// The "guard down" stretch already told (its start).
    down_told: Option<UtcNaive>,
    problem: Option<String>,
    /// Whether arming starts as a dry run (the profile's).
    pub(crate) dry_run_default: bool,
}

/// The first retry of a rollback not seen done; doubled each time, at most
/// [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::seconds(30);
const MAX_BACKOFF: Duration = Duration::minutes(5);

/// What the guard sees in a snapshot.
pub fn reading(snap: &Snapshot, now: UtcNaive) -> Reading {
    let canary_ids: Vec<String> = snap.enabled_workspaces().map(|w| w.id.clone()).collect();
    let set: BTreeSet<&str> = canary_ids.iter().map(String::as_str).collect();
    let since = snap
        .canary
        .as_ref()
        .map_or(now - Duration::hours(72), |c| c.start);
    let verdict = snap.canary.as_ref().filter(|c| c.complete).map(|c| {
        crate::core::verdict::verdict(
            c.after,
            c.before,
            c.others,
            crate::core::verdict::VerdictSettings::default(),
        )
    });
    // The canary's claims since it started: draft → its workspace.
    let claims: BTreeMap<&str, &str> = snap
        .claims
        .iter()
        .filter(|c| set.contains(c.client_id.as_str()) && c.stamp >= since)
        .map(|c| (c.draft_id.as_str(), c.client_id.as_str()))
        .collect();
    let bound_drafts: BTreeSet<String> = snap
        .alarms
        .iter()
        .filter(|a| a.kind == AlarmKind::AttemptsAboveBound)
        .flat_map(|a| a.draft_ids.iter())
        .filter(|d| claims.contains_key(d.as_str()))
        .cloned()
        .collect();
    let failed_drafts: BTreeSet<String> = snap
        .revision_health
        .problems
        .iter()
        .filter(|p| {
            p.problem != Problem::RepeatedAttempts
                && set.contains(p.client_id.as_str())
                && p.stamp >= since
        })
        .map(|p| p.draft_id.clone())
        .collect();
    Reading {
        at: now,
        db_ok_at: snap.db.last_ok,
        db_error: snap.db.error.clone(),
        canary_ids,
        verdict: verdict.as_ref().map(|v| v.state),
        verdict_text: verdict.as_ref().and_then(|v| v.estimate_text()),
        bound_drafts: bound_drafts.into_iter().collect(),
        canary_attempts: claims.len(),
        failed_drafts: failed_drafts.into_iter().collect(),
        // Computed for the canary's workspaces only, from counted rows: a
        // reader that cannot see holds no alarm.
        log_errors: snap
            .alarms
            .iter()
            .find(|a| a.kind == AlarmKind::RevisionPathErrors)
            .map(|a| (a.finding.clone(), a.draft_ids.clone())),
    }
}

/// The guard's rollback plan of these canary workspaces, from the snapshot:
/// one workspace's rollback, or every enabled workspace at once.
fn rollback_plan(
    snap: &Snapshot,
    workspaces: &[String],
) -> Result<crate::core::lever::Plan, String> {
    let source = match workspaces {
        [one] => PlanSource::Lever(LeverRequest {
            kind: LeverKind::WorkspaceRollback,
            on: true,
            workspace: Some(one.clone()),
        }),
        _ => PlanSource::Complement,
    };
    let parts = Parts {
        workspaces: snap.schema.as_ref().map(|_| snap.workspaces.as_slice()),
        schema: snap.schema.as_ref(),
        env: snap.env_snapshot.as_ref(),
        readiness: None,
        watch: None,
    };
    plan_source(&source, parts).map_err(|e| e.to_string())
}

/// `call` within `timeout`; its failure, or no answer in time, as
/// "what: why".
async fn within<T, E: std::fmt::Display>(
    timeout: std::time::Duration,
    what: &str,
    call: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {} s", timeout.as_secs())),
    }
}

/// A desktop notification the guard asks the window for.
fn tell(emit: &Emit, title: String, body: String) {
    tracing::warn!("{title}: {body}");
    emit(Event::Guard { title, body });
}

impl WorkerGuard {
    /// A guard judging by these thresholds.
    pub(crate) fn new(settings: GuardSettings, dry_run_default: bool) -> Self {
        Self {
            settings,
            dry_run_default,
            ..Self::default()
        }
    }

    /// Judges this refresh's snapshot and acts; fills `snap.guard`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn step(
        &mut self,
        snap: &mut Snapshot,
        log: Option<&AuditLog>,
        lever_running: bool,
        now: UtcNaive,
        timeout: std::time::Duration,
        emit: &Emit,
    ) {
        let arming =
            crate::core::guard::arming(&crate::adapters::audit::guard::guard_events(&snap.audit));
        // The database read failed this refresh: the guard is blind anyway,
        // and the lock and heartbeat calls would only wait out their
        // deadlines too; who guards is asked again once it reads.
        let duty = if snap.db.error.is_some()
            && let Some(duty) = &self.duty
        {
            duty.clone()
        } else {
            self.duty_step(
                log.and_then(AuditLog::shared),
                arming.is_some(),
                &snap.operator,
                timeout,
            )
            .await
        };
        let acts = matches!(duty, Duty::Solo | Duty::Acting);
        let down = match duty {
            Duty::Watching { .. } => crate::core::guard::down(
                arming.as_ref(),
                self.watch.holder_pid,
                &self.watch.beats,
                &self.settings,
            ),
            _ => None,
        };
        self.tell_down(down.as_ref(), &snap.profile, emit);
        let look = self.state.observe(&reading(snap, now), &self.settings);
        let fresh = snap.db.error.is_none() && snap.db.last_ok == Some(now);
        if let Some(act) = self.act.take() {
            if acts {
                self.follow(act, snap, arming.as_ref(), fresh, lever_running, now, emit);
            } else {
                self.last = Some(format!(
                    "stopped following the rollback of {}: another panel holds the guard's lock now and acts",
                    act.names.join(", ")
                ));
            }
        } else if !acts {
            if let Look::Fire { finding, .. } = &look {
                self.last = Some(format!(
                    "rule {} held at {} UTC; the guarding panel{} acts, this one watches",
                    finding.rule.id(),
                    now.format("%H:%M:%S"),
                    match &duty {
                        Duty::Watching {
                            host: Some(host), ..
                        } => format!(" on {host}"),
                        _ => String::new(),
                    }
                ));
            }
        } else if let (
            Some(arming),
            Look::Fire {
                finding,
                workspace_ids,
            },
        ) = (&arming, &look)
        {
            if arming.dry_run {
                self.dry_run(snap, log, arming, finding, workspace_ids, now, emit)
                    .await;
            } else {
                let act = Act {
                    finding: finding.clone(),
                    names: names(snap, workspace_ids),
                    workspaces: workspace_ids.clone(),
                    arming: arming.clone(),
                    tries: 0,
                    next_at: now,
                    told_failing: false,
                    confirmed: std::time::Instant::now(),
                };
                self.send(act, snap, now, emit);
            }
        }
        if arming.is_some()
            && self.state.tell_blind(now, &self.settings)
            && let Look::Blind { why, since } = &look
        {
            tell(
                emit,
                "Guard blind".to_owned(),
                format!(
                    "since {} UTC: {why}. It acts on nothing until it sees again; roll back by hand if you must.",
                    since.format("%H:%M:%S")
                ),
            );
        }
        snap.guard = GuardView {
            arming,
            look: Some(look),
            looked_at: Some(now),
            rules: Rule::ALL.len(),
            acting: self.act.as_ref().map(|a| {
                format!(
                    "rolling back {} (rule {}, try {})",
                    a.names.join(", "),
                    a.finding.rule.id(),
                    a.tries
                )
            }),
            last: self.last.clone(),
            duty: Some(duty),
            down,
            settings: self.settings,
            dry_run_default: self.dry_run_default,
            problem: self.problem.clone(),
        };
    }

    /// How often this panel beats and looks at who guards.
    fn beat_every(&self) -> std::time::Duration {
        let third = self.settings.down_after.num_milliseconds().max(3000) / 3;
        std::time::Duration::from_millis(u64::try_from(third).unwrap_or(1000).min(15_000))
    }

    /// Takes or keeps the guard's lock while armed (releases it when not),
    /// writes the heartbeat and reads who guards: at most every
    /// [`Self::beat_every`], each call bounded by `timeout`.
    async fn duty_step(
        &mut self,
        shared: Option<&SharedAudit>,
        armed: bool,
        operator: &str,
        timeout: std::time::Duration,
    ) -> Duty {
        let Some(shared) = shared else {
            self.lock = None;
            self.duty = Some(Duty::Solo);
            return Duty::Solo;
        };
        // Armed or disarmed since the last beat: beat (take or let go of
        // the lock) now, not at the next beat.
        if let Some(duty) = &self.duty
            && self
                .beat_at
                .is_some_and(|t| t.elapsed() < self.beat_every())
            && self.beat_armed == armed
            && !matches!(duty, Duty::Solo)
        {
            return duty.clone();
        }
        self.beat_at = Some(std::time::Instant::now());
        self.beat_armed = armed;
        let panel = self
            .panel
            .get_or_insert_with(|| Panel::this(operator))
            .clone();
        let mut problems = Vec::new();
        if !armed && self.lock.take().is_some() {
            tracing::info!("guard: disarmed; this panel let go of the guard's lock");
        }
        if armed {
            if let Some(lock) = &mut self.lock {
                let alive = tokio::time::timeout(timeout, lock.alive())
                    .await
                    .unwrap_or(false);
                if !alive {
                    tracing::warn!(
                        "guard: the session holding the guard's lock does not answer; letting it go"
                    );
                    self.lost_pid = Some(lock.pid);
                    self.lock = None;
                }
            }
            // A session of ours the server still holds the lock for (the
            // route dropped, the server's side stayed): end it, so the lock
            // is free again now rather than when TCP notices.
            if self.lock.is_none()
                && let Some(pid) = self.lost_pid
                && self.watch.holder_pid == Some(pid)
            {
                match within(
                    timeout,
                    "ending this panel's lost lock session",
                    shared.end_orphan(pid),
                )
                .await
                {
                    Ok(ended) => {
                        tracing::info!(
                            "guard: ended this panel's lost lock session (backend {pid}): {ended}"
                        );
                        self.lost_pid = None;
                    }
                    Err(e) => problems.push(e),
                }
            }
            if self.lock.is_none() {
                match within(timeout, "the guard's lock", shared.try_guard_lock()).await {
                    Ok(Some(lock)) => {
                        self.lost_pid = None;
                        tracing::info!(
                            "guard: this panel ({}) holds the guard's lock (backend {})",
                            panel.host,
                            lock.pid
                        );
                        self.lock = Some(lock);
                    }
                    Ok(None) => {}
                    Err(e) => problems.push(e),
                }
            }
        }
        if let Err(e) = within(
            timeout,
            "the heartbeat",
            shared.beat(self.lock.as_mut(), &panel, armed),
        )
        .await
        {
            problems.push(e);
        }
        let duty = match tokio::time::timeout(timeout, shared.guard_watch()).await {
            Ok(Ok(watch)) => {
                self.watch = watch;
                if self.lock.is_some() {
                    Duty::Acting
                } else {
                    let holder = self.watch.beats.iter().find(|b| {
                        b.backend_pid.is_some() && b.backend_pid == self.watch.holder_pid
                    });
                    Duty::Watching {
                        host: holder.map(|b| b.host.clone()),
                        beat_age_secs: holder.map(|b| b.age.num_seconds()),
                    }
                }
            }
            Ok(Err(e)) if self.lock.is_none() => Duty::Unknown { why: e.to_string() },
            Err(_) if self.lock.is_none() => Duty::Unknown {
                why: format!("who guards: no answer within {} s", timeout.as_secs()),
            },
            _ => Duty::Acting,
        };
        if !armed && matches!(duty, Duty::Unknown { .. }) {
            // Disarmed: nobody acts anyway; the failure is a problem line.
            problems.push("who guards could not be read".to_owned());
        }
        self.problem = (!problems.is_empty()).then(|| problems.join("; "));
        if let Some(p) = &self.problem {
            tracing::warn!("guard: {p}");
        }
        self.duty = Some(duty.clone());
        duty
    }

    /// "Guard down": told once per stretch.
    fn tell_down(&mut self, down: Option<&Down>, profile: &str, emit: &Emit) {
        let Some(down) = down else {
            self.down_told = None;
            return;
        };
        if self.down_told == Some(down.since) {
            return;
        }
        self.down_told = Some(down.since);
        tell(
            emit,
            format!("Guard down since {}", down.since.format("%H:%M")),
            format!(
                "the guard is armed, but the panel holding its lock{} has not beaten since {} UTC: nothing rolls the canary back automatically. Watch by hand, or start `rollout-panel watch --profile {profile}` (the lock moves once that panel's session ends).",
                down.host
                    .as_deref()
                    .map(|h| format!(" (on {h})"))
                    .unwrap_or_default(),
                down.since.format("%H:%M:%S")
            ),
        );
    }

    /// A rollback under way: done when a fresh read shows every toggle off,
    /// else retried with backoff (while armed).
    #[allow(clippy::too_many_arguments)]
    fn follow(
        &mut self,
        mut act: Act,
        snap: &Snapshot,
        arming: Option<&Arming>,
        fresh: bool,
        lever_running: bool,
        now: UtcNaive,
        emit: &Emit,
    ) {
        let still_on: Vec<&str> = snap
            .enabled_workspaces()
            .filter(|w| act.workspaces.contains(&w.id))
            .map(|w| w.name.as_str())
            .collect();
        if fresh && still_on.is_empty() {
            let line = format!(
                "rolled back {} at {} UTC: rule {}: {}; verified OFF by reading back ({} ms from the confirming read)",
                act.names.join(", "),
                now.format("%H:%M:%S"),
                act.finding.rule.id(),
                act.finding.evidence,
                act.confirmed.elapsed().as_millis()
            );
            self.last = Some(line.clone());
            tell(
                emit,
                format!("Guard rolled back {}", act.names.join(", ")),
                format!(
                    "{line}. Suggested next if harm goes on elsewhere: revision-kill-switch (the guard never pulls a kill switch). Re-enabling is a human's canary enable."
                ),
            );
            return;
        }
        if arming.is_none() {
            self.last = Some(format!(
                "stopped retrying the rollback of {}: the guard was disarmed",
                act.names.join(", ")
            ));
            return;
        }
        if act.tries >= 2 && !act.told_failing {
            act.told_failing = true;
            tell(
                emit,
                format!(
                    "Guard cannot complete the rollback of {}",
                    act.names.join(", ")
                ),
                format!(
                    "{} tries; {}; it keeps retrying. Roll back by hand (workspace-rollback) or use the revision kill switch.",
                    act.tries,
                    snap.db
                        .error
                        .as_deref()
                        .map_or("the toggle still reads ON".to_owned(), |e| format!(
                            "the database: {e}"
                        ))
                ),
            );
        }
        if now >= act.next_at && !lever_running && fresh {
            self.send(act, snap, now, emit);
        } else {
            self.act = Some(act);
        }
    }

    /// Sends the rollback to the lever lane (made from this snapshot).
    fn send(&mut self, mut act: Act, snap: &Snapshot, now: UtcNaive, emit: &Emit) {
        act.tries += 1;
        let factor = 1_i32 << act.tries.min(4);
        act.next_at = now + (FIRST_BACKOFF * factor / 2).min(MAX_BACKOFF);
        let plan = match rollback_plan(snap, &act.workspaces) {
            Ok(plan) => plan,
            Err(e) => {
                self.last = Some(format!("could not plan the rollback: {e}"));
                self.act = Some(act);
                return;
            }
        };
        let Some(levers) = &self.levers else {
            self.last = Some("no lever lane: nothing was changed".to_owned());
            return;
        };
        self.runs += 1;
        let run = LeverRun {
            run: GUARD_RUNS + self.runs,
            plan,
            reason: crate::core::guard::rollback_reason(&act.arming, &act.finding),
            finishes: None,
        };
        if act.tries == 1 {
            tracing::warn!(
                "guard: rolling back {} (rule {})",
                act.names.join(", "),
                act.finding.rule.id()
            );
        }
        if levers.send(run).is_err() {
            self.last = Some("the lever lane is gone: nothing was changed".to_owned());
        }
        let _ = emit;
        self.act = Some(act);
    }

    /// Dry run: records what it would have rolled back, once per finding.
    #[allow(clippy::too_many_arguments)]
    async fn dry_run(
        &mut self,
        snap: &Snapshot,
        log: Option<&AuditLog>,
        arming: &Arming,
        finding: &Finding,
        workspaces: &[String],
        now: UtcNaive,
        emit: &Emit,
    ) {
        let key = (workspaces.to_vec(), finding.rule);
        if self.dry_told.as_ref() == Some(&key) {
            return;
        }
        self.dry_told = Some(key);
        let names = names(snap, workspaces);
        let recorded = match log {
            Some(log) => log
                .guard_would_have(now, &snap.profile, &arming.by, finding, &names)
                .await
                .map(|_| "recorded in the audit log".to_owned())
                .unwrap_or_else(|e| format!("NOT recorded: {e}")),
            None => "no audit log".to_owned(),
        };
        let line = format!(
            "would have rolled back {} at {} UTC: rule {}: {} ({recorded}; nothing was changed)",
            names.join(", "),
            now.format("%H:%M:%S"),
            finding.rule.id(),
            finding.evidence
        );
        self.last = Some(line.clone());
        tell(
            emit,
            "Guard (dry run) would have rolled back".to_owned(),
            line,
        );
    }
}

/// The workspaces' names (their ids when unknown).
fn names(snap: &Snapshot, ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            snap.workspaces
                .iter()
                .find(|w| &w.id == id)
                .map_or_else(|| id.clone(), |w| w.name.clone())
        })
        .collect()
}
