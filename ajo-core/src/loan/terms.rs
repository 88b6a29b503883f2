//! What a loan is: principal, rate, term, method, frequency, grace and upfront fees.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::LoanError;
use crate::calendar::Frequency;
use crate::money::{Money, Rounding};

/// The largest number of installments a loan may have (23 years of weekly
/// installments, 100 years of monthly ones). It bounds the work a schedule takes.
pub const MAX_TERM: u32 = 1_200;

/// The largest nominal annual rate accepted, as a fraction: 100 is 10,000 % a year.
pub const MAX_ANNUAL_RATE: Decimal = Decimal::ONE_HUNDRED;

/// How installments are sized (reference README §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// Reducing balance with equal installments: each installment pays the period's
    /// interest on the balance and the rest goes to principal.
    Annuity,
    /// Declining balance with equal principal portions: installments shrink as the
    /// balance does.
    EqualPrincipal,
    /// Flat (add-on) rate: interest on the original principal for the whole term, fixed
    /// at signing and spread evenly.
    Flat,
}

impl Method {
    /// The name used in the reference cases (`annuity`, `equal_principal`, `flat`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Annuity => "annuity",
            Method::EqualPrincipal => "equal_principal",
            Method::Flat => "flat",
        }
    }
}

/// How large an upfront fee is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FeeAmount {
    /// A fixed amount, in the loan's currency.
    Fixed {
        /// The fee.
        amount: Money,
    },
    /// A fraction of the principal (`0.02` is 2 %), rounded half-even to minor units.
    Percentage {
        /// The fraction.
        rate: Decimal,
    },
}

/// When an upfront fee is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FeeCollection {
    /// Taken out of the money disbursed: the borrower receives the principal less the
    /// fee and still repays the whole principal.
    Deducted,
    /// Added to the first installment (on its due date, even inside a grace period).
    FirstInstallment,
}

/// A fee charged once, when the loan is made (an arrangement or processing fee).
///
/// Fees are part of the cash flows the APR is computed from, so the rate a borrower is
/// shown is the true cost of the loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpfrontFee {
    /// How large it is.
    pub amount: FeeAmount,
    /// When it is collected.
    pub collection: FeeCollection,
}

impl UpfrontFee {
    /// A fixed fee.
    pub fn fixed(amount: Money, collection: FeeCollection) -> UpfrontFee {
        UpfrontFee {
            amount: FeeAmount::Fixed { amount },
            collection,
        }
    }

    /// A fee of `rate` times the principal (`0.02` is 2 %).
    pub fn percentage(rate: Decimal, collection: FeeCollection) -> UpfrontFee {
        UpfrontFee {
            amount: FeeAmount::Percentage { rate },
            collection,
        }
    }

    /// The fee on `principal`: the fixed amount, or `HALF_EVEN(principal * rate)`.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow or a fixed fee in another currency.
    pub fn on(&self, principal: Money) -> Result<Money, LoanError> {
        match self.amount {
            FeeAmount::Fixed { amount } => {
                Ok(Money::zero(principal.currency()).checked_add(amount)?)
            }
            FeeAmount::Percentage { rate } => Ok(principal.mul_rounded(rate, Rounding::HalfEven)?),
        }
    }
}

/// The terms of a loan, checked once by [`LoanTermsBuilder::build`].
///
/// ```
/// use ajo_core::calendar::Frequency;
/// use ajo_core::loan::{LoanTerms, Method};
/// use ajo_core::money::{Currency, Money};
/// use chrono::NaiveDate;
///
/// let terms = LoanTerms::builder(
///     Money::parse("50000", Currency::NGN)?,
///     "0.18".parse()?,
///     6,
///     NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
/// )
/// .method(Method::Annuity)
/// .frequency(Frequency::Monthly)
/// .build()?;
/// assert_eq!(terms.term(), 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LoanTermsBuilder", into = "LoanTermsBuilder")]
pub struct LoanTerms {
    principal: Money,
    annual_rate: Decimal,
    term: u32,
    method: Method,
    frequency: Frequency,
    periods_per_year: u32,
    disbursement_date: NaiveDate,
    principal_grace: u32,
    interest_grace: u32,
    fees: Vec<UpfrontFee>,
}

/// Builds [`LoanTerms`]; defaults: annuity, monthly, no grace, no fees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
pub struct LoanTermsBuilder {
    principal: Money,
    annual_rate: Decimal,
    term: u32,
    method: Method,
    frequency: Frequency,
    disbursement_date: NaiveDate,
    #[serde(default)]
    principal_grace: u32,
    #[serde(default)]
    interest_grace: u32,
    #[serde(default)]
    fees: Vec<UpfrontFee>,
}

