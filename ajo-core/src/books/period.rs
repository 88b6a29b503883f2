//! The span of time a report covers.

use std::fmt;

use chrono::{
    DateTime, Days, Months, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::time::Timestamp;

/// A span of posting times, `[from, until)`: it holds its start and not its end, so a
/// day, the next day and the two together cut the journal the same way, and every entry
/// falls in exactly one of back-to-back periods.
///
/// Both ends are [`Timestamp`]s (whole microseconds), as posting times are. Build one for
/// a calendar [`day`](Period::day), [`ISO week`](Period::iso_week) or
/// [`month`](Period::month) in a time zone, for whole [`dates`](Period::dates), or for
/// any two instants with [`new`](Period::new).
///
/// ```
/// use ajo_core::books::Period;
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use chrono_tz::Africa::Lagos;
///
/// let march = Period::month(2026, 3, Lagos)?;
/// // Lagos is an hour ahead of UTC: its March starts at 23:00 UTC on 28 February.
/// assert_eq!(march.from(), Utc.with_ymd_and_hms(2026, 2, 28, 23, 0, 0).unwrap());
/// let first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
/// let last = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
/// assert_eq!(Period::dates(first, last, Lagos)?, march);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Bounds")]
pub struct Period {
    from: Timestamp,
    until: Timestamp,
}

/// A period as serde reads it, checked by [`Period::new`].
#[derive(Deserialize)]
struct Bounds {
    from: Timestamp,
    until: Timestamp,
}

impl TryFrom<Bounds> for Period {
    type Error = PeriodError;

    fn try_from(bounds: Bounds) -> Result<Period, PeriodError> {
        Period::new(bounds.from, bounds.until)
    }
}

/// Why a period could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PeriodError {
    /// The end is not after the start: the period would hold nothing.
    #[error("a period must end after it starts: from {from} until {until}")]
    Empty {
        /// The start given.
        from: Timestamp,
        /// The end given.
        until: Timestamp,
    },
    /// The year has no such ISO week (weeks run from 1 to 52 or 53).
    #[error("{year} has no ISO week {week}")]
    NoSuchWeek {
        /// The ISO year.
        year: i32,
        /// The week asked for.
        week: u32,
    },
    /// No such month (months run from 1 to 12), or a year out of range.
    #[error("there is no month {month} of {year}")]
    NoSuchMonth {
        /// The year.
        year: i32,
        /// The month asked for.
        month: u32,
    },
    /// A date whose start (or the start of the day after it) cannot be represented.
    #[error("the date {date} is out of range")]
    DateOutOfRange {
        /// The date.
        date: NaiveDate,
    },
}

impl Period {
    /// The instants from `from` up to, not including, `until`, each cut to whole
    /// microseconds.
    ///
    /// # Errors
    /// [`PeriodError::Empty`] unless `until` is after `from` (once cut).
    pub fn new(
        from: impl Into<Timestamp>,
        until: impl Into<Timestamp>,
    ) -> Result<Period, PeriodError> {
        let (from, until) = (from.into(), until.into());
        if until <= from {
            return Err(PeriodError::Empty { from, until });
        }
        Ok(Period { from, until })
    }

    /// The calendar day `date` in `zone`: from its first instant to the next day's (23
    /// or 25 hours on a day the clocks change).
    ///
    /// # Errors
    /// [`PeriodError::DateOutOfRange`] at the ends of the calendar.
    pub fn day(date: NaiveDate, zone: Tz) -> Result<Period, PeriodError> {
        Period::dates(date, date, zone)
    }

    /// The whole days `first` to `last`, both included, in `zone`.
    ///
    /// # Errors
    /// [`PeriodError::Empty`] if `last` is before `first`;
    /// [`PeriodError::DateOutOfRange`] at the ends of the calendar.
    pub fn dates(first: NaiveDate, last: NaiveDate, zone: Tz) -> Result<Period, PeriodError> {
        let after_last = last
            .checked_add_days(Days::new(1))
            .ok_or(PeriodError::DateOutOfRange { date: last })?;
        Period::new(start_of(first, zone)?, start_of(after_last, zone)?)
    }

    /// ISO week `week` of ISO year `year` in `zone`: Monday to Sunday.
    ///
    /// # Errors
    /// [`PeriodError::NoSuchWeek`] for a week the year does not have;
    /// [`PeriodError::DateOutOfRange`] at the ends of the calendar.
    pub fn iso_week(year: i32, week: u32, zone: Tz) -> Result<Period, PeriodError> {
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .ok_or(PeriodError::NoSuchWeek { year, week })?;
        let next = monday
            .checked_add_days(Days::new(7))
            .ok_or(PeriodError::DateOutOfRange { date: monday })?;
        Period::new(start_of(monday, zone)?, start_of(next, zone)?)
    }

