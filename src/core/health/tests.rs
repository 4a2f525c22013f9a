use super::*;
use chrono::NaiveDate;

fn at(h: u32, m: u32, s: u32) -> UtcNaive {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .and_then(|d| d.and_hms_opt(h, m, s))
        .expect("a valid time")
}

fn claim(id: &str, lead: &str, channel: &str, stamp: UtcNaive, revised: bool) -> ClaimFact {
    ClaimFact {
        draft_id: id.to_owned(),
        client_id: "w".to_owned(),
        lead_id: lead.to_owned(),
        revised,
        stamp,
        channel: channel.to_owned(),
        iterations: None,
        max_iterations: Some(3),
    }
}

fn call(lead: &str, at: UtcNaive, error: bool) -> ReviseCall {
    ReviseCall {
        lead_id: lead.to_owned(),
        at,
        error,
        runner_retry: false,
    }
}

fn summary(draft: &str, stop: &str, used: i64) -> LoopSummary {
    LoopSummary {
        draft_id: draft.to_owned(),
        client_id: "w".to_owned(),
        stop_reason: stop.to_owned(),
        iterations_used: used,
        cache_hits: Some(0),
        channel: "email".to_owned(),
        at: at(10, 2, 0),
    }
}

fn problem_of(h: &Health, id: &str) -> Option<Problem> {
    h.problems
        .iter()
        .find(|p| p.draft_id == id)
        .map(|p| p.problem)
}

#[test]
fn a_reviser_failure_is_one_problem_even_when_the_loop_also_errs_and_nothing_was_revised() {
    let claims = [claim("d1", "l1", "email", at(10, 0, 0), false)];
    let loops = [summary("d1", "error", 1)];
    let rows = PathRows {
        calls: Some(vec![call("l1", at(10, 0, 20), true)]),
        loop_errors: Some(vec![LoopError {
            draft_id: "d1".into(),
            iteration: 1,
        }]),
    };
    let h = judge(&claims, &loops, &rows, at(11, 0, 0));
    assert_eq!(h.problems.len(), 1, "{h:?}");
    assert_eq!(h.counts(), [1, 0, 0, 0]);
    assert_eq!(
        h.problems[0].detail,
        "1 auto_send.revise error(s); loop_error in iteration 1"
    );
}

#[test]
fn a_loop_error_artifact_alone_is_a_reviser_failure() {
    let claims = [claim("d1", "l1", "email", at(10, 0, 0), false)];
    let rows = PathRows {
        calls: Some(Vec::new()),
        loop_errors: Some(vec![LoopError {
            draft_id: "d1".into(),
            iteration: 2,
        }]),
    };
    let h = judge(&claims, &[], &rows, at(11, 0, 0));
    assert_eq!(problem_of(&h, "d1"), Some(Problem::ReviserFailure));
}

#[test]
fn timeouts_and_errors_of_the_loop_count_once_and_explain_a_missing_confidence() {
    let claims = [
        claim("t1", "l1", "email", at(10, 0, 0), true),
        claim("t2", "l2", "email", at(10, 1, 0), false),
        claim("ok", "l3", "email", at(10, 2, 0), true),
    ];
    let loops = [
        summary("t1", "timeout", 2),
        summary("t2", "error", 1),
        summary("ok", "threshold_met", 1),
    ];
    let rows = PathRows {
        calls: Some(vec![
            call("l1", at(10, 0, 10), false),
            call("l1", at(10, 0, 40), false),
            call("l2", at(10, 1, 10), false),
            call("l3", at(10, 2, 10), false),
        ]),
        loop_errors: Some(Vec::new()),
    };
    let h = judge(&claims, &loops, &rows, at(11, 0, 0));
    assert_eq!(problem_of(&h, "t1"), Some(Problem::LoopTimeout));
    // t2 has no revised confidence: it is the timeout, not also stuck.
    assert_eq!(problem_of(&h, "t2"), Some(Problem::LoopTimeout));
    assert_eq!(problem_of(&h, "ok"), None);
    assert_eq!(h.counts(), [0, 2, 0, 0]);
}

