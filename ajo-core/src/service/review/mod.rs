//! The review queue: money the service could not book to anyone, held on the review
//! (suspense) account until a person decides.
//!
//! Money lands here when a payment does not match what was asked (another amount, a
//! reference ajo never issued, a second charge, a group that can no longer take it), or
//! when a gateway refunds a collection without ajo asking. [`AjoService::held`] lists
//! what is held, by collection; [`AjoService::resolve_held`] settles one item by
//! crediting it to a member's dues, refunding it through the gateway (booked when the
//! gateway confirms), charging it to a member, or writing it off with a reason. Each
//! resolution is recorded on the collection's stream with who decided and why, with its
//! balanced entry, once.
//!
//! The queue is what the collection streams say is on the review account, so the
//! queue's total is always the review account's balance: every entry that touches the
//! account is written with an event on the collection's stream, at the version read.

mod resolve;

pub use resolve::Resolved;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tracing::instrument;

use super::{AjoService, REVIEW_OWNER, ServiceError};
use crate::ids::MemberId;
use crate::ledger::{AccountKind, Side};
use crate::money::{Money, MoneyError};
use crate::payment::{GatewayReturn, HeldResolution, PaymentEvent, PaymentPurpose};
use crate::ports::{RecordedEvent, StreamKind};

/// One item of the review queue: what one collection has on the review account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeldItem {
    /// The collection's reference (the gateway's reference for the money).
    pub reference: String,
    /// What is held: positive for money that arrived and was credited to no one,
    /// negative for money that left the gateway (a refund it made) and was charged to no
    /// one.
    pub amount: Money,
    /// Why it is held, as first recorded.
    pub why: HeldReason,
    /// When it was first held.
    pub held_at: DateTime<Utc>,
    /// The gateway the money moved through (as recorded when it was held).
    pub provider: String,
    /// Who was asked to pay under the reference, when ajo asked anyone.
    pub member: Option<MemberId>,
    /// What the collection was for, when ajo asked for it.
    pub purpose: Option<PaymentPurpose>,
    /// Whether a refund of it was asked of the gateway and not yet confirmed.
    pub refund_pending: bool,
}

/// Why money was held for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
#[non_exhaustive]
pub enum HeldReason {
    /// Another amount than was asked.
    AmountMismatch {
        /// What was asked.
        expected: Money,
        /// What came.
        received: Money,
    },
    /// Money under a reference ajo never asked for, or a second charge on one already
    /// paid.
    NothingExpected {
        /// What came.
        received: Money,
    },
    /// The right amount, for a group or loan that would no longer take it (cancelled,
    /// completed, closed).
    NotTaken {
        /// What came.
        received: Money,
    },
    /// The gateway refunded the collection (or lost a dispute with no payer known)
    /// without ajo asking.
    ReturnedByGateway {
        /// What the gateway reported.
        what: GatewayReturn,
    },
}

impl HeldReason {
    /// A sentence for an operator's screen.
    pub fn describe(&self) -> String {
        match self {
            HeldReason::AmountMismatch { expected, received } => {
                format!("{received} paid, {expected} asked")
            }
            HeldReason::NothingExpected { received } => {
                format!("{received} paid where nothing was asked")
            }
            HeldReason::NotTaken { received } => {
                format!("{received} paid to a group or loan that no longer takes it")
            }
            HeldReason::ReturnedByGateway { what } => {
                format!("{what:?} at the gateway, not asked by ajo")
            }
        }
    }
}

/// Why a resolution of held money was refused. Nothing was written or asked of the
/// gateway.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// Nothing is held under the reference (never, or resolved already).
    #[error("nothing is held for review under {reference}")]
    NothingHeld {
        /// The reference.
        reference: String,
    },
    /// A refund of it was asked of the gateway and is not confirmed yet: the gateway's
    /// report settles it.
    #[error("a refund of {reference} is waiting for the gateway")]
    RefundPending {
        /// The reference.
        reference: String,
    },
    /// The resolution does not fit the direction of the money: crediting or refunding
    /// takes money that arrived; charging a member takes money that left.
    #[error("{held} is held under {reference}: it cannot be {resolution}")]
    WrongDirection {
        /// The reference.
        reference: String,
        /// What is held.
        held: Money,
        /// The resolution asked for.
        resolution: &'static str,
    },
    /// [`HeldResolution::RefundNotMade`] for a collection with no refund waiting.
    #[error("no refund of {reference} is waiting for the gateway")]
    NoRefundAsked {
        /// The reference.
        reference: String,
    },
    /// A resolution needs the operator's id and a reason, for the audit trail.
    #[error("a resolution needs who decided and why")]
    Unexplained,
}

