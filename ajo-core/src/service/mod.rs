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
//!   asks the gateway to collect the deposit), [`start`](AjoService::start).
//! - Collections ([`collections`]): [`request_contribution`](AjoService::request_contribution),
//!   [`request_contribution_for`](AjoService::request_contribution_for) and
//!   [`request_deposit`](AjoService::request_deposit) answer a [`Checkout`] with the amount
//!   and its [`Breakdown`]; asking again is safe, and an unpaid checkout expires.
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
//! - Reads for a host's own screens: [`group_view`](AjoService::group_view) and
//!   [`member_view`](AjoService::member_view), which serialize to JSON.
//! - Reports from the books: [`report`](AjoService::report),
//!   [`group_statement`](AjoService::group_statement),
//!   [`member_statement`](AjoService::member_statement), [`entries`](AjoService::entries),
//!   [`groups_of_member`](AjoService::groups_of_member) and
//!   [`groups_by_status`](AjoService::groups_by_status) (`docs/books.md`).
//!
//! # Errors and logs
//!
//! Every failure is a [`ServiceError`]; its [`kind`](ServiceError::kind) ([`ErrorKind`])
//! is all a host needs to answer its own caller. A failed call is logged once, in its
//! span, at a level chosen by that kind: refusals, unknown ids and bad input at `INFO`
//! (they are answers, not faults), a port that is unavailable at `WARN`, and only an
//! internal fault at `ERROR`.

mod alerting;
mod cache;
mod checkpoints;
pub mod collections;
mod config;
mod exec;
mod gateway_events;
mod group_commands;
mod groups;
mod idempotent;
mod kind;
mod limits;
mod loans;
mod outbox;
mod payouts;
mod reconcile;
mod reports;
mod returns;
pub mod review;
mod runner;
mod tick;
mod views;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use thiserror::Error;

pub use checkpoints::BooksVerified;
pub use collections::{Breakdown, Checkout};
pub use config::{
    ConfigError, ConfirmationPolicy, MAX_CONFLICT_RETRIES, MAX_GROUP_CACHE, MAX_OUTBOX_ATTEMPTS,
    MAX_PAYOUT_ALERT_AFTER, MAX_SETTING_DURATION, MAX_TICK_BATCH, MAX_WORKER_LEN, ServiceConfig,
};
pub use gateway_events::{Handled, REVIEW_OWNER};
pub use groups::{Contact, JoinReceipt};
pub use idempotent::Idempotent;
pub use kind::ErrorKind;
use kind::logged;
pub use loans::{LoanFunding, LoanOptions, LoanRequest};
pub use outbox::DeliveryReport;
pub use reconcile::{RECONCILE_DAYS_BACK, Reconciliation, gateway_fees};
pub use reports::GroupSummary;
pub use returns::{DISPUTES_OWNER, chargebacks_of, disputes_for};
pub use review::{HeldItem, HeldReason, Resolved, ReviewError};
// Their home is now the domain modules; kept here so callers of the service compile on.
pub use crate::member::{MemberEvent, MemberProfile};
pub use crate::payment::{
    GatewayReturn, HeldResolution, OutParts, PaymentEvent, PaymentPurpose, PayoutEvent,
    PayoutOutcome, PayoutReview,
};
pub use tick::TickReport;

use crate::group::{GroupError, GroupState};

