//! The annual percentage rate a lender discloses, from the real, dated cash flows:
//! advances (what the borrower receives, net of any fee withheld) and payments, by the
//! convention a regulator prescribes.
//!
//! - **US Regulation Z (12 CFR 1026) Appendix J, actuarial method**
//!   ([`Convention::UsRegZ`]): each flow lies `t` whole [`UnitPeriod`]s and a fraction
//!   `f` of one from the start of the term and is discounted by `(1 + f·i)(1 + i)^t`;
//!   the APR is the unit-period rate `i` times the unit periods in a year. Give `t` and
//!   `f` yourself ([`When::UnitPeriods`]) or dates ([`When::Date`]), which are counted as
//!   Appendix J (b)(5) prescribes ([`UnitPeriod::count`]).
//! - **EU Consumer Credit Directive (2008/48/EC, Annex I)** ([`Convention::EuCcd`]): each
//!   flow lies `s` years from the first drawdown and is discounted by `(1 + X)^-s`; the
//!   APR is `X`. Give days (over 365), weeks (over 52) or months (over 12), or dates,
//!   counted in calendar years of 365 or 366 days ([`years_between`]).
//!
//! The rate is solved in `Decimal` by Newton's method kept inside a bracket that
//! bisection narrows, from -100 % to a million per cent a unit period, to
//! [`APR_TOLERANCE`]; when no rate in that range equates the advances and payments the
//! answer is [`AprError::NoRate`], never a guess.
//!
//! ```
//! use ajo_core::loan::apr::{CashFlows, Convention, UnitPeriod, When};
//!
//! // Regulation Z Appendix J (c)(1)(i): 5,000 advanced, 24 monthly payments of 230
//! // from one month later: 9.69 %.
//! let mut flows = CashFlows::new();
//! flows.advance("5000".parse()?, When::UnitPeriods { periods: 0, fraction: 0.into() });
//! for k in 1..=24 {
//!     flows.payment("230".parse()?, When::UnitPeriods { periods: k, fraction: 0.into() });
//! }
//! let apr = flows.apr(Convention::UsRegZ(UnitPeriod::MONTH))?;
//! assert_eq!(apr.percent(2).unwrap().to_string(), "9.69");
//!
//! // The EU directive's first example: 1,000 lent, 1,200 repaid 546 days later: 12.96 %.
//! let mut flows = CashFlows::new();
//! flows.advance("1000".parse()?, When::Days(0));
//! flows.payment("1200".parse()?, When::Days(546));
//! assert_eq!(flows.apr(Convention::EuCcd)?.percent(2).unwrap().to_string(), "12.96");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod disclosure;
mod error;
mod math;
mod request;
mod solve;
mod time;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

pub use disclosure::{CostOfCredit, DisclosedFee};
pub use error::AprError;
pub use request::{
    AprRequest, ConventionName, CountedPeriod, FlowRequest, MAX_FLOWS, NamedPeriod, UnitPeriodName,
};
pub use time::{UnitPeriod, years_between};

/// How close the solver brings the rate (a unit period's, or the EU's annual rate): the
/// root lies within this of the answer, far inside the 10 decimals anyone shows.
pub const APR_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 20);

/// The regulator's convention an APR is computed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Convention {
    /// US Regulation Z Appendix J, actuarial method, in the given unit period.
    UsRegZ(UnitPeriod),
    /// EU Consumer Credit Directive 2008/48/EC, Annex I.
    EuCcd,
}

impl Convention {
    /// The convention's name, as the calculator spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Convention::UsRegZ(_) => "us_reg_z",
            Convention::EuCcd => "eu_ccd",
        }
    }
}

/// When a flow happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum When {
    /// Regulation Z: whole unit periods and a fraction of one (`0 <= fraction < 1`) from
    /// the start of the term.
    UnitPeriods {
        /// Whole unit periods.
        periods: u32,
        /// The fraction of a unit period on top.
        fraction: Decimal,
    },
    /// EU: days from the first drawdown, a year being 365 of them.
    Days(u32),
    /// EU: weeks from the first drawdown, a year being 52 of them.
    Weeks(u32),
    /// EU: months from the first drawdown, a year being 12 of them.
    Months(u32),
    /// A calendar date, counted by the convention's rules from the start of the term
    /// (Regulation Z) or the first drawdown (EU).
    Date(NaiveDate),
}

