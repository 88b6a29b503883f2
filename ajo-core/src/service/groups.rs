//! What a host asks of groups: create, join, start, collect.

use tracing::instrument;

use crate::aggregate::Aggregate;

use chrono::{DateTime, Utc};

use super::cache::StateCache;
use super::collections::{Ask, Breakdown, Checkout, contribution_breakdown, member_hands};
use super::exec::{
    Profiles, as_group, as_member, as_payment, current_profile, decode_as, member_stream, next_wake,
};
use super::runner::{Decision, Effects, Hosted, Write};
use super::{AjoService, ServiceError};
use crate::group::{GroupCommand, GroupConfig, GroupError, GroupEvent, GroupState};
use crate::ids::{EmailAddress, GroupId, HandId, MemberId};
use crate::ledger::BalancedEntry;
use crate::member::{MemberEvent, MemberProfile};
use crate::money::Money;
use crate::payment::{PaymentPurpose, PayoutEvent};
use crate::ports::{
    AppendRequest, DomainEvent, GatewayError, KeyRecord, RecipientDetails, StreamAppend, StreamId,
    StreamKind,
};
use crate::reference::PaymentReference;

/// How to reach a member, and where to pay them.
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    /// The name used in messages.
    pub name: String,
    /// Email for notices and for the gateway's checkout.
    pub email: Option<EmailAddress>,
    /// Phone (E.164) for SMS.
    pub phone: Option<String>,
    /// Bank or wallet details for payouts.
    pub payout_account: Option<RecipientDetails>,
}

impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contact")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What joining returns: the hands the member holds and, when the group takes a
/// security deposit, where they pay it.
///
/// The join and the deposit's collection are recorded in one append, before the gateway
/// is asked for a checkout: when the gateway fails, the member is in the group with their
/// deposit owed and `deposit` is `None` with the failure in `deposit_error`; the host gets
/// the checkout with [`AjoService::request_deposit`], as often as it likes.
///
/// Serializes to JSON for a host's own API (the gateway's failure as its message).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct JoinReceipt {
    /// The hands the join gave, numbered in join order. Hands are dealt when the group
    /// starts: a member who joined earlier leaving before then moves these down (read
    /// them again from the group once it starts).
    pub hands: Vec<HandId>,
    /// The security deposit the join asks for (zero when the group takes none).
    pub deposit_required: Money,
    /// The deposit's checkout, when the group takes one and the gateway answered.
    pub deposit: Option<Checkout>,
    /// Why the gateway could not open the deposit's checkout, if it could not.
    #[serde(serialize_with = "as_message")]
    pub deposit_error: Option<GatewayError>,
}

fn as_message<S: serde::Serializer>(
    error: &Option<GatewayError>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match error {
        Some(error) => serializer.collect_str(error),
        None => serializer.serialize_none(),
    }
}

impl AjoService {
    /// Runs a group command through the one command loop
    /// ([`run_aggregate`](AjoService::run_aggregate)).
    pub(super) async fn run_group(
        &self,
        id: &GroupId,
        command: GroupCommand,
        idempotency_key: Option<KeyRecord>,
        extra: Vec<StreamAppend>,
    ) -> Result<Vec<GroupEvent>, ServiceError> {
        self.run_aggregate::<GroupState>(id, &command, idempotency_key.as_ref(), &extra)
            .await
    }

