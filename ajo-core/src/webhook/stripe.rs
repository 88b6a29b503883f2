//! Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, each `v1` the lowercase hex
//! HMAC-SHA256 of `"{t}.{raw body}"` keyed with the endpoint's `whsec_…` secret (as text,
//! not decoded). The signed timestamp must lie within the tolerance of `now`, both ways.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use hmac::Hmac;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::Sha256;

use super::event::{
    AmountBasis, GatewayEvent, IdempotencyKey, Ignored, MAX_REASON_LEN, PaymentEventKind, bounded,
};
use super::{
    DEFAULT_MAX_BODY_LEN, Headers, Provider, Rail, WebhookError, WebhookOutcome, WebhookRequest,
    WebhookVerifier, check_body_len, checked_max_body_len, headers, payload, secret,
};
use crate::money::Currency;

const P: Provider = Provider::Stripe;

/// Stripe's rail: the currencies ajo charges in through Stripe. Stripe takes each in its
/// smallest unit, and its zero-decimal currencies (JPY, UGX, RWF, XOF, XAF) have no minor
/// units in ajo's table either, so the two agree.
pub const RAIL: Rail = Rail::new(
    P,
    &[
        Currency::USD,
        Currency::EUR,
        Currency::GBP,
        Currency::NGN,
        Currency::GHS,
        Currency::KES,
        Currency::ZAR,
        Currency::EGP,
        Currency::TZS,
        Currency::UGX,
        Currency::RWF,
        Currency::XOF,
        Currency::XAF,
        Currency::JPY,
    ],
);

const SIGNATURE: &str = "Stripe-Signature";

/// The longest `Stripe-Signature` accepted: room for several `v1` during a secret roll.
const MAX_HEADER_LEN: usize = 2048;

/// The most `v1` signatures looked at in one header.
const MAX_SIGNATURES: usize = 16;

/// The metadata key ajo puts its reference under when it creates a PaymentIntent,
/// Refund, Transfer or Payout (Stripe copies a PaymentIntent's metadata to its Charge).
pub(super) const REFERENCE_METADATA_KEY: &str = "ajo_reference";

/// Verifies Stripe webhooks and reads payment, refund, dispute, payout and transfer events.
#[derive(Clone)]
pub struct StripeVerifier {
    secrets: Vec<SecretString>,
    tolerance_s: u32,
    max_body_len: usize,
}

impl StripeVerifier {
    /// Stripe's default tolerance: 300 seconds either side of `now`.
    pub const DEFAULT_TOLERANCE_S: u32 = 300;

    /// The largest tolerance accepted: one day.
    pub const MAX_TOLERANCE_S: u32 = 86_400;

