//! Paystack: `x-paystack-signature` is the lowercase hex HMAC-SHA512 of the raw body, keyed
//! with the integration's secret key (`sk_live_…`/`sk_test_…`; there is no separate webhook
//! secret). The scheme signs no timestamp, so replays are stopped by de-duplication.

use std::borrow::Cow;
use std::fmt;

use hmac::Hmac;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::Sha512;

use super::event::{
    GatewayEvent, IdempotencyKey, Ignored, MAX_REASON_LEN, PaymentEventKind, bounded,
};
use super::{
    DEFAULT_MAX_BODY_LEN, Headers, Provider, WebhookError, WebhookOutcome, check_body_len,
    checked_max_body_len, headers, payload, secret,
};

const P: Provider = Provider::Paystack;

/// The signature header.
const SIGNATURE: &str = "x-paystack-signature";

/// Verifies Paystack webhooks and reads charge, transfer (payout) and refund events.
///
/// Holds one or more secret keys: during a key roll, configure the old and the new one;
/// a request signed with either verifies.
#[derive(Clone)]
pub struct PaystackVerifier {
    secrets: Vec<SecretString>,
    max_body_len: usize,
}

impl PaystackVerifier {
    /// A verifier for the given secret keys.
    ///
    /// # Errors
    /// [`WebhookError::SecretMissing`] for no key or an empty one;
    /// [`WebhookError::TooManySecrets`] past [`MAX_SECRETS`](super::MAX_SECRETS).
    pub fn new(secret_keys: Vec<SecretString>) -> Result<PaystackVerifier, WebhookError> {
        Ok(PaystackVerifier {
            secrets: secret::checked(P, secret_keys)?,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_LEN`]).
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero.
    pub fn with_max_body_len(mut self, max: usize) -> Result<PaystackVerifier, WebhookError> {
        self.max_body_len = checked_max_body_len(P, max)?;
        Ok(self)
    }

    /// Checks that `body` is exactly what Paystack signed.
    ///
    /// # Errors
    /// [`WebhookError::BodyTooLarge`]; [`WebhookError::MissingHeader`] or
    /// [`WebhookError::DuplicateHeader`] for `x-paystack-signature`;
    /// [`WebhookError::MalformedHeader`] if it is not 128 lowercase hex digits;
    /// [`WebhookError::BadSignature`] if no configured key produced it.
    pub fn verify<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        check_body_len(P, body, self.max_body_len)?;
        let value = headers::required(headers, P, SIGNATURE, 256)?;
        let signature: [u8; 64] =
            secret::decode_lower_hex(value.as_bytes()).ok_or(WebhookError::MalformedHeader {
                provider: P,
                header: SIGNATURE,
                reason: "not 128 lowercase hex digits",
            })?;
        if secret::any_mac_matches::<Hmac<Sha512>>(P, &self.secrets, &[body], &[&signature])? {
            Ok(())
        } else {
            Err(WebhookError::BadSignature { provider: P })
        }
    }

    /// [`verify`](Self::verify), then reads the event.
    ///
    /// | Paystack event | outcome |
    /// | --- | --- |
    /// | `charge.success` | [`PaymentEventKind::ChargeSucceeded`] |
    /// | `transfer.success` | [`PaymentEventKind::PayoutSucceeded`] |
    /// | `transfer.failed` | [`PaymentEventKind::PayoutFailed`] |
    /// | `transfer.reversed` | [`PaymentEventKind::PayoutReversed`] |
    /// | `refund.processed` | [`PaymentEventKind::RefundProcessed`] (reference: the refunded charge's) |
    /// | anything else | [`WebhookOutcome::Ignored`] |
    ///
    /// Amounts are in the currency's minor unit (kobo). The idempotency key is
    /// `paystack:{reference}:{kind}` (Paystack events carry no event id); for refunds the
    /// reference in the key is Paystack's refund reference, when given.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); then [`WebhookError::MalformedPayload`] for JSON that is
    /// not a Paystack event or a `data.status` that contradicts the event, and
    /// [`WebhookError::InvalidAmount`] for an unknown currency or an amount out of range.
    pub fn verify_and_parse<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        self.verify(headers, body)?;
        parse(body)
    }
}

impl fmt::Debug for PaystackVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaystackVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
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
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reference: Cow<'a, str>,
    #[serde(borrow)]
    amount: &'a RawValue,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    #[serde(borrow, default)]
    paid_at: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Transfer<'a> {
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reference: Cow<'a, str>,
    #[serde(borrow)]
    amount: &'a RawValue,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    #[serde(borrow, default)]
    transfer_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    transferred_at: Option<Cow<'a, str>>,
    // Paystack's samples use both spellings.
    #[serde(borrow, default)]
    updated_at: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "updatedAt")]
    updated_at_camel: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    gateway_response: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Refund<'a> {
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    transaction_reference: Cow<'a, str>,
    #[serde(borrow, default)]
    refund_reference: Option<Cow<'a, str>>,
    #[serde(borrow)]
    amount: &'a RawValue,
    #[serde(borrow)]
    currency: Cow<'a, str>,
}

fn parse(body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
    let text = payload::utf8(P, body)?;
    let envelope: Envelope<'_> = payload::json(P, text)?;
    let data = envelope.data.get();
    let event = match envelope.event.as_ref() {
        "charge.success" => charge(payload::json(P, data)?)?,
        "transfer.success" => transfer(
            payload::json(P, data)?,
            PaymentEventKind::PayoutSucceeded,
            "success",
        )?,
        "transfer.failed" => transfer(
            payload::json(P, data)?,
            PaymentEventKind::PayoutFailed,
            "failed",
        )?,
        "transfer.reversed" => transfer(
            payload::json(P, data)?,
            PaymentEventKind::PayoutReversed,
            "reversed",
        )?,
        "refund.processed" => refund(payload::json(P, data)?)?,
        other => return Ok(WebhookOutcome::Ignored(Ignored::new(P, other))),
    };
    Ok(WebhookOutcome::Payment(event))
}

fn status_must_be(status: Option<&str>, expected: &str) -> Result<(), WebhookError> {
    match status {
        Some(s) if s != expected => Err(WebhookError::payload(
            P,
            "data.status contradicts the event name",
        )),
        _ => Ok(()),
    }
}

fn charge(data: Charge<'_>) -> Result<GatewayEvent, WebhookError> {
    status_must_be(data.status.as_deref(), "success")?;
    let kind = PaymentEventKind::ChargeSucceeded;
    let reference = payload::text_id(P, &data.reference, "data.reference")?;
    let currency = payload::currency(P, &data.currency)?;
    Ok(GatewayEvent {
        provider: P,
        authentication: super::Authentication::Signature,
        kind,
        event_id: None,
        idempotency_key: IdempotencyKey::from_reference(P, &reference, kind.as_str()),
        provider_reference: data
            .id
            .map(|id| payload::id(P, id, "data.id"))
            .transpose()?,
        amount: payload::minor_units(P, data.amount, "data.amount", currency)?,
        occurred_at: data
            .paid_at
            .map(|t| payload::rfc3339(P, &t, "data.paid_at"))
            .transpose()?,
        failure_reason: None,
        reference,
    })
}

fn transfer(
    data: Transfer<'_>,
    kind: PaymentEventKind,
    status: &str,
) -> Result<GatewayEvent, WebhookError> {
    status_must_be(data.status.as_deref(), status)?;
    let reference = payload::text_id(P, &data.reference, "data.reference")?;
    let currency = payload::currency(P, &data.currency)?;
    let time = data
        .transferred_at
        .or(data.updated_at)
        .or(data.updated_at_camel);
    let failure_reason = match kind {
        PaymentEventKind::PayoutFailed => {
            data.gateway_response.map(|r| bounded(&r, MAX_REASON_LEN))
        }
        _ => None,
    };
    Ok(GatewayEvent {
        provider: P,
        authentication: super::Authentication::Signature,
        kind,
        event_id: None,
        idempotency_key: IdempotencyKey::from_reference(P, &reference, kind.as_str()),
        provider_reference: data
            .transfer_code
            .map(|c| payload::text_id(P, &c, "data.transfer_code"))
            .transpose()?,
        amount: payload::minor_units(P, data.amount, "data.amount", currency)?,
        occurred_at: time
            .map(|t| payload::rfc3339(P, &t, "data.transferred_at"))
            .transpose()?,
        failure_reason,
        reference,
    })
}

fn refund(data: Refund<'_>) -> Result<GatewayEvent, WebhookError> {
    status_must_be(data.status.as_deref(), "processed")?;
    let kind = PaymentEventKind::RefundProcessed;
    let reference = payload::text_id(P, &data.transaction_reference, "data.transaction_reference")?;
    let refund_reference = data
        .refund_reference
        .map(|r| payload::text_id(P, &r, "data.refund_reference"))
        .transpose()?;
    let currency = payload::currency(P, &data.currency)?;
    let key_subject = refund_reference.as_deref().unwrap_or(&reference);
    Ok(GatewayEvent {
        provider: P,
        authentication: super::Authentication::Signature,
        kind,
        event_id: None,
        idempotency_key: IdempotencyKey::from_reference(P, key_subject, kind.as_str()),
        amount: payload::minor_units(P, data.amount, "data.amount", currency)?,
        provider_reference: refund_reference,
        occurred_at: None,
        failure_reason: None,
        reference,
    })
}
