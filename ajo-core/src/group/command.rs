use serde::{Deserialize, Serialize};

use super::GroupConfig;
use crate::ids::{GroupId, HandId, MemberId};
use crate::money::Money;

/// What a caller asks of a group. [`decide`](super::decide) turns it into events or
/// refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
// Commands are built once and consumed at once; boxing the config would only burden callers.
#[allow(clippy::large_enum_variant)]
pub enum GroupCommand {
    /// Create the group (only on an empty state).
    Create {
        /// Its id.
        id: GroupId,
        /// Its rules.
        config: GroupConfig,
    },
    /// A member joins a forming group with one or more hands.
    Join {
        /// The member.
        member: MemberId,
        /// How many hands.
        hands: u32,
    },
    /// A member leaves: in a forming group at any time (the deposit is refunded); in an
    /// active one only once all their hands are paid out and everything is settled.
    Leave {
        /// The member.
        member: MemberId,
    },
    /// Money received from a member (a verified gateway payment): applied to dues,
    /// penalties, the deposit and credit in that order. Idempotent by `reference`.
    RecordPayment {
        /// The payer.
        member: MemberId,
        /// How much.
        amount: Money,
        /// The gateway reference; the same reference again is a no-op.
        reference: String,
    },
    /// Start the cycle: fixes due dates and, for fixed and lottery orders, the order.
    Start,
    /// Bid a discount for the current round (bidding groups).
    PlaceBid {
        /// The bidder.
        member: MemberId,
        /// What they give up from the payout.
        discount: Money,
    },
    /// Name the current round's recipient (organiser's-choice groups).
    ChooseRecipient {
        /// A hand not yet paid.
        hand: HandId,
    },
    /// Forgive what is left of a due.
    WaiveDue {
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
    },
    /// Charge penalties on late dues as of today; running it again the same day changes
    /// nothing.
    ApplyPenalties,
    /// Cover late dues from the members' security deposits.
    CoverArrears,
    /// Pay out a round; a round already paid is a no-op.
    MakePayout {
        /// The round.
        round: u32,
    },
    /// Cancel the group and return what is held.
    Cancel,
}
