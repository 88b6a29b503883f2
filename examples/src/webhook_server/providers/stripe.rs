//! Stripe: the endpoint's `whsec_…` signing secret verifies webhooks (±300 s around the
//! server's clock); the API key is another variable.

use std::sync::Arc;

use ajo_core::webhook::{Provider, StripeVerifier};

use secrecy::{ExposeSecret, SecretString};

use super::{GatewayProvider, SecretsOnly, WebhookProvider};
use crate::webhook_server::ConfigError;

/// The Stripe endpoint's signing secret (`whsec_…`).
pub const STRIPE: &str = "STRIPE_WEBHOOK_SECRET";

/// The Stripe endpoint's previous `whsec_…`, while it is being rolled (see
/// [`PAYSTACK_PREVIOUS`](super::paystack::PAYSTACK_PREVIOUS)).
pub const STRIPE_PREVIOUS: &str = "STRIPE_WEBHOOK_SECRET_PREVIOUS";

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::Stripe,
    var: STRIPE,
    previous_var: STRIPE_PREVIOUS,
    token_in_path: false,
    read: |_, _| {
        Ok(Arc::new(SecretsOnly(|secrets, max| {
            Ok(Arc::new(
                StripeVerifier::new(secrets)?.with_max_body_len(max)?,
            ))
        })))
    },
};

/// Stripe's secret API key (`sk_…`, or a restricted `rk_…`). Not [`STRIPE`], the
/// `whsec_…` secret that only verifies webhooks.
pub const STRIPE_API_KEY: &str = "STRIPE_SECRET_KEY";

/// Another base URL for Stripe's API.
pub const STRIPE_BASE_URL: &str = "STRIPE_BASE_URL";

pub(crate) const GATEWAY: GatewayProvider = GatewayProvider {
    provider: Provider::Stripe,
    api_key_var: STRIPE_API_KEY,
    base_url_var: STRIPE_BASE_URL,
    check_key: api_key,
    settings: &[],
    optional: &[],
    callback_var: None,
    #[cfg(feature = "providers")]
    build: |inputs| {
        use ajo_adapters::stripe::{StripeConfig, StripeGateway};
        let (key, http) = (inputs.key, inputs.http);
        let mut settings = StripeConfig::new(key);
        if let Some(http) = http {
            settings = settings.with_http(http);
        }
        Ok(Arc::new(StripeGateway::new(settings)?))
    },
};

/// Refuses anything but an API key (most often the `whsec_…` webhook secret put in the
/// wrong variable).
fn api_key(key: &SecretString) -> Result<(), ConfigError> {
    let key = key.expose_secret();
    if key.starts_with("sk_") || key.starts_with("rk_") {
        Ok(())
    } else {
        Err(ConfigError::NotStripeApiKey)
    }
}
