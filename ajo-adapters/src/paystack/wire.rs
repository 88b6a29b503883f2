//! Paystack's JSON shapes, and the conversions between them and the port's types.

use ajo_core::money::{Currency, Money};
use ajo_core::ports::{GatewayError, PaymentState, PayoutState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{invalid, unexpected};

/// The currencies Paystack takes: its rail, declared once in ajo-core and read by its
/// webhook parser too, so a currency refused here is refused in a webhook as well.
const CURRENCIES: &[Currency] = ajo_core::webhook::rails::PAYSTACK.currencies();

/// `amount` in the subunit Paystack expects, or the typed error to return before any
/// request is sent.
pub(super) fn to_subunits(amount: &Money) -> Result<u64, GatewayError> {
    let currency = amount.currency();
    // `Currency` equality includes the minor units, so a caller-defined "NGN" with three
    // decimals is refused here rather than sent off by a factor of ten.
    if !CURRENCIES.contains(&currency) {
        return Err(invalid(format!(
            "paystack does not take {} with {} decimals",
            currency.code(),
            currency.minor_units()
        )));
    }
    if !amount.is_positive() {
        return Err(invalid("paystack amounts must be positive"));
    }
    u64::try_from(amount.minor()).map_err(|_| invalid("amount out of range for paystack"))
}

/// An amount Paystack reported, in `currency`'s subunit.
pub(super) fn from_subunits(subunits: &Subunits, currency: &str) -> Result<Money, GatewayError> {
    let currency = CURRENCIES
        .iter()
        .copied()
        .find(|c| c.code().eq_ignore_ascii_case(currency))
        .ok_or_else(|| unexpected(200))?;
    let minor = subunits.value().ok_or_else(|| unexpected(200))?;
    Money::from_minor(i128::from(minor), currency).map_err(|_| unexpected(200))
}

/// A whole number of subunits, as Paystack writes it: usually an integer, sometimes a
/// string of digits (`"amount": "5000"` in refund payloads).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum Subunits {
    Number(u64),
    Text(String),
}

impl Subunits {
    fn value(&self) -> Option<u64> {
        match self {
            Subunits::Number(n) => Some(*n),
            Subunits::Text(text) if text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
            Subunits::Text(_) => None,
        }
    }
}

/// `{"status": true, "message": "...", "data": ..., "meta": ...}`.
#[derive(Debug, Deserialize)]
pub(super) struct Envelope<T> {
    pub(super) status: bool,
    pub(super) data: Option<T>,
    #[serde(default)]
    pub(super) meta: Option<Meta>,
}

/// Offset pagination on list endpoints.
#[derive(Debug, Deserialize)]
pub(super) struct Meta {
    #[serde(default, rename = "pageCount")]
    pub(super) page_count: Option<u64>,
}

#[derive(Debug, Serialize)]
pub(super) struct InitializeRequest<'a> {
    pub(super) email: &'a str,
    // Sent as text, as in Paystack's own sample; integers are accepted too.
    pub(super) amount: String,
    pub(super) currency: &'a str,
    pub(super) reference: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) callback_url: Option<&'a str>,
    pub(super) metadata: InitializeMetadata<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct InitializeMetadata<'a> {
    pub(super) description: &'a str,
}

#[derive(Debug, Deserialize)]
pub(super) struct Initialized {
    pub(super) authorization_url: String,
    #[serde(default)]
    pub(super) access_code: Option<String>,
}

/// A transaction, from verify or the list.
#[derive(Debug, Deserialize)]
pub(super) struct Transaction {
    #[serde(default)]
    pub(super) id: Option<u64>,
    pub(super) status: String,
    pub(super) reference: String,
    pub(super) amount: Subunits,
    pub(super) currency: String,
    #[serde(default)]
    pub(super) paid_at: Option<String>,
    /// What Paystack kept of the charge, in subunits (absent on some older records).
    #[serde(default)]
    pub(super) fees: Option<Subunits>,
}

impl Transaction {
    pub(super) fn state(&self) -> Result<PaymentState, GatewayError> {
        payment_state(&self.status)
    }

    pub(super) fn paid_at(&self) -> Option<DateTime<Utc>> {
        let text = self.paid_at.as_deref()?;
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }
}

