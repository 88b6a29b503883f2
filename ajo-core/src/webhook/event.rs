//! Provider-neutral events: what a verified webhook means to ajo.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::delivery::DeliveryEvent;
pub(super) use super::payload::bounded;
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
/// more than once. Its forms:
///
/// - `provider:event-id` where a delivery report has its own id (SendGrid `sg_event_id`), or
///   for a hand-built event given one ([`GatewayEvent::with_event_id`]);
/// - `provider:subject:kind:object-id` for Paystack and Flutterwave payment events: the
///   subject is ajo's reference (for refunds and disputes, the original collection's) and
///   the object id is the provider's id for what the event reports (the charge or transfer
///   `data.id`, the refund, the dispute), so a true re-delivery gives the same key and a
///   second charge, partial refund or dispute on one reference does not;
/// - `provider:subject:kind` where there is no such id: Twilio and SendGrid messages,
///   Stripe (whose subject is the object's id, see [`StripeVerifier`](super::StripeVerifier)),
///   and Paystack or Flutterwave payloads that lack `data.id`.
///
/// Inside a part, `%` and `:` are written `%25` and `%3A`, so the parts can always be told
/// apart. A key is at most [`IdempotencyKey::MAX_LEN`] bytes: a longer one (only possible
/// with ids and references near [`MAX_ID_LEN`]) is replaced by
/// `provider:sha256:{hex digest of the long key}`, which is as stable and as distinct.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key, in bytes: it fits a ledger entry key
    /// ([`ledger::MAX_KEY_LEN`](crate::ledger::MAX_KEY_LEN)) and any index.
    pub const MAX_LEN: usize = 256;

    pub(super) fn from_event_id(provider: Provider, event_id: &str) -> IdempotencyKey {
        IdempotencyKey::bounded(provider, format!("{provider}:{}", escape_part(event_id)))
    }

    pub(super) fn from_reference(
        provider: Provider,
        subject: &str,
        status: &str,
    ) -> IdempotencyKey {
        IdempotencyKey::from_parts(provider, subject, status, None)
    }

    /// `provider:subject:kind`, then `:object-id` when there is one.
    pub(super) fn from_parts(
        provider: Provider,
        subject: &str,
        kind: &str,
        object_id: Option<&str>,
    ) -> IdempotencyKey {
        let mut key = format!("{provider}:{}:{kind}", escape_part(subject));
        if let Some(id) = object_id {
            key.push(':');
            key.push_str(&escape_part(id));
        }
        IdempotencyKey::bounded(provider, key)
    }

    fn bounded(provider: Provider, key: String) -> IdempotencyKey {
        if key.len() <= Self::MAX_LEN {
            return IdempotencyKey(key);
        }
        // Hashing keeps the key stable for re-deliveries and distinct for different events,
        // where cutting it short would merge two events that differ only at the end.
        let digest = Sha256::digest(key.as_bytes());
        IdempotencyKey(format!("{provider}:sha256:{}", hex::encode(digest)))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key part with `%` and `:` percent-encoded, so a `:` inside an id or reference can never
/// be read as a separator.
fn escape_part(part: &str) -> Cow<'_, str> {
    if !part.contains(['%', ':']) {
        return Cow::Borrowed(part);
    }
    let mut out = String::with_capacity(part.len().saturating_add(8));
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What happened to money at a gateway, in ajo's words.
///
/// # Refunds and disputes
///
/// Both are about an earlier collection: the event's [`reference`](GatewayEvent::reference)
/// is that collection's, [`transaction_id`](GatewayEvent::transaction_id) the provider's id
/// for it, and [`provider_reference`](GatewayEvent::provider_reference) the id of the refund
/// or dispute itself.
///
/// Providers report disputes differently: Stripe takes the disputed amount when the dispute
/// opens and reports each movement (`funds_withdrawn`, `funds_reinstated`) apart from the
/// outcome; Paystack moves money only when a dispute is resolved against ajo. Book them the
/// same way for both: keep, per dispute ([`provider_reference`](GatewayEvent::provider_reference)),
/// what has been withdrawn; book [`DisputeFundsWithdrawn`](Self::DisputeFundsWithdrawn) and
/// [`DisputeFundsReinstated`](Self::DisputeFundsReinstated) as they come; treat
/// [`DisputeLost`](Self::DisputeLost) as "the amount is out" and
/// [`DisputeWon`](Self::DisputeWon) as "nothing is out", booking only the difference. The
/// result is then right in whatever order the events arrive.
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
    /// A payout that had succeeded came back: the ledger must reverse it. Partial reversals
    /// exist (Stripe): see [`GatewayEvent::amount_basis`].
    PayoutReversed,
    /// A refund of an earlier collection was paid back to the payer.
    ///
    /// With [`AmountBasis::Event`] the amount is this refund's, and two partial refunds are
    /// two events with two keys. With [`AmountBasis::Cumulative`] (Stripe `charge.refunded`)
    /// it is everything refunded on the collection so far. Stripe reports one refund both
    /// ways (`refund.updated` and `charge.refunded`): book refunds by refund id, keep the
    /// largest total seen per collection, and book up to the larger of the two, so each
    /// refund counts once.
    RefundProcessed,
    /// A refund did not reach the payer: it failed or was cancelled, possibly after it was
    /// reported processed (Stripe then puts the money back in ajo's balance). Reverse a
    /// [`RefundProcessed`](Self::RefundProcessed) booked for the same refund
    /// ([`provider_reference`](GatewayEvent::provider_reference)); if none was, nothing
    /// moved.
    RefundFailed,
    /// A payer disputed a collection with their bank (a chargeback; for Stripe also an
    /// inquiry). Moves no money by itself; the amount is the disputed amount, at risk until
    /// [`DisputeWon`](Self::DisputeWon) or [`DisputeLost`](Self::DisputeLost).
    DisputeOpened,
    /// The gateway took the disputed amount out of ajo's balance while the dispute runs
    /// (Stripe `charge.dispute.funds_withdrawn`). Stripe's dispute fee is not included.
    DisputeFundsWithdrawn,
    /// The gateway gave withdrawn dispute money back (Stripe
    /// `charge.dispute.funds_reinstated`).
    DisputeFundsReinstated,
    /// The dispute closed in ajo's favour: the payer gets nothing back. Money withdrawn for
    /// it comes back (Stripe reports that as its own
    /// [`DisputeFundsReinstated`](Self::DisputeFundsReinstated)); Paystack never withdrew
    /// any.
    DisputeWon,
    /// The dispute closed in the payer's favour: the amount goes back to them for good. If
    /// it was already withdrawn ([`DisputeFundsWithdrawn`](Self::DisputeFundsWithdrawn),
    /// Stripe), nothing more moves; if not (Paystack, which takes it at resolution), it
    /// moves now.
    DisputeLost,
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
            PaymentEventKind::RefundFailed => "refund_failed",
            PaymentEventKind::DisputeOpened => "dispute_opened",
            PaymentEventKind::DisputeFundsWithdrawn => "dispute_funds_withdrawn",
            PaymentEventKind::DisputeFundsReinstated => "dispute_funds_reinstated",
            PaymentEventKind::DisputeWon => "dispute_won",
            PaymentEventKind::DisputeLost => "dispute_lost",
        }
    }

    /// Whether the event is about an earlier collection (a refund or a dispute), whose own
    /// id is then the provider reference rather than the transaction id.
    pub(super) fn is_about_a_collection(self) -> bool {
        matches!(
            self,
            PaymentEventKind::RefundProcessed
                | PaymentEventKind::RefundFailed
                | PaymentEventKind::DisputeOpened
                | PaymentEventKind::DisputeFundsWithdrawn
                | PaymentEventKind::DisputeFundsReinstated
                | PaymentEventKind::DisputeWon
                | PaymentEventKind::DisputeLost
        )
    }
}

