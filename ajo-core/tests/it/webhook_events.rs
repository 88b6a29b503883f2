//! The providers' documented payloads, signed with test secrets, read into ajo's events and
//! snapshotted; and every way a verified payload can still be refused.

use ajo_core::money::{Currency, MoneyError};
use ajo_core::webhook::{
    Authentication, DeliveryStatus, FlutterwaveVerifier, PaymentEventKind, PaystackVerifier,
    SendGridVerifier, StripeVerifier, TwilioVerifier, WebhookError, WebhookOutcome,
};
use chrono::{DateTime, Utc};

use crate::webhook_support::{
    flutterwave_sign, paystack_sign, secret, sendgrid_key, sendgrid_sign, stripe_header,
    twilio_sign, variant,
};

const PAYSTACK_KEY: &str = "sk_test_fixture_key";
const FLUTTERWAVE_HASH: &str = "fixture-secret-hash";
const STRIPE_SECRET: &str = "whsec_fixture_secret";
const TWILIO_TOKEN: &str = "fixture_auth_token";
const TWILIO_URL: &str = "https://ajo.example.com/hooks/twilio/sms-status?ajo_message_id=n-0042";

fn fixtures(provider: &str) -> Vec<(String, Vec<u8>)> {
    let dir = format!(
        "{}/tests/data/webhooks/{provider}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{dir}");
    files
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn paystack(body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
    let v = PaystackVerifier::new(vec![secret(PAYSTACK_KEY)]).unwrap();
    let sig = paystack_sign(PAYSTACK_KEY, body);
    v.verify_and_parse(&[("x-paystack-signature", sig.as_str())], body)
}

fn flutterwave(body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
    let v = FlutterwaveVerifier::new(vec![secret(FLUTTERWAVE_HASH)])
        .unwrap()
        .with_verif_hash();
    let sig = flutterwave_sign(FLUTTERWAVE_HASH, body);
    let signed = v.verify_and_parse(&[("flutterwave-signature", sig.as_str())], body);
    let legacy = v.verify_and_parse(&[("verif-hash", FLUTTERWAVE_HASH)], body);
    // Both schemes read the same event; only how it was proven differs.
    let legacy = legacy.map(|outcome| match outcome {
        WebhookOutcome::Payment(event) => {
            assert_eq!(event.authentication(), Authentication::StaticToken);
            WebhookOutcome::Payment(event.with_authentication(Authentication::Signature))
        }
        other => other,
    });
    assert_eq!(signed, legacy, "both schemes read the same event");
    signed
}

fn stripe(body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
    let v = StripeVerifier::new(vec![secret(STRIPE_SECRET)]).unwrap();
    let header = stripe_header(STRIPE_SECRET, 1_700_000_000, body);
    v.verify_and_parse(&[("Stripe-Signature", header)], body, at(1_700_000_060))
}

fn sendgrid(body: &[u8]) -> Result<Vec<WebhookOutcome>, WebhookError> {
    let (signing, public) = sendgrid_key();
    let v = SendGridVerifier::new([public]).unwrap();
    let ts = "1700000020";
    let sig = sendgrid_sign(&signing, ts, body);
    let headers = [
        ("X-Twilio-Email-Event-Webhook-Signature", sig.as_str()),
        ("X-Twilio-Email-Event-Webhook-Timestamp", ts),
    ];
    v.verify_and_parse(&headers, body, at(1_700_000_030))
}

fn twilio(body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
    let v = TwilioVerifier::new(vec![secret(TWILIO_TOKEN)]).unwrap();
    let text = std::str::from_utf8(body).unwrap();
    let decoded: Vec<(String, String)> = text
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_owned(), v.replace("%2B", "+"))
        })
        .collect();
    let pairs: Vec<(&str, &str)> = decoded
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sig = twilio_sign(TWILIO_TOKEN, TWILIO_URL, &pairs);
    v.verify_and_parse(TWILIO_URL, &[("X-Twilio-Signature", sig)], body)
}