    /// Calendar month `month` (1 to 12) of `year` in `zone`.
    ///
    /// # Errors
    /// [`PeriodError::NoSuchMonth`] for a month outside 1 to 12 or a year out of range;
    /// [`PeriodError::DateOutOfRange`] at the ends of the calendar.
    pub fn month(year: i32, month: u32, zone: Tz) -> Result<Period, PeriodError> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)
            .ok_or(PeriodError::NoSuchMonth { year, month })?;
        let next = first
            .checked_add_months(Months::new(1))
            .ok_or(PeriodError::DateOutOfRange { date: first })?;
        Period::new(start_of(first, zone)?, start_of(next, zone)?)
    }

    /// The first instant in the period.
    pub fn from(&self) -> Timestamp {
        self.from
    }

    /// The first instant after the period.
    pub fn until(&self) -> Timestamp {
        self.until
    }

    /// Whether `at` falls in the period.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from <= at && at < self.until
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.from, self.until)
    }
}

/// The first instant of `date` in `zone`. Where the clocks skip midnight the day starts
/// when the gap ends: midnight read with the offset in force before the gap.
fn start_of(date: NaiveDate, zone: Tz) -> Result<DateTime<Utc>, PeriodError> {
    let out_of_range = PeriodError::DateOutOfRange { date };
    let midnight: NaiveDateTime = date.and_hms_opt(0, 0, 0).ok_or(out_of_range.clone())?;
    if let Some(start) = zone.from_local_datetime(&midnight).earliest() {
        return Ok(start.with_timezone(&Utc));
    }
    let before = midnight
        .checked_sub_signed(TimeDelta::hours(3))
        .and_then(|t| zone.from_local_datetime(&t).earliest())
        .ok_or(out_of_range.clone())?;
    let offset = TimeDelta::seconds(i64::from(before.offset().fix().local_minus_utc()));
    midnight
        .checked_sub_signed(offset)
        .map(|t| t.and_utc())
        .ok_or(out_of_range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Europe, UTC};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().into()
    }

    #[test]
    fn an_empty_or_inverted_range_is_refused() {
        let at = utc(2026, 3, 1, 0);
        assert_eq!(
            Period::new(at, at),
            Err(PeriodError::Empty {
                from: at,
                until: at
            })
        );
        assert!(Period::new(utc(2026, 3, 2, 0), at).is_err());
        assert!(Period::dates(date(2026, 3, 2), date(2026, 3, 1), UTC).is_err());
        // Half a microsecond apart is nothing once cut.
        let a = Utc.timestamp_opt(1_772_355_600, 100).unwrap();
        let b = Utc.timestamp_opt(1_772_355_600, 900).unwrap();
        assert!(matches!(Period::new(a, b), Err(PeriodError::Empty { .. })));
    }

    #[test]
    fn calendar_periods_in_a_zone() {
        let day = Period::day(date(2026, 3, 29), Europe::London).unwrap();
        // The clocks go forward at 01:00 UTC: a 23-hour day.
        assert_eq!(
            (day.from(), day.until()),
            (utc(2026, 3, 29, 0), utc(2026, 3, 29, 23))
        );
        let week = Period::iso_week(2026, 1, UTC).unwrap();
        assert_eq!(
            (week.from(), week.until()),
            (utc(2025, 12, 29, 0), utc(2026, 1, 5, 0))
        );
        // 2026 starts on a Thursday, so it has 53 ISO weeks; 2025 has 52.
        assert_eq!(
            Period::iso_week(2025, 53, UTC),
            Err(PeriodError::NoSuchWeek {
                year: 2025,
                week: 53
            })
        );
        assert!(Period::iso_week(2026, 53, UTC).is_ok());
        assert!(Period::iso_week(2026, 0, UTC).is_err());
        let december = Period::month(2026, 12, UTC).unwrap();
        assert_eq!(december.until(), utc(2027, 1, 1, 0));
        assert_eq!(
            Period::month(2026, 13, UTC),
            Err(PeriodError::NoSuchMonth {
                year: 2026,
                month: 13
            })
        );
        assert!(december.contains(december.from()));
        assert!(!december.contains(december.until()));
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_when_the_gap_ends() {
        // Santiago skipped from 00:00 to 01:00 on 2022-09-11 (UTC-4 to UTC-3).
        let day = Period::day(date(2022, 9, 11), America::Santiago).unwrap();
        assert_eq!(day.from(), utc(2022, 9, 11, 4));
        assert_eq!(day.until(), utc(2022, 9, 12, 3));
    }

    #[test]
    fn a_period_reads_back_only_when_it_is_not_empty() {
        let march = Period::month(2026, 3, UTC).unwrap();
        let json = serde_json::to_string(&march).unwrap();
        assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), march);
        let inverted = r#"{"from":"2026-04-01T00:00:00Z","until":"2026-03-01T00:00:00Z"}"#;
        assert!(serde_json::from_str::<Period>(inverted).is_err());
    }
}
