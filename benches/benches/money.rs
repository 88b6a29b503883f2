//! Splitting money: `allocate` over 1,000 weights.

#![allow(missing_docs)]

use ajo_core::money::{Currency, Money};
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::hint::black_box;

fn allocate(c: &mut Criterion) {
    let amount = Money::parse("1234567.89", Currency::NGN).unwrap_or(Money::zero(Currency::NGN));
    let weights: Vec<Decimal> = (1..=1000u32)
        .map(|i| Decimal::new(i64::from(i % 97 + 1), i % 4))
        .collect();
    c.bench_function("allocate_1000_weights_ngn", |b| {
        b.iter(|| black_box(&amount).allocate(black_box(&weights)))
    });
    let eth = Money::parse("1", Currency::ETH).unwrap_or(Money::zero(Currency::ETH));
    c.bench_function("allocate_1000_weights_eth", |b| {
        b.iter(|| black_box(&eth).allocate(black_box(&weights)))
    });
    c.bench_function("split_evenly_1000_ngn", |b| {
        b.iter(|| black_box(&amount).split_evenly(1000))
    });
}

criterion_group!(benches, allocate);
criterion_main!(benches);
