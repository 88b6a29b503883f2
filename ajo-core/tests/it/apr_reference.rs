//! The regulators' published APR examples (`tests/data/apr.json`: Regulation Z Appendix J
//! part (c) and Directive 98/7/EC Annex III), each to the places it is published to.

use ajo_core::loan::apr::{AprRequest, CashFlows, Convention, UnitPeriod, When};
use rust_decimal::Decimal;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/apr.json"))
        .unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    data["cases"].as_array().unwrap().clone()
}

#[test]
fn every_published_example_matches_to_its_places() {
    let cases = cases();
    assert!(cases.len() >= 25, "{}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let request: AprRequest = serde_json::from_value(case["request"].clone()).unwrap();
        let places = u32::try_from(case["places"].as_u64().unwrap()).unwrap();
        let want = case["percent"].as_str().unwrap();
        match request.apr() {
            Ok(apr) if apr.percent(places).unwrap().to_string() == want => {}
            Ok(apr) => failures.push(format!("{id}: {} (want {want})", apr.percent(6).unwrap())),
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_dated_and_the_counted_forms_agree() {
    // (c)(1)(ii) by dates and by t = 1, f = 19/30: the same rate to 1e-18.
    let by_id = |id: &str| -> AprRequest {
        let case = cases().into_iter().find(|c| c["id"] == id).unwrap();
        serde_json::from_value(case["request"].clone()).unwrap()
    };
    for (dated, counted) in [
        ("REGZ-c1i", "REGZ-c1i-periods"),
        ("REGZ-c1ii", "REGZ-c1ii-periods"),
        ("EU-1", "EU-1-days"),
    ] {
        let a = by_id(dated).apr().unwrap().annual_rate;
        let b = by_id(counted).apr().unwrap().annual_rate;
        assert!(
            (a - b).abs() < "1e-18".parse::<Decimal>().unwrap(),
            "{dated}: {a} vs {b}"
        );
    }
}

#[test]
fn the_third_eu_example_gives_the_published_seven_places() {
    // Published as i = 0,1306623 (the seventh place cut, not rounded: 0.13066238...).
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(1000), When::Months(0));
    flows.payment(Decimal::from(600), When::Months(12));
    flows.payment(Decimal::from(600), When::Months(24));
    let x = flows.apr(Convention::EuCcd).unwrap().annual_rate;
    assert_eq!(x.trunc_with_scale(7).to_string(), "0.1306623");
    // Closed form: v = 1 / (1 + X) is the positive root of 600 v^2 + 600 v - 1000 = 0.
    let exact: Decimal = "0.1306623862918075".parse().unwrap();
    assert!(
        (x - exact).abs() < "1e-15".parse::<Decimal>().unwrap(),
        "{x}"
    );
}

#[test]
fn a_single_payment_by_a_term_of_days_is_simple_interest_over_the_year() {
    // (c)(5)(i): APR = 0.08 * 365 / 255 exactly, the unit period being the term.
    let mut flows = CashFlows::new();
    flows.advance(
        Decimal::from(1000),
        When::UnitPeriods {
            periods: 0,
            fraction: Decimal::ZERO,
        },
    );
    flows.payment(
        Decimal::from(1080),
        When::UnitPeriods {
            periods: 1,
            fraction: Decimal::ZERO,
        },
    );
    let apr = flows
        .apr(Convention::UsRegZ(UnitPeriod::Days(255)))
        .unwrap();
    let want = Decimal::new(8, 2) * Decimal::from(365) / Decimal::from(255);
    assert!((apr.annual_rate - want).abs() < "1e-18".parse::<Decimal>().unwrap());
}

fn units(periods: u32, fraction: &str) -> When {
    When::UnitPeriods {
        periods,
        fraction: fraction.parse().unwrap(),
    }
}

#[test]
fn a_fraction_of_a_unit_period_earns_simple_interest() {
    // 1,000 repaid as 1,050 half a month later: (1 + i/2) = 1.05, so i = 10 % a month
    // exactly; compounding the fraction, (1 + i)^(1/2), would give 10.25 %.
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(1000), units(0, "0"));
    flows.payment(Decimal::from(1050), units(0, "0.5"));
    let apr = flows.apr(Convention::UsRegZ(UnitPeriod::MONTH)).unwrap();
    assert!(
        (apr.unit_period_rate - Decimal::new(1, 1)).abs() < "1e-18".parse::<Decimal>().unwrap()
    );
    assert_eq!(apr.percent(2).unwrap().to_string(), "120.00");
}

#[test]
fn advances_after_payments_find_the_root_on_the_right_side() {
    // 100 paid now against 110 lent two months later: 110 v^2 = 100, 4.88 % a month.
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(110), units(2, "0"));
    flows.payment(Decimal::from(100), units(0, "0"));
    let i = flows
        .apr(Convention::UsRegZ(UnitPeriod::MONTH))
        .unwrap()
        .unit_period_rate;
    assert!(
        (i - "0.0488088481701515".parse::<Decimal>().unwrap()).abs()
            < "1e-15".parse::<Decimal>().unwrap(),
        "{i}"
    );
    // 110 paid now against 100 lent a month later: 100 v = 110, -9.09 % a month.
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(100), units(1, "0"));
    flows.payment(Decimal::from(110), units(0, "0"));
    let i = flows
        .apr(Convention::UsRegZ(UnitPeriod::MONTH))
        .unwrap()
        .unit_period_rate;
    assert!(
        (i + "0.0909090909090909".parse::<Decimal>().unwrap()).abs()
            < "1e-15".parse::<Decimal>().unwrap(),
        "{i}"
    );
    // Repaying less than was lent, later: a negative rate, -10 % a year.
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(1000), When::Months(0));
    flows.payment(Decimal::from(900), When::Months(12));
    let x = flows.apr(Convention::EuCcd).unwrap().annual_rate;
    assert!(
        (x + Decimal::new(1, 1)).abs() < "1e-15".parse::<Decimal>().unwrap(),
        "{x}"
    );
}

