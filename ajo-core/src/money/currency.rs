//! Currencies: an ISO-style code and the number of minor units it is counted in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::MoneyError;

/// The longest currency code accepted (`USDC` and `EURC` need four; room is left for more).
pub const MAX_CODE_LEN: usize = 10;

/// The most minor units a currency may have.
///
/// `rust_decimal` carries at most 28 decimal places; 18 (ETH's wei) leaves ten digits of
/// whole units, which is why the limit is not simply 28.
pub const MAX_MINOR_UNITS: u8 = 18;

/// How a currency's symbol is placed when formatting for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symbol {
    /// `₦1,234.56`: symbol glued to the number.
    Tight(&'static str),
    /// `KSh 1,234.56`: symbol, a space, the number.
    Spaced(&'static str),
    /// `1,234.560000 USDC`: the number, a space, the code (tokens people know by code).
    Suffix,
}

struct Builtin {
    code: &'static str,
    minor_units: u8,
    symbol: Symbol,
}

/// The built-in table. Symbols follow common usage in each market; the minor units follow
/// ISO 4217 (or the token's contract for BTC, ETH and the stablecoins).
const BUILTINS: &[Builtin] = &[
    Builtin {
        code: "NGN",
        minor_units: 2,
        symbol: Symbol::Tight("₦"),
    },
    Builtin {
        code: "GHS",
        minor_units: 2,
        symbol: Symbol::Spaced("GH₵"),
    },
    Builtin {
        code: "KES",
        minor_units: 2,
        symbol: Symbol::Spaced("KSh"),
    },
    Builtin {
        code: "UGX",
        minor_units: 0,
        symbol: Symbol::Spaced("USh"),
    },
    Builtin {
        code: "TZS",
        minor_units: 2,
        symbol: Symbol::Spaced("TSh"),
    },
    Builtin {
        code: "RWF",
        minor_units: 0,
        symbol: Symbol::Spaced("FRw"),
    },
    Builtin {
        code: "XOF",
        minor_units: 0,
        symbol: Symbol::Spaced("CFA"),
    },
    Builtin {
        code: "XAF",
        minor_units: 0,
        symbol: Symbol::Spaced("FCFA"),
    },
    Builtin {
        code: "ZAR",
        minor_units: 2,
        symbol: Symbol::Spaced("R"),
    },
    Builtin {
        code: "EGP",
        minor_units: 2,
        symbol: Symbol::Spaced("E£"),
    },
    Builtin {
        code: "USD",
        minor_units: 2,
        symbol: Symbol::Tight("$"),
    },
    Builtin {
        code: "EUR",
        minor_units: 2,
        symbol: Symbol::Tight("€"),
    },
    Builtin {
        code: "GBP",
        minor_units: 2,
        symbol: Symbol::Tight("£"),
    },
    Builtin {
        code: "JPY",
        minor_units: 0,
        symbol: Symbol::Tight("¥"),
    },
    Builtin {
        code: "BTC",
        minor_units: 8,
        symbol: Symbol::Tight("₿"),
    },
    Builtin {
        code: "ETH",
        minor_units: 18,
        symbol: Symbol::Tight("Ξ"),
    },
    Builtin {
        code: "USDC",
        minor_units: 6,
        symbol: Symbol::Suffix,
    },
    Builtin {
        code: "EURC",
        minor_units: 6,
        symbol: Symbol::Suffix,
    },
    Builtin {
        code: "ZMW",
        minor_units: 2,
        symbol: Symbol::Tight("K"),
    },
];

/// A currency: a code of 2 to 10 upper-case ASCII letters or digits and its minor units.
///
/// Built-in currencies come from [`Currency::from_code`] (or the constants such as
/// [`Currency::NGN`]); anything else is defined with [`Currency::new`]. Two currencies are
/// the same when both the code and the minor units agree, so a caller-defined `NGN` with
/// three minor units can never be mixed with the real one.
///
/// ```
/// use ajo_core::money::Currency;
///
/// let naira = Currency::from_code("NGN")?;
/// assert_eq!(naira.minor_units(), 2);
/// let points = Currency::new("PTS", 3)?;
/// assert_eq!(points.code(), "PTS");
/// # Ok::<(), ajo_core::money::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; MAX_CODE_LEN],
    len: u8,
    minor_units: u8,
}

