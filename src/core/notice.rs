//! Desktop notifications (issue 18): what the panel says when it is not
//! looked at. Pure: the window feeds each snapshot's alarms, its verdict,
//! other operators' running levers and its own failed runs; this decides
//! which are new and which the rate limit lets through. A notification
//! carries a title, one line and the suggested lever: never a draft's
//! content, never a secret (it is built only from alarm findings, lever
//! titles and operator names).

use crate::core::alarms::{Alarm, AlarmKind};
use crate::core::time::UtcNaive;
use std::collections::{BTreeMap, BTreeSet};

/// One notification per kind at most this often.
pub const RATE_LIMIT: chrono::Duration = chrono::Duration::minutes(10);

/// The longest line a notification carries (the rest is on screen).
pub const MAX_BODY_CHARS: usize = 240;

/// The screen a notification's click opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The metrics (an alarm, the verdict).
    Metrics,
    /// The levers (a failed run).
    Levers,
    /// The audit log (another operator's lever).
    Audit,
}

/// What a notification is about: the rate limit holds per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoticeKind {
    /// A new invariant alarm of this kind.
    Alarm(AlarmKind),
    /// The canary verdict turned to "harm detected".
    Harm,
    /// One of this panel's lever runs failed (a failed flip, a conflict, a
    /// redeploy that did not serve).
    FailedRun,
    /// Another operator started a lever on the shared database.
    OtherOperator,
    /// Another operator asks for an approval.
    ApprovalAsked,
    /// The canary's guard rolled back, would have (dry run), or is blind.
    Guard,
}

impl NoticeKind {
    /// A stable name (logs, tests).
    pub fn name(self) -> String {
        match self {
            Self::Alarm(kind) => format!("alarm:{kind:?}"),
            Self::Harm => "harm".to_owned(),
            Self::FailedRun => "failed_run".to_owned(),
            Self::OtherOperator => "other_operator".to_owned(),
            Self::ApprovalAsked => "approval_asked".to_owned(),
            Self::Guard => "guard".to_owned(),
        }
    }
}

/// One desktop notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What it is about.
    pub kind: NoticeKind,
    /// The title.
    pub title: String,
    /// One line, and the suggested lever.
    pub body: String,
    /// The screen its click opens.
    pub screen: Screen,
}

/// Another operator's lever, as the shared table shows it.
#[derive(Clone, Copy, Debug)]
pub struct OtherLever<'a> {
    /// The action id (each one is told once).
    pub action_id: &'a str,
    /// Who runs it.
    pub operator: &'a str,
    /// The lever's title.
    pub summary: &'a str,
}

/// What one snapshot shows.
#[derive(Clone, Copy, Debug)]
pub struct Observed<'a> {
    /// The invariant alarms firing now.
    pub alarms: &'a [Alarm],
    /// Whether the canary verdict is "harm detected".
    pub harm: bool,
    /// The harm finding, for the line.
    pub harm_line: Option<&'a str>,
    /// Other operators' levers running now.
    pub others: &'a [OtherLever<'a>],
    /// Other operators' requests for an approval, still waiting.
    pub asks: &'a [OtherLever<'a>],
}

/// What was already told, and when each kind last was.
#[derive(Debug, Default)]
pub struct Notices {
    last_sent: BTreeMap<NoticeKind, UtcNaive>,
    alarms_firing: BTreeSet<String>,
    harm: bool,
    others_seen: BTreeSet<String>,
    /// Notices the rate limit held back (counted for the log).
    pub held_back: u64,
}

/// The lever a CLI name stands for, for people.
pub fn lever_label(name: &str) -> &str {
    match name {
        "workspace-rollback" => "roll the workspace back (Levers tab)",
        "revision-kill-switch" => "revision kill switch ON (Levers tab)",
        "auto-send-kill-switch" => "disable all auto-send (Levers tab)",
        "canary-enable" => "enable the canary (Levers tab)",
        other => other,
    }
}

/// One line: printable, at most [`MAX_BODY_CHARS`] characters.
fn line(text: &str) -> String {
    let clean = crate::core::text::printable(text).replace('\n', " ");
    if clean.chars().count() <= MAX_BODY_CHARS {
        return clean;
    }
    let mut cut: String = clean.chars().take(MAX_BODY_CHARS - 1).collect();
    cut.push('…');
    cut
}

