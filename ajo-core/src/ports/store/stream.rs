//! Streams of events: what is stored, and [`EventLog`], how it is read back.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{StoreError, WrongEventKind};
use super::idempotency::KeyRecord;
use crate::group::GroupEvent;
use crate::ledger::{BalancedEntry, Book};
use crate::limits::UsageEvent;
use crate::loan::LoanEvent;
use crate::member::MemberEvent;
use crate::payment::{PaymentEvent, PayoutEvent};

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
    /// What one member or group used of its limits in one currency and month
    /// ([`UsageEvent`]).
    Usage,
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
            StreamKind::Usage => "usage",
        }
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

impl StreamId {
    /// The ledger book this stream's entries go to: a group with its collections and
    /// payouts is `g:<group>`, a loan with its repayments `l:<loan>`, a member's profile
    /// and usage `m:<member>` (a group's usage its group's). A collection or payout
    /// reference ajo did not make goes to the platform's book.
    ///
    /// The book is a function of the stream alone, so an entry posted again through
    /// another stream of the same group or loan (a webhook, then the scheduler's
    /// re-check) lands in the same book and is found as a replay there.
    ///
    /// ```
    /// use ajo_core::ledger::Book;
    /// use ajo_core::ports::{StreamId, StreamKind};
    ///
    /// let group = StreamId::new(StreamKind::Group, "balogun");
    /// let collection = StreamId::new(StreamKind::Payment, "ajo=ctb=balogun=r3=h2");
    /// assert_eq!(group.book(), Book::new("g:balogun"));
    /// assert_eq!(collection.book(), group.book());
    /// let repayment = StreamId::new(StreamKind::Payment, "ajo=lnr=ln-7=p2");
    /// assert_eq!(repayment.book(), Book::new("l:ln-7"));
    /// ```
    pub fn book(&self) -> Book {
        match self.kind {
            StreamKind::Group => Book::new(format!("g:{}", self.id)),
            StreamKind::Loan => Book::new(format!("l:{}", self.id)),
            StreamKind::Member => Book::new(format!("m:{}", self.id)),
            // By the reference's text (`ajo=<purpose>=<group or loan>=...`, see
            // `reference`), not its full parse, so the database can say the same
            // (`ajo_stream_book`, migration 0009).
            StreamKind::Payment | StreamKind::Payout => {
                let mut parts = self.id.split('=');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some("ajo"), Some("dep" | "ctb" | "out" | "drf" | "crf"), Some(group))
                        if !group.is_empty() =>
                    {
                        Book::new(format!("g:{group}"))
                    }
                    (Some("ajo"), Some("lnd" | "lnr"), Some(loan)) if !loan.is_empty() => {
                        Book::new(format!("l:{loan}"))
                    }
                    _ => Book::platform(),
                }
            }
            // `<scope>:<owner>:<currency>:<month>`: the owner's book.
            StreamKind::Usage => {
                let mut parts = self.id.split(':');
                match (parts.next(), parts.next()) {
                    (Some("member"), Some(owner)) => Book::new(format!("m:{owner}")),
                    (Some("group"), Some(owner)) => Book::new(format!("g:{owner}")),
                    _ => Book::platform(),
                }
            }
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.id)
    }
}

/// Any event a store keeps: the envelope that names the kind of stream it belongs to.
///
/// Its JSON form (`{"stream": "<kind>", "event": {...}}`) is what databases hold, so it
/// never changes shape. Each stream's own event type converts into it with `From`, and
/// back out with `TryFrom`, which refuses an event of another kind ([`WrongEventKind`]).
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
    /// Of a usage stream.
    Usage(UsageEvent),
}

impl DomainEvent {
    /// The ledger entry the event posts, if any.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            DomainEvent::Group(e) => e.entry(),
            DomainEvent::Loan(e) => e.entry(),
            DomainEvent::Payment(e) => e.entry(),
            DomainEvent::Payout(e) => e.entry(),
            DomainEvent::Member(_) | DomainEvent::Usage(_) => None,
        }
    }

    /// The kind of stream the event belongs to.
    pub fn kind(&self) -> StreamKind {
        match self {
            DomainEvent::Group(_) => StreamKind::Group,
            DomainEvent::Loan(_) => StreamKind::Loan,
            DomainEvent::Member(_) => StreamKind::Member,
            DomainEvent::Payment(_) => StreamKind::Payment,
            DomainEvent::Payout(_) => StreamKind::Payout,
            DomainEvent::Usage(_) => StreamKind::Usage,
        }
    }
}

