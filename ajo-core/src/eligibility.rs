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

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::money::{Currency, Money, MoneyError, Rounding};

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

fn non_negative(field: &'static str, amount: Money) -> Result<Money, EligibilityError> {
    if amount.is_negative() {
        Err(EligibilityError::NegativeAmount { field, amount })
    } else {
        Ok(amount)
    }
}

fn check_currency(
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

/// Whether a scheduled movement of the pot takes money out or brings it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FlowKind {
    /// A payout the pot must cover.
    Payout,
    /// A contribution the group expects (count only what you trust to arrive).
    Contribution,
}

/// A scheduled movement of the pot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledFlow {
    /// When.
    pub date: NaiveDate,
    /// In or out.
    pub kind: FlowKind,
    /// How much (not negative).
    pub amount: Money,
}

/// The pot a loan would come from: what it holds now and what is scheduled to move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PotPosition {
    /// What the pot holds now.
    pub balance: Money,
    /// Upcoming payouts, and any contributions to count on, in any order.
    pub scheduled: Vec<ScheduledFlow>,
}

impl PotPosition {
    /// What the pot can lend today without any scheduled payout falling short: the
    /// lowest the pot's running balance reaches over the scheduled flows (payouts before
    /// contributions on the same day), never below zero. Loan repayments are not counted
    /// on, so the answer errs on the safe side.
    ///
    /// ```
    /// use ajo_core::eligibility::{FlowKind, PotPosition, ScheduledFlow};
    /// use ajo_core::money::{Currency, Money};
    /// use chrono::NaiveDate;
    ///
    /// let ngn = |s| Money::parse(s, Currency::NGN);
    /// let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    /// let pot = PotPosition {
    ///     balance: ngn("150000")?,
    ///     scheduled: vec![
    ///         ScheduledFlow { date: day(1), kind: FlowKind::Payout, amount: ngn("100000")? },
    ///         ScheduledFlow { date: day(2), kind: FlowKind::Contribution, amount: ngn("100000")? },
    ///         ScheduledFlow { date: day(3), kind: FlowKind::Payout, amount: ngn("100000")? },
    ///     ],
    /// };
    /// // 150,000 -> 50,000 -> 150,000 -> 50,000: 50,000 can be lent.
    /// assert_eq!(pot.lendable()?, ngn("50000")?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`EligibilityError::NegativeAmount`] for a negative flow,
    /// [`EligibilityError::CurrencyMismatch`] for a flow in another currency, or
    /// [`EligibilityError::Money`] on overflow.
    pub fn lendable(&self) -> Result<Money, EligibilityError> {
        let currency = self.balance.currency();
        let mut flows = self.scheduled.clone();
        for flow in &flows {
            check_currency("scheduled flow", currency, flow.amount)?;
            non_negative("scheduled flow", flow.amount)?;
        }
        flows.sort_by_key(|f| (f.date, f.kind != FlowKind::Payout));
        let mut running = self.balance;
        let mut lowest = running;
        for flow in flows {
            running = match flow.kind {
                FlowKind::Payout => running.checked_sub(flow.amount)?,
                FlowKind::Contribution => running.checked_add(flow.amount)?,
            };
            lowest = lowest.checked_min(running)?;
        }
        Ok(if lowest.is_negative() {
            Money::zero(currency)
        } else {
            lowest
        })
    }
}

/// How much a member may borrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitPolicy {
    contribution_multiple: Decimal,
    max_loan: Money,
    min_score: u32,
    min_months_active: u32,
    weights: ScoreWeights,
}

impl LimitPolicy {
    /// Members may borrow up to `contribution_multiple` times what they have contributed
    /// (less loans they still owe), never more than `max_loan` (also the score's
    /// maximum loan). No minimum score or tenure until set.
    ///
    /// # Errors
    /// [`EligibilityError::NegativeSetting`] for a negative multiple,
    /// [`EligibilityError::NonPositiveMaxLoan`].
    pub fn new(
        contribution_multiple: Decimal,
        max_loan: Money,
    ) -> Result<LimitPolicy, EligibilityError> {
        if contribution_multiple.is_sign_negative() && !contribution_multiple.is_zero() {
            return Err(EligibilityError::NegativeSetting {
                field: "contribution_multiple",
            });
        }
        if !max_loan.is_positive() {
            return Err(EligibilityError::NonPositiveMaxLoan { max_loan });
        }
        Ok(LimitPolicy {
            contribution_multiple,
            max_loan,
            min_score: 0,
            min_months_active: 0,
            weights: ScoreWeights::default(),
        })
    }

