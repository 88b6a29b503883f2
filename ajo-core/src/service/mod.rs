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
mod returns;
mod tick;

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

pub use gateway_events::{Handled, REVIEW_OWNER};
pub use groups::{Contact, JoinReceipt};
pub use loans::LoanRequest;
pub use outbox::DeliveryReport;
pub use records::{
    GatewayReturn, MemberEvent, MemberProfile, PaymentEvent, PaymentPurpose, PayoutEvent,
    PayoutOutcome, PayoutReview,
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
    /// Which successful charges are confirmed with the gateway before anything is
    /// credited (by default, every charge whose webhook was authenticated only by a
    /// static token, such as Flutterwave's `verif-hash`).
    pub confirmation: ConfirmationPolicy,
}

/// Which gateway reports [`AjoService::handle_gateway_event`] confirms with the gateway
/// before acting on them. A successful charge is confirmed with
/// [`PaymentGateway::verify_transaction`] (status, amount, currency and reference); one
/// the gateway does not confirm is never credited and is reported as
/// [`Handled::Unconfirmed`]. A payout's outcome is not taken from such a report at all:
/// the payout's next look by `tick`, which asks the gateway, is brought forward to now.
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
    pub fn requires(&self, event: &crate::webhook::GatewayEvent) -> bool {
        (self.static_tokens && event.authentication().is_static_token())
            || self.always.contains(&event.provider())
    }
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
