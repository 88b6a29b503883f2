//! The server's settings, read from the environment once at start.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use ajo_core::webhook::{DEFAULT_MAX_BODY_LEN, Provider, SendGridVerifier};
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

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

/// SendGrid's replay window: a signed timestamp more than this many seconds from the
/// server's clock is refused. SendGrid signs the time it posts, so five minutes leaves room
/// for clock skew and slow deliveries, as Stripe's own window does.
pub const DEFAULT_SENDGRID_TOLERANCE_S: u32 = 300;

/// The longest header or body timeout accepted: an hour, well past any provider's own
/// request timeout.
const MAX_TIMEOUT_MS: u64 = 3_600_000;

/// The most connections accepted: past this the process's open-file limit is the bound.
const MAX_CONNECTIONS: u64 = 65_536;

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
    /// The schema of [`DATABASE_URL`]'s database that holds ajo's tables (a plain name,
    /// as `admin --schema` takes): every connection is opened with it as its
    /// `search_path`, so the migrations and every query land there. When unset, the
    /// database's default `search_path`.
    pub const PG_SCHEMA: &str = "AJO_PG_SCHEMA";

    /// Paystack's previous secret key, while a key is being rolled: webhooks signed with it
    /// are still accepted. API calls always use [`PAYSTACK`].
    ///
    /// Each webhook variable has a `_PREVIOUS` twin like this one, for the secret or key
    /// being retired: set the new value in the main variable and the old one here, restart,
    /// then unset this once the provider signs only with the new one (and its retries of
    /// older deliveries are over). Set without its main variable it stops the start.
    pub const PAYSTACK_PREVIOUS: &str = "PAYSTACK_SECRET_KEY_PREVIOUS";
    /// Flutterwave's previous secret hash, while it is being changed (see
    /// [`PAYSTACK_PREVIOUS`]).
    pub const FLUTTERWAVE_PREVIOUS: &str = "FLUTTERWAVE_SECRET_HASH_PREVIOUS";
    /// The Stripe endpoint's previous `whsec_…`, while it is being rolled (see
    /// [`PAYSTACK_PREVIOUS`]).
    pub const STRIPE_PREVIOUS: &str = "STRIPE_WEBHOOK_SECRET_PREVIOUS";
    /// SendGrid's previous verification key, while it is being replaced (see
    /// [`PAYSTACK_PREVIOUS`]).
    pub const SENDGRID_PREVIOUS: &str = "SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS";
    /// Twilio's previous auth token, while the secondary token is promoted (see
    /// [`PAYSTACK_PREVIOUS`]). SMS are always sent with [`TWILIO`].
    pub const TWILIO_PREVIOUS: &str = "TWILIO_AUTH_TOKEN_PREVIOUS";

    /// `true` to accept Flutterwave webhooks that carry only the legacy `verif-hash`
    /// (default `false`). That header is the secret hash itself, the same on every delivery:
    /// anyone who has seen one request can forge any event. The server warns at start
    /// while it is on; events let in by it are marked as proven by a static token.
    pub const FLUTTERWAVE_ACCEPT_VERIF_HASH: &str = "FLUTTERWAVE_ACCEPT_VERIF_HASH";
    /// SendGrid's replay window in seconds (default 300, at most 172800): a signed
    /// timestamp further than this from the server's clock is refused.
    pub const SENDGRID_TOLERANCE: &str = "SENDGRID_WEBHOOK_TOLERANCE_SECS";

    /// Milliseconds a connection has to send a request's head (default 10000).
    pub const HEADER_TIMEOUT: &str = "AJO_HEADER_TIMEOUT_MS";
    /// Milliseconds a request has to send its whole body (default 30000).
    pub const BODY_TIMEOUT: &str = "AJO_BODY_TIMEOUT_MS";
    /// Connections served at once (default 512); keep it below the process's open-file
    /// limit.
    pub const MAX_CONNECTIONS: &str = "AJO_MAX_CONNECTIONS";

    /// Flutterwave's secret API key (`FLWSECK-…`), which the service calls Flutterwave
    /// with. Not [`FLUTTERWAVE`], which only verifies webhooks.
    pub const FLUTTERWAVE_API_KEY: &str = "FLUTTERWAVE_SECRET_KEY";
    /// Stripe's secret API key (`sk_…`, or a restricted `rk_…`). Not [`STRIPE`], the
    /// `whsec_…` secret that only verifies webhooks.
    pub const STRIPE_API_KEY: &str = "STRIPE_SECRET_KEY";
    /// A SendGrid API key with the Mail Send permission; needs [`EMAIL_FROM`].
    pub const SENDGRID_API_KEY: &str = "SENDGRID_API_KEY";
    /// The address email comes from (`no-reply@ajo.example.com`), verified in SendGrid.
    pub const EMAIL_FROM: &str = "AJO_EMAIL_FROM";
    /// The name shown beside [`EMAIL_FROM`] (`Ajo`); optional.
    pub const EMAIL_FROM_NAME: &str = "AJO_EMAIL_FROM_NAME";
    /// The Twilio account SID (`AC…`); with [`TWILIO`] and [`TWILIO_FROM`], SMS go
    /// through Twilio.
    pub const TWILIO_ACCOUNT_SID: &str = "TWILIO_ACCOUNT_SID";
    /// Who SMS come from: a Twilio number in E.164 (`+15017122661`), an alphanumeric
    /// sender id (`Ajo`), or a messaging service SID (`MG…`).
    pub const TWILIO_FROM: &str = "TWILIO_FROM";

    /// Another base URL for Paystack's API (a mock server, a staging proxy).
    pub const PAYSTACK_BASE_URL: &str = "PAYSTACK_BASE_URL";
    /// Another base URL for Flutterwave's API.
    pub const FLUTTERWAVE_BASE_URL: &str = "FLUTTERWAVE_BASE_URL";
    /// Another base URL for Stripe's API.
    pub const STRIPE_BASE_URL: &str = "STRIPE_BASE_URL";
    /// Another base URL for SendGrid's API (`https://api.eu.sendgrid.com` for EU-pinned
    /// subusers, or a mock server).
    pub const SENDGRID_BASE_URL: &str = "SENDGRID_BASE_URL";
    /// Another base URL for Twilio's API.
    pub const TWILIO_BASE_URL: &str = "TWILIO_BASE_URL";
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

