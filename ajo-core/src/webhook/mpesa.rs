//! M-Pesa (Safaricom Daraja): STK Push callbacks and B2C results, which Daraja does not
//! sign.
//!
//! A callback is read only when it comes to a URL ending with this deployment's path
//! token ([`CallbackSecret`]), and everything it says is a hint: each event carries
//! [`Authentication::CallbackToken`], and the service asks Daraja (STK Push Query) before
//! crediting a collection. Daraja has no synchronous status for a B2C payment, so a B2C
//! result is bound to its payout another way: ajo sends the payout with an
//! `OriginatorConversationID` that is a tag of its reference under the deployment's
//! *payout key* ([`CallbackSecret::tag`] with [`B2C_TAG`], given to the verifier with
//! [`MpesaVerifier::with_payout_key`]), and a result that echoes the right tag carries
//! [`Authentication::CallbackTag`]. The payout key is not the callback secret: that one is
//! rolled, and a payout sent again after a roll must carry the very id it was first sent
//! with, or Daraja would take it as a new payment.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::callback::{self, CallbackUrl};
use super::event::{GatewayEvent, Ignored, MAX_REASON_LEN, PaymentEventKind, bounded};
use super::{
    Acknowledgement, Authentication, CallbackSecret, DEFAULT_MAX_BODY_LEN, Provider,
    REFERENCE_PARAM, Rail, WebhookError, WebhookOutcome, WebhookRequest, WebhookVerifier,
    check_body_len, checked_max_body_len, payload,
};
use crate::money::{Currency, Money};

const P: Provider = Provider::Mpesa;

/// M-Pesa's rail: Kenyan shillings. Daraja takes whole shillings only; the adapter refuses
/// cents before any request.
pub const RAIL: Rail = Rail::new(P, &[Currency::KES]);

/// The purpose under which a B2C payout's `OriginatorConversationID` is tagged.
pub const B2C_TAG: &str = "b2c";

/// The query parameter the adapter adds to a Transaction Status query's result URL, so
/// its result (the same envelope as a B2C result) is read as one.
pub const STATUS_PARAM: (&str, &str) = ("kind", "status");

/// What Daraja is answered when a callback was handled. Daraja documents no body for STK
/// and B2C results; this is the one it documents for C2B and the one integrators send.
const ACK: Acknowledgement = Acknowledgement {
    content_type: "application/json",
    body: r#"{"ResultCode":0,"ResultDesc":"Accepted"}"#,
};

/// Verifies M-Pesa callbacks by their URL token and reads STK Push callbacks and B2C
/// results.
///
/// ```
/// use ajo_core::webhook::{
///     Authentication, CallbackSecret, MpesaVerifier, PaymentEventKind, Provider, WebhookOutcome,
///     WebhookRequest, WebhookVerifier,
/// };
/// use chrono::Utc;
/// use secrecy::SecretString;
///
/// let secret = CallbackSecret::new(Provider::Mpesa, SecretString::from("s".repeat(32)))?;
/// let verifier = MpesaVerifier::new(vec![secret.clone()])?;
/// let url = secret.callback_url("https://pay.example.com/webhooks/mpesa", "ajo=ctb=g1=r1=h1");
/// let body = br#"{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1",
///   "CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":0,
///   "ResultDesc":"The service request is processed successfully.",
///   "CallbackMetadata":{"Item":[{"Name":"Amount","Value":1500.00},
///   {"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},{"Name":"Balance"},
///   {"Name":"TransactionDate","Value":20191219102115},{"Name":"PhoneNumber","Value":254708374149}]}}}}"#;
/// let request = WebhookRequest::new(&[], body, Utc::now()).with_url(&url);
/// let outcomes = verifier.verify_request(&request)?;
/// let [WebhookOutcome::Payment(event)] = outcomes.as_slice() else {
///     panic!("a paid STK Push is a payment");
/// };
/// assert_eq!(event.kind(), PaymentEventKind::ChargeSucceeded);
/// assert_eq!(event.reference(), "ajo=ctb=g1=r1=h1");
/// assert_eq!(event.amount().to_string(), "1500.00 KES");
/// assert_eq!(event.transaction_id(), Some("ws_CO_191220191020363925"));
/// // Unsigned: the service confirms it with Daraja before crediting anything.
/// assert_eq!(event.authentication(), Authentication::CallbackToken);
///
/// // The same body at a URL without the token is refused unread.
/// let forged = WebhookRequest::new(&[], body, Utc::now())
///     .with_url("https://pay.example.com/webhooks/mpesa/guess?ref=ajo=ctb=g1=r1=h1");
/// assert!(verifier.verify_request(&forged).unwrap_err().is_rejected_request());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MpesaVerifier {
    secrets: Vec<CallbackSecret>,
    payout_key: Option<CallbackSecret>,
    max_body_len: usize,
}

