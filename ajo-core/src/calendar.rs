//! Due dates: how often something falls due, and the calendar date of the k-th time.
//!
//! Rotation rounds and loan installments share these rules, from the reference
//! specification: a monthly date is always computed from the start date, never chained
//! from the previous due date, with the day clamped to the month's last day. From
//! 31 January: 28 (or 29) February, 31 March, 30 April...; from 29 November 2026:
//! 28 February 2027, then 29 March 2027.
//!
//! ```
//! use ajo_core::calendar::{Frequency, due_date};
//! use chrono::NaiveDate;
//!
//! let start = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
//! assert_eq!(due_date(start, Frequency::Monthly, 1)?, NaiveDate::from_ymd_opt(2025, 2, 28).unwrap());
//! assert_eq!(due_date(start, Frequency::Monthly, 2)?, NaiveDate::from_ymd_opt(2025, 3, 31).unwrap());
//! assert_eq!(due_date(start, Frequency::Weekly, 2)?, NaiveDate::from_ymd_opt(2025, 2, 14).unwrap());
//! # Ok::<(), ajo_core::calendar::CalendarError>(())
//! ```

use std::fmt;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How often something falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Frequency {
    /// Every day.
    Daily,
    /// Every 7 days.
    Weekly,
    /// Every 14 days (not twice a month).
    Biweekly,
    /// The same day each calendar month, clamped to the month's end.
    Monthly,
    /// Every `n` days, `n >= 1`.
    EveryNDays(u16),
}

impl Frequency {
    /// Periods in a year, for rates quoted per annum: 365 daily, 52 weekly, 26 every two
    /// weeks, 12 monthly; `None` for every N days, which has no conventional count.
    pub fn periods_per_year(self) -> Option<u32> {
        match self {
            Frequency::Daily => Some(365),
            Frequency::Weekly => Some(52),
            Frequency::Biweekly => Some(26),
            Frequency::Monthly => Some(12),
            Frequency::EveryNDays(_) => None,
        }
    }

    fn days(self) -> Option<u64> {
        match self {
            Frequency::Daily => Some(1),
            Frequency::Weekly => Some(7),
            Frequency::Biweekly => Some(14),
            Frequency::EveryNDays(n) => Some(u64::from(n)),
            Frequency::Monthly => None,
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frequency::Daily => f.write_str("daily"),
            Frequency::Weekly => f.write_str("weekly"),
            Frequency::Biweekly => f.write_str("biweekly"),
            Frequency::Monthly => f.write_str("monthly"),
            Frequency::EveryNDays(n) => write!(f, "every {n} days"),
        }
    }
}

/// Why a due date could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// `EveryNDays(0)` never advances.
    #[error("a frequency of every 0 days never advances")]
    ZeroDayInterval,
    /// The date is past the end of chrono's calendar.
    #[error("due date {index} periods after {start} is out of range")]
    OutOfRange {
        /// The start date.
        start: NaiveDate,
        /// How many periods after it.
        index: u32,
    },
}

/// The date `index` periods after `start` (`index` 0 is `start` itself).
///
/// # Errors
/// [`CalendarError::ZeroDayInterval`] for `EveryNDays(0)`, [`CalendarError::OutOfRange`]
/// past the calendar's end.
pub fn due_date(
    start: NaiveDate,
    frequency: Frequency,
    index: u32,
) -> Result<NaiveDate, CalendarError> {
    let out_of_range = || CalendarError::OutOfRange { start, index };
    match frequency.days() {
        Some(0) => Err(CalendarError::ZeroDayInterval),
        Some(days) => {
            let offset = days
                .checked_mul(u64::from(index))
                .ok_or_else(out_of_range)?;
            start
                .checked_add_days(Days::new(offset))
                .ok_or_else(out_of_range)
        }
        None => start
            .checked_add_months(Months::new(index))
            .ok_or_else(out_of_range),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn monthly_clamps_from_the_start_never_chained() {
        let from_jan31: Vec<NaiveDate> = (0..5)
            .map(|k| due_date(d(2025, 1, 31), Frequency::Monthly, k).unwrap())
            .collect();
        assert_eq!(
            from_jan31,
            [
                d(2025, 1, 31),
                d(2025, 2, 28),
                d(2025, 3, 31),
                d(2025, 4, 30),
                d(2025, 5, 31)
            ]
        );
        assert_eq!(
            due_date(d(2024, 1, 31), Frequency::Monthly, 1).unwrap(),
            d(2024, 2, 29)
        );
        assert_eq!(
            due_date(d(2026, 11, 29), Frequency::Monthly, 3).unwrap(),
            d(2027, 2, 28)
        );
        assert_eq!(
            due_date(d(2026, 11, 29), Frequency::Monthly, 4).unwrap(),
            d(2027, 3, 29)
        );
    }

    #[test]
    fn day_based_frequencies() {
        let start = d(2026, 12, 30);
        assert_eq!(due_date(start, Frequency::Daily, 3).unwrap(), d(2027, 1, 2));
        assert_eq!(
            due_date(start, Frequency::Weekly, 1).unwrap(),
            d(2027, 1, 6)
        );
        assert_eq!(
            due_date(start, Frequency::Biweekly, 2).unwrap(),
            d(2027, 1, 27)
        );
        assert_eq!(
            due_date(start, Frequency::EveryNDays(10), 3).unwrap(),
            d(2027, 1, 29)
        );
        assert_eq!(due_date(start, Frequency::Monthly, 0).unwrap(), start);
    }

    #[test]
    fn errors_instead_of_panics() {
        assert_eq!(
            due_date(d(2026, 1, 1), Frequency::EveryNDays(0), 1),
            Err(CalendarError::ZeroDayInterval)
        );
        assert!(matches!(
            due_date(NaiveDate::MAX, Frequency::Daily, 1),
            Err(CalendarError::OutOfRange { .. })
        ));
        assert!(matches!(
            due_date(NaiveDate::MAX, Frequency::Monthly, u32::MAX),
            Err(CalendarError::OutOfRange { .. })
        ));
    }
}
