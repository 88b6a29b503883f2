//! The cost of a loan from its cash flows: periodic rate of return, nominal APR and
//! effective annual rate (reference README §3), solved in `Decimal`, never in floats.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::LoanError;
use super::error::overflow;
use crate::money::{Money, Rounding};

/// How close the solver brings the discount factor `v = 1 / (1 + i)` to the root: the
/// answer `v` is checked to lie within this distance above the true root. For everyday
/// rates that puts the periodic rate within about `1e-23` of the truth, far inside the
/// `1e-12` the reference asks for.
pub const IRR_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 24);

/// The smallest discount factor solved for: below it (a periodic rate above 10^12, or
/// 10^14 %) [`IRR_TOLERANCE`] no longer pins the rate to 12 significant digits, and the
/// solver says so instead of answering.
const MIN_DISCOUNT: Decimal = Decimal::from_parts(1, 0, 0, false, 12);

const NEWTON_STEPS: u32 = 100;
const BISECTION_STEPS: u32 = 200;

/// A loan's rates, exact to the solver's precision (about 24 decimals): round them for
/// display with [`LoanRates::rounded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanRates {
    /// The periodic internal rate of return `i`: `received = Σ payment_k / (1 + i)^k`.
    pub periodic_irr: Decimal,
    /// Nominal APR: `i * m`.
    pub apr: Decimal,
    /// Effective annual rate: `(1 + i)^m - 1`.
    pub effective_annual_rate: Decimal,
}

impl LoanRates {
    /// The rates of a loan that pays out `received` at time 0 and is repaid
    /// `payments[k-1]` at the end of period `k`, with `periods_per_year` periods a year.
    ///
    /// ```
    /// use ajo_core::loan::LoanRates;
    /// use ajo_core::money::{Currency, Money};
    ///
    /// // Borrow 1,000, repay 1,100 one month later: 10 % a month.
    /// let ngn = |s| Money::parse(s, Currency::NGN);
    /// let rates = LoanRates::from_cash_flows(ngn("1000")?, &[ngn("1100")?], 12)?;
    /// let shown = rates.rounded(6);
    /// assert_eq!(shown.periodic_irr.to_string(), "0.100000");
    /// assert_eq!(shown.apr.to_string(), "1.200000");
    /// assert_eq!(shown.effective_annual_rate.to_string(), "2.138428");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// - [`LoanError::NothingReceived`] when `received` is not above zero.
    /// - [`LoanError::NoRepayments`] when no payment is above zero.
    /// - [`LoanError::CurrencyMismatch`] when a payment is in another currency.
    /// - [`LoanError::RateDidNotConverge`] if the solver cannot reach [`IRR_TOLERANCE`].
    /// - [`LoanError::Money`] with an overflow for rates too large for `Decimal`.
    pub fn from_cash_flows(
        received: Money,
        payments: &[Money],
        periods_per_year: u32,
    ) -> Result<LoanRates, LoanError> {
        LoanRates::from_cash_flows_near(received, payments, periods_per_year, Decimal::ZERO)
    }

    /// [`LoanRates::from_cash_flows`], the solver starting from the periodic rate `guess`.
    pub(crate) fn from_cash_flows_near(
        received: Money,
        payments: &[Money],
        periods_per_year: u32,
        guess: Decimal,
    ) -> Result<LoanRates, LoanError> {
        let mut flows = Vec::with_capacity(payments.len());
        for payment in payments {
            if payment.currency() != received.currency() {
                return Err(LoanError::CurrencyMismatch {
                    field: "payment",
                    expected: received.currency(),
                    got: payment.currency(),
                });
            }
            flows.push(payment.amount());
        }
        let i = periodic_irr_near(received.amount(), &flows, guess)?;
        LoanRates::from_periodic(i, periods_per_year)
    }

    /// APR and effective annual rate from a periodic rate `i`.
    ///
    /// # Errors
    /// [`LoanError::Money`] with an overflow when `(1 + i)^m` does not fit in `Decimal`.
    pub fn from_periodic(i: Decimal, periods_per_year: u32) -> Result<LoanRates, LoanError> {
        let m = Decimal::from(periods_per_year);
        let apr = i.checked_mul(m).ok_or_else(|| overflow("apr"))?;
        let growth = Decimal::ONE.checked_add(i).ok_or_else(|| overflow("ear"))?;
        let effective_annual_rate = powi(growth, periods_per_year)
            .and_then(|g| g.checked_sub(Decimal::ONE))
            .ok_or_else(|| overflow("ear"))?;
        Ok(LoanRates {
            periodic_irr: i,
            apr,
            effective_annual_rate,
        })
    }

