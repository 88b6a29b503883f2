//! Flutterwave v3's JSON shapes, and the conversions between them and the port's types.

use ajo_core::money::{Currency, Money};
use ajo_core::ports::{GatewayError, PaymentState, PayoutState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::error::{invalid, unexpected};

/// The currencies Flutterwave takes: its rail, declared once in ajo-core and read by its
/// webhook parser too, so a currency refused here is refused in a webhook as well.
const CURRENCIES: &[Currency] = ajo_core::webhook::rails::FLUTTERWAVE.currencies();

/// `amount` in major units as exact decimal text (`1500`, `1500.5`), or the typed error
/// to return before any request is sent.
pub(super) fn to_major(amount: &Money) -> Result<String, GatewayError> {
    let currency = amount.currency();
    // Equality includes the minor units: a caller-defined "NGN" with three decimals
    // would send amounts Flutterwave cannot settle.
    if !CURRENCIES.contains(&currency) {
        return Err(invalid(format!(
            "flutterwave does not take {} with {} decimals",
            currency.code(),
            currency.minor_units()
        )));
    }
    if !amount.is_positive() {
        return Err(invalid("flutterwave amounts must be positive"));
    }
    Ok(amount.amount().normalize().to_string())
}

/// [`to_major`] as a JSON number, written exactly as the decimal text.
pub(super) fn to_major_number(amount: &Money) -> Result<Box<RawValue>, GatewayError> {
    RawValue::from_string(to_major(amount)?).map_err(|_| invalid("amount out of range"))
}

/// An amount Flutterwave reported in major units, read from its exact JSON text (never
/// through a float); more decimals than the currency has is refused, not rounded.
pub(super) fn from_major(raw: &RawValue, currency: &str) -> Result<Money, GatewayError> {
    let currency = CURRENCIES
        .iter()
        .copied()
        .find(|c| c.code().eq_ignore_ascii_case(currency))
        .ok_or_else(|| unexpected(200))?;
    let text = raw.get().trim_matches('"');
    Money::parse(text, currency).map_err(|_| unexpected(200))
}

/// `{"status": "success", "message": "...", "data": ..., "meta": ...}`.
#[derive(Debug, Deserialize)]
pub(super) struct Envelope<T> {
    pub(super) status: String,
    pub(super) data: Option<T>,
    #[serde(default)]
    pub(super) meta: Option<Meta>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Meta {
    #[serde(default)]
    pub(super) page_info: Option<PageInfo>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PageInfo {
    #[serde(default)]
    pub(super) total_pages: Option<u64>,
}

#[derive(Debug, Serialize)]
pub(super) struct PaymentRequest<'a> {
    pub(super) tx_ref: &'a str,
    // Text, as in Flutterwave's own sample.
    pub(super) amount: String,
    pub(super) currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) redirect_url: Option<&'a str>,
    pub(super) customer: Customer<'a>,
    pub(super) customizations: Customizations<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct Customer<'a> {
    pub(super) email: &'a str,
}

#[derive(Debug, Serialize)]
pub(super) struct Customizations<'a> {
    pub(super) title: &'a str,
}

#[derive(Debug, Deserialize)]
pub(super) struct HostedLink {
    pub(super) link: String,
}

/// A transaction, from verify (by id or by `tx_ref`) or the list.
#[derive(Debug, Deserialize)]
pub(super) struct Transaction {
    pub(super) id: u64,
    pub(super) tx_ref: String,
    pub(super) amount: Box<RawValue>,
    pub(super) currency: String,
    pub(super) status: String,
    #[serde(default)]
    pub(super) created_at: Option<String>,
    /// What Flutterwave kept of the charge, in major units.
    #[serde(default)]
    pub(super) app_fee: Option<Box<RawValue>>,
}

impl Transaction {
    pub(super) fn fee(&self) -> Result<Option<Money>, GatewayError> {
        match &self.app_fee {
            Some(fee) => Ok(Some(from_major(fee, &self.currency)?).filter(|f| f.is_positive())),
            None => Ok(None),
        }
    }

    pub(super) fn state(&self) -> Result<PaymentState, GatewayError> {
        payment_state(&self.status)
    }

    pub(super) fn amount(&self) -> Result<Money, GatewayError> {
        from_major(&self.amount, &self.currency)
    }

