//! What settles a loan on a date (reference README §3, "Early payoff quote").

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::repayment::{Component, InstallmentState};
use super::schedule::Accrual;
use super::{LoanError, LoanTerms, Method};
use crate::money::Money;
use crate::penalty::PenaltyRule;

/// What a flat-rate loan's early payoff does with interest not yet due. A flat loan's
/// interest is fixed at signing, so by default it is all owed; a lender may rebate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FlatPayoff {
    /// The payoff is every remaining installment in full.
    #[default]
    NoRebate,
    /// The current installment's interest is owed in full; the interest of the
    /// installments after it is waived.
    RebateLaterInterest,
}

/// What settles a loan on a date, by component; see [`payoff_quote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoffQuote {
    /// The date quoted for.
    pub on: NaiveDate,
    /// All principal outstanding, overdue or not.
    pub principal: Money,
    /// Interest of overdue installments, capitalised interest outstanding, and interest
    /// accrued in the current period.
    pub interest: Money,
    /// Fees not yet paid.
    pub fees: Money,
    /// Penalties not yet paid, assessed as of `on`.
    pub penalties: Money,
    /// What settles the loan: the sum of the four above.
    pub total: Money,
    /// The part of the total owed by overdue installments (principal, interest, fees).
    pub overdue: Money,
    /// Interest accrued in the current period, pro rata by calendar days.
    pub accrued_interest: Money,
    /// Scheduled interest the borrower no longer owes by settling now.
    pub waived_interest: Money,
}

/// The amount that settles the loan on `on`, given the installments as they stand:
///
/// - every installment due before `on` (overdue), in full, and every unpaid penalty,
///   assessed as of `on` under `penalty`;
/// - for a reducing-balance loan (annuity, equal principal), the balance at the start
///   of the current period (the one with `D_(j) < on <= D_(j+1)`, `D_0` the disbursement
///   date) and the interest accrued in it:
///   `HALF_EVEN(B_j * R * days(D_j, on) / (m * days(D_j, D_(j+1))))`, less any of that
///   period's interest already paid; on a due date that is the row's whole interest;
/// - for a flat loan, the remaining installments in full, or without the interest of
///   the installments after the current one under [`FlatPayoff::RebateLaterInterest`];
/// - fees not yet paid.
///
/// ```
/// use ajo_core::loan::{FlatPayoff, InstallmentState, LoanTerms, Schedule, payoff_quote};
/// use ajo_core::money::{Currency, Money};
/// use ajo_core::penalty::PenaltyRule;
/// use chrono::NaiveDate;
///
/// // LOAN-01 of the reference: NGN 50,000.00 at 18 % over 6 months from 2026-01-15.
/// let terms = LoanTerms::builder(
///     Money::parse("50000", Currency::NGN)?,
///     "0.18".parse()?,
///     6,
///     NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
/// )
/// .build()?;
/// let rows: Vec<InstallmentState> = Schedule::new(&terms)?
///     .rows()
///     .iter()
///     .cloned()
///     .map(InstallmentState::new)
///     .collect();
/// let on = NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
/// let quote = payoff_quote(&terms, &rows, on, &PenaltyRule::none(), FlatPayoff::NoRebate)?;
/// assert_eq!(quote.accrued_interest.amount().to_string(), "120.97"); // 5 of 31 days
/// assert_eq!(quote.total.amount().to_string(), "50120.97");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// - [`LoanError::BeforeDisbursement`] for a date before the disbursement date.
/// - [`LoanError::Penalty`] from the penalty rule (a fee in another currency).
/// - [`LoanError::Money`] on overflow.
pub fn payoff_quote(
    terms: &LoanTerms,
    installments: &[InstallmentState],
    on: NaiveDate,
    penalty: &PenaltyRule,
    flat: FlatPayoff,
) -> Result<PayoffQuote, LoanError> {
    let disbursed = terms.disbursement_date();
    if on < disbursed {
        return Err(LoanError::BeforeDisbursement {
            date: on,
            disbursed,
        });
    }
    let zero = Money::zero(terms.principal().currency());
    let mut quote = PayoffQuote {
        on,
        principal: zero,
        interest: zero,
        fees: zero,
        penalties: zero,
        total: zero,
        overdue: zero,
        accrued_interest: zero,
        waived_interest: zero,
    };
    let mut current = None;
    let mut previous_due = disbursed;
    for (index, state) in installments.iter().enumerate() {
        let penalty_total = state.penalty_as_of(penalty, on)?;
        let unpaid_penalty = penalty_total.checked_sub(state.paid().penalty)?;
        quote.penalties = quote.penalties.checked_add(unpaid_penalty)?;
        let principal = state.remaining(Component::Principal)?;
        let fee = state.remaining(Component::Fee)?;
        let interest = state.remaining(Component::Interest)?;
        quote.principal = quote.principal.checked_add(principal)?;
        quote.fees = quote.fees.checked_add(fee)?;
        if state.row().due_date < on {
            quote.interest = quote.interest.checked_add(interest)?;
            let owed = principal.checked_add(fee)?.checked_add(interest)?;
            quote.overdue = quote.overdue.checked_add(owed)?;
            previous_due = state.row().due_date;
        } else if current.is_none() {
            current = Some((index, previous_due));
        }
    }
    if let Some((index, period_start)) = current {
        let later = installments.get(index..).unwrap_or_default();
        let (owed, scheduled) = match terms.method() {
            Method::Annuity | Method::EqualPrincipal => {
                current_period_interest(terms, later, period_start, on, &mut quote)?
            }
            Method::Flat => flat_interest(later, flat, zero)?,
        };
        quote.interest = quote.interest.checked_add(owed)?;
        let waived = scheduled.checked_sub(owed)?;
        if waived.is_positive() {
            quote.waived_interest = waived;
        }
    }
    quote.total = quote
        .principal
        .checked_add(quote.interest)?
        .checked_add(quote.fees)?
        .checked_add(quote.penalties)?;
    Ok(quote)
}

