//! Flutterwave: the secret hash set in its dashboard signs webhooks; its static
//! `verif-hash` header is accepted only when the operator turns it on.

use std::sync::Arc;

use ajo_core::webhook::{FlutterwaveVerifier, Provider, WebhookError, WebhookVerifier};
use secrecy::SecretString;

use super::{GatewayProvider, WebhookOptions, WebhookProvider, any_key};
use crate::webhook_server::ConfigError;
use crate::webhook_server::env::{Env, need, switch};

/// The secret hash set in Flutterwave's dashboard.
pub const FLUTTERWAVE: &str = "FLUTTERWAVE_SECRET_HASH";

/// Flutterwave's previous secret hash, while it is being changed (see
/// [`PAYSTACK_PREVIOUS`](super::paystack::PAYSTACK_PREVIOUS)).
pub const FLUTTERWAVE_PREVIOUS: &str = "FLUTTERWAVE_SECRET_HASH_PREVIOUS";

/// `true` to accept Flutterwave webhooks that carry only the legacy `verif-hash`
/// (default `false`). That header is the secret hash itself, the same on every delivery:
/// anyone who has seen one request can forge any event. The server warns at start
/// while it is on; events let in by it are marked as proven by a static token.
pub const FLUTTERWAVE_ACCEPT_VERIF_HASH: &str = "FLUTTERWAVE_ACCEPT_VERIF_HASH";

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::Flutterwave,
    var: FLUTTERWAVE,
    previous_var: FLUTTERWAVE_PREVIOUS,
    token_in_path: false,
    read,
};

/// Flutterwave's secret API key (`FLWSECK-…`), which the service calls Flutterwave
/// with. Not [`FLUTTERWAVE`], which only verifies webhooks.
pub const FLUTTERWAVE_API_KEY: &str = "FLUTTERWAVE_SECRET_KEY";

/// Another base URL for Flutterwave's API.
pub const FLUTTERWAVE_BASE_URL: &str = "FLUTTERWAVE_BASE_URL";

pub(crate) const GATEWAY: GatewayProvider = GatewayProvider {
    provider: Provider::Flutterwave,
    api_key_var: FLUTTERWAVE_API_KEY,
    base_url_var: FLUTTERWAVE_BASE_URL,
    check_key: any_key,
    settings: &[],
    optional: &[],
    callback_var: None,
    #[cfg(feature = "providers")]
    build: |inputs| {
        use ajo_adapters::flutterwave::{FlutterwaveConfig, FlutterwaveGateway};
        let (key, http) = (inputs.key, inputs.http);
        let mut settings = FlutterwaveConfig::new(key);
        if let Some(http) = http {
            settings = settings.with_http(http);
        }
        Ok(Arc::new(FlutterwaveGateway::new(settings)?))
    },
};

/// Whether the static `verif-hash` is accepted.
#[derive(Debug)]
struct Options {
    accept_verif_hash: bool,
}

fn read(env: &Env<'_>, enabled: bool) -> Result<Arc<dyn WebhookOptions>, ConfigError> {
    let accept_verif_hash = env
        .get(FLUTTERWAVE_ACCEPT_VERIF_HASH)?
        .map(|v| switch(FLUTTERWAVE_ACCEPT_VERIF_HASH, &v))
        .transpose()?
        .unwrap_or(false);
    need(
        FLUTTERWAVE_ACCEPT_VERIF_HASH,
        accept_verif_hash,
        FLUTTERWAVE,
        enabled,
    )?;
    Ok(Arc::new(Options { accept_verif_hash }))
}

impl WebhookOptions for Options {
    fn verifier(
        &self,
        secrets: Vec<SecretString>,
        max_body_len: usize,
    ) -> Result<Arc<dyn WebhookVerifier>, WebhookError> {
        let verifier = FlutterwaveVerifier::new(secrets)?;
        let verifier = if self.accept_verif_hash {
            verifier.with_verif_hash()
        } else {
            verifier
        };
        Ok(Arc::new(verifier.with_max_body_len(max_body_len)?))
    }

    fn announce(&self) {
        if self.accept_verif_hash {
            tracing::warn!(
                var = FLUTTERWAVE_ACCEPT_VERIF_HASH,
                "Flutterwave webhooks carrying only the static verif-hash are accepted: anyone who has seen one delivery can forge any event. Turn on signed webhooks in Flutterwave's dashboard and unset this"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    use super::*;

    fn options(pairs: &[(&str, &str)], enabled: bool) -> Result<bool, ConfigError> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(*v)))
            .collect();
        let lookup = |var: &str| map.get(var).cloned();
        let options = read(&Env::new(&lookup), enabled)?;
        Ok(format!("{options:?}").contains("accept_verif_hash: true"))
    }

    #[test]
    fn verif_hash_is_off_unless_switched_on_and_needs_the_hash() {
        assert!(!options(&[], true).unwrap());
        assert!(options(&[(FLUTTERWAVE_ACCEPT_VERIF_HASH, "TRUE")], true).unwrap());
        assert!(!options(&[(FLUTTERWAVE_ACCEPT_VERIF_HASH, "false")], true).unwrap());
        match options(&[(FLUTTERWAVE_ACCEPT_VERIF_HASH, "true")], false) {
            Err(ConfigError::Incomplete { var, needs }) => {
                assert_eq!((var, needs), (FLUTTERWAVE_ACCEPT_VERIF_HASH, FLUTTERWAVE));
            }
            other => panic!("{other:?}"),
        }
        // Turned off explicitly, it needs nothing.
        assert!(options(&[(FLUTTERWAVE_ACCEPT_VERIF_HASH, "0")], false).is_ok());
        match options(&[(FLUTTERWAVE_ACCEPT_VERIF_HASH, "yes please")], true) {
            Err(error @ ConfigError::InvalidValue { .. }) => {
                assert_eq!(
                    error.to_string(),
                    "FLUTTERWAVE_ACCEPT_VERIF_HASH must be true or false"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
