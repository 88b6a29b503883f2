//! The tamper-evident hash chain over a journal.
//!
//! Each entry's hash is `SHA-256(previous hash || canonical bytes of the entry)`. The
//! canonical bytes are length-prefixed fields in a fixed order, never JSON, so the hash
//! does not depend on a serializer's whims. Altering any field of any entry changes its
//! hash, and every later link. Keep the latest hash somewhere the journal's writer cannot
//! rewrite (a log line, another system) to make a full rewrite detectable too.

use sha2::{Digest, Sha256};

use super::{ChainError, EntryHash, EntryId, JournalEntry, Side};

pub(super) fn seal(prev: EntryHash, entry: &JournalEntry) -> EntryHash {
    let mut hasher = Sha256::new();
    hasher.update(prev.0);
    hasher.update(entry.id.0.to_be_bytes());
    hasher.update(entry.posted_at.timestamp().to_be_bytes());
    hasher.update(entry.posted_at.timestamp_subsec_nanos().to_be_bytes());
    let content = &entry.entry;
    field(&mut hasher, content.key().as_bytes());
    field(&mut hasher, content.memo().as_bytes());
    optional(&mut hasher, content.reference().map(str::as_bytes));
    let reverses = content.reverses().map(|id| id.0.to_be_bytes());
    optional(&mut hasher, reverses.as_ref().map(|b| b.as_slice()));
    hasher.update((content.postings().len() as u64).to_be_bytes());
    for posting in content.postings() {
        field(&mut hasher, posting.account.owner().as_bytes());
        field(&mut hasher, posting.account.kind().to_string().as_bytes());
        field(&mut hasher, posting.account.currency().code().as_bytes());
        hasher.update([posting.account.currency().minor_units()]);
        hasher.update([match posting.side {
            Side::Debit => b'D',
            Side::Credit => b'C',
        }]);
        field(&mut hasher, posting.amount.currency().code().as_bytes());
        hasher.update(posting.amount.minor().to_be_bytes());
    }
    EntryHash(hasher.finalize().into())
}

fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

fn optional(hasher: &mut Sha256, bytes: Option<&[u8]>) {
    match bytes {
        None => hasher.update([0u8]),
        Some(b) => {
            hasher.update([1u8]);
            field(hasher, b);
        }
    }
}

/// Checks a journal read back from storage: ids run 1, 2, 3..., every entry balances,
/// links to the hash before it and matches its own hash.
///
/// # Errors
/// The first failure, as a [`ChainError`] naming the entry.
pub fn verify_chain(entries: &[JournalEntry]) -> Result<(), ChainError> {
    let mut prev = EntryHash::default();
    for (expected, entry) in (1u64..).map(EntryId).zip(entries) {
        if entry.id != expected {
            return Err(ChainError::OutOfSequence {
                expected,
                found: entry.id,
            });
        }
        entry
            .entry
            .revalidate()
            .map_err(|source| ChainError::Invalid {
                id: entry.id,
                source: Box::new(source),
            })?;
        if entry.prev_hash != prev {
            return Err(ChainError::BrokenLink { id: entry.id });
        }
        if seal(prev, entry) != entry.hash {
            return Err(ChainError::Altered { id: entry.id });
        }
        prev = entry.hash;
    }
    Ok(())
}
