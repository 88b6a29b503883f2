use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::GroupError;
use crate::calendar::Frequency;
use crate::group::deposit::DepositRule;
use crate::group::payout::PayoutPolicy;
use crate::group::rotation::{PayoutOrder, check_fee_rate};
use crate::ids::MemberId;
use crate::money::{Currency, Money};
use crate::penalty::{PenaltyKind, PenaltyRule};

/// The most hands a group may have: a cycle of more rounds is rarely a savings group,
/// and a bound keeps every per-round computation small.
pub const MAX_HANDS: u32 = 1_000;

/// A group's rules, fixed when it is created. Built with [`GroupConfig::builder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupConfig {
    name: String,
    contribution: Money,
    frequency: Frequency,
    start_date: NaiveDate,
    time_zone: Tz,
    grace_days: u32,
    fee_rate: Decimal,
    fee_account: String,
    /// Opt-in: members may borrow from the pot's idle money. Defaulted so groups stored
    /// before the rule existed read back (as not lending).
    #[serde(default)]
    lends_from_pot: bool,
    penalty: PenaltyRule,
    deposit: DepositRule,
    payout_order: PayoutOrder,
    payout_policy: PayoutPolicy,
    reminder_days: u32,
    max_hands: u32,
    // Added after groups were first stored: groups stored before read back with the
    // defaults, which are what those groups did.
    #[serde(default)]
    organiser: Option<MemberId>,
    #[serde(default = "default_choice_days")]
    choice_days: u32,
    #[serde(default)]
    forming_days: Option<u32>,
    /// Absent from configurations stored before it existed: those started with two.
    #[serde(default = "two")]
    min_hands: u32,
}

fn two() -> u32 {
    2
}

fn default_choice_days() -> u32 {
    DEFAULT_CHOICE_DAYS
}

/// Days the organiser has, from a round's payout date, to choose its recipient before
/// the service falls back to the first unpaid hand (default of
/// [`GroupConfigBuilder::choice_days`]).
pub const DEFAULT_CHOICE_DAYS: u32 = 2;

