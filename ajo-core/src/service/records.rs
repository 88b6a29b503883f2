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
    pub email: Option<crate::ids::EmailAddress>,
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

/// Events of a payout stream: one stream per payout, keyed by the payout's first
/// reference ([`PaymentReference`](crate::reference::PaymentReference) attempt 1).
///
/// A payout is sent in one or more *attempts*, each under its own reference: the first
/// under the payout's reference, each later one under `…=a<n>`
/// ([`PaymentReference::attempt`](crate::reference::PaymentReference::attempt)). A new
/// attempt is made only when the last one can deliver nothing more (it was delivered and
/// then reversed, in whole or in part, or a person found it was never delivered), for what
/// is still owed; a provider answers a reference it has seen with the transfer it made
/// under it, so re-sending a reversed transfer's reference would never pay again. Events
/// written before attempts existed read as attempt 1.
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
    /// A new attempt is about to be sent, recorded before the gateway is asked so that a
    /// crash after the gateway took it sends the same attempt (the same reference) again,
    /// never a third one.
    AttemptStarted {
        /// Which attempt, from 2.
        attempt: u32,
        /// Its reference (`…=a<attempt>`), which the gateway echoes back.
        reference: String,
        /// What it sends: what is still owed when it starts.
        amount: Money,
    },
    /// The gateway accepted it.
    Sent {
        /// The gateway's id.
        provider_reference: Option<String>,
        /// Which attempt.
        #[serde(default = "first_attempt")]
        attempt: u32,
    },
    /// The gateway delivered an attempt: the member's wallet is paid out of clearing.
    Succeeded {
        /// Wallet → clearing, for the attempt's amount.
        entry: BalancedEntry,
        /// Which attempt.
        #[serde(default = "first_attempt")]
        attempt: u32,
    },
    /// The gateway could not deliver an attempt (nothing had been posted); it is sent
    /// again under the same reference.
    Failed {
        /// Which attempt.
        #[serde(default = "first_attempt")]
        attempt: u32,
    },
    /// A delivered attempt came back, in whole or in part: what came back is owed to the
    /// member again, and is sent in a new attempt.
    Reversed {
        /// Clearing → wallet, for what came back.
        entry: BalancedEntry,
        /// Which attempt.
        #[serde(default = "first_attempt")]
        attempt: u32,
    },
    /// The gateway reported something that does not match the attempt (another currency,
    /// another amount for a success, more than was sent for a failure or reversal):
    /// nothing is booked, and the payout is not sent again until a person resolves it
    /// ([`AjoService::resolve_payout_review`](super::AjoService::resolve_payout_review)),
    /// since the money may or may not have left.
    HeldForReview {
        /// Which attempt the report was about.
        attempt: u32,
        /// What the gateway said happened.
        outcome: PayoutOutcome,
        /// The attempt's amount.
        expected: Money,
        /// What the gateway reported (for a running total, the total).
        reported: Money,
    },
    /// A person resolved the reports held for review.
    ReviewResolved {
        /// Which attempt the resolution is about (the last one held).
        attempt: u32,
        /// What they found.
        review: PayoutReview,
        /// What it booked, if anything: the attempt delivered (wallet → clearing), or
        /// what was still booked as delivered taken back (clearing → wallet).
        entry: Option<BalancedEntry>,
    },
}

fn first_attempt() -> u32 {
    1
}

/// What a gateway reported about a payout attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayoutOutcome {
    /// Delivered.
    Succeeded,
    /// Not delivered (or, after a success, returned).
    Failed,
    /// Delivered, then returned in whole or in part.
    Reversed,
}

/// What a person found when reviewing a payout held for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayoutReview {
    /// The held attempt delivered its amount to the member (the gateway's dashboard shows
    /// it paid): it is booked delivered if it was not already, and nothing is sent again
    /// for it.
    Delivered,
    /// None of the held attempt's money is with the member (it never left, or all of it
    /// came back): whatever is booked as delivered for it is taken back, and `tick` sends
    /// what is owed in a new attempt under a fresh reference.
    NotDelivered,
}

impl PayoutEvent {
    /// The ledger entry the event posts, if any.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            PayoutEvent::Succeeded { entry, .. } | PayoutEvent::Reversed { entry, .. } => {
                Some(entry)
            }
            PayoutEvent::ReviewResolved { entry, .. } => entry.as_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Account, AccountKind, EntryDraft};
    use crate::money::Currency;

    #[test]
    fn payout_events_stored_before_attempts_read_as_the_first_attempt() {
        let amount = Money::parse("50000", Currency::NGN).unwrap();
        let entry = EntryDraft::new("ajo=out=g=r1:paid:0", "payout delivered")
            .debit(
                Account::new("g", AccountKind::MemberWallet, Currency::NGN),
                amount,
            )
            .credit(
                Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN),
                amount,
            )
            .balance()
            .unwrap();
        let entry_json = serde_json::to_value(&entry).unwrap();
        let old = [
            (
                serde_json::json!({"event": "failed"}),
                PayoutEvent::Failed { attempt: 1 },
            ),
            (
                serde_json::json!({"event": "sent", "provider_reference": "TRF_1"}),
                PayoutEvent::Sent {
                    provider_reference: Some("TRF_1".into()),
                    attempt: 1,
                },
            ),
            (
                serde_json::json!({"event": "succeeded", "entry": entry_json.clone()}),
                PayoutEvent::Succeeded {
                    entry: entry.clone(),
                    attempt: 1,
                },
            ),
            (
                serde_json::json!({"event": "reversed", "entry": entry_json}),
                PayoutEvent::Reversed { entry, attempt: 1 },
            ),
        ];
        for (json, event) in old {
            assert_eq!(
                serde_json::from_value::<PayoutEvent>(json.clone()).unwrap(),
                event,
                "{json}"
            );
        }
    }
}
