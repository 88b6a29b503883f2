//! Checkpoints: a commitment to every book's head, chained to the one before.
//!
//! Each book's chain shows a change to any of its entries, but not a book rewritten
//! whole (every hash recomputed), nor a book cut short. A checkpoint records where every
//! book ended at one moment and seals that list, chained to the previous checkpoint, so
//! rewriting or truncating any book behind a checkpoint is found by
//! [`verify_checkpoints`]; keep the latest checkpoint's hash somewhere the journal's
//! writer cannot rewrite, and a rewrite of the checkpoints themselves shows too.
//!
//! Checkpoints are taken away from the write path (the service's `tick`): writers never
//! wait for them, and what a checkpoint commits to is any set of heads that were each
//! committed at the time it read them.
//!
//! ```
//! use ajo_core::ledger::{Account, AccountKind, Book, Checkpoint, EntryDraft, Ledger};
//! use ajo_core::ledger::verify_checkpoints;
//! use ajo_core::money::{Currency, Money};
//! use chrono::{TimeZone, Utc};
//!
//! let clearing = Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN);
//! let pot = Account::new("balogun", AccountKind::GroupPot, Currency::NGN);
//! let amount = Money::parse("5000", Currency::NGN)?;
//! let at = Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap();
//! let mut ledger = Ledger::new();
//! let entry = EntryDraft::new("ctb:1", "ada pays")
//!     .debit(clearing, amount)
//!     .credit(pot, amount)
//!     .balance()?;
//! ledger.post_in(&Book::new("g:balogun"), entry, at)?;
//!
//! let first = Checkpoint::next(None, at, ledger.heads())?;
//! let summary = verify_checkpoints(&[first.clone()], ledger.entries())?;
//! assert_eq!(summary.checkpoints, 1);
//! assert_eq!(summary.latest, Some(first.hash()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AuditFault, Book, BookHead, EntryHash, JournalEntry};
use crate::time::Timestamp;

/// A sealed list of every book's head at one moment, chained to the checkpoint before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    number: u64,
    at: Timestamp,
    heads: Vec<BookHead>,
    prev: EntryHash,
    root: EntryHash,
    hash: EntryHash,
}

impl Checkpoint {
    /// The checkpoint after `prev` (the first when `None`) over `heads`, taken at `at`.
    /// Books with no entries are left out; the rest are kept in book order.
    ///
    /// # Errors
    /// [`AuditFault::CheckpointHeads`] when a book is listed twice.
    pub fn next(
        prev: Option<&Checkpoint>,
        at: impl Into<Timestamp>,
        heads: Vec<BookHead>,
    ) -> Result<Checkpoint, AuditFault> {
        let number = prev.map_or(1, |p| p.number + 1);
        let mut heads: Vec<BookHead> = heads.into_iter().filter(|h| h.seq > 0).collect();
        heads.sort();
        if heads
            .iter()
            .zip(heads.iter().skip(1))
            .any(|(a, b)| a.book == b.book)
        {
            return Err(AuditFault::CheckpointHeads { number });
        }
        let at = at.into();
        let prev = prev.map(|p| p.hash).unwrap_or_default();
        let root = root_of(&heads);
        Ok(Checkpoint {
            number,
            at,
            heads,
            prev,
            root,
            hash: seal(prev, number, at, root),
        })
    }

    /// A checkpoint as read back from storage, hashes as stored and not checked: run
    /// [`verify_checkpoints`] over them.
    pub fn from_stored(
        number: u64,
        at: Timestamp,
        heads: Vec<BookHead>,
        prev: EntryHash,
        root: EntryHash,
        hash: EntryHash,
    ) -> Checkpoint {
        Checkpoint {
            number,
            at,
            heads,
            prev,
            root,
            hash,
        }
    }

    /// Its number, from 1.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// When it was taken.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The heads it commits to, in book order.
    pub fn heads(&self) -> &[BookHead] {
        &self.heads
    }

    /// The hash of the checkpoint before (all zeros for the first).
    pub fn prev(&self) -> EntryHash {
        self.prev
    }

    /// The hash over its heads.
    pub fn root(&self) -> EntryHash {
        self.root
    }

    /// Its seal: `SHA-256(prev ‖ number ‖ time ‖ root)`.
    pub fn hash(&self) -> EntryHash {
        self.hash
    }

    /// The head it recorded for `book`, if the book had entries then.
    pub fn head_of(&self, book: &Book) -> Option<&BookHead> {
        self.heads
            .binary_search_by(|h| h.book.cmp(book))
            .ok()
            .and_then(|i| self.heads.get(i))
    }
}

