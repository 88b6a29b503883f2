//! Checkpoints of the books and their verification, away from the write path: `tick`
//! takes a checkpoint every [`checkpoint_every`](super::ServiceConfig::checkpoint_every),
//! and an operator verifies the books with [`AjoService::verify_books`] (the `admin
//! verify` example).

use tracing::instrument;

use super::{AjoService, ServiceError};
use crate::ledger::Account;
use crate::ledger::{
    AuditSummary, Checkpoint, CheckpointSummary, JournalEntry, audit, verify_checkpoints,
};
use crate::money::Money;
use crate::ports::{EntryQuery, StoreError};

/// Entries read per page when verifying the whole journal.
const PAGE: usize = 10_000;

/// How many times the books are read while they keep moving.
const VERIFY_ATTEMPTS: u32 = 5;

/// What [`AjoService::verify_books`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BooksVerified {
    /// Every book's chain, the trial balance and every stored balance.
    pub audit: AuditSummary,
    /// Every checkpoint, against the books.
    pub checkpoints: CheckpointSummary,
}

impl AjoService {
    /// Takes a checkpoint: records the next one over every book's head, chained to the
    /// last, unless no book has moved since the last. Answers the checkpoint recorded, or
    /// `None` when there was nothing new or another host recorded one first.
    ///
    /// Writers never wait for it: it reads the heads (each as last committed) and writes
    /// one row.
    ///
    /// # Errors
    /// [`ServiceError::Store`] if the store fails.
    #[instrument(skip_all)]
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, ServiceError> {
        let last = self.store.last_checkpoint().await?;
        let heads = self.store.heads().await?;
        if last.as_ref().is_some_and(|c| c.heads() == heads.as_slice()) || heads.is_empty() {
            return Ok(None);
        }
        let next = Checkpoint::next(last.as_ref(), self.now(), heads).map_err(|fault| {
            StoreError::Corrupt {
                reason: fault.to_string(),
            }
        })?;
        match self.store.record_checkpoint(&next).await {
            Ok(()) => {
                tracing::info!(number = next.number(), hash = %next.hash(), "checkpoint recorded");
                Ok(Some(next))
            }
            Err(StoreError::CheckpointConflict { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Takes a checkpoint if the last is at least
    /// [`checkpoint_every`](super::ServiceConfig::checkpoint_every) old (what `tick`
    /// does).
    pub(super) async fn checkpoint_if_due(&self) -> Result<Option<Checkpoint>, ServiceError> {
        let Some(every) = self.config.checkpoint_every else {
            return Ok(None);
        };
        let last = self.store.last_checkpoint().await?;
        let due = last.is_none_or(|c| self.now() - c.at().as_datetime() >= every);
        if due {
            self.checkpoint().await
        } else {
            Ok(None)
        }
    }

    /// Verifies the books as stored: every book's hash chain, the trial balance, every
    /// stored balance against its postings ([`audit`]), and every checkpoint against the
    /// books ([`verify_checkpoints`]), so a book rewritten whole or cut short behind a
    /// checkpoint shows. Reads the whole journal, in pages; for an operator's tool, not
    /// a request path.
    ///
    /// # Errors
    /// [`ServiceError::Books`] with the first fault; [`ServiceError::Store`] if the store
    /// fails; [`ServiceError::TooMuchContention`] if the books moved during every one of
    /// five readings.
    #[instrument(skip_all)]
    pub async fn verify_books(&self) -> Result<BooksVerified, ServiceError> {
        // Reads are separate, so books still being written could give balances or
        // checkpoints newer than the entries read: every book's head is read before and
        // after, and everything again if any moved (a book's entries commit in the order
        // of their positions, under its head's lock).
        for _ in 0..VERIFY_ATTEMPTS {
            let heads = self.store.heads().await?;
            let (entries, checkpoints, balances) = self.read_books().await?;
            if self.store.heads().await? != heads {
                continue;
            }
            let audit = audit(&entries, &balances).map_err(ServiceError::Books)?;
            let checkpoints =
                verify_checkpoints(&checkpoints, &entries).map_err(ServiceError::Books)?;
            return Ok(BooksVerified { audit, checkpoints });
        }
        Err(ServiceError::TooMuchContention {
            stream: crate::ports::StreamId::new(crate::ports::StreamKind::Payment, "journal"),
            attempts: VERIFY_ATTEMPTS,
        })
    }

    async fn read_books(
        &self,
    ) -> Result<(Vec<JournalEntry>, Vec<Checkpoint>, Vec<(Account, Money)>), ServiceError> {
        let mut entries: Vec<JournalEntry> = Vec::new();
        loop {
            let page = self
                .store
                .entries(&EntryQuery {
                    after: entries.last().map(|e| e.id().0),
                    limit: Some(PAGE),
                    ..EntryQuery::default()
                })
                .await?;
            let done = page.len() < PAGE;
            entries.extend(page);
            if done {
                break;
            }
        }
        let mut checkpoints: Vec<Checkpoint> = Vec::new();
        loop {
            let after = checkpoints.last().map_or(0, Checkpoint::number);
            let page = self.store.checkpoints(after, PAGE).await?;
            let done = page.len() < PAGE;
            checkpoints.extend(page);
            if done {
                break;
            }
        }
        let balances = self.store.balances().await?;
        Ok((entries, checkpoints, balances))
    }
}
