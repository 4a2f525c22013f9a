//! The record's Markdown: one function per runbook heading, tables in
//! GitHub's syntax, every outside text through [`inline`].

use super::{Action, EXHAUSTION_CRITERION, ReadinessSource, Record, Step, inline, pct, span, when};
use crate::core::lever::ReadinessMark;
use crate::core::metrics::MinuteStats;
use crate::core::time::UtcNaive;
use crate::core::verdict::{Arm, pp};
use std::fmt::Write as _;

fn row(out: &mut String, cells: &[String]) {
    out.push('|');
    for c in cells {
        let c = if c.is_empty() { " " } else { c.as_str() };
        let _ = write!(out, " {c} |");
    }
    out.push('\n');
}

fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    row(
        out,
        &head.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
    );
    row(
        out,
        &head.iter().map(|_| "---".to_owned()).collect::<Vec<_>>(),
    );
    for r in rows {
        row(out, r);
    }
    out.push('\n');
}

fn opt_when(t: Option<UtcNaive>) -> String {
    t.map_or_else(|| "–".to_owned(), when)
}

fn count(x: u64) -> String {
    x.to_string()
}

fn stats_rows(label: &str, s: &MinuteStats) -> Vec<String> {
    vec![
        inline(label),
        count(s.attempted),
        count(s.applied),
        pct(s.applied_rate()),
        count(s.evaluated),
        count(s.needs_review),
        pct(s.needs_review_share()),
        count(s.ai_errors),
        count(s.stuck),
    ]
}

const STATS_HEAD: [&str; 9] = [
    "",
    "Attempted",
    "Applied",
    "Applied rate",
    "Evaluated",
    "needs_review",
    "needs_review share",
    "AI errors",
    "Stuck",
];

fn action_rows(actions: &[&Action]) -> Vec<Vec<String>> {
    actions
        .iter()
        .map(|a| {
            vec![
                a.number.to_string(),
                inline(&a.lever),
                inline(&a.operator),
                when(a.confirmed),
                opt_when(a.ended_at),
                a.took().map_or_else(|| "–".to_owned(), span),
                a.ended.label().to_owned(),
                inline(&a.workspaces.join(", ")),
                inline(&a.reason),
            ]
        })
        .collect()
}

const ACTION_HEAD: [&str; 9] = [
    "#",
    "Lever",
    "Operator",
    "Confirmed",
    "Result",
    "Confirm → verified",
    "Outcome",
    "Workspaces",
    "Reason",
];

/// The record as CommonMark (GitHub tables), deterministic.
pub fn markdown(r: &Record) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Rollout record: {}\n", inline(&r.profile));
    let _ = writeln!(
        o,
        "Written {} UTC by {} from the audit log and the database of the profile {}, over {} to {} UTC ({}). All times are UTC. It names people, workspaces and draft ids, never a draft's content, a reviewer's note or a secret.\n",
        when(r.written_at),
        inline(&r.written_by),
        inline(&r.profile),
        when(r.period.0),
        when(r.period.1),
        inline(&r.period_label),
    );
    if r.left_out > 0 {
        let _ = writeln!(
            o,
            "{} entries of the shared audit table in the period are not verified (unsigned, not in its chain, or by a key outside the roster) and are left out.\n",
            r.left_out
        );
    }
    prerequisites(&mut o, r);
    dark_deploy(&mut o, r);
    canary(&mut o, r);
    watch(&mut o, r);
    rollbacks(&mut o, r);
    day_review(&mut o, r);
    quality(&mut o, r);
    handoff(&mut o, r);
    appendix(&mut o, r);
    o
}

const READINESS_HEAD: [&str; 3] = ["Item", "Status", "Finding"];

/// The smoke items (`smoke`) or all the others, as table rows.
fn readiness_rows(items: &[ReadinessMark], smoke: bool) -> Vec<Vec<String>> {
    items
        .iter()
        .filter(|i| i.id.starts_with("smoke.") == smoke)
        .map(|i| vec![inline(&i.id), i.status.clone(), inline(&i.finding)])
        .collect()
}

