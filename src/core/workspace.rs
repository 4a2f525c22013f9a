//! Workspaces (the app's `Client` rows) and their revision toggle.

use crate::core::time::UtcNaive;
use serde::{Deserialize, Serialize};

/// `WorkspaceSettings.autoSendRevisionEnabled` as the panel sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RevisionToggle {
    /// The row exists and the toggle is on.
    Enabled,
    /// The row exists and the toggle is off.
    Disabled,
    /// No `WorkspaceSettings` row: the app treats revision as disabled.
    NoSettingsRow,
    /// The column does not exist (schema V0).
    ColumnMissing,
}

impl RevisionToggle {
    /// Whether the app would let this workspace revise (contract §3.1 gate 4).
    pub fn is_on(self) -> bool {
        self == Self::Enabled
    }

    /// Short text for tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Enabled => "ON",
            Self::Disabled => "OFF",
            Self::NoSettingsRow => "OFF (no settings row)",
            Self::ColumnMissing => "unknown (column missing)",
        }
    }
}

/// The outcome of a compare-and-set toggle write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ToggleWrite {
    /// Written and read back.
    Written {
        /// The `updatedAt` it now carries.
        updated_at: UtcNaive,
    },
    /// Someone changed it first (or the write did not stick): nothing was
    /// overwritten; this is what is there now.
    Conflict {
        /// The toggle as it is now.
        found: RevisionToggle,
        /// Its `updatedAt`, when the row exists.
        updated_at: Option<UtcNaive>,
    },
}

/// A workspace with its toggle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workspace {
    /// `Client.id`.
    pub id: String,
    /// `Client.name`.
    pub name: String,
    /// The revision toggle.
    pub toggle: RevisionToggle,
    /// `WorkspaceSettings.updatedAt`, when the row exists.
    pub settings_updated_at: Option<UtcNaive>,
}

/// The workspaces whose id or exact name is `wanted` (how the command line
/// and the levers name a workspace), or an error that lists the names.
pub fn matching<'a>(
    workspaces: &'a [Workspace],
    wanted: &str,
) -> Result<Vec<&'a Workspace>, String> {
    let found: Vec<&Workspace> = workspaces
        .iter()
        .filter(|w| w.id == wanted || w.name == wanted)
        .collect();
    if found.is_empty() {
        let names: Vec<&str> = workspaces.iter().map(|w| w.name.as_str()).collect();
        return Err(format!(
            "no workspace {wanted:?}; the workspaces are: {}",
            names.join(", ")
        ));
    }
    Ok(found)
}

/// The first workspace whose id or exact name is `wanted` (see [`matching`]).
pub fn find<'a>(workspaces: &'a [Workspace], wanted: &str) -> Result<&'a Workspace, String> {
    matching(workspaces, wanted).map(|found| found[0])
}

/// The admin page's 72-hour numbers for one workspace (contract §3.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RevisionCounts {
    /// Claim stamps in the window.
    pub attempted: u64,
    /// The same, with `autoSendRevisionApplied = true`.
    pub applied: u64,
}

impl RevisionCounts {
    /// The admin page's rate: `round(applied / attempted × 100)%`, "-" when nothing was attempted.
    pub fn applied_rate_label(&self) -> String {
        if self.attempted == 0 {
            "-".to_owned()
        } else {
            let pct = (self.applied as f64 / self.attempted as f64 * 100.0).round();
            format!("{pct:.0}%")
        }
    }

    /// Adds another count.
    pub fn add(&mut self, other: RevisionCounts) {
        self.attempted += other.attempted;
        self.applied += other.applied;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applied_rate_matches_the_admin_page() {
        let c = |attempted, applied| RevisionCounts { attempted, applied };
        assert_eq!(c(0, 0).applied_rate_label(), "-");
        assert_eq!(c(3, 1).applied_rate_label(), "33%");
        assert_eq!(c(3, 2).applied_rate_label(), "67%");
        assert_eq!(c(8, 1).applied_rate_label(), "13%"); // 12.5 rounds half away from zero
        assert_eq!(c(4, 4).applied_rate_label(), "100%");
    }

    #[test]
    fn only_an_existing_enabled_row_is_on() {
        assert!(RevisionToggle::Enabled.is_on());
        for t in [
            RevisionToggle::Disabled,
            RevisionToggle::NoSettingsRow,
            RevisionToggle::ColumnMissing,
        ] {
            assert!(!t.is_on());
        }
    }
}
