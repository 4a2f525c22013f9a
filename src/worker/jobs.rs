//! Background work of the window, in one place:
//! - lever runs: [`LeverLane`] takes confirmed levers on a lane of its own
//!   (never queued behind a refresh) and runs each on its own task, which
//!   reports every step as an event;
//! - [`Jobs`]: the window's other jobs on one thread with one runtime —
//!   profile edits and connection tests (one at a time, in order), exports
//!   (the save dialog and the atomic write), opening a folder.

use crate::adapters::audit::AuditLog;
use crate::adapters::clock::Clock;
use crate::adapters::env::EnvSource;
use crate::adapters::store::Store;
use crate::core::lever::{RunReport, StepReport};
use crate::ops::export::{ExportOutcome, Sample, SaveDialog};
use crate::ops::levers::{RunContext, Targets, Waits, check_again, run_plan_with};
use crate::ops::profiles::{JobDone as ProfileJobDone, ProfileJob, ProfileManager};
use crate::ops::session::Session;
use crate::worker::WorkerConfig;
use crate::worker::handle::Emit;
use crate::worker::protocol::{Event, LeverRun};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

/// The levers' own lane: a task with its own session (its own connections),
/// so a confirmed lever starts at once even while a refresh is stuck on a
/// frozen database, and opens only the parts its plan changes.
pub(crate) struct LeverLane {
    config: WorkerConfig,
    session: Session,
    profile: String,
    running: Arc<Mutex<HashSet<String>>>,
    levers_done: Arc<(Mutex<u64>, Condvar)>,
}

impl LeverLane {
    pub(crate) fn new(
        config: WorkerConfig,
        running: Arc<Mutex<HashSet<String>>>,
        levers_done: Arc<(Mutex<u64>, Condvar)>,
    ) -> Self {
        let session = config.session();
        Self {
            profile: config.target.profile_name().to_owned(),
            config,
            session,
            running,
            levers_done,
        }
    }

    /// Takes confirmed levers until the window goes away.
    pub(crate) async fn run(
        mut self,
        mut levers: tokio::sync::mpsc::UnboundedReceiver<LeverRun>,
        emit: Emit,
    ) {
        while let Some(lever) = levers.recv().await {
            self.start(lever, &emit).await;
        }
    }

    /// Starts a confirmed lever on its own task, with the parts its plan
    /// changes; its progress and end are emitted as events.
    async fn start(&mut self, lever: LeverRun, emit: &Emit) {
        let run = lever.run;
        // The guard's own runs are not the window's: `wait_levers` counts
        // only the runs the window sent.
        let counted = run < crate::worker::guard::GUARD_RUNS;
        let ended = Arc::clone(&self.levers_done);
        let fail = move |e: String| {
            emit(Event::LeverDone {
                run,
                result: Err(format!("nothing was changed: {e}")),
            });
            if counted {
                bump(&ended);
            }
        };
        // The same lever locks as the command line: two levers on one part
        // never interleave on this machine.
        let changes = lever.plan.needs();
        let locks = match self
            .config
            .audit_path
            .as_deref()
            .and_then(std::path::Path::parent)
        {
            Some(data_dir) => {
                match crate::platform::instance::lever_locks(
                    data_dir,
                    &self.profile,
                    changes.database,
                    changes.env,
                ) {
                    Ok(locks) => locks,
                    Err(e) => return fail(e),
                }
            }
            None => Vec::new(),
        };
        let needs = lever.plan.reads();
        let store = if needs.database {
            match self.session.store().await {
                Ok(store) => Some(store),
                Err(e) => return fail(e.to_string()),
            }
        } else {
            None
        };
        let env = if needs.env {
            match self.session.env().await {
                Ok(env) => Some(env),
                Err(e) => return fail(e.to_string()),
            }
        } else {
            None
        };
        // Check again just before changing: the dialog may have been open a
        // while; if anything moved, nothing is changed and the run says what.
        let targets = Targets {
            store: store.as_deref(),
            env: env.as_deref(),
        };
        if let Err(moved) = check_again(&lever.plan, targets, self.config.clock.now()).await {
            emit(Event::LeverDone {
                run,
                result: Err(moved.to_string()),
            });
            if counted {
                bump(&self.levers_done);
            }
            return;
        }
        // This machine's log first: it does not need the database.
        let audit = match self.session.audit().await {
            Ok(log) => log,
            Err(e) => return fail(format!("the audit log cannot be written: {e}")),
        };
        let action_id = crate::adapters::audit::new_action_id();
        if let Ok(mut r) = self.running.lock() {
            r.insert(action_id.clone());
        }
        let job = LeverJob {
            lever,
            action_id,
            store,
            env,
            audit,
            clock: Arc::clone(&self.config.clock),
            waits: self.config.waits,
            profile: self.profile.clone(),
            approvals: self.config.target.approvals(),
        };
        let emit = Arc::clone(emit);
        let running = Arc::clone(&self.running);
        let done = Arc::clone(&self.levers_done);
        tokio::spawn(async move {
            let result = job.run(&emit).await.map_err(|e| e.to_string());
            drop(locks);
            if let Ok(mut r) = running.lock() {
                r.remove(&job.action_id);
            }
            emit(Event::LeverDone { run, result });
            if counted {
                bump(&done);
            }
        });
    }
}

