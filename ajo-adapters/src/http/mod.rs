//! What every HTTP adapter shares: one reqwest client (rustls), a per-request timeout,
//! retries with exponential backoff and seeded jitter when a retry is safe, `Retry-After`
//! on 429, and a circuit breaker per provider.
//!
//! Adapters describe a call as an [`ApiRequest`] and get back an [`ApiResponse`] (any
//! status the provider answered with, once retries are over) or a [`TransportError`]
//! (no answer at all). Mapping statuses and bodies to the port's typed errors stays in
//! each adapter, where the provider's words live.
//!
//! # When a retry is safe
//!
//! | what happened | idempotent call | other call |
//! | --- | --- | --- |
//! | connection refused or reset before the request was sent | retried | retried |
//! | timeout after sending | retried | not retried: it may have been carried out |
//! | 429 with `Retry-After` up to [`RetryPolicy::max_retry_after`] | retried after that wait | retried after that wait |
//! | 5xx | retried | not retried |
//! | any other status | answered as is | answered as is |
//!
//! A call is idempotent when the provider promises it (GET, or a POST carrying an
//! idempotency key or a reference the provider refuses to reuse). Each adapter says so
//! per call.

mod breaker;
mod client;
mod config;
mod errors;
mod retry_after;
mod token;

pub use breaker::{BreakerPolicy, CircuitBreaker, Permit};
pub use client::{ApiClient, ApiRequest, ApiResponse, RequestBody, TransportError, path_segment};
pub use config::{HttpConfig, RetryPolicy};
pub use errors::{gateway_status_error, notify_status_error};
pub use token::TokenCache;
