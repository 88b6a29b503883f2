//! Loan eligibility: a score that explains itself, and a loan limit that never leaves a
//! scheduled payout short.
//!
//! # When to use what
//!
//! - [`score`] rates a member from 0 to 100 (with the default weights) on how long they
//!   have been active, how punctually they pay, and how much they have saved relative
//!   to the largest loan. It returns the [`ScoreBreakdown`], so the member can be told
//!   why.
//! - [`loan_limit`] decides how much a member may borrow: a multiple of what they have
//!   contributed (less loans they still owe), capped by what the pot can lend without
//!   making a scheduled payout short and by the policy's maximum. A refusal lists every
//!   [`Refusal`] that applies, typed, never a string.
//!
//! # The score (reference README §7)
//!
//! ```text
//! tenure_points      = min(months_active * 4, 40)
//! punctuality_points = on_time_ratio * 30
//! savings_points     = min(total_contributed * 30 / max_loan, 30)
//! score              = HALF_UP(tenure + punctuality + savings) to an integer
//! ```
//!
//! Computed exactly (multiplied by 30 before dividing by the maximum loan) and rounded
//! once, half up: a raw 34.5 scores 35. [`ScoreWeights`] changes the 4, 40, 30, 30 and
//! 30.
//!
//! ```
//! use ajo_core::eligibility::{MemberRecord, ScoreWeights, score};
//! use ajo_core::money::{Currency, Money};
//!
//! let member = MemberRecord::new(7, "0.9".parse()?, Money::parse("84000", Currency::NGN)?)?;
//! let max_loan = Money::parse("300000", Currency::NGN)?;
//! let scored = score(&member, max_loan, &ScoreWeights::default())?;
//! assert_eq!(scored.score, 63); // 28 + 27 + 8.4 = 63.4
//! assert_eq!(scored.breakdown.savings_points.normalize().to_string(), "8.4");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use rust_decimal::Decimal;
use thiserror::Error;

use crate::money::{Currency, Money, MoneyError};

mod limit;
mod score;

pub use limit::{
    FlowKind, LimitDecision, LimitPolicy, PotPosition, Refusal, ScheduledFlow, loan_limit,
};
pub use score::{MemberRecord, Score, ScoreBreakdown, ScoreWeights, score};

/// Why a score or limit could not be computed: an input outside its range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EligibilityError {
    /// The on-time ratio is outside `0..=1`.
    #[error("on-time ratio must be between 0 and 1, got {ratio}")]
    RatioOutOfRange {
        /// The ratio given.
        ratio: Decimal,
    },
    /// An amount that cannot be negative is.
    #[error("{field} must not be negative, got {amount}")]
    NegativeAmount {
        /// Which amount.
        field: &'static str,
        /// The amount given.
        amount: Money,
    },
    /// The maximum loan is zero or negative (it divides the savings term).
    #[error("maximum loan must be above zero, got {max_loan}")]
    NonPositiveMaxLoan {
        /// The maximum given.
        max_loan: Money,
    },
    /// A weight or multiple is negative.
    #[error("{field} must not be negative")]
    NegativeSetting {
        /// Which setting.
        field: &'static str,
    },
    /// Amounts in different currencies.
    #[error("{field} is in {got}, expected {expected}")]
    CurrencyMismatch {
        /// Which amount.
        field: &'static str,
        /// The currency of the rest.
        expected: Currency,
        /// Its currency.
        got: Currency,
    },
    /// The score does not fit (weights far beyond any sensible scale).
    #[error("score out of range")]
    ScoreOutOfRange,
    /// From money arithmetic (overflow).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

#[cfg(test)]
mod tests;
