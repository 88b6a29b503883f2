//! Verifier behaviour beyond the vectors: configuration errors, key rotation, limits,
//! header handling, replay windows, and that no secret ever shows in output.

use ajo_core::webhook::{
    Authentication, FlutterwaveVerifier, MAX_SECRETS, PaystackVerifier, SendGridVerifier,
    StripeVerifier, TwilioVerifier, WebhookError, WebhookOutcome,
};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::webhook_support::{
    flutterwave_sign, paystack_sign, secret, sendgrid_key, sendgrid_sign, stripe_header,
    twilio_sign, variant,
};

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

const BODY: &[u8] =
    br#"{"event":"charge.success","data":{"reference":"r","amount":100,"currency":"NGN"}}"#;

#[test]
fn no_secret_means_no_verifier() {
    let none = || Vec::<SecretString>::new();
    let empty = || vec![secret("k"), secret("")];
    let missing =
        |r: Result<(), WebhookError>| assert_eq!(variant(&r.unwrap_err()), "SecretMissing");
    missing(PaystackVerifier::new(none()).map(drop));
    missing(PaystackVerifier::new(empty()).map(drop));
    missing(FlutterwaveVerifier::new(none()).map(drop));
    missing(FlutterwaveVerifier::new(empty()).map(drop));
    missing(StripeVerifier::new(none()).map(drop));
    missing(StripeVerifier::new(empty()).map(drop));
    missing(TwilioVerifier::new(none()).map(drop));
    missing(TwilioVerifier::new(empty()).map(drop));
    missing(SendGridVerifier::new(Vec::<String>::new()).map(drop));
    missing(SendGridVerifier::new([sendgrid_key().1, " ".to_owned()]).map(drop));

    let many = || {
        (0..=MAX_SECRETS)
            .map(|i| secret(&format!("k{i}")))
            .collect::<Vec<_>>()
    };
    let too_many =
        |r: Result<(), WebhookError>| assert_eq!(variant(&r.unwrap_err()), "TooManySecrets");
    too_many(PaystackVerifier::new(many()).map(drop));
    too_many(FlutterwaveVerifier::new(many()).map(drop));
    too_many(StripeVerifier::new(many()).map(drop));
    too_many(TwilioVerifier::new(many()).map(drop));
    too_many(SendGridVerifier::new(vec![sendgrid_key().1; MAX_SECRETS + 1]).map(drop));
}

#[test]
fn sendgrid_keys_must_be_p256_spki_in_base64() {
    let invalid = |key: &str| match SendGridVerifier::new([key]) {
        Err(WebhookError::InvalidKey {
            index: 0, reason, ..
        }) => reason,
        other => panic!("{key}: {other:?}"),
    };
    assert_eq!(invalid("not base64!"), "not base64 of at most 512 bytes");
    assert_eq!(invalid(&"A".repeat(800)), "not base64 of at most 512 bytes");
    assert_eq!(
        invalid("AAAA"),
        "not a DER SubjectPublicKeyInfo of a P-256 key"
    );
    // A secp256k1 key (OID 1.3.132.0.10): right shape, wrong curve.
    let k1 = "MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    assert_eq!(invalid(k1), "not a DER SubjectPublicKeyInfo of a P-256 key");
    let (_, good) = sendgrid_key();
    assert!(matches!(
        SendGridVerifier::new([good.as_str(), "AAAA"]),
        Err(WebhookError::InvalidKey { index: 1, .. })
    ));
}

#[test]
fn settings_out_of_range_are_refused() {
    let config =
        |r: Result<(), WebhookError>| assert_eq!(variant(&r.unwrap_err()), "InvalidConfig");
    let stripe = || StripeVerifier::new(vec![secret("whsec")]).unwrap();
    config(stripe().with_tolerance(0).map(drop));
    config(
        stripe()
            .with_tolerance(StripeVerifier::MAX_TOLERANCE_S + 1)
            .map(drop),
    );
    config(stripe().with_max_body_len(0).map(drop));
    let sendgrid = || SendGridVerifier::new([sendgrid_key().1]).unwrap();
    config(sendgrid().with_tolerance(0).map(drop));
    config(
        sendgrid()
            .with_tolerance(SendGridVerifier::MAX_TOLERANCE_S + 1)
            .map(drop),
    );
    config(sendgrid().with_max_body_len(0).map(drop));
    config(
        PaystackVerifier::new(vec![secret("k")])
            .unwrap()
            .with_max_body_len(0)
            .map(drop),
    );
    config(
        FlutterwaveVerifier::new(vec![secret("k")])
            .unwrap()
            .with_max_body_len(0)
            .map(drop),
    );
    config(
        TwilioVerifier::new(vec![secret("k")])
            .unwrap()
            .with_max_body_len(0)
            .map(drop),
    );
}

