//! What happened to a loan.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::{Allocation, LoanApplication, PayoffQuote, Schedule};
use crate::ledger::BalancedEntry;
use crate::money::Money;

/// What happened to a loan. Events that move money carry the balanced ledger entry to
/// post, keyed `loan:{id}:{kind}[:{reference}]` so that posting it twice posts once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoanEvent {
    /// The loan was applied for.
    Applied {
        /// When.
        at: DateTime<FixedOffset>,
        /// The application.
        application: Box<LoanApplication>,
    },
    /// It was approved.
    Approved {
        /// When.
        at: DateTime<FixedOffset>,
        /// Who approved it.
        by: String,
    },
    /// It was refused.
    Rejected {
        /// When.
        at: DateTime<FixedOffset>,
        /// Why.
        reason: String,
    },
    /// It was paid out. The entry debits the receivable with the principal and credits
    /// the funding account with what the borrower receives and fee income with any
    /// deducted fees.
    Disbursed {
        /// When.
        at: DateTime<FixedOffset>,
        /// The schedule, from the disbursement date.
        schedule: Box<Schedule>,
        /// `loan:{id}:disbursement`.
        entry: BalancedEntry,
    },
    /// A late penalty was charged (booked as income when it is paid).
    PenaltyCharged {
        /// When.
        at: DateTime<FixedOffset>,
        /// The installment's number.
        installment: u32,
        /// The increase.
        amount: Money,
        /// The installment's penalty after it.
        total: Money,
    },
    /// A repayment was applied. The entry debits the collection account and credits the
    /// receivable (principal), interest income, penalty income and fee income.
    PaymentApplied {
        /// When.
        at: DateTime<FixedOffset>,
        /// The payment's reference.
        payment_ref: String,
        /// The amount received.
        amount: Money,
        /// Where it went.
        allocation: Allocation,
        /// `loan:{id}:payment:{payment_ref}`.
        entry: BalancedEntry,
    },
    /// The loan was settled early for its payoff quote; a [`LoanEvent::Repaid`] follows.
    PaidOff {
        /// When.
        at: DateTime<FixedOffset>,
        /// The payment's reference.
        payment_ref: String,
        /// What was paid, by component.
        quote: PayoffQuote,
        /// `loan:{id}:payment:{payment_ref}`, credited like a repayment.
        entry: BalancedEntry,
    },
    /// Everything owed has been paid.
    Repaid {
        /// When.
        at: DateTime<FixedOffset>,
    },
    /// The loan was declared in default.
    Defaulted {
        /// When.
        at: DateTime<FixedOffset>,
        /// Why.
        reason: String,
    },
    /// The outstanding principal was written off: the entry debits losses and credits
    /// the receivable (none when no principal was left).
    WrittenOff {
        /// When.
        at: DateTime<FixedOffset>,
        /// The principal written off.
        principal: Money,
        /// `loan:{id}:write-off`.
        entry: Option<BalancedEntry>,
    },
}

impl LoanEvent {
    /// When it happened.
    pub fn at(&self) -> DateTime<FixedOffset> {
        match self {
            LoanEvent::Applied { at, .. }
            | LoanEvent::Approved { at, .. }
            | LoanEvent::Rejected { at, .. }
            | LoanEvent::Disbursed { at, .. }
            | LoanEvent::PenaltyCharged { at, .. }
            | LoanEvent::PaymentApplied { at, .. }
            | LoanEvent::PaidOff { at, .. }
            | LoanEvent::Repaid { at }
            | LoanEvent::Defaulted { at, .. }
            | LoanEvent::WrittenOff { at, .. } => *at,
        }
    }

    /// The ledger entry to post, for events that move money.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            LoanEvent::Disbursed { entry, .. }
            | LoanEvent::PaymentApplied { entry, .. }
            | LoanEvent::PaidOff { entry, .. } => Some(entry),
            LoanEvent::WrittenOff { entry, .. } => entry.as_ref(),
            _ => None,
        }
    }

    /// The event's name, as in its serialized `event` tag.
    pub fn name(&self) -> &'static str {
        match self {
            LoanEvent::Applied { .. } => "applied",
            LoanEvent::Approved { .. } => "approved",
            LoanEvent::Rejected { .. } => "rejected",
            LoanEvent::Disbursed { .. } => "disbursed",
            LoanEvent::PenaltyCharged { .. } => "penalty_charged",
            LoanEvent::PaymentApplied { .. } => "payment_applied",
            LoanEvent::PaidOff { .. } => "paid_off",
            LoanEvent::Repaid { .. } => "repaid",
            LoanEvent::Defaulted { .. } => "defaulted",
            LoanEvent::WrittenOff { .. } => "written_off",
        }
    }
}
