//! Sending what the outbox holds, and recording what providers later report about it.
//!
//! The delivery guarantee (at least once, and why) is documented where users read it, on
//! [`AjoService::deliver_outbox`].

use chrono::{DateTime, TimeDelta, Utc};
use tracing::instrument;

use super::{AjoService, ServiceError};
use crate::ports::{
    NotifyError, OutboxChannel, OutboxOutcome, OutboxRecord, OutboxStatus, ProviderMessageId,
};
use crate::telemetry;
use crate::webhook::{DeliveryEvent, DeliveryStatus};

/// What one [`AjoService::deliver_outbox`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by the provider.
    pub sent: usize,
    /// Failed, to be retried later.
    pub retried: usize,
    /// Failed for good (too many attempts, or a permanent error).
    pub failed: usize,
    /// The ids of the messages given up on in this run, for the host to alert on.
    pub failed_messages: Vec<String>,
}

impl AjoService {
    /// Sends up to `limit` pending messages that are due, one at a time, each claimed
    /// with a lease just before it is sent.
    ///
    /// # At least once, never at the same time
    ///
    /// Delivery is **at least once**. The claim and the outcome are two writes around the
    /// provider call; while the lease lasts, the message is invisible to every other worker
    /// (PostgreSQL takes rows with `FOR UPDATE SKIP LOCKED`), so two workers never send it
    /// at the same time. It can still go out twice, in these cases only:
    ///
    /// - the outcome cannot be recorded after the provider accepted the message (the worker
    ///   dies, or the store fails): the lease runs out and another worker sends it again;
    /// - the provider took the message but its answer was lost (a timeout or a broken
    ///   connection after the request left): the send is retried later, and neither SendGrid
    ///   nor Twilio has an idempotency key to recognise it;
    /// - one send outlasts [`ServiceConfig::outbox_lease`](super::ServiceConfig::outbox_lease)
    ///   and another worker takes the message meanwhile: keep the lease above the messaging
    ///   adapter's worst case (its timeout times its attempts, plus the `Retry-After` waits
    ///   it honours in place).
    ///
    /// At-most-once would mean marking a message sent before asking the provider, so a crash
    /// or a lost answer would drop it silently. A duplicate payment reminder is a nuisance; a
    /// missing one can cost a member a late penalty, so ajo chooses the duplicate. Each message
    /// carries its id to the provider (SendGrid's `custom_args`, Twilio's status-callback URL),
    /// so a duplicate can be recognised in the provider's logs and its delivery reports still
    /// find the message.
    ///
    /// # Failures
    ///
    /// A retryable failure (rate limit, provider down, timeout) is tried again after
    /// [`outbox_backoff`](super::ServiceConfig::outbox_backoff), doubling with each attempt
    /// (and never sooner than a `Retry-After` the provider asked for). After
    /// [`outbox_max_attempts`](super::ServiceConfig::outbox_max_attempts) attempts, or at once
    /// for a permanent error (an invalid recipient, a rejected message, refused credentials),
    /// the message is marked failed and listed in [`DeliveryReport::failed_messages`].
    ///
    /// # Delivery reports
    ///
    /// [`AjoService::handle_delivery_event`] records a verified SendGrid or Twilio report:
    /// delivered, or undeliverable (bounced, dropped, failed). Those two are final: the first
    /// final report wins and anything later, the same report again or a contrary one arriving
    /// out of order, changes nothing. A report may arrive before the worker has recorded the
    /// send (a fast handset); recording the send afterwards keeps the report.
    ///
    /// Each attempt is counted in [`telemetry::OUTBOX_MESSAGES`]; how many wait, and for
    /// how long, is read by [`tick`](Self::tick) ([`telemetry::OUTBOX_PENDING`]).
    ///
    /// # Errors
    /// [`ServiceError::Store`] claiming or recording; send failures are counted in the
    /// report, not returned.
    #[instrument(skip_all, fields(limit))]
    pub async fn deliver_outbox(&self, limit: usize) -> Result<DeliveryReport, ServiceError> {
        super::logged(async move {
            let mut report = DeliveryReport::default();
            for _ in 0..limit {
                // One message per claim: the lease then covers a single send, however long
                // the batch takes, so a slow batch never lets another worker take a message
                // this one is still about to send.
                let claimed = self
                    .store
                    .claim_outbox(&self.config.worker, self.now(), self.config.outbox_lease, 1)
                    .await?;
                let Some(record) = claimed.into_iter().next() else {
                    break;
                };
                let result = match &record.message.channel {
                    OutboxChannel::Email(email) => self.email.send_email(email).await,
                    OutboxChannel::Sms(sms) => self.sms.send_sms(sms).await,
                    OutboxChannel::Alert(alert) => self
                        .alerts
                        .alert(alert)
                        .await
                        .map(|()| ProviderMessageId(alert.id.clone())),
                };
                let now = self.now();
                let outcome = self.outcome(&record, result, now);
                let counted = match &outcome {
                    OutboxOutcome::Sent(_) => {
                        report.sent += 1;
                        "sent"
                    }
                    OutboxOutcome::Retry { .. } => {
                        report.retried += 1;
                        "retried"
                    }
                    _ => {
                        report.failed += 1;
                        report.failed_messages.push(record.message.id.clone());
                        "failed"
                    }
                };
                let channel = match &record.message.channel {
                    OutboxChannel::Email(_) => "email",
                    OutboxChannel::Sms(_) => "sms",
                    OutboxChannel::Alert(_) => "alert",
                };
                metrics::counter!(
                    telemetry::OUTBOX_MESSAGES,
                    "channel" => channel,
                    "outcome" => counted
                )
                .increment(1);
                self.store
                    .finish_outbox(&record.message.id, outcome, now)
                    .await?;
            }
            Ok(report)
        })
        .await
    }

