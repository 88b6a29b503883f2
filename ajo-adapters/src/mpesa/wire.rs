//! Daraja's request and response bodies, as its pages document them.

use ajo_core::money::{Currency, Money};
use ajo_core::ports::GatewayError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::invalid;

/// The OAuth answer. `expires_in` is a number in today's docs and a string in older
/// ones and many clients: both are read.
#[derive(Deserialize)]
pub(super) struct OAuthToken {
    pub(super) access_token: String,
    pub(super) expires_in: Box<RawValue>,
}

impl OAuthToken {
    /// The lifetime in seconds, if it reads as a whole number.
    pub(super) fn lifetime_s(&self) -> Option<i64> {
        self.expires_in.get().trim_matches('"').parse().ok()
    }
}

#[derive(Serialize)]
pub(super) struct StkPush<'a> {
    #[serde(rename = "BusinessShortCode")]
    pub(super) business_short_code: &'a str,
    #[serde(rename = "Password")]
    pub(super) password: &'a str,
    #[serde(rename = "Timestamp")]
    pub(super) timestamp: &'a str,
    #[serde(rename = "TransactionType")]
    pub(super) transaction_type: &'a str,
    #[serde(rename = "Amount")]
    pub(super) amount: i128,
    #[serde(rename = "PartyA")]
    pub(super) party_a: &'a str,
    #[serde(rename = "PartyB")]
    pub(super) party_b: &'a str,
    #[serde(rename = "PhoneNumber")]
    pub(super) phone_number: &'a str,
    #[serde(rename = "CallBackURL")]
    pub(super) callback_url: &'a str,
    #[serde(rename = "AccountReference")]
    pub(super) account_reference: &'a str,
    #[serde(rename = "TransactionDesc")]
    pub(super) transaction_desc: &'a str,
}

#[derive(Deserialize)]
pub(super) struct StkPushed {
    #[serde(rename = "CheckoutRequestID")]
    pub(super) checkout_request_id: String,
    #[serde(rename = "ResponseCode", default)]
    pub(super) response_code: Option<Box<RawValue>>,
}

#[derive(Serialize)]
pub(super) struct StkQuery<'a> {
    #[serde(rename = "BusinessShortCode")]
    pub(super) business_short_code: &'a str,
    #[serde(rename = "Password")]
    pub(super) password: &'a str,
    #[serde(rename = "Timestamp")]
    pub(super) timestamp: &'a str,
    #[serde(rename = "CheckoutRequestID")]
    pub(super) checkout_request_id: &'a str,
}

#[derive(Deserialize)]
pub(super) struct StkQueried {
    #[serde(rename = "CheckoutRequestID", default)]
    pub(super) checkout_request_id: Option<String>,
    #[serde(rename = "ResultCode")]
    pub(super) result_code: Box<RawValue>,
}

#[derive(Serialize)]
pub(super) struct B2cPayment<'a> {
    #[serde(rename = "OriginatorConversationID")]
    pub(super) originator_conversation_id: &'a str,
    #[serde(rename = "InitiatorName")]
    pub(super) initiator_name: &'a str,
    #[serde(rename = "SecurityCredential")]
    pub(super) security_credential: &'a str,
    #[serde(rename = "CommandID")]
    pub(super) command_id: &'a str,
    #[serde(rename = "Amount")]
    pub(super) amount: i128,
    #[serde(rename = "PartyA")]
    pub(super) party_a: &'a str,
    #[serde(rename = "PartyB")]
    pub(super) party_b: &'a str,
    #[serde(rename = "Remarks")]
    pub(super) remarks: &'a str,
    #[serde(rename = "QueueTimeOutURL")]
    pub(super) queue_timeout_url: &'a str,
    #[serde(rename = "ResultURL")]
    pub(super) result_url: &'a str,
    // Daraja's v3 spelling.
    #[serde(rename = "Occassion")]
    pub(super) occasion: &'a str,
}

/// A Transaction Status query (v1 field names; `OriginalConversationID` names the payout by
/// the id ajo sent it with).
#[derive(Serialize)]
pub(super) struct TransactionStatus<'a> {
    #[serde(rename = "Initiator")]
    pub(super) initiator: &'a str,
    #[serde(rename = "SecurityCredential")]
    pub(super) security_credential: &'a str,
    #[serde(rename = "CommandID")]
    pub(super) command_id: &'static str,
    #[serde(rename = "TransactionID")]
    pub(super) transaction_id: &'a str,
    #[serde(rename = "OriginalConversationID")]
    pub(super) original_conversation_id: &'a str,
    #[serde(rename = "PartyA")]
    pub(super) party_a: &'a str,
    #[serde(rename = "IdentifierType")]
    pub(super) identifier_type: &'static str,
    #[serde(rename = "ResultURL")]
    pub(super) result_url: &'a str,
    #[serde(rename = "QueueTimeOutURL")]
    pub(super) queue_timeout_url: &'a str,
    #[serde(rename = "Remarks")]
    pub(super) remarks: &'static str,
    #[serde(rename = "Occasion")]
    pub(super) occasion: &'a str,
}

#[derive(Deserialize)]
pub(super) struct B2cAccepted {
    #[serde(rename = "ConversationID", default)]
    pub(super) conversation_id: Option<String>,
    #[serde(rename = "OriginatorConversationID", default)]
    pub(super) originator_conversation_id: Option<String>,
}

/// A result or response code as text: `0`, `"0"`, `"1032"`.
pub(super) fn code_text(raw: &RawValue) -> String {
    raw.get().trim_matches('"').to_owned()
}

/// Whole Kenyan shillings, positive: all Daraja takes.
pub(super) fn whole_shillings(amount: &Money) -> Result<i128, GatewayError> {
    if amount.currency() != Currency::KES {
        return Err(invalid(format!(
            "mpesa takes KES only, not {}",
            amount.currency().code()
        )));
    }
    if !amount.is_positive() {
        return Err(invalid("mpesa: the amount must be above zero"));
    }
    let cents = amount.minor();
    if cents % 100 != 0 {
        return Err(invalid("mpesa takes whole shillings only"));
    }
    Ok(cents / 100)
}

/// Daraja's `Timestamp`: `YYYYMMDDHHmmss` in Nairobi time.
pub(super) fn timestamp(now: DateTime<Utc>) -> String {
    now.with_timezone(&chrono_tz::Africa::Nairobi)
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// At most `max` characters of `text`: Daraja limits `AccountReference` (12) and
/// `TransactionDesc` (13).
pub(super) fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
