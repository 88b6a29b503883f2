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

mod checkout;
mod reverify;

use chrono::{DateTime, Utc};
use tracing::instrument;

pub(super) use checkout::Opened;
pub use checkout::{Breakdown, Checkout};

use super::exec::Loaded;
use super::runner::count_command;
use super::{AjoService, ServiceError, later};
use crate::group::GroupState;
use crate::ids::{EmailAddress, GroupId, HandId, MemberId};
use crate::money::{Money, MoneyError};
use crate::payment::{PaymentEvent, PaymentPurpose};
use crate::ports::{
    AppendRequest, Collection, CollectionRequest, DomainEvent, StoreError, StreamAppend, StreamId,
    StreamKind,
};
use crate::reference::PaymentReference;

/// The most attempt references one collection's base gets: far more than a member will
/// ever ask for, and a bound on how far an ask reads.
const MAX_ATTEMPTS: u32 = 1000;

/// One ask for money: everything a collection records and the gateway is told.
pub(super) struct Ask<'a> {
    pub(super) base: &'a PaymentReference,
    pub(super) member: &'a MemberId,
    pub(super) purpose: PaymentPurpose,
    pub(super) amount: Money,
    pub(super) payer: Payer,
    pub(super) description: String,
}

/// How the gateway reaches the payer: email (card gateways) and phone (mobile wallets),
/// as the member's profile has them.
#[derive(Debug, Clone, Default)]
pub(super) struct Payer {
    pub(super) email: Option<EmailAddress>,
    pub(super) phone: Option<String>,
}

impl Payer {
    /// The payer's contact details from their profile, if they have one.
    pub(super) fn of(profile: Option<crate::member::MemberProfile>) -> Payer {
        profile.map_or_else(Payer::default, |p| Payer {
            email: p.email,
            phone: p.phone,
        })
    }
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

    /// How `loaded` stands for `ask` at `now`: reusable only for the same payer, the same
    /// purpose (a loan repayment's overpayment policy included) and the same amount.
    fn standing(
        &self,
        loaded: &Loaded<PaymentEvent>,
        ask: &Ask<'_>,
        now: DateTime<Utc>,
    ) -> Standing {
        if loaded.version == 0 {
            return Standing::Unused;
        }
        if loaded.events.iter().any(PaymentEvent::closes) {
            return Standing::Taken;
        }
        let requested = loaded.events.iter().find_map(|e| match e {
            PaymentEvent::Requested {
                member,
                purpose,
                amount,
                at,
            } => Some((
                member == ask.member && purpose == &ask.purpose,
                *amount,
                *at,
            )),
            _ => None,
        });
        let Some((same, asked, at)) = requested else {
            return Standing::Taken;
        };
        let expires_at = self.expiry_of(at);
        if !same || asked != ask.amount || now >= expires_at {
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
        // Counted as one command on the payment stream: its own loop, not `run`'s.
        let opened = self.open_collection_once(ask, loaded_base).await;
        count_command(StreamKind::Payment, opened.as_ref().map(|o| !o.reused));
        opened
    }

    async fn open_collection_once(
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
            match self.standing(&loaded, ask, now) {
                Standing::Unused => {
                    let counted = self.count_collection(ask, &reference, now).await?;
                    let mut request = single(self.request_append(&reference, ask, now), now);
                    request.streams.extend(counted);
                    match self.append(request).await {
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

    /// The usage appends that count `ask` under `reference` against the limits.
    ///
    /// # Errors
    /// [`ServiceError::LimitExceeded`]; a store error.
    pub(super) async fn count_collection(
        &self,
        ask: &Ask<'_>,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<StreamAppend>, ServiceError> {
        if self.config.limits.is_empty() {
            return Ok(Vec::new());
        }
        let group = self
            .collection_group(&ask.purpose, ask.amount.currency())
            .await?;
        let counted = super::limits::Counted {
            member: ask.member,
            group: group.as_ref(),
            flow: crate::limits::Flow::In,
            amount: ask.amount,
            reference,
        };
        self.count_against_limits(&counted, now).await
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
            email: ask
                .payer
                .email
                .clone()
                .map(String::from)
                .unwrap_or_default(),
            description: ask.description.clone(),
            callback_url: self.config.callback_url.clone(),
            payer_phone: ask.payer.phone.clone(),
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
    #[instrument(skip_all, fields(group_id = %group, member_id = %member))]
    pub async fn request_deposit(
        &self,
        group: &GroupId,
        member: &MemberId,
    ) -> Result<Checkout, ServiceError> {
        super::logged(async move {
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
            let payer = Payer::of(self.profile(member).await?);
            let base = PaymentReference::deposit(group, member);
            let ask = Ask {
                base: &base,
                member,
                purpose: PaymentPurpose::Deposit {
                    group: group.clone(),
                },
                amount,
                payer,
                description: "security deposit".to_owned(),
            };
            let opened = self.open_collection(&ask, None).await?;
            Ok(Checkout::new(opened, amount, breakdown))
        })
        .await
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
    #[instrument(skip_all, fields(group_id = %group, member_id = %member))]
    pub async fn request_contribution_for(
        &self,
        group: &GroupId,
        member: &MemberId,
    ) -> Result<Checkout, ServiceError> {
        super::logged(async move {
            let state = self.state_of::<GroupState>(group).await?;
            if state.id().is_none() {
                return Err(ServiceError::NotFound(super::exec::group_stream(group)));
            }
            if !state.members().contains_key(member) {
                return Err(crate::group::GroupError::UnknownMember(member.clone()).into());
            }
            collecting(&state)?;
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
            let payer = Payer::of(self.profile(member).await?);
            self.contribution_checkout(group, member, round, hand, breakdown, payer, None)
                .await
        })
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
        payer: Payer,
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
            payer,
            description: format!("round {round} contribution"),
        };
        let opened = self.open_collection(&ask, loaded_base).await?;
        Ok(Checkout::new(opened, amount, breakdown))
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

/// No contribution is collected for a group that has ended: a completed or cancelled
/// group still holds its dues, but money paid to it now would only go to review.
pub(super) fn collecting(state: &GroupState) -> Result<(), ServiceError> {
    match state.status() {
        status @ (crate::group::GroupStatus::Completed | crate::group::GroupStatus::Cancelled) => {
            Err(crate::group::GroupError::NotAllowed {
                action: "collect a contribution",
                status,
            }
            .into())
        }
        _ => Ok(()),
    }
}
