//! The service's settings, and the ranges they are checked against.
//!
//! A host builds a [`ServiceConfig`] (usually from [`Default`] and a few fields it
//! changes) and hands it to [`AjoService::with_config`](super::AjoService::with_config),
//! which refuses one out of range with a [`ConfigError`] naming the setting, the value and
//! what is allowed. The bounds keep every time the service computes from a setting inside
//! what chrono can hold and every loop the settings drive short; the service still adds
//! times with saturating arithmetic, because its clock is the host's too.

use std::time::Duration;

use chrono::TimeDelta;
use thiserror::Error;

use crate::limits::{LimitError, Limits};

/// The longest any duration setting may be: a year, leap day included. Longer than any
/// sensible re-verification, lease or retry delay, and short enough that the service's
/// times stay far from the end of chrono's range on any real clock.
pub const MAX_SETTING_DURATION: TimeDelta = TimeDelta::days(366);

/// The most conflict retries: past this a command is not losing races but livelocked,
/// and the host is better told ([`ServiceError::TooMuchContention`](super::ServiceError)).
pub const MAX_CONFLICT_RETRIES: u32 = 100;

/// The most send attempts for one message: with the smallest backoff doubling each time,
/// the last retry is already months out.
pub const MAX_OUTBOX_ATTEMPTS: u32 = 100;

/// The most failed attempts a payout may wait before its alert: a payout failing this
/// often needs a person whatever the setting.
pub const MAX_PAYOUT_ALERT_AFTER: u32 = 100;

/// The most streams one `tick` reads: ten times the default. The due list is held in
/// memory while the tick works through it.
pub const MAX_TICK_BATCH: usize = 1_000_000;

/// The most group states kept: each is a few kilobytes, so this is already gigabytes.
pub const MAX_GROUP_CACHE: usize = 1_000_000;

/// The longest worker name, in bytes: it is stored with every outbox lease.
pub const MAX_WORKER_LEN: usize = 128;

/// Settings of the service. Check them with [`validate`](Self::validate); the service
/// takes them only through [`AjoService::with_config`](super::AjoService::with_config),
/// which does.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// How often a command is decided again after a version conflict (0 to
    /// [`MAX_CONFLICT_RETRIES`]).
    pub conflict_retries: u32,
    /// How long a collection may stay pending before `tick` asks the gateway about it
    /// (above zero, at most [`MAX_SETTING_DURATION`]).
    pub reverify_after: chrono::Duration,
    /// How many streams one `tick` looks at, at most (1 to [`MAX_TICK_BATCH`]).
    pub tick_batch: usize,
    /// This worker's name, for outbox leases (not blank, at most [`MAX_WORKER_LEN`]
    /// bytes).
    pub worker: String,
    /// How long an outbox claim lasts: longer than one send can take, retries and
    /// `Retry-After` waits included, or a second worker may send the message too (default
    /// five minutes, well above the HTTP adapters' defaults; above zero, at most
    /// [`MAX_SETTING_DURATION`]).
    pub outbox_lease: Duration,
    /// Send attempts before a message is marked failed (1 to [`MAX_OUTBOX_ATTEMPTS`]).
    pub outbox_max_attempts: u32,
    /// The first retry delay for a failed send; it doubles each attempt (above zero, at
    /// most [`MAX_SETTING_DURATION`]).
    pub outbox_backoff: chrono::Duration,
    /// How many groups' states the service keeps between commands, so a command reads
    /// only the events after them instead of the whole stream (0 keeps none, at most
    /// [`MAX_GROUP_CACHE`]). Each is a few kilobytes for a twelve-hand group. Kept states
    /// are never trusted over the store: every command still reads the events after its
    /// state, and every append still checks the version it was decided on. Four times as
    /// many recent collections are noted with their group and payer, so their webhook
    /// reads everything it needs in one call. As many loans' states are kept the same way.
    pub group_cache: usize,
    /// Which gateway reports are confirmed with the gateway before the service acts on
    /// them (by default, every one authenticated only by a static token, such as
    /// Flutterwave's `verif-hash`).
    pub confirmation: ConfirmationPolicy,
    /// How long a checkout stays open: a collection nobody paid by then is closed by
    /// `tick` (one last look at the gateway, then
    /// [`PaymentEvent::Expired`](crate::payment::PaymentEvent::Expired)), so it is no
    /// longer asked about, and the next request for the money opens a fresh one. A
    /// payment that still arrives for it is booked (default a day, about as long as a
    /// hosted checkout page stays usable; above zero, at most [`MAX_SETTING_DURATION`]).
    pub collection_expiry: chrono::Duration,
    /// Where the provider sends the payer after the checkout (Paystack's
    /// `callback_url`, Flutterwave's `redirect_url`); `None` leaves it to the provider's
    /// dashboard setting. Stripe's PaymentIntents are confirmed by the host's client,
    /// which names its own `return_url`.
    pub callback_url: Option<String>,
    /// After how many failed attempts a payout raises an alert
    /// ([`AlertKind::PayoutFailing`](crate::ports::AlertKind::PayoutFailing)), once per
    /// payout; `tick` goes on trying (1 to [`MAX_PAYOUT_ALERT_AFTER`], default 3).
    pub payout_alert_after: u32,
    /// Whether `tick` reconciles each UTC day, once it is over, with the gateway's
    /// statement ([`AjoService::reconcile`](super::AjoService::reconcile)), once per day
    /// however often it runs, catching up on days of the last week no tick reconciled
    /// (default off: a host may run reconciliations itself).
    pub daily_reconciliation: bool,
    /// How often `tick` takes a checkpoint of the books
    /// ([`AjoService::checkpoint`](super::AjoService::checkpoint)): when the last one is at
    /// least this old and a book has moved since (default an hour; `None`: never, the host
    /// takes them itself).
    pub checkpoint_every: Option<chrono::Duration>,
    /// Per-transaction, daily and monthly caps on the money members and groups move,
    /// checked before collections, loan disbursements and payouts (default: none, and
    /// then nothing is counted). See [`limits`](crate::limits) and `docs/limits.md`.
    pub limits: Limits,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            conflict_retries: 8,
            reverify_after: chrono::Duration::minutes(30),
            tick_batch: 100_000,
            worker: "ajo".into(),
            outbox_lease: Duration::from_secs(300),
            outbox_max_attempts: 5,
            outbox_backoff: chrono::Duration::seconds(30),
            group_cache: 4096,
            confirmation: ConfirmationPolicy::default(),
            collection_expiry: chrono::Duration::hours(24),
            callback_url: None,
            payout_alert_after: 3,
            daily_reconciliation: false,
            checkpoint_every: Some(chrono::Duration::hours(1)),
            limits: Limits::default(),
        }
    }
}