    /// A payout stream for each payout made and each refund owed, to be sent by `tick`.
    fn payouts_for(&self, id: &GroupId, events: &[GroupEvent]) -> Vec<StreamAppend> {
        let mut owed: Vec<(String, Option<u32>, MemberId, crate::money::Money)> = Vec::new();
        for event in events {
            match event {
                GroupEvent::PayoutMade {
                    round,
                    member,
                    payout,
                    ..
                } => {
                    owed.push((
                        PaymentReference::payout(id, *round).to_string(),
                        Some(*round),
                        member.clone(),
                        *payout,
                    ));
                }
                GroupEvent::DepositRefunded {
                    member, refunded, ..
                } => {
                    owed.push((
                        PaymentReference::deposit_refund(id, member).to_string(),
                        None,
                        member.clone(),
                        *refunded,
                    ));
                }
                GroupEvent::Cancelled { refunds, .. } => {
                    for (member, refund) in refunds {
                        owed.push((
                            PaymentReference::cancel_refund(id, member).to_string(),
                            None,
                            member.clone(),
                            *refund,
                        ));
                    }
                }
                _ => {}
            }
        }
        owed.into_iter()
            .filter(|(_, _, _, amount)| amount.is_positive())
            .map(|(reference, round, member, amount)| StreamAppend {
                stream: StreamId::new(StreamKind::Payout, reference),
                expected_version: 0,
                events: vec![DomainEvent::Payout(PayoutEvent::Requested {
                    group: id.clone(),
                    round,
                    member,
                    amount,
                })],
                wake_at: Some(self.now()),
            })
            .collect()
    }

    /// Creates a group.
    ///
    /// # Errors
    /// [`ServiceError::Group`] if the id is taken, or a store error.
    pub async fn create_group(
        &self,
        id: &GroupId,
        config: GroupConfig,
    ) -> Result<(), ServiceError> {
        self.create_group_keyed(id, config, None).await
    }

