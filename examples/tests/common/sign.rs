//! Webhook bodies and the headers that sign them, as each provider sends them.

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};

// --- Paystack: HMAC-SHA512 of the raw body, lowercase hex, `x-paystack-signature`.

/// A `charge.success` for `reference`, of `kobo` in naira.
pub(crate) fn paystack_charge(reference: &str, kobo: u64) -> Vec<u8> {
    format!(
        r#"{{"event":"charge.success","data":{{"id":302961,"domain":"test","status":"success","reference":"{reference}","amount":{kobo},"message":null,"gateway_response":"Approved by Financial Institution","paid_at":"2026-01-10T11:00:00.000Z","created_at":"2026-01-10T10:59:40.000Z","channel":"card","currency":"NGN","metadata":0,"fees":null,"customer":{{"id":68324,"email":"ada@example.com","customer_code":"CUS_qo38as2hpsgk2r0"}},"authorization":{{"authorization_code":"AUTH_f5rnfq9p","last4":"8877","brand":"mastercard"}},"plan":{{}}}}}}"#
    )
    .into_bytes()
}

/// Paystack's signature of `body` under `secret`.
pub(crate) fn paystack_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The headers Paystack sends `body` with, signed under `secret`.
pub(crate) fn paystack_headers(secret: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("x-paystack-signature", paystack_signature(secret, body)),
        ("content-type", "application/json".to_owned()),
    ]
}

// --- Stripe: `Stripe-Signature: t=…,v1=…`, HMAC-SHA256 of "{t}.{body}", ±300 s.

/// A `payment_intent.succeeded` event `event_id` (Stripe's event id is the webhook's
/// idempotency key) for `reference`, of `minor` units of naira, created at `created`.
pub(crate) fn stripe_intent(event_id: &str, reference: &str, minor: u64, created: i64) -> Vec<u8> {
    let intent = format!("pi_{}", event_id.trim_start_matches("evt_"));
    format!(
        r#"{{"id":"{event_id}","object":"event","api_version":"2024-06-20","created":{created},"livemode":false,"type":"payment_intent.succeeded","data":{{"object":{{"id":"{intent}","object":"payment_intent","amount":{minor},"amount_received":{minor},"currency":"ngn","status":"succeeded","metadata":{{"ajo_reference":"{reference}"}}}}}},"pending_webhooks":1,"request":{{"id":null,"idempotency_key":null}}}}"#
    )
    .into_bytes()
}

/// The header Stripe sends `body` with at `timestamp`, signed under `secret`.
pub(crate) fn stripe_headers(
    secret: &str,
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let v1 = hex::encode(mac.finalize().into_bytes());
    vec![("Stripe-Signature", format!("t={timestamp},v1={v1}"))]
}
