//! The Messages API's form fields and JSON answers, as Twilio documents them.

use ajo_core::ports::SmsMessage;
use serde::Deserialize;

/// The query parameter of the status-callback URL carrying ajo's message id; the webhook
/// verifier reads the same name back.
pub(super) const MESSAGE_ID_PARAM: &str = "ajo_message_id";

/// Who a message comes from, as Twilio's form fields name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum From {
    /// `From`: a number or an alphanumeric sender id.
    Sender(String),
    /// `MessagingServiceSid`.
    Service(String),
}

/// The form fields of one message, in the documented order.
pub(super) fn message_form(
    from: &From,
    status_callback: Option<&str>,
    message: &SmsMessage,
) -> Vec<(&'static str, String)> {
    let mut fields = vec![("To", message.to.clone())];
    fields.push(match from {
        From::Sender(sender) => ("From", sender.clone()),
        From::Service(sid) => ("MessagingServiceSid", sid.clone()),
    });
    fields.push(("Body", message.body.clone()));
    if let Some(url) = status_callback {
        fields.push(("StatusCallback", callback_url(url, &message.message_id)));
    }
    fields
}

/// `url` with `ajo_message_id=<id>` added to its query, the id form-encoded.
pub(super) fn callback_url(url: &str, message_id: &str) -> String {
    let separator = if url.ends_with(['?', '&']) {
        ""
    } else if url.contains('?') {
        "&"
    } else {
        "?"
    };
    let id: String = form_urlencoded::byte_serialize(message_id.as_bytes()).collect();
    format!("{url}{separator}{MESSAGE_ID_PARAM}={id}")
}

/// The message resource Twilio answers with; only the SID is needed.
#[derive(Debug, Deserialize)]
pub(super) struct MessageResource {
    pub(super) sid: String,
}

/// Twilio's error answer: `{"code":21211,"message":…,"more_info":…,"status":400}`.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) code: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_id_joins_the_callback_query() {
        let id = "g1:r1:reminder:ada:sms";
        let encoded = "ajo_message_id=g1%3Ar1%3Areminder%3Aada%3Asms";
        for (url, expected) in [
            (
                "https://a.example/cb",
                format!("https://a.example/cb?{encoded}"),
            ),
            (
                "https://a.example/cb?x=1",
                format!("https://a.example/cb?x=1&{encoded}"),
            ),
            (
                "https://a.example/cb?",
                format!("https://a.example/cb?{encoded}"),
            ),
            (
                "https://a.example/cb?x=1&",
                format!("https://a.example/cb?x=1&{encoded}"),
            ),
        ] {
            assert_eq!(callback_url(url, id), expected);
        }
        assert_eq!(
            callback_url("https://a.example/cb", "a b&c=d"),
            "https://a.example/cb?ajo_message_id=a+b%26c%3Dd"
        );
    }
}
