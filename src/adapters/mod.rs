//! One module per outside thing, each behind a trait with a real implementation.

pub mod audit;
pub mod clock;
pub mod config;
pub mod deadline;
pub mod env;
pub mod files;
pub mod plots;
pub mod secrets;
pub mod store;
