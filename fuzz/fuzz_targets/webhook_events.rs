//! Event parsing of arbitrary bodies: each body is signed correctly for each provider, so
//! verification passes and the provider's payload parser meets the fuzzer's JSON (and
//! form) head on. SendGrid, whose ECDSA signing is slow, has its own target. Whatever it is, the answer is an event, "ignored" or a typed error.
#![no_main]

use ajo_core::webhook::{
    CallbackSecret, FlutterwaveVerifier, MomoVerifier, MpesaVerifier, PaystackVerifier, Provider,
    StripeVerifier, TwilioVerifier,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use sha1::Sha1;
use sha2::{Sha256, Sha512};

const SECRET: &str = "sk_test_fuzz";
const URL: &str = "https://ajo.example/webhooks/twilio?ajo_message_id=m1";

fn mac<M: Mac + hmac::digest::KeyInit>(parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(SECRET.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fuzz_target!(|body: &[u8]| {
    let secrets = || vec![SecretString::from(SECRET)];
    let now = Utc
        .timestamp_opt(1_795_348_800, 0)
        .single()
        .unwrap_or_default();

    let paystack = hex::encode(mac::<Hmac<Sha512>>(&[body]));
    if let Ok(v) = PaystackVerifier::new(secrets()) {
        let result = v.verify_and_parse(&[("x-paystack-signature", paystack.as_str())], body);
        assert!(
            !matches!(result, Err(ref e) if e.is_rejected_request()),
            "{result:?}"
        );
    }

    let flutterwave = STANDARD.encode(mac::<Hmac<Sha256>>(&[body]));
    if let Ok(v) = FlutterwaveVerifier::new(secrets()) {
        let result = v.verify_and_parse(&[("flutterwave-signature", flutterwave.as_str())], body);
        assert!(
            !matches!(result, Err(ref e) if e.is_rejected_request()),
            "{result:?}"
        );
    }

    let t = now.timestamp().to_string();
    let stripe = format!(
        "t={t},v1={}",
        hex::encode(mac::<Hmac<Sha256>>(&[t.as_bytes(), b".", body]))
    );
    if let Ok(v) = StripeVerifier::new(secrets()) {
        let result = v.verify_and_parse(&[("Stripe-Signature", stripe.as_str())], body, now);
        assert!(
            !matches!(result, Err(ref e) if e.is_rejected_request()),
            "{result:?}"
        );
    }

    // Twilio signs the URL and the form fields sorted by name, then value.
    let mut fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    fields.sort_unstable();
    let mut signed = URL.as_bytes().to_vec();
    for (name, value) in &fields {
        signed.extend_from_slice(name.as_bytes());
        signed.extend_from_slice(value.as_bytes());
    }
    let twilio = STANDARD.encode(mac::<Hmac<Sha1>>(&[&signed]));
    if let Ok(v) = TwilioVerifier::new(secrets()) {
        let _ = v.verify_and_parse(URL, &[("X-Twilio-Signature", twilio.as_str())], body);
    }

    // M-Pesa and MoMo sign nothing: at the token URL every body is read.
    let callback = SecretString::from("fuzz-callback-secret-0123456789abcdef");
    if let Ok(secret) = CallbackSecret::new(Provider::Mpesa, callback.clone())
        && let Ok(v) = MpesaVerifier::new(vec![secret.clone()])
    {
        let url = secret.callback_url("https://ajo.example/webhooks/mpesa", "ajo=ctb=g1=r1=h1");
        let result = v.verify_and_parse(&url, body);
        assert!(
            !matches!(result, Err(ref e) if e.is_rejected_request()),
            "{result:?}"
        );
    }
    if let Ok(secret) = CallbackSecret::new(Provider::MtnMomo, callback)
        && let Ok(v) = MomoVerifier::new(vec![secret.clone()])
    {
        let url = secret.callback_url("https://ajo.example/webhooks/mtn-momo", "ajo=ctb=g1=r1=h1");
        let result = v.verify_and_parse(&url, body);
        assert!(
            !matches!(result, Err(ref e) if e.is_rejected_request()),
            "{result:?}"
        );
    }
});
