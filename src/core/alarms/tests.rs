//! Alarms: each fires on a fixture built to break its invariant and stays
//! quiet on a clean one.

use super::*;
use crate::core::env::{Deployment, EnvVar, ReadyState};
use crate::core::verdict::{Arm, VerdictSettings, verdict};
use chrono::NaiveDate;
use std::collections::BTreeMap;

fn at(h: u32, m: u32) -> UtcNaive {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(h, m, 0)
        .unwrap()
}

fn ws(id: &str, toggle: RevisionToggle, updated: Option<UtcNaive>) -> Workspace {
    Workspace {
        id: id.to_owned(),
        name: format!("{id} Inc"),
        toggle,
        settings_updated_at: updated,
    }
}

fn claim(id: &str, client: &str, stamp: UtcNaive) -> ClaimFact {
    ClaimFact {
        draft_id: id.to_owned(),
        client_id: client.to_owned(),
        lead_id: format!("lead-{id}"),
        revised: true,
        stamp,
        channel: "sms".to_owned(),
        iterations: None,
        max_iterations: None,
    }
}

/// Env with the revision kill switch and all auto-send as given (configured
/// at `set`), served by a deployment created at `built` that runs them.
fn env(revision: &str, all: &str, set: UtcNaive, built: UtcNaive) -> EnvSnapshot {
    let mut configured = BTreeMap::new();
    let mut built_env = BTreeMap::new();
    for (k, v) in [
        (AUTO_SEND_REVISION_DISABLED, revision),
        (AUTO_SEND_DISABLED, all),
    ] {
        configured.insert(
            k.to_owned(),
            EnvVar {
                value: Some(v.to_owned()),
                updated_at: set,
                unreadable: None,
                facts: None,
            },
        );
        built_env.insert(k.to_owned(), Some(v.to_owned()));
    }
    let d = Deployment {
        id: "dpl".into(),
        created_at: built,
        state: ReadyState::Ready,
        env: Some(built_env),
    };
    EnvSnapshot {
        configured,
        serving: Some(d.clone()),
        latest: Some(d),
        ..EnvSnapshot::default()
    }
}

fn facts<'a>(
    workspaces: &'a [Workspace],
    env: Option<&'a EnvSnapshot>,
    verified: &'a [(String, UtcNaive)],
) -> Facts<'a> {
    Facts {
        now: at(15, 0),
        window_start: at(12, 0),
        workspaces,
        env,
        verdict: None,
        canary_ids: &[],
        verified,
        grace: DEFAULT_GRACE,
        loops: &[],
    }
}

fn kinds(alarms: &[Alarm]) -> Vec<AlarmKind> {
    alarms.iter().map(|a| a.kind).collect()
}

#[test]
fn a_clean_canary_raises_nothing() {
    let w = [
        ws("a", RevisionToggle::Enabled, Some(at(12, 0))),
        ws("b", RevisionToggle::Disabled, Some(at(11, 0))),
        ws("c", RevisionToggle::NoSettingsRow, None),
    ];
    let e = env("0", "0", at(10, 0), at(10, 5));
    let claims = [claim("d1", "a", at(13, 0)), claim("d2", "a", at(14, 59))];
    assert!(evaluate(&facts(&w, Some(&e), &[]), &claims).is_empty());
}

