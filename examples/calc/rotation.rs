//! `calc rotation`: a whole cycle's schedule from members in payout order.

use ajo_core::calendar::Frequency;
use ajo_core::group::rotation::RotationSchedule;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::input;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RotationInput {
    members: Vec<String>,
    contribution: String,
    currency: String,
    minor_units: u8,
    frequency: String,
    start_date: NaiveDate,
    fee_rate: Option<String>,
}

#[derive(Serialize)]
struct RoundOutput {
    round: u32,
    due_date: NaiveDate,
    recipient: String,
    pot: String,
    fee: String,
    payout: String,
}

#[derive(Serialize)]
struct RotationOutput {
    rounds: Vec<RoundOutput>,
    cycle_end_date: NaiveDate,
    total_contributed: String,
    total_fees: String,
    total_paid_out: String,
}

pub(crate) fn frequency(name: &str) -> Result<Frequency, String> {
    match name {
        "daily" => Ok(Frequency::Daily),
        "weekly" => Ok(Frequency::Weekly),
        "biweekly" => Ok(Frequency::Biweekly),
        "monthly" => Ok(Frequency::Monthly),
        other => Err(format!(
            "frequency: unknown {other:?} (daily, weekly, biweekly, monthly)"
        )),
    }
}

pub(crate) fn run(stdin: &str) -> Result<String, String> {
    let i: RotationInput = input::parse_json(stdin)?;
    let currency = input::currency(&i.currency, i.minor_units)?;
    let contribution = input::money("contribution", &i.contribution, currency)?;
    let fee_rate = match &i.fee_rate {
        Some(rate) => input::decimal("fee_rate", rate)?,
        None => rust_decimal::Decimal::ZERO,
    };
    let schedule = RotationSchedule::build(
        &i.members,
        contribution,
        frequency(&i.frequency)?,
        i.start_date,
        fee_rate,
    )
    .map_err(|e| e.to_string())?;
    let amount = |m: ajo_core::money::Money| m.amount().to_string();
    let output = RotationOutput {
        rounds: schedule
            .rounds
            .into_iter()
            .map(|r| RoundOutput {
                round: r.round,
                due_date: r.due_date,
                recipient: r.recipient,
                pot: amount(r.pot),
                fee: amount(r.fee),
                payout: amount(r.payout),
            })
            .collect(),
        cycle_end_date: schedule.cycle_end_date,
        total_contributed: amount(schedule.total_contributed),
        total_fees: amount(schedule.total_fees),
        total_paid_out: amount(schedule.total_paid_out),
    };
    serde_json::to_string(&output).map_err(|e| e.to_string())
}