/// The server's configuration: where to listen, the providers' secrets and API keys, the
/// store.
///
/// Secrets and API keys are [`SecretString`]s: `Debug` shows only which are set.
///
/// # Which adapter the service gets
///
/// The payment gateway is the first provider whose API key is set: Paystack
/// ([`vars::PAYSTACK`], the same key that signs its webhooks), else Flutterwave
/// ([`vars::FLUTTERWAVE_API_KEY`]), else Stripe ([`vars::STRIPE_API_KEY`]); with none, ajo-testkit's
/// fake, which only simulates collections and payouts. Email goes through SendGrid when
/// [`vars::SENDGRID_API_KEY`] and [`vars::EMAIL_FROM`] are set; SMS through Twilio when
/// [`vars::TWILIO_ACCOUNT_SID`], [`vars::TWILIO`] and [`vars::TWILIO_FROM`] are. A provider
/// whose settings are only partly given is a [`ConfigError::Incomplete`], so a typo never
/// quietly leaves messages to a fake (the Twilio auth token alone is complete: it verifies
/// webhooks for a host that sends SMS elsewhere).
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
    pg_schema: Option<String>,
    previous: Previous,
    flutterwave_accept_verif_hash: bool,
    sendgrid_tolerance_s: u32,
    header_timeout: Duration,
    body_timeout: Duration,
    max_connections: usize,
    flutterwave_api_key: Option<SecretString>,
    stripe_api_key: Option<SecretString>,
    sendgrid_api_key: Option<SecretString>,
    email_from: Option<String>,
    email_from_name: Option<String>,
    twilio_account_sid: Option<String>,
    twilio_from: Option<String>,
    base_urls: BaseUrls,
    max_body_len: usize,
    handle_timeout: Duration,
}

/// The webhook secrets being retired, from the `*_PREVIOUS` variables.
#[derive(Clone, Default)]
struct Previous {
    paystack: Option<SecretString>,
    flutterwave: Option<SecretString>,
    stripe: Option<SecretString>,
    sendgrid: Option<String>,
    twilio: Option<SecretString>,
}

