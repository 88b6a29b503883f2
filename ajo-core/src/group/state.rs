use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Days, NaiveDate, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{GroupAccounts, GroupConfig, GroupEvent};
use crate::group::contribution::{Application, Due};
use crate::group::payout::{DueAction, PayoutPolicy};
use crate::group::rotation::PayoutOrder;
use crate::ids::{GroupId, HandId, MemberId};
use crate::ledger::{Account, BalancedEntry, Side};
use crate::money::Money;

/// Where a group is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GroupStatus {
    /// No `Created` event yet.
    #[default]
    New,
    /// Taking members and deposits.
    Forming,
    /// Running its cycle.
    Active,
    /// Every hand paid.
    Completed,
    /// Stopped, with what was held returned.
    Cancelled,
}

impl fmt::Display for GroupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupStatus::New => "new",
            GroupStatus::Forming => "forming",
            GroupStatus::Active => "active",
            GroupStatus::Completed => "completed",
            GroupStatus::Cancelled => "cancelled",
        })
    }
}

/// A member's standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberState {
    /// Hands held.
    pub hands: u32,
    /// The security deposit required.
    pub deposit_required: Money,
    /// Whether the member has left (an active group keeps their record).
    pub left: bool,
    /// Whether what was left of their deposit has gone back to them (or to their
    /// penalties): from then on they owe no deposit. Absent from states stored before it
    /// existed, where it is worked out again by replay.
    #[serde(default)]
    pub deposit_refunded: bool,
}

/// One hand of a started group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandState {
    /// Its member.
    pub member: MemberId,
    /// The round it was paid in, once paid.
    pub paid_in_round: Option<u32>,
}

/// A bid for a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bid {
    /// The bidder.
    pub member: MemberId,
    /// Their hand.
    pub hand: HandId,
    /// The discount offered.
    pub discount: Money,
}

/// One round of a started group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundState {
    /// 1-based number.
    pub number: u32,
    /// When its contributions are due.
    pub due_date: NaiveDate,
    /// The recipient, once known (fixed in advance for fixed and lottery orders).
    pub recipient: Option<HandId>,
    /// Bids, in the order placed.
    pub bids: Vec<Bid>,
    /// Whether it has been paid out.
    pub paid_out: bool,
}

/// A group's state: a fold of its events, never edited directly.
///
/// Two states built from the same events are equal, so a group can be rebuilt exactly
/// from its event log with [`GroupState::replay`].
///
/// It serializes to any serde format, JSON included: the maps keyed by something other
/// than a string (dues by round and hand, balances by account) are written as lists of
/// `[key, value]` pairs. For a host's own screens, prefer the
/// [`GroupView`](crate::view::GroupView), whose shape is meant to be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupState {
    pub(super) id: Option<GroupId>,
    pub(super) config: Option<GroupConfig>,
    pub(super) status: GroupStatus,
    pub(super) members: BTreeMap<MemberId, MemberState>,
    pub(super) join_order: Vec<MemberId>,
    pub(super) hands: Vec<HandState>,
    pub(super) rounds: Vec<RoundState>,
    #[serde(with = "super::entries")]
    pub(super) dues: BTreeMap<(u32, HandId), Due>,
    pub(super) payments: BTreeMap<String, (MemberId, Money)>,
    #[serde(with = "super::entries")]
    pub(super) balances: BTreeMap<Account, i128>,
    /// The loans lent from the pot, in the order they were paid out.
    #[serde(default)]
    pub(super) pot_loans: Vec<crate::ids::LoanId>,
    /// Members whose deposit was given back (kept after a member leaves a forming
    /// group): a deposit is refunded once per member and group.
    #[serde(default)]
    pub(super) refunded: std::collections::BTreeSet<MemberId>,
    pub(super) version: u64,
}

impl GroupState {
    /// Whether the group has recorded a payment under this gateway reference.
    pub fn has_payment(&self, reference: &str) -> bool {
        self.payments.contains_key(reference)
    }

