//! What users of ajo test with.
//!
//! - [`strategies`]: proptest strategies for currencies, amounts, weights, balanced
//!   ledger entries and loan terms, so a host service can property-test its own code on
//!   ajo's types.
//!
//! Later: the in-memory store (also the embedded default), fakes for every port,
//! builders, and conformance suites that every port implementation must pass.

pub mod strategies;
