//! [`MpesaGateway`]: the [`PaymentGateway`](ajo_core::ports::PaymentGateway) port on
//! Safaricom's M-Pesa Daraja API, JSON over reqwest with rustls.
//!
//! | port call | Daraja endpoint | retried on timeout / 5xx |
//! | --- | --- | --- |
//! | (every call) | `GET /oauth/v1/generate?grant_type=client_credentials`, cached until a minute before it expires, fetched again once when refused | yes (GET) |
//! | `start_collection` | `POST /mpesa/stkpush/v1/processrequest` (STK Push, "Lipa na M-Pesa Online") | **no**: a second push is a second prompt the payer could pay |
//! | `verify_collection` | `POST /mpesa/stkpushquery/v1/query` by the `CheckoutRequestID` recorded when the push was sent | yes (a query) |
//! | `create_recipient` | none: a B2C recipient is a Kenyan phone number, checked here | |
//! | `send_payout` | `POST /mpesa/b2c/v3/paymentrequest` (B2C) | yes: `OriginatorConversationID` is the payout's tag, and Daraja refuses a duplicate |
//! | `send_payout` again, refused as a duplicate | `POST /mpesa/transactionstatus/v1/query` for the payout, its result by callback (`kind=status`) | yes (a query) |
//! | `refund`, `list_transactions` | none: Daraja's reversals and statements are asynchronous, for an operator | |
//!
//! # Money
//!
//! Kenyan shillings only, whole shillings only (Daraja takes no cents): anything else is
//! [`GatewayError::InvalidRequest`](ajo_core::ports::GatewayError::InvalidRequest) before
//! any request. The payer's phone ([`CollectionRequest::payer_phone`]) and the recipient's
//! number are read as Kenyan numbers ([`Msisdn`](ajo_core::phone::Msisdn)) and sent as
//! `2547XXXXXXXX`; an invalid one is refused before any request.
//!
//! # Callbacks and confirmation
//!
//! Daraja signs nothing. Every callback URL is built from the deployment's
//! [`CallbackSecret`]: `{callback_base}/{token}?ref={reference}`. The service takes what
//! arrives there as a hint and confirms it: a collection with the STK Push Query for the
//! `CheckoutRequestID` it recorded when the push was sent (an STK Push is for a fixed
//! amount, so a push that succeeded paid what was asked); Daraja has no synchronous status
//! for B2C, so a payout's `OriginatorConversationID` is a tag of its reference under the
//! deployment's payout key ([`B2cConfig::new`]; not the callback secret, which is rolled),
//! which the result must echo ([`Authentication::CallbackTag`]): a success so tagged is
//! booked, a failure is held for a person rather than sent again. When `tick`
//! sends a payout again because no result came, Daraja refuses the duplicate and the
//! gateway asks the Transaction Status query about it; its result, tagged by the original
//! `OriginatorConversationID` among its parameters, books a completed payout the same
//! way (and counts once with the B2C result, by the receipt).
//!
//! # What Daraja does not offer
//!
//! - No idempotency key for STK Push: the gateway remembers the pushes it sent in this
//!   process (the last 10,000) and answers a reference it has seen with the same checkout;
//!   the service never sends a reference twice anyway.
//! - If the answer to a push is lost (a timeout after Daraja accepted it), its
//!   `CheckoutRequestID` is unknown and the collection cannot be confirmed: the service
//!   lets it expire, and a payment made on that prompt is found in reconciliation.
//!
//! [`CollectionRequest::payer_phone`]: ajo_core::ports::CollectionRequest::payer_phone
//! [`Authentication::CallbackTag`]: ajo_core::webhook::Authentication::CallbackTag

mod client;
mod error;
mod wire;

use std::fmt;
use std::sync::{Arc, Mutex};

use ajo_core::money::Money;
use ajo_core::ports::{Clock, SystemClock};
use ajo_core::webhook::CallbackSecret;
use secrecy::{ExposeSecret, SecretString};

use crate::http::{ApiClient, HttpConfig, TokenCache};

pub use error::MpesaError;

pub(crate) const PROVIDER: &str = "mpesa";

/// Daraja's sandbox.
pub const SANDBOX_URL: &str = "https://sandbox.safaricom.co.ke";

/// Daraja's production API.
pub const LIVE_URL: &str = "https://api.safaricom.co.ke";

/// How many pushes the gateway remembers, to answer a reference sent again.
const REMEMBERED: usize = 10_000;

