//! Provider-neutral delivery reports: what a messaging provider's verified webhook says
//! became of a message.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Provider;
use super::event::IdempotencyKey;

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Channel {
    /// Email (SendGrid).
    Email,
    /// SMS (Twilio).
    Sms,
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Accepted by the recipient's server or handset.
    Delivered,
    /// Refused by the recipient's server: a hard bounce (`permanent`) or a block.
    Bounced {
        /// Whether the address itself is bad (hard bounce) rather than temporarily blocked.
        permanent: bool,
    },
    /// Never sent, because the provider suppressed it (an address that bounced before, an
    /// unsubscribe).
    Dropped,
    /// The provider could not send it (SMS `failed`).
    Failed,
    /// Sent, but the carrier could not deliver it (SMS `undelivered`).
    Undelivered,
}

impl DeliveryStatus {
    /// A stable snake_case name, as used in idempotency keys.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Bounced { permanent: true } => "bounced",
            DeliveryStatus::Bounced { permanent: false } => "blocked",
            DeliveryStatus::Dropped => "dropped",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Undelivered => "undelivered",
        }
    }
}

/// A messaging provider's delivery report, provider-neutral.
///
/// ajo's own message id travels with the message: as the `ajo_message_id` custom argument
/// on a SendGrid send, and as the `ajo_message_id` query parameter of a Twilio
/// `StatusCallback` URL. When it is absent, match on
/// [`provider_message_id`](Self::provider_message_id), which the send call returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryEvent {
    pub(super) provider: Provider,
    pub(super) channel: Channel,
    pub(super) status: DeliveryStatus,
    pub(super) message_id: Option<String>,
    pub(super) provider_message_id: String,
    pub(super) event_id: Option<String>,
    pub(super) occurred_at: Option<DateTime<Utc>>,
    pub(super) reason: Option<String>,
    pub(super) idempotency_key: IdempotencyKey,
}

impl DeliveryEvent {
    /// The messaging provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Email or SMS.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// What became of the message.
    pub fn status(&self) -> DeliveryStatus {
        self.status
    }

    /// ajo's id for the message, when it travelled with it.
    pub fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// The provider's id for the message: Twilio `MessageSid`; SendGrid's `X-Message-Id`
    /// (the part of `sg_message_id` before the first `.`).
    pub fn provider_message_id(&self) -> &str {
        &self.provider_message_id
    }

    /// The provider's id for this event (SendGrid `sg_event_id`), where it has one.
    pub fn event_id(&self) -> Option<&str> {
        self.event_id.as_deref()
    }

    /// When it happened, where the provider says.
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        self.occurred_at
    }

    /// The provider's reason or error code for a failure, at most [`MAX_REASON_LEN`](super::MAX_REASON_LEN) bytes.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The key to de-duplicate on.
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }
}
