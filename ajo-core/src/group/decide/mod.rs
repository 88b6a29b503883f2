use chrono::{DateTime, Utc};

use super::{
    GroupAccounts, GroupCommand, GroupConfig, GroupError, GroupEvent, GroupState, GroupStatus,
    HandId, MemberId,
};
use crate::calendar::due_date;
use crate::group::contribution::{Application, Owed, apply_payment};
use crate::group::rotation::{PayoutOrder, lottery_order};
use crate::ledger::EntryDraft;
use crate::money::Money;

mod rounds;

use rounds::fixed_order;

/// Decides what a command does to a group: the events it causes, or why it is refused.
///
/// Pure and deterministic: the same state, command and `now` always give the same
/// answer, and nothing changes until the caller applies the events (and stores them).
/// Commands that move money are idempotent: a payment reference already recorded, a
/// round already paid out or penalties already charged for the day give no events.
///
/// # Errors
/// A [`GroupError`] naming the rule the command breaks; see each command's docs.
pub fn decide(
    state: &GroupState,
    command: &GroupCommand,
    now: DateTime<Utc>,
) -> Result<Vec<GroupEvent>, GroupError> {
    if let GroupCommand::Create { id, config } = command {
        if state.status != GroupStatus::New {
            return Err(GroupError::AlreadyCreated);
        }
        return Ok(vec![GroupEvent::Created {
            id: id.clone(),
            config: config.clone(),
            at: now,
        }]);
    }
    let (Some(id), Some(config)) = (state.id.as_ref(), state.config.as_ref()) else {
        return Err(GroupError::NotAllowed {
            action: "act on a group",
            status: state.status,
        });
    };
    let ctx = Ctx {
        state,
        id,
        config,
        books: GroupAccounts::new(id, config),
        now,
    };
    match command {
        GroupCommand::Create { .. } => Err(GroupError::AlreadyCreated),
        GroupCommand::Join { member, hands } => ctx.join(member, *hands),
        GroupCommand::Leave { member } => ctx.leave(member),
        GroupCommand::RecordPayment {
            member,
            amount,
            reference,
        } => ctx.record_payment(member, *amount, reference),
        GroupCommand::Start => ctx.start(),
        GroupCommand::PlaceBid { member, discount } => ctx.place_bid(member, *discount),
        GroupCommand::ChooseRecipient { hand } => ctx.choose_recipient(*hand),
        GroupCommand::WaiveDue { round, hand } => ctx.waive(*round, *hand),
        GroupCommand::ApplyPenalties => ctx.apply_penalties(),
        GroupCommand::CoverArrears => ctx.cover_arrears(),
        GroupCommand::MakePayout { round } => ctx.make_payout(*round),
        GroupCommand::Cancel => ctx.cancel(),
    }
}

struct Ctx<'a> {
    state: &'a GroupState,
    id: &'a super::GroupId,
    config: &'a GroupConfig,
    books: GroupAccounts<'a>,
    now: DateTime<Utc>,
}

type Decision = Result<Vec<GroupEvent>, GroupError>;

