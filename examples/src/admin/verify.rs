//! `admin verify`: are the books on PostgreSQL what the journal says?
//!
//! The store is read through the [`Journal`] port (the journal and the balances), checked by
//! [`ajo_core::ledger::audit`], then PostgreSQL's `postings` table is compared with the
//! journal. That table is the store's own index of each entry's postings (what a report
//! of an account's history reads); `Journal::entries` reads each entry's content, which the
//! hash covers, so a posting row deleted or edited behind the store's back shows only
//! here.
//!
//! Then every checkpoint is checked against the books
//! ([`ajo_core::ledger::verify_checkpoints`]): a book rewritten whole, or cut short,
//! after a checkpoint committed to it shows there, though its own chain verifies.
//!
//! Reads are separate statements, so a journal still being written could give balances
//! newer than the entries read just before. Every book's head is read before and after:
//! if any moved, everything is read again (a book's entries commit in the order of their
//! positions, under its head's lock, so unchanged heads mean nothing was posted between
//! the two reads, and the balances read in between are of exactly these entries).

use std::fmt;

use ajo_adapters::postgres::PgStore;
use ajo_adapters::postgres::sqlx::{self, Row};
use ajo_core::ledger::{
    Account, AuditFault, AuditSummary, CheckpointSummary, EntryId, JournalEntry, Side, audit,
    verify_checkpoints,
};
use ajo_core::ports::{EntryQuery, Journal, StoreError};
use thiserror::Error;

use super::AdminError;

/// How many times the books are read while the journal keeps growing.
const ATTEMPTS: u32 = 5;

/// What a clean `verify` checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The journal, the trial balance and the balances.
    pub books: AuditSummary,
    /// Rows of the postings table, each equal to its entry's posting.
    pub posting_rows: usize,
    /// The checkpoints, each found to commit to the books as they are.
    pub checkpoints: CheckpointSummary,
}

impl fmt::Display for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let checkpoints = match self.checkpoints.checkpoints {
            1 => "1 checkpoint".to_owned(),
            n => format!("{n} checkpoints"),
        };
        write!(
            f,
            "{}; {} posting rows match the journal; {checkpoints} verified",
            self.books, self.posting_rows
        )?;
        if let Some(latest) = self.checkpoints.latest {
            write!(f, ", the latest {latest}")?;
        }
        Ok(())
    }
}

/// The first fault `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyFault {
    /// The journal or the balances, as [`audit`] found.
    #[error(transparent)]
    Books(#[from] AuditFault),
    /// The postings table holds another number of rows for an entry than it has postings.
    #[error(
        "entry {entry} has {postings} postings in the journal but {rows} in the postings table"
    )]
    RowCount {
        /// The entry.
        entry: EntryId,
        /// Its rows in the table.
        rows: usize,
        /// Its postings in the journal.
        postings: usize,
    },
    /// A row of the postings table differs from the posting at its place in the entry.
    #[error("entry {entry}'s posting {position} differs in the postings table")]
    RowDiffers {
        /// The entry.
        entry: EntryId,
        /// The posting's place in the entry, from 0.
        position: usize,
    },
}

/// One row of the postings table, as far as it says what moved.
#[derive(Debug, PartialEq, Eq)]
struct PostingRow {
    entry: u64,
    account: Account,
    side: Side,
    amount_minor: i128,
}

/// Reads the books from `store` and checks them: the outer `Err` when they could not be
/// read, the inner one at the first fault.
///
/// # Errors
/// [`AdminError::Store`] when a read fails or a row cannot be decoded;
/// [`AdminError::Busy`] when the journal grew during every attempt.
pub async fn verify(store: &PgStore) -> Result<Result<Verified, VerifyFault>, AdminError> {
    for _ in 0..ATTEMPTS {
        let heads = store.heads().await?;
        let entries = store.entries(&EntryQuery::default()).await?;
        let balances = store.balances().await?;
        let last = entries.last().map_or(0, |e| e.id().0);
        let rows = posting_rows(store, last).await?;
        let checkpoints = store.checkpoints(0, usize::MAX).await?;
        if store.heads().await? != heads {
            continue;
        }
        let books = match audit(&entries, &balances) {
            Ok(books) => books,
            Err(fault) => return Ok(Err(fault.into())),
        };
        let posting_rows = match compare_rows(&entries, &rows) {
            Ok(n) => n,
            Err(fault) => return Ok(Err(fault)),
        };
        return Ok(match verify_checkpoints(&checkpoints, &entries) {
            Ok(checkpoints) => Ok(Verified {
                books,
                posting_rows,
                checkpoints,
            }),
            Err(fault) => Err(fault.into()),
        });
    }
    Err(AdminError::Busy { attempts: ATTEMPTS })
}

/// The postings table's rows of entries up to `last`, in entry and posting order.
async fn posting_rows(store: &PgStore, last: u64) -> Result<Vec<PostingRow>, StoreError> {
    let unreadable = |_: ()| StoreError::Corrupt {
        reason: "a row of the postings table could not be read".into(),
    };
    let last = i64::try_from(last).map_err(|_| StoreError::Corrupt {
        reason: "an entry id is beyond BIGINT".into(),
    })?;
    let rows = sqlx::query(
        "SELECT entry_id, account, side, amount_minor::text AS amount_minor FROM postings \
         WHERE entry_id <= $1 ORDER BY entry_id, position",
    )
    .bind(last)
    .fetch_all(store.pool())
    .await
    .map_err(|_| StoreError::Unavailable {
        reason: "the postings table could not be read".into(),
    })?;
    rows.iter()
        .map(|row| {
            let entry: i64 = row.try_get("entry_id").map_err(|_| unreadable(()))?;
            let account: sqlx::types::Json<Account> =
                row.try_get("account").map_err(|_| unreadable(()))?;
            let side = match row.try_get::<&str, _>("side").map_err(|_| unreadable(()))? {
                "debit" => Side::Debit,
                "credit" => Side::Credit,
                _ => return Err(unreadable(())),
            };
            let amount: &str = row.try_get("amount_minor").map_err(|_| unreadable(()))?;
            Ok(PostingRow {
                entry: u64::try_from(entry).unwrap_or(0),
                account: account.0,
                side,
                amount_minor: amount.parse().map_err(|_| StoreError::Corrupt {
                    reason: "a posting's amount is not whole minor units".into(),
                })?,
            })
        })
        .collect()
}

/// Each entry's postings against its rows, in order: the number of rows that matched.
fn compare_rows(entries: &[JournalEntry], rows: &[PostingRow]) -> Result<usize, VerifyFault> {
    let mut rest = rows;
    for journal in entries {
        let id = journal.id();
        let count = rest.iter().take_while(|r| r.entry == id.0).count();
        let (mine, after) = rest.split_at(count);
        rest = after;
        let postings = journal.entry().postings();
        if mine.len() != postings.len() {
            return Err(VerifyFault::RowCount {
                entry: id,
                rows: mine.len(),
                postings: postings.len(),
            });
        }
        for (position, (row, posting)) in mine.iter().zip(postings).enumerate() {
            let same = row.account == posting.account
                && row.side == posting.side
                && row.amount_minor == posting.amount.minor();
            if !same {
                return Err(VerifyFault::RowDiffers {
                    entry: id,
                    position,
                });
            }
        }
    }
    Ok(rows.len())
}
