//! Rows to domain values and back: JSON payloads, hashes, ids and statuses.

use ajo_core::ledger::{BalancedEntry, EntryHash, EntryId, JournalEntry, Side};
use ajo_core::ports::{
    AppendRequest, DomainEvent, OutboxMessage, OutboxRecord, OutboxStatus, RecordedEvent,
    StoreError, StreamId, StreamKind,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
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

pub(crate) fn decode_event(stream: &StreamId, row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let event: DomainEvent = from_json(get(row, "payload")?, "event")?;
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
    Ok(JournalEntry::from_stored(
        EntryId(u64_of(get(row, "id")?)?),
        get(row, "posted_at")?,
        entry,
        hash_bytes(&prev)?,
        hash_bytes(&hash)?,
    ))
}

pub(crate) fn decode_outbox(row: &PgRow) -> Result<OutboxRecord, StoreError> {
    let message: OutboxMessage = from_json(get(row, "payload")?, "outbox message")?;
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

/// An append as the arguments of the `ajo_append` function (migration 0002): its
/// streams, entries and outbox messages as JSON arrays.
pub(crate) struct AppendArgs {
    pub(crate) streams: Value,
    pub(crate) entries: Value,
    pub(crate) outbox: Value,
}

/// Encodes an append for `ajo_append`. Each entry carries the bytes its hash covers after
/// the previous hash and its id, so the server chains it where the id is decided.
pub(crate) fn append_args(request: &AppendRequest) -> Result<AppendArgs, StoreError> {
    let streams = request
        .streams
        .iter()
        .map(|append| {
            let events = append
                .events
                .iter()
                .map(json_of)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(json!({
                "kind": append.stream.kind.as_str(),
                "id": append.stream.id,
                "expected": i64_of(append.expected_version)?,
                "events": events,
                "wake_at": append.wake_at,
            }))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let entries = request
        .entries
        .iter()
        .map(|entry| entry_arg(entry, request.at))
        .collect::<Result<Vec<_>, _>>()?;
    let pending = json_of(&OutboxStatus::Pending)?;
    let outbox = request
        .outbox
        .iter()
        .map(|message| {
            Ok(json!({
                "id": message.id,
                "payload": json_of(message)?,
                "status_detail": pending,
            }))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(AppendArgs {
        streams: Value::Array(streams),
        entries: Value::Array(entries),
        outbox: Value::Array(outbox),
    })
}

fn entry_arg(entry: &BalancedEntry, at: DateTime<Utc>) -> Result<Value, StoreError> {
    let postings = entry
        .postings()
        .iter()
        .map(|posting| {
            let account = &posting.account;
            Ok(json!({
                "account": json_of(account)?,
                "owner": account.owner(),
                "kind": account.kind().to_string(),
                "currency": account.currency().code(),
                "minor_units": account.currency().minor_units(),
                "side": match posting.side {
                    Side::Debit => "debit",
                    Side::Credit => "credit",
                },
                "amount": posting.amount.amount().to_string(),
                "amount_minor": posting.amount.minor().to_string(),
            }))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let reverses = entry.reverses().map(|r| i64_of(r.0)).transpose()?;
    Ok(json!({
        "key": entry.key(),
        "memo": entry.memo(),
        "reference": entry.reference(),
        "reverses": reverses,
        "content": json_of(entry)?,
        "body": hex::encode(JournalEntry::chain_body(at, entry)),
        "postings": postings,
    }))
}