impl AjoService {
    /// The review queue: every collection with money on the review account, oldest
    /// first.
    ///
    /// # Errors
    /// A store error.
    #[instrument(skip_all)]
    pub async fn held(&self) -> Result<Vec<HeldItem>, ServiceError> {
        super::logged(async move {
            // The review accounts are found among the balances; the items, from the
            // entries that touched them, grouped by collection.
            let mut references = std::collections::BTreeSet::new();
            for (account, _) in self.store.balances().await? {
                if account.owner() != REVIEW_OWNER || account.kind() != AccountKind::Suspense {
                    continue;
                }
                let query = crate::ports::EntryQuery::default().account(account);
                for entry in self.store.entries(&query).await? {
                    if let Some(reference) = entry.entry().reference() {
                        references.insert(reference.to_owned());
                    }
                }
            }
            let mut items = Vec::new();
            for reference in references {
                let events = self
                    .store
                    .load(&crate::ports::StreamId::new(
                        StreamKind::Payment,
                        &reference,
                    ))
                    .await?;
                if let Some(item) = self.held_item(&reference, &events)? {
                    items.push(item);
                }
            }
            items.sort_by(|a, b| (a.held_at, &a.reference).cmp(&(b.held_at, &b.reference)));
            Ok(items)
        })
        .await
    }

    /// What one collection has on review, from its stream; `None` when nothing is.
    fn held_item(
        &self,
        reference: &str,
        recorded: &[RecordedEvent],
    ) -> Result<Option<HeldItem>, ServiceError> {
        let mut events = Vec::with_capacity(recorded.len());
        for event in recorded {
            if let Some(payment) = super::exec::as_payment(event.event.clone()) {
                events.push((event.recorded_at, payment));
            }
        }
        let Some(state) = HeldState::of(events.iter().map(|(_, e)| e))? else {
            return Ok(None);
        };
        let mut why = None;
        let mut held_at = None;
        for (at, event) in &events {
            let reason = match event {
                PaymentEvent::Flagged {
                    expected, received, ..
                } if expected.is_zero() => HeldReason::NothingExpected {
                    received: *received,
                },
                PaymentEvent::Flagged {
                    expected, received, ..
                } if expected == received => HeldReason::NotTaken {
                    received: *received,
                },
                PaymentEvent::Flagged {
                    expected, received, ..
                } => HeldReason::AmountMismatch {
                    expected: *expected,
                    received: *received,
                },
                PaymentEvent::Returned { what, entry, .. } if touches_review(entry.as_ref()) => {
                    HeldReason::ReturnedByGateway { what: *what }
                }
                // A resolution empties the queue: what is held after it is a new hold.
                PaymentEvent::Resolved { entry: Some(_), .. } => {
                    why = None;
                    held_at = None;
                    continue;
                }
                _ => continue,
            };
            if why.is_none() {
                why = Some(reason);
                held_at = Some(*at);
            }
        }
        let (Some(why), Some(held_at)) = (why, held_at) else {
            return Ok(None);
        };
        // The gateway that held it, as recorded; else the one this service speaks to.
        let provider = events
            .iter()
            .find_map(|(_, e)| match e {
                PaymentEvent::Flagged {
                    provider: Some(p), ..
                } => Some(p.clone()),
                _ => None,
            })
            .unwrap_or_else(|| self.gateway.provider().to_owned());
        let (member, purpose) = events
            .iter()
            .find_map(|(_, e)| match e {
                PaymentEvent::Requested {
                    member, purpose, ..
                } => Some((Some(member.clone()), Some(purpose.clone()))),
                _ => None,
            })
            .unwrap_or((None, None));
        Ok(Some(HeldItem {
            reference: reference.to_owned(),
            amount: state.held,
            why,
            held_at,
            provider,
            member,
            purpose,
            refund_pending: state.refund_pending,
        }))
    }
}

/// What a collection has on review, from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HeldState {
    /// Credit-positive: money held that arrived.
    held: Money,
    /// A refund asked and not yet confirmed or refused.
    refund_pending: bool,
}

impl HeldState {
    /// `None` when nothing is held and no refund is pending.
    fn of<'a>(
        events: impl IntoIterator<Item = &'a PaymentEvent>,
    ) -> Result<Option<HeldState>, MoneyError> {
        let mut held: Option<Money> = None;
        let mut refund_pending = false;
        for event in events {
            match event {
                PaymentEvent::Resolved {
                    resolution: HeldResolution::Refunded,
                    entry: None,
                    ..
                } => refund_pending = true,
                // The ask is settled by the gateway's report (made or failed), its
                // refusal, or a person who found it never made.
                PaymentEvent::RefundRefused { .. }
                | PaymentEvent::Resolved {
                    resolution: HeldResolution::RefundNotMade,
                    ..
                }
                | PaymentEvent::Returned {
                    what: GatewayReturn::Refund | GatewayReturn::RefundFailed,
                    ..
                } => refund_pending = false,
                _ => {}
            }
            let Some(entry) = event.entry() else {
                continue;
            };
            for posting in entry.postings() {
                if posting.account.owner() != REVIEW_OWNER
                    || posting.account.kind() != AccountKind::Suspense
                {
                    continue;
                }
                let sum = held.unwrap_or(Money::zero(posting.amount.currency()));
                held = Some(match posting.side {
                    Side::Credit => sum.checked_add(posting.amount)?,
                    Side::Debit => sum.checked_sub(posting.amount)?,
                });
            }
        }
        Ok(match held {
            Some(held) if !held.is_zero() || refund_pending => Some(HeldState {
                held,
                refund_pending,
            }),
            _ => None,
        })
    }
}

fn touches_review(entry: Option<&crate::ledger::BalancedEntry>) -> bool {
    entry.is_some_and(|e| {
        e.postings()
            .iter()
            .any(|p| p.account.owner() == REVIEW_OWNER && p.account.kind() == AccountKind::Suspense)
    })
}
