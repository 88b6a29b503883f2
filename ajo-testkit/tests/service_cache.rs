//! The service's kept group states: never trusted over the store.
//!
//! A service keeps the states of the groups it has read and reads only the events after
//! them. These check that another host's events are seen, that a store holding less than
//! a kept state, or something else at its version (a database restored to an earlier
//! point), is read afresh, and that a command reads only the events it has not seen.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use ajo_core::group::GroupError;

use ajo_core::ids::{GroupId, HandId};
use ajo_core::ledger::{Account, JournalEntry};
use ajo_core::money::Money;
use ajo_core::ports::{
    AppendOutcome, AppendRequest, Clock, EmailSender, EntryQuery, EventLog, IdempotencyKeys,
    Journal, Outbox, OutboxOutcome, OutboxRecord, OutboxStatus, PaymentGateway, ReadFrom,
    RecordedEvent, SmsSender, Store, StoreError, StoreRead, StreamId, StreamKind, WakeSchedule,
};
use ajo_core::service::{AjoService, Handled, ServiceConfig, ServiceError};
use ajo_testkit::{Embedded, InMemoryStore, builders};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// A store whose backing store can be swapped, counting the events `read` returns.
#[derive(Debug)]
struct Swappable {
    inner: Mutex<Arc<dyn Store>>,
    events_read: AtomicUsize,
    calls: AtomicUsize,
}

impl Swappable {
    fn new(inner: Arc<dyn Store>) -> Swappable {
        Swappable {
            inner: Mutex::new(inner),
            events_read: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
        }
    }

    fn inner(&self) -> Arc<dyn Store> {
        self.inner.lock().unwrap().clone()
    }

    fn swap(&self, inner: Arc<dyn Store>) {
        *self.inner.lock().unwrap() = inner;
    }

    fn take_events_read(&self) -> usize {
        self.events_read.swap(0, Ordering::SeqCst)
    }

    /// Reads of any kind (`read`, `load`, `has_idempotency_key`) since the
    /// last call.
    fn take_calls(&self) -> usize {
        self.calls.swap(0, Ordering::SeqCst)
    }
}

#[async_trait]
impl Store for Swappable {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        self.inner().append(request).await
    }
    async fn record_checkpoint(
        &self,
        checkpoint: &ajo_core::ledger::Checkpoint,
    ) -> Result<(), StoreError> {
        self.inner().record_checkpoint(checkpoint).await
    }
}

#[async_trait]
impl EventLog for Swappable {
    async fn load(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let events = self.inner().load(stream).await?;
        self.events_read.fetch_add(events.len(), Ordering::SeqCst);
        Ok(events)
    }
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let read = self.inner().read(streams, idempotency_key).await?;
        let n: usize = read.iter().map(|(_, events)| events.len()).sum();
        self.events_read.fetch_add(n, Ordering::SeqCst);
        Ok(read)
    }
    async fn stream_ids(
        &self,
        kind: StreamKind,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner().stream_ids(kind, after, limit).await
    }
}

#[async_trait]
impl IdempotencyKeys for Swappable {
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner().has_idempotency_key(key).await
    }
    async fn idempotency_record(
        &self,
        key: &str,
    ) -> Result<Option<ajo_core::ports::KeyRecord>, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner().idempotency_record(key).await
    }
}

#[async_trait]
impl WakeSchedule for Swappable {
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        self.inner().due_streams(now, limit).await
    }
}

#[async_trait]
impl Journal for Swappable {
    async fn balance(&self, account: &Account) -> Result<Money, StoreError> {
        self.inner().balance(account).await
    }
    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError> {
        self.inner().balances().await
    }
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError> {
        self.inner().entries(query).await
    }
    async fn heads(&self) -> Result<Vec<ajo_core::ledger::BookHead>, StoreError> {
        self.inner().heads().await
    }
    async fn checkpoints(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<ajo_core::ledger::Checkpoint>, StoreError> {
        self.inner().checkpoints(after, limit).await
    }
    async fn last_checkpoint(&self) -> Result<Option<ajo_core::ledger::Checkpoint>, StoreError> {
        self.inner().last_checkpoint().await
    }
}

#[async_trait]
impl Outbox for Swappable {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: StdDuration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        self.inner().claim_outbox(worker, now, lease, limit).await
    }
    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner().finish_outbox(id, outcome, now).await
    }
    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError> {
        self.inner().report_delivery(message_id, status).await
    }
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        self.inner().outbox_message(id).await
    }
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

