//! The in-memory store: the embedded default, and the reference the conformance suite
//! is checked against.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ajo_core::ledger::{Account, BookHead, Checkpoint, JournalEntry, Ledger, LedgerError};
use ajo_core::money::{Money, MoneyError};
use ajo_core::ports::{
    AppendOutcome, AppendRequest, EntryQuery, EventLog, IdempotencyKeys, Journal, KeyRecord,
    Outbox, OutboxBacklog, OutboxOutcome, OutboxRecord, OutboxStatus, ReadFrom, RecordedEvent,
    Store, StoreError, StoreRead, StreamId, StreamKind, WakeSchedule,
};
use ajo_core::time::Timestamp;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A [`Store`] in memory, safe to share between tasks and threads.
///
/// One lock guards everything, and it is never held across an `.await`, so every
/// `append` is atomic exactly as a database transaction would be: checks first, then all
/// writes, or none.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default, Clone)]
struct Inner {
    streams: BTreeMap<StreamId, Vec<RecordedEvent>>,
    wake: BTreeMap<StreamId, DateTime<Utc>>,
    wake_index: BTreeSet<(DateTime<Utc>, StreamId)>,
    ledger: Ledger,
    checkpoints: Vec<Checkpoint>,
    /// Each key with the record it was first written with.
    idempotency: HashMap<String, KeyRecord>,
    outbox: BTreeMap<String, OutboxSlot>,
    outbox_order: Vec<String>,
    provider_ids: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct OutboxSlot {
    record: OutboxRecord,
    lease: Option<(String, DateTime<Utc>)>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> InMemoryStore {
        InMemoryStore::default()
    }

    /// A separate store holding a copy of everything in this one (to run the same
    /// scenario from one starting point many times, as the benches do).
    pub fn fork(&self) -> InMemoryStore {
        InMemoryStore {
            inner: Mutex::new(self.lock().clone()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-written append (all checks
        // come before any write), so a poisoned lock is still consistent.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every entry of the journal (for checks and the quickstart's trial balance).
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.lock().ledger.entries().to_vec()
    }

    /// Every outbox message with its state, oldest first.
    pub fn outbox(&self) -> Vec<OutboxRecord> {
        let inner = self.lock();
        inner
            .outbox_order
            .iter()
            .filter_map(|id| inner.outbox.get(id).map(|s| s.record.clone()))
            .collect()
    }
}

fn ledger_error(error: LedgerError) -> StoreError {
    match error {
        LedgerError::IdempotencyConflict { key, .. } => StoreError::EntryConflict { key },
        LedgerError::Unbalanced { .. }
        | LedgerError::TooFewPostings { .. }
        | LedgerError::NonPositiveAmount { .. } => StoreError::Unbalanced { key: String::new() },
        LedgerError::Money(MoneyError::Overflow { .. }) => StoreError::BalanceOutOfRange,
        other => StoreError::Corrupt {
            reason: other.to_string(),
        },
    }
}

#[async_trait]
impl Store for InMemoryStore {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let mut inner = self.lock();
        if let Some(key) = &request.idempotency_key
            && inner.idempotency.contains_key(&key.key)
        {
            return Ok(AppendOutcome::Duplicate);
        }
        for append in &request.streams {
            let actual = inner
                .streams
                .get(&append.stream)
                .and_then(|e| e.last())
                .map_or(0, |e| e.version);
            if actual != append.expected_version {
                return Err(StoreError::Conflict {
                    stream: append.stream.clone(),
                    expected: append.expected_version,
                    actual,
                });
            }
        }
        // The ledger checks the whole batch before recording any of it.
        let books = request.entry_books();
        let placed = books.into_iter().zip(request.entries).collect();
        inner
            .ledger
            .post_all_placed(placed, request.at)
            .map_err(ledger_error)?;
        for append in request.streams {
            let events = inner.streams.entry(append.stream.clone()).or_default();
            for (version, event) in (append.expected_version + 1..).zip(append.events) {
                events.push(RecordedEvent {
                    stream: append.stream.clone(),
                    version,
                    recorded_at: request.at.as_datetime(),
                    event,
                });
            }
            if let Some(old) = inner.wake.remove(&append.stream) {
                inner.wake_index.remove(&(old, append.stream.clone()));
            }
            if let Some(at) = append.wake_at {
                inner.wake.insert(append.stream.clone(), at);
                inner.wake_index.insert((at, append.stream));
            }
        }
        for message in request.outbox {
            if inner.outbox.contains_key(&message.id) {
                continue;
            }
            inner.outbox_order.push(message.id.clone());
            let id = message.id.clone();
            let record = OutboxRecord {
                message,
                status: OutboxStatus::Pending,
                attempts: 0,
                next_attempt_at: request.at.as_datetime(),
            };
            inner.outbox.insert(
                id,
                OutboxSlot {
                    record,
                    lease: None,
                },
            );
        }
        if let Some(key) = request.idempotency_key {
            inner.idempotency.insert(key.key.clone(), key);
        }
        Ok(AppendOutcome::Appended)
    }

    async fn record_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let last = inner.checkpoints.last();
        let next = last.map_or(1, |c| c.number() + 1);
        let prev = last.map(Checkpoint::hash).unwrap_or_default();
        if checkpoint.number() != next || checkpoint.prev() != prev {
            return Err(StoreError::CheckpointConflict {
                number: checkpoint.number(),
            });
        }
        inner.checkpoints.push(checkpoint.clone());
        Ok(())
    }
}

#[async_trait]
impl EventLog for InMemoryStore {
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError> {
        let inner = self.lock();
        let mut read = StoreRead::with_capacity(streams.len(), false);
        if let Some(record) = idempotency_key.and_then(|k| inner.idempotency.get(k)) {
            read.set_key_record(record.clone());
        }
        for from in streams {
            // A stream asked twice is answered once, from the lowest version asked.
            let after = streams
                .iter()
                .filter(|other| other.stream == from.stream)
                .map(|other| other.after)
                .min()
                .unwrap_or(from.after);
            if after != from.after || read.get(&from.stream).is_some() {
                continue;
            }
            let all = inner
                .streams
                .get(&from.stream)
                .map_or(&[][..], Vec::as_slice);
            // Versions run from 1 without gaps, so the events after `after` start at that
            // index: only they are copied.
            let skip = usize::try_from(after).map_or(all.len(), |n| n.min(all.len()));
            read.answer(
                from.stream.clone(),
                all.get(skip..).unwrap_or_default().to_vec(),
            );
        }
        Ok(read)
    }

    async fn load(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.lock().streams.get(stream).cloned().unwrap_or_default())
    }

    async fn stream_ids(
        &self,
        kind: StreamKind,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        use std::ops::Bound;
        let inner = self.lock();
        let start = match after {
            Some(id) => Bound::Excluded(StreamId::new(kind, id)),
            None => Bound::Included(StreamId::new(kind, "")),
        };
        Ok(inner
            .streams
            .range((start, Bound::Unbounded))
            .take_while(|(stream, _)| stream.kind == kind)
            // A wake-only append leaves a stream without events: it does not exist.
            .filter(|(_, events)| !events.is_empty())
            .take(limit)
            .map(|(stream, _)| stream.id.clone())
            .collect())
    }
}

#[async_trait]
impl IdempotencyKeys for InMemoryStore {
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.lock().idempotency.contains_key(key))
    }

    async fn idempotency_record(&self, key: &str) -> Result<Option<KeyRecord>, StoreError> {
        Ok(self.lock().idempotency.get(key).cloned())
    }
}

