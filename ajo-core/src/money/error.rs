use thiserror::Error;

use super::Currency;

/// Everything that can go wrong building, parsing, combining or splitting [`Money`](super::Money).
///
/// Variants echo what the caller gave only in a shortened form, so an error built from
/// hostile input stays small.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The code is not in the built-in table (use [`Currency::new`] to define it).
    #[error("unknown currency code {code:?}")]
    UnknownCurrency {
        /// The code given (at most 16 characters of it).
        code: String,
    },
    /// A currency code must be 2 to 10 upper-case ASCII letters or digits.
    #[error("invalid currency code {code:?}: expected 2 to 10 upper-case letters or digits")]
    InvalidCurrencyCode {
        /// The code given (at most 16 characters of it).
        code: String,
    },
    /// More minor units than [`MAX_MINOR_UNITS`](super::MAX_MINOR_UNITS).
    #[error(
        "{minor_units} minor units is more than the supported {}",
        super::MAX_MINOR_UNITS
    )]
    UnsupportedMinorUnits {
        /// The minor units asked for.
        minor_units: u8,
    },
    /// A built-in code was given minor units other than its own.
    #[error("{code} has {expected} minor units, not {got}")]
    MinorUnitsMismatch {
        /// The built-in code.
        code: String,
        /// Its real minor units.
        expected: u8,
        /// What the caller said.
        got: u8,
    },
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// The currency of the left-hand amount.
        left: Currency,
        /// The currency of the right-hand amount.
        right: Currency,
    },
    /// The result does not fit (amounts are limited to 96-bit minor units, as `Decimal` is).
    #[error("overflow in {operation}")]
    Overflow {
        /// What was being computed.
        operation: &'static str,
    },
    /// The amount has more decimal places than the currency's minor units.
    #[error("{currency} takes at most {max} decimal places, got {got}")]
    TooManyDecimals {
        /// The currency the amount was meant for.
        currency: Currency,
        /// Its minor units.
        max: u8,
        /// Decimal places in the input.
        got: u32,
    },
    /// Empty text where an amount was expected.
    #[error("empty amount")]
    EmptyAmount,
    /// The text is longer than any amount can be.
    #[error("amount text is {len} characters, more than the {max} allowed")]
    AmountTooLong {
        /// Length of the input in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Exponent notation (`1e3`) is refused: amounts are written out in full.
    #[error("exponent notation is not accepted in amounts")]
    ExponentNotation,
    /// Not a plain decimal number (`NaN`, `inf`, `+1`, `1.`, `1,000`, spaces...).
    #[error("malformed amount {input:?}: expected digits with an optional sign and decimal point")]
    MalformedAmount {
        /// The input (at most 32 characters of it).
        input: String,
    },
    /// An allocation was asked for with no weights.
    #[error("no weights to allocate by")]
    NoWeights,
    /// A weight is negative.
    #[error("weight {index} is negative")]
    NegativeWeight {
        /// Zero-based position of the weight.
        index: usize,
    },
    /// All weights are zero, so there is nothing to divide by.
    #[error("weights sum to zero")]
    ZeroTotalWeight,
    /// A split into zero parts.
    #[error("cannot split into zero parts")]
    ZeroParts,
}
