//! [`MomoGateway`]: the [`PaymentGateway`](ajo_core::ports::PaymentGateway) port on MTN's
//! MoMo Open API, JSON over reqwest with rustls.
//!
//! | port call | MoMo endpoint | retried on timeout / 5xx |
//! | --- | --- | --- |
//! | (Collections calls) | `POST /collection/token/` (API user and key), cached until a minute before it expires | yes |
//! | (Disbursements calls) | `POST /disbursement/token/` | yes |
//! | `start_collection` | `POST /collection/v1_0/requesttopay` | yes: `X-Reference-Id` is the idempotency key (a reused one is `409`) |
//! | `verify_payment` | `GET /collection/v1_0/requesttopay/{X-Reference-Id}` | yes (GET) |
//! | `create_recipient` | none: a recipient is a mobile number, checked here | |
//! | `send_payout` | `POST /disbursement/v1_0/transfer`; on `409`, `GET` its status | yes: as above |
//! | `verify_payout` | `GET /disbursement/v1_0/transfer/{X-Reference-Id}` | yes (GET) |
//! | `refund`, `list_transactions` | none here | |
//!
//! # Idempotency and the truth
//!
//! The `X-Reference-Id` of a request is [`momo_reference_id`] of ajo's reference: the same
//! collection or payout asked again carries the same id, MTN refuses the second with
//! `409`, and its status can be asked for from the reference alone. That `GET` is the
//! source of truth: callbacks are hints the service confirms with it.
//!
//! # Money and numbers
//!
//! The currencies of [`rails::MTN_MOMO`](ajo_core::webhook::rails::MTN_MOMO) (the market's
//! own must match the target environment; the sandbox takes EUR only), sent as strings in
//! major units. Phone numbers are read against the market's country
//! ([`MomoConfig::new`]) and sent as the MSISDN, digits with the country code and no `+`;
//! an invalid one is refused before any request.
//!
//! [`momo_reference_id`]: ajo_core::webhook::momo_reference_id

mod client;
mod error;
mod wire;

use std::fmt;
use std::sync::Arc;

use ajo_core::phone::Country;
use ajo_core::ports::{Clock, SystemClock};
use ajo_core::webhook::CallbackSecret;
use secrecy::{ExposeSecret, SecretString};

use crate::http::{ApiClient, HttpConfig, TokenCache};

pub use error::MomoError;

pub(crate) const PROVIDER: &str = "mtn-momo";

/// MTN's sandbox.
pub const SANDBOX_URL: &str = "https://sandbox.momodeveloper.mtn.com";

/// MTN's production proxy (some markets have their own host).
pub const LIVE_URL: &str = "https://proxy.momoapi.mtn.com";

/// How to reach MTN MoMo: the API user and key, each product's subscription key, the
/// target environment (`sandbox`, `mtnuganda`, `mtnghana`...), the market's country, the
/// callback secret and public callback URL, the clock, and the HTTP settings.
///
/// ```
/// use ajo_adapters::momo::MomoConfig;
/// use ajo_core::phone::Country;
/// use ajo_core::webhook::{CallbackSecret, Provider};
/// use secrecy::SecretString;
///
/// let callback = CallbackSecret::new(Provider::MtnMomo, SecretString::from("c".repeat(32)))?;
/// let config = MomoConfig::new(
///     "9f7c1a3e-0000-4000-8000-000000000001",
///     SecretString::from("api-key-123"),
///     "mtnuganda",
///     Country::UG,
///     callback,
///     "https://pay.example.com/webhooks/mtn-momo",
/// )
/// .with_collections(SecretString::from("collection-subscription"))
/// .with_disbursements(SecretString::from("disbursement-subscription"));
/// let shown = format!("{config:?}");
/// assert!(!shown.contains("api-key-123") && !shown.contains("subscription"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct MomoConfig {
    api_user: String,
    api_key: SecretString,
    collection_key: Option<SecretString>,
    disbursement_key: Option<SecretString>,
    target_environment: String,
    country: Country,
    callback: CallbackSecret,
    callback_base: String,
    clock: Arc<dyn Clock>,
    http: HttpConfig,
}

