//! Mobile numbers as mobile-money rails take them: an MSISDN, the country calling code
//! and the national number in digits, no `+` (MTN MoMo's `partyId`), and M-Pesa's
//! `2547XXXXXXXX` / `2541XXXXXXXX`.
//!
//! Members give numbers in every form (`+254 712 345 678`, `0712-345678`,
//! `00233 24 123 4567`); [`Msisdn::parse`] reads them all against the member's country
//! and refuses, with a typed error, anything that is not a number of that country's
//! length, so a rail is never asked to pay or charge a malformed number.
//!
//! ```
//! use ajo_core::phone::{Country, Msisdn};
//!
//! let kenyan = Msisdn::parse("0712 345 678", Country::KE)?;
//! assert_eq!(kenyan.as_str(), "254712345678");
//! assert_eq!(kenyan.for_mpesa()?, "254712345678");
//! let ghanaian = Msisdn::parse("+233 24 123 4567", Country::GH)?;
//! assert_eq!(ghanaian.as_str(), "233241234567");
//! assert!(ghanaian.for_mpesa().is_err()); // M-Pesa (Daraja) takes Kenyan numbers only
//! # Ok::<(), ajo_core::phone::PhoneError>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A country whose mobile numbers ajo checks: its calling code and the length of its
/// national (significant) numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country {
    code: &'static str,
    calling_code: &'static str,
    national_digits: usize,
    /// Whether numbers dialled at home start with a trunk `0` that is not part of the
    /// number (`0712…` in Kenya); in Côte d'Ivoire, Benin and Congo the `0` is the
    /// number's own first digit.
    trunk_zero: bool,
}

macro_rules! countries {
    ($($(#[$doc:meta])* $name:ident = $calling:literal, $digits:literal, $trunk:literal;)*) => {
        impl Country {
            $($(#[$doc])* pub const $name: Country = Country {
                code: stringify!($name),
                calling_code: $calling,
                national_digits: $digits,
                trunk_zero: $trunk,
            };)*

            /// Every country known, in the order above.
            pub const ALL: &'static [Country] = &[$(Country::$name),*];
        }
    };
}

countries! {
    /// Kenya (M-Pesa): 254, nine digits (`7XX XXX XXX`, `1XX XXX XXX`).
    KE = "254", 9, true;
    /// Ghana (MTN MoMo): 233, nine digits.
    GH = "233", 9, true;
    /// Uganda (MTN MoMo): 256, nine digits.
    UG = "256", 9, true;
    /// Rwanda (MTN MoMo): 250, nine digits.
    RW = "250", 9, true;
    /// Zambia (MTN MoMo): 260, nine digits.
    ZM = "260", 9, true;
    /// Cameroon (MTN MoMo): 237, nine digits, no trunk prefix.
    CM = "237", 9, false;
    /// Côte d'Ivoire (MTN MoMo): 225, ten digits since 2021, the first a `0`.
    CI = "225", 10, false;
    /// Benin (MTN MoMo): 229, ten digits since 2024, the first a `0`.
    BJ = "229", 10, false;
    /// Congo-Brazzaville (MTN MoMo): 242, nine digits, the first a `0`.
    CG = "242", 9, false;
    /// Tanzania (M-Pesa, Vodacom): 255, nine digits.
    TZ = "255", 9, true;
    /// Nigeria: 234, ten digits.
    NG = "234", 10, true;
    /// South Africa: 27, nine digits.
    ZA = "27", 9, true;
    /// Sweden: 46, the MTN MoMo sandbox's test numbers (`46733123450`).
    SE = "46", 9, true;
}

impl Country {
    /// The ISO 3166-1 alpha-2 code (`KE`).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The calling code, without `+` (`254`).
    pub fn calling_code(&self) -> &'static str {
        self.calling_code
    }

    /// The digits of a national number, after the calling code.
    pub fn national_digits(&self) -> usize {
        self.national_digits
    }

    /// Whether numbers written at home start with a trunk `0` that is not part of the
    /// number.
    pub fn trunk_zero(&self) -> bool {
        self.trunk_zero
    }

    /// The country with this ISO code, if known.
    pub fn from_code(code: &str) -> Option<Country> {
        Country::ALL
            .iter()
            .copied()
            .find(|c| c.code.eq_ignore_ascii_case(code))
    }
}

/// Why a text is not a mobile number of the country asked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Nothing but separators, or characters a number never has.
    #[error("a phone number has digits and may have +, spaces, dashes, dots and brackets")]
    NotANumber,
    /// An international number of another country than the one asked for.
    #[error("the number is not a {expected} number")]
    WrongCountry {
        /// The country asked for (its ISO code).
        expected: &'static str,
    },
    /// The national number has the wrong number of digits.
    #[error("a {country} number has {expected} digits after the country code, got {got}")]
    WrongLength {
        /// The country (its ISO code).
        country: &'static str,
        /// The digits a national number has there.
        expected: usize,
        /// The digits given.
        got: usize,
    },
    /// A `0` after the country code where the country's numbers never start with one
    /// (`+254 0712…`: the trunk prefix kept in an international number).
    #[error("the number after the country code cannot start with 0")]
    TrunkZero,
    /// The rail does not serve such numbers (M-Pesa's Daraja takes Safaricom's Kenyan
    /// mobile numbers, `2547…` and `2541…`, only).
    #[error("{rail} does not take this number")]
    NotOnRail {
        /// The rail.
        rail: &'static str,
    },
}

