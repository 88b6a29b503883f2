//! `MockStore`: the [`Store`] port (with every trait it is made of) as a mockall mock,
//! for a host that sets expectations on the store in its own tests. The other ports'
//! mocks (`MockPaymentGateway`, `MockEmailSender`, `MockSmsSender`, `MockAlerts`,
//! `MockClock`) are generated beside each trait. For tests that need a store that keeps
//! what it is given, use ajo-testkit's `InMemoryStore` instead.
//!
//! mockall cannot mock an argument such as `Option<&str>`, so `MockStore` hands each call
//! to [`MockStoreCalls`] (reached through `Deref`), whose methods take such arguments
//! owned; every other argument is as the port has it.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    AppendOutcome, AppendRequest, EntryQuery, EventLog, IdempotencyKeys, Journal, KeyRecord,
    Outbox, OutboxBacklog, OutboxOutcome, OutboxRecord, OutboxStatus, ReadFrom, Store, StoreError,
    StoreRead, StreamId, StreamKind, WakeSchedule,
};
use crate::ledger::{Account, BookHead, Checkpoint, JournalEntry};
use crate::money::Money;

/// Every call of the [`Store`] port, as [`MockStore`] hands it on: `Option<&str>`
/// arguments owned, the rest as the port has them.
#[mockall::automock]
#[async_trait]
pub trait StoreCalls: Send + Sync + 'static {
    /// [`EventLog::read`].
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<String>,
    ) -> Result<StoreRead, StoreError>;
    /// [`EventLog::stream_ids`].
    async fn stream_ids(
        &self,
        kind: StreamKind,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;
    /// [`Journal::balance`].
    async fn balance(&self, account: &Account) -> Result<Money, StoreError>;
    /// [`Journal::balances`].
    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError>;
    /// [`Journal::balances_owned_by`].
    async fn balances_owned_by(&self, owner: &str) -> Result<Vec<(Account, Money)>, StoreError>;
    /// [`Journal::entries`].
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError>;
    /// [`Journal::heads`].
    async fn heads(&self) -> Result<Vec<BookHead>, StoreError>;
    /// [`Journal::checkpoints`].
    async fn checkpoints(&self, after: u64, limit: usize) -> Result<Vec<Checkpoint>, StoreError>;
    /// [`Journal::last_checkpoint`].
    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError>;
    /// [`Outbox::claim_outbox`].
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError>;
    /// [`Outbox::finish_outbox`].
    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// [`Outbox::report_delivery`].
    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError>;
    /// [`Outbox::outbox_message`].
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError>;
    /// [`Outbox::outbox_backlog`].
    async fn outbox_backlog(&self, now: DateTime<Utc>)
    -> Result<Option<OutboxBacklog>, StoreError>;
    /// [`WakeSchedule::due_streams`].
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError>;
    /// [`IdempotencyKeys::has_idempotency_key`].
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError>;
    /// [`IdempotencyKeys::idempotency_record`].
    async fn idempotency_record(&self, key: &str) -> Result<Option<KeyRecord>, StoreError>;
    /// [`Store::append`].
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError>;
    /// [`Store::record_checkpoint`].
    async fn record_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;
}

/// The [`Store`] port with expectations: set them on the [`MockStoreCalls`] it derefs to
/// (`store.expect_append()`...).
///
/// See the guide's testing page for a host test that drives `AjoService` over it.
#[derive(Debug, Default)]
pub struct MockStore {
    calls: MockStoreCalls,
}

impl MockStore {
    /// A store that expects nothing: every call not set up with an `expect_…` panics,
    /// naming the call.
    pub fn new() -> MockStore {
        MockStore::default()
    }

    /// Checks every expectation set so far and clears them (as mockall's `checkpoint`).
    pub fn checkpoint(&mut self) {
        self.calls.checkpoint();
    }
}

impl Deref for MockStore {
    type Target = MockStoreCalls;

    fn deref(&self) -> &MockStoreCalls {
        &self.calls
    }
}

impl DerefMut for MockStore {
    fn deref_mut(&mut self) -> &mut MockStoreCalls {
        &mut self.calls
    }
}

#[async_trait]
impl EventLog for MockStore {
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError> {
        self.calls
            .read(streams, idempotency_key.map(str::to_owned))
            .await
    }

    async fn stream_ids(
        &self,
        kind: StreamKind,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.calls
            .stream_ids(kind, after.map(str::to_owned), limit)
            .await
    }
}

#[async_trait]
impl Journal for MockStore {
    async fn balance(&self, account: &Account) -> Result<Money, StoreError> {
        self.calls.balance(account).await
    }

    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError> {
        self.calls.balances().await
    }

    async fn balances_owned_by(&self, owner: &str) -> Result<Vec<(Account, Money)>, StoreError> {
        self.calls.balances_owned_by(owner).await
    }

    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError> {
        self.calls.entries(query).await
    }

    async fn heads(&self) -> Result<Vec<BookHead>, StoreError> {
        self.calls.heads().await
    }

    async fn checkpoints(&self, after: u64, limit: usize) -> Result<Vec<Checkpoint>, StoreError> {
        self.calls.checkpoints(after, limit).await
    }

    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        self.calls.last_checkpoint().await
    }
}

#[async_trait]
impl Outbox for MockStore {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        self.calls.claim_outbox(worker, now, lease, limit).await
    }

    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.calls.finish_outbox(id, outcome, now).await
    }

    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError> {
        self.calls.report_delivery(message_id, status).await
    }

    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        self.calls.outbox_message(id).await
    }

    async fn outbox_backlog(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<OutboxBacklog>, StoreError> {
        self.calls.outbox_backlog(now).await
    }
}

#[async_trait]
impl WakeSchedule for MockStore {
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        self.calls.due_streams(now, limit).await
    }
}

#[async_trait]
impl IdempotencyKeys for MockStore {
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        self.calls.has_idempotency_key(key).await
    }

    async fn idempotency_record(&self, key: &str) -> Result<Option<KeyRecord>, StoreError> {
        self.calls.idempotency_record(key).await
    }
}

#[async_trait]
impl Store for MockStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.calls.append(request).await
    }

    async fn record_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.calls.record_checkpoint(checkpoint).await
    }
}
