//! The real adapters from ajo-adapters, built from [`Config`]: compiled only with the
//! `providers` feature, so that `--no-default-features` builds without reqwest.

use std::sync::Arc;

use ajo_adapters::http::HttpConfig;
use ajo_adapters::sendgrid::{SendGrid, SendGridConfig};
use ajo_adapters::twilio::{Twilio, TwilioConfig, TwilioSender};
use ajo_core::ports::{EmailSender, PaymentGateway, SmsSender};
use ajo_core::webhook::Provider;

use super::wiring::WiringError;
use super::{Config, providers};

/// The gateway for `provider`, whose API key `config` holds, built by the provider's own
/// module; `None` when it holds none (or `provider` is not a payment provider).
pub(super) fn payment_gateway(
    config: &Config,
    provider: Provider,
) -> Result<Option<Arc<dyn PaymentGateway>>, WiringError> {
    let Some(key) = config.gateway_api_key(provider).cloned() else {
        return Ok(None);
    };
    let Some(gateway) = providers::gateway(provider) else {
        return Ok(None);
    };
    let http = config.base_url(provider).map(HttpConfig::new);
    let empty = std::collections::BTreeMap::new();
    let settings = config.gateway_settings(provider).unwrap_or(&empty);
    let callback = gateway.callback_var.and_then(|var| {
        let secret = settings.get(var)?.clone();
        let route = ajo_core::webhook::WebhookRegistry::path(provider.as_str());
        Some((secret, format!("{}{route}", config.public_url()?)))
    });
    let inputs = providers::GatewayInputs {
        key,
        http,
        settings,
        callback,
    };
    let adapter = (gateway.build)(inputs).map_err(|source| WiringError::Adapter {
        provider: provider.as_str(),
        source,
    })?;
    Ok(Some(adapter))
}

/// SendGrid, when `config` holds its API key and from address.
pub(super) fn email_sender(config: &Config) -> Result<Option<Arc<dyn EmailSender>>, WiringError> {
    let Some((key, from, name)) = config.sendgrid_sender() else {
        return Ok(None);
    };
    let mut settings = SendGridConfig::new(key.clone(), from);
    if let Some(name) = name {
        settings = settings.from_name(name);
    }
    if let Some(url) = config.base_url(Provider::SendGrid) {
        settings = settings.with_http(HttpConfig::new(url));
    }
    let sender = SendGrid::new(settings).map_err(|e| WiringError::Adapter {
        provider: Provider::SendGrid.as_str(),
        source: e.into(),
    })?;
    Ok(Some(Arc::new(sender)))
}

/// Twilio, when `config` holds its account SID, auth token and sender; delivery reports
/// go to this server's `/webhooks/twilio` at the public URL.
pub(super) fn sms_sender(config: &Config) -> Result<Option<Arc<dyn SmsSender>>, WiringError> {
    let Some((account_sid, token, from)) = config.twilio_sender() else {
        return Ok(None);
    };
    let sender = if is_messaging_service(from) {
        TwilioSender::MessagingService(from.to_owned())
    } else {
        TwilioSender::From(from.to_owned())
    };
    let mut settings = TwilioConfig::new(account_sid, token.clone(), sender);
    if let Some(url) = config.twilio_status_callback() {
        settings = settings.status_callback(url);
    }
    if let Some(url) = config.base_url(Provider::Twilio) {
        settings = settings.with_http(HttpConfig::new(url));
    }
    let sender = Twilio::new(settings).map_err(|e| WiringError::Adapter {
        provider: Provider::Twilio.as_str(),
        source: e.into(),
    })?;
    Ok(Some(Arc::new(sender)))
}

/// Whether `from` has the shape of a messaging service SID (`MG` and 32 hex digits):
/// anything else, `MGroup` say, is a number or an alphanumeric sender id.
fn is_messaging_service(from: &str) -> bool {
    from.strip_prefix("MG")
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mg_and_32_hex_digits_is_a_messaging_service() {
        assert!(is_messaging_service("MG0123456789abcdef0123456789ABCDEF"));
        for sender in [
            "MGroup",
            "+15017122661",
            "Ajo",
            "MG0123",
            "MG0123456789abcdef0123456789abcdeg",
        ] {
            assert!(!is_messaging_service(sender), "{sender}");
        }
    }
}