use crate::ids::{GroupId, HandId, IdempotencyKey, LoanId};
use crate::ledger::LedgerError;
use crate::limits::LimitExceeded;
use crate::loan::{LoanError, LoanState};
use crate::money::MoneyError;
use crate::ports::{
    Alerts, Clock, EmailSender, GatewayError, LogAlerts, PaymentGateway, SmsSender, Store,
    StoreError, StreamId,
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
    /// The group has no such round (or none yet: it has not started).
    #[error("group {group} has no round {round}")]
    UnknownRound {
        /// The group.
        group: GroupId,
        /// The round asked for.
        round: u32,
    },
    /// The group has no such hand.
    #[error("group {group} has no hand {hand}")]
    UnknownHand {
        /// The group.
        group: GroupId,
        /// The hand asked for.
        hand: HandId,
    },
    /// A ledger entry could not be built (one that would not balance, or an amount out
    /// of range): kept as the ledger said it.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The books as stored failed verification
    /// ([`AjoService::verify_books`]): the first fault found.
    #[error(transparent)]
    Books(crate::ledger::AuditFault),
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
    /// A host's idempotency key was used before for another command (or the same command
    /// with other arguments): nothing was done. A conflict: pick a new key for a new
    /// command.
    #[error("idempotency key {key} was used for another command")]
    IdempotencyKeyReused {
        /// The key.
        key: IdempotencyKey,
    },
    /// A period that does not end after it starts.
    #[error("the period {from} to {until} is empty")]
    EmptyPeriod {
        /// Its start.
        from: DateTime<Utc>,
        /// Its end.
        until: DateTime<Utc>,
    },
    /// A resolution of money held for review was refused.
    #[error(transparent)]
    Review(#[from] review::ReviewError),
    /// A member owes nothing a collection could ask for: their deposit is held in full,
    /// or the group has no current round and they have no debts.
    #[error("{member} owes nothing to collect in group {group}")]
    NothingToCollect {
        /// The group.
        group: GroupId,
        /// The member.
        member: crate::ids::MemberId,
    },
    /// A limit of the service's [`Limits`](crate::limits::Limits) refused the amount:
    /// which limit, what it allows, what is used and the room left. Nothing was written.
    #[error(transparent)]
    LimitExceeded(Box<LimitExceeded>),
}

impl From<LimitExceeded> for ServiceError {
    fn from(error: LimitExceeded) -> ServiceError {
        ServiceError::LimitExceeded(Box::new(error))
    }
}

impl From<Box<LimitExceeded>> for ServiceError {
    fn from(error: Box<LimitExceeded>) -> ServiceError {
        ServiceError::LimitExceeded(error)
    }
}

impl From<LoanError> for ServiceError {
    fn from(error: LoanError) -> ServiceError {
        ServiceError::Loan(Box::new(error))
    }
}

impl ServiceError {
    /// Whether the same call may succeed if made again later, unchanged: the store or
    /// the gateway was unavailable, timed out or rate limited, or other writers kept
    /// winning. Calls are idempotent (deterministic references and keys), so a retry
    /// never does the work twice.
    pub fn is_retryable(&self) -> bool {
        match self {
            ServiceError::Store(e) => e.is_retryable(),
            ServiceError::Gateway(e) => e.is_retryable(),
            ServiceError::TooMuchContention { .. } => true,
            _ => false,
        }
    }

    /// Whether another writer got there first: a stream changed under the call
    /// ([`StoreError::Conflict`], [`ServiceError::TooMuchContention`]) or a ledger key
    /// holds another entry ([`StoreError::EntryConflict`]), or a host's idempotency key
    /// was used for another command ([`ServiceError::IdempotencyKeyReused`]). Reload
    /// before deciding what to do; a plain conflict is also
    /// [retryable](Self::is_retryable).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            ServiceError::Store(StoreError::Conflict { .. } | StoreError::EntryConflict { .. })
                | ServiceError::TooMuchContention { .. }
                | ServiceError::IdempotencyKeyReused { .. }
        )
    }

    /// Whether something the call named does not exist: a group, loan, profile, payment
    /// or payout ([`ServiceError::NotFound`]), a round or hand of a group, or a member
    /// of it, or money held for review under a reference. Usually a 404 to a host's own
    /// caller.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ServiceError::NotFound(_)
                | ServiceError::UnknownRound { .. }
                | ServiceError::UnknownHand { .. }
                | ServiceError::Group(
                    GroupError::UnknownMember(_)
                        | GroupError::UnknownHand(_)
                        | GroupError::UnknownRound(_)
                )
                | ServiceError::Review(ReviewError::NothingHeld { .. })
        )
    }

    /// Whether the domain said no: the group or the loan refused the command (its state,
    /// its rules or the input), or a limit has no room for the amount
    /// ([`ServiceError::LimitExceeded`]), so nothing changed and repeating the same call
    /// will be refused again (until the state changes or, for a limit, room comes back). Not the ledger or arithmetic failing under a command (a bug to
    /// report), and not an unknown id ([`is_not_found`](Self::is_not_found)).
    pub fn is_refused(&self) -> bool {
        match self {
            ServiceError::Group(e) => !matches!(
                e,
                GroupError::Ledger(_)
                    | GroupError::Money(_)
                    | GroupError::UnknownMember(_)
                    | GroupError::UnknownHand(_)
                    | GroupError::UnknownRound(_)
            ),
            ServiceError::Loan(e) => e.is_invalid_input() && !matches!(**e, LoanError::Ledger(_)),
            ServiceError::NothingToCollect { .. } | ServiceError::LimitExceeded(_) => true,
            // A resolution that does not fit the money, or one asked while a refund is
            // waiting; not a missing item or a missing reason (bad input).
            ServiceError::Review(e) => matches!(
                e,
                ReviewError::WrongDirection { .. }
                    | ReviewError::RefundPending { .. }
                    | ReviewError::NoRefundAsked { .. }
            ),
            _ => false,
        }
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
    alerts: Arc<dyn Alerts>,
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
            alerts: Arc::new(LogAlerts),
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

    /// The same service raising its alerts through `alerts` instead of the log
    /// ([`LogAlerts`]). Alerts travel through the outbox: [`deliver_outbox`](Self::deliver_outbox)
    /// hands them over.
    #[must_use]
    pub fn with_alerts(mut self, alerts: Arc<dyn Alerts>) -> AjoService {
        self.alerts = alerts;
        self
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
