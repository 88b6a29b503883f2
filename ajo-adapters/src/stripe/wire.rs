//! Stripe's shapes: form-encoded requests (nested keys in brackets) and JSON objects,
//! and the conversions between them and the port's types.

use std::collections::BTreeMap;

use ajo_core::money::{Currency, Money};
use ajo_core::ports::{GatewayError, PaymentState, PayoutState};
use serde::Deserialize;

use super::error::{invalid, unexpected};

/// The metadata key the core's Stripe webhook verifier reads our reference from.
pub(super) const REFERENCE_KEY: &str = "ajo_reference";

/// `metadata[ajo_reference]`, as a form field.
pub(super) const REFERENCE_FIELD: &str = "metadata[ajo_reference]";

/// The currencies Stripe takes: its rail, declared once in ajo-core and read by its
/// webhook parser too, so a currency refused here is refused in a webhook as well.
const CURRENCIES: &[Currency] = ajo_core::webhook::rails::STRIPE.currencies();

/// `amount` in the smallest unit, or the typed error to return before any request.
pub(super) fn to_minor(amount: &Money) -> Result<u64, GatewayError> {
    let currency = amount.currency();
    // Equality includes the minor units: a caller-defined currency with other decimals
    // than Stripe's would be charged off by a power of ten.
    if !CURRENCIES.contains(&currency) {
        return Err(invalid(format!(
            "stripe does not take {} with {} decimals",
            currency.code(),
            currency.minor_units()
        )));
    }
    if !amount.is_positive() {
        return Err(invalid("stripe amounts must be positive"));
    }
    u64::try_from(amount.minor()).map_err(|_| invalid("amount out of range for stripe"))
}

/// Stripe writes currencies in lowercase.
pub(super) fn currency_code(amount: &Money) -> String {
    amount.currency().code().to_ascii_lowercase()
}

/// A signed amount in `currency`'s smallest unit, as Stripe reported it.
pub(super) fn from_minor(minor: i64, currency: &str) -> Result<Money, GatewayError> {
    let currency = CURRENCIES
        .iter()
        .copied()
        .find(|c| c.code().eq_ignore_ascii_case(currency))
        .ok_or_else(|| unexpected(200))?;
    Money::from_minor(i128::from(minor), currency).map_err(|_| unexpected(200))
}

/// `{"object": "list", "data": [...], "has_more": ...}` (lists and search results).
#[derive(Debug, Deserialize)]
pub(super) struct List<T> {
    pub(super) data: Vec<T>,
    #[serde(default)]
    pub(super) has_more: bool,
}

pub(super) type Metadata = BTreeMap<String, String>;

/// A PaymentIntent's `client_secret`; `Debug` hides it, as Stripe asks that it be shown to
/// the payer only.
#[derive(Deserialize)]
#[serde(transparent)]
pub(super) struct ClientSecret(pub(super) String);

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct PaymentIntent {
    pub(super) id: String,
    pub(super) amount: i64,
    #[serde(default)]
    pub(super) amount_received: Option<i64>,
    pub(super) currency: String,
    pub(super) status: String,
    #[serde(default)]
    pub(super) metadata: Metadata,
    #[serde(default)]
    pub(super) created: Option<i64>,
    #[serde(default)]
    pub(super) last_payment_error: Option<serde_json::Value>,
    /// What the payer's app confirms the intent with: handed to the host, never logged.
    #[serde(default)]
    pub(super) client_secret: Option<ClientSecret>,
    /// Expanded on search, to see refunds.
    #[serde(default)]
    pub(super) latest_charge: Option<LatestCharge>,
}

/// `latest_charge`: an id, or the Charge when expanded.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum LatestCharge {
    Charge {
        #[serde(default)]
        refunded: bool,
    },
    // Not expanded: nothing to read but that a charge exists.
    Id(#[allow(dead_code)] String),
}

impl PaymentIntent {
    pub(super) fn reference(&self) -> Option<&str> {
        self.metadata.get(REFERENCE_KEY).map(String::as_str)
    }

