//! Amortization: the installments of a loan, exactly as reference README §3 computes them,
//! plus grace periods and upfront fees.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::overflow;
use super::rate::powi;
use super::{LoanError, LoanRates, LoanTerms, Method};
use crate::calendar::due_date;
use crate::money::{Currency, Money, Rounding};

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

/// A period to schedule: its number, due date and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) number: u32,
    pub(crate) due_date: NaiveDate,
    pub(crate) kind: PeriodKind,
}

impl Slot {
    pub(crate) fn of(row: &Installment) -> Slot {
        Slot {
            number: row.number,
            due_date: row.due_date,
            kind: row.kind,
        }
    }
}

/// The periods of `terms` from number `from` to the term.
pub(crate) fn slots(terms: &LoanTerms, from: u32) -> Result<Vec<Slot>, LoanError> {
    let nothing_due = terms.interest_grace();
    let no_principal = terms.periods_without_principal();
    (from..=terms.term())
        .map(|number| {
            let kind = if number <= nothing_due {
                PeriodKind::NothingDue
            } else if number <= no_principal {
                PeriodKind::InterestOnly
            } else {
                PeriodKind::Repayment
            };
            Ok(Slot {
                number,
                due_date: due_date(terms.disbursement_date(), terms.frequency(), number)?,
                kind,
            })
        })
        .collect()
}

/// Interest at the loan's rate: `R / m` of a balance per period.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accrual {
    rate: Decimal,
    periods_per_year: Decimal,
    currency: Currency,
}

impl Accrual {
    pub(crate) fn of(terms: &LoanTerms) -> Accrual {
        Accrual {
            rate: terms.annual_rate(),
            periods_per_year: Decimal::from(terms.periods_per_year()),
            currency: terms.principal().currency(),
        }
    }

    /// `HALF_EVEN(balance * R / m)`: multiplied before divided, so exact ties stay exact.
    pub(crate) fn interest(&self, balance: Money) -> Result<Money, LoanError> {
        if self.rate.is_zero() || balance.is_zero() {
            return Ok(Money::zero(self.currency));
        }
        let exact = balance
            .amount()
            .checked_mul(self.rate)
            .and_then(|v| v.checked_div(self.periods_per_year))
            .ok_or_else(|| overflow("interest"))?;
        Ok(Money::from_decimal_rounded(
            exact,
            self.currency,
            Rounding::HalfEven,
        )?)
    }

    /// `HALF_EVEN(balance * R * days / (m * period_days))`: interest accrued pro rata
    /// within a period (reference README §3, early payoff).
    pub(crate) fn accrued(
        &self,
        balance: Money,
        days: i64,
        period_days: i64,
    ) -> Result<Money, LoanError> {
        if self.rate.is_zero() || balance.is_zero() || days <= 0 || period_days <= 0 {
            return Ok(Money::zero(self.currency));
        }
        let exact = balance
            .amount()
            .checked_mul(self.rate)
            .and_then(|v| v.checked_mul(Decimal::from(days)))
            .and_then(|v| {
                self.periods_per_year
                    .checked_mul(Decimal::from(period_days))
                    .and_then(|d| v.checked_div(d))
            })
            .ok_or_else(|| overflow("accrued interest"))?;
        Ok(Money::from_decimal_rounded(
            exact,
            self.currency,
            Rounding::HalfEven,
        )?)
    }

    /// The flat loan's total interest `HALF_EVEN(P * R * n / m)`.
    pub(crate) fn flat_interest(&self, principal: Money, term: u32) -> Result<Money, LoanError> {
        let exact = principal
            .amount()
            .checked_mul(self.rate)
            .and_then(|v| v.checked_mul(Decimal::from(term)))
            .and_then(|v| v.checked_div(self.periods_per_year))
            .ok_or_else(|| overflow("flat interest"))?;
        Ok(Money::from_decimal_rounded(
            exact,
            self.currency,
            Rounding::HalfEven,
        )?)
    }

