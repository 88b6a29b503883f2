//! SendGrid (Signed Event Webhook): ECDSA P-256 with SHA-256 over the bytes of the
//! `X-Twilio-Email-Event-Webhook-Timestamp` header followed by the raw body; the signature
//! header is base64 of a DER `ECDSA-Sig-Value`. The account's public key is shown in
//! SendGrid's settings as base64 of a DER SubjectPublicKeyInfo (`MFkwEwYHKoZIzj0CAQYI…`).
//!
//! SendGrid defines no replay window. The timestamp is signed, so a window can be imposed
//! with [`SendGridVerifier::with_tolerance`]; it is off by default because SendGrid's
//! retries (for up to 24 hours) may carry the original timestamp.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use p256::ecdsa::signature::DigestVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::delivery::{Channel, DeliveryEvent, DeliveryStatus};
use super::event::{IdempotencyKey, Ignored, MAX_REASON_LEN, bounded};
use super::{
    DEFAULT_MAX_BODY_LEN, Headers, Provider, Rail, WebhookError, WebhookOutcome, WebhookRequest,
    WebhookVerifier, check_body_len, checked_max_body_len, headers, payload, secret,
};

const P: Provider = Provider::SendGrid;

/// SendGrid's rail: email only, no money.
pub const RAIL: Rail = Rail::new(P, &[]);

const SIGNATURE: &str = "X-Twilio-Email-Event-Webhook-Signature";
const TIMESTAMP: &str = "X-Twilio-Email-Event-Webhook-Timestamp";

/// The longest DER ECDSA P-256 signature: a SEQUENCE of two 33-byte INTEGERs.
const MAX_SIGNATURE_DER: usize = 72;

/// The custom argument (set on the send, returned as a top-level key of each event) that
/// carries ajo's message id.
pub(super) const MESSAGE_ID_ARG: &str = "ajo_message_id";

/// Verifies SendGrid event webhooks and reads delivery reports.
#[derive(Clone)]
pub struct SendGridVerifier {
    keys: Vec<VerifyingKey>,
    tolerance_s: Option<u32>,
    max_body_len: usize,
}

impl SendGridVerifier {
    /// The largest tolerance accepted: two days.
    pub const MAX_TOLERANCE_S: u32 = 172_800;

