//! Shared helpers for the webhook tests: the provider vectors, signing fixtures with test
//! secrets, and running any vector through the right verifier.

use std::sync::Arc;

use ajo_core::webhook::{
    FlutterwaveVerifier, PaystackVerifier, SendGridVerifier, StripeVerifier, TwilioVerifier,
    WebhookError, WebhookRequest, WebhookVerifier,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize)]
pub struct Vector {
    pub provider: String,
    pub scheme: String,
    pub case: String,
    pub secret: String,
    pub headers: serde_json::Map<String, Value>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub params: Option<Value>,
    #[serde(default)]
    pub now: Option<i64>,
    #[serde(default)]
    pub tolerance_s: Option<u32>,
    pub expected_valid: bool,
}

pub fn vectors() -> Vec<Vector> {
    let path = format!(
        "{}/tests/data/webhooks/vectors.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vectors: Vec<Vector> = serde_json::from_str(&text).unwrap();
    assert_eq!(
        vectors.len(),
        76,
        "vectors.json changed: review the expectations"
    );
    vectors
}

pub fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

/// A request as a verifier sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub now: DateTime<Utc>,
}

impl Vector {
    pub fn request(&self) -> Request {
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().as_bytes().to_vec()))
            .collect();
        let body = match (&self.body, &self.params) {
            (Some(body), _) => body.as_bytes().to_vec(),
            (None, Some(params)) => form_body(params).into_bytes(),
            (None, None) => Vec::new(),
        };
        Request {
            url: self.url.clone().unwrap_or_default(),
            headers,
            body,
            now: DateTime::from_timestamp(self.now.unwrap_or(1_700_000_000), 0).unwrap(),
        }
    }

    /// Runs the request through a verifier configured as the vector says.
    pub fn verify(&self, request: &Request) -> Result<(), WebhookError> {
        let secrets = vec![secret(&self.secret)];
        let (headers, body) = (&request.headers, request.body.as_slice());
        match self.provider.as_str() {
            "paystack" => PaystackVerifier::new(secrets)?.verify(headers, body),
            // The legacy scheme's vectors describe it as enabled; a default verifier
            // refuses them (webhook_vectors checks that too).
            "flutterwave" if self.scheme == "verif-hash" => FlutterwaveVerifier::new(secrets)?
                .with_verif_hash()
                .verify(headers, body),
            "flutterwave" => FlutterwaveVerifier::new(secrets)?.verify(headers, body),
            "stripe" => StripeVerifier::new(secrets)?
                .with_tolerance(self.tolerance_s.unwrap())?
                .verify(headers, body, request.now),
            "twilio" => TwilioVerifier::new(secrets)?.verify(&request.url, headers, body),
            "sendgrid" => SendGridVerifier::new([&self.secret])?.verify(headers, body, request.now),
            other => panic!("unknown provider {other}"),
        }
    }
}

impl Vector {
    /// The verifier the vector describes, behind the one trait every provider implements.
    pub fn verifier(&self) -> Result<Arc<dyn WebhookVerifier>, WebhookError> {
        let secrets = vec![secret(&self.secret)];
        Ok(match self.provider.as_str() {
            "paystack" => Arc::new(PaystackVerifier::new(secrets)?),
            "flutterwave" if self.scheme == "verif-hash" => {
                Arc::new(FlutterwaveVerifier::new(secrets)?.with_verif_hash())
            }
            "flutterwave" => Arc::new(FlutterwaveVerifier::new(secrets)?),
            "stripe" => {
                Arc::new(StripeVerifier::new(secrets)?.with_tolerance(self.tolerance_s.unwrap())?)
            }
            "twilio" => Arc::new(TwilioVerifier::new(secrets)?),
            "sendgrid" => Arc::new(SendGridVerifier::new([&self.secret])?),
            other => panic!("unknown provider {other}"),
        })
    }
}

impl Request {
    /// The headers as a [`WebhookRequest`] borrows them.
    pub fn header_pairs(&self) -> Vec<(&str, &[u8])> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect()
    }

    /// This request in the one shape every verifier takes.
    pub fn as_webhook<'a>(&'a self, headers: &'a [(&'a str, &'a [u8])]) -> WebhookRequest<'a> {
        WebhookRequest::new(headers, &self.body, self.now).with_url(&self.url)
    }
}

