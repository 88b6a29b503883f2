//! `calc split`: an amount split by weights with the largest-remainder rule.

use serde::{Deserialize, Serialize};

use crate::input;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitInput {
    currency: String,
    minor_units: u8,
    amount: String,
    weights: Vec<String>,
}

#[derive(Serialize)]
struct SplitOutput {
    parts: Vec<String>,
}

pub(crate) fn run(stdin: &str) -> Result<String, String> {
    let input: SplitInput = input::parse_json(stdin)?;
    let currency = input::currency(&input.currency, input.minor_units)?;
    let amount = input::money("amount", &input.amount, currency)?;
    if amount.is_negative() {
        return Err("amount: must not be negative".into());
    }
    let weights = input
        .weights
        .iter()
        .enumerate()
        .map(|(i, w)| input::decimal(&format!("weights[{i}]"), w))
        .collect::<Result<Vec<_>, _>>()?;
    let parts = amount.allocate(&weights).map_err(|e| e.to_string())?;
    let output = SplitOutput {
        parts: parts.iter().map(|p| p.amount().to_string()).collect(),
    };
    serde_json::to_string(&output).map_err(|e| e.to_string())
}
