//! The one command loop: read, decide, append at the version read, and decide again from
//! fresh state when another writer got there first.
//!
//! Every command the service runs goes through [`AjoService::run`]: an *attempt* reads
//! what it needs and answers a [`Decision`], either an answer with nothing to write or one
//! atomic [`AppendRequest`]; the loop appends it and tells the outcomes apart (written, a
//! duplicate idempotency key, a version conflict), once, for every command. Aggregates
//! (groups, loans) share one attempt, [`AjoService::run_aggregate`], over the
//! [`Aggregate`] shape and the [`Hosted`] glue below.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::cache::StateCache;
use super::exec::{Profiles, decode_as};
use super::{AjoService, ServiceError};
use crate::aggregate::Aggregate;
use crate::ledger::BalancedEntry;
use crate::ports::{
    AppendRequest, DomainEvent, KeyRecord, OutboxMessage, ReadFrom, RecordedEvent, StoreError,
    StoreRead, StreamAppend, StreamId, StreamKind,
};
use crate::telemetry;

/// What one attempt of a command decided.
pub(super) enum Decision<T> {
    /// Nothing to write: this is the answer.
    Done(T),
    /// Write this, atomically.
    Write(Write<T>),
}

/// One atomic write and what to answer after it.
pub(super) struct Write<T> {
    /// Everything the command writes.
    pub(super) request: AppendRequest,
    /// The answer once written.
    pub(super) written: T,
    /// The answer when the request's idempotency key was recorded before.
    pub(super) duplicate: T,
    /// States to keep once written, so the next command reads only what follows.
    pub(super) keep: Option<Keep>,
}

/// A state to keep after a write: the service's caches are typed, so this carries the
/// call that puts it.
pub(super) type Keep = Box<dyn FnOnce(&AjoService) + Send>;

/// What an aggregate's events cause besides themselves: other streams begun (payouts to
/// send) and messages to members.
#[derive(Default)]
pub(super) struct Effects {
    pub(super) streams: Vec<StreamAppend>,
    pub(super) outbox: Vec<OutboxMessage>,
}

/// How the service keeps an aggregate: its stream, how its events are stored, what its
/// refusals are as service errors, where its states are kept, when the scheduler should
/// look at it, and what its events cause.
pub(super) trait Hosted: Aggregate {
    /// The id of one.
    type Id: Clone + Eq + Hash + fmt::Display + Send + Sync + 'static;
    /// The kind of its streams.
    const KIND: StreamKind;

    /// Its stream.
    fn stream(id: &Self::Id) -> StreamId {
        StreamId::new(Self::KIND, id.to_string())
    }
    /// An event as stored.
    fn wrap(event: Self::Event) -> DomainEvent;
    /// A stored event, if it is one of this aggregate's.
    fn unwrap(event: DomainEvent) -> Option<Self::Event>;
    /// The ledger entry an event posts, if it moves money.
    fn entry(event: &Self::Event) -> Option<&BalancedEntry>;
    /// Whether the command may open a new stream (create, apply for).
    fn opens(command: &Self::Command) -> bool;
    /// A refusal as a service error.
    fn refused(error: Self::Error) -> ServiceError;
    /// Where the service keeps these states.
    fn cache(service: &AjoService) -> &StateCache<Self, Self::Id>;
    /// When the scheduler should next look at it (`None`: not until something happens).
    fn wake_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>>;
    /// What `events`, taking `before` to `after`, cause.
    fn effects<'a>(
        service: &'a AjoService,
        id: &'a Self::Id,
        before: &'a Self,
        after: &'a Self,
        events: &'a [Self::Event],
        profiles: &'a mut Profiles,
    ) -> impl Future<Output = Result<Effects, ServiceError>> + Send + 'a;
}

/// An aggregate's state read with other streams: see [`AjoService::read_state_with`].
pub(super) struct StateRead<A> {
    pub(super) state: Arc<A>,
    /// The other streams asked for, whole, keyed by stream: take each with
    /// [`StoreRead::take`], which is an error for one the store left out.
    pub(super) others: StoreRead,
    pub(super) key_recorded: bool,
    /// The key's record, when the store gave it.
    pub(super) key_record: Option<KeyRecord>,
}

/// An aggregate's decided events with everything their append carries.
pub(super) struct Decided<A: Aggregate> {
    pub(super) events: Vec<A::Event>,
    pub(super) streams: Vec<StreamAppend>,
    /// The ledger entries the events post, in event order.
    pub(super) entries: Vec<BalancedEntry>,
    pub(super) outbox: Vec<OutboxMessage>,
    pub(super) keep: Option<Keep>,
}

