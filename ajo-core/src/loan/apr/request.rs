//! An APR request as JSON, the form `calc apr` reads and a host can accept as it is: the
//! convention, Regulation Z's unit period, and the advances and payments, each at a time
//! given one way or another, with runs of equal flows written once.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{AprError, CashFlows, Convention, UnitPeriod, When};

/// The conventions by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConventionName {
    /// US Regulation Z Appendix J.
    UsRegZ,
    /// EU Consumer Credit Directive 2008/48/EC.
    EuCcd,
}

/// A unit period as the request names it: `"day"`, `"week"`, `"semimonth"`, `"month"`,
/// `"quarter"`, `"year"`, or `{"days": N}`, `{"weeks": N}`, `{"months": N}` (the term
/// of a single-advance, single-payment transaction, or a multiple of a week or month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UnitPeriodName {
    /// A named period.
    Named(NamedPeriod),
    /// Days, weeks or months.
    Counted(CountedPeriod),
}

/// The named unit periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedPeriod {
    /// A day.
    Day,
    /// A week.
    Week,
    /// Half a month.
    Semimonth,
    /// A month.
    Month,
    /// Three months.
    Quarter,
    /// Twelve months.
    Year,
}

/// A unit period of so many days, weeks or months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CountedPeriod {
    /// So many days.
    Days(u32),
    /// So many weeks.
    Weeks(u32),
    /// So many months.
    Months(u32),
}

impl From<UnitPeriodName> for UnitPeriod {
    fn from(name: UnitPeriodName) -> UnitPeriod {
        match name {
            UnitPeriodName::Named(NamedPeriod::Day) => UnitPeriod::DAY,
            UnitPeriodName::Named(NamedPeriod::Week) => UnitPeriod::WEEK,
            UnitPeriodName::Named(NamedPeriod::Semimonth) => UnitPeriod::Semimonth,
            UnitPeriodName::Named(NamedPeriod::Month) => UnitPeriod::MONTH,
            UnitPeriodName::Named(NamedPeriod::Quarter) => UnitPeriod::QUARTER,
            UnitPeriodName::Named(NamedPeriod::Year) => UnitPeriod::YEAR,
            UnitPeriodName::Counted(CountedPeriod::Days(n)) => UnitPeriod::Days(n),
            UnitPeriodName::Counted(CountedPeriod::Weeks(n)) => UnitPeriod::Weeks(n),
            UnitPeriodName::Counted(CountedPeriod::Months(n)) => UnitPeriod::Months(n),
        }
    }
}

/// One flow, or a run of `count` equal flows one step apart. Give its time exactly one
/// way: `periods` (and `fraction`, Regulation Z), `days`, `weeks` or `months` (from the
/// first drawdown, EU), or `date`. A run steps one unit period (or one day, week or
/// month) at a time; a dated run steps by `every`, by default the unit period
/// (Regulation Z) or a month (EU).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowRequest {
    /// The amount, as a plain decimal string (`"230.00"`; no number, no exponent).
    #[serde(deserialize_with = "plain_decimal")]
    pub amount: Decimal,
    /// Whole unit periods from the start of the term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periods: Option<u32>,
    /// The fraction of a unit period on top of `periods`, a plain decimal string; 0 by
    /// default.
    #[serde(
        default,
        deserialize_with = "plain_decimal_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub fraction: Option<Decimal>,
    /// Days from the first drawdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Weeks from the first drawdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weeks: Option<u32>,
    /// Months from the first drawdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
    /// The date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// How many equal flows; 1 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The step between dated flows of a run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<UnitPeriodName>,
}

/// What `calc apr` reads.
///
/// ```
/// use ajo_core::loan::apr::AprRequest;
///
/// let request: AprRequest = serde_json::from_str(r#"{
///     "convention": "us_reg_z", "unit_period": "month",
///     "advances": [{"amount": "6000.00", "date": "1978-02-10"}],
///     "payments": [{"amount": "200.00", "date": "1978-04-01", "count": 36}]
/// }"#)?;
/// // Regulation Z Appendix J (c)(1)(ii): a first period of a month and 19 days.
/// assert_eq!(request.apr()?.percent(2).unwrap().to_string(), "11.82");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AprRequest {
    /// The convention.
    pub convention: ConventionName,
    /// Regulation Z's unit period (required for it, refused for the EU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_period: Option<UnitPeriodName>,
    /// Regulation Z's start of the term, when it is not the first advance's date (the
    /// EU's count starts at the first drawdown: refused there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    /// The advances.
    pub advances: Vec<FlowRequest>,
    /// The payments.
    pub payments: Vec<FlowRequest>,
}

