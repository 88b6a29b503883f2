//! Webhook security: prove a request came from the provider, over the exact bytes received,
//! then read it as a provider-neutral event.
//!
//! A forged, altered or replayed webhook must never move money. Every verifier here takes
//! the raw body (`&[u8]`, never re-serialised JSON) and the request's headers, checks the
//! provider's signature in constant time against each configured secret, and only then
//! parses the payload.
//!
//! # When to use what
//!
//! | provider | verifier | scheme | replay defence |
//! | --- | --- | --- | --- |
//! | Paystack | [`PaystackVerifier`] | HMAC-SHA512 of the body, hex, `x-paystack-signature` | none in the scheme: de-duplicate on the idempotency key |
//! | Flutterwave | [`FlutterwaveVerifier`] | HMAC-SHA256 of the body, base64, `flutterwave-signature`; the static `verif-hash` only after [`with_verif_hash`](FlutterwaveVerifier::with_verif_hash), its events marked [`Authentication::StaticToken`] | none: de-duplicate; confirm `verif-hash` events with the gateway |
//! | Stripe | [`StripeVerifier`] | HMAC-SHA256 of `"{t}.{body}"`, `Stripe-Signature: t=…,v1=…` | signed timestamp within ±300 s of `now` |
//! | Twilio (SMS) | [`TwilioVerifier`] | HMAC-SHA1 of URL + sorted form fields, base64, `X-Twilio-Signature`; `bodySHA256` for JSON | none: de-duplicate |
//! | SendGrid (email) | [`SendGridVerifier`] | ECDSA P-256 over timestamp + body | optional window on the signed timestamp |
//! | M-Pesa (Daraja) | [`MpesaVerifier`] | none: the callback URL ends with a token from the deployment's [`CallbackSecret`]; B2C results also carry a tag of the payout's reference | none: de-duplicate; the service confirms every outcome ([`Authentication::CallbackToken`]) |
//! | MTN MoMo | [`MomoVerifier`] | none: the callback URL ends with the token | none: de-duplicate; the service confirms with `GET` status |
//!
//! - Build each verifier once, at start-up, from configuration ([`secrecy::SecretString`]s,
//!   several during a key rotation); it is cheap to call and can be shared between threads.
//!   An empty list or an empty secret is [`WebhookError::SecretMissing`]: there is no default.
//! - On each request call `verify_and_parse` with the headers ([`Headers`]) and the raw body.
//!   [`WebhookOutcome::Payment`] and [`WebhookOutcome::Delivery`] carry a
//!   [`GatewayEvent`]/[`DeliveryEvent`]; [`WebhookOutcome::Ignored`] is an authentic event
//!   ajo does not act on (answer `200`).
//! - To serve several providers with one handler, use the [`WebhookVerifier`] trait that
//!   every verifier implements: it takes one [`WebhookRequest`] (URL, headers, raw body,
//!   time received) and returns a `Vec` of outcomes (SendGrid batches events). A
//!   [`WebhookRegistry`] holds one verifier per provider, found by the name in the route
//!   (`/webhooks/{provider}`). The trait calls the same `verify_and_parse`, so the checks
//!   are identical either way.
//! - Each provider's currencies are declared once, as its [`Rail`] ([`rails`]): the
//!   adapter's API client takes only those, and an event in any other is
//!   [`WebhookError::UnsupportedCurrency`].
//! - De-duplicate on [`WebhookOutcome::idempotency_key`] before giving value: providers
//!   retry, and Paystack, Flutterwave and Twilio sign no timestamp, so a captured request
//!   can be replayed. For payments, also check the amount and currency against what you
//!   expected (and re-query the gateway where its notes advise it). Always re-query for a
//!   [`GatewayEvent`] whose [`authentication`](GatewayEvent::authentication) is
//!   [`Authentication::StaticToken`]: it proves only that the sender knew a token that
//!   travels in clear with every delivery.
//! - [`WebhookError::is_rejected_request`] errors mean "not proven authentic": answer
//!   `401` and do nothing. Errors never contain secrets, expected signatures, header values
//!   or bodies, so they can be logged.
//!
//! ```
//! use ajo_core::webhook::{PaymentEventKind, PaystackVerifier, WebhookOutcome};
//! use hmac::{Hmac, Mac};
//! use secrecy::SecretString;
//! use sha2::Sha512;
//!
//! let verifier = PaystackVerifier::new(vec![SecretString::from("sk_test_xyz")])?;
//!
//! // What Paystack would send (here signed by hand, as Paystack does).
//! let body = br#"{"event":"charge.success","data":{"id":302961,"reference":"g1-r1-ada","amount":2000000,"currency":"NGN","paid_at":"2026-11-01T10:00:00.000Z"}}"#;
//! let mut mac = Hmac::<Sha512>::new_from_slice(b"sk_test_xyz")?;
//! mac.update(body);
//! let signature = hex::encode(mac.finalize().into_bytes());
//! let headers = [("X-Paystack-Signature", signature.as_str())];
//!
//! let WebhookOutcome::Payment(event) = verifier.verify_and_parse(&headers, body)? else {
//!     panic!("a charge.success is a payment");
//! };
//! assert_eq!(event.kind(), PaymentEventKind::ChargeSucceeded);
//! assert_eq!(event.reference(), "g1-r1-ada");
//! assert_eq!(event.amount().human().to_string(), "₦20,000.00");
//! assert_eq!(event.transaction_id(), Some("302961"));
//! assert_eq!(event.idempotency_key().as_str(), "paystack:g1-r1-ada:charge_succeeded:302961");
//!
//! // One altered byte and it is refused.
//! let mut forged = body.to_vec();
//! forged[80] ^= 1;
//! assert!(verifier.verify_and_parse(&headers, &forged).unwrap_err().is_rejected_request());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authentication;
mod callback;
mod delivery;
mod error;
mod event;
mod flutterwave;
mod headers;
mod momo;
mod mpesa;
mod payload;
mod paystack;
mod rail;
mod registry;
mod secret;
mod sendgrid;
mod stripe;
mod twilio;
mod verifier;

