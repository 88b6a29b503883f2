//! Idempotency keys: the requests (webhook deliveries, retried commands) already applied,
//! and, for a caller's key, what it was used for and what it answered.

use std::fmt;

use async_trait::async_trait;

use super::error::StoreError;

/// An idempotency key as an append records it and a read gives it back.
///
/// A bare key (the service's own: a webhook delivery, a scheduler action) is only the
/// key. A host's key also carries the `fingerprint` of the command it was used for, so the
/// same key sent with another command is told apart, and, for a command whose answer is
/// worth giving again (a checkout), that answer's JSON as `result`. Stores keep both as
/// given; neither is looked inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key.
    pub key: String,
    /// What the key was used for (a hash of the command; `None` for a bare key).
    pub fingerprint: Option<String>,
    /// The command's answer as JSON text, when it has one worth giving again.
    pub result: Option<String>,
}

impl KeyRecord {
    /// A bare key: no fingerprint, no result.
    pub fn bare(key: impl Into<String>) -> KeyRecord {
        KeyRecord {
            key: key.into(),
            fingerprint: None,
            result: None,
        }
    }
}

impl From<String> for KeyRecord {
    fn from(key: String) -> KeyRecord {
        KeyRecord::bare(key)
    }
}

impl From<&str> for KeyRecord {
    fn from(key: &str) -> KeyRecord {
        KeyRecord::bare(key)
    }
}

/// Whether a request was applied already, and what it was.
///
/// Keys are recorded only by [`Store::append`](super::Store::append)
/// ([`AppendRequest::idempotency_key`](super::AppendRequest::idempotency_key)), in the
/// same write as what the request did, so a key is recorded exactly when its effects are.
///
/// # Contract for implementers
///
/// - A key once recorded stays recorded, with the fingerprint and result it was first
///   recorded with: a later append under the same key is a duplicate and changes neither.
///   Asking is a read and changes nothing.
/// - An unknown key is `false` (or `None`), never an error. A backing service that fails
///   is [`StoreError::Unavailable`]; a record that cannot be read back is
///   [`StoreError::Corrupt`].
/// - A key recorded before the store kept fingerprints reads back as a bare key.
#[async_trait]
pub trait IdempotencyKeys: Send + Sync + fmt::Debug + 'static {
    /// Whether an idempotency key has been recorded.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError>;

    /// The record of an idempotency key, if it has been recorded.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn idempotency_record(&self, key: &str) -> Result<Option<KeyRecord>, StoreError>;
}