/// Paystack's transaction statuses. `abandoned` is what an initialised transaction
/// reads as until the payer finishes the checkout, so it is not final: taking it for a
/// failure would retire a reference the payer may still pay.
pub(super) fn payment_state(status: &str) -> Result<PaymentState, GatewayError> {
    Ok(match status {
        "success" => PaymentState::Succeeded,
        "failed" => PaymentState::Failed,
        "reversed" => PaymentState::Reversed,
        "abandoned" | "ongoing" | "pending" | "processing" | "queued" => PaymentState::Pending,
        _ => return Err(unexpected(200)),
    })
}

#[derive(Debug, Serialize)]
pub(super) struct RecipientRequest<'a> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) name: &'a str,
    pub(super) account_number: &'a str,
    pub(super) bank_code: &'a str,
    pub(super) currency: &'a str,
}

/// The recipient type for an account in `currency`: NUBAN for naira, BASA for rand,
/// GhIPSS for cedi bank accounts, mobile money for shillings (where M-Pesa dominates).
pub(super) fn recipient_type(currency: &str) -> Result<&'static str, GatewayError> {
    Ok(match currency {
        "NGN" => "nuban",
        "ZAR" => "basa",
        "GHS" => "ghipss",
        "KES" => "mobile_money",
        other => {
            return Err(invalid(format!(
                "paystack has no payout recipient type for {}",
                other.chars().take(10).collect::<String>()
            )));
        }
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct Recipient {
    pub(super) recipient_code: String,
}

#[derive(Debug, Serialize)]
pub(super) struct TransferRequest<'a> {
    pub(super) source: &'static str,
    pub(super) amount: u64,
    pub(super) currency: &'a str,
    pub(super) recipient: &'a str,
    pub(super) reference: &'a str,
    pub(super) reason: &'a str,
}

#[derive(Debug, Deserialize)]
pub(super) struct Transfer {
    pub(super) status: String,
    #[serde(default)]
    pub(super) reference: Option<String>,
    #[serde(default)]
    pub(super) transfer_code: Option<String>,
    #[serde(default)]
    pub(super) amount: Option<Subunits>,
    #[serde(default)]
    pub(super) currency: Option<String>,
}

/// Paystack's transfer statuses. `otp` waits for a finalisation ajo does not do
/// (turn OTP off for API transfers), so it stays pending until someone finalises it.
pub(super) fn payout_state(status: &str) -> Result<PayoutState, GatewayError> {
    Ok(match status {
        "success" => PayoutState::Succeeded,
        "failed" | "abandoned" | "blocked" | "rejected" => PayoutState::Failed,
        "reversed" => PayoutState::Reversed,
        "pending" | "otp" | "received" | "queued" | "processing" => PayoutState::Pending,
        _ => return Err(unexpected(200)),
    })
}

#[derive(Debug, Serialize)]
pub(super) struct RefundRequest<'a> {
    pub(super) transaction: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) amount: Option<u64>,
    pub(super) merchant_note: &'a str,
}

#[derive(Debug, Deserialize)]
pub(super) struct Refund {
    #[serde(default)]
    pub(super) id: Option<u64>,
    pub(super) status: String,
}

/// Paystack's refund statuses.
pub(super) fn refund_state(status: &str) -> Result<PayoutState, GatewayError> {
    Ok(match status {
        "processed" => PayoutState::Succeeded,
        "failed" => PayoutState::Failed,
        "pending" | "processing" | "needs-attention" => PayoutState::Pending,
        _ => return Err(unexpected(200)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_go_out_in_subunits_exactly() {
        let naira = Money::parse("1500.05", Currency::NGN).unwrap();
        assert_eq!(to_subunits(&naira).unwrap(), 150_005);
        let back = from_subunits(&Subunits::Number(150_005), "NGN").unwrap();
        assert_eq!(back, naira);
        assert_eq!(
            from_subunits(&Subunits::Text("5000".into()), "ngn").unwrap(),
            Money::parse("50", Currency::NGN).unwrap()
        );
    }

    #[test]
    fn amounts_paystack_cannot_take_are_refused() {
        for bad in [
            Money::parse("5", Currency::JPY).unwrap(),
            Money::parse("5", Currency::new("NAI", 3).unwrap()).unwrap(),
            Money::zero(Currency::NGN),
            Money::parse("-5", Currency::NGN).unwrap(),
        ] {
            assert!(matches!(
                to_subunits(&bad),
                Err(GatewayError::InvalidRequest { .. })
            ));
        }
    }

    #[test]
    fn unknown_statuses_are_never_success() {
        assert!(payment_state("successful").is_err());
        assert!(payout_state("SUCCESS").is_err());
        assert!(refund_state("success").is_err());
        assert_eq!(payment_state("abandoned").unwrap(), PaymentState::Pending);
    }
}