/// A mobile number as rails want it: the calling code then the national number, digits
/// only (`254712345678`). Its `Debug` shows only the country code and the last three
/// digits: a number is personal data.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Msisdn(String);

impl Msisdn {
    /// Reads `text` as a number of `country`: international (`+254…`, `00254…`, or the
    /// calling code alone, `254…`) or national (`0712…`, or without the trunk `0`),
    /// ignoring spaces, dashes, dots and brackets.
    ///
    /// # Errors
    /// [`PhoneError::NotANumber`] for other characters or no digits;
    /// [`PhoneError::WrongCountry`] for another country's international number;
    /// [`PhoneError::WrongLength`] when the national number is too long or short.
    pub fn parse(text: &str, country: Country) -> Result<Msisdn, PhoneError> {
        let trimmed = text.trim();
        let (international, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneError::NotANumber),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::NotANumber);
        }
        // `00` dials out as `+` does.
        let (international, digits) = match digits.strip_prefix("00") {
            Some(rest) => (true, rest.to_owned()),
            None => (international, digits),
        };
        let national = if international {
            digits
                .strip_prefix(country.calling_code)
                .ok_or(PhoneError::WrongCountry {
                    expected: country.code,
                })?
                .to_owned()
        } else if digits.len() == country.calling_code.len() + country.national_digits
            && digits.starts_with(country.calling_code)
        {
            // The calling code without its `+` (`254712345678`).
            digits
                .get(country.calling_code.len()..)
                .unwrap_or_default()
                .to_owned()
        } else if country.trunk_zero {
            // A national number, with or without its trunk `0` (`0712…`, `712…`).
            digits.strip_prefix('0').unwrap_or(&digits).to_owned()
        } else {
            digits
        };
        if country.trunk_zero && national.starts_with('0') {
            return Err(PhoneError::TrunkZero);
        }
        if national.len() != country.national_digits {
            return Err(PhoneError::WrongLength {
                country: country.code,
                expected: country.national_digits,
                got: national.len(),
            });
        }
        Ok(Msisdn(format!("{}{national}", country.calling_code)))
    }

    /// The digits: calling code and national number (`254712345678`), as MTN MoMo's
    /// `partyId` takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number in E.164 (`+254712345678`), as SMS providers take it.
    pub fn e164(&self) -> String {
        format!("+{}", self.0)
    }

    /// The number as M-Pesa's Daraja takes it (`PhoneNumber`, `PartyA`, `PartyB`): a
    /// Kenyan mobile number, `2547XXXXXXXX` or `2541XXXXXXXX`.
    ///
    /// # Errors
    /// [`PhoneError::NotOnRail`] for any other number.
    pub fn for_mpesa(&self) -> Result<&str, PhoneError> {
        let kenyan_mobile =
            self.0.len() == 12 && (self.0.starts_with("2547") || self.0.starts_with("2541"));
        if kenyan_mobile {
            Ok(&self.0)
        } else {
            Err(PhoneError::NotOnRail { rail: "M-Pesa" })
        }
    }
}

