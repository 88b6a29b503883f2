//! Exact money: amounts tied to a [`Currency`], checked arithmetic, explicit rounding and
//! splits that never create or lose a minor unit.
//!
//! # When to use what
//!
//! - Build amounts with [`Money::parse`] (text from a person or an API),
//!   [`Money::from_minor`] (integers from a provider or a database) or
//!   [`Money::from_decimal`] (an exact `Decimal`). Each refuses anything the currency
//!   cannot hold exactly.
//! - Results that are not exact in minor units (a rate times an amount) go through
//!   [`Money::from_decimal_rounded`] or [`Money::mul_rounded`], naming a [`Rounding`].
//! - To share an amount, use [`Money::allocate`] (by weights) or [`Money::split_evenly`].
//!   Never divide and round each share: the parts would not sum to the whole.
//! - Show amounts to people with [`Money::human`] (`₦1,234.56`); `Display` gives the
//!   plain, machine-friendly `1234.56 NGN`, which [`str::parse`] reads back.
//!
//! ```
//! use ajo_core::money::{Currency, Money};
//!
//! let pot = Money::parse("100.00", Currency::NGN)?;
//! let shares = pot.split_evenly(3)?;
//! let shown: Vec<String> = shares.iter().map(|m| m.human().to_string()).collect();
//! assert_eq!(shown, ["₦33.34", "₦33.33", "₦33.33"]);
//! # Ok::<(), ajo_core::money::MoneyError>(())
//! ```

mod allocate;
mod currency;
mod error;
mod format;
mod parse;
mod rounding;
mod wire;

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;

pub use currency::{Currency, MAX_CODE_LEN, MAX_MINOR_UNITS};
pub use error::MoneyError;
pub use format::HumanMoney;
pub use parse::MAX_AMOUNT_TEXT_LEN;
pub use rounding::Rounding;

/// The largest magnitude of an amount in minor units: `Decimal`'s 96-bit mantissa.
pub const MAX_MINOR: i128 = (1i128 << 96) - 1;

/// An exact amount of one currency.
///
/// Internally a whole number of minor units (kobo, cents, wei), so every `Money` is exactly
/// representable in its currency and arithmetic is integer arithmetic, checked for
/// overflow. Values are limited to `±(2^96 - 1)` minor units, the range of
/// `rust_decimal::Decimal`.
///
/// Amounts of different currencies never combine: [`Money::checked_add`] returns
/// [`MoneyError::CurrencyMismatch`] and comparison returns `None`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i128,
    currency: Currency,
}

