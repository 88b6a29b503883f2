//! MTN MoMo Open API: request-to-pay and transfer callbacks, which MTN does not sign.
//!
//! A callback's body is the same JSON as the status `GET` of the request it reports
//! (`requesttopay/{id}`, `transfer/{id}`). It is read only when it comes to a URL ending
//! with this deployment's path token ([`CallbackSecret`]); every event carries
//! [`Authentication::CallbackToken`], and the service confirms it with that `GET` before
//! crediting a collection or booking a payout.

use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::callback::{self, CallbackUrl};
use super::event::{GatewayEvent, Ignored, MAX_REASON_LEN, PaymentEventKind, bounded};
use super::{
    Acknowledgement, Authentication, CallbackSecret, DEFAULT_MAX_BODY_LEN, Provider,
    REFERENCE_PARAM, Rail, WebhookError, WebhookOutcome, WebhookRequest, WebhookVerifier,
    check_body_len, checked_max_body_len, payload,
};
use crate::money::{Currency, Money};

const P: Provider = Provider::MtnMomo;

/// MTN MoMo's rail: the currencies of the markets ajo serves through it (Ghana, Uganda,
/// Cameroon and Congo, Côte d'Ivoire and Benin, Zambia, Rwanda), and EUR, the only one
/// MTN's sandbox takes.
pub const RAIL: Rail = Rail::new(
    P,
    &[
        Currency::GHS,
        Currency::UGX,
        Currency::XAF,
        Currency::XOF,
        Currency::ZMW,
        Currency::RWF,
        Currency::EUR,
    ],
);

/// MTN asks only for a `200`; an empty body says nothing more.
const ACK: Acknowledgement = Acknowledgement {
    content_type: "text/plain",
    body: "",
};

/// The `X-Reference-Id` ajo sends MTN for `reference`: a UUID (version 4 in form, as MTN
/// requires) made from the reference, so the same collection or payout asked again carries
/// the same id and MTN refuses the second (`409`) rather than charge or pay twice, and so
/// its status can be asked for from the reference alone.
///
/// ```
/// let id = ajo_core::webhook::momo_reference_id("ajo=ctb=g1=r1=h1");
/// assert_eq!(id.len(), 36);
/// assert_eq!(id.as_bytes()[14], b'4');
/// assert_eq!(id, ajo_core::webhook::momo_reference_id("ajo=ctb=g1=r1=h1"));
/// ```
pub fn momo_reference_id(reference: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"ajo/momo-reference-id\0")
        .chain_update(reference.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    for (out, byte) in bytes.iter_mut().zip(digest.iter()) {
        *out = *byte;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..).unwrap_or_default()
    )
}

/// Verifies MTN MoMo callbacks by their URL token and reads request-to-pay and transfer
/// outcomes.
///
/// ```
/// use ajo_core::webhook::{
///     Authentication, CallbackSecret, MomoVerifier, PaymentEventKind, Provider, WebhookOutcome,
///     WebhookRequest, WebhookVerifier,
/// };
/// use chrono::Utc;
/// use secrecy::SecretString;
///
/// let secret = CallbackSecret::new(Provider::MtnMomo, SecretString::from("s".repeat(32)))?;
/// let verifier = MomoVerifier::new(vec![secret.clone()])?;
/// let url = secret.callback_url("https://pay.example.com/webhooks/mtn-momo", "ajo=ctb=g1=r1=h1");
/// let body = br#"{"financialTransactionId":"1232581108","externalId":"ajo=ctb=g1=r1=h1",
///   "amount":"500","currency":"UGX","payer":{"partyIdType":"MSISDN","partyId":"256772000000"},
///   "status":"SUCCESSFUL"}"#;
/// let request = WebhookRequest::new(&[], body, Utc::now()).with_url(&url);
/// let outcomes = verifier.verify_request(&request)?;
/// let [WebhookOutcome::Payment(event)] = outcomes.as_slice() else {
///     panic!("a successful request-to-pay is a payment");
/// };
/// assert_eq!(event.kind(), PaymentEventKind::ChargeSucceeded);
/// assert_eq!(event.amount().to_string(), "500 UGX");
/// assert_eq!(event.authentication(), Authentication::CallbackToken);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MomoVerifier {
    secrets: Vec<CallbackSecret>,
    max_body_len: usize,
}

impl fmt::Debug for MomoVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MomoVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("max_body_len", &self.max_body_len)
            .finish()
    }
}