impl fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = self
            .0
            .get(self.0.len().saturating_sub(3)..)
            .unwrap_or_default();
        write!(f, "Msisdn(…{tail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_way_of_writing_a_kenyan_number_is_read() {
        for text in [
            "+254712345678",
            "+254 712 345 678",
            "254712345678",
            "00254712345678",
            "0712345678",
            "0712-345-678",
            "(0712) 345.678",
            "712345678",
            "  +254 712 345678 ",
        ] {
            let n = Msisdn::parse(text, Country::KE).unwrap();
            assert_eq!(n.as_str(), "254712345678", "{text}");
            assert_eq!(n.for_mpesa().unwrap(), "254712345678");
            assert_eq!(n.e164(), "+254712345678");
        }
        // Safaricom's 011x range.
        let n = Msisdn::parse("0110 123 456", Country::KE).unwrap();
        assert_eq!(n.for_mpesa().unwrap(), "254110123456");
    }

    #[test]
    fn bad_numbers_are_typed_errors() {
        let ke = |t: &str| Msisdn::parse(t, Country::KE);
        assert_eq!(ke(""), Err(PhoneError::NotANumber));
        assert_eq!(ke("+ - ."), Err(PhoneError::NotANumber));
        assert_eq!(ke("07123x5678"), Err(PhoneError::NotANumber));
        assert_eq!(
            ke("+2547123456780"),
            Err(PhoneError::WrongLength {
                country: "KE",
                expected: 9,
                got: 10
            })
        );
        assert_eq!(
            ke("071234567"),
            Err(PhoneError::WrongLength {
                country: "KE",
                expected: 9,
                got: 8
            })
        );
        assert_eq!(
            ke("+233241234567"),
            Err(PhoneError::WrongCountry { expected: "KE" })
        );
        assert_eq!(ke("+2540712345678"), Err(PhoneError::TrunkZero));
        assert_eq!(
            ke("00712345678"),
            Err(PhoneError::WrongCountry { expected: "KE" })
        );
        // A Kenyan landline (020…) is a Kenyan number, but not M-Pesa's.
        let landline = ke("020 123 4567").unwrap();
        assert_eq!(
            landline.for_mpesa(),
            Err(PhoneError::NotOnRail { rail: "M-Pesa" })
        );
    }

    #[test]
    fn momo_markets_take_their_own_lengths() {
        let cases = [
            (Country::GH, "024 123 4567", "233241234567"),
            (Country::UG, "+256 772 123 456", "256772123456"),
            (Country::CI, "07 07 12 34 56", "2250707123456"),
            (Country::SE, "46733123450", "46733123450"),
            (Country::NG, "0803 123 4567", "2348031234567"),
            (Country::CI, "+225 07 07 12 34 56", "2250707123456"),
            (Country::CM, "6 77 12 34 56", "237677123456"),
        ];
        for (country, text, want) in cases {
            let n = Msisdn::parse(text, country).unwrap();
            assert_eq!(n.as_str(), want, "{text}");
            assert!(n.for_mpesa().is_err());
        }
        assert_eq!(Country::from_code("gh"), Some(Country::GH));
        assert_eq!(Country::from_code("XX"), None);
    }

    #[test]
    fn debug_hides_the_number() {
        let n = Msisdn::parse("0712345678", Country::KE).unwrap();
        assert_eq!(format!("{n:?}"), "Msisdn(…678)");
    }
}
