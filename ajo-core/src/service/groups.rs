//! What a host asks of groups: create, join, start, collect.

use tracing::instrument;

use chrono::{DateTime, Utc};

use super::cache::StateCache;
use super::exec::{
    Loaded, Profiles, as_group, as_member, as_payment, current_profile, decode_as, member_stream,
    next_wake,
};
use super::runner::{Decision, Effects, Hosted, Write};
use super::{AjoService, ServiceError};
use crate::group::{GroupCommand, GroupConfig, GroupError, GroupEvent, GroupState};
use crate::ids::{EmailAddress, GroupId, HandId, MemberId};
use crate::ledger::BalancedEntry;
use crate::member::{MemberEvent, MemberProfile};
use crate::payment::{PaymentEvent, PaymentPurpose, PayoutEvent};
use crate::ports::{
    AppendRequest, Collection, CollectionRequest, DomainEvent, RecipientDetails, StreamAppend,
    StreamId, StreamKind,
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

/// What joining returns: where the member pays their deposit, if one is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinReceipt {
    /// The deposit collection, when the group takes one.
    pub deposit: Option<Collection>,
}

impl AjoService {
    /// Runs a group command through the one command loop
    /// ([`run_aggregate`](AjoService::run_aggregate)).
    pub(super) async fn run_group(
        &self,
        id: &GroupId,
        command: GroupCommand,
        idempotency_key: Option<String>,
        extra: Vec<StreamAppend>,
    ) -> Result<Vec<GroupEvent>, ServiceError> {
        self.run_aggregate::<GroupState>(id, &command, idempotency_key.as_deref(), &extra)
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
    #[instrument(skip_all, fields(group_id = %id), err)]
    pub async fn create_group(
        &self,
        id: &GroupId,
        config: GroupConfig,
    ) -> Result<(), ServiceError> {
        self.run_group(
            id,
            GroupCommand::Create {
                id: id.clone(),
                config,
            },
            None,
            Vec::new(),
        )
        .await?;
        Ok(())
    }

    /// Records how to reach and pay a member, registering their payout account with the
    /// gateway when one is given.
    ///
    /// # Errors
    /// A gateway error registering the account, or a store error.
    #[instrument(skip_all, fields(member_id = %member), err)]
    pub async fn set_contact(
        &self,
        member: &MemberId,
        contact: &Contact,
    ) -> Result<(), ServiceError> {
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
                    idempotency_key: None,
                    at: self.now().into(),
                },
                written: (),
                duplicate: (),
                keep: None,
            }))
        })
        .await
    }

    /// A member joins a forming group with `hands` hands. If the group takes a security
    /// deposit, the gateway is asked to collect it and the checkout is returned.
    ///
    /// # Errors
    /// [`ServiceError::Group`] for a refused join, a gateway or store error.
    #[instrument(skip_all, fields(group_id = %group, member_id = %member), err)]
    pub async fn join(
        &self,
        group: &GroupId,
        member: &MemberId,
        hands: u32,
        contact: &Contact,
    ) -> Result<JoinReceipt, ServiceError> {
        self.set_contact(member, contact).await?;
        // Indexed before the join so a join retried after a failure is indexed too; an
        // entry for a join then refused holds no dues of theirs and counts for nothing.
        self.record_joined(member, group).await?;
        let events = self
            .run_group(
                group,
                GroupCommand::Join {
                    member: member.clone(),
                    hands,
                },
                None,
                Vec::new(),
            )
            .await?;
        let deposit = events.iter().find_map(|e| match e {
            GroupEvent::MemberJoined {
                deposit_required, ..
            } if deposit_required.is_positive() => Some(*deposit_required),
            _ => None,
        });
        let Some(amount) = deposit else {
            return Ok(JoinReceipt { deposit: None });
        };
        let reference = PaymentReference::deposit(group, member).to_string();
        let purpose = PaymentPurpose::Deposit {
            group: group.clone(),
        };
        let collection = self
            .collect(
                &reference,
                None,
                member,
                purpose,
                amount,
                contact.email.clone(),
                "security deposit",
            )
            .await?;
        Ok(JoinReceipt {
            deposit: Some(collection),
        })
    }

    /// Starts a group's cycle.
    ///
    /// # Errors
    /// [`ServiceError::Group`] if it cannot start (too few hands, deposits outstanding).
    #[instrument(skip_all, fields(group_id = %group), err)]
    pub async fn start(&self, group: &GroupId) -> Result<(), ServiceError> {
        self.run_group(group, GroupCommand::Start, None, Vec::new())
            .await?;
        Ok(())
    }

    /// Asks the gateway to collect what a hand owes for a round: the due, with any
    /// arrears, penalties and deposit top-up the member owes (payments settle those
    /// first). The reference is derived from group, round and hand, so asking twice
    /// reuses it (a new suffix only after a failed attempt).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group, [`ServiceError::UnknownHand`] or
    /// [`ServiceError::UnknownRound`] for a hand or round it does not have;
    /// [`GroupError::NothingOwed`] (in [`ServiceError::Group`]) if the due is settled; a
    /// gateway or store error.
    #[instrument(skip_all, fields(group_id = %group, cycle = round, hand = %hand), err)]
    pub async fn request_contribution(
        &self,
        group: &GroupId,
        round: u32,
        hand: HandId,
    ) -> Result<Collection, ServiceError> {
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
        let amount = state.amount_to_settle(&member, round);
        let profile = match guess {
            Some(guessed) if guessed == member => {
                let member_at = super::exec::member_stream(&member);
                current_profile(decode_as(&member_at, others.take(&member_at)?, as_member)?)
            }
            _ => self.profile(&member).await?,
        };
        let email = profile.and_then(|p| p.email);
        let (reference, version) = self.fresh_reference(&base, Some(base_payment)).await?;
        let purpose = PaymentPurpose::Contribution {
            group: group.clone(),
            round,
            hand,
        };
        self.collect(
            &reference,
            version,
            &member,
            purpose,
            amount,
            email,
            &format!("round {round} contribution"),
        )
        .await
    }

    /// `base` while a collection under it is still open (asking again is a retry of the
    /// same charge), else its second, third... attempt ([`PaymentReference::attempt`]): a reference whose collection finished
    /// (settled, held for review or failed) is never used for new money. `loaded_base` is
    /// the collection under `base` if the caller read it already. Returns the reference
    /// with its collection's version, when read.
    pub(super) async fn fresh_reference(
        &self,
        base: &PaymentReference,
        loaded_base: Option<Loaded<PaymentEvent>>,
    ) -> Result<(String, Option<u64>), ServiceError> {
        let mut reference = base.to_string();
        let mut known = loaded_base;
        for attempt in 2u32..=1000 {
            let loaded = match known.take() {
                Some(loaded) => loaded,
                None => self.load_payment(&reference).await?,
            };
            let finished = loaded
                .events
                .iter()
                .any(|e| !matches!(e, PaymentEvent::Requested { .. }));
            if !finished {
                return Ok((reference, Some(loaded.version)));
            }
            reference = base.attempt(attempt).to_string();
        }
        Ok((reference, None))
    }

    /// Records the collection (once per reference), then asks the gateway for it. The
    /// record comes first so that money the gateway takes is never unexpected: even if
    /// the gateway's answer is lost (a timeout after it accepted the charge), the webhook
    /// or `tick`'s re-verification finds the reference.
    /// `version` is the collection's version if the caller just read it.
    #[allow(clippy::too_many_arguments)] // each is one fact of the collection
    pub(super) async fn collect(
        &self,
        reference: &str,
        version: Option<u64>,
        member: &MemberId,
        purpose: PaymentPurpose,
        amount: crate::money::Money,
        email: Option<EmailAddress>,
        description: &str,
    ) -> Result<Collection, ServiceError> {
        let now = self.now();
        if let Some(group) = purpose.group() {
            self.payers.note(reference, group, member);
        }
        let version = match version {
            Some(version) => version,
            None => self.load_payment(reference).await?.version,
        };
        if version == 0 {
            let append = AppendRequest {
                streams: vec![StreamAppend {
                    stream: StreamId::new(StreamKind::Payment, reference),
                    expected_version: 0,
                    events: vec![DomainEvent::Payment(PaymentEvent::Requested {
                        member: member.clone(),
                        purpose,
                        amount,
                        at: now,
                    })],
                    wake_at: Some(self.reverify_at(now)),
                }],
                entries: Vec::new(),
                outbox: Vec::new(),
                idempotency_key: None,
                at: now.into(),
            };
            // Someone recorded the same request first: theirs stands.
            self.append_unless_overtaken(append).await?;
        }
        let request = CollectionRequest {
            reference: reference.to_owned(),
            amount,
            // The port takes text, empty when the member gave no address: a gateway that
            // needs one refuses the request rather than ajo inventing an address.
            email: email.map(String::from).unwrap_or_default(),
            description: description.to_owned(),
            callback_url: None,
        };
        Ok(self.gateway.start_collection(&request).await?)
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
