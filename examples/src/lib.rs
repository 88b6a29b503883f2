//! Runnable examples of embedding ajo; see the `examples/` targets of this package:
//! `quickstart` (the main job for a newcomer), `calc` (a command-line calculator over
//! the reference cases) and `webhook_server` (an HTTP server for providers' webhooks,
//! whose parts live in [`webhook_server`] so its test runs the same router).
//!
//! # Crate features
//!
//! - `postgres` (default): the examples can run on PostgreSQL through ajo-adapters'
//!   `PgStore` (`DATABASE_URL` for `webhook_server`, `--database-url` for `quickstart`).
//! - `providers` (default): `webhook_server`'s service calls the real adapters from
//!   ajo-adapters (Paystack, Flutterwave or Stripe; SendGrid; Twilio) when their keys are
//!   set. Without it, ajo-testkit's fakes stand in, and the server says so at start.

pub mod webhook_server;

#[cfg(doctest)]
mod guide;
