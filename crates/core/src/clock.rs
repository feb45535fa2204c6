//! Time as an input: logic asks a [`Clock`] for "now" instead of reading the system time, so
//! token reuse and secret-expiry warnings can be tested at any date.

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The computer's own clock; the only place that reads the system time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that shows a set time until it is moved; for tests and previews.
#[derive(Debug)]
pub struct FixedClock {
    now: std::sync::Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock standing still at `now`.
    pub fn at(now: DateTime<Utc>) -> FixedClock {
        FixedClock {
            now: std::sync::Mutex::new(now),
        }
    }

    /// Moves the clock forward (or back, for a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
