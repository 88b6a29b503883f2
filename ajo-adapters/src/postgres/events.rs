//! [`PgStore`]'s streams: reads keyed by stream, idempotency keys and wake times.

use ajo_core::ports::{
    EventLog, IdempotencyKeys, KeyRecord, ReadFrom, RecordedEvent, StoreError, StoreRead, StreamId,
    StreamKind, WakeSchedule,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::PgStore;
use super::error::{corrupt, store_error};
use super::rows::{decode_event, decode_stream, i64_of};

#[async_trait]
impl EventLog for PgStore {
    #[tracing::instrument(skip_all, fields(streams = streams.len(), idempotency_key), err)]
    async fn read(
        &self,
        streams: &[ReadFrom],
        idempotency_key: Option<&str>,
    ) -> Result<StoreRead, StoreError> {
        // Each stream once, from the lowest version asked: the answer is keyed by stream.
        let mut distinct: Vec<(&StreamId, u64)> = Vec::with_capacity(streams.len());
        for from in streams {
            match distinct.iter_mut().find(|(s, _)| *s == &from.stream) {
                Some((_, after)) => *after = (*after).min(from.after),
                None => distinct.push((&from.stream, from.after)),
            }
        }
        let kinds: Vec<&str> = distinct.iter().map(|(s, _)| s.kind.as_str()).collect();
        let ids: Vec<&str> = distinct.iter().map(|(s, _)| s.id.as_str()).collect();
        let books: Vec<String> = distinct
            .iter()
            .map(|(s, _)| s.book().as_str().to_owned())
            .collect();
        let after = distinct
            .iter()
            .map(|(_, after)| i64_of(*after))
            .collect::<Result<Vec<_>, _>>()?;
        // `ajo_read` (migration 0009): a row with n = 0 when the key is recorded, then the
        // events, by the stream's position in the request (from 1) and version.
        let rows = sqlx::query(
            "SELECT n, version, recorded_at, payload FROM ajo_read($1, $2, $3, $4, $5)",
        )
        .bind(&kinds)
        .bind(&ids)
        .bind(&books)
        .bind(&after)
        .bind(idempotency_key);
        let mut lease = self
            .held
            .lease(&self.pool)
            .await
            .map_err(|e| store_error(&e))?;
        let rows = rows
            .fetch_all(lease.conn())
            .await
            .map_err(|e| store_error(&e))?;
        lease.done();
        // Every stream asked has its list, empty until its rows come: a stream without
        // events is answered empty, never left out.
        let mut events: Vec<Vec<RecordedEvent>> = distinct.iter().map(|_| Vec::new()).collect();
        let mut key_record = None;
        for row in &rows {
            let n: i32 = row.try_get("n").map_err(|e| store_error(&e))?;
            if n == 0 {
                // `ajo_read` (migration 0005) gives the key's record as a JSON object.
                let record: &str = row.try_get("payload").map_err(|e| store_error(&e))?;
                key_record = Some(decode_key_record(idempotency_key, record)?);
                continue;
            }
            let index = usize::try_from(n - 1)
                .map_err(|_| corrupt("a stream's position in the read is out of range"))?;
            let (Some((stream, _)), Some(list)) = (distinct.get(index), events.get_mut(index))
            else {
                return Err(corrupt("a stream's position in the read is out of range"));
            };
            list.push(decode_event(stream, row)?);
        }
        let mut read = StoreRead::with_capacity(distinct.len(), false);
        if let Some(record) = key_record {
            read.set_key_record(record);
        }
        for ((stream, _), list) in distinct.into_iter().zip(events) {
            read.answer(stream.clone(), list);
        }
        Ok(read)
    }

    #[tracing::instrument(skip_all, fields(stream = %stream), err)]
    async fn load(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, recorded_at, payload::text AS payload FROM events \
             WHERE book = $3 AND stream_kind = $1 AND stream_id = $2 ORDER BY version",
        )
        .bind(stream.kind.as_str())
        .bind(&stream.id)
        .bind(stream.book().as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(|row| decode_event(stream, row)).collect()
    }

    #[tracing::instrument(skip_all, fields(stream_kind = %kind, limit), err)]
    async fn stream_ids(
        &self,
        kind: StreamKind,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        // Every stream has its version 1; `COLLATE "C"` orders ids by their bytes, as the
        // port promises and as migration 0007's index holds them.
        let rows = sqlx::query(
            "SELECT stream_id FROM events \
             WHERE stream_kind = $1 AND version = 1 \
               AND ($2::text IS NULL OR stream_id COLLATE \"C\" > $2::text COLLATE \"C\") \
             ORDER BY stream_id COLLATE \"C\" LIMIT $3",
        )
        .bind(kind.as_str())
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter()
            .map(|row| row.try_get("stream_id").map_err(|e| store_error(&e)))
            .collect()
    }
}

#[async_trait]
impl IdempotencyKeys for PgStore {
    #[tracing::instrument(skip_all, fields(idempotency_key = key), err)]
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM idempotency_keys WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| store_error(&e))?;
        Ok(row.is_some())
    }

    #[tracing::instrument(skip_all, fields(idempotency_key = key), err)]
    async fn idempotency_record(&self, key: &str) -> Result<Option<KeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT fingerprint, result::text AS result FROM idempotency_keys WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        row.map(|row| {
            Ok(KeyRecord {
                key: key.to_owned(),
                fingerprint: row.try_get("fingerprint").map_err(|e| store_error(&e))?,
                result: row.try_get("result").map_err(|e| store_error(&e))?,
            })
        })
        .transpose()
    }
}

/// The record `ajo_read` gives for the key asked: `{"fingerprint": .., "result": ..}`,
/// either null for a bare key.
fn decode_key_record(key: Option<&str>, text: &str) -> Result<KeyRecord, StoreError> {
    #[derive(serde::Deserialize)]
    struct Stored {
        fingerprint: Option<String>,
        result: Option<Box<serde_json::value::RawValue>>,
    }
    let key = key.ok_or_else(|| corrupt("a key's record came back for no key asked"))?;
    let stored: Stored = serde_json::from_str(text)
        .map_err(|_| corrupt("a stored idempotency key could not be read"))?;
    Ok(KeyRecord {
        key: key.to_owned(),
        fingerprint: stored.fingerprint,
        result: stored.result.map(|raw| raw.get().to_owned()),
    })
}

#[async_trait]
impl WakeSchedule for PgStore {
    #[tracing::instrument(skip_all, fields(now = %now, limit = limit), err)]
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT stream_kind, stream_id FROM streams WHERE wake_at <= $1 \
             ORDER BY wake_at, stream_kind, stream_id COLLATE \"C\" LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        rows.iter().map(decode_stream).collect()
    }
}