/// Interest owed on settling a reducing-balance loan in the period of `later[0]`, and
/// the interest the remaining installments had scheduled.
fn current_period_interest(
    terms: &LoanTerms,
    later: &[InstallmentState],
    period_start: NaiveDate,
    on: NaiveDate,
    quote: &mut PayoffQuote,
) -> Result<(Money, Money), LoanError> {
    let zero = Money::zero(terms.principal().currency());
    let Some(current) = later.first() else {
        return Ok((zero, zero));
    };
    let row = current.row();
    let mut scheduled = zero;
    let mut principal_scheduled = zero;
    for state in later {
        scheduled = scheduled.checked_add(state.remaining(Component::Interest)?)?;
        principal_scheduled = principal_scheduled.checked_add(state.row().principal)?;
    }
    // The balance at the start of the period holds principal and capitalised interest
    // not yet repaid; interest payments on this row go to the period's own interest
    // first, then to that capitalised interest.
    let capitalised = row.opening_balance.checked_sub(principal_scheduled)?;
    let period_due = row.interest.checked_sub(row.capitalised_repaid)?;
    let paid = current.paid().interest;
    let paid_on_period = if paid > period_due { period_due } else { paid };
    let paid_on_capitalised = paid.checked_sub(paid_on_period)?;
    let capitalised_left = capitalised.checked_sub(paid_on_capitalised)?;
    let days = (on - period_start).num_days();
    let period_days = (row.due_date - period_start).num_days();
    let accrued = Accrual::of(terms).accrued(row.opening_balance, days, period_days)?;
    let accrued_left = accrued.checked_sub(paid_on_period)?;
    let accrued_left = if accrued_left.is_negative() {
        zero
    } else {
        accrued_left
    };
    quote.accrued_interest = accrued_left;
    Ok((accrued_left.checked_add(capitalised_left)?, scheduled))
}

/// Interest owed on settling a flat loan from the installment `later[0]` on, and the
/// interest the remaining installments had scheduled.
fn flat_interest(
    later: &[InstallmentState],
    flat: FlatPayoff,
    zero: Money,
) -> Result<(Money, Money), LoanError> {
    let (mut owed, mut scheduled) = (zero, zero);
    for (i, state) in later.iter().enumerate() {
        let interest = state.remaining(Component::Interest)?;
        scheduled = scheduled.checked_add(interest)?;
        if i == 0 || flat == FlatPayoff::NoRebate {
            owed = owed.checked_add(interest)?;
        }
    }
    Ok((owed, scheduled))
}

