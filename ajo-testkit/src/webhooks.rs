//! A fake-gateway payment as the signed webhook a provider would send for it, so a host
//! can test its own webhook route end to end: verification, parsing and the service.
//!
//! [`FakeGateway::pay`](crate::fakes::FakeGateway::pay) returns the parsed
//! [`GatewayEvent`] a verifier would give; these functions go one step back and give the
//! HTTP request itself ([`SignedWebhook`]: headers and raw body), signed with the secret
//! the host configured, as each provider signs it:
//!
//! | provider | function | signature |
//! | --- | --- | --- |
//! | Paystack | [`paystack`] | `x-paystack-signature`: HMAC-SHA512 of the body, hex |
//! | Stripe | [`stripe`] | `Stripe-Signature: t=…,v1=…`: HMAC-SHA256 of `"{t}.{body}"`, hex |
//! | Flutterwave | [`flutterwave`] | `flutterwave-signature`: HMAC-SHA256 of the body, base64; and `verif-hash` |
//!
//! Only successful charges are rendered (what `pay` returns): for any other kind of
//! event each function returns `None`.
//!
//! ```
//! use ajo_core::money::{Currency, Money};
//! use ajo_core::webhook::{GatewayEvent, PaymentEventKind, PaystackVerifier, Provider, WebhookOutcome};
//! use ajo_testkit::webhooks;
//! use secrecy::SecretString;
//!
//! let amount = Money::parse("5000", Currency::NGN)?;
//! let paid = GatewayEvent::new(Provider::Paystack, PaymentEventKind::ChargeSucceeded, "g1-r1-h1", amount);
//! let request = webhooks::paystack(&paid, "sk_test_host").ok_or("a charge")?;
//!
//! let verifier = PaystackVerifier::new(vec![SecretString::from("sk_test_host")])?;
//! let WebhookOutcome::Payment(event) = verifier.verify_and_parse(&request.headers, &request.body)? else {
//!     return Err("a payment".into());
//! };
//! assert_eq!((event.reference(), event.amount()), ("g1-r1-h1", amount));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use ajo_core::webhook::{GatewayEvent, PaymentEventKind};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};

/// A webhook request as a provider sends it: its headers and its raw body, to post to a
/// host's route (or hand to a verifier) unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedWebhook {
    /// The headers, names in the provider's own case (header names are case-insensitive).
    pub headers: Vec<(String, String)>,
    /// The raw body, exactly as signed.
    pub body: Vec<u8>,
}

/// The charge's id at the provider: the event's own, else a number made from the
/// reference, so the same payment always gets the same id (and the same idempotency key).
fn charge_id(event: &GatewayEvent) -> String {
    if let Some(id) = event
        .transaction_id()
        .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
    {
        return id.to_owned();
    }
    // FNV-1a: stable across runs and machines, unlike the standard library's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in event.reference().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % 1_000_000_000).to_string()
}

/// `text` as a JSON string, quotes included.
fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn succeeded(event: &GatewayEvent) -> bool {
    event.kind() == PaymentEventKind::ChargeSucceeded
}

fn hmac_sha256(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return Vec::new();
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Paystack's `charge.success` for `event`, signed with `secret_key` (the account's
/// secret key, which Paystack signs webhooks with). `None` unless the event is a
/// successful charge.
pub fn paystack(event: &GatewayEvent, secret_key: &str) -> Option<SignedWebhook> {
    if !succeeded(event) {
        return None;
    }
    let amount = event.amount();
    let body = format!(
        r#"{{"event":"charge.success","data":{{"id":{id},"status":"success","reference":{reference},"amount":{minor},"currency":{currency},"paid_at":"{paid_at}","channel":"card"}}}}"#,
        id = charge_id(event),
        reference = json_string(event.reference()),
        minor = amount.minor(),
        currency = json_string(amount.currency().code()),
        paid_at = paid_at(event),
    )
    .into_bytes();
    let mut mac = Hmac::<Sha512>::new_from_slice(secret_key.as_bytes()).ok()?;
    mac.update(&body);
    let signature = hex::encode(mac.finalize().into_bytes());
    Some(SignedWebhook {
        headers: vec![
            ("x-paystack-signature".into(), signature),
            ("content-type".into(), "application/json".into()),
        ],
        body,
    })
}

/// Stripe's `payment_intent.succeeded` for `event`, signed with `signing_secret` (the
/// endpoint's `whsec_…`) at `at`: Stripe's verifier accepts it within its tolerance of
/// that time, so pass the host's clock. `None` unless the event is a successful charge.
pub fn stripe(
    event: &GatewayEvent,
    signing_secret: &str,
    at: DateTime<Utc>,
) -> Option<SignedWebhook> {
    if !succeeded(event) {
        return None;
    }
    let amount = event.amount();
    let id = charge_id(event);
    let timestamp = at.timestamp();
    let body = format!(
        r#"{{"id":"evt_{id}","object":"event","created":{timestamp},"livemode":false,"type":"payment_intent.succeeded","data":{{"object":{{"id":"pi_{id}","object":"payment_intent","amount":{minor},"amount_received":{minor},"currency":{currency},"status":"succeeded","metadata":{{"ajo_reference":{reference}}}}}}}}}"#,
        minor = amount.minor(),
        currency = json_string(&amount.currency().code().to_ascii_lowercase()),
        reference = json_string(event.reference()),
    )
    .into_bytes();
    let v1 = hex::encode(hmac_sha256(
        signing_secret,
        &[format!("{timestamp}.").as_bytes(), &body],
    ));
    Some(SignedWebhook {
        headers: vec![
            ("Stripe-Signature".into(), format!("t={timestamp},v1={v1}")),
            ("content-type".into(), "application/json".into()),
        ],
        body,
    })
}

/// Flutterwave's `charge.completed` (status `successful`) for `event`, with both of
/// Flutterwave's proofs under `secret_hash` (the dashboard's secret hash): the signed
/// `flutterwave-signature` and the static `verif-hash`. `None` unless the event is a
/// successful charge. Amounts are in major units, as Flutterwave writes them.
pub fn flutterwave(event: &GatewayEvent, secret_hash: &str) -> Option<SignedWebhook> {
    if !succeeded(event) {
        return None;
    }
    let amount = event.amount();
    let body = format!(
        r#"{{"event":"charge.completed","data":{{"id":{id},"tx_ref":{reference},"flw_ref":"AjoTestkit/{id}","amount":{major},"charged_amount":{major},"currency":{currency},"status":"successful","payment_type":"card","created_at":"{created_at}"}}}}"#,
        id = charge_id(event),
        reference = json_string(event.reference()),
        major = amount.amount(),
        currency = json_string(amount.currency().code()),
        created_at = paid_at(event),
    )
    .into_bytes();
    let signature = BASE64.encode(hmac_sha256(secret_hash, &[&body]));
    Some(SignedWebhook {
        headers: vec![
            ("flutterwave-signature".into(), signature),
            ("verif-hash".into(), secret_hash.to_owned()),
            ("content-type".into(), "application/json".into()),
        ],
        body,
    })
}

/// When the event says it happened, else a fixed time: the body must not depend on
/// when the test runs.
fn paid_at(event: &GatewayEvent) -> String {
    event
        .occurred_at()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}