    /// The state after `events`, from nothing.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a GroupEvent>) -> GroupState {
        let mut state = GroupState::default();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// Folds one event into the state. Events come from [`decide`](super::decide) on this
    /// state (or from the log it wrote), so they always fit; anything that does not is
    /// ignored rather than trusted.
    pub fn apply(&mut self, event: &GroupEvent) {
        self.version += 1;
        if let Some(entry) = event.entry() {
            self.post(entry);
        }
        match event {
            GroupEvent::Created { id, config, .. } => {
                self.id = Some(id.clone());
                self.config = Some(config.clone());
                self.status = GroupStatus::Forming;
            }
            GroupEvent::MemberJoined {
                member,
                hands,
                deposit_required,
            } => {
                self.members.insert(
                    member.clone(),
                    MemberState {
                        hands: *hands,
                        deposit_required: *deposit_required,
                        left: false,
                        deposit_refunded: false,
                    },
                );
                self.join_order.push(member.clone());
            }
            GroupEvent::MemberLeft { member } => {
                if self.status == GroupStatus::Forming {
                    self.members.remove(member);
                    self.join_order.retain(|m| m != member);
                } else if let Some(m) = self.members.get_mut(member) {
                    m.left = true;
                }
            }
            GroupEvent::PaymentRecorded {
                member,
                reference,
                amount,
                applied,
                ..
            } => {
                self.payments
                    .insert(reference.clone(), (member.clone(), *amount));
                for application in applied {
                    if let Application::Due {
                        round,
                        hand,
                        amount,
                    } = application
                        && let Some(due) = self.dues.get_mut(&(*round, *hand))
                    {
                        due.paid = due.paid.checked_add(*amount).unwrap_or(due.paid);
                    }
                }
            }
            GroupEvent::Started {
                hands,
                order,
                due_dates,
            } => self.start(hands, order, due_dates),
            GroupEvent::PenaltyCharged {
                round,
                hand,
                amount,
                ..
            } => {
                if let Some(due) = self.dues.get_mut(&(*round, *hand)) {
                    due.penalty_charged = due
                        .penalty_charged
                        .checked_add(*amount)
                        .unwrap_or(due.penalty_charged);
                }
            }
            GroupEvent::DepositApplied {
                round,
                hand,
                amount,
                ..
            } => {
                if let Some(due) = self.dues.get_mut(&(*round, *hand)) {
                    due.covered = due.covered.checked_add(*amount).unwrap_or(due.covered);
                }
            }
            GroupEvent::DueWaived { round, hand } => {
                if let Some(due) = self.dues.get_mut(&(*round, *hand)) {
                    due.waived = true;
                }
            }
            GroupEvent::BidPlaced {
                round,
                member,
                hand,
                discount,
            } => {
                if let Some(r) = self.round_mut(*round) {
                    r.bids.push(Bid {
                        member: member.clone(),
                        hand: *hand,
                        discount: *discount,
                    });
                }
            }
            GroupEvent::RecipientChosen { round, hand } => {
                if let Some(r) = self.round_mut(*round) {
                    r.recipient = Some(*hand);
                }
            }
            GroupEvent::PayoutMade { round, hand, .. } => {
                if let Some(r) = self.round_mut(*round) {
                    r.paid_out = true;
                    r.recipient = Some(*hand);
                }
                if let Some(h) = self.hand_mut(*hand) {
                    h.paid_in_round = Some(*round);
                }
            }
            GroupEvent::Completed => self.status = GroupStatus::Completed,
            GroupEvent::Cancelled { .. } => self.status = GroupStatus::Cancelled,
            GroupEvent::DepositRefunded { member, .. } => {
                if let Some(m) = self.members.get_mut(member) {
                    m.deposit_refunded = true;
                }
                self.refunded.insert(member.clone());
            }
            // The loan's stream keeps the loan; the pot's balance is the journal's.
            GroupEvent::LentFromPot { loan, .. } => self.pot_loans.push(loan.clone()),
        }
    }

    fn start(&mut self, hands: &[MemberId], order: &[HandId], due_dates: &[NaiveDate]) {
        let Some(contribution) = self.config.as_ref().map(GroupConfig::contribution) else {
            return;
        };
        self.hands = hands
            .iter()
            .map(|m| HandState {
                member: m.clone(),
                paid_in_round: None,
            })
            .collect();
        self.rounds = (1u32..)
            .zip(due_dates)
            .map(|(number, due_date)| RoundState {
                number,
                due_date: *due_date,
                recipient: order.get(number as usize - 1).copied(),
                bids: Vec::new(),
                paid_out: false,
            })
            .collect();
        let zero = Money::zero(contribution.currency());
        for round in &self.rounds {
            for hand in HandId::sequence().take(hands.len()) {
                self.dues.insert(
                    (round.number, hand),
                    Due {
                        round: round.number,
                        hand,
                        due_date: round.due_date,
                        amount: contribution,
                        paid: zero,
                        covered: zero,
                        waived: false,
                        penalty_charged: zero,
                    },
                );
            }
        }
        self.status = GroupStatus::Active;
    }

