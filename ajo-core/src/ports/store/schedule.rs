//! Wake times: when the scheduler should look at a stream again.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::stream::StreamId;

/// Which streams are due for the scheduler (`tick`) to look at.
///
/// Wake times are set and cleared only by [`Store::append`](super::Store::append), one
/// per stream ([`StreamAppend::wake_at`](super::StreamAppend::wake_at)): each append to a
/// stream replaces its wake time, and one without clears it.
///
/// # Contract for implementers
///
/// - A stream is due once its wake time is at or before the `now` asked, and stays due
///   until an append changes its wake time: asking again answers the same.
/// - No stream due is an empty list, never an error. A backing service that fails is
///   [`StoreError::Unavailable`].
#[async_trait]
pub trait WakeSchedule: Send + Sync + fmt::Debug + 'static {
    /// Streams whose wake time is at or before `now`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Corrupt`].
    async fn due_streams(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StreamId>, StoreError>;
}
