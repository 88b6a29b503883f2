//! Every configured provider's verifier, found by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Provider, WebhookError, WebhookOutcome, WebhookRequest, WebhookVerifier};
use crate::telemetry;

/// The verifiers a host serves, keyed by provider name (`paystack`).
///
/// It sits in ajo-core, not in an HTTP server, because nothing in it is about HTTP: a
/// host on axum, actix or a queue consumer looks the provider up by the name in its route
/// (`/webhooks/{provider}`, [`path`](Self::path)) and hands the request over, and one
/// handler serves every provider. Adding a provider is then registering its verifier;
/// no route or handler changes.
///
/// ```
/// use std::sync::Arc;
/// use ajo_core::webhook::{PaystackVerifier, WebhookRegistry, WebhookRequest};
/// use chrono::Utc;
/// use secrecy::SecretString;
///
/// let mut registry = WebhookRegistry::new();
/// registry.register(Arc::new(PaystackVerifier::new(vec![SecretString::from("sk_test_xyz")])?))?;
/// assert_eq!(registry.names().collect::<Vec<_>>(), ["paystack"]);
/// assert_eq!(WebhookRegistry::path("paystack"), "/webhooks/paystack");
///
/// // An unknown provider is `None` (a server answers 404); an unsigned request is refused.
/// let request = WebhookRequest::new(&[], b"{}", Utc::now());
/// assert!(registry.verify("nobody", &request).is_none());
/// let refused = registry.verify("paystack", &request).unwrap().unwrap_err();
/// assert!(refused.is_rejected_request());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct WebhookRegistry {
    verifiers: BTreeMap<&'static str, Arc<dyn WebhookVerifier>>,
}

impl WebhookRegistry {
    /// Where every route starts: a provider's path is this followed by its name.
    pub const PATH_PREFIX: &'static str = "/webhooks/";

    /// An empty registry.
    pub fn new() -> WebhookRegistry {
        WebhookRegistry::default()
    }

