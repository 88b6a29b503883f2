//! The savings group: a pure, deterministic model of a rotating savings group.
//!
//! A group is driven by commands and remembered as events:
//!
//! - [`decide`]`(state, command, now)` checks a [`GroupCommand`] against the
//!   [`GroupState`] and returns the [`GroupEvent`]s it causes, or a [`GroupError`];
//! - [`GroupState::apply`] folds an event into the state, and [`GroupState::replay`]
//!   rebuilds a group from its event log, exactly.
//!
//! Every event that moves money carries the balanced ledger entry it posts, keyed by
//! group, round, hand, member and kind, so storing the events and posting their entries
//! in one unit keeps the books and the group in step, and retries post once.
//!
//! Life: **forming** (members join with one or more hands and pay their security
//! deposits) → **active** (one round per hand: every hand contributes, one hand is paid
//! the pot) → **completed** (deposits refunded less unpaid penalties), or **cancelled**
//! (what is held returned). [`GroupState::due_actions`] says what a scheduler should do
//! at a given time: reminders, penalties, deposit cover, payouts.
//!
//! The group's rules live beside it, each usable on its own:
//!
//! - [`rotation`]: who is paid in which round, when, and how much;
//! - [`contribution`]: what each hand owes each round, and how a payment is applied;
//! - [`deposit`]: security deposits, how large and what they cover;
//! - [`payout`]: when a round is paid, and what a scheduler should do now.
//!
//! Late penalties ([`penalty`](crate::penalty)) are shared with loans and sit at the
//! crate root.
//!
//! ```
//! use ajo_core::calendar::Frequency;
//! use ajo_core::group::{decide, GroupCommand, GroupConfig, GroupId, GroupState, MemberId};
//! use ajo_core::money::{Currency, Money};
//! use chrono::{NaiveDate, TimeZone, Utc};
//!
//! let contribution = Money::parse("10000", Currency::NGN)?;
//! let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
//! let config = GroupConfig::builder("Market women", contribution, Frequency::Monthly, start).build()?;
//! let now = Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap();
//!
//! let mut group = GroupState::default();
//! let mut run = |group: &mut GroupState, command| -> Result<(), ajo_core::group::GroupError> {
//!     for event in decide(group, &command, now)? {
//!         group.apply(&event);
//!     }
//!     Ok(())
//! };
//! run(&mut group, GroupCommand::Create { id: GroupId::new("g1")?, config })?;
//! for name in ["ada", "bola"] {
//!     run(&mut group, GroupCommand::Join { member: MemberId::new(name)?, hands: 1 })?;
//! }
//! run(&mut group, GroupCommand::Start)?;
//! for (name, reference) in [("ada", "pay-1"), ("bola", "pay-2")] {
//!     let member = MemberId::new(name)?;
//!     run(&mut group, GroupCommand::RecordPayment { member, amount: contribution, reference: reference.into() })?;
//! }
//! run(&mut group, GroupCommand::MakePayout { round: 1 })?;
//! assert_eq!(group.current_round(), Some(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod contribution;
pub mod deposit;
pub mod payout;
pub mod rotation;

mod accounts;
mod command;
mod config;
mod decide;
mod error;
mod event;
mod state;

pub use crate::ids::{GroupId, HandId, MAX_ID_LEN, MemberId};
pub use accounts::{CLEARING_OWNER, GroupAccounts};
pub use command::GroupCommand;
pub use config::{DEFAULT_CHOICE_DAYS, GroupConfig, GroupConfigBuilder, MAX_HANDS};
pub use decide::decide;
pub use error::GroupError;
pub use event::GroupEvent;
pub use state::{Bid, GroupState, GroupStatus, HandState, MemberState, RoundState};