impl Notices {
    /// Whether the rate limit lets a notice of `kind` through now (and, if
    /// so, counts it as sent).
    fn allow(&mut self, kind: NoticeKind, now: UtcNaive) -> bool {
        match self.last_sent.get(&kind) {
            Some(at) if now - *at < RATE_LIMIT && now >= *at => {
                self.held_back += 1;
                false
            }
            _ => {
                self.last_sent.insert(kind, now);
                true
            }
        }
    }

    /// The notices a new snapshot calls for: each alarm that was not firing
    /// in the last one, the verdict turning to harm, another operator's
    /// lever not seen before; one per kind per [`RATE_LIMIT`].
    pub fn observe(&mut self, seen: &Observed<'_>, now: UtcNaive) -> Vec<Notice> {
        let mut out = Vec::new();
        let firing: BTreeSet<String> = seen.alarms.iter().map(|a| a.id.clone()).collect();
        for alarm in seen.alarms {
            if self.alarms_firing.contains(&alarm.id) {
                continue;
            }
            let kind = NoticeKind::Alarm(alarm.kind);
            if self.allow(kind, now) {
                out.push(Notice {
                    kind,
                    title: format!("Alarm: {}", alarm_title(alarm.kind)),
                    body: line(&if alarm.suggested_lever.is_empty() {
                        alarm.finding.clone()
                    } else {
                        format!(
                            "{} — suggested: {}",
                            alarm.finding,
                            lever_label(&alarm.suggested_lever)
                        )
                    }),
                    screen: Screen::Metrics,
                });
            }
        }
        self.alarms_firing = firing;
        if seen.harm && !self.harm && self.allow(NoticeKind::Harm, now) {
            out.push(Notice {
                kind: NoticeKind::Harm,
                title: "Canary verdict: harm detected".to_owned(),
                body: line(&format!(
                    "{} — suggested: {}",
                    seen.harm_line
                        .unwrap_or("the canary's needs_review share is above its baseline"),
                    lever_label("workspace-rollback")
                )),
                screen: Screen::Metrics,
            });
        }
        self.harm = seen.harm;
        for other in seen.others {
            if !self.others_seen.insert(other.action_id.to_owned()) {
                continue;
            }
            if self.allow(NoticeKind::OtherOperator, now) {
                out.push(Notice {
                    kind: NoticeKind::OtherOperator,
                    title: format!("Lever running by {}", line(other.operator)),
                    body: line(other.summary),
                    screen: Screen::Audit,
                });
            }
        }
        for ask in seen.asks {
            if !self.others_seen.insert(ask.action_id.to_owned()) {
                continue;
            }
            if self.allow(NoticeKind::ApprovalAsked, now) {
                out.push(Notice {
                    kind: NoticeKind::ApprovalAsked,
                    title: format!("Approval asked by {}", line(ask.operator)),
                    body: line(&format!(
                        "{} — approve it from the Levers tab (or not)",
                        ask.summary
                    )),
                    screen: Screen::Levers,
                });
            }
        }
        out
    }

    /// The notice of one of this panel's runs that failed: its title and the
    /// step that failed.
    pub fn run_failed(&mut self, title: &str, failed_step: &str, now: UtcNaive) -> Option<Notice> {
        self.allow(NoticeKind::FailedRun, now).then(|| Notice {
            kind: NoticeKind::FailedRun,
            title: "Lever FAILED".to_owned(),
            body: line(&format!(
                "{title}: {failed_step} — look at the Levers tab; roll back at the next level if needed"
            )),
            screen: Screen::Levers,
        })
    }
}

