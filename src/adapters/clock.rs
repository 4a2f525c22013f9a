//! The clock, behind a trait so tests (and the demo's history seeding) can drive time.

use crate::core::demo_clock::Anchor;
use crate::core::time::{UtcNaive, naive};
use chrono::{Duration, Utc};
use std::sync::{Arc, Mutex};

/// A source of "now" in naive UTC.
pub trait Clock: Send + Sync {
    /// The current instant, naive UTC, millisecond precision.
    fn now(&self) -> UtcNaive;

    /// The demo world's clock behind this one, if it is one (the session
    /// sets it from the world it opens).
    fn demo(&self) -> Option<&DemoClock> {
        None
    }
}

/// The demo world's clock ([`Anchor`]) over a base clock: the wall clock
/// until the world is opened, then the world's own time, which may run
/// faster (drills) and be ahead of the wall clock after a fast run.
pub struct DemoClock {
    base: Arc<dyn Clock>,
    anchor: Mutex<Option<Anchor>>,
    speed: Option<f64>,
}

impl DemoClock {
    /// A demo clock over `base`. `speed`: this process sets the world's
    /// speed when it opens it (the window, `drill run`); `None`: it follows
    /// whatever the world's clock is (the other commands).
    pub fn new(base: Arc<dyn Clock>, speed: Option<f64>) -> Self {
        Self {
            base,
            anchor: Mutex::new(None),
            speed,
        }
    }

    /// The speed this process asks for, if it sets one.
    pub fn asked_speed(&self) -> Option<f64> {
        self.speed
    }

    /// The base clock's time (the wall clock).
    pub fn wall(&self) -> UtcNaive {
        self.base.now()
    }

    /// Follows the world's clock from now on.
    pub fn follow(&self, anchor: Anchor) {
        *self.anchor.lock().unwrap_or_else(|e| e.into_inner()) = Some(anchor);
    }

    /// The world's clock as followed (`None` before the world was opened).
    pub fn anchor(&self) -> Option<Anchor> {
        *self.anchor.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for DemoClock {
    fn now(&self) -> UtcNaive {
        let wall = self.base.now();
        self.anchor().map_or(wall, |a| a.at(wall))
    }

    fn demo(&self) -> Option<&DemoClock> {
        Some(self)
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UtcNaive {
        naive(Utc::now())
    }
}

/// A clock that only moves when told to (tests).
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<UtcNaive>>);

impl ManualClock {
    /// A clock stopped at `t`.
    pub fn new(t: UtcNaive) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }

    /// Sets the clock.
    pub fn set(&self, to: UtcNaive) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UtcNaive {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = crate::core::time::parse_naive("2026-02-20 10:00:00").unwrap();
        let c = ManualClock::new(start);
        let shared = c.clone();
        assert_eq!(c.now(), start);
        shared.advance(Duration::seconds(90));
        assert_eq!(c.now(), start + Duration::seconds(90));
    }

    #[test]
    fn system_clock_is_millisecond_precise() {
        let t = SystemClock.now();
        assert_eq!(crate::core::time::to_millis(t), t);
    }
}
