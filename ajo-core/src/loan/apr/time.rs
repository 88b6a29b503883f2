//! Where each flow falls: Regulation Z Appendix J (b)(5)'s unit periods and fractions,
//! counted from calendar dates, and the EU directive's years from the first drawdown.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::AprError;

/// A unit period of Regulation Z Appendix J (b)(4): the common period of a transaction's
/// payments, from a day to a year. A single-advance, single-payment transaction whose
/// term is under a year takes the term as its unit period ((b)(5)(vi) and (vii)):
/// `Months(n)` for a term of whole months, `Days(n)` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnitPeriod {
    /// `n` days: 365 / n a year; dates are counted in actual days ((b)(5)(iv)).
    Days(u32),
    /// `n` weeks: 52 / n a year; dates are counted in actual days over 7n.
    Weeks(u32),
    /// Half a month: 24 a year; dates are counted as 30 days a whole month plus the
    /// days left, over 15 ((b)(5)(iii)).
    Semimonth,
    /// `n` months: 12 / n a year. One month counts whole months back from the later
    /// date and the days left over 30 ((b)(5)(ii)); 2 to 11 months count 30 days a
    /// month plus the days left, over 30n ((b)(5)(iii)); 12 months is a year: whole
    /// years back, then the months left over 12, or if they are not whole months the
    /// days left over 365 ((b)(5)(v)).
    Months(u32),
}

impl UnitPeriod {
    /// A day.
    pub const DAY: UnitPeriod = UnitPeriod::Days(1);
    /// A week.
    pub const WEEK: UnitPeriod = UnitPeriod::Weeks(1);
    /// A month.
    pub const MONTH: UnitPeriod = UnitPeriod::Months(1);
    /// A quarter: three months.
    pub const QUARTER: UnitPeriod = UnitPeriod::Months(3);
    /// A year: twelve months.
    pub const YEAR: UnitPeriod = UnitPeriod::Months(12);

    /// Unit periods in a year: 365 / n, 52 / n, 24 or 12 / n.
    ///
    /// # Errors
    /// [`AprError::UnitPeriod`] for a period of no length or longer than a year.
    pub fn per_year(self) -> Result<Decimal, AprError> {
        let (year, n) = match self.check()? {
            UnitPeriod::Days(n) => (365, n),
            UnitPeriod::Weeks(n) => (52, n),
            UnitPeriod::Semimonth => (24, 1),
            UnitPeriod::Months(n) => (12, n),
        };
        Decimal::from(year)
            .checked_div(Decimal::from(n))
            .ok_or(AprError::Overflow)
    }

    fn check(self) -> Result<UnitPeriod, AprError> {
        let fits = match self {
            UnitPeriod::Days(n) => (1..=365).contains(&n),
            UnitPeriod::Weeks(n) => (1..=52).contains(&n),
            UnitPeriod::Semimonth => true,
            UnitPeriod::Months(n) => (1..=12).contains(&n),
        };
        if fits {
            Ok(self)
        } else {
            Err(AprError::UnitPeriod {
                unit: self.to_string(),
            })
        }
    }

    /// Whole unit periods and the fraction of one from `start` to `date`, as Appendix J
    /// (b)(5) counts them.
    ///
    /// # Errors
    /// [`AprError::BeforeStart`] when `date` is before `start`, [`AprError::UnitPeriod`]
    /// for a period out of range.
    pub fn count(self, start: NaiveDate, date: NaiveDate) -> Result<(u32, Decimal), AprError> {
        self.count_for_day(start, date, date.day())
    }

