//! What a caller asks of a loan.

use serde::{Deserialize, Serialize};

use super::{LoanAccounts, LoanPolicy, LoanTerms, Reamortize};
use crate::ids::{LoanId, MemberId};
use crate::money::Money;

/// A request for a loan: everything [`LoanCommand::Apply`] needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanApplication {
    /// The caller's id for the loan.
    pub id: LoanId,
    /// The borrowing member.
    pub borrower: MemberId,
    /// The terms asked for; the disbursement date is replaced by the date the money is
    /// actually paid out.
    pub terms: LoanTerms,
    /// Where the money is booked.
    pub accounts: LoanAccounts,
    /// How it is serviced.
    pub policy: LoanPolicy,
}

/// What a caller asks of a loan; [`decide`](super::decide) answers with events or a typed error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoanCommand {
    /// Open the loan as pending (only on an empty state).
    Apply(Box<LoanApplication>),
    /// Approve a pending loan.
    Approve {
        /// Who approved it.
        by: String,
    },
    /// Refuse a pending or approved loan.
    Reject {
        /// Why, for the borrower and the record.
        reason: String,
    },
    /// Pay out an approved loan today: its schedule starts from today's date.
    Disburse {
        /// The payout's reference at the gateway (for reconciliation).
        reference: String,
    },
    /// Apply a repayment (see [`allocate`](super::allocate)).
    Repay {
        /// The payment's reference at the gateway; a retry with the same reference and
        /// amount is a no-op, so a payment is applied and posted once.
        payment_ref: String,
        /// The amount received.
        amount: Money,
        /// What an overpayment does to the installments still to come.
        overpayment: Reamortize,
    },
    /// Settle the loan early; the amount must be today's
    /// [payoff quote](super::Loan::payoff_quote).
    PayOff {
        /// The payment's reference at the gateway (idempotent like `Repay`).
        payment_ref: String,
        /// The amount received.
        amount: Money,
    },
    /// Charge late penalties on overdue installments as of today (a daily job).
    AssessPenalties,
    /// Declare a loan with an overdue installment in default.
    MarkDefaulted {
        /// Why, for the record.
        reason: String,
    },
    /// Write off a defaulted loan's outstanding principal.
    WriteOff,
}

impl LoanCommand {
    /// The command's name, as refusals quote it.
    pub(super) fn name(&self) -> &'static str {
        match self {
            LoanCommand::Apply(_) => "apply for",
            LoanCommand::Approve { .. } => "approve",
            LoanCommand::Reject { .. } => "reject",
            LoanCommand::Disburse { .. } => "disburse",
            LoanCommand::Repay { .. } => "repay",
            LoanCommand::PayOff { .. } => "pay off",
            LoanCommand::AssessPenalties => "assess penalties on",
            LoanCommand::MarkDefaulted { .. } => "mark defaulted",
            LoanCommand::WriteOff => "write off",
        }
    }
}
