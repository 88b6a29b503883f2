//! Reading fields of verified payloads exactly: amounts from their JSON text (never through
//! a float), currencies, times and ids, each failure a typed error.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::event::MAX_ID_LEN;
use super::{Provider, Rail, WebhookError};
use crate::money::{Currency, Money};

/// The longest amount text read (an amount has at most 29 digits, a sign and a point).
const MAX_AMOUNT_LEN: usize = 48;

/// At most `max` bytes of `text`, cut at a character boundary.
pub(super) fn bounded(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    text.get(..end).unwrap_or_default().to_owned()
}

/// Parses JSON, describing a failure by position only.
pub(super) fn json<'a, T: Deserialize<'a>>(
    provider: Provider,
    text: &'a str,
) -> Result<T, WebhookError> {
    serde_json::from_str(text).map_err(|e| WebhookError::json(provider, &e))
}

/// The body as UTF-8 (JSON always is).
pub(super) fn utf8(provider: Provider, body: &[u8]) -> Result<&str, WebhookError> {
    std::str::from_utf8(body).map_err(|_| WebhookError::payload(provider, "body is not UTF-8"))
}

/// The text of a JSON number or string: `100`, `"5000"` and `26.875` give `100`, `5000`
/// and `26.875`.
fn scalar_text<'a>(
    provider: Provider,
    raw: &'a RawValue,
    field: &str,
) -> Result<Cow<'a, str>, WebhookError> {
    let text = raw.get();
    if text.starts_with('"') {
        json::<Cow<'a, str>>(provider, text)
    } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Ok(Cow::Borrowed(text))
    } else {
        Err(WebhookError::payload(
            provider,
            format!("{field} is not a number or a string"),
        ))
    }
}

/// A currency code as the provider writes it (Stripe: lower case).
pub(super) fn currency(rail: &Rail, code: &str) -> Result<Currency, WebhookError> {
    let provider = rail.provider();
    let upper = code
        .get(..code.len().min(16))
        .unwrap_or_default()
        .to_ascii_uppercase();
    let currency = Currency::from_code(&upper)
        .map_err(|source| WebhookError::InvalidAmount { provider, source })?;
    // The rail is what the provider's API client takes too: an event in any other currency
    // is money ajo never asked this provider to move.
    if rail.supports(currency) {
        Ok(currency)
    } else {
        Err(WebhookError::UnsupportedCurrency { provider, currency })
    }
}

/// An amount given as a whole number of minor units (Paystack, Stripe), as a JSON integer
/// or a string of digits. Negative amounts are refused: no event ajo reads has one.
pub(super) fn minor_units(
    provider: Provider,
    raw: &RawValue,
    field: &str,
    currency: Currency,
) -> Result<Money, WebhookError> {
    let text = scalar_text(provider, raw, field)?;
    let digits = !text.is_empty()
        && text.len() <= MAX_AMOUNT_LEN
        && text.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(WebhookError::payload(
            provider,
            format!("{field} is not a whole, non-negative number of minor units"),
        ));
    }
    let minor: i128 = text
        .parse()
        .map_err(|_| WebhookError::payload(provider, format!("{field} is out of range")))?;
    Money::from_minor(minor, currency)
        .map_err(|source| WebhookError::InvalidAmount { provider, source })
}

/// An amount given in major units, possibly with decimals (Flutterwave: `100`, `26.875`),
/// read from its exact text. More decimals than the currency has is
/// [`WebhookError::InvalidAmount`]: nothing is rounded.
pub(super) fn major_units(
    provider: Provider,
    raw: &RawValue,
    field: &str,
    currency: Currency,
) -> Result<Money, WebhookError> {
    let text = scalar_text(provider, raw, field)?;
    let plain = !text.is_empty()
        && text.len() <= MAX_AMOUNT_LEN
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !plain {
        return Err(WebhookError::payload(
            provider,
            format!("{field} is not a plain, non-negative decimal number"),
        ));
    }
    let amount = Decimal::from_str_exact(&text).map_err(|_| {
        WebhookError::payload(provider, format!("{field} is not an exact decimal number"))
    })?;
    Money::from_decimal(amount, currency)
        .map_err(|source| WebhookError::InvalidAmount { provider, source })
}

/// An id given as a JSON string or integer.
pub(super) fn id(provider: Provider, raw: &RawValue, field: &str) -> Result<String, WebhookError> {
    let text = scalar_text(provider, raw, field)?;
    text_id(provider, &text, field)
}

/// A non-empty id or reference of at most [`MAX_ID_LEN`] bytes without control characters.
pub(super) fn text_id(provider: Provider, text: &str, field: &str) -> Result<String, WebhookError> {
    if text.is_empty() || text.len() > MAX_ID_LEN || text.chars().any(char::is_control) {
        return Err(WebhookError::payload(
            provider,
            format!("{field} is empty, too long or has control characters"),
        ));
    }
    Ok(text.to_owned())
}

/// An RFC 3339 time (`2016-09-30T21:10:19.000Z`).
pub(super) fn rfc3339(
    provider: Provider,
    text: &str,
    field: &str,
) -> Result<DateTime<Utc>, WebhookError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| WebhookError::payload(provider, format!("{field} is not an RFC 3339 time")))
}

