use chrono::NaiveDate;
use rust_decimal::Decimal;
use thiserror::Error;

/// Why an APR could not be computed from the cash flows given.
///
/// Every variant but [`AprError::DidNotConverge`] names a fault in the input; none is a
/// panic, whatever the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AprError {
    /// No advance above zero: nothing was lent.
    #[error("no advance above zero")]
    NoAdvances,
    /// No payment above zero: nothing is repaid.
    #[error("no payment above zero")]
    NoPayments,
    /// An advance or payment below zero (a refund is a smaller payment, not a negative one).
    #[error("{side} amounts must not be negative, got {amount}")]
    NegativeAmount {
        /// `"advance"` or `"payment"`.
        side: &'static str,
        /// The amount given.
        amount: Decimal,
    },
    /// A fraction of a unit period outside `[0, 1)`.
    #[error("a fraction of a unit period must be at least 0 and below 1, got {fraction}")]
    FractionOutOfRange {
        /// The fraction given.
        fraction: Decimal,
    },
    /// A way of giving a flow's time that the convention does not use (unit periods
    /// and fractions are Regulation Z's, days, weeks or months from the first drawdown
    /// the EU directive's), or flows given partly by date and partly otherwise.
    #[error("{convention}: {problem}")]
    TimeForm {
        /// The convention.
        convention: &'static str,
        /// What does not fit.
        problem: &'static str,
    },
    /// A flow dated before the start of the term (Regulation Z) or the first drawdown
    /// (the EU directive).
    #[error("a flow on {date} comes before the start, {start}")]
    BeforeStart {
        /// The flow's date.
        date: NaiveDate,
        /// The start of the term.
        start: NaiveDate,
    },
    /// A unit period of no length or longer than a year.
    #[error("a unit period must be at least a day and at most a year, got {unit}")]
    UnitPeriod {
        /// The unit period given.
        unit: String,
    },
    /// A date outside the calendar's range, reached counting or stepping periods.
    #[error("a date out of range counting from {from}")]
    DateOutOfRange {
        /// Where the counting started.
        from: NaiveDate,
    },
    /// No rate makes the advances and payments equal: for instance every payment falls
    /// at the start, or the rate would be above a million per cent a unit period.
    #[error("no rate makes the advances and payments equal")]
    NoRate,
    /// A request that expands to more flows than [`MAX_FLOWS`](super::MAX_FLOWS).
    #[error("more than {max} flows")]
    TooManyFlows {
        /// The limit.
        max: u32,
    },
    /// The solver stopped before reaching its tolerance.
    #[error("the rate did not converge in {iterations} iterations")]
    DidNotConverge {
        /// Iterations run.
        iterations: u32,
    },
    /// An amount or a discount factor beyond what `Decimal` holds: amounts or times too
    /// large for the arithmetic.
    #[error("arithmetic overflow computing the APR")]
    Overflow,
}

impl AprError {
    /// Whether the fault is in the input rather than in the solver. An overflow counts
    /// as the input's: every amount and time comes from the caller.
    pub fn is_invalid_input(&self) -> bool {
        !matches!(self, AprError::DidNotConverge { .. })
    }
}
