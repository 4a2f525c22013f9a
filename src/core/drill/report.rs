//! A finished drill's short Markdown report.

use super::{Drill, Level, Score, Timeline};
use crate::core::record::inline;
use std::fmt::Write as _;

/// A score's time from the fault ("45 s", "2 min 13 s", "—" when none).
pub fn secs_text(s: Option<i64>) -> String {
    match s {
        None => "—".to_owned(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) => format!("{} min {:02} s", s / 60, s % 60),
    }
}

/// Levels for people: "workspace rollback or revision kill switch", or
/// "no lever".
pub fn levels_text(levels: &[Level]) -> String {
    if levels.is_empty() {
        return "no lever".to_owned();
    }
    levels
        .iter()
        .map(|l| l.label())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The drill report: what was injected, when, each time against the fault,
/// the level chosen against the expected one, every lever taken.
pub fn markdown(d: &Drill, t: &Timeline, s: &Score, operator: &str) -> String {
    let mut o = String::new();
    let when = |at: Option<crate::core::time::UtcNaive>| {
        at.map_or_else(
            || "—".to_owned(),
            |a| a.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
    };
    let _ = writeln!(o, "# Drill {}: {}\n", d.number, inline(d.title));
    let _ = writeln!(
        o,
        "Run by {} on the demo world, started {}{}.\n",
        inline(operator),
        when(Some(t.started)),
        if s.abandoned { ", abandoned" } else { "" }
    );
    let _ = writeln!(
        o,
        "**{}** — {}{}\n",
        if s.passed() { "Passed" } else { "Not passed" },
        s.judgement.label(),
        if s.note.is_empty() {
            String::new()
        } else {
            format!(" ({})", inline(&s.note))
        }
    );
    let expected = levels_text(d.expected);
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| Fault injected | {} |", when(t.fault_at));
    let _ = writeln!(
        o,
        "| First sign in the panel | {} |",
        secs_text(s.to_signal_secs)
    );
    let _ = writeln!(
        o,
        "| First look at the {} tab | {} |",
        d.shows_on,
        secs_text(s.to_look_secs)
    );
    let _ = writeln!(o, "| Lever confirmed | {} |", secs_text(s.to_confirm_secs));
    let _ = writeln!(o, "| Verified | {} |", secs_text(s.to_verified_secs));
    let _ = writeln!(o, "| Expected | {expected} |");
    let _ = writeln!(
        o,
        "| Chosen | {} |",
        s.chosen.map_or("none", super::Level::label)
    );
    let _ = writeln!(o, "| Failed levers | {} |", s.failed_levers);
    if d.expected.is_empty() {
        let _ = writeln!(o, "| Unnecessary rollbacks | {} |", s.unnecessary);
    }
    if s.by_guard > 0 {
        let _ = writeln!(o, "| Levers run by the guard | {} |", s.by_guard);
    }
    let _ = writeln!(o, "\nTimes are from the fault's start.\n");
    if !t.levers.is_empty() {
        let _ = writeln!(
            o,
            "## Levers\n\n| Confirmed | Lever | By | Ended | Verified |\n|---|---|---|---|---|"
        );
        for l in &t.levers {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                when(Some(l.confirmed_at)),
                l.level.label(),
                inline(&l.by),
                when(l.ended_at),
                if l.verified { "yes" } else { "no" }
            );
        }
    }
    o
}
