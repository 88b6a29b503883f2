use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::group::GroupEvent;
use crate::ledger::{Account, BalancedEntry, JournalEntry};
use crate::loan::LoanEvent;
use crate::member::MemberEvent;
use crate::money::Money;
use crate::payment::{PaymentEvent, PayoutEvent};
use crate::ports::{EmailMessage, ProviderMessageId, SmsMessage};
use crate::time::Timestamp;

/// What kind of thing a stream of events describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StreamKind {
    /// A savings group ([`GroupEvent`]).
    Group,
    /// A loan ([`LoanEvent`]).
    Loan,
    /// A member's profile: contact and payout details ([`MemberEvent`]).
    Member,
    /// One collection through a gateway, by our reference ([`PaymentEvent`]).
    Payment,
    /// One payout through a gateway, by our reference ([`PayoutEvent`]).
    Payout,
}

impl StreamKind {
    /// The kind's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Group => "group",
            StreamKind::Loan => "loan",
            StreamKind::Member => "member",
            StreamKind::Payment => "payment",
            StreamKind::Payout => "payout",
        }
    }
}

/// A stream: the events of one group, loan, member, payment or payout.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StreamId {
    /// What it describes.
    pub kind: StreamKind,
    /// Its id (a group id, a loan id, a reference).
    pub id: String,
}

impl StreamId {
    /// A stream id.
    pub fn new(kind: StreamKind, id: impl Into<String>) -> StreamId {
        StreamId {
            kind,
            id: id.into(),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.id)
    }
}

/// Any event a store keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stream", content = "event", rename_all = "snake_case")]
#[non_exhaustive]
// Events are stored and loaded one at a time; boxing would only add indirection.
#[allow(clippy::large_enum_variant)]
pub enum DomainEvent {
    /// Of a group.
    Group(GroupEvent),
    /// Of a loan.
    Loan(LoanEvent),
    /// Of a member profile.
    Member(MemberEvent),
    /// Of a collection.
    Payment(PaymentEvent),
    /// Of a payout.
    Payout(PayoutEvent),
}

impl DomainEvent {
    /// The ledger entry the event posts, if any.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            DomainEvent::Group(e) => e.entry(),
            DomainEvent::Loan(e) => e.entry(),
            DomainEvent::Payment(e) => e.entry(),
            DomainEvent::Payout(e) => e.entry(),
            DomainEvent::Member(_) => None,
        }
    }
}

/// An event as stored: its stream, its version in the stream (from 1) and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// The stream.
    pub stream: StreamId,
    /// Its version: 1 for a stream's first event.
    pub version: u64,
    /// When it was stored (the service's clock).
    pub recorded_at: DateTime<Utc>,
    /// The event.
    pub event: DomainEvent,
}

/// A stream to [`read`](Store::read), from the event after version `after` on (0: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFrom {
    /// The stream.
    pub stream: StreamId,
    /// The version the caller already holds.
    pub after: u64,
}

impl ReadFrom {
    /// A stream from the event after `after`.
    pub fn new(stream: StreamId, after: u64) -> ReadFrom {
        ReadFrom { stream, after }
    }
}

/// What [`Store::read`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreRead {
    /// For each stream asked, in the order asked, its events after the version given, in
    /// version order.
    pub events: Vec<Vec<RecordedEvent>>,
    /// Whether the idempotency key asked about is recorded (`false` if none was asked).
    pub key_recorded: bool,
}

impl StoreRead {
    /// A result, for stores implementing [`Store::read`].
    pub fn new(events: Vec<Vec<RecordedEvent>>, key_recorded: bool) -> StoreRead {
        StoreRead {
            events,
            key_recorded,
        }
    }
}

/// New events for one stream, written only if the stream is still at `expected_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAppend {
    /// The stream.
    pub stream: StreamId,
    /// The version the caller decided on (0 for a new stream).
    pub expected_version: u64,
    /// The events, in order.
    pub events: Vec<DomainEvent>,
    /// When the scheduler should next look at this stream (`None`: never, until another
    /// append sets it).
    pub wake_at: Option<DateTime<Utc>>,
}

