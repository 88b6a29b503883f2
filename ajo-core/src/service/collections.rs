//! Collections a host asks for, and how they end.
//!
//! Every ask ([`request_contribution`](AjoService::request_contribution),
//! [`request_contribution_for`](AjoService::request_contribution_for),
//! [`request_deposit`](AjoService::request_deposit),
//! [`request_loan_repayment`](AjoService::request_loan_repayment), and the deposit a
//! [`join`](AjoService::join) asks for) follows the same rules:
//!
//! - A reference is sent to the gateway once. A collection still open, for the same
//!   amount, not expired, whose checkout the gateway answered, is handed back again from
//!   its stream ([`PaymentEvent::CheckoutOpened`]) without asking the gateway, because
//!   Paystack refuses a reference it has seen and would answer with no checkout. Only a
//!   client secret, which is not kept, is asked of the gateway again under the same
//!   reference (Stripe answers with the intent it made).
//! - Anything else gets the next attempt reference ([`PaymentReference::attempt`]): a
//!   changed amount (so money paid is never compared with an amount it was not asked
//!   for), an expired checkout, one the gateway never answered (its call failed or timed
//!   out), or one already settled, held, failed or expired. An older collection left
//!   open stays payable until it expires: if it is paid too, the group books the money
//!   (ahead, or held for review if it cannot take it), so nothing is lost.
//! - `tick` asks the gateway about an open collection every
//!   [`reverify_after`](super::ServiceConfig::reverify_after) until
//!   [`collection_expiry`](super::ServiceConfig::collection_expiry); then it looks once
//!   more and, if nothing was paid, records [`PaymentEvent::Expired`] and stops. A
//!   payment reported after that is still booked ([`PaymentEvent::Expired`] says how).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::exec::Loaded;
use super::tick::TickReport;
use super::{AjoService, ServiceError, later};
use crate::group::GroupState;
use crate::ids::{EmailAddress, GroupId, HandId, MemberId};
use crate::money::{Money, MoneyError};
use crate::payment::{PaymentEvent, PaymentPurpose};
use crate::ports::{
    AppendRequest, Collection, CollectionRequest, DomainEvent, GatewayError, PaymentState,
    StoreError, StreamAppend, StreamId, StreamKind,
};
use crate::reference::PaymentReference;

/// The most attempt references one collection's base gets: far more than a member will
/// ever ask for, and a bound on how far an ask reads.
const MAX_ATTEMPTS: u32 = 1000;

/// What a collection asks for, part by part: a payment settles overdue dues, penalties
/// and the deposit first, so a request asks for all of them. The parts sum to
/// [`Checkout::amount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Breakdown {
    /// The member's dues in the round asked for (every hand of theirs).
    pub due: Money,
    /// Their dues of earlier rounds still open.
    pub arrears: Money,
    /// Penalties charged and not paid.
    pub penalties: Money,
    /// The part of their security deposit not held (never paid, or used to cover
    /// arrears).
    pub deposit_top_up: Money,
}

impl Breakdown {
    /// Nothing owed, in `currency`'s zero.
    pub(super) fn zero(zero: Money) -> Breakdown {
        Breakdown {
            due: zero,
            arrears: zero,
            penalties: zero,
            deposit_top_up: zero,
        }
    }

    /// The sum of the parts.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] (or a currency mismatch, which the service never builds).
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.due
            .checked_add(self.arrears)?
            .checked_add(self.penalties)?
            .checked_add(self.deposit_top_up)
    }
}

/// A collection a host hands its payer: where to pay, how much, and what for.
///
/// Serializes to JSON for a host's own API; `Debug` hides the client secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkout {
    /// Our reference: what the gateway's reports name.
    pub reference: String,
    /// The hosted checkout page, when the provider has one.
    pub checkout_url: Option<String>,
    /// The provider's own id for the collection.
    pub provider_reference: Option<String>,
    /// What the provider's client SDK needs (Stripe's `client_secret`), when it works
    /// that way. Show it to the payer only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// How much is asked.
    pub amount: Money,
    /// What the amount is made of.
    pub breakdown: Breakdown,
    /// When the checkout is closed if nobody paid
    /// ([`collection_expiry`](super::ServiceConfig::collection_expiry)).
    pub expires_at: DateTime<Utc>,
    /// Whether this is a collection asked for before, handed back again.
    pub reused: bool,
}

