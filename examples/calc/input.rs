//! Reading the reference cases' input conventions.

use ajo_core::money::{Currency, Money};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;

/// Parses stdin as the subcommand's input type, naming what is wrong.
pub(crate) fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("invalid input: {e}"))
}

/// The currency a case names, checked against its `minor_units` (a built-in code must
/// agree; any other code defines a currency).
pub(crate) fn currency(code: &str, minor_units: u8) -> Result<Currency, String> {
    Currency::new(code, minor_units).map_err(|e| e.to_string())
}

/// An amount field, strictly parsed.
pub(crate) fn money(field: &str, text: &str, currency: Currency) -> Result<Money, String> {
    Money::parse(text, currency).map_err(|e| format!("{field}: {e}"))
}

/// A decimal field (weights, rates): plain notation only, as amounts.
pub(crate) fn decimal(field: &str, text: &str) -> Result<Decimal, String> {
    let plain = !text.is_empty()
        && text.len() <= 40
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    if !plain {
        return Err(format!("{field}: {text:?} is not a plain decimal number"));
    }
    text.parse::<Decimal>()
        .map_err(|e| format!("{field}: {text:?}: {e}"))
}