#[test]
fn flows_no_rate_can_balance_are_said_to_be_so() {
    use ajo_core::loan::apr::AprError;
    // Everything at once: every rate, or none, balances them.
    for paid in [100, 120] {
        let mut flows = CashFlows::new();
        flows.advance(Decimal::from(100), units(0, "0"));
        flows.payment(Decimal::from(paid), units(0, "0"));
        assert_eq!(
            flows.apr(Convention::UsRegZ(UnitPeriod::MONTH)),
            Err(AprError::NoRate)
        );
    }
    // A payment now and the same again later, for one advance in between: h keeps its
    // sign at both ends, and the solver does not guess.
    let mut flows = CashFlows::new();
    flows.payment(Decimal::from(100), units(0, "0"));
    flows.advance(Decimal::from(150), units(1, "0"));
    flows.payment(Decimal::from(100), units(2, "0"));
    assert_eq!(
        flows.apr(Convention::UsRegZ(UnitPeriod::MONTH)),
        Err(AprError::NoRate)
    );
    // The largest amounts still solve when their sums fit: MAX = MAX v + MAX v^2 at
    // the golden ratio, v = 0.618...
    let mut flows = CashFlows::new();
    flows.advance(Decimal::MAX, units(0, "0"));
    flows.payment(Decimal::MAX, units(1, "0"));
    flows.payment(Decimal::MAX, units(2, "0"));
    let i = flows
        .apr(Convention::UsRegZ(UnitPeriod::MONTH))
        .unwrap()
        .unit_period_rate;
    assert!(
        (i - "0.6180339887498948482".parse::<Decimal>().unwrap()).abs()
            < "1e-18".parse::<Decimal>().unwrap(),
        "{i}"
    );
    // Amounts whose sum is beyond the arithmetic: a typed error, not a panic.
    let mut flows = CashFlows::new();
    flows.advance(Decimal::ONE, units(0, "0"));
    for t in 1..=3 {
        flows.payment(Decimal::MAX, units(t, "0"));
    }
    assert_eq!(
        flows.apr(Convention::UsRegZ(UnitPeriod::MONTH)),
        Err(AprError::Overflow)
    );
}

