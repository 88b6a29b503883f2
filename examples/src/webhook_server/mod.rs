//! The `webhook_server` example's parts: configuration from the environment, the axum
//! router and its handlers, and the choice of each port, so that the example binary stays
//! a few lines and the integration test runs the very same router.
//!
//! ```text
//! POST /webhooks/paystack      x-paystack-signature            → handle_gateway_event
//! POST /webhooks/flutterwave   flutterwave-signature/verif-hash → handle_gateway_event
//! POST /webhooks/stripe        Stripe-Signature (±300 s)        → handle_gateway_event
//! POST /webhooks/sendgrid      ECDSA P-256 event webhook        → handle_delivery_event
//! POST /webhooks/twilio        X-Twilio-Signature (public URL)  → handle_delivery_event
//! ```
//!
//! # What each answer means
//!
//! | status | when | the provider |
//! | --- | --- | --- |
//! | `200` | handled, a duplicate, an event ajo ignores, or money that does not fit (held in suspense and logged as flagged for review, never credited) | stops |
//! | `401` | missing or bad signature, outside Stripe's replay window: nothing is done | retries, then gives up |
//! | `404` | the provider's secret is not configured | |
//! | `413` | the body is over the limit (1 MiB by default): refused unread | |
//! | `422` | authentic but unreadable (a payload ajo cannot parse) | keeps it as failed, for a person |
//! | `5xx` | the store failed or was too slow | retries later |
//!
//! # Why events are handled before answering
//!
//! Providers ask for a quick `200`, and a common pattern is to queue the event and answer
//! at once. This server instead hands the event to the service inline and answers after
//! the store has written it. A queue would need a durable store of its own (an in-memory
//! one loses acknowledged payments on a crash, and the provider would never resend them);
//! answering after the write means a store failure becomes a `5xx` and the provider's own
//! retry is the queue. It stays fast because handling a webhook is one idempotent append
//! (no gateway call), and a time limit (10 s by default) turns a stuck store into a `503`
//! well before providers give up on the request. Duplicates from those retries are
//! recognised by their idempotency key and change nothing.
//!
//! # Running it
//!
//! `cargo run -p ajo-examples --example webhook_server`; see [`vars`] for the
//! environment and [`Config`] for which adapter each port gets (Paystack, Flutterwave or
//! Stripe by API key, SendGrid and Twilio, or ajo-testkit's fakes, with a warning). Wire
//! the router into a host of your own with [`router`] and [`wiring::service`], or with
//! your own ports.

#[cfg(feature = "providers")]
mod adapters;
mod config;
mod routes;
pub mod wiring;

pub use config::{Config, ConfigError, DEFAULT_ADDR, DEFAULT_HANDLE_TIMEOUT, Route, vars};
pub use routes::router;

/// Logs which routes are served and which are not (and the variable that would enable
/// each), never a secret.
pub fn announce(config: &Config) {
    for route in config.routes() {
        if route.enabled {
            tracing::info!(
                provider = route.provider.as_str(),
                path = route.path,
                "webhook route enabled"
            );
        } else {
            tracing::warn!(
                provider = route.provider.as_str(),
                path = route.path,
                "webhook route disabled ({} is not set): it answers 404",
                route.var
            );
        }
    }
    if let Some(url) = config.public_url() {
        tracing::info!(
            public_url = url,
            "Twilio signatures are checked against this public URL"
        );
    }
}
