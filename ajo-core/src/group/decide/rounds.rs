//! The commands of a running cycle: bids and chosen recipients, waivers, penalties,
//! deposit cover, payouts and cancellation.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Ctx, Decision};
use crate::group::rotation::{PayoutOrder, fee_and_payout};
use crate::group::{GroupError, GroupEvent, GroupStatus, HandId, MemberId};
use crate::ledger::EntryDraft;
use crate::money::Money;

impl Ctx<'_> {
    pub(super) fn current_round(
        &self,
        action: &'static str,
    ) -> Result<&crate::group::RoundState, GroupError> {
        self.require(action, &[GroupStatus::Active])?;
        self.state
            .current_round()
            .and_then(|r| self.state.round(r))
            .ok_or(GroupError::NotAllowed {
                action,
                status: self.state.status,
            })
    }

    pub(super) fn place_bid(&self, member: &MemberId, discount: Money) -> Decision {
        let round = self.current_round("place a bid")?;
        if self.config.payout_order() != &PayoutOrder::Bidding {
            return Err(GroupError::WrongPayoutMethod("bidding"));
        }
        let discount = self.in_currency(discount)?;
        if discount.is_negative() {
            return Err(GroupError::NonPositiveAmount);
        }
        self.member(member)?;
        let hand = self
            .first_unpaid_hand(member)
            .ok_or_else(|| GroupError::NoUnpaidHand(member.clone()))?;
        let pot = self
            .config
            .contribution()
            .checked_mul_int(i64::try_from(self.state.hands.len()).unwrap_or(i64::MAX))?;
        let (_, payout) = fee_and_payout(pot, self.config.fee_rate())?;
        if discount > payout {
            return Err(GroupError::DiscountTooLarge { discount, payout });
        }
        Ok(vec![GroupEvent::BidPlaced {
            round: round.number,
            member: member.clone(),
            hand,
            discount,
        }])
    }

    pub(super) fn first_unpaid_hand(&self, member: &MemberId) -> Option<HandId> {
        HandId::sequence()
            .zip(&self.state.hands)
            .find(|(_, h)| &h.member == member && h.paid_in_round.is_none())
            .map(|(hand, _)| hand)
    }

    pub(super) fn choose_recipient(&self, hand: HandId) -> Decision {
        let round = self.current_round("choose a recipient")?;
        if self.config.payout_order() != &PayoutOrder::OrganiserChoice {
            return Err(GroupError::WrongPayoutMethod("the organiser's choice"));
        }
        let chosen = self.state.hand(hand).ok_or(GroupError::UnknownHand(hand))?;
        if chosen.paid_in_round.is_some() {
            return Err(GroupError::HandAlreadyPaid(hand));
        }
        Ok(vec![GroupEvent::RecipientChosen {
            round: round.number,
            hand,
        }])
    }

    pub(super) fn waive(&self, round: u32, hand: HandId) -> Decision {
        self.require("waive a due", &[GroupStatus::Active])?;
        self.state
            .round(round)
            .ok_or(GroupError::UnknownRound(round))?;
        let due = self
            .state
            .due(round, hand)
            .ok_or(GroupError::UnknownHand(hand))?;
        if due.is_settled() {
            return Err(GroupError::NothingToWaive { round, hand });
        }
        Ok(vec![GroupEvent::DueWaived { round, hand }])
    }

    pub(super) fn apply_penalties(&self) -> Decision {
        self.require("apply penalties", &[GroupStatus::Active])?;
        let today = self.state.today(self.now);
        let mut events = Vec::new();
        for due in self.state.open_dues().filter(|d| d.due_date < today) {
            let outstanding = due.outstanding();
            if outstanding.is_zero() {
                continue;
            }
            let assessed = self
                .config
                .penalty()
                .assess(outstanding, due.due_date, today)?;
            let increase = assessed.penalty.checked_sub(due.penalty_charged)?;
            if !increase.is_positive() {
                continue;
            }
            let Some(member) = self.state.hand(due.hand).map(|h| &h.member) else {
                continue;
            };
            let entry = EntryDraft::new(
                self.key(format_args!(
                    "r{}:{}:{member}:penalty:{today}",
                    due.round, due.hand
                )),
                format!("late penalty, round {} {}", due.round, due.hand),
            )
            .debit(self.books.receivable(member), increase)
            .credit(self.books.penalty_income(), increase)
            .balance()?;
            events.push(GroupEvent::PenaltyCharged {
                member: member.clone(),
                round: due.round,
                hand: due.hand,
                as_of: today,
                amount: increase,
                entry,
            });
        }
        Ok(events)
    }

    pub(super) fn cover_arrears(&self) -> Decision {
        self.require("cover arrears", &[GroupStatus::Active])?;
        let today = self.state.today(self.now);
        let mut left: BTreeMap<&MemberId, Money> = BTreeMap::new();
        let mut events = Vec::new();
        for due in self
            .state
            .open_dues()
            .filter(|d| d.is_late(today, self.config.grace_days()))
        {
            let Some(member) = self.state.hand(due.hand).map(|h| &h.member) else {
                continue;
            };
            let escrow = left
                .entry(member)
                .or_insert_with(|| self.escrow_held(member));
            let cover = escrow.checked_min(due.outstanding())?;
            if !cover.is_positive() {
                continue;
            }
            *escrow = escrow.checked_sub(cover)?;
            let entry = EntryDraft::new(
                // A due can be covered in steps (a deposit topped up between two late
                // sweeps), so the key names how much was covered before this step.
                self.key(format_args!(
                    "r{}:{}:{member}:deposit-cover:{}",
                    due.round,
                    due.hand,
                    due.covered.minor()
                )),
                format!("deposit covers round {} {}", due.round, due.hand),
            )
            .debit(self.books.escrow(member), cover)
            .credit(self.books.pot(), cover)
            .balance()?;
            events.push(GroupEvent::DepositApplied {
                member: member.clone(),
                round: due.round,
                hand: due.hand,
                amount: cover,
                entry,
            });
        }
        Ok(events)
    }

    pub(super) fn make_payout(&self, round: u32) -> Decision {
        if self.state.round(round).is_some_and(|r| r.paid_out) {
            return Ok(Vec::new());
        }
        let current = self.current_round("make a payout")?;
        if current.number != round {
            return Err(GroupError::NotCurrentRound {
                round,
                current: current.number,
            });
        }
        let payout_date = self.state.payout_date(round).unwrap_or(current.due_date);
        if self.state.today(self.now) < payout_date {
            return Err(GroupError::PayoutNotDue {
                round,
                due_date: payout_date,
            });
        }
        let round_dues: Vec<_> = self
            .state
            .dues
            .range((round, HandId::MIN)..(round + 1, HandId::MIN))
            .map(|(_, d)| d)
            .collect();
        let shortfall = Money::checked_sum(
            self.config.currency(),
            &round_dues
                .iter()
                .map(|d| d.outstanding())
                .collect::<Vec<_>>(),
        )?;
        if shortfall.is_positive() {
            return Err(GroupError::RoundNotFunded { round, shortfall });
        }
        let (hand, discount) = self.recipient(current)?;
        let member = self
            .state
            .hand(hand)
            .map(|h| h.member.clone())
            .ok_or(GroupError::UnknownHand(hand))?;
        let pot = Money::checked_sum(
            self.config.currency(),
            &round_dues.iter().map(|d| d.collected()).collect::<Vec<_>>(),
        )?;
        let (fee, after_fee) = fee_and_payout(pot, self.config.fee_rate())?;
        let discount = discount.checked_min(after_fee)?;
        let shares = self.share_discount(&member, discount)?;
        let discount = Money::checked_sum(
            self.config.currency(),
            &shares.iter().map(|(_, m)| *m).collect::<Vec<_>>(),
        )?;
        let payout = after_fee.checked_sub(discount)?;
        let entry = if pot.is_positive() {
            let mut draft = EntryDraft::new(
                self.key(format_args!("r{round}:{hand}:{member}:payout")),
                format!("round {round} payout to {member}"),
            )
            .debit(self.books.pot(), pot);
            for (account, amount) in [
                (self.books.fees(), fee),
                (self.books.wallet(&member), payout),
            ] {
                if amount.is_positive() {
                    draft = draft.credit(account, amount);
                }
            }
            for (other, share) in shares.iter().filter(|(_, s)| s.is_positive()) {
                draft = draft.credit(self.books.wallet(other), *share);
            }
            Some(draft.balance()?)
        } else {
            None
        };
        let mut events = vec![GroupEvent::PayoutMade {
            round,
            hand,
            member,
            pot,
            fee,
            discount,
            payout,
            shares,
            entry,
        }];
        if usize::try_from(round).ok() == Some(self.state.rounds.len()) {
            for member in &self.state.join_order {
                if let Some(refund) = self.refund_deposit(member)? {
                    events.push(refund);
                }
            }
            events.push(GroupEvent::Completed);
        }
        Ok(events)
    }

    /// The round's recipient and the discount they give up.
    pub(super) fn recipient(
        &self,
        round: &crate::group::RoundState,
    ) -> Result<(HandId, Money), GroupError> {
        let zero = Money::zero(self.config.currency());
        match self.config.payout_order() {
            PayoutOrder::Bidding => {
                // Highest discount wins; `max_by` keeps the last of equals, so scan in
                // reverse to let the earliest bid win a tie.
                let best = round
                    .bids
                    .iter()
                    .rev()
                    .filter(|b| {
                        self.state
                            .hand(b.hand)
                            .is_some_and(|h| h.paid_in_round.is_none())
                    })
                    .max_by(|a, b| a.discount.minor().cmp(&b.discount.minor()));
                match best {
                    Some(bid) => Ok((bid.hand, bid.discount)),
                    None => {
                        let hand = HandId::sequence()
                            .zip(&self.state.hands)
                            .find(|(_, h)| h.paid_in_round.is_none())
                            .map(|(hand, _)| hand)
                            .ok_or(GroupError::UnknownRound(round.number))?;
                        Ok((hand, zero))
                    }
                }
            }
            PayoutOrder::OrganiserChoice => match round.recipient {
                Some(hand) => Ok((hand, zero)),
                // Past the choice deadline the round is not held hostage to a choice
                // never made: the first hand not yet paid, as in join order.
                None if self
                    .state
                    .choice_deadline(round.number)
                    .is_some_and(|d| self.state.today(self.now) >= d) =>
                {
                    HandId::sequence()
                        .zip(&self.state.hands)
                        .find(|(_, h)| h.paid_in_round.is_none())
                        .map(|(hand, _)| (hand, zero))
                        .ok_or(GroupError::RecipientNotChosen(round.number))
                }
                None => Err(GroupError::RecipientNotChosen(round.number)),
            },
            _ => round
                .recipient
                .map(|h| (h, zero))
                .ok_or(GroupError::UnknownRound(round.number)),
        }
    }

    /// A bidding discount shared among the other members by their hands.
    pub(super) fn share_discount(
        &self,
        winner: &MemberId,
        discount: Money,
    ) -> Result<Vec<(MemberId, Money)>, GroupError> {
        let others: Vec<(&MemberId, u32)> = self
            .state
            .join_order
            .iter()
            .filter(|m| *m != winner)
            .filter_map(|m| self.state.members.get(m).map(|s| (m, s.hands)))
            .collect();
        if discount.is_zero() || others.is_empty() {
            return Ok(Vec::new());
        }
        let weights: Vec<Decimal> = others.iter().map(|(_, h)| Decimal::from(*h)).collect();
        let parts = discount.allocate(&weights)?;
        Ok(others
            .into_iter()
            .map(|(m, _)| m.clone())
            .zip(parts)
            .collect())
    }

    pub(super) fn cancel(&self) -> Decision {
        self.require("cancel", &[GroupStatus::Forming, GroupStatus::Active])?;
        let currency = self.config.currency();
        let zero = Money::zero(currency);
        // What the group holds in cash: the pot, every escrow and the penalties actually
        // paid (penalty income less what members still owe, which is written off).
        let pot = self.state.balance(&self.books.pot()).negated();
        let penalty_income = self.state.balance(&self.books.penalty_income()).negated();
        let mut held = pot.checked_add(penalty_income)?;
        let mut entitlements = Vec::new();
        let mut draft =
            EntryDraft::new(self.key(format_args!("cancel")), "group cancelled: refunds");
        if pot.is_positive() {
            draft = draft.debit(self.books.pot(), pot);
        }
        if penalty_income.is_positive() {
            draft = draft.debit(self.books.penalty_income(), penalty_income);
        }
        for member in &self.state.join_order {
            let escrow = self.escrow_held(member);
            if escrow.is_positive() {
                draft = draft.debit(self.books.escrow(member), escrow);
                held = held.checked_add(escrow)?;
            }
            let unpaid_penalties = self.penalties_owed(member);
            if unpaid_penalties.is_positive() {
                draft = draft.credit(self.books.receivable(member), unpaid_penalties);
                held = held.checked_sub(unpaid_penalties)?;
            }
            // Put in through the gateway, less everything already credited back.
            let paid_in = self.paid_in(member)?;
            let credited = self.state.balance(&self.books.wallet(member)).negated();
            let net = paid_in.checked_sub(credited)?;
            entitlements.push((member.clone(), if net.is_positive() { net } else { zero }));
        }
        let owed = Money::checked_sum(
            currency,
            &entitlements.iter().map(|(_, m)| *m).collect::<Vec<_>>(),
        )?;
        // Everyone gets exactly their net when the group holds it all; when fees were
        // taken or a paid member owes, what is held is shared in proportion.
        let refunds: Vec<(MemberId, Money)> =
            if held >= owed || owed.is_zero() || !held.is_positive() {
                let mut exact = entitlements.clone();
                if held < owed {
                    exact.iter_mut().for_each(|(_, m)| *m = zero);
                }
                exact
            } else {
                let weights: Vec<Decimal> = entitlements.iter().map(|(_, m)| m.amount()).collect();
                let parts = held.allocate(&weights)?;
                entitlements
                    .iter()
                    .map(|(m, _)| m.clone())
                    .zip(parts)
                    .collect()
            };
        for (member, refund) in refunds.iter().filter(|(_, r)| r.is_positive()) {
            draft = draft.credit(self.books.wallet(member), *refund);
        }
        let entry = match draft.balance() {
            Ok(entry) => Some(entry),
            Err(crate::ledger::LedgerError::TooFewPostings { count: 0 }) => None,
            Err(other) => return Err(other.into()),
        };
        Ok(vec![GroupEvent::Cancelled { refunds, entry }])
    }

    /// Everything `member` paid through the gateway.
    pub(super) fn paid_in(&self, member: &MemberId) -> Result<Money, GroupError> {
        let amounts: Vec<Money> = self
            .state
            .payments
            .values()
            .filter(|(m, _)| m == member)
            .map(|(_, a)| *a)
            .collect();
        Ok(Money::checked_sum(self.config.currency(), &amounts)?)
    }
}

/// Maps a fixed order of member ids onto hands: each member's hands in join order.
pub(super) fn fixed_order(hands: &[MemberId], order: &[String]) -> Result<Vec<HandId>, GroupError> {
    if order.len() != hands.len() {
        return Err(GroupError::OrderMismatch);
    }
    let mut taken = vec![false; hands.len()];
    order
        .iter()
        .map(|name| {
            let index = hands
                .iter()
                .zip(taken.iter())
                .position(|(m, used)| !used && m.as_str() == name)
                .ok_or(GroupError::OrderMismatch)?;
            if let Some(slot) = taken.get_mut(index) {
                *slot = true;
            }
            u32::try_from(index + 1)
                .ok()
                .and_then(|number| HandId::new(number).ok())
                .ok_or(GroupError::OrderMismatch)
        })
        .collect()
}
