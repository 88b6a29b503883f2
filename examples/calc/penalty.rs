//! `calc penalty`: the late penalty on an overdue amount.

use ajo_core::penalty::{PenaltyKind, PenaltyRule};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::input;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PenaltyInput {
    kind: String,
    currency: String,
    minor_units: u8,
    overdue_amount: String,
    due_date: NaiveDate,
    paid_date: NaiveDate,
    #[serde(default)]
    grace_days: u32,
    fee: Option<String>,
    rate: Option<String>,
    daily_rate: Option<String>,
    cap_rate: Option<String>,
    cap_amount: Option<String>,
}

#[derive(Serialize)]
struct PenaltyOutput {
    days_late: u32,
    chargeable_days: u32,
    penalty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    capped: Option<bool>,
}

fn required<'a>(field: &str, value: Option<&'a String>) -> Result<&'a str, String> {
    value
        .map(String::as_str)
        .ok_or_else(|| format!("{field}: required for this kind"))
}

pub(crate) fn run(stdin: &str) -> Result<String, String> {
    let i: PenaltyInput = input::parse_json(stdin)?;
    let currency = input::currency(&i.currency, i.minor_units)?;
    let rate = |field: &str, value: Option<&String>| -> Result<_, String> {
        input::decimal(field, required(field, value)?)
    };
    let optional_rate =
        |field: &str, value: Option<&String>| value.map(|v| input::decimal(field, v)).transpose();
    let kind = match i.kind.as_str() {
        "flat_fee" => PenaltyKind::FlatFee {
            fee: input::money("fee", required("fee", i.fee.as_ref())?, currency)?,
        },
        "percentage" => PenaltyKind::Percentage {
            rate: rate("rate", i.rate.as_ref())?,
        },
        "daily_accrual" => PenaltyKind::DailyAccrual {
            daily_rate: rate("daily_rate", i.daily_rate.as_ref())?,
            cap_rate: optional_rate("cap_rate", i.cap_rate.as_ref())?,
            cap_amount: i
                .cap_amount
                .as_deref()
                .map(|c| input::money("cap_amount", c, currency))
                .transpose()?,
        },
        other => {
            return Err(format!(
                "kind: unknown penalty kind {other:?} (flat_fee, percentage, daily_accrual)"
            ));
        }
    };
    let is_daily = matches!(kind, PenaltyKind::DailyAccrual { .. });
    let rule = PenaltyRule::new(kind, i.grace_days).map_err(|e| e.to_string())?;
    let overdue = input::money("overdue_amount", &i.overdue_amount, currency)?;
    let assessed = rule
        .assess(overdue, i.due_date, i.paid_date)
        .map_err(|e| e.to_string())?;
    let output = PenaltyOutput {
        days_late: assessed.days_late,
        chargeable_days: assessed.chargeable_days,
        penalty: assessed.penalty.amount().to_string(),
        capped: is_daily.then_some(assessed.capped),
    };
    serde_json::to_string(&output).map_err(|e| e.to_string())
}
