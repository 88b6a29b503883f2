//! [`LoanId`].

use super::{MAX_ID_LEN, check_key, text_id};

/// The longest loan id, in bytes.
pub const MAX_LOAN_ID_LEN: usize = MAX_ID_LEN;

text_id!(
    /// A loan's id, chosen by the caller: 1 to 64 ASCII letters, digits, `.`, `_` or `-`.
    /// It keys the loan's ledger entries (`loan:{id}:payment:{reference}`), so it cannot
    /// hold the `:` that separates their parts.
    ///
    /// ```
    /// use ajo_core::ids::LoanId;
    ///
    /// assert!(LoanId::new("ln_2026-0001").is_ok());
    /// assert!(LoanId::new("ln:1").is_err());
    /// ```
    LoanId,
    check: |id| check_key("loan id", id)
);
