//! Every case of the reference files, to the minor unit.

use ajo_core::money::{Currency, Money};
use rust_decimal::Decimal;

use crate::support::{cases, str_field};

#[test]
fn allocation_cases_match_to_the_minor_unit() {
    let all = cases("allocation");
    assert_eq!(all.len(), 12);
    for case in all {
        let inputs = &case.inputs;
        let units = u8::try_from(inputs["minor_units"].as_u64().unwrap()).unwrap();
        let currency = Currency::new(str_field(inputs, "currency"), units).unwrap();
        let amount = Money::parse(str_field(inputs, "amount"), currency).unwrap();
        let weights: Vec<Decimal> = inputs["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().parse().unwrap())
            .collect();
        let got: Vec<String> = amount
            .allocate(&weights)
            .unwrap()
            .iter()
            .map(|m| m.amount().to_string())
            .collect();
        let want: Vec<String> = case.expected["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, want, "{}", case.id);
    }
}