#[test]
fn any_active_secret_verifies_during_a_rotation() {
    let (old, new, stranger) = ("sk_old", "sk_new", "sk_other");
    let paystack = PaystackVerifier::new(vec![secret(old), secret(new)]).unwrap();
    for key in [old, new] {
        let sig = paystack_sign(key, BODY);
        assert_eq!(
            paystack.verify(&[("x-paystack-signature", sig)], BODY),
            Ok(())
        );
    }
    let sig = paystack_sign(stranger, BODY);
    assert_eq!(
        variant(
            &paystack
                .verify(&[("x-paystack-signature", sig)], BODY)
                .unwrap_err()
        ),
        "BadSignature"
    );

    let flutterwave = FlutterwaveVerifier::new(vec![secret(old), secret(new)])
        .unwrap()
        .with_verif_hash();
    for key in [old, new] {
        let sig = flutterwave_sign(key, BODY);
        assert_eq!(
            flutterwave.verify(&[("flutterwave-signature", sig)], BODY),
            Ok(())
        );
        assert_eq!(flutterwave.verify(&[("verif-hash", key)], BODY), Ok(()));
    }
    assert!(
        flutterwave
            .verify(&[("verif-hash", stranger)], BODY)
            .is_err()
    );

    let stripe = StripeVerifier::new(vec![secret(old), secret(new)]).unwrap();
    for key in [old, new] {
        let header = stripe_header(key, 1_700_000_000, BODY);
        assert_eq!(
            stripe.verify(&[("Stripe-Signature", header)], BODY, at(1_700_000_000)),
            Ok(())
        );
    }
    let header = stripe_header(stranger, 1_700_000_000, BODY);
    assert!(
        stripe
            .verify(&[("Stripe-Signature", header)], BODY, at(1_700_000_000))
            .is_err()
    );

    let twilio = TwilioVerifier::new(vec![secret(old), secret(new)]).unwrap();
    let url = "https://h.example/cb";
    let body = b"MessageSid=SM1&MessageStatus=sent";
    for key in [old, new] {
        let sig = twilio_sign(
            key,
            url,
            &[("MessageSid", "SM1"), ("MessageStatus", "sent")],
        );
        assert_eq!(
            twilio.verify(url, &[("X-Twilio-Signature", sig)], body),
            Ok(())
        );
    }

    let (signing, public) = sendgrid_key();
    let other_key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
    let sendgrid = SendGridVerifier::new([other_key, public.as_str()]).unwrap();
    let sig = sendgrid_sign(&signing, "1700000000", b"[]");
    let headers = [
        ("X-Twilio-Email-Event-Webhook-Signature", sig.as_str()),
        ("X-Twilio-Email-Event-Webhook-Timestamp", "1700000000"),
    ];
    assert_eq!(sendgrid.verify(&headers, b"[]", at(0)), Ok(()));
}

#[test]
fn headers_are_found_in_any_case_and_must_not_repeat() {
    let v = PaystackVerifier::new(vec![secret("k")]).unwrap();
    let sig = paystack_sign("k", BODY);
    assert_eq!(
        v.verify(&[("X-PAYSTACK-SIGNATURE", sig.as_str())], BODY),
        Ok(())
    );
    assert_eq!(
        v.verify(
            &vec![("x-paystack-signature".to_owned(), sig.clone())],
            BODY
        ),
        Ok(())
    );
    let twice = [
        ("x-paystack-signature", sig.as_str()),
        ("X-Paystack-Signature", sig.as_str()),
    ];
    assert_eq!(
        variant(&v.verify(&twice, BODY).unwrap_err()),
        "DuplicateHeader"
    );
    let long = "a".repeat(10_000);
    assert_eq!(
        variant(
            &v.verify(&[("x-paystack-signature", long)], BODY)
                .unwrap_err()
        ),
        "MalformedHeader"
    );
}

