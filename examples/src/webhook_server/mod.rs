//! The `webhook_server` example's parts: configuration from the environment, the axum
//! router and its handlers, and the choice of each port, so that the example binary stays
//! a few lines and the integration test runs the very same router.
//!
//! One route, `POST /webhooks/{provider}`, and one handler serve every provider: it finds
//! the provider's verifier in a [`WebhookRegistry`](ajo_core::webhook::WebhookRegistry)
//! ([`Config::webhook_registry`]), verifies the request through the
//! [`WebhookVerifier`](ajo_core::webhook::WebhookVerifier) trait, and acts on each outcome.
//! Each provider's variables are read by its own module (`providers/`); adding one is that
//! module and a line in its list (see `docs/providers.md`).
//!
//! ```text
//! POST /webhooks/paystack      x-paystack-signature                 → handle_gateway_event
//! POST /webhooks/flutterwave   flutterwave-signature (+verif-hash*) → handle_gateway_event
//! POST /webhooks/stripe        Stripe-Signature (±300 s)            → handle_gateway_event
//! POST /webhooks/sendgrid      ECDSA P-256 event webhook (±300 s)   → handle_delivery_event
//! POST /webhooks/twilio        X-Twilio-Signature (public URL)      → handle_delivery_event
//! POST /webhooks/mpesa/{token}     token from MPESA_CALLBACK_SECRET   → handle_gateway_event (confirmed with Daraja)
//! POST /webhooks/mtn-momo/{token}  token from MOMO_CALLBACK_SECRET    → handle_gateway_event (confirmed with MTN's GET)
//!
//! * only with FLUTTERWAVE_ACCEPT_VERIF_HASH=true
//! ```
//!
//! # What each answer means
//!
//! | status | when | the provider |
//! | --- | --- | --- |
//! | `200` | handled, a duplicate, an event ajo ignores, or money that does not fit (held in suspense and logged as flagged for review, never credited); M-Pesa's in the body Daraja expects (`{"ResultCode":0,"ResultDesc":"Accepted"}`) | stops |
//! | `401` | missing or bad signature, a callback URL without the deployment's token, outside Stripe's or SendGrid's replay window, Flutterwave's `verif-hash` alone when not enabled: nothing is done | retries, then gives up |
//! | `404` | no provider has that name, or its secret is not configured; a token route for a signing provider, or a bare route for M-Pesa or MoMo | |
//! | `408` | the body did not arrive within the body timeout (30 s by default): the connection is closed | retries |
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
//! # Holding up under slow and idle clients
//!
//! [`serve`] runs the router with bounds that `axum::serve` does not offer, each set from
//! the environment ([`vars`]):
//!
//! | variable | default | what |
//! | --- | --- | --- |
//! | `AJO_HEADER_TIMEOUT_MS` | 10000 | a connection must send a request's head within this of opening (or of its previous response), else it is closed: slow-loris clients and idle keep-alives |
//! | `AJO_BODY_TIMEOUT_MS` | 30000 | the whole body must arrive within this of the head, else `408` and the connection is closed |
//! | `AJO_MAX_CONNECTIONS` | 512 | connections open at once; the next client waits in the listener's backlog until one closes |
//!
//! With HTTP/1 a connection carries one request at a time, so the connection bound also
//! bounds requests in flight; the handling time limit (10 s) bounds the rest.
//!
//! # Rolling a key
//!
//! Each webhook variable has a `_PREVIOUS` twin (`PAYSTACK_SECRET_KEY_PREVIOUS`,
//! `FLUTTERWAVE_SECRET_HASH_PREVIOUS`, `STRIPE_WEBHOOK_SECRET_PREVIOUS`,
//! `SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS`, `TWILIO_AUTH_TOKEN_PREVIOUS`): put the new secret
//! in the main variable and the old one in its twin, restart, and webhooks signed with
//! either are accepted; API calls use only the main one. Unset the twin once the provider
//! signs with the new secret and its retries of older deliveries are over.
//!
//! # Flutterwave's `verif-hash`
//!
//! Off unless `FLUTTERWAVE_ACCEPT_VERIF_HASH=true`: it is a static token, the same on every
//! delivery, so anyone who has seen one can forge any event. While it is on, the server
//! warns at start, and each event it lets in is logged with `authentication=static_token`.
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
mod env;
pub mod metrics;
mod providers;
mod routes;
mod serve;
pub mod vars;
pub mod wiring;

pub use config::{
    Config, ConfigError, DEFAULT_ADDR, DEFAULT_BODY_TIMEOUT, DEFAULT_HANDLE_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, Route,
};
pub use providers::sendgrid::DEFAULT_SENDGRID_TOLERANCE_S;
pub use routes::router;
pub use serve::serve;

/// Logs which routes are served and which are not (and the variable that would enable
/// each), the limits, any key being rolled, and a warning while Flutterwave's `verif-hash`
/// is accepted; never a secret.
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
    for var in config.previous_secrets_set() {
        tracing::info!(
            var,
            "a previous webhook secret is also accepted while the key is rolled; unset it once the provider signs with the new one"
        );
    }
    config.announce_webhooks();
    tracing::info!(
        header_timeout_ms = config.header_timeout().as_millis(),
        body_timeout_ms = config.body_timeout().as_millis(),
        max_connections = config.max_connections(),
        "limits"
    );
}