impl fmt::Debug for MpesaVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpesaVerifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("payout_key", &self.payout_key.is_some())
            .field("max_body_len", &self.max_body_len)
            .finish()
    }
}

impl MpesaVerifier {
    /// A verifier for the given callback secrets (several while one is rolled).
    ///
    /// # Errors
    /// [`WebhookError::SecretMissing`] for none, [`WebhookError::TooManySecrets`] past
    /// [`MAX_SECRETS`](super::MAX_SECRETS), [`WebhookError::InvalidConfig`] for a secret
    /// made for another provider.
    pub fn new(secrets: Vec<CallbackSecret>) -> Result<MpesaVerifier, WebhookError> {
        Ok(MpesaVerifier {
            secrets: callback::checked(P, secrets)?,
            payout_key: None,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// Checks B2C results for the tag the adapter sent each payout with, under `key`
    /// (the same key as the M-Pesa adapter's `B2cConfig`): a result that carries its
    /// payout's tag is [`Authentication::CallbackTag`]. Without a payout key every B2C
    /// result is a bare [`Authentication::CallbackToken`], which books nothing.
    ///
    /// The key stays the same for the life of the deployment (it has no "previous"
    /// twin): ids made with it are sent again as long as a payout is unsettled.
    #[must_use]
    pub fn with_payout_key(mut self, key: CallbackSecret) -> MpesaVerifier {
        self.payout_key = Some(key);
        self
    }

    /// The largest body accepted (default [`DEFAULT_MAX_BODY_LEN`]).
    ///
    /// # Errors
    /// [`WebhookError::InvalidConfig`] for zero.
    pub fn with_max_body_len(mut self, max: usize) -> Result<MpesaVerifier, WebhookError> {
        self.max_body_len = checked_max_body_len(P, max)?;
        Ok(self)
    }

    /// Checks the URL's token, then reads the callback.
    ///
    /// | Daraja callback | `ResultCode` | outcome |
    /// | --- | --- | --- |
    /// | `Body.stkCallback` | `0` | [`PaymentEventKind::ChargeSucceeded`], `Amount` from `CallbackMetadata` |
    /// | `Body.stkCallback` | any other (1 insufficient funds, 1032 cancelled, 1037 unreachable...) | [`PaymentEventKind::ChargeFailed`] (zero amount), `ResultDesc` as the reason |
    /// | `Result` (B2C) | `0` | [`PaymentEventKind::PayoutSucceeded`], `TransactionAmount` |
    /// | `Result` (B2C, or its queue timeout) | any other | [`PaymentEventKind::PayoutFailed`] (zero amount) |
    /// | `Result` of a Transaction Status query (URL `kind=status`) | `0`, `TransactionStatus` `Completed` | [`PaymentEventKind::PayoutSucceeded`], `Amount` |
    /// | `Result` of a Transaction Status query | anything else | [`WebhookOutcome::Ignored`]: a failure is left to the B2C result and review |
    /// | anything else | | [`WebhookOutcome::Ignored`] |
    ///
    /// The reference is the URL's `ref` parameter, which the adapter put there: Daraja
    /// echoes none of ajo's own. The transaction id is what Daraja looks the request up
    /// by: the STK `CheckoutRequestID`, the B2C `TransactionID` (else `ConversationID`);
    /// the provider reference is the M-Pesa receipt (STK) or `ConversationID` (B2C).
    ///
    /// # Errors
    /// [`WebhookError::BodyTooLarge`]; [`WebhookError::BadToken`] when the URL does not end
    /// with a configured secret's token; then [`WebhookError::MalformedPayload`] (no `ref`,
    /// a body not in Daraja's shape) and [`WebhookError::InvalidAmount`].
    pub fn verify_and_parse(&self, url: &str, body: &[u8]) -> Result<WebhookOutcome, WebhookError> {
        check_body_len(P, body, self.max_body_len)?;
        let url = CallbackUrl::parse(P, url)?;
        url.secret(P, &self.secrets)?;
        let payout_key = self.payout_key.as_ref();
        let reference = url
            .param(P, REFERENCE_PARAM)?
            .ok_or_else(|| WebhookError::payload(P, "the callback URL names no reference (ref)"))?;
        let reference = payload::text_id(P, &reference, "ref")?;
        let text = payload::utf8(P, body)?;
        let envelope: Envelope<'_> = payload::json(P, text)?;
        if let Some(stk) = envelope.body.and_then(|b| b.stk_callback) {
            return stk_outcome(&reference, &stk);
        }
        if let Some(result) = envelope.result {
            if url.param(P, STATUS_PARAM.0)?.as_deref() == Some(STATUS_PARAM.1) {
                return status_outcome(payout_key, &reference, &result);
            }
            return b2c_outcome(payout_key, &reference, &result);
        }
        Ok(WebhookOutcome::Ignored(Ignored::new(P, "unknown")))
    }
}

impl WebhookVerifier for MpesaVerifier {
    fn rail(&self) -> Rail {
        RAIL
    }

    fn max_body_len(&self) -> usize {
        self.max_body_len
    }

    fn token_in_path(&self) -> bool {
        true
    }

    fn acknowledgement(&self) -> Option<Acknowledgement> {
        Some(ACK)
    }

    fn verify_request(
        &self,
        request: &WebhookRequest<'_>,
    ) -> Result<Vec<WebhookOutcome>, WebhookError> {
        self.verify_and_parse(request.url(), request.body())
            .map(|outcome| vec![outcome])
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Body", borrow, default)]
    body: Option<StkBody<'a>>,
    #[serde(rename = "Result", borrow, default)]
    result: Option<B2cResult<'a>>,
}

#[derive(Deserialize)]
struct StkBody<'a> {
    #[serde(rename = "stkCallback", borrow, default)]
    stk_callback: Option<StkCallback<'a>>,
}

#[derive(Deserialize)]
struct StkCallback<'a> {
    #[serde(rename = "CheckoutRequestID")]
    checkout_request_id: String,
    #[serde(rename = "ResultCode", borrow)]
    result_code: &'a RawValue,
    #[serde(rename = "ResultDesc", default)]
    result_desc: Option<String>,
    #[serde(rename = "CallbackMetadata", borrow, default)]
    metadata: Option<Metadata<'a>>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(rename = "Item", borrow, default)]
    items: Vec<Item<'a>>,
}

#[derive(Deserialize)]
struct Item<'a> {
    #[serde(rename = "Name")]
    name: String,
    // Daraja sends `{"Name":"Balance"}` with no value.
    #[serde(rename = "Value", borrow, default)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct B2cResult<'a> {
    #[serde(rename = "ResultCode", borrow)]
    result_code: &'a RawValue,
    #[serde(rename = "ResultDesc", default)]
    result_desc: Option<String>,
    #[serde(rename = "OriginatorConversationID", default)]
    originator_conversation_id: Option<String>,
    #[serde(rename = "ConversationID", default)]
    conversation_id: Option<String>,
    #[serde(rename = "TransactionID", default)]
    transaction_id: Option<String>,
    #[serde(rename = "ResultParameters", borrow, default)]
    parameters: Option<Parameters<'a>>,
}

#[derive(Deserialize)]
struct Parameters<'a> {
    #[serde(rename = "ResultParameter", borrow, default)]
    items: Vec<Parameter<'a>>,
}