    /// The exact annuity installment `A* = B r / (1 - (1 + r)^-n)` with `r = R / m`,
    /// computed as `B R / (m (1 - v^n))`, `v = m / (m + R)`; `B / n` at zero interest and
    /// `B (m + R) / m` for one period, both exact.
    pub(crate) fn annuity_exact(&self, balance: Money, periods: u32) -> Result<Decimal, LoanError> {
        let b = balance.amount();
        let (m, rate) = (self.periods_per_year, self.rate);
        let exact = if periods == 0 {
            Some(b)
        } else if rate.is_zero() {
            b.checked_div(Decimal::from(periods))
        } else if periods == 1 {
            m.checked_add(rate)
                .and_then(|g| b.checked_mul(g))
                .and_then(|v| v.checked_div(m))
        } else {
            m.checked_add(rate)
                .and_then(|g| m.checked_div(g))
                .and_then(|v| powi(v, periods))
                .and_then(|vn| Decimal::ONE.checked_sub(vn))
                .and_then(|d| m.checked_mul(d))
                .and_then(|denominator| {
                    b.checked_mul(rate)
                        .and_then(|numerator| numerator.checked_div(denominator))
                })
        };
        exact.ok_or_else(|| overflow("annuity"))
    }
}

/// How a reducing-balance run sizes its repayments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sizing {
    /// From the balance when repayment starts, over the repayment periods given: the
    /// rounded annuity (annuity) or the rounded even share (equal principal); the last
    /// repayment period takes what is left.
    Fresh,
    /// Keep this installment (annuity) or balance reduction (equal principal) and stop
    /// once the balance is repaid: fewer periods.
    Keep(Money),
}

pub(crate) struct Amortised {
    pub(crate) rows: Vec<Installment>,
    /// The annuity installment or equal principal portion used.
    pub(crate) regular: Option<Money>,
    pub(crate) unrounded: Option<Decimal>,
}

/// Rows of a reducing-balance loan (annuity or equal principal) over `slots`, from a
/// balance of `principal` plus `capitalised` interest not yet repaid.
pub(crate) fn balance_rows(
    accrual: &Accrual,
    method: Method,
    principal: Money,
    capitalised: Money,
    slots: &[Slot],
    sizing: Sizing,
) -> Result<Amortised, LoanError> {
    let zero = Money::zero(principal.currency());
    let repayment_periods = u32::try_from(
        slots
            .iter()
            .filter(|s| s.kind == PeriodKind::Repayment)
            .count(),
    )
    .map_err(|_| overflow("term"))?;
    let mut principal_out = principal;
    let mut capitalised_out = capitalised;
    let mut regular = match sizing {
        Sizing::Keep(amount) => Some(amount),
        Sizing::Fresh => None,
    };
    let mut unrounded = None;
    let mut seen = 0u32;
    let mut rows = Vec::with_capacity(slots.len());
    for slot in slots {
        let opening = principal_out.checked_add(capitalised_out)?;
        if matches!(sizing, Sizing::Keep(_)) && opening.is_zero() {
            break;
        }
        let accrued = accrual.interest(opening)?;
        let mut row = Installment {
            number: slot.number,
            due_date: slot.due_date,
            kind: slot.kind,
            opening_balance: opening,
            principal: zero,
            interest: zero,
            fee: zero,
            total: zero,
            capitalised: zero,
            capitalised_repaid: zero,
            closing_balance: opening,
        };
        match slot.kind {
            PeriodKind::NothingDue => {
                row.capitalised = accrued;
                capitalised_out = capitalised_out.checked_add(accrued)?;
            }
            PeriodKind::InterestOnly => row.interest = accrued,
            PeriodKind::Repayment => {
                seen += 1;
                let is_last = seen == repayment_periods;
                let regular = match regular {
                    Some(amount) => amount,
                    None => {
                        let left = repayment_periods.saturating_sub(seen).saturating_add(1);
                        let amount = match method {
                            Method::Annuity => {
                                let exact = accrual.annuity_exact(opening, left)?;
                                unrounded = Some(exact);
                                Money::from_decimal_rounded(
                                    exact,
                                    opening.currency(),
                                    Rounding::HalfEven,
                                )?
                            }
                            _ => even_share(opening, left)?,
                        };
                        regular = Some(amount);
                        amount
                    }
                };
                let wanted = if is_last {
                    opening
                } else if method == Method::Annuity {
                    regular.checked_sub(accrued)?
                } else {
                    regular
                };
                // Never negative, never more than is outstanding.
                let reduce = clamp(wanted, zero, opening)?;
                let repaid = clamp(reduce, zero, capitalised_out)?;
                row.capitalised_repaid = repaid;
                row.principal = reduce.checked_sub(repaid)?;
                row.interest = accrued.checked_add(repaid)?;
                capitalised_out = capitalised_out.checked_sub(repaid)?;
                principal_out = principal_out.checked_sub(row.principal)?;
            }
        }
        row.total = row.principal.checked_add(row.interest)?;
        row.closing_balance = principal_out.checked_add(capitalised_out)?;
        rows.push(row);
    }
    Ok(Amortised {
        rows,
        regular,
        unrounded,
    })
}

