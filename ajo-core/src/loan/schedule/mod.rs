//! Amortization: the installments of a loan, exactly as reference README §3 computes them,
//! plus grace periods and upfront fees.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{LoanError, LoanRates, LoanTerms, Method};
use crate::money::{Currency, Money};

mod rows;

pub(crate) use rows::{Accrual, Sizing, Slot, balance_rows, clamp, even_share, flat_rows, slots};

/// What falls due in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PeriodKind {
    /// Interest grace: nothing due; the period's interest is capitalised.
    NothingDue,
    /// Principal grace: the period's interest only.
    InterestOnly,
    /// Principal and interest.
    Repayment,
}

/// One installment of a [`Schedule`]: what falls due on one date.
///
/// Amounts are in the loan's currency and never negative. The balance is what interest
/// accrues on: principal outstanding plus capitalised interest not yet repaid, so
/// `closing_balance = opening_balance + capitalised - principal - capitalised_repaid`
/// (without interest grace, simply `opening_balance - principal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Installment {
    /// `k`, from 1; it falls due `k` periods after disbursement.
    pub number: u32,
    /// When it falls due.
    pub due_date: NaiveDate,
    /// What kind of period it closes.
    pub kind: PeriodKind,
    /// The balance at the start of the period.
    pub opening_balance: Money,
    /// Principal due.
    pub principal: Money,
    /// Interest due: the period's interest, plus any capitalised interest this
    /// installment repays (`capitalised_repaid`).
    pub interest: Money,
    /// Upfront fees due with this installment.
    pub fee: Money,
    /// The installment: `principal + interest + fee`.
    pub total: Money,
    /// The period's interest added to the balance instead of falling due (interest
    /// grace only).
    pub capitalised: Money,
    /// The part of `interest` that repays earlier capitalised interest.
    pub capitalised_repaid: Money,
    /// The balance at the end of the period.
    pub closing_balance: Money,
}

impl Installment {
    /// The interest the period itself earned (due now or capitalised):
    /// `HALF_EVEN(opening_balance * R / m)` for reducing-balance methods.
    pub fn period_interest(&self) -> Money {
        // Both terms come from the same currency and were checked when the row was built.
        self.interest
            .checked_sub(self.capitalised_repaid)
            .and_then(|i| i.checked_add(self.capitalised))
            .unwrap_or(self.interest)
    }
}

/// A loan's full repayment schedule with its totals.
///
/// ```
/// use ajo_core::loan::{LoanTerms, Schedule};
/// use ajo_core::money::{Currency, Money};
/// use chrono::NaiveDate;
///
/// let terms = LoanTerms::builder(
///     Money::parse("50000", Currency::NGN)?,
///     "0.18".parse()?,
///     6,
///     NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
/// )
/// .build()?;
/// let schedule = Schedule::new(&terms)?;
/// assert_eq!(schedule.regular_installment().unwrap().human().to_string(), "₦8,776.26");
/// let last = schedule.rows().last().unwrap();
/// assert_eq!(last.total.human().to_string(), "₦8,776.27"); // absorbs the rounding residue
/// assert_eq!(schedule.total_interest()?.human().to_string(), "₦2,657.57");
/// assert_eq!(schedule.rates()?.rounded(6).apr.to_string(), "0.180000");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    terms: LoanTerms,
    rows: Vec<Installment>,
    regular_installment: Option<Money>,
    installment_unrounded: Option<Decimal>,
    regular_principal: Option<Money>,
    flat_total_interest: Option<Money>,
    deducted_fees: Money,
}