#[test]
fn repeated_attempts_are_judged_against_the_clamp_in_force() {
    let mut email_clamp_2 = claim("e2", "l1", "email", at(10, 0, 0), true);
    email_clamp_2.max_iterations = Some(2);
    let claims = [
        claim("e4", "l0", "email", at(9, 59, 0), true), // summary: 4 on a clamp of 3
        email_clamp_2,                                  // 3 calls on a clamp of 2
        claim("e3", "l2", "email", at(10, 1, 0), true), // 3 calls on 3: fine
        claim("s2", "l3", "sms", at(10, 2, 0), true),   // 2 calls on sms (one pass)
        claim("s1", "l4", "sms", at(10, 3, 0), true),   // 1 call and a runner retry: fine
    ];
    let loops = [summary("e4", "exhausted", 4)];
    let mut retry = call("l4", at(10, 3, 30), false);
    retry.runner_retry = true;
    let rows = PathRows {
        calls: Some(vec![
            call("l1", at(10, 0, 5), false),
            call("l1", at(10, 0, 15), false),
            call("l1", at(10, 0, 25), false),
            call("l2", at(10, 1, 5), false),
            call("l2", at(10, 1, 15), false),
            call("l2", at(10, 1, 25), false),
            call("l3", at(10, 2, 5), false),
            call("l3", at(10, 9, 5), false), // a job retry re-entered the reviser
            call("l4", at(10, 3, 5), false),
            retry,
        ]),
        loop_errors: Some(Vec::new()),
    };
    let h = judge(&claims, &loops, &rows, at(11, 0, 0));
    assert_eq!(problem_of(&h, "e4"), Some(Problem::RepeatedAttempts));
    assert_eq!(problem_of(&h, "e2"), Some(Problem::RepeatedAttempts));
    assert_eq!(problem_of(&h, "e3"), None);
    assert_eq!(problem_of(&h, "s2"), Some(Problem::RepeatedAttempts));
    assert_eq!(problem_of(&h, "s1"), None);
    let e2 = h.problems.iter().find(|p| p.draft_id == "e2").expect("e2");
    assert_eq!(e2.detail, "3 attempts on a clamp of 2 (email)");
}

#[test]
fn rows_belong_to_the_latest_claim_of_their_lead_within_the_attribution_time() {
    // One lead claimed twice: the second claim's error is not the first's.
    let claims = [
        claim("a", "l1", "sms", at(10, 0, 0), true),
        claim("b", "l1", "sms", at(10, 10, 0), true),
        claim("c", "l2", "sms", at(10, 0, 0), true),
    ];
    let rows = PathRows {
        calls: Some(vec![
            call("l1", at(10, 0, 5), false),
            call("l1", at(10, 10, 5), true),
            // 31 minutes after c's claim: no longer c's.
            call("l2", at(10, 31, 0), true),
            // Before any claim of its lead: nobody's.
            call("l2", at(9, 0, 0), true),
        ]),
        loop_errors: Some(Vec::new()),
    };
    let h = judge(&claims, &[], &rows, at(11, 0, 0));
    assert_eq!(problem_of(&h, "a"), None);
    assert_eq!(problem_of(&h, "b"), Some(Problem::ReviserFailure));
    assert_eq!(problem_of(&h, "c"), None);
}

#[test]
fn stuck_is_what_nothing_else_explains_and_only_after_the_stuck_time() {
    let claims = [
        claim("old", "l1", "sms", at(10, 0, 0), false),
        claim("young", "l2", "sms", at(10, 57, 0), false),
    ];
    let rows = PathRows {
        calls: None,
        loop_errors: None,
    };
    let h = judge(&claims, &[], &rows, at(11, 0, 0));
    assert_eq!(problem_of(&h, "old"), Some(Problem::Stuck));
    assert_eq!(problem_of(&h, "young"), None);
    assert_eq!(
        h.unreadable_note().as_deref(),
        Some(
            "not readable in this database, so not counted: AIInteraction (reviser errors and repeated calls), DraftPipelineArtifact (loop_error)"
        )
    );
}