impl LoanTerms {
    /// Starts terms for `principal` at the nominal `annual_rate` (a fraction: `0.18` is
    /// 18 % a year) over `term` installments, disbursed on `disbursement_date`.
    pub fn builder(
        principal: Money,
        annual_rate: Decimal,
        term: u32,
        disbursement_date: NaiveDate,
    ) -> LoanTermsBuilder {
        LoanTermsBuilder {
            principal,
            annual_rate,
            term,
            method: Method::Annuity,
            frequency: Frequency::Monthly,
            disbursement_date,
            principal_grace: 0,
            interest_grace: 0,
            fees: Vec::new(),
        }
    }

    /// The amount lent.
    pub fn principal(&self) -> Money {
        self.principal
    }

    /// The nominal annual rate, as a fraction.
    pub fn annual_rate(&self) -> Decimal {
        self.annual_rate
    }

    /// The number of installments, grace periods included.
    pub fn term(&self) -> u32 {
        self.term
    }

    /// How installments are sized.
    pub fn method(&self) -> Method {
        self.method
    }

    /// How often installments fall due.
    pub fn frequency(&self) -> Frequency {
        self.frequency
    }

    /// Periods a year (`m`): 12 monthly, 26 every two weeks, 52 weekly, 365 daily.
    pub fn periods_per_year(&self) -> u32 {
        self.periods_per_year
    }

    /// The date the money is paid out; installment `k` falls due `k` periods after it.
    pub fn disbursement_date(&self) -> NaiveDate {
        self.disbursement_date
    }

    /// Leading periods with no principal due (they include the interest-grace periods).
    pub fn principal_grace(&self) -> u32 {
        self.principal_grace
    }

    /// Leading periods with nothing due, their interest capitalised.
    pub fn interest_grace(&self) -> u32 {
        self.interest_grace
    }

    /// Leading periods without principal: `max(principal_grace, interest_grace)`.
    pub fn periods_without_principal(&self) -> u32 {
        self.principal_grace.max(self.interest_grace)
    }

    /// The upfront fees.
    pub fn fees(&self) -> &[UpfrontFee] {
        &self.fees
    }

    /// The same terms disbursed on another date (what the lifecycle does when the money
    /// actually goes out).
    #[must_use]
    pub fn with_disbursement_date(&self, date: NaiveDate) -> LoanTerms {
        LoanTerms {
            disbursement_date: date,
            ..self.clone()
        }
    }

    /// The upfront fees on this principal, split by when they are collected.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn fee_totals(&self) -> Result<FeeTotals, LoanError> {
        let zero = Money::zero(self.principal.currency());
        let mut totals = FeeTotals {
            deducted: zero,
            first_installment: zero,
        };
        for fee in &self.fees {
            let amount = fee.on(self.principal)?;
            match fee.collection {
                FeeCollection::Deducted => totals.deducted = totals.deducted.checked_add(amount)?,
                FeeCollection::FirstInstallment => {
                    totals.first_installment = totals.first_installment.checked_add(amount)?;
                }
            }
        }
        Ok(totals)
    }
}

/// The upfront fees of a loan by when they are collected; see [`LoanTerms::fee_totals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeTotals {
    /// Taken out of the disbursement.
    pub deducted: Money,
    /// Added to the first installment.
    pub first_installment: Money,
}

impl FeeTotals {
    /// Both together.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn total(&self) -> Result<Money, LoanError> {
        Ok(self.deducted.checked_add(self.first_installment)?)
    }
}

impl LoanTermsBuilder {
    /// How installments are sized (default [`Method::Annuity`]).
    pub fn method(mut self, method: Method) -> LoanTermsBuilder {
        self.method = method;
        self
    }

    /// How often installments fall due (default [`Frequency::Monthly`]).
    pub fn frequency(mut self, frequency: Frequency) -> LoanTermsBuilder {
        self.frequency = frequency;
        self
    }

    /// Leading periods in which no principal is due: the borrower pays the period's
    /// interest only (Fineract's "grace on principal payment"). Counted from the first
    /// period, so they include any [`interest_grace`](Self::interest_grace) periods.
    pub fn principal_grace(mut self, periods: u32) -> LoanTermsBuilder {
        self.principal_grace = periods;
        self
    }

    /// Leading periods in which nothing is due; each period's interest is capitalised
    /// (added to the balance later interest accrues on and later installments repay).
    /// Counted from the first period; no principal is due in them either.
    pub fn interest_grace(mut self, periods: u32) -> LoanTermsBuilder {
        self.interest_grace = periods;
        self
    }

