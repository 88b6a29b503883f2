use ajo_core::ports::{NotifyError, ProviderMessageId, SmsMessage, SmsSender, is_e164};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use tracing::instrument;

use super::error::{ConfigError, PROVIDER, is_sid_with, read};
use super::wire::{self, From};
use crate::http::{ApiClient, ApiRequest, HttpConfig};

/// Who an SMS comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TwilioSender {
    /// A Twilio number in E.164 (`+15017122661`), or an alphanumeric sender id (`Ajo`) where
    /// the destination country allows one.
    From(String),
    /// A messaging service SID (`MG…`): Twilio picks the number from its pool.
    MessagingService(String),
}

/// How to reach Twilio, who messages come from, and where delivery reports go.
///
/// `Debug` shows the auth token as `[REDACTED]`.
#[derive(Debug, Clone)]
#[must_use]
pub struct TwilioConfig {
    account_sid: String,
    auth_token: SecretString,
    sender: TwilioSender,
    status_callback: Option<String>,
    http: HttpConfig,
}

impl TwilioConfig {
    /// Twilio's API (`https://api.twilio.com`).
    pub const BASE_URL: &'static str = "https://api.twilio.com";

    /// The account SID (`AC…`) and its auth token, and the sender, with the shared HTTP
    /// defaults against [`BASE_URL`](Self::BASE_URL) and no status callback.
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: SecretString,
        sender: TwilioSender,
    ) -> TwilioConfig {
        TwilioConfig {
            account_sid: account_sid.into(),
            auth_token,
            sender,
            status_callback: None,
            http: HttpConfig::new(TwilioConfig::BASE_URL),
        }
    }

    /// The public URL Twilio posts delivery reports to (the host's `/webhooks/twilio`);
    /// each message adds its `ajo_message_id` to the query.
    pub fn status_callback(mut self, url: impl Into<String>) -> TwilioConfig {
        self.status_callback = Some(url.into());
        self
    }

    /// Other HTTP settings: another base URL (a mock server), timeout, retries or breaker.
    pub fn with_http(mut self, http: HttpConfig) -> TwilioConfig {
        self.http = http;
        self
    }
}

/// The [`SmsSender`] port on Twilio's Messages API; see the [module docs](super).
#[derive(Debug)]
pub struct Twilio {
    account_sid: String,
    auth_token: SecretString,
    from: From,
    status_callback: Option<String>,
    client: ApiClient,
}

impl Twilio {
    /// A sender with `config`.
    ///
    /// # Errors
    /// [`ConfigError::InvalidAccountSid`]; [`ConfigError::MissingAuthToken`];
    /// [`ConfigError::InvalidSender`] for a sender that is not an E.164 number, an
    /// alphanumeric sender id or a messaging service SID;
    /// [`ConfigError::InvalidStatusCallback`]; [`ConfigError::Client`] if the HTTP client
    /// could not be set up.
    pub fn new(config: TwilioConfig) -> Result<Twilio, ConfigError> {
        if !is_sid_with("AC", &config.account_sid) {
            return Err(ConfigError::InvalidAccountSid);
        }
        if config.auth_token.expose_secret().trim().is_empty() {
            return Err(ConfigError::MissingAuthToken);
        }
        let from = match config.sender {
            TwilioSender::From(sender) if is_e164(&sender) || is_sender_id(&sender) => {
                From::Sender(sender)
            }
            TwilioSender::MessagingService(sid) if is_sid_with("MG", &sid) => From::Service(sid),
            TwilioSender::From(other) | TwilioSender::MessagingService(other) => {
                return Err(ConfigError::InvalidSender(other));
            }
        };
        if config
            .status_callback
            .as_deref()
            .is_some_and(|url| !is_callback_url(url))
        {
            return Err(ConfigError::InvalidStatusCallback);
        }
        let client = ApiClient::new(PROVIDER, config.http).map_err(ConfigError::Client)?;
        Ok(Twilio {
            account_sid: config.account_sid,
            auth_token: config.auth_token,
            from,
            status_callback: config.status_callback,
            client,
        })
    }

