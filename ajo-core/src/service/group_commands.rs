//! What a host asks of a running group beyond joining and paying: cancel it, let a
//! member leave, forgive a due, cover arrears from deposits, bid, choose a recipient.
//!
//! Each is one group command through the one command loop: read, decide, append the
//! events with their ledger entries, messages and payouts in one write, retry on a
//! conflict. A refused command changes nothing.

use tracing::instrument;

use super::{AjoService, ServiceError};
use crate::group::{GroupCommand, GroupEvent, GroupState};
use crate::ids::{GroupId, HandId, MemberId};
use crate::money::Money;
use crate::ports::KeyRecord;

impl AjoService {
    /// Cancels a forming or active group. Everything it holds goes back: each member's
    /// deposit, and what they put in less what was already paid out to them (shared in
    /// proportion when fees were taken). The refunds are sent by `tick`, and each member
    /// is told. Returns what each member gets back.
    ///
    /// ```
    /// use ajo_core::group::GroupId;
    /// use ajo_testkit::{Embedded, builders};
    /// use chrono::{NaiveDate, TimeZone, Utc};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    /// let start = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    /// let group = GroupId::new("street-traders").unwrap();
    /// let config = builders::naira_group("Street traders", 5_000, start).build().unwrap();
    /// ajo.service.create_group(&group, config).await.unwrap();
    /// let ada = builders::member("ada");
    /// ajo.service.join(&group, &ada, 1, &builders::contact("Ada")).await.unwrap();
    ///
    /// // Nothing was paid in yet: nothing to return.
    /// let refunds = ajo.service.cancel_group(&group).await.unwrap();
    /// assert!(refunds.iter().all(|(_, refund)| refund.is_zero()));
    /// // A cancelled group stays cancelled.
    /// assert!(ajo.service.cancel_group(&group).await.unwrap_err().is_refused());
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group; [`ServiceError::Group`] with
    /// [`GroupError::NotAllowed`](crate::group::GroupError::NotAllowed) once it is
    /// completed or cancelled; a store error.
    pub async fn cancel_group(
        &self,
        group: &GroupId,
    ) -> Result<Vec<(MemberId, Money)>, ServiceError> {
        self.cancel_group_keyed(group, None).await
    }

    /// [`cancel_group`](Self::cancel_group), recording a host's `key` with the
    /// cancellation and its refunds: a replay answers them.
    #[instrument(skip_all, fields(group_id = %group))]
    pub(super) async fn cancel_group_keyed(
        &self,
        group: &GroupId,
        key: Option<&KeyRecord>,
    ) -> Result<Vec<(MemberId, Money)>, ServiceError> {
        super::logged(async move {
            let refunds_of = |events: &[GroupEvent]| {
                events.iter().find_map(|e| match e {
                    GroupEvent::Cancelled { refunds, .. } => Some(refunds.clone()),
                    _ => None,
                })
            };
            let answer = |events: &[GroupEvent]| serde_json::to_string(&refunds_of(events)?).ok();
            let events = self
                .run_aggregate_answering::<GroupState>(
                    group,
                    &GroupCommand::Cancel,
                    key,
                    &[],
                    &answer,
                )
                .await?;
            if let Some(refunds) = refunds_of(&events) {
                return Ok(refunds);
            }
            replayed(self, key).await
        })
        .await
    }

    /// A member leaves: from a forming group at any time (their deposit is refunded,
    /// sent by `tick`); from an active one only once every hand of theirs is paid out
    /// and they owe nothing.
    ///
    /// # Errors
    /// [`ServiceError::Group`] with [`GroupError::UnknownMember`](crate::group::GroupError::UnknownMember),
    /// [`NotYetPaidOut`](crate::group::GroupError::NotYetPaidOut) or
    /// [`MustSettleBeforeLeaving`](crate::group::GroupError::MustSettleBeforeLeaving);
    /// [`ServiceError::NotFound`]; a store error.
    pub async fn leave(&self, group: &GroupId, member: &MemberId) -> Result<(), ServiceError> {
        self.leave_keyed(group, member, None).await
    }

    /// [`leave`](Self::leave), recording a host's `key` with the leaving.
    #[instrument(skip_all, fields(group_id = %group, member_id = %member))]
    pub(super) async fn leave_keyed(
        &self,
        group: &GroupId,
        member: &MemberId,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        self.group_command(
            group,
            GroupCommand::Leave {
                member: member.clone(),
            },
            key,
        )
        .await
    }

    /// Forgives what is left of one hand's due for a round (an organiser's decision:
    /// the round's pot is then smaller by that much).
    ///
    /// # Errors
    /// [`ServiceError::Group`] for a round or hand the group does not have, or a due
    /// with nothing left; [`ServiceError::NotFound`]; a store error.
    pub async fn waive_due(
        &self,
        group: &GroupId,
        round: u32,
        hand: HandId,
    ) -> Result<(), ServiceError> {
        self.waive_due_keyed(group, round, hand, None).await
    }

    /// [`waive_due`](Self::waive_due), recording a host's `key` with the waiver.
    #[instrument(skip_all, fields(group_id = %group, cycle = round, hand = %hand))]
    pub(super) async fn waive_due_keyed(
        &self,
        group: &GroupId,
        round: u32,
        hand: HandId,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        self.group_command(group, GroupCommand::WaiveDue { round, hand }, key)
            .await
    }