    pub(super) fn created_at(&self) -> Option<DateTime<Utc>> {
        parse_time(self.created_at.as_deref()?)
    }
}

pub(super) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Charge statuses are lowercase (`successful`, `failed`, `pending`).
pub(super) fn payment_state(status: &str) -> Result<PaymentState, GatewayError> {
    Ok(match status {
        "successful" => PaymentState::Succeeded,
        "failed" | "cancelled" => PaymentState::Failed,
        "pending" | "new" | "processing" => PaymentState::Pending,
        _ => return Err(unexpected(200)),
    })
}

#[derive(Debug, Serialize)]
pub(super) struct BeneficiaryRequest<'a> {
    pub(super) account_bank: &'a str,
    pub(super) account_number: &'a str,
    pub(super) beneficiary_name: &'a str,
    pub(super) currency: &'a str,
}

#[derive(Debug, Deserialize)]
pub(super) struct Beneficiary {
    pub(super) id: u64,
    #[serde(default)]
    pub(super) account_number: Option<String>,
    #[serde(default)]
    pub(super) bank_code: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct TransferRequest<'a> {
    pub(super) account_bank: &'a str,
    pub(super) account_number: &'a str,
    pub(super) amount: Box<RawValue>,
    pub(super) narration: &'a str,
    pub(super) currency: &'a str,
    pub(super) reference: &'a str,
    pub(super) debit_currency: &'a str,
}

#[derive(Debug, Deserialize)]
pub(super) struct Transfer {
    pub(super) id: u64,
    pub(super) status: String,
    #[serde(default)]
    pub(super) reference: Option<String>,
    #[serde(default)]
    pub(super) amount: Option<Box<RawValue>>,
    #[serde(default)]
    pub(super) currency: Option<String>,
    #[serde(default)]
    pub(super) created_at: Option<String>,
}

/// Transfer statuses are UPPERCASE (`NEW`, `PENDING`, `SUCCESSFUL`, `FAILED`).
pub(super) fn payout_state(status: &str) -> Result<PayoutState, GatewayError> {
    Ok(match status {
        "SUCCESSFUL" => PayoutState::Succeeded,
        "FAILED" => PayoutState::Failed,
        "NEW" | "PENDING" => PayoutState::Pending,
        _ => return Err(unexpected(200)),
    })
}

#[derive(Debug, Serialize)]
pub(super) struct RefundRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) amount: Option<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Refund {
    #[serde(default)]
    pub(super) id: Option<u64>,
    pub(super) status: String,
}

pub(super) fn refund_state(status: &str) -> Result<PayoutState, GatewayError> {
    Ok(match status {
        "completed" | "successful" => PayoutState::Succeeded,
        "failed" => PayoutState::Failed,
        "pending" | "processing" | "new" => PayoutState::Pending,
        _ => return Err(unexpected(200)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_go_out_in_major_units_exactly() {
        let naira = Money::parse("1500.50", Currency::NGN).unwrap();
        assert_eq!(to_major(&naira).unwrap(), "1500.5");
        assert_eq!(
            to_major(&Money::parse("1500", Currency::NGN).unwrap()).unwrap(),
            "1500"
        );
        assert_eq!(to_major_number(&naira).unwrap().get(), "1500.5");
        let raw = RawValue::from_string("26.87".into()).unwrap();
        assert_eq!(
            from_major(&raw, "NGN").unwrap(),
            Money::parse("26.87", Currency::NGN).unwrap()
        );
        let too_fine = RawValue::from_string("26.875".into()).unwrap();
        assert!(from_major(&too_fine, "NGN").is_err(), "never rounded");
    }

    #[test]
    fn amounts_flutterwave_cannot_take_are_refused() {
        for bad in [
            Money::parse("5", Currency::JPY).unwrap(),
            Money::parse("0.001", Currency::new("NGX", 3).unwrap()).unwrap(),
            Money::zero(Currency::KES),
        ] {
            assert!(matches!(
                to_major(&bad),
                Err(GatewayError::InvalidRequest { .. })
            ));
        }
    }

    #[test]
    fn unknown_statuses_are_never_success() {
        assert!(payment_state("success").is_err());
        assert!(payout_state("successful").is_err());
        assert!(refund_state("done").is_err());
    }
}
