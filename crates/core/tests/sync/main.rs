//! The sync end to end: the simulated tenant's Graph read into a real cache, then planned,
//! guarded and applied into a learning platform; first sync, no-op sync, lifecycle,
//! adoption, safety, and a run that lost a reply.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod faults;
mod journal;
mod lifecycle;
mod safety;
mod scim;
mod support;
