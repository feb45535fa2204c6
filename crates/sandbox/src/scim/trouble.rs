//! Trouble the platform stages at the connection and rate level: a write rate beyond which
//! writes are answered 429 with `Retry-After`, connections reset before a write is applied,
//! and lost replies (the write is applied, then the connection drops before the answer).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::response::Response;
use hyper::body::Frame;

/// A token bucket of writes: `rate` a second, at most one second's worth saved up.
#[derive(Debug, Clone)]
pub struct WriteBucket {
    rate: f64,
    level: f64,
    updated: Instant,
}

impl WriteBucket {
    pub fn new(rate: f64) -> WriteBucket {
        let rate = rate.max(0.1);
        WriteBucket {
            rate,
            level: rate.max(1.0),
            updated: Instant::now(),
        }
    }

    /// Takes one write; `Err(seconds)` (rounded up, at least 1) when the bucket is empty.
    pub fn take(&mut self, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.level = (self.level + elapsed * self.rate).min(self.rate.max(1.0));
        self.updated = now;
        if self.level >= 1.0 {
            self.level -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - self.level) / self.rate;
        Err((wait.ceil() as u64).max(1))
    }
}

/// What to do to the connection of one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionFault {
    /// Drop the connection before the write is applied.
    Reset,
    /// Apply the write, then drop the connection instead of answering.
    LostReply,
}

/// Counts of staged trouble the platform has served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TroubleCounts {
    /// Writes answered 429 because they exceeded the write rate.
    pub throttled: u64,
    /// Connections reset before a write was applied.
    pub resets: u64,
    /// Writes applied whose reply was never sent.
    pub lost_replies: u64,
}

/// A response body that fails at once, so the server closes the connection without
/// completing an answer: the client sees a reset or a truncated reply.
struct BrokenBody;

impl hyper::body::Body for BrokenBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "the platform dropped the connection on purpose (a staged fault)",
        ))))
    }
}

/// A response that never completes: the connection is dropped.
pub fn dropped_connection() -> Response {
    Response::new(Body::new(BrokenBody))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_bucket_allows_a_second_of_writes_then_says_when_to_come_back() {
        let mut bucket = WriteBucket::new(5.0);
        let start = Instant::now();
        for _ in 0..5 {
            assert_eq!(bucket.take(start), Ok(()));
        }
        assert_eq!(bucket.take(start), Err(1));
        assert_eq!(bucket.take(start + Duration::from_millis(250)), Ok(()));
    }
}