/// The `*_BASE_URL` overrides, each checked and without a trailing `/`.
#[derive(Debug, Clone, Default)]
struct BaseUrls {
    paystack: Option<String>,
    flutterwave: Option<String>,
    stripe: Option<String>,
    sendgrid: Option<String>,
    twilio: Option<String>,
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
        let stripe_api_key = secret(vars::STRIPE_API_KEY)?;
        if let Some(key) = &stripe_api_key {
            let key = key.expose_secret();
            if !(key.starts_with("sk_") || key.starts_with("rk_")) {
                return Err(ConfigError::NotStripeApiKey);
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
        let base_url = |var| get(var)?.map(|url| api_base(var, &url)).transpose();
        let base_urls = BaseUrls {
            paystack: base_url(vars::PAYSTACK_BASE_URL)?,
            flutterwave: base_url(vars::FLUTTERWAVE_BASE_URL)?,
            stripe: base_url(vars::STRIPE_BASE_URL)?,
            sendgrid: base_url(vars::SENDGRID_BASE_URL)?,
            twilio: base_url(vars::TWILIO_BASE_URL)?,
        };
        let paystack = secret(vars::PAYSTACK)?;
        let flutterwave = secret(vars::FLUTTERWAVE)?;
        let stripe = secret(vars::STRIPE)?;
        let sendgrid = get(vars::SENDGRID)?;
        let previous = Previous {
            paystack: secret(vars::PAYSTACK_PREVIOUS)?,
            flutterwave: secret(vars::FLUTTERWAVE_PREVIOUS)?,
            stripe: secret(vars::STRIPE_PREVIOUS)?,
            sendgrid: get(vars::SENDGRID_PREVIOUS)?,
            twilio: secret(vars::TWILIO_PREVIOUS)?,
        };
        // A previous secret alone would verify nothing (its route is off): most likely a
        // typo in the main variable's name, so say so rather than serve 404s.
        for (var, set, needs, present) in [
            (
                vars::PAYSTACK_PREVIOUS,
                previous.paystack.is_some(),
                vars::PAYSTACK,
                paystack.is_some(),
            ),
            (
                vars::FLUTTERWAVE_PREVIOUS,
                previous.flutterwave.is_some(),
                vars::FLUTTERWAVE,
                flutterwave.is_some(),
            ),
            (
                vars::STRIPE_PREVIOUS,
                previous.stripe.is_some(),
                vars::STRIPE,
                stripe.is_some(),
            ),
            (
                vars::SENDGRID_PREVIOUS,
                previous.sendgrid.is_some(),
                vars::SENDGRID,
                sendgrid.is_some(),
            ),
            (
                vars::TWILIO_PREVIOUS,
                previous.twilio.is_some(),
                vars::TWILIO,
                twilio.is_some(),
            ),
        ] {
            need(var, set, needs, present)?;
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
        let flutterwave_accept_verif_hash = get(vars::FLUTTERWAVE_ACCEPT_VERIF_HASH)?
            .map(|v| switch(vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, &v))
            .transpose()?
            .unwrap_or(false);
        need(
            vars::FLUTTERWAVE_ACCEPT_VERIF_HASH,
            flutterwave_accept_verif_hash,
            vars::FLUTTERWAVE,
            flutterwave.is_some(),
        )?;
        let sendgrid_tolerance_s = match get(vars::SENDGRID_TOLERANCE)? {
            None => DEFAULT_SENDGRID_TOLERANCE_S,
            Some(v) => u32::try_from(number(
                vars::SENDGRID_TOLERANCE,
                &v,
                1,
                u64::from(SendGridVerifier::MAX_TOLERANCE_S),
                "a whole number of seconds from 1 to 172800",
            )?)
            .map_err(|_| ConfigError::InvalidValue {
                var: vars::SENDGRID_TOLERANCE,
                expected: "a whole number of seconds from 1 to 172800",
            })?,
        };
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
            public_url,
            paystack,
            flutterwave,
            stripe,
            sendgrid,
            twilio,
            database_url,
            pg_schema,
            previous,
            flutterwave_accept_verif_hash,
            sendgrid_tolerance_s,
            header_timeout,
            body_timeout,
            max_connections,
            flutterwave_api_key: secret(vars::FLUTTERWAVE_API_KEY)?,
            stripe_api_key,
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

    /// SendGrid's replay window, in seconds ([`vars::SENDGRID_TOLERANCE`]).
    pub fn sendgrid_tolerance_s(&self) -> u32 {
        self.sendgrid_tolerance_s
    }

    /// Whether Flutterwave's static `verif-hash` is accepted
    /// ([`vars::FLUTTERWAVE_ACCEPT_VERIF_HASH`]).
    pub fn flutterwave_accepts_verif_hash(&self) -> bool {
        self.flutterwave_accept_verif_hash
    }

    /// The variables of the `*_PREVIOUS` secrets that are set: keys being rolled.
    pub fn previous_secrets_set(&self) -> Vec<&'static str> {
        let p = &self.previous;
        [
            (vars::PAYSTACK_PREVIOUS, p.paystack.is_some()),
            (vars::FLUTTERWAVE_PREVIOUS, p.flutterwave.is_some()),
            (vars::STRIPE_PREVIOUS, p.stripe.is_some()),
            (vars::SENDGRID_PREVIOUS, p.sendgrid.is_some()),
            (vars::TWILIO_PREVIOUS, p.twilio.is_some()),
        ]
        .into_iter()
        .filter_map(|(var, set)| set.then_some(var))
        .collect()
    }

    /// The secrets that verify `provider`'s webhooks, current first, then the previous one
    /// while a key is rolled; `None` when its route is off. Not SendGrid, whose keys are
    /// public ([`sendgrid_keys`](Self::sendgrid_keys)).
    pub(super) fn webhook_secrets(&self, provider: Provider) -> Option<Vec<SecretString>> {
        let (current, previous) = match provider {
            Provider::Paystack => (&self.paystack, &self.previous.paystack),
            Provider::Flutterwave => (&self.flutterwave, &self.previous.flutterwave),
            Provider::Stripe => (&self.stripe, &self.previous.stripe),
            Provider::Twilio => (&self.twilio, &self.previous.twilio),
            _ => return None,
        };
        let current = current.clone()?;
        Some(std::iter::once(current).chain(previous.clone()).collect())
    }

    /// SendGrid's verification keys, current first; `None` when its route is off.
    pub(super) fn sendgrid_keys(&self) -> Option<Vec<&str>> {
        let current = self.sendgrid.as_deref()?;
        Some(
            std::iter::once(current)
                .chain(self.previous.sendgrid.as_deref())
                .collect(),
        )
    }

    /// The payment gateway the service calls: the first of Paystack, Flutterwave and
    /// Stripe whose API key is set, or `None` for the fake.
    pub fn payment_provider(&self) -> Option<Provider> {
        if self.paystack.is_some() {
            Some(Provider::Paystack)
        } else if self.flutterwave_api_key.is_some() {
            Some(Provider::Flutterwave)
        } else if self.stripe_api_key.is_some() {
            Some(Provider::Stripe)
        } else {
            None
        }
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
        let urls = &self.base_urls;
        match provider {
            Provider::Paystack => urls.paystack.as_deref(),
            Provider::Flutterwave => urls.flutterwave.as_deref(),
            Provider::Stripe => urls.stripe.as_deref(),
            Provider::SendGrid => urls.sendgrid.as_deref(),
            Provider::Twilio => urls.twilio.as_deref(),
            _ => None,
        }
    }

    /// The API key for a payment `provider`, if set (Paystack's is its webhook secret too).
    pub(super) fn gateway_api_key(&self, provider: Provider) -> Option<&SecretString> {
        match provider {
            Provider::Paystack => self.paystack.as_ref(),
            Provider::Flutterwave => self.flutterwave_api_key.as_ref(),
            Provider::Stripe => self.stripe_api_key.as_ref(),
            _ => None,
        }
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
            self.twilio.as_ref()?,
            self.twilio_from.as_deref()?,
        ))
    }