impl When {
    fn form(self) -> &'static str {
        match self {
            When::UnitPeriods { .. } => "cannot place a flow given as unit periods",
            When::Days(_) | When::Weeks(_) | When::Months(_) => {
                "cannot place a flow given as days, weeks or months"
            }
            When::Date(_) => "cannot place a flow given as a date",
        }
    }
}

/// An amount of money changing hands at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// How much: never negative.
    pub amount: Decimal,
    /// When.
    pub when: When,
}

/// A loan's advances (drawdowns) and payments (repayments and charges paid), in any
/// order, amounts without a currency (the rate does not depend on it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashFlows {
    /// What the borrower receives: each drawdown, net of any fee withheld from it.
    pub advances: Vec<Flow>,
    /// What the borrower pays: installments, and any charge paid apart.
    pub payments: Vec<Flow>,
    /// Regulation Z's start of the term, when dates are given and the finance charge
    /// begins after the first advance ((b)(2)); by default the first advance's date.
    /// The EU directive counts from the first drawdown and refuses a start.
    pub start: Option<NaiveDate>,
}

impl CashFlows {
    /// No flows yet.
    pub fn new() -> CashFlows {
        CashFlows::default()
    }

    /// Adds an advance.
    pub fn advance(&mut self, amount: Decimal, when: When) -> &mut CashFlows {
        self.advances.push(Flow { amount, when });
        self
    }

    /// Adds a payment.
    pub fn payment(&mut self, amount: Decimal, when: When) -> &mut CashFlows {
        self.payments.push(Flow { amount, when });
        self
    }

    /// The APR of these flows by `convention`.
    ///
    /// # Errors
    /// - [`AprError::NoAdvances`] / [`AprError::NoPayments`] when either side has nothing
    ///   above zero; [`AprError::NegativeAmount`] for an amount below zero.
    /// - [`AprError::TimeForm`] for a time the convention does not use, or dates mixed
    ///   with other forms; [`AprError::FractionOutOfRange`], [`AprError::BeforeStart`],
    ///   [`AprError::UnitPeriod`], [`AprError::DateOutOfRange`] for times that do not fit.
    /// - [`AprError::NoRate`] when no rate from -100 % to a million per cent a unit
    ///   period equates the two sides; [`AprError::DidNotConverge`] or
    ///   [`AprError::Overflow`] at the arithmetic's limits.
    pub fn apr(&self, convention: Convention) -> Result<Apr, AprError> {
        let dated = self
            .advances
            .iter()
            .chain(&self.payments)
            .filter(|f| matches!(f.when, When::Date(_)))
            .count();
        let all = self.advances.len() + self.payments.len();
        if dated != 0 && dated != all {
            return Err(AprError::TimeForm {
                convention: convention.as_str(),
                problem: "flows given partly as dates",
            });
        }
        if convention == Convention::EuCcd && self.start.is_some() {
            return Err(AprError::TimeForm {
                convention: convention.as_str(),
                problem: "takes no start: the first drawdown starts the count",
            });
        }
        let start = self.start_date();
        let advances = self.placed(&self.advances, "advance", convention, start, None)?;
        let payments = self.placed(&self.payments, "payment", convention, start, self.due_day())?;
        if advances.is_empty() {
            return Err(AprError::NoAdvances);
        }
        if payments.is_empty() {
            return Err(AprError::NoPayments);
        }
        let rate = solve::rate(&advances, &payments)?;
        let per_year = match convention {
            Convention::UsRegZ(unit) => unit.per_year()?,
            Convention::EuCcd => Decimal::ONE,
        };
        let annual_rate = rate.checked_mul(per_year).ok_or(AprError::Overflow)?;
        Ok(Apr {
            convention,
            annual_rate,
            unit_period_rate: rate,
            unit_periods_per_year: per_year,
        })
    }

