//! The crate-wide error, for callers who handle every area's errors in one place.

use thiserror::Error;

use crate::calendar::CalendarError;
use crate::eligibility::EligibilityError;
use crate::group::GroupError;
use crate::group::rotation::RotationError;
use crate::ids::IdError;
use crate::ledger::{AuditFault, ChainError, LedgerError};
use crate::loan::LoanError;
use crate::money::MoneyError;
use crate::penalty::PenaltyError;
use crate::service::ConfigError;
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
    /// From [`ServiceConfig::validate`](crate::service::ServiceConfig::validate).
    #[error(transparent)]
    Config(#[from] ConfigError),
}
