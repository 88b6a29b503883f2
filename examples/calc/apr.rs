//! `calc apr`: the APR of dated advances and payments, by US Regulation Z Appendix J or
//! the EU Consumer Credit Directive (the input is an
//! [`AprRequest`](ajo_core::loan::apr::AprRequest)).

use ajo_core::loan::apr::AprRequest;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::input;

/// Decimals of the exact figures printed: well past the 10 asked of the calculator and
/// inside the solver's tolerance.
const PLACES: u32 = 16;

#[derive(Serialize)]
struct AprOutput {
    /// The APR as a fraction.
    apr: String,
    /// In per cent, to two places, rounded half up.
    apr_percent: String,
    convention: &'static str,
    unit_period_rate: String,
    unit_periods_per_year: String,
}

fn exact(d: Decimal) -> String {
    let mut shown = d.round_dp_with_strategy(PLACES, RoundingStrategy::MidpointNearestEven);
    shown.rescale(PLACES);
    shown.to_string()
}

pub(crate) fn run(stdin: &str) -> Result<String, String> {
    let request: AprRequest = input::parse_json(stdin)?;
    let apr = request.apr().map_err(|e| e.to_string())?;
    let output = AprOutput {
        apr: exact(apr.annual_rate),
        apr_percent: apr
            .percent(2)
            .ok_or("the rate in per cent is too large to show")?
            .to_string(),
        convention: apr.convention.as_str(),
        unit_period_rate: exact(apr.unit_period_rate),
        unit_periods_per_year: apr.unit_periods_per_year.normalize().to_string(),
    };
    serde_json::to_string(&output).map_err(|e| e.to_string())
}