    /// Adds an upfront fee.
    pub fn fee(mut self, fee: UpfrontFee) -> LoanTermsBuilder {
        self.fees.push(fee);
        self
    }

    /// Checks the terms.
    ///
    /// # Errors
    /// - [`LoanError::NonPositivePrincipal`] for a principal of zero or less.
    /// - [`LoanError::NegativeRate`] or [`LoanError::RateTooHigh`] for a rate outside
    ///   `0..=MAX_ANNUAL_RATE`.
    /// - [`LoanError::TermOutOfRange`] for a term outside `1..=MAX_TERM`.
    /// - [`LoanError::UnsupportedFrequency`] for every-N-days.
    /// - [`LoanError::GraceTooLong`] when grace leaves no period to repay principal in.
    /// - [`LoanError::NegativeFee`], [`LoanError::CurrencyMismatch`] (a fixed fee in
    ///   another currency) or [`LoanError::FeesExceedPrincipal`] for fees.
    /// - [`LoanError::Money`] if a fee overflows.
    pub fn build(self) -> Result<LoanTerms, LoanError> {
        let principal = self.principal;
        if !principal.is_positive() {
            return Err(LoanError::NonPositivePrincipal { principal });
        }
        if self.annual_rate.is_sign_negative() && !self.annual_rate.is_zero() {
            return Err(LoanError::NegativeRate {
                rate: self.annual_rate,
            });
        }
        if self.annual_rate > MAX_ANNUAL_RATE {
            return Err(LoanError::RateTooHigh {
                rate: self.annual_rate,
                max: MAX_ANNUAL_RATE,
            });
        }
        if self.term == 0 || self.term > MAX_TERM {
            return Err(LoanError::TermOutOfRange {
                term: self.term,
                max: MAX_TERM,
            });
        }
        let periods_per_year =
            self.frequency
                .periods_per_year()
                .ok_or(LoanError::UnsupportedFrequency {
                    frequency: self.frequency,
                })?;
        let grace = self.principal_grace.max(self.interest_grace);
        if grace >= self.term {
            return Err(LoanError::GraceTooLong {
                grace,
                term: self.term,
            });
        }
        for (index, fee) in self.fees.iter().enumerate() {
            match fee.amount {
                FeeAmount::Fixed { amount } => {
                    if amount.currency() != principal.currency() {
                        return Err(LoanError::CurrencyMismatch {
                            field: "fee",
                            expected: principal.currency(),
                            got: amount.currency(),
                        });
                    }
                    if amount.is_negative() {
                        return Err(LoanError::NegativeFee { index });
                    }
                }
                FeeAmount::Percentage { rate } => {
                    if rate.is_sign_negative() && !rate.is_zero() {
                        return Err(LoanError::NegativeFee { index });
                    }
                }
            }
        }
        let terms = LoanTerms {
            principal,
            annual_rate: self.annual_rate.normalize(),
            term: self.term,
            method: self.method,
            frequency: self.frequency,
            periods_per_year,
            disbursement_date: self.disbursement_date,
            principal_grace: self.principal_grace,
            interest_grace: self.interest_grace,
            fees: self.fees,
        };
        let deducted = terms.fee_totals()?.deducted;
        if deducted >= principal {
            return Err(LoanError::FeesExceedPrincipal {
                deducted,
                principal,
            });
        }
        Ok(terms)
    }
}

impl TryFrom<LoanTermsBuilder> for LoanTerms {
    type Error = LoanError;

    fn try_from(builder: LoanTermsBuilder) -> Result<LoanTerms, LoanError> {
        builder.build()
    }
}