/// The hash over heads in book order: each book's name (length-prefixed), position and
/// hash, so no two lists of heads give the same bytes.
fn root_of(heads: &[BookHead]) -> EntryHash {
    let mut hasher = Sha256::new();
    hasher.update((heads.len() as u64).to_be_bytes());
    for head in heads {
        let name = head.book.as_str().as_bytes();
        hasher.update((name.len() as u64).to_be_bytes());
        hasher.update(name);
        hasher.update(head.seq.to_be_bytes());
        hasher.update(head.hash.0);
    }
    EntryHash(hasher.finalize().into())
}

fn seal(prev: EntryHash, number: u64, at: Timestamp, root: EntryHash) -> EntryHash {
    let at = at.as_datetime();
    let mut hasher = Sha256::new();
    hasher.update(prev.0);
    hasher.update(number.to_be_bytes());
    hasher.update(at.timestamp().to_be_bytes());
    hasher.update(at.timestamp_subsec_nanos().to_be_bytes());
    hasher.update(root.0);
    EntryHash(hasher.finalize().into())
}

/// What a clean [`verify_checkpoints`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckpointSummary {
    /// Checkpoints verified.
    pub checkpoints: usize,
    /// Book heads they commit to, all found in the journal.
    pub heads: usize,
    /// The latest checkpoint's hash, to keep where the journal's writer cannot reach.
    pub latest: Option<EntryHash>,
}