fn prerequisites(o: &mut String, r: &Record) {
    o.push_str("## 1. Prerequisites\n\n");
    let (source, items) = &r.readiness;
    match source {
        ReadinessSource::Recorded {
            number,
            lever,
            at,
            operator,
        } => {
            let _ = writeln!(
                o,
                "The readiness results recorded with action {number} ({}, by {} at {}).\n",
                inline(lever),
                inline(operator),
                when(*at)
            );
        }
        ReadinessSource::Now { at } => {
            let _ = writeln!(
                o,
                "No lever of the period recorded readiness results: this is a check run as the record was written, at {}.\n",
                when(*at)
            );
        }
        ReadinessSource::Unavailable { why } => {
            let _ = writeln!(
                o,
                "No lever of the period recorded readiness results, and no check could run now: {}.\n",
                inline(why)
            );
        }
    }
    if !items.is_empty() {
        table(o, &READINESS_HEAD, &readiness_rows(items, false));
    }
}

fn dark_deploy(o: &mut String, r: &Record) {
    o.push_str("## 2. Dark deploy and smoke\n\n");
    match &r.env_now {
        Ok(lines) => {
            o.push_str("The kill switches as read when the record was written:\n\n");
            for l in lines {
                let _ = writeln!(o, "- {}", inline(l));
            }
            o.push('\n');
        }
        Err(why) => {
            let _ = writeln!(
                o,
                "The kill switches could not be read when the record was written: {}.\n",
                inline(why)
            );
        }
    }
    let smoke = readiness_rows(&r.readiness.1, true);
    if smoke.is_empty() {
        o.push_str("No smoke results were recorded.\n\n");
    } else {
        o.push_str("Smoke, with the prerequisites above:\n\n");
        table(o, &READINESS_HEAD, &smoke);
    }
    let switches: Vec<&Action> = r
        .actions
        .iter()
        .filter(|a| a.step == Step::KillSwitch)
        .collect();
    if switches.is_empty() {
        o.push_str("No kill switch was pulled or restored in the period.\n\n");
    } else {
        o.push_str("Kill switches in the period:\n\n");
        table(o, &ACTION_HEAD, &action_rows(&switches));
    }
}

fn canary(o: &mut String, r: &Record) {
    o.push_str("## 3. Canary\n\n");
    let enables: Vec<&Action> = r
        .actions
        .iter()
        .filter(|a| a.step == Step::Canary)
        .collect();
    if enables.is_empty() {
        o.push_str("No canary was enabled in the period.\n\n");
        return;
    }
    let rows: Vec<Vec<String>> = enables
        .iter()
        .map(|a| {
            vec![
                a.number.to_string(),
                inline(&a.workspaces.join(", ")),
                inline(&a.operator),
                when(a.confirmed),
                opt_when(a.ended_at),
                a.ended.label().to_owned(),
                inline(&a.reason),
                inline(a.approved_by.as_deref().unwrap_or("none")),
            ]
        })
        .collect();
    table(
        o,
        &[
            "#",
            "Workspace",
            "Enabled by",
            "Confirmed",
            "Result",
            "Outcome",
            "Reason",
            "Approved by",
        ],
        &rows,
    );
}

