//! Every webhook verifier against arbitrary headers and bodies: hostile input is a typed
//! error (or, vanishingly unlikely, a verified event), never a panic.
#![no_main]

use ajo_core::webhook::{
    FlutterwaveVerifier, PaystackVerifier, SendGridVerifier, StripeVerifier, TwilioVerifier,
};
use arbitrary::Arbitrary;
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

// The official SendGrid test key (sendgrid-nodejs), so the key parsing path is real.
const SENDGRID_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";

#[derive(Debug, Arbitrary)]
struct Request<'a> {
    headers: Vec<(&'a str, &'a [u8])>,
    body: &'a [u8],
    url: &'a str,
    now_s: i32,
}

fuzz_target!(|request: Request<'_>| {
    let secret = || vec![SecretString::from("sk_test_fuzz")];
    let now = Utc
        .timestamp_opt(1_700_000_000 + i64::from(request.now_s), 0)
        .single()
        .unwrap_or_default();
    let headers = request.headers.as_slice();
    let body = request.body;
    if let Ok(v) = PaystackVerifier::new(secret()) {
        let _ = v.verify_and_parse(headers, body);
    }
    if let Ok(v) = FlutterwaveVerifier::new(secret()) {
        // Signature only (the default), then with the legacy `verif-hash` path enabled.
        let _ = v.verify_and_parse(headers, body);
        let _ = v.with_verif_hash().verify_and_parse(headers, body);
    }
    if let Ok(v) = StripeVerifier::new(secret()) {
        let _ = v.verify_and_parse(headers, body, now);
    }
    if let Ok(v) = TwilioVerifier::new(secret()) {
        let _ = v.verify_and_parse(request.url, headers, body);
    }
    if let Ok(v) = SendGridVerifier::new([SENDGRID_KEY]) {
        let _ = v.verify_and_parse(headers, body, now);
    }
});