/// A message to send, written with the events that cause it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// A deterministic id: the same notice for the same cause has the same id, so a retry
    /// or a second scheduler adds nothing.
    pub id: String,
    /// What and how to send.
    pub channel: OutboxChannel,
}

/// An outbox message's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutboxChannel {
    /// By email.
    Email(EmailMessage),
    /// By SMS.
    Sms(SmsMessage),
}

/// Where an outbox message stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutboxStatus {
    /// Waiting to be sent (or to be retried).
    Pending,
    /// Accepted by the provider.
    Sent {
        /// The provider's id.
        provider_id: ProviderMessageId,
    },
    /// Reported delivered by the provider.
    Delivered,
    /// Bounced, dropped or undelivered, as reported.
    Undeliverable {
        /// The provider's word for it.
        reason: String,
    },
    /// Given up after too many attempts.
    Failed {
        /// The last error.
        reason: String,
    },
}

/// An outbox message with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    /// The message.
    pub message: OutboxMessage,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Send attempts so far.
    pub attempts: u32,
    /// Not to be tried before this time.
    pub next_attempt_at: DateTime<Utc>,
}

/// Everything one command writes, as one atomic unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendRequest {
    /// Events per stream, each with its expected version.
    pub streams: Vec<StreamAppend>,
    /// The ledger entries the events post (in event order).
    pub entries: Vec<BalancedEntry>,
    /// Messages the events cause.
    pub outbox: Vec<OutboxMessage>,
    /// The request's idempotency key: a second append with the same key writes nothing.
    pub idempotency_key: Option<String>,
    /// The time of the write (the service's clock), in whole microseconds: the posting
    /// time of its ledger entries and the recording time of its events, as every store
    /// keeps it.
    pub at: Timestamp,
}

/// What [`Store::append`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppendOutcome {
    /// Everything was written.
    Appended,
    /// The idempotency key was recorded before: nothing was written.
    Duplicate,
}

/// Which entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryQuery {
    /// Only entries carrying this outside reference.
    pub reference: Option<String>,
    /// Only entries after this id.
    pub after: Option<u64>,
    /// At most this many (`None`: all).
    pub limit: Option<usize>,
}

/// Why a store operation failed. Nothing of a failed append was written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A stream was not at the expected version: someone else wrote first. Reload and
    /// decide again.
    #[error("stream {stream} is at version {actual}, not {expected}")]
    Conflict {
        /// The stream.
        stream: StreamId,
        /// The version the caller expected.
        expected: u64,
        /// The version found.
        actual: u64,
    },
    /// A ledger entry key already holds a different entry.
    #[error("ledger entry key {key:?} already holds a different entry")]
    EntryConflict {
        /// The key.
        key: String,
    },
    /// An entry was not balanced (the store checks again; it should never happen).
    #[error("ledger entry {key:?} is not balanced")]
    Unbalanced {
        /// The key.
        key: String,
    },
    /// A posting would take an account's balance beyond the largest amount [`Money`] can
    /// hold ([`MAX_MINOR`](crate::money::MAX_MINOR) minor units either way).
    #[error("a posting would take an account's balance beyond the largest amount money can hold")]
    BalanceOutOfRange,
    /// No such outbox message.
    #[error("no outbox message {0:?}")]
    UnknownMessage(String),
    /// The backing service is unreachable or failed; the operation may be retried.
    #[error("store unavailable: {reason}")]
    Unavailable {
        /// What happened (never credentials).
        reason: String,
    },
    /// Stored data could not be read back.
    #[error("stored data is corrupt: {reason}")]
    Corrupt {
        /// What is wrong.
        reason: String,
    },
}

impl StoreError {
    /// Whether the operation may work if retried (after a reload for a conflict).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict { .. } | StoreError::Unavailable { .. }
        )
    }
}

