//! The one printer: every report of the command line as text tables or
//! JSON. The subcommands compute; this renders.

use crate::adapters::audit::AuditEntry;
use crate::core::env::{RUNBOOK_VARS, is_secret_var};
use crate::core::lever::{Plan, PlanSource, StepReport};
use crate::demo::Faults;
use crate::ops::profiles::{Outcome, TestResult};
use crate::ops::readiness::Report;

/// Any report as pretty JSON on stdout.
pub(super) fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!(
        "{}",
        crate::core::text::json(&serde_json::to_string_pretty(value)?)
    );
    Ok(())
}

/// A lever's plan.
pub(super) fn plan(plan: &Plan) {
    say!("{}", plan.title);
    say!("changes:");
    for c in &plan.changes {
        say!("  - {}", c.describe());
    }
    if !plan.preconditions.is_empty() {
        say!("preconditions:");
        for p in &plan.preconditions {
            let mark = match (p.ok, p.overridable) {
                (true, _) => "ok  ",
                (false, true) => "WARN",
                (false, false) => "FAIL",
            };
            say!("  {mark} {}: {}", p.name, p.detail);
        }
    }
    say!("takes effect: {}", plan.takes_effect);
    for w in &plan.warnings {
        say!("note: {w}");
    }
}

/// "; finish it: rollout-panel lever … --finish ID", for an interrupted
/// action whose plan was recorded.
pub(super) fn finish_command(plan: &Plan, profile: &str, action_id: &str) -> String {
    if let PlanSource::Expansion { on, workspaces } = plan.source() {
        return format!(
            "; finish it: rollout-panel lever expansion {} --workspaces {} --profile {profile} --reason \"…\" --finish {}",
            if on { "on" } else { "off" },
            workspaces.join(","),
            crate::adapters::audit::short_id(action_id)
        );
    }
    let PlanSource::Lever(req) = plan.source() else {
        return format!(
            "; finish it in the window (Levers tab), or close it there with Abandon (action {action_id})"
        );
    };
    format!(
        "; finish it: rollout-panel lever {} {}{} --profile {profile} --reason \"…\" --finish {}",
        req.kind.as_str(),
        if req.on { "on" } else { "off" },
        req.workspace
            .map_or(String::new(), |w| format!(" --workspace {w}")),
        crate::adapters::audit::short_id(action_id)
    )
}

/// One step of a lever run, as it moves.
pub(super) fn step(s: &StepReport) {
    let mark = match (s.running, s.ok) {
        (true, _) => "...   ",
        // Something to know, not a change.
        _ if s.is_note() => "note  ",
        (false, true) => "done  ",
        (false, false) => "FAILED",
    };
    say!("{mark} {} — {}", s.label, s.detail);
}

/// The metrics report as a table.
pub(super) fn metrics(r: &crate::ops::metrics::MetricsReport, window: &str) {
    use crate::ops::metrics::Counts;
    let pct = |x: Option<f64>| x.map_or("-".to_owned(), |v| format!("{:.0}%", v * 100.0));
    let na = |x: Option<u64>| x.map_or("n/a".to_owned(), |n| n.to_string());
    let row = |name: &str, toggle: &str, c: &Counts| {
        say!(
            "{name:<28} {toggle:<6} {:>9} {:>7} {:>5} {:>9} {:>12} {:>6} {:>9} {:>5}",
            na(c.attempted),
            na(c.applied),
            pct(c.applied_rate),
            c.evaluated,
            c.needs_review,
            pct(c.needs_review_share),
            na(c.ai_errors),
            na(c.stuck_claims)
        );
    };
    say!(
        "profile {} · window {window}: {} to {}",
        r.profile,
        r.window.start,
        r.window.end
    );
    say!(
        "{:<28} {:<6} {:>9} {:>7} {:>5} {:>9} {:>12} {:>6} {:>9} {:>5}",
        "workspace",
        "toggle",
        "attempted",
        "applied",
        "rate",
        "evaluated",
        "needs_review",
        "share",
        "ai_errors",
        "stuck"
    );
    for w in &r.workspaces {
        row(&w.name, if w.toggle { "ON" } else { "OFF" }, &w.counts);
    }
    row("total", "", &r.totals);
    if let Some(note) = &r.note {
        say!("note: {note}");
    }
    if let Some(l) = &r.runtime_logs {
        let t = |t: &crate::core::runtime_log::Totals| {
            format!(
                "revision loop failed {} ({} deadline_exceeded, {} other), DB write failed {}",
                t.revision_loop_failed, t.deadline_exceeded, t.other_error, t.db_write_failed
            )
        };
        say!(
            "runtime logs ({}, last {} min): {}{}",
            l.source,
            l.minutes,
            l.state,
            l.reason
                .as_deref()
                .map_or(String::new(), |w| format!(" ({w})"))
        );
        say!("  canary: {}", t(&l.canary));
        say!("  rest:   {}", t(&l.rest));
    }
    let v = &r.verdict.verdict;
    say!(
        "verdict: {}{}",
        v.state.label(),
        v.estimate_text()
            .map_or_else(String::new, |t| format!(" — {t}"))
    );
    for c in &v.comparisons {
        say!(
            "  vs {}: canary {}/{} needs_review, baseline {}/{} — {}",
            c.baseline.label(),
            c.canary.needs_review,
            c.canary.evaluated,
            c.base.needs_review,
            c.base.evaluated,
            c.state.label()
        );
    }
    if let Some(note) = &r.verdict.note {
        say!("  {note}");
    }
    if let Some(rec) = &v.recommendation {
        say!("  recommended: {rec}");
    }
    if r.alarms.is_empty() {
        say!("alarms: none");
    } else {
        say!("alarms:");
        for a in &r.alarms {
            say!(
                "  [{}] {} (suggested lever: {})",
                a.id,
                a.finding,
                a.suggested_lever
            );
        }
    }
}

