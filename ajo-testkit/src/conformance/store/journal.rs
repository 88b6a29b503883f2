//! The journal: entries posted with events, replays, balances and the hash chain.

use std::sync::Arc;

use ajo_core::ledger::{Account, AccountKind, EntryDraft, verify_chain};
use ajo_core::money::{Currency, MAX_MINOR, Money};
use ajo_core::ports::{EntryQuery, Store, StoreError};
use chrono::{TimeZone, Utc};

use super::{append, email, entry, event, request, stream};

/// An entry key that holds other content fails the whole append.
pub async fn a_bad_entry_fails_the_whole_append(store: Arc<dyn Store>) {
    store
        // In g1's book, where the appends below post.
        .append(request(
            vec![append("g1", 0, vec![])],
            vec![entry("k", 10)],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let clash = request(
        vec![append("g1", 0, vec![event(1)])],
        vec![entry("fresh", 1), entry("k", 11)],
        vec![email("x")],
        Some("clash"),
    );
    match store.append(clash).await {
        Err(StoreError::EntryConflict { key }) => assert_eq!(key, "k"),
        other => {
            panic!("a reused entry key with other content must be EntryConflict, got {other:?}")
        }
    }
    assert!(
        store.load(&stream("g1")).await.unwrap().is_empty(),
        "events of a failed append were written"
    );
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), 1, "an entry of a failed append was written");
    assert!(store.outbox_message("x").await.unwrap().is_none());
    assert!(!store.has_idempotency_key("clash").await.unwrap());
}

/// An entry posted again with the same key and content is skipped, not an error.
pub async fn replayed_entries_are_skipped(store: Arc<dyn Store>) {
    store
        // In g1's book, where the appends below post.
        .append(request(
            vec![append("g1", 0, vec![])],
            vec![entry("k", 10)],
            vec![],
            None,
        ))
        .await
        .unwrap();
    store
        .append(request(
            vec![append("g1", 0, vec![event(1)])],
            vec![entry("k", 10), entry("k2", 3)],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let keys: Vec<String> = store
        .entries(&EntryQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|e| e.entry().key().to_owned())
        .collect();
    assert_eq!(keys, ["k", "k2"]);
}

/// Balances sum to zero per currency, entries carry a valid hash chain, and queries by
/// reference find them.
pub async fn ledger_stays_balanced_and_chained(store: Arc<dyn Store>) {
    for i in 1..=5 {
        store
            .append(request(
                vec![],
                vec![entry(&format!("e{i}"), i)],
                vec![],
                None,
            ))
            .await
            .unwrap();
    }
    let balances = store.balances().await.unwrap();
    let total: i128 = balances.iter().map(|(_, m)| m.minor()).sum();
    assert_eq!(total, 0, "the trial balance must sum to zero");
    let clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN);
    assert_eq!(
        store.balance(&clearing).await.unwrap(),
        Money::from_minor(1500, Currency::NGN).unwrap()
    );
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    verify_chain(&entries).expect("the journal's hash chain must verify");
    let by_ref = store
        .entries(&EntryQuery {
            reference: Some("ref-e3".into()),
            ..EntryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_ref.len(), 1);
    // Ids are unique and rise, but may skip numbers (a distributed database hands them
    // out in ranges per node): a page starts after the id of the last entry read.
    let page = store
        .entries(&EntryQuery {
            after: Some(entries[1].id().0),
            limit: Some(2),
            ..EntryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id()).collect::<Vec<_>>(),
        [entries[2].id(), entries[3].id()]
    );
}

/// Appends at clock readings finer than a microsecond, as a real clock gives them (on
/// both sides of a microsecond's half, since PostgreSQL rounds what it is given), read
/// back whole microseconds cut toward the past, and the chain verifies: what was hashed is
/// what was kept.
pub async fn sub_microsecond_times_keep_the_chain_verifiable(store: Arc<dyn Store>) {
    let nanos = [123_456_789u32, 123_456_001, 999_999_999, 500, 42_000];
    for (i, nano) in (1..).zip(nanos) {
        let at = Utc.timestamp_opt(1_772_355_600 + i, nano).unwrap();
        let mut request = request(
            vec![],
            vec![entry(&format!("t{i}"), i.into())],
            vec![],
            None,
        );
        request.at = at.into();
        store.append(request).await.unwrap();
    }
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), nanos.len());
    verify_chain(&entries).expect("entries posted at sub-microsecond times must verify");
    for ((i, nano), entry) in (1..).zip(nanos).zip(&entries) {
        let kept = Utc
            .timestamp_opt(1_772_355_600 + i, nano - nano % 1_000)
            .unwrap();
        assert_eq!(
            entry.posted_at(),
            kept,
            "posting times are cut to microseconds"
        );
    }
}