/// Which gateway reports
/// [`AjoService::handle_gateway_event`](super::AjoService::handle_gateway_event) confirms
/// with the gateway before acting on them. A successful charge is confirmed with
/// [`PaymentGateway::verify_transaction`](crate::ports::PaymentGateway::verify_transaction)
/// (status, amount, currency and reference); one the gateway does not confirm is never
/// credited and is reported as [`Handled::Unconfirmed`](super::Handled::Unconfirmed). A
/// payout's outcome is never taken from such a report's own words: the gateway is asked
/// about the transfer it names
/// ([`PaymentGateway::verify_payout`](crate::ports::PaymentGateway::verify_payout)) and its
/// answer is booked; a gateway that cannot look transfers up leaves the report to `tick`,
/// whose next look (which asks the gateway) is brought forward to now.
///
/// M-Pesa's and MTN MoMo's callbacks are signed by nothing at all: every outcome they
/// report is confirmed with the provider's status query, whatever this policy says.
///
/// A webhook authenticated by a static token proves only that its sender has seen the
/// token (any earlier delivery shows it), not that the body is the gateway's, so such
/// charges are confirmed unless the host says otherwise; a provider whose signatures the
/// host does not want to rely on alone can be confirmed always.
///
/// ```
/// use ajo_core::service::ConfirmationPolicy;
/// use ajo_core::webhook::Provider;
///
/// let policy = ConfirmationPolicy::default().always(Provider::Paystack);
/// assert!(policy.confirms_static_tokens());
/// assert!(policy.confirms_every_charge_of(Provider::Paystack));
/// assert!(!policy.confirms_every_charge_of(Provider::Stripe));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationPolicy {
    static_tokens: bool,
    always: std::collections::BTreeSet<crate::webhook::Provider>,
}

impl Default for ConfirmationPolicy {
    fn default() -> Self {
        ConfirmationPolicy {
            static_tokens: true,
            always: std::collections::BTreeSet::new(),
        }
    }
}

impl ConfirmationPolicy {
    /// Confirms every charge reported by `provider`, whatever authenticated it.
    #[must_use]
    pub fn always(mut self, provider: crate::webhook::Provider) -> ConfirmationPolicy {
        self.always.insert(provider);
        self
    }

    /// Credits charges authenticated by a static token without asking the gateway. Only
    /// for a host that confirms them itself before calling the service.
    #[must_use]
    pub fn trust_static_tokens(mut self) -> ConfirmationPolicy {
        self.static_tokens = false;
        self
    }