impl fmt::Display for PaymentEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a [`GatewayEvent`]'s amount counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AmountBasis {
    /// The money this event is about: the charge, the payout, this one refund, the
    /// disputed amount.
    #[default]
    Event,
    /// A running total on the provider's object, reported again each time it grows: Stripe
    /// `charge.refunded` (`amount_refunded`, all refunds of the charge so far) and
    /// `transfer.reversed` (`amount_reversed`, all reversals of the transfer so far). Book
    /// the amount less what is already booked for the object; the idempotency key includes
    /// the total, so each new partial refund or reversal is a new event while a re-delivery
    /// is not.
    Cumulative,
}

/// A payment gateway's event, provider-neutral.
///
/// The `reference` is ajo's own: the `reference`/`tx_ref` ajo sent when it started the
/// charge or payout (for Stripe, the `ajo_reference` metadata entry); for refunds and
/// disputes, the original collection's. Match on it (or, where the payload could not say,
/// on [`transaction_id`](Self::transaction_id)), check the amount and currency against what
/// was expected, and de-duplicate on [`idempotency_key`](Self::idempotency_key) before
/// giving value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayEvent {
    pub(super) provider: Provider,
    pub(super) kind: PaymentEventKind,
    pub(super) event_id: Option<String>,
    pub(super) reference: String,
    pub(super) provider_reference: Option<String>,
    pub(super) transaction_id: Option<String>,
    pub(super) amount: Money,
    pub(super) amount_basis: AmountBasis,
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
    /// testkit's fake gateway uses it), with an [`AmountBasis::Event`] amount.
    ///
    /// Its idempotency key is made as the Paystack and Flutterwave verifiers make theirs:
    /// `provider:reference:kind`, then `:id` once an id is given (the
    /// [transaction id](Self::with_transaction_id) for charges and payouts, the
    /// [provider reference](Self::with_provider_reference) for refunds and disputes);
    /// `provider:event-id` once an [event id](Self::with_event_id) is given.
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
            transaction_id: None,
            amount,
            amount_basis: AmountBasis::Event,
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
        self.event_id = Some(event_id.into());
        self.idempotency_key = self.derived_key();
        self
    }

    /// The same event with the provider's id for the collection or payout it is about (see
    /// [`transaction_id`](Self::transaction_id)); for a charge or payout without an event
    /// id, the key then ends with it.
    #[must_use]
    pub fn with_transaction_id(mut self, id: impl Into<String>) -> GatewayEvent {
        self.transaction_id = Some(id.into());
        self.idempotency_key = self.derived_key();
        self
    }

    /// The same event with the provider's id for the object itself (see
    /// [`provider_reference`](Self::provider_reference)); for a refund or dispute without an
    /// event id, the key then ends with it.
    #[must_use]
    pub fn with_provider_reference(mut self, id: impl Into<String>) -> GatewayEvent {
        self.provider_reference = Some(id.into());
        self.idempotency_key = self.derived_key();
        self
    }

    /// The same event with its amount counted as given (a running total, for instance).
    #[must_use]
    pub fn with_amount_basis(mut self, basis: AmountBasis) -> GatewayEvent {
        self.amount_basis = basis;
        self
    }

    /// The same event with the time it happened.
    #[must_use]
    pub fn with_occurred_at(mut self, at: DateTime<Utc>) -> GatewayEvent {
        self.occurred_at = Some(at);
        self
    }

    /// The key a hand-built event gets from what it holds.
    fn derived_key(&self) -> IdempotencyKey {
        if let Some(event_id) = &self.event_id {
            return IdempotencyKey::from_event_id(self.provider, event_id);
        }
        let object_id = if self.kind.is_about_a_collection() {
            &self.provider_reference
        } else {
            &self.transaction_id
        };
        IdempotencyKey::from_parts(
            self.provider,
            &self.reference,
            self.kind.as_str(),
            object_id.as_deref(),
        )
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

    /// ajo's reference for the charge or payout; for a refund or dispute, the original
    /// collection's.
    ///
    /// Where the payload does not carry it, this is the provider's id for the collection or
    /// payout, the same as [`transaction_id`](Self::transaction_id): a Stripe object without
    /// `metadata.ajo_reference`, which is always the case for a Dispute (it does not copy
    /// its charge's metadata) and for a refund made outside ajo. Look the collection up by
    /// that id then.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The provider's id for the object reported: Paystack transaction id or transfer code,
    /// Flutterwave `flw_ref` or transfer id, Stripe `pi_…`/`po_…`/`tr_…`; for a refund the
    /// refund's (Paystack `data.id`, else `refund_reference`; Stripe `re_…`, or the `ch_…`
    /// charge for `charge.refunded`, which names no refund); for a dispute the dispute's
    /// (Paystack `data.id`, Stripe `dp_…`).
    pub fn provider_reference(&self) -> Option<&str> {
        self.provider_reference.as_deref()
    }

    /// The provider's id for the collection or payout the event is about, to confirm the
    /// event with the gateway: the charge or transfer itself (Paystack and Flutterwave
    /// `data.id`, Stripe `pi_…`/`po_…`/`tr_…`); for a refund or dispute, the original
    /// collection (Paystack dispute `data.transaction.id`; Stripe the object's
    /// `payment_intent`, else its `ch_…` charge). `None` where the payload does not say:
    /// Paystack refund events name the collection only by reference, and some payloads omit
    /// `data.id`.
    pub fn transaction_id(&self) -> Option<&str> {
        self.transaction_id.as_deref()
    }

    /// The amount, converted exactly from the provider's units: for a refund or reversal
    /// what was paid back, for a dispute the disputed amount, and a running total where
    /// [`amount_basis`](Self::amount_basis) says so.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// Whether [`amount`](Self::amount) is this event's alone or a running total (Stripe
    /// `charge.refunded` and `transfer.reversed`).
    pub fn amount_basis(&self) -> AmountBasis {
        self.amount_basis
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

#[cfg(test)]
mod tests {
    use super::super::delivery::DeliveryStatus;
    use super::*;

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
        assert_eq!(
            PaymentEventKind::DisputeFundsReinstated.as_str(),
            "dispute_funds_reinstated"
        );
        assert_eq!(PaymentEventKind::RefundFailed.to_string(), "refund_failed");
    }

    #[test]
    fn key_parts_can_always_be_told_apart() {
        let key = |subject, id| {
            IdempotencyKey::from_parts(Provider::Flutterwave, subject, "charge_succeeded", id)
        };
        assert_eq!(
            key("c-1", Some("42")).as_str(),
            "flutterwave:c-1:charge_succeeded:42"
        );
        // Without escaping these two would both read `…:a:b:charge_succeeded:c`.
        assert_ne!(
            key("a:b", Some("c")),
            key("a", Some("b:charge_succeeded:c"))
        );
        assert_eq!(
            key("a:b", None).as_str(),
            "flutterwave:a%3Ab:charge_succeeded"
        );
        assert_eq!(
            key("100%", None).as_str(),
            "flutterwave:100%25:charge_succeeded"
        );
        // An event id with a `:` cannot pose as a reference-form key.
        assert_ne!(
            IdempotencyKey::from_event_id(Provider::Paystack, "r1:charge_succeeded"),
            IdempotencyKey::from_reference(Provider::Paystack, "r1", "charge_succeeded")
        );
    }

    #[test]
    fn long_keys_become_a_digest_of_the_whole() {
        let long = "x".repeat(MAX_ID_LEN);
        let a =
            IdempotencyKey::from_parts(Provider::Paystack, &long, "refund_processed", Some(&long));
        assert!(a.as_str().len() <= IdempotencyKey::MAX_LEN);
        assert!(a.as_str().starts_with("paystack:sha256:"));
        let again =
            IdempotencyKey::from_parts(Provider::Paystack, &long, "refund_processed", Some(&long));
        assert_eq!(a, again);
        let other =
            IdempotencyKey::from_parts(Provider::Paystack, &long, "refund_failed", Some(&long));
        assert_ne!(a, other);
        let fits = "x".repeat(IdempotencyKey::MAX_LEN - "paystack:".len());
        assert_eq!(
            IdempotencyKey::from_event_id(Provider::Paystack, &fits)
                .as_str()
                .len(),
            IdempotencyKey::MAX_LEN
        );
    }
}
