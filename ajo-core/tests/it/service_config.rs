//! A host's settings and clock cannot make the service panic: out-of-range settings are
//! refused with a typed error before the service takes them, and a group's calendar date
//! at either end of chrono's range stops at that end.

use std::time::Duration;

use ajo_core::group::{GroupEvent, GroupState};

use ajo_core::ids::GroupId;
use ajo_core::service::{ConfigError, MAX_SETTING_DURATION, ServiceConfig, ServiceError};
use ajo_testkit::{Embedded, builders};
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};

fn embedded() -> Embedded {
    Embedded::new(Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap())
}

#[test]
fn with_config_refuses_each_out_of_range_setting_with_its_typed_error() {
    let d = ServiceConfig::default;
    let out = |setting, given| ConfigError::DurationOutOfRange {
        setting,
        given,
        max: MAX_SETTING_DURATION,
    };
    let cases = [
        // Before: accepted, then `join` panicked adding it to the clock.
        (
            ServiceConfig {
                reverify_after: TimeDelta::MAX,
                ..d()
            },
            out("reverify_after", TimeDelta::MAX),
        ),
        // Before: accepted; every tick asked the gateway about every pending collection.
        (
            ServiceConfig {
                reverify_after: TimeDelta::minutes(-30),
                ..d()
            },
            out("reverify_after", TimeDelta::minutes(-30)),
        ),
        // Before: accepted; a failed send was retried within the same delivery run.
        (
            ServiceConfig {
                outbox_backoff: TimeDelta::zero(),
                ..d()
            },
            out("outbox_backoff", TimeDelta::zero()),
        ),
        // Before: accepted; every claim expired at once, so two workers could send.
        (
            ServiceConfig {
                outbox_lease: Duration::ZERO,
                ..d()
            },
            out("outbox_lease", TimeDelta::zero()),
        ),
        // Before: accepted, and the store fell back to a 60 s lease.
        (
            ServiceConfig {
                outbox_lease: Duration::MAX,
                ..d()
            },
            out("outbox_lease", TimeDelta::MAX),
        ),
        // Before: accepted; a contended command tried four billion times, then
        // `conflict_retries + 1` overflowed.
        (
            ServiceConfig {
                conflict_retries: u32::MAX,
                ..d()
            },
            ConfigError::CountOutOfRange {
                setting: "conflict_retries",
                given: u64::from(u32::MAX),
                min: 0,
                max: 100,
            },
        ),
        // Before: accepted; `tick` looked at nothing, ever.
        (
            ServiceConfig {
                tick_batch: 0,
                ..d()
            },
            ConfigError::CountOutOfRange {
                setting: "tick_batch",
                given: 0,
                min: 1,
                max: 1_000_000,
            },
        ),
        // Before: accepted; a message failed for good at its first retryable failure.
        (
            ServiceConfig {
                outbox_max_attempts: 0,
                ..d()
            },
            ConfigError::CountOutOfRange {
                setting: "outbox_max_attempts",
                given: 0,
                min: 1,
                max: 100,
            },
        ),
        (
            ServiceConfig {
                group_cache: usize::MAX,
                ..d()
            },
            ConfigError::CountOutOfRange {
                setting: "group_cache",
                given: u64::MAX,
                min: 0,
                max: 1_000_000,
            },
        ),
        // Before: accepted; leases named no worker.
        (
            ServiceConfig {
                worker: "  ".into(),
                ..d()
            },
            ConfigError::BlankWorker,
        ),
    ];
    for (config, expected) in cases {
        let refused = embedded().service.with_config(config).unwrap_err();
        assert_eq!(refused, expected);
        // The service's and the crate's errors carry it, for `?` in a host's setup.
        assert_eq!(
            ServiceError::from(refused.clone()),
            ServiceError::Config(expected.clone())
        );
        assert_eq!(
            ajo_core::Error::from(refused),
            ajo_core::Error::Config(expected)
        );
    }
}

#[test]
fn with_config_takes_settings_in_range() {
    let config = ServiceConfig {
        reverify_after: MAX_SETTING_DURATION,
        outbox_lease: Duration::from_secs(1),
        worker: "host-1".into(),
        group_cache: 0,
        ..ServiceConfig::default()
    };
    assert!(embedded().service.with_config(config).is_ok());
}

/// A created group in `zone`.
fn group_in(zone: chrono_tz::Tz) -> GroupState {
    let config =
        builders::naira_group("Ends", 1_000, NaiveDate::from_ymd_opt(2026, 1, 31).unwrap())
            .time_zone(zone)
            .build()
            .unwrap();
    GroupState::replay(&[GroupEvent::Created {
        id: GroupId::new("ends").unwrap(),
        config,
        at: DateTime::UNIX_EPOCH,
    }])
}

#[test]
fn a_groups_date_at_either_end_of_time_stops_there() {
    // Before: chrono's `date_naive` panicked ("Local time out of range") once the zone's
    // offset carried the clock past the last date, or before the first.
    let lagos = group_in(chrono_tz::Africa::Lagos);
    let end = DateTime::<Utc>::MAX_UTC;
    assert_eq!(lagos.today(end), NaiveDate::MAX);
    assert_eq!(lagos.today(end - TimeDelta::minutes(59)), NaiveDate::MAX);
    let new_york = group_in(chrono_tz::America::New_York);
    assert_eq!(new_york.today(DateTime::<Utc>::MIN_UTC), NaiveDate::MIN);
    // Away from the ends, the zone's date as before.
    let late_evening = Utc.with_ymd_and_hms(2026, 3, 1, 23, 30, 0).unwrap();
    assert_eq!(
        lagos.today(late_evening),
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    );
    assert_eq!(
        new_york.today(late_evening),
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    );
}