    /// Each rate rounded half-even to `places` decimals, with exactly that many places
    /// (the reference shows `apr` and `effective_annual_rate` to 6, `periodic_irr` to 12).
    #[must_use]
    pub fn rounded(&self, places: u32) -> LoanRates {
        let round = |d: Decimal| {
            let mut r = Rounding::HalfEven.round(d, places);
            r.rescale(places);
            r
        };
        LoanRates {
            periodic_irr: round(self.periodic_irr),
            apr: round(self.apr),
            effective_annual_rate: round(self.effective_annual_rate),
        }
    }
}

/// The periodic rate `i > -1` with `received = Σ payments[k-1] / (1 + i)^k`.
///
/// Solved for the discount factor `v = 1 / (1 + i)`: `f(v) = Σ payment_k v^k - received`
/// is a polynomial with no negative coefficient, so it is increasing and convex for
/// `v > 0` and has exactly one positive root. From either side of the root one Newton
/// step lands at or right of it, and from there Newton's method walks down to it
/// without overshooting; should rounding or a flat derivative break that, bisection
/// takes over. The answer is accepted only once `f` changes sign within
/// [`IRR_TOLERANCE`] of it, whichever method found it.
///
/// When the payments sum exactly to `received`, the rate is exactly zero.
///
/// # Errors
/// [`LoanError::NothingReceived`], [`LoanError::NoRepayments`] (also for a negative
/// payment, which would break the uniqueness of the root),
/// [`LoanError::RateDidNotConverge`], or [`LoanError::Money`] on overflow.
pub fn periodic_irr(received: Decimal, payments: &[Decimal]) -> Result<Decimal, LoanError> {
    periodic_irr_near(received, payments, Decimal::ZERO)
}

/// [`periodic_irr`] starting Newton's method from the periodic rate `guess` (a loan's
/// nominal periodic rate is usually within a hair of its rate of return, which saves
/// most of the iterations).
pub(crate) fn periodic_irr_near(
    received: Decimal,
    payments: &[Decimal],
    guess: Decimal,
) -> Result<Decimal, LoanError> {
    solve(received, payments, guess).map(|(i, _)| i)
}

/// The rate and the iterations it took.
fn solve(
    received: Decimal,
    payments: &[Decimal],
    guess: Decimal,
) -> Result<(Decimal, u32), LoanError> {
    if received <= Decimal::ZERO {
        return Err(LoanError::NothingReceived);
    }
    if payments
        .iter()
        .any(|p| p.is_sign_negative() && !p.is_zero())
        || payments.iter().all(Decimal::is_zero)
    {
        return Err(LoanError::NoRepayments);
    }
    let total = payments
        .iter()
        .try_fold(Decimal::ZERO, |acc, p| acc.checked_add(*p))
        .ok_or_else(|| overflow("irr"))?;
    if total == received {
        return Ok((Decimal::ZERO, 0));
    }
    let f = Objective { received, payments };
    let start = Decimal::ONE
        .checked_add(guess)
        .filter(|g| *g > Decimal::ZERO)
        .and_then(|g| Decimal::ONE.checked_div(g))
        .unwrap_or(Decimal::ONE);
    let mut steps = 0u32;
    let mut v = start;
    for _ in 0..NEWTON_STEPS {
        steps += 1;
        let (value, slope) = f.value_and_slope(v)?;
        if value.is_zero() || slope <= Decimal::ZERO {
            break;
        }
        let Some(step) = value.checked_div(slope) else {
            break;
        };
        let Some(next) = v.checked_sub(step).filter(|n| *n > Decimal::ZERO) else {
            break;
        };
        v = next;
        if step.abs() < IRR_TOLERANCE {
            break;
        }
    }
    let root = match f.accept(v)? {
        Some(root) => root,
        None => f.bisect(&mut steps)?,
    };
    let i = Decimal::ONE
        .checked_div(root)
        .and_then(|g| g.checked_sub(Decimal::ONE))
        .ok_or_else(|| overflow("irr"))?;
    Ok((i, steps))
}

/// `f(v) = Σ payment_k v^k - received` and its slope.
struct Objective<'a> {
    received: Decimal,
    payments: &'a [Decimal],
}

