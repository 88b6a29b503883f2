//! SendGrid event parsing of arbitrary bodies, each signed correctly with a test P-256
//! key so the parser meets the fuzzer's input head on.
#![no_main]

use std::sync::OnceLock;

use ajo_core::webhook::SendGridVerifier;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};

fn sendgrid() -> &'static (SigningKey, SendGridVerifier) {
    static KEYS: OnceLock<(SigningKey, SendGridVerifier)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap_or_else(|e| panic!("{e}"));
        // SubjectPublicKeyInfo for a P-256 key: the fixed algorithm header, then the
        // uncompressed point.
        let mut der = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200")
            .unwrap_or_else(|e| panic!("{e}"));
        der.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
        let verifier =
            SendGridVerifier::new([STANDARD.encode(&der)]).unwrap_or_else(|e| panic!("{e}"));
        (key, verifier)
    })
}

fuzz_target!(|body: &[u8]| {
    let now = Utc
        .timestamp_opt(1_795_348_800, 0)
        .single()
        .unwrap_or_default();
    let t = now.timestamp().to_string();
    let (key, verifier) = sendgrid();
    let mut payload = t.as_bytes().to_vec();
    payload.extend_from_slice(body);
    let signature: DerSignature = key.sign(&payload);
    let sendgrid = STANDARD.encode(signature.as_bytes());
    let headers = [
        ("X-Twilio-Email-Event-Webhook-Signature", sendgrid.as_str()),
        ("X-Twilio-Email-Event-Webhook-Timestamp", t.as_str()),
    ];
    let result = verifier.verify_and_parse(&headers, body, now);
    assert!(
        !matches!(result, Err(ref e) if e.is_rejected_request()),
        "{result:?}"
    );
});
