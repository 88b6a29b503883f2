use thiserror::Error;

use super::audit::MinorAmount;
use super::{Account, Book, EntryId};
use crate::money::{Currency, Money, MoneyError};

/// Why a journal entry was refused or a journal failed a check. A refused entry changes
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The idempotency key is empty or longer than [`MAX_KEY_LEN`](super::MAX_KEY_LEN).
    #[error("idempotency key must be 1 to {} bytes, got {len}", super::MAX_KEY_LEN)]
    InvalidKey {
        /// Length of the key given.
        len: usize,
    },
    /// An entry needs at least two postings.
    #[error("an entry needs at least two postings, got {count}")]
    TooFewPostings {
        /// Postings given.
        count: usize,
    },
    /// Posting amounts must be above zero; the side says which way money moves.
    #[error("posting {index} has a zero or negative amount")]
    NonPositiveAmount {
        /// Zero-based position of the posting.
        index: usize,
    },
    /// A posting's amount is not in its account's currency.
    #[error("posting {index} is in {amount} but its account is in {account}")]
    CurrencyMismatch {
        /// Zero-based position of the posting.
        index: usize,
        /// The account's currency.
        account: Currency,
        /// The amount's currency.
        amount: Currency,
    },
    /// Debits and credits differ in one currency.
    #[error("unbalanced in {currency}: debits {debits}, credits {credits}")]
    Unbalanced {
        /// The currency that does not balance.
        currency: Currency,
        /// Total debits in it.
        debits: Money,
        /// Total credits in it.
        credits: Money,
    },
    /// The key was used before for an entry with other content.
    #[error("idempotency key {key:?} was already used for a different entry ({existing})")]
    IdempotencyConflict {
        /// The key.
        key: String,
        /// The entry that holds it.
        existing: EntryId,
    },
    /// No entry has this id.
    #[error("no entry {0}")]
    UnknownEntry(EntryId),
    /// The entry was reversed already.
    #[error("entry {original} is already reversed by {by}")]
    AlreadyReversed {
        /// The entry asked to reverse.
        original: EntryId,
        /// The reversal already posted.
        by: EntryId,
    },
    /// Amount arithmetic failed (a balance out of range).
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Where a journal's hash chain or sequence is broken: the first entry that fails, and
/// the book whose chain it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The entry's content no longer matches its recorded hash.
    #[error("entry {id} of {book} was altered: its content does not match its hash")]
    Altered {
        /// The first altered entry.
        id: EntryId,
        /// Its book.
        book: Book,
    },
    /// The entry does not point at the hash of the book's entry before it.
    #[error("entry {id} of {book} does not link to the entry before it")]
    BrokenLink {
        /// The first entry with a wrong link.
        id: EntryId,
        /// Its book.
        book: Book,
    },
    /// A book's entries are missing, repeated or out of order (or an id is repeated).
    #[error("expected entry {expected} of {book}, found entry {found}")]
    OutOfSequence {
        /// The book.
        book: Book,
        /// The position that should come next.
        expected: u64,
        /// The position found.
        found: u64,
    },
    /// An entry read back does not balance (or is otherwise invalid).
    #[error("entry {id} of {book} is invalid: {source}")]
    Invalid {
        /// The invalid entry.
        id: EntryId,
        /// Its book.
        book: Book,
        /// What is wrong with it.
        source: Box<LedgerError>,
    },
}

/// The first fault [`audit`](super::audit) found in books read back from a store.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AuditFault {
    /// The journal's chain is broken: an entry is missing, out of order, invalid, badly
    /// linked or altered.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The stored balances of one currency do not sum to zero.
    #[error("trial balance in {currency} is {}, not zero", MinorAmount(*total_minor, *currency))]
    TrialBalance {
        /// The first currency out of balance.
        currency: Currency,
        /// The sum of its balances, in minor units (debits positive).
        total_minor: i128,
    },
    /// A stored balance is not its account's debits minus credits over the journal.
    #[error(
        "balance of {account} is {} but its postings sum to {}",
        balance.human(),
        MinorAmount(*postings_minor, account.currency())
    )]
    BalanceMismatch {
        /// The account.
        account: Account,
        /// The balance the store holds.
        balance: Money,
        /// Its postings' debits minus credits, in minor units of the account's currency
        /// (zero when nothing was posted to it).
        postings_minor: i128,
    },
    /// An account was posted to but the store holds no balance for it.
    #[error(
        "{account} has postings summing to {} but no stored balance",
        MinorAmount(*postings_minor, account.currency())
    )]
    MissingBalance {
        /// The account.
        account: Account,
        /// Its postings' debits minus credits, in minor units of the account's currency.
        postings_minor: i128,
    },
    /// Checkpoints are missing, repeated or out of order.
    #[error("expected checkpoint {expected}, found {found}")]
    CheckpointOutOfSequence {
        /// The number that should come next.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// A checkpoint does not link to the one before it.
    #[error("checkpoint {number} does not link to the checkpoint before it")]
    CheckpointBrokenLink {
        /// The checkpoint.
        number: u64,
    },
    /// A checkpoint's heads or time no longer match its seal.
    #[error("checkpoint {number} was altered: its heads do not match its seal")]
    CheckpointAltered {
        /// The checkpoint.
        number: u64,
    },
    /// A checkpoint lists a book twice, out of order, or with no entries.
    #[error("checkpoint {number} lists its books' heads out of order or twice")]
    CheckpointHeads {
        /// The checkpoint.
        number: u64,
    },
    /// A book no longer holds the entry a checkpoint committed to: it was cut short.
    #[error("{book} has no entry {seq}, which checkpoint {checkpoint} committed to")]
    BookTruncated {
        /// The book.
        book: Book,
        /// The position the checkpoint recorded as its head.
        seq: u64,
        /// The checkpoint.
        checkpoint: u64,
    },
    /// A book's entry differs from the one a checkpoint committed to: the book was
    /// rewritten after it.
    #[error("entry {seq} of {book} is not the one checkpoint {checkpoint} committed to")]
    BookRewritten {
        /// The book.
        book: Book,
        /// The position whose hash differs.
        seq: u64,
        /// The checkpoint.
        checkpoint: u64,
    },
    /// The store lists one account's balance more than once.
    #[error("balance of {account} is stored twice")]
    DuplicateBalance {
        /// The account listed twice.
        account: Account,
    },
}
