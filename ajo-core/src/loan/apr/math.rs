//! Logarithm and exponential in `Decimal`, for the EU convention's fractional years:
//! `(1 + X)^-s` with `s` not a whole number. Both are series carried to `Decimal`'s 28
//! digits after a range reduction that keeps the series short, so an APR computed from
//! them is good to far more places than any disclosure shows (tests check them against
//! known constants to 1e-26).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// `ln 2` to 28 places.
const LN_2: Decimal = Decimal::from_parts(2_860_148_159, 2_180_329_217, 375_755_839, false, 28);

/// Terms after which a series has stopped changing the sum (each is below 1e-28 long
/// before this; the bound only guards the loop).
const MAX_TERMS: u32 = 200;

/// `ln(x)` for `x > 0`, or `None` for `x <= 0` or on overflow.
pub(crate) fn ln(x: Decimal) -> Option<Decimal> {
    if x <= Decimal::ZERO {
        return None;
    }
    // x = m 2^k with m in [0.75, 1.5): then z = (m - 1) / (m + 1) is within 0.2 of 0 and
    // ln m = 2 atanh z = 2 (z + z^3/3 + z^5/5 + ...) gains over a digit a term.
    let mut m = x;
    let mut k: i64 = 0;
    let upper = Decimal::new(15, 1);
    let lower = Decimal::new(75, 2);
    while m >= upper {
        m = m.checked_div(Decimal::TWO)?;
        k += 1;
    }
    while m < lower {
        m = m.checked_mul(Decimal::TWO)?;
        k -= 1;
    }
    let z = (m - Decimal::ONE).checked_div(m + Decimal::ONE)?;
    let z2 = z.checked_mul(z)?;
    let mut power = z;
    let mut sum = Decimal::ZERO;
    let mut n = 1u32;
    while n < MAX_TERMS {
        let term = power.checked_div(Decimal::from(n))?;
        if term.is_zero() {
            break;
        }
        sum = sum.checked_add(term)?;
        power = power.checked_mul(z2)?;
        n += 2;
    }
    sum.checked_mul(Decimal::TWO)?
        .checked_add(LN_2.checked_mul(Decimal::from(k))?)
}

/// `e^y`, or `None` when it does not fit in `Decimal`. Results below `Decimal`'s
/// smallest step come back as zero.
pub(crate) fn exp(y: Decimal) -> Option<Decimal> {
    // y = k ln 2 + r with |r| <= ln 2 / 2: e^y = 2^k e^r, and e^r's Taylor series gains
    // a digit or more a term.
    let k = y.checked_div(LN_2)?.round();
    let r = y.checked_sub(k.checked_mul(LN_2)?)?;
    let mut term = Decimal::ONE;
    let mut sum = Decimal::ONE;
    let mut n = 1u32;
    while n < MAX_TERMS {
        term = term.checked_mul(r)?.checked_div(Decimal::from(n))?;
        if term.is_zero() {
            break;
        }
        sum = sum.checked_add(term)?;
        n += 1;
    }
    let k = k.to_i64()?;
    if k >= 0 {
        let scale = u32::try_from(k).ok()?;
        sum.checked_mul(super::super::rate::powi(Decimal::TWO, scale)?)
    } else {
        let scale = u32::try_from(-k).ok()?;
        match super::super::rate::powi(Decimal::TWO, scale) {
            Some(d) => sum.checked_div(d),
            // 2^scale overflows: e^y is far below Decimal's smallest step.
            None => Some(Decimal::ZERO),
        }
    }
}

#[cfg(test)]
/// `base^exponent` for `base > 0` and any exponent: whole powers by squaring (exact),
/// the fraction through [`ln`] and [`exp`].
pub(crate) fn pow(base: Decimal, exponent: Decimal) -> Option<Decimal> {
    if base <= Decimal::ZERO {
        return None;
    }
    let whole = exponent.trunc();
    let fraction = exponent.checked_sub(whole)?;
    let n = whole.abs().to_u32()?;
    let whole_power = super::super::rate::powi(base, n)?;
    let whole_power = if exponent.is_sign_negative() {
        Decimal::ONE.checked_div(whole_power)?
    } else {
        whole_power
    };
    if fraction.is_zero() {
        return Some(whole_power);
    }
    whole_power.checked_mul(exp(fraction.checked_mul(ln(base)?)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn close(a: Decimal, b: Decimal, within: &str) -> bool {
        (a - b).abs() <= d(within)
    }

    #[test]
    fn the_constant_is_ln_2() {
        assert_eq!(LN_2.to_string(), "0.6931471805599453094172321215");
        assert_eq!(ln(Decimal::TWO), Some(LN_2));
    }

    #[test]
    fn logarithms_match_known_values() {
        assert_eq!(ln(Decimal::ONE), Some(Decimal::ZERO));
        // ln 10 = 2.302585092994045684017991454684...
        assert!(close(
            ln(d("10")).unwrap(),
            d("2.3025850929940456840179914547"),
            "1e-26"
        ));
        // ln 1.2 = 0.182321556793954626211718025149...
        assert!(close(
            ln(d("1.2")).unwrap(),
            d("0.1823215567939546262117180251"),
            "1e-26"
        ));
        // ln 0.001 = -6.907755278982137052053974364...
        assert!(close(
            ln(d("0.001")).unwrap(),
            d("-6.9077552789821370520539743641"),
            "1e-25"
        ));
        assert_eq!(ln(Decimal::ZERO), None);
        assert_eq!(ln(d("-1")), None);
    }

    #[test]
    fn exponentials_match_known_values() {
        assert_eq!(exp(Decimal::ZERO), Some(Decimal::ONE));
        // e = 2.718281828459045235360287471352...
        assert!(close(
            exp(Decimal::ONE).unwrap(),
            d("2.7182818284590452353602874714"),
            "1e-26"
        ));
        // e^-5 = 0.006737946999085467096636048423...
        assert!(close(
            exp(d("-5")).unwrap(),
            d("0.0067379469990854670966360484"),
            "1e-26"
        ));
        assert_eq!(exp(d("-200")), Some(Decimal::ZERO));
        assert_eq!(exp(d("200")), None);
        for x in ["0.5", "1.7", "3", "123.456"] {
            let back = exp(ln(d(x)).unwrap()).unwrap();
            assert!(close(back, d(x), "1e-23"), "{x}: {back}");
        }
    }

    #[test]
    fn powers_with_fractional_exponents() {
        // 1.2^(365/546) - 1: the EU directive's first example, 12.96 %.
        let x = pow(d("1.2"), d("365") / d("546")).unwrap() - Decimal::ONE;
        assert!(close(x, d("0.129620"), "0.000001"), "{x}");
        assert_eq!(pow(d("1.1"), d("2")), Some(d("1.21")));
        assert!(close(pow(d("4"), d("-0.5")).unwrap(), d("0.5"), "1e-26"));
        assert!(close(
            pow(d("2"), d("10.5")).unwrap(),
            d("1448.1546878700493300"),
            "1e-12"
        ));
        assert_eq!(pow(Decimal::ZERO, d("0.5")), None);
    }
}