/// Where STK Push payments go: a Paybill (the shortcode itself) or a Till under a store
/// number.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StkTarget {
    /// `CustomerPayBillOnline` to the shortcode.
    PayBill,
    /// `CustomerBuyGoodsOnline` to this till number (the shortcode is then the store's).
    Till(String),
}

/// What B2C payouts need: the shortcode they are paid from and the initiator Daraja knows.
#[derive(Clone)]
pub struct B2cConfig {
    shortcode: String,
    initiator: String,
    security_credential: SecretString,
    payout_key: CallbackSecret,
    command_id: String,
}

impl fmt::Debug for B2cConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("B2cConfig")
            .field("shortcode", &self.shortcode)
            .field("initiator", &self.initiator)
            .field("security_credential", &"[REDACTED]")
            .field("payout_key", &self.payout_key)
            .field("command_id", &self.command_id)
            .finish()
    }
}

impl B2cConfig {
    /// Payouts from `shortcode` by `initiator`, whose password the host has encrypted with
    /// Safaricom's certificate (`security_credential`, base64, as Daraja's portal makes
    /// it), as `BusinessPayment`s, each sent with an `OriginatorConversationID` that is
    /// its reference's tag under `payout_key`.
    ///
    /// The payout key is the deployment's, given to the verifier too
    /// ([`MpesaVerifier::with_payout_key`](ajo_core::webhook::MpesaVerifier::with_payout_key)),
    /// and never changed while a payout is unsettled: a payout sent again must carry the
    /// id it was first sent with, or Daraja takes it for a new payment. (That is why it is
    /// not the callback secret, which is rolled.)
    pub fn new(
        shortcode: impl Into<String>,
        initiator: impl Into<String>,
        security_credential: SecretString,
        payout_key: CallbackSecret,
    ) -> B2cConfig {
        B2cConfig {
            shortcode: shortcode.into(),
            initiator: initiator.into(),
            security_credential,
            payout_key,
            command_id: "BusinessPayment".to_owned(),
        }
    }

    /// The same, with another `CommandID` (`SalaryPayment`, `PromotionPayment`).
    #[must_use]
    pub fn with_command_id(mut self, command_id: impl Into<String>) -> B2cConfig {
        self.command_id = command_id.into();
        self
    }
}

/// How to reach Daraja: the app's consumer key and secret, the Lipa na M-Pesa shortcode
/// and passkey, B2C's initiator, the callback secret and public callback URL, the clock
/// the password's timestamp comes from, and the HTTP settings.
///
/// ```
/// use ajo_adapters::mpesa::{B2cConfig, MpesaConfig};
/// use ajo_core::webhook::{CallbackSecret, Provider};
/// use secrecy::SecretString;
///
/// let callback = CallbackSecret::new(Provider::Mpesa, SecretString::from("c".repeat(32)))?;
/// let config = MpesaConfig::new(
///     "consumer-key",
///     SecretString::from("consumer-secret"),
///     "174379",
///     SecretString::from("bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"),
///     callback,
///     "https://pay.example.com/webhooks/mpesa",
/// )
/// .with_b2c(B2cConfig::new(
///     "600992",
///     "testapi",
///     SecretString::from("encrypted"),
///     CallbackSecret::new(Provider::Mpesa, SecretString::from("p".repeat(40)))?,
/// ));
/// let shown = format!("{config:?}");
/// assert!(!shown.contains("consumer-secret") && !shown.contains("bfb279") && !shown.contains("encrypted"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct MpesaConfig {
    consumer_key: String,
    consumer_secret: SecretString,
    shortcode: String,
    passkey: SecretString,
    target: StkTarget,
    account_reference: String,
    b2c: Option<B2cConfig>,
    callback: CallbackSecret,
    callback_base: String,
    clock: Arc<dyn Clock>,
    http: HttpConfig,
}

impl fmt::Debug for MpesaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpesaConfig")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"[REDACTED]")
            .field("shortcode", &self.shortcode)
            .field("passkey", &"[REDACTED]")
            .field("target", &self.target)
            .field("account_reference", &self.account_reference)
            .field("b2c", &self.b2c)
            .field("callback", &self.callback)
            .field("callback_base", &self.callback_base)
            .field("http", &self.http)
            .finish()
    }
}

