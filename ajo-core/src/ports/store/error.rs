//! Why a store operation failed.

use thiserror::Error;

use super::stream::{StreamId, StreamKind};

/// Why a store operation failed. Nothing of a failed append was written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A stream was not at the expected version: someone else wrote first. Reload and
    /// decide again.
    #[error("stream {stream} is at version {actual}, not {expected}")]
    Conflict {
        /// The stream.
        stream: StreamId,
        /// The version the caller expected.
        expected: u64,
        /// The version found.
        actual: u64,
    },
    /// A ledger entry key already holds a different entry.
    #[error("ledger entry key {key:?} already holds a different entry")]
    EntryConflict {
        /// The key.
        key: String,
    },
    /// An entry was not balanced (the store checks again; it should never happen).
    #[error("ledger entry {key:?} is not balanced")]
    Unbalanced {
        /// The key.
        key: String,
    },
    /// A posting would take an account's balance beyond the largest amount [`Money`](crate::money::Money) can
    /// hold ([`MAX_MINOR`](crate::money::MAX_MINOR) minor units either way).
    #[error("a posting would take an account's balance beyond the largest amount money can hold")]
    BalanceOutOfRange,
    /// A checkpoint was not the next one: another was recorded since the last one read.
    #[error("checkpoint {number} is not the next one")]
    CheckpointConflict {
        /// The checkpoint's number.
        number: u64,
    },
    /// No such outbox message.
    #[error("no outbox message {0:?}")]
    UnknownMessage(String),
    /// A read gave no answer for a stream it was asked about. The stream's history is
    /// unknown: taking it for empty would make an existing group or loan look new.
    #[error("the store did not answer for stream {stream}")]
    Incomplete {
        /// The stream left out.
        stream: StreamId,
    },
    /// The backing service is unreachable or failed; the operation may be retried.
    #[error("store unavailable: {reason}")]
    Unavailable {
        /// What happened (never credentials).
        reason: String,
    },
    /// Stored data could not be read back.
    #[error("stored data is corrupt: {reason}")]
    Corrupt {
        /// What is wrong.
        reason: String,
    },
}

impl StoreError {
    /// Whether the operation may work if retried (after a reload for a conflict).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict { .. } | StoreError::Unavailable { .. }
        )
    }
}

/// An event taken out of its [`DomainEvent`](super::DomainEvent) envelope as a kind it is
/// not: a stream holding events of another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("a {found} event is not a {expected} event")]
#[non_exhaustive]
pub struct WrongEventKind {
    /// The kind asked for.
    pub expected: StreamKind,
    /// The kind the event is.
    pub found: StreamKind,
}
