//! Payouts: when a round is paid, and what is due to be done now.
//!
//! A round is paid out once its payout date has come (in the group's time zone: the due
//! date, or the end of the grace period under [`PayoutPolicy::AtGraceEnd`]) and every
//! one of its dues is in: paid, covered from a deposit, or waived. Under either policy a
//! due still open when its grace period ends is covered from the member's security
//! deposit, as far as the deposit goes. The pot is what was
//! collected for the round; the fee (half-even on the pot) goes to the platform account
//! and the rest to the recipient, less any bidding discount, which is shared among the
//! other members by the conserving allocation. A hand is paid exactly once per cycle.
//!
//! [`GroupState::due_actions`](crate::group::GroupState::due_actions) lists what a
//! scheduler should do now (reminders, penalties, deposit cover, payouts), in a stable
//! order, without doing any of it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{HandId, MemberId};
use crate::money::Money;

/// When a round's pot is paid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PayoutPolicy {
    /// On or after the due date, as soon as every due of the round is in: members who
    /// pay on time see the pot paid on the due date.
    WhenAllPaid,
    /// On or after the end of the grace period (due date plus
    /// [`grace_days`](crate::group::GroupConfig::grace_days)), once every due is in: one
    /// predictable payout day, whoever paid when.
    AtGraceEnd,
}

/// Something a scheduler should do now for a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DueAction {
    /// Remind a member that a due is coming (or is today).
    SendReminder {
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
        /// Who to remind.
        member: MemberId,
        /// The due date.
        due_date: NaiveDate,
        /// What is still owed on it.
        amount: Money,
    },
    /// Late dues have penalties not yet charged: issue `ApplyPenalties`.
    ApplyPenalties {
        /// The day they are assessed for.
        as_of: NaiveDate,
    },
    /// A late due can be covered from the member's deposit: issue `CoverArrears`.
    CoverArrears {
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
        /// The member.
        member: MemberId,
        /// How much the deposit can cover.
        amount: Money,
    },
    /// The round is due and funded: issue `MakePayout`.
    MakePayout {
        /// The round.
        round: u32,
    },
    /// The round is due but the organiser has not chosen its recipient (until the
    /// [choice deadline](crate::group::GroupState::choice_deadline), after which the
    /// action is `MakePayout` and the first unpaid hand is paid).
    ChooseRecipient {
        /// The round.
        round: u32,
    },
    /// The group is still forming past its
    /// [`forming_days`](crate::group::GroupConfig::forming_days): issue `Cancel`.
    CancelForming,
}

impl DueAction {
    /// A key naming this action for this group, so a scheduler running on two hosts, or
    /// twice, does it once.
    pub fn idempotency_key(&self, group: &str) -> String {
        match self {
            DueAction::SendReminder {
                round,
                hand,
                member,
                ..
            } => format!("{group}:r{round}:{hand}:{member}:reminder"),
            DueAction::ApplyPenalties { as_of } => format!("{group}:penalties:{as_of}"),
            DueAction::CoverArrears {
                round,
                hand,
                member,
                amount,
            } => format!(
                "{group}:r{round}:{hand}:{member}:deposit-cover:{}",
                amount.minor()
            ),
            DueAction::MakePayout { round } => format!("{group}:r{round}:payout"),
            DueAction::ChooseRecipient { round } => format!("{group}:r{round}:choose-recipient"),
            DueAction::CancelForming => format!("{group}:cancel-forming"),
        }
    }
}
