//! Strict parsing of amounts from text.

use std::str::FromStr;

use super::{Currency, MAX_MINOR, Money, MoneyError};

/// The longest amount text accepted, in bytes.
///
/// The largest amount has 29 digits, plus a sign and a decimal point; anything much
/// longer is not an amount, and refusing it early bounds the work hostile input can cause.
pub const MAX_AMOUNT_TEXT_LEN: usize = 48;

impl Money {
    /// Parses a plain decimal amount in `currency`: optional `-`, digits, and optionally a
    /// `.` followed by at most the currency's minor units of digits.
    ///
    /// Refused: empty text, more than [`MAX_AMOUNT_TEXT_LEN`] bytes, exponents (`1e3`),
    /// `NaN`/`inf`, a `+` sign, spaces, thousands separators, a bare `.` (`1.`, `.5`) and
    /// more decimals than the currency has, even trailing zeros (`1.500` NGN): text is
    /// taken as written, never rounded.
    ///
    /// ```
    /// use ajo_core::money::{Currency, Money, MoneyError};
    ///
    /// assert_eq!(Money::parse("1234.5", Currency::NGN)?.minor(), 123_450);
    /// assert!(matches!(
    ///     Money::parse("1.005", Currency::NGN),
    ///     Err(MoneyError::TooManyDecimals { .. })
    /// ));
    /// # Ok::<(), MoneyError>(())
    /// ```
    ///
    /// # Errors
    /// [`MoneyError::EmptyAmount`], [`MoneyError::AmountTooLong`],
    /// [`MoneyError::ExponentNotation`], [`MoneyError::MalformedAmount`],
    /// [`MoneyError::TooManyDecimals`] or [`MoneyError::Overflow`].
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        if text.is_empty() {
            return Err(MoneyError::EmptyAmount);
        }
        if text.len() > MAX_AMOUNT_TEXT_LEN {
            return Err(MoneyError::AmountTooLong {
                len: text.len(),
                max: MAX_AMOUNT_TEXT_LEN,
            });
        }
        if text.bytes().any(|b| b == b'e' || b == b'E') {
            return Err(MoneyError::ExponentNotation);
        }
        let malformed = || MoneyError::MalformedAmount {
            input: text.chars().take(32).collect(),
        };
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (unsigned, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(malformed());
        }
        let fraction = fraction.unwrap_or("");
        let places = usize::from(currency.minor_units());
        if fraction.len() > places {
            return Err(MoneyError::TooManyDecimals {
                currency,
                max: currency.minor_units(),
                got: u32::try_from(fraction.len()).unwrap_or(u32::MAX),
            });
        }
        let overflow = || MoneyError::Overflow { operation: "parse" };
        let mut minor: i128 = 0;
        let padding = std::iter::repeat_n(b'0', places - fraction.len());
        for digit in whole.bytes().chain(fraction.bytes()).chain(padding) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(digit - b'0')))
                .filter(|m| *m <= MAX_MINOR)
                .ok_or_else(overflow)?;
        }
        Money::from_minor(if negative { -minor } else { minor }, currency)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Reads the plain form that `Display` writes, `"1234.56 NGN"`, for built-in
    /// currencies.
    ///
    /// # Errors
    /// [`MoneyError::MalformedAmount`] without the single space, otherwise as
    /// [`Currency::from_code`] and [`Money::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_AMOUNT_TEXT_LEN + 1 + super::MAX_CODE_LEN {
            return Err(MoneyError::AmountTooLong {
                len: s.len(),
                max: MAX_AMOUNT_TEXT_LEN,
            });
        }
        let (amount, code) = s
            .split_once(' ')
            .ok_or_else(|| MoneyError::MalformedAmount {
                input: s.chars().take(32).collect(),
            })?;
        Money::parse(amount, Currency::from_code(code)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_decimals_up_to_the_minor_units() {
        let cases = [
            ("0", Currency::NGN, 0),
            ("-0", Currency::NGN, 0),
            ("1", Currency::NGN, 100),
            ("1.5", Currency::NGN, 150),
            ("1234.56", Currency::NGN, 123_456),
            ("-7.01", Currency::NGN, -701),
            ("007", Currency::NGN, 700),
            ("1000", Currency::JPY, 1000),
            ("0.00000001", Currency::BTC, 1),
            (
                "1.000000000000000000",
                Currency::ETH,
                1_000_000_000_000_000_000,
            ),
            ("79228162514264337593543950335", Currency::JPY, MAX_MINOR),
        ];
        for (text, cur, minor) in cases {
            assert_eq!(Money::parse(text, cur).unwrap().minor(), minor, "{text}");
        }
    }

    #[test]
    fn refuses_every_malformed_form_with_its_own_error() {
        assert_eq!(
            Money::parse("", Currency::NGN),
            Err(MoneyError::EmptyAmount)
        );
        let long = "1".repeat(MAX_AMOUNT_TEXT_LEN + 1);
        assert!(matches!(
            Money::parse(&long, Currency::NGN),
            Err(MoneyError::AmountTooLong {
                max: MAX_AMOUNT_TEXT_LEN,
                ..
            })
        ));
        for text in ["1e3", "1E3", "1.5e-2", "NaN-e"] {
            assert_eq!(
                Money::parse(text, Currency::NGN),
                Err(MoneyError::ExponentNotation),
                "{text}"
            );
        }
        for text in [
            "NaN", "nan", "inf", "-inf", "Infinity", "+1", "1.", ".5", "-", "1,000", " 1", "1 ",
            "1..2", "--1", "0x10", "１", "1_000", "1.2.3",
        ] {
            assert!(
                matches!(
                    Money::parse(text, Currency::NGN),
                    Err(MoneyError::MalformedAmount { .. }) | Err(MoneyError::ExponentNotation)
                ),
                "{text:?} gave {:?}",
                Money::parse(text, Currency::NGN)
            );
        }
        assert!(matches!(
            Money::parse("1.500", Currency::NGN),
            Err(MoneyError::TooManyDecimals { max: 2, got: 3, .. })
        ));
        assert!(matches!(
            Money::parse("1.0", Currency::JPY),
            Err(MoneyError::TooManyDecimals { max: 0, got: 1, .. })
        ));
        assert_eq!(
            Money::parse("79228162514264337593543950336", Currency::JPY),
            Err(MoneyError::Overflow { operation: "parse" })
        );
        assert_eq!(
            Money::parse("100000000000", Currency::ETH),
            Err(MoneyError::Overflow { operation: "parse" })
        );
    }

    #[test]
    fn malformed_input_is_echoed_only_in_part() {
        let text = format!("{}x", "9".repeat(40));
        match Money::parse(&text, Currency::NGN) {
            Err(MoneyError::MalformedAmount { input }) => assert_eq!(input.len(), 32),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn from_str_reads_the_plain_form() {
        assert_eq!(
            "1234.56 NGN".parse::<Money>().unwrap(),
            Money::parse("1234.56", Currency::NGN).unwrap()
        );
        assert!(matches!(
            "1234.56".parse::<Money>(),
            Err(MoneyError::MalformedAmount { .. })
        ));
        assert!(matches!(
            "1 XYZ".parse::<Money>(),
            Err(MoneyError::UnknownCurrency { .. })
        ));
        assert!(matches!(
            "1  NGN".parse::<Money>(),
            Err(MoneyError::UnknownCurrency { .. })
        ));
        let long = format!("{} NGN", "1".repeat(100));
        assert!(matches!(
            long.parse::<Money>(),
            Err(MoneyError::AmountTooLong { .. })
        ));
    }
}