/// Rows of a flat-rate loan over `slots`: `total_interest` in even shares over every
/// period that is not interest grace, the principal in even shares over the repayment
/// periods, each last share taking the residue.
pub(crate) fn flat_rows(
    principal: Money,
    total_interest: Money,
    slots: &[Slot],
) -> Result<Amortised, LoanError> {
    let zero = Money::zero(principal.currency());
    let count = |f: fn(PeriodKind) -> bool| {
        u32::try_from(slots.iter().filter(|s| f(s.kind)).count()).map_err(|_| overflow("term"))
    };
    let interest_periods = count(|k| k != PeriodKind::NothingDue)?;
    let repayment_periods = count(|k| k == PeriodKind::Repayment)?;
    let interest_share = even_share(total_interest, interest_periods)?;
    let principal_share = even_share(principal, repayment_periods)?;
    let (mut interest_left, mut principal_left) = (total_interest, principal);
    let (mut interest_seen, mut principal_seen) = (0u32, 0u32);
    let mut rows = Vec::with_capacity(slots.len());
    for slot in slots {
        let opening = principal_left;
        let mut interest = zero;
        let mut principal_part = zero;
        if slot.kind != PeriodKind::NothingDue {
            interest_seen += 1;
            interest = if interest_seen == interest_periods {
                interest_left
            } else {
                clamp(interest_share, zero, interest_left)?
            };
            interest_left = interest_left.checked_sub(interest)?;
        }
        if slot.kind == PeriodKind::Repayment {
            principal_seen += 1;
            principal_part = if principal_seen == repayment_periods {
                principal_left
            } else {
                clamp(principal_share, zero, principal_left)?
            };
            principal_left = principal_left.checked_sub(principal_part)?;
        }
        rows.push(Installment {
            number: slot.number,
            due_date: slot.due_date,
            kind: slot.kind,
            opening_balance: opening,
            principal: principal_part,
            interest,
            fee: zero,
            total: principal_part.checked_add(interest)?,
            capitalised: zero,
            capitalised_repaid: zero,
            closing_balance: principal_left,
        });
    }
    Ok(Amortised {
        rows,
        regular: Some(principal_share.checked_add(interest_share)?),
        unrounded: None,
    })
}

/// `HALF_EVEN(total / parts)` (the whole for a single part, zero for none).
pub(crate) fn even_share(total: Money, parts: u32) -> Result<Money, LoanError> {
    if parts == 0 {
        return Ok(Money::zero(total.currency()));
    }
    let exact = total
        .amount()
        .checked_div(Decimal::from(parts))
        .ok_or_else(|| overflow("share"))?;
    Ok(Money::from_decimal_rounded(
        exact,
        total.currency(),
        Rounding::HalfEven,
    )?)
}

