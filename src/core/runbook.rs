//! The Phase 116e runbook's stages, and which one production is in.

use crate::core::env::{FlagState, Live};
use serde::Serialize;

/// Where the rollout stands, derived from what is live and what is enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Stage {
    /// Not enough is known yet (no env read, or nothing serving).
    Unknown,
    /// All auto-send is live OFF (the last-resort rollback).
    AutoSendOff,
    /// A kill-switch change is configured but not yet live: a redeploy is owed.
    AwaitingRedeploy,
    /// Revision kill switch live ON and no workspace enabled: deployed dark.
    Dark,
    /// Kill switch live ON while workspaces are enabled: revision is held back
    /// (a canary about to start, or the fast rollback in effect).
    HeldByKillSwitch,
    /// Kill switch live OFF and exactly one workspace enabled: watch it.
    Canary,
    /// Kill switch live OFF and several workspaces enabled.
    Expanded,
    /// Kill switch live OFF and no workspace enabled (the workspace-level rollback).
    NoWorkspaceEnabled,
}

impl Stage {
    /// The label the top bar shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::AutoSendOff => "all auto-send off (full rollback)",
            Self::AwaitingRedeploy => "kill-switch change awaits a redeploy",
            Self::Dark => "deployed dark (step 2)",
            Self::HeldByKillSwitch => "revision held by the kill switch",
            Self::Canary => "canary running (step 4: watch)",
            Self::Expanded => "expanded beyond one workspace",
            Self::NoWorkspaceEnabled => "kill switch off, no workspace enabled",
        }
    }

    /// Derives the stage from the two kill switches and the number of workspaces
    /// whose toggle is on.
    pub fn derive(revision: &FlagState, auto_send: &FlagState, enabled_workspaces: usize) -> Self {
        if auto_send.live == Live::Known(true) {
            return Self::AutoSendOff;
        }
        if revision.live == Live::Unknown || auto_send.live == Live::Unknown {
            return Self::Unknown;
        }
        if !revision.is_settled() || !auto_send.is_settled() {
            return Self::AwaitingRedeploy;
        }
        match (revision.live, enabled_workspaces) {
            (Live::Known(true), 0) => Self::Dark,
            (Live::Known(true), _) => Self::HeldByKillSwitch,
            (_, 0) => Self::NoWorkspaceEnabled,
            (_, 1) => Self::Canary,
            _ => Self::Expanded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED};

    fn flag(key: &'static str, configured_on: bool, live: Live) -> FlagState {
        FlagState {
            key,
            configured_value: Some(if configured_on { "1" } else { "0" }.into()),
            configured_on,
            live,
        }
    }

    fn stage(rev: (bool, Live), all: (bool, Live), enabled: usize) -> Stage {
        Stage::derive(
            &flag(AUTO_SEND_REVISION_DISABLED, rev.0, rev.1),
            &flag(AUTO_SEND_DISABLED, all.0, all.1),
            enabled,
        )
    }

    #[test]
    fn derives_each_stage() {
        let off = (false, Live::Known(false));
        let on = (true, Live::Known(true));
        assert_eq!(stage(on, off, 0), Stage::Dark);
        assert_eq!(stage(on, off, 1), Stage::HeldByKillSwitch);
        assert_eq!(
            stage((false, Live::Known(true)), off, 1),
            Stage::AwaitingRedeploy
        );
        assert_eq!(
            stage((false, Live::AwaitingRedeploy), off, 1),
            Stage::AwaitingRedeploy
        );
        assert_eq!(
            stage(off, (true, Live::Known(false)), 1),
            Stage::AwaitingRedeploy
        );
        assert_eq!(stage(off, off, 1), Stage::Canary);
        assert_eq!(stage(off, off, 3), Stage::Expanded);
        assert_eq!(stage(off, off, 0), Stage::NoWorkspaceEnabled);
        assert_eq!(stage(off, on, 1), Stage::AutoSendOff);
        assert_eq!(stage((true, Live::Unknown), off, 0), Stage::Unknown);
    }
}
