//! Idempotency keys: the requests (webhook deliveries, retried commands) already applied.

use std::fmt;

use async_trait::async_trait;

use super::error::StoreError;

/// Whether a request was applied already.
///
/// Keys are recorded only by [`Store::append`](super::Store::append)
/// ([`AppendRequest::idempotency_key`](super::AppendRequest::idempotency_key)), in the
/// same write as what the request did, so a key is recorded exactly when its effects are.
///
/// # Contract for implementers
///
/// - A key once recorded stays recorded; asking is a read and changes nothing.
/// - An unknown key is `false`, never an error. A backing service that fails is
///   [`StoreError::Unavailable`].
#[async_trait]
pub trait IdempotencyKeys: Send + Sync + fmt::Debug + 'static {
    /// Whether an idempotency key has been recorded.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    async fn has_idempotency_key(&self, key: &str) -> Result<bool, StoreError>;
}
