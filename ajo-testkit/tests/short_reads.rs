//! A store that answers a read short (leaves out a stream it was asked about) is an
//! error the service reports, never an empty history: an existing group must not look
//! new, and nothing is written.

#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use ajo_core::group::{GroupId, MemberId};
use ajo_core::ledger::{Account, JournalEntry};
use ajo_core::money::Money;
use ajo_core::ports::{
    AppendOutcome, AppendRequest, Clock, EmailSender, EntryQuery, EventLog, IdempotencyKeys,
    Journal, Outbox, OutboxOutcome, OutboxRecord, OutboxStatus, PaymentGateway, ReadFrom,
    SmsSender, Store, StoreError, StoreRead, StreamId, StreamKind, WakeSchedule,
};
use ajo_core::service::{AjoService, ServiceError};
use ajo_testkit::{Embedded, InMemoryStore, builders, drive};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// [`InMemoryStore`], except that `read` leaves out every stream of one kind.
#[derive(Debug)]
struct ShortStore {
    inner: Arc<InMemoryStore>,
    leaves_out: StreamKind,
}

#[async_trait]
impl EventLog for ShortStore {
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError> {
        let mut whole = self.inner.read(streams, idempotency_key).await?;
        let mut short = StoreRead::new(whole.key_recorded());
        if let Some(record) = whole.key_record() {
            short.set_key_record(record.clone());
        }
        for from in streams {
            if from.stream.kind != self.leaves_out
                && let Ok(events) = whole.take(&from.stream)
            {
                short.answer(from.stream.clone(), events);
            }
        }
        Ok(short)
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
impl Store for ShortStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
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
impl IdempotencyKeys for ShortStore {
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.has_idempotency_key(key).await
    }
    async fn idempotency_record(
        &self,
        key: &str,
    ) -> Result<Option<ajo_core::ports::KeyRecord>, StoreError> {
        self.inner.idempotency_record(key).await
    }
}

#[async_trait]
impl WakeSchedule for ShortStore {
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        self.inner.due_streams(now, limit).await
    }
}

#[async_trait]
impl Journal for ShortStore {
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
impl Outbox for ShortStore {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: StdDuration,
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
    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError> {
        self.inner.report_delivery(message_id, status).await
    }
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        self.inner.outbox_message(id).await
    }
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

/// A started three-hand group, and a second host over the same store whose reads leave
/// out `leaves_out`.
async fn started_with_short_host(leaves_out: StreamKind) -> (Embedded, AjoService, GroupId) {
    let ajo = Embedded::new(Utc.from_utc_datetime(&start_date().and_hms_opt(9, 0, 0).unwrap()));
    let id = GroupId::new("oke-arin").unwrap();
    ajo.service
        .create_group(
            &id,
            builders::naira_group("Oke Arin", 10_000, start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    drive::join_and_start(&ajo.service, &ajo.gateway, &id, &["ada", "bola", "chidi"]).await;
    let short = ShortStore {
        inner: ajo.store.clone(),
        leaves_out,
    };
    let host = AjoService::new(
        Arc::new(short) as Arc<dyn Store>,
        ajo.gateway.clone() as Arc<dyn PaymentGateway>,
        ajo.email.clone() as Arc<dyn EmailSender>,
        ajo.sms.clone() as Arc<dyn SmsSender>,
        ajo.clock.clone() as Arc<dyn Clock>,
    );
    (ajo, host, id)
}

fn group_stream(id: &GroupId) -> StreamId {
    StreamId::new(StreamKind::Group, id.as_str())
}

#[tokio::test]
async fn a_group_left_out_of_a_read_is_an_error_not_a_new_group() {
    let (ajo, host, id) = started_with_short_host(StreamKind::Group).await;
    let events_before = ajo.store.load(&group_stream(&id)).await.unwrap();
    let journal_before = ajo.store.journal();

    let joined = host
        .join(
            &id,
            &MemberId::new("dayo").unwrap(),
            1,
            &builders::contact("dayo"),
        )
        .await;
    assert_eq!(
        joined.unwrap_err(),
        ServiceError::Store(StoreError::Incomplete {
            stream: group_stream(&id)
        })
    );
    let created = host
        .create_group(
            &id,
            builders::naira_group("Oke Arin again", 10_000, start_date())
                .build()
                .unwrap(),
        )
        .await;
    assert_eq!(
        created.unwrap_err(),
        ServiceError::Store(StoreError::Incomplete {
            stream: group_stream(&id)
        }),
        "the group must not look new"
    );

    assert_eq!(
        ajo.store.load(&group_stream(&id)).await.unwrap(),
        events_before,
        "nothing was appended to the group"
    );
    assert_eq!(ajo.store.journal(), journal_before, "nothing was posted");
}

#[tokio::test]
async fn a_collection_left_out_of_a_read_is_an_error() {
    let (ajo, host, id) = started_with_short_host(StreamKind::Payment).await;
    let journal_before = ajo.store.journal();
    let contribution = host
        .request_contribution(&id, 1, ajo_core::ids::HandId::MIN)
        .await;
    assert!(
        matches!(
            contribution,
            Err(ServiceError::Store(StoreError::Incomplete { ref stream }))
                if stream.kind == StreamKind::Payment
        ),
        "{contribution:?}"
    );
    assert_eq!(ajo.store.journal(), journal_before, "nothing was posted");
}
