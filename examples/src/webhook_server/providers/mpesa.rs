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
        ];
        match b2c
            .iter()
            .filter(|v| inputs.settings.contains_key(*v))
            .count()
        {
            0 => {}
            3 => {
                config = config.with_b2c(B2cConfig::new(
                    text(MPESA_B2C_SHORTCODE)?,
                    text(MPESA_B2C_INITIATOR)?,
                    inputs.setting(MPESA_B2C_SECURITY_CREDENTIAL)?,
                ));
            }
            _ => {
                return Err(GatewayBuildError::Together(
                    "MPESA_B2C_SHORTCODE, MPESA_B2C_INITIATOR and MPESA_B2C_SECURITY_CREDENTIAL",
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
