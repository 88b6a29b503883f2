//! [`FlutterwaveGateway`]: the [`PaymentGateway`](ajo_core::ports::PaymentGateway) port on
//! Flutterwave's v3 API (`https://api.flutterwave.com/v3`), JSON over reqwest with rustls.
//!
//! | port call | Flutterwave endpoint | retried on timeout / 5xx |
//! | --- | --- | --- |
//! | `start_collection` | `POST /v3/payments` (standard checkout) | yes: a hosted link moves no money; the payer pays once, on the link we hand out |
//! | `verify_payment` | `GET /v3/transactions/verify_by_reference?tx_ref=…` | yes (GET) |
//! | [`verify_by_id`](FlutterwaveGateway::verify_by_id) | `GET /v3/transactions/{id}/verify` | yes (GET) |
//! | `create_recipient` | `POST /v3/beneficiaries` | yes: a second beneficiary moves no money |
//! | `send_payout` | `GET /v3/beneficiaries/{id}`, `POST /v3/transfers` | yes: Flutterwave refuses a reused `reference` |
//! | `refund` | `GET …verify_by_reference`, `POST /v3/transactions/{id}/refund` | no: nothing keys a refund |
//! | `list_transactions` | `GET /v3/transactions`, `GET /v3/transfers` (paged) | yes (GET) |
//!
//! # Amounts
//!
//! Major units, exact decimals (₦1,500.50 is `1500.5`; never a float), for NGN, GHS, KES,
//! UGX, TZS, RWF, XOF, XAF, ZAR, EGP, USD, EUR and GBP. Anything else, a caller-defined
//! currency with other decimals, or a zero or negative amount is
//! [`GatewayError::InvalidRequest`](ajo_core::ports::GatewayError::InvalidRequest) before
//! any request is sent. Amounts read back more finely than the currency allows are
//! refused, never rounded.
//!
//! # Recipients
//!
//! Flutterwave transfers take the bank code and account number themselves. So that no
//! account number travels in ajo's [`RecipientId`](ajo_core::ports::RecipientId) (it is
//! stored and logged), `create_recipient` saves a beneficiary and returns its id, and
//! `send_payout` reads the beneficiary back before the transfer.
//!
//! # References reused
//!
//! `tx_ref` and the transfer `reference` are ours and deterministic. Flutterwave refuses a
//! transfer whose reference it has seen, so a retried payout cannot pay twice. It has no
//! documented lookup of a transfer by reference (only by its id, which a lost answer
//! never gave us), so a refusal that reads as a reused reference comes back as
//! [`PayoutState::Pending`](ajo_core::ports::PayoutState::Pending) without a provider id:
//! the outcome arrives with the `transfer.completed` webhook, matched on our reference.
//! Open: if Flutterwave also refuses to retry a *failed* transfer under its reference, such
//! a payout stays pending until someone looks at it.
//!
//! # Statement
//!
//! `list_transactions` pages through successful transactions (positive) and successful
//! transfers (negative) created between `from` and `to` (Flutterwave filters by day; the
//! adapter keeps the exact range). Refunds are not on it.
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

pub use error::FlutterwaveError;

pub(crate) const PROVIDER: &str = "flutterwave";

/// Flutterwave's live API (paths carry the `/v3` version).
pub const BASE_URL: &str = "https://api.flutterwave.com";

/// How to reach Flutterwave: the secret key, and the HTTP settings (base URL, timeout,
/// retries, breaker).
///
/// ```
/// use ajo_adapters::http::HttpConfig;
/// use ajo_adapters::flutterwave::FlutterwaveConfig;
/// use secrecy::SecretString;
///
/// let config = FlutterwaveConfig::new(SecretString::from("FLWSECK_TEST-xyz"))
///     .with_http(HttpConfig::new("http://127.0.0.1:9999"));
/// assert!(!format!("{config:?}").contains("FLWSECK_TEST-xyz"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct FlutterwaveConfig {
    secret_key: SecretString,
    http: HttpConfig,
}

impl fmt::Debug for FlutterwaveConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlutterwaveConfig")
            .field("secret_key", &"[REDACTED]")
            .field("http", &self.http)
            .finish()
    }
}

impl FlutterwaveConfig {
    /// Flutterwave's live API with `secret_key` (`FLWSECK-…` or `FLWSECK_TEST-…`) and the default
    /// HTTP settings.
    pub fn new(secret_key: SecretString) -> Self {
        FlutterwaveConfig {
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

/// The payment gateway on Flutterwave. Cheap to share behind an `Arc`; one circuit breaker
/// for all its calls.
pub struct FlutterwaveGateway {
    api: ApiClient,
    secret_key: SecretString,
}

impl fmt::Debug for FlutterwaveGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlutterwaveGateway")
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl FlutterwaveGateway {
    /// A gateway with `config`.
    ///
    /// # Errors
    /// [`FlutterwaveError::EmptySecretKey`] for an empty key; [`FlutterwaveError::HttpClient`]
    /// when the TLS stack cannot be set up.
    pub fn new(config: FlutterwaveConfig) -> Result<Self, FlutterwaveError> {
        if config.secret_key.expose_secret().trim().is_empty() {
            return Err(FlutterwaveError::EmptySecretKey);
        }
        let api = ApiClient::new(PROVIDER, config.http)
            .map_err(|source| FlutterwaveError::HttpClient { source })?;
        Ok(FlutterwaveGateway {
            api,
            secret_key: config.secret_key,
        })
    }

    /// The HTTP client, for its breaker state.
    pub fn api(&self) -> &ApiClient {
        &self.api
    }
}
