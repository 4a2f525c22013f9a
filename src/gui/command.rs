//! Every user action, in one place: its label, tooltip, shortcut and whether
//! it is guarded (changes production and needs a confirm dialog). Every panel
//! returns [`AppCommand`]s; the app applies them after drawing.

use crate::adapters::audit::EntryStatus;
use crate::ops::export::{Sample, SampleRequest};
use crate::ops::profiles::ProfileJob;
use crate::worker::{ApprovalAsk, Closing, LeverRun};
use egui::{Key, KeyboardShortcut, Modifiers};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// The five screens of DESIGN.md.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// The environment checklist.
    Readiness,
    /// The guarded levers.
    Levers,
    /// Live revision metrics.
    #[default]
    Metrics,
    /// Sampled revised drafts.
    Drafts,
    /// The audit log.
    Audit,
    /// Drills and fault switches on the demo world.
    Rehearsal,
}

impl Tab {
    /// All tabs in display order.
    pub const ALL: [Tab; 6] = [
        Tab::Readiness,
        Tab::Levers,
        Tab::Metrics,
        Tab::Drafts,
        Tab::Audit,
        Tab::Rehearsal,
    ];

    /// The tab's name.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Readiness => "Readiness",
            Tab::Levers => "Levers",
            Tab::Metrics => "Metrics",
            Tab::Drafts => "Drafts",
            Tab::Audit => "Audit",
            Tab::Rehearsal => "Rehearsal",
        }
    }

    fn key(self) -> Key {
        match self {
            Tab::Readiness => Key::Num1,
            Tab::Levers => Key::Num2,
            Tab::Metrics => Key::Num3,
            Tab::Drafts => Key::Num4,
            Tab::Audit => Key::Num5,
            Tab::Rehearsal => Key::Num6,
        }
    }
}

/// The time window of the metrics plots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetricsWindow {
    /// The last hour.
    #[default]
    Hour1,
    /// The last 6 hours.
    Hours6,
    /// The last 24 hours.
    Hours24,
    /// The last 72 hours (the admin page's window).
    Hours72,
}

impl MetricsWindow {
    /// All windows in display order.
    pub const ALL: [MetricsWindow; 4] = [Self::Hour1, Self::Hours6, Self::Hours24, Self::Hours72];

    /// "1 h", "6 h", …
    pub fn label(self) -> &'static str {
        match self {
            Self::Hour1 => "1 h",
            Self::Hours6 => "6 h",
            Self::Hours24 => "24 h",
            Self::Hours72 => "72 h",
        }
    }

    /// Length in minutes.
    pub fn minutes(self) -> i64 {
        match self {
            Self::Hour1 => 60,
            Self::Hours6 => 360,
            Self::Hours24 => 1440,
            Self::Hours72 => 4320,
        }
    }

    /// Minutes per plotted point: long windows are binned for drawing (the
    /// numbers are still computed from every minute).
    pub fn bin_minutes(self) -> usize {
        match self {
            Self::Hour1 => 1,
            Self::Hours6 => 2,
            Self::Hours24 => 5,
            Self::Hours72 => 15,
        }
    }
}

