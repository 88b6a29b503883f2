use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Account, Book, LedgerError, Side};
use crate::money::{Currency, Money};
use crate::time::Timestamp;

/// The longest idempotency key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 256;

/// A journal entry's position in its ledger, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(pub u64);

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One line of an entry: an amount on one side of one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Posting {
    /// The account moved.
    pub account: Account,
    /// Debit or credit.
    pub side: Side,
    /// How much, above zero, in the account's currency.
    pub amount: Money,
}

/// An entry being put together. Call [`EntryDraft::balance`] to check it.
///
/// ```
/// use ajo_core::ledger::{Account, AccountKind, EntryDraft};
/// use ajo_core::money::{Currency, Money};
///
/// let clearing = Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN);
/// let pot = Account::new("group-1", AccountKind::GroupPot, Currency::NGN);
/// let amount = Money::parse("5000", Currency::NGN)?;
/// let entry = EntryDraft::new("contribution:group-1:1:ada", "ada pays round 1")
///     .debit(clearing, amount)
///     .credit(pot, amount)
///     .balance()?;
/// assert_eq!(entry.postings().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct EntryDraft {
    content: EntryContent,
}

/// The part of an entry that its idempotency key stands for: everything but where and
/// when it was posted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct EntryContent {
    key: String,
    memo: String,
    reference: Option<String>,
    reverses: Option<EntryId>,
    postings: Vec<Posting>,
}

impl EntryDraft {
    /// A draft with its idempotency key and a memo for people.
    pub fn new(key: impl Into<String>, memo: impl Into<String>) -> EntryDraft {
        EntryDraft {
            content: EntryContent {
                key: key.into(),
                memo: memo.into(),
                reference: None,
                reverses: None,
                postings: Vec::new(),
            },
        }
    }

    /// The outside reference (a gateway's transaction reference) used to reconcile.
    pub fn reference(mut self, reference: impl Into<String>) -> EntryDraft {
        self.content.reference = Some(reference.into());
        self
    }

    /// Adds a debit.
    pub fn debit(self, account: Account, amount: Money) -> EntryDraft {
        self.posting(account, Side::Debit, amount)
    }

    /// Adds a credit.
    pub fn credit(self, account: Account, amount: Money) -> EntryDraft {
        self.posting(account, Side::Credit, amount)
    }

    /// Adds a posting on either side.
    pub fn posting(mut self, account: Account, side: Side, amount: Money) -> EntryDraft {
        self.content.postings.push(Posting {
            account,
            side,
            amount,
        });
        self
    }

    pub(super) fn reversing(mut self, original: EntryId) -> EntryDraft {
        self.content.reverses = Some(original);
        self
    }

    /// Checks the draft and returns it as an entry that can be posted.
    ///
    /// # Errors
    /// - [`LedgerError::InvalidKey`] for an empty or over-long key.
    /// - [`LedgerError::TooFewPostings`] below two postings.
    /// - [`LedgerError::NonPositiveAmount`] for a zero or negative amount.
    /// - [`LedgerError::CurrencyMismatch`] when an amount is not in its account's currency.
    /// - [`LedgerError::Unbalanced`] when debits and credits differ in any currency.
    /// - [`LedgerError::Money`] if the totals overflow.
    pub fn balance(self) -> Result<BalancedEntry, LedgerError> {
        let content = self.content;
        if content.key.is_empty() || content.key.len() > MAX_KEY_LEN {
            return Err(LedgerError::InvalidKey {
                len: content.key.len(),
            });
        }
        if content.postings.len() < 2 {
            return Err(LedgerError::TooFewPostings {
                count: content.postings.len(),
            });
        }
        let mut totals: BTreeMap<Currency, (Money, Money)> = BTreeMap::new();
        for (index, posting) in content.postings.iter().enumerate() {
            if !posting.amount.is_positive() {
                return Err(LedgerError::NonPositiveAmount { index });
            }
            let currency = posting.account.currency();
            if posting.amount.currency() != currency {
                return Err(LedgerError::CurrencyMismatch {
                    index,
                    account: currency,
                    amount: posting.amount.currency(),
                });
            }
            let zero = Money::zero(currency);
            let (debits, credits) = totals.entry(currency).or_insert((zero, zero));
            match posting.side {
                Side::Debit => *debits = debits.checked_add(posting.amount)?,
                Side::Credit => *credits = credits.checked_add(posting.amount)?,
            }
        }
        if let Some((currency, (debits, credits))) = totals.into_iter().find(|(_, (d, c))| d != c) {
            return Err(LedgerError::Unbalanced {
                currency,
                debits,
                credits,
            });
        }
        Ok(BalancedEntry { content })
    }
}

