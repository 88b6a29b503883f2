use ajo_core::error::Source;
use ajo_core::ports::GatewayError;
use serde::Deserialize;

use crate::http::{ApiResponse, gateway_status_error};

use super::PROVIDER;

/// Why a [`FlutterwaveGateway`](super::FlutterwaveGateway) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlutterwaveError {
    /// The HTTP client (TLS stack) could not be set up.
    #[error("could not set up the flutterwave HTTP client")]
    HttpClient {
        /// Why: reqwest's error (it holds no secret: nothing was sent).
        #[source]
        source: Source,
    },
    /// The secret key is empty.
    #[error("the flutterwave secret key is empty")]
    EmptySecretKey,
}

/// Flutterwave's error envelope: `{"status": "error", "message": "...", "data": null}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) message: Option<String>,
}

impl ErrorBody {
    pub(super) fn read(response: &ApiResponse) -> ErrorBody {
        response.json().unwrap_or_default()
    }

    fn message(&self) -> String {
        self.message.as_deref().unwrap_or("").to_ascii_lowercase()
    }

    /// "No transaction was found for this id".
    fn is_not_found(&self) -> bool {
        let message = self.message();
        message.contains("not found") || message.contains("no transaction")
    }

    fn is_insufficient_balance(&self) -> bool {
        self.message().contains("insufficient")
    }

    /// A transfer reference already used. Flutterwave does not document its wording; it
    /// reads as "duplicate" or as a reference that already exists.
    pub(super) fn is_duplicate_reference(&self) -> bool {
        let message = self.message();
        message.contains("duplicate")
            || (message.contains("reference")
                && (message.contains("exist") || message.contains("already")))
    }
}

/// What a non-2xx answer means. `reference` is what the call was about, for `NotFound`.
pub(super) fn map_error(response: &ApiResponse, reference: Option<&str>) -> GatewayError {
    if let Some(error) = gateway_status_error(response) {
        return error;
    }
    let body = ErrorBody::read(response);
    match (response.status, reference) {
        (404, Some(reference)) => not_found(reference),
        (400 | 422, Some(reference)) if body.is_not_found() => not_found(reference),
        (400 | 422, _) if body.is_insufficient_balance() => GatewayError::InsufficientFunds,
        (400 | 409 | 422, _) => GatewayError::InvalidRequest {
            message: format!(
                "flutterwave: {}",
                body.message
                    .as_deref()
                    .unwrap_or("request refused")
                    .chars()
                    .take(160)
                    .collect::<String>()
            ),
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
