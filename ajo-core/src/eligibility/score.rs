//! A member's loan score, with its breakdown.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::EligibilityError;
use crate::money::{Currency, Money, MoneyError, Rounding};

/// The weights of the score; the default is the reference formula (4 points a month up
/// to 40, 30 for punctuality, 30 for savings), which scores 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreWeights {
    points_per_month: Decimal,
    max_tenure_points: Decimal,
    punctuality_points: Decimal,
    savings_points: Decimal,
}

impl Default for ScoreWeights {
    fn default() -> ScoreWeights {
        ScoreWeights {
            points_per_month: Decimal::from(4),
            max_tenure_points: Decimal::from(40),
            punctuality_points: Decimal::from(30),
            savings_points: Decimal::from(30),
        }
    }
}

impl ScoreWeights {
    /// Points per month active (capped at `max_tenure_points`), points for a perfect
    /// on-time record, and points for savings of at least the maximum loan.
    ///
    /// # Errors
    /// [`EligibilityError::NegativeSetting`] for a negative weight.
    pub fn new(
        points_per_month: Decimal,
        max_tenure_points: Decimal,
        punctuality_points: Decimal,
        savings_points: Decimal,
    ) -> Result<ScoreWeights, EligibilityError> {
        for (field, value) in [
            ("points_per_month", points_per_month),
            ("max_tenure_points", max_tenure_points),
            ("punctuality_points", punctuality_points),
            ("savings_points", savings_points),
        ] {
            if value.is_sign_negative() && !value.is_zero() {
                return Err(EligibilityError::NegativeSetting { field });
            }
        }
        Ok(ScoreWeights {
            points_per_month,
            max_tenure_points,
            punctuality_points,
            savings_points,
        })
    }

    /// The highest score these weights give.
    pub fn max_score(&self) -> Decimal {
        self.max_tenure_points
            .saturating_add(self.punctuality_points)
            .saturating_add(self.savings_points)
    }
}

/// What the group knows about a member, checked once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    months_active: u32,
    on_time_ratio: Decimal,
    total_contributed: Money,
    arrears: Money,
    outstanding_loans: Money,
    /// Past loans declared in default (written off or not). Defaulted to 0 so records
    /// stored before it existed read back.
    #[serde(default)]
    defaulted_loans: u32,
}

impl MemberRecord {
    /// A member active for `months_active` months, who paid `on_time_ratio` of their
    /// contributions on time (0 to 1) and has contributed `total_contributed`; no
    /// arrears and no loans outstanding until said otherwise.
    ///
    /// # Errors
    /// [`EligibilityError::RatioOutOfRange`] or [`EligibilityError::NegativeAmount`].
    pub fn new(
        months_active: u32,
        on_time_ratio: Decimal,
        total_contributed: Money,
    ) -> Result<MemberRecord, EligibilityError> {
        if on_time_ratio < Decimal::ZERO || on_time_ratio > Decimal::ONE {
            return Err(EligibilityError::RatioOutOfRange {
                ratio: on_time_ratio,
            });
        }
        non_negative("total_contributed", total_contributed)?;
        let zero = Money::zero(total_contributed.currency());
        Ok(MemberRecord {
            months_active,
            on_time_ratio,
            total_contributed,
            arrears: zero,
            outstanding_loans: zero,
            defaulted_loans: 0,
        })
    }

    /// Contributions due and unpaid (a member in arrears is refused).
    ///
    /// # Errors
    /// [`EligibilityError::NegativeAmount`] or [`EligibilityError::CurrencyMismatch`].
    pub fn with_arrears(mut self, arrears: Money) -> Result<MemberRecord, EligibilityError> {
        self.arrears = self.same_currency("arrears", arrears)?;
        Ok(self)
    }

    /// Principal the member still owes on other loans (it comes off their limit).
    ///
    /// # Errors
    /// [`EligibilityError::NegativeAmount`] or [`EligibilityError::CurrencyMismatch`].
    pub fn with_outstanding_loans(mut self, owed: Money) -> Result<MemberRecord, EligibilityError> {
        self.outstanding_loans = self.same_currency("outstanding_loans", owed)?;
        Ok(self)
    }

