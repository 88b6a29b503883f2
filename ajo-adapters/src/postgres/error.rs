//! sqlx errors as the port's typed [`StoreError`]s.
//!
//! Messages never carry sqlx's own text: a driver or configuration error can echo the
//! connection URL, and a database error can echo row values. Only the SQLSTATE code and a
//! fixed description leave this module.

use ajo_core::ports::{AppendRequest, StoreError};
use sqlx::postgres::PgDatabaseError;

/// SQLSTATE classes and codes the store acts on.
pub(crate) mod sqlstate {
    /// A unique constraint refused a row: another writer got there first.
    pub(crate) const UNIQUE_VIOLATION: &str = "23505";
    /// A CHECK or the balance trigger refused a row.
    pub(crate) const CHECK_VIOLATION: &str = "23514";
    /// Serializable isolation refused the transaction.
    pub(crate) const SERIALIZATION_FAILURE: &str = "40001";
    /// Two transactions waited on each other; one was cancelled.
    pub(crate) const DEADLOCK_DETECTED: &str = "40P01";
    /// `ajo_append`: a stream is not at its expected version (DETAIL: index, actual).
    pub(crate) const STREAM_CONFLICT: &str = "AJ001";
    /// `ajo_append`: an entry key holds another entry (DETAIL: entry index).
    pub(crate) const ENTRY_CONFLICT: &str = "AJ002";
    /// `ajo_append`: an entry reverses one not in the journal (DETAIL: entry index).
    pub(crate) const UNKNOWN_REVERSAL: &str = "AJ003";
    /// `ajo_append`: an entry reverses one reversed already (DETAIL: entry index).
    pub(crate) const ALREADY_REVERSED: &str = "AJ004";
    /// `ajo_append`: a balance would pass the largest amount `Money` holds.
    pub(crate) const BALANCE_OUT_OF_RANGE: &str = "AJ005";
}

/// The SQLSTATE of a database error, if it is one.
pub(crate) fn code(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
}

/// Whether the error is a lost race that a fresh attempt will settle: the retry reads
/// the winner's rows and answers `Duplicate`, `Conflict` or `EntryConflict` itself.
pub(crate) fn is_race(error: &sqlx::Error) -> bool {
    matches!(
        code(error).as_deref(),
        Some(
            sqlstate::UNIQUE_VIOLATION
                | sqlstate::SERIALIZATION_FAILURE
                | sqlstate::DEADLOCK_DETECTED
        )
    )
}

/// The port's answer to an error `ajo_append` raised on purpose (SQLSTATE class `AJ`),
/// read from its code and the request item its DETAIL names; `None` for any other error.
pub(crate) fn append_error(error: &sqlx::Error, request: &AppendRequest) -> Option<StoreError> {
    let db = error.as_database_error()?;
    let code = db.code()?;
    let detail = db
        .try_downcast_ref::<PgDatabaseError>()
        .and_then(PgDatabaseError::detail)
        .unwrap_or_default();
    let mut numbers = detail.split(' ').map(str::parse::<u64>);
    let mut next = || numbers.next().and_then(Result::ok);
    let entry_at = |index: Option<u64>| {
        index
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| request.entries.get(i))
    };
    let answer = match code.as_ref() {
        sqlstate::STREAM_CONFLICT => {
            let index = next().and_then(|i| usize::try_from(i).ok());
            let append = index.and_then(|i| request.streams.get(i));
            match (append, next()) {
                (Some(append), Some(actual)) => StoreError::Conflict {
                    stream: append.stream.clone(),
                    expected: append.expected_version,
                    actual,
                },
                _ => corrupt("a stream conflict named no stream of the append"),
            }
        }
        sqlstate::ENTRY_CONFLICT => match entry_at(next()) {
            Some(entry) => StoreError::EntryConflict {
                key: entry.key().to_owned(),
            },
            None => corrupt("an entry conflict named no entry of the append"),
        },
        sqlstate::UNKNOWN_REVERSAL => match entry_at(next()).and_then(|e| e.reverses()) {
            Some(original) => corrupt(format!("entry {original} to reverse is not in the journal")),
            None => corrupt("an entry to reverse is not in the journal"),
        },
        sqlstate::ALREADY_REVERSED => match entry_at(next()).and_then(|e| e.reverses()) {
            Some(original) => corrupt(format!("entry {original} is already reversed")),
            None => corrupt("an entry to reverse is already reversed"),
        },
        sqlstate::BALANCE_OUT_OF_RANGE => StoreError::BalanceOutOfRange,
        _ => return None,
    };
    Some(answer)
}

/// Maps a sqlx error to a [`StoreError`] without any of sqlx's text.
pub(crate) fn store_error(error: &sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some(sqlstate::CHECK_VIOLATION) => StoreError::Unbalanced { key: String::new() },
            Some(code) => StoreError::Unavailable {
                reason: format!("database error (sqlstate {code})"),
            },
            None => unavailable("database error"),
        },
        sqlx::Error::Io(_) => unavailable("connection failed"),
        sqlx::Error::Tls(_) => unavailable("tls handshake failed"),
        sqlx::Error::PoolTimedOut => unavailable("no connection free in the pool in time"),
        sqlx::Error::PoolClosed => unavailable("the pool is closed"),
        sqlx::Error::WorkerCrashed => unavailable("the connection worker crashed"),
        sqlx::Error::Protocol(_) => unavailable("protocol error"),
        sqlx::Error::Configuration(_) => unavailable("bad connection settings"),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::RowNotFound => corrupt("a stored row could not be decoded"),
        _ => unavailable("database driver error"),
    }
}

pub(crate) fn unavailable(reason: &str) -> StoreError {
    StoreError::Unavailable {
        reason: reason.to_owned(),
    }
}

pub(crate) fn corrupt(reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_are_unavailable_and_quote_nothing() {
        let error = sqlx::Error::Configuration("postgres://u:hunter2@db/x".into());
        let mapped = store_error(&error);
        assert!(mapped.is_retryable());
        assert!(!mapped.to_string().contains("hunter2"));
    }
}