    fn post(&mut self, entry: &BalancedEntry) {
        for posting in entry.postings() {
            let delta = match posting.side {
                Side::Debit => posting.amount.minor(),
                Side::Credit => -posting.amount.minor(),
            };
            let balance = self.balances.entry(posting.account.clone()).or_insert(0);
            *balance = balance.saturating_add(delta);
        }
    }

    fn round_mut(&mut self, round: u32) -> Option<&mut RoundState> {
        self.rounds
            .get_mut(usize::try_from(round.checked_sub(1)?).ok()?)
    }

    fn hand_mut(&mut self, hand: HandId) -> Option<&mut HandState> {
        self.hands
            .get_mut(usize::try_from(hand.get().checked_sub(1)?).ok()?)
    }

    /// The group's id (none before `Created`).
    pub fn id(&self) -> Option<&GroupId> {
        self.id.as_ref()
    }
    /// The group's rules (none before `Created`).
    pub fn config(&self) -> Option<&GroupConfig> {
        self.config.as_ref()
    }
    /// Where the group is in its life.
    pub fn status(&self) -> GroupStatus {
        self.status
    }
    /// How many events made this state: the version a store appends after.
    pub fn version(&self) -> u64 {
        self.version
    }
    /// Members by id.
    pub fn members(&self) -> &BTreeMap<MemberId, MemberState> {
        &self.members
    }
    /// Members in the order they joined.
    pub fn join_order(&self) -> &[MemberId] {
        &self.join_order
    }
    /// Hands, once started: `hands()[i]` is hand `i + 1`.
    pub fn hands(&self) -> &[HandState] {
        &self.hands
    }
    /// Hands held by members so far (before start, the sum of what they joined with).
    pub fn hand_count(&self) -> u32 {
        self.members
            .values()
            .filter(|m| !m.left)
            .map(|m| m.hands)
            .sum()
    }
    /// Rounds, once started.
    pub fn rounds(&self) -> &[RoundState] {
        &self.rounds
    }
    /// One round.
    pub fn round(&self, round: u32) -> Option<&RoundState> {
        self.rounds
            .get(usize::try_from(round.checked_sub(1)?).ok()?)
    }
    /// One hand.
    pub fn hand(&self, hand: HandId) -> Option<&HandState> {
        self.hands
            .get(usize::try_from(hand.get().checked_sub(1)?).ok()?)
    }
    /// Every due, by round then hand.
    pub fn dues(&self) -> impl Iterator<Item = &Due> {
        self.dues.values()
    }
    /// One due.
    pub fn due(&self, round: u32, hand: HandId) -> Option<&Due> {
        self.dues.get(&(round, hand))
    }
    /// Dues of the current round onwards: the only ones that can be unsettled, since a
    /// round is paid out only once all its dues are in.
    pub fn open_dues(&self) -> impl Iterator<Item = &Due> {
        let from = self.current_round().unwrap_or(u32::MAX);
        self.dues.range((from, HandId::MIN)..).map(|(_, due)| due)
    }