impl From<LoanTerms> for LoanTermsBuilder {
    fn from(terms: LoanTerms) -> LoanTermsBuilder {
        LoanTermsBuilder {
            principal: terms.principal,
            annual_rate: terms.annual_rate,
            term: terms.term,
            method: terms.method,
            frequency: terms.frequency,
            disbursement_date: terms.disbursement_date,
            principal_grace: terms.principal_grace,
            interest_grace: terms.interest_grace,
            fees: terms.fees,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{Currency, MoneyError};

    fn ngn(s: &str) -> Money {
        Money::parse(s, Currency::NGN).unwrap()
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()
    }

    fn base() -> LoanTermsBuilder {
        LoanTerms::builder(ngn("1000"), Decimal::new(18, 2), 6, day())
    }

    #[test]
    fn every_setting_is_checked() {
        assert_eq!(
            LoanTerms::builder(ngn("0"), Decimal::ONE, 6, day()).build(),
            Err(LoanError::NonPositivePrincipal {
                principal: ngn("0")
            })
        );
        assert!(matches!(
            LoanTerms::builder(ngn("-1"), Decimal::ONE, 6, day()).build(),
            Err(LoanError::NonPositivePrincipal { .. })
        ));
        assert_eq!(
            LoanTerms::builder(ngn("1"), Decimal::new(-1, 2), 6, day()).build(),
            Err(LoanError::NegativeRate {
                rate: Decimal::new(-1, 2)
            })
        );
        assert!(matches!(
            LoanTerms::builder(ngn("1"), Decimal::from(101), 6, day()).build(),
            Err(LoanError::RateTooHigh { .. })
        ));
        assert!(
            LoanTerms::builder(ngn("1"), MAX_ANNUAL_RATE, 6, day())
                .build()
                .is_ok()
        );
        for term in [0, MAX_TERM + 1] {
            assert_eq!(
                LoanTerms::builder(ngn("1"), Decimal::ONE, term, day()).build(),
                Err(LoanError::TermOutOfRange {
                    term,
                    max: MAX_TERM
                })
            );
        }
        assert_eq!(
            base().frequency(Frequency::EveryNDays(10)).build(),
            Err(LoanError::UnsupportedFrequency {
                frequency: Frequency::EveryNDays(10)
            })
        );
        assert_eq!(
            base().principal_grace(6).build(),
            Err(LoanError::GraceTooLong { grace: 6, term: 6 })
        );
        assert_eq!(
            base().principal_grace(2).interest_grace(6).build(),
            Err(LoanError::GraceTooLong { grace: 6, term: 6 })
        );
        assert!(base().principal_grace(5).interest_grace(3).build().is_ok());
    }

    #[test]
    fn fees_are_checked() {
        let deducted = FeeCollection::Deducted;
        assert_eq!(
            base()
                .fee(UpfrontFee::fixed(ngn("1"), deducted))
                .fee(UpfrontFee::fixed(ngn("-1"), deducted))
                .build(),
            Err(LoanError::NegativeFee { index: 1 })
        );
        assert_eq!(
            base()
                .fee(UpfrontFee::percentage(Decimal::new(-1, 2), deducted))
                .build(),
            Err(LoanError::NegativeFee { index: 0 })
        );
        let kes = Money::parse("1", Currency::KES).unwrap();
        assert!(matches!(
            base().fee(UpfrontFee::fixed(kes, deducted)).build(),
            Err(LoanError::CurrencyMismatch { field: "fee", .. })
        ));
        assert_eq!(
            base().fee(UpfrontFee::fixed(ngn("1000"), deducted)).build(),
            Err(LoanError::FeesExceedPrincipal {
                deducted: ngn("1000"),
                principal: ngn("1000")
            })
        );
        // Added to the first installment, a fee may exceed the principal.
        assert!(
            base()
                .fee(UpfrontFee::fixed(
                    ngn("2000"),
                    FeeCollection::FirstInstallment
                ))
                .build()
                .is_ok()
        );
        let terms = base()
            .fee(UpfrontFee::percentage(
                Decimal::new(25, 3),
                FeeCollection::Deducted,
            ))
            .fee(UpfrontFee::fixed(
                ngn("10.10"),
                FeeCollection::FirstInstallment,
            ))
            .build()
            .unwrap();
        let totals = terms.fee_totals().unwrap();
        assert_eq!(totals.deducted, ngn("25"));
        assert_eq!(totals.first_installment, ngn("10.10"));
        assert_eq!(totals.total().unwrap(), ngn("35.10"));
        // A percentage fee is rounded half-even: 2.5 % of 10.10 is 0.2525 -> 0.25.
        let fee = UpfrontFee::percentage(Decimal::new(25, 3), FeeCollection::Deducted);
        assert_eq!(fee.on(ngn("10.10")).unwrap(), ngn("0.25"));
        let huge = Money::from_minor(crate::money::MAX_MINOR, Currency::NGN).unwrap();
        assert!(matches!(
            UpfrontFee::percentage(Decimal::from(2), FeeCollection::Deducted).on(huge),
            Err(LoanError::Money(MoneyError::Overflow { .. }))
        ));
    }

    #[test]
    fn deserializing_checks_the_terms_again() {
        let terms = base().principal_grace(1).build().unwrap();
        let json = serde_json::to_string(&terms).unwrap();
        assert_eq!(serde_json::from_str::<LoanTerms>(&json).unwrap(), terms);
        let bad = json.replace("\"term\":6", "\"term\":0");
        assert!(serde_json::from_str::<LoanTerms>(&bad).is_err());
    }
}
