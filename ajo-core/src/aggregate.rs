//! The one shape every aggregate follows: commands in, events out, state as a fold.
//!
//! A savings group ([`GroupState`](crate::group::GroupState)) and a loan
//! ([`LoanState`](crate::loan::LoanState)) are both remembered as events and driven by
//! commands, the same way:
//!
//! - [`decide`](Aggregate::decide) checks a command against the state at a time the
//!   caller gives and answers with the events it causes, or a typed refusal. It reads no
//!   clock and changes nothing, so the same state, command and time always decide the
//!   same events.
//! - [`apply`](Aggregate::apply) folds one event into the state and cannot fail: the
//!   event was decided against this state, so it fits. A stored log that does not fit
//!   (edited by hand, reordered) is the aggregate's to notice and report on its next
//!   `decide`, never a panic.
//! - [`replay`](Aggregate::replay) rebuilds a state from its log; [`version`](Aggregate::version)
//!   is how many events it has folded, the stream version a store appends at.
//!
//! The service's command runner is written once over this trait: load, decide, append at
//! the version loaded, and decide again from fresh state when another writer got there
//! first.
//!
//! ```
//! use ajo_core::aggregate::Aggregate;
//! use ajo_core::calendar::Frequency;
//! use ajo_core::group::{GroupCommand, GroupConfig, GroupId, GroupState, MemberId};
//! use ajo_core::money::{Currency, Money};
//! use chrono::{NaiveDate, TimeZone, Utc};
//!
//! let contribution = Money::parse("10000", Currency::NGN)?;
//! let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
//! let config = GroupConfig::builder("Market women", contribution, Frequency::Monthly, start).build()?;
//! let now = Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap();
//!
//! let mut log = Vec::new();
//! let mut group = GroupState::default();
//! for command in [
//!     GroupCommand::Create { id: GroupId::new("g1")?, config },
//!     GroupCommand::Join { member: MemberId::new("ada")?, hands: 1 },
//! ] {
//!     for event in group.decide(&command, now)? {
//!         group.apply(&event);
//!         log.push(event);
//!     }
//! }
//! assert_eq!(group.version(), 2);
//! assert_eq!(GroupState::replay(&log), group);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Utc};

/// A consistency boundary remembered as events; see the module docs.
pub trait Aggregate: Clone + Default + Send + Sync + 'static {
    /// What a caller asks of it.
    type Command: Send + Sync;
    /// What happened to it.
    type Event: Clone + PartialEq + Send + Sync + 'static;
    /// Why a command was refused.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The events `command` causes at `now`, without changing the state.
    ///
    /// # Errors
    /// The aggregate's refusal: the command does not fit the state, or its input is bad.
    fn decide(
        &self,
        command: &Self::Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Self::Event>, Self::Error>;

    /// Folds one event into the state.
    fn apply(&mut self, event: &Self::Event);

    /// How many events have been folded in: the version of the stream the state was
    /// read from.
    fn version(&self) -> u64;

    /// The state `events` leave, folded in order from the default.
    fn replay<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self {
        let mut state = Self::default();
        for event in events {
            state.apply(event);
        }
        state
    }
}