#[test]
fn attempts_in_a_workspace_whose_toggle_is_off_fire_after_the_grace() {
    let w = [
        ws("a", RevisionToggle::Disabled, Some(at(13, 0))),
        ws("c", RevisionToggle::NoSettingsRow, None),
    ];
    let claims = [
        // 5 min after the toggle-off: a job that started before it (within
        // the 15-minute grace); 30 min after: a violation.
        claim("in-flight", "a", at(13, 5)),
        claim("late", "a", at(13, 30)),
        claim("never-on", "c", at(12, 30)),
    ];
    let alarms = evaluate(&facts(&w, None, &[]), &claims);
    assert_eq!(
        kinds(&alarms),
        vec![
            AlarmKind::AttemptWhileToggleOff,
            AlarmKind::AttemptWhileToggleOff
        ]
    );
    assert_eq!(alarms[0].draft_ids, vec!["late"]);
    assert_eq!(alarms[0].workspace_ids, vec!["a"]);
    assert_eq!(alarms[1].draft_ids, vec!["never-on"]);
    assert!(alarms[0].finding.contains("a Inc"));
    assert_eq!(alarms[0].suggested_lever, "revision-kill-switch");
    assert_eq!(alarms[0].grace_minutes, Some(15));
    assert!(
        alarms[0]
            .finding
            .contains("grace 15 min: attempts within the grace after a change are expected"),
        "{}",
        alarms[0].finding
    );
    // A profile with a 40-minute grace: the 30-minute attempt is expected.
    let mut f = facts(&w, None, &[]);
    f.grace = Duration::minutes(40);
    let alarms = evaluate(&f, &claims);
    assert!(
        alarms.iter().all(|a| a.workspace_ids != vec!["a"]),
        "{alarms:#?}"
    );
}

#[test]
fn every_draft_of_an_alarm_is_named_with_the_count() {
    let w = [ws("a", RevisionToggle::Disabled, Some(at(12, 0)))];
    for n in [60usize, 5000] {
        let claims: Vec<ClaimFact> = (0..n)
            .map(|i| claim(&format!("d{i}"), "a", at(14, 0)))
            .collect();
        let alarms = evaluate(&facts(&w, None, &[]), &claims);
        assert_eq!(alarms.len(), 1);
        assert_eq!(alarms[0].draft_count, n);
        assert_eq!(
            alarms[0].draft_ids.len(),
            n,
            "all of them, not the first 50"
        );
        assert_eq!(alarms[0].draft_ids[n - 1], format!("d{}", n - 1));
        assert!(
            alarms[0]
                .finding
                .starts_with(&format!("{n} revision attempt(s)"))
        );
    }
}

#[test]
fn attempts_after_a_live_kill_switch_or_with_auto_send_off_fire() {
    let w = [ws("a", RevisionToggle::Enabled, Some(at(11, 0)))];
    // The kill switch went live with a deployment built at 13:00; without an
    // audit record it counts as serving from 13:10 (+ 15 min grace).
    let e = env("1", "0", at(12, 55), at(13, 0));
    let claims = [
        claim("before", "a", at(13, 5)),
        claim("mid", "a", at(13, 20)),
        claim("after", "a", at(13, 30)),
    ];
    let alarms = evaluate(&facts(&w, Some(&e), &[]), &claims);
    assert_eq!(kinds(&alarms), vec![AlarmKind::AttemptAfterKillSwitch]);
    assert_eq!(alarms[0].draft_ids, vec!["after"]);
    assert_eq!(alarms[0].suggested_lever, "auto-send-kill-switch");
    // The panel's verified flip at 13:02 moves "live since" earlier.
    let verified = [("revision-kill-switch".to_owned(), at(13, 2))];
    let alarms = evaluate(&facts(&w, Some(&e), &verified), &claims);
    assert_eq!(alarms[0].draft_ids, vec!["mid", "after"]);
    // All auto-send off: any attempt after it is live.
    let e = env("0", "1", at(12, 55), at(13, 0));
    let alarms = evaluate(&facts(&w, Some(&e), &[]), &claims);
    assert_eq!(kinds(&alarms), vec![AlarmKind::AttemptWhileAutoSendOff]);
    // Configured but not live (no redeploy yet): nothing to judge.
    let mut e = env("1", "0", at(12, 55), at(13, 0));
    e.serving.as_mut().unwrap().env =
        Some([(AUTO_SEND_REVISION_DISABLED.to_owned(), Some("0".to_owned()))].into());
    assert!(evaluate(&facts(&w, Some(&e), &[]), &claims).is_empty());
}

