use ajo_core::error::Source;
use ajo_core::ports::{NotifyError, ProviderMessageId};

use super::wire::{ErrorBody, MessageResource};
use crate::http::{ApiResponse, notify_status_error};

pub(super) const PROVIDER: &str = "twilio";

/// Why a [`Twilio`](super::Twilio) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The account SID is not `AC` and 32 hex digits.
    #[error("the account SID is not AC and 32 hex digits")]
    InvalidAccountSid,
    /// The auth token is empty.
    #[error("the Twilio auth token is empty")]
    MissingAuthToken,
    /// The sender is not an E.164 number, an alphanumeric sender id (up to 11 letters,
    /// digits or spaces, at least one letter) or a messaging service SID (`MG` and 32 hex
    /// digits).
    #[error("the sender {0:?} is not an E.164 number, a sender id or a messaging service SID")]
    InvalidSender(String),
    /// The status-callback URL is not an absolute `http(s)` URL without a fragment.
    #[error("the status-callback URL is not an absolute http(s) URL without a fragment")]
    InvalidStatusCallback,
    /// The HTTP client could not be set up: reqwest's error (it holds no secret:
    /// nothing was sent).
    #[error("could not set up the twilio HTTP client")]
    Client(#[source] Source),
}

/// Error codes that mean the number we sent to cannot take an SMS.
const BAD_RECIPIENT_CODES: [u32; 3] = [21211, 21401, 21614];

/// Reads the Messages API's answer: the message SID, or the error it stands for.
pub(super) fn read(response: &ApiResponse) -> Result<ProviderMessageId, NotifyError> {
    let unexpected = NotifyError::Unexpected {
        provider: PROVIDER,
        status: response.status,
    };
    if response.is_success() {
        return response
            .json::<MessageResource>()
            .ok()
            .map(|message| message.sid)
            .filter(|sid| is_sid(sid))
            .map(ProviderMessageId)
            .ok_or(unexpected);
    }
    if let Some(error) = notify_status_error(response) {
        return Err(error);
    }
    if !(400..500).contains(&response.status) {
        return Err(unexpected);
    }
    match response.json::<ErrorBody>().ok().and_then(|body| body.code) {
        Some(code) if BAD_RECIPIENT_CODES.contains(&code) => Err(NotifyError::InvalidRecipient),
        Some(code) => Err(NotifyError::Rejected {
            code: code.to_string(),
        }),
        None => Err(unexpected),
    }
}

/// Two letters and 32 hex digits, as every Twilio SID is.
pub(super) fn is_sid_with(prefix: &str, sid: &str) -> bool {
    sid.strip_prefix(prefix)
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A message SID (`SM…`, or `MM…` for MMS): it becomes our provider id, so it is checked
/// before it is stored.
fn is_sid(sid: &str) -> bool {
    is_sid_with("SM", sid) || is_sid_with("MM", sid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_two_letters_and_32_hex_digits() {
        let hex = "0123456789abcdef0123456789ABCDEF";
        assert!(is_sid(&format!("SM{hex}")));
        assert!(is_sid_with("AC", &format!("AC{hex}")));
        assert!(!is_sid(&format!("AC{hex}")));
        assert!(!is_sid(&format!("SM{}", &hex[1..])));
        assert!(!is_sid("SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"));
        assert!(!is_sid(""));
    }
}