/// A second host: its own service (and kept states) over the same store and fakes.
fn host_over(ajo: &Embedded, store: Arc<dyn Store>) -> AjoService {
    AjoService::new(
        store,
        ajo.gateway.clone() as Arc<dyn PaymentGateway>,
        ajo.email.clone() as Arc<dyn EmailSender>,
        ajo.sms.clone() as Arc<dyn SmsSender>,
        ajo.clock.clone() as Arc<dyn Clock>,
    )
}

/// A started five-hand group without deposits, on `host`.
async fn started(host: &AjoService) -> GroupId {
    let id = GroupId::new("oke-arin").unwrap();
    host.create_group(
        &id,
        builders::naira_group("Oke Arin", 10_000, start_date())
            .deposit(ajo_core::group::deposit::DepositRule::None)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    for name in ["ada", "bola", "chidi", "dayo", "emeka"] {
        host.join(
            &id,
            &ajo_core::group::MemberId::new(name).unwrap(),
            1,
            &builders::contact(name),
        )
        .await
        .unwrap();
    }
    host.start(&id).await.unwrap();
    id
}

fn embedded() -> Embedded {
    Embedded::new(
        Utc.from_utc_datetime(
            &(start_date() - Duration::days(10))
                .and_hms_opt(11, 0, 0)
                .unwrap(),
        ),
    )
}

#[tokio::test]
async fn another_hosts_events_are_seen() {
    let ajo = embedded();
    let host_a = ajo.service.clone();
    let host_b = host_over(&ajo, ajo.store.clone() as Arc<dyn Store>);
    let id = started(&host_a).await;
    // Host A reads the group (and keeps its state) to ask for hand 1's due.
    let collection = host_a
        .request_contribution(&id, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    // Host B takes the webhook: the group moves on without host A.
    let event = ajo.gateway.pay(&collection.reference).unwrap();
    assert_eq!(
        host_b.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded
    );
    // Host A sees the payment: nothing is owed for hand 1 any more.
    let again = host_a
        .request_contribution(&id, 1, HandId::new(1).unwrap())
        .await;
    assert!(
        matches!(
            again,
            Err(ServiceError::Group(GroupError::NothingOwed {
                round: 1,
                ..
            }))
        ),
        "{again:?}"
    );
    // And decides on the group as it is: hand 2's payment lands after host B's.
    let collection = host_a
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    let event = ajo.gateway.pay(&collection.reference).unwrap();
    assert_eq!(
        host_a.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded
    );
    let state = host_b.group(&id).await.unwrap();
    assert_eq!(state, host_a.group(&id).await.unwrap());
    assert!(
        state
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .outstanding()
            .is_zero()
    );
    assert!(
        state
            .due(1, HandId::new(2).unwrap())
            .unwrap()
            .outstanding()
            .is_zero()
    );
    assert!(
        !state
            .due(1, HandId::new(3).unwrap())
            .unwrap()
            .outstanding()
            .is_zero()
    );
}

#[tokio::test]
async fn a_store_behind_the_kept_state_is_read_afresh() {
    let ajo = embedded();
    let store = Arc::new(Swappable::new(ajo.store.clone() as Arc<dyn Store>));
    let host = host_over(&ajo, store.clone() as Arc<dyn Store>);
    let id = started(&host).await;
    let first = host
        .request_contribution(&id, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let second = host
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    // The point the database will be restored to.
    let earlier = Arc::new(ajo.store.fork());
    let event = ajo.gateway.pay(&first.reference).unwrap();
    assert_eq!(
        host.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded
    );
    // The host keeps the group with hand 1 paid; the database goes back to before it.
    assert!(
        host.group(&id)
            .await
            .unwrap()
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .outstanding()
            .is_zero()
    );
    store.swap(earlier.clone() as Arc<dyn Store>);
    assert!(
        !host
            .group(&id)
            .await
            .unwrap()
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .outstanding()
            .is_zero(),
        "a read finds the kept state's last event gone and reads the group whole"
    );
    let event = ajo.gateway.pay(&second.reference).unwrap();
    assert_eq!(
        host.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded,
        "the payment is decided on the group as the database has it"
    );
    let state = host.group(&id).await.unwrap();
    assert!(
        !state
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .outstanding()
            .is_zero(),
        "the restored database never saw hand 1's payment"
    );
    assert!(
        state
            .due(1, HandId::new(2).unwrap())
            .unwrap()
            .outstanding()
            .is_zero()
    );
    ajo_testkit::assert_books_balance(earlier.as_ref()).await;
}

#[tokio::test]
async fn another_event_at_the_kept_version_is_noticed() {
    let ajo = embedded();
    let store = Arc::new(Swappable::new(ajo.store.clone() as Arc<dyn Store>));
    let host_a = host_over(&ajo, store.clone() as Arc<dyn Store>);
    let id = started(&host_a).await;
    let first = host_a
        .request_contribution(&id, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let second = host_a
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    let earlier = Arc::new(ajo.store.fork());
    // Host A records hand 1's payment and keeps the group at that version.
    let event = ajo.gateway.pay(&first.reference).unwrap();
    host_a.handle_gateway_event(&event).await.unwrap();
    // The database goes back, and host B writes another event at that same version.
    store.swap(earlier.clone() as Arc<dyn Store>);
    let host_b = host_over(&ajo, earlier.clone() as Arc<dyn Store>);
    let event = ajo.gateway.pay(&second.reference).unwrap();
    assert_eq!(
        host_b.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded
    );
    let seen_by_a = host_a.group(&id).await.unwrap();
    assert_eq!(seen_by_a, host_b.group(&id).await.unwrap());
    assert!(
        !seen_by_a
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .outstanding()
            .is_zero()
    );
    assert!(
        seen_by_a
            .due(1, HandId::new(2).unwrap())
            .unwrap()
            .outstanding()
            .is_zero()
    );
}

#[tokio::test]
async fn a_command_reads_only_what_it_has_not_seen() {
    let ajo = embedded();
    let counted = |group_cache| {
        let store = Arc::new(Swappable::new(
            Arc::new(InMemoryStore::new()) as Arc<dyn Store>
        ));
        let host = host_over(&ajo, store.clone() as Arc<dyn Store>)
            .with_config(ServiceConfig {
                group_cache,
                ..ServiceConfig::default()
            })
            .unwrap();
        (store, host)
    };
    let mut events_per_contribution = Vec::new();
    let mut reads_per_contribution = Vec::new();
    for group_cache in [0, 16] {
        let (store, host) = counted(group_cache);
        let id = started(&host).await;
        host.group(&id).await.unwrap();
        store.take_events_read();
        store.take_calls();
        for hand in 1..=5 {
            let collection = host
                .request_contribution(&id, 1, HandId::new(hand).unwrap())
                .await
                .unwrap();
            let event = ajo.gateway.pay(&collection.reference).unwrap();
            host.handle_gateway_event(&event).await.unwrap();
        }
        events_per_contribution.push(store.take_events_read() / 5);
        reads_per_contribution.push(store.take_calls() / 5);
    }
    // Without kept states each of the two commands reads the whole group (ten events
    // and more at this point); with them, the payment and profile streams and the kept
    // last event again (the profile stream also indexes the member's groups: one
    // `JoinedGroup` each, one here; the payment stream holds the request and its opened
    // checkout).
    assert!(
        events_per_contribution[0] >= 20,
        "{events_per_contribution:?}"
    );
    assert!(
        events_per_contribution[1] <= 8,
        "{events_per_contribution:?}"
    );
    // And in fewer calls: the request reads the group, the collection and the profile
    // together; the webhook reads the key, the collection, the group and the payer
    // together, because this service recorded the collection.
    assert_eq!(reads_per_contribution, [4, 2]);
}