#[async_trait]
impl WakeSchedule for InMemoryStore {
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .wake_index
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(limit)
            .map(|(_, s)| s.clone())
            .collect())
    }
}

#[async_trait]
impl Journal for InMemoryStore {
    async fn balance(&self, account: &Account) -> Result<Money, StoreError> {
        Ok(self.lock().ledger.balance(account))
    }

    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError> {
        Ok(self
            .lock()
            .ledger
            .trial_balance()
            .rows()
            .map(|(a, m)| (a.clone(), *m))
            .collect())
    }

    async fn heads(&self) -> Result<Vec<BookHead>, StoreError> {
        Ok(self.lock().ledger.heads())
    }

    async fn checkpoints(&self, after: u64, limit: usize) -> Result<Vec<Checkpoint>, StoreError> {
        Ok(self
            .lock()
            .checkpoints
            .iter()
            .filter(|c| c.number() > after)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self.lock().checkpoints.last().cloned())
    }

    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError> {
        let inner = self.lock();
        let after = query.after.unwrap_or(0);
        Ok(inner
            .ledger
            .entries()
            .iter()
            .filter(|e| e.id().0 > after)
            .filter(|e| query.matches(e))
            .take(query.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl Outbox for InMemoryStore {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut inner = self.lock();
        let until = Timestamp::from(now).saturating_add_std(lease).as_datetime();
        let ids: Vec<String> = inner.outbox_order.clone();
        let mut claimed = Vec::new();
        for id in ids {
            if claimed.len() >= limit {
                break;
            }
            let Some(slot) = inner.outbox.get_mut(&id) else {
                continue;
            };
            let free = slot
                .lease
                .as_ref()
                .is_none_or(|(_, expires)| *expires <= now);
            if slot.record.status == OutboxStatus::Pending
                && slot.record.next_attempt_at <= now
                && free
            {
                slot.lease = Some((worker.to_owned(), until));
                claimed.push(slot.record.clone());
            }
        }
        Ok(claimed)
    }

    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let slot = inner
            .outbox
            .get_mut(id)
            .ok_or_else(|| StoreError::UnknownMessage(id.to_owned()))?;
        slot.lease = None;
        slot.record.attempts += 1;
        // A delivery report can overtake the send's own outcome; the report is final.
        let reported = is_final(&slot.record.status);
        let mut provider = None;
        match outcome {
            OutboxOutcome::Sent(provider_id) => {
                provider = Some(provider_id.0.clone());
                if !reported {
                    slot.record.status = OutboxStatus::Sent { provider_id };
                }
            }
            OutboxOutcome::Retry { at, .. } => slot.record.next_attempt_at = at,
            OutboxOutcome::Failed { reason } if !reported => {
                slot.record.status = OutboxStatus::Failed { reason }
            }
            _ => {}
        }
        if let Some(provider) = provider {
            inner.provider_ids.insert(provider, id.to_owned());
        }
        Ok(())
    }

    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let id = if inner.outbox.contains_key(message_id) {
            message_id.to_owned()
        } else {
            inner
                .provider_ids
                .get(message_id)
                .cloned()
                .ok_or_else(|| StoreError::UnknownMessage(message_id.to_owned()))?
        };
        if let Some(slot) = inner.outbox.get_mut(&id) {
            // A final report is not overwritten by a late, earlier one.
            if !is_final(&slot.record.status) {
                slot.record.status = status;
            }
        }
        Ok(())
    }

    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        Ok(self.lock().outbox.get(id).map(|s| s.record.clone()))
    }

    async fn outbox_backlog(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<OutboxBacklog>, StoreError> {
        let inner = self.lock();
        let mut backlog = OutboxBacklog::default();
        for slot in inner.outbox.values() {
            if slot.record.status != OutboxStatus::Pending {
                continue;
            }
            backlog.pending += 1;
            let at = slot.record.next_attempt_at;
            if at <= now {
                backlog.due += 1;
                backlog.oldest_due_at = Some(backlog.oldest_due_at.map_or(at, |o| o.min(at)));
            }
        }
        Ok(Some(backlog))
    }
}

/// Delivered and undeliverable are what the provider finally said: nothing overwrites them.
fn is_final(status: &OutboxStatus) -> bool {
    matches!(
        status,
        OutboxStatus::Delivered | OutboxStatus::Undeliverable { .. }
    )
}