#[derive(Deserialize)]
struct Parameter<'a> {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", borrow, default)]
    value: Option<&'a RawValue>,
}

/// Daraja's result code as text: a JSON number (`0`, `1032`) or a string (`"0"`,
/// `"SFC_IC0003"`).
fn result_code(raw: &RawValue) -> Result<String, WebhookError> {
    let text = raw.get();
    let code = if text.starts_with('"') {
        payload::json::<String>(P, text)?
    } else {
        text.to_owned()
    };
    if code.is_empty() || code.len() > 32 || code.chars().any(char::is_control) {
        return Err(WebhookError::payload(P, "ResultCode is not a result code"));
    }
    Ok(code)
}

fn succeeded(code: &str) -> bool {
    code == "0"
}

fn reason(desc: Option<&String>, code: &str) -> String {
    let text = match desc {
        Some(desc) => format!("{code}: {desc}"),
        None => code.to_owned(),
    };
    bounded(&text, MAX_REASON_LEN)
}

fn stk_outcome(reference: &str, stk: &StkCallback<'_>) -> Result<WebhookOutcome, WebhookError> {
    let code = result_code(stk.result_code)?;
    let checkout = payload::text_id(P, &stk.checkout_request_id, "CheckoutRequestID")?;
    let items = stk
        .metadata
        .as_ref()
        .map_or(&[][..], |m| m.items.as_slice());
    let item = |name: &str| items.iter().find(|i| i.name == name).and_then(|i| i.value);
    if !succeeded(&code) {
        let mut event = GatewayEvent::new(
            P,
            PaymentEventKind::ChargeFailed,
            reference,
            Money::zero(Currency::KES),
        )
        .with_transaction_id(checkout)
        .with_authentication(Authentication::CallbackToken);
        event.failure_reason = Some(reason(stk.result_desc.as_ref(), &code));
        return Ok(WebhookOutcome::Payment(event));
    }
    let amount = item("Amount")
        .ok_or_else(|| WebhookError::payload(P, "a paid STK callback names no Amount"))?;
    let amount = payload::major_units(P, amount, "Amount", Currency::KES)?;
    let mut event = GatewayEvent::new(P, PaymentEventKind::ChargeSucceeded, reference, amount)
        .with_transaction_id(checkout)
        .with_authentication(Authentication::CallbackToken);
    if let Some(receipt) = item("MpesaReceiptNumber") {
        event.provider_reference = Some(payload::id(P, receipt, "MpesaReceiptNumber")?);
    }
    if let Some(date) = item("TransactionDate") {
        event.occurred_at = nairobi_time(date.get().trim_matches('"'));
    }
    Ok(WebhookOutcome::Payment(event))
}

