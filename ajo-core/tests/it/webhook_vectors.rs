//! Every case of the providers' vectors (`tests/data/webhooks/vectors.json`, copied from
//! `shared/providers`), valid and invalid; each invalid one must fail for its own reason.

use ajo_core::webhook::{FlutterwaveVerifier, WebhookRegistry, WebhookVerifier, rails};

use crate::webhook_support::{secret, variant, vectors};

/// Why each invalid case must fail: the error variant our verifier gives. The vectors carry
/// no reason of their own, so this table is ours; a new invalid case without an entry fails.
fn expected_reason(provider: &str, scheme: &str, case: &str) -> &'static str {
    match (provider, scheme, case) {
        ("paystack", _, "tampered body (one digit of amount)")
        | ("paystack", _, "signed with a different secret")
        | (
            "paystack",
            _,
            "re-serialized JSON (pretty-printed) body with signature of original bytes",
        ) => "BadSignature",
        ("paystack", _, "uppercase hex of the correct digest")
        | ("paystack", _, "empty header value")
        | ("paystack", _, "truncated signature (first 64 hex chars)") => "MalformedHeader",
        ("paystack", _, "missing header") => "MissingHeader",

        ("flutterwave", "verif-hash", "wrong hash" | "case differs") => "BadSignature",
        ("flutterwave", "verif-hash", "missing header") => "MissingHeader",
        (
            "flutterwave",
            "verif-hash",
            "empty header value with empty configured hash must still fail",
        ) => "SecretMissing",
        ("flutterwave", "flutterwave-signature", "tampered body" | "wrong secret hash") => {
            "BadSignature"
        }
        ("flutterwave", "flutterwave-signature", "hex encoding instead of base64") => {
            "MalformedHeader"
        }
        ("flutterwave", "flutterwave-signature", "missing header") => "MissingHeader",

        ("stripe", _, "expired: now - t == 301" | "expired: one hour old") => "OutsideReplayWindow",
        (
            "stripe",
            _,
            "tampered body"
            | "wrong secret"
            | "timestamp in header changed (signature was for the original t)"
            | "uppercase hex v1"
            | "re-serialized JSON body",
        ) => "BadSignature",
        (
            "stripe",
            _,
            "only v0 scheme, no v1" | "malformed header" | "header without timestamp",
        ) => "MalformedHeader",
        ("stripe", _, "missing header") => "MissingHeader",

        (
            "twilio",
            _,
            "tampered param value"
            | "wrong auth token"
            | "extra param added"
            | "URL query differs"
            | "status flipped delivered->failed after signing"
            | "http scheme URL vs signature over https URL",
        ) => "BadSignature",
        ("twilio", _, "missing header") => "MissingHeader",
        ("twilio", _, "body tampered, URL bodySHA256 and signature unchanged") => {
            "BodyHashMismatch"
        }

        (
            "sendgrid",
            _,
            "official: other public key"
            | "official: bad payload"
            | "official: bad signature (one base64 character changed)"
            | "official fixture with trailing CRLF stripped"
            | "official: bad key (python fixture)"
            | "official: bad signature (python fixture)"
            | "tampered body (event delivered->dropped)"
            | "body without trailing CRLF while signature covered it"
            | "different timestamp header"
            | "signature over payload alone (timestamp not prefixed)"
            | "valid signature checked against SendGrid's official fixture key",
        ) => "BadSignature",
        (
            "sendgrid",
            _,
            "official: bad timestamp"
            | "official: bad timestamp (python fixture)"
            | "signature not base64",
        ) => "MalformedHeader",
        ("sendgrid", _, "missing signature header" | "missing timestamp header") => "MissingHeader",

        _ => panic!("no expected reason for invalid case {provider}/{scheme}/{case}"),
    }
}