    /// [`create_group`](Self::create_group), recording a host's `key` with the group.
    #[instrument(skip_all, fields(group_id = %id))]
    pub(super) async fn create_group_keyed(
        &self,
        id: &GroupId,
        config: GroupConfig,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        super::logged(async move {
            self.run_group(
                id,
                GroupCommand::Create {
                    id: id.clone(),
                    config,
                },
                key.cloned(),
                Vec::new(),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Records how to reach and pay a member, registering their payout account with the
    /// gateway when one is given.
    ///
    /// # Errors
    /// A gateway error registering the account, or a store error.
    pub async fn set_contact(
        &self,
        member: &MemberId,
        contact: &Contact,
    ) -> Result<(), ServiceError> {
        self.set_contact_keyed(member, contact, None).await
    }

    /// [`set_contact`](Self::set_contact), recording a host's `key` with the profile (a
    /// key already recorded for it does nothing, not even the gateway call).
    #[instrument(skip_all, fields(member_id = %member))]
    pub(super) async fn set_contact_keyed(
        &self,
        member: &MemberId,
        contact: &Contact,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        super::logged(async move {
            if let Some(key) = key
                && let Some(recorded) = self.store.idempotency_record(&key.key).await?
            {
                return self.replay_of(key, Some(recorded)).await;
            }
            let fingerprint = contact.payout_account.as_ref().map(payout_fingerprint);
            let current = self.profile(member).await?;
            // Re-registering the same account (a member joining a second group, say) would
            // only grow the profile's history and the gateway's recipient list.
            let unchanged_account = current
                .as_ref()
                .is_some_and(|p| p.payout_fingerprint == fingerprint);
            let payout_recipient = match (&contact.payout_account, &current) {
                (Some(_), Some(p)) if unchanged_account => p.payout_recipient.clone(),
                (Some(details), _) => Some(self.gateway.create_recipient(details).await?),
                (None, _) => None,
            };
            let profile = MemberProfile {
                name: contact.name.clone(),
                email: contact.email.clone(),
                phone: contact.phone.clone(),
                payout_recipient,
                payout_fingerprint: fingerprint,
            };
            if current.as_ref() == Some(&profile) {
                return Ok(());
            }
            let stream = member_stream(member);
            let (at, profile) = (&stream, &profile);
            self.run(at, move |_| async move {
                let version = self.store.load(at).await?.last().map_or(0, |r| r.version);
                Ok(Decision::Write(Write {
                    request: AppendRequest {
                        streams: vec![StreamAppend {
                            stream: at.clone(),
                            expected_version: version,
                            events: vec![DomainEvent::Member(MemberEvent::ProfileSet(
                                profile.clone(),
                            ))],
                            wake_at: None,
                        }],
                        entries: Vec::new(),
                        outbox: Vec::new(),
                        idempotency_key: key.cloned(),
                        at: self.now().into(),
                    },
                    written: (),
                    duplicate: (),
                    keep: None,
                }))
            })
            .await
        })
        .await
    }

    /// A member joins a forming group with `hands` hands. If the group takes a security
    /// deposit, its collection is recorded in the same append as the join, then the
    /// gateway is asked for the checkout; if that fails, the join stands and the receipt
    /// says why ([`JoinReceipt::deposit_error`]): [`request_deposit`](Self::request_deposit)
    /// opens the checkout again.
    ///
    /// A join the group refuses (an unknown group, a member already in it, a full or
    /// started group) is refused before anything is written, the member's contact
    /// included.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group; [`ServiceError::Group`] for a
    /// refused join, a gateway error registering the payout account, or a store error.
    pub async fn join(
        &self,
        group: &GroupId,
        member: &MemberId,
        hands: u32,
        contact: &Contact,
    ) -> Result<JoinReceipt, ServiceError> {
        self.join_keyed(group, member, hands, contact, None).await
    }

    /// [`join`](Self::join), recording a host's `key` in the join's own append: a
    /// replay answers the member's hands and deposit as they are now, with the deposit's
    /// checkout asked for again while it is owed (the same open one).
    #[instrument(skip_all, fields(group_id = %group, member_id = %member))]
    pub(super) async fn join_keyed(
        &self,
        group: &GroupId,
        member: &MemberId,
        hands: u32,
        contact: &Contact,
        key: Option<&KeyRecord>,
    ) -> Result<JoinReceipt, ServiceError> {
        super::logged(async move {
            if let Some(key) = key
                && let Some(recorded) = self.store.idempotency_record(&key.key).await?
            {
                self.replay_of(key, Some(recorded)).await?;
                return self.joined_already(group, member).await;
            }
            let state = self.state_of::<GroupState>(group).await?;
            if state.id().is_none() {
                return Err(ServiceError::NotFound(super::exec::group_stream(group)));
            }
            // Decided once before anything is written, so a join the group refuses
            // leaves no contact, payout recipient or index entry behind.
            state.decide(
                &GroupCommand::Join {
                    member: member.clone(),
                    hands,
                },
                self.now(),
            )?;
            // The deposit is the group's rule applied to the hands: known before deciding, so
            // its collection can be written with the join.
            let deposit = match state.config() {
                Some(config) => config
                    .deposit()
                    .required(config.contribution(), hands)
                    .ok()
                    .filter(Money::is_positive),
                None => None,
            };
            let base = PaymentReference::deposit(group, member);
            let ask = deposit.map(|amount| Ask {
                base: &base,
                member,
                purpose: PaymentPurpose::Deposit {
                    group: group.clone(),
                },
                amount,
                payer: super::collections::Payer {
                    email: contact.email.clone(),
                    phone: contact.phone.clone(),
                },
                description: "security deposit".to_owned(),
            });
            let now = self.now();
            let mut extra = Vec::new();
            let mut reference = None;
            let mut counted_any = false;
            if let Some(ask) = &ask {
                let unused = self.unused_reference(&base).await?;
                // Counted before anything is written, so a join the limits refuse
                // leaves nothing behind either.
                let counted = self.count_collection(ask, &unused, now).await?;
                counted_any = !counted.is_empty();
                extra.push(self.request_append(&unused, ask, now));
                extra.extend(counted);
                reference = Some(unused);
            }
            self.set_contact(member, contact).await?;
            // Indexed before the join so a join retried after a failure is indexed too.
            self.record_joined(member, group).await?;
            let command = GroupCommand::Join {
                member: member.clone(),
                hands,
            };
            let mut rounds = 0;
            let events = loop {
                match self
                    .run_group(group, command.clone(), key.cloned(), extra.clone())
                    .await
                {
                    // The usage counted above was read once; another collection of the
                    // member's or group's counted meanwhile keeps it stale on every
                    // retry of the group's own loop: count again from what is there now.
                    Err(ServiceError::TooMuchContention { .. })
                        if counted_any && rounds < self.config.conflict_retries =>
                    {
                        rounds += 1;
                        if let (Some(ask), Some(unused)) = (&ask, &reference) {
                            let counted = self.count_collection(ask, unused, now).await?;
                            extra = vec![self.request_append(unused, ask, now)];
                            extra.extend(counted);
                        }
                    }
                    other => break other?,
                }
            };
            if events.is_empty() {
                // Another call under the same key joined first.
                return self.joined_already(group, member).await;
            }
            let required = events.iter().find_map(|e| match e {
                GroupEvent::MemberJoined {
                    deposit_required, ..
                } => Some(*deposit_required),
                _ => None,
            });
            let after = self.state_of::<GroupState>(group).await?;
            let currency = after
                .config()
                .map_or(crate::money::Currency::NGN, GroupConfig::currency);
            let mut receipt = JoinReceipt {
                hands: member_hands(&after, member),
                deposit_required: required.unwrap_or(Money::zero(currency)),
                deposit: None,
                deposit_error: None,
            };
            let (Some(ask), Some(reference)) = (ask, reference) else {
                return Ok(receipt);
            };
            match self.start_at_gateway(&reference, &ask, now).await {
                Ok(opened) => {
                    let mut breakdown = Breakdown::zero(Money::zero(ask.amount.currency()));
                    breakdown.deposit_top_up = ask.amount;
                    receipt.deposit = Some(Checkout::new(opened, ask.amount, breakdown));
                }
                Err(ServiceError::Gateway(error)) => {
                    tracing::warn!(%error, "joined; the deposit's checkout is to be asked again");
                    receipt.deposit_error = Some(error);
                }
                Err(other) => return Err(other),
            }
            Ok(receipt)
        })
        .await
    }

    /// The receipt of a member who has joined: their hands and deposit as the group
    /// holds them now, and the deposit's checkout while some of it is owed.
    async fn joined_already(
        &self,
        group: &GroupId,
        member: &MemberId,
    ) -> Result<JoinReceipt, ServiceError> {
        let state = self.state_of::<GroupState>(group).await?;
        let currency = state
            .config()
            .map_or(crate::money::Currency::NGN, GroupConfig::currency);
        let mut receipt = JoinReceipt {
            hands: member_hands(&state, member),
            deposit_required: state
                .members()
                .get(member)
                .map_or(Money::zero(currency), |m| m.deposit_required),
            deposit: None,
            deposit_error: None,
        };
        if state.deposit_owed(member).is_positive() {
            match self.request_deposit(group, member).await {
                Ok(checkout) => receipt.deposit = Some(checkout),
                Err(ServiceError::Gateway(error)) => receipt.deposit_error = Some(error),
                Err(other) => return Err(other),
            }
        }
        Ok(receipt)
    }

    /// Starts a group's cycle.
    ///
    /// # Errors
    /// [`ServiceError::Group`] if it cannot start: [`GroupError::TooFewHands`] below the
    /// group's [minimum](crate::group::GroupConfig::min_hands), deposits outstanding.
    pub async fn start(&self, group: &GroupId) -> Result<(), ServiceError> {
        self.start_keyed(group, None).await
    }

    /// [`start`](Self::start), recording a host's `key` with the start.
    #[instrument(skip_all, fields(group_id = %group))]
    pub(super) async fn start_keyed(
        &self,
        group: &GroupId,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        super::logged(async move {
            self.run_group(group, GroupCommand::Start, key.cloned(), Vec::new())
                .await?;
            Ok(())
        })
        .await
    }

    /// Asks the gateway to collect what a hand owes for a round: the due, with any
    /// arrears, penalties and deposit top-up the member owes (payments settle those
    /// first), returned with its [`Breakdown`]. Asking again while the collection is open
    /// for the same amount hands back the same checkout; a changed amount, or one that
    /// expired, failed or was never opened at the gateway, gets a fresh reference (see
    /// [`collections`](super::collections)).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group, [`ServiceError::UnknownHand`] or
    /// [`ServiceError::UnknownRound`] for a hand or round it does not have;
    /// [`GroupError::NothingOwed`] (in [`ServiceError::Group`]) if the due is settled; a
    /// gateway or store error.
    #[instrument(skip_all, fields(group_id = %group, cycle = round, hand = %hand))]
    pub async fn request_contribution(
        &self,
        group: &GroupId,
        round: u32,
        hand: HandId,
    ) -> Result<Checkout, ServiceError> {
        super::logged(async move {
            // The group, the collection under the base reference and, when the kept state
            // says whose hand it is, the member's profile: one read.
            let base = PaymentReference::contribution(group, round, hand);
            let base_stream = StreamId::new(StreamKind::Payment, base.to_string());
            let guess = self
                .peek_group(group, |s| s.hand(hand).map(|h| h.member.clone()))
                .flatten();
            let mut others = vec![base_stream.clone()];
            others.extend(guess.as_ref().map(super::exec::member_stream));
            let read = self
                .read_state_with::<GroupState>(group, &others, None)
                .await?;
            let mut others = read.others;
            let base_payment = decode_as(&base_stream, others.take(&base_stream)?, as_payment)?;
            let state = read.state;
            if state.id().is_none() {
                return Err(ServiceError::NotFound(super::exec::group_stream(group)));
            }
            super::collections::collecting(&state)?;
            let member = state.hand(hand).map(|h| h.member.clone()).ok_or_else(|| {
                ServiceError::UnknownHand {
                    group: group.clone(),
                    hand,
                }
            })?;
            // Every hand has a due in every round once the group starts: no due is a round
            // the group does not have (or not yet: a group still forming has none).
            let due = state
                .due(round, hand)
                .ok_or_else(|| ServiceError::UnknownRound {
                    group: group.clone(),
                    round,
                })?;
            if due.outstanding().is_zero() {
                return Err(GroupError::NothingOwed { round, hand }.into());
            }
            // Payments settle arrears, penalties and the deposit first: ask for all of it, so
            // this due is settled by the payment.
            let breakdown = contribution_breakdown(&state, &member, round)?;
            let profile = match guess {
                Some(guessed) if guessed == member => {
                    let member_at = super::exec::member_stream(&member);
                    current_profile(decode_as(&member_at, others.take(&member_at)?, as_member)?)
                }
                _ => self.profile(&member).await?,
            };
            self.contribution_checkout(
                group,
                &member,
                round,
                hand,
                breakdown,
                super::collections::Payer::of(profile),
                Some(base_payment),
            )
            .await
        })
        .await
    }

    /// A group's current state.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group, or a store error.
    pub async fn group(&self, id: &GroupId) -> Result<GroupState, ServiceError> {
        Ok(GroupState::clone(&*self.state_of::<GroupState>(id).await?))
    }
}

/// A SHA-256 of the payout account's bank and number: enough to notice a change,
/// nothing to read the account from.
fn payout_fingerprint(details: &RecipientDetails) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(details.bank_code.as_bytes());
    hasher.update([0u8]);
    hasher.update(details.account_number.as_bytes());
    hasher.update([0u8]);
    hasher.update(details.currency.as_bytes());
    hex::encode(hasher.finalize())
}

impl Hosted for GroupState {
    type Id = GroupId;
    const KIND: StreamKind = StreamKind::Group;

    fn wrap(event: GroupEvent) -> DomainEvent {
        DomainEvent::Group(event)
    }

    fn unwrap(event: DomainEvent) -> Option<GroupEvent> {
        as_group(event)
    }

    fn entry(event: &GroupEvent) -> Option<&BalancedEntry> {
        event.entry()
    }

    fn opens(command: &GroupCommand) -> bool {
        matches!(command, GroupCommand::Create { .. })
    }

    fn refused(error: GroupError) -> ServiceError {
        ServiceError::Group(error)
    }

    fn cache(service: &AjoService) -> &StateCache<GroupState, GroupId> {
        &service.group_states
    }

    fn wake_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        next_wake(self, now)
    }

    async fn effects<'a>(
        service: &'a AjoService,
        id: &'a GroupId,
        before: &'a GroupState,
        _after: &'a GroupState,
        events: &'a [GroupEvent],
        profiles: &'a mut Profiles,
    ) -> Result<Effects, ServiceError> {
        Ok(Effects {
            streams: service.payouts_for(id, events),
            outbox: service.group_messages(before, events, profiles).await?,
        })
    }
}