fn watch(o: &mut String, r: &Record) {
    o.push_str("## 4. The watch\n\n");
    match &r.watch {
        None => {
            o.push_str("No canary was enabled in the period, so there is no canary to compare.\n\n")
        }
        Some(w) => {
            let ended = match w.ended_by {
                Some(n) => format!("ended by action {n}"),
                None => "still on when the record was written".to_owned(),
            };
            let _ = writeln!(
                o,
                "The canary {} from {} to {} ({}, {ended}).\n",
                inline(&w.workspaces.join(", ")),
                when(w.start),
                when(w.end),
                span(w.end - w.start)
            );
            let arm = |label: &str, a: &Arm| {
                vec![
                    label.to_owned(),
                    count(a.evaluated),
                    count(a.needs_review),
                    pct(a.share()),
                ]
            };
            let (after, before, others) = &w.arms;
            table(
                o,
                &["Arm", "Evaluated", "needs_review", "Share"],
                &[
                    arm("The canary since it started", after),
                    arm("The canary before it started (same length)", before),
                    arm("The other workspaces, same period", others),
                ],
            );
            let v = &w.verdict;
            let estimate = v
                .estimate_text()
                .map_or_else(String::new, |e| format!(": {e}"));
            let _ = writeln!(
                o,
                "Verdict at its end: **{}**{estimate}; tolerance {}, α {}.\n",
                v.state.label(),
                pp(v.settings.tolerance),
                v.settings.alpha
            );
        }
    }
    o.push_str("Totals over the period:\n\n");
    table(
        o,
        &STATS_HEAD,
        &[
            stats_rows("Canary", &r.totals.0),
            stats_rows("Every other workspace", &r.totals.1),
        ],
    );
    o.push_str("### Alarms\n\n");
    if r.alarms.is_empty() {
        o.push_str("No alarm over the period.\n\n");
    } else {
        let rows: Vec<Vec<String>> = r
            .alarms
            .iter()
            .map(|a| {
                vec![
                    inline(&a.id),
                    a.drafts.to_string(),
                    opt_when(a.span.map(|s| s.0)),
                    opt_when(a.span.map(|s| s.1)),
                    inline(&a.finding),
                ]
            })
            .collect();
        o.push_str("First and last are its drafts' first and last revision claims.\n\n");
        table(o, &["Alarm", "Drafts", "First", "Last", "Finding"], &rows);
    }
    o.push_str("### Revision-path errors\n\n");
    let rows: Vec<Vec<String>> = r
        .problems
        .iter()
        .map(|(label, c, rest)| vec![(*label).to_owned(), c.to_string(), rest.to_string()])
        .collect();
    table(o, &["Problem (database)", "Canary", "Rest"], &rows);
    if let Some(note) = &r.problems_note {
        let _ = writeln!(o, "{}.\n", inline(note));
    }
    o.push_str("The runtime logs (`deadline_exceeded`, failed DB writes) are not part of the record: Vercel keeps them for hours, not days. The guard's findings from them are in the audit above.\n\n");
    o.push_str("### Plots\n\n");
    o.push_str("A numbered line marks each audited action of the period (the numbers of sections 3 and 5 and the appendix).\n\n");
    for p in &r.plots {
        let _ = writeln!(o, "![{}]({}.svg)\n", inline(&p.title), p.stem);
        let _ = writeln!(o, "The same as [PNG]({}.png).\n", p.stem);
    }
}

fn rollbacks(o: &mut String, r: &Record) {
    o.push_str("## 5. Rollbacks and expansions\n\n");
    let acts: Vec<&Action> = r
        .actions
        .iter()
        .filter(|a| {
            matches!(a.step, Step::Rollback | Step::Expansion)
                || (a.step == Step::KillSwitch && a.on == Some(true))
        })
        .collect();
    if acts.is_empty() {
        o.push_str("No rollback or expansion in the period.\n\n");
    } else {
        table(o, &ACTION_HEAD, &action_rows(&acts));
    }
}

fn day_review(o: &mut String, r: &Record) {
    o.push_str("## 6. The 24 h review\n\n");
    let d = &r.day;
    let _ = writeln!(
        o,
        "From {} to {}{}.\n",
        when(d.from),
        when(d.to),
        if d.complete {
            ""
        } else {
            " (the 24 hours have not passed yet: the numbers so far)"
        }
    );
    if d.rows.is_empty() {
        o.push_str("No workspace had activity.\n\n");
        return;
    }
    let rows: Vec<Vec<String>> = d.rows.iter().map(|(n, s)| stats_rows(n, s)).collect();
    let mut head = STATS_HEAD;
    head[0] = "Workspace";
    table(o, &head, &rows);
}