impl MomoVerifier {
    /// A verifier for the given callback secrets (several while one is rolled).
    ///
    /// # Errors
    /// [`WebhookError::SecretMissing`] for none, [`WebhookError::TooManySecrets`] past
    /// [`MAX_SECRETS`](super::MAX_SECRETS), [`WebhookError::InvalidConfig`] for a secret
    /// made for another provider.
    pub fn new(secrets: Vec<CallbackSecret>) -> Result<MomoVerifier, WebhookError> {
        Ok(MomoVerifier {
            secrets: callback::checked(P, secrets)?,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_LEN`]).
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero.
    pub fn with_max_body_len(mut self, max: usize) -> Result<MomoVerifier, WebhookError> {
        self.max_body_len = checked_max_body_len(P, max)?;
        Ok(self)
    }

    /// Checks the URL's token, then reads the callback.
    ///
    /// | body | `status` | outcome |
    /// | --- | --- | --- |
    /// | with `payer` (request to pay) | `SUCCESSFUL` | [`PaymentEventKind::ChargeSucceeded`] |
    /// | with `payer` | `FAILED` | [`PaymentEventKind::ChargeFailed`], `reason` kept |
    /// | with `payee` (transfer) | `SUCCESSFUL` | [`PaymentEventKind::PayoutSucceeded`] |
    /// | with `payee` | `FAILED` | [`PaymentEventKind::PayoutFailed`] |
    /// | `PENDING`, or neither | | [`WebhookOutcome::Ignored`] |
    ///
    /// The reference is the URL's `ref` parameter, else `externalId` (the adapter sends
    /// both; when both are there they must agree). Amounts are strings in major units,
    /// read exactly. The transaction id is the `X-Reference-Id` MTN looks the request up
    /// by ([`momo_reference_id`]); the provider reference is `financialTransactionId`.
    /// `reason` may be a string (what MTN sends) or `{code, message}` (its Swagger model).
    ///
    /// # Errors
    /// [`WebhookError::BodyTooLarge`]; [`WebhookError::BadToken`] when the URL does not end
    /// with a configured secret's token; then [`WebhookError::MalformedPayload`],
    /// [`WebhookError::InvalidAmount`] and [`WebhookError::UnsupportedCurrency`].
    pub fn verify_and_parse(&self, url: &str, body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
        check_body_len(P, body, self.max_body_len)?;
        let url = CallbackUrl::parse(P, url)?;
        url.secret(P, &self.secrets)?;
        let from_url = url.param(P, REFERENCE_PARAM)?;
        let text = payload::utf8(P, body)?;
        let status: Status<'_> = payload::json(P, text)?;
        let reference = match (from_url, status.external_id.as_deref()) {
            (Some(from_url), Some(external)) if from_url != external => {
                return Err(WebhookError::payload(
                    P,
                    "the callback URL and externalId name different references",
                ));
            }
            (Some(from_url), _) => from_url,
            (None, Some(external)) => external.to_owned(),
            (None, None) => {
                return Err(WebhookError::payload(P, "the callback names no reference"));
            }
        };
        let reference = payload::text_id(P, &reference, "externalId")?;
        let payout = match (status.payer.is_some(), status.payee.is_some()) {
            (true, false) => false,
            (false, true) => true,
            _ => return Ok(WebhookOutcome::Ignored(Ignored::new(P, "unknown"))),
        };
        let kind = match (status.status.as_str(), payout) {
            ("SUCCESSFUL", false) => PaymentEventKind::ChargeSucceeded,
            ("FAILED", false) => PaymentEventKind::ChargeFailed,
            ("SUCCESSFUL", true) => PaymentEventKind::PayoutSucceeded,
            ("FAILED", true) => PaymentEventKind::PayoutFailed,
            (other, _) => return Ok(WebhookOutcome::Ignored(Ignored::new(P, other))),
        };
        let currency = payload::currency(&RAIL, &status.currency)?;
        let amount = match status.amount {
            Some(raw) => payload::major_units(P, raw, "amount", currency)?,
            None if kind == PaymentEventKind::ChargeFailed
                || kind == PaymentEventKind::PayoutFailed =>
            {
                Money::zero(currency)
            }
            None => {
                return Err(WebhookError::payload(
                    P,
                    "a successful callback names no amount",
                ));
            }
        };
        let mut event = GatewayEvent::new(P, kind, reference.as_str(), amount)
            .with_transaction_id(momo_reference_id(&reference))
            .with_authentication(Authentication::CallbackToken);
        if let Some(id) = status
            .financial_transaction_id
            .as_deref()
            .filter(|i| !i.is_empty())
        {
            event.provider_reference = Some(payload::text_id(P, id, "financialTransactionId")?);
        }
        if let Some(reason) = status.reason {
            event.failure_reason = Some(bounded(&reason_text(reason)?, MAX_REASON_LEN));
        }
        Ok(WebhookOutcome::Payment(event))
    }
}

impl WebhookVerifier for MomoVerifier {
    fn rail(&self) -> Rail {
        RAIL
    }

    fn max_body_len(&self) -> usize {
        self.max_body_len
    }

    fn token_in_path(&self) -> bool {
        true
    }

    fn acknowledgement(&self) -> Option<Acknowledgement> {
        Some(ACK)
    }

    fn verify_request(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<WebhookOutcome>, WebhookError> {
        self.verify_and_parse(request.url(), request.body())
            .map(|outcome| vec![outcome])
    }
}

/// The status JSON MTN sends for a request to pay or a transfer.
#[derive(Deserialize)]
struct Status<'a> {
    #[serde(rename = "financialTransactionId", default)]
    financial_transaction_id: Option<String>,
    #[serde(rename = "externalId", default)]
    external_id: Option<String>,
    #[serde(borrow, default)]
    amount: Option<&'a RawValue>,
    currency: String,
    #[serde(borrow, default)]
    payer: Option<&'a RawValue>,
    #[serde(borrow, default)]
    payee: Option<&'a RawValue>,
    status: String,
    #[serde(borrow, default)]
    reason: Option<&'a RawValue>,
}

/// `reason` as text: `"NOT_ENOUGH_FUNDS"`, or `{"code":"PAYER_NOT_FOUND","message":"…"}`.
pub(crate) fn reason_text(raw: &RawValue) -> Result<String, WebhookError> {
    #[derive(Deserialize)]
    struct Coded {
        code: String,
        #[serde(default)]
        message: Option<String>,
    }
    let text = raw.get();
    if text.starts_with('"') {
        return payload::json::<String>(P, text);
    }
    let coded: Coded = payload::json(P, text)?;
    Ok(match coded.message {
        Some(message) => format!("{}: {message}", coded.code),
        None => coded.code,
    })
}

#[cfg(test)]
mod tests;
