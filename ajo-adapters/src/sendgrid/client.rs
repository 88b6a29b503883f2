use ajo_core::ports::{EmailMessage, EmailSender, NotifyError, ProviderMessageId};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use tracing::instrument;

use super::error::{ConfigError, PROVIDER, read};
use super::wire::{self, From};
use crate::http::{ApiClient, ApiRequest, HttpConfig};

/// How to reach SendGrid and who the email comes from.
///
/// `Debug` shows the API key as `[REDACTED]`.
#[derive(Debug, Clone)]
#[must_use]
pub struct SendGridConfig {
    api_key: SecretString,
    from: From,
    http: HttpConfig,
}

impl SendGridConfig {
    /// SendGrid's API (`https://api.sendgrid.com`).
    pub const BASE_URL: &'static str = "https://api.sendgrid.com";
    /// SendGrid's EU data-residency API, for EU-pinned subusers.
    pub const EU_BASE_URL: &'static str = "https://api.eu.sendgrid.com";

    /// An API key (with the "Mail Send" permission) and the from address, with the shared
    /// HTTP defaults against [`BASE_URL`](Self::BASE_URL).
    pub fn new(api_key: SecretString, from_email: impl Into<String>) -> SendGridConfig {
        SendGridConfig {
            api_key,
            from: From {
                email: from_email.into(),
                name: None,
            },
            http: HttpConfig::new(SendGridConfig::BASE_URL),
        }
    }

    /// The name shown beside the from address (`Ajo <no-reply@…>`).
    pub fn from_name(mut self, name: impl Into<String>) -> SendGridConfig {
        self.from.name = Some(name.into());
        self
    }

    /// Other HTTP settings: another base URL (the EU API, a mock server), timeout,
    /// retries or breaker.
    pub fn with_http(mut self, http: HttpConfig) -> SendGridConfig {
        self.http = http;
        self
    }
}

/// The [`EmailSender`] port on SendGrid's Mail Send API; see the [module docs](super).
#[derive(Debug)]
pub struct SendGrid {
    api_key: SecretString,
    from: From,
    client: ApiClient,
}

impl SendGrid {
    /// A sender with `config`.
    ///
    /// # Errors
    /// [`ConfigError::MissingApiKey`] for an empty key; [`ConfigError::InvalidFrom`] for a
    /// from address that is not `local@domain`; [`ConfigError::Client`] if the HTTP client
    /// could not be set up.
    pub fn new(config: SendGridConfig) -> Result<SendGrid, ConfigError> {
        if config.api_key.expose_secret().trim().is_empty() {
            return Err(ConfigError::MissingApiKey);
        }
        if !plausible_address(&config.from.email) {
            return Err(ConfigError::InvalidFrom(config.from.email));
        }
        let client = ApiClient::new(PROVIDER, config.http).map_err(ConfigError::Client)?;
        Ok(SendGrid {
            api_key: config.api_key,
            from: config.from,
            client,
        })
    }

    /// The shared HTTP client (its breaker, its settings).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }
}

#[async_trait]
impl EmailSender for SendGrid {
    #[instrument(skip_all, fields(provider = PROVIDER, message_id = %message.message_id), err)]
    async fn send_email(&self, message: &EmailMessage) -> Result<ProviderMessageId, NotifyError> {
        // An address that cannot be one is refused here, so it costs no request and no
        // rate-limit budget; SendGrid judges the rest.
        if !plausible_address(&message.to) {
            return Err(NotifyError::InvalidRecipient);
        }
        let request = ApiRequest::post("/v3/mail/send")
            .idempotent(false)
            .bearer(&self.api_key)
            .json(&wire::mail_send(&self.from, message));
        let response = self.client.send(&request).await?;
        read(&response)
    }
}

/// One `@` with text on both sides, a dot in the domain, no spaces or control characters.
/// Deliberately loose: the provider is the judge, this only stops what can never work.
fn plausible_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && address
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_can_never_work_are_caught() {
        for good in ["ada@example.com", "a.b+ajo@mail.example.ng", "ọ@例え.jp"] {
            assert!(plausible_address(good), "{good}");
        }
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@localhost",
            "ada@example.com.",
            "ada@@example.com",
            "ada @example.com",
            "ada@example.com\r\nBcc: x@y.z",
        ] {
            assert!(!plausible_address(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_key_never_prints() {
        let config = SendGridConfig::new(
            SecretString::from("SG.very-secret-key"),
            "no-reply@ajo.example.com",
        );
        assert!(!format!("{config:?}").contains("very-secret"));
        let sender = SendGrid::new(config).unwrap();
        assert!(!format!("{sender:?}").contains("very-secret"));
    }

    #[test]
    fn a_bad_configuration_is_refused() {
        let from = "no-reply@ajo.example.com";
        assert_eq!(
            SendGrid::new(SendGridConfig::new(SecretString::from(" "), from)).unwrap_err(),
            ConfigError::MissingApiKey
        );
        assert_eq!(
            SendGrid::new(SendGridConfig::new(SecretString::from("SG.k"), "ajo")).unwrap_err(),
            ConfigError::InvalidFrom("ajo".into())
        );
    }
}