    /// [`UnitPeriod::count`] for a payment of a series due on day `due_day` of each
    /// month: a date on the last day of a shorter month stands for that day, so whole
    /// months are counted back to `due_day` (Appendix J (b)(3)(iv): the last day of
    /// February is used for payments due on the 29th or 30th; a series on the last day of
    /// each month is `due_day` 31).
    ///
    /// # Errors
    /// As [`UnitPeriod::count`].
    pub fn count_for_day(
        self,
        start: NaiveDate,
        date: NaiveDate,
        due_day: u32,
    ) -> Result<(u32, Decimal), AprError> {
        if date < start {
            return Err(AprError::BeforeStart { date, start });
        }
        let over = |whole: u64, divisor: u64| -> Result<(u32, Decimal), AprError> {
            let periods = u32::try_from(whole / divisor).map_err(|_| AprError::Overflow)?;
            let fraction = Decimal::from(whole % divisor)
                .checked_div(Decimal::from(divisor))
                .ok_or(AprError::Overflow)?;
            Ok((periods, fraction))
        };
        let days = days_between(start, date);
        match self.check()? {
            UnitPeriod::Days(n) => over(days, u64::from(n)),
            UnitPeriod::Weeks(n) => over(days, 7 * u64::from(n)),
            UnitPeriod::Semimonth => over(thirty_day_months(start, date, due_day)?, 15),
            UnitPeriod::Months(12) => {
                let (years, anchor) = whole_months_back(start, date, 12, due_day)?;
                let (months, from) = whole_months_back(start, anchor, 1, due_day)?;
                let fraction = if from == start {
                    Decimal::from(months).checked_div(Decimal::from(12))
                } else {
                    Decimal::from(days_between(start, anchor)).checked_div(Decimal::from(365))
                };
                Ok((years, fraction.ok_or(AprError::Overflow)?))
            }
            UnitPeriod::Months(n) => {
                over(thirty_day_months(start, date, due_day)?, 30 * u64::from(n))
            }
        }
    }

    /// The date `k` unit periods after `first`: a run of payments (or advances) on
    /// consecutive unit periods. Months keep `first`'s day of the month, clamped to
    /// shorter months (a run from the 31st falls on the last day of each month; one from
    /// 30 April stays on the 30th: list a last-day series from a short month by its
    /// dates); semimonths alternate between a day and the day 15 later (the 1st and the
    /// 16th).
    ///
    /// # Errors
    /// [`AprError::DateOutOfRange`] past the calendar's end, [`AprError::UnitPeriod`]
    /// for a period out of range.
    pub fn nth_date(self, first: NaiveDate, k: u32) -> Result<NaiveDate, AprError> {
        let out = AprError::DateOutOfRange { from: first };
        match self.check()? {
            UnitPeriod::Days(n) => {
                first.checked_add_days(chrono::Days::new(u64::from(n) * u64::from(k)))
            }
            UnitPeriod::Weeks(n) => {
                first.checked_add_days(chrono::Days::new(7 * u64::from(n) * u64::from(k)))
            }
            UnitPeriod::Months(n) => add_months(first, n.checked_mul(k).ok_or(out.clone())?),
            UnitPeriod::Semimonth => {
                let base = add_months(first, k / 2).ok_or(out.clone())?;
                if k.is_multiple_of(2) {
                    Some(base)
                } else if first.day() <= 15 {
                    let day = (first.day() + 15).min(days_in_month(base));
                    base.with_day(day)
                } else {
                    let next =
                        add_months(base.with_day(1).ok_or(out.clone())?, 1).ok_or(out.clone())?;
                    next.with_day(first.day() - 15)
                }
            }
        }
        .ok_or(out)
    }
}

impl fmt::Display for UnitPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitPeriod::Days(n) => write!(f, "{n} day(s)"),
            UnitPeriod::Weeks(n) => write!(f, "{n} week(s)"),
            UnitPeriod::Semimonth => f.write_str("a semimonth"),
            UnitPeriod::Months(n) => write!(f, "{n} month(s)"),
        }
    }
}

/// Years from the first drawdown to `date` by the EU directive's calendar (Annex I,
/// remark (c)): whole years counted forward from `start`, then the days left over the
/// length of the year they fall in, 366 when it holds a 29 February, else 365.
///
/// # Errors
/// [`AprError::BeforeStart`] when `date` is before `start`.
pub fn years_between(start: NaiveDate, date: NaiveDate) -> Result<Decimal, AprError> {
    let (whole, days, length) = calendar_years(start, date)?;
    Decimal::from(days)
        .checked_div(Decimal::from(length))
        .and_then(|part| part.checked_add(Decimal::from(whole)))
        .ok_or(AprError::Overflow)
}

