//! Ports: the traits the outside world plugs into.
//!
//! ajo-core defines them and never implements the I/O: `ajo-adapters` implements them
//! over PostgreSQL, payment gateways and messaging providers, and `ajo-testkit` has
//! in-memory and fake versions. All async traits are object-safe (`Arc<dyn ...>`), with
//! `Send` futures, so they cross tasks in any runtime.
//!
//! - [`Clock`]: the time. Nothing in the service reads the system clock directly.
//! - [`PaymentGateway`]: collections, payouts, refunds, statements.
//! - [`EmailSender`], [`SmsSender`]: one rendered message at a time.
//! - [`Alerts`]: an operator told about money that needs a person ([`LogAlerts`] by
//!   default).
//! - [`Store`]: events, the ledger, the outbox and idempotency, written atomically by
//!   [`Store::append`] and each read through its own trait: [`EventLog`], [`Journal`],
//!   [`Outbox`], [`WakeSchedule`], [`IdempotencyKeys`].

mod alerts;
mod clock;
mod gateway;
#[cfg(feature = "mock")]
mod mock;
mod notify;
mod store;

#[cfg(feature = "mock")]
pub use alerts::MockAlerts;
pub use alerts::{Alert, AlertKind, Alerts, LogAlerts};
#[cfg(feature = "mock")]
pub use clock::MockClock;
pub use clock::{Clock, SystemClock};
#[cfg(feature = "mock")]
pub use gateway::MockPaymentGateway;
pub use gateway::{
    Collection, CollectionQuery, CollectionRequest, GatewayError, PaymentGateway, PaymentState,
    PaymentStatus, PayoutReceipt, PayoutRequest, PayoutState, PayoutStatus, RecipientDetails,
    RecipientId, RefundReceipt, RefundRequest,
};
#[cfg(feature = "mock")]
pub use mock::{MockStore, MockStoreCalls, StoreCalls};
pub use notify::{
    EmailMessage, EmailSender, NotifyError, ProviderMessageId, SmsMessage, SmsSender, is_e164,
};
#[cfg(feature = "mock")]
pub use notify::{MockEmailSender, MockSmsSender};
pub use store::{
    AppendOutcome, AppendRequest, DomainEvent, EntryQuery, EventLog, IdempotencyKeys, Journal,
    KeyRecord, Outbox, OutboxBacklog, OutboxChannel, OutboxMessage, OutboxOutcome, OutboxRecord,
    OutboxStatus, ReadFrom, RecordedEvent, Store, StoreError, StoreRead, StreamAppend, StreamId,
    StreamKind, WakeSchedule, WrongEventKind,
};
