//! Splitting an amount so that the parts always sum to the whole.

use ethnum::U256;
use rust_decimal::Decimal;

use super::{Money, MoneyError};

impl Money {
    /// Splits the amount in proportion to `weights` by the largest-remainder rule, at
    /// minor-unit precision.
    ///
    /// Each part gets the floor of its exact quota `U * w / W` (U the amount in minor
    /// units, W the sum of weights); the units left over go one each to the parts with the
    /// largest remainders, ties to the lowest index. The parts sum exactly to the amount,
    /// a zero weight gets zero, and the quotas are compared exactly (256-bit integers), so
    /// the result is the same on every machine. A negative amount is split as its
    /// magnitude and every part negated.
    ///
    /// ```
    /// use ajo_core::money::{Currency, Money};
    /// use rust_decimal::Decimal;
    ///
    /// let amount = Money::parse("100", Currency::JPY)?;
    /// let parts = amount.allocate(&[Decimal::from(1), Decimal::from(2), Decimal::from(3)])?;
    /// let minor: Vec<i128> = parts.iter().map(|p| p.minor()).collect();
    /// assert_eq!(minor, [17, 33, 50]);
    /// # Ok::<(), ajo_core::money::MoneyError>(())
    /// ```
    ///
    /// # Errors
    /// - [`MoneyError::NoWeights`] for an empty slice.
    /// - [`MoneyError::NegativeWeight`] naming the first negative weight.
    /// - [`MoneyError::ZeroTotalWeight`] when every weight is zero.
    /// - [`MoneyError::Overflow`] only for weights mixing 28 decimal places with
    ///   magnitudes near `Decimal::MAX`, whose exact quotas exceed 256 bits.
    pub fn allocate(&self, weights: &[Decimal]) -> Result<Vec<Money>, MoneyError> {
        let units = self.minor.unsigned_abs();
        // Most splits fit in 128 bits, where division is several times cheaper; the
        // 256-bit path gives the same answer for the rest.
        let floors = match integer_weights(weights)? {
            IntegerWeights::Narrow(ws) if fits_u128(units, &ws) => largest_remainder(units, &ws)?,
            IntegerWeights::Narrow(ws) => {
                let ws: Vec<U256> = ws.into_iter().map(U256::from).collect();
                wide_split(units, &ws)?
            }
            IntegerWeights::Wide(ws) => wide_split(units, &ws)?,
        };
        let sign = if self.is_negative() { -1 } else { 1 };
        floors
            .into_iter()
            .map(|part| {
                let part = i128::try_from(part).map_err(|_| OVERFLOW)?;
                Money::from_minor(sign * part, self.currency)
            })
            .collect()
    }

    /// Splits the amount into `parts` shares as equal as the minor unit allows; the first
    /// `remainder` shares get one unit more. The same as [`Money::allocate`] with equal
    /// weights, but without the arithmetic.
    ///
    /// ```
    /// use ajo_core::money::{Currency, Money};
    ///
    /// let parts = Money::parse("0.05", Currency::NGN)?.split_evenly(4)?;
    /// let minor: Vec<i128> = parts.iter().map(|p| p.minor()).collect();
    /// assert_eq!(minor, [2, 1, 1, 1]);
    /// # Ok::<(), ajo_core::money::MoneyError>(())
    /// ```
    ///
    /// # Errors
    /// [`MoneyError::ZeroParts`] when `parts` is zero.
    pub fn split_evenly(&self, parts: usize) -> Result<Vec<Money>, MoneyError> {
        let count = i128::try_from(parts).map_err(|_| OVERFLOW)?;
        if count == 0 {
            return Err(MoneyError::ZeroParts);
        }
        let magnitude = self.minor.unsigned_abs();
        let count_u = count.unsigned_abs();
        let base = magnitude / count_u;
        let extra = magnitude % count_u;
        let sign = if self.is_negative() { -1 } else { 1 };
        (0..count_u)
            .map(|index| {
                let share = base + u128::from(index < extra);
                let share = i128::try_from(share).map_err(|_| OVERFLOW)?;
                Money::from_minor(sign * share, self.currency)
            })
            .collect()
    }
}

const OVERFLOW: MoneyError = MoneyError::Overflow {
    operation: "allocate",
};

