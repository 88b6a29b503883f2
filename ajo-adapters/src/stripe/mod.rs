//! [`StripeGateway`]: the [`PaymentGateway`](ajo_core::ports::PaymentGateway) port on
//! Stripe (`https://api.stripe.com/v1`): form-encoded requests, JSON answers, over reqwest
//! with rustls, pinned to API version [`API_VERSION`].
//!
//! | port call | Stripe endpoint | `Idempotency-Key` | retried on timeout / 5xx |
//! | --- | --- | --- | --- |
//! | `start_collection` | search, then `POST /v1/payment_intents` | `ajo-collect-{reference}` | yes |
//! | `verify_payment` | `GET /v1/payment_intents/search` | – | yes (GET) |
//! | `create_recipient` | `POST /v1/accounts` (Custom account with its bank account) | – | no: a second account would be left behind |
//! | `send_payout` | `GET /v1/transfers?transfer_group=…`, then `POST /v1/transfers` | `ajo-payout-{reference}` | yes |
//! | `refund` | search, then `POST /v1/refunds` | `ajo-refund-{reference}-{amount or full}` | yes |
//! | `list_transactions` | `GET /v1/balance_transactions` (paged, sources expanded) | – | yes (GET) |
//!
//! # Finding a collection by our reference
//!
//! Every PaymentIntent, Refund and Transfer carries `metadata[ajo_reference]`, which is
//! also where the core's Stripe webhook verifier reads our reference. `verify_payment`
//! finds the PaymentIntent with Stripe's search API
//! (`metadata['ajo_reference']:'…'`, the latest charge expanded to see refunds). Stripe
//! documents search as eventually consistent (new objects can take about a minute to
//! appear), so a collection started seconds ago can read as
//! [`NotFound`](ajo_core::ports::GatewayError::NotFound), which the service treats as
//! "not paid yet". This was chosen over replaying the create call with its idempotency
//! key, which would create an intent for a reference we never issued and only works for
//! 24 hours.
//!
//! `start_collection` searches first and returns an intent already made for the
//! reference; otherwise it creates one with `Idempotency-Key: ajo-collect-{reference}`, so
//! a resend within Stripe's 24-hour key window replays the same intent and one after
//! it is found by the search. Either way the collection carries the intent's
//! `client_secret`, for the host to hand to the payer's app (Stripe.js or a mobile SDK
//! confirms the intent with it, naming its own `return_url`); it is hidden from `Debug`
//! and never logged.
//!
//! # Payouts
//!
//! Members are paid through Stripe Connect: `create_recipient` registers a Custom
//! connected account (country from [`StripeConfig::with_recipient_country`]) with the
//! member's bank account as its external account; `send_payout` transfers to it
//! (`transfer_group` and `metadata[ajo_reference]` set to our reference), and Stripe pays
//! the account's balance out to the bank on its schedule. A transfer is final when
//! created, so the receipt is `Succeeded` (or `Reversed`). Before sending, the adapter
//! lists transfers in the reference's `transfer_group`: a payout sent again, even after
//! the key window, returns the transfer already made instead of paying twice. Stripe
//! saves an error result under its key too, so a payout refused (say for an
//! insufficient balance) is refused again for 24 hours under the same reference.
//!
//! # Amounts
//!
//! Integers in the smallest unit, zero-decimal currencies whole, for USD, EUR, GBP, NGN,
//! GHS, KES, ZAR, EGP, TZS, UGX, RWF, XOF, XAF and JPY. Anything else, a caller-defined
//! currency with other decimals, or a zero or negative amount is
//! [`GatewayError::InvalidRequest`](ajo_core::ports::GatewayError::InvalidRequest) before
//! any request is sent.
//!
//! # Statement
//!
//! `list_transactions` reads balance transactions of charges, refunds, transfers and
//! their reversals (signed as Stripe signs them, gross of fees), under the source's
//! `ajo_reference` when it has one; a charge carries the metadata of the PaymentIntent
//! it paid. Balance transactions are in the settlement currency: a charge presented in
//! another currency shows up as an amount mismatch in reconciliation.
//!
//! # Secrets
//!
//! The secret key is a [`SecretString`]: it reaches only the `Authorization` header (marked
//! sensitive) and never a `Debug`, log line or error.

mod client;
mod error;
mod wire;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::http::{ApiClient, HttpConfig};

pub use error::StripeError;

pub(crate) const PROVIDER: &str = "stripe";

/// The Stripe API version the adapter is written and tested against, sent as
/// `Stripe-Version` so an account's default cannot change the shapes under it.
pub const API_VERSION: &str = "2024-06-20";

/// Stripe's live API (paths carry the `/v1` version).
pub const BASE_URL: &str = "https://api.stripe.com";

/// How to reach Stripe: the secret key, and the HTTP settings (base URL, timeout,
/// retries, breaker).
///
/// ```
/// use ajo_adapters::http::HttpConfig;
/// use ajo_adapters::stripe::StripeConfig;
/// use secrecy::SecretString;
///
/// let config = StripeConfig::new(SecretString::from("sk_test_51xyz"))
///     .with_http(HttpConfig::new("http://127.0.0.1:9999"));
/// assert!(!format!("{config:?}").contains("sk_test_51xyz"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct StripeConfig {
    secret_key: SecretString,
    http: HttpConfig,
    recipient_country: String,
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &"[REDACTED]")
            .field("http", &self.http)
            .field("recipient_country", &self.recipient_country)
            .finish()
    }
}

impl StripeConfig {
    /// Stripe's live API with `secret_key` (`sk_live_…`, `sk_test_…` or a restricted `rk_…`) and the default
    /// HTTP settings.
    pub fn new(secret_key: SecretString) -> Self {
        StripeConfig {
            secret_key,
            http: HttpConfig::new(BASE_URL),
            recipient_country: "US".to_owned(),
        }
    }

    /// The same, registering payout recipients (connected accounts and their bank
    /// accounts) in `country` (ISO 3166-1 alpha-2, `"GB"`); `"US"` unless set.
    pub fn with_recipient_country(mut self, country: impl Into<String>) -> Self {
        self.recipient_country = country.into();
        self
    }

    /// The same, with other HTTP settings (tests point `base_url` at a mock server).
    pub fn with_http(mut self, http: HttpConfig) -> Self {
        self.http = http;
        self
    }

    /// The HTTP settings in use.
    pub fn http(&self) -> &HttpConfig {
        &self.http
    }
}

/// The payment gateway on Stripe. Cheap to share behind an `Arc`; one circuit breaker
/// for all its calls.
pub struct StripeGateway {
    api: ApiClient,
    secret_key: SecretString,
    recipient_country: String,
}

impl fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeGateway")
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl StripeGateway {
    /// A gateway with `config`.
    ///
    /// # Errors
    /// [`StripeError::EmptySecretKey`] for an empty key; [`StripeError::HttpClient`]
    /// when the TLS stack cannot be set up.
    pub fn new(config: StripeConfig) -> Result<Self, StripeError> {
        if config.secret_key.expose_secret().trim().is_empty() {
            return Err(StripeError::EmptySecretKey);
        }
        let api = ApiClient::new(PROVIDER, config.http)
            .map_err(|source| StripeError::HttpClient { source })?;
        Ok(StripeGateway {
            api,
            secret_key: config.secret_key,
            recipient_country: config.recipient_country,
        })
    }

    /// The HTTP client, for its breaker state.
    pub fn api(&self) -> &ApiClient {
        &self.api
    }
}
