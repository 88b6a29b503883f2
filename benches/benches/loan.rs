//! Loans and eligibility: a 360-row annuity schedule, a 60-row flat schedule, the APR of
//! a 360-row schedule (evenly spaced, and from its dated flows by Regulation Z and by the
//! EU directive), and 10,000 eligibility scores. `benches/py/time_numpy_financial_irr.py`
//! times numpy-financial's `irr` on the same flows.

#![allow(missing_docs)]

use ajo_core::eligibility::{MemberRecord, ScoreWeights, score};
use ajo_core::loan::apr::{Convention, UnitPeriod};
use ajo_core::loan::{LoanTerms, Method, Schedule};
use ajo_core::money::{Currency, Money};
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::hint::black_box;

fn terms(principal: &str, rate: i64, term: u32, method: Method) -> Option<LoanTerms> {
    LoanTerms::builder(
        Money::parse(principal, Currency::NGN).ok()?,
        Decimal::new(rate, 3),
        term,
        NaiveDate::from_ymd_opt(2026, 1, 31)?,
    )
    .method(method)
    .build()
    .ok()
}

fn schedules(c: &mut Criterion) {
    // The same case is timed in Python by benches/py/time_reference_loan.py.
    let Some(annuity) = terms("5000000.00", 240, 360, Method::Annuity) else {
        return;
    };
    let Some(flat) = terms("1000000.00", 365, 60, Method::Flat) else {
        return;
    };
    c.bench_function("loan/annuity_schedule_360", |b| {
        b.iter(|| Schedule::new(black_box(&annuity)))
    });
    c.bench_function("loan/flat_schedule_60", |b| {
        b.iter(|| Schedule::new(black_box(&flat)))
    });
    let Ok(schedule) = Schedule::new(&annuity) else {
        return;
    };
    c.bench_function("loan/apr_360", |b| b.iter(|| black_box(&schedule).rates()));
    let Ok(flows) = schedule.cash_flows() else {
        return;
    };
    c.bench_function("loan/apr_dated_360", |b| {
        b.iter(|| black_box(&flows).apr(Convention::UsRegZ(UnitPeriod::MONTH)))
    });
    c.bench_function("loan/apr_eu_dated_360", |b| {
        b.iter(|| black_box(&flows).apr(Convention::EuCcd))
    });
    c.bench_function("loan/annuity_schedule_and_apr_360", |b| {
        b.iter(|| Schedule::new(black_box(&annuity)).and_then(|s| s.rates()))
    });
}

fn eligibility(c: &mut Criterion) {
    let members: Vec<(MemberRecord, Money)> = (0..10_000u32)
        .filter_map(|i| {
            let contributed = Money::from_minor(i128::from(i) * 12_345, Currency::NGN).ok()?;
            let max_loan =
                Money::from_minor(30_000_000 + i128::from(i % 97), Currency::NGN).ok()?;
            let ratio = Decimal::new(i64::from(i % 10_001), 4);
            Some((
                MemberRecord::new(i % 40, ratio, contributed).ok()?,
                max_loan,
            ))
        })
        .collect();
    let weights = ScoreWeights::default();
    c.bench_function("eligibility/score_10000", |b| {
        b.iter(|| {
            let mut total = 0u64;
            for (member, max_loan) in black_box(&members) {
                if let Ok(s) = score(member, *max_loan, &weights) {
                    total += u64::from(s.score);
                }
            }
            total
        })
    });
}

criterion_group!(benches, schedules, eligibility);
criterion_main!(benches);
