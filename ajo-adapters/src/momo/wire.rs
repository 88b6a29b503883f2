//! MoMo's request and status bodies, as MTN documents them.

use ajo_core::money::Money;
use ajo_core::ports::GatewayError;
use ajo_core::webhook::rails;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::{invalid, unexpected};

#[derive(Deserialize)]
pub(super) struct Token {
    pub(super) access_token: String,
    pub(super) expires_in: Box<RawValue>,
}

impl Token {
    pub(super) fn lifetime_s(&self) -> Option<i64> {
        self.expires_in.get().trim_matches('"').parse().ok()
    }
}

#[derive(Serialize)]
pub(super) struct Party<'a> {
    #[serde(rename = "partyIdType")]
    pub(super) party_id_type: &'static str,
    #[serde(rename = "partyId")]
    pub(super) party_id: &'a str,
}

/// A request to pay (`payer`) or a transfer (`payee`).
#[derive(Serialize)]
pub(super) struct Request<'a> {
    pub(super) amount: String,
    pub(super) currency: &'a str,
    #[serde(rename = "externalId")]
    pub(super) external_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) payer: Option<Party<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) payee: Option<Party<'a>>,
    #[serde(rename = "payerMessage")]
    pub(super) payer_message: &'a str,
    #[serde(rename = "payeeNote")]
    pub(super) payee_note: &'a str,
}

/// What `GET requesttopay/{id}` and `GET transfer/{id}` answer.
#[derive(Deserialize)]
pub(super) struct Status {
    #[serde(rename = "externalId", default)]
    pub(super) external_id: Option<String>,
    #[serde(default)]
    pub(super) amount: Option<String>,
    #[serde(default)]
    pub(super) currency: Option<String>,
    pub(super) status: String,
}

/// The amount as MTN takes it: a string in major units (`500`, `5.5`).
pub(super) fn amount_text(amount: &Money) -> Result<String, GatewayError> {
    if !rails::MTN_MOMO.supports(amount.currency()) {
        return Err(invalid(format!(
            "mtn-momo does not take {}",
            amount.currency().code()
        )));
    }
    if !amount.is_positive() {
        return Err(invalid("mtn-momo: the amount must be above zero"));
    }
    Ok(amount.amount().normalize().to_string())
}

/// The amount a status names, exactly, in its currency; `None` when it names none.
pub(super) fn status_amount(status: &Status, http: u16) -> Result<Option<Money>, GatewayError> {
    let (Some(amount), Some(code)) = (&status.amount, &status.currency) else {
        return Ok(None);
    };
    let currency = rails::MTN_MOMO
        .currency(code)
        .ok_or_else(|| unexpected(http))?;
    Money::parse(amount, currency)
        .map(Some)
        .map_err(|_| unexpected(http))
}

/// At most `max` characters (MTN refuses notes over 160).
pub(super) fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