    /// Past loans the member defaulted on: [`loan_limit`](super::loan_limit) refuses a
    /// member with any.
    #[must_use]
    pub fn with_defaulted_loans(mut self, loans: u32) -> MemberRecord {
        self.defaulted_loans = loans;
        self
    }

    /// Past loans defaulted on.
    pub fn defaulted_loans(&self) -> u32 {
        self.defaulted_loans
    }

    /// Months active.
    pub fn months_active(&self) -> u32 {
        self.months_active
    }

    /// Share of contributions paid on time.
    pub fn on_time_ratio(&self) -> Decimal {
        self.on_time_ratio
    }

    /// Everything contributed.
    pub fn total_contributed(&self) -> Money {
        self.total_contributed
    }

    /// Contributions in arrears.
    pub fn arrears(&self) -> Money {
        self.arrears
    }

    /// Principal owed on other loans.
    pub fn outstanding_loans(&self) -> Money {
        self.outstanding_loans
    }

    fn same_currency(&self, field: &'static str, amount: Money) -> Result<Money, EligibilityError> {
        check_currency(field, self.total_contributed.currency(), amount)?;
        non_negative(field, amount)
    }
}

pub(super) fn non_negative(field: &'static str, amount: Money) -> Result<Money, EligibilityError> {
    if amount.is_negative() {
        Err(EligibilityError::NegativeAmount { field, amount })
    } else {
        Ok(amount)
    }
}

pub(super) fn check_currency(
    field: &'static str,
    expected: Currency,
    amount: Money,
) -> Result<(), EligibilityError> {
    if amount.currency() == expected {
        Ok(())
    } else {
        Err(EligibilityError::CurrencyMismatch {
            field,
            expected,
            got: amount.currency(),
        })
    }
}

/// How a score was made up (exact, before rounding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreBreakdown {
    /// Points for months active.
    pub tenure_points: Decimal,
    /// Points for paying on time.
    pub punctuality_points: Decimal,
    /// Points for savings relative to the maximum loan.
    pub savings_points: Decimal,
    /// Their sum.
    pub raw_score: Decimal,
}

/// A member's score and why; see [`score`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// `HALF_UP(raw_score)`: 0 to 100 with the default weights.
    pub score: u32,
    /// The parts.
    pub breakdown: ScoreBreakdown,
}

/// The member's score against a maximum loan of `max_loan`.
///
/// # Errors
/// - [`EligibilityError::NonPositiveMaxLoan`] for a maximum of zero or less.
/// - [`EligibilityError::CurrencyMismatch`] when `max_loan` is in another currency than
///   the contributions.
/// - [`EligibilityError::ScoreOutOfRange`] or [`EligibilityError::Money`] on overflow
///   (only with extreme weights or amounts).
pub fn score(
    member: &MemberRecord,
    max_loan: Money,
    weights: &ScoreWeights,
) -> Result<Score, EligibilityError> {
    check_currency("max_loan", member.total_contributed.currency(), max_loan)?;
    if !max_loan.is_positive() {
        return Err(EligibilityError::NonPositiveMaxLoan { max_loan });
    }
    let overflow = || MoneyError::Overflow { operation: "score" };
    let tenure = Decimal::from(member.months_active)
        .checked_mul(weights.points_per_month)
        .ok_or_else(overflow)?
        .min(weights.max_tenure_points);
    let punctuality = member
        .on_time_ratio
        .checked_mul(weights.punctuality_points)
        .ok_or_else(overflow)?;
    let savings = member
        .total_contributed
        .amount()
        .checked_mul(weights.savings_points)
        .and_then(|v| v.checked_div(max_loan.amount()))
        .ok_or_else(overflow)?
        .min(weights.savings_points);
    let raw = tenure
        .checked_add(punctuality)
        .and_then(|v| v.checked_add(savings))
        .ok_or_else(overflow)?;
    let score = Rounding::HalfUp
        .round(raw, 0)
        .to_u32()
        .ok_or(EligibilityError::ScoreOutOfRange)?;
    Ok(Score {
        score,
        breakdown: ScoreBreakdown {
            tenure_points: tenure,
            punctuality_points: punctuality,
            savings_points: savings,
            raw_score: raw,
        },
    })
}