/// Whether `units * w` for every weight, and the sum of the weights, fit in 128 bits.
fn fits_u128(units: u128, weights: &[u128]) -> bool {
    let total = weights.iter().try_fold(0u128, |acc, w| acc.checked_add(*w));
    let widest = weights.iter().max().copied().unwrap_or(0);
    total.is_some() && units.checked_mul(widest).is_some()
}

/// The 256-bit path, refusing only quotas that would not fit even there.
fn wide_split(units: u128, weights: &[U256]) -> Result<Vec<u128>, MoneyError> {
    let units = U256::from(units);
    let total = weights
        .iter()
        .try_fold(U256::ZERO, |acc, w| acc.checked_add(*w));
    let widest = weights.iter().max().copied().unwrap_or(U256::ZERO);
    if total.is_none() || units.checked_mul(widest).is_none() {
        return Err(OVERFLOW);
    }
    largest_remainder(units, weights)?
        .into_iter()
        .map(|part| u128::try_from(part).map_err(|_| OVERFLOW))
        .collect()
}

/// The integer arithmetic both widths share.
trait Wide:
    Copy
    + Ord
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Rem<Output = Self>
    + From<u8>
    + TryInto<usize>
{
}

impl Wide for u128 {}
impl Wide for U256 {}

/// Largest remainder over integer weights. The caller guarantees that `units * w` and
/// the sum of weights do not overflow `T`.
fn largest_remainder<T: Wide>(units: T, weights: &[T]) -> Result<Vec<T>, MoneyError> {
    let zero = T::from(0u8);
    let total = weights.iter().fold(zero, |acc, w| acc + *w);
    if total == zero {
        return Err(MoneyError::ZeroTotalWeight);
    }
    let mut floors = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut handed_out = zero;
    for (index, weight) in weights.iter().enumerate() {
        let numerator = units * *weight;
        let floor = numerator / total;
        handed_out = handed_out + floor;
        floors.push(floor);
        remainders.push((numerator % total, index));
    }
    // 0 <= leftover < number of weights, since each floor loses less than one unit.
    let leftover: usize = (units - handed_out).try_into().map_err(|_| OVERFLOW)?;
    if leftover > 0 {
        // Only which `leftover` remainders are largest matters, not their order: a
        // selection is linear where a sort is not. Ties go to the lowest index.
        let by_remainder = |a: &(T, usize), b: &(T, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        remainders.select_nth_unstable_by(leftover - 1, by_remainder);
        for (_, index) in remainders.iter().take(leftover) {
            if let Some(floor) = floors.get_mut(*index) {
                *floor = *floor + T::from(1u8);
            }
        }
    }
    Ok(floors)
}

/// `10^k` for every scale a `Decimal` can have.
// Evaluated at compile time, where an out-of-range index would fail the build.
#[allow(clippy::indexing_slicing)]
const POWERS_OF_TEN: [u128; 29] = {
    let mut table = [1u128; 29];
    let mut k = 1;
    while k < 29 {
        table[k] = table[k - 1] * 10;
        k += 1;
    }
    table
};

/// Weights scaled by one power of ten so all become integers with the same ratios.
enum IntegerWeights {
    /// Every weight fits in 128 bits (the common case).
    Narrow(Vec<u128>),
    /// Some weight needs more.
    Wide(Vec<U256>),
}

fn integer_weights(weights: &[Decimal]) -> Result<IntegerWeights, MoneyError> {
    if weights.is_empty() {
        return Err(MoneyError::NoWeights);
    }
    if let Some(index) = weights
        .iter()
        .position(|w| w.is_sign_negative() && !w.is_zero())
    {
        return Err(MoneyError::NegativeWeight { index });
    }
    let normalized: Vec<Decimal> = weights.iter().map(|w| w.normalize()).collect();
    let scale = normalized.iter().map(Decimal::scale).max().unwrap_or(0);
    let power = |w: &Decimal| {
        let k = usize::try_from(scale - w.scale()).unwrap_or(usize::MAX);
        POWERS_OF_TEN.get(k).copied().ok_or(OVERFLOW)
    };
    let narrow: Result<Option<Vec<u128>>, MoneyError> = normalized
        .iter()
        .map(|w| Ok(w.mantissa().unsigned_abs().checked_mul(power(w)?)))
        .collect();
    if let Some(ws) = narrow? {
        return Ok(IntegerWeights::Narrow(ws));
    }
    normalized
        .iter()
        .map(|w| Ok(U256::from(w.mantissa().unsigned_abs()) * U256::from(power(w)?)))
        .collect::<Result<_, _>>()
        .map(IntegerWeights::Wide)
}

#[cfg(test)]
mod tests {
    use super::super::Currency;
    use super::*;
    use std::str::FromStr;

    fn weights(ws: &[&str]) -> Vec<Decimal> {
        ws.iter().map(|w| Decimal::from_str(w).unwrap()).collect()
    }

    fn parts(amount: &str, currency: Currency, ws: &[&str]) -> Vec<String> {
        Money::parse(amount, currency)
            .unwrap()
            .allocate(&weights(ws))
            .unwrap()
            .iter()
            .map(|m| m.amount().to_string())
            .collect()
    }

    #[test]
    fn the_readme_examples() {
        assert_eq!(
            parts("100.00", Currency::NGN, &["1", "1", "1"]),
            ["33.34", "33.33", "33.33"]
        );
        assert_eq!(
            parts("0.01", Currency::NGN, &["1", "1", "1"]),
            ["0.01", "0.00", "0.00"]
        );
        assert_eq!(
            parts("0.05", Currency::NGN, &["1", "1", "1", "1"]),
            ["0.02", "0.01", "0.01", "0.01"]
        );
        assert_eq!(
            parts("1", Currency::ETH, &["1", "1", "1"]),
            [
                "0.333333333333333334",
                "0.333333333333333333",
                "0.333333333333333333"
            ]
        );
    }

    #[test]
    fn weight_errors() {
        let m = Money::parse("1", Currency::NGN).unwrap();
        assert_eq!(m.allocate(&[]), Err(MoneyError::NoWeights));
        assert_eq!(
            m.allocate(&weights(&["1", "-1", "-2"])),
            Err(MoneyError::NegativeWeight { index: 1 })
        );
        assert_eq!(
            m.allocate(&weights(&["0", "0.00"])),
            Err(MoneyError::ZeroTotalWeight)
        );
        assert_eq!(m.split_evenly(0), Err(MoneyError::ZeroParts));
    }

    #[test]
    fn negative_zero_weight_is_just_zero() {
        let w = vec![Decimal::from_str("-0").unwrap(), Decimal::ONE];
        let got = Money::parse("1", Currency::NGN)
            .unwrap()
            .allocate(&w)
            .unwrap();
        assert_eq!(got[0].minor(), 0);
        assert_eq!(got[1].minor(), 100);
    }

    #[test]
    fn negative_amounts_split_symmetrically() {
        assert_eq!(
            parts("-100.00", Currency::NGN, &["1", "1", "1"]),
            ["-33.34", "-33.33", "-33.33"]
        );
        let even = Money::parse("-0.05", Currency::NGN)
            .unwrap()
            .split_evenly(4)
            .unwrap();
        assert_eq!(
            even.iter().map(Money::minor).collect::<Vec<_>>(),
            [-2, -1, -1, -1]
        );
    }

    #[test]
    fn mixed_scales_and_huge_values_stay_exact() {
        let max = Money::from_minor(super::super::MAX_MINOR, Currency::ETH).unwrap();
        let got = max
            .allocate(&weights(&["0.000000000000000001", "1000000000"]))
            .unwrap();
        let sum: i128 = got.iter().map(Money::minor).sum();
        assert_eq!(sum, max.minor());
        assert_eq!(got[0].minor(), 79);
    }

    #[test]
    fn quotas_beyond_256_bits_are_an_error_not_a_wrong_answer() {
        let max = Money::from_minor(super::super::MAX_MINOR, Currency::ETH).unwrap();
        let extreme = weights(&[
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
        ]);
        assert_eq!(
            max.allocate(&extreme),
            Err(MoneyError::Overflow {
                operation: "allocate"
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn both_widths_agree(units in 0u128..=u128::from(u64::MAX), ws in proptest::collection::vec(0u128..1_000_000, 1..30)) {
            proptest::prop_assume!(ws.iter().any(|w| *w > 0));
            let narrow = largest_remainder(units, &ws).unwrap();
            let wide_ws: Vec<U256> = ws.iter().map(|w| U256::from(*w)).collect();
            let wide: Vec<u128> = largest_remainder(U256::from(units), &wide_ws)
                .unwrap()
                .into_iter()
                .map(|p| u128::try_from(p).unwrap())
                .collect();
            proptest::prop_assert_eq!(narrow, wide);
        }
    }
}
