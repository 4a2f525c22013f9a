//! rollout-panel: a native control panel for shipping the ZRG Dashboard's
//! auto-send revision safely.
//!
//! The crate is split the way data flows:
//! - [`core`]: pure domain logic (no IO, no egui): schema variants, kill-switch
//!   semantics, runbook stages, metric series.
//! - [`adapters`]: one module per outside thing (databases, clock), each behind a trait.
//! - [`demo`]: the embedded rehearsal world (a production-shaped SQLite DB and a simulator).
//! - [`worker`]: owns a tokio runtime on its own thread and all IO; talks to the UI
//!   through requests and events.
//! - [`ui`] and [`app`]: egui only; draw a snapshot of state and return commands.

#![warn(missing_docs)]

pub mod adapters;
pub mod app;
pub mod checks;
pub mod cli;
pub mod core;
pub mod demo;
pub mod desktop;
pub mod diagnostics;
pub mod export;
pub mod instance;
pub mod levers;
pub mod metrics_report;
pub mod paths;
pub mod profiles;
pub mod ui;
pub mod worker;
