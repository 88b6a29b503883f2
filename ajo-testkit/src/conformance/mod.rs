//! Conformance suites: public async functions that any implementation of a port runs
//! against itself, so the in-memory store and PostgreSQL (and every gateway and messaging
//! adapter against its mock server) are held to the same contract.
//!
//! Each suite panics with a message naming the broken rule, which makes it usable from
//! any test harness.

// Conformance suites are test code shipped as a library: a failed check must stop the
// test, and the messages say which rule broke.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod collections;
pub mod gateway;
pub mod gateway_events;
pub mod group_commands;
pub mod host;
pub mod keys;
pub mod limits;
pub mod loans;
pub mod notify;
pub mod outbox;
pub mod reconcile;
pub mod reports;
pub mod review;
pub mod service;
pub mod store;
pub mod telemetry;
