//! The life of a loan as commands and events.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a loan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoanStatus {
    /// Applied for, waiting for a decision.
    Pending,
    /// Approved, not yet paid out.
    Approved,
    /// Refused before it was paid out (final).
    Rejected,
    /// Paid out and being repaid.
    Disbursed,
    /// Everything owed has been paid (final).
    Repaid,
    /// Declared in default; repayments are still accepted.
    Defaulted,
    /// Written off as a loss (final).
    WrittenOff,
}

impl fmt::Display for LoanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoanStatus::Pending => "pending",
            LoanStatus::Approved => "approved",
            LoanStatus::Rejected => "rejected",
            LoanStatus::Disbursed => "disbursed",
            LoanStatus::Repaid => "repaid",
            LoanStatus::Defaulted => "defaulted",
            LoanStatus::WrittenOff => "written off",
        })
    }
}
