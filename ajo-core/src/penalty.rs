//! Late penalties: what paying late costs, as of a date.
//!
//! The rules are the reference specification's, shared by contributions and loan
//! installments:
//!
//! 1. `days_late = max(0, as_of - due_date)` in calendar days;
//! 2. `chargeable_days = max(0, days_late - grace_days)`: grace days are deducted, so
//!    paying on the last grace day costs nothing;
//! 3. nothing is charged with no chargeable day or nothing overdue; otherwise a flat fee
//!    (once), a percentage of the overdue amount (once), or a daily accrual on it
//!    (simple, not compounded), capped by a rate of the overdue amount and/or an absolute
//!    amount, the caps compared exactly before rounding;
//! 4. one half-even rounding to minor units, at the very end.
//!
//! An assessment is the *total* penalty as of a date, not an increment: assessing the
//! same due for the same day twice gives the same figure, which is what makes applying
//! penalties idempotent (the caller posts only the difference from what it charged
//! before).
//!
//! ```
//! use ajo_core::money::{Currency, Money};
//! use ajo_core::penalty::{PenaltyKind, PenaltyRule};
//! use chrono::NaiveDate;
//!
//! let rule = PenaltyRule::new(PenaltyKind::DailyAccrual {
//!     daily_rate: "0.001".parse()?,
//!     cap_rate: Some("0.10".parse()?),
//!     cap_amount: None,
//! }, 5)?;
//! let overdue = Money::parse("25000.00", Currency::NGN)?;
//! let due = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
//! let as_of = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
//! let assessed = rule.assess(overdue, due, as_of)?;
//! assert_eq!((assessed.days_late, assessed.chargeable_days), (30, 25));
//! assert_eq!(assessed.penalty.human().to_string(), "₦625.00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::money::{Money, MoneyError, Rounding};

/// How a penalty is computed once a due is late past its grace period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PenaltyKind {
    /// No penalty, however late.
    None,
    /// A fixed fee, charged once.
    FlatFee {
        /// The fee.
        fee: Money,
    },
    /// A fraction of the overdue amount, charged once.
    Percentage {
        /// The fraction (`0.05` is 5 %).
        rate: Decimal,
    },
    /// A fraction of the overdue amount per chargeable day, simple interest, optionally
    /// capped.
    DailyAccrual {
        /// The fraction per day (`0.001` is 0.1 % a day).
        daily_rate: Decimal,
        /// Cap as a fraction of the overdue amount.
        cap_rate: Option<Decimal>,
        /// Absolute cap.
        cap_amount: Option<Money>,
    },
}

/// A penalty kind with its grace period, checked once at construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyRule {
    kind: PenaltyKind,
    grace_days: u32,
}

/// The outcome of [`PenaltyRule::assess`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyAssessment {
    /// Calendar days after the due date (0 when paid on time or early).
    pub days_late: u32,
    /// Days late beyond the grace period.
    pub chargeable_days: u32,
    /// The total penalty, rounded half-even to minor units.
    pub penalty: Money,
    /// Whether a cap was binding (daily accrual only).
    pub capped: bool,
}