#[test]
fn bodies_over_the_limit_are_refused_before_hashing() {
    let big = vec![b'x'; 11];
    let too_large =
        |r: Result<(), WebhookError>| assert_eq!(variant(&r.unwrap_err()), "BodyTooLarge");
    let none: [(&str, &str); 0] = [];
    too_large(
        PaystackVerifier::new(vec![secret("k")])
            .unwrap()
            .with_max_body_len(10)
            .unwrap()
            .verify(&none, &big),
    );
    too_large(
        FlutterwaveVerifier::new(vec![secret("k")])
            .unwrap()
            .with_max_body_len(10)
            .unwrap()
            .verify(&none, &big),
    );
    too_large(
        StripeVerifier::new(vec![secret("k")])
            .unwrap()
            .with_max_body_len(10)
            .unwrap()
            .verify(&none, &big, at(0)),
    );
    too_large(
        TwilioVerifier::new(vec![secret("k")])
            .unwrap()
            .with_max_body_len(10)
            .unwrap()
            .verify("https://h/", &none, &big),
    );
    too_large(
        SendGridVerifier::new([sendgrid_key().1])
            .unwrap()
            .with_max_body_len(10)
            .unwrap()
            .verify(&none, &big, at(0)),
    );
    // The default limit.
    let huge = vec![b'x'; ajo_core::webhook::DEFAULT_MAX_BODY_LEN + 1];
    too_large(
        PaystackVerifier::new(vec![secret("k")])
            .unwrap()
            .verify(&none, &huge),
    );
}

#[test]
fn stripe_window_is_two_sided_and_configurable() {
    let v = StripeVerifier::new(vec![secret("whsec")]).unwrap();
    let t = 1_700_000_000;
    let header = [("Stripe-Signature", stripe_header("whsec", t, BODY))];
    assert_eq!(v.verify(&header, BODY, at(t - 300)), Ok(()));
    assert_eq!(v.verify(&header, BODY, at(t + 300)), Ok(()));
    let outside = |now| match v.verify(&header, BODY, at(now)) {
        Err(WebhookError::OutsideReplayWindow {
            timestamp,
            now: n,
            tolerance_s,
            ..
        }) => (timestamp, n, tolerance_s),
        other => panic!("{other:?}"),
    };
    assert_eq!(outside(t - 301), (t, t - 301, 300), "from the future");
    assert_eq!(outside(t + 301), (t, t + 301, 300), "too old");
    let strict = v.with_tolerance(60).unwrap();
    assert!(strict.verify(&header, BODY, at(t + 61)).is_err());
    assert_eq!(strict.verify(&header, BODY, at(t + 60)), Ok(()));
    // A replay outside the window fails even though the signature is good; a stale forgery
    // is refused without computing any MAC.
    let forged = [("Stripe-Signature", format!("t={t},v1={}", "0".repeat(64)))];
    assert_eq!(
        variant(&strict.verify(&forged, BODY, at(t)).unwrap_err()),
        "BadSignature"
    );
    assert_eq!(
        variant(&strict.verify(&forged, BODY, at(t + 9999)).unwrap_err()),
        "OutsideReplayWindow"
    );
}

#[test]
fn sendgrid_window_is_off_unless_set() {
    let (signing, public) = sendgrid_key();
    let sig = sendgrid_sign(&signing, "1600000000", b"[]");
    let headers = [
        ("X-Twilio-Email-Event-Webhook-Signature", sig.as_str()),
        ("X-Twilio-Email-Event-Webhook-Timestamp", "1600000000"),
    ];
    let v = SendGridVerifier::new([public.as_str()]).unwrap();
    assert_eq!(v.verify(&headers, b"[]", at(1_700_000_000)), Ok(()));
    let windowed = v.with_tolerance(300).unwrap();
    assert_eq!(
        variant(
            &windowed
                .verify(&headers, b"[]", at(1_700_000_000))
                .unwrap_err()
        ),
        "OutsideReplayWindow"
    );
    assert_eq!(windowed.verify(&headers, b"[]", at(1_600_000_299)), Ok(()));
    assert!(windowed.verify(&headers, b"[]", at(1_599_999_600)).is_err());
}

#[test]
fn flutterwave_signature_wins_over_verif_hash() {
    let v = FlutterwaveVerifier::new(vec![secret("hash")])
        .unwrap()
        .with_verif_hash();
    // A wrong signature is not rescued by a correct verif-hash: no downgrade.
    let forged = flutterwave_sign("other", BODY);
    let both = [
        ("flutterwave-signature", forged.as_str()),
        ("verif-hash", "hash"),
    ];
    assert_eq!(variant(&v.verify(&both, BODY).unwrap_err()), "BadSignature");
    let sig = flutterwave_sign("hash", BODY);
    assert_eq!(v.verify(&[("flutterwave-signature", sig)], BODY), Ok(()));
}

