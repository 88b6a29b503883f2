//! A double-entry ledger: every movement of money is a balanced journal entry.
//!
//! # When to use what
//!
//! - Describe a movement with an [`EntryDraft`] (debits and credits on [`Account`]s) and
//!   check it with [`EntryDraft::balance`]. Domain decisions return [`BalancedEntry`]s
//!   without touching any ledger, so a decision can be tested on its own.
//! - Record entries with [`Ledger::post`]. Posting is idempotent by key: a retry of the
//!   same entry returns the original; the same key with other content is refused.
//! - Correct a mistake with [`Ledger::reverse`]; entries are never edited.
//! - Ask [`Ledger::balance`] and [`Ledger::trial_balance`] what the books say,
//!   [`verify_chain`] whether stored entries were altered, and [`reconcile`] whether a
//!   gateway's statement agrees.
//! - Check books read back from a store with [`audit`]: the chain, the trial balance, and
//!   every stored balance against the sum of its postings (which finds money moved
//!   between two balances behind the journal's back, though the trial balance still
//!   sums to zero).
//!
//! Balances are signed debit-minus-credit: an account that normally carries a credit
//! balance (a member's wallet, the pot) shows a negative number. Use
//! [`AccountKind::normal_side`] to present them.
//!
//! ```
//! use ajo_core::ledger::{Account, AccountKind, EntryDraft, Ledger};
//! use ajo_core::money::{Currency, Money};
//! use chrono::{TimeZone, Utc};
//!
//! let clearing = Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN);
//! let pot = Account::new("group-1", AccountKind::GroupPot, Currency::NGN);
//! let amount = Money::parse("5000", Currency::NGN)?;
//! let entry = EntryDraft::new("contribution:group-1:1:ada", "ada pays round 1")
//!     .debit(clearing.clone(), amount)
//!     .credit(pot.clone(), amount)
//!     .balance()?;
//!
//! let mut ledger = Ledger::new();
//! let at = Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap();
//! let first = ledger.post(entry.clone(), at)?;
//! let retry = ledger.post(entry, at)?; // a duplicate webhook, say
//! assert_eq!(first.id, retry.id);
//! assert!(retry.replayed);
//! assert_eq!(ledger.balance(&pot), amount.negated());
//! assert!(ledger.trial_balance().is_zero());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod account;
mod audit;
mod book;
mod chain;
mod checkpoint;
mod entry;
mod error;
mod reconcile;

use std::collections::{BTreeMap, HashMap};

pub use account::{Account, AccountKind, Side};
pub use audit::{AuditSummary, audit};
pub use book::{Book, BookHead};
pub use chain::{verify_books, verify_chain};
pub use checkpoint::{Checkpoint, CheckpointSummary, verify_checkpoints};
pub use entry::{
    BalancedEntry, EntryDraft, EntryHash, EntryId, JournalEntry, MAX_KEY_LEN, Posting,
};
pub use error::{AuditFault, ChainError, LedgerError};
pub use reconcile::{AmountMismatch, ReconciliationReport, StatementLine, reconcile};

use crate::money::{Currency, MAX_MINOR, Money};
use crate::time::Timestamp;

/// What [`Ledger::post`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    /// The entry that holds the key: the new one, or the original on a replay.
    pub id: EntryId,
    /// `true` when the key had been posted before with the same content and nothing new
    /// was recorded.
    pub replayed: bool,
}

