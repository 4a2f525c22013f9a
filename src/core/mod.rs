//! Pure domain logic: no IO, no egui. Everything here is unit-tested.

pub mod alarms;
pub mod approval;
pub mod dburl;
pub mod drill;
pub mod env;
pub mod export;
pub mod guard;
pub mod health;
pub mod lever;
pub mod metrics;
pub mod notice;
pub mod outside;
pub mod profile;
pub mod readiness;
pub mod record;
pub mod redact;
pub mod review;
pub mod runbook;
pub mod runtime_log;
pub mod schema;
pub mod secret;
pub mod text;
pub mod time;
pub mod trust;
pub mod verdict;
pub mod workspace;