/// Counts a command in [`telemetry::COMMANDS`] by the kind of stream it writes and how
/// it ended: `written`, `unchanged` (nothing to write: a duplicate, an answer already
/// given) or its error's [`kind`](ServiceError::kind).
pub(super) fn count_command(stream: StreamKind, ended: Result<bool, &ServiceError>) {
    let outcome = match ended {
        Ok(true) => "written",
        Ok(false) => "unchanged",
        Err(error) => error.kind().as_str(),
    };
    metrics::counter!(telemetry::COMMANDS, "stream" => stream.as_str(), "outcome" => outcome)
        .increment(1);
}

impl AjoService {
    /// Runs a command: `attempt(n)` for n = 0, 1, ... reads and decides; each decided
    /// write is appended, and a version conflict (from the append, or from an attempt
    /// that wrote on its own) starts the next attempt from fresh state, up to the
    /// configured number of retries. Every command is counted in
    /// [`telemetry::COMMANDS`] by how it ended (an error by its
    /// [`kind`](ServiceError::kind)); each conflict is counted where it is met, in
    /// [`append`](Self::append).
    ///
    /// # Errors
    /// An attempt's error, a store error, [`ServiceError::IdempotencyKeyReused`] when the
    /// append finds a host's key recorded for another command, or
    /// [`ServiceError::TooMuchContention`] when other writers kept winning.
    pub(super) async fn run<T, F, Fut>(
        &self,
        stream: &StreamId,
        mut attempt: F,
    ) -> Result<T, ServiceError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<Decision<T>, ServiceError>>,
    {
        let result = self.run_counted(stream, &mut attempt).await;
        count_command(stream.kind, result.as_ref().map(|(_, written)| *written));
        result.map(|(answer, _)| answer)
    }

