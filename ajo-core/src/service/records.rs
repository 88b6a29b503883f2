//! The service's own streams: member profiles, collections and payouts through a gateway.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::group::{GroupId, HandId, MemberId};
use crate::ledger::BalancedEntry;
use crate::loan::LoanId;
use crate::money::Money;
use crate::ports::RecipientId;

/// How to reach a member and pay them. Held by the service, never in a group's events.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberProfile {
    /// The name used in messages.
    pub name: String,
    /// Email address for notices, if any.
    pub email: Option<String>,
    /// Phone number (E.164) for SMS, if any.
    pub phone: Option<String>,
    /// The gateway's payout recipient, once registered.
    pub payout_recipient: Option<RecipientId>,
    /// A one-way fingerprint of the payout account registered, to notice a change.
    pub payout_fingerprint: Option<String>,
}

impl std::fmt::Debug for MemberProfile {
    /// Contact details are personal data: only whether they are present is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberProfile")
            .field("name", &self.name)
            .field("email", &self.email.as_ref().map(|_| "<set>"))
            .field("phone", &self.phone.as_ref().map(|_| "<set>"))
            .field("payout_recipient", &self.payout_recipient.is_some())
            .finish()
    }
}

/// Events of a member profile stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MemberEvent {
    /// The profile was set or replaced.
    ProfileSet(MemberProfile),
}

/// What a collection is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentPurpose {
    /// A group's security deposit.
    Deposit {
        /// The group.
        group: GroupId,
    },
    /// One hand's contribution for one round.
    Contribution {
        /// The group.
        group: GroupId,
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
    },
    /// A loan repayment.
    LoanRepayment {
        /// The loan.
        loan: LoanId,
    },
}

impl PaymentPurpose {
    /// The group the money goes to, if it goes to a group.
    pub fn group(&self) -> Option<&GroupId> {
        match self {
            PaymentPurpose::Deposit { group } | PaymentPurpose::Contribution { group, .. } => {
                Some(group)
            }
            PaymentPurpose::LoanRepayment { .. } => None,
        }
    }
}

/// Events of a collection stream (one per reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentEvent {
    /// We asked the gateway to collect.
    Requested {
        /// Who pays.
        member: MemberId,
        /// What for.
        purpose: PaymentPurpose,
        /// How much we expect.
        amount: Money,
        /// When.
        at: DateTime<Utc>,
    },
    /// The gateway confirmed the money, matching what we expected; the group recorded it.
    Settled {
        /// How much.
        amount: Money,
        /// The provider's id for the charge, when the report named it: a later report of
        /// another charge on the same reference is told apart by it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transaction_id: Option<String>,
    },
    /// Money arrived that does not match what we expected (another amount, a group that
    /// can no longer take it, or a second charge on a reference already settled): held in
    /// suspense for a person to review, never credited to the member or the pot.
    Flagged {
        /// What we expected (zero for a second charge: nothing more was).
        expected: Money,
        /// What came.
        received: Money,
        /// Clearing → suspense.
        entry: BalancedEntry,
        /// The provider's id for the charge, when the report named it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transaction_id: Option<String>,
    },
    /// The gateway says the payment failed.
    Failed,
    /// The gateway sent money of this collection back, or took it for a chargeback, or
    /// gave it back, without ajo asking: recorded here, and what left the gateway's
    /// clearing account booked against review for a person to settle.
    Returned {
        /// What happened at the gateway.
        what: GatewayReturn,
        /// The provider's id for the refund or dispute, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
        /// The amount the report carries.
        reported: Money,
        /// Whether `reported` is the running total for the collection (Stripe's
        /// `amount_refunded`) rather than this refund's own amount.
        cumulative: bool,
        /// Everything of the collection out of clearing because of refunds and disputes
        /// after this report, in `reported`'s currency.
        out_after: Money,
        /// Clearing ↔ review for the change, if the report changed what is out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<BalancedEntry>,
    },
}

/// What a gateway did to a collection after the fact (see [`PaymentEvent::Returned`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GatewayReturn {
    /// A refund paid back to the payer.
    Refund,
    /// A refund that failed or was cancelled: what it took comes back.
    RefundFailed,
    /// A chargeback was opened (no money moves by itself).
    DisputeOpened,
    /// The gateway took the disputed amount while the dispute runs.
    DisputeFundsWithdrawn,
    /// The gateway gave the disputed amount back.
    DisputeFundsReinstated,
    /// The dispute closed in ajo's favour: nothing is out.
    DisputeWon,
    /// The dispute closed in the payer's favour: the amount is out.
    DisputeLost,
}

impl PaymentEvent {
    /// The ledger entry the event posts, if any.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            PaymentEvent::Flagged { entry, .. } => Some(entry),
            PaymentEvent::Returned { entry, .. } => entry.as_ref(),
            _ => None,
        }
    }
}

/// Events of a payout stream (one per payout reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayoutEvent {
    /// Money is owed to a member and will be sent: a round's payout, or a refund.
    Requested {
        /// The group.
        group: GroupId,
        /// The round, for a round's payout; `None` for a refund.
        round: Option<u32>,
        /// Who is paid.
        member: MemberId,
        /// How much.
        amount: Money,
    },
    /// The gateway accepted it.
    Sent {
        /// The gateway's id.
        provider_reference: Option<String>,
    },
    /// The gateway delivered it: the member's wallet is paid out of clearing.
    Succeeded {
        /// Wallet → clearing.
        entry: BalancedEntry,
    },
    /// The gateway could not deliver it (nothing had been posted); it will be retried.
    Failed,
    /// It was delivered, then returned: the success is reversed and the money is owed
    /// to the member again.
    Reversed {
        /// Clearing → wallet.
        entry: BalancedEntry,
    },
}

impl PayoutEvent {
    /// The ledger entry the event posts, if any.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            PayoutEvent::Succeeded { entry } | PayoutEvent::Reversed { entry } => Some(entry),
            _ => None,
        }
    }
}
