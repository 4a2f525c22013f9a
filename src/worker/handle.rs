//! The window's handle on the worker thread: send requests (never blocks),
//! drain events, and (tests, CLI) wait until the worker has caught up.

use crate::worker::WorkerConfig;
use crate::worker::jobs::LeverLane;
use crate::worker::protocol::{Event, LeverRun, Request};
use crate::worker::refresh::Worker;
use crate::worker::snapshot::Snapshot;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The worker thread has ended (a bug: it should live as long as the window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the background worker stopped unexpectedly; data is no longer refreshed. Restart the panel; the log has the cause"
)]
pub struct WorkerStopped;

/// The UI's handle on the worker.
pub struct WorkerHandle {
    tx: tokio::sync::mpsc::UnboundedSender<Request>,
    lever_tx: tokio::sync::mpsc::UnboundedSender<LeverRun>,
    rx: mpsc::Receiver<Event>,
    sent: u64,
    done: Arc<(Mutex<u64>, Condvar)>,
    levers_sent: u64,
    levers_done: Arc<(Mutex<u64>, Condvar)>,
}

/// How the worker's events reach the UI (shared with background lever runs).
pub(crate) type Emit = Arc<dyn Fn(Event) + Send + Sync>;

impl WorkerHandle {
    /// Starts the worker thread; it connects and makes a first read at once.
    /// `repaint()` is called after every event but a refresh's start
    /// (egui: `ctx.request_repaint()`): the refresh's answer wakes the window
    /// anyway, and a window that waits for a read it asked for keeps its own
    /// time.
    pub fn spawn(config: WorkerConfig, repaint: impl Fn() + Send + Sync + 'static) -> Self {
        let (tx, mut req_rx) = tokio::sync::mpsc::unbounded_channel();
        // Levers go straight to their own lane, never behind a refresh.
        let (lever_tx, lever_rx) = tokio::sync::mpsc::unbounded_channel::<LeverRun>();
        let lever_tx_w = lever_tx.clone();
        let (ev_tx, rx) = mpsc::channel();
        let spawn_failed_tx = ev_tx.clone();
        let done = Arc::new((Mutex::new(0u64), Condvar::new()));
        let done_w = Arc::clone(&done);
        let levers_done = Arc::new((Mutex::new(0u64), Condvar::new()));
        let levers_done_w = Arc::clone(&levers_done);
        let spawned = std::thread::Builder::new()
            .name("rollout-worker".into())
            .spawn(move || {
                let emit: Emit = Arc::new(move |e: Event| {
                    let wake = !matches!(e, Event::RefreshStarted);
                    // The UI may be gone; then there is nobody to tell.
                    let _ = ev_tx.send(e);
                    if wake {
                        repaint();
                    }
                });
                let mark_done = |seq: u64| mark_done(&done_w, seq);
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let snap = Snapshot::failed_to_start(format!(
                            "cannot start the worker runtime: {e}"
                        ));
                        emit(Event::Snapshot(Arc::new(snap)));
                        mark_done(u64::MAX);
                        return;
                    }
                };
                runtime.block_on(async move {
                    let running = Arc::default();
                    let lane = LeverLane::new(config.clone(), Arc::clone(&running), levers_done_w);
                    tokio::spawn(lane.run(lever_rx, Arc::clone(&emit)));
                    let mut worker = Worker::new(config.clone(), running);
                    // The guard's rollbacks go on the levers' own lane.
                    worker.guard.levers = Some(lever_tx_w.clone());
                    let mut seq = 0u64;
                    // Request 1: the initial connect and read.
                    seq += 1;
                    worker.refresh(&emit).await;
                    mark_done(seq);
                    // Another panel's audit rows arrive as notices (LISTEN):
                    // each wakes a refresh, without waiting for the poll.
                    let (live_tx, mut live_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
                    let mut live_started = false;
                    let mut ticker = config.auto_refresh.map(|every| {
                        let first = tokio::time::Instant::now() + every;
                        let mut i = tokio::time::interval_at(first, every);
                        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                        i
                    });
                    loop {
                        let tick = async {
                            match ticker.as_mut() {
                                Some(t) => {
                                    t.tick().await;
                                }
                                None => std::future::pending::<()>().await,
                            }
                        };
                        if !live_started && let Some(shared) = worker.shared_audit().await {
                            live_started = true;
                            tokio::spawn(super::live::run(shared, live_tx.clone()));
                        }
                        tokio::select! {
                            Some(()) = live_rx.recv() => {
                                // Several notices at once: one refresh. (Not a
                                // request: the request count stays the callers'.)
                                while live_rx.try_recv().is_ok() {}
                                worker.refresh(&emit).await;
                            }
                            req = req_rx.recv() => match req {
                                Some(Request::Refresh) => {
                                    seq += 1;
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::Recheck) => {
                                    seq += 1;
                                    worker.force_check = true;
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::RunLever(lever)) => {
                                    // Levers have a lane of their own (see `send`).
                                    let _ = lever_tx_w.send(*lever);
                                }
                                Some(Request::DrawSample(req)) => {
                                    seq += 1;
                                    let result = worker.draw_sample(req).await;
                                    emit(Event::Sample(result.map_err(|e| e.to_string())));
                                    mark_done(seq);
                                }
                                Some(Request::Drill(ask)) => {
                                    seq += 1;
                                    let look = matches!(ask, crate::worker::protocol::DrillAsk::Look(_));
                                    let answer = worker.drill_request(ask).await;
                                    // A look is not worth an answer or a read.
                                    if !look {
                                        emit(Event::DrillAnswer(answer));
                                        worker.refresh(&emit).await;
                                    }
                                    mark_done(seq);
                                }
                                Some(Request::WriteRecord(ask)) => {
                                    // Its own task and connections: a long
                                    // record never holds up a refresh. Its
                                    // answer is the event.
                                    seq += 1;
                                    tokio::spawn(super::record::write(
                                        config.clone(),
                                        ask,
                                        Arc::clone(&emit),
                                    ));
                                    mark_done(seq);
                                }
                                Some(Request::RecordExport { summary, detail, ok }) => {
                                    seq += 1;
                                    worker.record_export(&summary, detail, ok).await;
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::Approval(ask)) => {
                                    seq += 1;
                                    let result = worker.approval(ask).await;
                                    emit(Event::ApprovalDone(result));
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::Guard { armed, dry_run, reason }) => {
                                    seq += 1;
                                    let result = worker.set_guard(armed, dry_run, &reason).await;
                                    emit(Event::GuardSet(result));
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::Verdict(ask)) => {
                                    seq += 1;
                                    let result = worker.record_verdict(ask).await;
                                    emit(Event::VerdictDone(result));
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                Some(Request::CloseUnfinished(c)) => {
                                    seq += 1;
                                    worker.close_unfinished(&c.action_id, c.status, &c.note).await;
                                    worker.refresh(&emit).await;
                                    mark_done(seq);
                                }
                                None => break,
                            },
                            () = tick => worker.refresh(&emit).await,
                        }
                    }
                });
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the worker thread: {e}");
            let snap = Snapshot::failed_to_start(format!("cannot start the worker thread: {e}"));
            let _ = spawn_failed_tx.send(Event::Snapshot(Arc::new(snap)));
            mark_done(&done, u64::MAX);
        }
        Self {
            tx,
            lever_tx,
            rx,
            sent: 1,
            done,
            levers_sent: 0,
            levers_done,
        }
    }

    /// How many requests were sent (the first read counts as one).
    pub fn requests_sent(&self) -> u64 {
        self.sent
    }

    /// Sends a request; never blocks.
    pub fn send(&mut self, request: Request) {
        if let Request::RunLever(lever) = request {
            // The lever lane: it starts at once, whatever a refresh is doing.
            if self.lever_tx.send(*lever).is_ok() {
                self.levers_sent += 1;
            } else {
                tracing::error!("the worker has stopped; lever dropped");
            }
            return;
        }
        if self.tx.send(request).is_ok() {
            self.sent += 1;
        } else {
            tracing::error!("the worker has stopped; request dropped");
        }
    }

    /// The next event, if one is waiting; `Err(Stopped)` once the worker is
    /// gone for good (it panicked) and every event was read.
    pub fn try_recv(&self) -> Result<Option<Event>, WorkerStopped> {
        match self.rx.try_recv() {
            Ok(e) => Ok(Some(e)),
            Err(mpsc::TryRecvError::Empty) => Ok(None),
            Err(mpsc::TryRecvError::Disconnected) => Err(WorkerStopped),
        }
    }

    /// Blocks until the worker has answered every request sent so far, or the
    /// timeout passes. Returns whether it caught up. For tests and the CLI —
    /// never call it from the UI thread in the app.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let sent = self.sent;
        wait_until(&self.done, timeout, |done| *done >= sent)
    }

    /// Blocks until every lever run sent so far has ended, or the timeout
    /// passes. For tests and the CLI, like [`Self::wait_idle`].
    pub fn wait_levers(&self, timeout: Duration) -> bool {
        let sent = self.levers_sent;
        wait_until(&self.levers_done, timeout, |done| *done >= sent)
    }
}

/// Waits on a counter guarded by a condvar until `ready` holds or the
/// timeout passes; returns whether it holds.
pub(crate) fn wait_until<T>(
    pair: &(Mutex<T>, Condvar),
    timeout: Duration,
    ready: impl Fn(&T) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    let (lock, cvar) = pair;
    let mut value = lock.lock().unwrap_or_else(|e| e.into_inner());
    while !ready(&value) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        value = cvar
            .wait_timeout(value, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    true
}

/// Records that requests up to `seq` are answered and wakes `wait_idle`.
pub(crate) fn mark_done(done: &(Mutex<u64>, Condvar), seq: u64) {
    let (lock, cvar) = done;
    let mut d = lock.lock().unwrap_or_else(|e| e.into_inner());
    *d = (*d).max(seq);
    cvar.notify_all();
}