impl Ctx<'_> {
    fn require(&self, action: &'static str, allowed: &[GroupStatus]) -> Result<(), GroupError> {
        if allowed.contains(&self.state.status) {
            Ok(())
        } else {
            Err(GroupError::NotAllowed {
                action,
                status: self.state.status,
            })
        }
    }

    fn member(&self, member: &MemberId) -> Result<&crate::group::MemberState, GroupError> {
        self.state
            .members
            .get(member)
            .filter(|m| !m.left)
            .ok_or_else(|| GroupError::UnknownMember(member.clone()))
    }

    fn in_currency(&self, amount: Money) -> Result<Money, GroupError> {
        if amount.currency() != self.config.currency() {
            return Err(GroupError::WrongCurrency {
                expected: self.config.currency().code().to_owned(),
                got: amount.currency().code().to_owned(),
            });
        }
        Ok(amount)
    }

    fn key(&self, parts: std::fmt::Arguments<'_>) -> String {
        format!("{}:{}", self.id, parts)
    }

    /// What the member's escrow holds (a credit balance, shown positive).
    fn escrow_held(&self, member: &MemberId) -> Money {
        self.state.balance(&self.books.escrow(member)).negated()
    }

    fn penalties_owed(&self, member: &MemberId) -> Money {
        self.state.balance(&self.books.receivable(member))
    }

    fn deposit_owed(&self, member: &MemberId, required: Money) -> Result<Money, GroupError> {
        let owed = required.checked_sub(self.escrow_held(member))?;
        Ok(if owed.is_positive() {
            owed
        } else {
            Money::zero(owed.currency())
        })
    }

    fn member_dues<'s>(
        &'s self,
        member: &'s MemberId,
    ) -> impl Iterator<Item = &'s crate::group::contribution::Due> + 's {
        let hands: Vec<HandId> = HandId::sequence()
            .zip(&self.state.hands)
            .filter(|(_, h)| &h.member == member)
            .map(|(hand, _)| hand)
            .collect();
        self.state
            .rounds
            .iter()
            .flat_map(move |r| hands.clone().into_iter().map(move |h| (r.number, h)))
            .filter_map(|key| self.state.dues.get(&key))
    }

    fn join(&self, member: &MemberId, hands: u32) -> Decision {
        self.require("join", &[GroupStatus::Forming])?;
        if self.state.members.contains_key(member) {
            return Err(GroupError::AlreadyMember(member.clone()));
        }
        // A member who left with their deposit given back does not join again: the
        // refund's reference and ledger key name the member in the group, once.
        if self.state.refunded.contains(member) {
            return Err(GroupError::RejoinAfterRefund(member.clone()));
        }
        if hands == 0 {
            return Err(GroupError::NoHands);
        }
        let max = self.config.max_hands();
        if self.state.hand_count().saturating_add(hands) > max {
            return Err(GroupError::GroupFull { max });
        }
        let deposit_required = self
            .config
            .deposit()
            .required(self.config.contribution(), hands)?;
        Ok(vec![GroupEvent::MemberJoined {
            member: member.clone(),
            hands,
            deposit_required,
        }])
    }

    fn leave(&self, member: &MemberId) -> Decision {
        self.require("leave", &[GroupStatus::Forming, GroupStatus::Active])?;
        self.member(member)?;
        if self.state.status == GroupStatus::Active {
            let unpaid_hand = self
                .state
                .hands
                .iter()
                .any(|h| &h.member == member && h.paid_in_round.is_none());
            if unpaid_hand {
                return Err(GroupError::NotYetPaidOut(member.clone()));
            }
            let dues = self
                .member_dues(member)
                .map(|d| d.outstanding())
                .collect::<Vec<_>>();
            let owed = Money::checked_sum(self.config.currency(), &dues)?
                .checked_add(self.penalties_owed(member))?;
            if owed.is_positive() {
                return Err(GroupError::MustSettleBeforeLeaving {
                    member: member.clone(),
                    owed,
                });
            }
        }
        let mut events = Vec::new();
        if let Some(refund) = self.refund_deposit(member)? {
            events.push(refund);
        }
        events.push(GroupEvent::MemberLeft {
            member: member.clone(),
        });
        Ok(events)
    }

    /// Returns the member's escrow, less unpaid penalties, to their wallet.
    fn refund_deposit(&self, member: &MemberId) -> Result<Option<GroupEvent>, GroupError> {
        let held = self.escrow_held(member);
        if !held.is_positive() {
            return Ok(None);
        }
        let penalties_settled = held.checked_min(self.penalties_owed(member))?;
        let refunded = held.checked_sub(penalties_settled)?;
        let mut draft = EntryDraft::new(
            self.key(format_args!("{member}:deposit-refund")),
            format!("deposit returned to {member}"),
        )
        .debit(self.books.escrow(member), held);
        if penalties_settled.is_positive() {
            draft = draft.credit(self.books.receivable(member), penalties_settled);
        }
        if refunded.is_positive() {
            draft = draft.credit(self.books.wallet(member), refunded);
        }
        Ok(Some(GroupEvent::DepositRefunded {
            member: member.clone(),
            penalties_settled,
            refunded,
            entry: draft.balance()?,
        }))
    }

    fn record_payment(&self, member: &MemberId, amount: Money, reference: &str) -> Decision {
        self.require(
            "record a payment",
            &[GroupStatus::Forming, GroupStatus::Active],
        )?;
        let amount = self.in_currency(amount)?;
        if !amount.is_positive() {
            return Err(GroupError::NonPositiveAmount);
        }
        if let Some((seen_member, seen_amount)) = self.state.payments.get(reference) {
            return if seen_member == member && *seen_amount == amount {
                Ok(Vec::new())
            } else {
                Err(GroupError::ReferenceReused {
                    reference: reference.to_owned(),
                })
            };
        }
        let standing = self.member(member)?;
        let mut dues: Vec<_> = self
            .member_dues(member)
            .filter(|d| !d.is_settled())
            .collect();
        dues.sort_by_key(|d| (d.round, d.hand));
        let owed = Owed {
            dues,
            penalties: self.penalties_owed(member),
            deposit: self.deposit_owed(member, standing.deposit_required)?,
        };
        let applied = apply_payment(amount, &owed, self.state.today(self.now))?;
        let mut to_pot = Money::zero(amount.currency());
        let mut draft = EntryDraft::new(
            self.key(format_args!("payment:{reference}")),
            format!("payment from {member}"),
        )
        .reference(reference)
        .debit(self.books.clearing(), amount);
        for application in &applied {
            match application {
                Application::Due { amount, .. } => to_pot = to_pot.checked_add(*amount)?,
                Application::Penalties { amount } => {
                    draft = draft.credit(self.books.receivable(member), *amount)
                }
                Application::Deposit { amount } => {
                    draft = draft.credit(self.books.escrow(member), *amount)
                }
                Application::Credit { amount } => {
                    draft = draft.credit(self.books.wallet(member), *amount)
                }
            }
        }
        if to_pot.is_positive() {
            draft = draft.credit(self.books.pot(), to_pot);
        }
        Ok(vec![GroupEvent::PaymentRecorded {
            member: member.clone(),
            reference: reference.to_owned(),
            amount,
            applied,
            entry: draft.balance()?,
        }])
    }

    fn start(&self) -> Decision {
        self.require("start", &[GroupStatus::Forming])?;
        let hands_total = self.state.hand_count();
        // The configured size is the minimum to start (never below two: a group of one
        // pays itself); `max_hands` is only the most it takes.
        let min = self.config.min_hands().max(2);
        if hands_total < min {
            return Err(GroupError::TooFewHands {
                hands: hands_total,
                min,
            });
        }
        let mut unpaid = Vec::new();
        for member in &self.state.join_order {
            let standing = self.member(member)?;
            if self
                .deposit_owed(member, standing.deposit_required)?
                .is_positive()
            {
                unpaid.push(member.clone());
            }
        }
        if !unpaid.is_empty() {
            return Err(GroupError::DepositsOutstanding(unpaid));
        }
        let mut hands = Vec::new();
        for member in &self.state.join_order {
            let count = self.member(member)?.hands;
            hands.extend(std::iter::repeat_n(
                member.clone(),
                usize::try_from(count).unwrap_or(0),
            ));
        }
        let ids: Vec<HandId> = HandId::sequence().take(hands.len()).collect();
        let order = match self.config.payout_order() {
            PayoutOrder::JoinOrder => ids,
            PayoutOrder::SeededLottery { seed } => lottery_order(ids, *seed),
            PayoutOrder::Fixed { members } => fixed_order(&hands, members)?,
            PayoutOrder::Bidding | PayoutOrder::OrganiserChoice => Vec::new(),
        };
        let due_dates = (0..hands_total)
            .map(|k| due_date(self.config.start_date(), self.config.frequency(), k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(vec![GroupEvent::Started {
            hands,
            order,
            due_dates,
        }])
    }
}
