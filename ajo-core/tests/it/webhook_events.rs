//! The providers' documented payloads, signed with test secrets, read into ajo's events and
//! snapshotted; and every way a verified payload can still be refused.

use ajo_core::money::{Currency, MoneyError};
use ajo_core::webhook::{
    AmountBasis, Authentication, DeliveryStatus, FlutterwaveVerifier, GatewayEvent, IdempotencyKey,
    PaymentEventKind, PaystackVerifier, Provider, SendGridVerifier, StripeVerifier, TwilioVerifier,
    WebhookError, WebhookOutcome,
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

fn fixture(provider: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/webhooks/{provider}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
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
    let e = payment(paystack(&fixture("paystack", "charge-success.json")).unwrap());
    assert_eq!(e.kind(), PaymentEventKind::ChargeSucceeded);
    assert_eq!(e.amount().to_string(), "100.00 NGN");
    // Flutterwave: major units, with decimals.
    let e = payment(flutterwave(&fixture("flutterwave", "charge-failed-mpesa.json")).unwrap());
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

fn key_of(outcome: &WebhookOutcome) -> String {
    outcome.idempotency_key().unwrap().as_str().to_owned()
}

#[test]
fn flutterwave_keys_tell_a_second_transaction_on_one_tx_ref_apart() {
    let charge = |id: u64| {
        format!(
            r#"{{"event":"charge.completed","data":{{"id":{id},"tx_ref":"g1-r1-ada","amount":100,"currency":"NGN","status":"successful"}}}}"#
        )
    };
    let first = flutterwave(charge(285_959_875).as_bytes()).unwrap();
    assert_eq!(
        key_of(&first),
        "flutterwave:g1-r1-ada:charge_succeeded:285959875"
    );
    // The same transaction delivered again: the same key.
    assert_eq!(
        key_of(&flutterwave(charge(285_959_875).as_bytes()).unwrap()),
        key_of(&first)
    );
    // Another transaction on the same tx_ref (the payer paid twice): another key.
    assert_ne!(
        key_of(&flutterwave(charge(285_959_876).as_bytes()).unwrap()),
        key_of(&first)
    );
    assert_eq!(payment(first).transaction_id(), Some("285959875"));
    let e =
        payment(flutterwave(&fixture("flutterwave", "transfer-completed-failed.json")).unwrap());
    assert!(
        e.idempotency_key()
            .as_str()
            .ends_with(&format!(":{}", e.transaction_id().unwrap()))
    );
}

#[test]
fn paystack_keys_include_the_transaction_id() {
    let charge = |id: u64| {
        format!(
            r#"{{"event":"charge.success","data":{{"id":{id},"reference":"g1-r1-ada","amount":100,"currency":"NGN","status":"success"}}}}"#
        )
    };
    let first = paystack(charge(302_961).as_bytes()).unwrap();
    assert_eq!(key_of(&first), "paystack:g1-r1-ada:charge_succeeded:302961");
    assert_eq!(
        key_of(&paystack(charge(302_961).as_bytes()).unwrap()),
        key_of(&first)
    );
    assert_ne!(
        key_of(&paystack(charge(302_962).as_bytes()).unwrap()),
        key_of(&first)
    );
    let e = payment(paystack(&fixture("paystack", "transfer-success.json")).unwrap());
    assert_eq!(e.transaction_id(), Some("860703114"));
    assert_eq!(e.provider_reference(), Some("TRF_v5tip3zx8nna9o78"));
    assert!(
        e.idempotency_key()
            .as_str()
            .ends_with(":payout_succeeded:860703114")
    );
}

#[test]
fn every_charge_and_payout_carries_the_providers_transaction_id() {
    let cases: &[(&str, &str, &str)] = &[
        ("paystack", "charge-success.json", "302961"),
        ("paystack", "transfer-failed.json", "24740009"),
        ("flutterwave", "charge-completed.json", "285959875"),
        (
            "stripe",
            "payment-intent-succeeded.json",
            "pi_3NabcSucceeded",
        ),
        ("stripe", "payout-paid.json", "po_1NabcPaid"),
        ("stripe", "transfer-reversed.json", "tr_1NabcTransfer"),
    ];
    for (provider, name, id) in cases {
        let body = fixture(provider, name);
        let outcome = match *provider {
            "paystack" => paystack(&body),
            "flutterwave" => flutterwave(&body),
            _ => stripe(&body),
        };
        let e = payment(outcome.unwrap());
        assert_eq!(e.transaction_id(), Some(*id), "{provider}/{name}");
    }
}

/// What a refund or dispute fixture must read as.
struct Expected {
    kind: PaymentEventKind,
    reference: &'static str,
    transaction_id: Option<&'static str>,
    object_id: &'static str,
    minor: i128,
}

fn expected(
    kind: PaymentEventKind,
    reference: &'static str,
    transaction_id: Option<&'static str>,
    object_id: &'static str,
    minor: i128,
) -> Expected {
    Expected {
        kind,
        reference,
        transaction_id,
        object_id,
        minor,
    }
}

#[test]
fn refunds_and_disputes_are_payments_about_the_original_collection() {
    use PaymentEventKind::*;
    let pi = Some("pi_3NabcSucceeded");
    // A Stripe dispute carries no ajo reference: the PaymentIntent stands in for it.
    let dispute = |kind| expected(kind, "pi_3NabcSucceeded", pi, "dp_1NabcDispute", 2_000);
    let cases = [
        (
            "paystack",
            "refund-processed.json",
            expected(
                RefundProcessed,
                "T2154954_412829_3be32076_6lcg3",
                None,
                "132013318360",
                5_000,
            ),
        ),
        (
            "paystack",
            "refund-failed.json",
            expected(
                RefundFailed,
                "T9171231_412325_3be2736c_n6tml",
                None,
                "TRF_9vgfawjnoz58uxy",
                20_000,
            ),
        ),
        (
            "paystack",
            "charge-dispute-create.json",
            expected(
                DisputeOpened,
                "v3mjfgbnc19v97x",
                Some("896467688"),
                "358950",
                5_800,
            ),
        ),
        (
            "paystack",
            "charge-dispute-resolve.json",
            expected(
                DisputeLost,
                "5qm4pv2mxs9rltp",
                Some("896467592"),
                "358949",
                5_700,
            ),
        ),
        (
            "stripe",
            "charge-refunded-partial.json",
            expected(RefundProcessed, "g1-r3-ada", pi, "ch_3NabcSucceeded", 500),
        ),
        (
            "stripe",
            "refund-updated-succeeded.json",
            expected(
                RefundProcessed,
                "pi_3NabcSucceeded",
                pi,
                "re_3NabcRefund",
                500,
            ),
        ),
        (
            "stripe",
            "charge-refund-updated-failed.json",
            expected(RefundFailed, "g1-r3-ada", pi, "re_3NabcRefundAjo", 500),
        ),
        (
            "stripe",
            "charge-dispute-created.json",
            dispute(DisputeOpened),
        ),
        (
            "stripe",
            "charge-dispute-funds-withdrawn.json",
            dispute(DisputeFundsWithdrawn),
        ),
        (
            "stripe",
            "charge-dispute-funds-reinstated.json",
            dispute(DisputeFundsReinstated),
        ),
        (
            "stripe",
            "charge-dispute-closed-won.json",
            dispute(DisputeWon),
        ),
        (
            "stripe",
            "charge-dispute-closed-lost.json",
            dispute(DisputeLost),
        ),
    ];
    for (provider, name, want) in cases {
        let body = fixture(provider, name);
        let outcome = if provider == "paystack" {
            paystack(&body)
        } else {
            stripe(&body)
        };
        let e = payment(outcome.unwrap_or_else(|e| panic!("{name}: {e}")));
        assert_eq!(e.kind(), want.kind, "{name}");
        assert_eq!(e.reference(), want.reference, "{name}");
        assert_eq!(e.transaction_id(), want.transaction_id, "{name}");
        assert_eq!(e.provider_reference(), Some(want.object_id), "{name}");
        assert_eq!(e.amount().minor(), want.minor, "{name}");
        // The refund's or dispute's own id is in the key, so another refund or dispute of
        // the same collection is never taken for this one.
        assert!(
            e.idempotency_key().as_str().contains(want.object_id),
            "{name}"
        );
    }
    // Only the steps that move no money stay ignored.
    for name in [
        "refund-pending-ignored.json",
        "refund-needs-attention-ignored.json",
        "charge-dispute-remind-ignored.json",
    ] {
        assert!(
            matches!(
                paystack(&fixture("paystack", name)).unwrap(),
                WebhookOutcome::Ignored(_)
            ),
            "{name}"
        );
    }
    assert!(matches!(
        stripe(&fixture("stripe", "refund-created-pending-ignored.json")).unwrap(),
        WebhookOutcome::Ignored(_)
    ));
}

#[test]
fn two_partial_refunds_of_one_charge_are_two_keys() {
    let paystack_refund = |refund: &str, amount: u32| {
        format!(
            r#"{{"event":"refund.processed","data":{{"status":"processed","transaction_reference":"g1-r1-ada","refund_reference":"{refund}","amount":"{amount}","currency":"NGN"}}}}"#
        )
    };
    let a = paystack(paystack_refund("R1", 5_000).as_bytes()).unwrap();
    let b = paystack(paystack_refund("R2", 5_000).as_bytes()).unwrap();
    assert_eq!(key_of(&a), "paystack:g1-r1-ada:refund_processed:R1");
    assert_ne!(key_of(&a), key_of(&b));
    assert_eq!(
        key_of(&a),
        key_of(&paystack(paystack_refund("R1", 5_000).as_bytes()).unwrap())
    );
    // A refund's own `data.id` wins over its reference; with neither, the amount tells
    // partial refunds apart.
    let with_id = br#"{"event":"refund.processed","data":{"id":"3018284","status":"processed","transaction_reference":"g1-r1-ada","refund_reference":"R1","amount":100,"currency":"NGN"}}"#;
    assert_eq!(
        key_of(&paystack(with_id).unwrap()),
        "paystack:g1-r1-ada:refund_processed:3018284"
    );
    let bare = br#"{"event":"refund.processed","data":{"transaction_reference":"g1-r1-ada","refund_reference":null,"amount":100,"currency":"NGN"}}"#;
    let bare = paystack(bare).unwrap();
    assert_eq!(
        key_of(&bare),
        "paystack:g1-r1-ada:refund_processed:amount-100"
    );
    assert_eq!(payment(bare).provider_reference(), None);

    // Stripe: one key per refund object, whichever events report it.
    let refund = |id: &str, kind: &str| {
        format!(
            r#"{{"id":"evt_{id}_{kind}","type":"{kind}","created":1,"data":{{"object":{{"id":"{id}","object":"refund","amount":500,"currency":"usd","payment_intent":"pi_1","status":"succeeded"}}}}}}"#
        )
    };
    let first = key_of(&stripe(refund("re_1", "refund.updated").as_bytes()).unwrap());
    assert_eq!(first, "stripe:re_1:refund_processed");
    assert_eq!(
        first,
        key_of(&stripe(refund("re_1", "charge.refund.updated").as_bytes()).unwrap())
    );
    assert_eq!(
        first,
        key_of(&stripe(refund("re_1", "refund.created").as_bytes()).unwrap())
    );
    assert_ne!(
        first,
        key_of(&stripe(refund("re_2", "refund.updated").as_bytes()).unwrap())
    );
}

#[test]
fn stripe_running_totals_are_marked_cumulative_and_keyed_by_total() {
    let refunded = |total: u32| {
        format!(
            r#"{{"id":"evt_r{total}","type":"charge.refunded","created":1,"data":{{"object":{{"id":"ch_1","object":"charge","amount":2000,"amount_refunded":{total},"currency":"usd","payment_intent":"pi_1","metadata":{{"ajo_reference":"g1-r3-ada"}}}}}}}}"#
        )
    };
    let first = payment(stripe(refunded(500).as_bytes()).unwrap());
    assert_eq!(first.kind(), PaymentEventKind::RefundProcessed);
    assert_eq!(first.amount_basis(), AmountBasis::Cumulative);
    assert_eq!(first.amount().minor(), 500);
    assert_eq!(first.reference(), "g1-r3-ada");
    assert_eq!(first.transaction_id(), Some("pi_1"));
    assert_eq!(
        first.idempotency_key().as_str(),
        "stripe:ch_1@500:refund_processed"
    );
    // A second partial refund raises the total: a new event, whose amount is the total.
    let second = payment(stripe(refunded(1_200).as_bytes()).unwrap());
    assert_eq!(second.amount().minor(), 1_200);
    assert_ne!(second.idempotency_key(), first.idempotency_key());
    let no_total = br#"{"id":"evt_x","type":"charge.refunded","created":1,"data":{"object":{"id":"ch_1","amount":2000,"currency":"usd"}}}"#;
    assert_eq!(reason_of(stripe(no_total)).0, "MalformedPayload");

    // A transfer reversed in two steps: 400, then all 1000. The amount is the total so far.
    let reversed = |total: u32| {
        format!(
            r#"{{"id":"evt_t{total}","type":"transfer.reversed","created":1,"data":{{"object":{{"id":"tr_1","amount":1000,"amount_reversed":{total},"currency":"usd","metadata":{{"ajo_reference":"g1-r3-payout-ada"}}}}}}}}"#
        )
    };
    let partial = payment(stripe(reversed(400).as_bytes()).unwrap());
    assert_eq!(partial.kind(), PaymentEventKind::PayoutReversed);
    assert_eq!(partial.amount_basis(), AmountBasis::Cumulative);
    assert_eq!(partial.amount().minor(), 400);
    let whole = payment(stripe(reversed(1_000).as_bytes()).unwrap());
    assert_eq!(whole.amount().minor(), 1_000);
    assert_eq!(
        whole.idempotency_key().as_str(),
        "stripe:tr_1@1000:payout_reversed"
    );
    // Everything else is counted per event, Paystack's whole-transfer reversal included.
    let e = payment(paystack(&fixture("paystack", "transfer-reversed.json")).unwrap());
    assert_eq!(e.amount_basis(), AmountBasis::Event);
    let e = payment(stripe(&fixture("stripe", "refund-updated-succeeded.json")).unwrap());
    assert_eq!(e.amount_basis(), AmountBasis::Event);
}

#[test]
fn dispute_outcomes_follow_the_providers_resolution() {
    let resolve = |resolution: &str, refund_amount: &str| {
        format!(
            r#"{{"event":"charge.dispute.resolve","data":{{"id":624,"refund_amount":{refund_amount},"currency":"NGN","status":"resolved","resolution":{resolution},"transaction":{{"id":5991760,"reference":"g1-r2-bola","amount":39100,"currency":"NGN"}},"resolvedAt":"2019-08-28T15:23:31.000Z"}}}}"#
        )
    };
    let lost = payment(paystack(resolve(r#""merchant-accepted""#, "1002").as_bytes()).unwrap());
    assert_eq!(lost.kind(), PaymentEventKind::DisputeLost);
    // A partial acceptance: only the agreed refund leaves.
    assert_eq!(lost.amount().minor(), 1_002);
    assert_eq!(lost.reference(), "g1-r2-bola");
    assert_eq!(lost.transaction_id(), Some("5991760"));
    assert_eq!(
        lost.idempotency_key().as_str(),
        "paystack:g1-r2-bola:dispute_lost:624"
    );
    let won = payment(paystack(resolve(r#""declined""#, "null").as_bytes()).unwrap());
    assert_eq!(won.kind(), PaymentEventKind::DisputeWon);
    assert_eq!(
        won.amount().minor(),
        39_100,
        "no refund amount: the charge's"
    );
    // A resolution that cannot be read, or a loss without its amount, may have moved money:
    // kept for a person, not acknowledged as nothing.
    for (resolution, amount) in [
        (r#""auto-refunded""#, "1002"),
        ("null", "1002"),
        (r#""merchant-accepted""#, "null"),
    ] {
        let (v, _) = reason_of(paystack(resolve(resolution, amount).as_bytes()));
        assert_eq!(v, "MalformedPayload", "{resolution} {amount}");
    }
    let no_reference = br#"{"event":"charge.dispute.create","data":{"id":1,"refund_amount":5,"currency":"NGN","transaction":{"id":2}}}"#;
    assert_eq!(reason_of(paystack(no_reference)).0, "MalformedPayload");

    let closed = |status: &str| {
        format!(
            r#"{{"id":"evt_c","type":"charge.dispute.closed","created":1,"data":{{"object":{{"id":"dp_1","object":"dispute","amount":2000,"charge":"ch_1","payment_intent":null,"currency":"usd","metadata":{{}},"status":"{status}"}}}}}}"#
        )
    };
    let inquiry = payment(stripe(closed("warning_closed").as_bytes()).unwrap());
    assert_eq!(inquiry.kind(), PaymentEventKind::DisputeWon);
    // No PaymentIntent named: the charge is the transaction, and the reference to look up.
    assert_eq!(inquiry.transaction_id(), Some("ch_1"));
    assert_eq!(inquiry.reference(), "ch_1");
    assert_eq!(
        inquiry.idempotency_key().as_str(),
        "stripe:dp_1:dispute_won"
    );
    for status in ["needs_response", "prevented", ""] {
        assert_eq!(
            reason_of(stripe(closed(status).as_bytes())).0,
            "MalformedPayload",
            "{status}"
        );
    }
}

#[test]
fn stripe_refund_statuses_decide_the_kind() {
    let refund = |kind: &str, status: &str| {
        format!(
            r#"{{"id":"evt_1","type":"{kind}","created":1,"data":{{"object":{{"id":"re_1","object":"refund","amount":500,"currency":"usd","charge":{{"id":"ch_1","object":"charge"}},"status":"{status}"}}}}}}"#
        )
    };
    let kind = |kind: &str, status: &str| match stripe(refund(kind, status).as_bytes()).unwrap() {
        WebhookOutcome::Payment(e) => e.kind().as_str().to_owned(),
        WebhookOutcome::Ignored(i) => i.event_type().to_owned(),
        other => panic!("{other:?}"),
    };
    assert_eq!(kind("refund.updated", "succeeded"), "refund_processed");
    assert_eq!(kind("refund.updated", "failed"), "refund_failed");
    assert_eq!(kind("charge.refund.updated", "canceled"), "refund_failed");
    assert_eq!(kind("refund.failed", "failed"), "refund_failed");
    assert_eq!(
        kind("refund.created", "pending"),
        "refund.created (pending)"
    );
    assert_eq!(
        kind("refund.updated", "requires_action"),
        "refund.updated (requires_action)"
    );
    // An expanded charge is read by its id.
    let e = payment(stripe(refund("refund.updated", "succeeded").as_bytes()).unwrap());
    assert_eq!(e.transaction_id(), Some("ch_1"));
}

#[test]
fn hand_built_events_are_keyed_as_the_verifiers_key_theirs() {
    let parsed = payment(flutterwave(&fixture("flutterwave", "charge-completed.json")).unwrap());
    let built = GatewayEvent::new(
        Provider::Flutterwave,
        PaymentEventKind::ChargeSucceeded,
        parsed.reference(),
        parsed.amount(),
    );
    assert_eq!(
        built.idempotency_key().as_str(),
        "flutterwave:Links-616626414629:charge_succeeded"
    );
    let built = built.with_transaction_id("285959875");
    assert_eq!(built.idempotency_key(), parsed.idempotency_key());
    assert_eq!(built.transaction_id(), Some("285959875"));

    let parsed = payment(paystack(&fixture("paystack", "charge-dispute-create.json")).unwrap());
    let built = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::DisputeOpened,
        "v3mjfgbnc19v97x",
        parsed.amount(),
    )
    .with_transaction_id("896467688")
    .with_provider_reference("358950");
    assert_eq!(built.idempotency_key(), parsed.idempotency_key());
    let cumulative = built.clone().with_amount_basis(AmountBasis::Cumulative);
    assert_eq!(cumulative.amount_basis(), AmountBasis::Cumulative);
    assert_eq!(cumulative.idempotency_key(), built.idempotency_key());
    // An event id wins, whatever order the builders run in.
    let with_event = built.with_event_id("evt_9").with_transaction_id("other");
    assert_eq!(with_event.idempotency_key().as_str(), "paystack:evt_9");
}

#[test]
fn keys_stay_unambiguous_and_bounded_whatever_the_ids_hold() {
    // A `:` inside a reference or id is escaped, so it never reads as a separator.
    let body = br#"{"event":"charge.success","data":{"id":"7:charge_succeeded","reference":"a:b%","amount":1,"currency":"NGN"}}"#;
    assert_eq!(
        key_of(&paystack(body).unwrap()),
        "paystack:a%3Ab%25:charge_succeeded:7%3Acharge_succeeded"
    );
    let longest = "r".repeat(ajo_core::webhook::MAX_ID_LEN);
    let body = format!(
        r#"{{"event":"charge.success","data":{{"id":"{longest}","reference":"{longest}","amount":1,"currency":"NGN"}}}}"#
    );
    let key = key_of(&paystack(body.as_bytes()).unwrap());
    assert!(key.len() <= IdempotencyKey::MAX_LEN, "{key}");
    assert!(key.starts_with("paystack:sha256:"), "{key}");
    // Stable for a re-delivery, distinct for another id.
    assert_eq!(key, key_of(&paystack(body.as_bytes()).unwrap()));
    let other = body.replacen(
        &longest,
        &format!("{}s", "r".repeat(ajo_core::webhook::MAX_ID_LEN - 1)),
        1,
    );
    assert_ne!(key, key_of(&paystack(other.as_bytes()).unwrap()));
}
