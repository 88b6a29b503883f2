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

/// The MoMo API key; with the variables below, MTN MoMo is the payment gateway (after the
/// providers listed before it).
pub const MOMO_API_KEY: &str = "MOMO_API_KEY";
/// The MoMo API user (a UUID).
pub const MOMO_API_USER: &str = "MOMO_API_USER";
/// The target environment: `sandbox`, `mtnuganda`, `mtnghana`...
pub const MOMO_TARGET_ENVIRONMENT: &str = "MOMO_TARGET_ENVIRONMENT";
/// The market's country, for reading members' numbers (`UG`, `GH`, `RW`, `ZM`, `CM`, `CI`,
/// `BJ`, `CG`; `SE` for the sandbox's test numbers).
pub const MOMO_COUNTRY: &str = "MOMO_COUNTRY";
/// The Collections product's subscription key (collecting is off without it).
pub const MOMO_COLLECTION_KEY: &str = "MOMO_COLLECTION_KEY";
/// The Disbursements product's subscription key (payouts are off without it).
pub const MOMO_DISBURSEMENT_KEY: &str = "MOMO_DISBURSEMENT_KEY";
/// Another base URL for the MoMo API (`https://sandbox.momodeveloper.mtn.com`, a mock).
pub const MOMO_BASE_URL: &str = "MOMO_BASE_URL";

pub(crate) const GATEWAY: super::GatewayProvider = super::GatewayProvider {
    provider: Provider::MtnMomo,
    api_key_var: MOMO_API_KEY,
    base_url_var: MOMO_BASE_URL,
    check_key: super::any_key,
    settings: &[MOMO_API_USER, MOMO_TARGET_ENVIRONMENT, MOMO_COUNTRY],
    optional: &[MOMO_COLLECTION_KEY, MOMO_DISBURSEMENT_KEY],
    callback_var: Some(MOMO_CALLBACK),
    #[cfg(feature = "providers")]
    build: |inputs| {
        use ajo_adapters::momo::{MomoConfig, MomoGateway};
        use ajo_core::phone::Country;
        use secrecy::ExposeSecret;

        use super::GatewayBuildError;
        let text = |var| -> Result<String, GatewayBuildError> {
            Ok(inputs.setting(var)?.expose_secret().to_owned())
        };
        let (secret, base) = inputs
            .callback
            .clone()
            .ok_or(GatewayBuildError::Missing(MOMO_CALLBACK))?;
        let country =
            Country::from_code(&text(MOMO_COUNTRY)?).ok_or(GatewayBuildError::Invalid {
                var: MOMO_COUNTRY,
                expected: "a country MTN MoMo serves, by its ISO code (UG, GH, RW, ZM, CM, CI, BJ, CG; SE in the sandbox)",
            })?;
        let mut config = MomoConfig::new(
            text(MOMO_API_USER)?,
            inputs.key.clone(),
            text(MOMO_TARGET_ENVIRONMENT)?,
            country,
            CallbackSecret::new(Provider::MtnMomo, secret)?,
            base,
        );
        if let Some(key) = inputs.settings.get(MOMO_COLLECTION_KEY) {
            config = config.with_collections(key.clone());
        }
        if let Some(key) = inputs.settings.get(MOMO_DISBURSEMENT_KEY) {
            config = config.with_disbursements(key.clone());
        }
        if let Some(http) = inputs.http {
            config = config.with_http(http);
        }
        Ok(Arc::new(MomoGateway::new(config)?))
    },
};