    /// The first round not yet paid out (none before start or after the last).
    pub fn current_round(&self) -> Option<u32> {
        self.rounds.iter().find(|r| !r.paid_out).map(|r| r.number)
    }
    /// What this group's own events posted to an account, debit minus credit: the
    /// ledger's balance ([`Journal::balance`](crate::ports::Journal::balance), same sign)
    /// for every account only the group posts to (its pot and penalty income, each
    /// member's escrow and receivable). Two accounts differ by what is posted outside
    /// the group's stream, by design:
    /// - a member's wallet: the group credits a payout to it, and the payout itself
    ///   (sent, or returned) debits it from the payout's own stream, so once every payout
    ///   is sent the ledger says zero while this says what the group credited;
    /// - the gateway clearing and fee accounts, which every group shares.
    ///
    /// For figures to show a member, read the ledger or
    /// [`AjoService::group_view`](crate::service::AjoService::group_view), which does.
    pub fn balance(&self, account: &Account) -> Money {
        let minor = self.balances.get(account).copied().unwrap_or(0);
        Money::from_minor(minor, account.currency()).unwrap_or(Money::zero(account.currency()))
    }
    /// Every account the group has posted to, with its balance.
    pub fn balances(&self) -> impl Iterator<Item = (&Account, Money)> {
        self.balances.iter().map(|(a, m)| {
            (
                a,
                Money::from_minor(*m, a.currency()).unwrap_or(Money::zero(a.currency())),
            )
        })
    }
    /// The loans paid out of the pot's idle money, in order.
    pub fn pot_loans(&self) -> &[crate::ids::LoanId] {
        &self.pot_loans
    }
    /// The group's accounts, once created.
    pub fn accounts(&self) -> Option<GroupAccounts<'_>> {
        Some(GroupAccounts::new(self.id.as_ref()?, self.config.as_ref()?))
    }

    /// Penalties a member has been charged and not paid.
    pub fn penalties_owed(&self, member: &MemberId) -> Money {
        match self.accounts() {
            Some(accounts) => self.balance(&accounts.receivable(member)),
            None => Money::zero(self.currency_or_ngn()),
        }
    }

    /// The part of a member's security deposit not in escrow (unpaid, or used to cover
    /// arrears). Nothing once the deposit has been refunded, or the group has ended
    /// (completed or cancelled): there is nothing left to secure.
    pub fn deposit_owed(&self, member: &MemberId) -> Money {
        let zero = Money::zero(self.currency_or_ngn());
        let (Some(accounts), Some(standing)) = (self.accounts(), self.members.get(member)) else {
            return zero;
        };
        if standing.deposit_refunded
            || matches!(self.status, GroupStatus::Completed | GroupStatus::Cancelled)
        {
            return zero;
        }
        let held = self.balance(&accounts.escrow(member)).negated();
        standing
            .deposit_required
            .checked_sub(held)
            .ok()
            .filter(Money::is_positive)
            .unwrap_or(zero)
    }

    /// What `member` must pay for their due in `round` to be settled: payments go to
    /// arrears, penalties and the deposit first, so this is all of those plus every due
    /// of theirs up to that round.
    pub fn amount_to_settle(&self, member: &MemberId, round: u32) -> Money {
        let mut total = self
            .penalties_owed(member)
            .checked_add(self.deposit_owed(member))
            .unwrap_or(self.penalties_owed(member));
        for due in self.open_dues().filter(|d| d.round <= round) {
            if self.hand(due.hand).is_some_and(|h| &h.member == member) {
                total = total.checked_add(due.outstanding()).unwrap_or(total);
            }
        }
        total
    }

    fn currency_or_ngn(&self) -> crate::money::Currency {
        self.config
            .as_ref()
            .map_or(crate::money::Currency::NGN, GroupConfig::currency)
    }

    /// The calendar date of `now` in the group's time zone: within a few hours of either
    /// end of chrono's range, where that date is past the last (or before the first) it
    /// holds, that last (or first) date.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        let Some(config) = &self.config else {
            return now.date_naive();
        };
        // Not `with_timezone(..).date_naive()`, which panics there: the clock is the
        // host's, and a date that far out is as good as the last one to every rule here.
        let offset = config
            .time_zone()
            .offset_from_utc_datetime(&now.naive_utc())
            .fix();
        match now.naive_utc().checked_add_offset(offset) {
            Some(local) => local.date(),
            None if offset.local_minus_utc() > 0 => NaiveDate::MAX,
            None => NaiveDate::MIN,
        }
    }

    /// The first day a round may be paid out: its due date under
    /// [`PayoutPolicy::WhenAllPaid`], the end of its grace period under
    /// [`PayoutPolicy::AtGraceEnd`]. `None` for a round the group does not have.
    pub fn payout_date(&self, round: u32) -> Option<NaiveDate> {
        let config = self.config.as_ref()?;
        let due_date = self.round(round)?.due_date;
        Some(match config.payout_policy() {
            PayoutPolicy::AtGraceEnd => due_date
                .checked_add_days(Days::new(u64::from(config.grace_days())))
                .unwrap_or(NaiveDate::MAX),
            _ => due_date,
        })
    }

    /// In an organiser's-choice group, the day from which a round whose recipient was not
    /// chosen pays the first hand not yet paid instead: the payout date plus
    /// [`choice_days`](super::GroupConfig::choice_days). `None` for a round the group
    /// does not have.
    pub fn choice_deadline(&self, round: u32) -> Option<NaiveDate> {
        let config = self.config.as_ref()?;
        Some(
            self.payout_date(round)?
                .checked_add_days(Days::new(u64::from(config.choice_days())))
                .unwrap_or(NaiveDate::MAX),
        )
    }

    /// A forming group past its [`forming_days`](super::GroupConfig::forming_days):
    /// the scheduler cancels it.
    fn forming_expired(&self, now: DateTime<Utc>) -> Option<DueAction> {
        let config = self.config.as_ref()?;
        let last_day = config
            .start_date()
            .checked_add_days(Days::new(u64::from(config.forming_days()?)))?;
        (self.today(now) > last_day).then_some(DueAction::CancelForming)
    }

    /// What a scheduler should do now, in a stable order: reminders (by round, then
    /// hand), penalties to charge, deposits to apply, then the payout or the choice it
    /// waits for. Pure: it changes nothing, and the same state and time always give the
    /// same list.
    pub fn due_actions(&self, now: DateTime<Utc>) -> Vec<DueAction> {
        if self.status == GroupStatus::Forming {
            return self.forming_expired(now).into_iter().collect();
        }
        let (Some(config), Some(accounts), Some(current)) =
            (self.config.as_ref(), self.accounts(), self.current_round())
        else {
            return Vec::new();
        };
        if self.status != GroupStatus::Active {
            return Vec::new();
        }
        let today = self.today(now);
        let mut actions = Vec::new();
        let mut penalties_due = false;
        let mut escrow_left: BTreeMap<&MemberId, Money> = BTreeMap::new();
        let mut covers = Vec::new();
        let horizon = today
            .checked_add_days(Days::new(u64::from(config.reminder_days())))
            .unwrap_or(NaiveDate::MAX);
        // Dues of rounds before the current one are all settled: a round is paid out
        // only once funded. So only the current round onwards can need anything.
        for ((round, hand), due) in self.dues.range((current, HandId::MIN)..) {
            if due.due_date > horizon {
                break;
            }
            let outstanding = due.outstanding();
            if outstanding.is_zero() {
                continue;
            }
            let Some(member) = self.hand(*hand).map(|h| &h.member) else {
                continue;
            };
            if today <= due.due_date {
                actions.push(DueAction::SendReminder {
                    round: *round,
                    hand: *hand,
                    member: member.clone(),
                    due_date: due.due_date,
                    amount: outstanding,
                });
                continue;
            }
            if !penalties_due {
                penalties_due = config
                    .penalty()
                    .assess(outstanding, due.due_date, today)
                    .is_ok_and(|a| a.penalty > due.penalty_charged);
            }
            // Under either policy a due still open when its grace ends is what the
            // deposit is for: covering it keeps the round from stalling on one member.
            if due.is_late(today, config.grace_days()) {
                let left = escrow_left
                    .entry(member)
                    .or_insert_with(|| self.balance(&accounts.escrow(member)).negated());
                let cover = left
                    .checked_min(outstanding)
                    .unwrap_or(Money::zero(outstanding.currency()));
                if cover.is_positive() {
                    *left = left.checked_sub(cover).unwrap_or(*left);
                    covers.push(DueAction::CoverArrears {
                        round: *round,
                        hand: *hand,
                        member: member.clone(),
                        amount: cover,
                    });
                }
            }
        }
        if penalties_due {
            actions.push(DueAction::ApplyPenalties { as_of: today });
        }
        actions.extend(covers);
        if let Some(round) = self.round(current) {
            let funded = self
                .dues
                .range((current, HandId::MIN)..(current + 1, HandId::MIN))
                .all(|(_, d)| d.is_settled());
            let payout_date = self.payout_date(current).unwrap_or(round.due_date);
            if today >= payout_date && funded {
                let needs_choice = matches!(config.payout_order(), PayoutOrder::OrganiserChoice)
                    && round.recipient.is_none()
                    && self.choice_deadline(current).is_some_and(|d| today < d);
                actions.push(if needs_choice {
                    DueAction::ChooseRecipient { round: current }
                } else {
                    DueAction::MakePayout { round: current }
                });
            }
        }
        actions
    }
}

impl crate::aggregate::Aggregate for GroupState {
    type Command = super::GroupCommand;
    type Event = GroupEvent;
    type Error = super::GroupError;

    fn decide(
        &self,
        command: &super::GroupCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<GroupEvent>, super::GroupError> {
        super::decide(self, command, now)
    }

    fn apply(&mut self, event: &GroupEvent) {
        GroupState::apply(self, event);
    }

    fn version(&self) -> u64 {
        self.version
    }
}
