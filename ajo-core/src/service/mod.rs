//! The application service: what a host calls to run groups end to end over the ports.
//!
//! [`AjoService`] holds the ports (`Arc<dyn ...>`) and turns host requests into commands
//! on the pure models ([`group`](crate::group)), stored through the [`Store`] with their
//! ledger entries and the messages they cause in one atomic append. Every operation
//! loads a stream, decides, and appends at the version it loaded; when another writer got
//! there first ([`StoreError::Conflict`]) it decides again from fresh state, a bounded
//! number of times.
//!
//! - Groups: [`create_group`](AjoService::create_group), [`join`](AjoService::join) (which
//!   asks the gateway to collect the deposit), [`start`](AjoService::start),
//!   [`request_contribution`](AjoService::request_contribution).
//! - Money arriving or leaving: [`handle_gateway_event`](AjoService::handle_gateway_event)
//!   for verified webhooks, idempotent and order-tolerant;
//!   [`resolve_payout_review`](AjoService::resolve_payout_review) once a person has
//!   checked a payout whose report was held for review.
//! - Time passing: [`tick`](AjoService::tick) does what is due (reminders, penalties,
//!   deposit cover, payouts, re-verifying stuck payments, sending payouts), once, however
//!   often and on however many hosts it runs.
//! - Messages: [`deliver_outbox`](AjoService::deliver_outbox) sends what the outbox holds,
//!   at least once (its docs say why not at most once);
//!   [`handle_delivery_event`](AjoService::handle_delivery_event) records verified
//!   delivery reports.

mod cache;
mod config;
mod exec;
mod gateway_events;
mod groups;
mod loans;
mod outbox;
mod payouts;
mod records;
mod returns;
mod runner;
mod tick;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use thiserror::Error;

pub use config::{
    ConfigError, ConfirmationPolicy, MAX_CONFLICT_RETRIES, MAX_GROUP_CACHE, MAX_OUTBOX_ATTEMPTS,
    MAX_SETTING_DURATION, MAX_TICK_BATCH, MAX_WORKER_LEN, ServiceConfig,
};
pub use gateway_events::{Handled, REVIEW_OWNER};
pub use groups::{Contact, JoinReceipt};
pub use loans::LoanRequest;
pub use outbox::DeliveryReport;
pub use records::{
    GatewayReturn, MemberEvent, MemberProfile, PaymentEvent, PaymentPurpose, PayoutEvent,
    PayoutOutcome, PayoutReview,
};
pub use tick::TickReport;

use crate::group::{GroupError, GroupState};

use crate::ids::GroupId;
use crate::ids::LoanId;
use crate::loan::{LoanError, LoanState};
use crate::money::MoneyError;
use crate::ports::{
    Clock, EmailSender, GatewayError, PaymentGateway, SmsSender, Store, StoreError, StreamId,
};
use crate::time::Timestamp;

/// Why a service operation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The group refused the command.
    #[error(transparent)]
    Group(#[from] GroupError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The gateway failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// Amount arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// No such group, member profile, payment or payout.
    #[error("{0} not found")]
    NotFound(StreamId),
    /// Other writers kept winning: the command was not applied.
    #[error("{stream} kept changing; gave up after {attempts} attempts")]
    TooMuchContention {
        /// The stream.
        stream: StreamId,
        /// Attempts made.
        attempts: u32,
    },
    /// The loan refused the command.
    #[error(transparent)]
    Loan(Box<LoanError>),
    /// A stored event is not of the stream's kind.
    #[error("stream {0} holds events of another kind")]
    WrongStreamKind(StreamId),
    /// The service's settings were refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl From<LoanError> for ServiceError {
    fn from(error: LoanError) -> ServiceError {
        ServiceError::Loan(Box::new(error))
    }
}

/// The service; see the module docs.
#[derive(Debug, Clone)]
pub struct AjoService {
    store: Arc<dyn Store>,
    gateway: Arc<dyn PaymentGateway>,
    email: Arc<dyn EmailSender>,
    sms: Arc<dyn SmsSender>,
    clock: Arc<dyn Clock>,
    config: ServiceConfig,
    group_states: Arc<cache::StateCache<GroupState, GroupId>>,
    loan_states: Arc<cache::StateCache<LoanState, LoanId>>,
    payers: Arc<cache::Payers>,
}

impl AjoService {
    /// A service over these ports, with default settings.
    pub fn new(
        store: Arc<dyn Store>,
        gateway: Arc<dyn PaymentGateway>,
        email: Arc<dyn EmailSender>,
        sms: Arc<dyn SmsSender>,
        clock: Arc<dyn Clock>,
    ) -> AjoService {
        AjoService {
            store,
            gateway,
            email,
            sms,
            clock,
            group_states: Arc::new(cache::StateCache::new(ServiceConfig::default().group_cache)),
            loan_states: Arc::new(cache::StateCache::new(ServiceConfig::default().group_cache)),
            payers: Arc::new(cache::Payers::new(4 * ServiceConfig::default().group_cache)),
            config: ServiceConfig::default(),
        }
    }

    /// The same service with other settings, once they pass
    /// [`ServiceConfig::validate`].
    ///
    /// ```
    /// use ajo_core::service::{ConfigError, ServiceConfig};
    /// use ajo_testkit::Embedded;
    /// use chrono::{TimeZone, Utc};
    ///
    /// let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    /// let patient = ServiceConfig { conflict_retries: 20, ..ServiceConfig::default() };
    /// let service = ajo.service.clone().with_config(patient)?;
    ///
    /// let stuck = ServiceConfig { outbox_lease: std::time::Duration::ZERO, ..ServiceConfig::default() };
    /// assert!(matches!(
    ///     ajo.service.clone().with_config(stuck),
    ///     Err(ConfigError::DurationOutOfRange { setting: "outbox_lease", .. })
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`ServiceConfig::validate`]; `self` is dropped, as it is on success.
    pub fn with_config(mut self, config: ServiceConfig) -> Result<AjoService, ConfigError> {
        config.validate()?;
        self.group_states = Arc::new(cache::StateCache::new(config.group_cache));
        self.loan_states = Arc::new(cache::StateCache::new(config.group_cache));
        self.payers = Arc::new(cache::Payers::new(config.group_cache.saturating_mul(4)));
        self.config = config;
        Ok(self)
    }

    /// The store, for reads (balances, entries, outbox).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The clock's reading cut to whole microseconds ([`Timestamp`]): every time the
    /// service decides with, posts at or stores is one a store gives back unchanged, so a
    /// group or ledger read back is the one decided.
    fn now(&self) -> DateTime<Utc> {
        Timestamp::from(self.clock.now()).as_datetime()
    }

    /// When a collection or payout still open at `now` is looked at again.
    fn reverify_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        later(now, self.config.reverify_after)
    }
}

/// `now` plus `wait`, for a wake time. The clock is the host's, so `now` can be anywhere
/// chrono reaches: past the last time it can hold, the stream wakes at that last time
/// (its microsecond, as stores keep it) and nothing panics.
fn later(now: DateTime<Utc>, wait: TimeDelta) -> DateTime<Utc> {
    Timestamp::from(now).saturating_add(wait).as_datetime()
}
