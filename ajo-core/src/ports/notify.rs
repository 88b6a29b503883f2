use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    /// Our id for the message (travels with it so delivery webhooks can find it).
    pub message_id: String,
    /// The recipient's address, as text: outbox messages already stored keep reading
    /// back, and the service fills it from a checked
    /// [`EmailAddress`](crate::ids::EmailAddress).
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// A simple HTML body.
    pub html: Option<String>,
}

/// An SMS ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    /// Our id for the message.
    pub message_id: String,
    /// The recipient's number, E.164 (`+2348012345678`).
    pub to: String,
    /// The text.
    pub body: String,
}

/// The provider's id for a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProviderMessageId(pub String);

/// Sends email (SendGrid and the like).
///
/// # Contract for implementers
/// Send exactly one message per call and return the provider's id for it. An address the
/// provider refuses is [`NotifyError::InvalidRecipient`]; errors say whether a retry is
/// safe; no API key appears in an error or a log line.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EmailSender: Send + Sync + fmt::Debug + 'static {
    /// Sends one email.
    async fn send_email(&self, message: &EmailMessage) -> Result<ProviderMessageId, NotifyError>;
}

/// Sends SMS (Twilio and the like). The same contract as [`EmailSender`]; a number that is
/// not E.164 (see [`is_e164`]) is [`NotifyError::InvalidRecipient`] before any request.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SmsSender: Send + Sync + fmt::Debug + 'static {
    /// Sends one SMS.
    async fn send_sms(&self, message: &SmsMessage) -> Result<ProviderMessageId, NotifyError>;
}

/// Whether `number` is an E.164 phone number as SMS providers take it: `+`, then 8 to 15
/// digits, the first not `0` (country codes never start with 0). No spaces, dashes or
/// brackets: numbers are stored normalised, so anything else is a mistake to report, not
/// to repair.
///
/// ```
/// use ajo_core::ports::is_e164;
///
/// assert!(is_e164("+2348012345678"));
/// assert!(!is_e164("08012345678"));
/// assert!(!is_e164("+234 801 234 5678"));
/// ```
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The address or number is not valid.
    #[error("invalid recipient")]
    InvalidRecipient,
    /// The provider refused the message (its code kept).
    #[error("rejected by the provider ({code})")]
    Rejected {
        /// The provider's code.
        code: String,
    },
    /// The credentials were refused.
    #[error("unauthorised: check the API key")]
    Unauthorized,
    /// Too many requests.
    #[error("rate limited")]
    RateLimited {
        /// How long to wait, if said.
        retry_after: Option<Duration>,
    },
    /// The provider is down.
    #[error("provider unavailable")]
    Unavailable,
    /// No answer in time.
    #[error("timed out")]
    Timeout,
    /// An answer the adapter does not understand.
    #[error("unexpected answer from {provider} (status {status})")]
    Unexpected {
        /// The provider.
        provider: &'static str,
        /// The HTTP status.
        status: u16,
    },
}

impl NotifyError {
    /// Whether sending the same message again later may work: the provider was down,
    /// slow or rate limiting. A refused recipient, message or key will be refused again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            NotifyError::RateLimited { .. } | NotifyError::Unavailable | NotifyError::Timeout
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{NotifyError, is_e164};

    #[test]
    fn only_waiting_or_a_provider_down_is_worth_a_retry() {
        assert!(NotifyError::Timeout.is_retryable());
        assert!(NotifyError::Unavailable.is_retryable());
        assert!(NotifyError::RateLimited { retry_after: None }.is_retryable());
        assert!(!NotifyError::InvalidRecipient.is_retryable());
        assert!(!NotifyError::Unauthorized.is_retryable());
        assert!(!NotifyError::Rejected { code: "x".into() }.is_retryable());
    }

    #[test]
    fn e164_numbers_are_a_plus_and_8_to_15_digits_not_starting_with_0() {
        for good in [
            "+2348012345678",
            "+14155550100",
            "+25471234567",
            "+12345678",
            "+123456789012345",
        ] {
            assert!(is_e164(good), "{good} is E.164");
        }
        for bad in [
            "",
            "+",
            "2348012345678",
            "+1234567",
            "+1234567890123456",
            "+0348012345678",
            "+234 8012345678",
            "+234-801-234-5678",
            "+(234)8012345678",
            "++2348012345678",
            "+234801234567a",
            "+２３４８０１２３４５６７８",
            "+2348012345678\n",
        ] {
            assert!(!is_e164(bad), "{bad:?} is not E.164");
        }
    }
}
