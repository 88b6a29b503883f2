//! Assertions on a store's books, for the end of a test.

use ajo_core::ledger::verify_chain;
use ajo_core::ports::{EntryQuery, Store};

/// Asserts the books balance: every account's balance sums to zero (the trial balance)
/// and the journal's hash chain verifies.
///
/// # Panics
/// If the store cannot be read, the trial balance is not zero, or the chain is broken;
/// it is a test assertion.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = ajo_testkit::InMemoryStore::new();
/// ajo_testkit::assert_books_balance(&store).await;
/// # });
/// ```
#[allow(clippy::expect_used, clippy::panic)] // a test assertion
pub async fn assert_books_balance(store: &dyn Store) {
    let balances = store.balances().await.expect("the store's balances");
    let total: i128 = balances.iter().map(|(_, money)| money.minor()).sum();
    assert_eq!(total, 0, "the trial balance is zero");
    let entries = store
        .entries(&EntryQuery::default())
        .await
        .expect("the store's journal");
    if let Err(broken) = verify_chain(&entries) {
        panic!("the journal's hash chain is broken: {broken:?}");
    }
}
