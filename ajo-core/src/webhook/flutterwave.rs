//! Flutterwave (v3): two schemes, both keyed with the dashboard's *secret hash*.
//!
//! - `flutterwave-signature`: base64 HMAC-SHA256 of the raw body. The default, and the only
//!   scheme a verifier accepts unless told otherwise.
//! - `verif-hash` (legacy, what many accounts still send): the secret hash itself, sent
//!   verbatim on every delivery. It covers neither the body nor a time, so anyone who has
//!   seen one request can forge any event with it. It is refused
//!   ([`WebhookError::SchemeNotEnabled`]) unless [`FlutterwaveVerifier::with_verif_hash`]
//!   turns it on, and events it let in say so
//!   ([`Authentication::StaticToken`](super::Authentication::StaticToken)), so the host can
//!   confirm them with Flutterwave before giving value.
//!
//! Neither scheme signs a timestamp: replays are stopped by de-duplication.

use std::borrow::Cow;
use std::fmt;

use hmac::Hmac;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::Sha256;

use super::event::{
    AmountBasis, GatewayEvent, IdempotencyKey, Ignored, MAX_REASON_LEN, PaymentEventKind, bounded,
};
use super::{
    Authentication, DEFAULT_MAX_BODY_LEN, Headers, Provider, Rail, WebhookError, WebhookOutcome,
    WebhookRequest, WebhookVerifier, check_body_len, checked_max_body_len, headers, payload,
    secret,
};
use crate::money::Currency;

const P: Provider = Provider::Flutterwave;

/// Flutterwave's rail: the currencies ajo collects and pays out in through it, each with
/// the decimals it has (UGX, RWF, XOF and XAF none).
pub const RAIL: Rail = Rail::new(
    P,
    &[
        Currency::NGN,
        Currency::GHS,
        Currency::KES,
        Currency::UGX,
        Currency::TZS,
        Currency::RWF,
        Currency::XOF,
        Currency::XAF,
        Currency::ZAR,
        Currency::EGP,
        Currency::USD,
        Currency::EUR,
        Currency::GBP,
    ],
);

const SIGNATURE: &str = "flutterwave-signature";
const VERIF_HASH: &str = "verif-hash";

/// Verifies Flutterwave webhooks and reads `charge.completed` and `transfer.completed`.
#[derive(Clone)]
pub struct FlutterwaveVerifier {
    secrets: Vec<SecretString>,
    accept_verif_hash: bool,
    max_body_len: usize,
}

