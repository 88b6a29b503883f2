//! [`GroupId`].

use super::{check_key, text_id};

text_id!(
    /// A group's id, chosen by the caller.
    ///
    /// 1 to 64 ASCII letters, digits, `-`, `_` or `.`: safe inside ledger account
    /// owners and idempotency keys, which use `:` and `/` as separators.
    GroupId,
    check: |id| check_key("group id", id)
);