/// A time in Unix seconds.
pub(super) fn unix(
    provider: Provider,
    secs: i64,
    field: &str,
) -> Result<DateTime<Utc>, WebhookError> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| WebhookError::payload(provider, format!("{field} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Provider = Provider::Flutterwave;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn minor_units_from_integers_and_digit_strings() {
        let ngn = Currency::NGN;
        assert_eq!(
            minor_units(P, &raw("10000"), "a", ngn).unwrap().minor(),
            10_000
        );
        assert_eq!(
            minor_units(P, &raw("\"5000\""), "a", ngn).unwrap().minor(),
            5_000
        );
        for bad in ["-1", "1.5", "1e3", "\"\"", "\"12a\"", "true", "null", "{}"] {
            assert!(
                matches!(
                    minor_units(P, &raw(bad), "a", ngn),
                    Err(WebhookError::MalformedPayload { .. })
                ),
                "{bad}"
            );
        }
        let beyond_money = "9".repeat(35);
        assert!(matches!(
            minor_units(P, &raw(&beyond_money), "a", ngn),
            Err(WebhookError::InvalidAmount { .. })
        ));
        let beyond_i128 = "9".repeat(40);
        assert!(matches!(
            minor_units(P, &raw(&beyond_i128), "a", ngn),
            Err(WebhookError::MalformedPayload { .. })
        ));
        let too_long = "9".repeat(60);
        assert!(matches!(
            minor_units(P, &raw(&too_long), "a", ngn),
            Err(WebhookError::MalformedPayload { .. })
        ));
    }

    #[test]
    fn major_units_are_exact_and_never_rounded() {
        let ngn = Currency::NGN;
        assert_eq!(
            major_units(P, &raw("100"), "a", ngn).unwrap().minor(),
            10_000
        );
        assert_eq!(major_units(P, &raw("1.4"), "a", ngn).unwrap().minor(), 140);
        assert_eq!(
            major_units(P, &raw("\"1500\""), "a", ngn).unwrap().minor(),
            150_000
        );
        assert_eq!(
            major_units(P, &raw("1.500"), "a", ngn).unwrap().minor(),
            150
        );
        assert_eq!(
            major_units(P, &raw("5000000000"), "a", ngn)
                .unwrap()
                .minor(),
            500_000_000_000
        );
        // 0.1 + 0.2 style values stay exact: no float in between.
        assert_eq!(
            major_units(P, &raw("12345678901234567.89"), "a", ngn)
                .unwrap()
                .minor(),
            1_234_567_890_123_456_789
        );
        assert!(matches!(
            major_units(P, &raw("26.875"), "a", ngn),
            Err(WebhookError::InvalidAmount { .. })
        ));
        assert!(matches!(
            major_units(P, &raw("1.5"), "a", Currency::JPY),
            Err(WebhookError::InvalidAmount { .. })
        ));
        for bad in [
            "-1",
            "1e2",
            "1E2",
            "\"1,000\"",
            "\".\"",
            "\"1.2.3\"",
            "null",
        ] {
            assert!(
                matches!(
                    major_units(P, &raw(bad), "a", ngn),
                    Err(WebhookError::MalformedPayload { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn currencies_ids_and_times() {
        let rail = super::super::rails::PAYSTACK;
        assert_eq!(currency(&rail, "usd").unwrap(), Currency::USD);
        assert!(matches!(
            currency(&rail, "xyz"),
            Err(WebhookError::InvalidAmount { .. })
        ));
        assert!(matches!(
            currency(&rail, &"x".repeat(1000)),
            Err(WebhookError::InvalidAmount { .. })
        ));
        // Known to ajo, but not a currency Paystack's client takes.
        assert_eq!(
            currency(&rail, "eur"),
            Err(WebhookError::UnsupportedCurrency {
                provider: Provider::Paystack,
                currency: Currency::EUR
            })
        );
        assert_eq!(id(P, &raw("302961"), "id").unwrap(), "302961");
        assert_eq!(id(P, &raw("\"TRF_1\""), "id").unwrap(), "TRF_1");
        assert!(id(P, &raw("\"\""), "id").is_err());
        assert!(id(P, &raw("\"a\\u0000\""), "id").is_err());
        assert!(text_id(P, &"r".repeat(MAX_ID_LEN + 1), "id").is_err());
        assert_eq!(
            rfc3339(P, "2016-09-30T21:10:19.000Z", "t")
                .unwrap()
                .timestamp(),
            1_475_269_819
        );
        assert!(rfc3339(P, "yesterday", "t").is_err());
        assert_eq!(
            unix(P, 1_700_000_000, "t").unwrap().timestamp(),
            1_700_000_000
        );
        assert!(unix(P, i64::MAX, "t").is_err());
        assert!(utf8(P, b"\xff").is_err());
    }
    #[test]
    fn bounded_cuts_at_a_character_boundary() {
        assert_eq!(bounded("abc", 2), "ab");
        assert_eq!(bounded("abc", 9), "abc");
        assert_eq!(bounded("aé", 2), "a");
        assert_eq!(bounded("", 0), "");
    }
}
