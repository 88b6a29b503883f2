//! [`HandId`].

use std::fmt;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

use super::IdError;

/// A hand: one share in the rotation, numbered from 1 in join order when the group starts.
///
/// Never 0: [`new`](HandId::new) and reading JSON refuse it. In JSON it is the bare
/// number; shown as `h{number}`.
///
/// ```
/// use ajo_core::ids::HandId;
///
/// let hand = HandId::new(2)?;
/// assert_eq!((hand.get(), hand.to_string()), (2, "h2".to_owned()));
/// assert!(HandId::new(0).is_err());
/// # Ok::<(), ajo_core::ids::IdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct HandId(NonZeroU32);

impl HandId {
    /// Hand 1, the lowest: the start of a range over a round's hands.
    pub const MIN: HandId = HandId(NonZeroU32::MIN);

    /// Hand `number`.
    ///
    /// # Errors
    /// [`IdError`] if `number` is 0 (hands are numbered from 1).
    pub fn new(number: u32) -> Result<HandId, IdError> {
        NonZeroU32::new(number)
            .map(HandId)
            .ok_or_else(|| IdError::new("hand", "0", "hands are numbered from 1"))
    }

    /// The hand's number, 1 or more.
    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// Hands 1, 2, 3… in order: zipped with a group's hands, each gets its id.
    pub fn sequence() -> impl Iterator<Item = HandId> {
        (1..=u32::MAX).filter_map(NonZeroU32::new).map(HandId)
    }
}

impl From<NonZeroU32> for HandId {
    fn from(number: NonZeroU32) -> HandId {
        HandId(number)
    }
}

impl From<HandId> for NonZeroU32 {
    fn from(hand: HandId) -> NonZeroU32 {
        hand.0
    }
}

impl From<HandId> for u32 {
    fn from(hand: HandId) -> u32 {
        hand.get()
    }
}

impl TryFrom<u32> for HandId {
    type Error = IdError;
    fn try_from(number: u32) -> Result<HandId, IdError> {
        HandId::new(number)
    }
}

impl fmt::Display for HandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "h{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_zero_is_refused_by_new_and_by_json() {
        let error = HandId::new(0).unwrap_err();
        assert_eq!((error.kind(), error.value()), ("hand", Some("0")));
        assert!(serde_json::from_str::<HandId>("0").is_err());
        assert!(serde_json::from_str::<HandId>("-1").is_err());
        assert_eq!(
            serde_json::from_str::<HandId>("7").unwrap(),
            HandId::new(7).unwrap()
        );
        assert_eq!(HandId::new(u32::MAX).unwrap().get(), u32::MAX);
    }

    #[test]
    fn hands_show_and_count_from_one() {
        assert_eq!(HandId::MIN.to_string(), "h1");
        let first: Vec<u32> = HandId::sequence().take(3).map(HandId::get).collect();
        assert_eq!(first, [1, 2, 3]);
    }
}
