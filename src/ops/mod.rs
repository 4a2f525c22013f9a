//! What an operator can do, shared by the window's worker and the command
//! line: no egui, no clap. [`session`] opens a profile (the one place that
//! tells the demo from production); the rest work on what a session gives.

pub mod export;
pub mod levers;
pub mod metrics;
pub mod profiles;
pub mod readiness;
pub mod record;
pub mod recorded;
pub mod runtime_logs;
pub mod session;
