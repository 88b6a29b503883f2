//! `--from` and `--to`: the span a read or a reconciliation covers.
//!
//! Each takes a date (`2026-01-31`, its first instant in UTC) or an RFC 3339 time
//! (`2026-01-31T09:00:00+01:00`). The span holds `--from` and not `--to`, as a
//! [`Period`] does, for dates and times alike: `--from 2026-01-01 --to 2026-02-01` is
//! January, and back-to-back runs never count an entry twice.

use ajo_core::books::{Period, PeriodError};
use ajo_core::ledger::JournalEntry;
use ajo_core::time::Timestamp;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// Reads `--from`/`--to`: a date (its first instant in UTC) or an RFC 3339 time.
///
/// # Errors
/// A message for clap's usage error (exit code 2) when it is neither.
pub fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            format!("{text:?} is neither a date (2026-01-31) nor an RFC 3339 time (2026-01-31T09:00:00Z)")
        })
}

/// The span `[from, to)`, a missing end taken from the journal: `--from` defaults to
/// the earliest posting time in `entries` (else the Unix epoch), `--to` to just after
/// the latest (else now), so no bounds means everything in the journal.
///
/// # Errors
/// [`PeriodError::Empty`] when the span would not end after it starts.
pub fn span(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    entries: &[JournalEntry],
) -> Result<Period, PeriodError> {
    let times = entries.iter().map(JournalEntry::posted_at);
    let from = match from {
        Some(from) => Timestamp::from(from),
        None => times
            .clone()
            .min()
            .unwrap_or_else(|| Timestamp::from(DateTime::<Utc>::UNIX_EPOCH)),
    };
    let until = match to {
        Some(to) => Timestamp::from(to),
        None => times.max().map_or_else(
            || Timestamp::from(Utc::now()),
            |last| last.saturating_add(TimeDelta::microseconds(1)),
        ),
    };
    Period::new(from, until)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn dates_are_midnight_utc_and_times_keep_their_instant() {
        assert_eq!(
            instant("2026-01-31").unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).unwrap()
        );
        assert_eq!(
            instant("2026-01-31T09:00:00+01:00").unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 31, 8, 0, 0).unwrap()
        );
        for bad in ["", "2026-02-30", "31/01/2026", "2026-01-31 09:00"] {
            assert!(instant(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds_given_make_the_period_and_an_inverted_one_is_refused() {
        let jan = instant("2026-01-01").unwrap();
        let feb = instant("2026-02-01").unwrap();
        let period = span(Some(jan), Some(feb), &[]).unwrap();
        assert_eq!((period.from(), period.until()), (jan.into(), feb.into()));
        assert!(span(Some(feb), Some(jan), &[]).is_err());
    }
}
