//! Helpers shared by the examples' integration tests, each test binary including this
//! module (`mod common;`): running an example's binary as an operator would, and signing
//! webhooks as each provider does.

// Each test binary uses some of these; failed setup steps should stop the test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub(crate) mod binary;
pub(crate) mod sign;