#[test]
fn attempts_above_the_bound_fire_per_channel() {
    let w = [ws("a", RevisionToggle::Enabled, Some(at(11, 0)))];
    let mut sms = claim("sms-twice", "a", at(13, 0));
    sms.iterations = Some(1);
    let mut email_ok = claim("email-3", "a", at(13, 1));
    email_ok.channel = "email".into();
    email_ok.iterations = Some(3);
    let mut email_capped = claim("email-over-cap", "a", at(13, 2));
    email_capped.channel = "email".into();
    email_capped.iterations = Some(3);
    email_capped.max_iterations = Some(2);
    let mut single = claim("sms-once", "a", at(13, 3));
    single.iterations = Some(0);
    let alarms = evaluate(
        &facts(&w, None, &[]),
        &[sms, email_ok, email_capped, single],
    );
    assert_eq!(kinds(&alarms), vec![AlarmKind::AttemptsAboveBound]);
    assert_eq!(alarms[0].draft_ids, vec!["sms-twice", "email-over-cap"]);
}

#[test]
fn a_harmful_verdict_raises_the_needs_review_alarm() {
    let w = [ws("a", RevisionToggle::Enabled, Some(at(11, 0)))];
    let canary = ["a".to_owned()];
    let harm = verdict(
        Arm {
            evaluated: 400,
            needs_review: 160,
        },
        Arm {
            evaluated: 400,
            needs_review: 40,
        },
        Arm {
            evaluated: 4000,
            needs_review: 400,
        },
        VerdictSettings::default(),
    );
    let mut f = facts(&w, None, &[]);
    f.canary_ids = &canary;
    f.verdict = Some(&harm);
    let alarms = evaluate(&f, &[]);
    assert_eq!(kinds(&alarms), vec![AlarmKind::NeedsReviewHarm]);
    assert_eq!(alarms[0].suggested_lever, "workspace-rollback");
    assert!(
        alarms[0].finding.contains("+30.0 pp"),
        "{}",
        alarms[0].finding
    );
    let fine = verdict(
        Arm {
            evaluated: 400,
            needs_review: 40,
        },
        Arm {
            evaluated: 400,
            needs_review: 40,
        },
        Arm::default(),
        VerdictSettings::default(),
    );
    f.verdict = Some(&fine);
    assert!(evaluate(&f, &[]).is_empty());
}

#[test]
fn a_kill_switch_held_a_day_after_a_rollback_is_stale() {
    let w = [ws("a", RevisionToggle::Disabled, Some(at(9, 0)))];
    let mut f = facts(&w, None, &[]);
    // ON since yesterday 14:00, live.
    let yesterday = at(14, 0) - Duration::hours(24);
    let e = env("1", "0", yesterday, yesterday + Duration::minutes(1));
    f.env = Some(&e);
    // Deployed dark, never rolled back: that is the plan, not stale.
    assert!(evaluate(&f, &[]).is_empty());
    // After the panel's fast rollback: stale.
    let verified = [(
        "revision-kill-switch".to_owned(),
        yesterday + Duration::minutes(3),
    )];
    f.verified = &verified;
    let alarms = evaluate(&f, &[]);
    assert_eq!(kinds(&alarms), vec![AlarmKind::StaleKillSwitch]);
    assert!(alarms[0].finding.contains("25 h"), "{}", alarms[0].finding);
    // A canary held by the switch is stale too, without an audit record.
    let held = [ws("a", RevisionToggle::Enabled, Some(at(9, 0)))];
    let mut f = facts(&held, Some(&e), &[]);
    f.now = at(15, 0);
    assert_eq!(kinds(&evaluate(&f, &[])), vec![AlarmKind::StaleKillSwitch]);
}