    /// A verifier for the given public keys, each base64 of a DER SubjectPublicKeyInfo
    /// exactly as SendGrid shows it (the old and the new while the key is being changed).
    ///
    /// # Errors
    /// [`WebhookError::SecretMissing`] for no key or an empty one;
    /// [`WebhookError::TooManySecrets`] past [`MAX_SECRETS`](super::MAX_SECRETS);
    /// [`WebhookError::InvalidKey`] for a key that is not base64, not an SPKI, or not on
    /// P-256.
    pub fn new<I, S>(public_keys: I) -> Result<SendGridVerifier, WebhookError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut keys = Vec::new();
        for (index, text) in public_keys.into_iter().enumerate() {
            let text = text.as_ref().trim();
            if text.is_empty() {
                return Err(WebhookError::SecretMissing { provider: P });
            }
            if index >= secret::MAX_SECRETS {
                return Err(WebhookError::TooManySecrets {
                    provider: P,
                    count: index.saturating_add(1),
                    max: secret::MAX_SECRETS,
                });
            }
            let invalid = |reason| WebhookError::InvalidKey {
                provider: P,
                index,
                reason,
            };
            let der = secret::decode_base64_vec(text.as_bytes(), 512)
                .ok_or(invalid("not base64 of at most 512 bytes"))?;
            let key = VerifyingKey::from_public_key_der(&der)
                .map_err(|_| invalid("not a DER SubjectPublicKeyInfo of a P-256 key"))?;
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(WebhookError::SecretMissing { provider: P });
        }
        Ok(SendGridVerifier {
            keys,
            tolerance_s: None,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// Refuses events whose signed timestamp is more than `seconds` from `now`, either way.
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero or more than [`Self::MAX_TOLERANCE_S`].
    pub fn with_tolerance(mut self, seconds: u32) -> Result<SendGridVerifier, WebhookError> {
        if seconds == 0 || seconds > Self::MAX_TOLERANCE_S {
            return Err(WebhookError::InvalidConfig {
                provider: P,
                reason: "the tolerance must be 1 to 172800 seconds",
            });
        }
        self.tolerance_s = Some(seconds);
        Ok(self)
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_LEN`]).
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero.
    pub fn with_max_body_len(mut self, max: usize) -> Result<SendGridVerifier, WebhookError> {
        self.max_body_len = checked_max_body_len(P, max)?;
        Ok(self)
    }

    /// Checks that SendGrid signed the timestamp header and `body`; with a tolerance set,
    /// also that the timestamp is near `now` (otherwise `now` is not used).
    ///
    /// # Errors
    /// [`WebhookError::BodyTooLarge`]; [`WebhookError::MissingHeader`] or
    /// [`WebhookError::DuplicateHeader`] for either header;
    /// [`WebhookError::MalformedHeader`] for a timestamp that is not Unix seconds or a
    /// signature that is not base64 DER; [`WebhookError::OutsideReplayWindow`];
    /// [`WebhookError::BadSignature`] if no configured key verifies it.
    pub fn verify<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        check_body_len(P, body, self.max_body_len)?;
        let signature_text = headers::required(headers, P, SIGNATURE, 128)?;
        let timestamp_text = headers::required(headers, P, TIMESTAMP, 32)?;
        let timestamp = unix_seconds(timestamp_text).ok_or(WebhookError::MalformedHeader {
            provider: P,
            header: TIMESTAMP,
            reason: "not Unix seconds",
        })?;
        let signature = secret::decode_base64_vec(signature_text.as_bytes(), MAX_SIGNATURE_DER)
            .and_then(|der| Signature::from_der(&der).ok())
            .ok_or(WebhookError::MalformedHeader {
                provider: P,
                header: SIGNATURE,
                reason: "not base64 of a DER ECDSA P-256 signature",
            })?;
        if let Some(tolerance_s) = self.tolerance_s {
            let now_s = now.timestamp();
            let tolerance = i64::from(tolerance_s);
            if timestamp < now_s.saturating_sub(tolerance)
                || timestamp > now_s.saturating_add(tolerance)
            {
                return Err(WebhookError::OutsideReplayWindow {
                    provider: P,
                    timestamp,
                    now: now_s,
                    tolerance_s,
                });
            }
        }
        let digest = Sha256::new()
            .chain_update(timestamp_text.as_bytes())
            .chain_update(body);
        // Public keys, public data: no need for constant time, but every key is tried.
        let matched = self.keys.iter().fold(false, |ok, key| {
            key.verify_digest(digest.clone(), &signature).is_ok() | ok
        });
        if matched {
            Ok(())
        } else {
            Err(WebhookError::BadSignature { provider: P })
        }
    }

    /// [`verify`](Self::verify), then reads the batch of events, one outcome per event.
    ///
    /// | `event` | outcome |
    /// | --- | --- |
    /// | `delivered` | [`DeliveryStatus::Delivered`] |
    /// | `bounce` | [`DeliveryStatus::Bounced`], `permanent` unless `type` is `blocked` |
    /// | `dropped` | [`DeliveryStatus::Dropped`] |
    /// | `processed`, `deferred`, `open`, `click`, … | [`WebhookOutcome::Ignored`] |
    ///
    /// ajo's message id is the `ajo_message_id` custom argument, when the send set one; the
    /// provider message id is `sg_message_id` up to its first `.` (the `X-Message-Id` of the
    /// send). The idempotency key is `sendgrid:{sg_event_id}`, or
    /// `sendgrid:{message id}:{status}` for an event without one.
    ///
    /// # Errors
    /// As [`verify`](Self::verify); then [`WebhookError::MalformedPayload`] if the body is
    /// not a JSON array of events, or a delivery event lacks `sg_message_id`.
    pub fn verify_and_parse<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<WebhookOutcome>, WebhookError> {
        self.verify(headers, body, now)?;
        parse(body)
    }
}

impl WebhookVerifier for SendGridVerifier {
    fn rail(&self) -> Rail {
        RAIL
    }

    fn max_body_len(&self) -> usize {
        self.max_body_len
    }

    fn verify_request(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<WebhookOutcome>, WebhookError> {
        self.verify_and_parse(request.headers(), request.body(), request.received_at())
    }
}

impl fmt::Debug for SendGridVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendGridVerifier")
            .field("public_keys", &self.keys.len())
            .field("tolerance_s", &self.tolerance_s)
            .field("max_body_len", &self.max_body_len)
            .finish()
    }
}

fn unix_seconds(text: &str) -> Option<i64> {
    let digits = (1..=12).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    if digits { text.parse().ok() } else { None }
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow, default)]
    sg_event_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    sg_message_id: Option<Cow<'a, str>>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(borrow, default, rename = "type")]
    bounce_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    reason: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "ajo_message_id")]
    message_id: Option<Cow<'a, str>>,
}

fn parse(body: &[u8]) -> Result<Vec<WebhookOutcome>, WebhookError> {
    let text = payload::utf8(P, body)?;
    let events: Vec<Event<'_>> = payload::json(P, text)?;
    events.into_iter().map(event).collect()
}

fn event(e: Event<'_>) -> Result<WebhookOutcome, WebhookError> {
    let status = match e.event.as_ref() {
        "delivered" => DeliveryStatus::Delivered,
        "bounce" => DeliveryStatus::Bounced {
            permanent: e.bounce_type.as_deref() != Some("blocked"),
        },
        "dropped" => DeliveryStatus::Dropped,
        other => return Ok(WebhookOutcome::Ignored(Ignored::new(P, other))),
    };
    let sg_message_id = e
        .sg_message_id
        .ok_or_else(|| WebhookError::payload(P, "a delivery event has no sg_message_id"))?;
    let provider_message_id = sg_message_id.split('.').next().unwrap_or_default();
    let provider_message_id = payload::text_id(P, provider_message_id, "sg_message_id")?;
    let event_id = e
        .sg_event_id
        .map(|id| payload::text_id(P, &id, "sg_event_id"))
        .transpose()?;
    let idempotency_key = match &event_id {
        Some(id) => IdempotencyKey::from_event_id(P, id),
        None => IdempotencyKey::from_reference(P, &provider_message_id, status.as_str()),
    };
    let reason = match status {
        DeliveryStatus::Delivered => None,
        _ => e.reason.map(|r| bounded(&r, MAX_REASON_LEN)),
    };
    Ok(WebhookOutcome::Delivery(DeliveryEvent {
        provider: P,
        channel: Channel::Email,
        status,
        message_id: e
            .message_id
            .map(|id| payload::text_id(P, &id, MESSAGE_ID_ARG))
            .transpose()?,
        provider_message_id,
        event_id,
        occurred_at: e
            .timestamp
            .map(|t| payload::unix(P, t, "timestamp"))
            .transpose()?,
        reason,
        idempotency_key,
    }))
}
