//! The server's settings, read from the environment once at start.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use ajo_core::webhook::{DEFAULT_MAX_BODY_LEN, Provider, WebhookRegistry};
use secrecy::SecretString;
use thiserror::Error;

use super::env::{Env, need, number};
use super::providers::{GATEWAY_PROVIDERS, Webhook};
use super::vars;

/// Where the server listens when `AJO_ADDR` is not set: loopback only, so nothing is
/// exposed until the operator asks for it.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// How long one webhook may take to handle before the server answers `503` (the provider
/// retries, and the retry is a duplicate at worst).
pub const DEFAULT_HANDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may take to send a request's head (request line and headers),
/// counted from when it opens or its previous response: a client that trickles a header
/// byte by byte (slow loris), or sits idle, is cut off after this.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request's body may take to arrive in full, counted from its head: a body
/// sent a byte at a time is answered `408` and the connection closed after this.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many connections are served at once. Providers send a few requests at a time; the
/// bound keeps a flood of idle sockets from taking every file descriptor. Further clients
/// wait in the listener's backlog until a connection closes.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// The longest header or body timeout accepted: an hour, well past any provider's own
/// request timeout.
const MAX_TIMEOUT_MS: u64 = 3_600_000;

/// The most connections accepted: past this the process's open-file limit is the bound.
const MAX_CONNECTIONS: u64 = 65_536;

/// Why the configuration cannot be used. Messages name variables, never their values.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A variable is set but not valid Unicode.
    #[error("{var} is not valid Unicode")]
    NotUnicode {
        /// The variable.
        var: &'static str,
    },
    /// `AJO_ADDR` is not `host:port`.
    #[error("AJO_ADDR is not an IP address and port (like 127.0.0.1:8080)")]
    InvalidAddr,
    /// `AJO_METRICS_ADDR` is not `host:port`.
    #[error("AJO_METRICS_ADDR is not an IP address and port (like 127.0.0.1:9090)")]
    InvalidMetricsAddr,
    /// `TWILIO_AUTH_TOKEN` is set without `AJO_PUBLIC_URL`.
    #[error("TWILIO_AUTH_TOKEN needs AJO_PUBLIC_URL: Twilio signs the public URL it calls")]
    PublicUrlMissing,
    /// `AJO_PUBLIC_URL` is not an `http(s)://` URL without query or fragment.
    #[error("AJO_PUBLIC_URL must be http:// or https:// with no query or fragment")]
    InvalidPublicUrl,
    /// A provider's settings are only partly given: `var` is set, `needs` is not.
    #[error("{var} is set without {needs}")]
    Incomplete {
        /// The variable that is set.
        var: &'static str,
        /// The variable it needs beside it.
        needs: &'static str,
    },
    /// `STRIPE_SECRET_KEY` holds something other than an API key (most often the
    /// `whsec_…` webhook secret).
    #[error(
        "STRIPE_SECRET_KEY is not an API key (sk_… or rk_…); the whsec_… signing secret goes in STRIPE_WEBHOOK_SECRET"
    )]
    NotStripeApiKey,
    /// A `*_BASE_URL` is not an `http(s)://` URL with a host and no credentials, query
    /// or fragment.
    #[error("{var} must be http:// or https:// with a host and no credentials, query or fragment")]
    InvalidBaseUrl {
        /// The variable.
        var: &'static str,
    },
    /// A body limit of zero.
    #[error("the body limit must be above zero")]
    ZeroBodyLimit,
    /// A variable holds a value outside what it accepts (never repeated in the message).
    #[error("{var} must be {expected}")]
    InvalidValue {
        /// The variable.
        var: &'static str,
        /// What it accepts.
        expected: &'static str,
    },
    /// A provider's secret or key was refused by its verifier.
    #[error(transparent)]
    Verifier(#[from] ajo_core::webhook::WebhookError),
}