    /// The flows of one side, each placed in time for the solver from `start`, payments
    /// by their series' `due_day`; flows of zero are left out (a skipped payment).
    fn placed(
        &self,
        flows: &[Flow],
        side: &'static str,
        convention: Convention,
        start: Option<NaiveDate>,
        due_day: Option<u32>,
    ) -> Result<Vec<solve::Placed>, AprError> {
        let mut placed = Vec::with_capacity(flows.len());
        for flow in flows {
            if flow.amount.is_sign_negative() && !flow.amount.is_zero() {
                return Err(AprError::NegativeAmount {
                    side,
                    amount: flow.amount,
                });
            }
            if flow.amount.is_zero() {
                continue;
            }
            let at = match (convention, flow.when) {
                (Convention::UsRegZ(unit), When::UnitPeriods { periods, fraction }) => {
                    unit.per_year()?;
                    if fraction.is_sign_negative() || fraction >= Decimal::ONE {
                        return Err(AprError::FractionOutOfRange { fraction });
                    }
                    solve::At::Units { periods, fraction }
                }
                (Convention::UsRegZ(unit), When::Date(date)) => {
                    let start = start.unwrap_or(date);
                    let (periods, fraction) = match due_day {
                        Some(day) => unit.count_for_day(start, date, day)?,
                        None => unit.count(start, date)?,
                    };
                    solve::At::Units { periods, fraction }
                }
                (Convention::EuCcd, When::Days(n)) => solve::At::years(n, 365),
                (Convention::EuCcd, When::Weeks(n)) => solve::At::years(n, 52),
                (Convention::EuCcd, When::Months(n)) => solve::At::years(n, 12),
                (Convention::EuCcd, When::Date(date)) => {
                    let (whole, part, per_year) =
                        time::calendar_years(start.unwrap_or(date), date)?;
                    solve::At::Years {
                        whole,
                        part,
                        per_year,
                    }
                }
                (_, when) => {
                    return Err(AprError::TimeForm {
                        convention: convention.as_str(),
                        problem: when.form(),
                    });
                }
            };
            placed.push(solve::Placed {
                amount: flow.amount,
                at,
            });
        }
        Ok(placed)
    }

    /// The day of the month the payments fall due on, when they are dated: the most
    /// common among them (the later on a tie), so that a payment on the last day of a
    /// shorter month counts as due on it (a series on the 30th, or on the last day).
    fn due_day(&self) -> Option<u32> {
        let mut days = [0u32; 32];
        for flow in &self.payments {
            if let When::Date(date) = flow.when {
                let day = usize::try_from(date.day()).unwrap_or(0);
                if let Some(n) = days.get_mut(day) {
                    *n += 1;
                }
            }
        }
        let (day, count) = days.iter().enumerate().rev().max_by_key(|(_, n)| **n)?;
        (*count > 0).then(|| u32::try_from(day).ok()).flatten()
    }

    /// The start given, else the first advance's date (the EU's first drawdown).
    fn start_date(&self) -> Option<NaiveDate> {
        self.start.or_else(|| {
            self.advances
                .iter()
                .filter(|f| !f.amount.is_zero())
                .filter_map(|f| match f.when {
                    When::Date(d) => Some(d),
                    _ => None,
                })
                .min()
        })
    }
}

/// An annual percentage rate, exact to the solver's tolerance: round it for display with
/// [`Apr::percent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Apr {
    /// The convention it was computed by.
    pub convention: Convention,
    /// The APR as a fraction (`0.0969` is 9.69 %): the unit-period rate times the unit
    /// periods in a year (Regulation Z), or the annual rate `X` (EU).
    pub annual_rate: Decimal,
    /// Regulation Z's unit-period rate `i`; for the EU, `X` again.
    pub unit_period_rate: Decimal,
    /// Unit periods in a year (1 for the EU).
    pub unit_periods_per_year: Decimal,
}

impl Apr {
    /// The APR in per cent, rounded half away from zero to `places` decimals, as both
    /// regulations round a disclosed figure (the EU directive: "at least one decimal place", a 5
    /// rounding up; Regulation Z's examples show two).
    ///
    /// `None` when the rate in per cent does not fit in `Decimal` (only a rate above
    /// 10^26 could).
    pub fn percent(&self, places: u32) -> Option<Decimal> {
        let mut shown = self
            .annual_rate
            .checked_mul(Decimal::ONE_HUNDRED)?
            .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        shown.rescale(places);
        Some(shown)
    }
}
