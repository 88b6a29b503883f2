//! Sending what the outbox holds.

use tracing::instrument;

use super::{AjoService, ServiceError};
use crate::ports::{OutboxChannel, OutboxOutcome, OutboxStatus};
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
}

impl AjoService {
    /// Sends up to `limit` pending messages.
    ///
    /// Each message is claimed with a lease before it is sent, so two workers never send
    /// the same message at once. Delivery is **at least once**: if a worker dies after the
    /// provider accepted a message but before recording it, the lease runs out and the
    /// message is sent again. Losing a payment reminder is worse than a rare duplicate,
    /// and the message id travels with it so a duplicate can be recognised.
    ///
    /// # Errors
    /// A store error claiming or recording; send failures are counted, not returned.
    #[instrument(skip_all, fields(limit), err)]
    pub async fn deliver_outbox(&self, limit: usize) -> Result<DeliveryReport, ServiceError> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_outbox(&self.config.worker, now, self.config.outbox_lease, limit)
            .await?;
        let mut report = DeliveryReport::default();
        for record in claimed {
            let result = match &record.message.channel {
                OutboxChannel::Email(email) => self.email.send_email(email).await,
                OutboxChannel::Sms(sms) => self.sms.send_sms(sms).await,
            };
            let outcome = match result {
                Ok(provider_id) => {
                    report.sent += 1;
                    OutboxOutcome::Sent(provider_id)
                }
                Err(error)
                    if error.is_retryable()
                        && record.attempts + 1 < self.config.outbox_max_attempts =>
                {
                    report.retried += 1;
                    let factor = 1i32
                        .checked_shl(record.attempts.min(16))
                        .unwrap_or(i32::MAX);
                    OutboxOutcome::Retry {
                        at: now + self.config.outbox_backoff * factor,
                        reason: error.to_string(),
                    }
                }
                Err(error) => {
                    report.failed += 1;
                    tracing::warn!(message_id = %record.message.id, error = %error, "message failed for good");
                    OutboxOutcome::Failed {
                        reason: error.to_string(),
                    }
                }
            };
            self.store
                .finish_outbox(&record.message.id, outcome, now)
                .await?;
        }
        Ok(report)
    }

    /// Records a verified delivery report (delivered, bounced...) on its message. The
    /// same report twice changes nothing.
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
