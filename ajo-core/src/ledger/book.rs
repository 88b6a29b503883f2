//! Books: the parts the journal is partitioned into, each with its own hash chain.
//!
//! One chain for the whole journal makes every write in a deployment wait for the one
//! before it (each entry needs the hash of the last). A book is the unit that has to be
//! ordered: a savings group with its collections and payouts, one loan with its
//! repayments. Each book has its own chain and head, so writes to different books never
//! wait on each other, and a [`Checkpoint`](super::Checkpoint) commits to every book's
//! head from time to time, so rewriting any book after it shows.
//!
//! Which book an entry goes to is decided by what is being written, not by the accounts
//! it touches: a contribution's entry posts to the payment gateway's clearing account,
//! which every group shares, yet goes into the group's book. A store keeps each shared
//! account's balance per book and sums them when asked, so no row is written by every
//! book.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::EntryHash;

/// A book's name. The service names books after what they hold (`g:<group>`,
/// `l:<loan>`, `m:<member>`, `platform`); the empty name is the journal as it was before
/// it had books, kept as the first book so that its chain still verifies.
///
/// ```
/// use ajo_core::ledger::Book;
///
/// let book = Book::new("g:balogun");
/// assert_eq!(book.as_str(), "g:balogun");
/// assert_eq!(Book::journal().as_str(), "");
/// assert_eq!(Book::journal().to_string(), "the journal before books");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Book(String);

impl Book {
    /// A book named `name`.
    pub fn new(name: impl Into<String>) -> Book {
        Book(name.into())
    }

    /// The book of everything written before the journal had books (and of the pure
    /// [`Ledger`](super::Ledger), which keeps one chain).
    pub fn journal() -> Book {
        Book(String::new())
    }

    /// The book of platform-wide writes that belong to no group, loan or member.
    pub fn platform() -> Book {
        Book("platform".to_owned())
    }

    /// Its name, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Book {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the journal before books")
        } else {
            write!(f, "book {}", self.0)
        }
    }
}

/// Where a book's chain ends: its last entry's position in the book and hash (0 and all
/// zeros for a book with no entries).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BookHead {
    /// The book.
    pub book: Book,
    /// How many entries it holds: its last entry's position, from 1.
    pub seq: u64,
    /// Its last entry's hash.
    pub hash: EntryHash,
}

impl BookHead {
    /// A book's head.
    pub fn new(book: Book, seq: u64, hash: EntryHash) -> BookHead {
        BookHead { book, seq, hash }
    }
}
