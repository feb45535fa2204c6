//! The SCIM target end to end: one set of contract tests run against two SCIM servers (the
//! sandbox's simulated learning platform, and scim2-server, a third-party server from PyPI
//! installed by the test command), faults that must end in the same state as a fault-free
//! run, pacing under a platform's write limit, and the target check's diagnoses.
//!
//! Both servers are started once for the whole binary on 127.0.0.1; tests take turns so a
//! fault staged by one never reaches another.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bulk;
mod check;
mod contract;
mod faults;
mod servers;