    /// Where Twilio should post delivery reports: this server's Twilio route at the
    /// public URL.
    // Read only by the real adapters, which `--no-default-features` leaves out.
    #[cfg_attr(not(feature = "providers"), allow(dead_code))]
    pub(super) fn twilio_status_callback(&self) -> Option<String> {
        let path = self
            .routes()
            .into_iter()
            .find(|r| r.provider == Provider::Twilio)?
            .path;
        Some(format!("{}{path}", self.public_url.as_deref()?))
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
            .field("pg_schema", &self.pg_schema)
            .field("previous", &self.previous_secrets_set())
            .field(
                "flutterwave_accept_verif_hash",
                &self.flutterwave_accept_verif_hash,
            )
            .field("sendgrid_tolerance_s", &self.sendgrid_tolerance_s)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("max_connections", &self.max_connections)
            .field(
                "flutterwave_api_key",
                &set(self.flutterwave_api_key.is_some()),
            )
            .field("stripe_api_key", &set(self.stripe_api_key.is_some()))
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

/// `ConfigError::Incomplete` when `var` is set and `needs` is not.
fn need(
    var: &'static str,
    set: bool,
    needs: &'static str,
    present: bool,
) -> Result<(), ConfigError> {
    if set && !present {
        return Err(ConfigError::Incomplete { var, needs });
    }
    Ok(())
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

/// `true` or `false` (also `1`/`0`, any case) from `var`.
fn switch(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ConfigError::InvalidValue {
            var,
            expected: "true or false",
        }),
    }
}

/// A whole number from `min` to `max` from `var`.
fn number(
    var: &'static str,
    value: &str,
    min: u64,
    max: u64,
    expected: &'static str,
) -> Result<u64, ConfigError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or(ConfigError::InvalidValue { var, expected })
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
        let secrets = c.webhook_secrets(Provider::Paystack).unwrap();
        let secrets: Vec<&str> = secrets.iter().map(|s| s.expose_secret()).collect();
        assert_eq!(secrets, ["sk_test_1"]);
        assert!(c.webhook_secrets(Provider::Stripe).is_none());
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
    fn a_schema_needs_the_database_and_a_plain_name() {
        let url = "postgres://postgres@127.0.0.1:5432/test";
        let c = config(&[(vars::DATABASE_URL, url), (vars::PG_SCHEMA, "ajo_live")]).unwrap();
        assert_eq!(c.pg_schema(), Some("ajo_live"));
        assert_eq!(
            config(&[(vars::DATABASE_URL, url)]).unwrap().pg_schema(),
            None
        );
        assert!(matches!(
            config(&[(vars::PG_SCHEMA, "ajo_live")]),
            Err(ConfigError::Incomplete {
                var: vars::PG_SCHEMA,
                needs: vars::DATABASE_URL
            })
        ));
        #[cfg(feature = "postgres")]
        for bad in ["ajo, public", "Ajo", "1ajo", "ajo;drop"] {
            let refused = config(&[(vars::DATABASE_URL, url), (vars::PG_SCHEMA, bad)]);
            assert!(
                matches!(
                    refused,
                    Err(ConfigError::InvalidValue {
                        var: vars::PG_SCHEMA,
                        ..
                    })
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

    const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";

    #[test]
    fn the_gateway_is_the_first_provider_whose_api_key_is_set() {
        assert_eq!(config(&[]).unwrap().payment_provider(), None);
        // The webhook-only secrets choose nothing: they cannot call an API.
        let webhooks_only =
            config(&[(vars::FLUTTERWAVE, "flw-hash"), (vars::STRIPE, "whsec_1")]).unwrap();
        assert_eq!(webhooks_only.payment_provider(), None);
        let stripe = config(&[(vars::STRIPE_API_KEY, "sk_test_1")]).unwrap();
        assert_eq!(stripe.payment_provider(), Some(Provider::Stripe));
        let flutterwave = config(&[
            (vars::STRIPE_API_KEY, "sk_test_1"),
            (vars::FLUTTERWAVE_API_KEY, "FLWSECK_TEST-1"),
        ])
        .unwrap();
        assert_eq!(flutterwave.payment_provider(), Some(Provider::Flutterwave));
        assert_eq!(
            flutterwave
                .gateway_api_key(Provider::Flutterwave)
                .map(|k| k.expose_secret().to_owned()),
            Some("FLWSECK_TEST-1".to_owned())
        );
        let paystack = config(&[
            (vars::STRIPE_API_KEY, "sk_test_1"),
            (vars::FLUTTERWAVE_API_KEY, "FLWSECK_TEST-1"),
            (vars::PAYSTACK, "sk_test_p"),
        ])
        .unwrap();
        assert_eq!(paystack.payment_provider(), Some(Provider::Paystack));
    }

    #[test]
    fn a_stripe_webhook_secret_is_not_taken_for_its_api_key() {
        assert!(matches!(
            config(&[(vars::STRIPE_API_KEY, "whsec_oops")]),
            Err(ConfigError::NotStripeApiKey)
        ));
        let restricted = config(&[(vars::STRIPE_API_KEY, "rk_live_1")]).unwrap();
        assert_eq!(restricted.payment_provider(), Some(Provider::Stripe));
    }

    #[test]
    fn messaging_needs_every_setting_or_none() {
        let none = config(&[]).unwrap();
        assert_eq!((none.email_provider(), none.sms_provider()), (None, None));

        let both = config(&[
            (vars::SENDGRID_API_KEY, "SG.key"),
            (vars::EMAIL_FROM, "no-reply@ajo.example.com"),
            (vars::EMAIL_FROM_NAME, "Ajo"),
            (vars::TWILIO_ACCOUNT_SID, TWILIO_SID),
            (vars::TWILIO, "tok"),
            (vars::TWILIO_FROM, "+15017122661"),
            (vars::PUBLIC_URL, "https://ajo.example.com/"),
        ])
        .unwrap();
        assert_eq!(both.email_provider(), Some(Provider::SendGrid));
        assert_eq!(both.sms_provider(), Some(Provider::Twilio));
        let (_, from, name) = both.sendgrid_sender().unwrap();
        assert_eq!((from, name), ("no-reply@ajo.example.com", Some("Ajo")));
        let (sid, _, sender) = both.twilio_sender().unwrap();
        assert_eq!((sid, sender), (TWILIO_SID, "+15017122661"));
        assert_eq!(
            both.twilio_status_callback().as_deref(),
            Some("https://ajo.example.com/webhooks/twilio")
        );

        // The auth token alone only verifies webhooks.
        let token_only = config(&[
            (vars::TWILIO, "tok"),
            (vars::PUBLIC_URL, "https://ajo.example.com"),
        ])
        .unwrap();
        assert_eq!(token_only.sms_provider(), None);

        for (pairs, var, needs) in [
            (
                &[(vars::SENDGRID_API_KEY, "SG.key")][..],
                vars::SENDGRID_API_KEY,
                vars::EMAIL_FROM,
            ),
            (
                &[(vars::EMAIL_FROM, "no-reply@ajo.example.com")][..],
                vars::EMAIL_FROM,
                vars::SENDGRID_API_KEY,
            ),
            (
                &[(vars::TWILIO_ACCOUNT_SID, TWILIO_SID)][..],
                vars::TWILIO_ACCOUNT_SID,
                vars::TWILIO,
            ),
            (
                &[
                    (vars::TWILIO_ACCOUNT_SID, TWILIO_SID),
                    (vars::TWILIO, "tok"),
                    (vars::PUBLIC_URL, "https://ajo.example.com"),
                ][..],
                vars::TWILIO_ACCOUNT_SID,
                vars::TWILIO_FROM,
            ),
            (
                &[(vars::TWILIO_FROM, "Ajo")][..],
                vars::TWILIO_FROM,
                vars::TWILIO_ACCOUNT_SID,
            ),
        ] {
            match config(pairs) {
                Err(ConfigError::Incomplete { var: v, needs: n }) => {
                    assert_eq!((v, n), (var, needs));
                }
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn base_urls_override_each_provider_and_bad_ones_are_refused() {
        let c = config(&[
            (vars::PAYSTACK_BASE_URL, "http://127.0.0.1:9000/"),
            (vars::SENDGRID_BASE_URL, "https://api.eu.sendgrid.com"),
        ])
        .unwrap();
        assert_eq!(
            c.base_url(Provider::Paystack),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(
            c.base_url(Provider::SendGrid),
            Some("https://api.eu.sendgrid.com")
        );
        assert_eq!(c.base_url(Provider::Stripe), None);
        for var in [
            vars::PAYSTACK_BASE_URL,
            vars::FLUTTERWAVE_BASE_URL,
            vars::STRIPE_BASE_URL,
            vars::SENDGRID_BASE_URL,
            vars::TWILIO_BASE_URL,
        ] {
            for bad in [
                "api.paystack.co",
                "https://user:pass@mock.example",
                "https://mock.example?key=1",
            ] {
                match config(&[(var, bad)]) {
                    Err(ConfigError::InvalidBaseUrl { var: v }) => assert_eq!(v, var),
                    other => panic!("{var}={bad}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn api_keys_never_reach_debug_or_errors() {
        let c = config(&[
            (vars::PAYSTACK, "sk_live_paystack_api_key"),
            (vars::FLUTTERWAVE_API_KEY, "FLWSECK-flutterwave-api-key"),
            (vars::STRIPE_API_KEY, "sk_live_stripe_api_key"),
            (vars::SENDGRID_API_KEY, "SG.sendgrid-api-key"),
            (vars::EMAIL_FROM, "no-reply@ajo.example.com"),
            (vars::TWILIO_ACCOUNT_SID, TWILIO_SID),
            (vars::TWILIO, "twilio-auth-token"),
            (vars::TWILIO_FROM, "Ajo"),
            (vars::PUBLIC_URL, "https://ajo.example.com"),
        ])
        .unwrap();
        let text = format!("{c:?}");
        for key in [
            "sk_live_paystack_api_key",
            "FLWSECK-flutterwave-api-key",
            "sk_live_stripe_api_key",
            "SG.sendgrid-api-key",
            "twilio-auth-token",
        ] {
            assert!(!text.contains(key), "{key} in {text}");
        }
        assert!(text.contains("stripe_api_key: \"set\""), "{text}");
        assert!(text.contains("sendgrid_api_key: \"set\""), "{text}");

        let errors = [
            config(&[(vars::STRIPE_API_KEY, "whsec_secret_in_the_wrong_place")]),
            config(&[(vars::SENDGRID_API_KEY, "SG.sendgrid-api-key")]),
            config(&[
                (vars::TWILIO_ACCOUNT_SID, TWILIO_SID),
                (vars::TWILIO, "twilio-auth-token"),
            ]),
        ];
        for error in errors {
            let error = error.unwrap_err();
            let text = format!("{error} {error:?}");
            for key in [
                "whsec_secret_in_the_wrong_place",
                "SG.sendgrid-api-key",
                "twilio-auth-token",
            ] {
                assert!(!text.contains(key), "{key} in {text}");
            }
        }
    }

    #[test]
    fn limits_have_sane_defaults_and_read_their_variables() {
        let c = config(&[]).unwrap();
        assert_eq!(c.header_timeout(), DEFAULT_HEADER_TIMEOUT);
        assert_eq!(c.header_timeout(), Duration::from_secs(10));
        assert_eq!(c.body_timeout(), Duration::from_secs(30));
        assert_eq!(c.max_connections(), 512);
        assert_eq!(c.sendgrid_tolerance_s(), 300);
        assert!(!c.flutterwave_accepts_verif_hash());

        let c = config(&[
            (vars::HEADER_TIMEOUT, "300"),
            (vars::BODY_TIMEOUT, "1500"),
            (vars::MAX_CONNECTIONS, "8"),
            (vars::SENDGRID_TOLERANCE, "60"),
            (vars::FLUTTERWAVE, "flw-hash"),
            (vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "TRUE"),
        ])
        .unwrap();
        assert_eq!(c.header_timeout(), Duration::from_millis(300));
        assert_eq!(c.body_timeout(), Duration::from_millis(1500));
        assert_eq!(c.max_connections(), 8);
        assert_eq!(c.sendgrid_tolerance_s(), 60);
        assert!(c.flutterwave_accepts_verif_hash());
        let off = config(&[
            (vars::FLUTTERWAVE, "flw-hash"),
            (vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "false"),
        ])
        .unwrap();
        assert!(!off.flutterwave_accepts_verif_hash());
    }

    #[test]
    fn limits_out_of_range_stop_the_start_with_a_typed_error() {
        for (var, bad) in [
            (vars::HEADER_TIMEOUT, "0"),
            (vars::HEADER_TIMEOUT, "10s"),
            (vars::HEADER_TIMEOUT, "3600001"),
            (vars::BODY_TIMEOUT, "-1"),
            (vars::MAX_CONNECTIONS, "0"),
            (vars::MAX_CONNECTIONS, "65537"),
            (vars::MAX_CONNECTIONS, "many"),
            (vars::SENDGRID_TOLERANCE, "0"),
            (vars::SENDGRID_TOLERANCE, "172801"),
            (vars::SENDGRID_TOLERANCE, "99999999999999999999"),
        ] {
            match config(&[(var, bad)]) {
                Err(ConfigError::InvalidValue { var: v, .. }) => assert_eq!(v, var, "{bad}"),
                other => panic!("{var}={bad}: {other:?}"),
            }
        }
        match config(&[
            (vars::FLUTTERWAVE, "flw-hash"),
            (vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "yes please"),
        ]) {
            Err(error @ ConfigError::InvalidValue { .. }) => {
                assert_eq!(
                    error.to_string(),
                    "FLUTTERWAVE_ACCEPT_VERIF_HASH must be true or false"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn verif_hash_needs_the_flutterwave_hash() {
        match config(&[(vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "true")]) {
            Err(ConfigError::Incomplete { var, needs }) => {
                assert_eq!(
                    (var, needs),
                    (vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, vars::FLUTTERWAVE)
                );
            }
            other => panic!("{other:?}"),
        }
        // Turned off explicitly, it needs nothing.
        assert!(config(&[(vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "0")]).is_ok());
    }

    #[test]
    fn a_previous_secret_is_verified_after_the_current_one_and_never_shown() {
        let c = config(&[
            (vars::PAYSTACK, "sk_live_new_key"),
            (vars::PAYSTACK_PREVIOUS, "sk_live_old_key"),
            (vars::STRIPE, "whsec_new"),
            (vars::SENDGRID, "MFkw-new"),
            (vars::SENDGRID_PREVIOUS, "MFkw-old"),
            (vars::TWILIO, "twilio-new-token"),
            (vars::TWILIO_PREVIOUS, "twilio-old-token"),
            (vars::PUBLIC_URL, "https://ajo.example.com"),
        ])
        .unwrap();
        let exposed = |p| {
            c.webhook_secrets(p)
                .unwrap()
                .iter()
                .map(|s| s.expose_secret().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            exposed(Provider::Paystack),
            ["sk_live_new_key", "sk_live_old_key"]
        );
        assert_eq!(exposed(Provider::Stripe), ["whsec_new"]);
        assert_eq!(
            exposed(Provider::Twilio),
            ["twilio-new-token", "twilio-old-token"]
        );
        assert_eq!(c.sendgrid_keys().unwrap(), ["MFkw-new", "MFkw-old"]);
        // API calls keep using the current key only.
        assert_eq!(
            c.gateway_api_key(Provider::Paystack)
                .map(|k| k.expose_secret().to_owned()),
            Some("sk_live_new_key".to_owned())
        );
        assert_eq!(
            c.previous_secrets_set(),
            [
                vars::PAYSTACK_PREVIOUS,
                vars::SENDGRID_PREVIOUS,
                vars::TWILIO_PREVIOUS
            ]
        );
        let text = format!("{c:?}");
        for secret in ["sk_live_old_key", "twilio-old-token", "sk_live_new_key"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }

        for (previous, main) in [
            (vars::PAYSTACK_PREVIOUS, vars::PAYSTACK),
            (vars::FLUTTERWAVE_PREVIOUS, vars::FLUTTERWAVE),
            (vars::STRIPE_PREVIOUS, vars::STRIPE),
            (vars::SENDGRID_PREVIOUS, vars::SENDGRID),
            (vars::TWILIO_PREVIOUS, vars::TWILIO),
        ] {
            match config(&[(previous, "old"), (vars::PUBLIC_URL, "https://a.example")]) {
                Err(ConfigError::Incomplete { var, needs }) => {
                    assert_eq!((var, needs), (previous, main));
                }
                other => panic!("{previous}: {other:?}"),
            }
        }
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
