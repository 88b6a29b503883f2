//! Rows to domain values and back: JSON payloads, hashes, ids and statuses.

use ajo_core::ledger::{
    BalancedEntry, Book, BookHead, Checkpoint, EntryHash, EntryId, JournalEntry, Side,
};
use ajo_core::ports::{
    AppendRequest, DomainEvent, OutboxMessage, OutboxRecord, OutboxStatus, RecordedEvent,
    StoreError, StreamId, StreamKind,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::error::{corrupt, store_error};

pub(crate) fn json_of<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|_| corrupt("a value could not be written as JSON"))
}

pub(crate) fn i64_of(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| corrupt("a number is beyond the database's BIGINT"))
}

fn u64_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt("a stored number is negative"))
}

pub(crate) fn hash_bytes(bytes: &[u8]) -> Result<EntryHash, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(EntryHash)
        .map_err(|_| corrupt("a stored hash is not 32 bytes"))
}

fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column).map_err(|e| store_error(&e))
}

fn from_json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|_| corrupt(format!("a stored {what} could not be read")))
}

/// Reads JSON text (event and outbox payloads are `json` columns, selected as text).
fn from_json_text<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(format!("a stored {what} could not be read")))
}

pub(crate) fn decode_event(stream: &StreamId, row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let event: DomainEvent = from_json_text(get::<&str>(row, "payload")?, "event")?;
    Ok(RecordedEvent {
        stream: stream.clone(),
        version: u64_of(get(row, "version")?)?,
        recorded_at: get(row, "recorded_at")?,
        event,
    })
}

pub(crate) fn decode_stream(row: &PgRow) -> Result<StreamId, StoreError> {
    let kind: String = get(row, "stream_kind")?;
    let kind: StreamKind = from_json(serde_json::Value::String(kind), "stream kind")?;
    Ok(StreamId::new(kind, get::<String>(row, "stream_id")?))
}

pub(crate) fn decode_entry(row: &PgRow) -> Result<JournalEntry, StoreError> {
    let entry: BalancedEntry = from_json(get(row, "content")?, "ledger entry")?;
    let prev: Vec<u8> = get(row, "prev_hash")?;
    let hash: Vec<u8> = get(row, "hash")?;
    let posted_at: DateTime<Utc> = get(row, "posted_at")?;
    let book: String = get(row, "book")?;
    Ok(JournalEntry::from_stored(
        EntryId(u64_of(get(row, "id")?)?),
        posted_at.into(),
        entry,
        hash_bytes(&prev)?,
        hash_bytes(&hash)?,
    )
    .in_book(Book::new(book), u64_of(get(row, "seq")?)?))
}

pub(crate) fn decode_checkpoint(row: &PgRow) -> Result<Checkpoint, StoreError> {
    let heads: Vec<BookHead> = from_json(get(row, "heads")?, "checkpoint")?;
    let taken_at: DateTime<Utc> = get(row, "taken_at")?;
    Ok(Checkpoint::from_stored(
        u64_of(get(row, "number")?)?,
        taken_at.into(),
        heads,
        hash_bytes(&get::<Vec<u8>>(row, "prev_hash")?)?,
        hash_bytes(&get::<Vec<u8>>(row, "root")?)?,
        hash_bytes(&get::<Vec<u8>>(row, "hash")?)?,
    ))
}

pub(crate) fn decode_outbox(row: &PgRow) -> Result<OutboxRecord, StoreError> {
    let message: OutboxMessage = from_json_text(get::<&str>(row, "payload")?, "outbox message")?;
    let status: OutboxStatus = from_json(get(row, "status_detail")?, "outbox status")?;
    let attempts: i32 = get(row, "attempts")?;
    let next_attempt_at: DateTime<Utc> = get(row, "next_attempt_at")?;
    Ok(OutboxRecord {
        message,
        status,
        attempts: u32::try_from(attempts).map_err(|_| corrupt("negative attempts"))?,
        next_attempt_at,
    })
}

/// The status column's word, which the claim and report queries filter on.
pub(crate) fn status_name(status: &OutboxStatus) -> &'static str {
    match status {
        OutboxStatus::Pending => "pending",
        OutboxStatus::Sent { .. } => "sent",
        OutboxStatus::Delivered => "delivered",
        OutboxStatus::Undeliverable { .. } => "undeliverable",
        OutboxStatus::Failed { .. } => "failed",
        _ => "other",
    }
}

