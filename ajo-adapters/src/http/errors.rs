use ajo_core::ports::{GatewayError, NotifyError};

use super::client::{ApiResponse, TransportError};

impl From<TransportError> for GatewayError {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Connect | TransportError::CircuitOpen => GatewayError::Unavailable,
            TransportError::Timeout | TransportError::Interrupted => GatewayError::Timeout,
        }
    }
}

impl From<TransportError> for NotifyError {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Connect | TransportError::CircuitOpen => NotifyError::Unavailable,
            TransportError::Timeout | TransportError::Interrupted => NotifyError::Timeout,
        }
    }
}

/// The answers every provider gives the same meaning: refused credentials, rate limits and
/// server errors. `None` for the rest, which each adapter reads in its own words.
pub fn gateway_status_error(response: &ApiResponse) -> Option<GatewayError> {
    match response.status {
        401 | 403 => Some(GatewayError::Unauthorized),
        429 => Some(GatewayError::RateLimited {
            retry_after: response.retry_after,
        }),
        500..=599 => Some(GatewayError::Unavailable),
        _ => None,
    }
}

/// [`gateway_status_error`] for the messaging ports.
pub fn notify_status_error(response: &ApiResponse) -> Option<NotifyError> {
    match response.status {
        401 | 403 => Some(NotifyError::Unauthorized),
        429 => Some(NotifyError::RateLimited {
            retry_after: response.retry_after,
        }),
        500..=599 => Some(NotifyError::Unavailable),
        _ => None,
    }
}
