//! The guard in the worker (issue 29): after every refresh it judges what
//! was read (`core::guard`) and, when armed and a rule held on two readings,
//! rolls the canary back on the lever lane exactly like a confirmed lever —
//! compare-and-set, read back, intent before and result after. Its outcome
//! is observed, never inferred: "rolled back" is told when a fresh read
//! shows every canary toggle off. A rollback that cannot complete is retried
//! with backoff while armed; the guard never pulls a kill switch and never
//! turns anything on.

use crate::adapters::audit::AuditLog;
use crate::core::alarms::AlarmKind;
use crate::core::guard::{Arming, Finding, GuardSettings, GuardState, Look, Reading, Rule};
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

/// A desktop notification the guard asks the window for.
fn tell(emit: &Emit, title: String, body: String) {
    tracing::warn!("{title}: {body}");
    emit(Event::Guard { title, body });
}

impl WorkerGuard {
    /// Judges this refresh's snapshot and acts; fills `snap.guard`.
    pub(crate) async fn step(
        &mut self,
        snap: &mut Snapshot,
        log: Option<&AuditLog>,
        lever_running: bool,
        now: UtcNaive,
        emit: &Emit,
    ) {
        let arming =
            crate::core::guard::arming(&crate::adapters::audit::guard::guard_events(&snap.audit));
        let look = self.state.observe(&reading(snap, now), &self.settings);
        let fresh = snap.db.error.is_none() && snap.db.last_ok == Some(now);
        if let Some(act) = self.act.take() {
            self.follow(act, snap, arming.as_ref(), fresh, lever_running, now, emit);
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
        };
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
                "rolled back {} at {} UTC: rule {}: {}; verified OFF by reading back",
                act.names.join(", "),
                now.format("%H:%M:%S"),
                act.finding.rule.id(),
                act.finding.evidence
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