/// `From<$event> for DomainEvent`, and `TryFrom<DomainEvent> for $event` refusing any
/// other kind: what a generic command runner needs to store an aggregate's events and
/// read them back.
macro_rules! envelope {
    ($($variant:ident($event:ty)),* $(,)?) => {$(
        impl From<$event> for DomainEvent {
            fn from(event: $event) -> DomainEvent {
                DomainEvent::$variant(event)
            }
        }

        impl TryFrom<DomainEvent> for $event {
            type Error = WrongEventKind;

            fn try_from(event: DomainEvent) -> Result<$event, WrongEventKind> {
                match event {
                    DomainEvent::$variant(inner) => Ok(inner),
                    other => Err(WrongEventKind {
                        expected: StreamKind::$variant,
                        found: other.kind(),
                    }),
                }
            }
        }
    )*};
}

envelope!(
    Group(GroupEvent),
    Loan(LoanEvent),
    Member(MemberEvent),
    Payment(PaymentEvent),
    Payout(PayoutEvent),
    Usage(UsageEvent),
);

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

/// A stream to [`read`](EventLog::read), from the event after version `after` on (0: all).
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

/// What [`EventLog::read`] found: for each stream asked, keyed by it, its events after
/// the version asked; and whether the idempotency key asked about is recorded.
///
/// A stream asked for and never written is answered with no events. A stream the store
/// did not answer for at all is not "empty": [`take`](Self::take) says so with
/// [`StoreError::Incomplete`], so a store that answers short never makes a group look new.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreRead {
    // A command asks for one to three streams: a short list searched in order costs less
    // than hashing each id, and keeps the answer keyed all the same.
    answers: Vec<(StreamId, Vec<RecordedEvent>)>,
    key_recorded: bool,
    key_record: Option<KeyRecord>,
}

impl StoreRead {
    /// An answer with no streams yet, for stores implementing [`EventLog::read`]:
    /// [`answer`](Self::answer) each stream asked.
    pub fn new(key_recorded: bool) -> StoreRead {
        StoreRead {
            answers: Vec::new(),
            key_recorded,
            key_record: None,
        }
    }

    /// Like [`new`](Self::new), with room for `streams` answers.
    pub fn with_capacity(streams: usize, key_recorded: bool) -> StoreRead {
        StoreRead {
            answers: Vec::with_capacity(streams),
            key_recorded,
            key_record: None,
        }
    }

    /// Answers for `stream` with `events` (after the version asked, in version order),
    /// replacing any answer given for it before.
    pub fn answer(&mut self, stream: StreamId, events: Vec<RecordedEvent>) {
        match self.answers.iter_mut().find(|(s, _)| *s == stream) {
            Some((_, known)) => *known = events,
            None => self.answers.push((stream, events)),
        }
    }

    /// Takes the answer for `stream` out of the read.
    ///
    /// # Errors
    /// [`StoreError::Incomplete`] if the store gave no answer for `stream` (or it was
    /// taken already): the stream's history is unknown, not empty.
    pub fn take(&mut self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        let at = self
            .answers
            .iter()
            .position(|(s, _)| s == stream)
            .ok_or_else(|| StoreError::Incomplete {
                stream: stream.clone(),
            })?;
        Ok(self.answers.swap_remove(at).1)
    }

    /// The answer for `stream`, if the store gave one.
    pub fn get(&self, stream: &StreamId) -> Option<&[RecordedEvent]> {
        self.answers
            .iter()
            .find(|(s, _)| s == stream)
            .map(|(_, events)| events.as_slice())
    }

