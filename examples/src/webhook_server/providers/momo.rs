//! MTN MoMo: it signs nothing, so its callbacks come to `/webhooks/mtn-momo/{token}`, the
//! token derived from the deployment's callback secret; each callback is a hint the
//! service confirms with MTN's status `GET`.

use std::sync::Arc;

use ajo_core::webhook::{CallbackSecret, MomoVerifier, Provider};

use super::{SecretsOnly, WebhookProvider};

/// The deployment's MTN MoMo callback secret (at least 32 random characters): the token
/// that ends every callback URL is derived from it. Give the MoMo adapter the same
/// secret.
pub const MOMO_CALLBACK: &str = "MOMO_CALLBACK_SECRET";

/// The previous MoMo callback secret, while it is being changed.
pub const MOMO_CALLBACK_PREVIOUS: &str = "MOMO_CALLBACK_SECRET_PREVIOUS";

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::MtnMomo,
    var: MOMO_CALLBACK,
    previous_var: MOMO_CALLBACK_PREVIOUS,
    token_in_path: true,
    read: |_, _| {
        Ok(Arc::new(SecretsOnly(|secrets, max| {
            let secrets = secrets
                .into_iter()
                .map(|s| CallbackSecret::new(Provider::MtnMomo, s))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Arc::new(
                MomoVerifier::new(secrets)?.with_max_body_len(max)?,
            ))
        })))
    },
};
