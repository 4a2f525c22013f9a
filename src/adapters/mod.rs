//! One module per outside thing, each behind a trait with a real implementation.

pub mod audit;
pub mod clock;
pub mod config;
pub mod env;
pub mod secrets;
pub mod store;