/// An append as the arguments of the `ajo_append` function (migration 0009): each part
/// as parallel arrays, one item per stream, event, outbox message, entry and posting.
/// Events name their stream, and postings their entry, by position from 1.
#[derive(Default)]
pub(crate) struct AppendArgs {
    pub(crate) stream_kind: Vec<&'static str>,
    pub(crate) stream_id: Vec<String>,
    pub(crate) stream_book: Vec<String>,
    pub(crate) stream_expected: Vec<i64>,
    pub(crate) stream_added: Vec<i64>,
    pub(crate) stream_wake: Vec<Option<DateTime<Utc>>>,
    pub(crate) event_stream: Vec<i32>,
    pub(crate) event_version: Vec<i64>,
    pub(crate) event_payload: Vec<String>,
    pub(crate) outbox_id: Vec<String>,
    pub(crate) outbox_payload: Vec<String>,
    pub(crate) entry_book: Vec<String>,
    pub(crate) entry_key: Vec<String>,
    pub(crate) entry_memo: Vec<String>,
    pub(crate) entry_reference: Vec<Option<String>>,
    pub(crate) entry_reverses: Vec<Option<i64>>,
    pub(crate) entry_content: Vec<String>,
    pub(crate) entry_body: Vec<Vec<u8>>,
    pub(crate) posting_entry: Vec<i32>,
    pub(crate) posting_account: Vec<String>,
    pub(crate) posting_owner: Vec<String>,
    pub(crate) posting_kind: Vec<String>,
    pub(crate) posting_currency: Vec<String>,
    pub(crate) posting_minor_units: Vec<i16>,
    pub(crate) posting_side: Vec<&'static str>,
    pub(crate) posting_amount: Vec<String>,
    pub(crate) posting_amount_minor: Vec<String>,
}

fn text_of<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| corrupt("a value could not be written as JSON"))
}

fn position(index: usize) -> Result<i32, StoreError> {
    i32::try_from(index + 1).map_err(|_| corrupt("an append has too many items"))
}

/// Encodes an append for `ajo_append`. Each entry carries its book and the bytes its hash
/// covers after the previous hash and its position, so the server chains it where its
/// position in the book is decided.
pub(crate) fn append_args(request: &AppendRequest) -> Result<AppendArgs, StoreError> {
    let mut args = AppendArgs::default();
    for (index, append) in request.streams.iter().enumerate() {
        let expected = i64_of(append.expected_version)?;
        args.stream_kind.push(append.stream.kind.as_str());
        args.stream_id.push(append.stream.id.clone());
        args.stream_book
            .push(append.stream.book().as_str().to_owned());
        args.stream_expected.push(expected);
        args.stream_added.push(i64_of(append.events.len() as u64)?);
        args.stream_wake.push(append.wake_at);
        for (offset, event) in append.events.iter().enumerate() {
            args.event_stream.push(position(index)?);
            args.event_version
                .push(expected + i64_of(offset as u64 + 1)?);
            args.event_payload.push(text_of(event)?);
        }
    }
    for message in &request.outbox {
        args.outbox_id.push(message.id.clone());
        args.outbox_payload.push(text_of(message)?);
    }
    args.entry_book = request
        .entry_books()
        .into_iter()
        .map(|b| b.as_str().to_owned())
        .collect();
    for (index, entry) in request.entries.iter().enumerate() {
        args.entry_key.push(entry.key().to_owned());
        args.entry_memo.push(entry.memo().to_owned());
        args.entry_reference
            .push(entry.reference().map(str::to_owned));
        args.entry_reverses
            .push(entry.reverses().map(|r| i64_of(r.0)).transpose()?);
        args.entry_content.push(text_of(entry)?);
        args.entry_body
            .push(JournalEntry::chain_body(request.at, entry));
        for posting in entry.postings() {
            let account = &posting.account;
            args.posting_entry.push(position(index)?);
            args.posting_account.push(text_of(account)?);
            args.posting_owner.push(account.owner().to_owned());
            args.posting_kind.push(account.kind().to_string());
            args.posting_currency
                .push(account.currency().code().to_owned());
            args.posting_minor_units
                .push(i16::from(account.currency().minor_units()));
            args.posting_side.push(match posting.side {
                Side::Debit => "debit",
                Side::Credit => "credit",
            });
            args.posting_amount
                .push(posting.amount.amount().to_string());
            args.posting_amount_minor
                .push(posting.amount.minor().to_string());
        }
    }
    Ok(args)
}