    /// Refuse members scoring below `score`.
    #[must_use]
    pub fn min_score(mut self, score: u32) -> LimitPolicy {
        self.min_score = score;
        self
    }

    /// Refuse members active for fewer than `months`.
    #[must_use]
    pub fn min_months_active(mut self, months: u32) -> LimitPolicy {
        self.min_months_active = months;
        self
    }

    /// Score with these weights instead of the reference's.
    #[must_use]
    pub fn weights(mut self, weights: ScoreWeights) -> LimitPolicy {
        self.weights = weights;
        self
    }

    /// The largest loan.
    pub fn max_loan(&self) -> Money {
        self.max_loan
    }
}

/// Why a member cannot borrow (what they asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// The score is below the policy's minimum.
    ScoreTooLow {
        /// The member's score.
        score: u32,
        /// The minimum.
        minimum: u32,
    },
    /// Not active long enough.
    TooNew {
        /// Months active.
        months_active: u32,
        /// The minimum.
        minimum: u32,
    },
    /// Contributions are in arrears.
    InArrears {
        /// How much.
        arrears: Money,
    },
    /// Contributions (times the multiple, less loans owed) leave nothing to lend.
    NoContributionHeadroom {
        /// The member's contributions times the multiple.
        allowed: Money,
        /// Principal still owed on other loans.
        outstanding: Money,
    },
    /// The pot cannot lend anything without leaving a scheduled payout short.
    PotCannotLend,
    /// The amount asked for is above the limit.
    RequestAboveLimit {
        /// What was asked for.
        requested: Money,
        /// The limit.
        limit: Money,
    },
}

/// The outcome of [`loan_limit`]: the limit, how it was reached, and every reason to
/// refuse (none means eligible).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitDecision {
    /// The member's score.
    pub score: Score,
    /// Contributions times the multiple, rounded down, less loans owed (not below 0).
    pub by_contributions: Money,
    /// What the pot can lend; see [`PotPosition::lendable`].
    pub by_pot: Money,
    /// The smallest of the two and the policy's maximum.
    pub limit: Money,
    /// Every reason to refuse; empty when the member may borrow.
    pub refusals: Vec<Refusal>,
}

