//! The ledger as a store keeps it: [`Journal`], the read side of posted entries.

use std::fmt;

use async_trait::async_trait;

use super::error::StoreError;
use crate::ledger::{Account, JournalEntry};
use crate::money::Money;

/// Which entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryQuery {
    /// Only entries carrying this outside reference.
    pub reference: Option<String>,
    /// Only entries after this id.
    pub after: Option<u64>,
    /// At most this many (`None`: all).
    pub limit: Option<usize>,
}

/// The journal and its balances: what the ledger entries appended with events add up to.
///
/// Entries are written only by [`Store::append`](super::Store::append), with the events
/// that post them; this is the read side.
///
/// # Contract for implementers
///
/// - One journal, ids from 1 without gaps, each entry chained to the one before with the
///   hash of [`ledger`](crate::ledger), so [`entries`](Self::entries) passes
///   [`verify_chain`](crate::ledger::verify_chain).
/// - Nothing here is "not found": an account never posted to has a zero balance, and a
///   query that matches nothing is an empty list.
/// - Reads change nothing and may be repeated freely. A backing service that fails is
///   [`StoreError::Unavailable`]; stored data that cannot be decoded is
///   [`StoreError::Corrupt`].
#[async_trait]
pub trait Journal: Send + Sync + fmt::Debug + 'static {
    /// An account's balance, debits minus credits (zero if never posted to).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn balance(&self, account: &Account) -> Result<Money, StoreError>;

    /// Every account with its balance, for a trial balance.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn balances(&self) -> Result<Vec<(Account, Money)>, StoreError>;

    /// Journal entries, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError>;
}