/// `application/x-www-form-urlencoded`, in the order given (Twilio's signature sorts).
pub fn form_body(params: &Value) -> String {
    let pairs: Vec<(String, String)> = match params {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect(),
        Value::Array(list) => list
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().unwrap().to_owned(),
                    pair[1].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
        other => panic!("params {other}"),
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The name of an error's variant, for comparing with the reason a case expects.
pub fn variant(e: &WebhookError) -> &'static str {
    match e {
        WebhookError::SecretMissing { .. } => "SecretMissing",
        WebhookError::TooManySecrets { .. } => "TooManySecrets",
        WebhookError::InvalidKey { .. } => "InvalidKey",
        WebhookError::InvalidConfig { .. } => "InvalidConfig",
        WebhookError::MissingHeader { .. } => "MissingHeader",
        WebhookError::DuplicateHeader { .. } => "DuplicateHeader",
        WebhookError::MalformedHeader { .. } => "MalformedHeader",
        WebhookError::SchemeNotEnabled { .. } => "SchemeNotEnabled",
        WebhookError::BadSignature { .. } => "BadSignature",
        WebhookError::BodyHashMismatch { .. } => "BodyHashMismatch",
        WebhookError::OutsideReplayWindow { .. } => "OutsideReplayWindow",
        WebhookError::BodyTooLarge { .. } => "BodyTooLarge",
        WebhookError::InvalidUrl { .. } => "InvalidUrl",
        WebhookError::MalformedPayload { .. } => "MalformedPayload",
        WebhookError::InvalidAmount { .. } => "InvalidAmount",
        _ => "unknown variant",
    }
}

// Signing, as each provider does, for fixtures and properties.

pub fn hmac_hex<M: Mac + hmac::digest::KeyInit>(key: &str, parts: &[&[u8]]) -> String {
    hex::encode(hmac_bytes::<M>(key, parts))
}

pub fn hmac_bytes<M: Mac + hmac::digest::KeyInit>(key: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <M as Mac>::new_from_slice(key.as_bytes()).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

pub fn paystack_sign(key: &str, body: &[u8]) -> String {
    hmac_hex::<Hmac<sha2::Sha512>>(key, &[body])
}

pub fn flutterwave_sign(key: &str, body: &[u8]) -> String {
    STANDARD.encode(hmac_bytes::<Hmac<sha2::Sha256>>(key, &[body]))
}

pub fn stripe_header(key: &str, t: i64, body: &[u8]) -> String {
    let sig = hmac_hex::<Hmac<sha2::Sha256>>(key, &[t.to_string().as_bytes(), b".", body]);
    format!("t={t},v1={sig}")
}

/// Twilio's string to sign for a form body: URL + sorted name/value pairs.
pub fn twilio_sign(token: &str, url: &str, pairs: &[(&str, &str)]) -> String {
    let mut sorted = pairs.to_vec();
    sorted.sort();
    let mut message = url.to_owned();
    for (k, v) in sorted {
        message.push_str(k);
        message.push_str(v);
    }
    STANDARD.encode(hmac_bytes::<Hmac<sha1::Sha1>>(token, &[message.as_bytes()]))
}

/// A deterministic test-only P-256 key for SendGrid fixtures.
pub fn sendgrid_key() -> (p256::ecdsa::SigningKey, String) {
    let scalar = sha2::Sha256::digest_bytes(b"ajo webhook fixtures key");
    let signing = p256::ecdsa::SigningKey::from_slice(&scalar).unwrap();
    // SubjectPublicKeyInfo for id-ecPublicKey on prime256v1, then the uncompressed point:
    // the DER SendGrid shows, base64 `MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…`.
    let mut der = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap();
    der.extend_from_slice(signing.verifying_key().to_encoded_point(false).as_bytes());
    (signing, STANDARD.encode(der))
}

pub fn sendgrid_sign(key: &p256::ecdsa::SigningKey, timestamp: &str, body: &[u8]) -> String {
    use p256::ecdsa::signature::Signer;
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    let sig: p256::ecdsa::Signature = key.sign(&message);
    STANDARD.encode(sig.to_der().as_bytes())
}

trait DigestBytes {
    fn digest_bytes(data: &[u8]) -> Vec<u8>;
}

impl DigestBytes for sha2::Sha256 {
    fn digest_bytes(data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        sha2::Sha256::digest(data).to_vec()
    }
}
