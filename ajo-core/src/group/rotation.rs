//! Rotation: who is paid in which round, when, and how much.
//!
//! # When to use what
//!
//! - [`RotationSchedule::build`] lays out a whole cycle from hands already in payout
//!   order: due dates (see [`calendar`](crate::calendar)), recipient, pot, fee and payout
//!   for every round, with the cycle's totals. It is what the reference cases and the
//!   `calc rotation` example check, and what a group shows its members.
//! - [`PayoutOrder`] says how that order is found: as given, by join order, by a seeded
//!   lottery ([`lottery_order`]), by bidding each round, or by the organiser's choice
//!   each round. The group model ([`group`](crate::group)) applies it.
//! - [`round_split`] is the money of one round: `pot = contribution × hands`,
//!   `fee = HALF_EVEN(pot × fee_rate)`, `payout = pot − fee`, so `fee + payout = pot`
//!   exactly.
//!
//! ```
//! use ajo_core::calendar::Frequency;
//! use ajo_core::money::{Currency, Money};
//! use ajo_core::group::rotation::RotationSchedule;
//! use chrono::NaiveDate;
//!
//! let hands = ["ada", "bola", "chidi"];
//! let schedule = RotationSchedule::build(
//!     &hands,
//!     Money::parse("20000", Currency::NGN)?,
//!     Frequency::Monthly,
//!     NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
//!     "0.01".parse()?,
//! )?;
//! let second = &schedule.rounds[1];
//! assert_eq!((second.recipient.as_str(), second.due_date.to_string()), ("bola", "2025-02-28".into()));
//! assert_eq!(second.payout.human().to_string(), "₦59,400.00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::NaiveDate;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::calendar::{CalendarError, Frequency, due_date};
use crate::money::{Money, MoneyError, Rounding};

/// How the order of payouts is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayoutOrder {
    /// Hands are paid in the order they joined.
    JoinOrder,
    /// Hands are paid in an order fixed by the organiser: member ids, a member with two
    /// hands listed twice. Checked at start: it must name every hand exactly once.
    Fixed {
        /// Member ids in payout order.
        members: Vec<String>,
    },
    /// A lottery drawn at start from the caller's seed: the same seed and members give
    /// the same order on every machine.
    SeededLottery {
        /// The seed, chosen and recorded by the caller.
        seed: u64,
    },
    /// Each round, members not yet paid bid a discount; the highest bid wins (ties to the
    /// earliest bid) and the discount is shared among the other members.
    Bidding,
    /// The organiser names each round's recipient among the hands not yet paid.
    OrganiserChoice,
}

/// One round of a [`RotationSchedule`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledRound {
    /// 1-based round number.
    pub round: u32,
    /// The calendar date the round's contributions are due.
    pub due_date: NaiveDate,
    /// Who is paid this round.
    pub recipient: String,
    /// Everything contributed this round.
    pub pot: Money,
    /// The organiser's or platform's fee.
    pub fee: Money,
    /// What the recipient receives: `pot - fee`.
    pub payout: Money,
}

/// A whole cycle laid out in advance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationSchedule {
    /// One entry per hand, in payout order.
    pub rounds: Vec<ScheduledRound>,
    /// The due date of the last round.
    pub cycle_end_date: NaiveDate,
    /// Everything contributed over the cycle: `pot × rounds`.
    pub total_contributed: Money,
    /// All fees over the cycle.
    pub total_fees: Money,
    /// All payouts over the cycle.
    pub total_paid_out: Money,
}

/// Why a rotation could not be laid out or ordered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RotationError {
    /// A rotation needs at least one hand (a group needs two to start).
    #[error("a rotation needs at least one hand")]
    NoHands,
    /// The contribution must be above zero.
    #[error("contribution must be above zero")]
    NonPositiveContribution,
    /// The fee rate must be in `[0, 1)`.
    #[error("fee rate must be at least 0 and below 1")]
    FeeRateOutOfRange,
    /// A due date could not be computed.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// Amount arithmetic failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// The money of one round: `(pot, fee, payout)` for `hands` hands.
///
/// # Errors
/// [`RotationError::FeeRateOutOfRange`] for a rate outside `[0, 1)`, or
/// [`RotationError::Money`] on overflow.
pub fn round_split(
    contribution: Money,
    hands: u32,
    fee_rate: Decimal,
) -> Result<(Money, Money, Money), RotationError> {
    check_fee_rate(fee_rate)?;
    let pot = contribution.checked_mul_int(i64::from(hands))?;
    let (fee, payout) = fee_and_payout(pot, fee_rate)?;
    Ok((pot, fee, payout))
}

/// Splits a pot into the fee (`HALF_EVEN(pot × fee_rate)`) and the payout (the rest).
///
/// # Errors
/// [`RotationError::FeeRateOutOfRange`], or [`RotationError::Money`] on overflow.
pub fn fee_and_payout(pot: Money, fee_rate: Decimal) -> Result<(Money, Money), RotationError> {
    check_fee_rate(fee_rate)?;
    let fee = pot.mul_rounded(fee_rate, Rounding::HalfEven)?;
    Ok((fee, pot.checked_sub(fee)?))
}