/// A posting that would take a balance past the largest amount `Money` holds is
/// `BalanceOutOfRange`, either way, and nothing of that append is written.
pub async fn balances_beyond_the_largest_amount_are_refused(store: Arc<dyn Store>) {
    let clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN);
    let pot = Account::new("g1", AccountKind::GroupPot, Currency::NGN);
    let most = Money::from_minor(MAX_MINOR, Currency::NGN).unwrap();
    let one = Money::from_minor(1, Currency::NGN).unwrap();
    let spare = Account::new("spare", AccountKind::Suspense, Currency::NGN);
    let huge = EntryDraft::new("huge", "conformance")
        .debit(clearing.clone(), most)
        .credit(pot.clone(), most)
        .balance()
        .unwrap();
    // In g1's book, as the appends below: the bound holds for each book's part of a
    // balance (see the Store contract).
    store
        .append(request(
            vec![append("g1", 0, vec![])],
            vec![huge],
            vec![],
            None,
        ))
        .await
        .unwrap();
    for (key, debit, credit) in [
        ("over", clearing.clone(), spare.clone()),
        ("under", spare.clone(), pot.clone()),
    ] {
        let more = EntryDraft::new(key, "conformance")
            .debit(debit.clone(), one)
            .credit(credit.clone(), one)
            .balance()
            .unwrap();
        let refused = request(
            vec![append("g1", 0, vec![event(1)])],
            vec![more],
            vec![email("over-mail")],
            Some("over-key"),
        );
        match store.append(refused).await {
            Err(StoreError::BalanceOutOfRange) => {}
            other => panic!("a balance past the largest amount must be refused, got {other:?}"),
        }
    }
    assert_eq!(store.balance(&clearing).await.unwrap(), most);
    assert_eq!(store.balance(&pot).await.unwrap(), most.negated());
    assert!(store.balance(&spare).await.unwrap().is_zero());
    assert_eq!(
        store.entries(&EntryQuery::default()).await.unwrap().len(),
        1
    );
    assert!(store.load(&stream("g1")).await.unwrap().is_empty());
    assert!(store.outbox_message("over-mail").await.unwrap().is_none());
    assert!(!store.has_idempotency_key("over-key").await.unwrap());
}

/// Entries are found by an account they post to and by the time they were posted, the
/// start of a period in it and its end not, at sub-microsecond clock readings; every
/// filter given holds at once.
pub async fn entries_are_found_by_account_and_time(store: Arc<dyn Store>) {
    let base = Utc.timestamp_opt(1_772_355_600, 0).unwrap();
    let other_pot = Account::new("g2", AccountKind::GroupPot, Currency::NGN);
    for i in 0..6i64 {
        let amount = Money::from_minor(100, Currency::NGN).unwrap();
        let pot = if i % 2 == 0 {
            Account::new("g1", AccountKind::GroupPot, Currency::NGN)
        } else {
            other_pot.clone()
        };
        let posted = EntryDraft::new(format!("at{i}"), "timed")
            .reference(format!("ref-at{i}"))
            .debit(
                Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN),
                amount,
            )
            .credit(pot, amount)
            .balance()
            .unwrap();
        let mut request = request(vec![], vec![posted], vec![], None);
        request.at =
            (base + chrono::Duration::seconds(i) + chrono::Duration::nanoseconds(987_654_321))
                .into();
        store.append(request).await.unwrap();
    }
    let keys = |entries: Vec<ajo_core::ledger::JournalEntry>| -> Vec<String> {
        entries.iter().map(|e| e.entry().key().to_owned()).collect()
    };
    let of_g2 = store
        .entries(&EntryQuery::default().account(other_pot.clone()))
        .await
        .unwrap();
    assert_eq!(keys(of_g2), ["at1", "at3", "at5"], "entries by account");
    // [second 2 at its exact posting time, second 4 at its exact posting time)
    let from = base + chrono::Duration::seconds(2) + chrono::Duration::nanoseconds(987_654_000);
    let until = base + chrono::Duration::seconds(4) + chrono::Duration::nanoseconds(987_654_000);
    let window = store
        .entries(&EntryQuery::default().between(from, until))
        .await
        .unwrap();
    assert_eq!(
        keys(window),
        ["at2", "at3"],
        "a period holds its start, not its end"
    );
    let both = store
        .entries(
            &EntryQuery::default()
                .account(other_pot)
                .between(from, until),
        )
        .await
        .unwrap();
    assert_eq!(keys(both), ["at3"], "account and period together");
    let none = store
        .entries(&EntryQuery::default().account(Account::new(
            "g1",
            AccountKind::GroupPot,
            Currency::USD,
        )))
        .await
        .unwrap();
    assert!(
        none.is_empty(),
        "an account is its owner, kind and currency"
    );
}

/// One owner's balances are that owner's rows of [`balances`](ajo_core::ports::Journal::balances),
/// in every currency, in account order; an owner with no accounts has none.
pub async fn balances_are_found_by_owner(store: Arc<dyn Store>) {
    let held = |owner: &str, minor: i128, currency: Currency| {
        let amount = Money::from_minor(minor, currency).unwrap();
        EntryDraft::new(format!("{owner}-{}", currency.code()), "held")
            .debit(
                Account::new("gateway", AccountKind::GatewayClearing, currency),
                amount,
            )
            .credit(Account::new(owner, AccountKind::Suspense, currency), amount)
            .balance()
            .unwrap()
    };
    store
        .append(request(
            vec![append("g1", 0, vec![])],
            vec![
                entry("k", 10),
                held("review", 300, Currency::NGN),
                held("review", 700, Currency::KES),
                held("reviewer", 5, Currency::NGN),
            ],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let owned = store.balances_owned_by("review").await.unwrap();
    let expected: Vec<_> = store
        .balances()
        .await
        .unwrap()
        .into_iter()
        .filter(|(a, _)| a.owner() == "review")
        .collect();
    assert_eq!(owned, expected);
    let minors: Vec<_> = owned
        .iter()
        .map(|(a, m)| (a.currency(), m.minor()))
        .collect();
    assert_eq!(
        minors.len(),
        2,
        "both of review's accounts, and not reviewer's: {minors:?}"
    );
    assert!(minors.contains(&(Currency::NGN, -300)) && minors.contains(&(Currency::KES, -700)));
    assert!(store.balances_owned_by("nobody").await.unwrap().is_empty());
}
