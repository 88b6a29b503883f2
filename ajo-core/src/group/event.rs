use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::GroupConfig;
use crate::group::contribution::Application;
use crate::ids::{GroupId, HandId, MemberId};
use crate::ledger::BalancedEntry;
use crate::money::Money;

/// Something that happened to a group. State is a fold of these
/// ([`GroupState::replay`](super::GroupState::replay)); each one that moves money carries
/// the balanced ledger entry it posts, whose key is derived from the group, round,
/// member and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum GroupEvent {
    /// The group was created.
    Created {
        /// Its id.
        id: GroupId,
        /// Its rules.
        config: GroupConfig,
        /// When.
        at: DateTime<Utc>,
    },
    /// A member joined.
    MemberJoined {
        /// The member.
        member: MemberId,
        /// Hands held.
        hands: u32,
        /// The security deposit they owe.
        deposit_required: Money,
    },
    /// A member left.
    MemberLeft {
        /// The member.
        member: MemberId,
    },
    /// A payment was applied.
    PaymentRecorded {
        /// The payer.
        member: MemberId,
        /// The gateway reference.
        reference: String,
        /// How much.
        amount: Money,
        /// Where it went.
        applied: Vec<Application>,
        /// The ledger entry.
        entry: BalancedEntry,
    },
    /// The cycle started.
    Started {
        /// Hands in join order: `hands[i]` belongs to this member.
        hands: Vec<MemberId>,
        /// The payout order, for fixed and lottery methods (empty otherwise).
        order: Vec<HandId>,
        /// Each round's due date.
        due_dates: Vec<NaiveDate>,
    },
    /// A penalty was charged (the increase over what was charged before).
    PenaltyCharged {
        /// The member.
        member: MemberId,
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
        /// The day assessed.
        as_of: NaiveDate,
        /// The increase.
        amount: Money,
        /// The ledger entry.
        entry: BalancedEntry,
    },
    /// A late due was covered from the member's deposit.
    DepositApplied {
        /// The member.
        member: MemberId,
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
        /// How much.
        amount: Money,
        /// The ledger entry.
        entry: BalancedEntry,
    },
    /// A deposit was returned (after unpaid penalties were settled from it).
    DepositRefunded {
        /// The member.
        member: MemberId,
        /// Unpaid penalties settled from the deposit.
        penalties_settled: Money,
        /// What went back to the member.
        refunded: Money,
        /// The ledger entry.
        entry: BalancedEntry,
    },
    /// What was left of a due was forgiven.
    DueWaived {
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
    },
    /// A bid was placed.
    BidPlaced {
        /// The round.
        round: u32,
        /// The bidder.
        member: MemberId,
        /// The hand it is for.
        hand: HandId,
        /// The discount.
        discount: Money,
    },
    /// The organiser chose a round's recipient.
    RecipientChosen {
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
    },
    /// A round was paid out.
    PayoutMade {
        /// The round.
        round: u32,
        /// The hand paid.
        hand: HandId,
        /// Its member.
        member: MemberId,
        /// What was collected.
        pot: Money,
        /// The fee.
        fee: Money,
        /// The winning bid's discount (zero outside bidding).
        discount: Money,
        /// What the recipient receives: `pot - fee - discount`.
        payout: Money,
        /// The discount's shares, by member.
        shares: Vec<(MemberId, Money)>,
        /// The ledger entry (none when nothing was collected: every due waived).
        entry: Option<BalancedEntry>,
    },
    /// Every hand has been paid: the cycle is over.
    Completed,
    /// The group was cancelled and what was held returned.
    Cancelled {
        /// What each member gets back.
        refunds: Vec<(MemberId, Money)>,
        /// The ledger entry (none when nothing was held).
        entry: Option<BalancedEntry>,
    },
    /// A loan was paid out of the pot's idle money. Its ledger entry is the loan's own
    /// (the loan's stream posts it); this event is written in the same append so pot
    /// loans are serialised with everything else that moves the pot (payouts, other pot
    /// loans): a second pot loan decided on a stale pot conflicts and is decided again.
    LentFromPot {
        /// The loan.
        loan: crate::ids::LoanId,
        /// The principal lent.
        principal: Money,
    },
}

impl GroupEvent {
    /// The ledger entry this event posts, if it moves money.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            GroupEvent::PaymentRecorded { entry, .. }
            | GroupEvent::PenaltyCharged { entry, .. }
            | GroupEvent::DepositApplied { entry, .. }
            | GroupEvent::DepositRefunded { entry, .. } => Some(entry),
            GroupEvent::PayoutMade { entry, .. } | GroupEvent::Cancelled { entry, .. } => {
                entry.as_ref()
            }
            _ => None,
        }
    }
}