    /// A verifier for the given endpoint secrets (`whsec_…`; the old and the new one while
    /// Stripe rolls a secret).
    ///
    /// # Errors
    /// [`WebhookError::SecretMissing`] for no secret or an empty one;
    /// [`WebhookError::TooManySecrets`] past [`MAX_SECRETS`](super::MAX_SECRETS).
    pub fn new(signing_secrets: Vec<SecretString>) -> Result<StripeVerifier, WebhookError> {
        Ok(StripeVerifier {
            secrets: secret::checked(P, signing_secrets)?,
            tolerance_s: Self::DEFAULT_TOLERANCE_S,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// How far the signed timestamp may be from `now`, in seconds, either way. It cannot be
    /// turned off: without it a captured request could be replayed forever.
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero or more than [`Self::MAX_TOLERANCE_S`].
    pub fn with_tolerance(mut self, seconds: u32) -> Result<StripeVerifier, WebhookError> {
        if seconds == 0 || seconds > Self::MAX_TOLERANCE_S {
            return Err(WebhookError::InvalidConfig {
                provider: P,
                reason: "the tolerance must be 1 to 86400 seconds",
            });
        }
        self.tolerance_s = seconds;
        Ok(self)
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_LEN`]).
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero.
    pub fn with_max_body_len(mut self, max: usize) -> Result<StripeVerifier, WebhookError> {
        self.max_body_len = checked_max_body_len(P, max)?;
        Ok(self)
    }

    /// Checks that Stripe signed `body` at a time within the tolerance of `now`. The request
    /// is valid if any `v1` matches under any configured secret; `v0` and unknown keys are
    /// ignored.
    ///
    /// # Errors
    /// [`WebhookError::BodyTooLarge`]; [`WebhookError::MissingHeader`],
    /// [`WebhookError::DuplicateHeader`]; [`WebhookError::MalformedHeader`] without a
    /// timestamp or a `v1`, or with an item that is not `key=value`;
    /// [`WebhookError::OutsideReplayWindow`] if `t` is more than the tolerance before or
    /// after `now`; [`WebhookError::BadSignature`] if no `v1` matches.
    pub fn verify<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        check_body_len(P, body, self.max_body_len)?;
        let value = headers::required(headers, P, SIGNATURE, MAX_HEADER_LEN)?;
        let header = parse_header(value)?;
        let now_s = now.timestamp();
        let tolerance = i64::from(self.tolerance_s);
        let too_old = header.timestamp < now_s.saturating_sub(tolerance);
        let too_new = header.timestamp > now_s.saturating_add(tolerance);
        if too_old || too_new {
            return Err(WebhookError::OutsideReplayWindow {
                provider: P,
                timestamp: header.timestamp,
                now: now_s,
                tolerance_s: self.tolerance_s,
            });
        }
        let parts = [header.timestamp_text.as_bytes(), b".", body];
        if secret::any_mac_matches::<Hmac<Sha256>>(P, &self.secrets, &parts, &header.signatures)? {
            Ok(())
        } else {
            Err(WebhookError::BadSignature { provider: P })
        }
    }

    /// [`verify`](Self::verify), then reads the event.
    ///
    /// | Stripe event | outcome |
    /// | --- | --- |
    /// | `payment_intent.succeeded` | [`PaymentEventKind::ChargeSucceeded`] (`amount_received`) |
    /// | `payment_intent.payment_failed` | [`PaymentEventKind::ChargeFailed`] (reason: `last_payment_error`) |
    /// | `refund.created`, `refund.updated`, `charge.refund.updated` with status `succeeded` | [`PaymentEventKind::RefundProcessed`] (this refund's `amount`) |
    /// | the same with status `failed` or `canceled`; `refund.failed` | [`PaymentEventKind::RefundFailed`] |
    /// | `charge.refunded` | [`PaymentEventKind::RefundProcessed`] ([`AmountBasis::Cumulative`]: `amount_refunded`, all refunds of the charge so far) |
    /// | `charge.dispute.created` | [`PaymentEventKind::DisputeOpened`] |
    /// | `charge.dispute.funds_withdrawn` | [`PaymentEventKind::DisputeFundsWithdrawn`] |
    /// | `charge.dispute.funds_reinstated` | [`PaymentEventKind::DisputeFundsReinstated`] |
    /// | `charge.dispute.closed` with status `won` (or `warning_closed`: an inquiry that never became a chargeback) | [`PaymentEventKind::DisputeWon`] |
    /// | `charge.dispute.closed` with status `lost` | [`PaymentEventKind::DisputeLost`] |
    /// | `payout.paid` | [`PaymentEventKind::PayoutSucceeded`] |
    /// | `payout.failed`, `payout.canceled` | [`PaymentEventKind::PayoutFailed`] |
    /// | `transfer.reversed` | [`PaymentEventKind::PayoutReversed`] ([`AmountBasis::Cumulative`]: `amount_reversed`, all reversals so far) |
    /// | refunds still `pending` or `requires_action`; `charge.dispute.updated`; anything else | [`WebhookOutcome::Ignored`] |
    ///
    /// Amounts are in the smallest currency unit, as Stripe sends them (zero-decimal
    /// currencies in whole units); a dispute's is its `amount`, the disputed amount in the
    /// charge's currency (the balance transactions, in the settlement currency and with
    /// Stripe's fee, are not read).
    ///
    /// The reference is the object's `metadata.ajo_reference` (a Charge carries its
    /// PaymentIntent's metadata; ajo's refunds carry the collection's reference), else the
    /// [transaction id](GatewayEvent::transaction_id): the object's own id for a
    /// PaymentIntent, Payout or Transfer, and for a Charge, Refund or Dispute the
    /// `payment_intent` it names, else the charge. A Dispute never carries ajo's reference.
    ///
    /// The idempotency key is `stripe:{object id}:{kind}` rather than the event id, because
    /// Stripe reports one fact in several events (a refund in `refund.created` and
    /// `refund.updated`, or `refund.updated` and `charge.refund.updated`); each refund,
    /// dispute step, payout or transfer still has its own. For running totals it is
    /// `stripe:{object id}@{total in minor units}:{kind}`, so a second partial refund or
    /// reversal is a new key and a re-delivery is not.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); then [`WebhookError::MalformedPayload`] (also for a
    /// `charge.refunded` without `amount_refunded` and for a closed dispute whose status is
    /// none of the above, which may have moved money) and [`WebhookError::InvalidAmount`].
    pub fn verify_and_parse<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<WebhookOutcome, WebhookError> {
        self.verify(headers, body, now)?;
        parse(body)
    }
}

impl WebhookVerifier for StripeVerifier {
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
        self.verify_and_parse(request.headers(), request.body(), request.received_at())
            .map(|outcome| vec![outcome])
    }
}

impl fmt::Debug for StripeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("tolerance_s", &self.tolerance_s)
            .field("max_body_len", &self.max_body_len)
            .finish()
    }
}

#[derive(Debug)]
struct SignatureHeader<'a> {
    timestamp: i64,
    timestamp_text: &'a str,
    /// The `v1` values that are well-formed (64 lowercase hex digits); others can never
    /// match and are dropped.
    signatures: Vec<[u8; 32]>,
}

fn parse_header(value: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    let malformed = |reason| WebhookError::MalformedHeader {
        provider: P,
        header: SIGNATURE,
        reason,
    };
    let mut timestamp_text = None;
    let mut v1_seen = 0usize;
    let mut signatures = Vec::new();
    for item in value.split(',') {
        let (key, val) = item
            .trim()
            .split_once('=')
            .ok_or(malformed("an item is not key=value"))?;
        match key {
            "t" => {
                let earlier = timestamp_text.replace(val);
                if earlier.is_some() {
                    return Err(malformed("more than one timestamp"));
                }
            }
            "v1" => {
                v1_seen = v1_seen.saturating_add(1);
                if v1_seen > MAX_SIGNATURES {
                    return Err(malformed("too many v1 signatures"));
                }
                if let Some(sig) = secret::decode_lower_hex::<32>(val.as_bytes()) {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let timestamp_text = timestamp_text.ok_or(malformed("no timestamp (t=)"))?;
    let digits = (1..=12).contains(&timestamp_text.len())
        && timestamp_text.bytes().all(|b| b.is_ascii_digit());
    let timestamp = if digits {
        timestamp_text.parse::<i64>().ok()
    } else {
        None
    }
    .ok_or(malformed("timestamp is not Unix seconds"))?;
    if v1_seen == 0 {
        return Err(malformed("no v1 signature"));
    }
    Ok(SignatureHeader {
        timestamp,
        timestamp_text,
        signatures,
    })
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    created: i64,
    #[serde(borrow)]
    data: EventData<'a>,
}

#[derive(Deserialize)]
struct EventData<'a> {
    #[serde(borrow)]
    object: &'a RawValue,
}

/// The fields ajo reads from a PaymentIntent, Charge, Refund, Dispute, Payout or Transfer.
#[derive(Deserialize)]
struct Object<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    amount: &'a RawValue,
    #[serde(borrow, default)]
    amount_received: Option<&'a RawValue>,
    #[serde(borrow, default)]
    amount_refunded: Option<&'a RawValue>,
    #[serde(borrow, default)]
    amount_reversed: Option<&'a RawValue>,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    metadata: Option<BTreeMap<Cow<'a, str>, Option<Cow<'a, str>>>>,
    /// On a Charge, Refund or Dispute: the PaymentIntent it belongs to.
    #[serde(borrow, default)]
    payment_intent: Option<Expandable<'a>>,
    /// On a Refund or Dispute: the Charge it is about.
    #[serde(borrow, default)]
    charge: Option<Expandable<'a>>,
    #[serde(borrow, default)]
    last_payment_error: Option<PaymentError<'a>>,
    #[serde(borrow, default)]
    failure_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    failure_message: Option<Cow<'a, str>>,
}

/// A related object: its id, as webhooks send it, or the object itself where it was
/// expanded.
#[derive(Deserialize)]
#[serde(untagged)]
enum Expandable<'a> {
    Id(#[serde(borrow)] Cow<'a, str>),
    Object {
        #[serde(borrow)]
        id: Cow<'a, str>,
    },
}

impl Expandable<'_> {
    fn id(&self) -> &str {
        match self {
            Expandable::Id(id) | Expandable::Object { id } => id,
        }
    }
}

#[derive(Deserialize)]
struct PaymentError<'a> {
    #[serde(borrow, default)]
    code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    decline_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
}

/// What an event type says, before its object is read.
enum Reading {
    /// The kind is known from the type alone.
    Kind(PaymentEventKind),
    /// A refund's status decides (`refund.created`, `refund.updated`,
    /// `charge.refund.updated`).
    RefundStatus,
    /// A closed dispute's status decides.
    ClosedDispute,
}

fn parse(body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
    let text = payload::utf8(P, body)?;
    let event: Event<'_> = payload::json(P, text)?;
    let reading = match event.kind.as_ref() {
        "payment_intent.succeeded" => Reading::Kind(PaymentEventKind::ChargeSucceeded),
        "payment_intent.payment_failed" => Reading::Kind(PaymentEventKind::ChargeFailed),
        "charge.refunded" => Reading::Kind(PaymentEventKind::RefundProcessed),
        "refund.created" | "refund.updated" | "charge.refund.updated" => Reading::RefundStatus,
        "refund.failed" => Reading::Kind(PaymentEventKind::RefundFailed),
        "charge.dispute.created" => Reading::Kind(PaymentEventKind::DisputeOpened),
        "charge.dispute.funds_withdrawn" => Reading::Kind(PaymentEventKind::DisputeFundsWithdrawn),
        "charge.dispute.funds_reinstated" => {
            Reading::Kind(PaymentEventKind::DisputeFundsReinstated)
        }
        "charge.dispute.closed" => Reading::ClosedDispute,
        "payout.paid" => Reading::Kind(PaymentEventKind::PayoutSucceeded),
        "payout.failed" | "payout.canceled" => Reading::Kind(PaymentEventKind::PayoutFailed),
        "transfer.reversed" => Reading::Kind(PaymentEventKind::PayoutReversed),
        other => return Ok(WebhookOutcome::Ignored(Ignored::new(P, other))),
    };
    let object: Object<'_> = payload::json(P, event.data.object.get())?;
    let status = object.status.as_deref();
    let kind = match reading {
        Reading::Kind(kind) => kind,
        Reading::RefundStatus => match status {
            Some("succeeded") => PaymentEventKind::RefundProcessed,
            // A refund can fail after it succeeded; Stripe then returns the money.
            Some("failed" | "canceled") => PaymentEventKind::RefundFailed,
            // `pending`, `requires_action`: nothing has moved yet.
            other => return Ok(ignored_with_status(&event.kind, other)),
        },
        Reading::ClosedDispute => match status {
            Some("won") => PaymentEventKind::DisputeWon,
            Some("lost") => PaymentEventKind::DisputeLost,
            // An inquiry that closed without becoming a chargeback: no money was taken and
            // none will be, which is what winning means here.
            Some("warning_closed") => PaymentEventKind::DisputeWon,
            // A closed status we cannot read may have moved money: keep it for a person.
            _ => {
                return Err(WebhookError::payload(
                    P,
                    "data.object.status is not a known closed dispute status",
                ));
            }
        },
    };
    let object_id = payload::text_id(P, &object.id, "data.object.id")?;
    let transaction_id = if kind.is_about_a_collection() {
        // Refunds, disputes and charges name their PaymentIntent (ajo collects through
        // PaymentIntents); a charge made without one is known by its own id.
        match (&object.payment_intent, &object.charge) {
            (Some(pi), _) => payload::text_id(P, pi.id(), "data.object.payment_intent")?,
            (None, Some(ch)) => payload::text_id(P, ch.id(), "data.object.charge")?,
            (None, None) => object_id.clone(),
        }
    } else {
        object_id.clone()
    };
    let reference = match object
        .metadata
        .as_ref()
        .and_then(|m| m.get(REFERENCE_METADATA_KEY))
        .and_then(Option::as_deref)
    {
        Some(r) => payload::text_id(P, r, "data.object.metadata.ajo_reference")?,
        None => transaction_id.clone(),
    };
    let currency = payload::currency(&RAIL, &object.currency)?;
    let (amount_field, amount_name, amount_basis) = match (event.kind.as_ref(), kind) {
        (_, PaymentEventKind::ChargeSucceeded) => (
            object.amount_received.unwrap_or(object.amount),
            "data.object.amount_received",
            AmountBasis::Event,
        ),
        ("charge.refunded", _) => (
            object.amount_refunded.ok_or_else(|| {
                WebhookError::payload(P, "charge.refunded without data.object.amount_refunded")
            })?,
            "data.object.amount_refunded",
            AmountBasis::Cumulative,
        ),
        (_, PaymentEventKind::PayoutReversed) => (
            object.amount_reversed.unwrap_or(object.amount),
            "data.object.amount_reversed",
            AmountBasis::Cumulative,
        ),
        _ => (object.amount, "data.object.amount", AmountBasis::Event),
    };
    let amount = payload::minor_units(P, amount_field, amount_name, currency)?;
    // A running total is reported again each time it grows: the total in the key makes
    // each growth a new event and a re-delivery the same one.
    let key_subject = match amount_basis {
        AmountBasis::Cumulative => format!("{object_id}@{}", amount.minor()),
        _ => object_id.clone(),
    };
    let failure_reason = match kind {
        PaymentEventKind::ChargeFailed => object
            .last_payment_error
            .and_then(|e| e.decline_code.or(e.code).or(e.message)),
        PaymentEventKind::PayoutFailed => object
            .failure_code
            .or(object.failure_message)
            .or_else(|| (event.kind == "payout.canceled").then_some(Cow::Borrowed("canceled"))),
        _ => None,
    }
    .map(|r| bounded(&r, MAX_REASON_LEN));
    Ok(WebhookOutcome::Payment(GatewayEvent {
        provider: P,
        authentication: super::Authentication::Signature,
        kind,
        event_id: Some(payload::text_id(P, &event.id, "id")?),
        idempotency_key: IdempotencyKey::from_reference(P, &key_subject, kind.as_str()),
        reference,
        provider_reference: Some(object_id),
        transaction_id: Some(transaction_id),
        amount,
        amount_basis,
        occurred_at: Some(payload::unix(P, event.created, "created")?),
        failure_reason,
    }))
}

fn ignored_with_status(event_type: &str, status: Option<&str>) -> WebhookOutcome {
    let status = bounded(status.unwrap_or("no status"), 32);
    WebhookOutcome::Ignored(Ignored::new(P, &format!("{event_type} ({status})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_items_are_read_leniently_but_completely() {
        let good = "a".repeat(64);
        let value = format!("t=12, v1={good},v0=zz,v1=bad,x=y");
        let h = parse_header(&value).unwrap();
        assert_eq!(h.timestamp, 12);
        assert_eq!(h.timestamp_text, "12");
        assert_eq!(h.signatures, vec![[0xaa; 32]]);
        let malformed = |v: &str| match parse_header(v) {
            Err(WebhookError::MalformedHeader { reason, .. }) => reason,
            other => panic!("{v}: {other:?}"),
        };
        assert_eq!(malformed("bad_header"), "an item is not key=value");
        assert_eq!(malformed(&format!("v1={good}")), "no timestamp (t=)");
        assert_eq!(malformed("t=1,t=2,v1=x"), "more than one timestamp");
        assert_eq!(malformed("t=-1,v1=x"), "timestamp is not Unix seconds");
        assert_eq!(
            malformed("t=1234567890123,v1=x"),
            "timestamp is not Unix seconds"
        );
        assert_eq!(malformed("t=,v1=x"), "timestamp is not Unix seconds");
        assert_eq!(malformed("t=1,v0=x"), "no v1 signature");
        let many = std::iter::repeat_n("v1=x", 17)
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(malformed(&format!("t=1,{many}")), "too many v1 signatures");
        // Well-formed but unusable v1 values are kept out; the check then fails as a bad
        // signature, not a malformed header.
        assert!(parse_header("t=1,v1=BAD").unwrap().signatures.is_empty());
    }
}