impl LimitDecision {
    /// Whether the member may borrow (what they asked for, if they asked).
    pub fn is_eligible(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// How much `member` may borrow from `pot` under `policy`, and whether they may borrow
/// `requested`.
///
/// ```
/// use ajo_core::eligibility::{LimitPolicy, MemberRecord, PotPosition, Refusal, loan_limit};
/// use ajo_core::money::{Currency, Money};
///
/// let ngn = |s| Money::parse(s, Currency::NGN);
/// let member = MemberRecord::new(12, "1".parse()?, ngn("60000")?)?;
/// let policy = LimitPolicy::new("3".parse()?, ngn("500000")?)?.min_score(50);
/// let pot = PotPosition { balance: ngn("120000")?, scheduled: vec![] };
/// let decision = loan_limit(&member, &pot, &policy, Some(ngn("150000")?))?;
/// // 3 x 60,000 = 180,000, but the pot holds 120,000.
/// assert_eq!(decision.limit, ngn("120000")?);
/// assert_eq!(
///     decision.refusals,
///     [Refusal::RequestAboveLimit { requested: ngn("150000")?, limit: ngn("120000")? }]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`EligibilityError::CurrencyMismatch`] when the member, pot, policy or request use
/// different currencies, [`EligibilityError::NegativeAmount`] for a negative request or
/// flow, or as [`score`] and [`PotPosition::lendable`].
pub fn loan_limit(
    member: &MemberRecord,
    pot: &PotPosition,
    policy: &LimitPolicy,
    requested: Option<Money>,
) -> Result<LimitDecision, EligibilityError> {
    let currency = member.total_contributed.currency();
    check_currency("pot balance", currency, pot.balance)?;
    check_currency("max_loan", currency, policy.max_loan)?;
    if let Some(requested) = requested {
        check_currency("requested", currency, requested)?;
        non_negative("requested", requested)?;
    }
    let scored = score(member, policy.max_loan, &policy.weights)?;
    let zero = Money::zero(currency);
    let allowed = member
        .total_contributed
        .mul_rounded(policy.contribution_multiple, Rounding::Down)?;
    let headroom = allowed.checked_sub(member.outstanding_loans)?;
    let by_contributions = if headroom.is_negative() {
        zero
    } else {
        headroom
    };
    let by_pot = pot.lendable()?;
    let limit = by_contributions
        .checked_min(by_pot)?
        .checked_min(policy.max_loan)?;

    let mut refusals = Vec::new();
    if scored.score < policy.min_score {
        refusals.push(Refusal::ScoreTooLow {
            score: scored.score,
            minimum: policy.min_score,
        });
    }
    if member.months_active < policy.min_months_active {
        refusals.push(Refusal::TooNew {
            months_active: member.months_active,
            minimum: policy.min_months_active,
        });
    }
    if member.arrears.is_positive() {
        refusals.push(Refusal::InArrears {
            arrears: member.arrears,
        });
    }
    if by_contributions.is_zero() {
        refusals.push(Refusal::NoContributionHeadroom {
            allowed,
            outstanding: member.outstanding_loans,
        });
    }
    if by_pot.is_zero() {
        refusals.push(Refusal::PotCannotLend);
    }
    if let Some(requested) = requested
        && requested > limit
        && !limit.is_zero()
    {
        refusals.push(Refusal::RequestAboveLimit { requested, limit });
    }
    Ok(LimitDecision {
        score: scored,
        by_contributions,
        by_pot,
        limit,
        refusals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ngn(s: &str) -> Money {
        Money::parse(s, Currency::NGN).unwrap()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, n).unwrap()
    }

    #[test]
    fn out_of_range_inputs_are_typed_errors() {
        for ratio in ["-0.01", "1.0001"] {
            assert_eq!(
                MemberRecord::new(1, d(ratio), ngn("1")),
                Err(EligibilityError::RatioOutOfRange { ratio: d(ratio) })
            );
        }
        assert_eq!(
            MemberRecord::new(1, d("0.5"), ngn("-1")),
            Err(EligibilityError::NegativeAmount {
                field: "total_contributed",
                amount: ngn("-1")
            })
        );
        let member = MemberRecord::new(1, d("0.5"), ngn("100")).unwrap();
        assert!(matches!(
            member.with_arrears(ngn("-1")),
            Err(EligibilityError::NegativeAmount {
                field: "arrears",
                ..
            })
        ));
        let kes = Money::parse("1", Currency::KES).unwrap();
        assert!(matches!(
            member.with_outstanding_loans(kes),
            Err(EligibilityError::CurrencyMismatch {
                field: "outstanding_loans",
                ..
            })
        ));
        let weights = ScoreWeights::default();
        assert_eq!(
            score(&member, ngn("0"), &weights),
            Err(EligibilityError::NonPositiveMaxLoan { max_loan: ngn("0") })
        );
        assert!(matches!(
            score(&member, kes, &weights),
            Err(EligibilityError::CurrencyMismatch {
                field: "max_loan",
                ..
            })
        ));
        assert_eq!(
            ScoreWeights::new(d("4"), d("40"), d("-1"), d("30")),
            Err(EligibilityError::NegativeSetting {
                field: "punctuality_points"
            })
        );
        assert_eq!(
            LimitPolicy::new(d("-1"), ngn("1")),
            Err(EligibilityError::NegativeSetting {
                field: "contribution_multiple"
            })
        );
        assert_eq!(
            LimitPolicy::new(d("1"), ngn("0")),
            Err(EligibilityError::NonPositiveMaxLoan { max_loan: ngn("0") })
        );
        let huge = ScoreWeights::new(Decimal::MAX, Decimal::MAX, d("0"), d("0")).unwrap();
        let veteran = MemberRecord::new(u32::MAX, d("1"), ngn("1")).unwrap();
        assert!(matches!(
            score(&veteran, ngn("1"), &huge),
            Err(EligibilityError::Money(MoneyError::Overflow { .. }))
        ));
        let big = ScoreWeights::new(d("1e10"), d("1e10"), d("0"), d("0")).unwrap();
        assert_eq!(
            score(&member, ngn("1"), &big),
            Err(EligibilityError::ScoreOutOfRange)
        );
    }

    #[test]
    fn custom_weights_change_the_score() {
        let member = MemberRecord::new(3, d("0.5"), ngn("50000")).unwrap();
        let weights = ScoreWeights::new(d("10"), d("50"), d("20"), d("30")).unwrap();
        assert_eq!(weights.max_score(), d("100"));
        let scored = score(&member, ngn("100000"), &weights).unwrap();
        // 30 + 10 + 15.
        assert_eq!(scored.score, 55);
        assert_eq!(scored.breakdown.raw_score, d("55"));
    }

    #[test]
    fn the_pot_keeps_enough_for_every_scheduled_payout() {
        let flow = |n, kind, amount: &str| ScheduledFlow {
            date: day(n),
            kind,
            amount: ngn(amount),
        };
        let pot = PotPosition {
            balance: ngn("100000"),
            scheduled: vec![
                flow(5, FlowKind::Contribution, "60000"),
                flow(5, FlowKind::Payout, "150000"),
            ],
        };
        // Payouts first on the same day: 100,000 - 150,000 < 0, nothing to lend.
        assert_eq!(pot.lendable().unwrap(), ngn("0"));
        let pot = PotPosition {
            balance: ngn("100000"),
            scheduled: vec![
                flow(4, FlowKind::Contribution, "60000"),
                flow(5, FlowKind::Payout, "150000"),
            ],
        };
        assert_eq!(pot.lendable().unwrap(), ngn("10000"));
        let bad = PotPosition {
            balance: ngn("1"),
            scheduled: vec![flow(1, FlowKind::Payout, "-1")],
        };
        assert!(matches!(
            bad.lendable(),
            Err(EligibilityError::NegativeAmount { .. })
        ));
        let kes = PotPosition {
            balance: ngn("1"),
            scheduled: vec![ScheduledFlow {
                date: day(1),
                kind: FlowKind::Payout,
                amount: Money::parse("1", Currency::KES).unwrap(),
            }],
        };
        assert!(matches!(
            kes.lendable(),
            Err(EligibilityError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn a_refusal_names_every_reason() {
        let member = MemberRecord::new(2, d("0.5"), ngn("10000"))
            .unwrap()
            .with_arrears(ngn("5000"))
            .unwrap()
            .with_outstanding_loans(ngn("40000"))
            .unwrap();
        let policy = LimitPolicy::new(d("3"), ngn("100000"))
            .unwrap()
            .min_score(60)
            .min_months_active(6);
        let pot = PotPosition {
            balance: ngn("50000"),
            scheduled: vec![ScheduledFlow {
                date: day(10),
                kind: FlowKind::Payout,
                amount: ngn("80000"),
            }],
        };
        let decision = loan_limit(&member, &pot, &policy, Some(ngn("1000"))).unwrap();
        assert!(!decision.is_eligible());
        assert_eq!(decision.limit, ngn("0"));
        // 8 + 15 + 3 = 26.
        assert_eq!(decision.score.score, 26);
        assert_eq!(
            decision.refusals,
            [
                Refusal::ScoreTooLow {
                    score: 26,
                    minimum: 60
                },
                Refusal::TooNew {
                    months_active: 2,
                    minimum: 6
                },
                Refusal::InArrears {
                    arrears: ngn("5000")
                },
                Refusal::NoContributionHeadroom {
                    allowed: ngn("30000"),
                    outstanding: ngn("40000")
                },
                Refusal::PotCannotLend,
            ]
        );
    }

    #[test]
    fn the_limit_is_the_smallest_cap() {
        let member = MemberRecord::new(12, d("1"), ngn("33333.33"))
            .unwrap()
            .with_outstanding_loans(ngn("10000"))
            .unwrap();
        let policy = LimitPolicy::new(d("1.5"), ngn("45000")).unwrap();
        let rich_pot = PotPosition {
            balance: ngn("1000000"),
            scheduled: vec![],
        };
        let decision = loan_limit(&member, &rich_pot, &policy, None).unwrap();
        // 1.5 x 33,333.33 = 49,999.995, rounded down, less 10,000 owed.
        assert_eq!(decision.by_contributions, ngn("39999.99"));
        assert_eq!(decision.limit, ngn("39999.99"));
        assert!(decision.is_eligible());
        let capped = LimitPolicy::new(d("10"), ngn("45000")).unwrap();
        assert_eq!(
            loan_limit(&member, &rich_pot, &capped, None).unwrap().limit,
            ngn("45000")
        );
        assert!(matches!(
            loan_limit(&member, &rich_pot, &policy, Some(ngn("-1"))),
            Err(EligibilityError::NegativeAmount {
                field: "requested",
                ..
            })
        ));
        let kes_pot = PotPosition {
            balance: Money::parse("1", Currency::KES).unwrap(),
            scheduled: vec![],
        };
        assert!(matches!(
            loan_limit(&member, &kes_pot, &policy, None),
            Err(EligibilityError::CurrencyMismatch {
                field: "pot balance",
                ..
            })
        ));
    }
}
