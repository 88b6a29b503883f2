//! Properties of money: splits conserve value, parsing and formatting round-trip.

use ajo_core::money::{Currency, Money, MoneyError};
use ajo_testkit::strategies;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn any_money() -> impl Strategy<Value = Money> {
    strategies::currency().prop_flat_map(strategies::money)
}

proptest! {
    #[test]
    fn allocation_sums_exactly_and_never_changes_sign(
        amount in any_money(),
        weights in strategies::weights(40),
    ) {
        let parts = amount.allocate(&weights).unwrap();
        prop_assert_eq!(parts.len(), weights.len());
        let sum: i128 = parts.iter().map(Money::minor).sum();
        prop_assert_eq!(sum, amount.minor());
        for (part, weight) in parts.iter().zip(&weights) {
            prop_assert_eq!(part.currency(), amount.currency());
            if amount.is_negative() {
                prop_assert!(!part.is_positive());
            } else {
                prop_assert!(!part.is_negative());
            }
            if weight.is_zero() {
                prop_assert!(part.is_zero());
            }
        }
    }

    #[test]
    fn each_part_is_within_one_unit_of_its_exact_quota(
        minor in 0i128..=1_000_000_000_000,
        weights in strategies::weights(20),
    ) {
        let amount = Money::from_minor(minor, Currency::NGN).unwrap();
        let parts = amount.allocate(&weights).unwrap();
        let total: Decimal = weights.iter().sum();
        for (part, weight) in parts.iter().zip(&weights) {
            let quota = Decimal::from_i128_with_scale(minor, 0) * weight / total;
            let diff = (Decimal::from_i128_with_scale(part.minor(), 0) - quota).abs();
            prop_assert!(diff < Decimal::ONE, "part {} quota {}", part.minor(), quota);
        }
    }

    #[test]
    fn eth_splits_conserve_all_eighteen_places(
        minor in 0i128..=ajo_core::money::MAX_MINOR,
        weights in strategies::weights(12),
    ) {
        let amount = Money::from_minor(minor, Currency::ETH).unwrap();
        let parts = amount.allocate(&weights).unwrap();
        let sum = Money::checked_sum(Currency::ETH, &parts).unwrap();
        prop_assert_eq!(sum, amount);
    }

    #[test]
    fn split_evenly_is_allocate_with_equal_weights(amount in any_money(), n in 1usize..200) {
        let even = amount.split_evenly(n).unwrap();
        let weighted = amount.allocate(&vec![Decimal::ONE; n]).unwrap();
        prop_assert_eq!(&even, &weighted);
        let max = even.iter().map(|m| m.minor()).max().unwrap();
        let min = even.iter().map(|m| m.minor()).min().unwrap();
        prop_assert!(max - min <= 1);
    }

    #[test]
    fn parsing_round_trips_through_every_format(amount in any_money()) {
        let plain = amount.amount().to_string();
        prop_assert_eq!(Money::parse(&plain, amount.currency()).unwrap(), amount);
        // The human form, with its symbol and grouping stripped, reads back too.
        let human = amount.human().to_string();
        let digits: String = human.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
        prop_assert_eq!(Money::parse(&digits, amount.currency()).unwrap(), amount);
        if amount.currency().is_builtin() {
            prop_assert_eq!(amount.to_string().parse::<Money>().unwrap(), amount);
        }
        let json = serde_json::to_string(&amount).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), amount);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,80}", currency in strategies::currency()) {
        let _ = Money::parse(&text, currency);
        let _ = text.parse::<Money>();
    }

    #[test]
    fn addition_is_exact_or_an_overflow_error(a in any_money(), b_minor in -ajo_core::money::MAX_MINOR..=ajo_core::money::MAX_MINOR) {
        let b = Money::from_minor(b_minor, a.currency()).unwrap();
        match a.checked_add(b) {
            Ok(sum) => prop_assert_eq!(sum.minor(), a.minor() + b.minor()),
            Err(e) => {
                prop_assert_eq!(e, MoneyError::Overflow { operation: "add" });
                prop_assert!((a.minor() + b.minor()).abs() > ajo_core::money::MAX_MINOR);
            }
        }
    }
}