/// One webhook route and whether it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The provider it is for.
    pub provider: Provider,
    /// Its path (`/webhooks/paystack`).
    pub path: String,
    /// The variable that enables it.
    pub var: &'static str,
    /// Whether that variable is set; a disabled route answers `404`.
    pub enabled: bool,
}

/// The server's configuration: where to listen, the providers' secrets and API keys, the
/// store.
///
/// Secrets and API keys are [`SecretString`]s: `Debug` shows only which are set.
///
/// # Which adapter the service gets
///
/// The payment gateway is the first provider whose API key is set: Paystack
/// ([`vars::PAYSTACK`], the same key that signs its webhooks), else Flutterwave
/// ([`vars::FLUTTERWAVE_API_KEY`]), else Stripe ([`vars::STRIPE_API_KEY`]), else M-Pesa
/// ([`vars::MPESA_API_KEY`] with its consumer key, shortcode, passkey and callback secret,
/// and [`vars::PUBLIC_URL`]), else MTN MoMo ([`vars::MOMO_API_KEY`] with its API user,
/// target environment, country and callback secret, and the public URL); with none,
/// ajo-testkit's fake, which only simulates collections and payouts. Email goes through SendGrid when
/// [`vars::SENDGRID_API_KEY`] and [`vars::EMAIL_FROM`] are set; SMS through Twilio when
/// [`vars::TWILIO_ACCOUNT_SID`], [`vars::TWILIO`] and [`vars::TWILIO_FROM`] are. A provider
/// whose settings are only partly given is a [`ConfigError::Incomplete`], so a typo never
/// quietly leaves messages to a fake (the Twilio auth token alone is complete: it verifies
/// webhooks for a host that sends SMS elsewhere).
#[derive(Clone)]
pub struct Config {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    public_url: Option<String>,
    /// Every provider's webhook settings, read by the provider's own module.
    webhooks: Vec<Webhook>,
    /// Each payment provider's API key, in [`GATEWAY_PROVIDERS`]' order of preference.
    gateway_api_keys: Vec<(Provider, Option<SecretString>)>,
    /// Each payment provider's other variables that are set (M-Pesa's shortcode, MoMo's
    /// API user...), and its callback secret, by variable.
    gateway_settings: Vec<(Provider, BTreeMap<&'static str, SecretString>)>,
    /// Twilio's auth token, which also signs its webhooks.
    twilio_auth_token: Option<SecretString>,
    database_url: Option<SecretString>,
    pg_schema: Option<String>,
    header_timeout: Duration,
    body_timeout: Duration,
    max_connections: usize,
    sendgrid_api_key: Option<SecretString>,
    email_from: Option<String>,
    email_from_name: Option<String>,
    twilio_account_sid: Option<String>,
    twilio_from: Option<String>,
    /// The `*_BASE_URL` overrides, each checked and without a trailing `/`.
    base_urls: Vec<(Provider, String)>,
    max_body_len: usize,
    handle_timeout: Duration,
}

impl Config {
    /// Reads the process environment (see [`vars`]).
    ///
    /// # Errors
    /// As [`from_lookup`](Self::from_lookup).
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|var| std::env::var_os(var))
    }

    /// Reads the variables through `lookup` (the environment, or a map in tests). A
    /// variable set to an empty string counts as unset.
    ///
    /// # Errors
    /// [`ConfigError::NotUnicode`], [`ConfigError::InvalidAddr`],
    /// [`ConfigError::PublicUrlMissing`] for Twilio without a public URL,
    /// [`ConfigError::InvalidPublicUrl`], [`ConfigError::Incomplete`] for SendGrid or
    /// Twilio settings only partly given (or a `*_PREVIOUS` secret, or
    /// `FLUTTERWAVE_ACCEPT_VERIF_HASH`, without the provider's secret, or `AJO_PG_SCHEMA`
    /// without `DATABASE_URL`),
    /// [`ConfigError::NotStripeApiKey`], [`ConfigError::InvalidBaseUrl`],
    /// [`ConfigError::InvalidValue`] for a timeout, connection limit, replay window or
    /// switch out of range, or a schema name that is not plain.
    pub fn from_lookup<F>(lookup: F) -> Result<Config, ConfigError>
    where
        F: Fn(&str) -> Option<std::ffi::OsString>,
    {
        let env = Env::new(&lookup);
        let get = |var| env.get(var);
        let secret = |var| env.secret(var);
        let addr = get(vars::ADDR)?
            .as_deref()
            .unwrap_or(DEFAULT_ADDR)
            .parse()
            .map_err(|_| ConfigError::InvalidAddr)?;
        let metrics_addr = get(vars::METRICS_ADDR)?
            .map(|a| a.parse().map_err(|_| ConfigError::InvalidMetricsAddr))
            .transpose()?;
        let public_url = get(vars::PUBLIC_URL)?
            .map(|url| public_base(&url))
            .transpose()?;
        let webhooks = Webhook::read_all(&env)?;
        let twilio = secret(vars::TWILIO)?;
        let mut gateway_api_keys = Vec::with_capacity(GATEWAY_PROVIDERS.len());
        let mut base_urls = Vec::new();
        let base_url = |var| get(var)?.map(|url| api_base(var, &url)).transpose();
        let mut gateway_settings = Vec::with_capacity(GATEWAY_PROVIDERS.len());
        for gateway in &GATEWAY_PROVIDERS {
            let key = secret(gateway.api_key_var)?;
            if let Some(key) = &key {
                (gateway.check_key)(key)?;
            }
            let mut settings = BTreeMap::new();
            for &var in gateway.settings.iter().chain(gateway.optional) {
                let value = secret(var)?;
                need(var, value.is_some(), gateway.api_key_var, key.is_some())?;
                if gateway.settings.contains(&var) {
                    need(gateway.api_key_var, key.is_some(), var, value.is_some())?;
                }
                if let Some(value) = value {
                    settings.insert(var, value);
                }
            }
            if let (Some(var), Some(_)) = (gateway.callback_var, &key) {
                // Its adapter builds callback URLs with the secret its route checks.
                let callback = secret(var)?;
                need(gateway.api_key_var, true, var, callback.is_some())?;
                need(
                    gateway.api_key_var,
                    true,
                    vars::PUBLIC_URL,
                    public_url.is_some(),
                )?;
                if let Some(callback) = callback {
                    settings.insert(var, callback);
                }
            }
            gateway_settings.push((gateway.provider, settings));
            gateway_api_keys.push((gateway.provider, key));
            if let Some(url) = base_url(gateway.base_url_var)? {
                base_urls.push((gateway.provider, url));
            }
        }
        let sendgrid_api_key = secret(vars::SENDGRID_API_KEY)?;
        let email_from = get(vars::EMAIL_FROM)?;
        need(
            vars::SENDGRID_API_KEY,
            sendgrid_api_key.is_some(),
            vars::EMAIL_FROM,
            email_from.is_some(),
        )?;
        need(
            vars::EMAIL_FROM,
            email_from.is_some(),
            vars::SENDGRID_API_KEY,
            sendgrid_api_key.is_some(),
        )?;
        let twilio_account_sid = get(vars::TWILIO_ACCOUNT_SID)?;
        let twilio_from = get(vars::TWILIO_FROM)?;
        for (var, set) in [
            (vars::TWILIO_ACCOUNT_SID, twilio_account_sid.is_some()),
            (vars::TWILIO_FROM, twilio_from.is_some()),
        ] {
            need(
                var,
                set,
                vars::TWILIO_ACCOUNT_SID,
                twilio_account_sid.is_some(),
            )?;
            need(var, set, vars::TWILIO, twilio.is_some())?;
            need(var, set, vars::TWILIO_FROM, twilio_from.is_some())?;
        }
        for (provider, var) in [
            (Provider::SendGrid, vars::SENDGRID_BASE_URL),
            (Provider::Twilio, vars::TWILIO_BASE_URL),
        ] {
            if let Some(url) = base_url(var)? {
                base_urls.push((provider, url));
            }
        }
        let database_url = secret(vars::DATABASE_URL)?;
        let pg_schema = get(vars::PG_SCHEMA)?
            .map(|name| schema_name(&name))
            .transpose()?;
        need(
            vars::PG_SCHEMA,
            pg_schema.is_some(),
            vars::DATABASE_URL,
            database_url.is_some(),
        )?;
        let millis = |var, default: Duration| -> Result<Duration, ConfigError> {
            Ok(match get(var)? {
                None => default,
                Some(v) => Duration::from_millis(number(
                    var,
                    &v,
                    1,
                    MAX_TIMEOUT_MS,
                    "a whole number of milliseconds from 1 to 3600000",
                )?),
            })
        };
        let header_timeout = millis(vars::HEADER_TIMEOUT, DEFAULT_HEADER_TIMEOUT)?;
        let body_timeout = millis(vars::BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT)?;
        let max_connections = match get(vars::MAX_CONNECTIONS)? {
            None => DEFAULT_MAX_CONNECTIONS,
            Some(v) => {
                let var = vars::MAX_CONNECTIONS;
                let expected = "a whole number from 1 to 65536";
                let n = number(var, &v, 1, MAX_CONNECTIONS, expected)?;
                usize::try_from(n).map_err(|_| ConfigError::InvalidValue { var, expected })?
            }
        };
        Ok(Config {
            addr,
            metrics_addr,
            public_url,
            webhooks,
            gateway_api_keys,
            gateway_settings,
            twilio_auth_token: twilio,
            database_url,
            pg_schema,
            header_timeout,
            body_timeout,
            max_connections,
            sendgrid_api_key,
            email_from,
            email_from_name: get(vars::EMAIL_FROM_NAME)?,
            twilio_account_sid,
            twilio_from,
            base_urls,
            max_body_len: DEFAULT_MAX_BODY_LEN,
            handle_timeout: DEFAULT_HANDLE_TIMEOUT,
        })
    }

    /// The same configuration with another body limit (default
    /// [`DEFAULT_MAX_BODY_LEN`], 1 MiB); larger bodies are answered `413`.
    ///
    /// # Errors
    /// [`ConfigError::ZeroBodyLimit`].
    pub fn with_max_body_len(mut self, max: usize) -> Result<Config, ConfigError> {
        if max == 0 {
            return Err(ConfigError::ZeroBodyLimit);
        }
        self.max_body_len = max;
        Ok(self)
    }

    /// The same configuration with another time limit for handling one webhook.
    #[must_use]
    pub fn with_handle_timeout(mut self, timeout: Duration) -> Config {
        self.handle_timeout = timeout;
        self
    }

    /// Where to listen.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where to serve `GET /metrics` (Prometheus text), apart from the webhooks: what it
    /// shows (money held, failures) is for the operator, not for whoever can reach the
    /// webhook port. `None`: no metrics listener.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The public base URL, without a trailing `/`.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The database URL, when the server should run on PostgreSQL.
    pub fn database_url(&self) -> Option<&SecretString> {
        self.database_url.as_ref()
    }

    /// The schema holding ajo's tables ([`vars::PG_SCHEMA`]), when not on the database's
    /// default `search_path`.
    pub fn pg_schema(&self) -> Option<&str> {
        self.pg_schema.as_deref()
    }

    /// The largest body accepted.
    pub fn max_body_len(&self) -> usize {
        self.max_body_len
    }

    /// How long one webhook may take to handle.
    pub fn handle_timeout(&self) -> Duration {
        self.handle_timeout
    }

    /// How long a connection has to send a request's head ([`vars::HEADER_TIMEOUT`]).
    pub fn header_timeout(&self) -> Duration {
        self.header_timeout
    }

    /// How long a request has to send its whole body ([`vars::BODY_TIMEOUT`]).
    pub fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// How many connections are served at once ([`vars::MAX_CONNECTIONS`]).
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// The variables of the `*_PREVIOUS` secrets that are set: keys being rolled.
    pub fn previous_secrets_set(&self) -> Vec<&'static str> {
        self.webhooks
            .iter()
            .filter_map(Webhook::previous_var_set)
            .collect()
    }

    /// The secrets that verify `provider`'s webhooks, current first, then the previous one
    /// while a key is rolled; `None` when its route is off.
    #[cfg(test)]
    pub(super) fn webhook_secrets(&self, provider: Provider) -> Option<&[SecretString]> {
        self.webhooks
            .iter()
            .find(|w| w.provider() == provider)?
            .secrets()
    }

    /// A verifier for every provider whose webhook secret is set, each given its current
    /// and previous secret and refusing bodies over [`max_body_len`](Self::max_body_len).
    ///
    /// # Errors
    /// [`ConfigError::Verifier`] if a provider's verifier refuses its secret or key (a
    /// SendGrid key that is not a P-256 public key, say).
    pub fn webhook_registry(&self) -> Result<WebhookRegistry, ConfigError> {
        let mut registry = WebhookRegistry::new();
        for webhook in &self.webhooks {
            if let Some(verifier) = webhook.verifier(self.max_body_len) {
                registry.register(verifier?)?;
            }
        }
        Ok(registry)
    }

    /// Logs what each enabled provider's own settings call for (never a secret).
    pub(super) fn announce_webhooks(&self) {
        for webhook in &self.webhooks {
            webhook.announce();
        }
    }

    /// The payment gateway the service calls: the first of Paystack, Flutterwave and
    /// Stripe whose API key is set, or `None` for the fake.
    pub fn payment_provider(&self) -> Option<Provider> {
        self.gateway_api_keys
            .iter()
            .find_map(|(provider, key)| key.as_ref().map(|_| *provider))
    }

    /// The email provider: SendGrid when its API key and the from address are set, or
    /// `None` for the recording fake.
    pub fn email_provider(&self) -> Option<Provider> {
        // `from_lookup` refused one without the other.
        self.sendgrid_api_key.as_ref().map(|_| Provider::SendGrid)
    }

    /// The SMS provider: Twilio when its account SID, auth token and sender are set, or
    /// `None` for the recording fake.
    pub fn sms_provider(&self) -> Option<Provider> {
        // `from_lookup` refused the SID without the token and the sender.
        self.twilio_account_sid.as_ref().map(|_| Provider::Twilio)
    }

    /// The base URL `provider`'s adapter should call instead of the provider's own, from
    /// its `*_BASE_URL` variable.
    pub fn base_url(&self, provider: Provider) -> Option<&str> {
        self.base_urls
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, url)| url.as_str())
    }

    /// The API key for a payment `provider`, if set (Paystack's is its webhook secret too).
    pub(super) fn gateway_api_key(&self, provider: Provider) -> Option<&SecretString> {
        self.gateway_api_keys
            .iter()
            .find(|(p, _)| *p == provider)?
            .1
            .as_ref()
    }

    /// A payment `provider`'s other variables that are set, by name.
    // Read only by the real adapters, which `--no-default-features` leaves out.
    #[cfg_attr(not(feature = "providers"), allow(dead_code))]
    pub(super) fn gateway_settings(
        &self,
        provider: Provider,
    ) -> Option<&BTreeMap<&'static str, SecretString>> {
        self.gateway_settings
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, settings)| settings)
    }

    /// SendGrid's API key, the from address and its optional display name.
    // Read only by the real adapters, which `--no-default-features` leaves out.
    #[cfg_attr(not(feature = "providers"), allow(dead_code))]
    pub(super) fn sendgrid_sender(&self) -> Option<(&SecretString, &str, Option<&str>)> {
        Some((
            self.sendgrid_api_key.as_ref()?,
            self.email_from.as_deref()?,
            self.email_from_name.as_deref(),
        ))
    }

    /// Twilio's account SID, auth token and sender.
    // Read only by the real adapters, which `--no-default-features` leaves out.
    #[cfg_attr(not(feature = "providers"), allow(dead_code))]
    pub(super) fn twilio_sender(&self) -> Option<(&str, &SecretString, &str)> {
        Some((
            self.twilio_account_sid.as_deref()?,
            self.twilio_auth_token.as_ref()?,
            self.twilio_from.as_deref()?,
        ))
    }

    /// Where Twilio should post delivery reports: this server's Twilio route at the
    /// public URL.
    // Read only by the real adapters, which `--no-default-features` leaves out.
    #[cfg_attr(not(feature = "providers"), allow(dead_code))]
    pub(super) fn twilio_status_callback(&self) -> Option<String> {
        let path = WebhookRegistry::path(Provider::Twilio.as_str());
        Some(format!("{}{path}", self.public_url.as_deref()?))
    }

    /// Every webhook route, enabled or not, in a fixed order.
    pub fn routes(&self) -> Vec<Route> {
        self.webhooks
            .iter()
            .map(|w| Route {
                provider: w.provider(),
                path: w.path(),
                var: w.var(),
                enabled: w.enabled(),
            })
            .collect()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: bool| if s { "set" } else { "unset" };
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("metrics_addr", &self.metrics_addr)
            .field("public_url", &self.public_url)
            .field("webhooks", &self.webhooks)
            .field(
                "gateway_api_keys",
                &self
                    .gateway_api_keys
                    .iter()
                    .map(|(p, key)| (p.as_str(), set(key.is_some())))
                    .collect::<Vec<_>>(),
            )
            .field("database_url", &set(self.database_url.is_some()))
            .field("pg_schema", &self.pg_schema)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("max_connections", &self.max_connections)
            .field("sendgrid_api_key", &set(self.sendgrid_api_key.is_some()))
            .field("email_from", &self.email_from)
            .field("email_from_name", &self.email_from_name)
            .field(
                "twilio_account_sid",
                &set(self.twilio_account_sid.is_some()),
            )
            .field("twilio_from", &self.twilio_from)
            .field("base_urls", &self.base_urls)
            .field("max_body_len", &self.max_body_len)
            .field("handle_timeout", &self.handle_timeout)
            .finish()
    }
}