pub(crate) fn check_fee_rate(fee_rate: Decimal) -> Result<(), RotationError> {
    if fee_rate.is_sign_negative() && !fee_rate.is_zero() || fee_rate >= Decimal::ONE {
        return Err(RotationError::FeeRateOutOfRange);
    }
    Ok(())
}

impl RotationSchedule {
    /// Lays out a cycle: one round per entry of `recipients` (hands in payout order),
    /// round k due `k - 1` periods after `start_date`.
    ///
    /// # Errors
    /// [`RotationError::NoHands`], [`RotationError::NonPositiveContribution`],
    /// [`RotationError::FeeRateOutOfRange`], [`RotationError::Calendar`] or
    /// [`RotationError::Money`].
    pub fn build<S: AsRef<str>>(
        recipients: &[S],
        contribution: Money,
        frequency: Frequency,
        start_date: NaiveDate,
        fee_rate: Decimal,
    ) -> Result<RotationSchedule, RotationError> {
        if recipients.is_empty() {
            return Err(RotationError::NoHands);
        }
        if !contribution.is_positive() {
            return Err(RotationError::NonPositiveContribution);
        }
        let hands = u32::try_from(recipients.len())
            .map_err(|_| MoneyError::Overflow { operation: "hands" })?;
        let (pot, fee, payout) = round_split(contribution, hands, fee_rate)?;
        let rounds = (1..=hands)
            .zip(recipients)
            .map(|(round, recipient)| {
                Ok(ScheduledRound {
                    round,
                    due_date: due_date(start_date, frequency, round - 1)?,
                    recipient: recipient.as_ref().to_owned(),
                    pot,
                    fee,
                    payout,
                })
            })
            .collect::<Result<Vec<_>, RotationError>>()?;
        let cycle_end_date = rounds.last().map_or(start_date, |r| r.due_date);
        let times = i64::from(hands);
        Ok(RotationSchedule {
            rounds,
            cycle_end_date,
            total_contributed: pot.checked_mul_int(times)?,
            total_fees: fee.checked_mul_int(times)?,
            total_paid_out: payout.checked_mul_int(times)?,
        })
    }
}

/// Shuffles `items` with a ChaCha8 stream seeded by `seed` (Fisher-Yates, with unbiased
/// bounded draws by rejection), so the order depends on nothing but the seed and the
/// input order.
pub fn lottery_order<T>(mut items: Vec<T>, seed: u64) -> Vec<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in (1..items.len()).rev() {
        let j = bounded(&mut rng, i as u64 + 1);
        items.swap(i, usize::try_from(j).unwrap_or(i));
    }
    items
}

/// A uniform draw in `0..n` (n >= 1): rejection of the biased top of the u64 range.
fn bounded(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    let zone = u64::MAX - u64::MAX % n;
    loop {
        let draw = rng.next_u64();
        if draw < zone {
            return draw % n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn errors() {
        let c = Money::parse("10", Currency::NGN).unwrap();
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let none: [&str; 0] = [];
        assert_eq!(
            RotationSchedule::build(&none, c, Frequency::Weekly, start, Decimal::ZERO),
            Err(RotationError::NoHands)
        );
        assert_eq!(
            RotationSchedule::build(
                &["a"],
                Money::zero(Currency::NGN),
                Frequency::Weekly,
                start,
                Decimal::ZERO
            ),
            Err(RotationError::NonPositiveContribution)
        );
        for bad in [Decimal::ONE, Decimal::new(-1, 2), Decimal::from(2)] {
            assert_eq!(
                RotationSchedule::build(&["a"], c, Frequency::Weekly, start, bad),
                Err(RotationError::FeeRateOutOfRange)
            );
        }
        assert!(matches!(
            RotationSchedule::build(
                &["a", "b"],
                c,
                Frequency::EveryNDays(0),
                start,
                Decimal::ZERO
            ),
            Err(RotationError::Calendar(CalendarError::ZeroDayInterval))
        ));
        let max = Money::from_minor(crate::money::MAX_MINOR, Currency::NGN).unwrap();
        assert!(matches!(
            RotationSchedule::build(&["a", "b"], max, Frequency::Weekly, start, Decimal::ZERO),
            Err(RotationError::Money(MoneyError::Overflow { .. }))
        ));
    }

    #[test]
    fn lottery_is_a_permutation_fixed_by_the_seed() {
        let items: Vec<u32> = (0..12).collect();
        let a = lottery_order(items.clone(), 42);
        assert_eq!(a, lottery_order(items.clone(), 42));
        assert_ne!(a, lottery_order(items.clone(), 43));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, items);
        // Pinned: a change of generator or algorithm would reorder every seeded group.
        assert_eq!(a, [4, 3, 6, 7, 5, 2, 8, 11, 10, 0, 1, 9]);
    }
}
