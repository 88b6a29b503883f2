use ajo_core::error::Source;
use ajo_core::ports::GatewayError;
use serde::Deserialize;

use crate::http::{ApiResponse, gateway_status_error};

use super::PROVIDER;

/// Why an [`MpesaGateway`](super::MpesaGateway) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MpesaError {
    /// The HTTP client (TLS stack) could not be set up.
    #[error("could not set up the mpesa HTTP client")]
    HttpClient {
        /// Why: reqwest's error (it holds no secret: nothing was sent).
        #[source]
        source: Source,
    },
    /// A setting Daraja needs is empty.
    #[error("the mpesa {setting} is empty")]
    MissingSetting {
        /// Which one.
        setting: &'static str,
    },
}

/// Daraja's error envelope: `{"requestId": "...", "errorCode": "400.002.02",
/// "errorMessage": "Bad Request - Invalid PhoneNumber"}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(rename = "errorCode", default)]
    pub(super) code: Option<String>,
    #[serde(rename = "errorMessage", default)]
    pub(super) message: Option<String>,
}

impl ErrorBody {
    pub(super) fn read(response: &ApiResponse) -> ErrorBody {
        response.json().unwrap_or_default()
    }

    pub(super) fn code(&self) -> &str {
        self.code.as_deref().unwrap_or_default()
    }

    pub(super) fn says(&self, words: &str) -> bool {
        self.message
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .contains(words)
    }

    /// Daraja's several codes for a token it does not take (the docs disagree on which it
    /// sends): the cached token is dropped and fetched again.
    pub(super) fn is_bad_token(&self) -> bool {
        matches!(
            self.code(),
            "404.001.03" | "400.003.01" | "401.002.01" | "404.001.04"
        ) || self.says("invalid access token")
    }
}

/// What a refusal means, once the token and the call's own special cases are dealt with.
pub(super) fn map_error(response: &ApiResponse) -> GatewayError {
    let body = ErrorBody::read(response);
    match body.code() {
        // "System is busy" / "Spike Arrest Violation", and "Quota Violation".
        "500.003.02" | "500.003.03" => {
            return GatewayError::RateLimited {
                retry_after: response.retry_after,
            };
        }
        "500.001.1001" if body.says("wrong credentials") => return GatewayError::Unauthorized,
        // "Unable to lock subscriber, a transaction is already in process for the current
        // subscriber", "Merchant does not exist": Daraja would not take it.
        "500.001.1001" => {
            return GatewayError::Declined {
                code: "500.001.1001".to_owned(),
            };
        }
        _ => {}
    }
    if let Some(error) = gateway_status_error(response) {
        return error;
    }
    match response.status {
        400..=499 => invalid(describe(&body)),
        status => unexpected(status),
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

/// Daraja's message and code, bounded: fixed phrases ("Bad Request - Invalid Amount"),
/// never the body.
fn describe(body: &ErrorBody) -> String {
    let message: String = body
        .message
        .as_deref()
        .unwrap_or("request refused")
        .chars()
        .take(160)
        .collect();
    let code: String = body.code().chars().take(32).collect();
    format!("mpesa: {message} ({code})")
}