    /// Adds `verifier` under its provider's name.
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] if that provider already has one: two verifiers for
    /// one route would leave which one answers to chance.
    pub fn register(&mut self, verifier: Arc<dyn WebhookVerifier>) -> Result<(), WebhookError> {
        let provider = verifier.provider();
        if self.verifiers.contains_key(provider.as_str()) {
            return Err(WebhookError::InvalidConfig {
                provider,
                reason: "a verifier is already registered for this provider",
            });
        }
        self.verifiers.insert(provider.as_str(), verifier);
        Ok(())
    }

    /// The verifier for the provider named `name`, if registered.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn WebhookVerifier>> {
        self.verifiers.get(name)
    }

    /// The registered providers, by name.
    pub fn providers(&self) -> impl Iterator<Item = Provider> + '_ {
        self.verifiers.values().map(|v| v.provider())
    }

    /// The registered providers' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.verifiers.keys().copied()
    }

    /// How many providers are registered.
    pub fn len(&self) -> usize {
        self.verifiers.len()
    }

    /// Whether no provider is registered.
    pub fn is_empty(&self) -> bool {
        self.verifiers.is_empty()
    }

    /// The route for the provider named `name`: `/webhooks/{name}`.
    pub fn path(name: &str) -> String {
        format!("{}{name}", Self::PATH_PREFIX)
    }

    /// The largest body any registered verifier accepts (0 when empty): a server's own
    /// body limit need not be larger.
    pub fn max_body_len(&self) -> usize {
        self.verifiers
            .values()
            .map(|v| v.max_body_len())
            .max()
            .unwrap_or(0)
    }

    /// Verifies `request` with the verifier for `name`; `None` if there is none.
    ///
    /// Counts the request in [`telemetry::WEBHOOKS_VERIFIED`] or, with the error's
    /// [`reason`](WebhookError::reason), [`telemetry::WEBHOOKS_REFUSED`]; a name no
    /// verifier has is refused as `unknown_provider` under the provider `unknown`, so
    /// what a stranger puts in the path never becomes a label.
    ///
    /// # Errors
    /// Inside the `Some`: as [`WebhookVerifier::verify_request`].
    pub fn verify(
        &self,
        name: &str,
        request: &WebhookRequest<'_>,
    ) -> Option<Result<Vec<WebhookOutcome>, WebhookError>> {
        let Some(verifier) = self.get(name) else {
            telemetry::record_unknown_webhook();
            return None;
        };
        let result = verifier.verify_request(request);
        telemetry::record_webhook(verifier.provider(), &result);
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::super::{StripeVerifier, TwilioVerifier};
    use super::*;

    #[test]
    fn one_verifier_per_provider_found_by_name() {
        let secret = || vec![SecretString::from("s")];
        let mut registry = WebhookRegistry::new();
        assert!(registry.is_empty());
        registry
            .register(Arc::new(StripeVerifier::new(secret()).unwrap()))
            .unwrap();
        registry
            .register(Arc::new(
                TwilioVerifier::new(secret())
                    .unwrap()
                    .with_max_body_len(7)
                    .unwrap(),
            ))
            .unwrap();
        assert_eq!(registry.names().collect::<Vec<_>>(), ["stripe", "twilio"]);
        assert_eq!(
            registry.providers().collect::<Vec<_>>(),
            [Provider::Stripe, Provider::Twilio]
        );
        assert_eq!(registry.len(), 2);
        assert_eq!(registry.max_body_len(), super::super::DEFAULT_MAX_BODY_LEN);
        assert_eq!(registry.get("twilio").unwrap().max_body_len(), 7);
        assert!(registry.get("Stripe").is_none());
        assert_eq!(
            registry.register(Arc::new(StripeVerifier::new(secret()).unwrap())),
            Err(WebhookError::InvalidConfig {
                provider: Provider::Stripe,
                reason: "a verifier is already registered for this provider",
            })
        );
    }

    #[test]
    fn every_request_is_counted_verified_or_refused_with_its_reason() {
        use hmac::{Hmac, Mac};
        use metrics_util::debugging::{DebugValue, DebuggingRecorder};

        let mut registry = WebhookRegistry::new();
        registry
            .register(Arc::new(
                super::super::PaystackVerifier::new(vec![SecretString::from("sk_test_xyz")])
                    .unwrap(),
            ))
            .unwrap();
        let body = br#"{"event":"subscription.create","data":{}}"#;
        let mut mac = Hmac::<sha2::Sha512>::new_from_slice(b"sk_test_xyz").unwrap();
        mac.update(body);
        let good = hex::encode(mac.finalize().into_bytes());
        let bad = "0".repeat(128);
        let now = chrono::Utc::now();
        let signed: [(&str, &[u8]); 1] = [("x-paystack-signature", good.as_bytes())];
        let forged: [(&str, &[u8]); 1] = [("x-paystack-signature", bad.as_bytes())];

        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let request = |headers: &[(&str, &[u8])]| {
                let request = WebhookRequest::new(headers, body, now);
                registry.verify("paystack", &request)
            };
            assert!(request(&signed).unwrap().is_ok());
            assert!(request(&signed).unwrap().is_ok());
            assert!(request(&forged).unwrap().is_err());
            assert!(request(&[]).unwrap().is_err());
            let unknown = WebhookRequest::new(&signed, body, now);
            assert!(registry.verify("paystack/../x", &unknown).is_none());
        });
        let mut counted: Vec<(String, Vec<String>, u64)> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter_map(|(key, _, _, value)| {
                let DebugValue::Counter(n) = value else {
                    return None;
                };
                let key = key.key();
                let labels = key.labels().map(|l| format!("{}={}", l.key(), l.value()));
                Some((key.name().to_owned(), labels.collect(), n))
            })
            .collect();
        counted.sort();
        let expect = |name: &str, labels: &[&str], n: u64| {
            (
                name.to_owned(),
                labels.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>(),
                n,
            )
        };
        assert_eq!(
            counted,
            [
                expect(
                    telemetry::WEBHOOKS_REFUSED,
                    &["provider=paystack", "reason=bad_signature"],
                    1
                ),
                expect(
                    telemetry::WEBHOOKS_REFUSED,
                    &["provider=paystack", "reason=missing_header"],
                    1
                ),
                expect(
                    telemetry::WEBHOOKS_REFUSED,
                    &["provider=unknown", "reason=unknown_provider"],
                    1
                ),
                expect(telemetry::WEBHOOKS_VERIFIED, &["provider=paystack"], 2),
            ]
        );
    }
}
