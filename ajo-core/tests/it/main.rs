//! ajo-core's integration tests, linked as one binary.

#![allow(missing_docs, unreachable_pub)]
// Test helpers outside `#[test]` functions: a failed unwrap here is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod apr_props;
mod apr_reference;
mod eligibility;
mod group_life;
mod group_props;
mod group_sim;
mod group_snapshots;
mod ledger;
mod ledger_chain;
mod ledger_props;
mod loan_lifecycle;
mod loan_props;
mod loan_reference;
mod money_props;
mod notify_snapshots;
mod phone_props;
mod reference;
mod reference_props;
mod service_config;
mod support;
mod webhook_events;
mod webhook_props;
mod webhook_support;
mod webhook_vectors;
mod webhook_verify;