impl std::fmt::Debug for Checkout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkout")
            .field("reference", &self.reference)
            .field("checkout_url", &self.checkout_url)
            .field("provider_reference", &self.provider_reference)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .field("amount", &self.amount)
            .field("breakdown", &self.breakdown)
            .field("expires_at", &self.expires_at)
            .field("reused", &self.reused)
            .finish()
    }
}

impl Checkout {
    /// The gateway's part of it.
    pub fn collection(&self) -> Collection {
        Collection {
            reference: self.reference.clone(),
            checkout_url: self.checkout_url.clone(),
            provider_reference: self.provider_reference.clone(),
            client_secret: self.client_secret.clone(),
        }
    }

    pub(super) fn new(opened: Opened, amount: Money, breakdown: Breakdown) -> Checkout {
        Checkout {
            reference: opened.collection.reference,
            checkout_url: opened.collection.checkout_url,
            provider_reference: opened.collection.provider_reference,
            client_secret: opened.collection.client_secret,
            amount,
            breakdown,
            expires_at: opened.expires_at,
            reused: opened.reused,
        }
    }
}

/// One ask for money: everything a collection records and the gateway is told.
pub(super) struct Ask<'a> {
    pub(super) base: &'a PaymentReference,
    pub(super) member: &'a MemberId,
    pub(super) purpose: PaymentPurpose,
    pub(super) amount: Money,
    pub(super) email: Option<EmailAddress>,
    pub(super) description: String,
}

/// A collection open at the gateway.
pub(super) struct Opened {
    pub(super) collection: Collection,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) reused: bool,
}

/// How one reference stands for a new ask.
enum Standing {
    /// Never used: record the request under it.
    Unused,
    /// Open for this amount, with the checkout the gateway gave: hand it back.
    Reusable {
        checkout_url: Option<String>,
        provider_reference: Option<String>,
        client_secret: bool,
        expires_at: DateTime<Utc>,
    },
    /// Not to be used for this ask: try the next attempt.
    Taken,
}

impl AjoService {
    /// When a collection requested at `at` expires.
    fn expiry_of(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        later(at, self.config.collection_expiry)
    }