    fn outcome(
        &self,
        record: &OutboxRecord,
        result: Result<ProviderMessageId, NotifyError>,
        now: DateTime<Utc>,
    ) -> OutboxOutcome {
        let error = match result {
            Ok(provider_id) => return OutboxOutcome::Sent(provider_id),
            Err(error) => error,
        };
        let attempts = record.attempts.saturating_add(1);
        if error.is_retryable() && attempts < self.config.outbox_max_attempts {
            tracing::info!(message_id = %record.message.id, attempts, %error, "send failed; will retry");
            return OutboxOutcome::Retry {
                at: retry_at(now, self.config.outbox_backoff, record.attempts, &error),
                reason: error.to_string(),
            };
        }
        tracing::warn!(message_id = %record.message.id, attempts, %error, "message failed for good");
        OutboxOutcome::Failed {
            reason: error.to_string(),
        }
    }

    /// Records a verified delivery report (delivered, bounced...) on its message, found by
    /// ajo's message id when the report carries it, else by the provider's. Delivered and
    /// undeliverable are final: the first final report wins, and the same report twice, or
    /// a contrary one arriving late, changes nothing.
    ///
    /// # Errors
    /// [`StoreError::UnknownMessage`](crate::ports::StoreError::UnknownMessage) for a
    /// message ajo did not send, or another store error.
    pub async fn handle_delivery_event(&self, event: &DeliveryEvent) -> Result<(), ServiceError> {
        let status = match event.status() {
            DeliveryStatus::Delivered => OutboxStatus::Delivered,
            other => OutboxStatus::Undeliverable {
                reason: other.as_str().to_owned(),
            },
        };
        let id = event.message_id().unwrap_or(event.provider_message_id());
        self.store.report_delivery(id, status).await?;
        Ok(())
    }
}

/// `backoff` doubled for each earlier attempt, and no sooner than a `Retry-After` the
/// provider asked for. Saturates rather than overflowing on a huge configured backoff.
fn retry_at(
    now: DateTime<Utc>,
    backoff: TimeDelta,
    earlier_attempts: u32,
    error: &NotifyError,
) -> DateTime<Utc> {
    let factor = 1i32
        .checked_shl(earlier_attempts.min(16))
        .unwrap_or(i32::MAX);
    let mut delay = backoff.checked_mul(factor).unwrap_or(TimeDelta::MAX);
    if let NotifyError::RateLimited {
        retry_after: Some(asked),
    } = error
    {
        delay = delay.max(TimeDelta::from_std(*asked).unwrap_or(TimeDelta::MAX));
    }
    now.checked_add_signed(delay)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use chrono::TimeZone;

    #[test]
    fn backoff_doubles_honours_retry_after_and_saturates() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let backoff = TimeDelta::seconds(30);
        let down = NotifyError::Unavailable;
        assert_eq!(
            retry_at(now, backoff, 0, &down),
            now + TimeDelta::seconds(30)
        );
        assert_eq!(
            retry_at(now, backoff, 2, &down),
            now + TimeDelta::seconds(120)
        );
        let limited = NotifyError::RateLimited {
            retry_after: Some(Duration::from_secs(600)),
        };
        assert_eq!(
            retry_at(now, backoff, 0, &limited),
            now + TimeDelta::seconds(600)
        );
        assert_eq!(
            retry_at(now, TimeDelta::MAX, 40, &down),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