/// A user action: everything a panel, a shortcut or a menu can ask for.
#[derive(Clone, Debug)]
pub enum AppCommand {
    /// Read everything now.
    Refresh,
    /// Run the readiness checklist now.
    Recheck,
    /// Switch screen.
    ShowTab(Tab),
    /// Change the metrics window.
    SetWindow(MetricsWindow),
    /// Show the About dialog.
    ShowAbout,
    /// Open the Profiles window.
    ShowProfiles,
    /// Switch the panel to this profile.
    OpenProfile(String),
    /// A Profiles-window job (save, secrets, connection test, remove).
    ProfileJob(ProfileJob),
    /// Run a lever plan the operator confirmed in its dialog.
    RunLever(Box<LeverRun>),
    /// End an interrupted action without changing anything.
    CloseUnfinished(Closing),
    /// Ask for, or give, a second operator's approval.
    Approval(ApprovalAsk),
    /// Arm or disarm the canary's guard (an audited action).
    Guard {
        /// Arm (true) or disarm.
        armed: bool,
        /// Dry run: it records what it would roll back, writes nothing.
        dry_run: bool,
        /// Why.
        reason: String,
    },
    /// Draw a sample of revised drafts (the Drafts tab).
    DrawSample(SampleRequest),
    /// Export a sample as CSV (save dialog, atomic write, audit).
    Export {
        /// The rows.
        sample: Arc<Sample>,
        /// The default file name.
        name: String,
        /// The review's verdicts on the sample (their columns are added).
        review: Option<crate::core::export::Review>,
    },
    /// Open a folder in the desktop's file manager.
    OpenFolder(PathBuf),
    /// Record a quality-review verdict on a sampled draft (audited).
    RecordVerdict(crate::worker::protocol::VerdictAsk),
    /// A drill or a fault switch on the demo world (the Rehearsal tab).
    Drill(crate::worker::protocol::DrillAsk),
    /// Write the rollout record of this period (the folder dialog, then the
    /// files).
    WriteRecord(crate::ops::record::Period),
}

impl AppCommand {
    /// Commands that have a keyboard shortcut.
    pub fn with_shortcuts() -> Vec<AppCommand> {
        let mut v = vec![AppCommand::Refresh, AppCommand::Recheck];
        v.extend(Tab::ALL.map(AppCommand::ShowTab));
        v
    }

    /// The label on its button or menu entry.
    pub fn label(&self) -> String {
        match self {
            Self::Refresh => "Refresh".to_owned(),
            Self::Recheck => "Re-check".to_owned(),
            Self::ShowTab(tab) => tab.label().to_owned(),
            Self::SetWindow(w) => w.label().to_owned(),
            Self::ShowAbout => "About".to_owned(),
            Self::ShowProfiles => "Profiles…".to_owned(),
            Self::OpenProfile(name) => name.clone(),
            Self::ProfileJob(_) => "Profile change".to_owned(),
            Self::RunLever(run) => format!("{}…", run.plan.title),
            Self::CloseUnfinished(c) if c.status == EntryStatus::Abandoned => "Abandon".to_owned(),
            Self::CloseUnfinished(_) => "Finish…".to_owned(),
            Self::Approval(ApprovalAsk::Request { .. }) => "Request approval".to_owned(),
            Self::Approval(ApprovalAsk::Approve { .. }) => "Approve".to_owned(),
            Self::Guard { armed: true, .. } => "Arm the guard".to_owned(),
            Self::Guard { armed: false, .. } => "Disarm the guard".to_owned(),
            Self::DrawSample(_) => "Resample".to_owned(),
            Self::Export { .. } => "Export CSV…".to_owned(),
            Self::OpenFolder(_) => "Open folder".to_owned(),
            Self::RecordVerdict(v) if v.pass => "Pass".to_owned(),
            Self::RecordVerdict(_) => "Fail".to_owned(),
            Self::WriteRecord(_) => "Write the rollout record…".to_owned(),
            Self::Drill(_) => "Drill".to_owned(),
        }
    }