impl Money {
    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// An amount from a count of minor units (`150_000` kobo is `₦1,500.00`).
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] beyond [`MAX_MINOR`] in magnitude.
    pub fn from_minor(minor: i128, currency: Currency) -> Result<Money, MoneyError> {
        if minor.unsigned_abs() > MAX_MINOR.unsigned_abs() {
            return Err(MoneyError::Overflow {
                operation: "from_minor",
            });
        }
        Ok(Money { minor, currency })
    }

    /// An amount from an exact decimal.
    ///
    /// `1.500` is accepted for NGN (it is exactly 1.50); `1.505` is not.
    ///
    /// # Errors
    /// - [`MoneyError::TooManyDecimals`] if the value is not a whole number of minor units.
    /// - [`MoneyError::Overflow`] if it is out of range.
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let normalized = amount.normalize();
        let places = currency.minor_units();
        if normalized.scale() > u32::from(places) {
            return Err(MoneyError::TooManyDecimals {
                currency,
                max: places,
                got: normalized.scale(),
            });
        }
        let minor = scale_up(normalized.mantissa(), places - scale_u8(normalized.scale()))?;
        Money::from_minor(minor, currency)
    }

    /// An amount from any decimal, rounded to the currency's minor units by `rounding`.
    ///
    /// ```
    /// use ajo_core::money::{Currency, Money, Rounding};
    /// use rust_decimal::Decimal;
    ///
    /// let m = Money::from_decimal_rounded(Decimal::new(2525, 3), Currency::NGN, Rounding::HalfEven)?;
    /// assert_eq!(m.to_string(), "2.52 NGN");
    /// # Ok::<(), ajo_core::money::MoneyError>(())
    /// ```
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] if the rounded value is out of range.
    pub fn from_decimal_rounded(
        amount: Decimal,
        currency: Currency,
        rounding: Rounding,
    ) -> Result<Money, MoneyError> {
        let rounded = rounding.round(amount, u32::from(currency.minor_units()));
        Money::from_decimal(rounded, currency)
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as a whole number of minor units.
    pub fn minor(&self) -> i128 {
        self.minor
    }

    /// The amount in major units, with exactly the currency's minor-unit places
    /// (`100.00` for NGN, `1000` for JPY).
    pub fn amount(&self) -> Decimal {
        // In range by construction: |minor| <= 2^96 - 1 and scale <= 18.
        Decimal::try_from_i128_with_scale(self.minor, u32::from(self.currency.minor_units()))
            .unwrap_or(Decimal::ZERO)
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// Whether the amount is above zero.
    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.minor < 0
    }

    /// The same amount with its sign flipped (never overflows: the range is symmetric).
    #[must_use]
    pub fn negated(&self) -> Money {
        Money {
            minor: -self.minor,
            currency: self.currency,
        }
    }

    /// The magnitude.
    #[must_use]
    pub fn abs(&self) -> Money {
        Money {
            minor: self.minor.abs(),
            currency: self.currency,
        }
    }

    /// `self + rhs`.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] for different currencies, [`MoneyError::Overflow`]
    /// out of range.
    pub fn checked_add(self, rhs: Money) -> Result<Money, MoneyError> {
        self.same_currency(&rhs)?;
        let sum = self
            .minor
            .checked_add(rhs.minor)
            .ok_or(MoneyError::Overflow { operation: "add" })?;
        Money::from_minor(sum, self.currency).map_err(|_| MoneyError::Overflow { operation: "add" })
    }

    /// `self - rhs`.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] for different currencies, [`MoneyError::Overflow`]
    /// out of range.
    pub fn checked_sub(self, rhs: Money) -> Result<Money, MoneyError> {
        self.checked_add(rhs.negated()).map_err(|e| match e {
            MoneyError::Overflow { .. } => MoneyError::Overflow { operation: "sub" },
            other => other,
        })
    }

    /// `self * times`, exact (a pot is the contribution times the number of hands).
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] out of range.
    pub fn checked_mul_int(self, times: i64) -> Result<Money, MoneyError> {
        let product = self
            .minor
            .checked_mul(i128::from(times))
            .ok_or(MoneyError::Overflow { operation: "mul" })?;
        Money::from_minor(product, self.currency)
            .map_err(|_| MoneyError::Overflow { operation: "mul" })
    }

    /// `self * factor`, rounded to minor units once, at the end (a fee is the pot times a
    /// rate). The product is exact whenever it fits in 28 significant digits.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] out of range.
    pub fn mul_rounded(self, factor: Decimal, rounding: Rounding) -> Result<Money, MoneyError> {
        let product = self
            .amount()
            .checked_mul(factor)
            .ok_or(MoneyError::Overflow { operation: "mul" })?;
        Money::from_decimal_rounded(product, self.currency, rounding)
    }

    /// The sum of `amounts`, all in `currency` (zero for none).
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] if any amount is in another currency,
    /// [`MoneyError::Overflow`] out of range.
    pub fn checked_sum<'a>(
        currency: Currency,
        amounts: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(*m))
    }

    /// The smaller of two amounts of one currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] for different currencies.
    pub fn checked_min(self, rhs: Money) -> Result<Money, MoneyError> {
        self.same_currency(&rhs)?;
        Ok(if rhs.minor < self.minor { rhs } else { self })
    }

    fn same_currency(&self, rhs: &Money) -> Result<(), MoneyError> {
        if self.currency == rhs.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: rhs.currency,
            })
        }
    }
}

/// `mantissa * 10^places`, checked.
fn scale_up(mantissa: i128, places: u8) -> Result<i128, MoneyError> {
    10i128
        .checked_pow(u32::from(places))
        .and_then(|p| mantissa.checked_mul(p))
        .ok_or(MoneyError::Overflow { operation: "scale" })
}

fn scale_u8(scale: u32) -> u8 {
    // Callers have checked scale <= minor units <= 18.
    u8::try_from(scale).unwrap_or(u8::MAX)
}

impl PartialOrd for Money {
    /// Amounts compare only within one currency; across currencies the answer is `None`.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (self.currency == other.currency).then(|| self.minor.cmp(&other.minor))
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn ngn(s: &str) -> Money {
        Money::parse(s, Currency::NGN).unwrap()
    }

    #[test]
    fn from_decimal_accepts_exact_values_and_rejects_finer_ones() {
        let m = Money::from_decimal(Decimal::from_str("1.500").unwrap(), Currency::NGN).unwrap();
        assert_eq!(m.minor(), 150);
        assert_eq!(m.amount().to_string(), "1.50");
        assert!(matches!(
            Money::from_decimal(Decimal::from_str("1.505").unwrap(), Currency::NGN),
            Err(MoneyError::TooManyDecimals { max: 2, got: 3, .. })
        ));
        assert!(matches!(
            Money::from_decimal(Decimal::from_str("0.5").unwrap(), Currency::JPY),
            Err(MoneyError::TooManyDecimals { max: 0, got: 1, .. })
        ));
    }