    /// The shared HTTP client (its breaker, its settings).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }
}

#[async_trait]
impl SmsSender for Twilio {
    #[instrument(skip_all, fields(provider = PROVIDER, message_id = %message.message_id), err)]
    async fn send_sms(&self, message: &SmsMessage) -> Result<ProviderMessageId, NotifyError> {
        if !is_e164(&message.to) {
            return Err(NotifyError::InvalidRecipient);
        }
        let fields = wire::message_form(&self.from, self.status_callback.as_deref(), message);
        let request = ApiRequest::post(format!(
            "/2010-04-01/Accounts/{}/Messages.json",
            self.account_sid
        ))
        .idempotent(false)
        .basic(&self.account_sid, &self.auth_token)
        .form(fields.iter().map(|(name, value)| (*name, value.as_str())));
        let response = self.client.send(&request).await?;
        read(&response)
    }
}

/// An alphanumeric sender id: up to 11 ASCII letters, digits or spaces, at least one
/// letter (all digits would be read as a number).
fn is_sender_id(sender: &str) -> bool {
    (1..=11).contains(&sender.len())
        && sender
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && sender.bytes().any(|b| b.is_ascii_alphabetic())
}

/// An absolute `http(s)` URL with a host, no fragment (the query we add would land in
/// it) and nothing that needs escaping.
fn is_callback_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with(['/', '?'])
            && url.len() <= 2048
            && url.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";

    fn config(sender: TwilioSender) -> TwilioConfig {
        TwilioConfig::new(ACCOUNT, SecretString::from("very-secret-token"), sender)
    }

    #[test]
    fn senders_are_numbers_sender_ids_or_services() {
        for good in [
            TwilioSender::From("+15017122661".into()),
            TwilioSender::From("Ajo".into()),
            TwilioSender::From("Ajo Savings".into()),
            TwilioSender::MessagingService("MG0123456789abcdef0123456789abcdef".into()),
        ] {
            assert!(Twilio::new(config(good.clone())).is_ok(), "{good:?}");
        }
        for bad in [
            TwilioSender::From("15017122661".into()),
            TwilioSender::From("Ajo Savings Ltd".into()),
            TwilioSender::From("12345".into()),
            TwilioSender::From(String::new()),
            TwilioSender::MessagingService("Ajo".into()),
            TwilioSender::MessagingService(ACCOUNT.into()),
        ] {
            assert!(
                matches!(
                    Twilio::new(config(bad.clone())),
                    Err(ConfigError::InvalidSender(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn account_token_and_callback_are_checked() {
        let sender = TwilioSender::From("Ajo".into());
        let bad_account = TwilioConfig::new(
            "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            SecretString::from("t"),
            sender.clone(),
        );
        assert_eq!(
            Twilio::new(bad_account).unwrap_err(),
            ConfigError::InvalidAccountSid
        );
        let no_token = TwilioConfig::new(ACCOUNT, SecretString::from(""), sender.clone());
        assert_eq!(
            Twilio::new(no_token).unwrap_err(),
            ConfigError::MissingAuthToken
        );
        for url in [
            "https://ajo.example.com/webhooks/twilio",
            "http://localhost:8080/webhooks/twilio?tenant=1",
        ] {
            assert!(Twilio::new(config(sender.clone()).status_callback(url)).is_ok());
        }
        for url in [
            "ajo.example.com/webhooks/twilio",
            "https://",
            "https:///path",
            "https://ajo.example.com/webhooks/twilio#frag",
            "https://ajo.example.com/web hooks",
            "ftp://ajo.example.com/",
        ] {
            assert_eq!(
                Twilio::new(config(sender.clone()).status_callback(url)).unwrap_err(),
                ConfigError::InvalidStatusCallback,
                "{url}"
            );
        }
    }

    #[test]
    fn the_token_never_prints() {
        let config = config(TwilioSender::From("Ajo".into()));
        assert!(!format!("{config:?}").contains("very-secret"));
        let sender = Twilio::new(config).unwrap();
        assert!(!format!("{sender:?}").contains("very-secret"));
    }
}