#[test]
fn eu_dates_across_a_leap_year_count_its_366_days() {
    // 1,000 on 1 March 2023, 1,100 on 29 February 2024: 365 of 366 days, so a little more
    // than 10 %: 1.1^(366/365) - 1.
    let date = |s: &str| When::Date(s.parse().unwrap());
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(1000), date("2023-03-01"));
    flows.payment(Decimal::from(1100), date("2024-02-29"));
    let x = flows.apr(Convention::EuCcd).unwrap().annual_rate;
    assert!(
        (x - "0.1002872736636746".parse::<Decimal>().unwrap()).abs()
            < "1e-14".parse::<Decimal>().unwrap(),
        "{x}"
    );
}

#[test]
fn a_series_on_the_last_day_of_each_month_is_a_whole_month_apart() {
    // Lent on the 15th, repaid on the last day of each month: every payment sits 16/30
    // of a month past a whole number of months, as if each month were as long.
    let mut dated = CashFlows::new();
    dated.advance(
        Decimal::from(1000),
        When::Date("2026-01-15".parse().unwrap()),
    );
    let mut counted = CashFlows::new();
    counted.advance(Decimal::from(1000), units(0, "0"));
    for k in 0..12u32 {
        let due = UnitPeriod::MONTH
            .nth_date("2026-01-31".parse().unwrap(), k)
            .unwrap();
        dated.payment(Decimal::from(90), When::Date(due));
        counted.payment(
            Decimal::from(90),
            units(k, "0.5333333333333333333333333333"),
        );
    }
    let a = dated
        .apr(Convention::UsRegZ(UnitPeriod::MONTH))
        .unwrap()
        .annual_rate;
    let b = counted
        .apr(Convention::UsRegZ(UnitPeriod::MONTH))
        .unwrap()
        .annual_rate;
    assert!(
        (a - b).abs() < "1e-18".parse::<Decimal>().unwrap(),
        "{a} vs {b}"
    );
}

#[test]
fn rates_far_above_100_percent_converge() {
    // A payday loan: 100 lent, 115 repaid 14 days later. Regulation Z, the term as the
    // unit period: 15 % times 365/14, 391.07 %. The EU: 1.15^(365/14) - 1, 3,723.66 %.
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(100), When::Days(0));
    flows.payment(Decimal::from(115), When::Days(14));
    let eu = flows.apr(Convention::EuCcd).unwrap();
    assert_eq!(eu.percent(0).unwrap().to_string(), "3724");
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(100), units(0, "0"));
    flows.payment(Decimal::from(115), units(1, "0"));
    let us = flows.apr(Convention::UsRegZ(UnitPeriod::Days(14))).unwrap();
    assert_eq!(us.percent(2).unwrap().to_string(), "391.07");
    // Doubling the money every day for a year: 100 % a day, 36,500 % a year.
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(1), units(0, "0"));
    flows.payment(Decimal::from(2), units(1, "0"));
    let daily = flows.apr(Convention::UsRegZ(UnitPeriod::DAY)).unwrap();
    assert_eq!(daily.percent(2).unwrap().to_string(), "36500.00");
}

#[test]
fn several_advances_are_discounted_like_payments() {
    // 500 now and 500 a month later, repaid 1,100 two months in: 500 + 500 v = 1,100 v^2,
    // so v = (500 + sqrt(500^2 + 4 * 1,100 * 500)) / 2,200 and i = 1 / v - 1: 6.52 % a month.
    let mut flows = CashFlows::new();
    flows.advance(Decimal::from(500), units(0, "0"));
    flows.advance(Decimal::from(500), units(1, "0"));
    flows.payment(Decimal::from(1100), units(2, "0"));
    let i = flows
        .apr(Convention::UsRegZ(UnitPeriod::MONTH))
        .unwrap()
        .unit_period_rate;
    let want: Decimal = "0.0652475842498528".parse().unwrap();
    assert!(
        (i - want).abs() < "1e-15".parse::<Decimal>().unwrap(),
        "{i}"
    );
}