macro_rules! builtin_consts {
    ($($name:ident = $code:literal, $units:literal;)*) => {
        impl Currency {
            $(
                #[doc = concat!("`", $code, "`, ", stringify!($units), " minor units.")]
                pub const $name: Currency = Currency::from_table($code, $units);
            )*
        }
    };
}

builtin_consts! {
    NGN = "NGN", 2; GHS = "GHS", 2; KES = "KES", 2; UGX = "UGX", 0; TZS = "TZS", 2;
    RWF = "RWF", 0; XOF = "XOF", 0; XAF = "XAF", 0; ZAR = "ZAR", 2; EGP = "EGP", 2;
    USD = "USD", 2; EUR = "EUR", 2; GBP = "GBP", 2; JPY = "JPY", 0; BTC = "BTC", 8;
    ETH = "ETH", 18; USDC = "USDC", 6; EURC = "EURC", 6; ZMW = "ZMW", 2;
}

impl Currency {
    /// Builds a table constant; only called with codes known to be valid.
    const fn from_table(code: &str, minor_units: u8) -> Currency {
        let bytes = code.as_bytes();
        let mut out = [0u8; MAX_CODE_LEN];
        let mut i = 0;
        while i < bytes.len() && i < MAX_CODE_LEN {
            // `get` is not usable in a const fn; the loop condition bounds `i` by both lengths.
            #[allow(clippy::indexing_slicing)]
            {
                out[i] = bytes[i];
            }
            i += 1;
        }
        #[allow(clippy::cast_possible_truncation)] // at most MAX_CODE_LEN
        let len = i as u8;
        Currency {
            code: out,
            len,
            minor_units,
        }
    }

    /// Defines a currency. A built-in code may be used only with its own minor units.
    ///
    /// # Errors
    /// - [`MoneyError::InvalidCurrencyCode`] if the code is not 2 to 10 upper-case ASCII
    ///   letters or digits.
    /// - [`MoneyError::UnsupportedMinorUnits`] above [`MAX_MINOR_UNITS`].
    /// - [`MoneyError::MinorUnitsMismatch`] when a built-in code is given other minor units.
    pub fn new(code: &str, minor_units: u8) -> Result<Currency, MoneyError> {
        validate_code(code)?;
        if minor_units > MAX_MINOR_UNITS {
            return Err(MoneyError::UnsupportedMinorUnits { minor_units });
        }
        if let Some(builtin) = find_builtin(code).filter(|b| b.minor_units != minor_units) {
            return Err(MoneyError::MinorUnitsMismatch {
                code: code.to_owned(),
                expected: builtin.minor_units,
                got: minor_units,
            });
        }
        Ok(Currency::from_table(code, minor_units))
    }

