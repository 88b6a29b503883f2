//! Provider-neutral events: what a verified webhook means to ajo.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Authentication, Provider};
use crate::money::Money;

/// The longest provider text (a decline reason, a bounce message) kept on an event.
pub const MAX_REASON_LEN: usize = 200;

/// The longest id or reference accepted from a payload.
pub const MAX_ID_LEN: usize = 200;

/// What a verified webhook turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WebhookOutcome {
    /// Money moved, or failed to, at a payment gateway.
    Payment(GatewayEvent),
    /// A message (email, SMS) reached its recipient, or did not.
    Delivery(DeliveryEvent),
    /// Authentic, but not an event ajo acts on (an unknown type, or an intermediate status
    /// such as "pending"). Not an error: answer `200` so the provider stops retrying.
    Ignored(Ignored),
}

impl WebhookOutcome {
    /// The key to de-duplicate this outcome on; `None` for [`WebhookOutcome::Ignored`].
    pub fn idempotency_key(&self) -> Option<&IdempotencyKey> {
        match self {
            WebhookOutcome::Payment(e) => Some(e.idempotency_key()),
            WebhookOutcome::Delivery(e) => Some(e.idempotency_key()),
            WebhookOutcome::Ignored(_) => None,
        }
    }
}

/// An authentic webhook that ajo does not act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    pub(super) provider: Provider,
    pub(super) event_type: String,
}

impl Ignored {
    pub(super) fn new(provider: Provider, event_type: &str) -> Ignored {
        Ignored {
            provider,
            event_type: bounded(event_type, MAX_ID_LEN),
        }
    }

    /// The provider that sent it.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The provider's name for it (`charge.dispute.create`, `refund.pending`,
    /// `payment_intent.succeeded` with an intermediate status...), at most
    /// [`MAX_ID_LEN`] bytes of it.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }
}

/// The key a service de-duplicates events on, since every provider may deliver an event
/// more than once: `provider:event-id` where the provider gives events an id (Stripe,
/// SendGrid), else `provider:reference:kind` (Paystack, Flutterwave, Twilio).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub(super) fn from_event_id(provider: Provider, event_id: &str) -> IdempotencyKey {
        IdempotencyKey(format!("{provider}:{event_id}"))
    }

    pub(super) fn from_reference(
        provider: Provider,
        reference: &str,
        status: &str,
    ) -> IdempotencyKey {
        IdempotencyKey(format!("{provider}:{reference}:{status}"))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What happened to money at a gateway, in ajo's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentEventKind {
    /// A payment into ajo (a contribution, a repayment) succeeded.
    ChargeSucceeded,
    /// A payment into ajo failed.
    ChargeFailed,
    /// A payout from ajo reached the recipient.
    PayoutSucceeded,
    /// A payout from ajo failed; the money did not leave.
    PayoutFailed,
    /// A payout that had succeeded came back: the ledger must reverse it.
    PayoutReversed,
    /// A refund of an earlier charge was paid back to the payer.
    RefundProcessed,
}

impl PaymentEventKind {
    /// A stable snake_case name (`charge_succeeded`), as used in idempotency keys.
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentEventKind::ChargeSucceeded => "charge_succeeded",
            PaymentEventKind::ChargeFailed => "charge_failed",
            PaymentEventKind::PayoutSucceeded => "payout_succeeded",
            PaymentEventKind::PayoutFailed => "payout_failed",
            PaymentEventKind::PayoutReversed => "payout_reversed",
            PaymentEventKind::RefundProcessed => "refund_processed",
        }
    }
}

impl fmt::Display for PaymentEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment gateway's event, provider-neutral.
///
/// The `reference` is ajo's own: the `reference`/`tx_ref` ajo sent when it started the
/// charge or payout (for Stripe, the `ajo_reference` metadata entry). Match on it, check
/// the amount and currency against what was expected, and de-duplicate on
/// [`idempotency_key`](Self::idempotency_key) before giving value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayEvent {
    pub(super) provider: Provider,
    pub(super) kind: PaymentEventKind,
    pub(super) event_id: Option<String>,
    pub(super) reference: String,
    pub(super) provider_reference: Option<String>,
    pub(super) amount: Money,
    pub(super) occurred_at: Option<DateTime<Utc>>,
    pub(super) failure_reason: Option<String>,
    pub(super) idempotency_key: IdempotencyKey,
    // Left out when it is a signature, the usual case, so serialized events (and their
    // snapshots) only grow for the weaker proof.
    #[serde(skip_serializing_if = "Authentication::is_signature")]
    pub(super) authentication: Authentication,
}

impl GatewayEvent {
    /// An event built by hand, for a gateway without a verifier here or for tests (the
    /// testkit's fake gateway uses it). Its idempotency key is `provider:reference:kind`,
    /// as for the providers without event ids.
    pub fn new(
        provider: Provider,
        kind: PaymentEventKind,
        reference: impl Into<String>,
        amount: Money,
    ) -> GatewayEvent {
        let reference = reference.into();
        let idempotency_key = IdempotencyKey::from_reference(provider, &reference, kind.as_str());
        GatewayEvent {
            provider,
            kind,
            event_id: None,
            reference,
            provider_reference: None,
            amount,
            occurred_at: None,
            failure_reason: None,
            idempotency_key,
            authentication: Authentication::Signature,
        }
    }

