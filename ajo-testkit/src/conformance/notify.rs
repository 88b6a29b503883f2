//! The [`EmailSender`] and [`SmsSender`] contract, for the fakes and for messaging
//! adapters run against a mock of their provider.
//!
//! The caller sets the provider (or its mock) up to accept the messages in the fixtures,
//! and to refuse the invalid email address, then calls [`run_email`] or [`run_sms`].
//! Numbers that are not E.164 are derived from the good one; the contract says they are
//! refused before any request, which an adapter's own test confirms by counting the
//! requests its mock received.
//!
//! ```
//! # tokio_test_block(async {
//! use ajo_core::ports::{EmailMessage, SmsMessage};
//! use ajo_testkit::conformance::notify::{self, EmailFixtures, SmsFixtures};
//! use ajo_testkit::fakes::{FakeEmail, FakeSms};
//!
//! let email = EmailMessage {
//!     message_id: "n-1:email".into(),
//!     to: "ada@example.com".into(),
//!     subject: "Your contribution is due".into(),
//!     text: "Hello Ada".into(),
//!     html: Some("<p>Hello Ada</p>".into()),
//! };
//! let fixtures = EmailFixtures::new(email, "not-an-address");
//! notify::run_email(&FakeEmail::new(), &fixtures).await;
//!
//! let sms = SmsMessage {
//!     message_id: "n-1:sms".into(),
//!     to: "+2348012345678".into(),
//!     body: "Hello Ada".into(),
//! };
//! notify::run_sms(&FakeSms::new(), &SmsFixtures::new(sms)).await;
//! # });
//! # fn tokio_test_block<F: std::future::Future>(f: F) { tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f); }
//! ```

use ajo_core::ports::{EmailMessage, EmailSender, NotifyError, SmsMessage, SmsSender};

/// What an email provider (or its mock) is set up to answer.
#[derive(Debug, Clone)]
pub struct EmailFixtures {
    /// An email the provider accepts.
    pub accepted: EmailMessage,
    /// The same email to an address the provider refuses (or the adapter refuses before
    /// asking).
    pub invalid_recipient: EmailMessage,
    /// Secrets the sender holds (API keys): none may appear in its `Debug`.
    pub secrets: Vec<String>,
}

impl EmailFixtures {
    /// `accepted`, and the same message to `invalid_address`; no secrets.
    pub fn new(accepted: EmailMessage, invalid_address: &str) -> EmailFixtures {
        let mut invalid_recipient = accepted.clone();
        invalid_recipient.to = invalid_address.to_owned();
        EmailFixtures {
            accepted,
            invalid_recipient,
            secrets: Vec::new(),
        }
    }

    /// The same, with secrets to look for in `Debug`.
    #[must_use]
    pub fn with_secrets(mut self, secrets: &[&str]) -> EmailFixtures {
        self.secrets = secrets.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

/// What an SMS provider (or its mock) is set up to answer.
#[derive(Debug, Clone)]
pub struct SmsFixtures {
    /// An SMS the provider accepts, to an E.164 number.
    pub accepted: SmsMessage,
    /// Secrets the sender holds (auth tokens): none may appear in its `Debug`.
    pub secrets: Vec<String>,
}

impl SmsFixtures {
    /// `accepted`; no secrets.
    pub fn new(accepted: SmsMessage) -> SmsFixtures {
        SmsFixtures {
            accepted,
            secrets: Vec::new(),
        }
    }

    /// The same, with secrets to look for in `Debug`.
    #[must_use]
    pub fn with_secrets(mut self, secrets: &[&str]) -> SmsFixtures {
        self.secrets = secrets.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Numbers that are not E.164, made from the accepted one: no `+`, spaces, a leading
    /// `0`, too short, too long, a letter.
    pub fn not_e164(&self) -> Vec<String> {
        let number = &self.accepted.to;
        let digits = number.trim_start_matches('+');
        let (head, tail) = digits.split_at(digits.len().min(3));
        vec![
            digits.to_owned(),
            format!("+{head} {tail}"),
            format!("+0{}", digits.get(1..).unwrap_or_default()),
            format!("+{}", digits.get(..7).unwrap_or(digits)),
            format!(
                "+{digits}{}",
                "1".repeat(16usize.saturating_sub(digits.len()))
            ),
            format!("+{}x", digits.get(1..).unwrap_or_default()),
            String::new(),
        ]
    }
}

fn assert_no_secret(debug: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !debug.contains(secret.as_str()),
            "a secret appears in the sender's Debug: {debug}"
        );
    }
}

/// Runs every email check.
pub async fn run_email(sender: &dyn EmailSender, fixtures: &EmailFixtures) {
    let id = sender
        .send_email(&fixtures.accepted)
        .await
        .expect("sending an email the provider accepts");
    assert!(!id.0.is_empty(), "an accepted email has the provider's id");

    match sender.send_email(&fixtures.invalid_recipient).await {
        Err(error @ NotifyError::InvalidRecipient) => {
            assert!(
                !error.is_retryable(),
                "an invalid recipient is not retryable"
            )
        }
        other => panic!("a refused address must be InvalidRecipient, got {other:?}"),
    }

    assert_no_secret(&format!("{sender:?}"), &fixtures.secrets);
}

/// Runs every SMS check.
pub async fn run_sms(sender: &dyn SmsSender, fixtures: &SmsFixtures) {
    let id = sender
        .send_sms(&fixtures.accepted)
        .await
        .expect("sending an SMS the provider accepts");
    assert!(!id.0.is_empty(), "an accepted SMS has the provider's id");

    for number in fixtures.not_e164() {
        let mut message = fixtures.accepted.clone();
        message.to = number.clone();
        match sender.send_sms(&message).await {
            Err(error @ NotifyError::InvalidRecipient) => {
                assert!(!error.is_retryable(), "an invalid number is not retryable")
            }
            other => panic!("{number:?} is not E.164 and must be InvalidRecipient, got {other:?}"),
        }
    }

    assert_no_secret(&format!("{sender:?}"), &fixtures.secrets);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ajo_core::ports::is_e164;

    #[test]
    fn the_derived_numbers_are_not_e164() {
        let fixtures = SmsFixtures::new(SmsMessage {
            message_id: "m".into(),
            to: "+2348012345678".into(),
            body: "b".into(),
        });
        let bad = fixtures.not_e164();
        assert_eq!(bad.len(), 7);
        for number in bad {
            assert!(!is_e164(&number), "{number}");
        }
    }
}
