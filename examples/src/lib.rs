//! Runnable examples of embedding ajo; see the `examples/` targets of this package:
//! `quickstart` (the main job for a newcomer), `calc` (a command-line calculator over
//! the reference cases), `webhook_server` (an HTTP server for providers' webhooks,
//! whose parts live in [`webhook_server`] so its test runs the same router) and `admin`
//! (an operator's tool that checks the books on PostgreSQL, in `admin`).
//!
//! # Crate features
//!
//! - `postgres` (default): the examples can run on PostgreSQL through ajo-adapters'
//!   `PgStore` (`DATABASE_URL` for `webhook_server`, `--database-url` for `quickstart`);
//!   the `admin` example and the `admin` and `pg` modules need it.
//! - `providers` (default): `webhook_server`'s service calls the real adapters from
//!   ajo-adapters (Paystack, Flutterwave or Stripe; SendGrid; Twilio) when their keys are
//!   set. Without it, ajo-testkit's fakes stand in, and the server says so at start.

#[cfg(feature = "postgres")]
pub mod admin;
#[cfg(feature = "postgres")]
pub mod pg;
pub mod webhook_server;

#[cfg(doctest)]
mod guide;