    /// Every answer, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&StreamId, &[RecordedEvent])> {
        self.answers.iter().map(|(s, e)| (s, e.as_slice()))
    }

    /// Whether the idempotency key asked about is recorded (`false` if none was asked).
    pub fn key_recorded(&self) -> bool {
        self.key_recorded
    }

    /// Gives the record of the idempotency key asked about, for stores implementing
    /// [`EventLog::read`]: the key is then recorded.
    pub fn set_key_record(&mut self, record: KeyRecord) {
        self.key_recorded = true;
        self.key_record = Some(record);
    }

    /// The record of the idempotency key asked about, with the fingerprint and result it
    /// was recorded with (`None` if it is not recorded, none was asked, or the store gave
    /// only whether it is).
    pub fn key_record(&self) -> Option<&KeyRecord> {
        self.key_record.as_ref()
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

/// Reading streams back: what a command needs before it decides.
///
/// Events are written only by [`Store::append`](super::Store::append); this is the read
/// side of the same streams.
///
/// # Contract for implementers
///
/// - Every event of a stream comes back in version order, versions 1, 2, 3... without
///   gaps, as appended; reads never change anything, so they may be repeated freely.
/// - [`read`](Self::read) answers **every** stream asked, keyed by its [`StreamId`]: a
///   stream never written is answered with no events (not left out); a stream asked twice
///   is answered once, from the lowest `after` asked. Leaving a stream out is a broken
///   store, which callers see as [`StoreError::Incomplete`].
/// - A read is not a snapshot across streams: each stream is as some read of it alone
///   would see it, and appends still check every expected version.
/// - A backing service that fails is [`StoreError::Unavailable`]; stored data that cannot
///   be decoded is [`StoreError::Corrupt`]. There is no "not found".
#[async_trait]
pub trait EventLog: Send + Sync + fmt::Debug + 'static {
    /// Several streams' events after versions the caller already holds, and whether an
    /// idempotency key is recorded with its record (as
    /// [`IdempotencyKeys::idempotency_record`] would say, given with
    /// [`StoreRead::set_key_record`]), read together. A store over a network should answer in one round trip and
    /// send only the events asked for.
    ///
    /// [`IdempotencyKeys::idempotency_record`]: super::IdempotencyKeys::idempotency_record
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`]; see the trait docs.
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError>;

    /// A stream's events in version order (none for a stream never written). The default
    /// asks [`read`](Self::read) for the whole stream.
    ///
    /// # Errors
    /// As [`read`](Self::read), and [`StoreError::Incomplete`] if `read` left the stream
    /// out.
    async fn load(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read(&[ReadFrom::new(stream.clone(), 0)], None)
            .await?
            .take(stream)
    }

    /// The ids of the streams of `kind` that hold at least one event, in byte order of
    /// the id, starting after `after` (`None`: from the first), at most `limit` of them:
    /// a page. To list them all, ask again after the last id of each full page until a
    /// page comes back shorter than `limit`.
    ///
    /// Ids only ever join the list (streams are never deleted), so paging never skips an
    /// id that existed when the first page was read; one appended meanwhile may or may not
    /// appear.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`]; see the trait docs.
    async fn stream_ids(
        &self,
        kind: StreamKind,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::member::MemberProfile;

    fn member_event() -> DomainEvent {
        DomainEvent::from(MemberEvent::ProfileSet(MemberProfile {
            name: "Ada".into(),
            email: None,
            phone: None,
            payout_recipient: None,
            payout_fingerprint: None,
        }))
    }

    #[test]
    fn the_stored_envelope_keeps_its_json_form() {
        assert_eq!(
            serde_json::to_string(&member_event()).unwrap(),
            r#"{"stream":"member","event":{"event":"profile_set","name":"Ada","email":null,"phone":null,"payout_recipient":null,"payout_fingerprint":null}}"#
        );
    }

    #[test]
    fn events_come_out_of_the_envelope_only_as_their_own_kind() {
        assert!(MemberEvent::try_from(member_event()).is_ok());
        assert_eq!(
            PaymentEvent::try_from(member_event()),
            Err(WrongEventKind {
                expected: StreamKind::Payment,
                found: StreamKind::Member,
            })
        );
    }

    #[test]
    fn a_stream_left_out_of_a_read_is_incomplete_not_empty() {
        let asked = StreamId::new(StreamKind::Group, "g1");
        let never_written = StreamId::new(StreamKind::Group, "g2");
        let mut read = StoreRead::new(false);
        read.answer(never_written.clone(), Vec::new());
        assert_eq!(read.take(&never_written), Ok(Vec::new()));
        assert_eq!(
            read.take(&asked),
            Err(StoreError::Incomplete { stream: asked })
        );
    }
}
