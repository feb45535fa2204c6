//! Reading the directory end to end against the simulated tenant: scope and paths, faults
//! and retries, delta refreshes, and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod delta;
mod faults;
mod progress;
mod school;
mod scope;
mod support;
