//! A host's settings cannot make the service panic: out-of-range settings are refused
//! with a typed error before the service takes them.

use std::time::Duration;

use ajo_core::service::{ConfigError, MAX_SETTING_DURATION, ServiceConfig, ServiceError};
use ajo_testkit::Embedded;
use chrono::{TimeDelta, TimeZone, Utc};

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
