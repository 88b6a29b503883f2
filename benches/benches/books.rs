//! The books read back: a period report over a journal of 100,000 entries (the pure
//! builder, and through the service on the in-memory store, which reads the journal from
//! its start), and the review queue with 1,000 items held, through the service.

#![allow(missing_docs)]

use ajo_core::books::{Period, PeriodReport};
use ajo_core::ledger::{Account, AccountKind, EntryDraft, JournalEntry};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{AppendRequest, EntryQuery, Journal, Store};
use ajo_core::webhook::{GatewayEvent, PaymentEventKind, Provider};
use ajo_testkit::{Embedded, InMemoryStore};
use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};

const ENTRIES: usize = 100_000;
const HELD: usize = 1_000;

fn start() -> DateTime<Utc> {
    Utc.timestamp_opt(1_767_225_600, 0)
        .single()
        .unwrap_or_default()
}

/// A journal of contributions into 100 pots, a minute apart, each with its platform fee.
async fn journal(store: &InMemoryStore) {
    let clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN);
    let fees = Account::new("platform", AccountKind::PlatformFees, Currency::NGN);
    for i in 0..ENTRIES {
        let pot = Account::new(
            format!("group-{}", i % 100),
            AccountKind::GroupPot,
            Currency::NGN,
        );
        let (Ok(amount), Ok(fee)) = (
            Money::from_minor(2_000_000, Currency::NGN),
            Money::from_minor(20_000, Currency::NGN),
        ) else {
            return;
        };
        let Ok(to_pot) = amount.checked_sub(fee) else {
            return;
        };
        let Ok(entry) = EntryDraft::new(format!("contribution:{i}"), "contribution")
            .reference(format!("ref-{i}"))
            .debit(clearing.clone(), amount)
            .credit(pot, to_pot)
            .credit(fees.clone(), fee)
            .balance()
        else {
            return;
        };
        let minutes = i64::try_from(i).unwrap_or_default();
        let _ = store
            .append(AppendRequest {
                streams: Vec::new(),
                entries: vec![entry],
                outbox: Vec::new(),
                idempotency_key: None,
                at: (start() + Duration::minutes(minutes)).into(),
            })
            .await;
    }
}

fn books(c: &mut Criterion) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else {
        return;
    };
    let ajo = Embedded::new(start());
    runtime.block_on(journal(&ajo.store));
    let entries: Vec<JournalEntry> = runtime
        .block_on(ajo.store.entries(&EntryQuery::default()))
        .unwrap_or_default();
    // The last of ten weeks: opening balances from 90,000 entries, 10,000 in the period.
    let Ok(period) = Period::new(
        start() + Duration::minutes(90_000),
        start() + Duration::minutes(100_000),
    ) else {
        return;
    };
    let mut group = c.benchmark_group("books");
    group.sample_size(10);
    group.bench_function("report_pure_100k_entries", |b| {
        b.iter(|| PeriodReport::from_entries(period, Currency::NGN, &entries))
    });
    group.bench_function("report_service_in_memory_100k_entries", |b| {
        b.iter(|| runtime.block_on(ajo.service.report(&period, Currency::NGN)))
    });

    let held = Embedded::new(start());
    for i in 0..HELD {
        let Ok(amount) = Money::from_minor(70_000, Currency::NGN) else {
            return;
        };
        let stray = GatewayEvent::new(
            Provider::Paystack,
            PaymentEventKind::ChargeSucceeded,
            format!("stray-{i}").as_str(),
            amount,
        );
        let _ = runtime.block_on(held.service.handle_gateway_event(&stray));
    }
    // Time the queue only if it holds what was seeded.
    let seeded = runtime
        .block_on(held.service.held())
        .map(|q| q.len())
        .unwrap_or_default();
    if seeded != HELD {
        eprintln!("books bench: {seeded} items held, not {HELD}; the queue bench is skipped");
        group.finish();
        return;
    }
    group.bench_function("held_1000_items_in_memory", |b| {
        b.iter(|| runtime.block_on(held.service.held()))
    });
    group.finish();
}

criterion_group!(benches, books);
criterion_main!(benches);