#[test]
fn a_loop_summary_above_the_clamp_raises_the_bound_alarm_once_per_draft() {
    let w = [ws("a", RevisionToggle::Enabled, Some(at(11, 0)))];
    let mut claim_email = claim("e1", "a", at(13, 0));
    claim_email.channel = "email".into();
    claim_email.max_iterations = Some(3);
    let summary = |draft: &str, used: i64, channel: &str| LoopSummary {
        draft_id: draft.into(),
        client_id: "a".into(),
        stop_reason: "exhausted".into(),
        iterations_used: used,
        cache_hits: Some(0),
        channel: channel.into(),
        at: at(13, 1),
    };
    let loops = [
        summary("e1", 4, "email"), // 4 on a clamp of 3
        summary("e2", 3, "email"), // at the default clamp: fine
        summary("s1", 1, "sms"),   // a single pass
        summary("s2", 2, "sms"),   // twice on a single-pass channel
    ];
    let mut f = facts(&w, None, &[]);
    f.loops = &loops;
    let alarms = evaluate(&f, &[claim_email.clone()]);
    assert_eq!(kinds(&alarms), vec![AlarmKind::AttemptsAboveBound]);
    assert_eq!(alarms[0].draft_ids, vec!["e1", "s2"]);
    // Seen on the draft and in its summary: still one draft.
    claim_email.iterations = Some(4);
    let alarms = evaluate(&f, &[claim_email]);
    assert_eq!(alarms[0].draft_ids, vec!["e1", "s2"]);
    assert_eq!(alarms[0].draft_count, 2);
}

#[test]
fn the_runtime_log_alarm_holds_on_a_real_failure_rate_not_on_the_usual_few() {
    use crate::core::runtime_log::Totals;
    let ids = vec!["ws_canary".to_owned()];
    let totals = |deadline: u64, other: u64, db: u64| {
        let mut t = Totals {
            revision_loop_failed: deadline + other,
            deadline_exceeded: deadline,
            other_error: other,
            db_write_failed: db,
            ..Totals::default()
        };
        t.draft_ids.deadline_exceeded = (0..deadline).map(|i| format!("d{i}")).collect();
        t.draft_ids.other_error = (0..other).map(|i| format!("o{i}")).collect();
        t.draft_ids.db_write_failed = (0..db).map(|i| format!("w{i}")).collect();
        t
    };
    // `n` of the canary's claims in the last hour, and some that do not
    // count: another workspace's, and the canary's from before the hour.
    let now = at(12, 0);
    let attempts = |n: u32| -> Vec<ClaimFact> {
        let mut c: Vec<ClaimFact> = (0..n)
            .map(|i| claim(&format!("c{i}"), "ws_canary", at(11, i % 60)))
            .collect();
        c.extend((0..200).map(|i| claim(&format!("x{i}"), "ws_other", at(11, 30))));
        c.extend((0..200).map(|i| claim(&format!("y{i}"), "ws_canary", at(10, 30))));
        c
    };
    // The usual few: 4 timeouts of 100 attempts (the loop's budget at work).
    assert_eq!(
        log_alarm(&ids, &totals(4, 0, 0), &attempts(100), 60, now),
        None
    );
    // Many, but a small share: no alarm either.
    assert_eq!(
        log_alarm(&ids, &totals(10, 2, 0), &attempts(100), 60, now),
        None
    );
    // Half the attempts failing: the alarm names every draft.
    let a = log_alarm(&ids, &totals(20, 5, 0), &attempts(50), 60, now).expect("an alarm");
    assert_eq!(a.kind, AlarmKind::RevisionPathErrors);
    assert_eq!(a.draft_count, 25);
    assert_eq!(a.draft_ids.len(), 25);
    assert!(
        a.finding
            .contains("25 revision loops failed of 50 attempts (50 %)"),
        "{}",
        a.finding
    );
    assert_eq!(a.suggested_lever, "workspace-rollback");
    // DB writes failing: an alarm whatever the loops do.
    let a = log_alarm(&ids, &totals(0, 0, 3), &attempts(50), 60, now).expect("an alarm");
    assert_eq!(a.draft_ids, vec!["w0", "w1", "w2"]);
    assert_eq!(
        log_alarm(&ids, &totals(0, 0, 2), &attempts(50), 60, now),
        None
    );
}
