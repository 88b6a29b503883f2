//! Read models for a host's own screens: a group ([`GroupView`]) and one member in it
//! ([`MemberView`]), shaped to be sent as JSON as they are.
//!
//! A view is built from a group's state and the ledger's balances of the group's
//! accounts, so every amount in it is the one the ledger holds (a member's wallet
//! included, which payouts debit outside the group's own stream). Get them from the
//! service: [`AjoService::group_view`](crate::service::AjoService::group_view) and
//! [`AjoService::member_view`](crate::service::AjoService::member_view).
//!
//! Amounts serialize as `{"amount": "1234.50", "currency": "NGN", "minor_units": 2}`
//! (strings, never JSON numbers), dates as `YYYY-MM-DD` in the group's time zone, ids as
//! strings.

use chrono::NaiveDate;
use serde::Serialize;

use crate::group::contribution::Due;
use crate::group::payout::PayoutPolicy;
use crate::group::rotation::PayoutOrder;
use crate::group::{GroupAccounts, GroupState, GroupStatus};
use crate::ids::{GroupId, HandId, MemberId};
use crate::ledger::Account;
use crate::money::Money;

/// A group as a host shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct GroupView {
    /// The group.
    pub id: GroupId,
    /// Its name.
    pub name: String,
    /// Where it is in its life.
    pub status: GroupStatus,
    /// What each hand pays each round.
    pub contribution: Money,
    /// How recipients are ordered: `join_order`, `fixed`, `seeded_lottery`, `bidding` or
    /// `organiser_choice`.
    pub payout_order: &'static str,
    /// When a round is paid out.
    pub payout_policy: PayoutPolicy,
    /// The group's one grace period, in days after each due date.
    pub grace_days: u32,
    /// The fewest hands it starts with.
    pub min_hands: u32,
    /// The most hands it takes.
    pub max_hands: u32,
    /// The first round not yet paid out (none before the start and after the last).
    pub current_round: Option<u32>,
    /// What the pot holds now (paid in and not yet paid out).
    pub pot: Money,
    /// Security deposits held in escrow, all members together.
    pub deposits_held: Money,
    /// Security deposits still owed, all members together.
    pub deposits_owed: Money,
    /// Members in the order they joined.
    pub members: Vec<MemberSummary>,
    /// Hands, once started: hand `n` is `hands[n - 1]`.
    pub hands: Vec<HandView>,
    /// Rounds, once started.
    pub rounds: Vec<RoundView>,
}

/// One member in a [`GroupView`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MemberSummary {
    /// The member.
    pub member: MemberId,
    /// How many hands they joined with.
    pub hand_count: u32,
    /// Whether they have left.
    pub left: bool,
    /// Their deposit held in escrow.
    pub deposit_held: Money,
    /// Their deposit still owed.
    pub deposit_owed: Money,
}

/// One hand of a started group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HandView {
    /// The hand.
    pub hand: HandId,
    /// Its member.
    pub member: MemberId,
    /// The round it was paid in, once paid.
    pub paid_in_round: Option<u32>,
}

/// One round of a started group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RoundView {
    /// 1-based number.
    pub number: u32,
    /// When its contributions are due.
    pub due_date: NaiveDate,
    /// The hand it pays, once known.
    pub recipient: Option<HandId>,
    /// That hand's member.
    pub recipient_member: Option<MemberId>,
    /// Bids placed so far (bidding groups).
    pub bids: usize,
    /// Whether it has been paid out.
    pub paid_out: bool,
}

/// One due of a member's hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DueView {
    /// The round.
    pub round: u32,
    /// The hand.
    pub hand: HandId,
    /// When it is due.
    pub due_date: NaiveDate,
    /// The contribution owed.
    pub amount: Money,
    /// Paid by the member so far.
    pub paid: Money,
    /// Covered from their deposit.
    pub covered: Money,
    /// Forgiven by the organiser.
    pub waived: bool,
    /// Penalties charged on it so far.
    pub penalties: Money,
    /// What is still owed on it (penalties apart).
    pub outstanding: Money,
}

/// One member of a group as their own screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MemberView {
    /// The group.
    pub group: GroupId,
    /// The member.
    pub member: MemberId,
    /// Whether they have left.
    pub left: bool,
    /// Their hands (empty before the start).
    pub hands: Vec<HandView>,
    /// The deposit the group asks of them.
    pub deposit_required: Money,
    /// Their deposit held in escrow.
    pub deposit_held: Money,
    /// Their deposit still owed.
    pub deposit_owed: Money,
    /// Penalties charged and not yet paid.
    pub penalties_owed: Money,
    /// Credited to them and not yet sent (payouts on their way, refunds).
    pub wallet: Money,
    /// Every due of their hands, by round then hand.
    pub dues: Vec<DueView>,
    /// What settles them up to the current round: its dues and any arrears, penalties
    /// and deposit owed (zero when nothing is).
    pub to_settle: Money,
    /// Collections of theirs they disputed at the gateway, the disputes still running
    /// (filled by [`AjoService::member_view`](crate::service::AjoService::member_view)
    /// from their profile stream; empty from [`MemberView::new`]).
    #[serde(default)]
    pub open_disputes: Vec<String>,
    /// What they owe for disputes they won against ajo, across their groups (their
    /// chargeback receivable; filled by the service as above).
    #[serde(default)]
    pub chargebacks_owed: Option<Money>,
}

