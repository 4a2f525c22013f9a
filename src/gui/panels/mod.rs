//! The window's panels: each draws a snapshot of state and returns what the
//! user asked for. No IO here.

pub mod audit;
pub mod drafts;
pub mod health;
pub mod levers;
pub mod metrics;
pub mod metrics_tables;
pub mod plot_parts;
pub mod profiles;
pub mod readiness;
pub mod rehearsal;
pub mod review;
pub mod top_bar;
