//! serde for [`Money`]: amounts are written as strings, never JSON numbers.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Currency, Money};

/// `{"amount": "1234.56", "currency": "NGN", "minor_units": 2}`, the shape of the reference
/// cases; the minor units let caller-defined currencies round-trip.
#[derive(Serialize, Deserialize)]
struct MoneyRepr<'a> {
    #[serde(borrow)]
    amount: Cow<'a, str>,
    #[serde(borrow)]
    currency: Cow<'a, str>,
    minor_units: u8,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyRepr {
            amount: self.amount().to_string().into(),
            currency: self.currency.code().into(),
            minor_units: self.currency.minor_units(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    /// Strict: the amount must be a string that [`Money::parse`] accepts for the currency.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = MoneyRepr::deserialize(deserializer)?;
        let currency =
            Currency::new(&repr.currency, repr.minor_units).map_err(serde::de::Error::custom)?;
        Money::parse(&repr.amount, currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_strings() {
        let m = Money::parse("1234.5", Currency::NGN).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"amount":"1234.50","currency":"NGN","minor_units":2}"#
        );
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn json_numbers_and_bad_amounts_are_refused() {
        for bad in [
            r#"{"amount":1234.5,"currency":"NGN","minor_units":2}"#,
            r#"{"amount":"1.234","currency":"NGN","minor_units":2}"#,
            r#"{"amount":"1e3","currency":"NGN","minor_units":2}"#,
            r#"{"amount":"1","currency":"NGN","minor_units":3}"#,
            r#"{"amount":"1","currency":"ngn","minor_units":2}"#,
        ] {
            assert!(serde_json::from_str::<Money>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn custom_currencies_round_trip() {
        let m = Money::parse("1.125", Currency::new("PTS", 3).unwrap()).unwrap();
        let back: Money = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
