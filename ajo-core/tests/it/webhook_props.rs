//! Properties of verification: one changed byte anywhere that is signed makes a valid
//! request invalid, and no input, however hostile, makes a verifier panic.

use ajo_core::webhook::{
    FlutterwaveVerifier, PaystackVerifier, SendGridVerifier, StripeVerifier, TwilioVerifier,
    WebhookError,
};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use crate::webhook_support::{
    Request, Vector, flutterwave_sign, form_encode, paystack_sign, secret, sendgrid_key,
    sendgrid_sign, stripe_header, twilio_sign, vectors,
};

/// The header that carries each scheme's signature.
fn signature_header(scheme: &str) -> &'static str {
    match scheme {
        "x-paystack-signature" => "x-paystack-signature",
        "verif-hash" => "verif-hash",
        "flutterwave-signature" => "flutterwave-signature",
        "stripe-signature-v1" => "Stripe-Signature",
        "x-twilio-signature-form" | "x-twilio-signature-json" => "X-Twilio-Signature",
        "ecdsa-p256-sha256" => "X-Twilio-Email-Event-Webhook-Signature",
        other => panic!("{other}"),
    }
}

fn valid(filter: impl Fn(&Vector) -> bool) -> Vec<Vector> {
    let all: Vec<Vector> = vectors()
        .into_iter()
        .filter(|v| v.expected_valid && filter(v))
        .collect();
    assert!(!all.is_empty());
    all
}

/// Valid cases whose whole body is covered by the signature. Not Flutterwave's `verif-hash`
/// (it signs nothing) nor Twilio form bodies (Twilio signs the decoded fields, so `+` and
/// `%20` are one byte apart and mean the same): those are covered by the URL and field
/// properties instead.
fn body_signed() -> Vec<Vector> {
    valid(|v| v.scheme != "verif-hash" && v.scheme != "x-twilio-signature-form")
}

/// Valid cases with exactly one signature in the header (a second, wrong `v1` may be
/// changed freely, by design).
fn single_signature() -> Vec<Vector> {
    valid(|v| {
        let h = v.headers.get(signature_header(&v.scheme)).unwrap();
        h.as_str().unwrap().matches("v1=").count() <= 1 && !h.as_str().unwrap().contains("v0=")
    })
}

fn flip(bytes: &mut [u8], at: &Index, mask: u8) {
    let i = at.index(bytes.len());
    bytes[i] ^= mask;
}

fn header_mut<'r>(request: &'r mut Request, name: &str) -> &'r mut Vec<u8> {
    &mut request
        .headers
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .unwrap()
        .1
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn flipping_any_body_byte_invalidates(case in any::<Index>(), at in any::<Index>(), mask in 1u8..=255) {
        let cases = body_signed();
        let v = case.get(&cases);
        let mut request = v.request();
        prop_assert_eq!(v.verify(&request), Ok(()));
        flip(&mut request.body, &at, mask);
        prop_assert!(v.verify(&request).is_err(), "{}", v.case);
    }

    #[test]
    fn flipping_any_signature_byte_invalidates(case in any::<Index>(), at in any::<Index>(), mask in 1u8..=255) {
        let cases = single_signature();
        let v = case.get(&cases);
        let mut request = v.request();
        prop_assert_eq!(v.verify(&request), Ok(()));
        flip(header_mut(&mut request, signature_header(&v.scheme)), &at, mask);
        prop_assert!(v.verify(&request).is_err(), "{}", v.case);
    }

    #[test]
    fn flipping_any_timestamp_byte_invalidates(case in any::<Index>(), at in any::<Index>(), mask in 1u8..=255) {
        let cases = valid(|v| v.provider == "stripe" || v.provider == "sendgrid");
        let v = case.get(&cases);
        let mut request = v.request();
        prop_assert_eq!(v.verify(&request), Ok(()));
        if v.provider == "stripe" {
            // The digits of `t=`, which is the first item of every valid Stripe vector.
            let header = header_mut(&mut request, "Stripe-Signature");
            let end = header.iter().position(|b| *b == b',').unwrap();
            flip(&mut header[2..end], &at, mask);
        } else {
            flip(header_mut(&mut request, "X-Twilio-Email-Event-Webhook-Timestamp"), &at, mask);
        }
        prop_assert!(v.verify(&request).is_err(), "{}", v.case);
    }

    #[test]
    fn flipping_any_twilio_url_byte_invalidates(case in any::<Index>(), at in any::<Index>(), mask in 1u8..=255) {
        // URLs given with a port are checked with it stripped, as Twilio's SDKs do, so a
        // changed port digit is not detected there; every port-less URL byte is signed.
        let cases = valid(|v| v.provider == "twilio" && !v.url.as_deref().unwrap().contains(".com:"));
        let v = case.get(&cases);
        let mut request = v.request();
        prop_assert_eq!(v.verify(&request), Ok(()));
        let mut url = request.url.clone().into_bytes();
        flip(&mut url, &at, mask);
        request.url = String::from_utf8_lossy(&url).into_owned();
        prop_assert!(v.verify(&request).is_err(), "{}", v.case);
    }

    #[test]
    fn changing_any_twilio_field_value_invalidates(case in any::<Index>(), field in any::<Index>(), extra in "[a-z0-9+]{1,3}") {
        let cases = valid(|v| v.scheme == "x-twilio-signature-form");
        let v = case.get(&cases);
        let mut changed = v.clone();
        let params = changed.params.as_mut().unwrap();
        let value = match params {
            Value::Object(map) => {
                let key = field.get(&map.keys().cloned().collect::<Vec<_>>()).clone();
                map.get_mut(&key).unwrap()
            }
            Value::Array(list) => {
                let i = field.index(list.len());
                &mut list[i][1]
            }
            _ => unreachable!(),
        };
        *value = Value::String(format!("{}{extra}", value.as_str().unwrap()));
        prop_assert!(changed.verify(&changed.request()).is_err(), "{}", v.case);
    }
}