#[test]
fn every_vector_verifies_as_expected_and_fails_for_its_reason() {
    let mut checked = 0;
    for v in vectors() {
        let request = v.request();
        let result = v.verify(&request);
        let label = format!("{}/{}/{}", v.provider, v.scheme, v.case);
        if v.expected_valid {
            assert_eq!(result, Ok(()), "{label}");
        } else {
            let err = result.expect_err(&label);
            assert_eq!(
                variant(&err),
                expected_reason(&v.provider, &v.scheme, &v.case),
                "{label}: {err}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 76);
}

/// The valid `verif-hash` vectors are valid only where the host enabled the scheme: a
/// default verifier refuses each of them without comparing the hash.
#[test]
fn verif_hash_vectors_are_refused_by_a_default_verifier() {
    let mut checked = 0;
    for v in vectors()
        .into_iter()
        .filter(|v| v.scheme == "verif-hash" && v.expected_valid)
    {
        let request = v.request();
        let verifier = FlutterwaveVerifier::new(vec![secret(&v.secret)]).unwrap();
        let err = verifier
            .verify(&request.headers, &request.body)
            .unwrap_err();
        assert_eq!(variant(&err), "SchemeNotEnabled", "{}", v.case);
        assert!(err.is_rejected_request(), "{}", v.case);
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn both_outcomes_are_covered_for_every_provider() {
    let all = vectors();
    for provider in ["paystack", "flutterwave", "stripe", "twilio", "sendgrid"] {
        let of = |valid| {
            all.iter()
                .filter(|v| v.provider == provider && v.expected_valid == valid)
                .count()
        };
        assert!(of(true) >= 2 && of(false) >= 4, "{provider}");
    }
}

/// Every provider through the one trait and the registry a server holds: each vector's
/// verifier is registered under its provider's name and called as a server calls it, by
/// name with one request value. Valid vectors pass verification (the payload may still be
/// one ajo cannot read: some vectors sign a bare `{}`), invalid ones fail for the same
/// reason as through the inherent `verify`.
#[test]
fn every_vector_goes_through_the_trait_and_the_registry_as_through_verify() {
    let mut checked = 0;
    for v in vectors() {
        let label = format!("{}/{}/{}", v.provider, v.scheme, v.case);
        let verifier = match v.verifier() {
            Ok(verifier) => verifier,
            // A vector whose secret cannot configure a verifier: checked above.
            Err(error) => {
                assert!(!v.expected_valid && error.is_configuration(), "{label}");
                continue;
            }
        };
        assert_eq!(verifier.provider().as_str(), v.provider, "{label}");
        assert_eq!(verifier.rail(), verifier_rail(&v.provider), "{label}");
        let mut registry = WebhookRegistry::new();
        registry.register(verifier).unwrap();
        let request = v.request();
        let headers = request.header_pairs();
        let result = registry
            .verify(&v.provider, &request.as_webhook(&headers))
            .expect("registered under its provider's name");
        if v.expected_valid {
            if let Err(error) = &result {
                assert!(
                    !error.is_rejected_request() && !error.is_configuration(),
                    "{label}: {error}"
                );
            }
        } else {
            let err = result.expect_err(&label);
            assert_eq!(
                variant(&err),
                expected_reason(&v.provider, &v.scheme, &v.case),
                "{label}: {err}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 75, "{checked}");
}

fn verifier_rail(provider: &str) -> ajo_core::webhook::Rail {
    rails::ALL
        .into_iter()
        .find(|rail| rail.name() == provider)
        .unwrap()
}

/// A trait object is what a registry holds: every verifier must be one.
#[test]
fn every_verifier_is_a_shareable_trait_object() {
    fn shareable<T: WebhookVerifier>() {}
    shareable::<ajo_core::webhook::PaystackVerifier>();
    shareable::<FlutterwaveVerifier>();
    shareable::<ajo_core::webhook::StripeVerifier>();
    shareable::<ajo_core::webhook::TwilioVerifier>();
    shareable::<ajo_core::webhook::SendGridVerifier>();
}