/// [`years_between`] as whole years, days, and the length of the year the days fall in.
pub(crate) fn calendar_years(
    start: NaiveDate,
    date: NaiveDate,
) -> Result<(u32, u32, u32), AprError> {
    if date < start {
        return Err(AprError::BeforeStart { date, start });
    }
    let out = || AprError::DateOutOfRange { from: start };
    let mut years = u32::try_from(date.year() - start.year()).map_err(|_| out())?;
    let mut anchor = add_months(start, 12 * years).ok_or_else(out)?;
    while anchor > date {
        years -= 1;
        anchor = add_months(start, 12 * years).ok_or_else(out)?;
    }
    let next = add_months(start, 12 * (years + 1)).ok_or_else(out)?;
    let days = u32::try_from(days_between(anchor, date)).map_err(|_| out())?;
    let length = u32::try_from(days_between(anchor, next)).map_err(|_| out())?;
    Ok((years, days, length))
}

fn days_between(from: NaiveDate, to: NaiveDate) -> u64 {
    u64::try_from((to - from).num_days()).unwrap_or(0)
}

fn days_in_month(date: NaiveDate) -> u32 {
    let first = date.with_day(1).unwrap_or(date);
    add_months(first, 1)
        .map(|next| u32::try_from((next - first).num_days()).unwrap_or(31))
        .unwrap_or(31)
}

fn is_month_end(date: NaiveDate) -> bool {
    date.day() == days_in_month(date)
}

/// `date` plus `n` months, the day of the month clamped to shorter months.
fn add_months(date: NaiveDate, n: u32) -> Option<NaiveDate> {
    date.checked_add_months(Months::new(n))
}

/// `date` less `n` months. A date on the last day of a month shorter than `due_day`
/// stands for `due_day`, so the day kept is `due_day`, clamped; otherwise `date`'s,
/// clamped.
fn back_months(date: NaiveDate, n: u32, due_day: u32) -> Option<NaiveDate> {
    let moved = date.checked_sub_months(Months::new(n))?;
    if is_month_end(date) && due_day > date.day() {
        moved.with_day(due_day.min(days_in_month(moved)))
    } else {
        Some(moved)
    }
}

/// The most whole steps of `step` months that fit between `start` and `date`, counted
/// back from `date`, and the date they reach.
fn whole_months_back(
    start: NaiveDate,
    date: NaiveDate,
    step: u32,
    due_day: u32,
) -> Result<(u32, NaiveDate), AprError> {
    let out = || AprError::DateOutOfRange { from: start };
    let months = (date.year() - start.year()) * 12 + date.month0() as i32 - start.month0() as i32;
    let mut n = u32::try_from(months.max(0)).map_err(|_| out())? / step;
    loop {
        let reached = back_months(date, n * step, due_day).ok_or_else(out)?;
        if reached >= start {
            return Ok((n, reached));
        }
        if n == 0 {
            return Ok((0, date));
        }
        n -= 1;
    }
}

