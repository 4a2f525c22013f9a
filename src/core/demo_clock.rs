//! The demo world's clock, pure: it can run faster than the wall clock for
//! drills (`--speed 4`), and it never goes back. It is part of the world
//! (kept in its settings), so every process on one world — the window, a
//! `drill run`, a `lever` from a terminal — reads the same time, and every
//! time the panel shows, stamps and compares comes from it.

use crate::core::time::{UtcNaive, to_millis};
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The fastest the demo's clock runs.
pub const MAX_SPEED: f64 = 60.0;

/// Where the demo's clock stands: at wall-clock time `real` it read
/// `virt`, and it runs `speed` times as fast as the wall clock.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anchor {
    /// The wall-clock time of the anchor.
    pub real: UtcNaive,
    /// The demo's time then.
    pub virt: UtcNaive,
    /// How many demo seconds pass per wall-clock second (1..=60).
    pub speed: f64,
}

impl Anchor {
    /// The demo's clock reading the wall clock: the same time, speed 1.
    pub fn wall(now: UtcNaive) -> Self {
        Self {
            real: now,
            virt: now,
            speed: 1.0,
        }
    }

    /// The demo's time at wall-clock time `wall` (millisecond precision;
    /// never before the anchor's own demo time).
    pub fn at(&self, wall: UtcNaive) -> UtcNaive {
        let ms = (wall - self.real).num_milliseconds().max(0) as f64 * self.speed;
        to_millis(self.virt + Duration::milliseconds(ms.round() as i64))
    }

    /// The same clock from `wall` on at `speed`: it goes on from the time it
    /// reads then (never back, never before the wall clock).
    pub fn rebased(&self, wall: UtcNaive, speed: f64) -> Self {
        Self {
            real: wall,
            virt: self.at(wall).max(to_millis(wall)),
            speed,
        }
    }
}

/// What the window says of the demo's clock at wall-clock time `wall`,
/// when it is not the wall clock: its speed, and how far ahead it is.
/// `None` at speed 1 within a minute of the wall clock.
pub fn note(anchor: &Anchor, wall: UtcNaive) -> Option<String> {
    let ahead = anchor.at(wall) - wall;
    let fast = anchor.speed != 1.0;
    if !fast && ahead < Duration::minutes(1) {
        return None;
    }
    let mut text = if fast {
        format!("Demo clock ×{}", speed_text(anchor.speed))
    } else {
        "Demo clock".to_owned()
    };
    if ahead >= Duration::minutes(1) {
        text.push_str(&format!(
            " · {} ahead of the wall clock",
            crate::core::time::format_age(ahead)
        ));
    }
    Some(text)
}

/// A speed for people: `4`, `1.5`.
pub fn speed_text(speed: f64) -> String {
    let t = format!("{speed:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A `--speed` value: a number from 1 to 60 (`4`, `1.5`, `4x`).
pub fn parse_speed(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let n = t.strip_suffix(['x', 'X']).unwrap_or(t).trim();
    match n.parse::<f64>() {
        Ok(s) if s.is_finite() && (1.0..=MAX_SPEED).contains(&s) => Ok(s),
        Ok(_) => Err(format!(
            "--speed {text:?} is out of range: the demo's clock runs 1 to {MAX_SPEED} times as fast as the wall clock"
        )),
        Err(_) => Err(format!(
            "--speed {text:?} is not a number: e.g. --speed 4 runs the demo's clock four times as fast"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::time::parse_naive;

    fn t(s: &str) -> UtcNaive {
        parse_naive(s).unwrap()
    }

    #[test]
    fn a_clock_at_speed_four_reads_four_minutes_per_wall_minute_and_never_goes_back() {
        let a = Anchor {
            real: t("2026-12-08 10:00:00"),
            virt: t("2026-12-08 10:00:00"),
            speed: 4.0,
        };
        assert_eq!(a.at(t("2026-12-08 10:15:00")), t("2026-12-08 11:00:00"));
        assert_eq!(a.at(t("2026-12-08 10:00:00.250")), t("2026-12-08 10:00:01"));
        // A wall clock set back does not move it back.
        assert_eq!(a.at(t("2026-12-08 09:00:00")), t("2026-12-08 10:00:00"));
        // Back to speed 1 a quarter hour later: it goes on from 11:00, ahead.
        let slow = a.rebased(t("2026-12-08 10:15:00"), 1.0);
        assert_eq!(slow.at(t("2026-12-08 10:16:00")), t("2026-12-08 11:01:00"));
        // The wall clock at speed 1 is itself.
        let w = Anchor::wall(t("2026-12-08 10:00:00"));
        let later = t("2026-12-08 13:27:41.123");
        assert_eq!(w.at(later), later);
        assert_eq!(w.rebased(later, 1.0).at(later), later);
    }

    #[test]
    fn the_window_names_a_fast_or_ahead_clock_and_says_nothing_of_the_wall_clock() {
        let wall = t("2026-12-08 10:00:00");
        assert_eq!(note(&Anchor::wall(wall), wall + Duration::hours(2)), None);
        let fast = Anchor {
            speed: 4.0,
            ..Anchor::wall(wall)
        };
        assert_eq!(note(&fast, wall).as_deref(), Some("Demo clock ×4"));
        let n = note(&fast, wall + Duration::minutes(10)).unwrap();
        assert!(n.starts_with("Demo clock ×4 · "), "{n}");
        assert!(n.ends_with("ahead of the wall clock"), "{n}");
        let ahead = fast.rebased(wall + Duration::minutes(10), 1.0);
        let n = note(&ahead, wall + Duration::minutes(10)).unwrap();
        assert!(n.starts_with("Demo clock · "), "{n}");
        assert_eq!(speed_text(1.5), "1.5");
    }

    #[test]
    fn speeds_from_one_to_sixty_are_taken_and_the_rest_refused_with_the_range() {
        assert_eq!(parse_speed("4"), Ok(4.0));
        assert_eq!(parse_speed("4x"), Ok(4.0));
        assert_eq!(parse_speed(" 1.5 "), Ok(1.5));
        assert_eq!(parse_speed("60"), Ok(60.0));
        for bad in ["0", "0.5", "61", "-4", "NaN", "inf"] {
            assert!(parse_speed(bad).unwrap_err().contains("1 to 60"), "{bad}");
        }
        assert!(parse_speed("fast").unwrap_err().contains("not a number"));
    }
}
