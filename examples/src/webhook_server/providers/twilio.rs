//! Twilio: its auth token signs status callbacks over the full public URL it called, so
//! the server needs `AJO_PUBLIC_URL` to check them.

use std::sync::Arc;

use ajo_core::webhook::{Provider, TwilioVerifier};

use super::{SecretsOnly, WebhookOptions, WebhookProvider};
use crate::webhook_server::env::Env;
use crate::webhook_server::{ConfigError, vars};

/// Twilio's primary auth token.
pub const TWILIO: &str = "TWILIO_AUTH_TOKEN";

/// Twilio's previous auth token, while the secondary token is promoted (see
/// [`PAYSTACK_PREVIOUS`](super::paystack::PAYSTACK_PREVIOUS)). SMS are always sent with
/// [`TWILIO`].
pub const TWILIO_PREVIOUS: &str = "TWILIO_AUTH_TOKEN_PREVIOUS";

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::Twilio,
    var: TWILIO,
    previous_var: TWILIO_PREVIOUS,
    token_in_path: false,
    read,
};

fn read(env: &Env<'_>, enabled: bool) -> Result<Arc<dyn WebhookOptions>, ConfigError> {
    // Twilio signs the URL it called, which the server cannot see behind a proxy.
    if enabled && env.get(vars::PUBLIC_URL)?.is_none() {
        return Err(ConfigError::PublicUrlMissing);
    }
    Ok(Arc::new(SecretsOnly(|secrets, max| {
        Ok(Arc::new(
            TwilioVerifier::new(secrets)?.with_max_body_len(max)?,
        ))
    })))
}