impl MpesaConfig {
    /// Daraja's production API for the app (`consumer_key`, `consumer_secret`), collecting
    /// to the Paybill `shortcode` with its Lipa na M-Pesa `passkey`, calling back to
    /// `callback_base` (the public URL of the host's `/webhooks/mpesa` route) with
    /// `callback`'s token; no payouts until [`with_b2c`](Self::with_b2c).
    pub fn new(
        consumer_key: impl Into<String>,
        consumer_secret: SecretString,
        shortcode: impl Into<String>,
        passkey: SecretString,
        callback: CallbackSecret,
        callback_base: impl Into<String>,
    ) -> MpesaConfig {
        MpesaConfig {
            consumer_key: consumer_key.into(),
            consumer_secret,
            shortcode: shortcode.into(),
            passkey,
            target: StkTarget::PayBill,
            account_reference: "ajo".to_owned(),
            b2c: None,
            callback,
            callback_base: callback_base.into(),
            clock: Arc::new(SystemClock),
            http: HttpConfig::new(LIVE_URL),
        }
    }

    /// The same, paying into a Till rather than the Paybill.
    pub fn with_target(mut self, target: StkTarget) -> MpesaConfig {
        self.target = target;
        self
    }

    /// The same, with the account reference the payer's prompt shows (at most 12
    /// characters are sent; default `ajo`).
    pub fn with_account_reference(mut self, reference: impl Into<String>) -> MpesaConfig {
        self.account_reference = reference.into();
        self
    }

    /// The same, able to pay out by B2C.
    pub fn with_b2c(mut self, b2c: B2cConfig) -> MpesaConfig {
        self.b2c = Some(b2c);
        self
    }

    /// The same, with the clock the password's timestamp and the token's expiry are read
    /// from (the service's, so a run replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> MpesaConfig {
        self.clock = clock;
        self
    }

    /// The same, with other HTTP settings (the sandbox, [`SANDBOX_URL`], or a mock).
    pub fn with_http(mut self, http: HttpConfig) -> MpesaConfig {
        self.http = http;
        self
    }
}

/// A push this process sent: its checkout id and the amount asked.
#[derive(Debug, Clone)]
struct Pushed {
    checkout: String,
    amount: Money,
}

/// The payment gateway on M-Pesa Daraja. Cheap to share behind an `Arc`; one token cache
/// and one circuit breaker for all its calls.
pub struct MpesaGateway {
    api: ApiClient,
    config: MpesaConfig,
    token: TokenCache,
    pushed: Mutex<hashlink::LruCache<String, Pushed>>,
}

impl fmt::Debug for MpesaGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpesaGateway")
            .field("api", &self.api)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MpesaGateway {
    /// A gateway with `config`.
    ///
    /// # Errors
    /// [`MpesaError::MissingSetting`] for an empty consumer key or secret, shortcode or
    /// passkey (or B2C initiator or credential); [`MpesaError::HttpClient`] when the TLS
    /// stack cannot be set up.
    pub fn new(config: MpesaConfig) -> Result<MpesaGateway, MpesaError> {
        let blank = |text: &str| text.trim().is_empty();
        let missing = [
            ("consumer key", blank(&config.consumer_key)),
            (
                "consumer secret",
                blank(config.consumer_secret.expose_secret()),
            ),
            ("shortcode", blank(&config.shortcode)),
            ("passkey", blank(config.passkey.expose_secret())),
            ("callback base URL", blank(&config.callback_base)),
            (
                "B2C initiator",
                config.b2c.as_ref().is_some_and(|b| blank(&b.initiator)),
            ),
            (
                "B2C security credential",
                config
                    .b2c
                    .as_ref()
                    .is_some_and(|b| blank(b.security_credential.expose_secret())),
            ),
            (
                "B2C shortcode",
                config.b2c.as_ref().is_some_and(|b| blank(&b.shortcode)),
            ),
        ];
        if let Some((setting, _)) = missing.iter().find(|(_, is_missing)| *is_missing) {
            return Err(MpesaError::MissingSetting { setting });
        }
        let api = ApiClient::new(PROVIDER, config.http.clone())
            .map_err(|source| MpesaError::HttpClient { source })?;
        Ok(MpesaGateway {
            api,
            config,
            token: TokenCache::new(),
            pushed: Mutex::new(hashlink::LruCache::new(REMEMBERED)),
        })
    }

    /// The HTTP client, for its breaker state.
    pub fn api(&self) -> &ApiClient {
        &self.api
    }
}
