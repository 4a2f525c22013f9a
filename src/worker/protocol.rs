//! What the window and the worker say to each other: requests in, events out.

use crate::adapters::audit::EntryStatus;
use crate::core::lever::{Plan, RunReport, StepReport};
use crate::ops::export::{Sample, SampleRequest};
use crate::worker::snapshot::Snapshot;
use std::sync::Arc;

/// A request from the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Read everything now (in demo mode, first let the simulated app run up to now).
    Refresh,
    /// Read everything and run the readiness checklist now.
    Recheck,
    /// Run a confirmed lever plan in the background; refreshes go on meanwhile.
    RunLever(Box<LeverRun>),
    /// End an interrupted action (an intent without a result) without
    /// changing anything, with the operator's note and the state they saw.
    CloseUnfinished(Closing),
    /// Draw a sample of revised drafts (the Drafts tab).
    DrawSample(SampleRequest),
    /// Ask for a second operator's approval, or give one.
    Approval(ApprovalAsk),
    /// Arm or disarm the guard of the canary (an audited action).
    Guard {
        /// Arm (true) or disarm.
        armed: bool,
        /// Dry run: record what it would roll back, write nothing.
        dry_run: bool,
        /// Why (the audit log's reason).
        reason: String,
    },
    /// Record a quality-review verdict on a sampled draft (an audited action).
    Verdict(VerdictAsk),
    /// Write the rollout record into a folder (on a task of its own, with
    /// its own connections: refreshes go on meanwhile).
    WriteRecord(RecordAsk),
    /// A drill on the demo: start, abandon, what the window shows, a fault
    /// switch (each answered by [`Event::DrillAnswer`]).
    Drill(DrillAsk),
    /// Record a finished export in the audit log (who, what, how many, where;
    /// never the content).
    RecordExport {
        /// One line.
        summary: String,
        /// Rows, seed, window, file.
        detail: serde_json::Value,
        /// Whether it was written.
        ok: bool,
    },
}

/// What the Rehearsal panel (or `drill run`) asks of the demo world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DrillAsk {
    /// Start drill `number`, its fault at a random minute within `within`.
    Start {
        /// The drill's number.
        number: u8,
        /// The window of its fault.
        within: chrono::Duration,
        /// The random number that places the fault (`None`: drawn now).
        pick: Option<u64>,
    },
    /// Give the running drill up: scored as abandoned.
    Abandon,
    /// The window shows this tab from now on (the score's first look).
    Look(String),
    /// Throw a fault switch of the demo world, as `demo fault …` does.
    Fault {
        /// Which.
        fault: crate::demo::FaultSwitch,
        /// On or off.
        on: bool,
    },
}

/// A rollout record to write (the Audit tab).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordAsk {
    /// Its period.
    pub period: crate::ops::record::Period,
    /// The folder (chosen in the dialog, or the fallback).
    pub dir: std::path::PathBuf,
    /// Why the folder is the fallback one, if it is (no dialog could be shown).
    pub fallback: Option<String>,
}

/// A rollout record written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordDone {
    /// The folder.
    pub dir: std::path::PathBuf,
    /// What was written, and what it did without.
    pub written: crate::ops::record::Written,
    /// Why the folder is the fallback one, if it is.
    pub fallback: Option<String>,
}

/// A reviewer's verdict on one sampled draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictAsk {
    /// `AIDraft.id`.
    pub draft_id: String,
    /// Pass or fail.
    pub pass: bool,
    /// Why it fails (required on a fail).
    pub reason: Option<crate::core::review::FailReason>,
    /// The reviewer's note (may be empty).
    pub note: String,
    /// The sample's seed.
    pub seed: u64,
}

/// An approval asked for or given from this panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApprovalAsk {
    /// Ask every panel on the database for a second operator's approval.
    Request {
        /// The plan as confirmed.
        plan: Box<Plan>,
        /// Why.
        reason: String,
    },
    /// Approve another operator's request.
    Approve {
        /// The request's action id.
        request_id: String,
        /// Why.
        reason: String,
    },
}

/// An interrupted action to close without changing anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closing {
    /// The interrupted action.
    pub action_id: String,
    /// `Abandoned` (given up) or `Ok` (found already done).
    pub status: EntryStatus,
    /// Why, for the audit log.
    pub note: String,
}

/// A confirmed lever, as the UI hands it to the worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeverRun {
    /// The UI's number for this run (progress events carry it).
    pub run: u64,
    /// The plan the operator confirmed (its before values are what they saw).
    pub plan: Plan,
    /// Why (the audit log's reason).
    pub reason: String,
    /// An interrupted action this run finishes: it gets a result pointing
    /// here once this run ends.
    pub finishes: Option<String>,
}

/// A message from the worker.
#[derive(Clone, Debug)]
pub enum Event {
    /// A read started (the UI shows a spinner).
    RefreshStarted,
    /// A read finished; the new state of everything.
    Snapshot(Arc<Snapshot>),
    /// A lever run's step moved (running, done or failed).
    LeverStep {
        /// The UI's run number.
        run: u64,
        /// The step.
        step: StepReport,
    },
    /// A sample was drawn (or could not be).
    Sample(Result<Arc<Sample>, String>),
    /// A lever run ended; `Err` = it could not start or be audited.
    LeverDone {
        /// The UI's run number.
        run: u64,
        /// Its report.
        result: Result<RunReport, String>,
    },
    /// An approval was asked for or given (`Ok` says what), or not (`Err` says why).
    ApprovalDone(Result<String, String>),
    /// The guard was armed or disarmed (`Ok` says what), or not (`Err` says why).
    GuardSet(Result<String, String>),
    /// A verdict was recorded (what was written), or why not.
    VerdictDone(Result<String, String>),
    /// A drill request was done (what), or refused (why).
    DrillAnswer(Result<String, String>),
    /// The rollout record was written, or why not.
    RecordWritten(Result<RecordDone, String>),
    /// The guard acted, would have acted (dry run), or is blind: one
    /// desktop notification.
    Guard {
        /// The title.
        title: String,
        /// One line: what fired, what was rolled back, verified or not, the
        /// suggested next lever.
        body: String,
    },
}