    /// Stripe's PaymentIntent statuses. `requires_payment_method` is where an intent
    /// starts and where it returns after a decline: only the decline (with
    /// `last_payment_error`) is a failure, as the `payment_intent.payment_failed` webhook
    /// says. A fully refunded charge reads as reversed.
    pub(super) fn state(&self) -> Result<PaymentState, GatewayError> {
        Ok(match self.status.as_str() {
            "succeeded" => match self.latest_charge {
                Some(LatestCharge::Charge { refunded: true }) => PaymentState::Reversed,
                _ => PaymentState::Succeeded,
            },
            "canceled" => PaymentState::Failed,
            "requires_payment_method" if self.last_payment_error.is_some() => PaymentState::Failed,
            "requires_payment_method"
            | "requires_confirmation"
            | "requires_action"
            | "processing"
            | "requires_capture" => PaymentState::Pending,
            _ => return Err(unexpected(200)),
        })
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Account {
    pub(super) id: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Transfer {
    pub(super) id: String,
    #[serde(default)]
    pub(super) reversed: bool,
}

impl Transfer {
    /// A transfer is carried out when created (the money is in the connected account);
    /// only a reversal undoes it.
    pub(super) fn state(&self) -> PayoutState {
        if self.reversed {
            PayoutState::Reversed
        } else {
            PayoutState::Succeeded
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Refund {
    pub(super) id: String,
    pub(super) status: String,
}

pub(super) fn refund_state(status: &str) -> Result<PayoutState, GatewayError> {
    Ok(match status {
        "succeeded" => PayoutState::Succeeded,
        "failed" | "canceled" => PayoutState::Failed,
        "pending" | "requires_action" => PayoutState::Pending,
        _ => return Err(unexpected(200)),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct BalanceTransaction {
    pub(super) id: String,
    pub(super) amount: i64,
    /// What Stripe kept of it, in minor units (its processing fee on a charge).
    #[serde(default)]
    pub(super) fee: i64,
    pub(super) currency: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) source: Option<Source>,
}

/// `source`: an id, or the object when expanded.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Source {
    Object {
        id: String,
        #[serde(default)]
        metadata: Metadata,
    },
    Id(String),
}

impl BalanceTransaction {
    /// The balance-transaction types that are money ajo moved: charges in, refunds and
    /// transfers out, and their reversals. Fees and the platform's own payouts are not
    /// ajo's lines.
    pub(super) fn is_ajo_money(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "charge" | "payment" | "refund" | "payment_refund" | "transfer" | "transfer_refund"
        )
    }

    /// Our reference from the source's metadata, else the source's (or this line's) id.
    pub(super) fn reference(&self) -> String {
        match &self.source {
            Some(Source::Object { id, metadata }) => metadata
                .get(REFERENCE_KEY)
                .cloned()
                .unwrap_or_else(|| id.clone()),
            Some(Source::Id(id)) => id.clone(),
            None => self.id.clone(),
        }
    }
}

/// A Stripe search query for our reference, quotes and backslashes escaped.
pub(super) fn reference_query(reference: &str) -> String {
    let escaped = reference.replace('\\', "\\\\").replace('\'', "\\'");
    format!("metadata['{REFERENCE_KEY}']:'{escaped}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_go_out_in_the_smallest_unit() {
        let dollars = Money::parse("20.05", Currency::USD).unwrap();
        assert_eq!(to_minor(&dollars).unwrap(), 2005);
        assert_eq!(currency_code(&dollars), "usd");
        let yen = Money::parse("500", Currency::JPY).unwrap();
        assert_eq!(to_minor(&yen).unwrap(), 500, "zero-decimal");
        assert_eq!(from_minor(-2005, "usd").unwrap(), dollars.negated());
    }

    #[test]
    fn amounts_stripe_cannot_take_are_refused() {
        for bad in [
            Money::parse("1", Currency::BTC).unwrap(),
            Money::parse("1.005", Currency::new("KWD", 3).unwrap()).unwrap(),
            Money::zero(Currency::USD),
        ] {
            assert!(matches!(
                to_minor(&bad),
                Err(GatewayError::InvalidRequest { .. })
            ));
        }
    }

    #[test]
    fn a_reference_cannot_break_out_of_the_query() {
        assert_eq!(
            reference_query(r"a'b\c"),
            r"metadata['ajo_reference']:'a\'b\\c'"
        );
    }
}
