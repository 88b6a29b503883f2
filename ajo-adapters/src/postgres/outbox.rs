//! [`PgStore`]'s outbox: claims, outcomes and delivery reports.

use std::time::Duration;

use ajo_core::ports::{
    Outbox, OutboxBacklog, OutboxOutcome, OutboxRecord, OutboxStatus, StoreError,
};
use ajo_core::time::Timestamp;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::PgStore;
use super::error::store_error;
use super::rows::{decode_outbox, json_of, status_name};

#[async_trait]
impl Outbox for PgStore {
    #[tracing::instrument(skip_all, fields(worker = worker, limit = limit), err)]
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let until = Timestamp::from(now).saturating_add_std(lease).as_datetime();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Book by book, SKIP LOCKED: two workers claiming at once split the messages,
        // never share one (migration 0009).
        let rows = sqlx::query(
            "SELECT book, seq, payload, status_detail, attempts, next_attempt_at \
             FROM ajo_claim_outbox($1, $3, $2, $4)",
        )
        .bind(worker)
        .bind(until)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq").map_err(|e| store_error(&e))?;
            claimed.push((seq, decode_outbox(row)?));
        }
        claimed.sort_by_key(|(seq, _)| *seq);
        Ok(claimed.into_iter().map(|(_, r)| r).collect())
    }

    #[tracing::instrument(skip_all, fields(message_id = id), err)]
    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (status, provider_id, retry_at) = match outcome {
            OutboxOutcome::Sent(provider_id) => {
                let provider = provider_id.0.clone();
                (
                    Some(OutboxStatus::Sent { provider_id }),
                    Some(provider),
                    None,
                )
            }
            OutboxOutcome::Retry { at, .. } => (None, None, Some(at)),
            OutboxOutcome::Failed { reason } => (Some(OutboxStatus::Failed { reason }), None, None),
            _ => (None, None, None),
        };
        let name = status.as_ref().map(status_name);
        let detail = status.as_ref().map(json_of).transpose()?;
        // A delivery report can overtake the send's own outcome; the report is final.
        let done = sqlx::query(
            "UPDATE outbox SET lease_owner = NULL, lease_until = NULL, attempts = attempts + 1, \
               status = CASE WHEN status IN ('delivered', 'undeliverable') THEN status \
                 ELSE COALESCE($2, status) END, \
               status_detail = CASE WHEN status IN ('delivered', 'undeliverable') \
                 THEN status_detail ELSE COALESCE($3, status_detail) END, \
               provider_id = COALESCE($4, provider_id), \
               next_attempt_at = COALESCE($5, next_attempt_at) \
             WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(detail)
        .bind(provider_id)
        .bind(retry_at)
        .execute(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::UnknownMessage(id.to_owned()));
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(message_id = message_id), err)]
    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError> {
        let found = sqlx::query(
            "SELECT id FROM outbox WHERE id = $1 \
             UNION ALL (SELECT id FROM outbox WHERE provider_id = $1 ORDER BY seq LIMIT 1) \
             LIMIT 1",
        )
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let Some(row) = found else {
            return Err(StoreError::UnknownMessage(message_id.to_owned()));
        };
        let id: String = row.try_get("id").map_err(|e| store_error(&e))?;
        // A final report is not overwritten by a late, earlier one.
        sqlx::query(
            "UPDATE outbox SET status = $2, status_detail = $3 \
             WHERE id = $1 AND status NOT IN ('delivered', 'undeliverable')",
        )
        .bind(id)
        .bind(status_name(&status))
        .bind(json_of(&status)?)
        .execute(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(message_id = id), err)]
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT payload::text AS payload, status_detail, attempts, next_attempt_at FROM outbox \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        row.as_ref().map(decode_outbox).transpose()
    }

    #[tracing::instrument(skip_all, err)]
    async fn outbox_backlog(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<OutboxBacklog>, StoreError> {
        // Only pending rows, which the partial index `outbox_due` holds.
        let row = sqlx::query(
            "SELECT count(*) AS pending, \
                    count(*) FILTER (WHERE next_attempt_at <= $1) AS due, \
                    min(next_attempt_at) FILTER (WHERE next_attempt_at <= $1) AS oldest \
             FROM outbox WHERE status = 'pending'",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| store_error(&e))?;
        let count = |name: &str| -> Result<u64, StoreError> {
            let n: i64 = row.try_get(name).map_err(|e| store_error(&e))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(Some(OutboxBacklog {
            pending: count("pending")?,
            due: count("due")?,
            oldest_due_at: row.try_get("oldest").map_err(|e| store_error(&e))?,
        }))
    }
}