/// An entry whose debits equal its credits in every currency: the only kind a ledger
/// takes. Obtained from [`EntryDraft::balance`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BalancedEntry {
    content: EntryContent,
}

impl BalancedEntry {
    /// The idempotency key.
    pub fn key(&self) -> &str {
        &self.content.key
    }

    /// The memo.
    pub fn memo(&self) -> &str {
        &self.content.memo
    }

    /// The outside reference, if any.
    pub fn reference(&self) -> Option<&str> {
        self.content.reference.as_deref()
    }

    /// The entry this one reverses, if it is a reversal.
    pub fn reverses(&self) -> Option<EntryId> {
        self.content.reverses
    }

    /// The postings, in the order given.
    pub fn postings(&self) -> &[Posting] {
        &self.content.postings
    }

    /// Checks again that the entry is balanced (used on entries read back from storage,
    /// whose content may have been altered).
    ///
    /// # Errors
    /// As [`EntryDraft::balance`].
    pub fn revalidate(&self) -> Result<(), LedgerError> {
        EntryDraft {
            content: self.content.clone(),
        }
        .balance()
        .map(|_| ())
    }

    /// The same movements on the opposite sides, keyed `key`, naming `original`.
    pub(super) fn reversal(&self, original: EntryId, key: String, memo: String) -> BalancedEntry {
        let mut draft = EntryDraft::new(key, memo).reversing(original);
        draft.content.reference = self.content.reference.clone();
        draft.content.postings = self
            .content
            .postings
            .iter()
            .map(|p| Posting {
                side: p.side.opposite(),
                ..p.clone()
            })
            .collect();
        BalancedEntry {
            content: draft.content,
        }
    }
}

/// The SHA-256 that seals an entry to its content and to the entry before it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EntryHash(pub [u8; 32]);

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryHash({self})")
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Serialize for EntryHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for EntryHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(text.as_bytes(), &mut out).map_err(serde::de::Error::custom)?;
        Ok(EntryHash(out))
    }
}

/// An entry as recorded: its content, its place, when it was posted and its seal.
/// Immutable once posted; a mistake is corrected by a reversing entry.
///
/// Its place is twofold: an id unique in the whole journal (what a reversal names), and
/// its book with its position there, from 1, which is what the book's hash chain covers
/// (see [`Book`]). In the journal before books the two are the same number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredEntry")]
pub struct JournalEntry {
    pub(super) id: EntryId,
    pub(super) book: Book,
    pub(super) seq: u64,
    pub(super) posted_at: Timestamp,
    pub(super) entry: BalancedEntry,
    pub(super) prev_hash: EntryHash,
    pub(super) hash: EntryHash,
}

/// A journal entry as serialized before it had a book: the book is the journal's and the
/// position its id.
#[derive(Deserialize)]
struct StoredEntry {
    id: EntryId,
    #[serde(default)]
    book: Book,
    seq: Option<u64>,
    posted_at: Timestamp,
    entry: BalancedEntry,
    prev_hash: EntryHash,
    hash: EntryHash,
}

impl From<StoredEntry> for JournalEntry {
    fn from(stored: StoredEntry) -> JournalEntry {
        JournalEntry {
            id: stored.id,
            book: stored.book,
            seq: stored.seq.unwrap_or(stored.id.0),
            posted_at: stored.posted_at,
            entry: stored.entry,
            prev_hash: stored.prev_hash,
            hash: stored.hash,
        }
    }
}