/// An alarm kind's title.
pub fn alarm_title(kind: AlarmKind) -> &'static str {
    match kind {
        AlarmKind::AttemptWhileToggleOff => "revision while the toggle is off",
        AlarmKind::AttemptAfterKillSwitch => "revision after the kill switch",
        AlarmKind::AttemptWhileAutoSendOff => "revision while auto-send is off",
        AlarmKind::AttemptsAboveBound => "more attempts than allowed",
        AlarmKind::NeedsReviewHarm => "needs_review above baseline",
        AlarmKind::StaleKillSwitch => "kill switch held too long",
        AlarmKind::ChangedOutsidePanel => "changed outside the panel",
        AlarmKind::RevisionPathErrors => "revision path errors (runtime logs)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> UtcNaive {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            + chrono::Duration::minutes(min)
    }

    fn alarm(id: &str, kind: AlarmKind) -> Alarm {
        Alarm {
            id: id.to_owned(),
            kind,
            workspace_ids: vec!["c1".to_owned()],
            draft_ids: vec!["draft-secret-id".to_owned()],
            draft_count: 1,
            grace_minutes: None,
            finding: "1 revision attempt(s) in Acme while its toggle is OFF".to_owned(),
            suggested_lever: "revision-kill-switch".to_owned(),
        }
    }

    fn seen<'a>(alarms: &'a [Alarm], others: &'a [OtherLever<'a>], harm: bool) -> Observed<'a> {
        Observed {
            alarms,
            harm,
            harm_line: None,
            others,
            asks: &[],
        }
    }

    #[test]
    fn a_new_alarm_is_told_once_and_its_kind_at_most_every_ten_minutes() {
        let mut n = Notices::default();
        let a = [alarm("toggle-off:c1", AlarmKind::AttemptWhileToggleOff)];
        let first = n.observe(&seen(&a, &[], false), at(0));
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].screen, Screen::Metrics);
        assert!(first[0].body.contains("suggested: revision kill switch ON"));
        assert!(!first[0].body.contains("draft-secret-id"));
        // Still firing: not new.
        assert!(n.observe(&seen(&a, &[], false), at(1)).is_empty());
        // Another alarm of the same kind 5 minutes later: held back.
        let b = [
            a[0].clone(),
            alarm("toggle-off:c2", AlarmKind::AttemptWhileToggleOff),
        ];
        assert!(n.observe(&seen(&b, &[], false), at(5)).is_empty());
        assert_eq!(n.held_back, 1);
        // Another kind at the same time: told.
        let c = [
            b[0].clone(),
            b[1].clone(),
            alarm("bound", AlarmKind::AttemptsAboveBound),
        ];
        assert_eq!(n.observe(&seen(&c, &[], false), at(5)).len(), 1);
        // The first alarm clears and fires again 11 minutes after it was told.
        assert!(n.observe(&seen(&[], &[], false), at(6)).is_empty());
        assert_eq!(n.observe(&seen(&a, &[], false), at(11)).len(), 1);
    }

    #[test]
    fn harm_is_told_when_it_starts_and_another_operator_once_per_action() {
        let mut n = Notices::default();
        assert_eq!(
            n.observe(&seen(&[], &[], true), at(0))[0].kind,
            NoticeKind::Harm
        );
        assert!(n.observe(&seen(&[], &[], true), at(1)).is_empty());
        let o = [OtherLever {
            action_id: "a1",
            operator: "alice@host",
            summary: "Revision kill switch ON",
        }];
        let told = n.observe(&seen(&[], &o, false), at(2));
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].title, "Lever running by alice@host");
        assert_eq!(told[0].screen, Screen::Audit);
        assert!(n.observe(&seen(&[], &o, false), at(30)).is_empty());
        // A request for an approval: told once, on the Levers tab.
        let asks = [OtherLever {
            action_id: "r1",
            operator: "bob@host",
            summary: "Expand revision to 2 workspace(s): A, B",
        }];
        let mut with_ask = seen(&[], &[], false);
        with_ask.asks = &asks;
        let told = n.observe(&with_ask, at(31));
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].title, "Approval asked by bob@host");
        assert_eq!(told[0].screen, Screen::Levers);
        assert!(n.observe(&with_ask, at(45)).is_empty());
    }

    #[test]
    fn a_failed_run_is_rate_limited_and_long_lines_are_cut() {
        let mut n = Notices::default();
        let long = "x".repeat(1000);
        let told = n.run_failed("Kill switch ON", &long, at(0)).unwrap();
        assert_eq!(told.body.chars().count(), MAX_BODY_CHARS);
        assert!(told.body.ends_with('…'));
        assert!(n.run_failed("again", "y", at(9)).is_none());
        assert!(n.run_failed("again", "y", at(10)).is_some());
    }
}