    /// The same event with the provider's event id, which then becomes its idempotency
    /// key (`provider:event-id`).
    #[must_use]
    pub fn with_event_id(mut self, event_id: impl Into<String>) -> GatewayEvent {
        let event_id = event_id.into();
        self.idempotency_key = IdempotencyKey::from_event_id(self.provider, &event_id);
        self.event_id = Some(event_id);
        self
    }

    /// The same event with the time it happened.
    #[must_use]
    pub fn with_occurred_at(mut self, at: DateTime<Utc>) -> GatewayEvent {
        self.occurred_at = Some(at);
        self
    }

    /// The same event, proven by `authentication` (a hand-built event is a
    /// [`Authentication::Signature`] unless it says otherwise).
    #[must_use]
    pub fn with_authentication(mut self, authentication: Authentication) -> GatewayEvent {
        self.authentication = authentication;
        self
    }

    /// How the webhook proved it came from the gateway. For a
    /// [`Authentication::StaticToken`], confirm the charge or payout with the gateway
    /// before giving value: the token does not cover the body.
    pub fn authentication(&self) -> Authentication {
        self.authentication
    }

    /// The gateway.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// What happened.
    pub fn kind(&self) -> PaymentEventKind {
        self.kind
    }

    /// The provider's id for the event itself (Stripe `evt_…`), where it has one.
    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_deref()
    }

    /// ajo's reference for the charge, payout or refunded charge.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The provider's id for the object (Paystack transaction id or transfer code,
    /// Flutterwave `flw_ref`, Stripe `pi_…`/`po_…`/`re_…`).
    pub fn provider_reference(&self) -> Option<&str> {
        self.provider_reference.as_deref()
    }

    /// The amount, converted exactly from the provider's units.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// When it happened, as the provider reports it (not every event carries a time).
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.occurred_at
    }

    /// The provider's reason for a failure, at most [`MAX_REASON_LEN`] bytes of it.
    pub fn failure_reason(&self) -> Option<&str> {
        self.failure_reason.as_deref()
    }

    /// The key to de-duplicate on.
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Channel {
    /// Email (SendGrid).
    Email,
    /// SMS (Twilio).
    Sms,
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Accepted by the recipient's server or handset.
    Delivered,
    /// Refused by the recipient's server: a hard bounce (`permanent`) or a block.
    Bounced {
        /// Whether the address itself is bad (hard bounce) rather than temporarily blocked.
        permanent: bool,
    },
    /// Never sent, because the provider suppressed it (an address that bounced before, an
    /// unsubscribe).
    Dropped,
    /// The provider could not send it (SMS `failed`).
    Failed,
    /// Sent, but the carrier could not deliver it (SMS `undelivered`).
    Undelivered,
}

impl DeliveryStatus {
    /// A stable snake_case name, as used in idempotency keys.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Bounced { permanent: true } => "bounced",
            DeliveryStatus::Bounced { permanent: false } => "blocked",
            DeliveryStatus::Dropped => "dropped",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Undelivered => "undelivered",
        }
    }
}

/// A messaging provider's delivery report, provider-neutral.
///
/// ajo's own message id travels with the message: as the `ajo_message_id` custom argument
/// on a SendGrid send, and as the `ajo_message_id` query parameter of a Twilio
/// `StatusCallback` URL. When it is absent, match on
/// [`provider_message_id`](Self::provider_message_id), which the send call returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryEvent {
    pub(super) provider: Provider,
    pub(super) channel: Channel,
    pub(super) status: DeliveryStatus,
    pub(super) message_id: Option<String>,
    pub(super) provider_message_id: String,
    pub(super) event_id: Option<String>,
    pub(super) occurred_at: Option<DateTime<Utc>>,
    pub(super) reason: Option<String>,
    pub(super) idempotency_key: IdempotencyKey,
}

impl DeliveryEvent {
    /// The messaging provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Email or SMS.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// What became of the message.
    pub fn status(&self) -> DeliveryStatus {
        self.status
    }

    /// ajo's id for the message, when it travelled with it.
    pub fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// The provider's id for the message: Twilio `MessageSid`; SendGrid's `X-Message-Id`
    /// (the part of `sg_message_id` before the first `.`).
    pub fn provider_message_id(&self) -> &str {
        &self.provider_message_id
    }

    /// The provider's id for this event (SendGrid `sg_event_id`), where it has one.
    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_deref()
    }

    /// When it happened, where the provider says.
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.occurred_at
    }

    /// The provider's reason or error code for a failure, at most [`MAX_REASON_LEN`] bytes.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The key to de-duplicate on.
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub(super) fn bounded(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    text.get(..end).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_at_a_character_boundary() {
        assert_eq!(bounded("abc", 2), "ab");
        assert_eq!(bounded("abc", 9), "abc");
        assert_eq!(bounded("aé", 2), "a");
        assert_eq!(bounded("", 0), "");
    }

    #[test]
    fn names_are_stable() {
        assert_eq!(
            PaymentEventKind::PayoutReversed.to_string(),
            "payout_reversed"
        );
        assert_eq!(
            DeliveryStatus::Bounced { permanent: false }.as_str(),
            "blocked"
        );
        let key = IdempotencyKey::from_reference(Provider::Paystack, "r1", "charge_succeeded");
        assert_eq!(key.as_str(), "paystack:r1:charge_succeeded");
        assert_eq!(
            IdempotencyKey::from_event_id(Provider::Stripe, "evt_1").to_string(),
            "stripe:evt_1"
        );
    }
}
