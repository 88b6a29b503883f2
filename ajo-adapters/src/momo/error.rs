use ajo_core::error::Source;
use ajo_core::ports::GatewayError;
use serde::Deserialize;

use crate::http::{ApiResponse, gateway_status_error};

use super::PROVIDER;

/// Why a [`MomoGateway`](super::MomoGateway) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MomoError {
    /// The HTTP client (TLS stack) could not be set up.
    #[error("could not set up the mtn-momo HTTP client")]
    HttpClient {
        /// Why: reqwest's error (it holds no secret: nothing was sent).
        #[source]
        source: Source,
    },
    /// A setting MTN needs is empty.
    #[error("the mtn-momo {setting} is empty")]
    MissingSetting {
        /// Which one.
        setting: &'static str,
    },
}

/// MTN's error body: `{"code": "RESOURCE_NOT_FOUND", "message": "..."}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) code: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
}

impl ErrorBody {
    pub(super) fn read(response: &ApiResponse) -> ErrorBody {
        response.json().unwrap_or_default()
    }
}

/// What a refusal means. `reference` is what the call was about, for `NotFound`.
pub(super) fn map_error(response: &ApiResponse, reference: Option<&str>) -> GatewayError {
    if let (404, Some(reference)) = (response.status, reference) {
        return GatewayError::NotFound {
            reference: reference.to_owned(),
        };
    }
    if let Some(error) = gateway_status_error(response) {
        return error;
    }
    let body = ErrorBody::read(response);
    match response.status {
        400..=499 => {
            let code: String = body
                .code
                .as_deref()
                .unwrap_or("BAD_REQUEST")
                .chars()
                .take(64)
                .collect();
            let message: String = body
                .message
                .as_deref()
                .unwrap_or("request refused")
                .chars()
                .take(160)
                .collect();
            invalid(format!("mtn-momo: {message} ({code})"))
        }
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
