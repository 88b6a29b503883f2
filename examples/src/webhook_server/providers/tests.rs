//! Every registered provider, built as the server builds it, verifies the providers'
//! official vectors (`ajo-core/tests/data/webhooks/vectors.json`, copied from
//! `shared/providers`) through the one trait and the registry.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;

use ajo_core::webhook::{DEFAULT_MAX_BODY_LEN, WebhookRegistry, WebhookRequest};
use chrono::DateTime;
use serde_json::Value;

use super::*;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ajo-core/tests/data/webhooks/vectors.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `application/x-www-form-urlencoded`, in the order given (Twilio's signature sorts).
fn form_body(params: &Value) -> Vec<u8> {
    let pairs: Vec<(String, String)> = match params {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect(),
        Value::Array(list) => list
            .iter()
            .map(|pair| {
                let pair = pair.as_array().unwrap();
                (
                    pair.first().unwrap().as_str().unwrap().to_owned(),
                    pair.get(1).unwrap().as_str().unwrap().to_owned(),
                )
            })
            .collect(),
        other => panic!("params {other}"),
    };
    let encode = |text: &str| {
        let mut out = String::new();
        for b in text.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    out.push(char::from(b));
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

#[test]
fn every_registered_provider_verifies_its_official_vectors_through_the_registry() {
    // What the server reads for a provider with no settings of its own, plus the public
    // URL Twilio's options require.
    let env_vars: HashMap<&str, OsString> =
        HashMap::from([(super::super::vars::PUBLIC_URL, "https://a.example".into())]);
    let lookup = |var: &str| env_vars.get(var).cloned();
    let env = Env::new(&lookup);
    let mut covered = BTreeSet::new();
    for v in vectors() {
        let field = |name: &str| v.get(name).and_then(Value::as_str).unwrap_or_default();
        // The static `verif-hash` is off by default; its vectors are checked in ajo-core.
        if v.get("expected_valid") != Some(&Value::Bool(true)) || field("scheme") == "verif-hash" {
            continue;
        }
        let name = field("provider");
        let spec = WEBHOOK_PROVIDERS
            .iter()
            .find(|s| s.provider.as_str() == name)
            .unwrap_or_else(|| panic!("{name} is not registered"));
        let options = (spec.read)(&env, true).unwrap();
        let verifier = options
            .verifier(
                vec![SecretString::from(field("secret"))],
                DEFAULT_MAX_BODY_LEN,
            )
            .unwrap();
        let mut registry = WebhookRegistry::new();
        registry.register(verifier).unwrap();

        let headers: Vec<(&str, &[u8])> = v
            .get("headers")
            .and_then(Value::as_object)
            .unwrap()
            .iter()
            .map(|(k, value)| (k.as_str(), value.as_str().unwrap().as_bytes()))
            .collect();
        let body = match (v.get("body"), v.get("params")) {
            (Some(Value::String(body)), _) => body.as_bytes().to_vec(),
            (_, Some(params)) => form_body(params),
            _ => Vec::new(),
        };
        // Received when it was signed: the vector's `now`, else SendGrid's signed time.
        let received = v
            .get("now")
            .and_then(Value::as_i64)
            .or_else(|| {
                headers
                    .iter()
                    .find(|(k, _)| k.ends_with("Timestamp"))
                    .and_then(|(_, t)| std::str::from_utf8(t).ok()?.parse().ok())
            })
            .unwrap_or(1_700_000_000);
        let received_at = DateTime::from_timestamp(received, 0).unwrap();
        let request = WebhookRequest::new(&headers, &body, received_at).with_url(field("url"));
        let label = format!("{name}/{}", field("case"));
        let result = registry.verify(name, &request).unwrap();
        // Verified: the payload may still be one ajo does not read (a bare fixture).
        if let Err(error) = &result {
            assert!(
                !error.is_rejected_request() && !error.is_configuration(),
                "{label}: {error}"
            );
        }
        covered.insert(name.to_owned());
    }
    // Providers that sign nothing have no signature vectors: they are checked below.
    let registered: BTreeSet<String> = WEBHOOK_PROVIDERS
        .iter()
        .filter(|s| !s.token_in_path)
        .map(|s| s.provider.as_str().to_owned())
        .collect();
    assert_eq!(covered, registered, "every signing provider has vectors");
}

#[test]
fn every_provider_that_signs_nothing_is_heard_only_at_its_token_url() {
    use ajo_core::webhook::CallbackSecret;
    let lookup = |_: &str| None;
    let env = Env::new(&lookup);
    let secret = "a-deployment-callback-secret-of-40-chars!";
    let mut seen = 0;
    for spec in WEBHOOK_PROVIDERS.iter().filter(|s| s.token_in_path) {
        let options = (spec.read)(&env, true).unwrap();
        let verifier = options
            .verifier(vec![SecretString::from(secret)], DEFAULT_MAX_BODY_LEN)
            .unwrap();
        assert!(verifier.token_in_path());
        let made = CallbackSecret::new(spec.provider, SecretString::from(secret)).unwrap();
        let base = WebhookRegistry::path(spec.provider.as_str());
        let at = |url: &str| {
            let request = WebhookRequest::new(&[], b"{}", DateTime::from_timestamp(0, 0).unwrap())
                .with_url(url);
            verifier.verify_request(&request)
        };
        let good = made.callback_url(&base, "r1");
        assert!(
            at(&good).map_or_else(|e| !e.is_rejected_request(), |_| true),
            "{}",
            spec.provider
        );
        let bad = at(&format!("{base}/not-the-token?ref=r1")).unwrap_err();
        assert!(bad.is_rejected_request(), "{}", spec.provider);
        // A secret too short to be unguessable stops the start.
        assert!(
            options
                .verifier(vec![SecretString::from("short")], 1024)
                .is_err()
        );
        seen += 1;
    }
    assert_eq!(seen, 2, "M-Pesa and MTN MoMo");
}