const FLUTTERWAVE_CHARGE: &[u8] = br#"{"event":"charge.completed","data":{"id":285959875,"tx_ref":"g1-r1-ada","flw_ref":"AJO/FLW270177170","amount":100,"currency":"NGN","status":"successful","created_at":"2020-07-06T19:17:04.000Z"}}"#;

/// The static `verif-hash` lets anyone who saw one delivery forge the next, so it is off
/// unless the host turns it on; what it lets in says it was a static token.
#[test]
fn flutterwave_verif_hash_is_refused_unless_enabled() {
    let default = FlutterwaveVerifier::new(vec![secret("hash")]).unwrap();
    let only_hash = [("verif-hash", "hash")];
    let refused = default.verify(&only_hash, BODY).unwrap_err();
    assert_eq!(
        refused,
        WebhookError::SchemeNotEnabled {
            provider: ajo_core::webhook::Provider::Flutterwave,
            scheme: "verif-hash",
        }
    );
    assert!(refused.is_rejected_request() && !refused.is_configuration());
    assert!(refused.to_string().contains("not enabled"), "{refused}");
    let parsed = default.verify_and_parse(&only_hash, FLUTTERWAVE_CHARGE);
    assert_eq!(parsed, Err(refused.clone()));
    // A wrong hash is refused the same way: it is never compared.
    assert_eq!(
        default.verify(&[("verif-hash", "guess")], BODY),
        Err(refused)
    );
    // With no header at all, the one scheme it accepts is named.
    let none: [(&str, &str); 0] = [];
    assert_eq!(
        default.verify(&none, BODY),
        Err(WebhookError::MissingHeader {
            provider: ajo_core::webhook::Provider::Flutterwave,
            header: "flutterwave-signature",
        })
    );
    assert!(format!("{default:?}").contains("accept_verif_hash: false"));

    let enabled = default.with_verif_hash();
    assert!(format!("{enabled:?}").contains("accept_verif_hash: true"));
    assert_eq!(enabled.verify(&only_hash, BODY), Ok(()));
    assert_eq!(
        variant(
            &enabled
                .verify(&[("verif-hash", "guess")], BODY)
                .unwrap_err()
        ),
        "BadSignature"
    );
    let WebhookOutcome::Payment(token) = enabled
        .verify_and_parse(&only_hash, FLUTTERWAVE_CHARGE)
        .unwrap()
    else {
        panic!("a successful charge.completed is a payment");
    };
    assert_eq!(token.authentication(), Authentication::StaticToken);
    assert!(token.authentication().is_static_token());
    let sig = flutterwave_sign("hash", FLUTTERWAVE_CHARGE);
    let WebhookOutcome::Payment(signed) = enabled
        .verify_and_parse(&[("flutterwave-signature", sig)], FLUTTERWAVE_CHARGE)
        .unwrap()
    else {
        panic!("a successful charge.completed is a payment");
    };
    assert_eq!(signed.authentication(), Authentication::Signature);
    // The same event otherwise, and the weaker proof shows when it is serialized.
    assert_eq!(
        token.clone().with_authentication(Authentication::Signature),
        signed
    );
    let json = serde_json::to_value(&token).unwrap();
    assert_eq!(json["authentication"], "static_token");
    assert!(
        serde_json::to_value(&signed)
            .unwrap()
            .get("authentication")
            .is_none()
    );
}

#[test]
fn twilio_url_and_body_hash_failures_are_typed() {
    let v = TwilioVerifier::new(vec![secret("12345")]).unwrap();
    let sig = [("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4=")];
    assert_eq!(
        variant(&v.verify("mycompany.com/x", &sig, b"").unwrap_err()),
        "InvalidUrl"
    );
    assert_eq!(
        variant(
            &v.verify("https://h/", &[("X-Twilio-Signature", "not base64")], b"")
                .unwrap_err()
        ),
        "MalformedHeader"
    );
    // Signed URL whose bodySHA256 is not hex at all.
    let url = "https://h.example/cb?bodySHA256=zz";
    let good = twilio_sign("12345", url, &[]);
    assert_eq!(
        variant(
            &v.verify(url, &[("X-Twilio-Signature", good)], b"{}")
                .unwrap_err()
        ),
        "BodyHashMismatch"
    );
}

