use thiserror::Error;

use super::GroupStatus;
use crate::calendar::CalendarError;
use crate::group::rotation::RotationError;
use crate::ids::{HandId, IdError, MemberId};
use crate::ledger::LedgerError;
use crate::money::{Money, MoneyError};
use crate::penalty::PenaltyError;

/// Why a group command was refused. A refused command produces no event, so the group
/// is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GroupError {
    /// An id with characters or a length that is not allowed.
    #[error(transparent)]
    InvalidId(#[from] IdError),
    /// A setting of the group is out of range.
    #[error("invalid setting {field}: {reason}")]
    InvalidConfig {
        /// Which setting.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The command is not allowed while the group is in this state.
    #[error("cannot {action} while the group is {status}")]
    NotAllowed {
        /// What was asked.
        action: &'static str,
        /// The group's state.
        status: GroupStatus,
    },
    /// The group exists already.
    #[error("the group already exists")]
    AlreadyCreated,
    /// The member is in the group already.
    #[error("{0} is already a member")]
    AlreadyMember(MemberId),
    /// No such member.
    #[error("{0} is not a member")]
    UnknownMember(MemberId),
    /// The member left this group with their deposit given back, and cannot join it
    /// again (they may join another group).
    #[error("{0} left this group with their deposit refunded and cannot rejoin it")]
    RejoinAfterRefund(MemberId),
    /// No such hand.
    #[error("no hand {0}")]
    UnknownHand(HandId),
    /// No such round.
    #[error("no round {0}")]
    UnknownRound(u32),
    /// A member must hold at least one hand.
    #[error("a member needs at least one hand")]
    NoHands,
    /// Joining would take the group past its maximum number of hands.
    #[error("the group is full: {max} hands at most")]
    GroupFull {
        /// The maximum.
        max: u32,
    },
    /// A group starts only with its minimum number of hands
    /// ([`GroupConfig::min_hands`](super::GroupConfig::min_hands), two at least).
    #[error("the group needs {min} hands to start, it has {hands}")]
    TooFewHands {
        /// Hands now.
        hands: u32,
        /// The group's minimum.
        min: u32,
    },
    /// Members whose security deposit is not fully paid.
    #[error("security deposits outstanding for {0:?}")]
    DepositsOutstanding(Vec<MemberId>),
    /// The fixed payout order does not name every hand exactly once.
    #[error("the fixed payout order must name each member once per hand")]
    OrderMismatch,
    /// An amount is not in the group's currency.
    #[error("amount is in {got}, the group uses {expected}")]
    WrongCurrency {
        /// The group's currency code.
        expected: String,
        /// The amount's currency code.
        got: String,
    },
    /// Amounts must be above zero.
    #[error("amount must be above zero")]
    NonPositiveAmount,
    /// A payment reference seen before with another member or amount.
    #[error("payment reference {reference:?} was already used for another payment")]
    ReferenceReused {
        /// The reference.
        reference: String,
    },
    /// A member who has been paid must settle everything before leaving.
    #[error("{member} must settle {owed} before leaving")]
    MustSettleBeforeLeaving {
        /// The member.
        member: MemberId,
        /// What is still owed.
        owed: Money,
    },
    /// A member whose hands are not all paid out cannot leave an active group.
    #[error(
        "{0} cannot leave before all their hands are paid out; the organiser can cancel the group instead"
    )]
    NotYetPaidOut(MemberId),
    /// The round's due date has not come.
    #[error("round {round} is not due until {due_date}")]
    PayoutNotDue {
        /// The round.
        round: u32,
        /// Its due date.
        due_date: chrono::NaiveDate,
    },
    /// Only the current round can be paid out (rounds are paid in order).
    #[error("round {round} is not the current round ({current})")]
    NotCurrentRound {
        /// The round asked for.
        round: u32,
        /// The current round.
        current: u32,
    },
    /// The round's dues are not all in.
    #[error("round {round} is short by {shortfall}")]
    RoundNotFunded {
        /// The round.
        round: u32,
        /// What is missing.
        shortfall: Money,
    },
    /// The organiser has not chosen this round's recipient.
    #[error("round {0} has no recipient chosen yet")]
    RecipientNotChosen(u32),
    /// The hand was paid already in this cycle.
    #[error("hand {0} has already been paid this cycle")]
    HandAlreadyPaid(HandId),
    /// The member has no hand left to be paid.
    #[error("{0} has no unpaid hand")]
    NoUnpaidHand(MemberId),
    /// The command does not fit the group's payout-order method.
    #[error("the group's payout order does not use {0}")]
    WrongPayoutMethod(&'static str),
    /// A bid's discount is more than the payout.
    #[error("a discount of {discount} is more than the payout {payout}")]
    DiscountTooLarge {
        /// The discount bid.
        discount: Money,
        /// The payout it would come from.
        payout: Money,
    },
    /// Nothing is left to waive on the due.
    #[error("round {round} hand {hand} has nothing left to waive")]
    NothingToWaive {
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
    },
    /// A contribution was asked for on a due with nothing left to pay (paid in full or
    /// waived).
    #[error("round {round} hand {hand} owes nothing")]
    NothingOwed {
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
    },
    /// From the rotation rules.
    #[error(transparent)]
    Rotation(#[from] RotationError),
    /// From the penalty rules.
    #[error(transparent)]
    Penalty(#[from] PenaltyError),
    /// From the calendar.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// From the ledger (an entry that would not balance: a bug, reported rather than hidden).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// From amount arithmetic.
    #[error(transparent)]
    Money(#[from] MoneyError),
}