    /// Whether charges authenticated by a static token are confirmed.
    pub fn confirms_static_tokens(&self) -> bool {
        self.static_tokens
    }

    /// Whether every charge of `provider` is confirmed.
    pub fn confirms_every_charge_of(&self, provider: crate::webhook::Provider) -> bool {
        self.always.contains(&provider)
    }

    /// Whether `event` is confirmed before it is credited.
    ///
    /// An unsigned callback (M-Pesa, MTN MoMo:
    /// [`Authentication::is_unsigned_callback`](crate::webhook::Authentication::is_unsigned_callback))
    /// is always confirmed: no setting turns that off.
    pub fn requires(&self, event: &crate::webhook::GatewayEvent) -> bool {
        let authentication = event.authentication();
        authentication.is_unsigned_callback()
            || (self.static_tokens && authentication.is_static_token())
            || self.always.contains(&event.provider())
    }
}

/// Why a [`ServiceConfig`] was refused: the setting, the value given and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A count outside its range.
    #[error("{setting} is {given}; it must be from {min} to {max}")]
    CountOutOfRange {
        /// The setting (`conflict_retries`).
        setting: &'static str,
        /// The value given.
        given: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// A duration of zero or less, or longer than [`MAX_SETTING_DURATION`].
    #[error(
        "{setting} is {}; it must be above zero and at most {}",
        human(*given),
        human(*max)
    )]
    DurationOutOfRange {
        /// The setting (`reverify_after`).
        setting: &'static str,
        /// The value given (a `std` duration too long for chrono reads as
        /// [`TimeDelta::MAX`]).
        given: TimeDelta,
        /// The longest allowed.
        max: TimeDelta,
    },
    /// The worker name is empty or only whitespace.
    #[error("worker is blank; it must name this worker")]
    BlankWorker,
    /// The limits contradict each other.
    #[error("limits: {0}")]
    Limits(LimitError),
    /// The worker name is too long.
    #[error("worker is {len} bytes long; it must be at most {max}")]
    WorkerTooLong {
        /// Its length in bytes.
        len: usize,
        /// The most allowed.
        max: usize,
    },
}

impl ServiceConfig {
    /// Checks every setting against its documented range.
    ///
    /// ```
    /// use ajo_core::service::{ConfigError, ServiceConfig};
    ///
    /// assert!(ServiceConfig::default().validate().is_ok());
    /// let never = ServiceConfig { reverify_after: chrono::Duration::MAX, ..ServiceConfig::default() };
    /// assert!(matches!(
    ///     never.validate(),
    ///     Err(ConfigError::DurationOutOfRange { setting: "reverify_after", .. })
    /// ));
    /// ```
    ///
    /// # Errors
    /// The first setting out of range, in field order:
    /// [`ConfigError::CountOutOfRange`] for `conflict_retries`, `tick_batch`,
    /// `outbox_max_attempts` or `group_cache`; [`ConfigError::DurationOutOfRange`] for
    /// `reverify_after`, `outbox_lease`, `outbox_backoff`, `collection_expiry` or
    /// `checkpoint_every`;
    /// [`ConfigError::BlankWorker`]
    /// or [`ConfigError::WorkerTooLong`] for `worker`; [`ConfigError::Limits`] for
    /// `limits` ([`Limits::validate`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        count(
            "conflict_retries",
            self.conflict_retries.into(),
            0,
            MAX_CONFLICT_RETRIES.into(),
        )?;
        duration("reverify_after", self.reverify_after)?;
        if let Some(every) = self.checkpoint_every {
            duration("checkpoint_every", every)?;
        }
        count("tick_batch", wide(self.tick_batch), 1, wide(MAX_TICK_BATCH))?;
        if self.worker.trim().is_empty() {
            return Err(ConfigError::BlankWorker);
        }
        if self.worker.len() > MAX_WORKER_LEN {
            return Err(ConfigError::WorkerTooLong {
                len: self.worker.len(),
                max: MAX_WORKER_LEN,
            });
        }
        duration(
            "outbox_lease",
            TimeDelta::from_std(self.outbox_lease).unwrap_or(TimeDelta::MAX),
        )?;
        count(
            "outbox_max_attempts",
            self.outbox_max_attempts.into(),
            1,
            MAX_OUTBOX_ATTEMPTS.into(),
        )?;
        duration("outbox_backoff", self.outbox_backoff)?;
        duration("collection_expiry", self.collection_expiry)?;
        count(
            "payout_alert_after",
            self.payout_alert_after.into(),
            1,
            MAX_PAYOUT_ALERT_AFTER.into(),
        )?;
        count(
            "group_cache",
            wide(self.group_cache),
            0,
            wide(MAX_GROUP_CACHE),
        )?;
        self.limits.validate().map_err(ConfigError::Limits)
    }
}