/// Checks checkpoints read back from a store, oldest first, against the journal's
/// entries (any order): numbers run 1, 2, 3..., each is chained to the one before and
/// matches its own seal and root, and every head it commits to is in the journal: the
/// book holds an entry at that position with that hash.
///
/// Check the entries' own chains with [`verify_chain`](super::verify_chain) (or
/// [`audit`](super::audit)) as well: this finds a book rewritten whole or cut short
/// behind a checkpoint, which a chain alone cannot show.
///
/// # Errors
/// The first fault, in checkpoint order then book order:
/// [`AuditFault::CheckpointOutOfSequence`], [`AuditFault::CheckpointBrokenLink`],
/// [`AuditFault::CheckpointAltered`], [`AuditFault::CheckpointHeads`],
/// [`AuditFault::BookTruncated`] or [`AuditFault::BookRewritten`].
pub fn verify_checkpoints(
    checkpoints: &[Checkpoint],
    entries: &[JournalEntry],
) -> Result<CheckpointSummary, AuditFault> {
    let by_place: HashMap<(&Book, u64), EntryHash> =
        entries.iter().map(|e| ((&e.book, e.seq), e.hash)).collect();
    let mut prev = EntryHash::default();
    let mut heads = 0;
    for (expected, checkpoint) in (1u64..).zip(checkpoints) {
        let number = checkpoint.number;
        if number != expected {
            return Err(AuditFault::CheckpointOutOfSequence {
                expected,
                found: number,
            });
        }
        if checkpoint.prev != prev {
            return Err(AuditFault::CheckpointBrokenLink { number });
        }
        let mut pairs = checkpoint.heads.iter().zip(checkpoint.heads.iter().skip(1));
        let sorted = pairs.all(|(a, b)| a.book < b.book);
        if !sorted || checkpoint.heads.iter().any(|h| h.seq == 0) {
            return Err(AuditFault::CheckpointHeads { number });
        }
        if root_of(&checkpoint.heads) != checkpoint.root
            || seal(prev, number, checkpoint.at, checkpoint.root) != checkpoint.hash
        {
            return Err(AuditFault::CheckpointAltered { number });
        }
        for head in &checkpoint.heads {
            match by_place.get(&(&head.book, head.seq)) {
                None => {
                    return Err(AuditFault::BookTruncated {
                        book: head.book.clone(),
                        seq: head.seq,
                        checkpoint: number,
                    });
                }
                Some(hash) if *hash != head.hash => {
                    return Err(AuditFault::BookRewritten {
                        book: head.book.clone(),
                        seq: head.seq,
                        checkpoint: number,
                    });
                }
                Some(_) => heads += 1,
            }
        }
        prev = checkpoint.hash;
    }
    Ok(CheckpointSummary {
        checkpoints: checkpoints.len(),
        heads,
        latest: checkpoints.last().map(|c| c.hash),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::ledger::{Account, AccountKind, EntryDraft, Ledger, verify_chain};
    use crate::money::{Currency, Money};

    fn at() -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(1_767_261_600, 123_456_789)
            .single()
            .unwrap()
    }

    fn pay(ledger: &mut Ledger, book: &str, key: &str, minor: i128) {
        let amount = Money::from_minor(minor, Currency::NGN).unwrap();
        let entry = EntryDraft::new(key, "pay")
            .debit(
                Account::new("gw", AccountKind::GatewayClearing, Currency::NGN),
                amount,
            )
            .credit(
                Account::new(book, AccountKind::GroupPot, Currency::NGN),
                amount,
            )
            .balance()
            .unwrap();
        ledger.post_in(&Book::new(book), entry, at()).unwrap();
    }

    /// Two books, a checkpoint, more entries, a second checkpoint.
    fn books() -> (Ledger, Vec<Checkpoint>) {
        let mut ledger = Ledger::new();
        pay(&mut ledger, "g:a", "1", 100);
        pay(&mut ledger, "g:b", "1", 200);
        pay(&mut ledger, "g:a", "2", 300);
        let first = Checkpoint::next(None, at(), ledger.heads()).unwrap();
        pay(&mut ledger, "g:b", "2", 400);
        let second =
            Checkpoint::next(Some(&first), at() + Duration::hours(1), ledger.heads()).unwrap();
        (ledger, vec![first, second])
    }

    #[test]
    fn checkpoints_over_sound_books_verify() {
        let (ledger, checkpoints) = books();
        let summary = verify_checkpoints(&checkpoints, ledger.entries()).unwrap();
        assert_eq!(summary.checkpoints, 2);
        assert_eq!(summary.heads, 4);
        assert_eq!(summary.latest, Some(checkpoints[1].hash()));
        assert_eq!(checkpoints[0].heads().len(), 2);
        assert_eq!(
            checkpoints[1].head_of(&Book::new("g:b")).map(|h| h.seq),
            Some(2)
        );
    }

    #[test]
    fn a_book_rewritten_whole_behind_a_checkpoint_is_found() {
        let (ledger, checkpoints) = books();
        // Book g:a rewritten from its first entry, every hash recomputed: its own chain
        // verifies, the checkpoints do not.
        let mut forged = Ledger::new();
        pay(&mut forged, "g:a", "1", 101);
        pay(&mut forged, "g:b", "1", 200);
        pay(&mut forged, "g:a", "2", 300);
        pay(&mut forged, "g:b", "2", 400);
        verify_chain(forged.entries()).unwrap();
        assert_eq!(
            verify_checkpoints(&checkpoints, forged.entries()),
            Err(AuditFault::BookRewritten {
                book: Book::new("g:a"),
                seq: 2,
                checkpoint: 1
            })
        );
        // Cut short: the last entry of g:b dropped, the chain still verifies.
        let mut entries = ledger.entries().to_vec();
        entries.pop();
        verify_chain(&entries).unwrap();
        assert_eq!(
            verify_checkpoints(&checkpoints, &entries),
            Err(AuditFault::BookTruncated {
                book: Book::new("g:b"),
                seq: 2,
                checkpoint: 2
            })
        );
    }

    #[test]
    fn altered_missing_or_unlinked_checkpoints_are_found() {
        let (ledger, checkpoints) = books();
        let entries = ledger.entries();
        let [first, second] = [checkpoints[0].clone(), checkpoints[1].clone()];
        assert_eq!(
            verify_checkpoints(std::slice::from_ref(&second), entries),
            Err(AuditFault::CheckpointOutOfSequence {
                expected: 1,
                found: 2
            })
        );
        let mut moved = first.clone();
        moved.heads[0].seq = 1;
        assert_eq!(
            verify_checkpoints(&[moved], entries),
            Err(AuditFault::CheckpointAltered { number: 1 })
        );
        let mut later = first.clone();
        later.at = Timestamp::from(at() + Duration::seconds(1));
        assert_eq!(
            verify_checkpoints(&[later], entries),
            Err(AuditFault::CheckpointAltered { number: 1 })
        );
        let other = Checkpoint::next(None, at(), vec![]).unwrap();
        let unlinked = Checkpoint::next(Some(&other), at(), ledger.heads()).unwrap();
        assert_eq!(
            verify_checkpoints(&[first.clone(), unlinked], entries),
            Err(AuditFault::CheckpointBrokenLink { number: 2 })
        );
        let twice = vec![
            BookHead::new(Book::new("g:a"), 1, EntryHash::default()),
            BookHead::new(Book::new("g:a"), 2, EntryHash::default()),
        ];
        assert_eq!(
            Checkpoint::next(None, at(), twice),
            Err(AuditFault::CheckpointHeads { number: 1 })
        );
        // Empty books are left out, the rest kept in book order.
        let mixed = vec![
            BookHead::new(Book::new("g:b"), 1, EntryHash::default()),
            BookHead::new(Book::new("g:c"), 0, EntryHash::default()),
            BookHead::new(Book::new("g:a"), 1, EntryHash::default()),
        ];
        let taken = Checkpoint::next(None, at(), mixed).unwrap();
        let books: Vec<&str> = taken.heads().iter().map(|h| h.book.as_str()).collect();
        assert_eq!(books, ["g:a", "g:b"]);
    }
}