#[test]
fn the_bins_hold_each_draft_once_at_its_claim() {
    let claims = [
        claim("a", "l1", "sms", at(10, 0, 10), false),
        claim("b", "l2", "sms", at(10, 1, 50), false),
        claim("c", "l3", "sms", at(10, 2, 0), false),
    ];
    let rows = PathRows {
        calls: Some(vec![call("l3", at(10, 2, 1), true)]),
        loop_errors: Some(Vec::new()),
    };
    let h = judge(&claims, &[], &rows, at(11, 0, 0));
    let minutes = [at(10, 0, 0), at(10, 2, 0), at(10, 4, 0)];
    let bins = h.binned(&minutes, 2);
    assert_eq!(bins, vec![[0, 0, 0, 2], [1, 0, 0, 0], [0, 0, 0, 0]]);
    let total: u64 = bins.iter().flatten().sum();
    assert_eq!(total as usize, h.problems.len());
    assert_eq!(h.between(at(10, 1, 0), at(10, 3, 0)).problems.len(), 2);
}

#[test]
fn runner_retries_are_recognised_by_their_prompt_key() {
    assert!(ReviseCall::is_runner_retry(Some(
        "auto_send.revise.v3.retry2"
    )));
    assert!(!ReviseCall::is_runner_retry(Some("auto_send.revise.v3")));
    assert!(!ReviseCall::is_runner_retry(Some("auto_send.retry")));
    assert!(!ReviseCall::is_runner_retry(None));
}

#[test]
fn the_logs_link_uses_slugs_and_names_or_asks_for_them() {
    assert_eq!(
        vercel_logs_url(Some("zrg"), "zrg-dashboard"),
        "https://vercel.com/zrg/zrg-dashboard/logs?searchQuery=Revision+loop+failed"
    );
    // A team id or a project id is not a dashboard path: Vercel's picker asks.
    assert_eq!(
        vercel_logs_url(Some("team_abc"), "zrg-dashboard"),
        "https://vercel.com/d?to=%2F%5Bteam%5D%2Fzrg-dashboard%2Flogs%3FsearchQuery%3DRevision%2Bloop%2Bfailed"
    );
    assert_eq!(
        vercel_logs_url(None, "prj_123"),
        "https://vercel.com/d?to=%2F%5Bteam%5D%2F%5Bproject%5D%2Flogs%3FsearchQuery%3DRevision%2Bloop%2Bfailed"
    );
    assert_eq!(
        vercel_logs_command(Some("zrg"), "zrg-dashboard"),
        "vercel logs --project zrg-dashboard --scope zrg --query \"Revision loop failed\" --since 1h"
    );
}

#[test]
fn calls_two_claims_of_one_lead_could_own_are_not_repeats_of_either() {
    // An email loop (3 calls) still running when the same lead's SMS draft
    // is claimed: its last call falls after the SMS claim.
    let claims = [
        claim("email", "l1", "email", at(10, 0, 0), true),
        claim("sms", "l1", "sms", at(10, 0, 12), true),
    ];
    let rows = PathRows {
        calls: Some(vec![
            call("l1", at(10, 0, 4), false),
            call("l1", at(10, 0, 9), false),
            call("l1", at(10, 0, 13), false),
            call("l1", at(10, 0, 20), false),
        ]),
        loop_errors: Some(Vec::new()),
    };
    let h = judge(&claims, &[], &rows, at(11, 0, 0));
    assert!(h.problems.is_empty(), "{h:?}");
    // An ambiguous error is still one failure, of the latest claim.
    let rows = PathRows {
        calls: Some(vec![call("l1", at(10, 0, 20), true)]),
        loop_errors: Some(Vec::new()),
    };
    let h = judge(&claims, &[], &rows, at(11, 0, 0));
    assert_eq!(h.counts(), [1, 0, 0, 0]);
    assert_eq!(problem_of(&h, "sms"), Some(Problem::ReviserFailure));
}
