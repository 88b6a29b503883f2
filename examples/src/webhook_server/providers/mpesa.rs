//! M-Pesa (Daraja): it signs nothing, so its callbacks come to
//! `/webhooks/mpesa/{token}`, the token derived from the deployment's callback secret;
//! each callback is a hint the service confirms with Daraja.

use std::sync::Arc;

use ajo_core::webhook::{CallbackSecret, MpesaVerifier, Provider, WebhookError, WebhookVerifier};
use secrecy::SecretString;

use super::{WebhookOptions, WebhookProvider};
use crate::webhook_server::ConfigError;
use crate::webhook_server::env::{Env, need};

/// The deployment's M-Pesa callback secret (at least 32 random characters): the token
/// that ends every callback URL, and the tags of B2C payouts, are derived from it. Give
/// the M-Pesa adapter the same secret.
pub const MPESA_CALLBACK: &str = "MPESA_CALLBACK_SECRET";

/// The previous M-Pesa callback secret, while it is being changed: callbacks to URLs made
/// with it (pushes and payouts sent before the change) are still accepted.
pub const MPESA_CALLBACK_PREVIOUS: &str = "MPESA_CALLBACK_SECRET_PREVIOUS";

/// The deployment's M-Pesa payout key (32+ random characters, apart from the callback
/// secret): B2C payouts are tagged with it and their results checked for the tag. It has
/// no `_PREVIOUS` twin: never change it while a payout is unsettled, or a payout sent
/// again carries a new id and Daraja takes it for a new payment.
pub const MPESA_PAYOUT_KEY: &str = "MPESA_PAYOUT_KEY";

pub(crate) const WEBHOOK: WebhookProvider = WebhookProvider {
    provider: Provider::Mpesa,
    var: MPESA_CALLBACK,
    previous_var: MPESA_CALLBACK_PREVIOUS,
    token_in_path: true,
    read,
};

/// The payout key, when payouts are checked.
struct Options {
    payout_key: Option<SecretString>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("payout_key", &self.payout_key.as_ref().map(|_| "set"))
            .finish()
    }
}

fn read(env: &Env<'_>, enabled: bool) -> Result<Arc<dyn WebhookOptions>, ConfigError> {
    let payout_key = env.secret(MPESA_PAYOUT_KEY)?;
    need(
        MPESA_PAYOUT_KEY,
        payout_key.is_some(),
        MPESA_CALLBACK,
        enabled,
    )?;
    Ok(Arc::new(Options { payout_key }))
}

impl WebhookOptions for Options {
    fn verifier(
        &self,
        secrets: Vec<SecretString>,
        max_body_len: usize,
    ) -> Result<Arc<dyn WebhookVerifier>, WebhookError> {
        let secrets = secrets
            .into_iter()
            .map(|s| CallbackSecret::new(Provider::Mpesa, s))
            .collect::<Result<Vec<_>, _>>()?;
        let mut verifier = MpesaVerifier::new(secrets)?.with_max_body_len(max_body_len)?;
        if let Some(key) = &self.payout_key {
            verifier = verifier.with_payout_key(CallbackSecret::new(Provider::Mpesa, key.clone())?);
        }
        Ok(Arc::new(verifier))
    }
}

