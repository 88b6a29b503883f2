//! `calc apr` run as a user runs it, on every published example in
//! `ajo-core/tests/data/apr.json` and on bad input.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use rust_decimal::Decimal;
use serde_json::Value;

fn calc_apr(input: &str) -> (i32, String, String) {
    common::binary::calc(&["apr"], input)
}

#[test]
fn every_published_example_through_the_calculator() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ajo-core/tests/data/apr.json"
    ))
    .unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    for case in data["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let (code, stdout, stderr) = calc_apr(&case["request"].to_string());
        assert_eq!(code, 0, "{id}: {stderr}");
        let output: Value = serde_json::from_str(&stdout).unwrap();
        // At least ten decimals of the fraction, and the published figure from them.
        let apr = output["apr"].as_str().unwrap();
        assert!(apr.split('.').nth(1).unwrap().len() >= 10, "{id}: {apr}");
        let places = u32::try_from(case["places"].as_u64().unwrap()).unwrap();
        let percent = (apr.parse::<Decimal>().unwrap() * Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(
            percent.to_string(),
            case["percent"].as_str().unwrap(),
            "{id}: {stdout}"
        );
    }
}

#[test]
fn the_issues_examples_print_the_rate_and_its_parts() {
    let (code, stdout, _) = calc_apr(
        r#"{"convention": "us_reg_z", "unit_period": "month", "advances": [{"amount": "5000.00", "periods": 0, "fraction": "0"}], "payments": [{"amount": "230.00", "periods": 1, "fraction": "0", "count": 24}]}"#,
    );
    assert_eq!(code, 0);
    let output: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(output["apr_percent"], "9.69");
    assert_eq!(output["convention"], "us_reg_z");
    assert_eq!(output["unit_periods_per_year"], "12");
    assert!(
        output["apr"].as_str().unwrap().starts_with("0.09685"),
        "{stdout}"
    );
    let (code, stdout, _) = calc_apr(
        r#"{"convention": "eu_ccd", "advances": [{"amount": "1000.00", "days": 0}], "payments": [{"amount": "1200.00", "days": 546}]}"#,
    );
    assert_eq!(code, 0);
    let output: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(output["apr_percent"], "12.96");
    assert!(
        output["apr"].as_str().unwrap().starts_with("0.129620"),
        "{stdout}"
    );
}

#[test]
fn bad_input_is_an_error_line_and_status_2() {
    for (input, says) in [
        ("{", "invalid input"),
        (
            r#"{"convention": "eu_ccd", "advances": [{"amount": "1000", "days": 0}], "payments": []}"#,
            "no payment",
        ),
        (
            r#"{"convention": "us_reg_z", "advances": [{"amount": "1000", "periods": 0}], "payments": [{"amount": "1100", "periods": 1}]}"#,
            "needs a unit period",
        ),
        (
            r#"{"convention": "eu_ccd", "advances": [{"amount": "1000", "periods": 0}], "payments": [{"amount": "1100", "days": 10}]}"#,
            "cannot place",
        ),
        (
            r#"{"convention": "us_reg_z", "unit_period": "month", "advances": [{"amount": "1000", "periods": 0}], "payments": [{"amount": "1100", "periods": 1, "fraction": "1.5"}]}"#,
            "fraction",
        ),
        (
            r#"{"convention": "us_reg_z", "unit_period": "month", "advances": [{"amount": "1000", "periods": 1}], "payments": [{"amount": "1100", "periods": 1}]}"#,
            "no rate",
        ),
        (
            r#"{"convention": "us_reg_z", "unit_period": {"weeks": 60}, "advances": [{"amount": "1000", "periods": 0}], "payments": [{"amount": "1100", "periods": 1}]}"#,
            "unit period",
        ),
        (
            r#"{"convention": "eu_ccd", "advances": [{"amount": "-1", "days": 0}], "payments": [{"amount": "1100", "days": 1}]}"#,
            "negative",
        ),
        (
            r#"{"convention": "eu_ccd", "advances": [{"amount": "1000", "date": "2026-01-10"}], "payments": [{"amount": "1100", "date": "2026-01-01"}]}"#,
            "before the start",
        ),
        (
            r#"{"convention": "eu_ccd", "advances": [{"amount": "1000", "days": 0}], "payments": [{"amount": "1", "days": 1, "count": 4000000000}]}"#,
            "more than",
        ),
        (
            r#"{"convention": "eu_ccd", "advances": [{"amount": 1000, "days": 0}], "payments": [{"amount": "1100", "days": 1}]}"#,
            "invalid input",
        ),
        (
            r#"{"convention": "eu_ccd", "advances": [{"amount": "1e3", "days": 0}], "payments": [{"amount": "1100", "days": 1}]}"#,
            "not a plain decimal",
        ),
        (
            r#"{"convention": "eu_ccd", "start": "2026-01-01", "advances": [{"amount": "1000", "date": "2026-01-01"}], "payments": [{"amount": "1100", "date": "2027-01-01"}]}"#,
            "takes no start",
        ),
    ] {
        let (code, stdout, stderr) = calc_apr(input);
        assert_eq!(code, 2, "{input}: {stdout}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(says), "{input}: {stderr}");
        assert!(stdout.is_empty());
    }
}
