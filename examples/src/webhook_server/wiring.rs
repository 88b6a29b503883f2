//! Which implementation each port gets, from [`Config`]. Each choice sits in one small
//! function that logs what it chose, so the operator sees at start whether money and
//! messages are real.
//!
//! | port | real adapter (ajo-adapters) | when | otherwise |
//! | --- | --- | --- | --- |
//! | [`PaymentGateway`] | Paystack, else Flutterwave, else Stripe | its API key is set ([`Config::payment_provider`]) | [`FakeGateway`]: collections and payouts are simulated |
//! | [`EmailSender`] | SendGrid | its API key and the from address are set | [`FakeEmail`]: email is recorded, not sent |
//! | [`SmsSender`] | Twilio | its account SID, auth token and sender are set | [`FakeSms`]: SMS are recorded, not sent |
//!
//! The real adapters are compiled with the `providers` feature (on by default). Built
//! without it, every port gets its fake whatever is set, with a warning naming the key
//! that was set. An adapter that refuses its settings (a Twilio SID of the wrong shape, a
//! from address that is not one) is a [`WiringError::Adapter`], never a quiet fallback
//! to a fake.

use std::sync::Arc;

use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store, SystemClock};
use ajo_core::service::AjoService;
use ajo_core::webhook::Provider;
use ajo_testkit::InMemoryStore;
use ajo_testkit::fakes::{FakeEmail, FakeGateway, FakeSms};
use thiserror::Error;

use super::providers::{self, GATEWAY_PROVIDERS};
use super::{Config, vars};

