//! Rows to domain values and back: JSON payloads, hashes, ids and statuses.

use ajo_core::ledger::{BalancedEntry, EntryHash, EntryId, JournalEntry};
use ajo_core::ports::{
    DomainEvent, OutboxMessage, OutboxRecord, OutboxStatus, RecordedEvent, StoreError, StreamId,
    StreamKind,
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
