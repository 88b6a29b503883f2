//! Posting 100,000 balanced entries to the in-memory ledger, hash chain included.

#![allow(missing_docs)]

use ajo_core::ledger::{Account, AccountKind, BalancedEntry, EntryDraft, Ledger};
use ajo_core::money::{Currency, Money};
use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const ENTRIES: usize = 100_000;

fn entries() -> Vec<BalancedEntry> {
    let clearing = Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN);
    let pots: Vec<Account> = (0..100)
        .map(|g| Account::new(format!("group-{g}"), AccountKind::GroupPot, Currency::NGN))
        .collect();
    (0..ENTRIES)
        .filter_map(|i| {
            let amount =
                Money::from_minor(2_000_000 + i128::try_from(i % 1000).ok()?, Currency::NGN)
                    .ok()?;
            let pot = pots.get(i % pots.len())?.clone();
            EntryDraft::new(format!("contribution:{i}"), "contribution")
                .debit(clearing.clone(), amount)
                .credit(pot, amount)
                .balance()
                .ok()
        })
        .collect()
}

fn post(c: &mut Criterion) {
    let prepared = entries();
    let at = Utc
        .timestamp_opt(1_767_225_600, 0)
        .single()
        .unwrap_or_default();
    let mut group = c.benchmark_group("ledger");
    group.sample_size(10);
    group.bench_function("post_100k_balanced_entries", |b| {
        b.iter_batched(
            || prepared.clone(),
            |batch| {
                let mut ledger = Ledger::new();
                for entry in batch {
                    let _ = ledger.post(entry, at);
                }
                ledger
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, post);
criterion_main!(benches);