    /// [`run`](Self::run)'s loop, answering besides its answer whether it wrote, for
    /// [`telemetry::COMMANDS`].
    async fn run_counted<T, F, Fut>(
        &self,
        stream: &StreamId,
        attempt: &mut F,
    ) -> Result<(T, bool), ServiceError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<Decision<T>, ServiceError>>,
    {
        for n in 0..=self.config.conflict_retries {
            let write = match attempt(n).await {
                Ok(Decision::Done(answer)) => return Ok((answer, false)),
                Ok(Decision::Write(write)) => write,
                Err(ServiceError::Store(StoreError::Conflict { .. })) => continue,
                Err(other) => return Err(other),
            };
            // A host's key (one with a fingerprint) found recorded by the append was
            // recorded by a call that got there first: a duplicate only if it was for
            // the same command.
            let key = write
                .request
                .idempotency_key
                .clone()
                .filter(|k| k.fingerprint.is_some());
            match self.append(write.request).await {
                Ok(true) => {
                    if let Some(keep) = write.keep {
                        keep(self);
                    }
                    return Ok((write.written, true));
                }
                Ok(false) => {
                    if let Some(key) = &key {
                        self.replay_of(key, None).await?;
                    }
                    return Ok((write.duplicate, false));
                }
                Err(ServiceError::Store(StoreError::Conflict { .. })) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(ServiceError::TooMuchContention {
            stream: stream.clone(),
            attempts: self.config.conflict_retries + 1,
        })
    }

    /// Runs a command on an aggregate: read its state (and whether `key` is recorded),
    /// decide, and append its events with what they cause and the `extra` streams, with
    /// `key` recorded in the same append. A recorded key answers no events, once its
    /// fingerprint (if it has one) matches ([`AjoService::replay_of`]).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for a stream never opened (unless the command opens
    /// it), the aggregate's refusal, [`ServiceError::IdempotencyKeyReused`], or as
    /// [`run`](Self::run).
    pub(super) async fn run_aggregate<A: Hosted>(
        &self,
        id: &A::Id,
        command: &A::Command,
        key: Option<&KeyRecord>,
        extra: &[StreamAppend],
    ) -> Result<Vec<A::Event>, ServiceError> {
        self.run_aggregate_answering::<A>(id, command, key, extra, &|_| None)
            .await
    }

    /// As [`run_aggregate`](Self::run_aggregate), recording with `key` the answer
    /// `answer` makes of the events written (JSON), so a replay under the key can give
    /// the first call's answer ([`AjoService::first_answer`]) though it writes nothing.
    pub(super) async fn run_aggregate_answering<A: Hosted>(
        &self,
        id: &A::Id,
        command: &A::Command,
        key: Option<&KeyRecord>,
        extra: &[StreamAppend],
        answer: &(dyn Fn(&[A::Event]) -> Option<String> + Sync),
    ) -> Result<Vec<A::Event>, ServiceError> {
        let stream = A::stream(id);
        let at = &stream;
        self.run(at, move |_| async move {
            let read = self
                .read_state_with::<A>(id, &[], key.map(|k| k.key.as_str()))
                .await?;
            if let Some(key) = key
                && read.key_recorded
            {
                self.replay_of(key, read.key_record).await?;
                return Ok(Decision::Done(Vec::new()));
            }
            if read.state.version() == 0 && !A::opens(command) {
                return Err(ServiceError::NotFound(at.clone()));
            }
            let now = self.now();
            let events = read.state.decide(command, now).map_err(A::refused)?;
            if events.is_empty() && extra.is_empty() {
                return Ok(Decision::Done(events));
            }
            let decided = self
                .decided::<A>(id, &read.state, events, now, &mut Profiles::default())
                .await?;
            let mut streams = decided.streams;
            streams.extend(extra.iter().cloned());
            let idempotency_key = key.map(|k| KeyRecord {
                result: answer(&decided.events),
                ..k.clone()
            });
            Ok(Decision::Write(Write {
                request: AppendRequest {
                    entries: decided.entries,
                    outbox: decided.outbox,
                    streams,
                    idempotency_key,
                    at: now.into(),
                },
                written: decided.events,
                duplicate: Vec::new(),
                keep: decided.keep,
            }))
        })
        .await
    }

    /// The append of `events` decided on `state`: the aggregate's own stream (at the
    /// version read, with its next wake time) and what the events cause, with the state
    /// they leave to keep once written.
    pub(super) async fn decided<A: Hosted>(
        &self,
        id: &A::Id,
        state: &Arc<A>,
        events: Vec<A::Event>,
        now: DateTime<Utc>,
        profiles: &mut Profiles,
    ) -> Result<Decided<A>, ServiceError> {
        let mut after = A::clone(state);
        for event in &events {
            after.apply(event);
        }
        let effects = A::effects(self, id, state, &after, &events, profiles).await?;
        let own = StreamAppend {
            stream: A::stream(id),
            expected_version: state.version(),
            events: events.iter().cloned().map(A::wrap).collect(),
            wake_at: after.wake_at(now),
        };
        let mut streams = vec![own];
        streams.extend(effects.streams);
        let keep: Option<Keep> = events.last().cloned().map(|last| {
            let id = id.clone();
            let after = Arc::new(after);
            Box::new(move |service: &AjoService| A::cache(service).put(&id, after, last)) as Keep
        });
        Ok(Decided {
            entries: events.iter().filter_map(A::entry).cloned().collect(),
            events,
            streams,
            outbox: effects.outbox,
            keep,
        })
    }

    /// An aggregate's state with other streams (whole) and whether `key` is recorded, in
    /// one read: the kept state brought forward by the events after it, or the whole
    /// stream when none is kept (or the store no longer holds what it was built from).
    pub(super) async fn read_state_with<A: Hosted>(
        &self,
        id: &A::Id,
        others: &[StreamId],
        key: Option<&str>,
    ) -> Result<StateRead<A>, ServiceError> {
        let stream = A::stream(id);
        let cache = A::cache(self);
        let kept = cache.get(id);
        let version_kept = kept.as_ref().map_or(0, |k| k.state.version());
        let mut asked = Vec::with_capacity(1 + others.len());
        // From the kept state's own last event, to check the store still holds it.
        asked.push(ReadFrom::new(
            stream.clone(),
            version_kept.saturating_sub(1),
        ));
        asked.extend(others.iter().map(|s| ReadFrom::new(s.clone(), 0)));
        let mut read = self.store.read(&asked, key).await?;
        let from_store = read.take(&stream)?;
        let (mut state, tail) = match kept {
            None => (Arc::new(A::default()), from_store),
            Some(kept) => {
                let mut events = from_store.into_iter();
                let still_there = events.next().is_some_and(|first| {
                    first.version == version_kept
                        && A::unwrap(first.event).is_some_and(|e| e == kept.last)
                });
                let tail: Vec<RecordedEvent> = events.collect();
                let follows = tail
                    .iter()
                    .zip(version_kept + 1..)
                    .all(|(event, version)| event.version == version);
                if still_there && follows {
                    (kept.state, tail)
                } else {
                    // Not this stream's past any more (a database restored to an earlier
                    // point): read it whole.
                    cache.forget(id);
                    (Arc::new(A::default()), self.store.load(&stream).await?)
                }
            }
        };
        let tail = decode_as(&stream, tail, A::unwrap)?;
        if let Some(last) = tail.events.last() {
            let next = Arc::make_mut(&mut state);
            for event in &tail.events {
                next.apply(event);
            }
            cache.put(id, Arc::clone(&state), last.clone());
        }
        Ok(StateRead {
            state,
            key_recorded: read.key_recorded(),
            key_record: read.key_record().cloned(),
            others: read,
        })
    }

    /// An aggregate's state now, or [`ServiceError::NotFound`] for a stream never opened.
    pub(super) async fn state_of<A: Hosted>(&self, id: &A::Id) -> Result<Arc<A>, ServiceError> {
        let read = self.read_state_with::<A>(id, &[], None).await?;
        if read.state.version() == 0 {
            return Err(ServiceError::NotFound(A::stream(id)));
        }
        Ok(read.state)
    }
}
