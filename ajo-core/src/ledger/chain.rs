//! The tamper-evident hash chain over each book of a journal.
//!
//! Each entry's hash is `SHA-256(previous hash in its book || its position in the book ||
//! canonical bytes of the entry)`. The
//! canonical bytes are length-prefixed fields in a fixed order, never JSON, so the hash
//! does not depend on a serializer's whims. Altering any field of any entry changes its
//! hash, and every later link. Keep the latest hash somewhere the journal's writer cannot
//! rewrite (a log line, another system) to make a full rewrite detectable too.

use std::collections::{BTreeMap, HashSet};

use sha2::{Digest, Sha256};

use super::{BalancedEntry, Book, BookHead, ChainError, EntryHash, EntryId, JournalEntry, Side};
use crate::time::Timestamp;

pub(super) fn seal(prev: EntryHash, entry: &JournalEntry) -> EntryHash {
    let mut hasher = Sha256::new();
    hasher.update(prev.0);
    hasher.update(entry.seq.to_be_bytes());
    write_body(entry.posted_at, &entry.entry, &mut |bytes| {
        hasher.update(bytes)
    });
    EntryHash(hasher.finalize().into())
}

/// The bytes an entry's hash covers after the previous hash and the id.
pub(super) fn body(posted_at: Timestamp, content: &BalancedEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_body(posted_at, content, &mut |bytes| {
        out.extend_from_slice(bytes)
    });
    out
}

/// Everything of the canonical bytes that does not depend on the entry's place in the
/// journal, so a store can chain an entry where its id is decided (see
/// [`JournalEntry::chain_body`]) with the same bytes as [`seal`].
fn write_body(posted_at: Timestamp, content: &BalancedEntry, out: &mut dyn FnMut(&[u8])) {
    // Seconds and nanoseconds, as before times were cut to microseconds: the nanoseconds
    // are now a multiple of 1,000, and journals written at whole microseconds still verify.
    let at = posted_at.as_datetime();
    out(&at.timestamp().to_be_bytes());
    out(&at.timestamp_subsec_nanos().to_be_bytes());
    field(out, content.key().as_bytes());
    field(out, content.memo().as_bytes());
    optional(out, content.reference().map(str::as_bytes));
    let reverses = content.reverses().map(|id| id.0.to_be_bytes());
    optional(out, reverses.as_ref().map(|b| b.as_slice()));
    out(&(content.postings().len() as u64).to_be_bytes());
    for posting in content.postings() {
        field(out, posting.account.owner().as_bytes());
        field(out, posting.account.kind().to_string().as_bytes());
        field(out, posting.account.currency().code().as_bytes());
        out(&[posting.account.currency().minor_units()]);
        out(&[match posting.side {
            Side::Debit => b'D',
            Side::Credit => b'C',
        }]);
        field(out, posting.amount.currency().code().as_bytes());
        out(&posting.amount.minor().to_be_bytes());
    }
}

fn field(out: &mut dyn FnMut(&[u8]), bytes: &[u8]) {
    out(&(bytes.len() as u64).to_be_bytes());
    out(bytes);
}

fn optional(out: &mut dyn FnMut(&[u8]), bytes: Option<&[u8]>) {
    match bytes {
        None => out(&[0u8]),
        Some(b) => {
            out(&[1u8]);
            field(out, b);
        }
    }
}

/// Checks a journal read back from storage, book by book: each book's entries, taken by
/// their positions, run 1, 2, 3... without gaps or repeats, every entry balances, links
/// to the hash of the book's entry before it and matches its own hash; ids are unique
/// across the journal. The order the entries are given in does not matter (ids need not
/// follow the order of writing across books, or at all on a distributed database).
///
/// # Errors
/// The first failure, in book order then position, as a [`ChainError`] naming the entry
/// and its book.
pub fn verify_chain(entries: &[JournalEntry]) -> Result<(), ChainError> {
    verify_books(entries).map(|_| ())
}

/// [`verify_chain`], answering where each book's chain ends, in book order.
///
/// # Errors
/// As [`verify_chain`].
pub fn verify_books(entries: &[JournalEntry]) -> Result<Vec<BookHead>, ChainError> {
    let mut ids: HashSet<EntryId> = HashSet::with_capacity(entries.len());
    if let Some(repeated) = entries.iter().find(|e| !ids.insert(e.id)) {
        return Err(ChainError::OutOfSequence {
            book: repeated.book.clone(),
            expected: repeated.seq + 1,
            found: repeated.seq,
        });
    }
    let mut placed: Vec<&JournalEntry> = entries.iter().collect();
    placed.sort_by(|a, b| (&a.book, a.seq).cmp(&(&b.book, b.seq)));
    let mut heads: BTreeMap<&Book, (u64, EntryHash)> = BTreeMap::new();
    for entry in placed {
        let (seq, prev) = heads.get(&entry.book).copied().unwrap_or_default();
        let expected = seq + 1;
        if entry.seq != expected {
            return Err(ChainError::OutOfSequence {
                book: entry.book.clone(),
                expected,
                found: entry.seq,
            });
        }
        entry
            .entry
            .revalidate()
            .map_err(|source| ChainError::Invalid {
                id: entry.id,
                book: entry.book.clone(),
                source: Box::new(source),
            })?;
        if entry.prev_hash != prev {
            return Err(ChainError::BrokenLink {
                id: entry.id,
                book: entry.book.clone(),
            });
        }
        if seal(prev, entry) != entry.hash {
            return Err(ChainError::Altered {
                id: entry.id,
                book: entry.book.clone(),
            });
        }
        heads.insert(&entry.book, (entry.seq, entry.hash));
    }
    Ok(heads
        .into_iter()
        .map(|(book, (seq, hash))| BookHead::new(book.clone(), seq, hash))
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::ledger::{Account, AccountKind, EntryDraft};
    use crate::money::{Currency, Money};

    #[test]
    fn the_chain_body_after_prev_and_id_gives_the_sealed_hash() {
        let amount = Money::from_minor(12_345, Currency::NGN).unwrap();
        let entry = EntryDraft::new("k1", "memo")
            .reference("ref")
            .debit(
                Account::new("gw", AccountKind::GatewayClearing, Currency::NGN),
                amount,
            )
            .credit(
                Account::new("g", AccountKind::GroupPot, Currency::NGN),
                amount,
            )
            .balance()
            .unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let prev = EntryHash([7u8; 32]);
        let sealed = JournalEntry::seal(EntryId(42), prev, at, entry.clone());
        let mut hasher = Sha256::new();
        hasher.update(prev.0);
        hasher.update(42u64.to_be_bytes());
        hasher.update(JournalEntry::chain_body(at.into(), &entry));
        assert_eq!(sealed.hash(), EntryHash(hasher.finalize().into()));
    }
}
