//! The providers the server takes webhooks from, each in its own module: the variables
//! it reads, how they are checked, and the verifier built from them. The router, its one
//! handler and [`Config`](super::Config) know no provider by name; they go through
//! [`WEBHOOK_PROVIDERS`], the one list a new provider is added to.
//!
//! What every provider has in common is read here, once: the variable holding its
//! webhook secret or key (set, it enables `POST /webhooks/{provider}`) and that
//! variable's `_PREVIOUS` twin, accepted beside it while a key is rolled and refused
//! without it. What differs (Flutterwave's `verif-hash` switch, SendGrid's replay window,
//! Twilio's need of the public URL) is each module's [`WebhookOptions`].

pub(crate) mod flutterwave;
pub(crate) mod momo;
pub(crate) mod mpesa;
pub(crate) mod paystack;
pub(crate) mod sendgrid;
pub(crate) mod stripe;
pub(crate) mod twilio;

use std::fmt;
use std::sync::Arc;

use ajo_core::webhook::{Provider, WebhookError, WebhookVerifier};
use secrecy::SecretString;
#[cfg(feature = "providers")]
use {ajo_adapters::http::HttpConfig, ajo_core::ports::PaymentGateway};

use super::ConfigError;
use super::env::{Env, need};

/// Every provider the server can take webhooks from, in the order routes are listed.
/// Adding a provider is a module beside this one and a line here.
pub(crate) static WEBHOOK_PROVIDERS: [WebhookProvider; 7] = [
    paystack::WEBHOOK,
    flutterwave::WEBHOOK,
    stripe::WEBHOOK,
    mpesa::WEBHOOK,
    momo::WEBHOOK,
    sendgrid::WEBHOOK,
    twilio::WEBHOOK,
];

/// The payment providers the service can call, in order of preference: the gateway is
/// the first whose API key is set. Adding a payment provider is a line here too.
pub(crate) static GATEWAY_PROVIDERS: [GatewayProvider; 5] = [
    paystack::GATEWAY,
    flutterwave::GATEWAY,
    stripe::GATEWAY,
    mpesa::GATEWAY,
    momo::GATEWAY,
];

/// A payment provider's API, as the server's configuration knows it.
pub(crate) struct GatewayProvider {
    /// The provider.
    pub(crate) provider: Provider,
    /// The variable holding its API key.
    pub(crate) api_key_var: &'static str,
    /// The variable naming another base URL for its API.
    pub(crate) base_url_var: &'static str,
    /// Refuses a key of the wrong kind before it is used (Stripe's `whsec_…`).
    pub(crate) check_key: fn(&SecretString) -> Result<(), ConfigError>,
    /// Other variables its adapter needs: set with the API key, or none of them.
    pub(crate) settings: &'static [&'static str],
    /// Variables its adapter reads when set (each only with the API key).
    pub(crate) optional: &'static [&'static str],
    /// For a rail that signs nothing: the variable of the callback secret its adapter
    /// builds callback URLs with (the one its webhook route is verified by), which with
    /// the API key needs `AJO_PUBLIC_URL` too.
    pub(crate) callback_var: Option<&'static str>,
    /// Builds the adapter from the API key and the HTTP settings.
    #[cfg(feature = "providers")]
    pub(crate) build: BuildGateway,
}

/// What a payment adapter is built from.
#[cfg(feature = "providers")]
pub(crate) struct GatewayInputs<'a> {
    /// The API key.
    pub(crate) key: SecretString,
    /// Another base URL, when one is set.
    pub(crate) http: Option<HttpConfig>,
    /// Its other variables that are set, by name (all kept as secrets: some are).
    pub(crate) settings: &'a std::collections::BTreeMap<&'static str, SecretString>,
    /// For a rail that signs nothing: the callback secret and the public URL of its route
    /// (`{AJO_PUBLIC_URL}/webhooks/{provider}`).
    pub(crate) callback: Option<(SecretString, String)>,
}

#[cfg(feature = "providers")]
impl GatewayInputs<'_> {
    /// A setting the configuration made sure is set.
    pub(crate) fn setting(&self, var: &'static str) -> Result<SecretString, GatewayBuildError> {
        self.settings
            .get(var)
            .cloned()
            .ok_or(GatewayBuildError::Missing(var))
    }
}

/// Why an adapter could not be built from its variables; names variables, never values.
#[cfg(feature = "providers")]
#[derive(Debug, thiserror::Error)]
pub(crate) enum GatewayBuildError {
    /// A variable the adapter needs is unset.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// Variables that go together are only partly set.
    #[error("{0} are set together or not at all")]
    Together(&'static str),
    /// A variable's value is not one the adapter takes.
    #[error("{var} must be {expected}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What it must be.
        expected: &'static str,
    },
}

/// Builds a payment adapter; its errors name settings, never keys.
#[cfg(feature = "providers")]
pub(crate) type BuildGateway =
    fn(
        GatewayInputs<'_>,
    ) -> Result<Arc<dyn PaymentGateway>, Box<dyn std::error::Error + Send + Sync>>;

/// The gateway entry for `provider`, if it is a payment provider.
pub(crate) fn gateway(provider: Provider) -> Option<&'static GatewayProvider> {
    GATEWAY_PROVIDERS.iter().find(|g| g.provider == provider)
}

/// Any key will do.
pub(crate) fn any_key(_: &SecretString) -> Result<(), ConfigError> {
    Ok(())
}