fn hostile_headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let names = prop::sample::select(vec![
        "x-paystack-signature",
        "verif-hash",
        "flutterwave-signature",
        "stripe-signature",
        "x-twilio-signature",
        "x-twilio-email-event-webhook-signature",
        "x-twilio-email-event-webhook-timestamp",
        "content-type",
    ]);
    let value = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "[ -~]{0,300}".prop_map(String::into_bytes),
        "t=[0-9]{0,14}(,v[01]=[0-9a-f]{0,70}){0,4}".prop_map(String::into_bytes),
        "[A-Za-z0-9+/=]{0,120}".prop_map(String::into_bytes),
    ];
    prop::collection::vec((names.prop_map(str::to_owned), value), 0..5)
}

fn verifiers() -> (
    PaystackVerifier,
    FlutterwaveVerifier,
    StripeVerifier,
    TwilioVerifier,
    SendGridVerifier,
) {
    (
        PaystackVerifier::new(vec![secret("sk_test_a"), secret("sk_test_b")]).unwrap(),
        FlutterwaveVerifier::new(vec![secret("hash")]).unwrap(),
        StripeVerifier::new(vec![secret("whsec_a")]).unwrap(),
        TwilioVerifier::new(vec![secret("token")]).unwrap(),
        SendGridVerifier::new([sendgrid_key().1])
            .unwrap()
            .with_tolerance(300)
            .unwrap(),
    )
}

