//! ajo-core's integration tests, linked as one binary.

#![allow(missing_docs, unreachable_pub)]
// Test helpers outside `#[test]` functions: a failed unwrap here is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod eligibility;
mod ledger;
mod ledger_props;
mod loan_lifecycle;
mod loan_props;
mod loan_reference;
mod money_props;
mod reference;
mod support;