    #[test]
    fn from_decimal_out_of_range_for_eth_is_overflow() {
        // 10^11 ETH needs 29 digits of wei.
        let big = Decimal::from(100_000_000_000u64);
        assert!(matches!(
            Money::from_decimal(big, Currency::ETH),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(Money::from_decimal(Decimal::from(10_000_000_000u64), Currency::ETH).is_ok());
    }

    #[test]
    fn from_minor_range_is_checked() {
        assert!(Money::from_minor(MAX_MINOR, Currency::NGN).is_ok());
        assert!(Money::from_minor(-MAX_MINOR, Currency::NGN).is_ok());
        assert!(matches!(
            Money::from_minor(MAX_MINOR + 1, Currency::NGN),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(matches!(
            Money::from_minor(i128::MIN, Currency::NGN),
            Err(MoneyError::Overflow { .. })
        ));
    }

    #[test]
    fn amount_has_exactly_the_minor_unit_places() {
        assert_eq!(ngn("100").amount().to_string(), "100.00");
        assert_eq!(
            Money::from_minor(1, Currency::ETH)
                .unwrap()
                .amount()
                .to_string(),
            "0.000000000000000001"
        );
        assert_eq!(
            Money::from_minor(1000, Currency::JPY)
                .unwrap()
                .amount()
                .to_string(),
            "1000"
        );
    }

    #[test]
    fn adding_different_currencies_is_a_mismatch() {
        let kes = Money::parse("1.00", Currency::KES).unwrap();
        assert_eq!(
            ngn("1.00").checked_add(kes),
            Err(MoneyError::CurrencyMismatch {
                left: Currency::NGN,
                right: Currency::KES
            })
        );
        assert!(matches!(
            ngn("1").checked_sub(kes),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
        assert!(matches!(
            ngn("1").checked_min(kes),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
        assert_eq!(ngn("1").partial_cmp(&kes), None);
        assert!(matches!(
            Money::checked_sum(Currency::NGN, &[ngn("1"), kes]),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn overflow_is_an_error_never_a_panic() {
        let max = Money::from_minor(MAX_MINOR, Currency::NGN).unwrap();
        let one = Money::from_minor(1, Currency::NGN).unwrap();
        assert_eq!(
            max.checked_add(one),
            Err(MoneyError::Overflow { operation: "add" })
        );
        assert_eq!(
            max.negated().checked_sub(one),
            Err(MoneyError::Overflow { operation: "sub" })
        );
        assert_eq!(
            max.checked_mul_int(2),
            Err(MoneyError::Overflow { operation: "mul" })
        );
        assert_eq!(
            max.checked_mul_int(i64::MIN),
            Err(MoneyError::Overflow { operation: "mul" })
        );
        assert!(matches!(
            max.mul_rounded(Decimal::from(10), Rounding::HalfEven),
            Err(MoneyError::Overflow { .. })
        ));
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(ngn("0.10").checked_add(ngn("0.20")).unwrap(), ngn("0.30"));
        assert_eq!(ngn("5.00").checked_sub(ngn("7.25")).unwrap(), ngn("-2.25"));
        assert_eq!(
            ngn("20000.00").checked_mul_int(6).unwrap(),
            ngn("120000.00")
        );
        assert_eq!(
            ngn("120000.00")
                .mul_rounded(Decimal::from_str("0.025").unwrap(), Rounding::HalfEven)
                .unwrap(),
            ngn("3000.00")
        );
        // 10.10 * 0.25 = 2.525: a tie, so the rule decides.
        let tie = ngn("10.10");
        let q = Decimal::from_str("0.25").unwrap();
        assert_eq!(tie.mul_rounded(q, Rounding::HalfEven).unwrap(), ngn("2.52"));
        assert_eq!(tie.mul_rounded(q, Rounding::HalfUp).unwrap(), ngn("2.53"));
        assert_eq!(
            Money::checked_sum(Currency::NGN, &[ngn("1.01"), ngn("2.02")]).unwrap(),
            ngn("3.03")
        );
        assert_eq!(
            Money::checked_sum(Currency::NGN, &[]).unwrap(),
            Money::zero(Currency::NGN)
        );
        assert_eq!(ngn("3").checked_min(ngn("2")).unwrap(), ngn("2"));
        assert_eq!(ngn("-3").abs(), ngn("3"));
        assert!(ngn("-3").is_negative() && ngn("3").is_positive() && ngn("0").is_zero());
    }

    #[test]
    fn ordering_within_a_currency() {
        assert!(ngn("1.00") < ngn("1.01"));
        assert!(ngn("-1") < ngn("0"));
    }
}