    /// How `loaded` stands for an ask of `amount` at `now`.
    fn standing(
        &self,
        loaded: &Loaded<PaymentEvent>,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Standing {
        if loaded.version == 0 {
            return Standing::Unused;
        }
        if loaded.events.iter().any(PaymentEvent::closes) {
            return Standing::Taken;
        }
        let requested = loaded.events.iter().find_map(|e| match e {
            PaymentEvent::Requested { amount, at, .. } => Some((*amount, *at)),
            _ => None,
        });
        let Some((asked, at)) = requested else {
            return Standing::Taken;
        };
        let expires_at = self.expiry_of(at);
        if asked != amount || now >= expires_at {
            return Standing::Taken;
        }
        loaded
            .events
            .iter()
            .find_map(|e| match e {
                PaymentEvent::CheckoutOpened {
                    checkout_url,
                    provider_reference,
                    client_secret,
                } => Some(Standing::Reusable {
                    checkout_url: checkout_url.clone(),
                    provider_reference: provider_reference.clone(),
                    client_secret: *client_secret,
                    expires_at,
                }),
                _ => None,
            })
            // No checkout: the gateway's answer was lost (or is still on its way). The
            // reference may be taken at the gateway with no way to show its page again.
            .unwrap_or(Standing::Taken)
    }

    /// The reference of `base`'s `attempt` (the base itself for the first).
    fn attempt_reference(base: &PaymentReference, attempt: u32) -> String {
        if attempt <= 1 {
            base.to_string()
        } else {
            base.attempt(attempt).to_string()
        }
    }

    /// Opens a collection for `ask`, or hands back the one open for it (see the module
    /// docs). `loaded_base` is the stream under the base reference, if the caller read it.
    pub(super) async fn open_collection(
        &self,
        ask: &Ask<'_>,
        loaded_base: Option<Loaded<PaymentEvent>>,
    ) -> Result<Opened, ServiceError> {
        let now = self.now();
        let mut known = loaded_base;
        let mut attempt = 1u32;
        let mut overtaken = 0u32;
        while attempt <= MAX_ATTEMPTS {
            let reference = Self::attempt_reference(ask.base, attempt);
            let loaded = match known.take() {
                Some(loaded) => loaded,
                None => self.load_payment(&reference).await?,
            };
            match self.standing(&loaded, ask.amount, now) {
                Standing::Unused => {
                    let append = self.request_append(&reference, ask, now);
                    match self.append(single(append, now)).await {
                        Ok(_) => return self.start_at_gateway(&reference, ask, now).await,
                        // Another ask recorded this reference first: look at it again.
                        Err(ServiceError::Store(StoreError::Conflict { .. }))
                            if overtaken < self.config.conflict_retries =>
                        {
                            overtaken += 1;
                        }
                        Err(ServiceError::Store(StoreError::Conflict { .. })) => {
                            return Err(ServiceError::TooMuchContention {
                                stream: StreamId::new(StreamKind::Payment, reference),
                                attempts: overtaken.saturating_add(1),
                            });
                        }
                        Err(other) => return Err(other),
                    }
                }
                Standing::Reusable {
                    checkout_url,
                    provider_reference,
                    client_secret,
                    expires_at,
                } => {
                    let mut collection = Collection {
                        reference: reference.clone(),
                        checkout_url,
                        provider_reference,
                        client_secret: None,
                    };
                    if client_secret {
                        // Not kept: the gateway answers a reference it has seen with the
                        // collection it started, secret included.
                        let again = self
                            .gateway
                            .start_collection(&self.collection_request(&reference, ask))
                            .await?;
                        collection.client_secret = again.client_secret;
                    }
                    return Ok(Opened {
                        collection,
                        expires_at,
                        reused: true,
                    });
                }
                Standing::Taken => attempt += 1,
            }
        }
        Err(ServiceError::TooMuchContention {
            stream: StreamId::new(StreamKind::Payment, ask.base.to_string()),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// The first reference of `base` never used: where a collection recorded in another
    /// command's append (a join's deposit) goes.
    pub(super) async fn unused_reference(
        &self,
        base: &PaymentReference,
    ) -> Result<String, ServiceError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let reference = Self::attempt_reference(base, attempt);
            if self.load_payment(&reference).await?.version == 0 {
                return Ok(reference);
            }
        }
        Err(ServiceError::TooMuchContention {
            stream: StreamId::new(StreamKind::Payment, base.to_string()),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// The stream append that records `ask` under `reference` (a new stream), waking
    /// `tick` to re-verify it, at its expiry at the latest.
    pub(super) fn request_append(
        &self,
        reference: &str,
        ask: &Ask<'_>,
        now: DateTime<Utc>,
    ) -> StreamAppend {
        if let Some(group) = ask.purpose.group() {
            self.payers.note(reference, group, ask.member);
        }
        StreamAppend {
            stream: StreamId::new(StreamKind::Payment, reference),
            expected_version: 0,
            events: vec![DomainEvent::Payment(PaymentEvent::Requested {
                member: ask.member.clone(),
                purpose: ask.purpose.clone(),
                amount: ask.amount,
                at: now,
            })],
            wake_at: Some(self.reverify_at(now).min(self.expiry_of(now))),
        }
    }

    fn collection_request(&self, reference: &str, ask: &Ask<'_>) -> CollectionRequest {
        CollectionRequest {
            reference: reference.to_owned(),
            amount: ask.amount,
            // The port takes text, empty when the member gave no address: a gateway that
            // needs one refuses the request rather than ajo inventing an address.
            email: ask.email.clone().map(String::from).unwrap_or_default(),
            description: ask.description.clone(),
            callback_url: self.config.callback_url.clone(),
        }
    }

    /// Asks the gateway for a collection recorded (at version 1) under `reference` at
    /// `requested_at`, and keeps its checkout on the stream. The record came first so
    /// that money the gateway takes is never unexpected: even if the gateway's answer is
    /// lost (a timeout after it accepted the charge), the webhook or `tick`'s
    /// re-verification finds the reference.
    ///
    /// # Errors
    /// The gateway's error: the collection stays recorded without a checkout, so the next
    /// ask opens a fresh reference.
    pub(super) async fn start_at_gateway(
        &self,
        reference: &str,
        ask: &Ask<'_>,
        requested_at: DateTime<Utc>,
    ) -> Result<Opened, ServiceError> {
        let collection = self
            .gateway
            .start_collection(&self.collection_request(reference, ask))
            .await?;
        let now = self.now();
        let opened = StreamAppend {
            stream: StreamId::new(StreamKind::Payment, reference),
            expected_version: 1,
            events: vec![DomainEvent::Payment(PaymentEvent::CheckoutOpened {
                checkout_url: collection.checkout_url.clone(),
                provider_reference: collection.provider_reference.clone(),
                client_secret: collection.client_secret.is_some(),
            })],
            wake_at: Some(self.reverify_at(now).min(self.expiry_of(requested_at))),
        };
        // A report that settled it first wins: the payer has paid, and the checkout is
        // only not shown again.
        self.append_unless_overtaken(single(opened, now)).await?;
        Ok(Opened {
            collection,
            expires_at: self.expiry_of(requested_at),
            reused: false,
        })
    }

    /// Asks the gateway for a member's security deposit in `group`: what is not held of
    /// it (never paid, or used to cover arrears), with the overdue dues and penalties a
    /// payment settles first. The same open checkout is handed back while the amount is
    /// the same; after a gateway failure (a join whose checkout could not be opened, say)
    /// a fresh one is opened.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group; [`GroupError::UnknownMember`]
    /// (in [`ServiceError::Group`]) for someone not in it;
    /// [`ServiceError::NothingToCollect`] when the deposit is held in full; a gateway or
    /// store error.
    ///
    /// [`GroupError::UnknownMember`]: crate::group::GroupError::UnknownMember
    #[instrument(skip_all, fields(group_id = %group, member_id = %member), err)]
    pub async fn request_deposit(
        &self,
        group: &GroupId,
        member: &MemberId,
    ) -> Result<Checkout, ServiceError> {
        let state = self.state_of::<GroupState>(group).await?;
        if state.id().is_none() {
            return Err(ServiceError::NotFound(super::exec::group_stream(group)));
        }
        if !state.members().contains_key(member) {
            return Err(crate::group::GroupError::UnknownMember(member.clone()).into());
        }
        let deposit = state.deposit_owed(member);
        if !deposit.is_positive() {
            return Err(ServiceError::NothingToCollect {
                group: group.clone(),
                member: member.clone(),
            });
        }
        let today = state.today(self.now());
        let mut breakdown = Breakdown::zero(Money::zero(deposit.currency()));
        breakdown.deposit_top_up = deposit;
        breakdown.penalties = state.penalties_owed(member);
        for due in member_open_dues(&state, member).filter(|d| d.due_date <= today) {
            breakdown.arrears = breakdown.arrears.checked_add(due.outstanding())?;
        }
        let amount = breakdown.total()?;
        let email = self.profile(member).await?.and_then(|p| p.email);
        let base = PaymentReference::deposit(group, member);
        let ask = Ask {
            base: &base,
            member,
            purpose: PaymentPurpose::Deposit {
                group: group.clone(),
            },
            amount,
            email,
            description: "security deposit".to_owned(),
        };
        let opened = self.open_collection(&ask, None).await?;
        Ok(Checkout::new(opened, amount, breakdown))
    }

    /// Asks the gateway for what `member` owes in `group` now: the current round's dues
    /// of their hands, with arrears, penalties and deposit top-up (see [`Breakdown`]).
    /// The collection is filed under their first hand that owes in the round (or their
    /// first hand, when only older debts are left); the money settles all of it.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group; [`GroupError::UnknownMember`]
    /// (in [`ServiceError::Group`]) for someone not in it; [`ServiceError::NothingToCollect`]
    /// when the group has no current round or the member owes nothing; a gateway or store
    /// error.
    ///
    /// [`GroupError::UnknownMember`]: crate::group::GroupError::UnknownMember
    #[instrument(skip_all, fields(group_id = %group, member_id = %member), err)]
    pub async fn request_contribution_for(
        &self,
        group: &GroupId,
        member: &MemberId,
    ) -> Result<Checkout, ServiceError> {
        let state = self.state_of::<GroupState>(group).await?;
        if state.id().is_none() {
            return Err(ServiceError::NotFound(super::exec::group_stream(group)));
        }
        if !state.members().contains_key(member) {
            return Err(crate::group::GroupError::UnknownMember(member.clone()).into());
        }
        let nothing = || ServiceError::NothingToCollect {
            group: group.clone(),
            member: member.clone(),
        };
        let round = state.current_round().ok_or_else(nothing)?;
        let hands = member_hands(&state, member);
        let owing = hands.iter().copied().find(|hand| {
            state
                .due(round, *hand)
                .is_some_and(|d| !d.outstanding().is_zero())
        });
        let hand = owing
            .or_else(|| hands.first().copied())
            .ok_or_else(nothing)?;
        let breakdown = contribution_breakdown(&state, member, round)?;
        let amount = breakdown.total()?;
        if !amount.is_positive() {
            return Err(nothing());
        }
        let email = self.profile(member).await?.and_then(|p| p.email);
        self.contribution_checkout(group, member, round, hand, breakdown, email, None)
            .await
    }

    /// Opens (or hands back) the collection of what `member` owes for `round`, filed
    /// under `hand`.
    #[allow(clippy::too_many_arguments)] // each is one fact of the collection
    pub(super) async fn contribution_checkout(
        &self,
        group: &GroupId,
        member: &MemberId,
        round: u32,
        hand: HandId,
        breakdown: Breakdown,
        email: Option<EmailAddress>,
        loaded_base: Option<Loaded<PaymentEvent>>,
    ) -> Result<Checkout, ServiceError> {
        let amount = breakdown.total()?;
        let base = PaymentReference::contribution(group, round, hand);
        let ask = Ask {
            base: &base,
            member,
            purpose: PaymentPurpose::Contribution {
                group: group.clone(),
                round,
                hand,
            },
            amount,
            email,
            description: format!("round {round} contribution"),
        };
        let opened = self.open_collection(&ask, loaded_base).await?;
        Ok(Checkout::new(opened, amount, breakdown))
    }

    /// Asks the gateway about a collection still open; closes it once expired.
    pub(super) async fn reverify(
        &self,
        reference: &str,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), ServiceError> {
        let payment = self.load_payment(reference).await?;
        let open = !payment.events.iter().any(PaymentEvent::closes);
        let expires_at = payment.events.iter().find_map(|e| match e {
            PaymentEvent::Requested { at, .. } => Some(self.expiry_of(*at)),
            _ => None,
        });
        if !open {
            return self
                .set_wake(
                    StreamId::new(StreamKind::Payment, reference),
                    payment.version,
                    None,
                    now,
                )
                .await;
        }
        report.reverified += 1;
        let expired = expires_at.is_some_and(|at| now >= at);
        match self.gateway.verify_payment(reference).await {
            Ok(status) => match (status.state, status.amount) {
                (PaymentState::Succeeded, Some(amount)) => {
                    self.settle_payment(
                        reference,
                        amount,
                        &format!("reverify:{reference}:succeeded"),
                        None,
                    )
                    .await?;
                    return Ok(());
                }
                (PaymentState::Failed, _) => {
                    self.fail_payment(reference, &format!("reverify:{reference}:failed"))
                        .await?;
                    return Ok(());
                }
                _ => {}
            },
            // The gateway never saw it (the request to start it was lost): a new request
            // will use a fresh reference.
            Err(GatewayError::NotFound { .. }) => {
                self.fail_payment(reference, &format!("reverify:{reference}:not-found"))
                    .await?;
                return Ok(());
            }
            Err(other) => return Err(other.into()),
        }
        if expired {
            return self.expire(reference, payment.version, now).await;
        }
        let next = self.reverify_at(now);
        let wake_at = expires_at.map_or(next, |at| next.min(at));
        self.set_wake(
            StreamId::new(StreamKind::Payment, reference),
            payment.version,
            Some(wake_at),
            now,
        )
        .await
    }

    /// Closes an open collection nobody paid before its expiry: `tick` no longer wakes
    /// for it. Written at the version read, so a report that settled it meanwhile wins.
    async fn expire(
        &self,
        reference: &str,
        version: u64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let closed = StreamAppend {
            stream: StreamId::new(StreamKind::Payment, reference),
            expected_version: version,
            events: vec![DomainEvent::Payment(PaymentEvent::Expired { at: now })],
            wake_at: None,
        };
        tracing::info!(reference, "collection expired unpaid");
        self.append_unless_overtaken(single(closed, now)).await
    }
}

/// One stream's append, alone.
fn single(stream: StreamAppend, now: DateTime<Utc>) -> AppendRequest {
    AppendRequest {
        streams: vec![stream],
        entries: Vec::new(),
        outbox: Vec::new(),
        idempotency_key: None,
        at: now.into(),
    }
}

/// A member's hands: once the group starts, those it dealt them; while it forms, the
/// ones they will hold, numbered in join order (a member ahead of them leaving before
/// the start moves them down).
pub(super) fn member_hands(state: &GroupState, member: &MemberId) -> Vec<HandId> {
    if !state.hands().is_empty() {
        return HandId::sequence()
            .zip(state.hands())
            .filter(|(_, h)| &h.member == member)
            .map(|(id, _)| id)
            .collect();
    }
    let mut before = 0u32;
    for joined in state.join_order() {
        let count = state.members().get(joined).map_or(0, |m| m.hands);
        if joined == member {
            let skip = usize::try_from(before).unwrap_or(usize::MAX);
            let take = usize::try_from(count).unwrap_or(0);
            return HandId::sequence().skip(skip).take(take).collect();
        }
        before = before.saturating_add(count);
    }
    Vec::new()
}

/// A member's unsettled dues (every hand of theirs), in round order: those a payment
/// of theirs goes to, a round already paid out included (its due left short when the
/// deposit could not cover it).
fn member_open_dues<'a>(
    state: &'a GroupState,
    member: &'a MemberId,
) -> impl Iterator<Item = &'a crate::group::contribution::Due> + 'a {
    state
        .dues()
        .filter(move |d| !d.is_settled() && state.hand(d.hand).is_some_and(|h| &h.member == member))
}

/// What `member` owes to settle `round`: that round's dues of their hands, older
/// unsettled dues, penalties and the deposit not held (what
/// [`GroupState::amount_to_settle`] adds, and an older due left short in a round already
/// paid out, which a payment would settle first).
pub(super) fn contribution_breakdown(
    state: &GroupState,
    member: &MemberId,
    round: u32,
) -> Result<Breakdown, MoneyError> {
    let penalties = state.penalties_owed(member);
    let mut breakdown = Breakdown::zero(Money::zero(penalties.currency()));
    breakdown.penalties = penalties;
    breakdown.deposit_top_up = state.deposit_owed(member);
    for due in member_open_dues(state, member) {
        if due.round == round {
            breakdown.due = breakdown.due.checked_add(due.outstanding())?;
        } else if due.round < round {
            breakdown.arrears = breakdown.arrears.checked_add(due.outstanding())?;
        }
    }
    Ok(breakdown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn naira(n: &str) -> Money {
        Money::parse(n, Currency::NGN).unwrap()
    }

    fn checkout() -> Checkout {
        let mut breakdown = Breakdown::zero(naira("0"));
        breakdown.due = naira("10000");
        breakdown.penalties = naira("500");
        Checkout {
            reference: "ajo=c=g=r1=h1".into(),
            checkout_url: None,
            provider_reference: Some("pi_1".into()),
            client_secret: Some("pi_1_secret_abc".into()),
            amount: breakdown.total().unwrap(),
            breakdown,
            expires_at: DateTime::<Utc>::UNIX_EPOCH,
            reused: false,
        }
    }

    #[test]
    fn a_checkout_round_trips_through_json_with_its_breakdown() {
        let checkout = checkout();
        assert_eq!(checkout.amount, naira("10500"));
        let json = serde_json::to_value(&checkout).unwrap();
        for part in ["due", "arrears", "penalties", "deposit_top_up"] {
            assert!(json["breakdown"].get(part).is_some(), "{part} in {json}");
        }
        assert_eq!(json["client_secret"], "pi_1_secret_abc");
        assert_eq!(serde_json::from_value::<Checkout>(json).unwrap(), checkout);
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let checkout = checkout();
        assert!(!format!("{checkout:?}").contains("secret_abc"));
        assert!(!format!("{:?}", checkout.collection()).contains("secret_abc"));
        assert!(format!("{checkout:?}").contains("REDACTED"));
    }

    #[test]
    fn only_a_request_and_its_checkout_leave_a_collection_open() {
        let open = PaymentEvent::CheckoutOpened {
            checkout_url: None,
            provider_reference: None,
            client_secret: false,
        };
        assert!(!open.closes());
        assert!(PaymentEvent::Failed.closes());
        assert!(
            PaymentEvent::Expired {
                at: DateTime::<Utc>::UNIX_EPOCH
            }
            .closes()
        );
    }
}