    /// What it does, for the tooltip.
    pub fn tooltip(&self) -> &'static str {
        match self {
            Self::Refresh => {
                "Read the database and the env now instead of waiting for the next poll"
            }
            Self::Recheck => {
                "Run the readiness checklist now (it also runs on its own every minute)"
            }
            Self::ShowTab(Tab::Readiness) => "The environment checklist: is production ready?",
            Self::ShowTab(Tab::Levers) => "Enable the canary and roll back at the right level",
            Self::ShowTab(Tab::Metrics) => {
                "Revision attempts and applies, live, canary against the rest"
            }
            Self::ShowTab(Tab::Drafts) => "Sampled revised drafts and the CSV export",
            Self::ShowTab(Tab::Audit) => "Every action taken from this panel",
            Self::ShowTab(Tab::Rehearsal) => {
                "Rehearse on the demo world: fault switches and scored incident drills"
            }
            Self::Drill(_) => "Start or end a drill, or throw a fault switch, on the demo world",
            Self::SetWindow(_) => "How far back the plots reach",
            Self::ShowAbout => {
                "Version, git commit, where the panel keeps its files, the keyring in use"
            }
            Self::ShowProfiles => "Add, edit, test and remove profiles and their secrets",
            Self::OpenProfile(_) => "Switch the panel to this profile",
            Self::ProfileJob(_) => "Change a profile or its secrets (runs in the background)",
            Self::RunLever(_) => "Run the confirmed plan: audited, each step read back",
            Self::CloseUnfinished(c) if c.status == EntryStatus::Abandoned => {
                "Close it in the audit log as abandoned; nothing changes in production"
            }
            Self::CloseUnfinished(_) => "Close the interrupted action: its changes are found done",
            Self::Approval(ApprovalAsk::Request { .. }) => {
                "Ask a second operator to approve this lever from their own panel (an approval counts 15 min)"
            }
            Self::Approval(ApprovalAsk::Approve { .. }) => {
                "Approve another operator's lever (audited; it counts 15 min; rollbacks never need one)"
            }
            Self::Guard { armed: true, .. } => {
                "The panel rolls the canary workspace(s) back itself when a rule holds on two reads 30 s apart; it never pulls a kill switch or turns anything on (audited)"
            }
            Self::Guard { armed: false, .. } => {
                "Stop the guard: the panel only tells you, it no longer rolls back (audited)"
            }
            Self::DrawSample(_) => "Draw a new sample of revised drafts",
            Self::Export { .. } => "Save the sample as CSV through the native save dialog",
            Self::OpenFolder(_) => "Open the folder in the file manager",
            Self::RecordVerdict(_) => {
                "Record your verdict on this draft (audited; other reviewers on this database see it)"
            }
            Self::WriteRecord(_) => {
                "Write rollout-record.md and its plots (SVG and PNG) into a folder you choose: the runbook's headings, who did what when, the canary's numbers; never a draft's content or a secret"
            }
        }
    }

    /// Its keyboard shortcut.
    pub fn shortcut(&self) -> Option<KeyboardShortcut> {
        match self {
            Self::Refresh => Some(KeyboardShortcut::new(Modifiers::NONE, Key::F5)),
            Self::Recheck => Some(KeyboardShortcut::new(Modifiers::NONE, Key::F6)),
            Self::ShowTab(tab) => Some(KeyboardShortcut::new(Modifiers::COMMAND, tab.key())),
            _ => None,
        }
    }

    /// Whether it changes production (it only comes from a confirm dialog).
    pub fn guarded(&self) -> bool {
        matches!(self, Self::RunLever(_))
    }

    /// The tooltip with the shortcut appended.
    pub fn tooltip_with_shortcut(&self, ctx: &egui::Context) -> String {
        match self.shortcut() {
            Some(s) => format!("{} ({})", self.tooltip(), ctx.format_shortcut(&s)),
            None => self.tooltip().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_unique() {
        let all = AppCommand::with_shortcuts();
        let shortcuts: Vec<_> = all.iter().filter_map(|c| c.shortcut()).collect();
        assert_eq!(shortcuts.len(), all.len());
        for (i, a) in shortcuts.iter().enumerate() {
            for b in &shortcuts[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn only_lever_runs_are_guarded() {
        assert!(!AppCommand::Refresh.guarded());
        assert!(AppCommand::with_shortcuts().iter().all(|c| !c.guarded()));
    }

    #[test]
    fn windows_bin_evenly() {
        for w in MetricsWindow::ALL {
            assert_eq!(w.minutes() as usize % w.bin_minutes(), 0, "{w:?}");
        }
    }
}
