//! The worker: a thread that owns a tokio runtime and all of the window's IO.
//!
//! The UI sends [`Request`]s and never waits; the worker answers with
//! [`Event`]s and wakes the UI with `request_repaint`. Every read has a
//! deadline, so a slow or dead database shows up as an error with the data's
//! age, never as a frozen window. It reads everything through one
//! [`Session`](crate::ops::session::Session).
//!
//! - [`handle`]: the UI's side (send, drain, wait in tests);
//! - [`protocol`]: the requests and events;
//! - [`snapshot`]: what the UI draws;
//! - `refresh`: the worker's state and its reads;
//! - `jobs`: lever runs on their own tasks.

mod approvals;
pub mod drill;
pub mod guard;
pub mod handle;
pub mod jobs;
mod live;
pub mod protocol;
mod record;
mod refresh;
mod review;
pub mod snapshot;

pub use crate::ops::session::Target;
pub use handle::{WorkerHandle, WorkerStopped};
pub use protocol::{ApprovalAsk, Closing, Event, LeverRun, RecordAsk, RecordDone, Request};
pub use refresh::{CHECK_TIMEOUT, COUNTS_EVERY, RECHECK_EVERY, read_db_once, read_history_piece};
pub use snapshot::{CanaryArms, Health, Snapshot};

use crate::adapters::clock::Clock;
use crate::ops::levers::Waits;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

impl WorkerConfig {
    /// A session on the target with this config's clock, deadline and
    /// audit log (the refresh's, the lever lane's, the record's: each its
    /// own connections).
    pub(crate) fn session(&self) -> crate::ops::session::Session {
        crate::ops::session::Session::open(
            self.target.clone(),
            crate::ops::session::SessionOptions {
                clock: Arc::clone(&self.clock),
                connect_timeout: self.read_timeout,
                audit_path: self.audit_path.clone(),
            },
        )
    }
}

/// How the worker runs.
#[derive(Clone)]
pub struct WorkerConfig {
    /// What to connect to.
    pub target: Target,
    /// The clock (tests drive it by hand).
    pub clock: Arc<dyn Clock>,
    /// Refresh on its own this often; `None` = only on request (tests).
    pub auto_refresh: Option<Duration>,
    /// The deadline of every database or env read.
    pub read_timeout: Duration,
    /// The local audit log to show (`None` = none).
    pub audit_path: Option<PathBuf>,
    /// How lever runs wait for a redeploy.
    pub waits: Waits,
}