impl super::Loan {
    /// The pay-off quote a [`LoanCommand::PayOff`](super::LoanCommand::PayOff) decided at
    /// `now` checks its amount against: penalties charged up to that business date (in
    /// the loan's time zone) first, as the command charges them.
    ///
    /// # Errors
    /// As [`Loan::payoff_quote`](super::Loan::payoff_quote), or [`LoanError::Money`] on
    /// overflow.
    pub fn payoff_quote_at(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<PayoffQuote, LoanError> {
        let now = now.with_timezone(&self.policy().time_zone).fixed_offset();
        let today = now.date_naive();
        let mut charged = self.clone();
        for event in self.penalty_events(today, now)? {
            charged.apply(&event)?;
        }
        charged.payoff_quote(today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loan::{LoanTermsBuilder, Schedule};
    use crate::money::Currency;
    use crate::penalty::PenaltyKind;

    fn ngn(s: &str) -> Money {
        Money::parse(s, Currency::NGN).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn loan_01() -> LoanTermsBuilder {
        LoanTerms::builder(ngn("50000"), "0.18".parse().unwrap(), 6, day(2026, 1, 15))
    }

    fn states(terms: &LoanTerms) -> Vec<InstallmentState> {
        Schedule::new(terms)
            .unwrap()
            .rows()
            .iter()
            .cloned()
            .map(InstallmentState::new)
            .collect()
    }

    fn pay_rows(rows: &mut [InstallmentState], count: usize) {
        for state in rows.iter_mut().take(count) {
            for c in [Component::Principal, Component::Interest, Component::Fee] {
                let due = state.remaining(c).unwrap();
                state.pay(c, due).unwrap();
            }
        }
    }

    fn quote(terms: &LoanTerms, rows: &[InstallmentState], on: NaiveDate) -> PayoffQuote {
        payoff_quote(terms, rows, on, &PenaltyRule::none(), FlatPayoff::NoRebate).unwrap()
    }

    #[test]
    fn reference_worked_examples() {
        let terms = loan_01().build().unwrap();
        let mut rows = states(&terms);
        let q = quote(&terms, &rows, day(2026, 1, 20));
        assert_eq!(
            (q.principal, q.accrued_interest, q.total),
            (ngn("50000"), ngn("120.97"), ngn("50120.97"))
        );
        pay_rows(&mut rows, 2);
        let q = quote(&terms, &rows, day(2026, 4, 1));
        assert_eq!(q.principal, ngn("33827.09"));
        assert_eq!(q.accrued_interest, ngn("278.26")); // 17 of 31 days
        assert_eq!(q.total, ngn("34105.35"));
        assert_eq!(q.overdue, ngn("0"));
        // Interest of rows 3..6 (1,277.96) less the 278.26 accrued is saved.
        assert_eq!(q.waived_interest, ngn("999.70"));
    }

    #[test]
    fn on_a_due_date_the_accrued_interest_is_the_rows_interest() {
        let terms = loan_01().build().unwrap();
        let mut rows = states(&terms);
        pay_rows(&mut rows, 2);
        let q = quote(&terms, &rows, day(2026, 4, 15));
        assert_eq!(q.accrued_interest, ngn("507.41"));
        assert_eq!(q.total, ngn("34334.50"));
        // On the disbursement date: the principal alone.
        let fresh = states(&terms);
        assert_eq!(quote(&terms, &fresh, day(2026, 1, 15)).total, ngn("50000"));
    }

    #[test]
    fn overdue_installments_and_penalties_are_owed_in_full() {
        let terms = loan_01().build().unwrap();
        let mut rows = states(&terms);
        pay_rows(&mut rows, 1);
        let rule = PenaltyRule::new(PenaltyKind::FlatFee { fee: ngn("500") }, 3).unwrap();
        // Row 2 (due 15 March) is 17 days late on 1 April: owed in full, plus its fee;
        // row 3's period has run 17 of 31 days.
        let q = payoff_quote(&terms, &rows, day(2026, 4, 1), &rule, FlatPayoff::NoRebate).unwrap();
        assert_eq!(q.overdue, ngn("8776.26"));
        assert_eq!(q.penalties, ngn("500"));
        assert_eq!(q.accrued_interest, ngn("278.26"));
        assert_eq!(q.principal, ngn("41973.74"));
        assert_eq!(
            q.total,
            ngn("8776.26")
                .checked_add(ngn("500"))
                .unwrap()
                .checked_add(ngn("34105.35"))
                .unwrap()
        );
        // After the last due date everything is overdue and nothing accrues.
        let late = quote(&terms, &states(&terms), day(2026, 9, 1));
        assert_eq!(late.accrued_interest, ngn("0"));
        assert_eq!(
            late.total,
            Schedule::new(&terms).unwrap().total_payable().unwrap()
        );
    }

    #[test]
    fn a_partly_paid_current_installment_counts() {
        let terms = loan_01().build().unwrap();
        let mut rows = states(&terms);
        // 200.00 of row 1's interest and 100.00 of its principal paid early.
        rows[0].pay(Component::Interest, ngn("200")).unwrap();
        rows[0].pay(Component::Principal, ngn("100")).unwrap();
        let q = quote(&terms, &rows, day(2026, 1, 20));
        assert_eq!(q.principal, ngn("49900"));
        assert_eq!(q.accrued_interest, ngn("0")); // 120.97 accrued, 200.00 paid
        assert_eq!(q.total, ngn("49900"));
    }

    #[test]
    fn flat_loans_owe_their_fixed_interest_unless_rebated() {
        let terms = loan_01().method(Method::Flat).build().unwrap();
        let rows = states(&terms);
        let on = day(2026, 1, 20);
        let none = quote(&terms, &rows, on);
        assert_eq!(
            none.total,
            Schedule::new(&terms).unwrap().total_payable().unwrap()
        );
        let rebate = payoff_quote(
            &terms,
            &rows,
            on,
            &PenaltyRule::none(),
            FlatPayoff::RebateLaterInterest,
        )
        .unwrap();
        // 50,000 x 18 % x 6/12 = 4,500, 750 a month: the first month's is owed.
        assert_eq!(rebate.interest, ngn("750"));
        assert_eq!(rebate.waived_interest, ngn("3750"));
        assert_eq!(rebate.total, ngn("50750"));
    }

    #[test]
    fn capitalised_interest_is_owed_on_payoff() {
        let terms = LoanTerms::builder(ngn("10000"), "0.12".parse().unwrap(), 6, day(2026, 1, 31))
            .interest_grace(2)
            .build()
            .unwrap();
        let rows = states(&terms);
        // Mid-way through the second (nothing-due) period: 100.00 capitalised, and
        // 101.00 x 14/31 accrued on 10,100.00.
        let q = quote(&terms, &rows, day(2026, 3, 14));
        assert_eq!(q.principal, ngn("10000"));
        assert_eq!(q.accrued_interest, ngn("45.61"));
        assert_eq!(q.interest, ngn("145.61"));
        assert_eq!(q.total, ngn("10145.61"));
    }

    #[test]
    fn zero_rate_payoff_is_the_principal_left() {
        let terms = LoanTerms::builder(
            ngn("50000"),
            rust_decimal::Decimal::ZERO,
            6,
            day(2026, 1, 15),
        )
        .build()
        .unwrap();
        let mut rows = states(&terms);
        pay_rows(&mut rows, 3);
        let q = quote(&terms, &rows, day(2026, 5, 1));
        // 3 x 8,333.33 paid of 50,000.00.
        assert_eq!(q.total, ngn("25000.01"));
    }

    #[test]
    fn fees_not_yet_paid_are_owed() {
        let terms = loan_01()
            .fee(crate::loan::UpfrontFee::fixed(
                ngn("250"),
                crate::loan::FeeCollection::FirstInstallment,
            ))
            .build()
            .unwrap();
        let q = quote(&terms, &states(&terms), day(2026, 1, 20));
        assert_eq!(q.fees, ngn("250"));
        assert_eq!(q.total, ngn("50370.97"));
    }

    #[test]
    fn a_date_before_disbursement_is_refused() {
        let terms = loan_01().build().unwrap();
        assert_eq!(
            payoff_quote(
                &terms,
                &states(&terms),
                day(2026, 1, 14),
                &PenaltyRule::none(),
                FlatPayoff::NoRebate
            ),
            Err(LoanError::BeforeDisbursement {
                date: day(2026, 1, 14),
                disbursed: day(2026, 1, 15)
            })
        );
    }
}
