//! Collection streams: money asked of a member through a gateway, one stream per
//! reference.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::group::{GroupId, HandId, MemberId};
use crate::ledger::BalancedEntry;
use crate::loan::{LoanId, Reamortize};
use crate::money::Money;

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
        /// What money beyond what is due does to the installments still to come, chosen
        /// when the repayment was asked for (defaulted for payments stored before).
        #[serde(default)]
        overpayment: Reamortize,
        /// Whether this is the early pay-off of the whole loan (for its quote).
        #[serde(default)]
        payoff: bool,
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
        /// The gateway the money came through (`None` on holds recorded before it was
        /// kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
    },
    /// The gateway says the payment failed.
    Failed,
    /// The gateway took the request and answered where the payer pays. Kept so that
    /// asking again for the same amount hands back the same checkout instead of sending
    /// the reference again (Paystack refuses a reference it has seen, and would answer
    /// with no checkout URL). A client secret (Stripe's) is never stored: only whether
    /// there was one, so the service asks the gateway for it again.
    CheckoutOpened {
        /// The hosted checkout page, if the provider gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkout_url: Option<String>,
        /// The provider's own id for the collection.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider_reference: Option<String>,
        /// Whether the provider answered with a client secret (which is not kept).
        #[serde(default)]
        client_secret: bool,
    },
    /// Nobody paid before the collection's expiry
    /// ([`ServiceConfig::collection_expiry`](crate::service::ServiceConfig)), and the
    /// gateway still had no payment for it: `tick` stops asking about it, and the next
    /// request for the money uses a fresh reference. Money that still arrives for it (a
    /// late payment reported by webhook) is booked as for an open collection: settled if
    /// it matches and the group or loan takes it, else held for review. Never lost.
    Expired {
        /// When `tick` closed it.
        at: DateTime<Utc>,
    },
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
        /// How `out_after` splits into refunds, disputes running and disputes lost
        /// (`None` on reports recorded before disputes were booked apart: all of theirs
        /// went to review).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parts_after: Option<OutParts>,
    },
    /// A person resolved money of this collection held for review
    /// ([`AjoService::resolve_held`](crate::service::AjoService::resolve_held)): who,
    /// how and why, with what it booked.
    Resolved {
        /// What was done with it.
        resolution: HeldResolution,
        /// The amount resolved (negative: money out of the gateway recovered or written
        /// off).
        amount: Money,
        /// Who resolved it (the host's operator id).
        by: String,
        /// Why, in the operator's words.
        reason: String,
        /// The entry that moved the money out of review, when the resolution booked one
        /// (a refund is booked only when the gateway confirms it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<BalancedEntry>,
        /// The gateway's id for a refund it took.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refund: Option<String>,
    },
    /// A refund asked of the gateway for money held for review failed: the money stays
    /// held, for another resolution.
    RefundRefused {
        /// The gateway's error, for the reviewer.
        error: String,
    },
}

/// What a person decided for money held for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "resolution", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HeldResolution {
    /// Credited to a member in a group, as their payment (dues first, then penalties,
    /// the deposit, and the rest to their wallet, as any payment).
    Credited {
        /// The group.
        group: GroupId,
        /// The member.
        member: MemberId,
    },
    /// Credited to a loan as a repayment (overdue installments first, as any
    /// repayment).
    CreditedToLoan {
        /// The loan.
        loan: LoanId,
    },
    /// Refunded to the payer through the gateway; booked when the gateway confirms.
    Refunded,
    /// Written off: kept (money nobody owns) or lost (money out that cannot be
    /// recovered), on the write-off account.
    WrittenOff,
    /// A refund asked of the gateway that a person found was never made (its answer was
    /// lost, and the gateway has no such refund): the money is held again, for another
    /// resolution. Books nothing.
    RefundNotMade,
    /// Charged to a member: what left the gateway is theirs to repay (a member's
    /// receivable).
    ChargedTo {
        /// The member.
        member: MemberId,
    },
}

/// Where the money of a collection out of the gateway's clearing account sits, by cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutParts {
    /// Refunded by the gateway without ajo asking, or at ajo's request: booked against
    /// review.
    pub refunds: Money,
    /// Disputed, the dispute not decided: on the disputed account.
    pub disputed: Money,
    /// Disputes lost: charged to the payer (a member's receivable), or to review when
    /// no member is known.
    pub lost: Money,
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
    /// Whether the event closes the collection to new asks: once settled, held for
    /// review, failed, expired or returned, a request for money under its reference is
    /// never made again (a fresh reference is used), and `tick` stops asking the gateway
    /// about it. The request and its checkout leave it open.
    pub fn closes(&self) -> bool {
        !matches!(
            self,
            PaymentEvent::Requested { .. } | PaymentEvent::CheckoutOpened { .. }
        )
    }

    /// The ledger entry the event posts, if any.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            PaymentEvent::Flagged { entry, .. } => Some(entry),
            PaymentEvent::Returned { entry, .. } | PaymentEvent::Resolved { entry, .. } => {
                entry.as_ref()
            }
            _ => None,
        }
    }
}
