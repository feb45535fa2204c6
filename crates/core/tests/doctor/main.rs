//! The connection doctor end to end: checks against the simulated tenant, and the real keychain.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod check;
mod keychain;
