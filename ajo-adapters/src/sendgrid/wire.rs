//! Mail Send's JSON, as SendGrid documents it.

use ajo_core::ports::EmailMessage;
use serde::Deserialize;
use serde_json::{Value, json};

/// The custom argument carrying ajo's message id; the webhook verifier reads the same
/// name back from each event.
pub(super) const MESSAGE_ID_ARG: &str = "ajo_message_id";

/// Who an email comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct From {
    pub(super) email: String,
    pub(super) name: Option<String>,
}

/// The body of `POST /v3/mail/send` for one message to one recipient.
pub(super) fn mail_send(from: &From, message: &EmailMessage) -> Value {
    let mut content = vec![json!({ "type": "text/plain", "value": message.text })];
    if let Some(html) = &message.html {
        content.push(json!({ "type": "text/html", "value": html }));
    }
    let from = match &from.name {
        Some(name) => json!({ "email": from.email, "name": name }),
        None => json!({ "email": from.email }),
    };
    let mut custom_args = serde_json::Map::new();
    custom_args.insert(MESSAGE_ID_ARG.to_owned(), json!(message.message_id));
    json!({
        "personalizations": [{
            "to": [{ "email": message.to }],
            "custom_args": custom_args,
        }],
        "from": from,
        "subject": message.subject,
        "content": content,
    })
}

/// SendGrid's error answer: `{"errors":[{"message":…,"field":…,"help":…}]}`.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) errors: Vec<ErrorItem>,
}

/// One error; only the field is read (messages can quote what was sent).
#[derive(Debug, Deserialize)]
pub(super) struct ErrorItem {
    #[serde(default)]
    pub(super) field: Option<String>,
}
