//! Writing amounts: a plain form for machines and a grouped, symbolled form for people.

use std::fmt;

use super::Money;

impl fmt::Display for Money {
    /// The plain form, `1234.56 NGN`: no grouping, exactly the currency's minor-unit
    /// places, read back by `str::parse`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount(), self.currency.code())
    }
}

/// An amount formatted for people: `₦1,234.56`, `KSh 1,234.56`, `¥1,235`,
/// `1,234.560000 USDC`. Returned by [`Money::human`].
///
/// Grouping is by thousands with `,` and the decimal point is `.`, as in the markets ajo
/// serves first; locales that swap them are left to the host application.
#[derive(Debug, Clone, Copy)]
pub struct HumanMoney<'a>(&'a Money);

impl Money {
    /// The amount formatted for people, with the currency's symbol and thousands grouping.
    ///
    /// ```
    /// use ajo_core::money::{Currency, Money};
    ///
    /// let m = Money::parse("-1234.56", Currency::KES)?;
    /// assert_eq!(m.human().to_string(), "-KSh 1,234.56");
    /// # Ok::<(), ajo_core::money::MoneyError>(())
    /// ```
    pub fn human(&self) -> HumanMoney<'_> {
        HumanMoney(self)
    }
}

impl fmt::Display for HumanMoney<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let money = self.0;
        let digits = money.amount().abs().to_string();
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, fr)) => (w, Some(fr)),
            None => (digits.as_str(), None),
        };
        let (symbol, spaced) = money.currency.format_parts();
        if money.is_negative() {
            f.write_str("-")?;
        }
        if let Some(symbol) = symbol {
            f.write_str(symbol)?;
            if spaced {
                f.write_str(" ")?;
            }
        }
        write_grouped(f, whole)?;
        if let Some(fraction) = fraction {
            write!(f, ".{fraction}")?;
        }
        if symbol.is_none() {
            write!(f, " {}", money.currency.code())?;
        }
        Ok(())
    }
}

/// Writes ASCII digits with a `,` before every group of three from the right.
fn write_grouped(f: &mut fmt::Formatter<'_>, digits: &str) -> fmt::Result {
    let len = digits.len();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            f.write_str(",")?;
        }
        write!(f, "{ch}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Currency;
    use super::*;

    fn human(text: &str, currency: Currency) -> String {
        Money::parse(text, currency).unwrap().human().to_string()
    }

    #[test]
    fn people_see_symbol_and_grouping() {
        assert_eq!(human("1234.56", Currency::NGN), "₦1,234.56");
        assert_eq!(human("1234.56", Currency::KES), "KSh 1,234.56");
        assert_eq!(human("1234.56", Currency::GHS), "GH₵ 1,234.56");
        assert_eq!(human("1234.56", Currency::USD), "$1,234.56");
        assert_eq!(human("1235", Currency::JPY), "¥1,235");
        assert_eq!(human("25000", Currency::NGN), "₦25,000.00");
        assert_eq!(human("0", Currency::NGN), "₦0.00");
        assert_eq!(human("999", Currency::UGX), "USh 999");
        assert_eq!(human("1000000", Currency::XOF), "CFA 1,000,000");
        assert_eq!(human("123456789.5", Currency::EUR), "€123,456,789.50");
        assert_eq!(human("-0.05", Currency::NGN), "-₦0.05");
        assert_eq!(human("1234.56", Currency::USDC), "1,234.560000 USDC");
        assert_eq!(human("0.1", Currency::BTC), "₿0.10000000");
        let pts = Currency::new("PTS", 3).unwrap();
        assert_eq!(human("1234.5", pts), "1,234.500 PTS");
    }

    #[test]
    fn plain_form_round_trips() {
        for (text, cur) in [
            ("1234.56", Currency::NGN),
            ("-3", Currency::JPY),
            ("0.000000000000000001", Currency::ETH),
        ] {
            let m = Money::parse(text, cur).unwrap();
            let plain = m.to_string();
            assert_eq!(plain.parse::<Money>().unwrap(), m);
        }
        assert_eq!(
            Money::parse("5", Currency::NGN).unwrap().to_string(),
            "5.00 NGN"
        );
        assert_eq!(
            format!("{:?}", Money::parse("5", Currency::NGN).unwrap()),
            "Money(5.00 NGN)"
        );
    }
}