/// Where events, the ledger, the outbox and idempotency records live.
///
/// # Contract for implementers
///
/// - [`append`](Self::append) is atomic: every stream's events, the ledger entries, the
///   outbox messages, the wake times and the idempotency key are written together or not
///   at all. A stream not at its expected version is [`StoreError::Conflict`] (and nothing
///   is written); an idempotency key seen before returns [`AppendOutcome::Duplicate`]
///   (and nothing is written), checked before versions.
/// - Ledger entries go into one journal with ids from 1 and the hash chain of
///   [`ledger`](crate::ledger), so [`entries`](Self::entries) passes
///   [`verify_chain`](crate::ledger::verify_chain). An entry whose key exists with the same
///   content is skipped (a replay); with other content it is [`StoreError::EntryConflict`].
/// - A posting that would take an account's balance beyond
///   [`MAX_MINOR`](crate::money::MAX_MINOR) minor units either way is
///   [`StoreError::BalanceOutOfRange`], and nothing is written.
/// - A stream append without events (one that only sets or clears a wake time) is held
///   to its expected version like any other.
/// - Outbox messages are unique by id: one already present is skipped.
/// - Concurrent callers on one store (tasks, hosts) see these rules hold for each call.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Writes one command's results; see the trait docs.
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError>;

    /// A stream's events in version order (empty for an unknown stream).
    async fn load(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Several streams' events, each in version order, in the order asked (empty for an
    /// unknown stream): what [`load`](Self::load) gives for each, read together. The
    /// default loads them one by one; a store over a network should read them in one
    /// round trip. Not a snapshot across streams: each is as some `load` would see it, and
    /// appends still check every expected version.
    async fn load_many(&self, streams: &[StreamId]) -> Result<Vec<Vec<RecordedEvent>>, StoreError> {
        let mut loaded = Vec::with_capacity(streams.len());
        for stream in streams {
            loaded.push(self.load(stream).await?);
        }
        Ok(loaded)
    }

    /// Whether an idempotency key has been recorded.
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError>;

    /// Several streams' events after versions the caller already holds, and whether an
    /// idempotency key is recorded, read together: what a command needs before it decides.
    /// The default asks [`has_idempotency_key`](Self::has_idempotency_key) and
    /// [`load_many`](Self::load_many); a store over a network should answer in one round
    /// trip, and send only the events asked for. As with `load_many`, not a snapshot
    /// across streams: appends still check every expected version.
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError> {
        let key_recorded = match idempotency_key {
            Some(key) => self.has_idempotency_key(key).await?,
            None => false,
        };
        let ids: Vec<StreamId> = streams.iter().map(|s| s.stream.clone()).collect();
        let events = self
            .load_many(&ids)
            .await?
            .into_iter()
            .zip(streams)
            .map(|(events, from)| {
                events
                    .into_iter()
                    .filter(|e| e.version > from.after)
                    .collect()
            })
            .collect();
        Ok(StoreRead {
            events,
            key_recorded,
        })
    }

    /// Streams whose wake time is at or before `now`, oldest first, at most `limit`.
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError>;

    /// An account's balance, debits minus credits (zero if never posted to).
    async fn balance(&self, account: &Account) -> Result<Money, StoreError>;

    /// Every account with its balance, for a trial balance.
    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError>;

    /// Journal entries, oldest first.
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError>;

    /// Claims up to `limit` pending messages due by `now` for `worker`, for `lease`: no
    /// other worker gets them until the lease runs out. A lease that would end past the
    /// last instant chrono holds ends there
    /// ([`Timestamp::saturating_add_std`](crate::time::Timestamp::saturating_add_std));
    /// the claim never fails or panics for the sum.
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError>;

    /// Records a claimed message's outcome: sent (with the provider's id), to retry at
    /// `retry_at`, or failed for good. Releases the claim.
    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records a delivery report for a sent message, found by the provider's id or ours.
    /// Reporting the same status twice changes nothing.
    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError>;

    /// An outbox message, by our id.
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError>;
}

/// The outcome of one send attempt, for [`Store::finish_outbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutboxOutcome {
    /// Accepted by the provider.
    Sent(ProviderMessageId),
    /// Failed; try again at this time.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// The error.
        reason: String,
    },
    /// Failed for good.
    Failed {
        /// The error.
        reason: String,
    },
}