/// The consumer secret of the Daraja app; with the variables below, M-Pesa is the payment
/// gateway (after Paystack, Flutterwave and Stripe, whose keys come first).
pub const MPESA_API_KEY: &str = "MPESA_CONSUMER_SECRET";
/// The consumer key of the Daraja app.
pub const MPESA_CONSUMER_KEY: &str = "MPESA_CONSUMER_KEY";
/// The Paybill (or, with [`MPESA_TILL`], the store number) STK Push collects to.
pub const MPESA_SHORTCODE: &str = "MPESA_SHORTCODE";
/// The Lipa na M-Pesa Online passkey of [`MPESA_SHORTCODE`].
pub const MPESA_PASSKEY: &str = "MPESA_PASSKEY";
/// A Till number to collect to (`CustomerBuyGoodsOnline`) instead of the Paybill.
pub const MPESA_TILL: &str = "MPESA_TILL";
/// The shortcode B2C payouts are paid from; with the two below, payouts are on.
pub const MPESA_B2C_SHORTCODE: &str = "MPESA_B2C_SHORTCODE";
/// The B2C initiator's name.
pub const MPESA_B2C_INITIATOR: &str = "MPESA_B2C_INITIATOR";
/// The initiator's password encrypted with Safaricom's certificate (base64).
pub const MPESA_B2C_SECURITY_CREDENTIAL: &str = "MPESA_B2C_SECURITY_CREDENTIAL";
/// Another base URL for Daraja (`https://sandbox.safaricom.co.ke`, a mock).
pub const MPESA_BASE_URL: &str = "MPESA_BASE_URL";

pub(crate) const GATEWAY: super::GatewayProvider = super::GatewayProvider {
    provider: Provider::Mpesa,
    api_key_var: MPESA_API_KEY,
    base_url_var: MPESA_BASE_URL,
    check_key: super::any_key,
    settings: &[MPESA_CONSUMER_KEY, MPESA_SHORTCODE, MPESA_PASSKEY],
    optional: &[
        MPESA_TILL,
        MPESA_B2C_SHORTCODE,
        MPESA_B2C_INITIATOR,
        MPESA_B2C_SECURITY_CREDENTIAL,
        MPESA_PAYOUT_KEY,
    ],
    callback_var: Some(MPESA_CALLBACK),
    #[cfg(feature = "providers")]
    build: |inputs| {
        use ajo_adapters::mpesa::{B2cConfig, MpesaConfig, MpesaGateway, StkTarget};
        use secrecy::ExposeSecret;

        use super::GatewayBuildError;
        let text = |var| -> Result<String, GatewayBuildError> {
            Ok(inputs.setting(var)?.expose_secret().to_owned())
        };
        let (secret, base) = inputs
            .callback
            .clone()
            .ok_or(GatewayBuildError::Missing(MPESA_CALLBACK))?;
        let callback = CallbackSecret::new(Provider::Mpesa, secret)?;
        let mut config = MpesaConfig::new(
            text(MPESA_CONSUMER_KEY)?,
            inputs.key.clone(),
            text(MPESA_SHORTCODE)?,
            inputs.setting(MPESA_PASSKEY)?,
            callback,
            base,
        );
        if inputs.settings.contains_key(MPESA_TILL) {
            config = config.with_target(StkTarget::Till(text(MPESA_TILL)?));
        }
        let b2c = [
            MPESA_B2C_SHORTCODE,
            MPESA_B2C_INITIATOR,
            MPESA_B2C_SECURITY_CREDENTIAL,
            MPESA_PAYOUT_KEY,
        ];
        match b2c
            .iter()
            .filter(|v| inputs.settings.contains_key(*v))
            .count()
        {
            0 => {}
            4 => {
                let key = CallbackSecret::new(Provider::Mpesa, inputs.setting(MPESA_PAYOUT_KEY)?)?;
                config = config.with_b2c(B2cConfig::new(
                    text(MPESA_B2C_SHORTCODE)?,
                    text(MPESA_B2C_INITIATOR)?,
                    inputs.setting(MPESA_B2C_SECURITY_CREDENTIAL)?,
                    key,
                ));
            }
            _ => {
                return Err(GatewayBuildError::Together(
                    "MPESA_B2C_SHORTCODE, MPESA_B2C_INITIATOR, MPESA_B2C_SECURITY_CREDENTIAL and MPESA_PAYOUT_KEY",
                )
                .into());
            }
        }
        if let Some(http) = inputs.http {
            config = config.with_http(http);
        }
        Ok(Arc::new(MpesaGateway::new(config)?))
    },
};
