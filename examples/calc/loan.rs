//! `calc loan`: a loan's schedule, totals and cost, in the reference's `expected` shape,
//! or as a table for people with `--table`.

use ajo_core::calendar::Frequency;
use ajo_core::loan::{FeeCollection, LoanRates, LoanTerms, Method, Schedule, UpfrontFee};
use ajo_core::money::{Money, Rounding};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::input;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoanInput {
    method: String,
    currency: String,
    minor_units: u8,
    principal: String,
    annual_rate: String,
    term: u32,
    frequency: String,
    disbursement_date: NaiveDate,
    #[serde(default)]
    principal_grace: u32,
    #[serde(default)]
    interest_grace: u32,
    #[serde(default)]
    fees: Vec<FeeInput>,
}

/// `{"kind": "percentage", "rate": "0.02", "collection": "deducted"}` or
/// `{"kind": "fixed", "amount": "500.00", "collection": "first_installment"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeeInput {
    kind: String,
    amount: Option<String>,
    rate: Option<String>,
    collection: String,
}

#[derive(Serialize)]
struct LoanOutput {
    periods_per_year: u32,
    regular_installment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    installment_unrounded: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    regular_principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flat_total_interest: Option<String>,
    schedule: Vec<RowOutput>,
    total_principal: String,
    total_interest: String,
    total_fees: String,
    total_paid: String,
    net_disbursed: String,
    periodic_irr: String,
    apr: String,
    effective_annual_rate: String,
}

#[derive(Serialize)]
struct RowOutput {
    number: u32,
    due_index: u32,
    due_date: NaiveDate,
    opening_balance: String,
    installment: String,
    principal: String,
    interest: String,
    fee: String,
    capitalised: String,
    closing_balance: String,
}

fn amount(m: Money) -> String {
    m.amount().to_string()
}

fn places(value: Decimal, places: u32) -> String {
    let mut shown = Rounding::HalfEven.round(value, places);
    shown.rescale(places);
    shown.to_string()
}

fn terms(i: &LoanInput) -> Result<LoanTerms, String> {
    let currency = input::currency(&i.currency, i.minor_units)?;
    let method = match i.method.as_str() {
        "annuity" => Method::Annuity,
        "equal_principal" => Method::EqualPrincipal,
        "flat" => Method::Flat,
        other => {
            return Err(format!(
                "method: unknown method {other:?} (annuity, equal_principal, flat)"
            ));
        }
    };
    let frequency = match i.frequency.as_str() {
        "weekly" => Frequency::Weekly,
        "biweekly" => Frequency::Biweekly,
        "monthly" => Frequency::Monthly,
        other => {
            return Err(format!(
                "frequency: unknown frequency {other:?} (weekly, biweekly, monthly)"
            ));
        }
    };
    let mut builder = LoanTerms::builder(
        input::money("principal", &i.principal, currency)?,
        input::decimal("annual_rate", &i.annual_rate)?,
        i.term,
        i.disbursement_date,
    )
    .method(method)
    .frequency(frequency)
    .principal_grace(i.principal_grace)
    .interest_grace(i.interest_grace);
    for (index, fee) in i.fees.iter().enumerate() {
        let field = |name: &str| format!("fees[{index}].{name}");
        let collection = match fee.collection.as_str() {
            "deducted" => FeeCollection::Deducted,
            "first_installment" => FeeCollection::FirstInstallment,
            other => {
                return Err(format!(
                    "{}: unknown collection {other:?} (deducted, first_installment)",
                    field("collection")
                ));
            }
        };
        let fee = match (fee.kind.as_str(), &fee.amount, &fee.rate) {
            ("fixed", Some(text), None) => {
                UpfrontFee::fixed(input::money(&field("amount"), text, currency)?, collection)
            }
            ("percentage", None, Some(text)) => {
                UpfrontFee::percentage(input::decimal(&field("rate"), text)?, collection)
            }
            ("fixed", _, _) => {
                return Err(format!(
                    "{}: a fixed fee takes only an amount",
                    field("kind")
                ));
            }
            ("percentage", _, _) => {
                return Err(format!(
                    "{}: a percentage fee takes only a rate",
                    field("kind")
                ));
            }
            (other, _, _) => {
                return Err(format!(
                    "{}: unknown fee kind {other:?} (fixed, percentage)",
                    field("kind")
                ));
            }
        };
        builder = builder.fee(fee);
    }
    builder.build().map_err(|e| e.to_string())
}

fn output(schedule: &Schedule, rates: &LoanRates) -> Result<LoanOutput, String> {
    let e = |e: ajo_core::loan::LoanError| e.to_string();
    let schedule_rows = schedule
        .rows()
        .iter()
        .map(|r| RowOutput {
            number: r.number,
            due_index: r.number,
            due_date: r.due_date,
            opening_balance: amount(r.opening_balance),
            installment: amount(r.total),
            principal: amount(r.principal),
            interest: amount(r.interest),
            fee: amount(r.fee),
            capitalised: amount(r.capitalised),
            closing_balance: amount(r.closing_balance),
        })
        .collect();
    Ok(LoanOutput {
        periods_per_year: schedule.terms().periods_per_year(),
        regular_installment: schedule.regular_installment().map(amount),
        installment_unrounded: schedule.installment_unrounded().map(|d| places(d, 12)),
        regular_principal: schedule.regular_principal().map(amount),
        flat_total_interest: schedule.flat_total_interest().map(amount),
        schedule: schedule_rows,
        total_principal: amount(schedule.total_principal()),
        total_interest: amount(schedule.total_interest().map_err(e)?),
        total_fees: amount(schedule.total_fees().map_err(e)?),
        total_paid: amount(schedule.total_payable().map_err(e)?),
        net_disbursed: amount(schedule.net_disbursed().map_err(e)?),
        periodic_irr: places(rates.periodic_irr, 12),
        apr: places(rates.apr, 6),
        effective_annual_rate: places(rates.effective_annual_rate, 6),
    })
}

pub(crate) fn run(stdin: &str, flags: &[String]) -> Result<String, String> {
    let (table, chart) = match flags {
        [] => (false, None),
        [flag] if flag == "--table" => (true, None),
        [flag, path] if flag == "--chart" => (false, Some(path)),
        _ => {
            return Err(format!(
                "loan: unknown options {flags:?} (--table, or --chart FILE.svg)"
            ));
        }
    };
    let i: LoanInput = input::parse_json(stdin)?;
    let schedule = Schedule::new(&terms(&i)?).map_err(|e| e.to_string())?;
    if let Some(path) = chart {
        let svg = crate::chart::schedule_svg(&schedule)?;
        std::fs::write(path, svg).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    if table {
        return Ok(schedule.table().to_string().trim_end().to_owned());
    }
    let rates = schedule.rates().map_err(|e| e.to_string())?;
    serde_json::to_string(&output(&schedule, &rates)?).map_err(|e| e.to_string())
}
