//! The alerts port: telling an operator about money that needs a person.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::notify::NotifyError;
use crate::money::Money;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AlertKind {
    /// A payout failed again and again (see
    /// [`ServiceConfig::payout_alert_after`](crate::service::ServiceConfig)), or a report
    /// about it was held for review: the member is not being paid.
    PayoutFailing,
    /// Money arrived or left that the service could not book to anyone: it is held for
    /// review ([`AjoService::held`](crate::service::AjoService::held)).
    MoneyHeld,
    /// A payer disputed a charge at the gateway (a chargeback).
    DisputeOpened,
    /// A reconciliation found the books and the gateway's statement apart.
    ReconciliationDifference,
    /// A collection nobody paid expired.
    CollectionExpired,
}

impl AlertKind {
    /// The kind's name, as logged and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::PayoutFailing => "payout_failing",
            AlertKind::MoneyHeld => "money_held",
            AlertKind::DisputeOpened => "dispute_opened",
            AlertKind::ReconciliationDifference => "reconciliation_difference",
            AlertKind::CollectionExpired => "collection_expired",
        }
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One alert. Its id is deterministic (the same fact gives the same id), which is how
/// each alert is raised once: it is queued in the outbox with the write that found the
/// fact, and the outbox keeps one message per id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// The alert's id (also its outbox message id).
    pub id: String,
    /// What it is about.
    pub kind: AlertKind,
    /// The collection, payout or period concerned.
    pub subject: String,
    /// The amount concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// A sentence for the operator. Never a secret or a payer's contact details.
    pub message: String,
    /// When the service found it (its clock).
    pub at: DateTime<Utc>,
}

/// Where alerts go: a pager, a chat channel, an operations queue. ajo delivers each alert
/// through the outbox (at least once, retried like a message), so an implementation
/// should treat [`Alert::id`] as the key of the alert and drop one it has seen.
///
/// # Contract for implementers
/// One alert per call. Errors say whether a retry is safe, as for messages
/// ([`NotifyError::is_retryable`]); no secret appears in an error or a log line.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Alerts: Send + Sync + fmt::Debug + 'static {
    /// Raises one alert.
    ///
    /// # Errors
    /// A [`NotifyError`]: retryable ones are tried again later.
    async fn alert(&self, alert: &Alert) -> Result<(), NotifyError>;
}

/// Alerts as `WARN` log lines (target `ajo::alert`): the default, so an alert is never
/// lost for want of a pager, and what a host's log pipeline can route.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogAlerts;

#[async_trait]
impl Alerts for LogAlerts {
    async fn alert(&self, alert: &Alert) -> Result<(), NotifyError> {
        tracing::warn!(
            target: "ajo::alert",
            alert_id = %alert.id,
            kind = alert.kind.as_str(),
            subject = %alert.subject,
            amount = alert.amount.map(|a| a.to_string()),
            "{}",
            alert.message
        );
        Ok(())
    }
}
