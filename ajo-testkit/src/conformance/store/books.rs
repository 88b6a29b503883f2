//! Books: each entry chained in its own book, balances one number across books,
//! concurrent appends to different books, and checkpoints recorded in order.

use std::sync::Arc;

use ajo_core::ledger::{
    Account, AccountKind, BalancedEntry, Book, Checkpoint, verify_books, verify_chain,
    verify_checkpoints,
};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{EntryQuery, Store, StoreError};
use chrono::Duration;

use super::{append, at, entry, request};

/// Appends one event to `group`'s stream at `version`, posting `posted`, in the group's
/// book.
async fn post(store: &Arc<dyn Store>, group: &str, version: u64, posted: BalancedEntry) {
    store
        .append(request(
            vec![append(group, version, vec![super::event(1)])],
            vec![posted],
            vec![],
            None,
        ))
        .await
        .unwrap();
}

fn clearing() -> Account {
    Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN)
}

/// Entries go to the book of the stream that posts them, each book chained from 1; an
/// account posted to from several books has one balance, the sum.
pub async fn entries_chain_in_their_books(store: Arc<dyn Store>) {
    for (group, key, naira) in [
        ("g1", "a", 10),
        ("g2", "b", 20),
        ("g1", "c", 30),
        ("g2", "d", 40),
        ("g1", "e", 50),
    ] {
        let version = store
            .entries(&EntryQuery::default().book(Book::new(format!("g:{group}"))))
            .await
            .unwrap()
            .len() as u64;
        post(&store, group, version, entry(key, naira)).await;
    }
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    // In id order, which is each book's order; across books ids need not follow the
    // order of writing (a distributed database hands them out per node).
    let mut placed: Vec<(&str, u64, &str)> = entries
        .iter()
        .map(|e| (e.book().as_str(), e.seq(), e.entry().key()))
        .collect();
    placed.sort();
    assert_eq!(
        placed,
        vec![
            ("g:g1", 1, "a"),
            ("g:g1", 2, "c"),
            ("g:g1", 3, "e"),
            ("g:g2", 1, "b"),
            ("g:g2", 2, "d"),
        ],
        "each entry in its stream's book, numbered within it in the order written"
    );
    verify_chain(&entries).unwrap();
    let heads = store.heads().await.unwrap();
    assert_eq!(
        heads,
        verify_books(&entries).unwrap(),
        "heads are the chains' ends"
    );
    let g2 = store
        .entries(&EntryQuery::default().book(Book::new("g:g2")))
        .await
        .unwrap();
    assert_eq!(g2.len(), 2, "entries are found by book");

    assert_eq!(
        store.balance(&clearing()).await.unwrap(),
        Money::from_minor(15_000, Currency::NGN).unwrap(),
        "one balance across books"
    );
    let balances = store.balances().await.unwrap();
    assert_eq!(
        balances.iter().filter(|(a, _)| *a == clearing()).count(),
        1,
        "an account is listed once, however many books post to it"
    );

    // A key is unique within its book: the same key and content in g1's book is a
    // replay, and in another book it is that book's own entry.
    post(&store, "g1", 3, entry("a", 10)).await;
    assert_eq!(
        store.entries(&EntryQuery::default()).await.unwrap().len(),
        5
    );
    post(&store, "g3", 0, entry("a", 10)).await;
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.entry().key() == "a")
            .map(|e| e.book().as_str())
            .collect::<Vec<_>>()
            .len(),
        2,
        "key a in g1's book and in g3's"
    );
    assert!(entries.iter().any(|e| e.book().as_str() == "g:g3"));
    verify_chain(&entries).unwrap();

    // An outbox message id is written once, whatever book the append is in.
    for (group, version) in [("g1", 4), ("g2", 2)] {
        store
            .append(request(
                vec![append(group, version, vec![super::event(1)])],
                vec![],
                vec![super::email("once")],
                None,
            ))
            .await
            .unwrap();
    }
    let claimed = store
        .claim_outbox(
            "w",
            super::at() + Duration::days(1),
            std::time::Duration::from_secs(60),
            10,
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "one message for one id");
}