#[test]
fn paystack_fixtures() {
    for (name, body) in fixtures("paystack") {
        let outcome = paystack(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_json_snapshot!(format!("paystack__{name}"), outcome);
    }
}

#[test]
fn flutterwave_fixtures() {
    for (name, body) in fixtures("flutterwave") {
        let outcome = flutterwave(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_json_snapshot!(format!("flutterwave__{name}"), outcome);
    }
}

#[test]
fn stripe_fixtures() {
    for (name, body) in fixtures("stripe") {
        let outcome = stripe(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_json_snapshot!(format!("stripe__{name}"), outcome);
    }
}

#[test]
fn sendgrid_fixtures() {
    for (name, body) in fixtures("sendgrid") {
        let outcomes = sendgrid(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_json_snapshot!(format!("sendgrid__{name}"), outcomes);
    }
}

#[test]
fn twilio_fixtures() {
    for (name, body) in fixtures("twilio") {
        let outcome = twilio(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_json_snapshot!(format!("twilio__{name}"), outcome);
    }
}

fn payment(outcome: WebhookOutcome) -> ajo_core::webhook::GatewayEvent {
    match outcome {
        WebhookOutcome::Payment(e) => e,
        other => panic!("not a payment: {other:?}"),
    }
}

#[test]
fn amounts_are_exact_in_each_providers_units() {
    // Paystack: kobo.
    let e = payment(paystack(&fixtures("paystack")[1].1).unwrap());
    assert_eq!(e.kind(), PaymentEventKind::ChargeSucceeded);
    assert_eq!(e.amount().to_string(), "100.00 NGN");
    // Flutterwave: major units, with decimals.
    let mpesa = std::fs::read(format!(
        "{}/tests/data/webhooks/flutterwave/charge-failed-mpesa.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let e = payment(flutterwave(&mpesa).unwrap());
    assert_eq!(e.kind(), PaymentEventKind::ChargeFailed);
    assert_eq!(e.amount().minor(), 150_050);
    assert_eq!(e.amount().currency(), Currency::KES);
    // Stripe: cents, and whole yen for a zero-decimal currency.
    let e = payment(stripe(br#"{"id":"evt_1","type":"payment_intent.succeeded","created":1,"data":{"object":{"id":"pi_1","amount":1999,"currency":"usd"}}}"#).unwrap());
    assert_eq!(e.amount().to_string(), "19.99 USD");
    let e = payment(stripe(br#"{"id":"evt_1","type":"payment_intent.succeeded","created":1,"data":{"object":{"id":"pi_1","amount":1999,"currency":"jpy"}}}"#).unwrap());
    assert_eq!(e.amount().to_string(), "1999 JPY");
}

#[test]
fn idempotency_keys_follow_the_documented_forms() {
    let key = |o: &WebhookOutcome| o.idempotency_key().unwrap().as_str().to_owned();
    let body = br#"{"event":"transfer.success","data":{"reference":"p-1","amount":5,"currency":"NGN","status":"success"}}"#;
    assert_eq!(
        key(&paystack(body).unwrap()),
        "paystack:p-1:payout_succeeded"
    );
    let body = br#"{"event":"charge.completed","data":{"tx_ref":"c-1","amount":5,"currency":"NGN","status":"successful"}}"#;
    assert_eq!(
        key(&flutterwave(body).unwrap()),
        "flutterwave:c-1:charge_succeeded"
    );
    let body = br#"{"id":"evt_9","type":"payout.paid","created":1,"data":{"object":{"id":"po_9","amount":5,"currency":"usd"}}}"#;
    assert_eq!(key(&stripe(body).unwrap()), "stripe:po_9:payout_succeeded");
    // One refund in refund.created and then refund.updated: one key.
    let created = br#"{"id":"evt_a","type":"refund.created","created":1,"data":{"object":{"id":"re_1","amount":5,"currency":"usd","status":"succeeded"}}}"#;
    let updated = br#"{"id":"evt_b","type":"refund.updated","created":2,"data":{"object":{"id":"re_1","amount":5,"currency":"usd","status":"succeeded"}}}"#;
    assert_eq!(
        key(&stripe(created).unwrap()),
        key(&stripe(updated).unwrap())
    );
    // Two partial reversals of one transfer: two keys.
    let first = br#"{"id":"evt_c","type":"transfer.reversed","created":1,"data":{"object":{"id":"tr_1","amount":1000,"amount_reversed":400,"currency":"usd"}}}"#;
    let second = br#"{"id":"evt_d","type":"transfer.reversed","created":2,"data":{"object":{"id":"tr_1","amount":1000,"amount_reversed":1000,"currency":"usd"}}}"#;
    assert_ne!(key(&stripe(first).unwrap()), key(&stripe(second).unwrap()));
    let outcomes = sendgrid(&fixtures("sendgrid")[1].1).unwrap();
    assert_eq!(key(&outcomes[0]), "sendgrid:ZGVsaXZlcmVkLTAtMTQ");
    let body = b"[{\"event\":\"dropped\",\"sg_message_id\":\"m1.filter\"}]";
    assert_eq!(key(&sendgrid(body).unwrap()[0]), "sendgrid:m1:dropped");
    let body = b"MessageSid=SM1&MessageStatus=delivered";
    assert_eq!(key(&twilio(body).unwrap()), "twilio:SM1:delivered");
}

#[test]
fn our_message_id_travels_in_custom_args_and_the_callback_url() {
    let outcomes = sendgrid(&fixtures("sendgrid")[1].1).unwrap();
    let WebhookOutcome::Delivery(first) = &outcomes[0] else {
        panic!()
    };
    assert_eq!(first.message_id(), Some("n-0001"));
    assert_eq!(first.provider_message_id(), "14c5d75ce93");
    let WebhookOutcome::Delivery(sms) =
        twilio(b"MessageSid=SM1&MessageStatus=failed&ErrorCode=30007").unwrap()
    else {
        panic!()
    };
    assert_eq!(sms.message_id(), Some("n-0042"));
    assert_eq!(sms.status(), DeliveryStatus::Failed);
    assert_eq!(sms.reason(), Some("30007"));
}

fn reason_of<T: std::fmt::Debug>(result: Result<T, WebhookError>) -> (&'static str, String) {
    let err = result.unwrap_err();
    (variant(&err), err.to_string())
}

#[test]
fn malformed_payloads_are_typed_errors_after_a_good_signature() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("not JSON", b"not json", "invalid JSON"),
        ("truncated", br#"{"event":"charge.success","data":{"#, "truncated JSON"),
        ("no data", br#"{"event":"charge.success"}"#, "unexpected shape"),
        ("not UTF-8", b"\xff\xfe", "not UTF-8"),
        ("no reference", br#"{"event":"charge.success","data":{"amount":1,"currency":"NGN"}}"#, "unexpected shape"),
        ("empty reference", br#"{"event":"charge.success","data":{"reference":"","amount":1,"currency":"NGN"}}"#, "data.reference is empty"),
        ("fractional kobo", br#"{"event":"charge.success","data":{"reference":"r","amount":1.5,"currency":"NGN"}}"#, "minor units"),
        ("float amount", br#"{"event":"charge.success","data":{"reference":"r","amount":1e3,"currency":"NGN"}}"#, "minor units"),
        ("negative", br#"{"event":"charge.success","data":{"reference":"r","amount":-100,"currency":"NGN"}}"#, "minor units"),
        ("bad time", br#"{"event":"charge.success","data":{"reference":"r","amount":1,"currency":"NGN","paid_at":"soon"}}"#, "RFC 3339"),
        ("contradiction", br#"{"event":"transfer.success","data":{"reference":"r","amount":1,"currency":"NGN","status":"failed"}}"#, "contradicts"),
    ];
    for (what, body, needle) in cases {
        let (v, text) = reason_of(paystack(body));
        assert_eq!(v, "MalformedPayload", "{what}: {text}");
        assert!(text.contains(needle), "{what}: {text}");
    }
    let (v, _) = reason_of(flutterwave(br#"{"event":"charge.completed","data":{"tx_ref":"r","amount":"ten","currency":"NGN","status":"successful"}}"#));
    assert_eq!(v, "MalformedPayload");
    let (v, _) = reason_of(stripe(br#"{"id":"evt","type":"payout.paid","created":1}"#));
    assert_eq!(v, "MalformedPayload");
    let (v, _) = reason_of(sendgrid(br#"{"event":"delivered"}"#));
    assert_eq!(v, "MalformedPayload");
    let (v, text) = reason_of(sendgrid(br#"[{"event":"delivered","sg_event_id":"e"}]"#));
    assert_eq!(v, "MalformedPayload");
    assert!(text.contains("sg_message_id"), "{text}");
    let (v, _) = reason_of(twilio(b"MessageStatus=delivered&AccountSid=AC1"));
    assert_eq!(v, "MalformedPayload");
}

#[test]
fn amounts_a_currency_cannot_hold_and_unknown_currencies_are_invalid_amounts() {
    let invalid = |r: Result<WebhookOutcome, WebhookError>| match r {
        Err(WebhookError::InvalidAmount { source, .. }) => source,
        other => panic!("{other:?}"),
    };
    // Flutterwave sends major units: 26.875 naira has a third decimal.
    let source = invalid(flutterwave(br#"{"event":"transfer.completed","data":{"reference":"r","amount":26.875,"currency":"NGN","status":"SUCCESSFUL"}}"#));
    assert!(matches!(
        source,
        MoneyError::TooManyDecimals { max: 2, got: 3, .. }
    ));
    let source = invalid(flutterwave(br#"{"event":"charge.completed","data":{"tx_ref":"r","amount":100.5,"currency":"UGX","status":"successful"}}"#));
    assert!(matches!(source, MoneyError::TooManyDecimals { max: 0, .. }));
    let source = invalid(paystack(
        br#"{"event":"charge.success","data":{"reference":"r","amount":100,"currency":"XYZ"}}"#,
    ));
    assert!(matches!(source, MoneyError::UnknownCurrency { .. }));
    let source = invalid(stripe(br#"{"id":"e","type":"payout.paid","created":1,"data":{"object":{"id":"po","amount":1,"currency":"isk"}}}"#));
    assert!(matches!(source, MoneyError::UnknownCurrency { .. }));
    let huge = format!(
        r#"{{"event":"charge.success","data":{{"reference":"r","amount":{},"currency":"NGN"}}}}"#,
        "9".repeat(35)
    );
    let source = invalid(paystack(huge.as_bytes()));
    assert!(matches!(source, MoneyError::Overflow { .. }));
}

#[test]
fn unknown_events_and_intermediate_statuses_are_ignored_not_errors() {
    let ignored = |r: Result<WebhookOutcome, WebhookError>| match r.unwrap() {
        WebhookOutcome::Ignored(i) => i.event_type().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        ignored(paystack(br#"{"event":"subscription.create","data":{}}"#)),
        "subscription.create"
    );
    assert_eq!(
        ignored(paystack(
            br#"{"event":"refund.pending","data":{"anything":1}}"#
        )),
        "refund.pending"
    );
    assert_eq!(
        ignored(flutterwave(br#"{"event":"transfer.completed","data":{"reference":"r","amount":1,"currency":"NGN","status":"PENDING"}}"#)),
        "transfer.completed (PENDING)"
    );
    assert_eq!(
        ignored(stripe(
            br#"{"id":"e","type":"customer.created","created":1,"data":{"object":{}}}"#
        )),
        "customer.created"
    );
    assert_eq!(
        ignored(twilio(b"MessageSid=SM1&MessageStatus=queued")),
        "queued"
    );
    assert_eq!(ignored(twilio(b"From=%2B1&Body=hi")), "(no MessageStatus)");
    // An ignored event still needs a good signature.
    let v = PaystackVerifier::new(vec![secret(PAYSTACK_KEY)]).unwrap();
    let body = br#"{"event":"subscription.create","data":{}}"#;
    let forged = paystack_sign("sk_test_other", body);
    assert!(matches!(
        v.verify_and_parse(&[("x-paystack-signature", forged)], body),
        Err(WebhookError::BadSignature { .. })
    ));
    // Twilio JSON webhooks (bodySHA256) are verified, then ignored: no status callback is JSON.
    let v = TwilioVerifier::new(vec![secret("12345")]).unwrap();
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    let outcome = v
        .verify_and_parse(
            url,
            &[("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4=")],
            br#"{"property": "value", "boolean": true}"#,
        )
        .unwrap();
    assert!(matches!(outcome, WebhookOutcome::Ignored(_)));
}