impl fmt::Debug for MomoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MomoConfig")
            .field("api_user", &self.api_user)
            .field("api_key", &"[REDACTED]")
            .field("collections", &self.collection_key.is_some())
            .field("disbursements", &self.disbursement_key.is_some())
            .field("target_environment", &self.target_environment)
            .field("country", &self.country.code())
            .field("callback", &self.callback)
            .field("callback_base", &self.callback_base)
            .field("http", &self.http)
            .finish()
    }
}

impl MomoConfig {
    /// MTN's production proxy for `api_user` (its UUID) and `api_key`, in
    /// `target_environment` whose numbers are `country`'s, calling back to `callback_base`
    /// (the public URL of the host's `/webhooks/mtn-momo` route) with `callback`'s token.
    /// Collections and Disbursements need their subscription keys
    /// ([`with_collections`](Self::with_collections),
    /// [`with_disbursements`](Self::with_disbursements)).
    pub fn new(
        api_user: impl Into<String>,
        api_key: SecretString,
        target_environment: impl Into<String>,
        country: Country,
        callback: CallbackSecret,
        callback_base: impl Into<String>,
    ) -> MomoConfig {
        MomoConfig {
            api_user: api_user.into(),
            api_key,
            collection_key: None,
            disbursement_key: None,
            target_environment: target_environment.into(),
            country,
            callback,
            callback_base: callback_base.into(),
            clock: Arc::new(SystemClock),
            http: HttpConfig::new(LIVE_URL),
        }
    }

    /// The same, collecting with the Collections product's subscription key.
    pub fn with_collections(mut self, subscription_key: SecretString) -> MomoConfig {
        self.collection_key = Some(subscription_key);
        self
    }

    /// The same, paying out with the Disbursements product's subscription key.
    pub fn with_disbursements(mut self, subscription_key: SecretString) -> MomoConfig {
        self.disbursement_key = Some(subscription_key);
        self
    }

    /// The same, with the clock tokens' expiry is read from.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> MomoConfig {
        self.clock = clock;
        self
    }

    /// The same, with other HTTP settings (the sandbox, [`SANDBOX_URL`], or a mock).
    pub fn with_http(mut self, http: HttpConfig) -> MomoConfig {
        self.http = http;
        self
    }
}

/// MoMo's products, each with its own subscription key and token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    Collection,
    Disbursement,
}

impl Product {
    fn path(self) -> &'static str {
        match self {
            Product::Collection => "collection",
            Product::Disbursement => "disbursement",
        }
    }
}

/// The payment gateway on MTN MoMo. Cheap to share behind an `Arc`; a token per product
/// and one circuit breaker for all its calls.
pub struct MomoGateway {
    api: ApiClient,
    config: MomoConfig,
    collection_token: TokenCache,
    disbursement_token: TokenCache,
}

impl fmt::Debug for MomoGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MomoGateway")
            .field("api", &self.api)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MomoGateway {
    /// A gateway with `config`.
    ///
    /// # Errors
    /// [`MomoError::MissingSetting`] for an empty API user or key, target environment,
    /// callback URL or subscription key; [`MomoError::HttpClient`] when the TLS stack
    /// cannot be set up.
    pub fn new(config: MomoConfig) -> Result<MomoGateway, MomoError> {
        let blank = |text: &str| text.trim().is_empty();
        let missing = [
            ("API user", blank(&config.api_user)),
            ("API key", blank(config.api_key.expose_secret())),
            ("target environment", blank(&config.target_environment)),
            ("callback base URL", blank(&config.callback_base)),
            (
                "Collections subscription key",
                config
                    .collection_key
                    .as_ref()
                    .is_some_and(|k| blank(k.expose_secret())),
            ),
            (
                "Disbursements subscription key",
                config
                    .disbursement_key
                    .as_ref()
                    .is_some_and(|k| blank(k.expose_secret())),
            ),
        ];
        if let Some((setting, _)) = missing.iter().find(|(_, is_missing)| *is_missing) {
            return Err(MomoError::MissingSetting { setting });
        }
        let api = ApiClient::new(PROVIDER, config.http.clone())
            .map_err(|source| MomoError::HttpClient { source })?;
        Ok(MomoGateway {
            api,
            config,
            collection_token: TokenCache::new(),
            disbursement_token: TokenCache::new(),
        })
    }

    /// The HTTP client, for its breaker state.
    pub fn api(&self) -> &ApiClient {
        &self.api
    }
}