/// The most flows a request may expand to, so a mistyped `count` is refused rather than
/// allocated and solved: a daily loan over fifty years fits.
pub const MAX_FLOWS: u32 = 20_000;

/// A decimal written as a string of digits, at most one point and a leading minus, as
/// every amount in ajo's JSON is: a JSON number or an exponent is refused.
fn plain_decimal<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let text = String::deserialize(deserializer)?;
    let digits = text.strip_prefix('-').unwrap_or(&text);
    let plain = !digits.is_empty()
        && digits.len() <= 40
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit());
    if !plain {
        return Err(serde::de::Error::custom(format!(
            "{text:?} is not a plain decimal number"
        )));
    }
    text.parse().map_err(serde::de::Error::custom)
}

fn plain_decimal_opt<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    plain_decimal(deserializer).map(Some)
}

impl AprRequest {
    /// The convention and the flows, every run expanded.
    ///
    /// # Errors
    /// [`AprError::TimeForm`] when a flow gives its time in no way or several, or the
    /// unit period is missing for Regulation Z or given for the EU;
    /// [`AprError::TooManyFlows`] past [`MAX_FLOWS`]; [`AprError::DateOutOfRange`] when
    /// a run steps past the calendar.
    pub fn flows(&self) -> Result<(Convention, CashFlows), AprError> {
        let convention = match (self.convention, self.unit_period) {
            (ConventionName::UsRegZ, Some(unit)) => Convention::UsRegZ(unit.into()),
            (ConventionName::EuCcd, None) => Convention::EuCcd,
            (ConventionName::UsRegZ, None) => {
                return Err(AprError::TimeForm {
                    convention: "us_reg_z",
                    problem: "needs a unit period",
                });
            }
            (ConventionName::EuCcd, Some(_)) => {
                return Err(AprError::TimeForm {
                    convention: "eu_ccd",
                    problem: "takes no unit period",
                });
            }
        };
        let mut flows = CashFlows::new();
        flows.start = self.start;
        let mut total = 0u32;
        for (side, requests) in [("advance", &self.advances), ("payment", &self.payments)] {
            for request in requests {
                let count = request.count.unwrap_or(1);
                // The first flow's time is checked even for a run of none.
                request.nth(0, convention)?;
                total = total.saturating_add(count);
                if total > MAX_FLOWS {
                    return Err(AprError::TooManyFlows { max: MAX_FLOWS });
                }
                for k in 0..count {
                    let when = request.nth(k, convention)?;
                    if side == "advance" {
                        flows.advance(request.amount, when);
                    } else {
                        flows.payment(request.amount, when);
                    }
                }
            }
        }
        Ok((convention, flows))
    }

    /// The APR the request asks for.
    ///
    /// # Errors
    /// As [`AprRequest::flows`] and [`CashFlows::apr`].
    pub fn apr(&self) -> Result<super::Apr, AprError> {
        let (convention, flows) = self.flows()?;
        flows.apr(convention)
    }
}

impl FlowRequest {
    /// The time of the `k`-th flow of the run.
    fn nth(&self, k: u32, convention: Convention) -> Result<When, AprError> {
        let step = |n: u32| n.checked_add(k).ok_or(AprError::Overflow);
        let given = [
            self.periods.is_some(),
            self.days.is_some(),
            self.weeks.is_some(),
            self.months.is_some(),
            self.date.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 || (self.fraction.is_some() && self.periods.is_none()) {
            return Err(AprError::TimeForm {
                convention: convention.as_str(),
                problem: "give each flow's time one way: periods, days, weeks, months or date",
            });
        }
        if self.every.is_some() && self.date.is_none() {
            return Err(AprError::TimeForm {
                convention: convention.as_str(),
                problem: "a step (every) is for dated runs only",
            });
        }
        Ok(
            match (self.periods, self.days, self.weeks, self.months, self.date) {
                (Some(periods), ..) => When::UnitPeriods {
                    periods: step(periods)?,
                    fraction: self.fraction.unwrap_or(Decimal::ZERO),
                },
                (_, Some(days), ..) => When::Days(step(days)?),
                (_, _, Some(weeks), ..) => When::Weeks(step(weeks)?),
                (_, _, _, Some(months), _) => When::Months(step(months)?),
                (.., Some(date)) => {
                    let every = match (self.every, convention) {
                        (Some(every), _) => every.into(),
                        (None, Convention::UsRegZ(unit)) => unit,
                        (None, _) => UnitPeriod::MONTH,
                    };
                    When::Date(every.nth_date(date, k)?)
                }
                _ => {
                    return Err(AprError::TimeForm {
                        convention: convention.as_str(),
                        problem: "give each flow's time one way: periods, days, weeks, months or date",
                    });
                }
            },
        )
    }
}
