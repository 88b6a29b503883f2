//! The rows of a schedule: periods, interest accrual and the balance and flat methods
//! that size each installment.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::super::error::overflow;
use super::super::rate::powi;
use super::{Installment, PeriodKind};
use crate::calendar::due_date;
use crate::loan::{LoanError, LoanTerms, Method};
use crate::money::{Currency, Money, Rounding};

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