/// An in-memory journal with running balances.
///
/// The store adapters keep the same rules in their databases; this type is the reference
/// implementation and what pure code and tests use.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    entries: Vec<JournalEntry>,
    /// Keys are unique within a book: a replay is found in the book it is posted to.
    by_key: HashMap<(Book, String), EntryId>,
    reversed_by: HashMap<EntryId, EntryId>,
    balances: HashMap<Account, i128>,
    heads: BTreeMap<Book, (u64, EntryHash)>,
    /// Where each entry is in `entries`: ids read back from a store may skip numbers.
    by_id: HashMap<EntryId, usize>,
    /// The highest id recorded.
    last_id: u64,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Rebuilds a ledger from entries read back from storage, checking the chain first.
    ///
    /// # Errors
    /// [`ChainError`] for the first entry that is out of sequence, invalid or altered.
    pub fn from_entries(entries: Vec<JournalEntry>) -> Result<Ledger, ChainError> {
        verify_chain(&entries)?;
        let mut ledger = Ledger::new();
        for entry in entries {
            let id = entry.id;
            ledger
                .apply_balances(&entry.entry)
                .map_err(|source| ChainError::Invalid {
                    id,
                    book: entry.book.clone(),
                    source: Box::new(source),
                })?;
            ledger.index(&entry);
            ledger
                .heads
                .insert(entry.book.clone(), (entry.seq, entry.hash));
            ledger.by_id.insert(entry.id, ledger.entries.len());
            ledger.last_id = ledger.last_id.max(entry.id.0);
            ledger.entries.push(entry);
        }
        Ok(ledger)
    }

    /// Records a balanced entry at time `at`, cut to whole microseconds ([`Timestamp`]).
    ///
    /// If an entry with the same key exists and has the same content (memo, reference,
    /// postings), nothing is recorded and the original is returned with `replayed` set:
    /// retries and duplicate webhooks post once. `at` is not part of the content, since
    /// a retry arrives later.
    ///
    /// # Errors
    /// - [`LedgerError::IdempotencyConflict`] when the key holds a different entry.
    /// - [`LedgerError::UnknownEntry`] or [`LedgerError::AlreadyReversed`] for a reversal
    ///   of an entry that is missing or already reversed.
    /// - [`LedgerError::Money`] if a balance would leave the representable range.
    ///
    /// On any error the ledger is unchanged.
    pub fn post(
        &mut self,
        entry: BalancedEntry,
        at: impl Into<Timestamp>,
    ) -> Result<Posted, LedgerError> {
        self.post_in(&Book::journal(), entry, at)
    }

    /// [`Ledger::post`] into `book`: the entry is chained after the book's last entry,
    /// its key is a replay only of an entry of that book, and it can reverse only an
    /// entry of that book. Ids stay unique across books.
    ///
    /// # Errors
    /// As [`Ledger::post`]; reversing an entry of another book is
    /// [`LedgerError::UnknownEntry`].
    pub fn post_in(
        &mut self,
        book: &Book,
        entry: BalancedEntry,
        at: impl Into<Timestamp>,
    ) -> Result<Posted, LedgerError> {
        let at = at.into();
        if let Some(existing) = self.replay_of(book, &entry)? {
            return Ok(Posted {
                id: existing,
                replayed: true,
            });
        }
        if let Some(original) = entry.reverses() {
            self.check_reversible(book, original)?;
        }
        self.apply_balances(&entry)?;
        // One past the highest id: a journal read back may have skipped numbers.
        let id = EntryId(self.last_id + 1);
        let (seq, prev_hash) = self.heads.get(book).copied().unwrap_or_default();
        let recorded = JournalEntry::seal_in(book.clone(), seq + 1, id, prev_hash, at, entry);
        self.heads
            .insert(book.clone(), (recorded.seq, recorded.hash));
        self.index(&recorded);
        self.by_id.insert(id, self.entries.len());
        self.last_id = self.last_id.max(id.0);
        self.entries.push(recorded);
        Ok(Posted {
            id,
            replayed: false,
        })
    }

    /// Posts several entries as one unit: either every entry is recorded (or recognised
    /// as a replay of an earlier one with the same key and content), or none is and the
    /// ledger is unchanged. Stores use this to keep an append atomic.
    ///
    /// # Errors
    /// As [`Ledger::post`], for the first entry that cannot be posted; also
    /// [`LedgerError::IdempotencyConflict`] when two entries of the batch share a key with
    /// different content.
    pub fn post_all(
        &mut self,
        entries: Vec<BalancedEntry>,
        at: impl Into<Timestamp>,
    ) -> Result<Vec<Posted>, LedgerError> {
        self.post_all_in(&Book::journal(), entries, at)
    }

    /// [`Ledger::post_all`] into `book` (see [`Ledger::post_in`]).
    ///
    /// # Errors
    /// As [`Ledger::post_all`] and [`Ledger::post_in`].
    pub fn post_all_in(
        &mut self,
        book: &Book,
        entries: Vec<BalancedEntry>,
        at: impl Into<Timestamp>,
    ) -> Result<Vec<Posted>, LedgerError> {
        let placed = entries.into_iter().map(|e| (book.clone(), e)).collect();
        self.post_all_placed(placed, at)
    }

    /// [`Ledger::post_all`] with each entry in its own book (see [`Ledger::post_in`]):
    /// what a store does with an append whose entries fall in several books.
    ///
    /// # Errors
    /// As [`Ledger::post_all`] and [`Ledger::post_in`].
    pub fn post_all_placed(
        &mut self,
        entries: Vec<(Book, BalancedEntry)>,
        at: impl Into<Timestamp>,
    ) -> Result<Vec<Posted>, LedgerError> {
        let at = at.into();
        // Check everything against a scratch copy of what the batch touches, then commit.
        let mut staged: HashMap<(&Book, &str), &BalancedEntry> = HashMap::new();
        let mut touched: HashMap<Account, i128> = HashMap::new();
        let mut reversed_now: HashMap<EntryId, ()> = HashMap::new();
        for (book, entry) in &entries {
            if self.replay_of(book, entry)?.is_some() {
                continue;
            }
            if let Some(earlier) = staged.get(&(book, entry.key())) {
                if *earlier != entry {
                    return Err(LedgerError::IdempotencyConflict {
                        key: entry.key().to_owned(),
                        existing: EntryId(0),
                    });
                }
                continue;
            }
            if let Some(original) = entry.reverses() {
                self.check_reversible(book, original)?;
                if reversed_now.insert(original, ()).is_some() {
                    return Err(LedgerError::AlreadyReversed {
                        original,
                        by: EntryId(0),
                    });
                }
            }
            self.stage_balances(entry, &mut touched)?;
            staged.insert((book, entry.key()), entry);
        }
        let mut posted = Vec::with_capacity(entries.len());
        for (book, entry) in entries {
            posted.push(self.post_in(&book, entry, at)?);
        }
        Ok(posted)
    }

    /// Posts the reversal of entry `original`: the same postings on opposite sides, with
    /// the original's reference, keyed `key`. Idempotent by `key` like [`Ledger::post`].
    ///
    /// # Errors
    /// [`LedgerError::UnknownEntry`], [`LedgerError::AlreadyReversed`],
    /// [`LedgerError::InvalidKey`], or as [`Ledger::post`].
    pub fn reverse(
        &mut self,
        original: EntryId,
        key: impl Into<String>,
        memo: impl Into<String>,
        at: impl Into<Timestamp>,
    ) -> Result<Posted, LedgerError> {
        let source = self
            .entry(original)
            .ok_or(LedgerError::UnknownEntry(original))?;
        let book = source.book.clone();
        let reversal = source.entry.reversal(original, key.into(), memo.into());
        reversal.revalidate()?;
        self.post_in(&book, reversal, at)
    }

    /// The entry with this id.
    pub fn entry(&self, id: EntryId) -> Option<&JournalEntry> {
        self.by_id.get(&id).and_then(|i| self.entries.get(*i))
    }

    /// The entry of the journal before books ([`Book::journal`]) that holds an
    /// idempotency key.
    pub fn entry_by_key(&self, key: &str) -> Option<&JournalEntry> {
        self.entry_by_key_in(&Book::journal(), key)
    }

    /// The entry of `book` that holds an idempotency key.
    pub fn entry_by_key_in(&self, book: &Book, key: &str) -> Option<&JournalEntry> {
        self.by_key
            .get(&(book.clone(), key.to_owned()))
            .and_then(|id| self.entry(*id))
    }

    /// Where each book's chain ends, in book order.
    pub fn heads(&self) -> Vec<BookHead> {
        self.heads
            .iter()
            .map(|(book, (seq, hash))| BookHead::new(book.clone(), *seq, *hash))
            .collect()
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[JournalEntry] {
        &self.entries
    }

    /// The reversal of an entry, if it has one.
    pub fn reversed_by(&self, id: EntryId) -> Option<EntryId> {
        self.reversed_by.get(&id).copied()
    }

    /// An account's balance, debits minus credits (zero for an account never posted to).
    pub fn balance(&self, account: &Account) -> Money {
        let minor = self.balances.get(account).copied().unwrap_or(0);
        // Every stored balance passed `from_minor` when it was applied.
        Money::from_minor(minor, account.currency()).unwrap_or(Money::zero(account.currency()))
    }

    /// Every account's balance, and the total per currency, which is zero in a sound
    /// ledger.
    pub fn trial_balance(&self) -> TrialBalance {
        let mut rows = BTreeMap::new();
        let mut totals: BTreeMap<Currency, i128> = BTreeMap::new();
        for (account, minor) in &self.balances {
            rows.insert(account.clone(), self.balance(account));
            let total = totals.entry(account.currency()).or_insert(0);
            // Each total is a sum of balanced entries' postings: it never leaves the range
            // of one balance, so saturation can only show up as a non-zero total.
            *total = total.saturating_add(*minor);
        }
        TrialBalance { rows, totals }
    }

    /// Checks this ledger's own hash chain; see [`verify_chain`].
    ///
    /// # Errors
    /// The first broken entry.
    pub fn verify_chain(&self) -> Result<(), ChainError> {
        verify_chain(&self.entries)
    }

    /// The net movement on gateway-clearing accounts of every entry that carries a
    /// reference, by reference and currency: the ledger's side of a reconciliation.
    /// Money into the gateway is positive, money out negative; see
    /// [`clearing_movements`].
    pub fn clearing_movements(&self) -> Vec<StatementLine> {
        clearing_movements(self.entries.iter())
    }

    fn replay_of(
        &self,
        book: &Book,
        entry: &BalancedEntry,
    ) -> Result<Option<EntryId>, LedgerError> {
        // In its book, or in the journal from before books: an entry posted before a
        // store moved to books and sent again after is a replay.
        let Some(existing) = self
            .by_key
            .get(&(book.clone(), entry.key().to_owned()))
            .or_else(|| self.by_key.get(&(Book::journal(), entry.key().to_owned())))
            .copied()
        else {
            return Ok(None);
        };
        match self.entry(existing) {
            Some(recorded) if recorded.entry == *entry => Ok(Some(existing)),
            _ => Err(LedgerError::IdempotencyConflict {
                key: entry.key().to_owned(),
                existing,
            }),
        }
    }

    fn check_reversible(&self, book: &Book, original: EntryId) -> Result<(), LedgerError> {
        if self
            .entry(original)
            .is_none_or(|e| &e.book != book && e.book != Book::journal())
        {
            return Err(LedgerError::UnknownEntry(original));
        }
        match self.reversed_by(original) {
            Some(by) => Err(LedgerError::AlreadyReversed { original, by }),
            None => Ok(()),
        }
    }

    /// Applies an entry's postings to the running balances, all or nothing.
    fn apply_balances(&mut self, entry: &BalancedEntry) -> Result<(), LedgerError> {
        let mut next = HashMap::with_capacity(entry.postings().len());
        self.stage_balances(entry, &mut next)?;
        self.balances.extend(next);
        Ok(())
    }

    /// Works out the balances an entry leaves, on top of those already `staged` (or the
    /// recorded ones), refusing any that would leave the representable range.
    fn stage_balances(
        &self,
        entry: &BalancedEntry,
        staged: &mut HashMap<Account, i128>,
    ) -> Result<(), LedgerError> {
        for posting in entry.postings() {
            let current = match staged.get(&posting.account) {
                Some(v) => *v,
                None => self.balances.get(&posting.account).copied().unwrap_or(0),
            };
            let delta = match posting.side {
                Side::Debit => posting.amount.minor(),
                Side::Credit => -posting.amount.minor(),
            };
            let updated = current
                .checked_add(delta)
                .filter(|v| v.unsigned_abs() <= MAX_MINOR.unsigned_abs())
                .ok_or(crate::money::MoneyError::Overflow {
                    operation: "balance",
                })?;
            staged.insert(posting.account.clone(), updated);
        }
        Ok(())
    }

    fn index(&mut self, recorded: &JournalEntry) {
        self.by_key.insert(
            (recorded.book.clone(), recorded.entry.key().to_owned()),
            recorded.id,
        );
        if let Some(original) = recorded.entry.reverses() {
            self.reversed_by.insert(original, recorded.id);
        }
    }
}