/// Appendix J (b)(5)(iii)'s day count: 30 days for each whole month counted back from
/// `date`, plus the days left to `start`.
fn thirty_day_months(start: NaiveDate, date: NaiveDate, due_day: u32) -> Result<u64, AprError> {
    let (months, reached) = whole_months_back(start, date, 1, due_day)?;
    Ok(30 * u64::from(months) + days_between(start, reached))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn frac(n: u32, d: u32) -> Decimal {
        Decimal::from(n) / Decimal::from(d)
    }

    #[test]
    fn appendix_j_counts_the_odd_days_at_the_start() {
        let count =
            |unit: UnitPeriod, from: &str, to: &str| unit.count(date(from), date(to)).unwrap();
        // (c)(1)(ii): a month back from 1 April is 1 March; 10 February to 1 March is 19 days.
        assert_eq!(
            count(UnitPeriod::MONTH, "1978-02-10", "1978-04-01"),
            (1, frac(19, 30))
        );
        assert_eq!(
            count(UnitPeriod::MONTH, "1978-02-10", "1978-05-01"),
            (2, frac(19, 30))
        );
        // (c)(1)(iii): semimonths, 6 days over 15; then 21 days; then a month and 6 days.
        assert_eq!(
            count(UnitPeriod::Semimonth, "1978-02-23", "1978-03-01"),
            (0, frac(6, 15))
        );
        assert_eq!(
            count(UnitPeriod::Semimonth, "1978-02-23", "1978-03-16"),
            (1, frac(6, 15))
        );
        assert_eq!(
            count(UnitPeriod::Semimonth, "1978-02-23", "1978-04-01"),
            (2, frac(6, 15))
        );
        // (c)(1)(iv): quarters, 4 months and 9 days is 129 days: one and 39/90.
        assert_eq!(
            count(UnitPeriod::QUARTER, "1978-05-23", "1978-10-01"),
            (1, frac(39, 90))
        );
        // (c)(1)(v): weeks, 32 days.
        assert_eq!(
            count(UnitPeriod::WEEK, "1978-03-20", "1978-04-21"),
            (4, frac(4, 7))
        );
        // (c)(4)(ii): two months, 52 days over 60.
        assert_eq!(
            count(UnitPeriod::Months(2), "1978-01-10", "1978-03-01"),
            (0, frac(52, 60))
        );
        // (c)(5)(i): the term as the unit period.
        assert_eq!(
            count(UnitPeriod::Days(255), "1978-01-03", "1978-09-15"),
            (1, Decimal::ZERO)
        );
    }

    #[test]
    fn short_months_stand_for_the_day_the_series_keeps() {
        let count = |from: &str, to: &str, day: u32| {
            UnitPeriod::MONTH
                .count_for_day(date(from), date(to), day)
                .unwrap()
        };
        // Due on the 30th: the last day of February is a whole month.
        assert_eq!(count("2026-01-30", "2026-02-28", 30), (1, Decimal::ZERO));
        assert_eq!(count("2026-01-30", "2026-03-30", 30), (2, Decimal::ZERO));
        // On the last day of each month.
        assert_eq!(count("2026-01-31", "2026-04-30", 31), (3, Decimal::ZERO));
        assert_eq!(count("2026-02-28", "2026-03-31", 31), (1, Decimal::ZERO));
        // On the 28th, February's last day is just the 28th.
        assert_eq!(count("2026-01-28", "2026-02-28", 28), (1, Decimal::ZERO));
        // Alone, a date counts by its own day: 30 January to 28 February is 29 days.
        assert_eq!(
            UnitPeriod::MONTH
                .count(date("2026-01-30"), date("2026-02-28"))
                .unwrap(),
            (0, frac(29, 30))
        );
        // A payment a day after the 30th.
        assert_eq!(count("2026-01-30", "2026-03-31", 30), (2, frac(1, 30)));
        // The same day: nothing.
        assert_eq!(count("2026-01-30", "2026-01-30", 30), (0, Decimal::ZERO));
    }

    #[test]
    fn a_series_day_keeps_every_payment_of_the_series_a_whole_month_apart() {
        let count = |from: &str, to: &str, day: u32| {
            UnitPeriod::MONTH
                .count_for_day(date(from), date(to), day)
                .unwrap()
        };
        // Lent on the 15th, repaid on the last day of each month: 16 days, then whole months.
        for (to, months) in [
            ("2026-01-31", 0),
            ("2026-02-28", 1),
            ("2026-03-31", 2),
            ("2026-04-30", 3),
        ] {
            assert_eq!(count("2026-01-15", to, 31), (months, frac(16, 30)), "{to}");
        }
        // Repaid on the 30th: 15 days, February's last day standing for the 30th.
        for (to, months) in [("2026-01-30", 0), ("2026-02-28", 1), ("2026-03-30", 2)] {
            assert_eq!(count("2026-01-15", to, 30), (months, frac(15, 30)), "{to}");
        }
        // Lent on the 31st, repaid on the 28th: 28 days, then whole months.
        for (to, months) in [("2026-02-28", 0), ("2026-03-28", 1), ("2026-04-28", 2)] {
            assert_eq!(count("2026-01-31", to, 28), (months, frac(28, 30)), "{to}");
        }
    }

    #[test]
    fn a_year_takes_months_over_12_or_days_over_365() {
        let count = |from: &str, to: &str| UnitPeriod::YEAR.count(date(from), date(to)).unwrap();
        assert_eq!(count("1978-01-10", "1979-07-10"), (1, frac(6, 12)));
        assert_eq!(count("1978-01-10", "1980-01-10"), (2, Decimal::ZERO));
        assert_eq!(count("1978-01-10", "1979-07-20"), (1, frac(191, 365)));
    }

    #[test]
    fn eu_years_are_calendar_years() {
        let years = |from: &str, to: &str| years_between(date(from), date(to)).unwrap();
        assert_eq!(
            years("1994-01-01", "1995-07-01"),
            Decimal::ONE + frac(181, 365)
        );
        assert_eq!(years("1994-01-01", "1996-01-01"), Decimal::TWO);
        assert_eq!(years("2024-01-01", "2024-12-31"), frac(365, 366));
        assert_eq!(years("2023-03-01", "2024-02-29"), frac(365, 366));
        assert_eq!(years("2025-01-01", "2025-07-02"), frac(182, 365));
        assert!(matches!(
            years_between(date("2025-01-02"), date("2025-01-01")),
            Err(AprError::BeforeStart { .. })
        ));
    }

    #[test]
    fn runs_step_by_the_unit_period() {
        let nth = |unit: UnitPeriod, first: &str, k: u32| {
            unit.nth_date(date(first), k).unwrap().to_string()
        };
        assert_eq!(nth(UnitPeriod::Semimonth, "1978-03-01", 1), "1978-03-16");
        assert_eq!(nth(UnitPeriod::Semimonth, "1978-03-01", 2), "1978-04-01");
        assert_eq!(nth(UnitPeriod::Semimonth, "1978-03-01", 3), "1978-04-16");
        assert_eq!(nth(UnitPeriod::Semimonth, "1978-03-20", 1), "1978-04-05");
        assert_eq!(nth(UnitPeriod::Semimonth, "1978-03-20", 2), "1978-04-20");
        assert_eq!(nth(UnitPeriod::Semimonth, "2026-02-14", 1), "2026-02-28");
        assert_eq!(nth(UnitPeriod::MONTH, "2026-01-31", 1), "2026-02-28");
        assert_eq!(nth(UnitPeriod::MONTH, "2026-01-31", 2), "2026-03-31");
        assert_eq!(nth(UnitPeriod::Weeks(2), "1978-04-11", 19), "1979-01-02");
        assert_eq!(nth(UnitPeriod::YEAR, "1995-01-01", 1), "1996-01-01");
    }

    #[test]
    fn unit_periods_out_of_range_are_refused() {
        for unit in [
            UnitPeriod::Days(0),
            UnitPeriod::Days(366),
            UnitPeriod::Weeks(53),
            UnitPeriod::Months(13),
        ] {
            assert!(
                matches!(unit.per_year(), Err(AprError::UnitPeriod { .. })),
                "{unit}"
            );
        }
        assert_eq!(UnitPeriod::Weeks(4).per_year().unwrap(), Decimal::from(13));
        assert_eq!(UnitPeriod::Semimonth.per_year().unwrap(), Decimal::from(24));
        assert_eq!(UnitPeriod::QUARTER.per_year().unwrap(), Decimal::from(4));
    }
}
