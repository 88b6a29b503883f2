//! The store port: where events, the ledger, the outbox and idempotency keys live.
//!
//! Everything is written by one atomic call, [`Store::append`]: a command's events, the
//! ledger entries they post, the messages they cause, the streams' next wake times and the
//! request's idempotency key, together or not at all. Each part is read back through a
//! trait of its own, so each can state its own contract:
//!
//! - [`EventLog`]: streams of events, read by what a command asks for ([`StoreRead`],
//!   keyed by stream).
//! - [`Journal`]: the hash-chained journal and account balances.
//! - [`Outbox`]: leasing messages to workers and recording what became of them.
//! - [`WakeSchedule`]: the streams due for the scheduler.
//! - [`IdempotencyKeys`]: the requests already applied.
//!
//! The port speaks events, not the service's types: it knows a stream by its
//! [`StreamKind`] and id, and stores each event in its [`DomainEvent`] envelope.

mod error;
mod idempotency;
mod journal;
mod outbox;
mod schedule;
mod stream;

use async_trait::async_trait;

pub use error::{StoreError, WrongEventKind};
pub use idempotency::{IdempotencyKeys, KeyRecord};
pub use journal::{EntryQuery, Journal};
pub use outbox::{
    Outbox, OutboxBacklog, OutboxChannel, OutboxMessage, OutboxOutcome, OutboxRecord, OutboxStatus,
};
pub use schedule::WakeSchedule;
pub use stream::{
    DomainEvent, EventLog, ReadFrom, RecordedEvent, StoreRead, StreamAppend, StreamId, StreamKind,
};

use crate::ledger::{BalancedEntry, Book, Checkpoint};
use crate::time::Timestamp;

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
    /// A bare key converts from text (`Some(key.into())`); a host's key carries the
    /// fingerprint of its command and, where it has one, its answer ([`KeyRecord`]).
    pub idempotency_key: Option<KeyRecord>,
    /// The time of the write (the service's clock), in whole microseconds: the posting
    /// time of its ledger entries and the recording time of its events, as every store
    /// keeps it.
    pub at: Timestamp,
}

impl AppendRequest {
    /// The append's own book: its first stream's ([`StreamId::book`]), else the
    /// platform's. A store that partitions by book files the append's outbox messages
    /// there and can send the whole append to where that book is kept.
    pub fn book(&self) -> Book {
        self.streams
            .first()
            .map_or_else(Book::platform, |s| s.stream.book())
    }

    /// The book each of [`entries`](Self::entries) goes to, in order: the book of the
    /// stream whose event posts it ([`StreamId::book`]), else the first stream's, else
    /// the platform's. An append whose entries fall in several books chains each in its
    /// own.
    pub fn entry_books(&self) -> Vec<Book> {
        let fallback = || self.book();
        self.entries
            .iter()
            .map(|entry| {
                self.streams
                    .iter()
                    .find(|s| {
                        s.events
                            .iter()
                            .any(|e| e.entry().is_some_and(|posted| posted.key() == entry.key()))
                    })
                    .map_or_else(fallback, |s| s.stream.book())
            })
            .collect()
    }
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

/// Where events, the ledger, the outbox and idempotency records live: each part read
/// through its own trait, all written by one atomic [`append`](Self::append).
///
/// `Arc<dyn Store>` is what the service holds; to call a part's methods on it, bring that
/// part's trait into scope (`use ajo_core::ports::{EventLog, Journal};`).
///
/// # Contract for implementers
///
/// Each part's trait states its own rules; these are the write's.
///
/// - [`append`](Self::append) is atomic: every stream's events, the ledger entries, the
///   outbox messages, the wake times and the idempotency key are written together or not
///   at all.
/// - Duplicate: an idempotency key seen before returns [`AppendOutcome::Duplicate`] and
///   writes nothing, checked before versions; the key keeps the fingerprint and result it
///   was first recorded with. An append may carry only a key (no streams, entries or
///   messages): it records the key alone.
/// - Conflict: a stream not at its expected version is [`StoreError::Conflict`] (with the
///   version found), and nothing is written. A stream append without events (one that
///   only sets or clears a wake time) is held to its expected version like any other.
/// - Each ledger entry goes into its book ([`AppendRequest::entry_books`]), chained
///   after the book's last entry with the hash of [`ledger`](crate::ledger), with an id
///   unique in the journal (see [`Journal`]). Appends to different books do not wait
///   for each other. An entry whose key exists in its book with the same content is
///   skipped (a replay); with other content it is [`StoreError::EntryConflict`]. An
///   entry reversing one not in its book is refused like an unknown one. An unbalanced
///   entry is [`StoreError::Unbalanced`].
/// - A posting that would take an account's balance beyond
///   [`MAX_MINOR`](crate::money::MAX_MINOR) minor units either way is
///   [`StoreError::BalanceOutOfRange`], and nothing is written. A store that keeps a
///   balance in parts, one per book, may hold each part to the bound instead of the
///   sum (checking the sum would read every book's part on every write); a sum past
///   it, more than 2^96 minor units, is then [`StoreError::Corrupt`] when read.
/// - Outbox messages are unique by id: one already present is skipped.
/// - There is no "not found": appending to a stream never written is expected version 0.
/// - Concurrent callers on one store (tasks, hosts) see these rules hold for each call.
#[async_trait]
pub trait Store: EventLog + Journal + Outbox + WakeSchedule + IdempotencyKeys {
    /// Writes one command's results; see the trait docs.
    ///
    /// # Errors
    /// [`StoreError::Conflict`], [`StoreError::EntryConflict`],
    /// [`StoreError::Unbalanced`], [`StoreError::BalanceOutOfRange`] as the trait docs say
    /// (nothing written); [`StoreError::Unavailable`] if the backing service failed.
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError>;

    /// Records `checkpoint` if it is the next one: its number one past the last
    /// recorded (1 for the first) and its `prev` that checkpoint's hash. Checkpoints are
    /// append-only, like the journal.
    ///
    /// # Errors
    /// [`StoreError::CheckpointConflict`] when it is not the next one (another writer
    /// recorded one since), and nothing is written; [`StoreError::Unavailable`].
    async fn record_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;
}
