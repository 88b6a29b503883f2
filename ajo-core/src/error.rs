//! The crate-wide error, for callers who handle every area's errors in one place, and
//! [`Source`], how an error keeps the error under it.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use thiserror::Error;

use crate::books::PeriodError;
use crate::calendar::CalendarError;
use crate::eligibility::EligibilityError;
use crate::group::GroupError;
use crate::group::rotation::RotationError;
use crate::ids::IdError;
use crate::ledger::{AuditFault, ChainError, LedgerError};
use crate::loan::LoanError;
use crate::money::MoneyError;
use crate::penalty::PenaltyError;
use crate::ports::{GatewayError, NotifyError, StoreError};
use crate::service::{ConfigError, ServiceError};
use crate::webhook::WebhookError;

/// Any error of `ajo-core`. Each area keeps its own typed enum; this wraps them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// From [`money`](crate::money).
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// From [`ledger`](crate::ledger).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// From [`penalty`](crate::penalty).
    #[error(transparent)]
    Penalty(#[from] PenaltyError),
    /// From [`rotation`](crate::group::rotation).
    #[error(transparent)]
    Rotation(#[from] RotationError),
    /// From [`group`](crate::group).
    #[error(transparent)]
    Group(#[from] GroupError),
    /// From [`calendar`](crate::calendar).
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// From [`ledger::verify_chain`](crate::ledger::verify_chain).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// From [`ledger::audit`](crate::ledger::audit).
    #[error(transparent)]
    Audit(#[from] AuditFault),
    /// From [`webhook`](crate::webhook).
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// From [`loan`](crate::loan).
    #[error(transparent)]
    Loan(#[from] LoanError),
    /// From [`eligibility`](crate::eligibility).
    #[error(transparent)]
    Eligibility(#[from] EligibilityError),
    /// From [`ids`](crate::ids).
    #[error(transparent)]
    Id(#[from] IdError),
    /// From [`service`](crate::service): an [`AjoService`](crate::service::AjoService)
    /// call.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// From a [`Store`](crate::ports::Store).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// From a [`PaymentGateway`](crate::ports::PaymentGateway).
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// From an [`EmailSender`](crate::ports::EmailSender) or
    /// [`SmsSender`](crate::ports::SmsSender).
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// From [`ServiceConfig::validate`](crate::service::ServiceConfig::validate).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// From [`books::Period`](crate::books::Period).
    #[error(transparent)]
    Period(#[from] PeriodError),
}

/// An underlying error kept as the [`source`](std::error::Error::source) of one of
/// ours, so its chain is not flattened into a string.
///
/// Shared in an [`Arc`] so the errors holding it stay `Clone` (as jiff keeps its inner
/// error); compared by message, so they stay `PartialEq`/`Eq` for tests. `Debug` shows
/// the message only: some errors' `Debug` prints fields (a URL with its query, a header)
/// their `Display` leaves out. Whoever wraps an error must still make sure its message
/// holds no secret.
#[derive(Clone)]
pub struct Source(Arc<dyn StdError + Send + Sync + 'static>);

impl Source {
    /// Keeps `error`.
    pub fn new(error: impl StdError + Send + Sync + 'static) -> Source {
        Source(Arc::new(error))
    }

    /// The error kept.
    pub fn get(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Source")
            .field(&format_args!("{}", self.0))
            .finish()
    }
}

impl StdError for Source {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Source {
    fn eq(&self, other: &Source) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for Source {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::GroupError;
    use crate::ids::{GroupId, IdError};
    use crate::ledger::LedgerError;
    use crate::loan::LoanError;
    use crate::ports::{GatewayError, NotifyError, StoreError, StreamId, StreamKind};
    use crate::service::ServiceError;

    /// Each area's error goes into [`Error`] with `?`.
    #[test]
    fn every_area_error_converts_with_question_mark() {
        fn lift<E>(error: E) -> Result<(), Error>
        where
            Error: From<E>,
        {
            Err(error)?;
            Ok(())
        }
        let stream = StreamId::new(StreamKind::Group, "g");
        let cases: Vec<Result<(), Error>> = vec![
            lift(ServiceError::NotFound(stream.clone())),
            lift(StoreError::UnknownMessage("m".into())),
            lift(GatewayError::Timeout),
            lift(NotifyError::Unavailable),
            lift(GroupError::NoHands),
            lift(LoanError::NothingDue),
            lift(GroupId::new("a b").unwrap_err()),
            lift(LedgerError::InvalidKey { len: 0 }),
        ];
        assert!(matches!(
            cases[0],
            Err(Error::Service(ServiceError::NotFound(_)))
        ));
        assert!(matches!(cases[1], Err(Error::Store(_))));
        assert!(matches!(
            cases[2],
            Err(Error::Gateway(GatewayError::Timeout))
        ));
        assert!(matches!(
            cases[3],
            Err(Error::Notify(NotifyError::Unavailable))
        ));
        assert!(matches!(cases[4], Err(Error::Group(GroupError::NoHands))));
        assert!(matches!(cases[5], Err(Error::Loan(LoanError::NothingDue))));
        assert!(matches!(cases[6], Err(Error::Id(IdError { .. }))));
        assert!(matches!(cases[7], Err(Error::Ledger(_))));
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_source_keeps_the_chain_compares_by_message_and_stays_clone() {
        let io = std::io::Error::other("disk gone");
        let source = Source::new(Outer(io));
        assert_eq!(source.to_string(), "outer");
        assert_eq!(
            source.source().map(ToString::to_string).as_deref(),
            Some("disk gone")
        );
        assert_eq!(format!("{source:?}"), "Source(outer)");
        let copy = source.clone();
        assert_eq!(copy, source);
        assert_eq!(Source::new(Outer(std::io::Error::other("x"))), source);
        assert_ne!(Source::new(std::io::Error::other("other")), source);
    }
}
