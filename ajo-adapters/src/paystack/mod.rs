//! [`PaystackGateway`]: the [`PaymentGateway`](ajo_core::ports::PaymentGateway) port on
//! Paystack's API (`https://api.paystack.co`), JSON over reqwest with rustls.
//!
//! | port call | Paystack endpoint | retried on timeout / 5xx |
//! | --- | --- | --- |
//! | `start_collection` | `POST /transaction/initialize` | yes: Paystack refuses a reused `reference` |
//! | `verify_payment` | `GET /transaction/verify/{reference}` | yes (GET) |
//! | `create_recipient` | `POST /transferrecipient` | yes: a second recipient moves no money |
//! | `send_payout` | `POST /transfer` | yes: `reference` is the transfer's idempotency key |
//! | `refund` | `POST /refund` | no: nothing keys a refund, a second could go through |
//! | `list_transactions` | `GET /transaction`, `GET /transfer` (paged) | yes (GET) |
//!
//! # Amounts
//!
//! Integers in the currency's subunit (kobo, pesewas, cents), for the currencies Paystack
//! documents: NGN, GHS, ZAR, KES, USD. Anything else (another currency, a caller-defined
//! currency with other decimals, a zero or negative amount) is
//! [`GatewayError::InvalidRequest`](ajo_core::ports::GatewayError::InvalidRequest) before
//! any request is sent.
//!
//! # References reused
//!
//! Our references are deterministic, so a retry (ours, the HTTP layer's, or the service's
//! next tick) sends the same one again. Paystack refuses a reference it has seen
//! (`400 Duplicate Transaction Reference` on initialise; the transfer reference is the
//! transfer's idempotency key). Whenever a call carrying our reference is refused with a
//! 4xx that is not about funds or credentials, the adapter looks the reference up
//! (`GET /transaction/verify/…`, `GET /transfer/verify/…`): if Paystack knows it, that
//! earlier collection or transfer *is* this request and its state is the answer (a
//! collection comes back without a checkout URL, since Paystack does not return it twice);
//! if not, the original error stands. This matches on the fact, not on Paystack's
//! wording, which it does not document. A payout that failed and is sent again under its
//! reference therefore reads as failed until Paystack accepts the retry itself.
//!
//! # Statement
//!
//! `list_transactions` pages through transactions (successful ones positive; reversed
//! ones as the charge and its reversal, netting to zero) and transfers (successful ones
//! negative; reversed ones netting to zero). Partial refunds are not on it.
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

pub use error::PaystackError;

pub(crate) const PROVIDER: &str = "paystack";

/// Paystack's live API.
pub const BASE_URL: &str = "https://api.paystack.co";

/// How to reach Paystack: the secret key, and the HTTP settings (base URL, timeout,
/// retries, breaker).
///
/// ```
/// use ajo_adapters::http::HttpConfig;
/// use ajo_adapters::paystack::PaystackConfig;
/// use secrecy::SecretString;
///
/// let config = PaystackConfig::new(SecretString::from("sk_test_xyz"))
///     .with_http(HttpConfig::new("http://127.0.0.1:9999"));
/// assert!(!format!("{config:?}").contains("sk_test_xyz"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct PaystackConfig {
    secret_key: SecretString,
    http: HttpConfig,
}

impl fmt::Debug for PaystackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaystackConfig")
            .field("secret_key", &"[REDACTED]")
            .field("http", &self.http)
            .finish()
    }
}

impl PaystackConfig {
    /// Paystack's live API with `secret_key` (`sk_live_…` or `sk_test_…`) and the default
    /// HTTP settings.
    pub fn new(secret_key: SecretString) -> Self {
        PaystackConfig {
            secret_key,
            http: HttpConfig::new(BASE_URL),
        }
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

/// The payment gateway on Paystack. Cheap to share behind an `Arc`; one circuit breaker
/// for all its calls.
pub struct PaystackGateway {
    api: ApiClient,
    secret_key: SecretString,
}

impl fmt::Debug for PaystackGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaystackGateway")
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl PaystackGateway {
    /// A gateway with `config`.
    ///
    /// # Errors
    /// [`PaystackError::EmptySecretKey`] for an empty key; [`PaystackError::HttpClient`]
    /// when the TLS stack cannot be set up.
    pub fn new(config: PaystackConfig) -> Result<Self, PaystackError> {
        if config.secret_key.expose_secret().trim().is_empty() {
            return Err(PaystackError::EmptySecretKey);
        }
        let api = ApiClient::new(PROVIDER, config.http)
            .map_err(|source| PaystackError::HttpClient { source })?;
        Ok(PaystackGateway {
            api,
            secret_key: config.secret_key,
        })
    }

    /// The HTTP client, for its breaker state.
    pub fn api(&self) -> &ApiClient {
        &self.api
    }
}