/// Every verifier and every error it can produce, printed every way, shows no secret and no
/// expected signature.
#[test]
fn no_secret_or_expected_signature_ever_shows() {
    let key = "sk_live_SECRET_paystack_0001";
    let hash = "SECRET-flutterwave-hash";
    let whsec = "whsec_SECRET_stripe";
    let token = "SECRET_twilio_token";
    let secrets = [key, hash, whsec, token];
    let expected = [
        paystack_sign(key, BODY),
        flutterwave_sign(hash, BODY),
        stripe_header(whsec, 1_700_000_000, BODY),
    ];

    let paystack = PaystackVerifier::new(vec![secret(key), secret("sk_live_SECRET_2")]).unwrap();
    let flutterwave = FlutterwaveVerifier::new(vec![secret(hash)])
        .unwrap()
        .with_verif_hash();
    let stripe = StripeVerifier::new(vec![secret(whsec)]).unwrap();
    let twilio = TwilioVerifier::new(vec![secret(token)]).unwrap();
    let sendgrid = SendGridVerifier::new([sendgrid_key().1]).unwrap();

    let mut printed = vec![
        format!("{paystack:?}"),
        format!("{paystack:#?}"),
        format!("{flutterwave:?}"),
        format!("{stripe:?}"),
        format!("{twilio:?}"),
        format!("{sendgrid:?}"),
        format!("{:?}", secret(key)),
    ];
    let none: [(&str, &str); 0] = [];
    let errors: Vec<WebhookError> = vec![
        paystack
            .verify(&[("x-paystack-signature", "0".repeat(128))], BODY)
            .unwrap_err(),
        paystack
            .verify(&[("x-paystack-signature", "zz")], BODY)
            .unwrap_err(),
        paystack.verify(&none, BODY).unwrap_err(),
        flutterwave
            .verify(&[("verif-hash", "SECRET-flutterwave-hasi")], BODY)
            .unwrap_err(),
        flutterwave
            .verify(
                &[("flutterwave-signature", flutterwave_sign("x", BODY))],
                BODY,
            )
            .unwrap_err(),
        stripe
            .verify(
                &[(
                    "Stripe-Signature",
                    stripe_header("whsec_x", 1_700_000_000, BODY),
                )],
                BODY,
                at(1_700_000_000),
            )
            .unwrap_err(),
        stripe
            .verify(&[("Stripe-Signature", "garbage")], BODY, at(0))
            .unwrap_err(),
        stripe
            .verify(
                &[("Stripe-Signature", stripe_header(whsec, 1, BODY))],
                BODY,
                at(1_700_000_000),
            )
            .unwrap_err(),
        twilio
            .verify(
                "https://h/?token=SECRET_twilio_token",
                &[("X-Twilio-Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")],
                BODY,
            )
            .unwrap_err(),
        twilio
            .verify("nope SECRET_twilio_token", &none, BODY)
            .unwrap_err(),
        sendgrid
            .verify(
                &[
                    ("X-Twilio-Email-Event-Webhook-Signature", "MEUCIQ=="),
                    ("X-Twilio-Email-Event-Webhook-Timestamp", "1"),
                ],
                BODY,
                at(0),
            )
            .unwrap_err(),
        PaystackVerifier::new(vec![secret("")]).unwrap_err(),
    ];
    for e in &errors {
        printed.push(format!("{e}"));
        printed.push(format!("{e:?}"));
        printed.push(format!("{}", ajo_core::Error::from(e.clone())));
    }
    assert!(
        printed.iter().any(|p| p.contains("redacted")),
        "{printed:?}"
    );
    for text in &printed {
        for s in secrets {
            assert!(!text.contains(s), "secret in {text}");
            assert!(!text.contains("SECRET"), "secret in {text}");
        }
        for sig in &expected {
            assert!(!text.contains(sig.as_str()), "expected signature in {text}");
        }
    }
}

#[test]
fn verifiers_are_shareable_between_threads() {
    fn shareable<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    shareable::<PaystackVerifier>();
    shareable::<FlutterwaveVerifier>();
    shareable::<StripeVerifier>();
    shareable::<TwilioVerifier>();
    shareable::<SendGridVerifier>();
    shareable::<WebhookError>();
}
