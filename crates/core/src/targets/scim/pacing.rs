//! How hard the SCIM client pushes a platform: an additive-increase, multiplicative-decrease
//! limiter on two things at once. A window of requests in flight grows by one per window's
//! worth of answers and shrinks by 30% on 429, 5xx or a dropped connection. A write rate is
//! unlimited until the platform first answers 429 after taking writes; each such 429 marks
//! a ceiling (the writes the platform took in the last second) and cuts the rate to 85% of
//! it after a 0.2 s pause, so the platform's bucket refills; the rate then climbs back 5% a
//! second to 95% of the ceiling and creeps on 0.5% a second from there, staying under the
//! limit for tens of seconds between cuts. A 429 before any write was taken sets no rate.
//! The caller keeps as many requests queued as it likes; the limiter decides when each goes.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::graph::CancelToken;
use crate::targets::TargetError;

const INITIAL_WINDOW: f64 = 4.0;
const MAX_WINDOW: f64 = 64.0;
const WINDOW_CUT: f64 = 0.7;
/// The write rate after a 429: this share of what the platform was taking.
const RATE_CUT: f64 = 0.85;
/// Below this share of the ceiling the rate climbs fast, above it slowly.
const NEAR_CEILING: f64 = 0.95;
/// Added to the write rate per successful write, far from the ceiling: 5% a second.
const FAST_STEP: f64 = 0.05;
/// Added to the write rate per successful write, near the ceiling: 0.5% a second.
const RATE_STEP: f64 = 0.005;
/// After one cut, answers to requests sent before it do not cut again for this long.
const EPOCH: Duration = Duration::from_secs(1);
/// After a cut, writes pause this long so the platform's bucket holds a few writes again
/// before the new rate starts.
const HOLD_AFTER_CUT: Duration = Duration::from_millis(200);
/// How often a waiting request looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

#[derive(Debug)]
struct State {
    window: f64,
    in_flight: usize,
    /// Writes a second; `None` until the platform first throttles.
    rate: Option<f64>,
    /// Writes a second the platform took when it last throttled.
    ceiling: f64,
    next_write: Instant,
    last_window_cut: Option<Instant>,
    last_rate_cut: Option<Instant>,
    /// When each successful write of the last second finished.
    recent_writes: VecDeque<Instant>,
}

/// The limiter one SCIM client shares among all its requests.
#[derive(Debug)]
pub struct Pacing {
    state: Mutex<State>,
    notify: Notify,
}

/// A place in the window; gives it back when dropped.
#[derive(Debug)]
pub struct Slot<'a> {
    pacing: &'a Pacing,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = self.pacing.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        drop(state);
        self.pacing.notify.notify_one();
    }
}

/// What the platform said to one request, as far as pacing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Success,
    Throttled,
    /// 5xx, a timeout or a dropped connection.
    Trouble,
}

impl Default for Pacing {
    fn default() -> Pacing {
        Pacing::new()
    }
}