/// The net movement on gateway-clearing accounts of these entries, by reference and
/// currency: the ledger's side of a [`reconcile`]. Money into the gateway is positive,
/// money out negative; entries without a reference are left out, and so are the
/// provider's fees (entries posting to a [`AccountKind::GatewayFees`] account), since a
/// statement line carries its fee apart from its amount.
pub fn clearing_movements<'a>(
    entries: impl IntoIterator<Item = &'a JournalEntry>,
) -> Vec<StatementLine> {
    let mut net: BTreeMap<(String, Currency), i128> = BTreeMap::new();
    for journal in entries {
        let Some(reference) = journal.entry.reference() else {
            continue;
        };
        let postings = journal.entry.postings();
        if postings
            .iter()
            .any(|p| p.account.kind() == AccountKind::GatewayFees)
        {
            continue;
        }
        for posting in postings {
            if posting.account.kind() != AccountKind::GatewayClearing {
                continue;
            }
            let signed = match posting.side {
                Side::Debit => posting.amount.minor(),
                Side::Credit => -posting.amount.minor(),
            };
            let slot = net
                .entry((reference.to_owned(), posting.amount.currency()))
                .or_insert(0);
            *slot = slot.saturating_add(signed);
        }
    }
    net.into_iter()
        .filter_map(|((reference, currency), minor)| {
            Money::from_minor(minor, currency)
                .ok()
                .map(|amount| StatementLine::new(reference, amount))
        })
        .collect()
}

/// Every account's balance and the total per currency; see [`Ledger::trial_balance`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBalance {
    rows: BTreeMap<Account, Money>,
    totals: BTreeMap<Currency, i128>,
}

impl TrialBalance {
    /// Balances by account, in account order.
    pub fn rows(&self) -> impl Iterator<Item = (&Account, &Money)> {
        self.rows.iter()
    }

    /// The sum of every balance in `currency`, in minor units (zero when sound).
    pub fn total_minor(&self, currency: Currency) -> i128 {
        self.totals.get(&currency).copied().unwrap_or(0)
    }

    /// Whether every currency sums to zero.
    pub fn is_zero(&self) -> bool {
        self.totals.values().all(|t| *t == 0)
    }
}