    /// Looks up a built-in currency by its code (exact, upper case).
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrency`] if the code is not in the built-in table.
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        find_builtin(code)
            .map(|b| Currency::from_table(b.code, b.minor_units))
            .ok_or_else(|| MoneyError::UnknownCurrency {
                code: truncate_for_error(code),
            })
    }

    /// Every built-in currency, in table order.
    pub fn builtins() -> impl Iterator<Item = Currency> {
        BUILTINS
            .iter()
            .map(|b| Currency::from_table(b.code, b.minor_units))
    }

    /// The code, such as `"NGN"`.
    pub fn code(&self) -> &str {
        let len = usize::from(self.len).min(MAX_CODE_LEN);
        // Codes are validated ASCII on construction, so this never falls back.
        self.code
            .get(..len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// How many decimal places one unit is divided into (NGN 2, JPY 0, ETH 18).
    pub fn minor_units(&self) -> u8 {
        self.minor_units
    }

    /// Whether this is one of the built-in currencies.
    pub fn is_builtin(&self) -> bool {
        find_builtin(self.code()).is_some()
    }

    /// The symbol shown to people, if the currency has one (`₦`, `KSh`, `$`).
    pub fn symbol(&self) -> Option<&'static str> {
        match self.symbol_style() {
            Some(Symbol::Tight(s) | Symbol::Spaced(s)) => Some(s),
            Some(Symbol::Suffix) | None => None,
        }
    }

    pub(super) fn format_parts(&self) -> (Option<&'static str>, bool) {
        match self.symbol_style() {
            Some(Symbol::Tight(s)) => (Some(s), false),
            Some(Symbol::Spaced(s)) => (Some(s), true),
            Some(Symbol::Suffix) | None => (None, true),
        }
    }

    fn symbol_style(&self) -> Option<Symbol> {
        find_builtin(self.code())
            .filter(|b| b.minor_units == self.minor_units)
            .map(|b| b.symbol)
    }
}

fn find_builtin(code: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.code == code)
}

fn validate_code(code: &str) -> Result<(), MoneyError> {
    let ok = (2..=MAX_CODE_LEN).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(MoneyError::InvalidCurrencyCode {
            code: truncate_for_error(code),
        })
    }
}

/// Errors echo what the caller gave, but never an unbounded amount of it.
fn truncate_for_error(text: &str) -> String {
    text.chars().take(16).collect()
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.code(), self.minor_units)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    /// Parses a built-in code; see [`Currency::from_code`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

/// Serialized as `{"code": "NGN", "minor_units": 2}` so that caller-defined currencies
/// survive a round trip without a global registry.
#[derive(Serialize, Deserialize)]
struct CurrencyRepr<'a> {
    #[serde(borrow)]
    code: std::borrow::Cow<'a, str>,
    minor_units: u8,
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        CurrencyRepr {
            code: self.code().into(),
            minor_units: self.minor_units,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = CurrencyRepr::deserialize(deserializer)?;
        Currency::new(&repr.code, repr.minor_units).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_has_the_required_currencies_with_their_minor_units() {
        let want = [
            ("NGN", 2),
            ("GHS", 2),
            ("KES", 2),
            ("UGX", 0),
            ("TZS", 2),
            ("RWF", 0),
            ("XOF", 0),
            ("XAF", 0),
            ("ZAR", 2),
            ("EGP", 2),
            ("USD", 2),
            ("EUR", 2),
            ("GBP", 2),
            ("JPY", 0),
            ("BTC", 8),
            ("ETH", 18),
            ("USDC", 6),
            ("EURC", 6),
            ("ZMW", 2),
        ];
        for (code, units) in want {
            let c = Currency::from_code(code).unwrap();
            assert_eq!(c.code(), code);
            assert_eq!(c.minor_units(), units, "{code}");
            assert!(c.is_builtin());
        }
        assert_eq!(Currency::builtins().count(), want.len());
        assert_eq!(Currency::from_code("ETH").unwrap(), Currency::ETH);
    }

    #[test]
    fn unknown_code_is_a_typed_error() {
        assert!(matches!(
            Currency::from_code("XYZ"),
            Err(MoneyError::UnknownCurrency { code }) if code == "XYZ"
        ));
        assert!(matches!(
            "ngn".parse::<Currency>(),
            Err(MoneyError::UnknownCurrency { .. })
        ));
    }

    #[test]
    fn callers_define_their_own_currencies() {
        let pts = Currency::new("PTS", 3).unwrap();
        assert_eq!((pts.code(), pts.minor_units()), ("PTS", 3));
        assert!(!pts.is_builtin());
        assert_eq!(pts.symbol(), None);
        assert_eq!(Currency::new("NGN", 2).unwrap(), Currency::NGN);
    }

    #[test]
    fn bad_definitions_are_rejected() {
        for code in ["", "N", "ngn", "NG N", "ABCDEFGHIJK", "₦₦₦"] {
            assert!(
                matches!(
                    Currency::new(code, 2),
                    Err(MoneyError::InvalidCurrencyCode { .. })
                ),
                "{code:?}"
            );
        }
        assert!(matches!(
            Currency::new("PTS", 19),
            Err(MoneyError::UnsupportedMinorUnits { minor_units: 19 })
        ));
        assert!(matches!(
            Currency::new("NGN", 3),
            Err(MoneyError::MinorUnitsMismatch {
                expected: 2,
                got: 3,
                ..
            })
        ));
    }

    #[test]
    fn same_code_with_other_minor_units_is_another_currency() {
        let a = Currency::new("PTS", 2).unwrap();
        let b = Currency::new("PTS", 3).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn serde_round_trips_builtin_and_custom() {
        for c in [
            Currency::NGN,
            Currency::ETH,
            Currency::new("PTS", 3).unwrap(),
        ] {
            let json = serde_json::to_string(&c).unwrap();
            let back: Currency = serde_json::from_str(&json).unwrap();
            assert_eq!(back, c);
        }
        assert_eq!(
            serde_json::to_string(&Currency::NGN).unwrap(),
            r#"{"code":"NGN","minor_units":2}"#
        );
        assert!(serde_json::from_str::<Currency>(r#"{"code":"NGN","minor_units":3}"#).is_err());
    }
}