/// Counts one more ended lever run and wakes `wait_levers`.
fn bump(done: &(Mutex<u64>, Condvar)) {
    let (lock, cvar) = done;
    let mut d = lock.lock().unwrap_or_else(|e| e.into_inner());
    *d += 1;
    cvar.notify_all();
}

/// Why a lever run ended without a report.
#[derive(Debug, thiserror::Error)]
enum LeverJobError {
    /// The run could not start, or its result could not be audited.
    #[error(transparent)]
    Run(#[from] crate::ops::levers::RunError),
    /// The run ended, but the interrupted action it finishes stays open.
    #[error("the lever ran, but the interrupted action {old} could not be closed: {source}")]
    NotClosed {
        /// The interrupted action.
        old: String,
        /// Why.
        source: crate::adapters::audit::AuditError,
    },
}

/// Everything a background lever run needs.
struct LeverJob {
    lever: LeverRun,
    action_id: String,
    store: Option<Arc<dyn Store>>,
    env: Option<Arc<dyn EnvSource>>,
    audit: AuditLog,
    clock: Arc<dyn Clock>,
    waits: Waits,
    profile: String,
    approvals: bool,
}

impl LeverJob {
    async fn run(&self, emit: &Emit) -> Result<RunReport, LeverJobError> {
        let run = self.lever.run;
        let progress = |s: &StepReport| {
            emit(Event::LeverStep {
                run,
                step: s.clone(),
            });
        };
        let ctx = RunContext {
            audit: &self.audit,
            profile: &self.profile,
            reason: &self.lever.reason,
            clock: self.clock.as_ref(),
            waits: self.waits,
            action_id: Some(&self.action_id),
            approvals: self.approvals,
        };
        let targets = Targets {
            store: self.store.as_deref(),
            env: self.env.as_deref(),
        };
        let report = run_plan_with(&self.lever.plan, targets, &ctx, &progress).await?;
        if let Some(old) = &self.lever.finishes {
            crate::ops::levers::close_finished(&self.audit, old, &report, self.clock.now())
                .await
                .map_err(|source| LeverJobError::NotClosed {
                    old: old.clone(),
                    source,
                })?;
        }
        Ok(report)
    }
}

/// A job of the window that is not a read of the open profile.
pub enum Job {
    /// A Profiles-window job (run one at a time, in order).
    Profile(ProfileJob),
    /// An export: the save dialog, then the atomic write.
    Export {
        /// The dialog to ask (native, or the tests').
        dialog: Arc<dyn SaveDialog>,
        /// Where the file goes when no dialog can be shown.
        fallback_dir: PathBuf,
        /// The suggested file name.
        name: String,
        /// What to write.
        sample: Arc<Sample>,
        /// The review's verdicts on it (their columns are added), if any.
        review: Option<crate::core::export::Review>,
    },
    /// Ask where the rollout record goes: the folder dialog, else a new
    /// folder `name` under `fallback_dir`.
    PickRecordFolder {
        /// The dialog to ask (native, or the tests').
        dialog: Arc<dyn SaveDialog>,
        /// Where the dialog starts, and the fallback folder's parent.
        fallback_dir: PathBuf,
        /// The fallback folder's name.
        name: String,
        /// The record's period.
        period: crate::ops::record::Period,
    },
    /// Open a folder in the desktop's file manager (best effort).
    OpenFolder(PathBuf),
}

/// A finished job.
pub enum JobDone {
    /// A Profiles-window job.
    Profile(Box<ProfileJobDone>),
    /// An export, with what it exported.
    Export(ExportOutcome, Arc<Sample>),
    /// The rollout record's folder (`None`: the person cancelled).
    RecordFolder(Option<crate::worker::protocol::RecordAsk>),
}

/// Runs the window's jobs on one background thread with one runtime.
pub struct Jobs {
    tx: tokio::sync::mpsc::UnboundedSender<Job>,
    rx: std::sync::mpsc::Receiver<JobDone>,
    /// Profile jobs queued or running.
    pending: Arc<(Mutex<usize>, Condvar)>,
}

impl Jobs {
    /// Starts the thread; `repaint` wakes the UI after each job. Without a
    /// profile manager, profile jobs answer with an error.
    pub fn spawn(
        manager: Option<ProfileManager>,
        repaint: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let (tx, mut jobs) = tokio::sync::mpsc::unbounded_channel::<Job>();
        let (done_tx, rx) = std::sync::mpsc::channel();
        let pending = Arc::new((Mutex::new(0usize), Condvar::new()));
        let pending_w = Arc::clone(&pending);
        let spawned = std::thread::Builder::new()
            .name("rollout-jobs".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!("cannot start the jobs runtime: {e}");
                        return;
                    }
                };
                let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(repaint);
                runtime.block_on(async move {
                    // Profile jobs one at a time, in order; the rest at once.
                    let (profile_tx, mut profile_rx) =
                        tokio::sync::mpsc::unbounded_channel::<ProfileJob>();
                    let done = done_tx.clone();
                    let wake = Arc::clone(&repaint);
                    let profiles = tokio::spawn(async move {
                        while let Some(job) = profile_rx.recv().await {
                            if let Some(finished) = run_profile_job(manager.clone(), job).await {
                                let _ = done.send(JobDone::Profile(Box::new(finished)));
                            }
                            let (lock, cvar) = &*pending_w;
                            let mut n = lock.lock().unwrap_or_else(|e| e.into_inner());
                            *n = n.saturating_sub(1);
                            cvar.notify_all();
                            drop(n);
                            wake();
                        }
                    });
                    while let Some(job) = jobs.recv().await {
                        match job {
                            Job::Profile(job) => {
                                let _ = profile_tx.send(job);
                            }
                            Job::Export {
                                dialog,
                                fallback_dir,
                                name,
                                sample,
                                review,
                            } => {
                                let done = done_tx.clone();
                                let wake = Arc::clone(&repaint);
                                tokio::task::spawn_blocking(move || {
                                    let outcome = crate::ops::export::export_with(
                                        dialog.as_ref(),
                                        &fallback_dir,
                                        &name,
                                        &sample.rows,
                                        review.as_ref(),
                                    );
                                    let _ = done.send(JobDone::Export(outcome, sample));
                                    wake();
                                });
                            }
                            Job::PickRecordFolder {
                                dialog,
                                fallback_dir,
                                name,
                                period,
                            } => {
                                let done = done_tx.clone();
                                let wake = Arc::clone(&repaint);
                                tokio::task::spawn_blocking(move || {
                                    use crate::adapters::files::DialogOutcome;
                                    let (dir, fallback) = match dialog.pick_folder(&fallback_dir) {
                                        DialogOutcome::Chosen(dir) => (dir, None),
                                        DialogOutcome::Cancelled => {
                                            let _ = done.send(JobDone::RecordFolder(None));
                                            wake();
                                            return;
                                        }
                                        DialogOutcome::Unavailable(why) => {
                                            (fallback_dir.join(name), Some(why))
                                        }
                                    };
                                    let ask = crate::worker::protocol::RecordAsk {
                                        period,
                                        dir,
                                        fallback,
                                    };
                                    let _ = done.send(JobDone::RecordFolder(Some(ask)));
                                    wake();
                                });
                            }
                            Job::OpenFolder(dir) => {
                                tokio::task::spawn_blocking(move || {
                                    crate::adapters::files::open_folder(&dir)
                                });
                            }
                        }
                    }
                    drop(profile_tx);
                    let _ = profiles.await;
                });
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the jobs thread: {e}");
        }
        Self { tx, rx, pending }
    }

    /// Queues a job; never blocks.
    pub fn send(&self, job: Job) {
        let profile = matches!(job, Job::Profile(_));
        let (lock, _) = &*self.pending;
        if profile {
            *lock.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        }
        if self.tx.send(job).is_err() {
            if profile {
                *lock.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
            }
            tracing::error!("the jobs thread has stopped; job dropped");
        }
    }

    /// A finished job, if any.
    pub fn try_recv(&self) -> Option<JobDone> {
        self.rx.try_recv().ok()
    }

    /// Whether profile jobs are queued or running.
    pub fn busy(&self) -> bool {
        *self.pending.0.lock().unwrap_or_else(|e| e.into_inner()) > 0
    }

    /// Blocks until every profile job sent so far is done (tests only).
    pub fn wait_idle(&self, timeout: std::time::Duration) -> bool {
        crate::worker::handle::wait_until(&self.pending, timeout, |n| *n == 0)
    }
}

/// One profile job: the keyring and the file block, so the job runs on a
/// blocking thread; its connection test is awaited there.
/// `None` when it could not run (no profiles in this window, or it panicked:
/// the log says which).
async fn run_profile_job(
    manager: Option<ProfileManager>,
    job: ProfileJob,
) -> Option<ProfileJobDone> {
    let Some(manager) = manager else {
        tracing::error!("a profile job in a window without profiles; dropped");
        return None;
    };
    let handle = tokio::runtime::Handle::current();
    match tokio::task::spawn_blocking(move || handle.block_on(manager.run_job(job))).await {
        Ok(done) => Some(done),
        Err(e) => {
            tracing::error!("the profile job failed: {e}");
            None
        }
    }
}
