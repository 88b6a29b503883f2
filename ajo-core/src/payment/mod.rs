//! Money moved through a payment gateway: collections in, payouts out.
//!
//! A group's events say what a member owes and what the group paid; they do not say what
//! a gateway was asked or answered. That conversation is kept in streams of its own, one
//! per reference, so a report that arrives twice, late or out of order is checked against
//! what was asked before anything reaches a group or the ledger.
//!
//! # Collections: [`PaymentEvent`]
//!
//! One stream per collection reference ([`StreamKind::Payment`](crate::ports::StreamKind)).
//! It opens with [`PaymentEvent::Requested`]: who pays, what for ([`PaymentPurpose`]: a
//! deposit, a round's contribution for one hand, or a loan repayment) and how much. Then
//! the gateway's word on it:
//!
//! - [`Settled`](PaymentEvent::Settled): the money came as asked, and the group or loan
//!   recorded it.
//! - [`Flagged`](PaymentEvent::Flagged): money came that does not match (another amount, a
//!   second charge on a settled reference); it sits in suspense for a person.
//! - [`Failed`](PaymentEvent::Failed): the charge did not go through.
//! - [`Returned`](PaymentEvent::Returned): a refund or chargeback the gateway made without
//!   ajo asking ([`GatewayReturn`]), booked against review.
//!
//! # Payouts: [`PayoutEvent`]
//!
//! One stream per payout ([`StreamKind::Payout`](crate::ports::StreamKind)), keyed by its
//! first reference. It opens with [`PayoutEvent::Requested`] (a round's payout, or a
//! refund), then records each attempt: [`AttemptStarted`](PayoutEvent::AttemptStarted)
//! before a new reference is sent, [`Sent`](PayoutEvent::Sent) when the gateway took it,
//! and [`Succeeded`](PayoutEvent::Succeeded), [`Failed`](PayoutEvent::Failed) or
//! [`Reversed`](PayoutEvent::Reversed) as it reports. A report that does not match the
//! attempt ([`PayoutOutcome`]) holds the payout for review
//! ([`HeldForReview`](PayoutEvent::HeldForReview)) until a person says what they found
//! ([`PayoutReview`], [`ReviewResolved`](PayoutEvent::ReviewResolved)).
//!
//! # When to use which
//!
//! Read a collection stream to answer a gateway's report about a charge, and a payout
//! stream to answer one about a transfer; each event that moves money carries its ledger
//! entry ([`PaymentEvent::entry`], [`PayoutEvent::entry`]), so the books follow the
//! streams exactly.

mod collection;
mod payout;

pub use collection::{GatewayReturn, HeldResolution, OutParts, PaymentEvent, PaymentPurpose};
pub use payout::{PayoutEvent, PayoutOutcome, PayoutReview};
