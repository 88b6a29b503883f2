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
    AmountBasis, GatewayEvent, IdempotencyKey, Ignored, MAX_REASON_LEN, PaymentEventKind, bounded,
};
use super::{
    DEFAULT_MAX_BODY_LEN, Headers, Provider, Rail, WebhookError, WebhookOutcome, WebhookRequest,
    WebhookVerifier, check_body_len, checked_max_body_len, headers, payload, secret,
};
use crate::money::Currency;

const P: Provider = Provider::Paystack;

/// Paystack's rail: the currencies it documents, each in its subunit (kobo, pesewas,
/// cents).
pub const RAIL: Rail = Rail::new(
    P,
    &[
        Currency::NGN,
        Currency::GHS,
        Currency::ZAR,
        Currency::KES,
        Currency::USD,
    ],
);

/// The signature header.
const SIGNATURE: &str = "x-paystack-signature";

/// Verifies Paystack webhooks and reads charge, transfer (payout), refund and dispute events.
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
    /// | `transfer.reversed` | [`PaymentEventKind::PayoutReversed`] (the whole transfer) |
    /// | `refund.processed` | [`PaymentEventKind::RefundProcessed`] |
    /// | `refund.failed` | [`PaymentEventKind::RefundFailed`] |
    /// | `charge.dispute.create` | [`PaymentEventKind::DisputeOpened`] |
    /// | `charge.dispute.resolve`, resolution `merchant-accepted` or `auto-accepted` | [`PaymentEventKind::DisputeLost`] |
    /// | `charge.dispute.resolve`, resolution `declined` | [`PaymentEventKind::DisputeWon`] |
    /// | `refund.pending`, `refund.processing`, `refund.needs-attention`, `charge.dispute.remind`, anything else | [`WebhookOutcome::Ignored`] |
    ///
    /// Amounts are in the currency's minor unit (kobo). Refunds and disputes carry the
    /// refunded or disputed collection's reference (`data.transaction_reference`; for
    /// disputes `data.transaction.reference`), and their amount is what was refunded
    /// (`data.amount`) or is disputed (`data.refund_amount`, else the transaction's amount;
    /// a lost dispute must say its refund amount). The transaction id is `data.id` (for
    /// disputes `data.transaction.id`; refund events carry none).
    ///
    /// Paystack events carry no event id, so the idempotency key is
    /// `paystack:{reference}:{kind}:{id}`, where the id is what the event is about: the
    /// charge's or transfer's `data.id`, the refund's `data.id` or else its
    /// `refund_reference` (else `amount-{minor units}`), the dispute's `data.id`. A
    /// re-delivery gives the same key; a second charge, refund or dispute on one reference
    /// does not. Without a `data.id` on a charge or transfer the key is
    /// `paystack:{reference}:{kind}`.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); then [`WebhookError::MalformedPayload`] for JSON that is
    /// not a Paystack event, a `data.status` that contradicts the event, or a dispute
    /// resolution that is not one of the above (it may have moved money, so it is not
    /// ignored), and [`WebhookError::InvalidAmount`] for an unknown currency or an amount
    /// out of range.
    pub fn verify_and_parse<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<WebhookOutcome, WebhookError> {
        self.verify(headers, body)?;
        parse(body)
    }
}

impl WebhookVerifier for PaystackVerifier {
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
    // Only some refund samples carry the refund's id (`refund.needs-attention`).
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
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

/// A `charge.dispute.*` payload: the dispute, with the disputed transaction inside.
#[derive(Deserialize)]
struct Dispute<'a> {
    #[serde(borrow)]
    id: &'a RawValue,
    // Null on disputes not yet given an amount (seen in list answers); the transaction's
    // amount is the one at stake then.
    #[serde(borrow, default)]
    refund_amount: Option<&'a RawValue>,
    #[serde(borrow, default)]
    currency: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    resolution: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    transaction: Option<DisputedTransaction<'a>>,
    // Null in every sample, which name the transaction inside `transaction`.
    #[serde(borrow, default)]
    transaction_reference: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "resolvedAt")]
    resolved_at: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct DisputedTransaction<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    reference: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    amount: Option<&'a RawValue>,
    #[serde(borrow, default)]
    currency: Option<Cow<'a, str>>,
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
        "refund.processed" => refund(
            payload::json(P, data)?,
            PaymentEventKind::RefundProcessed,
            "processed",
        )?,
        "refund.failed" => refund(
            payload::json(P, data)?,
            PaymentEventKind::RefundFailed,
            "failed",
        )?,
        "charge.dispute.create" => {
            dispute(payload::json(P, data)?, PaymentEventKind::DisputeOpened)?
        }
        "charge.dispute.resolve" => {
            let dispute_data: Dispute<'_> = payload::json(P, data)?;
            let kind = match dispute_data.resolution.as_deref() {
                // Accepted by the merchant, or by Paystack when the merchant did not answer
                // in time: the payer is refunded.
                Some("merchant-accepted" | "auto-accepted") => PaymentEventKind::DisputeLost,
                Some("declined") => PaymentEventKind::DisputeWon,
                // A resolution we cannot read may have moved money: keep it for a person
                // rather than acknowledge it as nothing.
                _ => {
                    return Err(WebhookError::payload(
                        P,
                        "data.resolution is not a known dispute resolution",
                    ));
                }
            };
            dispute(dispute_data, kind)?
        }
        // `refund.pending`, `refund.processing`, `refund.needs-attention` and
        // `charge.dispute.remind` move no money.
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
    let currency = payload::currency(&RAIL, &data.currency)?;
    let id = data
        .id
        .map(|id| payload::id(P, id, "data.id"))
        .transpose()?;
    Ok(GatewayEvent {
        provider: P,
        authentication: super::Authentication::Signature,
        kind,
        event_id: None,
        idempotency_key: IdempotencyKey::from_parts(P, &reference, kind.as_str(), id.as_deref()),
        provider_reference: id.clone(),
        transaction_id: id,
        amount: payload::minor_units(P, data.amount, "data.amount", currency)?,
        amount_basis: AmountBasis::Event,
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
    let currency = payload::currency(&RAIL, &data.currency)?;
    let id = data
        .id
        .map(|id| payload::id(P, id, "data.id"))
        .transpose()?;
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
        idempotency_key: IdempotencyKey::from_parts(P, &reference, kind.as_str(), id.as_deref()),
        provider_reference: data
            .transfer_code
            .map(|c| payload::text_id(P, &c, "data.transfer_code"))
            .transpose()?,
        transaction_id: id,
        // A Paystack reversal returns the whole transfer.
        amount: payload::minor_units(P, data.amount, "data.amount", currency)?,
        amount_basis: AmountBasis::Event,
        occurred_at: time
            .map(|t| payload::rfc3339(P, &t, "data.transferred_at"))
            .transpose()?,
        failure_reason,
        reference,
    })
}