fn quality(o: &mut String, r: &Record) {
    o.push_str("## 7. The quality review\n\n");
    let Some(q) = &r.quality else {
        o.push_str("No quality verdict was recorded in the period.\n\n");
        return;
    };
    let _ = writeln!(
        o,
        "**{}.** Judged by {} between {} and {}.\n",
        inline(&q.outcome.headline()),
        inline(&q.reviewers.join(", ")),
        when(q.span.0),
        when(q.span.1)
    );
    if q.outcome.failures.is_empty() {
        o.push_str("No draft failed.\n\n");
    } else {
        let rows: Vec<Vec<String>> = q
            .outcome
            .failures
            .iter()
            .map(|(reason, ids)| {
                vec![
                    reason.label().to_owned(),
                    ids.len().to_string(),
                    inline(&ids.join(", ")),
                ]
            })
            .collect();
        table(o, &["Failure reason", "Drafts", "Draft ids"], &rows);
    }
}

fn handoff(o: &mut String, r: &Record) {
    o.push_str("## 8. Handoff\n\n");
    o.push_str(
        "What the data shows, for whoever tunes the revision next (observations, not advice):\n\n",
    );
    match r.loops.as_ref() {
        Some(l) if l.total > 0 => {
            let n = l.by_reason.get("exhausted").copied().unwrap_or(0);
            let share = l.exhaustion().unwrap_or(0.0);
            let side = if share < EXHAUSTION_CRITERION {
                "below"
            } else {
                "at or above"
            };
            let _ = writeln!(
                o,
                "- Loop exhaustion: {n} of {} loops stopped `exhausted` ({}), {side} the Phase 123 criterion of < 50 %.",
                l.total,
                pct(Some(share))
            );
            let reasons: Vec<String> = l
                .by_reason
                .iter()
                .map(|(k, v)| format!("{} {v}", inline(k)))
                .collect();
            let _ = writeln!(o, "- Loop stop reasons: {}.", reasons.join(", "));
        }
        Some(_) => o.push_str("- No revision loop summary was recorded in the period.\n"),
        None => o.push_str(
            "- Loop exhaustion is not known: this database has no loop summaries (before Phase 123).\n",
        ),
    }
    let rate = |s: &MinuteStats| {
        format!(
            "{} of {} attempted ({})",
            s.applied,
            s.attempted,
            pct(s.applied_rate())
        )
    };
    let _ = writeln!(
        o,
        "- Applied rate: canary {}; every other workspace {}.",
        rate(&r.totals.0),
        rate(&r.totals.1)
    );
    let _ = writeln!(
        o,
        "- needs_review share: canary {}; every other workspace {}.",
        pct(r.totals.0.needs_review_share()),
        pct(r.totals.1.needs_review_share())
    );
    match &r.quality {
        Some(q) if !q.outcome.failures.is_empty() => {
            let by: Vec<String> = q
                .outcome
                .failures
                .iter()
                .map(|(k, v)| format!("{} {}", k.label(), v.len()))
                .collect();
            let _ = writeln!(
                o,
                "- Quality failures by reason: {} (of {} judged).",
                by.join(", "),
                q.outcome.judged
            );
        }
        Some(q) => {
            let _ = writeln!(o, "- No quality failure in {} judged.", q.outcome.judged);
        }
        None => o.push_str("- No quality review was recorded.\n"),
    }
    let problems: usize = r.problems.iter().map(|(_, c, _)| c).sum();
    let _ = writeln!(
        o,
        "- Revision-path problems in the canary: {problems}; alarms over the period: {}.\n",
        r.alarms.len()
    );
}

fn appendix(o: &mut String, r: &Record) {
    o.push_str("## Appendix: every audited action of the period\n\n");
    if r.actions.is_empty() {
        o.push_str("The audit has no action in the period.\n\n");
    } else {
        let all: Vec<&Action> = r.actions.iter().collect();
        table(o, &ACTION_HEAD, &action_rows(&all));
    }
    if r.verdict_count > 0 {
        let _ = writeln!(o, "And {} quality verdicts (section 7).\n", r.verdict_count);
    }
}
