//! Which implementation each port gets. Each choice sits in one small function so that
//! swapping a fake for a real adapter touches one place.

use std::sync::Arc;

use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store, SystemClock};
use ajo_core::service::AjoService;
use ajo_testkit::InMemoryStore;
use ajo_testkit::fakes::{FakeEmail, FakeGateway, FakeSms};
use thiserror::Error;

use super::Config;

/// Why the service could not be built. Never holds the database URL.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WiringError {
    /// `DATABASE_URL` is set but this build has no PostgreSQL support.
    #[error("DATABASE_URL is set but ajo-examples was built without its postgres feature")]
    PostgresNotBuilt,
    /// The database could not be reached or migrated.
    #[error("the database: {0}")]
    Store(#[from] ajo_core::ports::StoreError),
}

/// The store: PostgreSQL (migrated) when `DATABASE_URL` is set, else the in-memory store,
/// which forgets everything when the process stops.
///
/// # Errors
/// [`WiringError::Store`] if PostgreSQL cannot be reached or migrated;
/// [`WiringError::PostgresNotBuilt`] without the `postgres` feature.
pub async fn store(config: &Config) -> Result<Arc<dyn Store>, WiringError> {
    match config.database_url() {
        Some(url) => postgres(url).await,
        None => {
            tracing::info!("store: in memory (nothing survives a restart; set DATABASE_URL)");
            Ok(Arc::new(InMemoryStore::new()))
        }
    }
}

#[cfg(feature = "postgres")]
async fn postgres(url: &secrecy::SecretString) -> Result<Arc<dyn Store>, WiringError> {
    use secrecy::ExposeSecret;

    // A webhook is one short transaction; a few connections keep up with any provider.
    const POOL_SIZE: u32 = 8;
    let store = ajo_adapters::postgres::PgStore::connect(url.expose_secret(), POOL_SIZE).await?;
    store.migrate().await?;
    tracing::info!("store: PostgreSQL (DATABASE_URL), migrated");
    Ok(Arc::new(store))
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_url: &secrecy::SecretString) -> Result<Arc<dyn Store>, WiringError> {
    Err(WiringError::PostgresNotBuilt)
}

/// The payment gateway the service calls (to collect, pay out and re-verify).
///
/// For now this is ajo-testkit's [`FakeGateway`]: the server only receives webhooks, and
/// handling one never calls the gateway. This is the one place where the real adapter
/// (Paystack, Flutterwave or Stripe from `ajo-adapters`, built from its API key in
/// [`Config`]) gets chosen once it exists.
pub fn payment_gateway(_config: &Config) -> Arc<dyn PaymentGateway> {
    Arc::new(FakeGateway::new())
}

/// The email sender (a recording fake for now; SendGrid's adapter goes here).
pub fn email_sender(_config: &Config) -> Arc<dyn EmailSender> {
    Arc::new(FakeEmail::new())
}

/// The SMS sender (a recording fake for now; Twilio's adapter goes here).
pub fn sms_sender(_config: &Config) -> Arc<dyn SmsSender> {
    Arc::new(FakeSms::new())
}

/// The service on [`store`], the ports above and the system clock, and that clock (the
/// router checks Stripe's replay window against it).
///
/// # Errors
/// As [`store`].
pub async fn service(config: &Config) -> Result<(AjoService, Arc<dyn Clock>), WiringError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let service = AjoService::new(
        store(config).await?,
        payment_gateway(config),
        email_sender(config),
        sms_sender(config),
        clock.clone(),
    );
    Ok((service, clock))
}
