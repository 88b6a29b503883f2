//! A join under a group's limit, raced by another collection counted on the same usage
//! stream between the join's count and its write: the join counts again from what is
//! there now and goes through, counted once, beside the other.

#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ajo_core::ids::GroupId;
use ajo_core::ledger::{Account, JournalEntry};
use ajo_core::limits::{Flow, Limit, Limits, Scope, UsageEvent, Window};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    AppendOutcome, AppendRequest, Clock, DomainEvent, EmailSender, EntryQuery, EventLog,
    IdempotencyKeys, Journal, KeyRecord, Outbox, OutboxOutcome, OutboxRecord, OutboxStatus,
    PaymentGateway, ReadFrom, RecordedEvent, SmsSender, Store, StoreError, StoreRead, StreamAppend,
    StreamId, StreamKind, WakeSchedule,
};
use ajo_core::service::{AjoService, ServiceConfig};
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};
use ajo_testkit::{InMemoryStore, builders};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};

/// The in-memory store, where another writer counts a collection on the usage stream of
/// the first append that writes a group and a usage stream, just before it lands.
#[derive(Debug, Default)]
struct Raced {
    inner: InMemoryStore,
    raced: AtomicBool,
}

#[async_trait]
impl Store for Raced {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let group = request
            .streams
            .iter()
            .any(|s| s.stream.kind == StreamKind::Group);
        let usage = request
            .streams
            .iter()
            .find(|s| s.stream.kind == StreamKind::Usage);
        if let (true, Some(usage)) = (group, usage)
            && !self.raced.swap(true, Ordering::SeqCst)
            && let Some(DomainEvent::Usage(UsageEvent::Used {
                flow, amount, at, ..
            })) = usage.events.first().cloned()
        {
            let other = AppendRequest {
                streams: vec![StreamAppend {
                    stream: usage.stream.clone(),
                    expected_version: usage.expected_version,
                    events: vec![DomainEvent::Usage(UsageEvent::Used {
                        flow,
                        amount,
                        at,
                        reference: "another-collection".into(),
                    })],
                    wake_at: None,
                }],
                entries: Vec::new(),
                outbox: Vec::new(),
                idempotency_key: None,
                at: at.into(),
            };
            self.inner.append(other).await?;
        }
        self.inner.append(request).await
    }
    async fn record_checkpoint(
        &self,
        checkpoint: &ajo_core::ledger::Checkpoint,
    ) -> Result<(), StoreError> {
        self.inner.record_checkpoint(checkpoint).await
    }
}

#[async_trait]
impl EventLog for Raced {
    async fn read(&self, streams: &[ReadFrom], key: Option<&str>) -> Result<StoreRead, StoreError> {
        self.inner.read(streams, key).await
    }
    async fn load(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.load(stream).await
    }
    async fn stream_ids(
        &self,
        kind: StreamKind,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.inner.stream_ids(kind, after, limit).await
    }
}

#[async_trait]
impl Journal for Raced {
    async fn balance(&self, account: &Account) -> Result<Money, StoreError> {
        self.inner.balance(account).await
    }
    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError> {
        self.inner.balances().await
    }
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError> {
        self.inner.entries(query).await
    }
    async fn heads(&self) -> Result<Vec<ajo_core::ledger::BookHead>, StoreError> {
        self.inner.heads().await
    }
    async fn checkpoints(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<ajo_core::ledger::Checkpoint>, StoreError> {
        self.inner.checkpoints(after, limit).await
    }
    async fn last_checkpoint(&self) -> Result<Option<ajo_core::ledger::Checkpoint>, StoreError> {
        self.inner.last_checkpoint().await
    }
}

#[async_trait]
impl Outbox for Raced {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        self.inner.claim_outbox(worker, now, lease, limit).await
    }
    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner.finish_outbox(id, outcome, now).await
    }
    async fn report_delivery(&self, id: &str, status: OutboxStatus) -> Result<(), StoreError> {
        self.inner.report_delivery(id, status).await
    }
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        self.inner.outbox_message(id).await
    }
}

#[async_trait]
impl WakeSchedule for Raced {
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        self.inner.due_streams(now, limit).await
    }
}

#[async_trait]
impl IdempotencyKeys for Raced {
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.has_idempotency_key(key).await
    }
    async fn idempotency_record(&self, key: &str) -> Result<Option<KeyRecord>, StoreError> {
        self.inner.idempotency_record(key).await
    }
}

#[tokio::test]
async fn a_join_raced_on_its_usage_counts_again_and_goes_through() {
    let store = Arc::new(Raced::default());
    let clock = Arc::new(FakeClock::new(
        Utc.timestamp_opt(1_772_355_600, 987_654_321).unwrap(),
    ));
    let cap = Money::from_minor(100_000_000, Currency::NGN).unwrap();
    let limits =
        Limits::default().with(Limit::new(Scope::Group, Flow::In, Window::Month, cap).unwrap());
    let service = AjoService::new(
        store.clone() as Arc<dyn Store>,
        Arc::new(FakeGateway::new()) as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    )
    .with_config(ServiceConfig {
        limits,
        ..ServiceConfig::default()
    })
    .unwrap();
    let group = GroupId::new("raced").unwrap();
    // The default deposit rule: the join asks for a deposit, which the limit counts.
    let config = builders::naira_group("raced", 10_000, clock.now().date_naive())
        .build()
        .unwrap();
    service.create_group(&group, config).await.unwrap();
    let receipt = service
        .join(
            &group,
            &builders::member("ada"),
            1,
            &builders::contact("ada"),
        )
        .await
        .unwrap();
    assert!(receipt.deposit.is_some(), "the deposit was asked");
    assert!(store.raced.load(Ordering::SeqCst), "the race happened");
    let mut counted = Vec::new();
    for id in store.stream_ids(StreamKind::Usage, None, 10).await.unwrap() {
        for recorded in store
            .load(&StreamId::new(StreamKind::Usage, id))
            .await
            .unwrap()
        {
            if let DomainEvent::Usage(UsageEvent::Used { reference, .. }) = recorded.event {
                counted.push(reference);
            }
        }
    }
    let deposits = counted
        .iter()
        .filter(|r| r.as_str() != "another-collection")
        .count();
    assert!(
        counted.iter().any(|r| r == "another-collection"),
        "{counted:?}"
    );
    assert_eq!(deposits, 1, "the join's deposit counted once: {counted:?}");
}