/// JSON shaped like the providers' payloads, with field names they use and values of
/// every type, to reach the parsers behind a good signature.
fn payload_json() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "event",
        "data",
        "object",
        "type",
        "id",
        "created",
        "reference",
        "tx_ref",
        "transaction_reference",
        "refund_reference",
        "amount",
        "amount_received",
        "amount_reversed",
        "currency",
        "status",
        "paid_at",
        "created_at",
        "updatedAt",
        "transferred_at",
        "metadata",
        "ajo_reference",
        "last_payment_error",
        "sg_event_id",
        "sg_message_id",
        "timestamp",
        "ajo_message_id",
        "reason",
        "flw_ref",
        "refund_amount",
        "resolution",
        "transaction",
        "payment_intent",
        "charge",
        "amount_refunded",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "-?[0-9]{1,40}(\\.[0-9]{1,5})?"
            .prop_map(|t| serde_json::from_str(&t).unwrap_or(Value::Null)),
        prop::sample::select(vec![
            "charge.success",
            "transfer.success",
            "transfer.failed",
            "transfer.reversed",
            "refund.processed",
            "refund.failed",
            "charge.dispute.create",
            "charge.dispute.resolve",
            "merchant-accepted",
            "declined",
            "charge.completed",
            "transfer.completed",
            "successful",
            "failed",
            "SUCCESSFUL",
            "FAILED",
            "payment_intent.succeeded",
            "payout.paid",
            "refund.updated",
            "charge.refunded",
            "charge.dispute.closed",
            "charge.dispute.funds_withdrawn",
            "won",
            "lost",
            "succeeded",
            "transfer.reversed",
            "delivered",
            "bounce",
            "dropped",
            "NGN",
            "usd",
            "jpy",
            "XYZ",
            "2016-09-30T21:10:19.000Z",
            "",
            "1.5",
        ])
        .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone().prop_map(str::to_owned), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn twilio_fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop::sample::select(vec![
        "MessageSid",
        "SmsSid",
        "MessageStatus",
        "ErrorCode",
        "To",
        "From",
        "AccountSid",
    ]);
    let value = prop_oneof![
        prop::sample::select(vec![
            "delivered",
            "undelivered",
            "failed",
            "sent",
            "SM1",
            ""
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
    ];
    prop::collection::vec((name.prop_map(str::to_owned), value), 0..6)
}

fn not_rejected<T>(r: Result<T, WebhookError>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        prop_assert!(!e.is_rejected_request() && !e.is_configuration(), "{e}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn verification_never_panics_on_hostile_requests(
        headers in hostile_headers(),
        body in prop::collection::vec(any::<u8>(), 0..600),
        url in prop_oneof!["\\PC{0,80}", "https?://[a-z.:@\\[\\]0-9]{0,20}(/[ -~]{0,40})?"],
        now in any::<i64>(),
    ) {
        let (paystack, flutterwave, stripe, twilio, sendgrid) = verifiers();
        let now = chrono::DateTime::from_timestamp(now % 200_000_000_000, 0).unwrap_or_default();
        // Any result will do; none may panic, and none may be accepted without the secret.
        prop_assert!(paystack.verify_and_parse(&headers, &body).is_err());
        prop_assert!(stripe.verify_and_parse(&headers, &body, now).is_err());
        prop_assert!(twilio.verify_and_parse(&url, &headers, &body).is_err());
        prop_assert!(sendgrid.verify_and_parse(&headers, &body, now).is_err());
        // Without `verif-hash` enabled, nothing short of the signature gets in; with it, a
        // hostile value could in principle equal the short test hash, so any result will do.
        prop_assert!(flutterwave.verify_and_parse(&headers, &body).is_err());
        let _ = flutterwave.with_verif_hash().verify_and_parse(&headers, &body);
    }

    #[test]
    fn parsing_never_panics_behind_a_good_signature(value in payload_json(), raw in prop::collection::vec(any::<u8>(), 0..200), use_raw in any::<bool>()) {
        let body = if use_raw { raw } else { serde_json::to_vec(&value).unwrap() };
        let (paystack, flutterwave, stripe, twilio, sendgrid) = verifiers();

        let sig = paystack_sign("sk_test_b", &body);
        not_rejected(paystack.verify_and_parse(&[("x-paystack-signature", sig)], &body))?;

        let sig = flutterwave_sign("hash", &body);
        not_rejected(flutterwave.verify_and_parse(&[("flutterwave-signature", sig)], &body))?;

        let header = stripe_header("whsec_a", 1_700_000_000, &body);
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        not_rejected(stripe.verify_and_parse(&[("stripe-signature", header)], &body, now))?;

        let (key, _) = sendgrid_key();
        let sig = sendgrid_sign(&key, "1700000000", &body);
        let headers = [
            ("x-twilio-email-event-webhook-signature", sig),
            ("x-twilio-email-event-webhook-timestamp", "1700000000".to_owned()),
        ];
        not_rejected(sendgrid.verify_and_parse(&headers, &body, now))?;

        // Twilio's form bodies are below.
        let _ = twilio;
    }

    #[test]
    fn twilio_parsing_never_panics_behind_a_good_signature(fields in twilio_fields(), query in "(ajo_message_id=\\PC{0,12})?") {
        let (_, _, _, twilio, _) = verifiers();
        let url = format!("https://h.example/cb?{}", form_encode(&query).replace("%3D", "="));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let sig = twilio_sign("token", &url, &pairs);
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        not_rejected(twilio.verify_and_parse(&url, &[("x-twilio-signature", sig)], body.as_bytes()))?;
    }
}

fn callback_secret(provider: ajo_core::webhook::Provider) -> ajo_core::webhook::CallbackSecret {
    ajo_core::webhook::CallbackSecret::new(
        provider,
        secrecy::SecretString::from("props-callback-secret-0123456789abcdef"),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// M-Pesa and MTN MoMo sign nothing: the URL's token is all that lets a callback in.
    /// Any URL without it is refused whatever the body; at the token URL no body panics
    /// or is refused as unauthenticated, and every event it yields must be confirmed.
    #[test]
    fn unsigned_callbacks_get_in_by_the_token_alone_and_never_panic(
        value in payload_json(),
        raw in prop::collection::vec(any::<u8>(), 0..300),
        use_raw in any::<bool>(),
        path in "[ -~]{0,60}",
        reference in "[ -~]{1,40}",
    ) {
        use ajo_core::webhook::{MomoVerifier, MpesaVerifier, Provider, WebhookOutcome};
        let body = if use_raw { raw } else { serde_json::to_vec(&value).unwrap() };
        let mpesa_secret = callback_secret(Provider::Mpesa);
        let momo_secret = callback_secret(Provider::MtnMomo);
        let mpesa = MpesaVerifier::new(vec![mpesa_secret.clone()]).unwrap();
        let momo = MomoVerifier::new(vec![momo_secret.clone()]).unwrap();
        let guessed = format!("https://h/webhooks/{path}");
        prop_assume!(!guessed.contains(&mpesa_secret.path_token()));
        prop_assume!(!guessed.contains(&momo_secret.path_token()));
        prop_assert!(mpesa.verify_and_parse(&guessed, &body).unwrap_err().is_rejected_request());
        prop_assert!(momo.verify_and_parse(&guessed, &body).unwrap_err().is_rejected_request());
        let at = |secret: &ajo_core::webhook::CallbackSecret| secret.callback_url("https://h/x", &reference);
        for outcome in [
            mpesa.verify_and_parse(&at(&mpesa_secret), &body),
            momo.verify_and_parse(&at(&momo_secret), &body),
        ] {
            match outcome {
                Ok(WebhookOutcome::Payment(event)) => {
                    prop_assert!(event.authentication().is_unsigned_callback());
                }
                Ok(_) => {}
                Err(e) => prop_assert!(!e.is_rejected_request() && !e.is_configuration(), "{e}"),
            }
        }
    }
}