impl FlutterwaveVerifier {
    /// A verifier for the given secret hashes (several during a rotation). It accepts only
    /// the `flutterwave-signature` scheme; see [`with_verif_hash`](Self::with_verif_hash)
    /// for the legacy one.
    ///
    /// # Errors
    /// [`WebhookError::SecretMissing`] for no secret hash or an empty one;
    /// [`WebhookError::TooManySecrets`] past [`MAX_SECRETS`](super::MAX_SECRETS).
    pub fn new(secret_hashes: Vec<SecretString>) -> Result<FlutterwaveVerifier, WebhookError> {
        Ok(FlutterwaveVerifier {
            secrets: secret::checked(P, secret_hashes)?,
            accept_verif_hash: false,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// Also accepts requests that carry only the legacy `verif-hash` header, for accounts
    /// that do not send `flutterwave-signature` yet.
    ///
    /// # Risk
    ///
    /// `verif-hash` is the secret hash itself, identical on every delivery and unrelated to
    /// the body: whoever has seen one request (a proxy or load-balancer log, a captured
    /// delivery) can forge any `charge.completed` from then on. Events it let in carry
    /// [`Authentication::StaticToken`] ([`GatewayEvent::authentication`]): confirm each with
    /// Flutterwave (re-query the transaction or transfer) before crediting it. A signature,
    /// when present, is still checked and decides; a wrong one is never rescued by a right
    /// `verif-hash`. Turn this off as soon as the account sends signatures.
    #[must_use]
    pub fn with_verif_hash(mut self) -> FlutterwaveVerifier {
        self.accept_verif_hash = true;
        self
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_LEN`]).
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero.
    pub fn with_max_body_len(mut self, max: usize) -> Result<FlutterwaveVerifier, WebhookError> {
        self.max_body_len = checked_max_body_len(P, max)?;
        Ok(self)
    }

    /// Checks the request: `flutterwave-signature` when present, else `verif-hash` if
    /// [enabled](Self::with_verif_hash).
    ///
    /// # Errors
    /// [`WebhookError::BodyTooLarge`]; [`WebhookError::SchemeNotEnabled`] when only
    /// `verif-hash` is present and it is not enabled; [`WebhookError::MissingHeader`] when
    /// no header of an accepted scheme is present; [`WebhookError::DuplicateHeader`];
    /// [`WebhookError::MalformedHeader`] if the signature is not base64 of 32 bytes;
    /// [`WebhookError::BadSignature`] if no secret hash matches.
    pub fn verify<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        self.authenticate(headers, body).map(drop)
    }

    /// [`verify`](Self::verify), saying which scheme let the request in.
    fn authenticate<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Authentication, WebhookError> {
        check_body_len(P, body, self.max_body_len)?;
        if let Some(value) = headers::optional(headers, P, SIGNATURE, 128)? {
            let signature: [u8; 32] =
                secret::decode_base64(value.as_bytes()).ok_or(WebhookError::MalformedHeader {
                    provider: P,
                    header: SIGNATURE,
                    reason: "not base64 of a 32-byte HMAC-SHA256",
                })?;
            return if secret::any_mac_matches::<Hmac<Sha256>>(
                P,
                &self.secrets,
                &[body],
                &[&signature],
            )? {
                Ok(Authentication::Signature)
            } else {
                Err(WebhookError::BadSignature { provider: P })
            };
        }
        let Some(value) = headers::optional(headers, P, VERIF_HASH, 1024)? else {
            return Err(WebhookError::MissingHeader {
                provider: P,
                header: if self.accept_verif_hash {
                    "flutterwave-signature or verif-hash"
                } else {
                    SIGNATURE
                },
            });
        };
        if !self.accept_verif_hash {
            // Refused before any comparison: a host that did not opt in learns nothing about
            // its secret hash from these requests.
            return Err(WebhookError::SchemeNotEnabled {
                provider: P,
                scheme: VERIF_HASH,
            });
        }
        let mut matched = false;
        for secret in &self.secrets {
            // Every secret is compared, in constant time, whatever matched before.
            matched |= secret::ct_eq_any_len(value.as_bytes(), secret.expose_secret().as_bytes());
        }
        if matched {
            Ok(Authentication::StaticToken)
        } else {
            Err(WebhookError::BadSignature { provider: P })
        }
    }

    /// [`verify`](Self::verify), then reads the event.
    ///
    /// | Flutterwave event | `data.status` | outcome |
    /// | --- | --- | --- |
    /// | `charge.completed` | `successful` | [`PaymentEventKind::ChargeSucceeded`] |
    /// | `charge.completed` | `failed` | [`PaymentEventKind::ChargeFailed`] |
    /// | `transfer.completed` | `SUCCESSFUL` | [`PaymentEventKind::PayoutSucceeded`] |
    /// | `transfer.completed` | `FAILED` | [`PaymentEventKind::PayoutFailed`] |
    /// | other statuses or events | | [`WebhookOutcome::Ignored`] |
    ///
    /// Amounts are in **major** units (`100` is ₦100.00) and are converted exactly; an amount
    /// with more decimals than the currency has is [`WebhookError::InvalidAmount`]. The
    /// reference is `tx_ref` for charges and `reference` for transfers, the transaction id
    /// `data.id`.
    ///
    /// The idempotency key is `flutterwave:{reference}:{kind}:{data.id}`: a re-delivery gives
    /// the same key, while a second charge on the same `tx_ref` (a new `data.id`) does not
    /// (without `data.id`, `flutterwave:{reference}:{kind}`).
    ///
    /// Refunds and chargebacks: Flutterwave's v3 webhooks, read here, document no refund or
    /// chargeback event. The v4 `refund.completed` webhook has another envelope (`type`,
    /// `webhook_id`, `timestamp`) and names no currency, so it is not read: such a body is
    /// [`WebhookError::MalformedPayload`] (kept for a person), never silently ignored.
    ///
    /// An event let in by `verif-hash` carries [`Authentication::StaticToken`], one with a
    /// signature [`Authentication::Signature`].
    ///
    /// # Errors
    /// As [`verify`](Self::verify); then [`WebhookError::MalformedPayload`] and
    /// [`WebhookError::InvalidAmount`].
    pub fn verify_and_parse<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        let authentication = self.authenticate(headers, body)?;
        let mut outcome = parse(body)?;
        if let WebhookOutcome::Payment(event) = &mut outcome {
            event.authentication = authentication;
        }
        Ok(outcome)
    }
}

impl WebhookVerifier for FlutterwaveVerifier {
    fn rail(&self) -> Rail {
        RAIL
    }

    fn max_body_len(&self) -> usize {
        self.max_body_len
    }

    fn verify_request(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<WebhookOutcome>, WebhookError> {
        self.verify_and_parse(request.headers(), request.body())
            .map(|outcome| vec![outcome])
    }
}

impl fmt::Debug for FlutterwaveVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlutterwaveVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("accept_verif_hash", &self.accept_verif_hash)
            .field("max_body_len", &self.max_body_len)
            .finish()
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct Charge<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    tx_ref: Cow<'a, str>,
    #[serde(borrow, default)]
    flw_ref: Option<Cow<'a, str>>,
    #[serde(borrow)]
    amount: &'a RawValue,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow, default)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    processor_response: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Transfer<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    reference: Cow<'a, str>,
    #[serde(borrow)]
    amount: &'a RawValue,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow, default)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    complete_message: Option<Cow<'a, str>>,
}

fn parse(body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
    let text = payload::utf8(P, body)?;
    let envelope: Envelope<'_> = payload::json(P, text)?;
    let data = envelope.data.get();
    let event = match envelope.event.as_ref() {
        "charge.completed" => {
            let charge: Charge<'_> = payload::json(P, data)?;
            let kind = match charge.status.as_ref() {
                "successful" => PaymentEventKind::ChargeSucceeded,
                "failed" => PaymentEventKind::ChargeFailed,
                other => return Ok(ignored(&envelope.event, other)),
            };
            let reason = charge.processor_response;
            let id = charge
                .id
                .map(|id| payload::id(P, id, "data.id"))
                .transpose()?;
            event(
                kind,
                &charge.tx_ref,
                id,
                charge.flw_ref.as_deref(),
                charge.amount,
                &charge.currency,
                charge.created_at.as_deref(),
                reason.as_deref(),
            )?
        }
        "transfer.completed" => {
            let transfer: Transfer<'_> = payload::json(P, data)?;
            let kind = match transfer.status.as_ref() {
                "SUCCESSFUL" => PaymentEventKind::PayoutSucceeded,
                "FAILED" => PaymentEventKind::PayoutFailed,
                other => return Ok(ignored(&envelope.event, other)),
            };
            let id = transfer
                .id
                .map(|id| payload::id(P, id, "data.id"))
                .transpose()?;
            event(
                kind,
                &transfer.reference,
                id.clone(),
                id.as_deref(),
                transfer.amount,
                &transfer.currency,
                transfer.created_at.as_deref(),
                transfer.complete_message.as_deref(),
            )?
        }
        other => return Ok(WebhookOutcome::Ignored(Ignored::new(P, other))),
    };
    Ok(WebhookOutcome::Payment(event))
}

fn ignored(event: &str, status: &str) -> WebhookOutcome {
    WebhookOutcome::Ignored(Ignored::new(
        P,
        &format!("{event} ({})", bounded(status, 32)),
    ))
}

#[allow(clippy::too_many_arguments)] // each is one field both event types share
fn event(
    kind: PaymentEventKind,
    reference: &str,
    transaction_id: Option<String>,
    provider_reference: Option<&str>,
    amount: &RawValue,
    currency: &str,
    created_at: Option<&str>,
    reason: Option<&str>,
) -> Result<GatewayEvent, WebhookError> {
    let reference = payload::text_id(P, reference, "data reference")?;
    let currency = payload::currency(&RAIL, currency)?;
    let failed = matches!(
        kind,
        PaymentEventKind::ChargeFailed | PaymentEventKind::PayoutFailed
    );
    Ok(GatewayEvent {
        provider: P,
        // Set by `verify_and_parse`, which knows the scheme.
        authentication: Authentication::Signature,
        kind,
        event_id: None,
        idempotency_key: IdempotencyKey::from_parts(
            P,
            &reference,
            kind.as_str(),
            transaction_id.as_deref(),
        ),
        provider_reference: provider_reference
            .map(|r| payload::text_id(P, r, "data provider reference"))
            .transpose()?,
        transaction_id,
        amount: payload::major_units(P, amount, "data.amount", currency)?,
        amount_basis: AmountBasis::Event,
        occurred_at: created_at
            .map(|t| payload::rfc3339(P, t, "data.created_at"))
            .transpose()?,
        failure_reason: reason
            .filter(|_| failed)
            .map(|r| bounded(r, MAX_REASON_LEN)),
        reference,
    })
}
