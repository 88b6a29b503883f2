//! Paystack: its secret key both calls the API and signs webhooks (there is no separate
//! webhook secret).

use std::sync::Arc;

use ajo_core::webhook::{PaystackVerifier, Provider};

use super::{GatewayProvider, SecretsOnly, WebhookProvider, any_key};

/// Paystack's secret key (`sk_live_…`), which is also its webhook signing key.
pub const PAYSTACK: &str = "PAYSTACK_SECRET_KEY";

/// Paystack's previous secret key, while a key is being rolled: webhooks signed with it
/// are still accepted. API calls always use [`PAYSTACK`].
///
/// Each webhook variable has a `_PREVIOUS` twin like this one, for the secret or key
/// being retired: set the new value in the main variable and the old one here, restart,
/// then unset this once the provider signs only with the new one (and its retries of
/// older deliveries are over). Set without its main variable it stops the start.
pub const PAYSTACK_PREVIOUS: &str = "PAYSTACK_SECRET_KEY_PREVIOUS";

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::Paystack,
    var: PAYSTACK,
    previous_var: PAYSTACK_PREVIOUS,
    token_in_path: false,
    read: |_, _| {
        Ok(Arc::new(SecretsOnly(|secrets, max| {
            Ok(Arc::new(
                PaystackVerifier::new(secrets)?.with_max_body_len(max)?,
            ))
        })))
    },
};

/// Another base URL for Paystack's API (a mock server, a staging proxy).
pub const PAYSTACK_BASE_URL: &str = "PAYSTACK_BASE_URL";

pub(crate) const GATEWAY: GatewayProvider = GatewayProvider {
    provider: Provider::Paystack,
    // The same key signs webhooks.
    api_key_var: PAYSTACK,
    base_url_var: PAYSTACK_BASE_URL,
    check_key: any_key,
    settings: &[],
    optional: &[],
    callback_var: None,
    #[cfg(feature = "providers")]
    build: |inputs| {
        use ajo_adapters::paystack::{PaystackConfig, PaystackGateway};
        let (key, http) = (inputs.key, inputs.http);
        let mut settings = PaystackConfig::new(key);
        if let Some(http) = http {
            settings = settings.with_http(http);
        }
        Ok(Arc::new(PaystackGateway::new(settings)?))
    },
};