use std::fmt;

use serde::Serialize;

pub use authentication::Authentication;
pub use callback::{CallbackSecret, REFERENCE_PARAM};
pub use delivery::{Channel, DeliveryEvent, DeliveryStatus};
pub use error::WebhookError;
pub use event::{
    AmountBasis, GatewayEvent, IdempotencyKey, Ignored, MAX_ID_LEN, MAX_REASON_LEN,
    PaymentEventKind, WebhookOutcome,
};
pub use flutterwave::FlutterwaveVerifier;
pub use headers::Headers;
pub use momo::{MomoVerifier, momo_reference_id};
pub use mpesa::{B2C_TAG as MPESA_B2C_TAG, MpesaVerifier, STATUS_PARAM as MPESA_STATUS_PARAM};
pub use paystack::PaystackVerifier;
pub use rail::Rail;
pub use registry::WebhookRegistry;
pub use secret::MAX_SECRETS;
pub use sendgrid::SendGridVerifier;
pub use stripe::StripeVerifier;
pub use twilio::TwilioVerifier;
pub use verifier::{Acknowledgement, WebhookRequest, WebhookVerifier};

/// Each provider's [`Rail`], declared once in the provider's own module and read by both
/// its webhook parser and its API client in ajo-adapters.
pub mod rails {
    pub use super::flutterwave::RAIL as FLUTTERWAVE;
    pub use super::momo::RAIL as MTN_MOMO;
    pub use super::mpesa::RAIL as MPESA;
    pub use super::paystack::RAIL as PAYSTACK;
    pub use super::sendgrid::RAIL as SENDGRID;
    pub use super::stripe::RAIL as STRIPE;
    pub use super::twilio::RAIL as TWILIO;

    /// Every rail ajo-core declares, for checks that must cover them all.
    pub const ALL: [super::Rail; 7] = [
        PAYSTACK,
        FLUTTERWAVE,
        STRIPE,
        TWILIO,
        SENDGRID,
        MPESA,
        MTN_MOMO,
    ];
}

/// The largest body a verifier accepts unless told otherwise: 1 MiB. Larger bodies are
/// refused before any hashing ([`WebhookError::BodyTooLarge`]).
pub const DEFAULT_MAX_BODY_LEN: usize = 1 << 20;

/// A provider that sends webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Provider {
    /// Paystack (payments).
    Paystack,
    /// Flutterwave (payments).
    Flutterwave,
    /// Stripe (payments).
    Stripe,
    /// Twilio Programmable Messaging (SMS).
    Twilio,
    /// Twilio SendGrid (email).
    SendGrid,
    /// Safaricom M-Pesa, through Daraja (payments; callbacks unsigned).
    Mpesa,
    /// MTN Mobile Money, through the MoMo Open API (payments; callbacks unsigned).
    #[serde(rename = "mtn-momo")]
    MtnMomo,
}

impl Provider {
    /// The lowercase name, as used in idempotency keys and logs (`paystack`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Provider::Paystack => "paystack",
            Provider::Flutterwave => "flutterwave",
            Provider::Stripe => "stripe",
            Provider::Twilio => "twilio",
            Provider::SendGrid => "sendgrid",
            Provider::Mpesa => "mpesa",
            Provider::MtnMomo => "mtn-momo",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Refuses a body over `max` bytes before any work is done on it.
fn check_body_len(provider: Provider, body: &[u8], max: usize) -> Result<(), WebhookError> {
    if body.len() > max {
        return Err(WebhookError::BodyTooLarge {
            provider,
            len: body.len(),
            max,
        });
    }
    Ok(())
}

/// Checks a body limit given at configuration.
fn checked_max_body_len(provider: Provider, max: usize) -> Result<usize, WebhookError> {
    if max == 0 {
        return Err(WebhookError::InvalidConfig {
            provider,
            reason: "the body limit must be above zero",
        });
    }
    Ok(max)
}