/// A `usize` as a `u64`; none is wider on the targets Rust supports, and one that were
/// would be out of every range here anyway.
fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A duration as people write it: `-5s`, `30m`, `366d`, `1d 2h 0.25s`.
fn human(d: TimeDelta) -> String {
    if d.is_zero() {
        return "0s".to_owned();
    }
    // chrono's range is symmetric, so `abs` cannot overflow.
    let abs = d.abs();
    let secs = abs.num_seconds();
    let nanos = abs.subsec_nanos();
    let mut parts = Vec::new();
    for (n, unit) in [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
    ] {
        if n > 0 {
            parts.push(format!("{n}{unit}"));
        }
    }
    let s = secs % 60;
    if s > 0 || nanos > 0 {
        let fraction = format!("{nanos:09}");
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            parts.push(format!("{s}s"));
        } else {
            parts.push(format!("{s}.{fraction}s"));
        }
    }
    let sign = if d < TimeDelta::zero() { "-" } else { "" };
    format!("{sign}{}", parts.join(" "))
}

fn count(setting: &'static str, given: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&given) {
        Ok(())
    } else {
        Err(ConfigError::CountOutOfRange {
            setting,
            given,
            min,
            max,
        })
    }
}

fn duration(setting: &'static str, given: TimeDelta) -> Result<(), ConfigError> {
    if given > TimeDelta::zero() && given <= MAX_SETTING_DURATION {
        Ok(())
    } else {
        Err(ConfigError::DurationOutOfRange {
            setting,
            given,
            max: MAX_SETTING_DURATION,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(config: ServiceConfig) -> ConfigError {
        config.validate().unwrap_err()
    }

    #[test]
    fn the_defaults_and_the_edges_of_each_range_are_accepted() {
        assert_eq!(ServiceConfig::default().validate(), Ok(()));
        let edges = ServiceConfig {
            conflict_retries: MAX_CONFLICT_RETRIES,
            reverify_after: MAX_SETTING_DURATION,
            tick_batch: MAX_TICK_BATCH,
            worker: "w".repeat(MAX_WORKER_LEN),
            outbox_lease: Duration::from_secs(366 * 86_400),
            outbox_max_attempts: MAX_OUTBOX_ATTEMPTS,
            outbox_backoff: MAX_SETTING_DURATION,
            group_cache: MAX_GROUP_CACHE,
            confirmation: ConfirmationPolicy::default(),
            collection_expiry: MAX_SETTING_DURATION,
            callback_url: None,
            payout_alert_after: MAX_PAYOUT_ALERT_AFTER,
            daily_reconciliation: true,
            checkpoint_every: Some(MAX_SETTING_DURATION),
            limits: Limits::default(),
        };
        assert_eq!(edges.validate(), Ok(()));
        let low = ServiceConfig {
            conflict_retries: 0,
            reverify_after: TimeDelta::nanoseconds(1),
            tick_batch: 1,
            outbox_lease: Duration::from_nanos(1),
            outbox_max_attempts: 1,
            outbox_backoff: TimeDelta::nanoseconds(1),
            group_cache: 0,
            payout_alert_after: 1,
            ..ServiceConfig::default()
        };
        assert_eq!(low.validate(), Ok(()));
        let never = ServiceConfig {
            payout_alert_after: 0,
            ..ServiceConfig::default()
        };
        assert!(matches!(
            never.validate(),
            Err(ConfigError::CountOutOfRange {
                setting: "payout_alert_after",
                ..
            })
        ));
    }

    #[test]
    fn each_count_out_of_range_is_named_with_its_range() {
        let d = ServiceConfig::default;
        let cases = [
            (
                ServiceConfig {
                    conflict_retries: u32::MAX,
                    ..d()
                },
                ("conflict_retries", u64::from(u32::MAX), 0, 100),
            ),
            (
                ServiceConfig {
                    tick_batch: 0,
                    ..d()
                },
                ("tick_batch", 0, 1, 1_000_000),
            ),
            (
                ServiceConfig {
                    tick_batch: usize::MAX,
                    ..d()
                },
                ("tick_batch", u64::MAX, 1, 1_000_000),
            ),
            (
                ServiceConfig {
                    outbox_max_attempts: 0,
                    ..d()
                },
                ("outbox_max_attempts", 0, 1, 100),
            ),
            (
                ServiceConfig {
                    outbox_max_attempts: 101,
                    ..d()
                },
                ("outbox_max_attempts", 101, 1, 100),
            ),
            (
                ServiceConfig {
                    group_cache: MAX_GROUP_CACHE + 1,
                    ..d()
                },
                ("group_cache", 1_000_001, 0, 1_000_000),
            ),
        ];
        for (config, (setting, given, min, max)) in cases {
            assert_eq!(
                refused(config),
                ConfigError::CountOutOfRange {
                    setting,
                    given,
                    min,
                    max
                }
            );
        }
        assert_eq!(
            refused(ServiceConfig {
                conflict_retries: 101,
                ..d()
            })
            .to_string(),
            "conflict_retries is 101; it must be from 0 to 100"
        );
    }

    #[test]
    fn each_duration_out_of_range_is_named_with_its_range() {
        let d = ServiceConfig::default;
        let out = |setting, given| ConfigError::DurationOutOfRange {
            setting,
            given,
            max: MAX_SETTING_DURATION,
        };
        let year_and_a_day = MAX_SETTING_DURATION + TimeDelta::nanoseconds(1);
        for given in [
            TimeDelta::MIN,
            TimeDelta::seconds(-5),
            TimeDelta::zero(),
            year_and_a_day,
            TimeDelta::MAX,
        ] {
            assert_eq!(
                refused(ServiceConfig {
                    reverify_after: given,
                    ..d()
                }),
                out("reverify_after", given)
            );
            assert_eq!(
                refused(ServiceConfig {
                    outbox_backoff: given,
                    ..d()
                }),
                out("outbox_backoff", given)
            );
            assert_eq!(
                refused(ServiceConfig {
                    collection_expiry: given,
                    ..d()
                }),
                out("collection_expiry", given)
            );
        }
        for (given, reads_as) in [
            (Duration::ZERO, TimeDelta::zero()),
            (
                Duration::from_secs(366 * 86_400 + 1),
                MAX_SETTING_DURATION + TimeDelta::seconds(1),
            ),
            // Beyond what chrono holds: reported as its largest.
            (Duration::MAX, TimeDelta::MAX),
        ] {
            assert_eq!(
                refused(ServiceConfig {
                    outbox_lease: given,
                    ..d()
                }),
                out("outbox_lease", reads_as)
            );
        }
        assert_eq!(
            refused(ServiceConfig {
                reverify_after: TimeDelta::seconds(-5),
                ..d()
            })
            .to_string(),
            "reverify_after is -5s; it must be above zero and at most 366d"
        );
    }

    #[test]
    fn durations_read_as_people_write_them() {
        for (d, text) in [
            (TimeDelta::zero(), "0s"),
            (TimeDelta::seconds(-5), "-5s"),
            (TimeDelta::minutes(30), "30m"),
            (TimeDelta::days(366), "366d"),
            (
                TimeDelta::days(1) + TimeDelta::hours(2) + TimeDelta::milliseconds(250),
                "1d 2h 0.25s",
            ),
            (TimeDelta::nanoseconds(1), "0.000000001s"),
            (TimeDelta::MIN, "-106751991167d 7h 12m 55.807s"),
        ] {
            assert_eq!(human(d), text);
        }
    }

    #[test]
    fn a_blank_or_overlong_worker_name_is_refused() {
        for blank in ["", " ", "\t\n"] {
            assert_eq!(
                refused(ServiceConfig {
                    worker: blank.into(),
                    ..ServiceConfig::default()
                }),
                ConfigError::BlankWorker
            );
        }
        assert_eq!(
            refused(ServiceConfig {
                worker: "w".repeat(MAX_WORKER_LEN + 1),
                ..ServiceConfig::default()
            }),
            ConfigError::WorkerTooLong { len: 129, max: 128 }
        );
    }

    #[test]
    fn limits_that_contradict_each_other_are_refused() {
        use crate::limits::{Flow, Limit, Scope, Window};
        use crate::money::{Currency, Money};
        let ngn = |n| Money::from_minor(n, Currency::NGN).unwrap();
        let limits = Limits::default()
            .with(Limit::new(Scope::Group, Flow::Out, Window::Day, ngn(500)).unwrap())
            .with(Limit::new(Scope::Group, Flow::Out, Window::Month, ngn(400)).unwrap());
        assert!(matches!(
            refused(ServiceConfig {
                limits,
                ..ServiceConfig::default()
            }),
            ConfigError::Limits(crate::limits::LimitError::Inconsistent { .. })
        ));
    }
}