/// An entry can reverse only an entry of its own book.
pub async fn a_reversal_stays_in_its_book(store: Arc<dyn Store>) {
    post(&store, "g1", 0, entry("a", 10)).await;
    let original = store.entries(&EntryQuery::default()).await.unwrap()[0].clone();
    let reversal = |key: &str| original.reversal(key, "reversal");
    let elsewhere = store
        .append(request(
            vec![append("g2", 0, vec![super::event(1)])],
            vec![reversal("r2")],
            vec![],
            None,
        ))
        .await;
    assert!(
        elsewhere.is_err(),
        "reversed from another book: {elsewhere:?}"
    );
    assert_eq!(
        store.entries(&EntryQuery::default()).await.unwrap().len(),
        1
    );
    store
        .append(request(
            vec![append("g1", 1, vec![super::event(1)])],
            vec![reversal("r1")],
            vec![],
            None,
        ))
        .await
        .unwrap();
    assert_eq!(
        store.balance(&clearing()).await.unwrap(),
        Money::zero(Currency::NGN)
    );
}

/// Appends to different books from many tasks at once all land, each book's chain
/// unbroken.
pub async fn concurrent_books_keep_their_chains(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for task in 0..8u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let group = format!("c{task}");
            for n in 0..5u64 {
                store
                    .append(request(
                        vec![append(&group, n, vec![super::event(1)])],
                        vec![entry(&format!("k{n}"), 1)],
                        vec![],
                        None,
                    ))
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), 40);
    let heads = verify_books(&entries).unwrap();
    assert_eq!(heads.len(), 8);
    assert!(heads.iter().all(|h| h.seq == 5));
    assert_eq!(store.heads().await.unwrap(), heads);
    assert_eq!(
        store.balance(&clearing()).await.unwrap(),
        Money::from_minor(4_000, Currency::NGN).unwrap()
    );
}

/// Checkpoints are recorded only in order, chained, and read back as recorded.
pub async fn checkpoints_are_recorded_in_order(store: Arc<dyn Store>) {
    assert_eq!(store.last_checkpoint().await.unwrap(), None);
    post(&store, "g1", 0, entry("a", 10)).await;
    let first = Checkpoint::next(None, at(), store.heads().await.unwrap()).unwrap();
    store.record_checkpoint(&first).await.unwrap();
    assert_eq!(
        store.record_checkpoint(&first).await,
        Err(StoreError::CheckpointConflict { number: 1 }),
        "a checkpoint is recorded once"
    );
    // Not chained to the first: refused.
    let stray = Checkpoint::next(None, at(), vec![]).unwrap();
    let stray = Checkpoint::from_stored(
        2,
        stray.at(),
        vec![],
        stray.prev(),
        stray.root(),
        stray.hash(),
    );
    assert_eq!(
        store.record_checkpoint(&stray).await,
        Err(StoreError::CheckpointConflict { number: 2 })
    );
    // A gap: refused.
    let second = Checkpoint::next(Some(&first), at() + Duration::hours(1), vec![]).unwrap();
    let third = Checkpoint::next(Some(&second), at() + Duration::hours(2), vec![]).unwrap();
    assert_eq!(
        store.record_checkpoint(&third).await,
        Err(StoreError::CheckpointConflict { number: 3 })
    );
    store.record_checkpoint(&second).await.unwrap();
    store.record_checkpoint(&third).await.unwrap();
    let all = store.checkpoints(0, 10).await.unwrap();
    assert_eq!(all, vec![first.clone(), second.clone(), third.clone()]);
    assert_eq!(store.checkpoints(1, 1).await.unwrap(), vec![second]);
    assert_eq!(store.last_checkpoint().await.unwrap(), Some(third));
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    let summary = verify_checkpoints(&all, &entries).unwrap();
    assert_eq!(summary.checkpoints, 3);
    assert_eq!(summary.heads, 1);
}