fn refund(
    data: Refund<'_>,
    kind: PaymentEventKind,
    status: &str,
) -> Result<GatewayEvent, WebhookError> {
    status_must_be(data.status.as_deref(), status)?;
    let reference = payload::text_id(P, &data.transaction_reference, "data.transaction_reference")?;
    let refund_id = match (data.id, data.refund_reference) {
        (Some(id), _) => Some(payload::id(P, id, "data.id")?),
        (None, Some(r)) => Some(payload::text_id(P, &r, "data.refund_reference")?),
        (None, None) => None,
    };
    let currency = payload::currency(&RAIL, &data.currency)?;
    let amount = payload::minor_units(P, data.amount, "data.amount", currency)?;
    // Without any refund id, the amount is what tells two partial refunds of one charge
    // apart (two equal ones would still be taken for one: no sample lacks an id).
    let amount_id = format!("amount-{}", amount.minor());
    let key_id = refund_id.as_deref().unwrap_or(&amount_id);
    Ok(GatewayEvent {
        provider: P,
        authentication: super::Authentication::Signature,
        kind,
        event_id: None,
        idempotency_key: IdempotencyKey::from_parts(P, &reference, kind.as_str(), Some(key_id)),
        provider_reference: refund_id,
        // Refund payloads name the refunded transaction by reference only.
        transaction_id: None,
        amount,
        amount_basis: AmountBasis::Event,
        occurred_at: None,
        failure_reason: None,
        reference,
    })
}

fn dispute(data: Dispute<'_>, kind: PaymentEventKind) -> Result<GatewayEvent, WebhookError> {
    let dispute_id = payload::id(P, data.id, "data.id")?;
    let transaction = data.transaction;
    let reference = match (
        transaction.as_ref().and_then(|t| t.reference.as_deref()),
        data.transaction_reference.as_deref(),
    ) {
        (Some(r), _) => payload::text_id(P, r, "data.transaction.reference")?,
        (None, Some(r)) => payload::text_id(P, r, "data.transaction_reference")?,
        (None, None) => {
            return Err(WebhookError::payload(
                P,
                "a dispute names no transaction reference",
            ));
        }
    };
    let transaction_id = transaction
        .as_ref()
        .and_then(|t| t.id)
        .map(|id| payload::id(P, id, "data.transaction.id"))
        .transpose()?;
    let currency_code = data
        .currency
        .or_else(|| transaction.as_ref().and_then(|t| t.currency.clone()))
        .ok_or_else(|| WebhookError::payload(P, "a dispute names no currency"))?;
    let currency = payload::currency(&RAIL, &currency_code)?;
    // What leaves when a dispute is lost is the refund amount agreed, which may be part of
    // the charge; falling back to the whole charge would book more than left.
    let amount = match (data.refund_amount, kind) {
        (Some(raw), _) => payload::minor_units(P, raw, "data.refund_amount", currency)?,
        (_, PaymentEventKind::DisputeLost) => {
            return Err(WebhookError::payload(
                P,
                "a lost dispute has no data.refund_amount",
            ));
        }
        _ => {
            let raw = transaction
                .as_ref()
                .and_then(|t| t.amount)
                .ok_or_else(|| WebhookError::payload(P, "a dispute names no amount"))?;
            payload::minor_units(P, raw, "data.transaction.amount", currency)?
        }
    };
    let time = match kind {
        PaymentEventKind::DisputeOpened => data.created_at,
        _ => data.resolved_at.or(data.created_at),
    };
    Ok(GatewayEvent {
        provider: P,
        authentication: super::Authentication::Signature,
        kind,
        event_id: None,
        idempotency_key: IdempotencyKey::from_parts(
            P,
            &reference,
            kind.as_str(),
            Some(&dispute_id),
        ),
        provider_reference: Some(dispute_id),
        transaction_id,
        amount,
        amount_basis: AmountBasis::Event,
        occurred_at: time
            .map(|t| payload::rfc3339(P, &t, "data time"))
            .transpose()?,
        failure_reason: None,
        reference,
    })
}