/// Whether `id` is the tag the payout `reference` was sent with.
fn is_payout_tag(key: Option<&CallbackSecret>, reference: &str, id: Option<&str>) -> bool {
    match (key, id) {
        (Some(key), Some(id)) => key.is_tag(B2C_TAG, reference, id),
        _ => false,
    }
}

fn b2c_outcome(
    payout_key: Option<&CallbackSecret>,
    reference: &str,
    result: &B2cResult<'_>,
) -> Result<WebhookOutcome, WebhookError> {
    let code = result_code(result.result_code)?;
    let tagged = is_payout_tag(
        payout_key,
        reference,
        result.originator_conversation_id.as_deref(),
    );
    let authentication = if tagged {
        Authentication::CallbackTag
    } else {
        Authentication::CallbackToken
    };
    let id = [&result.transaction_id, &result.conversation_id]
        .into_iter()
        .flatten()
        .find(|id| !id.is_empty())
        .ok_or_else(|| WebhookError::payload(P, "a B2C result names no TransactionID"))?;
    let id = payload::text_id(P, id, "TransactionID")?;
    let (kind, amount) = if succeeded(&code) {
        let amount = result
            .parameters
            .as_ref()
            .and_then(|p| p.items.iter().find(|i| i.key == "TransactionAmount"))
            .and_then(|i| i.value)
            .ok_or_else(|| {
                WebhookError::payload(P, "a paid B2C result names no TransactionAmount")
            })?;
        (
            PaymentEventKind::PayoutSucceeded,
            payload::major_units(P, amount, "TransactionAmount", Currency::KES)?,
        )
    } else {
        (PaymentEventKind::PayoutFailed, Money::zero(Currency::KES))
    };
    let mut event = GatewayEvent::new(P, kind, reference, amount)
        .with_transaction_id(id)
        .with_authentication(authentication);
    if let Some(conversation) = result.conversation_id.as_deref().filter(|c| !c.is_empty()) {
        event.provider_reference = Some(payload::text_id(P, conversation, "ConversationID")?);
    }
    if !succeeded(&code) {
        event.failure_reason = Some(reason(result.result_desc.as_ref(), &code));
    }
    Ok(WebhookOutcome::Payment(event))
}