/// The readiness checklist, grouped.
pub(super) fn readiness(report: &Report) {
    say!(
        "readiness of {} at {} — judged as {} (derived stage: {})",
        report.profile,
        report.checked_at.format("%Y-%m-%d %H:%M:%S UTC"),
        report.stage.as_str(),
        report.derived_stage.label()
    );
    let mut group = None;
    for i in &report.items {
        if group != Some(i.group) {
            say!("\n{}", i.group.label());
            group = Some(i.group);
        }
        say!(
            "  {:<7} {:<42} {}",
            i.status.as_str().to_uppercase(),
            i.id,
            i.finding
        );
        if !i.fix.is_empty() && i.status != crate::core::readiness::CheckStatus::Pass {
            say!("  {:<7} {:<42} fix: {}", "", "", i.fix);
        }
    }
    let counts = crate::core::readiness::counts(&report.items);
    let summary: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    say!("\n{}", summary.join(" · "));
}

/// Audit rows, newest first.
pub(super) fn audit_rows(rows: &[AuditEntry]) {
    for r in rows {
        say!(
            "{}  {:<8} {:<7} {:<9} {:<22} {}  [{}; reason: {}]{}",
            r.at.format("%Y-%m-%d %H:%M:%S"),
            r.operator,
            format!("{:?}", r.kind).to_lowercase(),
            format!("{:?}", r.status).to_lowercase(),
            r.lever,
            r.summary,
            crate::adapters::audit::short_id(&r.action_id),
            r.reason,
            if r.counts() {
                String::new()
            } else {
                format!("  {} (never counted)", r.trust.label())
            }
        );
    }
}

/// Connection test results.
pub(super) fn test_results(results: &[TestResult]) {
    for r in results {
        let o = match r.outcome {
            Outcome::Ok => "ok",
            Outcome::Failed => "FAILED",
            Outcome::Skipped => "skipped",
        };
        say!("{:<20} {:<8} {}", r.key.as_str(), o, r.detail);
    }
}

/// The demo world's state as text.
pub(super) fn demo_status(s: &super::demo::DemoStatus) {
    let shown = |key: &str, v: Option<&crate::core::env::EnvVar>| match v {
        // A secret's value is not even here: only its facts are.
        Some(v) if v.facts.is_some() || (v.value.is_some() && is_secret_var(key)) => {
            "set (hidden)".to_owned()
        }
        Some(crate::core::env::EnvVar { value: Some(v), .. }) => format!("{v:?}"),
        _ => "unset".to_owned(),
    };
    say!("demo world: {}", s.path.display());
    say!("stage: {}", s.stage.label());
    say!("schema: {}", s.schema.summary());
    say!("env (production, configured):");
    for key in RUNBOOK_VARS {
        say!("  {key} = {}", shown(key, s.env.configured.get(key)));
    }
    if let Some(d) = &s.env.latest {
        say!("latest deployment: {} {}", d.id, d.state.as_str());
    }
    if let Some(d) = &s.env.serving {
        say!(
            "serving deployment: {} (built {})",
            d.id,
            d.created_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    say!("workspaces (revision toggle, last 72 h attempted / applied):");
    for w in &s.workspaces {
        say!(
            "  {:<24} {:<22} {:>5} / {:<5} ({})",
            w.name,
            w.toggle.label(),
            w.counts.attempted,
            w.counts.applied,
            w.counts.applied_rate_label()
        );
    }
    if s.faults != Faults::default()
        && let Ok(text) = serde_json::to_string(&s.faults)
    {
        say!("faults: {text}");
    }
}
