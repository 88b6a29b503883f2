//! Loan limits that keep every scheduled payout covered.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::score::{check_currency, non_negative};
use super::{EligibilityError, MemberRecord, Score, ScoreWeights, score};
use crate::money::{Money, Rounding};

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
    /// The member defaulted on past loans.
    DefaultedBefore {
        /// How many.
        loans: u32,
    },
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
    let currency = member.total_contributed().currency();
    check_currency("pot balance", currency, pot.balance)?;
    check_currency("max_loan", currency, policy.max_loan)?;
    if let Some(requested) = requested {
        check_currency("requested", currency, requested)?;
        non_negative("requested", requested)?;
    }
    let scored = score(member, policy.max_loan, &policy.weights)?;
    let zero = Money::zero(currency);
    let allowed = member
        .total_contributed()
        .mul_rounded(policy.contribution_multiple, Rounding::Down)?;
    let headroom = allowed.checked_sub(member.outstanding_loans())?;
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
    if member.months_active() < policy.min_months_active {
        refusals.push(Refusal::TooNew {
            months_active: member.months_active(),
            minimum: policy.min_months_active,
        });
    }
    if member.arrears().is_positive() {
        refusals.push(Refusal::InArrears {
            arrears: member.arrears(),
        });
    }
    if by_contributions.is_zero() {
        refusals.push(Refusal::NoContributionHeadroom {
            allowed,
            outstanding: member.outstanding_loans(),
        });
    }
    if by_pot.is_zero() {
        refusals.push(Refusal::PotCannotLend);
    }
    if member.defaulted_loans() > 0 {
        refusals.push(Refusal::DefaultedBefore {
            loans: member.defaulted_loans(),
        });
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