/// The result of a Transaction Status query the adapter sent about a B2C payout whose
/// result never came: a `Completed` transaction is the payout delivered, tagged when the
/// original `OriginatorConversationID` among its parameters is this payout's tag. Its key
/// is the one the B2C result would have had (the receipt), so both together count once.
fn status_outcome(
    payout_key: Option<&CallbackSecret>,
    reference: &str,
    result: &B2cResult<'_>,
) -> Result<WebhookOutcome, WebhookError> {
    let code = result_code(result.result_code)?;
    let items = result
        .parameters
        .as_ref()
        .map_or(&[][..], |p| p.items.as_slice());
    // Daraja's samples write these keys both ways: `OriginatorConversationID` and
    // `Originator Conversation ID`.
    let same = |a: &str, b: &str| a.chars().filter(|c| *c != ' ').eq(b.chars());
    let param = |key: &str| {
        items
            .iter()
            .find(|i| same(&i.key, key))
            .and_then(|i| i.value)
    };
    let text = |key: &str| -> Result<Option<String>, WebhookError> {
        param(key).map(|raw| payload::id(P, raw, key)).transpose()
    };
    let completed = text("TransactionStatus")?.is_some_and(|s| s == "Completed");
    if !succeeded(&code) || !completed {
        return Ok(WebhookOutcome::Ignored(Ignored::new(
            P,
            "transaction_status",
        )));
    }
    let amount = param("Amount")
        .ok_or_else(|| WebhookError::payload(P, "a completed status names no Amount"))?;
    let amount = payload::major_units(P, amount, "Amount", Currency::KES)?;
    let receipt = text("ReceiptNo")?
        .or_else(|| result.transaction_id.clone())
        .ok_or_else(|| WebhookError::payload(P, "a completed status names no ReceiptNo"))?;
    let receipt = payload::text_id(P, &receipt, "ReceiptNo")?;
    let tagged = is_payout_tag(
        payout_key,
        reference,
        text("OriginatorConversationID")?.as_deref(),
    );
    let authentication = if tagged {
        Authentication::CallbackTag
    } else {
        Authentication::CallbackToken
    };
    let event = GatewayEvent::new(P, PaymentEventKind::PayoutSucceeded, reference, amount)
        .with_transaction_id(receipt)
        .with_authentication(authentication);
    Ok(WebhookOutcome::Payment(event))
}

/// Daraja's `TransactionDate` (`20191219102115`, Nairobi time), if it reads as one.
fn nairobi_time(text: &str) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%S").ok()?;
    chrono_tz::Africa::Nairobi
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests;
