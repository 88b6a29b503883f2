//! A group's whole life through [`AjoService`], from a script: members join and pay
//! their deposits, and each round some pay early, some late, some not at all (their
//! deposit covers them), bids are placed, the organiser chooses or lets the deadline
//! choose, members try to leave, borrow (from clearing or the pot's idle money) and
//! repay, the group may be cancelled, webhooks arrive twice.
//! Every hand that is not written into the script pays on the due date, so a script
//! with nothing in it runs a punctual group to completion.
//!
//! After every call into the service the books are checked (trial balance zero, hash
//! chain verified) and every refused command is checked to have changed nothing. At the
//! end, each hand has been paid exactly once (or the group was cancelled and what it
//! held was sent back), the payouts reached the gateway once each, and the stored events
//! replay to the state the service reports, on a second service over the same store as
//! on the first; every loan still out is paid off and ends repaid, its disbursement sent
//! once.
//!
//! The `orders` example runs one life per payout order and policy; the service property
//! test runs random ones on the in-memory store and on PostgreSQL.

// Test code shipped as a library: a broken invariant must stop the run, with a message
// naming it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ajo_core::group::payout::PayoutPolicy;
use ajo_core::group::rotation::PayoutOrder;
use ajo_core::group::{GroupEvent, GroupState, GroupStatus};
use ajo_core::ids::{GroupId, HandId, LoanId, MemberId};
use ajo_core::ledger::verify_chain;
use ajo_core::loan::{LoanPolicy, LoanStatus};
use ajo_core::ports::{
    Clock, DomainEvent, EmailSender, EntryQuery, PaymentGateway, SmsSender, Store, StreamId,
    StreamKind,
};
use ajo_core::reference::PaymentReference;
use ajo_core::service::{AjoService, Handled, LoanFunding, LoanOptions, LoanRequest};
use ajo_core::webhook::GatewayEvent;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

use crate::builders::{contact, naira_group, naira_loan};
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Something that happens in a round. Picks are taken modulo the number of hands (or
/// members), so any number is a valid pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The hand pays this round's due before the due date.
    PayEarly(u8),
    /// The hand pays this many days after the due date (within the grace period or past
    /// it).
    PayLate {
        /// The hand.
        hand: u8,
        /// Days after the due date.
        days: u8,
    },
    /// The hand does not pay this round: its deposit covers it at the end of grace. If
    /// the deposit cannot (spent on an earlier default), it pays a week late.
    Default(u8),
    /// The member bids this percentage (capped at 50) of the pot.
    Bid {
        /// The member.
        member: u8,
        /// Percent of the pot.
        percent: u8,
    },
    /// The organiser chooses the round's recipient among the hands not yet paid.
    Choose(u8),
    /// The member asks to leave (refused unless every hand of theirs is paid and they
    /// owe nothing).
    Leave(u8),
    /// The group is cancelled; the life ends.
    Cancel,
    /// The last payment's webhook arrives again.
    Duplicate,
    /// The member borrows this many thousand naira (1 to 200) over three months, from
    /// the gateway's clearing or from the pot's idle money (refused when the pot has
    /// none to lend): applied for, approved and paid out through the service.
    Borrow {
        /// The member.
        member: u8,
        /// Thousands of naira.
        thousands: u8,
        /// From the pot rather than clearing.
        from_pot: bool,
    },
    /// A borrower pays what is due on one of the loans (refused when nothing is due).
    Repay(u8),
}

/// The group a life runs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The group's id and name.
    pub name: String,
    /// How recipients are ordered.
    pub order: PayoutOrder,
    /// When rounds are paid.
    pub policy: PayoutPolicy,
    /// How many members (at least 2); the first holds two hands.
    pub members: usize,
    /// What happens in each round (round 1 first); rounds past the end have nothing.
    pub rounds: Vec<Vec<Step>>,
}

impl Plan {
    /// A punctual group of three with loans in it: one from clearing, one from a pot
    /// with nothing idle to lend (refused), repayments, a repayment with nothing due.
    pub fn borrowers() -> Plan {
        Plan {
            name: "borrowers".into(),
            order: PayoutOrder::JoinOrder,
            policy: PayoutPolicy::WhenAllPaid,
            members: 3,
            rounds: vec![
                vec![
                    Step::Borrow {
                        member: 1,
                        thousands: 49,
                        from_pot: false,
                    },
                    Step::Borrow {
                        member: 2,
                        thousands: 9,
                        from_pot: true,
                    },
                ],
                vec![Step::Repay(0), Step::Duplicate],
                vec![Step::Repay(0)],
                vec![Step::Repay(0), Step::Repay(0)],
            ],
        }
    }
}

