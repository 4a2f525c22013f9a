//! The clock, behind a trait so tests (and the demo's history seeding) can drive time.

use crate::core::time::{UtcNaive, naive};
use chrono::{Duration, Utc};
use std::sync::{Arc, Mutex};

/// A source of "now" in naive UTC.
pub trait Clock: Send + Sync {
    /// The current instant, naive UTC, millisecond precision.
    fn now(&self) -> UtcNaive;
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
