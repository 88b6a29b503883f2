//! What can go wrong configuring a verifier, checking a request or reading its payload.

use thiserror::Error;

use super::Provider;
use crate::money::{Currency, MoneyError};

/// Why a webhook was refused, or a verifier could not be built.
///
/// No variant ever holds a secret, the signature that was expected, a header value or the
/// body: only header *names*, counts, timestamps and short fixed descriptions. An error can
/// therefore be logged as it is.
///
/// The variants fall in three groups, told apart by the predicates:
/// - [`is_configuration`](Self::is_configuration): the verifier was set up wrongly (no
///   secret, a key that does not parse); fix the deployment.
/// - [`is_rejected_request`](Self::is_rejected_request): the request is not proven to come
///   from the provider (missing or malformed header, a scheme not enabled, bad signature,
///   outside the replay window, body too large). Answer `401`/`400` and give no value.
/// - otherwise the signature was good but the payload could not be read
///   ([`MalformedPayload`](Self::MalformedPayload), [`InvalidAmount`](Self::InvalidAmount),
///   [`UnsupportedCurrency`](Self::UnsupportedCurrency)):
///   the provider really sent it, so keep it for a person to look at.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No secret or key was configured, or one of them is empty. ajo never falls back to a
    /// default secret.
    #[error("{provider}: no webhook secret configured (an empty secret never verifies)")]
    SecretMissing {
        /// The provider whose verifier was being built.
        provider: Provider,
    },
    /// More secrets than a verifier accepts (rotation needs two or three, not dozens).
    #[error("{provider}: {count} webhook secrets configured, at most {max} are accepted")]
    TooManySecrets {
        /// The provider.
        provider: Provider,
        /// How many were given.
        count: usize,
        /// The limit, [`MAX_SECRETS`](super::MAX_SECRETS).
        max: usize,
    },
    /// A configured public key could not be read (SendGrid: base64 of a DER
    /// SubjectPublicKeyInfo for P-256).
    #[error("{provider}: configured key {index} is not valid: {reason}")]
    InvalidKey {
        /// The provider.
        provider: Provider,
        /// Zero-based position of the key in the list given.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A setting is out of its allowed range (a replay tolerance of zero, say).
    #[error("{provider}: invalid verifier setting: {reason}")]
    InvalidConfig {
        /// The provider.
        provider: Provider,
        /// What is wrong.
        reason: &'static str,
    },
    /// A header the scheme needs is absent.
    #[error("{provider}: missing header {header}")]
    MissingHeader {
        /// The provider.
        provider: Provider,
        /// The header's name.
        header: &'static str,
    },
    /// A header that must appear once appeared more than once.
    #[error("{provider}: header {header} appears more than once")]
    DuplicateHeader {
        /// The provider.
        provider: Provider,
        /// The header's name.
        header: &'static str,
    },
    /// A header is present but not in the form the scheme defines.
    #[error("{provider}: malformed header {header}: {reason}")]
    MalformedHeader {
        /// The provider.
        provider: Provider,
        /// The header's name.
        header: &'static str,
        /// What is wrong with it (a fixed description, never the value).
        reason: &'static str,
    },
    /// The request authenticates with a scheme this verifier does not accept unless told to
    /// (Flutterwave's static `verif-hash`, off until
    /// [`FlutterwaveVerifier::with_verif_hash`](super::FlutterwaveVerifier::with_verif_hash)).
    /// The header's value was not compared with anything.
    #[error("{provider}: the {scheme} scheme is not enabled on this verifier")]
    SchemeNotEnabled {
        /// The provider.
        provider: Provider,
        /// The scheme, named by its header (`verif-hash`).
        scheme: &'static str,
    },
    /// The signature does not match the body under any configured secret: forged, altered,
    /// or signed with a secret this verifier does not have.
    #[error("{provider}: signature does not match")]
    BadSignature {
        /// The provider.
        provider: Provider,
    },
    /// Twilio JSON webhooks: the body's SHA-256 is not the `bodySHA256` the signed URL
    /// carries, so the body was changed after signing.
    #[error("{provider}: body does not match the signed bodySHA256")]
    BodyHashMismatch {
        /// The provider.
        provider: Provider,
    },
    /// The signed timestamp is too old (a replay) or too far in the future.
    #[error(
        "{provider}: timestamp {timestamp} is outside the replay window of {tolerance_s} s around {now}"
    )]
    OutsideReplayWindow {
        /// The provider.
        provider: Provider,
        /// The signed timestamp, in Unix seconds.
        timestamp: i64,
        /// The time it was checked against, in Unix seconds.
        now: i64,
        /// The tolerance either side of `now`, in seconds.
        tolerance_s: u32,
    },
    /// An unsigned callback (M-Pesa, MTN MoMo) came to a URL without this deployment's
    /// token: nothing in it is read.
    #[error("{provider}: the callback URL does not carry this deployment's token")]
    BadToken {
        /// The provider.
        provider: Provider,
    },
    /// The body is larger than the verifier accepts; nothing was hashed.
    #[error("{provider}: body of {len} bytes is larger than the {max} accepted")]
    BodyTooLarge {
        /// The provider.
        provider: Provider,
        /// The body's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Twilio: the URL given for the request cannot be the one Twilio called.
    #[error("{provider}: invalid request URL: {reason}")]
    InvalidUrl {
        /// The provider.
        provider: Provider,
        /// What is wrong (a fixed description, never the URL, which may carry tokens).
        reason: &'static str,
    },
    /// The signature is good but the payload is not what the provider documents (bad
    /// JSON, a missing field, a field of the wrong type).
    #[error("{provider}: malformed payload: {detail}")]
    MalformedPayload {
        /// The provider.
        provider: Provider,
        /// Where and what, without echoing the payload.
        detail: String,
    },
    /// The signature is good but the amount cannot be held exactly: an unknown currency, or
    /// more decimals than the currency has.
    #[error("{provider}: amount cannot be represented: {source}")]
    InvalidAmount {
        /// The provider.
        provider: Provider,
        /// Why.
        source: MoneyError,
    },
    /// The signature is good but the event moves money in a currency the provider's
    /// [`Rail`](super::Rail) does not list: ajo's client for that provider would never
    /// have sent it, so it is not booked.
    #[error("{provider}: {} is not a currency ajo takes through {provider}", .currency.code())]
    UnsupportedCurrency {
        /// The provider.
        provider: Provider,
        /// The currency the event names.
        currency: Currency,
    },
}