/// Why the service could not be built. Never holds the database URL, an API key or a
/// token.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WiringError {
    /// `DATABASE_URL` is set but this build has no PostgreSQL support.
    #[error("DATABASE_URL is set but ajo-examples was built without its postgres feature")]
    PostgresNotBuilt,
    /// The database could not be reached or migrated.
    #[error("the database: {0}")]
    Store(#[from] ajo_core::ports::StoreError),
    /// `DATABASE_URL` could not be read (the message never repeats it).
    #[cfg(feature = "postgres")]
    #[error("DATABASE_URL: {0}")]
    Database(#[from] crate::pg::OptionsError),
    /// A provider's adapter refused its settings or could not set up its HTTP client.
    /// The adapters' errors name settings, never keys or tokens.
    #[error("the {provider} adapter: {source}")]
    Adapter {
        /// The provider (`paystack`).
        provider: &'static str,
        /// The adapter's own error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// The store: PostgreSQL (migrated) when `DATABASE_URL` is set, in the schema
/// `AJO_PG_SCHEMA` names if set, else the in-memory store, which forgets everything when
/// the process stops.
///
/// # Errors
/// [`WiringError::Store`] if PostgreSQL cannot be reached or migrated;
/// `WiringError::Database` if `DATABASE_URL` cannot be read;
/// [`WiringError::PostgresNotBuilt`] without the `postgres` feature.
pub async fn store(config: &Config) -> Result<Arc<dyn Store>, WiringError> {
    match config.database_url() {
        Some(url) => postgres(url, config.pg_schema()).await,
        None => {
            tracing::info!("store: in memory (nothing survives a restart; set DATABASE_URL)");
            Ok(Arc::new(InMemoryStore::new()))
        }
    }
}

#[cfg(feature = "postgres")]
async fn postgres(
    url: &secrecy::SecretString,
    schema: Option<&str>,
) -> Result<Arc<dyn Store>, WiringError> {
    use secrecy::ExposeSecret;

    // A webhook is one short transaction; a few connections keep up with any provider.
    const POOL_SIZE: u32 = 8;
    // The same options the admin tool opens the schema with.
    let options = crate::pg::options(url.expose_secret(), schema)?;
    let store = ajo_adapters::postgres::PgStore::connect_with(options, POOL_SIZE).await?;
    store.migrate().await?;
    tracing::info!(
        schema = schema.unwrap_or("the default search_path"),
        "store: PostgreSQL (DATABASE_URL), migrated"
    );
    Ok(Arc::new(store))
}

#[cfg(not(feature = "postgres"))]
async fn postgres(
    _url: &secrecy::SecretString,
    _schema: Option<&str>,
) -> Result<Arc<dyn Store>, WiringError> {
    Err(WiringError::PostgresNotBuilt)
}

/// The payment gateway the service calls (to collect, pay out, re-verify and reconcile):
/// see [`Config::payment_provider`]. Handling a webhook never calls it.
///
/// # Errors
/// [`WiringError::Adapter`] if the chosen adapter cannot be built.
pub fn payment_gateway(config: &Config) -> Result<Arc<dyn PaymentGateway>, WiringError> {
    let Some(provider) = config.payment_provider() else {
        let vars: Vec<&str> = GATEWAY_PROVIDERS.iter().map(|g| g.api_key_var).collect();
        tracing::warn!(
            "payment gateway: simulated (FakeGateway): collections and payouts move no money; \
             set one of {}",
            vars.join(", ")
        );
        return Ok(Arc::new(FakeGateway::new()));
    };
    // The first provider with a key is used, so only the later keys can be shadowed.
    for other in GATEWAY_PROVIDERS.iter().map(|g| g.provider) {
        if other != provider && config.gateway_api_key(other).is_some() {
            tracing::warn!(
                provider = provider.as_str(),
                "{} is set but not used: {} comes first",
                api_key_var(other),
                api_key_var(provider)
            );
        }
    }
    if let Some(route) = config.routes().iter().find(|r| r.provider == provider)
        && !route.enabled
    {
        tracing::warn!(
            provider = provider.as_str(),
            "{} is not set: the service collects through {} but cannot hear that a payment \
             succeeded (its webhook route answers 404)",
            route.var,
            provider.as_str()
        );
    }
    real_gateway(config, provider)
}

#[cfg(feature = "providers")]
fn real_gateway(
    config: &Config,
    provider: Provider,
) -> Result<Arc<dyn PaymentGateway>, WiringError> {
    match super::adapters::payment_gateway(config, provider)? {
        Some(gateway) => {
            tracing::info!(
                provider = provider.as_str(),
                base_url = config.base_url(provider).unwrap_or("the provider's own"),
                "payment gateway: {}",
                provider.as_str()
            );
            Ok(gateway)
        }
        // `payment_provider` only names a provider whose key is set.
        None => Ok(Arc::new(FakeGateway::new())),
    }
}

#[cfg(not(feature = "providers"))]
fn real_gateway(
    _config: &Config,
    provider: Provider,
) -> Result<Arc<dyn PaymentGateway>, WiringError> {
    tracing::warn!(
        provider = provider.as_str(),
        "payment gateway: simulated (FakeGateway) although {} is set: ajo-examples was built \
         without its providers feature",
        api_key_var(provider)
    );
    Ok(Arc::new(FakeGateway::new()))
}

/// The variable holding a payment provider's API key.
fn api_key_var(provider: Provider) -> &'static str {
    providers::gateway(provider).map_or("", |g| g.api_key_var)
}

/// The email sender: SendGrid (see [`Config::email_provider`]), else a recording fake.
///
/// # Errors
/// [`WiringError::Adapter`] if SendGrid's adapter refuses its settings (a from address
/// that is not an address).
pub fn email_sender(config: &Config) -> Result<Arc<dyn EmailSender>, WiringError> {
    #[cfg(feature = "providers")]
    if let Some(sender) = super::adapters::email_sender(config)? {
        tracing::info!(
            provider = "sendgrid",
            base_url = config
                .base_url(Provider::SendGrid)
                .unwrap_or("the provider's own"),
            "email: SendGrid"
        );
        return Ok(sender);
    }
    if config.email_provider().is_some() {
        tracing::warn!(
            "email: recorded, not sent (FakeEmail) although {} is set: ajo-examples was built \
             without its providers feature",
            vars::SENDGRID_API_KEY
        );
    } else {
        tracing::warn!(
            "email: recorded, not sent (FakeEmail); set {} and {}",
            vars::SENDGRID_API_KEY,
            vars::EMAIL_FROM
        );
    }
    Ok(Arc::new(FakeEmail::new()))
}

/// The SMS sender: Twilio (see [`Config::sms_provider`]), its delivery reports sent to
/// `{AJO_PUBLIC_URL}/webhooks/twilio`, else a recording fake.
///
/// # Errors
/// [`WiringError::Adapter`] if Twilio's adapter refuses its settings (an account SID or
/// a sender of the wrong shape).
pub fn sms_sender(config: &Config) -> Result<Arc<dyn SmsSender>, WiringError> {
    #[cfg(feature = "providers")]
    if let Some(sender) = super::adapters::sms_sender(config)? {
        tracing::info!(
            provider = "twilio",
            base_url = config
                .base_url(Provider::Twilio)
                .unwrap_or("the provider's own"),
            "SMS: Twilio"
        );
        return Ok(sender);
    }
    if config.sms_provider().is_some() {
        tracing::warn!(
            "SMS: recorded, not sent (FakeSms) although {} is set: ajo-examples was built \
             without its providers feature",
            vars::TWILIO_ACCOUNT_SID
        );
    } else {
        tracing::warn!(
            "SMS: recorded, not sent (FakeSms); set {}, {} and {}",
            vars::TWILIO_ACCOUNT_SID,
            vars::TWILIO,
            vars::TWILIO_FROM
        );
    }
    Ok(Arc::new(FakeSms::new()))
}

/// The service on [`store`], the ports above and the system clock, and that clock (the
/// router checks Stripe's replay window against it).
///
/// # Errors
/// As [`store`], [`payment_gateway`], [`email_sender`] and [`sms_sender`]. The adapters
/// are built first, so a bad setting stops the server before it touches the database.
pub async fn service(config: &Config) -> Result<(AjoService, Arc<dyn Clock>), WiringError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let gateway = payment_gateway(config)?;
    let email = email_sender(config)?;
    let sms = sms_sender(config)?;
    let service = AjoService::new(store(config).await?, gateway, email, sms, clock.clone());
    Ok((service, clock))
}
