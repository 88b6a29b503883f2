use std::fmt;

use serde::{Deserialize, Serialize};

use super::GroupError;

/// The longest id accepted.
pub const MAX_ID_LEN: usize = 64;

fn check_id(kind: &'static str, id: &str) -> Result<(), GroupError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(GroupError::InvalidId {
            kind,
            id: id.chars().take(MAX_ID_LEN).collect(),
        })
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        ///
        /// 1 to 64 ASCII letters, digits, `-`, `_` or `.`: safe inside ledger account
        /// owners and idempotency keys, which use `:` and `/` as separators.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks and wraps an id.
            ///
            /// # Errors
            /// [`GroupError::InvalidId`] if it is empty, too long or has other characters.
            pub fn new(id: impl Into<String>) -> Result<$name, GroupError> {
                let id = id.into();
                check_id($kind, &id)?;
                Ok($name(id))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = GroupError;
            fn try_from(id: String) -> Result<Self, Self::Error> {
                $name::new(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A group's id, chosen by the caller.
    GroupId,
    "group"
);
id_type!(
    /// A member's id, chosen by the caller (the host service's user id, say).
    MemberId,
    "member"
);

/// A hand: one share in the rotation, numbered from 1 in join order when the group starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HandId(pub u32);

impl fmt::Display for HandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "h{}", self.0)
    }
}
