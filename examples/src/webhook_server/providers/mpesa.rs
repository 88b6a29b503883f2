//! M-Pesa (Daraja): it signs nothing, so its callbacks come to
//! `/webhooks/mpesa/{token}`, the token derived from the deployment's callback secret;
//! each callback is a hint the service confirms with Daraja.

use std::sync::Arc;

use ajo_core::webhook::{CallbackSecret, MpesaVerifier, Provider};

use super::{SecretsOnly, WebhookProvider};

/// The deployment's M-Pesa callback secret (at least 32 random characters): the token
/// that ends every callback URL, and the tags of B2C payouts, are derived from it. Give
/// the M-Pesa adapter the same secret.
pub const MPESA_CALLBACK: &str = "MPESA_CALLBACK_SECRET";

/// The previous M-Pesa callback secret, while it is being changed: callbacks to URLs made
/// with it (pushes and payouts sent before the change) are still accepted.
pub const MPESA_CALLBACK_PREVIOUS: &str = "MPESA_CALLBACK_SECRET_PREVIOUS";

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::Mpesa,
    var: MPESA_CALLBACK,
    previous_var: MPESA_CALLBACK_PREVIOUS,
    token_in_path: true,
    read: |_, _| {
        Ok(Arc::new(SecretsOnly(|secrets, max| {
            let secrets = secrets
                .into_iter()
                .map(|s| CallbackSecret::new(Provider::Mpesa, s))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Arc::new(
                MpesaVerifier::new(secrets)?.with_max_body_len(max)?,
            ))
        })))
    },
};
