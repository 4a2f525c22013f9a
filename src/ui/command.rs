//! Every user action, in one place: its label, tooltip, shortcut and whether
//! it is guarded (changes production and needs a confirm dialog).

use egui::{Key, KeyboardShortcut, Modifiers};
use serde::{Deserialize, Serialize};

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
}

impl Tab {
    /// All tabs in display order.
    pub const ALL: [Tab; 5] = [
        Tab::Readiness,
        Tab::Levers,
        Tab::Metrics,
        Tab::Drafts,
        Tab::Audit,
    ];

    /// The tab's name.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Readiness => "Readiness",
            Tab::Levers => "Levers",
            Tab::Metrics => "Metrics",
            Tab::Drafts => "Drafts",
            Tab::Audit => "Audit",
        }
    }

    fn key(self) -> Key {
        match self {
            Tab::Readiness => Key::Num1,
            Tab::Levers => Key::Num2,
            Tab::Metrics => Key::Num3,
            Tab::Drafts => Key::Num4,
            Tab::Audit => Key::Num5,
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

/// A user action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
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
}

impl Command {
    /// Commands that have a keyboard shortcut.
    pub fn with_shortcuts() -> Vec<Command> {
        let mut v = vec![Command::Refresh, Command::Recheck];
        v.extend(Tab::ALL.map(Command::ShowTab));
        v
    }

    /// The label on its button or menu entry.
    pub fn label(self) -> String {
        match self {
            Command::Refresh => "Refresh".to_owned(),
            Command::Recheck => "Re-check".to_owned(),
            Command::ShowTab(tab) => tab.label().to_owned(),
            Command::SetWindow(w) => w.label().to_owned(),
            Command::ShowAbout => "About".to_owned(),
        }
    }

    /// What it does, for the tooltip.
    pub fn tooltip(self) -> &'static str {
        match self {
            Command::Refresh => {
                "Read the database and the env now instead of waiting for the next poll"
            }
            Command::Recheck => {
                "Run the readiness checklist now (it also runs on its own every minute)"
            }
            Command::ShowTab(Tab::Readiness) => "The environment checklist: is production ready?",
            Command::ShowTab(Tab::Levers) => "Enable the canary and roll back at the right level",
            Command::ShowTab(Tab::Metrics) => {
                "Revision attempts and applies, live, canary against the rest"
            }
            Command::ShowTab(Tab::Drafts) => "Sampled revised drafts and the CSV export",
            Command::ShowTab(Tab::Audit) => "Every action taken from this panel",
            Command::SetWindow(_) => "How far back the plots reach",
            Command::ShowAbout => {
                "Version, git commit, where the panel keeps its files, the keyring in use"
            }
        }
    }

    /// Its keyboard shortcut.
    pub fn shortcut(self) -> Option<KeyboardShortcut> {
        match self {
            Command::Refresh => Some(KeyboardShortcut::new(Modifiers::NONE, Key::F5)),
            Command::Recheck => Some(KeyboardShortcut::new(Modifiers::NONE, Key::F6)),
            Command::ShowTab(tab) => Some(KeyboardShortcut::new(Modifiers::COMMAND, tab.key())),
            Command::SetWindow(_) | Command::ShowAbout => None,
        }
    }

    /// The tooltip with the shortcut appended.
    pub fn tooltip_with_shortcut(self, ctx: &egui::Context) -> String {
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
        let all = Command::with_shortcuts();
        let shortcuts: Vec<_> = all.iter().filter_map(|c| c.shortcut()).collect();
        assert_eq!(shortcuts.len(), all.len());
        for (i, a) in shortcuts.iter().enumerate() {
            for b in &shortcuts[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn windows_bin_evenly() {
        for w in MetricsWindow::ALL {
            assert_eq!(w.minutes() as usize % w.bin_minutes(), 0, "{w:?}");
        }
    }
}
