use ajo_core::error::Source;
use ajo_core::ports::GatewayError;
use serde::Deserialize;

use crate::http::{ApiResponse, gateway_status_error};

use super::PROVIDER;

/// Why a [`PaystackGateway`](super::PaystackGateway) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaystackError {
    /// The HTTP client (TLS stack) could not be set up.
    #[error("could not set up the paystack HTTP client")]
    HttpClient {
        /// Why: reqwest's error (it holds no secret: nothing was sent).
        #[source]
        source: Source,
    },
    /// The secret key is empty.
    #[error("the paystack secret key is empty")]
    EmptySecretKey,
}

/// Paystack's error envelope: `{"status": false, "message": "...", "code": "...", "type": "..."}`
/// (`code` and `type` only sometimes).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) code: Option<String>,
}

impl ErrorBody {
    pub(super) fn read(response: &ApiResponse) -> ErrorBody {
        response.json().unwrap_or_default()
    }

    fn mentions(&self, words: &[&str]) -> bool {
        let message = self.message.as_deref().unwrap_or("").to_ascii_lowercase();
        let code = self.code.as_deref().unwrap_or("").to_ascii_lowercase();
        words
            .iter()
            .any(|word| message.contains(word) || code.contains(word))
    }

    /// "Transaction reference not found", "Transfer not found".
    pub(super) fn is_not_found(&self) -> bool {
        self.mentions(&["not found", "not_found"])
    }

    /// "Your balance is not enough to fulfil this request" (`insufficient_balance`).
    fn is_insufficient_balance(&self) -> bool {
        self.mentions(&["insufficient", "balance is not enough"])
    }
}

/// What a non-2xx answer means. `reference` is what the call was about, for `NotFound`.
///
/// Provider messages are short, fixed phrases ("Invalid key", "Email Address is required");
/// they are kept (bounded) for support, the body itself never is.
pub(super) fn map_error(response: &ApiResponse, reference: Option<&str>) -> GatewayError {
    if let Some(error) = gateway_status_error(response) {
        return error;
    }
    let body = ErrorBody::read(response);
    match (response.status, reference) {
        (404, Some(reference)) => not_found(reference),
        (400 | 422, Some(reference)) if body.is_not_found() => not_found(reference),
        (400 | 422, _) if body.is_insufficient_balance() => GatewayError::InsufficientFunds,
        (400 | 422, _) => GatewayError::InvalidRequest {
            message: describe(&body),
        },
        (status, _) => unexpected(status),
    }
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

const MAX_MESSAGE_LEN: usize = 160;

fn describe(body: &ErrorBody) -> String {
    let message: String = body
        .message
        .as_deref()
        .unwrap_or("request refused")
        .chars()
        .take(MAX_MESSAGE_LEN)
        .collect();
    match &body.code {
        Some(code) => format!("paystack: {message} ({})", bounded(code)),
        None => format!("paystack: {message}"),
    }
}

fn bounded(text: &str) -> String {
    text.chars().take(64).collect()
}
