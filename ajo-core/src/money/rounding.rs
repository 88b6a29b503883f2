use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How an exact amount is brought to a currency's minor units.
///
/// Rounding happens only where a caller names one of these: nothing in ajo rounds
/// silently. All money rounding in the reference specification is [`Rounding::HalfEven`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rounding {
    /// Banker's rounding: to the nearest unit, an exact tie to the even neighbour
    /// (`2.525 -> 2.52`, `0.315 -> 0.32`).
    HalfEven,
    /// To the nearest unit, an exact tie away from zero (`2.525 -> 2.53`, `-2.525 -> -2.53`).
    HalfUp,
    /// Toward zero (truncation): `2.529 -> 2.52`, `-2.529 -> -2.52`.
    Down,
    /// Away from zero: `2.521 -> 2.53`, `-2.521 -> -2.53`.
    Up,
}

impl Rounding {
    pub(crate) fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
        }
    }

    /// Rounds `value` to `places` decimal places with this rule.
    ///
    /// ```
    /// use ajo_core::money::Rounding;
    /// use rust_decimal::Decimal;
    ///
    /// let tie = Decimal::new(2525, 3); // 2.525
    /// assert_eq!(Rounding::HalfEven.round(tie, 2), Decimal::new(252, 2));
    /// assert_eq!(Rounding::HalfUp.round(tie, 2), Decimal::new(253, 2));
    /// ```
    pub fn round(self, value: Decimal, places: u32) -> Decimal {
        value.round_dp_with_strategy(places, self.strategy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn each_rule_on_ties_and_non_ties_both_signs() {
        let cases = [
            // value, places, half_even, half_up, down, up
            ("2.525", 2, "2.52", "2.53", "2.52", "2.53"),
            ("0.315", 2, "0.32", "0.32", "0.31", "0.32"),
            ("-2.525", 2, "-2.52", "-2.53", "-2.52", "-2.53"),
            ("2.529", 2, "2.53", "2.53", "2.52", "2.53"),
            ("2.521", 2, "2.52", "2.52", "2.52", "2.53"),
            ("4.5", 0, "4", "5", "4", "5"),
            ("5.5", 0, "6", "6", "5", "6"),
            ("7", 0, "7", "7", "7", "7"),
        ];
        for (v, p, he, hu, dn, up) in cases {
            assert_eq!(Rounding::HalfEven.round(d(v), p), d(he), "half-even {v}");
            assert_eq!(Rounding::HalfUp.round(d(v), p), d(hu), "half-up {v}");
            assert_eq!(Rounding::Down.round(d(v), p), d(dn), "down {v}");
            assert_eq!(Rounding::Up.round(d(v), p), d(up), "up {v}");
        }
    }
}