impl Objective<'_> {
    /// `f(v)` by Horner's rule.
    fn value(&self, v: Decimal) -> Result<Decimal, LoanError> {
        let mut r = Decimal::ZERO;
        for c in self.payments.iter().rev() {
            r = r
                .checked_mul(v)
                .and_then(|x| x.checked_add(*c))
                .ok_or_else(|| overflow("irr"))?;
        }
        r.checked_mul(v)
            .and_then(|x| x.checked_sub(self.received))
            .ok_or_else(|| overflow("irr"))
    }

    /// `(f(v), f'(v))` by Horner's rule.
    fn value_and_slope(&self, v: Decimal) -> Result<(Decimal, Decimal), LoanError> {
        // r(v) = Σ c_k v^(k-1); the present value is v r(v), its slope r(v) + v r'(v).
        let step = |r: Decimal, dr: Decimal, c: Decimal| {
            let dr = dr.checked_mul(v)?.checked_add(r)?;
            let r = r.checked_mul(v)?.checked_add(c)?;
            Some((r, dr))
        };
        let mut r = Decimal::ZERO;
        let mut dr = Decimal::ZERO;
        for c in self.payments.iter().rev() {
            (r, dr) = step(r, dr, *c).ok_or_else(|| overflow("irr"))?;
        }
        let value = r.checked_mul(v).and_then(|x| x.checked_sub(self.received));
        let slope = dr.checked_mul(v).and_then(|x| x.checked_add(r));
        value.zip(slope).ok_or_else(|| overflow("irr"))
    }

    /// `v`, or its neighbour at [`IRR_TOLERANCE`], when the root lies between them.
    fn accept(&self, v: Decimal) -> Result<Option<Decimal>, LoanError> {
        if v < MIN_DISCOUNT {
            return Ok(None);
        }
        let at = self.value(v)?;
        if at >= Decimal::ZERO {
            match v.checked_sub(IRR_TOLERANCE) {
                Some(below) if below > Decimal::ZERO => {
                    Ok((self.value(below)? < Decimal::ZERO).then_some(v))
                }
                _ => Ok(Some(v)),
            }
        } else {
            let Some(above) = v.checked_add(IRR_TOLERANCE) else {
                return Ok(None);
            };
            Ok((self.value(above)? >= Decimal::ZERO).then_some(above))
        }
    }

    /// The root by bisection: from `(0, hi]` with `hi` doubled from 1 until `f(hi) >= 0`.
    fn bisect(&self, steps: &mut u32) -> Result<Decimal, LoanError> {
        let limit = NEWTON_STEPS + 2 * BISECTION_STEPS;
        let mut hi = Decimal::ONE;
        while self.value(hi)? < Decimal::ZERO {
            *steps += 1;
            if *steps > limit {
                return Err(LoanError::RateDidNotConverge { iterations: *steps });
            }
            hi = hi
                .checked_mul(Decimal::TWO)
                .ok_or_else(|| overflow("irr"))?;
        }
        let mut lo = Decimal::ZERO;
        while hi
            .checked_sub(lo)
            .is_some_and(|width| width >= IRR_TOLERANCE)
        {
            *steps += 1;
            if *steps > limit {
                return Err(LoanError::RateDidNotConverge { iterations: *steps });
            }
            let Some(mid) = lo.checked_add(hi).and_then(|s| s.checked_div(Decimal::TWO)) else {
                break;
            };
            if mid <= lo || mid >= hi {
                // Decimal cannot split the interval any finer.
                break;
            }
            if self.value(mid)? < Decimal::ZERO {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        match self.accept(hi)? {
            Some(root) => Ok(root),
            None => Err(LoanError::RateDidNotConverge { iterations: *steps }),
        }
    }
}

/// `base^exp` by repeated squaring, or `None` on overflow. Each product keeps
/// `Decimal`'s 28 significant digits, so the relative error stays near `exp * 1e-28`.
pub(crate) fn powi(base: Decimal, exp: u32) -> Option<Decimal> {
    let mut result = Decimal::ONE;
    let mut square = base;
    let mut e = exp;
    while e > 0 {
        if e & 1 == 1 {
            result = result.checked_mul(square)?;
        }
        e >>= 1;
        if e > 0 {
            square = square.checked_mul(square)?;
        }
    }
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn power_by_squaring() {
        assert_eq!(powi(d("1.5"), 0), Some(Decimal::ONE));
        assert_eq!(powi(d("1.5"), 3), Some(d("3.375")));
        assert_eq!(powi(d("2"), 64), Some(d("18446744073709551616")));
        assert_eq!(powi(d("10"), 29), None);
    }

    #[test]
    fn a_known_rate_is_found() {
        // 1,000 repaid as 3 x 366.67 at 5 % a period: the rate is just above 5 %.
        let i = periodic_irr(d("1000"), &[d("367.21"), d("367.21"), d("367.21")]).unwrap();
        assert!((i - d("0.05")).abs() < d("0.0001"), "{i}");
        // Exactly 10 %: 1,100 one period later.
        let i = periodic_irr(d("1000"), &[d("1100")]).unwrap();
        assert!((i - d("0.1")).abs() < d("1e-22"), "{i}");
        // Two periods, 21 % total: 10 % a period.
        let i = periodic_irr(d("1000"), &[d("0"), d("1210")]).unwrap();
        assert!((i - d("0.1")).abs() < d("1e-22"), "{i}");
    }

    #[test]
    fn zero_and_negative_rates() {
        assert_eq!(
            periodic_irr(d("300"), &[d("100"), d("100"), d("100")]).unwrap(),
            Decimal::ZERO
        );
        // Repaying 900 for 1,000 received: a negative rate, still > -1.
        let i = periodic_irr(d("1000"), &[d("900")]).unwrap();
        assert!((i - d("-0.1")).abs() < d("1e-22"), "{i}");
        let i = periodic_irr(d("1000"), &[d("1")]).unwrap();
        assert!((i - d("-0.999")).abs() < d("1e-20"), "{i}");
    }

    #[test]
    fn huge_rates_converge_or_fail_cleanly() {
        // 1 borrowed, 1e9 repaid a period later: i = 999,999,999.
        let i = periodic_irr(d("1"), &[d("1000000000")]).unwrap();
        assert!((i - d("999999999")).abs() < d("0.001"), "{i}");
        // 10^20 a period: beyond what the tolerance can pin down, so a typed error
        // rather than a wrong answer.
        assert!(matches!(
            periodic_irr(d("1"), &[d("100000000000000000000")]),
            Err(LoanError::RateDidNotConverge { .. })
        ));
    }

    #[test]
    fn bad_cash_flows_are_typed_errors() {
        assert_eq!(
            periodic_irr(d("0"), &[d("1")]),
            Err(LoanError::NothingReceived)
        );
        assert_eq!(
            periodic_irr(d("-5"), &[d("1")]),
            Err(LoanError::NothingReceived)
        );
        assert_eq!(periodic_irr(d("1"), &[]), Err(LoanError::NoRepayments));
        assert_eq!(
            periodic_irr(d("1"), &[d("0"), d("0")]),
            Err(LoanError::NoRepayments)
        );
        assert_eq!(
            periodic_irr(d("1"), &[d("2"), d("-1")]),
            Err(LoanError::NoRepayments)
        );
        let ngn = Money::parse("1", Currency::NGN).unwrap();
        let kes = Money::parse("2", Currency::KES).unwrap();
        assert!(matches!(
            LoanRates::from_cash_flows(ngn, &[kes], 12),
            Err(LoanError::CurrencyMismatch { .. })
        ));
        let max = Decimal::MAX;
        assert!(matches!(
            periodic_irr(d("1"), &[max, max]),
            Err(LoanError::Money(_))
        ));
        assert!(matches!(
            LoanRates::from_periodic(d("1000"), 365),
            Err(LoanError::Money(_))
        ));
    }

    #[test]
    fn bisection_alone_reaches_the_root() {
        let payments = [d("367.21"), d("367.21"), d("367.21")];
        let f = Objective {
            received: d("1000"),
            payments: &payments,
        };
        let mut steps = 0;
        let v = f.bisect(&mut steps).unwrap();
        let newton = periodic_irr(d("1000"), &payments).unwrap();
        let i = Decimal::ONE / v - Decimal::ONE;
        assert!((i - newton).abs() < d("1e-22"), "{i} vs {newton}");
        assert!(steps > 50);
    }

    #[test]
    fn newton_does_the_work_for_loan_cash_flows() {
        // A 360-month loan at about 2 % a month: a few steps from the nominal rate, more
        // from zero, never the bisection's 80-odd.
        let payments = vec![d("101010.24"); 360];
        let (near, steps_near) = solve(d("5000000"), &payments, d("0.02")).unwrap();
        let (far, steps_far) = solve(d("5000000"), &payments, Decimal::ZERO).unwrap();
        assert!((near - far).abs() < d("1e-22"));
        assert!(steps_near <= 6, "{steps_near}");
        assert!(steps_far <= 30, "{steps_far}");
    }

    #[test]
    fn any_starting_guess_finds_the_same_rate() {
        let payments = [d("367.21"), d("367.21"), d("367.21")];
        let from_zero = periodic_irr(d("1000"), &payments).unwrap();
        for guess in ["-0.5", "0.01", "0.0499", "0.05", "0.2", "10", "-1", "-7"] {
            let i = periodic_irr_near(d("1000"), &payments, d(guess)).unwrap();
            assert!(
                (i - from_zero).abs() < d("1e-22"),
                "{guess}: {i} vs {from_zero}"
            );
        }
    }
}
