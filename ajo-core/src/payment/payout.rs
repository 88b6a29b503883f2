//! Payout streams: money sent to a member through a gateway, one stream per payout.

use serde::{Deserialize, Serialize};

use crate::group::{GroupId, MemberId};
use crate::ledger::BalancedEntry;
use crate::money::Money;

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
    /// again under the same reference, or, when the gateway refuses a reference it has
    /// seen, in a new attempt.
    Failed {
        /// Which attempt.
        #[serde(default = "first_attempt")]
        attempt: u32,
        /// The gateway will not take the attempt's reference again
        /// ([`PaymentGateway::resends_failed_payouts`](crate::ports::PaymentGateway::resends_failed_payouts)
        /// is `false`): what is owed goes in a new attempt under a fresh reference.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        closed: bool,
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
    /// ([`AjoService::resolve_payout_review`](crate::service::AjoService::resolve_payout_review)),
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
                PayoutEvent::Failed {
                    attempt: 1,
                    closed: false,
                },
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