impl WebhookError {
    /// A short fixed word for why: the `reason` label of
    /// [`telemetry::WEBHOOKS_REFUSED`](crate::telemetry::WEBHOOKS_REFUSED), and
    /// something a dashboard can group by. One word per variant, never a value from the
    /// request.
    pub fn reason(&self) -> &'static str {
        match self {
            WebhookError::SecretMissing { .. } => "secret_missing",
            WebhookError::TooManySecrets { .. } => "too_many_secrets",
            WebhookError::InvalidKey { .. } => "invalid_key",
            WebhookError::InvalidConfig { .. } => "invalid_config",
            WebhookError::MissingHeader { .. } => "missing_header",
            WebhookError::DuplicateHeader { .. } => "duplicate_header",
            WebhookError::MalformedHeader { .. } => "malformed_header",
            WebhookError::SchemeNotEnabled { .. } => "scheme_not_enabled",
            WebhookError::BadSignature { .. } => "bad_signature",
            WebhookError::BodyHashMismatch { .. } => "body_hash_mismatch",
            WebhookError::OutsideReplayWindow { .. } => "outside_replay_window",
            WebhookError::BadToken { .. } => "bad_token",
            WebhookError::BodyTooLarge { .. } => "body_too_large",
            WebhookError::InvalidUrl { .. } => "invalid_url",
            WebhookError::MalformedPayload { .. } => "malformed_payload",
            WebhookError::InvalidAmount { .. } => "invalid_amount",
            WebhookError::UnsupportedCurrency { .. } => "unsupported_currency",
        }
    }

    /// The provider this error is about.
    pub fn provider(&self) -> Provider {
        match self {
            WebhookError::SecretMissing { provider }
            | WebhookError::TooManySecrets { provider, .. }
            | WebhookError::InvalidKey { provider, .. }
            | WebhookError::InvalidConfig { provider, .. }
            | WebhookError::MissingHeader { provider, .. }
            | WebhookError::DuplicateHeader { provider, .. }
            | WebhookError::MalformedHeader { provider, .. }
            | WebhookError::SchemeNotEnabled { provider, .. }
            | WebhookError::BadSignature { provider }
            | WebhookError::BodyHashMismatch { provider }
            | WebhookError::BadToken { provider }
            | WebhookError::OutsideReplayWindow { provider, .. }
            | WebhookError::BodyTooLarge { provider, .. }
            | WebhookError::InvalidUrl { provider, .. }
            | WebhookError::MalformedPayload { provider, .. }
            | WebhookError::InvalidAmount { provider, .. }
            | WebhookError::UnsupportedCurrency { provider, .. } => *provider,
        }
    }

    /// Whether the verifier itself is misconfigured (no secret, bad key, bad setting).
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            WebhookError::SecretMissing { .. }
                | WebhookError::TooManySecrets { .. }
                | WebhookError::InvalidKey { .. }
                | WebhookError::InvalidConfig { .. }
        )
    }

    /// Whether the request failed authentication: it must not be acted on.
    pub fn is_rejected_request(&self) -> bool {
        matches!(
            self,
            WebhookError::MissingHeader { .. }
                | WebhookError::DuplicateHeader { .. }
                | WebhookError::MalformedHeader { .. }
                | WebhookError::SchemeNotEnabled { .. }
                | WebhookError::BadSignature { .. }
                | WebhookError::BodyHashMismatch { .. }
                | WebhookError::BadToken { .. }
                | WebhookError::OutsideReplayWindow { .. }
                | WebhookError::BodyTooLarge { .. }
                | WebhookError::InvalidUrl { .. }
        )
    }

    pub(super) fn payload(provider: Provider, detail: impl Into<String>) -> WebhookError {
        WebhookError::MalformedPayload {
            provider,
            detail: detail.into(),
        }
    }

    /// A serde_json error, described by kind and position only: its message may quote the
    /// payload, so it is not kept.
    pub(super) fn json(provider: Provider, err: &serde_json::Error) -> WebhookError {
        use serde_json::error::Category;
        let what = match err.classify() {
            Category::Syntax => "invalid JSON",
            Category::Eof => "truncated JSON",
            Category::Data => "JSON of an unexpected shape",
            Category::Io => "unreadable JSON",
        };
        WebhookError::payload(
            provider,
            format!("{what} at line {} column {}", err.line(), err.column()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_split_the_variants_into_three_groups() {
        let p = Provider::Paystack;
        let config = [
            WebhookError::SecretMissing { provider: p },
            WebhookError::TooManySecrets {
                provider: p,
                count: 9,
                max: 8,
            },
            WebhookError::InvalidKey {
                provider: p,
                index: 0,
                reason: "x",
            },
            WebhookError::InvalidConfig {
                provider: p,
                reason: "x",
            },
        ];
        let rejected = [
            WebhookError::MissingHeader {
                provider: p,
                header: "h",
            },
            WebhookError::DuplicateHeader {
                provider: p,
                header: "h",
            },
            WebhookError::MalformedHeader {
                provider: p,
                header: "h",
                reason: "r",
            },
            WebhookError::SchemeNotEnabled {
                provider: p,
                scheme: "verif-hash",
            },
            WebhookError::BadSignature { provider: p },
            WebhookError::BodyHashMismatch { provider: p },
            WebhookError::BadToken { provider: p },
            WebhookError::OutsideReplayWindow {
                provider: p,
                timestamp: 1,
                now: 400,
                tolerance_s: 300,
            },
            WebhookError::BodyTooLarge {
                provider: p,
                len: 2,
                max: 1,
            },
            WebhookError::InvalidUrl {
                provider: p,
                reason: "r",
            },
        ];
        let payload = [
            WebhookError::payload(p, "d"),
            WebhookError::InvalidAmount {
                provider: p,
                source: MoneyError::EmptyAmount,
            },
            WebhookError::UnsupportedCurrency {
                provider: p,
                currency: Currency::EUR,
            },
        ];
        for e in &config {
            assert!(e.is_configuration() && !e.is_rejected_request(), "{e}");
        }
        for e in &rejected {
            assert!(!e.is_configuration() && e.is_rejected_request(), "{e}");
        }
        for e in &payload {
            assert!(!e.is_configuration() && !e.is_rejected_request(), "{e}");
        }
        for e in config.iter().chain(&rejected).chain(&payload) {
            assert_eq!(e.provider(), p);
            assert!(e.to_string().starts_with("paystack: "), "{e}");
        }
    }

    #[test]
    fn json_errors_keep_position_not_content() {
        let err = serde_json::from_str::<u32>("\"sk_live_secretish\"").unwrap_err();
        let e = WebhookError::json(Provider::Stripe, &err);
        let text = e.to_string();
        assert!(text.contains("unexpected shape at line 1"), "{text}");
        assert!(!text.contains("sk_live"), "{text}");
        let err = serde_json::from_str::<Vec<u32>>("[1").unwrap_err();
        assert!(
            WebhookError::json(Provider::Stripe, &err)
                .to_string()
                .contains("truncated JSON")
        );
        let err = serde_json::from_str::<u32>("}").unwrap_err();
        assert!(
            WebhookError::json(Provider::Stripe, &err)
                .to_string()
                .contains("invalid JSON")
        );
    }
}
