//! What the panel needs from the machine it runs on: its folders, logs and
//! crash reports, desktop integration, and the one-window-per-profile lock.

pub mod desktop;
pub mod diagnostics;
pub mod instance;
pub mod memory;
pub mod notify;
pub mod paths;
pub mod private;
