//! The window's desktop notifications: each snapshot and each finished run
//! is shown to [`Notices`], and what it lets through goes to the desktop.
//! A clicked notification focuses the window on its tab.

use crate::core::notice::{Notices, Observed, OtherLever, Screen};
use crate::core::time::UtcNaive;
use crate::core::verdict::VerdictState;
use crate::gui::Tab;
use crate::gui::panels::metrics::{VerdictPrefs, snapshot_verdict};
use crate::platform::notify::Desktop;
use crate::worker::Snapshot;

/// What was told, and where to.
pub struct Alerts {
    notices: Notices,
    desktop: Desktop,
    /// The open profile's switch.
    pub on: bool,
}

impl Default for Alerts {
    fn default() -> Self {
        Self {
            notices: Notices::default(),
            desktop: Desktop::off(),
            on: true,
        }
    }
}

impl Alerts {
    /// Nothing shown yet (no desktop), with the profile's switch.
    pub fn switched(on: bool) -> Self {
        Self {
            on,
            ..Self::default()
        }
    }

    /// Shows what is told on this desktop (the platform's notifications).
    pub fn set_desktop(&mut self, desktop: Desktop) {
        self.desktop = desktop;
    }

    /// A new profile: nothing told yet, its switch.
    pub fn reset(&mut self, on: bool) {
        self.notices = Notices::default();
        self.on = on;
    }

    /// A new snapshot: its new alarms, harm and other operators' levers.
    pub fn snapshot(&mut self, s: &Snapshot, prefs: VerdictPrefs, now: UtcNaive) {
        let verdict = snapshot_verdict(s, prefs);
        let harm_line = verdict.as_ref().and_then(|v| v.estimate_text());
        let others: Vec<OtherLever<'_>> = s
            .running_elsewhere
            .iter()
            .map(|e| OtherLever {
                action_id: &e.action_id,
                operator: &e.operator,
                summary: &e.summary,
            })
            .collect();
        let asks: Vec<OtherLever<'_>> = s
            .approvals
            .iter()
            .flat_map(|read| read.0.iter())
            .filter(|r| {
                r.operator != s.operator
                    && crate::core::approval::standing(
                        r,
                        s.approvals.as_ref().map_or(&[][..], |a| &a.1[..]),
                        now,
                    ) == crate::core::approval::Standing::Waiting
                    && now - r.at < crate::core::approval::APPROVAL_TTL
            })
            .map(|r| OtherLever {
                action_id: &r.action_id,
                operator: &r.operator,
                summary: &r.plan.title,
            })
            .collect();
        let seen = Observed {
            alarms: &s.alarms,
            harm: verdict.is_some_and(|v| v.state == VerdictState::HarmDetected),
            harm_line: harm_line.as_deref(),
            others: &others,
            asks: &asks,
        };
        // Always observed, so turning notifications on later does not tell
        // what is already on screen.
        let told = self.notices.observe(&seen, now);
        if self.on {
            for n in told {
                self.desktop.notify(n);
            }
        }
    }

    /// One of this panel's runs ended; a failure is told.
    pub fn run_ended(&mut self, title: &str, failed_step: Option<String>, now: UtcNaive) {
        if let Some(step) = failed_step
            && let Some(n) = self.notices.run_failed(title, &step, now)
            && self.on
        {
            self.desktop.notify(n);
        }
    }

    /// The guard acted, would have (dry run), or is blind: one notification
    /// each time the worker asks (it asks once per event).
    pub fn guard(&mut self, title: String, body: String) {
        if self.on {
            self.desktop.notify(crate::core::notice::Notice {
                kind: crate::core::notice::NoticeKind::Guard,
                title,
                body,
                screen: crate::core::notice::Screen::Levers,
            });
        }
    }

    /// The tab a clicked notification asks for.
    pub fn clicked(&self) -> Option<Tab> {
        self.desktop.clicked().map(|s| match s {
            Screen::Metrics => Tab::Metrics,
            Screen::Levers => Tab::Levers,
            Screen::Audit => Tab::Audit,
        })
    }
}