impl Pacing {
    pub fn new() -> Pacing {
        Pacing {
            state: Mutex::new(State {
                window: INITIAL_WINDOW,
                in_flight: 0,
                rate: None,
                ceiling: 0.0,
                next_write: Instant::now(),
                last_window_cut: None,
                last_rate_cut: None,
                recent_writes: VecDeque::new(),
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a place in the window and, for a write, for its turn under the write rate.
    pub async fn admit(&self, write: bool, cancel: &CancelToken) -> Result<Slot<'_>, TargetError> {
        loop {
            if cancel.is_cancelled() {
                return Err(TargetError::Cancelled);
            }
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if (state.in_flight as f64) < state.window.floor().max(1.0) {
                    state.in_flight += 1;
                    break;
                }
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(CANCEL_POLL) => {}
            }
        }
        let slot = Slot { pacing: self };
        if write {
            let turn = {
                let mut state = self.lock();
                match state.rate {
                    None => None,
                    Some(rate) => {
                        let now = Instant::now();
                        let turn = state.next_write.max(now);
                        state.next_write = turn + Duration::from_secs_f64(1.0 / rate.max(0.1));
                        Some(turn)
                    }
                }
            };
            if let Some(turn) = turn {
                while Instant::now() < turn {
                    if cancel.is_cancelled() {
                        return Err(TargetError::Cancelled);
                    }
                    let until = turn.min(Instant::now() + CANCEL_POLL);
                    tokio::time::sleep_until(until).await;
                }
            }
        }
        Ok(slot)
    }

    /// Learns from one answer.
    pub fn learn(&self, write: bool, signal: Signal) {
        let now = Instant::now();
        let mut state = self.lock();
        match signal {
            Signal::Success => {
                let before = state.window.floor();
                state.window = (state.window + 1.0 / state.window).min(MAX_WINDOW);
                let grew = state.window.floor() > before;
                if write {
                    state.recent_writes.push_back(now);
                    while state
                        .recent_writes
                        .front()
                        .is_some_and(|at| now.saturating_duration_since(*at) > EPOCH)
                    {
                        state.recent_writes.pop_front();
                    }
                    if let Some(rate) = state.rate {
                        let step = if rate < NEAR_CEILING * state.ceiling {
                            FAST_STEP
                        } else {
                            RATE_STEP
                        };
                        state.rate = Some(rate + step);
                    }
                }
                drop(state);
                if grew {
                    self.notify.notify_waiters();
                }
            }
            Signal::Throttled | Signal::Trouble => {
                let fresh = |last: Option<Instant>| {
                    last.is_none_or(|at| now.saturating_duration_since(at) >= EPOCH)
                };
                if fresh(state.last_window_cut) {
                    state.window = (state.window * WINDOW_CUT).max(1.0);
                    state.last_window_cut = Some(now);
                }
                // A 429 before the platform took any write in the last second measures
                // nothing (a burst limit, or a bucket an earlier run emptied): cutting to
                // "one a second" then would crawl for the rest of the run. The request waits
                // out its Retry-After and the window shrinks; the rate is set by the first
                // 429 that follows writes the platform took.
                let measured = !state.recent_writes.is_empty();
                if signal == Signal::Throttled && write && measured && fresh(state.last_rate_cut) {
                    let taking = state.recent_writes.len() as f64;
                    let ceiling = match state.rate {
                        None => taking,
                        Some(rate) => taking.min(rate),
                    };
                    state.ceiling = ceiling;
                    state.rate = Some((ceiling * RATE_CUT).max(0.5));
                    state.last_rate_cut = Some(now);
                    // Writes already given a turn under the old rate keep it; the next turn
                    // starts after a short hold.
                    state.next_write = state.next_write.max(now + HOLD_AFTER_CUT);
                }
            }
        }
    }

    /// The write rate in force (writes a second), once the platform has throttled.
    pub fn write_rate(&self) -> Option<f64> {
        self.lock().rate
    }

    /// Requests allowed in flight now.
    pub fn window(&self) -> usize {
        self.lock().window.floor() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_window_shrinks_on_trouble_and_grows_back() {
        let pacing = Pacing::new();
        assert_eq!(pacing.window(), 4);
        pacing.learn(false, Signal::Trouble);
        assert_eq!(pacing.window(), 2);
        pacing.learn(false, Signal::Trouble);
        assert_eq!(pacing.window(), 2, "one cut per second");
        for _ in 0..20 {
            pacing.learn(false, Signal::Success);
        }
        assert!(pacing.window() >= 5, "{}", pacing.window());
    }

    #[tokio::test]
    async fn a_429_before_any_write_was_taken_sets_no_rate() {
        let pacing = Pacing::new();
        pacing.learn(true, Signal::Throttled);
        assert_eq!(
            pacing.write_rate(),
            None,
            "nothing measured, nothing to slow to"
        );
        assert_eq!(pacing.window(), 2, "the window still shrinks");
        for _ in 0..20 {
            pacing.learn(true, Signal::Success);
        }
        pacing.learn(true, Signal::Throttled);
        let rate = pacing.write_rate().unwrap();
        assert!((rate - 17.0).abs() < 0.01, "85% of the 20 taken: {rate}");
    }

    #[tokio::test]
    async fn a_429_sets_the_rate_under_what_the_platform_took_and_it_climbs_back() {
        let pacing = Pacing::new();
        for _ in 0..50 {
            pacing.learn(true, Signal::Success);
        }
        assert_eq!(pacing.write_rate(), None, "no limit before the first 429");
        pacing.learn(true, Signal::Throttled);
        let rate = pacing.write_rate().unwrap();
        assert!((rate - 42.5).abs() < 0.01, "{rate}");
        for _ in 0..50 {
            pacing.learn(true, Signal::Success);
        }
        assert!(
            (pacing.write_rate().unwrap() - 45.0).abs() < 0.01,
            "fast far from the ceiling"
        );
        pacing.lock().rate = Some(48.0);
        for _ in 0..100 {
            pacing.learn(true, Signal::Success);
        }
        assert!(
            (pacing.write_rate().unwrap() - 48.5).abs() < 0.01,
            "slow near it"
        );
    }

    #[tokio::test]
    async fn writes_are_spaced_by_the_rate_and_the_window_is_kept() {
        let pacing = Pacing::new();
        pacing.lock().rate = Some(20.0);
        let cancel = CancelToken::new();
        let start = Instant::now();
        for _ in 0..5 {
            let _slot = pacing.admit(true, &cancel).await.unwrap();
        }
        let spent = start.elapsed();
        assert!(spent >= Duration::from_millis(190), "{spent:?}");
        let held: Vec<_> = admit_many(&pacing, &cancel, 4).await;
        assert_eq!(held.len(), 4);
        let ninth = tokio::time::timeout(Duration::from_millis(100), pacing.admit(false, &cancel));
        assert!(
            ninth.await.is_err(),
            "a full window makes the next request wait"
        );
        cancel.cancel();
        assert_eq!(
            pacing.admit(false, &cancel).await.err(),
            Some(TargetError::Cancelled)
        );
    }

    async fn admit_many<'a>(
        pacing: &'a Pacing,
        cancel: &CancelToken,
        count: usize,
    ) -> Vec<Slot<'a>> {
        let mut slots = Vec::new();
        for _ in 0..count {
            slots.push(pacing.admit(false, cancel).await.unwrap());
        }
        slots
    }
}
