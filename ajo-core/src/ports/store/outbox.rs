//! The outbox: messages written with the events that cause them, then delivered.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use crate::ports::{EmailMessage, ProviderMessageId, SmsMessage};

/// A message to send, written with the events that cause it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// A deterministic id: the same notice for the same cause has the same id, so a retry
    /// or a second scheduler adds nothing.
    pub id: String,
    /// What and how to send.
    pub channel: OutboxChannel,
}

/// An outbox message's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutboxChannel {
    /// By email.
    Email(EmailMessage),
    /// By SMS.
    Sms(SmsMessage),
    /// To the operator, through the [`Alerts`](crate::ports::Alerts) port.
    Alert(crate::ports::Alert),
}

/// Where an outbox message stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutboxStatus {
    /// Waiting to be sent (or to be retried).
    Pending,
    /// Accepted by the provider.
    Sent {
        /// The provider's id.
        provider_id: ProviderMessageId,
    },
    /// Reported delivered by the provider.
    Delivered,
    /// Bounced, dropped or undelivered, as reported.
    Undeliverable {
        /// The provider's word for it.
        reason: String,
    },
    /// Given up after too many attempts.
    Failed {
        /// The last error.
        reason: String,
    },
}

/// An outbox message with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    /// The message.
    pub message: OutboxMessage,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Send attempts so far.
    pub attempts: u32,
    /// Not to be tried before this time.
    pub next_attempt_at: DateTime<Utc>,
}

/// How much waits in the outbox, for the outbox metrics
/// ([`telemetry::OUTBOX_PENDING`](crate::telemetry::OUTBOX_PENDING)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// Messages still [`Pending`](OutboxStatus::Pending), due or waiting for a retry,
    /// claimed or not.
    pub pending: u64,
    /// Of those, the ones due by the time asked about.
    pub due: u64,
    /// When the longest-waiting due message fell due (`None` when none is due).
    pub oldest_due_at: Option<DateTime<Utc>>,
}

/// The outcome of one send attempt, for [`Outbox::finish_outbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutboxOutcome {
    /// Accepted by the provider.
    Sent(ProviderMessageId),
    /// Failed; try again at this time.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// The error.
        reason: String,
    },
    /// Failed for good.
    Failed {
        /// The error.
        reason: String,
    },
}

/// Delivering the messages appended with events: leases for workers, outcomes and the
/// providers' delivery reports.
///
/// Messages are added only by [`Store::append`](super::Store::append), as
/// [`Pending`](OutboxStatus::Pending) and due at the append's time; one whose id is
/// already present is skipped there.
///
/// # Contract for implementers
///
/// - A claimed message goes to one worker at a time: no other claim returns it until its
///   lease runs out or its outcome is recorded.
/// - [`Delivered`](OutboxStatus::Delivered) and
///   [`Undeliverable`](OutboxStatus::Undeliverable) are final: no later outcome or report
///   overwrites them (the provider's id is still recorded, so later reports find the
///   message).
/// - Not found: a message id (or provider id) the store never saw is
///   [`StoreError::UnknownMessage`] for [`finish_outbox`](Self::finish_outbox) and
///   [`report_delivery`](Self::report_delivery), and `None` for
///   [`outbox_message`](Self::outbox_message).
/// - Repeating a report changes nothing; repeating an outcome counts one more attempt.
/// - A backing service that fails is [`StoreError::Unavailable`].
#[async_trait]
pub trait Outbox: Send + Sync + fmt::Debug + 'static {
    /// Claims up to `limit` pending messages due by `now` for `worker`, for `lease`: no
    /// other worker gets them until the lease runs out. A lease that would end past the
    /// last instant chrono holds ends there
    /// ([`Timestamp::saturating_add_std`](crate::time::Timestamp::saturating_add_std));
    /// the claim never fails or panics for the sum.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError>;

    /// Records a claimed message's outcome: sent (with the provider's id), to retry at
    /// `retry_at`, or failed for good. Releases the claim.
    ///
    /// # Errors
    /// [`StoreError::UnknownMessage`] for an id never appended;
    /// [`StoreError::Unavailable`].
    async fn finish_outbox(
        &self,
        id: &str,
        outcome: OutboxOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records a delivery report for a sent message, found by the provider's id or ours.
    /// Reporting the same status twice changes nothing.
    ///
    /// # Errors
    /// [`StoreError::UnknownMessage`] if neither id is known; [`StoreError::Unavailable`].
    async fn report_delivery(
        &self,
        message_id: &str,
        status: OutboxStatus,
    ) -> Result<(), StoreError>;

    /// An outbox message, by our id (`None` if never appended).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn outbox_message(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError>;

    /// How many messages are pending, how many of them are due by `now`, and when the
    /// longest-waiting due one fell due. `None` (the default) when the store does not
    /// count its outbox; [`tick`](crate::service::AjoService::tick) then records no
    /// outbox gauges.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn outbox_backlog(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<OutboxBacklog>, StoreError> {
        let _ = now;
        Ok(None)
    }
}
