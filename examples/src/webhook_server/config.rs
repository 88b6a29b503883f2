//! The server's settings, read from the environment once at start.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use ajo_core::webhook::{DEFAULT_MAX_BODY_LEN, Provider};
use secrecy::SecretString;
use thiserror::Error;

/// Where the server listens when `AJO_ADDR` is not set: loopback only, so nothing is
/// exposed until the operator asks for it.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// How long one webhook may take to handle before the server answers `503` (the provider
/// retries, and the retry is a duplicate at worst).
pub const DEFAULT_HANDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The environment variables the server reads.
pub mod vars {
    /// The address to listen on (`127.0.0.1:8080` when unset).
    pub const ADDR: &str = "AJO_ADDR";
    /// The public base URL providers call (`https://ajo.example.com`): Twilio signs the full
    /// URL it requested, which the server cannot see behind a proxy.
    pub const PUBLIC_URL: &str = "AJO_PUBLIC_URL";
    /// Paystack's secret key (`sk_live_…`), which is also its webhook signing key.
    pub const PAYSTACK: &str = "PAYSTACK_SECRET_KEY";
    /// The secret hash set in Flutterwave's dashboard.
    pub const FLUTTERWAVE: &str = "FLUTTERWAVE_SECRET_HASH";
    /// The Stripe endpoint's signing secret (`whsec_…`).
    pub const STRIPE: &str = "STRIPE_WEBHOOK_SECRET";
    /// SendGrid's verification key for signed event webhooks (base64 SPKI, `MFkw…`).
    pub const SENDGRID: &str = "SENDGRID_WEBHOOK_PUBLIC_KEY";
    /// Twilio's primary auth token.
    pub const TWILIO: &str = "TWILIO_AUTH_TOKEN";
    /// A PostgreSQL URL; the in-memory store is used when unset.
    pub const DATABASE_URL: &str = "DATABASE_URL";
}

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
    /// `TWILIO_AUTH_TOKEN` is set without `AJO_PUBLIC_URL`.
    #[error("TWILIO_AUTH_TOKEN needs AJO_PUBLIC_URL: Twilio signs the public URL it calls")]
    PublicUrlMissing,
    /// `AJO_PUBLIC_URL` is not an `http(s)://` URL without query or fragment.
    #[error("AJO_PUBLIC_URL must be http:// or https:// with no query or fragment")]
    InvalidPublicUrl,
    /// A body limit of zero.
    #[error("the body limit must be above zero")]
    ZeroBodyLimit,
    /// A provider's secret or key was refused by its verifier.
    #[error(transparent)]
    Verifier(#[from] ajo_core::webhook::WebhookError),
}

/// One webhook route and whether it is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The provider it is for.
    pub provider: Provider,
    /// Its path (`/webhooks/paystack`).
    pub path: &'static str,
    /// The variable that enables it.
    pub var: &'static str,
    /// Whether that variable is set; a disabled route answers `404`.
    pub enabled: bool,
}

