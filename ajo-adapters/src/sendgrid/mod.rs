//! SendGrid: the [`EmailSender`](ajo_core::ports::EmailSender) port over Mail Send
//! (`POST /v3/mail/send`, JSON, `Authorization: Bearer <API key>`).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use ajo_adapters::sendgrid::{SendGrid, SendGridConfig};
//! use secrecy::SecretString;
//!
//! let key = SecretString::from(std::env::var("SENDGRID_API_KEY")?);
//! let email = SendGrid::new(
//!     SendGridConfig::new(key, "no-reply@ajo.example.com").from_name("Ajo"),
//! )?;
//! // hand `Arc::new(email)` to `AjoService::new` as its `EmailSender`
//! # Ok(())
//! # }
//! ```
//!
//! Each email goes out with a plain-text part, and an HTML part when the message has one,
//! from the configured address and name. ajo's message id travels as the custom argument
//! `ajo_message_id`, which SendGrid copies into every event of its Event Webhook, so
//! [`SendGridVerifier`](ajo_core::webhook::SendGridVerifier) can name the message a
//! delivery report is about. The id returned is SendGrid's `X-Message-Id` (up to any `.`,
//! the form in which the Event Webhook's `sg_message_id` is matched).
//!
//! # Errors and retries
//!
//! | SendGrid answers | [`NotifyError`](ajo_core::ports::NotifyError) |
//! | --- | --- |
//! | `202` with `X-Message-Id` | (sent) |
//! | `400` naming a recipient field (`personalizations.0.to.0.email`) | `InvalidRecipient` |
//! | `400` naming another field, `413` | `Rejected { code }`: the field, or `payload_too_large` |
//! | `401`, `403` | `Unauthorized` |
//! | `429` | `RateLimited { retry_after }` |
//! | `5xx` | `Unavailable` |
//! | anything else, a `202` without an id, an unreadable `400` | `Unexpected` |
//!
//! Mail Send has no idempotency key, so a POST whose answer was lost may already have
//! sent the email: the call is not idempotent, and the [shared client](crate::http)
//! retries it only when it surely was not carried out (no connection, or a `429`). A
//! timeout is returned as `Timeout`, and the outbox sends again later: delivery is at
//! least once (see `AjoService::deliver_outbox`).

mod client;
mod error;
mod wire;

pub use client::{SendGrid, SendGridConfig};
pub use error::ConfigError;
