//! Every eligibility case of the reference (`tests/data/eligibility.json`), and the
//! score's range over random members.

use ajo_core::eligibility::{MemberRecord, ScoreWeights, score};
use ajo_core::money::{Currency, Money};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::support::{Case, cases, str_field};

/// The reference gives amounts without a currency (only their ratio matters): use a
/// test currency with as many places as the amounts have.
fn amounts(inputs: &serde_json::Value) -> (Money, Money) {
    let contributed = str_field(inputs, "total_contributed");
    let max_loan = str_field(inputs, "max_loan");
    let places = |s: &str| s.split_once('.').map_or(0, |(_, f)| f.len());
    let units = u8::try_from(places(contributed).max(places(max_loan))).unwrap();
    let currency = Currency::new("XTS", units).unwrap();
    (
        Money::parse(contributed, currency).unwrap(),
        Money::parse(max_loan, currency).unwrap(),
    )
}

/// The informational figures are given to 12 decimals, trailing zeros removed.
fn shown(d: Decimal) -> String {
    let mut r = ajo_core::money::Rounding::HalfEven.round(d, 12).normalize();
    if r.is_zero() {
        r = Decimal::ZERO;
    }
    r.to_string()
}

fn check(case: &Case) {
    let i = &case.inputs;
    let (contributed, max_loan) = amounts(i);
    let member = MemberRecord::new(
        u32::try_from(i["months_active"].as_u64().unwrap()).unwrap(),
        str_field(i, "payment_on_time_ratio").parse().unwrap(),
        contributed,
    )
    .unwrap();
    let got = score(&member, max_loan, &ScoreWeights::default()).unwrap();
    let want = &case.expected;
    let id = &case.id;
    assert_eq!(
        u64::from(got.score),
        want["score"].as_u64().unwrap(),
        "{id} score"
    );
    let b = got.breakdown;
    for (key, value) in [
        ("tenure_points", b.tenure_points),
        ("punctuality_points", b.punctuality_points),
        ("savings_points", b.savings_points),
        ("raw_score", b.raw_score),
    ] {
        assert_eq!(shown(value), str_field(want, key), "{id} {key}");
    }
}

#[test]
fn eligibility_cases_match() {
    let all = cases("eligibility");
    assert_eq!(all.len(), 8);
    for case in &all {
        check(case);
    }
}

#[test]
#[should_panic(expected = "ELIG-03 score")]
fn a_wrong_score_is_caught() {
    let mut case = cases("eligibility").into_iter().nth(2).unwrap();
    // Half-even would give 34; the reference rounds half up.
    case.expected["score"] = serde_json::json!(34);
    check(&case);
}

proptest! {
    #[test]
    fn default_scores_stay_within_0_to_100_and_add_up(
        months in 0u32..1000,
        ratio in 0u32..=10_000,
        contributed in 0i128..10_000_000_000,
        max_loan in 1i128..10_000_000_000,
    ) {
        let member = MemberRecord::new(
            months,
            Decimal::new(i64::from(ratio), 4),
            Money::from_minor(contributed, Currency::NGN).unwrap(),
        ).unwrap();
        let got = score(&member, Money::from_minor(max_loan, Currency::NGN).unwrap(), &ScoreWeights::default()).unwrap();
        prop_assert!(got.score <= 100);
        let b = got.breakdown;
        prop_assert_eq!(b.tenure_points + b.punctuality_points + b.savings_points, b.raw_score);
        prop_assert!((Decimal::from(got.score) - b.raw_score).abs() <= Decimal::new(5, 1));
    }
}