impl Schedule {
    /// The schedule of `terms`.
    ///
    /// Rows follow reference README §3 to the minor unit: interest
    /// `HALF_EVEN(balance * R / m)` (multiplied before divided), regular amounts rounded
    /// half-even once, the last row absorbing the residue. Two guards the reference
    /// never needs: a row never takes more principal than is outstanding (so a tiny
    /// principal over a long term ends early with zero rows instead of a negative last
    /// row), and every amount is checked for overflow.
    ///
    /// # Errors
    /// [`LoanError::Calendar`] if a due date is past the calendar's end, or
    /// [`LoanError::Money`] on overflow.
    pub fn new(terms: &LoanTerms) -> Result<Schedule, LoanError> {
        let slots = slots(terms, 1)?;
        let accrual = Accrual::of(terms);
        let principal = terms.principal();
        let zero = Money::zero(principal.currency());
        let fees = terms.fee_totals()?;
        let mut flat_total_interest = None;
        let out = match terms.method() {
            Method::Annuity | Method::EqualPrincipal => balance_rows(
                &accrual,
                terms.method(),
                principal,
                zero,
                &slots,
                Sizing::Fresh,
            )?,
            Method::Flat => {
                let total_interest = accrual.flat_interest(principal, terms.term())?;
                flat_total_interest = Some(total_interest);
                flat_rows(principal, total_interest, &slots)?
            }
        };
        let mut rows = out.rows;
        if let Some(first) = rows.first_mut() {
            first.fee = fees.first_installment;
            first.total = first.total.checked_add(fees.first_installment)?;
        }
        let (regular_installment, regular_principal) = match terms.method() {
            Method::EqualPrincipal => (None, out.regular),
            Method::Annuity | Method::Flat => (out.regular, None),
        };
        Ok(Schedule {
            terms: terms.clone(),
            rows,
            regular_installment,
            installment_unrounded: out.unrounded,
            regular_principal,
            flat_total_interest,
            deducted_fees: fees.deducted,
        })
    }

    /// The terms the schedule was built from.
    pub fn terms(&self) -> &LoanTerms {
        &self.terms
    }

    /// The installments, first to last; one per period, grace periods included.
    pub fn rows(&self) -> &[Installment] {
        &self.rows
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.terms.principal().currency()
    }

    /// The regular installment: the rounded annuity `A` (annuity), or the principal plus
    /// interest share of the regular rows (flat); `None` for equal principal, whose
    /// installments all differ.
    pub fn regular_installment(&self) -> Option<Money> {
        self.regular_installment
    }

    /// The exact annuity installment `A*` before rounding (annuity only).
    pub fn installment_unrounded(&self) -> Option<Decimal> {
        self.installment_unrounded
    }

    /// The regular principal portion `HALF_EVEN(P / n)` (equal principal only).
    pub fn regular_principal(&self) -> Option<Money> {
        self.regular_principal
    }

    /// The flat loan's total interest `HALF_EVEN(P * R * n / m)` (flat only).
    pub fn flat_total_interest(&self) -> Option<Money> {
        self.flat_total_interest
    }

    /// The principal; the rows' principal portions sum to it exactly.
    pub fn total_principal(&self) -> Money {
        self.terms.principal()
    }

    /// Interest due over the whole schedule (capitalised interest counts once, when it
    /// is repaid).
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn total_interest(&self) -> Result<Money, LoanError> {
        self.sum(|r| r.interest)
    }

    /// Every upfront fee, deducted or added to the first installment.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn total_fees(&self) -> Result<Money, LoanError> {
        Ok(self.sum(|r| r.fee)?.checked_add(self.deducted_fees)?)
    }

    /// Fees taken out of the disbursement.
    pub fn deducted_fees(&self) -> Money {
        self.deducted_fees
    }

    /// What the borrower pays in installments: the sum of every row's total.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn total_payable(&self) -> Result<Money, LoanError> {
        self.sum(|r| r.total)
    }

    /// What the borrower receives: the principal less the deducted fees.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn net_disbursed(&self) -> Result<Money, LoanError> {
        Ok(self.terms.principal().checked_sub(self.deducted_fees)?)
    }

    /// The periodic IRR, nominal APR and effective annual rate of the cash flows: the
    /// borrower receives [`net_disbursed`](Self::net_disbursed) at time 0 and pays each
    /// row's total at the end of its period. With no fees these are the reference
    /// figures; fees raise them to the loan's true cost.
    ///
    /// # Errors
    /// As [`LoanRates::from_cash_flows`].
    pub fn rates(&self) -> Result<LoanRates, LoanError> {
        let payments: Vec<Money> = self.rows.iter().map(|r| r.total).collect();
        // The nominal periodic rate is where the answer usually is (exactly, but for
        // rounding, for a reducing-balance loan without fees).
        let guess = self
            .terms
            .annual_rate()
            .checked_div(Decimal::from(self.terms.periods_per_year()))
            .unwrap_or(Decimal::ZERO);
        LoanRates::from_cash_flows_near(
            self.net_disbursed()?,
            &payments,
            self.terms.periods_per_year(),
            guess,
        )
    }

    fn sum(&self, field: impl Fn(&Installment) -> Money) -> Result<Money, LoanError> {
        let mut total = Money::zero(self.currency());
        for row in &self.rows {
            total = total.checked_add(field(row))?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests;
