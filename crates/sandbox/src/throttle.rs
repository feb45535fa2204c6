//! Graph throttling as the identity and access service does it: a token bucket of resource
//! units per application and tenant, refilled over 10 seconds, sized by tenant size, with
//! per-request costs and the `x-ms-resource-unit` / `Retry-After` headers.

use std::collections::HashMap;
use std::time::Instant;

/// Resource units per 10 seconds for an application in a tenant of `users` people:
/// S (< 50) 3,500, M (50–500) 5,000, L (> 500) 8,000.
pub fn quota_for_tenant(users: usize) -> f64 {
    if users < 50 {
        3_500.0
    } else if users <= 500 {
        5_000.0
    } else {
        8_000.0
    }
}

/// What a request costs, before and after the query-option modifiers.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub base: u32,
    pub select: bool,
    pub expand: bool,
    pub small_top: bool,
}

impl Cost {
    /// `$select` −1, `$expand` +1, `$top` < 20 −1; never below 1.
    pub fn units(self) -> u32 {
        let mut units = i64::from(self.base);
        if self.select {
            units -= 1;
        }
        if self.expand {
            units += 1;
        }
        if self.small_top {
            units -= 1;
        }
        units.max(1) as u32
    }
}

#[derive(Debug)]
struct Bucket {
    level: f64,
    updated: Instant,
}

/// Buckets per application (the tenant is the sandbox's one tenant).
#[derive(Debug, Default)]
pub struct Throttle {
    buckets: HashMap<String, Bucket>,
}

/// The result of charging a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Charge {
    Allowed,
    /// Seconds until enough units are back.
    Throttled {
        retry_after: f64,
    },
}

impl Throttle {
    /// Takes `units` from `app`'s bucket of `capacity` units per 10 s.
    pub fn charge(&mut self, app: &str, units: u32, capacity: f64, now: Instant) -> Charge {
        let bucket = self.buckets.entry(app.to_string()).or_insert(Bucket {
            level: capacity,
            updated: now,
        });
        let rate = capacity / 10.0;
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.level = (bucket.level + elapsed * rate).min(capacity);
        bucket.updated = now;
        let units = f64::from(units);
        if bucket.level >= units {
            bucket.level -= units;
            Charge::Allowed
        } else {
            let missing = units - bucket.level;
            Charge::Throttled {
                retry_after: ((missing / rate) * 1000.0).ceil() / 1000.0,
            }
        }
    }

    /// Forgets all buckets (after the capacity changes).
    pub fn reset(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_then_refills() {
        let mut throttle = Throttle::default();
        let start = Instant::now();
        assert_eq!(throttle.charge("a", 6, 10.0, start), Charge::Allowed);
        match throttle.charge("a", 6, 10.0, start) {
            Charge::Throttled { retry_after } => assert!((retry_after - 2.0).abs() < 0.01),
            Charge::Allowed => unreachable!("should be throttled"),
        }
        assert_eq!(
            throttle.charge("b", 6, 10.0, start),
            Charge::Allowed,
            "per app"
        );
        let later = start + std::time::Duration::from_secs(2);
        assert_eq!(throttle.charge("a", 6, 10.0, later), Charge::Allowed);
        assert_eq!(
            Cost {
                base: 2,
                select: true,
                expand: false,
                small_top: true
            }
            .units(),
            1
        );
        assert_eq!(quota_for_tenant(250), 5_000.0);
    }
}