/// `value` brought into `low..=high` (all in one currency).
pub(crate) fn clamp(value: Money, low: Money, high: Money) -> Result<Money, LoanError> {
    let capped = value.checked_min(high)?;
    Ok(if capped.checked_min(low)? == capped {
        low
    } else {
        capped
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Frequency;
    use crate::loan::{FeeCollection, LoanTermsBuilder, UpfrontFee};
    use crate::money::MoneyError;

    fn ngn(s: &str) -> Money {
        Money::parse(s, Currency::NGN).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn terms(principal: &str, rate: &str, term: u32) -> LoanTermsBuilder {
        LoanTerms::builder(
            ngn(principal),
            rate.parse().unwrap(),
            term,
            day(2026, 1, 31),
        )
    }

    fn sum(rows: &[Installment], field: fn(&Installment) -> Money) -> Money {
        let all: Vec<Money> = rows.iter().map(field).collect();
        Money::checked_sum(Currency::NGN, &all).unwrap()
    }

    /// Invariants every schedule keeps, grace or not.
    fn assert_sound(schedule: &Schedule) {
        let rows = schedule.rows();
        assert_eq!(sum(rows, |r| r.principal), schedule.total_principal());
        let mut balance = schedule.total_principal();
        for row in rows {
            assert_eq!(row.opening_balance, balance, "row {}", row.number);
            for amount in [
                row.opening_balance,
                row.principal,
                row.interest,
                row.fee,
                row.capitalised,
                row.capitalised_repaid,
                row.closing_balance,
            ] {
                assert!(!amount.is_negative(), "row {}: {amount}", row.number);
            }
            let expected_total = row.principal.checked_add(row.interest).unwrap();
            assert_eq!(row.total, expected_total.checked_add(row.fee).unwrap());
            let closing = row
                .opening_balance
                .checked_add(row.capitalised)
                .unwrap()
                .checked_sub(row.principal)
                .unwrap()
                .checked_sub(row.capitalised_repaid)
                .unwrap();
            assert_eq!(row.closing_balance, closing, "row {}", row.number);
            balance = row.closing_balance;
        }
        assert!(balance.is_zero());
        assert_eq!(
            sum(rows, |r| r.capitalised),
            sum(rows, |r| r.capitalised_repaid)
        );
    }

    #[test]
    fn principal_grace_is_interest_only_then_amortises_the_rest() {
        let schedule = Schedule::new(
            &terms("12000", "0.24", 12)
                .principal_grace(3)
                .build()
                .unwrap(),
        )
        .unwrap();
        assert_sound(&schedule);
        let rows = schedule.rows();
        for row in &rows[..3] {
            assert_eq!(row.kind, PeriodKind::InterestOnly);
            assert_eq!((row.principal, row.interest), (ngn("0"), ngn("240")));
            assert_eq!(row.closing_balance, ngn("12000"));
        }
        // The rest is an annuity of 12,000 at 2 % a month over 9 months.
        let over_nine = Schedule::new(&terms("12000", "0.24", 9).build().unwrap()).unwrap();
        assert_eq!(
            schedule.regular_installment(),
            over_nine.regular_installment()
        );
        for (graced, plain) in rows[3..].iter().zip(over_nine.rows()) {
            assert_eq!(
                (graced.principal, graced.interest, graced.total),
                (plain.principal, plain.interest, plain.total)
            );
        }
        assert_eq!(rows[3].due_date, day(2026, 5, 31));
    }

    #[test]
    fn interest_grace_capitalises_then_repays_capitalised_interest_first() {
        let schedule =
            Schedule::new(&terms("10000", "0.12", 6).interest_grace(2).build().unwrap()).unwrap();
        assert_sound(&schedule);
        let rows = schedule.rows();
        // 1 % a month: 100.00 capitalised, then 101.00 on 10,100.00.
        assert_eq!(rows[0].kind, PeriodKind::NothingDue);
        assert_eq!((rows[0].total, rows[0].capitalised), (ngn("0"), ngn("100")));
        assert_eq!((rows[1].total, rows[1].capitalised), (ngn("0"), ngn("101")));
        assert_eq!(rows[1].closing_balance, ngn("10201"));
        // The annuity of 10,201.00 at 1 % over 4 months: 2,614.32; its first row repays
        // the 201.00 capitalised (as interest) before any principal.
        assert_eq!(schedule.regular_installment(), Some(ngn("2614.32")));
        let third = &rows[2];
        assert_eq!(third.capitalised_repaid, ngn("201"));
        assert_eq!(third.interest, ngn("303.01")); // 102.01 of the period + 201.00
        assert_eq!(third.principal, ngn("2311.31"));
        assert_eq!(third.period_interest(), ngn("102.01"));
        // Interest due sums to every period's interest, capitalised or not.
        let period: Vec<Money> = rows.iter().map(Installment::period_interest).collect();
        assert_eq!(
            schedule.total_interest().unwrap(),
            Money::checked_sum(Currency::NGN, &period).unwrap()
        );
    }

    #[test]
    fn grace_counts_from_the_first_period_as_in_fineract() {
        let schedule = Schedule::new(
            &terms("10000", "0.12", 8)
                .method(Method::EqualPrincipal)
                .principal_grace(3)
                .interest_grace(2)
                .build()
                .unwrap(),
        )
        .unwrap();
        assert_sound(&schedule);
        let kinds: Vec<PeriodKind> = schedule.rows().iter().map(|r| r.kind).collect();
        use PeriodKind::*;
        assert_eq!(
            kinds,
            [
                NothingDue,
                NothingDue,
                InterestOnly,
                Repayment,
                Repayment,
                Repayment,
                Repayment,
                Repayment
            ]
        );
        // The interest-only period pays interest on the capitalised balance.
        assert_eq!(schedule.rows()[2].interest, ngn("102.01"));
        // Equal principal over 5 periods of 10,201.00: 2,040.20 each.
        assert_eq!(schedule.regular_principal(), Some(ngn("2040.20")));
    }

    #[test]
    fn flat_grace_spreads_fixed_interest_over_periods_with_something_due() {
        let schedule = Schedule::new(
            &terms("12000", "0.12", 6)
                .method(Method::Flat)
                .principal_grace(2)
                .interest_grace(1)
                .build()
                .unwrap(),
        )
        .unwrap();
        assert_sound(&schedule);
        // 12,000 x 12 % x 6/12 = 720 over the 5 periods after the nothing-due one.
        assert_eq!(schedule.flat_total_interest(), Some(ngn("720")));
        let interest: Vec<Money> = schedule.rows().iter().map(|r| r.interest).collect();
        assert_eq!(
            interest,
            [
                ngn("0"),
                ngn("144"),
                ngn("144"),
                ngn("144"),
                ngn("144"),
                ngn("144")
            ]
        );
        let principal: Vec<Money> = schedule.rows().iter().map(|r| r.principal).collect();
        assert_eq!(
            principal,
            [
                ngn("0"),
                ngn("0"),
                ngn("3000"),
                ngn("3000"),
                ngn("3000"),
                ngn("3000")
            ]
        );
        assert_eq!(schedule.regular_installment(), Some(ngn("3144")));
    }

    #[test]
    fn fees_enter_the_cash_flows_and_raise_the_apr() {
        let plain = Schedule::new(&terms("50000", "0.18", 6).build().unwrap()).unwrap();
        let plain_rates = plain.rates().unwrap().rounded(6);
        assert_eq!(plain_rates.apr.to_string(), "0.180000");
        assert_eq!(plain.total_fees().unwrap(), ngn("0"));
        assert_eq!(plain.net_disbursed().unwrap(), ngn("50000"));

        let deducted = Schedule::new(
            &terms("50000", "0.18", 6)
                .fee(UpfrontFee::percentage(
                    "0.02".parse().unwrap(),
                    FeeCollection::Deducted,
                ))
                .build()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(deducted.net_disbursed().unwrap(), ngn("49000"));
        assert_eq!(deducted.total_fees().unwrap(), ngn("1000"));
        // The installments do not change; the borrower just receives less.
        assert_eq!(deducted.rows(), plain.rows());
        let with_fee = deducted.rates().unwrap();
        assert!(
            with_fee.apr > plain.rates().unwrap().apr + Decimal::new(5, 2),
            "{with_fee:?}"
        );

        let added = Schedule::new(
            &terms("50000", "0.18", 6)
                .fee(UpfrontFee::fixed(
                    ngn("1000"),
                    FeeCollection::FirstInstallment,
                ))
                .build()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(added.rows()[0].fee, ngn("1000"));
        assert_eq!(added.rows()[0].total, ngn("9776.26"));
        assert_eq!(added.total_payable().unwrap(), ngn("53657.57"));
        assert_eq!(added.total_fees().unwrap(), ngn("1000"));
        let added_rates = added.rates().unwrap();
        // Paying the fee a month later costs a little less than having it deducted.
        assert!(added_rates.apr > plain.rates().unwrap().apr);
        assert!(added_rates.apr < with_fee.apr);
    }

    #[test]
    fn a_tiny_principal_over_a_long_term_never_goes_negative() {
        // 7.00 over 360 months: HALF_EVEN(700/360) = 2 kobo would overdraw after 350
        // rows; rows stop taking principal once it is repaid.
        for method in [Method::Annuity, Method::EqualPrincipal, Method::Flat] {
            let schedule =
                Schedule::new(&terms("7", "0", 360).method(method).build().unwrap()).unwrap();
            assert_sound(&schedule);
            assert_eq!(schedule.rows().len(), 360);
            assert!(schedule.rows()[355].total.is_zero(), "{method:?}");
        }
    }

    #[test]
    fn biweekly_and_daily_frequencies() {
        let schedule = Schedule::new(
            &terms("2600", "0.26", 3)
                .frequency(Frequency::Biweekly)
                .build()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(schedule.terms().periods_per_year(), 26);
        // 1 % a fortnight on 2,600: 26.00.
        assert_eq!(schedule.rows()[0].interest, ngn("26"));
        assert_eq!(schedule.rows()[1].due_date, day(2026, 2, 28));
        let daily = Schedule::new(
            &terms("365", "0.365", 2)
                .frequency(Frequency::Daily)
                .build()
                .unwrap(),
        )
        .unwrap();
        // 365 x 0.365 / 365 = 0.365: a tie, half-even to 0.36.
        assert_eq!(daily.rows()[0].interest, ngn("0.36"));
        assert_eq!(daily.rows()[1].due_date, day(2026, 2, 2));
    }

    #[test]
    fn overflow_and_calendar_errors_are_typed() {
        let huge = Money::from_minor(crate::money::MAX_MINOR, Currency::NGN).unwrap();
        let terms = LoanTerms::builder(huge, Decimal::from(100), 12, day(2026, 1, 1))
            .build()
            .unwrap();
        assert!(matches!(
            Schedule::new(&terms),
            Err(LoanError::Money(MoneyError::Overflow { .. }))
        ));
        let late = LoanTerms::builder(ngn("100"), Decimal::ONE, 12, NaiveDate::MAX)
            .build()
            .unwrap();
        assert!(matches!(Schedule::new(&late), Err(LoanError::Calendar(_))));
    }

    fn twelve_months(method: Method) -> Schedule {
        Schedule::new(
            &LoanTerms::builder(ngn("250000"), "0.24".parse().unwrap(), 12, day(2026, 1, 31))
                .method(method)
                .build()
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn snapshot_annuity_12_months() {
        insta::assert_snapshot!(twelve_months(Method::Annuity).table().to_string());
    }

    #[test]
    fn snapshot_equal_principal_12_months() {
        insta::assert_snapshot!(twelve_months(Method::EqualPrincipal).table().to_string());
    }

    #[test]
    fn snapshot_flat_12_months() {
        insta::assert_snapshot!(twelve_months(Method::Flat).table().to_string());
    }

    #[test]
    fn snapshot_interest_free_12_months() {
        let schedule = Schedule::new(
            &LoanTerms::builder(ngn("250000"), Decimal::ZERO, 12, day(2026, 1, 31))
                .build()
                .unwrap(),
        )
        .unwrap();
        insta::assert_snapshot!(schedule.table().to_string());
    }

    #[test]
    fn snapshot_grace_and_fees_12_months() {
        let schedule = Schedule::new(
            &LoanTerms::builder(ngn("250000"), "0.24".parse().unwrap(), 12, day(2026, 1, 31))
                .principal_grace(3)
                .interest_grace(2)
                .fee(UpfrontFee::percentage(
                    "0.01".parse().unwrap(),
                    FeeCollection::Deducted,
                ))
                .fee(UpfrontFee::fixed(
                    ngn("500"),
                    FeeCollection::FirstInstallment,
                ))
                .build()
                .unwrap(),
        )
        .unwrap();
        insta::assert_snapshot!(schedule.table().to_string());
    }
}
