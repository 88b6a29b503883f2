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
mod exec;
mod gateway_events;
mod groups;
mod loans;
mod outbox;
mod payouts;
mod records;
mod tick;

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

pub use gateway_events::{Handled, REVIEW_OWNER};
pub use groups::{Contact, JoinReceipt};
pub use loans::LoanRequest;
pub use outbox::DeliveryReport;
pub use records::{
    MemberEvent, MemberProfile, PaymentEvent, PaymentPurpose, PayoutEvent, PayoutOutcome,
    PayoutReview,
};
pub use tick::TickReport;

use crate::group::GroupError;
use crate::money::MoneyError;
use crate::ports::{
    Clock, EmailSender, GatewayError, PaymentGateway, SmsSender, Store, StoreError, StreamId,
};
use crate::time::Timestamp;

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// How often a command is decided again after a version conflict.
    pub conflict_retries: u32,
    /// How long a collection may stay pending before `tick` asks the gateway about it.
    pub reverify_after: chrono::Duration,
    /// How many streams one `tick` looks at, at most.
    pub tick_batch: usize,
    /// This worker's name, for outbox leases.
    pub worker: String,
    /// How long an outbox claim lasts: longer than one send can take, retries and
    /// `Retry-After` waits included, or a second worker may send the message too (default
    /// five minutes, well above the HTTP adapters' defaults).
    pub outbox_lease: Duration,
    /// Send attempts before a message is marked failed.
    pub outbox_max_attempts: u32,
    /// The first retry delay for a failed send; it doubles each attempt.
    pub outbox_backoff: chrono::Duration,
    /// How many groups' states the service keeps between commands, so a command reads
    /// only the events after them instead of the whole stream (0 keeps none). Each is a
    /// few kilobytes for a twelve-hand group. Kept states are never trusted over the
    /// store: every command still reads the events after its state, and every append
    /// still checks the version it was decided on. Four times as many recent collections
    /// are noted with their group and payer, so their webhook reads everything it needs
    /// in one call.
    pub group_cache: usize,
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
        }
    }
}

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
    Loan(Box<crate::loan::LoanError>),
    /// A stored event is not of the stream's kind.
    #[error("stream {0} holds events of another kind")]
    WrongStreamKind(StreamId),
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
    group_states: Arc<cache::GroupCache>,
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
            group_states: Arc::new(cache::GroupCache::new(ServiceConfig::default().group_cache)),
            payers: Arc::new(cache::Payers::new(4 * ServiceConfig::default().group_cache)),
            config: ServiceConfig::default(),
        }
    }

    /// The same service with other settings.
    #[must_use]
    pub fn with_config(mut self, config: ServiceConfig) -> AjoService {
        self.group_states = Arc::new(cache::GroupCache::new(config.group_cache));
        self.payers = Arc::new(cache::Payers::new(config.group_cache.saturating_mul(4)));
        self.config = config;
        self
    }

    /// The store, for reads (balances, entries, outbox).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The clock's reading cut to whole microseconds ([`Timestamp`]): every time the
    /// service decides with, posts at or stores is one a store gives back unchanged, so a
    /// group or ledger read back is the one decided.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        Timestamp::from(self.clock.now()).as_datetime()
    }
}
