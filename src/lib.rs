//! rollout-panel: a native control panel for shipping the ZRG Dashboard's
//! auto-send revision safely.
//!
//! The crate is split the way data flows; imports go one way only
//! (core ← adapters ← demo ← ops ← {worker, cli} ← gui; platform is used by all
//! but core):
//! - [`core`]: rules only (no IO, no egui, no async, no clock reads).
//! - [`adapters`]: the outside world, one trait and its real implementation each
//!   (the database store, the env source, the audit log, secrets, config, files, clock).
//! - [`demo`]: the embedded rehearsal world (a production-shaped SQLite DB, its
//!   env source, a simulator).
//! - [`ops`]: what an operator can do, shared by the window and the CLI;
//!   [`ops::session`] is the one place that tells the demo from production.
//! - [`worker`]: the window's IO on its own thread; requests in, events out.
//! - [`cli`]: the subcommands, each computing a report that one printer renders.
//! - [`gui`]: egui only; draws a snapshot of state and returns commands.
//! - [`platform`]: folders, logs and crash reports, desktop integration, the
//!   one-window lock.

#![warn(missing_docs)]

pub mod adapters;
pub mod cli;
pub mod core;
pub mod demo;
pub mod gui;
pub mod ops;
pub mod platform;
pub mod worker;