/// The ledger accounts a view reads: the group's pot and each member's escrow,
/// receivable and wallet.
pub fn accounts_read(state: &GroupState) -> Vec<Account> {
    let Some(books) = state.accounts() else {
        return Vec::new();
    };
    let mut accounts = vec![books.pot()];
    for member in state.join_order() {
        accounts.push(books.escrow(member));
        accounts.push(books.receivable(member));
        accounts.push(books.wallet(member));
    }
    accounts
}

/// Credit-side balances (what the group holds or owes) read positive.
fn held(balance: &impl Fn(&Account) -> Money, account: &Account) -> Money {
    balance(account).negated()
}

fn sum(amounts: impl Iterator<Item = Money>, zero: Money) -> Money {
    amounts.fold(zero, |total, m| total.checked_add(m).unwrap_or(total))
}

fn order_name(order: &PayoutOrder) -> &'static str {
    match order {
        PayoutOrder::JoinOrder => "join_order",
        PayoutOrder::Fixed { .. } => "fixed",
        PayoutOrder::SeededLottery { .. } => "seeded_lottery",
        PayoutOrder::Bidding => "bidding",
        PayoutOrder::OrganiserChoice => "organiser_choice",
    }
}

fn hand_views(state: &GroupState) -> impl Iterator<Item = HandView> + '_ {
    HandId::sequence()
        .zip(state.hands())
        .map(|(hand, h)| HandView {
            hand,
            member: h.member.clone(),
            paid_in_round: h.paid_in_round,
        })
}

fn due_view(due: &Due) -> DueView {
    DueView {
        round: due.round,
        hand: due.hand,
        due_date: due.due_date,
        amount: due.amount,
        paid: due.paid,
        covered: due.covered,
        waived: due.waived,
        penalties: due.penalty_charged,
        outstanding: due.outstanding(),
    }
}

impl GroupView {
    /// The view of a created group, with `balance` giving the ledger's balance (debit
    /// minus credit) of each account in [`accounts_read`]. `None` before `Created`.
    pub fn new(state: &GroupState, balance: impl Fn(&Account) -> Money) -> Option<GroupView> {
        let (id, config, books) = (state.id()?, state.config()?, state.accounts()?);
        let zero = Money::zero(config.currency());
        let members: Vec<MemberSummary> = state
            .join_order()
            .iter()
            .filter_map(|member| {
                let standing = state.members().get(member)?;
                Some(MemberSummary {
                    member: member.clone(),
                    hand_count: standing.hands,
                    left: standing.left,
                    deposit_held: held(&balance, &books.escrow(member)),
                    deposit_owed: deposit_owed(state, &books, &balance, member),
                })
            })
            .collect();
        Some(GroupView {
            id: id.clone(),
            name: config.name().to_owned(),
            status: state.status(),
            contribution: config.contribution(),
            payout_order: order_name(config.payout_order()),
            payout_policy: config.payout_policy(),
            grace_days: config.grace_days(),
            min_hands: config.min_hands(),
            max_hands: config.max_hands(),
            current_round: state.current_round(),
            pot: held(&balance, &books.pot()),
            deposits_held: sum(members.iter().map(|m| m.deposit_held), zero),
            deposits_owed: sum(members.iter().map(|m| m.deposit_owed), zero),
            members,
            hands: hand_views(state).collect(),
            rounds: state
                .rounds()
                .iter()
                .map(|r| RoundView {
                    number: r.number,
                    due_date: r.due_date,
                    recipient: r.recipient,
                    recipient_member: r
                        .recipient
                        .and_then(|h| state.hand(h))
                        .map(|h| h.member.clone()),
                    bids: r.bids.len(),
                    paid_out: r.paid_out,
                })
                .collect(),
        })
    }
}

/// The deposit still owed, from the ledger's escrow balance: as
/// [`GroupState::deposit_owed`], which reads the group's own postings (the same for
/// escrow, which only the group posts to).
fn deposit_owed(
    state: &GroupState,
    books: &GroupAccounts<'_>,
    balance: &impl Fn(&Account) -> Money,
    member: &MemberId,
) -> Money {
    let zero = Money::zero(books.pot().currency());
    let Some(standing) = state.members().get(member) else {
        return zero;
    };
    if state.deposit_owed(member).is_zero() {
        return zero;
    }
    standing
        .deposit_required
        .checked_sub(held(balance, &books.escrow(member)))
        .ok()
        .filter(Money::is_positive)
        .unwrap_or(zero)
}

impl MemberView {
    /// The view of `member` in a created group, with `balance` as for
    /// [`GroupView::new`]. `None` before `Created` or for someone who never joined.
    pub fn new(
        state: &GroupState,
        member: &MemberId,
        balance: impl Fn(&Account) -> Money,
    ) -> Option<MemberView> {
        let (id, books) = (state.id()?, state.accounts()?);
        let standing = state.members().get(member)?;
        let hands: Vec<HandView> = hand_views(state).filter(|h| &h.member == member).collect();
        let dues = state
            .dues()
            .filter(|d| hands.iter().any(|h| h.hand == d.hand))
            .map(due_view)
            .collect();
        let to_settle = match state.current_round() {
            Some(round) => state.amount_to_settle(member, round),
            None => deposit_owed(state, &books, &balance, member),
        };
        Some(MemberView {
            group: id.clone(),
            member: member.clone(),
            left: standing.left,
            deposit_required: standing.deposit_required,
            deposit_held: held(&balance, &books.escrow(member)),
            deposit_owed: deposit_owed(state, &books, &balance, member),
            penalties_owed: balance(&books.receivable(member)),
            wallet: held(&balance, &books.wallet(member)),
            hands,
            dues,
            to_settle,
            open_disputes: Vec::new(),
            chargebacks_owed: None,
        })
    }
}
