//! Every id ajo keys things by, in one place: each a newtype checked when built and when
//! read back ([`Deserialize`](serde::Deserialize) goes through the same constructor), so
//! a value of one of these types is always valid.
//!
//! - [`GroupId`], [`MemberId`], [`LoanId`]: chosen by the caller, 1 to 64 ASCII letters,
//!   digits, `-`, `_` or `.` (they sit inside ledger keys and references, which use `:`
//!   and `/` as separators).
//! - [`HandId`]: a hand's number in its group, from 1.
//! - [`RecipientId`]: a payment provider's id for a payout recipient.
//! - [`EmailAddress`]: where notices are emailed, checked lightly.
//! - [`IdempotencyKey`]: a host's key for one command, 1 to 128 visible ASCII characters.
//!
//! Every refusal is an [`IdError`] naming the kind of id and why.
//!
//! ```
//! use ajo_core::ids::{EmailAddress, GroupId, HandId};
//!
//! assert!(GroupId::new("balogun-market").is_ok());
//! assert!(GroupId::new("balogun market").is_err());
//! assert!(HandId::new(0).is_err());
//! assert!(EmailAddress::new("ada@example.com").is_ok());
//! ```

mod email;
mod group;
mod hand;
mod idempotency;
mod loan;
mod member;
mod recipient;

use std::fmt;

use thiserror::Error;

pub use email::{EmailAddress, MAX_EMAIL_LEN};
pub use group::GroupId;
pub use hand::HandId;
pub use idempotency::{IdempotencyKey, MAX_IDEMPOTENCY_KEY_LEN};
pub use loan::{LoanId, MAX_LOAN_ID_LEN};
pub use member::MemberId;
pub use recipient::{MAX_RECIPIENT_ID_LEN, RecipientId};

/// The longest group or member id, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// How much of a refused value an [`IdError`] keeps: enough to find it in a log, not
/// enough to carry a whole payload someone pasted into an id field.
const SHOWN_LEN: usize = 32;

/// Why an id (or a reference checked like one) was refused.
///
/// The refused value is kept shortened, and not at all for personal data (an email
/// address), so the error can be logged as it is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {kind}{}: {reason}", Shown(.value.as_deref()))]
pub struct IdError {
    kind: &'static str,
    value: Option<String>,
    reason: &'static str,
}

impl IdError {
    /// An error for `value`, shown shortened.
    pub(crate) fn new(kind: &'static str, value: &str, reason: &'static str) -> IdError {
        IdError {
            kind,
            value: Some(value.chars().take(SHOWN_LEN).collect()),
            reason,
        }
    }

    /// An error that does not show the value (personal data).
    pub(crate) fn hidden(kind: &'static str, reason: &'static str) -> IdError {
        IdError {
            kind,
            value: None,
            reason,
        }
    }

    /// Which id: `group id`, `member id`, `loan id`, `hand`, `recipient id`,
    /// `email address`, or a reference's name (`payment reference`).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The first characters of the value refused, unless it is personal data.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

/// The value in a message: quoted and escaped (`Debug`), so control characters and
/// quotes in it cannot forge a log line.
struct Shown<'a>(Option<&'a str>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(value) => write!(f, " {value:?}"),
            None => Ok(()),
        }
    }
}

/// The check shared by group, member and loan ids: 1 to [`MAX_ID_LEN`] ASCII letters, digits,
/// `-`, `_` or `.`.
fn check_key(kind: &'static str, id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::new(kind, id, "empty"));
    }
    if id.len() > MAX_ID_LEN {
        return Err(IdError::new(kind, id, "longer than 64 bytes"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(IdError::new(
            kind,
            id,
            "only ASCII letters, digits, '-', '_' and '.' are allowed",
        ));
    }
    Ok(())
}

/// A text id: the struct, its constructor through `$check`, `as_str`, `Display`, and
/// serde as a plain string through the constructor (`try_from = "String"`), so stored
/// JSON reads back and a bad value in it is refused, not trusted.
macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, check: $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps an id.
            ///
            /// # Errors
            /// [`IdError`](crate::ids::IdError) if it is empty, too long or holds a
            /// character that is not allowed (see the type's docs).
            pub fn new(id: impl Into<String>) -> Result<$name, $crate::ids::IdError> {
                let id = id.into();
                let check: fn(&str) -> Result<(), $crate::ids::IdError> = $check;
                check(&id)?;
                Ok($name(id))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::ids::IdError;
            fn try_from(id: String) -> Result<Self, Self::Error> {
                $name::new(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
use text_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_kind_and_show_a_short_escaped_value() {
        let error = GroupId::new(format!("a b\n{}", "x".repeat(100))).unwrap_err();
        assert_eq!(error.kind(), "group id");
        assert_eq!(error.value().map(str::len), Some(SHOWN_LEN));
        let text = error.to_string();
        assert!(text.starts_with("invalid group id \"a b\\n"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn key_ids_take_64_letters_digits_dash_underscore_dot() {
        let longest = "a".repeat(MAX_ID_LEN);
        let too_long = "a".repeat(MAX_ID_LEN + 1);
        for ok in ["a", "A-b_c.9", longest.as_str()] {
            assert!(GroupId::new(ok).is_ok(), "{ok}");
            assert!(MemberId::new(ok).is_ok(), "{ok}");
            assert!(LoanId::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a:b", "a/b", "é", "a\n", too_long.as_str()] {
            assert!(GroupId::new(bad).is_err(), "{bad:?}");
            assert!(MemberId::new(bad).is_err(), "{bad:?}");
            assert!(LoanId::new(bad).is_err(), "{bad:?}");
        }
        assert_eq!(LoanId::new("").unwrap_err().reason(), "empty");
        assert_eq!(MemberId::new("a b").unwrap_err().kind(), "member id");
    }

    #[test]
    fn ids_read_back_what_the_old_types_wrote_and_refuse_bad_json() {
        // The JSON the previous `String` and `u32` newtypes wrote: plain strings and a
        // bare number.
        let group: GroupId = serde_json::from_str("\"g-1\"").unwrap();
        let member: MemberId = serde_json::from_str("\"ada.o_1\"").unwrap();
        let loan: LoanId = serde_json::from_str("\"ln_2026-0001\"").unwrap();
        let hand: HandId = serde_json::from_str("3").unwrap();
        let recipient: RecipientId = serde_json::from_str("\"RCP_m7ljkv8leesep7p\"").unwrap();
        let email: EmailAddress = serde_json::from_str("\"ada@example.com\"").unwrap();
        assert_eq!(serde_json::to_string(&group).unwrap(), "\"g-1\"");
        assert_eq!(serde_json::to_string(&member).unwrap(), "\"ada.o_1\"");
        assert_eq!(serde_json::to_string(&loan).unwrap(), "\"ln_2026-0001\"");
        assert_eq!(serde_json::to_string(&hand).unwrap(), "3");
        assert_eq!(
            serde_json::to_string(&recipient).unwrap(),
            "\"RCP_m7ljkv8leesep7p\""
        );
        assert_eq!(
            serde_json::to_string(&email).unwrap(),
            "\"ada@example.com\""
        );

        assert!(serde_json::from_str::<GroupId>("\"a:b\"").is_err());
        assert!(serde_json::from_str::<MemberId>("\"\"").is_err());
        assert!(serde_json::from_str::<LoanId>("\"ln 1\"").is_err());
        assert!(serde_json::from_str::<HandId>("0").is_err());
        assert!(serde_json::from_str::<RecipientId>("\"\"").is_err());
        assert!(serde_json::from_str::<EmailAddress>("\"ada\"").is_err());
    }
}