impl JournalEntry {
    /// Seals `entry` as journal entry `id` of the journal before books (its position is
    /// its id), posted at `posted_at`, after the entry whose hash is `prev_hash` (all
    /// zeros for the first): the hash chain of [`Ledger`](super::Ledger), for stores that
    /// keep the journal themselves. See [`seal_in`](Self::seal_in).
    pub fn seal(
        id: EntryId,
        prev_hash: EntryHash,
        posted_at: impl Into<Timestamp>,
        entry: BalancedEntry,
    ) -> JournalEntry {
        JournalEntry::seal_in(Book::journal(), id.0, id, prev_hash, posted_at, entry)
    }

    /// Seals `entry` as the `seq`-th entry of `book`, with journal-wide id `id`, posted
    /// at `posted_at`, after the book's entry whose hash is `prev_hash` (all zeros for
    /// the first). Positions in a book must run 1, 2, 3... and each `prev_hash` be the
    /// hash of the book's entry before, or [`verify_chain`](super::verify_chain) rejects
    /// the journal. The time is cut to whole microseconds first ([`Timestamp`]), so the
    /// hash covers exactly what any store keeps.
    pub fn seal_in(
        book: Book,
        seq: u64,
        id: EntryId,
        prev_hash: EntryHash,
        posted_at: impl Into<Timestamp>,
        entry: BalancedEntry,
    ) -> JournalEntry {
        let mut sealed = JournalEntry {
            id,
            book,
            seq,
            posted_at: posted_at.into(),
            entry,
            prev_hash,
            hash: EntryHash::default(),
        };
        sealed.hash = super::chain::seal(prev_hash, &sealed);
        sealed
    }

    /// The bytes an entry's hash covers after the previous hash and its position: the
    /// `seq`-th entry of a book, after the entry hashed `prev`, has the hash
    /// `SHA-256(prev ‖ seq as 8 big-endian bytes ‖ chain_body(posted_at, entry))`, as
    /// [`seal_in`](Self::seal_in) computes it. For a store that decides positions and
    /// previous hashes where the book's head is kept (inside a database transaction), so
    /// it can chain entries there without asking the caller;
    /// [`verify_chain`](super::verify_chain) checks the result.
    pub fn chain_body(posted_at: Timestamp, entry: &BalancedEntry) -> Vec<u8> {
        super::chain::body(posted_at, entry)
    }

    /// An entry of the journal before books as read back from storage, hashes as stored
    /// and not checked: run [`verify_chain`](super::verify_chain) over the journal to
    /// check them. [`in_book`](Self::in_book) places it in its book.
    pub fn from_stored(
        id: EntryId,
        posted_at: Timestamp,
        entry: BalancedEntry,
        prev_hash: EntryHash,
        hash: EntryHash,
    ) -> JournalEntry {
        JournalEntry {
            id,
            book: Book::journal(),
            seq: id.0,
            posted_at,
            entry,
            prev_hash,
            hash,
        }
    }

    /// The same entry as the `seq`-th of `book` (as stored; not re-sealed).
    #[must_use]
    pub fn in_book(mut self, book: Book, seq: u64) -> JournalEntry {
        self.book = book;
        self.seq = seq;
        self
    }

    /// The entry that undoes this one: the same postings on the opposite sides, with its
    /// reference, keyed `key` and naming it as the entry it reverses. Post it through the
    /// same book (a stream of the same group or loan): a store refuses a reversal of an
    /// entry of another book, or of one already reversed.
    pub fn reversal(&self, key: impl Into<String>, memo: impl Into<String>) -> BalancedEntry {
        self.entry.reversal(self.id, key.into(), memo.into())
    }

    /// The book whose chain holds it.
    pub fn book(&self) -> &Book {
        &self.book
    }

    /// Its position in its book, from 1.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Its id, unique in the journal.
    pub fn id(&self) -> EntryId {
        self.id
    }

    /// When it was posted: the time the caller gave, from its clock, in whole
    /// microseconds.
    pub fn posted_at(&self) -> Timestamp {
        self.posted_at
    }

    /// The content.
    pub fn entry(&self) -> &BalancedEntry {
        &self.entry
    }

    /// The hash of the entry before it (all zeros for the first).
    pub fn prev_hash(&self) -> EntryHash {
        self.prev_hash
    }

    /// This entry's hash.
    pub fn hash(&self) -> EntryHash {
        self.hash
    }
}