/// How a life ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifeReport {
    /// The group's final status.
    pub status: GroupStatus,
    /// Rounds paid out.
    pub hands_paid: usize,
    /// Hands in the group.
    pub hands: usize,
    /// The sum of every account's balance, in minor units: always 0.
    pub trial_balance: i128,
    /// Refused commands (each checked to have changed nothing).
    pub refusals: usize,
    /// Loans paid out (each paid off by the end).
    pub loans: usize,
}

/// A service over a store, with fakes, on a clock that keeps a sub-microsecond part.
struct Life {
    store: Arc<dyn Store>,
    service: AjoService,
    gateway: Arc<FakeGateway>,
    email: Arc<FakeEmail>,
    clock: Arc<FakeClock>,
    id: GroupId,
    members: Vec<MemberId>,
    webhooks: Vec<GatewayEvent>,
    refusals: usize,
    loans: Vec<LoanId>,
}

/// Runs `plan` on `store` to the end of the group's life and checks every invariant.
///
/// # Panics
/// When an invariant breaks, naming it.
pub async fn run(store: Arc<dyn Store>, plan: &Plan) -> LifeReport {
    let start = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let clock = Arc::new(FakeClock::new(
        Utc.from_utc_datetime(&(start - Duration::days(20)).and_hms_opt(8, 0, 0).unwrap())
            + Duration::nanoseconds(123_456_789),
    ));
    let gateway = Arc::new(FakeGateway::new());
    let email = Arc::new(FakeEmail::new());
    let service = AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        email.clone() as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    );
    let members: Vec<MemberId> = (0..plan.members.max(2))
        .map(|i| MemberId::new(format!("m{i}")).unwrap())
        .collect();
    let mut life = Life {
        store,
        service,
        gateway,
        email,
        clock,
        id: GroupId::new(plan.name.clone()).unwrap(),
        members,
        webhooks: Vec::new(),
        refusals: 0,
        loans: Vec::new(),
    };
    life.form(plan, start).await;
    let hands = life.state().await.hands().len();
    for round in 1..=u32::try_from(hands).unwrap() {
        let steps = plan
            .rounds
            .get(usize::try_from(round - 1).unwrap())
            .cloned()
            .unwrap_or_default();
        if !life.round(round, &steps).await {
            break;
        }
    }
    life.finish().await
}

impl Life {
    async fn state(&self) -> GroupState {
        self.service.group(&self.id).await.unwrap()
    }

    fn noon(&self, day: NaiveDate) {
        let at = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
            + Duration::nanoseconds(987_654_321);
        if at > self.clock.now() {
            self.clock.set(at);
        }
    }

    /// The trial balance is zero and the chain verifies.
    async fn check_books(&self, after: &str) {
        let total: i128 = self
            .store
            .balances()
            .await
            .unwrap()
            .iter()
            .map(|(_, m)| m.minor())
            .sum();
        assert_eq!(total, 0, "the trial balance is zero after {after}");
        let entries = self.store.entries(&EntryQuery::default()).await.unwrap();
        if let Err(broken) = verify_chain(&entries) {
            panic!("the chain breaks after {after}: {broken:?}");
        }
    }

    /// A refused command left the group as it was.
    async fn refused(&mut self, what: &str, before: &GroupState, error: &dyn std::fmt::Display) {
        assert!(
            !error.to_string().is_empty(),
            "{what} was refused without a reason"
        );
        assert_eq!(
            &self.state().await,
            before,
            "{what} was refused but changed the group"
        );
        self.refusals += 1;
    }

