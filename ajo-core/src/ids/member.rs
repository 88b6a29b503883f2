//! [`MemberId`].

use super::{check_key, text_id};

text_id!(
    /// A member's id, chosen by the caller (the host service's user id, say).
    ///
    /// 1 to 64 ASCII letters, digits, `-`, `_` or `.`: safe inside ledger account
    /// owners and idempotency keys, which use `:` and `/` as separators.
    MemberId,
    check: |id| check_key("member id", id)
);