/// A schema name from [`vars::PG_SCHEMA`], checked as `admin --schema` checks it.
#[cfg(feature = "postgres")]
fn schema_name(name: &str) -> Result<String, ConfigError> {
    crate::pg::schema_name(name).map_err(|_| ConfigError::InvalidValue {
        var: vars::PG_SCHEMA,
        expected: "a plain schema name: 1 to 63 lowercase ASCII letters, digits or '_', not \
                   starting with a digit",
    })
}

/// Without PostgreSQL support there is no store to name a schema in: `DATABASE_URL` stops
/// the start ([`WiringError::PostgresNotBuilt`](super::wiring::WiringError)) whatever it is.
#[cfg(not(feature = "postgres"))]
fn schema_name(name: &str) -> Result<String, ConfigError> {
    Ok(name.to_owned())
}

/// Checks an API base URL from `var` and drops any trailing `/`. Credentials in it are
/// refused because the URL is logged and shown by `Debug`; keys travel in headers.
fn api_base(var: &'static str, url: &str) -> Result<String, ConfigError> {
    let invalid = || ConfigError::InvalidBaseUrl { var };
    let base = public_base(url).map_err(|_| invalid())?;
    let authority = base
        .split_once("://")
        .map_or("", |(_, rest)| rest.split('/').next().unwrap_or(rest));
    if authority.contains('@') {
        return Err(invalid());
    }
    Ok(base)
}

/// Checks a public base URL and drops any trailing `/`, so a request path can follow it.
fn public_base(url: &str) -> Result<String, ConfigError> {
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let host_present = url
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
    if !scheme_ok || !host_present || url.contains(['?', '#']) {
        return Err(ConfigError::InvalidPublicUrl);
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests;