    async fn tick(&self) {
        let report = self.service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "tick failed: {:?}", report.errors);
        self.check_books("a tick").await;
    }

    async fn form(&mut self, plan: &Plan, start: NaiveDate) {
        let order = match &plan.order {
            // A fixed order naming every hand: the joiners in reverse, the first twice.
            PayoutOrder::Fixed { .. } => {
                let mut names: Vec<String> =
                    self.members.iter().rev().map(|m| m.to_string()).collect();
                names.push(self.members[0].to_string());
                PayoutOrder::Fixed { members: names }
            }
            other => other.clone(),
        };
        let config = naira_group(&plan.name, 5_000, start)
            .grace_days(2)
            .payout_order(order)
            .payout_policy(plan.policy)
            .organiser(self.members[0].clone())
            .choice_days(2)
            .lends_from_pot(true)
            .build()
            .unwrap();
        self.service.create_group(&self.id, config).await.unwrap();
        for (i, member) in self.members.clone().iter().enumerate() {
            let hands = if i == 0 { 2 } else { 1 };
            let receipt = self
                .service
                .join(&self.id, member, hands, &contact(member.as_str()))
                .await
                .unwrap();
            if let Some(deposit) = receipt.deposit {
                let paid = self.gateway.pay(&deposit.reference).unwrap();
                self.deliver(paid).await;
            }
        }
        self.service.start(&self.id).await.unwrap();
        self.check_books("the start").await;
    }

    async fn deliver(&mut self, event: GatewayEvent) {
        let handled = self.service.handle_gateway_event(&event).await.unwrap();
        assert_eq!(handled, Handled::Recorded, "a payment is recorded once");
        self.webhooks.push(event);
        self.check_books("a payment").await;
    }

    fn hand(&self, state: &GroupState, pick: u8) -> HandId {
        let count = u32::try_from(state.hands().len()).unwrap();
        HandId::new(u32::from(pick) % count + 1).unwrap()
    }

    /// The hand pays everything it owes for `round` (with any arrears, penalties and
    /// deposit top-up), if it owes anything.
    async fn pay(&mut self, round: u32, hand: HandId) {
        let state = self.state().await;
        if state.due(round, hand).is_none_or(|d| d.is_settled()) {
            return;
        }
        let collection = self
            .service
            .request_contribution(&self.id, round, hand)
            .await
            .unwrap();
        let paid = self.gateway.pay(&collection.reference).unwrap();
        self.deliver(paid).await;
    }

    /// Plays one round; false once the group is over.
    async fn round(&mut self, round: u32, steps: &[Step]) -> bool {
        let state = self.state().await;
        let Some(due_date) = state.round(round).map(|r| r.due_date) else {
            return false;
        };
        if state.status() != GroupStatus::Active || state.round(round).is_some_and(|r| r.paid_out) {
            return state.status() == GroupStatus::Active;
        }
        self.noon(due_date - Duration::days(3));
        self.tick().await;
        let mut late: BTreeMap<HandId, i64> = BTreeMap::new();
        let mut defaulting: BTreeSet<HandId> = BTreeSet::new();
        for step in steps {
            let state = self.state().await;
            match *step {
                Step::PayEarly(pick) => self.pay(round, self.hand(&state, pick)).await,
                Step::PayLate { hand, days } => {
                    late.insert(self.hand(&state, hand), i64::from(days % 10) + 1);
                }
                Step::Default(pick) => {
                    defaulting.insert(self.hand(&state, pick));
                }
                Step::Bid { member, percent } => {
                    let who = self.members[usize::from(member) % self.members.len()].clone();
                    let pot = state
                        .config()
                        .unwrap()
                        .contribution()
                        .checked_mul_int(i64::try_from(state.hands().len()).unwrap())
                        .unwrap();
                    let discount = pot
                        .allocate(&[
                            rust_decimal::Decimal::from(percent % 50 + 1),
                            rust_decimal::Decimal::from(99 - percent % 50),
                        ])
                        .unwrap()[0];
                    if let Err(e) = self.service.place_bid(&self.id, &who, discount).await {
                        self.refused("a bid", &state, &e).await;
                    }
                }
                Step::Choose(pick) => {
                    let unpaid: Vec<HandId> = HandId::sequence()
                        .zip(state.hands())
                        .filter(|(_, h)| h.paid_in_round.is_none())
                        .map(|(id, _)| id)
                        .collect();
                    let hand = unpaid
                        .get(usize::from(pick) % unpaid.len().max(1))
                        .copied()
                        .unwrap_or(HandId::MIN);
                    if let Err(e) = self.service.choose_recipient(&self.id, hand).await {
                        self.refused("a choice", &state, &e).await;
                    }
                }
                Step::Leave(pick) => {
                    let who = self.members[usize::from(pick) % self.members.len()].clone();
                    match self.service.leave(&self.id, &who).await {
                        Ok(()) => self.check_books("a leave").await,
                        Err(e) => self.refused("a leave", &state, &e).await,
                    }
                }
                Step::Cancel => {
                    self.service.cancel_group(&self.id).await.unwrap();
                    self.check_books("the cancellation").await;
                    return false;
                }
                Step::Borrow {
                    member,
                    thousands,
                    from_pot,
                } => self.borrow(member, thousands, from_pot, &state).await,
                Step::Repay(pick) => self.repay(pick, &state).await,
                Step::Duplicate => {
                    if let Some(event) = self.webhooks.last().cloned() {
                        let again = self.service.handle_gateway_event(&event).await.unwrap();
                        assert_eq!(again, Handled::Duplicate, "a webhook twice is one payment");
                        self.check_books("a duplicate webhook").await;
                    }
                }
            }
        }
        let hands: Vec<HandId> = HandId::sequence().take(state.hands().len()).collect();
        for hand in &hands {
            if !late.contains_key(hand) && !defaulting.contains(hand) {
                self.pay(round, *hand).await;
            }
        }
        // Day by day from the due date: late payers pay on their day, the scheduler
        // charges penalties, covers defaults from deposits, waits for or makes the
        // organiser's choice and pays the round out.
        for day in 0..=30 {
            self.noon(due_date + Duration::days(day));
            for (hand, _) in late.iter().filter(|(_, d)| **d == day) {
                self.pay(round, *hand).await;
            }
            if day == 9 {
                // A deposit spent on an earlier default cannot cover this one.
                for hand in &defaulting {
                    self.pay(round, *hand).await;
                }
            }
            self.tick().await;
            let state = self.state().await;
            if state.round(round).is_some_and(|r| r.paid_out) {
                return state.status() == GroupStatus::Active;
            }
        }
        panic!("round {round} was never paid out: {:?}", self.state().await);
    }

    /// A member applies for a loan, which is approved and paid out; a refusal (a pot
    /// with nothing idle to lend, say) changes nothing.
    async fn borrow(&mut self, member: u8, thousands: u8, from_pot: bool, state: &GroupState) {
        let who = self.members[usize::from(member) % self.members.len()].clone();
        let id = LoanId::new(format!("{}-loan-{}", self.id, self.loans.len() + 1)).unwrap();
        let today = self.clock.now().date_naive();
        let naira = i64::from(thousands % 200 + 1) * 1_000;
        let request = LoanRequest {
            id: id.clone(),
            group: self.id.clone(),
            member: who,
            terms: naira_loan(naira, "0.24", 3, today).build().unwrap(),
            policy: LoanPolicy::default(),
        };
        let funding = if from_pot {
            LoanFunding::Pot
        } else {
            LoanFunding::Clearing
        };
        let options = LoanOptions::default().funding(funding);
        if let Err(e) = self.service.apply_for_loan_with(request, options).await {
            self.refused("a loan application", state, &e).await;
            return;
        }
        self.service.approve_loan(&id, "treasurer").await.unwrap();
        match self.service.disburse_loan(&id).await {
            Ok(()) => {
                self.loans.push(id);
                self.check_books("a loan paid out").await;
            }
            // The pot lent or paid out meanwhile: the approved loan waits.
            Err(e) => self.refused("a pot loan's payout", state, &e).await,
        }
    }

    /// A borrower pays what is due on one of the loans.
    async fn repay(&mut self, pick: u8, state: &GroupState) {
        let Some(id) = self
            .loans
            .get(usize::from(pick) % self.loans.len().max(1))
            .cloned()
        else {
            return;
        };
        match self.service.request_loan_repayment(&id, None).await {
            Ok(collection) => {
                let paid = self.gateway.pay(&collection.reference).unwrap();
                self.deliver(paid).await;
            }
            Err(e) => {
                self.refused("a repayment with nothing due", state, &e)
                    .await
            }
        }
    }

    /// Every loan still out is paid off at today's quote: each ends repaid, and its
    /// disbursement reached the gateway once, in full.
    async fn settle_loans(&mut self) {
        for id in self.loans.clone() {
            let loan = self.service.loan(&id).await.unwrap();
            if loan.status() != Some(LoanStatus::Repaid) {
                let collection = self.service.request_loan_payoff(&id).await.unwrap();
                let paid = self.gateway.pay(&collection.reference).unwrap();
                self.deliver(paid).await;
            }
            let loan = self.service.loan(&id).await.unwrap();
            assert_eq!(loan.status(), Some(LoanStatus::Repaid), "{id} paid off");
            let principal = loan.loan().unwrap().terms().principal();
            let reference = PaymentReference::loan_disbursement(&id).to_string();
            let sent = self.gateway.payouts();
            assert_eq!(
                sent.get(&reference).map(|(amount, _)| *amount),
                Some(principal),
                "{id} paid out once, in full"
            );
        }
    }

    /// Sends what is owed, delivers the messages and checks the end state.
    async fn finish(mut self) -> LifeReport {
        for _ in 0..3 {
            self.clock.advance(Duration::hours(1));
            self.tick().await;
        }
        self.settle_loans().await;
        self.service.deliver_outbox(10_000).await.unwrap();
        let state = self.state().await;
        let stream = StreamId::new(StreamKind::Group, self.id.as_str());
        let events: Vec<GroupEvent> = self
            .store
            .load(&stream)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|r| match r.event {
                DomainEvent::Group(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(
            GroupState::replay(&events),
            state,
            "the stored events replay to the state the service reports"
        );
        let fresh = AjoService::new(
            self.store.clone(),
            self.gateway.clone() as Arc<dyn PaymentGateway>,
            self.email.clone() as Arc<dyn EmailSender>,
            Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
            self.clock.clone() as Arc<dyn Clock>,
        );
        assert_eq!(
            fresh.group(&self.id).await.unwrap(),
            state,
            "a second host reads the same group"
        );
        // Each hand paid at most once, each round at most once, and the gateway sent
        // each payout once, for what the event says.
        let paid: Vec<(u32, HandId, ajo_core::money::Money)> = events
            .iter()
            .filter_map(|e| match e {
                GroupEvent::PayoutMade {
                    round,
                    hand,
                    payout,
                    ..
                } => Some((*round, *hand, *payout)),
                _ => None,
            })
            .collect();
        let rounds: BTreeSet<u32> = paid.iter().map(|(r, _, _)| *r).collect();
        let hands: BTreeSet<HandId> = paid.iter().map(|(_, h, _)| *h).collect();
        assert_eq!(rounds.len(), paid.len(), "a round was paid twice: {paid:?}");
        assert_eq!(hands.len(), paid.len(), "a hand was paid twice: {paid:?}");
        let sent = self.gateway.payouts();
        for (round, _, payout) in &paid {
            let reference = PaymentReference::payout(&self.id, *round).to_string();
            let at_gateway = sent.get(&reference).map(|(amount, _)| *amount);
            assert_eq!(
                at_gateway,
                Some(*payout),
                "round {round} sent, in full: {sent:?}"
            );
        }
        match state.status() {
            GroupStatus::Completed => {
                assert_eq!(paid.len(), state.hands().len(), "every hand paid");
                let told = self
                    .email
                    .sent()
                    .iter()
                    .filter(|m| m.subject.contains("completed its cycle"))
                    .count();
                // A member who left once their hands were paid is not told.
                let staying = state.members().values().filter(|m| !m.left).count();
                assert_eq!(told, staying, "every member still in it told it completed");
            }
            GroupStatus::Cancelled => {
                let refunds = events
                    .iter()
                    .find_map(|e| match e {
                        GroupEvent::Cancelled { refunds, .. } => Some(refunds.clone()),
                        _ => None,
                    })
                    .unwrap();
                for (member, refund) in refunds.iter().filter(|(_, r)| r.is_positive()) {
                    let reference = PaymentReference::cancel_refund(&self.id, member).to_string();
                    let back = sent.get(&reference).map(|(amount, _)| *amount);
                    assert_eq!(back, Some(*refund), "{member}'s refund sent, in full");
                }
            }
            other => panic!("the life ended with the group {other:?}"),
        }
        let trial_balance = self
            .store
            .balances()
            .await
            .unwrap()
            .iter()
            .map(|(_, m)| m.minor())
            .sum();
        LifeReport {
            status: state.status(),
            hands_paid: paid.len(),
            hands: state.hands().len(),
            trial_balance,
            refusals: self.refusals,
            loans: self.loans.len(),
        }
    }
}
