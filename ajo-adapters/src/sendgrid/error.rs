use ajo_core::error::Source;
use ajo_core::ports::{NotifyError, ProviderMessageId};

use super::wire::ErrorBody;
use crate::http::{ApiResponse, notify_status_error};

pub(super) const PROVIDER: &str = "sendgrid";

/// Why a [`SendGrid`](super::SendGrid) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The API key is empty.
    #[error("the SendGrid API key is empty")]
    MissingApiKey,
    /// The from address is not an email address.
    #[error("the from address {0:?} is not an email address")]
    InvalidFrom(String),
    /// The HTTP client could not be set up: reqwest's error (it holds no secret:
    /// nothing was sent).
    #[error("could not set up the sendgrid HTTP client")]
    Client(#[source] Source),
}

/// Reads Mail Send's answer: the message id, or the error it stands for.
pub(super) fn read(response: &ApiResponse) -> Result<ProviderMessageId, NotifyError> {
    let unexpected = NotifyError::Unexpected {
        provider: PROVIDER,
        status: response.status,
    };
    if response.is_success() {
        // Event Webhook reports name the message by `sg_message_id`, this id plus a
        // `.filter…` suffix, and the verifier keeps what comes before the first dot: the
        // id is stored in that same form so the reports find it.
        return response
            .header("x-message-id")
            .and_then(|id| id.trim().split('.').next())
            .filter(|id| !id.is_empty())
            .map(|id| ProviderMessageId(id.to_owned()))
            .ok_or(unexpected);
    }
    if let Some(error) = notify_status_error(response) {
        return Err(error);
    }
    match response.status {
        400 => {
            let Ok(body) = response.json::<ErrorBody>() else {
                return Err(unexpected);
            };
            let fields: Vec<&str> = body
                .errors
                .iter()
                .filter_map(|e| e.field.as_deref())
                .collect();
            if fields.iter().any(|field| names_a_recipient(field)) {
                Err(NotifyError::InvalidRecipient)
            } else {
                Err(NotifyError::Rejected {
                    code: fields
                        .first()
                        .map_or_else(|| "bad_request".to_owned(), |field| code(field)),
                })
            }
        }
        413 => Err(NotifyError::Rejected {
            code: "payload_too_large".to_owned(),
        }),
        _ => Err(unexpected),
    }
}

/// `personalizations.0.to`, `personalizations.0.to.0.email` and the like: the field
/// SendGrid names when it refuses the address we sent to.
fn names_a_recipient(field: &str) -> bool {
    let mut parts = field.split('.');
    parts.next() == Some("personalizations") && parts.any(|part| part == "to")
}

/// A field name as a short, printable code: SendGrid's field names are paths, but the
/// code ends up in logs, so anything else is cut out.
fn code(field: &str) -> String {
    field
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_fields_are_told_apart_from_others() {
        assert!(names_a_recipient("personalizations.0.to"));
        assert!(names_a_recipient("personalizations.0.to.0.email"));
        assert!(!names_a_recipient("from"));
        assert!(!names_a_recipient("from.email"));
        assert!(!names_a_recipient("personalizations.0.custom_args"));
        assert!(!names_a_recipient("to"));
    }

    #[test]
    fn codes_are_short_and_printable() {
        assert_eq!(code("from.email"), "from.email");
        assert_eq!(code("a\nb <script>"), "abscript");
        assert_eq!(code(&"x".repeat(100)).len(), 64);
    }
}
