//! Instants at the one precision every store keeps: whole microseconds.
//!
//! A clock gives nanoseconds (`Utc::now()` on Linux does); PostgreSQL's `TIMESTAMPTZ`
//! keeps microseconds and *rounds* what it is given. If the ledger hashed the clock's
//! nanoseconds and a store kept a rounded copy, every entry read back would look altered,
//! and real tampering could not be told apart. So the precision is decided here, once,
//! before anything is hashed or stored: a [`Timestamp`] is always a whole number of
//! microseconds, cut toward the past. The ledger seals entries only at a `Timestamp`, a
//! store is handed only `Timestamp`s to write, and [`AjoService`](crate::service::AjoService)
//! cuts its clock's readings the same way, so every time it decides with is one a store
//! gives back unchanged.

use std::fmt;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A UTC instant in whole microseconds. Converting from a [`DateTime<Utc>`] cuts the
/// nanoseconds below a microsecond (toward the past, so an instant never moves later).
///
/// ```
/// use ajo_core::time::Timestamp;
/// use chrono::{TimeZone, Utc};
///
/// let read = Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap();
/// let at = Timestamp::from(read);
/// assert_eq!(at.as_datetime().timestamp_subsec_nanos(), 123_456_000);
/// // Cutting twice changes nothing.
/// assert_eq!(Timestamp::from(at.as_datetime()), at);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// `at`, cut to whole microseconds.
    pub fn from_datetime(at: DateTime<Utc>) -> Timestamp {
        let nanos = at.nanosecond();
        // `nanosecond()` is below 2·10⁹ (a leap second adds one), and cutting it keeps it
        // there, so `with_nanosecond` always succeeds; `unwrap_or` keeps this total.
        Timestamp(at.with_nanosecond(nanos - nanos % 1_000).unwrap_or(at))
    }

    /// The instant as a chrono time, for arithmetic and for the domain's rules.
    pub fn as_datetime(self) -> DateTime<Utc> {
        self.0
    }

    /// This instant moved by `by`, stopping at the first or last instant chrono can hold
    /// (cut to its microsecond) instead of overflowing: a deadline past the end of time is
    /// the end of time. Clocks and settings come from the host, so times the service and
    /// the stores compute from them use this, never `+`, which panics on overflow.
    ///
    /// ```
    /// use ajo_core::time::Timestamp;
    /// use chrono::{DateTime, TimeDelta, Utc};
    ///
    /// let last = Timestamp::from(DateTime::<Utc>::MAX_UTC);
    /// let soon = Timestamp::from(DateTime::<Utc>::MAX_UTC - TimeDelta::minutes(1));
    /// assert_eq!(soon.saturating_add(TimeDelta::days(1)), last);
    /// assert!(soon.saturating_add(TimeDelta::seconds(1)) < last);
    /// ```
    #[must_use]
    pub fn saturating_add(self, by: TimeDelta) -> Timestamp {
        let bound = if by < TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        };
        Timestamp::from(self.0.checked_add_signed(by).unwrap_or(bound))
    }

    /// As [`saturating_add`](Self::saturating_add), for a `std` duration (a lease, a
    /// timeout); one too long for chrono to hold reaches the last instant.
    #[must_use]
    pub fn saturating_add_std(self, by: std::time::Duration) -> Timestamp {
        self.saturating_add(TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX))
    }

    /// Seconds since the Unix epoch and the microseconds within that second.
    pub fn to_unix_micros(self) -> (i64, u32) {
        (self.0.timestamp(), self.0.timestamp_subsec_micros())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Timestamp {
        Timestamp::from_datetime(at)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(at: Timestamp) -> DateTime<Utc> {
        at.0
    }
}

impl PartialEq<DateTime<Utc>> for Timestamp {
    fn eq(&self, other: &DateTime<Utc>) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        DateTime::<Utc>::deserialize(deserializer).map(Timestamp::from_datetime)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn cuts_toward_the_past_before_and_after_the_epoch() {
        let after = Utc.timestamp_opt(1_700_000_000, 999_999_999).unwrap();
        assert_eq!(
            Timestamp::from(after).to_unix_micros(),
            (1_700_000_000, 999_999)
        );
        // Before 1970 chrono still counts nanoseconds upward from the whole second below.
        let before = Utc.timestamp_opt(-5, 1_500).unwrap();
        let cut = Timestamp::from(before).as_datetime();
        assert_eq!(cut.timestamp(), -5);
        assert_eq!(cut.timestamp_subsec_nanos(), 1_000);
        assert!(cut <= before);
    }

    #[test]
    fn adding_stops_at_either_end_of_time_instead_of_panicking() {
        let first = Timestamp::from(DateTime::<Utc>::MIN_UTC);
        let last = Timestamp::from(DateTime::<Utc>::MAX_UTC);
        let now = Timestamp::from(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
        assert_eq!(
            now.saturating_add(TimeDelta::minutes(30)).as_datetime(),
            now.as_datetime() + TimeDelta::minutes(30)
        );
        assert_eq!(now.saturating_add(TimeDelta::MAX), last);
        assert_eq!(now.saturating_add(TimeDelta::MIN), first);
        assert_eq!(last.saturating_add(TimeDelta::microseconds(1)), last);
        assert_eq!(first.saturating_add(-TimeDelta::microseconds(1)), first);
        // The end is kept at a whole microsecond, as every Timestamp is.
        assert_eq!(last.as_datetime().nanosecond() % 1_000, 0);
        assert_eq!(
            now.saturating_add_std(std::time::Duration::from_secs(300)),
            now.saturating_add(TimeDelta::seconds(300))
        );
        assert_eq!(now.saturating_add_std(std::time::Duration::MAX), last);
        // Sub-microsecond steps are cut like any other reading.
        assert_eq!(now.saturating_add(TimeDelta::nanoseconds(999)), now);
    }

    #[test]
    fn a_leap_second_is_kept() {
        let leap = Utc
            .with_ymd_and_hms(2016, 12, 31, 23, 59, 59)
            .unwrap()
            .with_nanosecond(1_000_000_500)
            .unwrap();
        assert_eq!(
            Timestamp::from(leap).as_datetime().nanosecond(),
            1_000_000_000
        );
    }

    #[test]
    fn serde_round_trips_and_cuts_what_it_reads() {
        let at = Timestamp::from(Utc.timestamp_opt(1_800_000_000, 5_000).unwrap());
        let json = serde_json::to_string(&at).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), at);
        let finer: Timestamp = serde_json::from_str("\"2027-01-15T08:00:00.123456789Z\"").unwrap();
        assert_eq!(finer.as_datetime().timestamp_subsec_nanos(), 123_456_000);
    }
}