/// One provider, as the server's configuration knows it.
pub(crate) struct WebhookProvider {
    /// The provider; its name is the route's last segment.
    pub(crate) provider: Provider,
    /// The variable holding the webhook secret (or public key); set, it enables the route.
    pub(crate) var: &'static str,
    /// The variable for the secret being retired while a key is rolled.
    pub(crate) previous_var: &'static str,
    /// Whether its route ends with a token (`/webhooks/{provider}/{token}`): providers
    /// that sign nothing (M-Pesa, MTN MoMo).
    pub(crate) token_in_path: bool,
    /// Reads and checks the provider's other settings; `enabled` says whether
    /// [`var`](Self::var) is set, so a setting given without it can be refused.
    pub(crate) read: ReadOptions,
}

/// Reads a provider's own settings; the `bool` says whether its webhook secret is set.
pub(crate) type ReadOptions = fn(&Env<'_>, bool) -> Result<Arc<dyn WebhookOptions>, ConfigError>;

/// Builds a verifier from the secrets (current first) and the body limit.
pub(crate) type BuildVerifier =
    fn(Vec<SecretString>, usize) -> Result<Arc<dyn WebhookVerifier>, WebhookError>;

/// A provider's own settings beyond its secrets, and how its verifier is built from both.
/// `Debug` must never show a secret (options hold none: secrets are passed in).
pub(crate) trait WebhookOptions: fmt::Debug + Send + Sync {
    /// The verifier for `secrets` (current first), refusing bodies over `max_body_len`.
    fn verifier(
        &self,
        secrets: Vec<SecretString>,
        max_body_len: usize,
    ) -> Result<Arc<dyn WebhookVerifier>, WebhookError>;

    /// Logs at start what the operator should know of these settings (the route is on).
    fn announce(&self) {}
}

/// One provider's webhook settings, as read.
#[derive(Clone)]
pub(crate) struct Webhook {
    spec: &'static WebhookProvider,
    /// Current first, then the previous one; `None` when the route is off.
    secrets: Option<Vec<SecretString>>,
    previous_set: bool,
    options: Arc<dyn WebhookOptions>,
}

impl Webhook {
    /// Reads every provider in [`WEBHOOK_PROVIDERS`].
    pub(crate) fn read_all(env: &Env<'_>) -> Result<Vec<Webhook>, ConfigError> {
        WEBHOOK_PROVIDERS
            .iter()
            .map(|spec| Webhook::read(spec, env))
            .collect()
    }

    fn read(spec: &'static WebhookProvider, env: &Env<'_>) -> Result<Webhook, ConfigError> {
        let current = env.secret(spec.var)?;
        let previous = env.secret(spec.previous_var)?;
        // A previous secret alone would verify nothing (its route is off): most likely a
        // typo in the main variable's name, so say so rather than serve 404s.
        need(
            spec.previous_var,
            previous.is_some(),
            spec.var,
            current.is_some(),
        )?;
        let options = (spec.read)(env, current.is_some())?;
        let previous_set = previous.is_some();
        let secrets = current.map(|current| std::iter::once(current).chain(previous).collect());
        Ok(Webhook {
            spec,
            secrets,
            previous_set,
            options,
        })
    }

    /// The provider.
    pub(crate) fn provider(&self) -> Provider {
        self.spec.provider
    }

    /// The variable that enables the route.
    pub(crate) fn var(&self) -> &'static str {
        self.spec.var
    }

    /// The route, with `{token}` standing for the token where the path has one (the
    /// token itself is never logged).
    pub(crate) fn path(&self) -> String {
        let path = ajo_core::webhook::WebhookRegistry::path(self.spec.provider.as_str());
        if self.spec.token_in_path {
            format!("{path}/{{token}}")
        } else {
            path
        }
    }

    /// Whether the route is served.
    pub(crate) fn enabled(&self) -> bool {
        self.secrets.is_some()
    }

    /// The `_PREVIOUS` variable, when it is set.
    pub(crate) fn previous_var_set(&self) -> Option<&'static str> {
        self.previous_set.then_some(self.spec.previous_var)
    }

    /// The secrets, current first; `None` when the route is off.
    #[cfg(test)]
    pub(crate) fn secrets(&self) -> Option<&[SecretString]> {
        self.secrets.as_deref()
    }

    /// The verifier, when the route is on.
    pub(crate) fn verifier(
        &self,
        max_body_len: usize,
    ) -> Option<Result<Arc<dyn WebhookVerifier>, WebhookError>> {
        let secrets = self.secrets.clone()?;
        Some(self.options.verifier(secrets, max_body_len))
    }

    /// Logs what the provider's options call for, when the route is on.
    pub(crate) fn announce(&self) {
        if self.enabled() {
            self.options.announce();
        }
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: bool| if s { "set" } else { "unset" };
        f.debug_struct("Webhook")
            .field("provider", &self.spec.provider.as_str())
            .field("secret", &set(self.enabled()))
            .field("previous", &set(self.previous_set))
            .field("options", &self.options)
            .finish()
    }
}

/// The options of a provider with none: its verifier is built from its secrets alone.
pub(crate) struct SecretsOnly(pub(crate) BuildVerifier);

impl fmt::Debug for SecretsOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretsOnly")
    }
}

impl WebhookOptions for SecretsOnly {
    fn verifier(
        &self,
        secrets: Vec<SecretString>,
        max_body_len: usize,
    ) -> Result<Arc<dyn WebhookVerifier>, WebhookError> {
        (self.0)(secrets, max_body_len)
    }
}

#[cfg(test)]
mod tests;