impl GroupConfig {
    /// Starts a configuration with what every group needs: a name, the contribution per
    /// hand (its currency is the group's), how often rounds fall due and the first due
    /// date. Everything else has a default: UTC, no grace, no fee, no penalty, no
    /// deposit, join order, payout when every due is in, reminders two days ahead.
    pub fn builder(
        name: impl Into<String>,
        contribution: Money,
        frequency: Frequency,
        start_date: NaiveDate,
    ) -> GroupConfigBuilder {
        GroupConfigBuilder {
            config: GroupConfig {
                name: name.into(),
                contribution,
                frequency,
                start_date,
                time_zone: Tz::UTC,
                grace_days: 0,
                fee_rate: Decimal::ZERO,
                fee_account: "platform".into(),
                lends_from_pot: false,
                penalty: PenaltyRule::none(),
                deposit: DepositRule::None,
                payout_order: PayoutOrder::JoinOrder,
                payout_policy: PayoutPolicy::WhenAllPaid,
                reminder_days: 2,
                max_hands: 60,
                organiser: None,
                choice_days: DEFAULT_CHOICE_DAYS,
                forming_days: None,
                min_hands: 2,
            },
        }
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The group's currency.
    pub fn currency(&self) -> Currency {
        self.contribution.currency()
    }
    /// What each hand pays each round.
    pub fn contribution(&self) -> Money {
        self.contribution
    }
    /// How often rounds fall due.
    pub fn frequency(&self) -> Frequency {
        self.frequency
    }
    /// Round 1's due date.
    pub fn start_date(&self) -> NaiveDate {
        self.start_date
    }
    /// The IANA time zone in which due dates are calendar dates and lateness is judged.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }
    /// Days after a due date before an unpaid due is late: the group's one grace
    /// period. Penalties start after it and, under
    /// [`PayoutPolicy::AtGraceEnd`], deposits cover what is still unpaid at its end. The
    /// [penalty rule](Self::penalty) carries the same number (see
    /// [`GroupConfigBuilder::build`]).
    pub fn grace_days(&self) -> u32 {
        self.grace_days
    }
    /// The organiser's or platform's share of each pot.
    pub fn fee_rate(&self) -> Decimal {
        self.fee_rate
    }
    /// The owner of the ledger account fees are credited to.
    pub fn fee_account(&self) -> &str {
        &self.fee_account
    }
    /// Whether members may borrow from the pot's idle money: only what no scheduled
    /// payout needs (see `AjoService::lendable_from_pot`), repaid into the pot.
    pub fn lends_from_pot(&self) -> bool {
        self.lends_from_pot
    }
    /// The late-penalty rule; its [grace days](PenaltyRule::grace_days) are always the
    /// group's [`grace_days`](Self::grace_days).
    pub fn penalty(&self) -> &PenaltyRule {
        &self.penalty
    }
    /// The security-deposit rule.
    pub fn deposit(&self) -> &DepositRule {
        &self.deposit
    }
    /// How recipients are ordered.
    pub fn payout_order(&self) -> &PayoutOrder {
        &self.payout_order
    }
    /// When a round is paid out.
    pub fn payout_policy(&self) -> PayoutPolicy {
        self.payout_policy
    }
    /// Days before a due date that reminders start.
    pub fn reminder_days(&self) -> u32 {
        self.reminder_days
    }
    /// The most hands the group takes.
    pub fn max_hands(&self) -> u32 {
        self.max_hands
    }
    /// The member who runs the group: reminded when an organiser's-choice round waits
    /// for its recipient.
    pub fn organiser(&self) -> Option<&MemberId> {
        self.organiser.as_ref()
    }
    /// Days after a round's payout date that an organiser's choice may wait; after them
    /// the first hand not yet paid (in join order) is paid.
    pub fn choice_days(&self) -> u32 {
        self.choice_days
    }
    /// Days after the start date that a group may stay forming; after them the scheduler
    /// cancels it and returns the deposits. `None` (the default): it waits for ever.
    pub fn forming_days(&self) -> Option<u32> {
        self.forming_days
    }
    /// The fewest hands the group starts with: its configured size. `start` is refused
    /// ([`GroupError::TooFewHands`]) below it.
    pub fn min_hands(&self) -> u32 {
        self.min_hands
    }
}

/// Builds a [`GroupConfig`], checking every setting once in [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use]
pub struct GroupConfigBuilder {
    config: GroupConfig,
}

impl GroupConfigBuilder {
    /// The IANA time zone (default UTC).
    pub fn time_zone(mut self, tz: Tz) -> Self {
        self.config.time_zone = tz;
        self
    }
    /// Days of grace after each due date (default 0): the group's one grace period, for
    /// penalties and deposit cover alike.
    pub fn grace_days(mut self, days: u32) -> Self {
        self.config.grace_days = days;
        self
    }
    /// The organiser's fee as a fraction of the pot, in `[0, 1)` (default 0).
    pub fn fee_rate(mut self, rate: Decimal) -> Self {
        self.config.fee_rate = rate;
        self
    }
    /// The owner of the fee account (default `"platform"`).
    pub fn fee_account(mut self, owner: impl Into<String>) -> Self {
        self.config.fee_account = owner.into();
        self
    }
    /// Let members borrow the pot's idle money (default no).
    pub fn lends_from_pot(mut self, lends: bool) -> Self {
        self.config.lends_from_pot = lends;
        self
    }
    /// The late-penalty rule (default none). Give it no grace of its own (0): it takes
    /// the group's [`grace_days`](Self::grace_days). A rule with other grace days than
    /// the group's is refused by [`build`](Self::build).
    pub fn penalty(mut self, rule: PenaltyRule) -> Self {
        self.config.penalty = rule;
        self
    }
    /// The security-deposit rule (default none).
    pub fn deposit(mut self, rule: DepositRule) -> Self {
        self.config.deposit = rule;
        self
    }
    /// The payout-order method (default join order).
    pub fn payout_order(mut self, order: PayoutOrder) -> Self {
        self.config.payout_order = order;
        self
    }
    /// The payout policy (default when every due is in).
    pub fn payout_policy(mut self, policy: PayoutPolicy) -> Self {
        self.config.payout_policy = policy;
        self
    }
    /// Days before a due date that reminders start (default 2).
    pub fn reminder_days(mut self, days: u32) -> Self {
        self.config.reminder_days = days;
        self
    }
    /// The member who runs the group (default none): told when a round waits for their
    /// choice of recipient.
    pub fn organiser(mut self, member: MemberId) -> Self {
        self.config.organiser = Some(member);
        self
    }
    /// Days after a round's payout date that an organiser's choice may wait before the
    /// first unpaid hand is paid instead (default [`DEFAULT_CHOICE_DAYS`]).
    pub fn choice_days(mut self, days: u32) -> Self {
        self.config.choice_days = days;
        self
    }
    /// Cancel the group (returning deposits) if it is still forming this many days after
    /// its start date (default: never).
    pub fn forming_days(mut self, days: u32) -> Self {
        self.config.forming_days = Some(days);
        self
    }
    /// The most hands (default 60, at most [`MAX_HANDS`]).
    pub fn max_hands(mut self, hands: u32) -> Self {
        self.config.max_hands = hands;
        self
    }
    /// The fewest hands to start with (default 2, at most the maximum).
    pub fn min_hands(mut self, hands: u32) -> Self {
        self.config.min_hands = hands;
        self
    }
    /// A group of exactly `hands` hands: it starts only once full. The same as
    /// `min_hands(hands).max_hands(hands)`.
    pub fn size(self, hands: u32) -> Self {
        self.min_hands(hands).max_hands(hands)
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`GroupError::InvalidConfig`] naming the first bad setting: an empty or over-long
    /// name, a contribution not above zero, a fee rate outside `[0, 1)`, an every-0-days
    /// frequency, a maximum below 2 or above [`MAX_HANDS`], a minimum below 2 or above
    /// the maximum, a penalty fee or deposit in another currency, a penalty rule whose
    /// own grace days are neither 0 nor the group's, an empty fee account owner.
    ///
    /// # One grace period
    /// The group's [`grace_days`](Self::grace_days) is the only grace: a penalty rule
    /// given with 0 grace days takes the group's; one given with the same number is
    /// kept; any other number is refused (`InvalidConfig { field: "penalty", .. }`), so
    /// the two can never disagree.
    pub fn build(self) -> Result<GroupConfig, GroupError> {
        let mut c = self.config;
        let invalid = |field, reason| Err(GroupError::InvalidConfig { field, reason });
        if c.name.trim().is_empty() || c.name.len() > 200 {
            return invalid("name", "must be 1 to 200 bytes and not blank");
        }
        if !c.contribution.is_positive() {
            return invalid("contribution", "must be above zero");
        }
        if check_fee_rate(c.fee_rate).is_err() {
            return invalid("fee_rate", "must be at least 0 and below 1");
        }
        if c.frequency == Frequency::EveryNDays(0) {
            return invalid("frequency", "every 0 days never advances");
        }
        if !(2..=MAX_HANDS).contains(&c.max_hands) {
            return invalid("max_hands", "must be from 2 to 1000");
        }
        if !(2..=c.max_hands).contains(&c.min_hands) {
            return invalid("min_hands", "must be from 2 to max_hands");
        }
        if c.fee_account.is_empty() || c.fee_account.len() > 64 {
            return invalid("fee_account", "must be 1 to 64 bytes");
        }
        let currency = c.contribution.currency();
        let foreign = |m: &Money| m.currency() != currency;
        match c.penalty.kind() {
            PenaltyKind::FlatFee { fee } if foreign(fee) => {
                return invalid("penalty", "fee is in another currency");
            }
            PenaltyKind::DailyAccrual {
                cap_amount: Some(cap),
                ..
            } if foreign(cap) => {
                return invalid("penalty", "cap is in another currency");
            }
            _ => {}
        }
        if c.penalty.grace_days() != c.grace_days {
            if c.penalty.grace_days() != 0 {
                return invalid(
                    "penalty",
                    "its grace days differ from the group's grace_days, the one grace period",
                );
            }
            c.penalty = match PenaltyRule::new(c.penalty.kind().clone(), c.grace_days) {
                Ok(rule) => rule,
                Err(_) => return invalid("penalty", "the rule's amounts must not be negative"),
            };
        }
        if let DepositRule::Fixed { amount } = c.deposit
            && (foreign(&amount) || amount.is_negative())
        {
            return invalid("deposit", "must be zero or more in the group's currency");
        }
        if let PayoutOrder::Fixed { members } = &c.payout_order
            && members.is_empty()
        {
            return invalid("payout_order", "a fixed order needs members");
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ngn(minor: i128) -> Money {
        Money::from_minor(minor, Currency::NGN).unwrap()
    }

    fn builder() -> GroupConfigBuilder {
        let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        GroupConfig::builder("Test", ngn(100_000), Frequency::Monthly, start)
    }

    fn flat(grace: u32) -> PenaltyRule {
        PenaltyRule::new(PenaltyKind::FlatFee { fee: ngn(50_000) }, grace).unwrap()
    }

    #[test]
    fn the_penalty_takes_the_groups_grace() {
        let config = builder().grace_days(3).penalty(flat(0)).build().unwrap();
        assert_eq!((config.grace_days(), config.penalty().grace_days()), (3, 3));
        assert_eq!(config.penalty().kind(), flat(0).kind());
        let same = builder().grace_days(3).penalty(flat(3)).build().unwrap();
        assert_eq!(same, config);
    }

    #[test]
    fn a_penalty_grace_other_than_the_groups_is_refused() {
        for (group, penalty) in [(0, 2), (3, 1), (1, 3)] {
            let refused = builder()
                .grace_days(group)
                .penalty(flat(penalty))
                .build()
                .unwrap_err();
            assert!(
                matches!(
                    refused,
                    GroupError::InvalidConfig {
                        field: "penalty",
                        ..
                    }
                ),
                "{group} and {penalty}: {refused:?}"
            );
        }
    }

    #[test]
    fn the_size_is_the_minimum_to_start_within_the_maximum() {
        let sized = builder().size(5).build().unwrap();
        assert_eq!((sized.min_hands(), sized.max_hands()), (5, 5));
        assert_eq!(builder().build().unwrap().min_hands(), 2);
        for bad in [builder().min_hands(1), builder().max_hands(4).min_hands(5)] {
            assert!(matches!(
                bad.build(),
                Err(GroupError::InvalidConfig {
                    field: "min_hands",
                    ..
                })
            ));
        }
    }

    #[test]
    fn a_config_stored_before_min_hands_reads_back_with_two() {
        let config = builder().build().unwrap();
        let mut json = serde_json::to_value(&config).unwrap();
        json.as_object_mut().unwrap().remove("min_hands");
        let back: GroupConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, config);
    }
}
