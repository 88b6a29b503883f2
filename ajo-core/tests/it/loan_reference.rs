//! Every loan case of the reference (`tests/data/loans.json`), to the minor unit.

use ajo_core::calendar::Frequency;
use ajo_core::loan::{LoanTerms, Method, Schedule};
use ajo_core::money::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::support::{Case, cases, str_field};

pub fn terms_of(inputs: &Value) -> LoanTerms {
    let units = u8::try_from(inputs["minor_units"].as_u64().unwrap()).unwrap();
    let currency = Currency::new(str_field(inputs, "currency"), units).unwrap();
    let method = match str_field(inputs, "method") {
        "annuity" => Method::Annuity,
        "equal_principal" => Method::EqualPrincipal,
        "flat" => Method::Flat,
        other => panic!("unknown method {other}"),
    };
    let frequency = match str_field(inputs, "frequency") {
        "monthly" => Frequency::Monthly,
        "weekly" => Frequency::Weekly,
        "biweekly" => Frequency::Biweekly,
        other => panic!("unknown frequency {other}"),
    };
    LoanTerms::builder(
        Money::parse(str_field(inputs, "principal"), currency).unwrap(),
        str_field(inputs, "annual_rate").parse().unwrap(),
        u32::try_from(inputs["term"].as_u64().unwrap()).unwrap(),
        str_field(inputs, "disbursement_date").parse().unwrap(),
    )
    .method(method)
    .frequency(frequency)
    .build()
    .unwrap()
}

fn money_str(m: Money) -> String {
    m.amount().to_string()
}

fn optional(m: Option<Money>) -> Value {
    m.map_or(Value::Null, |m| Value::String(money_str(m)))
}

fn close_to(want: &Value, got: Decimal, id: &str, key: &str) {
    let want: Decimal = want.as_str().unwrap().parse().unwrap();
    assert!(
        (want - got).abs() <= Decimal::new(1, 11),
        "{id} {key}: want about {want}, got {got}"
    );
}

fn check(case: &Case) {
    let id = case.id.as_str();
    let schedule = Schedule::new(&terms_of(&case.inputs)).unwrap();
    let want = &case.expected;
    assert_eq!(
        u64::from(schedule.terms().periods_per_year()),
        want["periods_per_year"].as_u64().unwrap(),
        "{id}"
    );
    assert_eq!(
        optional(schedule.regular_installment()),
        want["regular_installment"],
        "{id} regular_installment"
    );
    if let Some(v) = want.get("installment_unrounded") {
        close_to(
            v,
            schedule.installment_unrounded().unwrap(),
            id,
            "installment_unrounded",
        );
    }
    if let Some(v) = want.get("regular_principal") {
        assert_eq!(&optional(schedule.regular_principal()), v, "{id}");
    }
    if let Some(v) = want.get("flat_total_interest") {
        assert_eq!(&optional(schedule.flat_total_interest()), v, "{id}");
    }
    let rows = want["schedule"].as_array().unwrap();
    assert_eq!(schedule.rows().len(), rows.len(), "{id} rows");
    for (got, want) in schedule.rows().iter().zip(rows) {
        let k = got.number;
        assert_eq!(u64::from(k), want["number"].as_u64().unwrap(), "{id}");
        assert_eq!(u64::from(k), want["due_index"].as_u64().unwrap(), "{id}");
        let due: NaiveDate = str_field(want, "due_date").parse().unwrap();
        assert_eq!(got.due_date, due, "{id} row {k} due_date");
        for (key, value) in [
            ("opening_balance", got.opening_balance),
            ("installment", got.total),
            ("principal", got.principal),
            ("interest", got.interest),
            ("closing_balance", got.closing_balance),
        ] {
            assert_eq!(money_str(value), str_field(want, key), "{id} row {k} {key}");
        }
    }
    assert_eq!(
        money_str(schedule.total_principal()),
        str_field(want, "total_principal"),
        "{id}"
    );
    assert_eq!(
        money_str(schedule.total_interest().unwrap()),
        str_field(want, "total_interest"),
        "{id}"
    );
    assert_eq!(
        money_str(schedule.total_payable().unwrap()),
        str_field(want, "total_paid"),
        "{id}"
    );
    let rates = schedule.rates().unwrap();
    close_to(
        &want["periodic_irr"],
        rates.periodic_irr,
        id,
        "periodic_irr",
    );
    let shown = rates.rounded(6);
    assert_eq!(shown.apr.to_string(), str_field(want, "apr"), "{id} apr");
    assert_eq!(
        shown.effective_annual_rate.to_string(),
        str_field(want, "effective_annual_rate"),
        "{id} effective_annual_rate"
    );
}

#[test]
fn loan_cases_match_to_the_minor_unit() {
    let all = cases("loans");
    assert_eq!(all.len(), 23);
    for case in &all {
        check(case);
    }
}

/// The checker can fail: a case with one amount changed is caught.
#[test]
#[should_panic(expected = "LOAN-01 row 3 interest")]
fn a_wrong_expectation_is_caught() {
    let mut case = cases("loans").into_iter().next().unwrap();
    case.expected["schedule"][2]["interest"] = Value::String("507.42".into());
    check(&case);
}
