//! Stripe: the endpoint's `whsec_…` signing secret verifies webhooks (±300 s around the
//! server's clock); the API key is another variable.

use std::sync::Arc;

use ajo_core::webhook::{Provider, StripeVerifier};

use super::{SecretsOnly, WebhookProvider};

/// The Stripe endpoint's signing secret (`whsec_…`).
pub const STRIPE: &str = "STRIPE_WEBHOOK_SECRET";

/// The Stripe endpoint's previous `whsec_…`, while it is being rolled (see
/// [`PAYSTACK_PREVIOUS`](super::paystack::PAYSTACK_PREVIOUS)).
pub const STRIPE_PREVIOUS: &str = "STRIPE_WEBHOOK_SECRET_PREVIOUS";

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::Stripe,
    var: STRIPE,
    previous_var: STRIPE_PREVIOUS,
    read: |_, _| {
        Ok(Arc::new(SecretsOnly(|secrets, max| {
            Ok(Arc::new(
                StripeVerifier::new(secrets)?.with_max_body_len(max)?,
            ))
        })))
    },
};
