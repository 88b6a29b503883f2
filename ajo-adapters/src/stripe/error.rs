use ajo_core::error::Source;
use ajo_core::ports::GatewayError;
use serde::Deserialize;

use crate::http::{ApiResponse, gateway_status_error};

use super::PROVIDER;

/// Why a [`StripeGateway`](super::StripeGateway) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StripeError {
    /// The HTTP client (TLS stack) could not be set up.
    #[error("could not set up the stripe HTTP client")]
    HttpClient {
        /// Why: reqwest's error (it holds no secret: nothing was sent).
        #[source]
        source: Source,
    },
    /// The secret key is empty.
    #[error("the stripe secret key is empty")]
    EmptySecretKey,
}

/// `{"error": {"type": "...", "code": "...", "decline_code": "...", "message": "..."}}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorEnvelope {
    #[serde(default)]
    error: ErrorBody,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// What a non-2xx answer means. `reference` is what the call was about, for `NotFound`.
///
/// Stripe's `code`, `decline_code` and `type` are stable identifiers and are kept; its
/// `message` can quote parameters back, so only a bounded prefix goes into
/// `InvalidRequest`.
pub(super) fn map_error(response: &ApiResponse, reference: Option<&str>) -> GatewayError {
    if let Some(error) = gateway_status_error(response) {
        return error;
    }
    let body = response
        .json::<ErrorEnvelope>()
        .map(|e| e.error)
        .unwrap_or_default();
    let code = body.code.as_deref().unwrap_or("");
    let decline = body.decline_code.as_deref().unwrap_or("");
    if code == "insufficient_funds"
        || decline == "insufficient_funds"
        || code == "balance_insufficient"
    {
        return GatewayError::InsufficientFunds;
    }
    match (response.status, reference) {
        (402, _) => GatewayError::Declined {
            code: bounded(if decline.is_empty() { code } else { decline }),
        },
        (404, Some(reference)) => not_found(reference),
        (400, Some(reference)) if code == "resource_missing" => not_found(reference),
        // Another request with the same idempotency key is still being carried out.
        (409, _) if body.kind.as_deref() != Some("idempotency_error") => GatewayError::Unavailable,
        (400 | 404 | 409, _) => GatewayError::InvalidRequest {
            message: format!(
                "stripe: {} ({})",
                body.message
                    .as_deref()
                    .unwrap_or("request refused")
                    .chars()
                    .take(160)
                    .collect::<String>(),
                bounded(if code.is_empty() {
                    body.kind.as_deref().unwrap_or("")
                } else {
                    code
                })
            ),
        },
        (status, _) => unexpected(status),
    }
}

fn bounded(text: &str) -> String {
    text.chars().take(64).collect()
}

pub(super) fn not_found(reference: &str) -> GatewayError {
    GatewayError::NotFound {
        reference: reference.to_owned(),
    }
}

pub(super) fn unexpected(status: u16) -> GatewayError {
    GatewayError::Unexpected {
        provider: PROVIDER,
        status,
    }
}

pub(super) fn invalid(message: impl Into<String>) -> GatewayError {
    GatewayError::InvalidRequest {
        message: message.into(),
    }
}
