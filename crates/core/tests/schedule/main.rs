//! Schedules: the next run with an injected clock (intervals, daily and weekday times across
//! the daylight-saving changes of Europe/London and America/New_York, runs missed while the
//! computer slept), and what is registered with the operating system, compared with golden
//! files and checked by the platform's own tools where this machine has them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod next_run;
mod registered;
