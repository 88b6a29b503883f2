//! The ledger as a store keeps it: [`Journal`], the read side of posted entries.

use std::fmt;

use async_trait::async_trait;

use super::error::StoreError;
use crate::ledger::{Account, Book, BookHead, Checkpoint, JournalEntry};
use crate::money::Money;
use crate::time::Timestamp;

/// Which entries to read: every filter given must hold (`None` leaves it out).
///
/// ```
/// use ajo_core::ledger::{Account, AccountKind};
/// use ajo_core::money::Currency;
/// use ajo_core::ports::EntryQuery;
/// use chrono::{TimeZone, Utc};
///
/// // What moved on the review account during January 2026.
/// let review = Account::new("review", AccountKind::Suspense, Currency::NGN);
/// let january = EntryQuery::default()
///     .account(review)
///     .between(
///         Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
///         Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
///     );
/// assert!(january.from.is_some() && january.until.is_some());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryQuery {
    /// Only entries carrying this outside reference.
    pub reference: Option<String>,
    /// Only entries after this id.
    pub after: Option<u64>,
    /// At most this many (`None`: all).
    pub limit: Option<usize>,
    /// Only entries with a posting to this account.
    pub account: Option<Account>,
    /// Only entries posted at or after this time.
    pub from: Option<Timestamp>,
    /// Only entries posted before this time (the end of a period is not in it).
    pub until: Option<Timestamp>,
    /// Only entries of this book.
    pub book: Option<Book>,
}

impl EntryQuery {
    /// Only entries with a posting to `account`.
    #[must_use]
    pub fn account(mut self, account: Account) -> EntryQuery {
        self.account = Some(account);
        self
    }

    /// Only entries posted in `[from, until)`.
    #[must_use]
    pub fn between(
        mut self,
        from: impl Into<Timestamp>,
        until: impl Into<Timestamp>,
    ) -> EntryQuery {
        self.from = Some(from.into());
        self.until = Some(until.into());
        self
    }

    /// Only entries of `book`.
    #[must_use]
    pub fn book(mut self, book: Book) -> EntryQuery {
        self.book = Some(book);
        self
    }

    /// Only entries carrying `reference`.
    #[must_use]
    pub fn reference(mut self, reference: impl Into<String>) -> EntryQuery {
        self.reference = Some(reference.into());
        self
    }

    /// Whether `entry` passes the filters other than `after` and `limit` (which are about
    /// position): what a store without an index on them checks entry by entry.
    pub fn matches(&self, entry: &JournalEntry) -> bool {
        let posted = entry.posted_at();
        self.reference
            .as_deref()
            .is_none_or(|r| entry.entry().reference() == Some(r))
            && self
                .account
                .as_ref()
                .is_none_or(|a| entry.entry().postings().iter().any(|p| &p.account == a))
            && self.book.as_ref().is_none_or(|b| entry.book() == b)
            && self.from.is_none_or(|from| posted >= from)
            && self.until.is_none_or(|until| posted < until)
    }
}

/// The journal and its balances: what the ledger entries appended with events add up to.
///
/// Entries are written only by [`Store::append`](super::Store::append), with the events
/// that post them; this is the read side.
///
/// # Contract for implementers
///
/// - One journal of books: each entry's id is unique in the journal; in each book,
///   positions run from 1 without gaps and each entry is chained to the book's one
///   before with the hash of [`ledger`](crate::ledger), so
///   [`entries`](Self::entries) passes [`verify_chain`](crate::ledger::verify_chain).
///   Entries are read in id order; ids may skip numbers and need not follow the order
///   of writing across books (a distributed database hands them out per node).
/// - An account's balance is one number, however many books post to it (a store may
///   keep it in parts, one per book, and add them up when asked).
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

    /// The balances of `owner`'s accounts, in account order. The default filters
    /// [`balances`](Self::balances); a store that can find one owner's accounts without
    /// reading every balance should. [`tick`](crate::service::AjoService::tick) reads the
    /// review accounts' this way for
    /// [`telemetry::MONEY_HELD`](crate::telemetry::MONEY_HELD).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn balances_owned_by(&self, owner: &str) -> Result<Vec<(Account, Money)>, StoreError> {
        let mut owned: Vec<_> = self
            .balances()
            .await?
            .into_iter()
            .filter(|(account, _)| account.owner() == owner)
            .collect();
        owned.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(owned)
    }

    /// Journal entries, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn entries(&self, query: &EntryQuery) -> Result<Vec<JournalEntry>, StoreError>;

    /// Where each book's chain ends, in book order (books without entries left out).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn heads(&self) -> Result<Vec<BookHead>, StoreError>;

    /// Recorded checkpoints numbered after `after`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn checkpoints(&self, after: u64, limit: usize) -> Result<Vec<Checkpoint>, StoreError>;

    /// The latest recorded checkpoint, if any.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError>;
}
