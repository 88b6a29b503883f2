//! Twilio: the [`SmsSender`](ajo_core::ports::SmsSender) port over the Messages API
//! (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP basic auth
//! with the account SID and auth token).
//!
//! ```no_run
//! # fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use ajo_adapters::twilio::{Twilio, TwilioConfig, TwilioSender};
//! use secrecy::SecretString;
//!
//! let sms = Twilio::new(
//!     TwilioConfig::new(
//!         std::env::var("TWILIO_ACCOUNT_SID")?,
//!         SecretString::from(std::env::var("TWILIO_AUTH_TOKEN")?),
//!         TwilioSender::From("+15017122661".into()),
//!     )
//!     .status_callback("https://ajo.example.com/webhooks/twilio"),
//! )?;
//! // hand `Arc::new(sms)` to `AjoService::new` as its `SmsSender`
//! # Ok(())
//! # }
//! ```
//!
//! Messages go from a number (E.164), an alphanumeric sender id, or a messaging service
//! (`MessagingServiceSid`). The recipient must be E.164
//! ([`is_e164`](ajo_core::ports::is_e164)); anything else is
//! `NotifyError::InvalidRecipient` without a request. With a status-callback URL
//! configured, each message asks Twilio to report to that URL with ajo's message id
//! added as the query parameter `ajo_message_id` (after `&` when the URL already has a
//! query), which [`TwilioVerifier`](ajo_core::webhook::TwilioVerifier) reads back. The id
//! returned is the message SID (`SM…`).
//!
//! # Errors and retries
//!
//! | Twilio answers | [`NotifyError`](ajo_core::ports::NotifyError) |
//! | --- | --- |
//! | `201` with the message resource | (sent) |
//! | code `21211` (invalid `To`), `21614` (not a mobile number), `21401` (invalid number) | `InvalidRecipient` |
//! | any other code on a `4xx`, e.g. `21610` (recipient unsubscribed), `21408` (region not enabled) | `Rejected { code }` |
//! | `401`, `403` (`20003`) | `Unauthorized` |
//! | `429` (`20429`) | `RateLimited { retry_after }` |
//! | `5xx` | `Unavailable` |
//! | anything else, a `201` without a SID, a `4xx` without a code | `Unexpected` |
//!
//! The Messages API has no idempotency key, so a POST whose answer was lost may already
//! have queued the SMS: the call is not idempotent, and the [shared client](crate::http)
//! retries it only when it surely was not carried out (no connection, or a `429`).

mod client;
mod error;
mod wire;

pub use client::{Twilio, TwilioConfig, TwilioSender};
pub use error::ConfigError;