/// The server's configuration: where to listen, the providers' secrets, the store.
///
/// Secrets are [`SecretString`]s: `Debug` shows only which are set.
#[derive(Clone)]
pub struct Config {
    addr: SocketAddr,
    public_url: Option<String>,
    paystack: Option<SecretString>,
    flutterwave: Option<SecretString>,
    stripe: Option<SecretString>,
    sendgrid: Option<String>,
    twilio: Option<SecretString>,
    database_url: Option<SecretString>,
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
    /// [`ConfigError::InvalidPublicUrl`].
    pub fn from_lookup<F>(lookup: F) -> Result<Config, ConfigError>
    where
        F: Fn(&str) -> Option<std::ffi::OsString>,
    {
        let get = |var: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(var) {
                None => Ok(None),
                Some(value) => {
                    let text = value
                        .into_string()
                        .map_err(|_| ConfigError::NotUnicode { var })?;
                    let text = text.trim();
                    Ok((!text.is_empty()).then(|| text.to_owned()))
                }
            }
        };
        let secret = |var| get(var).map(|v| v.map(SecretString::from));
        let addr = get(vars::ADDR)?
            .as_deref()
            .unwrap_or(DEFAULT_ADDR)
            .parse()
            .map_err(|_| ConfigError::InvalidAddr)?;
        let public_url = get(vars::PUBLIC_URL)?
            .map(|url| public_base(&url))
            .transpose()?;
        let twilio = secret(vars::TWILIO)?;
        if twilio.is_some() && public_url.is_none() {
            return Err(ConfigError::PublicUrlMissing);
        }
        Ok(Config {
            addr,
            public_url,
            paystack: secret(vars::PAYSTACK)?,
            flutterwave: secret(vars::FLUTTERWAVE)?,
            stripe: secret(vars::STRIPE)?,
            sendgrid: get(vars::SENDGRID)?,
            twilio,
            database_url: secret(vars::DATABASE_URL)?,
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

    /// The public base URL, without a trailing `/`.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The database URL, when the server should run on PostgreSQL.
    pub fn database_url(&self) -> Option<&SecretString> {
        self.database_url.as_ref()
    }

    /// The largest body accepted.
    pub fn max_body_len(&self) -> usize {
        self.max_body_len
    }

    /// How long one webhook may take to handle.
    pub fn handle_timeout(&self) -> Duration {
        self.handle_timeout
    }

    pub(super) fn paystack_secret(&self) -> Option<&SecretString> {
        self.paystack.as_ref()
    }

    pub(super) fn flutterwave_secret(&self) -> Option<&SecretString> {
        self.flutterwave.as_ref()
    }

    pub(super) fn stripe_secret(&self) -> Option<&SecretString> {
        self.stripe.as_ref()
    }

    pub(super) fn sendgrid_key(&self) -> Option<&str> {
        self.sendgrid.as_deref()
    }

    pub(super) fn twilio_token(&self) -> Option<&SecretString> {
        self.twilio.as_ref()
    }

    /// Every webhook route, enabled or not, in a fixed order.
    pub fn routes(&self) -> [Route; 5] {
        let route = |provider, path, var, enabled| Route {
            provider,
            path,
            var,
            enabled,
        };
        [
            route(
                Provider::Paystack,
                "/webhooks/paystack",
                vars::PAYSTACK,
                self.paystack.is_some(),
            ),
            route(
                Provider::Flutterwave,
                "/webhooks/flutterwave",
                vars::FLUTTERWAVE,
                self.flutterwave.is_some(),
            ),
            route(
                Provider::Stripe,
                "/webhooks/stripe",
                vars::STRIPE,
                self.stripe.is_some(),
            ),
            route(
                Provider::SendGrid,
                "/webhooks/sendgrid",
                vars::SENDGRID,
                self.sendgrid.is_some(),
            ),
            route(
                Provider::Twilio,
                "/webhooks/twilio",
                vars::TWILIO,
                self.twilio.is_some(),
            ),
        ]
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: bool| if s { "set" } else { "unset" };
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("public_url", &self.public_url)
            .field("paystack", &set(self.paystack.is_some()))
            .field("flutterwave", &set(self.flutterwave.is_some()))
            .field("stripe", &set(self.stripe.is_some()))
            .field("sendgrid", &set(self.sendgrid.is_some()))
            .field("twilio", &set(self.twilio.is_some()))
            .field("database_url", &set(self.database_url.is_some()))
            .field("max_body_len", &self.max_body_len)
            .field("handle_timeout", &self.handle_timeout)
            .finish()
    }
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
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    use secrecy::ExposeSecret;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(*v)))
            .collect();
        Config::from_lookup(|var| map.get(var).cloned())
    }

    #[test]
    fn nothing_set_listens_on_loopback_with_every_route_off() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr().to_string(), DEFAULT_ADDR);
        assert!(c.addr().ip().is_loopback());
        assert!(c.routes().iter().all(|r| !r.enabled));
        assert!(c.database_url().is_none());
        assert_eq!(c.max_body_len(), DEFAULT_MAX_BODY_LEN);
    }

    #[test]
    fn each_secret_enables_its_route_and_empty_counts_as_unset() {
        let c = config(&[
            (vars::PAYSTACK, "sk_test_1"),
            (vars::STRIPE, "  "),
            (vars::SENDGRID, "MFkw"),
        ])
        .unwrap();
        let enabled: Vec<_> = c
            .routes()
            .iter()
            .filter(|r| r.enabled)
            .map(|r| r.path)
            .collect();
        assert_eq!(enabled, ["/webhooks/paystack", "/webhooks/sendgrid"]);
        assert_eq!(
            c.paystack_secret().map(|s| s.expose_secret().to_owned()),
            Some("sk_test_1".to_owned())
        );
    }

    #[test]
    fn twilio_needs_a_public_url_and_a_trailing_slash_is_dropped() {
        assert!(matches!(
            config(&[(vars::TWILIO, "tok")]),
            Err(ConfigError::PublicUrlMissing)
        ));
        let c = config(&[
            (vars::TWILIO, "tok"),
            (vars::PUBLIC_URL, "https://ajo.example.com/hooks/"),
        ])
        .unwrap();
        assert_eq!(c.public_url(), Some("https://ajo.example.com/hooks"));
        for bad in [
            "ajo.example.com",
            "ftp://ajo.example.com",
            "https://",
            "https:///path",
            "https://a.example?x=1",
            "https://a.example#f",
        ] {
            assert!(
                matches!(
                    config(&[(vars::PUBLIC_URL, bad)]),
                    Err(ConfigError::InvalidPublicUrl)
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_bad_address_is_refused() {
        assert!(matches!(
            config(&[(vars::ADDR, "localhost")]),
            Err(ConfigError::InvalidAddr)
        ));
        let c = config(&[(vars::ADDR, "0.0.0.0:9000")]).unwrap();
        assert_eq!(c.addr().port(), 9000);
    }

    #[test]
    fn debug_shows_which_secrets_are_set_never_their_values() {
        let c = config(&[
            (vars::PAYSTACK, "sk_live_paystack_secret"),
            (vars::FLUTTERWAVE, "flw-secret-hash"),
            (vars::STRIPE, "whsec_stripe_secret"),
            (vars::TWILIO, "twilio-auth-token"),
            (vars::PUBLIC_URL, "https://ajo.example.com"),
            (vars::DATABASE_URL, "postgres://u:db-password@db/ajo"),
        ])
        .unwrap();
        let text = format!("{c:?}");
        for secret in [
            "sk_live_paystack_secret",
            "flw-secret-hash",
            "whsec_stripe_secret",
            "twilio-auth-token",
            "db-password",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("paystack: \"set\""), "{text}");
        assert!(text.contains("sendgrid: \"unset\""), "{text}");
    }

    #[test]
    fn a_zero_body_limit_is_refused() {
        let c = config(&[]).unwrap();
        assert!(matches!(
            c.clone().with_max_body_len(0),
            Err(ConfigError::ZeroBodyLimit)
        ));
        assert_eq!(c.with_max_body_len(10).unwrap().max_body_len(), 10);
    }
}