/// Why a penalty rule or assessment was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PenaltyError {
    /// A rate or cap below zero.
    #[error("{field} must not be negative")]
    NegativeRate {
        /// Which setting.
        field: &'static str,
    },
    /// A fee or cap amount below zero.
    #[error("{field} must not be negative")]
    NegativeAmount {
        /// Which setting.
        field: &'static str,
    },
    /// The overdue amount is negative.
    #[error("overdue amount must not be negative")]
    NegativeOverdue,
    /// The rule's fee or cap is in another currency than the overdue amount.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl PenaltyRule {
    /// A rule with `grace_days` days of grace.
    ///
    /// # Errors
    /// [`PenaltyError::NegativeRate`] or [`PenaltyError::NegativeAmount`] for a negative
    /// setting.
    pub fn new(kind: PenaltyKind, grace_days: u32) -> Result<PenaltyRule, PenaltyError> {
        let rate = |field, value: &Decimal| {
            if value.is_sign_negative() && !value.is_zero() {
                Err(PenaltyError::NegativeRate { field })
            } else {
                Ok(())
            }
        };
        let amount = |field, value: &Money| {
            if value.is_negative() {
                Err(PenaltyError::NegativeAmount { field })
            } else {
                Ok(())
            }
        };
        match &kind {
            PenaltyKind::None => {}
            PenaltyKind::FlatFee { fee } => amount("fee", fee)?,
            PenaltyKind::Percentage { rate: r } => rate("rate", r)?,
            PenaltyKind::DailyAccrual {
                daily_rate,
                cap_rate,
                cap_amount,
            } => {
                rate("daily_rate", daily_rate)?;
                if let Some(cap) = cap_rate {
                    rate("cap_rate", cap)?;
                }
                if let Some(cap) = cap_amount {
                    amount("cap_amount", cap)?;
                }
            }
        }
        Ok(PenaltyRule { kind, grace_days })
    }

    /// No penalty.
    pub fn none() -> PenaltyRule {
        PenaltyRule {
            kind: PenaltyKind::None,
            grace_days: 0,
        }
    }

    /// The kind.
    pub fn kind(&self) -> &PenaltyKind {
        &self.kind
    }

    /// Days of grace after the due date.
    pub fn grace_days(&self) -> u32 {
        self.grace_days
    }

    /// The total penalty on `overdue`, due on `due_date`, as of `as_of` (the payment
    /// date, or today for something still unpaid).
    ///
    /// # Errors
    /// - [`PenaltyError::NegativeOverdue`] for a negative overdue amount.
    /// - [`PenaltyError::Money`] with [`MoneyError::CurrencyMismatch`] when the rule's fee
    ///   or cap is in another currency, or [`MoneyError::Overflow`].
    pub fn assess(
        &self,
        overdue: Money,
        due_date: NaiveDate,
        as_of: NaiveDate,
    ) -> Result<PenaltyAssessment, PenaltyError> {
        if overdue.is_negative() {
            return Err(PenaltyError::NegativeOverdue);
        }
        let currency = overdue.currency();
        let days_late = u32::try_from((as_of - due_date).num_days().max(0)).unwrap_or(u32::MAX);
        let chargeable_days = days_late.saturating_sub(self.grace_days);
        let zero = Money::zero(currency);
        let mut assessment = PenaltyAssessment {
            days_late,
            chargeable_days,
            penalty: zero,
            capped: false,
        };
        if chargeable_days == 0 || overdue.is_zero() {
            // A fee in the wrong currency is still an error, even when nothing is charged.
            if let PenaltyKind::FlatFee { fee } = &self.kind {
                zero.checked_add(*fee)?;
            }
            return Ok(assessment);
        }
        let overflow = || MoneyError::Overflow {
            operation: "penalty",
        };
        let base = overdue.amount();
        match &self.kind {
            PenaltyKind::None => {}
            PenaltyKind::FlatFee { fee } => assessment.penalty = zero.checked_add(*fee)?,
            PenaltyKind::Percentage { rate } => {
                assessment.penalty = overdue.mul_rounded(*rate, Rounding::HalfEven)?;
            }
            PenaltyKind::DailyAccrual {
                daily_rate,
                cap_rate,
                cap_amount,
            } => {
                let accrued = base
                    .checked_mul(*daily_rate)
                    .and_then(|v| v.checked_mul(Decimal::from(chargeable_days)))
                    .ok_or_else(overflow)?;
                let mut exact = accrued;
                if let Some(rate) = cap_rate {
                    let cap = base.checked_mul(*rate).ok_or_else(overflow)?;
                    exact = exact.min(cap);
                }
                if let Some(cap) = cap_amount {
                    exact = exact.min(zero.checked_add(*cap)?.amount());
                }
                assessment.capped = exact < accrued;
                assessment.penalty =
                    Money::from_decimal_rounded(exact, currency, Rounding::HalfEven)?;
            }
        }
        Ok(assessment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ngn(s: &str) -> Money {
        Money::parse(s, Currency::NGN).unwrap()
    }

    #[test]
    fn settings_are_checked() {
        let neg = Decimal::new(-1, 2);
        assert_eq!(
            PenaltyRule::new(PenaltyKind::Percentage { rate: neg }, 0),
            Err(PenaltyError::NegativeRate { field: "rate" })
        );
        assert_eq!(
            PenaltyRule::new(
                PenaltyKind::DailyAccrual {
                    daily_rate: Decimal::ONE,
                    cap_rate: Some(neg),
                    cap_amount: None
                },
                0
            ),
            Err(PenaltyError::NegativeRate { field: "cap_rate" })
        );
        assert_eq!(
            PenaltyRule::new(
                PenaltyKind::DailyAccrual {
                    daily_rate: Decimal::ONE,
                    cap_rate: None,
                    cap_amount: Some(ngn("-1"))
                },
                0
            ),
            Err(PenaltyError::NegativeAmount {
                field: "cap_amount"
            })
        );
        assert_eq!(
            PenaltyRule::new(PenaltyKind::FlatFee { fee: ngn("-1") }, 0),
            Err(PenaltyError::NegativeAmount { field: "fee" })
        );
    }

    #[test]
    fn assessment_errors() {
        let rule = PenaltyRule::new(PenaltyKind::FlatFee { fee: ngn("500") }, 0).unwrap();
        assert_eq!(
            rule.assess(ngn("-1"), d(2026, 1, 1), d(2026, 1, 9)),
            Err(PenaltyError::NegativeOverdue)
        );
        let kes = Money::parse("100", Currency::KES).unwrap();
        assert!(matches!(
            rule.assess(kes, d(2026, 1, 1), d(2026, 1, 9)),
            Err(PenaltyError::Money(MoneyError::CurrencyMismatch { .. }))
        ));
        assert!(matches!(
            rule.assess(kes, d(2026, 1, 1), d(2026, 1, 1)),
            Err(PenaltyError::Money(MoneyError::CurrencyMismatch { .. }))
        ));
    }

    #[test]
    fn nothing_is_charged_in_grace_early_or_on_nothing() {
        let rule = PenaltyRule::new(
            PenaltyKind::Percentage {
                rate: Decimal::new(5, 2),
            },
            3,
        )
        .unwrap();
        for (overdue, as_of) in [
            ("100", d(2026, 1, 4)),
            ("100", d(2025, 12, 1)),
            ("0", d(2026, 3, 1)),
        ] {
            let a = rule.assess(ngn(overdue), d(2026, 1, 1), as_of).unwrap();
            assert!(a.penalty.is_zero(), "{overdue} {as_of}");
        }
        let none = PenaltyRule::none()
            .assess(ngn("100"), d(2026, 1, 1), d(2026, 6, 1))
            .unwrap();
        assert_eq!((none.days_late, none.penalty), (151, ngn("0")));
    }

    #[test]
    fn assessing_twice_gives_the_same_total() {
        let rule = PenaltyRule::new(
            PenaltyKind::DailyAccrual {
                daily_rate: Decimal::new(1, 3),
                cap_rate: None,
                cap_amount: Some(ngn("50")),
            },
            0,
        )
        .unwrap();
        let a = rule
            .assess(ngn("10000"), d(2026, 1, 1), d(2026, 1, 4))
            .unwrap();
        let b = rule
            .assess(ngn("10000"), d(2026, 1, 1), d(2026, 1, 4))
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.penalty, ngn("30"));
        let later = rule
            .assess(ngn("10000"), d(2026, 1, 1), d(2026, 2, 1))
            .unwrap();
        assert_eq!((later.penalty, later.capped), (ngn("50"), true));
    }
}
