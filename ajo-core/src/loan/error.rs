use chrono::NaiveDate;
use rust_decimal::Decimal;
use thiserror::Error;

use super::LoanStatus;
use super::apr::AprError;
use crate::calendar::{CalendarError, Frequency};
use crate::eligibility::{EligibilityError, Refusal};
use crate::ids::IdError;
use crate::ledger::LedgerError;
use crate::money::{Currency, Money, MoneyError};
use crate::penalty::PenaltyError;

/// Everything that can go wrong describing, scheduling, pricing or servicing a loan.
///
/// Variants name the setting or amount at fault and, for ranges, the limit. A refused
/// command never changes a loan: [`decide`](super::decide) returns this error and no
/// events.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LoanError {
    /// The principal is zero or negative.
    #[error("principal must be above zero, got {principal}")]
    NonPositivePrincipal {
        /// The principal given.
        principal: Money,
    },
    /// The annual rate is below zero.
    #[error("annual rate must not be negative, got {rate}")]
    NegativeRate {
        /// The rate given, as a fraction.
        rate: Decimal,
    },
    /// The annual rate is above [`MAX_ANNUAL_RATE`](super::MAX_ANNUAL_RATE).
    #[error("annual rate {rate} is above the supported maximum {max}")]
    RateTooHigh {
        /// The rate given, as a fraction.
        rate: Decimal,
        /// The largest rate accepted.
        max: Decimal,
    },
    /// The number of installments is 0 or above [`MAX_TERM`](super::MAX_TERM).
    #[error("term must be 1 to {max} installments, got {term}")]
    TermOutOfRange {
        /// The term given.
        term: u32,
        /// The largest term accepted.
        max: u32,
    },
    /// The frequency has no conventional number of periods a year (every N days), so an
    /// annual rate cannot be turned into a periodic one.
    #[error("loans cannot be repaid {frequency}: no periods-per-year convention")]
    UnsupportedFrequency {
        /// The frequency given.
        frequency: Frequency,
    },
    /// Grace leaves no period in which principal is repaid.
    #[error("grace of {grace} periods leaves no repayment period in a term of {term}")]
    GraceTooLong {
        /// Periods without principal: the larger of the two grace settings.
        grace: u32,
        /// The term.
        term: u32,
    },
    /// A fee is negative (a fixed amount below zero, or a negative percentage).
    #[error("fee {index} must not be negative")]
    NegativeFee {
        /// Zero-based position of the fee in the terms.
        index: usize,
    },
    /// Fees deducted at disbursement would leave the borrower nothing.
    #[error(
        "fees deducted at disbursement ({deducted}) must be less than the principal ({principal})"
    )]
    FeesExceedPrincipal {
        /// The deducted fees.
        deducted: Money,
        /// The principal.
        principal: Money,
    },
    /// An amount is in another currency than the loan.
    #[error("{field} is in {got}, the loan is in {expected}")]
    CurrencyMismatch {
        /// Which amount or account.
        field: &'static str,
        /// The loan's currency.
        expected: Currency,
        /// The currency given.
        got: Currency,
    },
    /// The internal rate of return could not be found to the required precision.
    #[error("the rate of return did not converge after {iterations} iterations")]
    RateDidNotConverge {
        /// Iterations tried (Newton and bisection together).
        iterations: u32,
    },
    /// Cash flows with no repayment have no rate of return.
    #[error("cash flows have no repayment, so they have no rate of return")]
    NoRepayments,
    /// The amount received is zero or negative, so no rate of return exists.
    #[error("the amount received must be above zero")]
    NothingReceived,
    /// An id or reference is empty, too long or holds characters that are not allowed
    /// ([`IdError::kind`] says which: `loan id`, `payment reference`...).
    #[error(transparent)]
    InvalidId(#[from] IdError),
    /// An allocation order that does not name each component exactly once.
    #[error("allocation order must name penalty, fee, interest and principal once each")]
    InvalidAllocationOrder,
    /// The command is not allowed in the loan's current status.
    #[error("cannot {command} a loan that is {status}")]
    IllegalTransition {
        /// The command refused.
        command: &'static str,
        /// The loan's status.
        status: LoanStatus,
    },
    /// A command other than apply was given before the loan was applied for.
    #[error("cannot {command}: no loan has been applied for")]
    NoLoan {
        /// The command refused.
        command: &'static str,
    },
    /// A payment of zero or less.
    #[error("payment must be above zero, got {amount}")]
    NonPositivePayment {
        /// The amount given.
        amount: Money,
    },
    /// A date before the loan was disbursed.
    #[error("{date} is before the disbursement date {disbursed}")]
    BeforeDisbursement {
        /// The date given.
        date: NaiveDate,
        /// The disbursement date.
        disbursed: NaiveDate,
    },
    /// A payment larger than everything the loan can take (use a payoff to settle it).
    #[error("payment of {amount} is more than the {max} this loan can take")]
    Overpayment {
        /// The payment.
        amount: Money,
        /// The most that can be applied.
        max: Money,
    },
    /// A payoff whose amount is not the quote for its date.
    #[error("payoff of {amount} does not match the quote of {quote}")]
    PayoffMismatch {
        /// The payment.
        amount: Money,
        /// What settles the loan on that date.
        quote: Money,
    },
    /// A payment reference already used for a different payment.
    #[error("payment reference {payment_ref:?} was already used for another payment")]
    PaymentRefConflict {
        /// The reference.
        payment_ref: String,
    },
    /// A repayment was asked for while nothing is due: the loan is not disbursed yet, or
    /// every installment is paid.
    #[error("nothing is due on the loan")]
    NothingDue,
    /// Default was asked for while no installment is overdue.
    #[error("no installment is overdue on {date}")]
    NothingOverdue {
        /// The business date of the command.
        date: NaiveDate,
    },
    /// The member may not borrow what was asked under the host's eligibility rules
    /// ([`loan_limit`](crate::eligibility::loan_limit)): every reason, and the limit.
    #[error("not eligible for this loan (limit {limit}): {refusals:?}")]
    NotEligible {
        /// The most the member may borrow now (zero when nothing).
        limit: Money,
        /// Every reason the loan is refused.
        refusals: Vec<Refusal>,
    },
    /// A loan from a group's pot was asked for, and the group's rules do not lend from
    /// its pot ([`GroupConfig::lends_from_pot`](crate::group::GroupConfig::lends_from_pot)).
    #[error("group {group} does not lend from its pot")]
    PotLendingOff {
        /// The group.
        group: String,
    },
    /// A pot-funded loan would leave a scheduled payout short: the pot holds only
    /// `lendable` beyond what its next payouts need.
    #[error("the pot can lend {lendable} without leaving a payout short, asked {requested}")]
    PotCannotLend {
        /// The principal asked for.
        requested: Money,
        /// What the pot can lend now.
        lendable: Money,
    },
    /// The member's eligibility could not be worked out (amounts in another currency,
    /// a setting out of range).
    #[error(transparent)]
    Eligibility(#[from] EligibilityError),
    /// An event that cannot follow the state it is applied to (a corrupted or reordered
    /// event log).
    #[error("event {event} does not apply to the loan's state")]
    EventDoesNotApply {
        /// The event's name.
        event: &'static str,
    },
    /// From money arithmetic: overflow, or amounts of different currencies.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// From due-date arithmetic.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// From the penalty rule.
    #[error(transparent)]
    Penalty(#[from] PenaltyError),
    /// From building a ledger entry.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// From computing an APR of dated cash flows.
    #[error(transparent)]
    Apr(#[from] AprError),
}

impl LoanError {
    /// Whether the error comes from the caller's input (terms, command or amount) rather
    /// than from arithmetic limits or a corrupted event log.
    pub fn is_invalid_input(&self) -> bool {
        !matches!(
            self,
            LoanError::RateDidNotConverge { .. }
                | LoanError::EventDoesNotApply { .. }
                | LoanError::Money(MoneyError::Overflow { .. })
        ) && !matches!(self, LoanError::Apr(e) if !e.is_invalid_input())
    }
}

pub(crate) fn overflow(operation: &'static str) -> LoanError {
    LoanError::Money(MoneyError::Overflow { operation })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_are_told_apart_from_limits_and_corruption() {
        assert!(LoanError::NothingReceived.is_invalid_input());
        assert!(LoanError::TermOutOfRange { term: 0, max: 1 }.is_invalid_input());
        assert!(!LoanError::RateDidNotConverge { iterations: 1 }.is_invalid_input());
        assert!(!LoanError::EventDoesNotApply { event: "x" }.is_invalid_input());
        assert!(!overflow("x").is_invalid_input());
        assert_eq!(
            LoanError::IllegalTransition {
                command: "repay",
                status: LoanStatus::Pending
            }
            .to_string(),
            "cannot repay a loan that is pending"
        );
    }
}
