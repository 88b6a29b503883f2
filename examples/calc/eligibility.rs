//! `calc eligibility`: a member's loan eligibility score and its breakdown.

use ajo_core::eligibility::{MemberRecord, ScoreWeights, score};
use ajo_core::money::{Currency, Rounding};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::input;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EligibilityInput {
    months_active: u32,
    payment_on_time_ratio: String,
    total_contributed: String,
    max_loan: String,
}

#[derive(Serialize)]
struct EligibilityOutput {
    tenure_points: String,
    punctuality_points: String,
    savings_points: String,
    raw_score: String,
    score: u32,
}

/// To 12 decimals, trailing zeros removed, as the reference shows the breakdown.
fn shown(value: Decimal) -> String {
    let rounded = Rounding::HalfEven.round(value, 12).normalize();
    if rounded.is_zero() {
        "0".to_owned()
    } else {
        rounded.to_string()
    }
}

fn places(text: &str) -> usize {
    text.split_once('.')
        .map_or(0, |(_, fraction)| fraction.len())
}

pub(crate) fn run(stdin: &str) -> Result<String, String> {
    let i: EligibilityInput = input::parse_json(stdin)?;
    // The cases carry no currency (only the ratio of two amounts matters): count them in
    // the ISO test currency with as many places as the amounts are written with.
    let units = places(&i.total_contributed).max(places(&i.max_loan));
    let units = u8::try_from(units)
        .ok()
        .filter(|u| *u <= ajo_core::money::MAX_MINOR_UNITS)
        .ok_or("amounts: too many decimal places")?;
    let currency = Currency::new("XTS", units).map_err(|e| e.to_string())?;
    let contributed = input::money("total_contributed", &i.total_contributed, currency)?;
    let max_loan = input::money("max_loan", &i.max_loan, currency)?;
    let ratio = input::decimal("payment_on_time_ratio", &i.payment_on_time_ratio)?;
    let member =
        MemberRecord::new(i.months_active, ratio, contributed).map_err(|e| e.to_string())?;
    let scored = score(&member, max_loan, &ScoreWeights::default()).map_err(|e| e.to_string())?;
    let b = scored.breakdown;
    let output = EligibilityOutput {
        tenure_points: shown(b.tenure_points),
        punctuality_points: shown(b.punctuality_points),
        savings_points: shown(b.savings_points),
        raw_score: shown(b.raw_score),
        score: scored.score,
    };
    serde_json::to_string(&output).map_err(|e| e.to_string())
}