    /// Covers every due past its grace period from the member's security deposit, as
    /// far as each deposit goes, now rather than at the next `tick` (which does the
    /// same). Returns how much was covered; zero when nothing was late or no deposit
    /// held anything.
    ///
    /// # Errors
    /// [`ServiceError::Group`] if the group is not active; [`ServiceError::NotFound`];
    /// a store error.
    pub async fn cover_arrears(&self, group: &GroupId) -> Result<Money, ServiceError> {
        self.cover_arrears_keyed(group, None).await
    }

    /// [`cover_arrears`](Self::cover_arrears), recording a host's `key` with what was
    /// covered: a replay answers it.
    #[instrument(skip_all, fields(group_id = %group))]
    pub(super) async fn cover_arrears_keyed(
        &self,
        group: &GroupId,
        key: Option<&KeyRecord>,
    ) -> Result<Money, ServiceError> {
        super::logged(async move {
            let state = self.group(group).await?;
            let currency = state
                .config()
                .map(|c| c.currency())
                .ok_or_else(|| ServiceError::NotFound(super::exec::group_stream(group)))?;
            let covered = |events: &[GroupEvent]| {
                let amounts: Vec<Money> = events
                    .iter()
                    .filter_map(|e| match e {
                        GroupEvent::DepositApplied { amount, .. } => Some(*amount),
                        _ => None,
                    })
                    .collect();
                Money::checked_sum(currency, &amounts)
            };
            let answer = |events: &[GroupEvent]| serde_json::to_string(&covered(events).ok()?).ok();
            let events = self
                .run_aggregate_answering::<GroupState>(
                    group,
                    &GroupCommand::CoverArrears,
                    key,
                    &[],
                    &answer,
                )
                .await?;
            if events.is_empty()
                && key.is_some()
                && let Ok(first) = replayed::<Money>(self, key).await
            {
                return Ok(first);
            }
            Ok(covered(&events).map_err(crate::group::GroupError::from)?)
        })
        .await
    }

    /// A member of a bidding group bids to take the current round's pot, giving up
    /// `discount` of it to the other members. The highest bid when the round pays out
    /// wins (the earliest of equal bids); with no bid, the first unpaid hand is paid.
    ///
    /// # Errors
    /// [`ServiceError::Group`] with
    /// [`WrongPayoutMethod`](crate::group::GroupError::WrongPayoutMethod) outside
    /// bidding, [`NoUnpaidHand`](crate::group::GroupError::NoUnpaidHand) for a member
    /// already paid, [`DiscountTooLarge`](crate::group::GroupError::DiscountTooLarge),
    /// a non-positive or foreign-currency discount; [`ServiceError::NotFound`]; a store
    /// error.
    pub async fn place_bid(
        &self,
        group: &GroupId,
        member: &MemberId,
        discount: Money,
    ) -> Result<(), ServiceError> {
        self.place_bid_keyed(group, member, discount, None).await
    }

    /// [`place_bid`](Self::place_bid), recording a host's `key` with the bid.
    #[instrument(skip_all, fields(group_id = %group, member_id = %member))]
    pub(super) async fn place_bid_keyed(
        &self,
        group: &GroupId,
        member: &MemberId,
        discount: Money,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        self.group_command(
            group,
            GroupCommand::PlaceBid {
                member: member.clone(),
                discount,
            },
            key,
        )
        .await
    }

    /// The organiser names the current round's recipient in an organiser's-choice
    /// group. The round pays out (at the next `tick`) once it is due and funded. A
    /// choice not made by the [deadline](crate::group::GroupState::choice_deadline) is
    /// made for the organiser: the first hand not yet paid, in join order.
    ///
    /// # Errors
    /// [`ServiceError::Group`] with
    /// [`WrongPayoutMethod`](crate::group::GroupError::WrongPayoutMethod) for another
    /// order, [`UnknownHand`](crate::group::GroupError::UnknownHand) or
    /// [`HandAlreadyPaid`](crate::group::GroupError::HandAlreadyPaid);
    /// [`ServiceError::NotFound`]; a store error.
    pub async fn choose_recipient(
        &self,
        group: &GroupId,
        hand: HandId,
    ) -> Result<(), ServiceError> {
        self.choose_recipient_keyed(group, hand, None).await
    }

    /// [`choose_recipient`](Self::choose_recipient), recording a host's `key` with the
    /// choice.
    #[instrument(skip_all, fields(group_id = %group, hand = %hand))]
    pub(super) async fn choose_recipient_keyed(
        &self,
        group: &GroupId,
        hand: HandId,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        self.group_command(group, GroupCommand::ChooseRecipient { hand }, key)
            .await
    }

    /// Runs a group command that answers nothing, recording a host's `key` with it, and
    /// logs its failure by kind.
    async fn group_command(
        &self,
        group: &GroupId,
        command: GroupCommand,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        super::logged(async move {
            self.run_group(group, command, key.cloned(), Vec::new())
                .await?;
            Ok(())
        })
        .await
    }
}

/// The answer recorded with `key` by the call that ran first, for a call under the same
/// key that found it recorded and wrote nothing.
async fn replayed<T: serde::de::DeserializeOwned>(
    service: &AjoService,
    key: Option<&KeyRecord>,
) -> Result<T, ServiceError> {
    let recorded = match key {
        Some(key) => service.first_answer(key).await?,
        None => None,
    };
    recorded.ok_or_else(|| {
        ServiceError::Store(crate::ports::StoreError::Corrupt {
            reason: "a command recorded under a key without its answer".into(),
        })
    })
}
