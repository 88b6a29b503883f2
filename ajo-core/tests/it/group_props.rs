//! Random groups through whole cycles: every hand paid once, money conserved, books
//! balanced, refusals change nothing, and the event log replays to the same state.

use ajo_core::calendar::Frequency;
use ajo_core::group::deposit::DepositRule;
use ajo_core::group::payout::{DueAction, PayoutPolicy};
use ajo_core::group::rotation::PayoutOrder;
use ajo_core::group::{GroupCommand as C, GroupConfig, GroupEvent, GroupStatus};
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::AccountKind;
use ajo_core::money::{Currency, Money};
use ajo_core::penalty::{PenaltyKind, PenaltyRule};
use chrono::NaiveDate;
use proptest::prelude::*;

use crate::group_sim::Sim;

/// How a member behaves in a round.
#[derive(Debug, Clone, Copy)]
enum Habit {
    OnTime,
    Partial,
    Late,
    Over,
    Skip,
}

fn habit() -> impl Strategy<Value = Habit> {
    prop_oneof![6 => Just(Habit::OnTime), 1 => Just(Habit::Partial), 2 => Just(Habit::Late), 1 => Just(Habit::Over), 1 => Just(Habit::Skip)]
}

#[derive(Debug, Clone)]
struct Scenario {
    member_hands: Vec<u32>,
    frequency: Frequency,
    policy: PayoutPolicy,
    deposit: bool,
    penalty: u8,
    fee_bps: u32,
    order: u8,
    seed: u64,
    habits: Vec<Vec<Habit>>,
    bids: Vec<u32>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let hands = proptest::collection::vec(
        prop_oneof![4 => Just(1u32), 1 => Just(2u32), 1 => Just(3u32)],
        2..=24,
    )
    .prop_map(|mut hs| {
        // Keep to 60 hands at most.
        while hs.iter().sum::<u32>() > 60 {
            hs.pop();
        }
        hs
    });
    let frequency = prop_oneof![
        Just(Frequency::Daily),
        Just(Frequency::Weekly),
        Just(Frequency::Biweekly),
        Just(Frequency::Monthly),
        (2u16..40).prop_map(Frequency::EveryNDays),
    ];
    (
        hands,
        frequency,
        prop_oneof![
            Just(PayoutPolicy::WhenAllPaid),
            Just(PayoutPolicy::AtGraceEnd)
        ],
        any::<bool>(),
        0u8..3,
        0u32..500,
        0u8..4,
        any::<u64>(),
        proptest::collection::vec(proptest::collection::vec(habit(), 24), 60),
        proptest::collection::vec(0u32..3000, 60),
    )
        .prop_map(
            |(
                member_hands,
                frequency,
                policy,
                deposit,
                penalty,
                fee_bps,
                order,
                seed,
                habits,
                bids,
            )| Scenario {
                member_hands,
                frequency,
                policy,
                deposit,
                penalty,
                fee_bps,
                order,
                seed,
                habits,
                bids,
            },
        )
}

fn kes(minor: i128) -> Money {
    Money::from_minor(minor, Currency::KES).unwrap()
}

fn run_scenario(s: &Scenario) -> Sim {
    let contribution = kes(250_050);
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let penalty = match s.penalty {
        0 => PenaltyRule::none(),
        1 => PenaltyRule::new(PenaltyKind::FlatFee { fee: kes(10_000) }, 1).unwrap(),
        _ => PenaltyRule::new(
            PenaltyKind::DailyAccrual {
                daily_rate: "0.003".parse().unwrap(),
                cap_rate: Some("0.1".parse().unwrap()),
                cap_amount: None,
            },
            0,
        )
        .unwrap(),
    };
    let order = match s.order {
        0 => PayoutOrder::JoinOrder,
        1 => PayoutOrder::SeededLottery { seed: s.seed },
        2 => PayoutOrder::Bidding,
        _ => PayoutOrder::OrganiserChoice,
    };
    let config = GroupConfig::builder("prop", contribution, s.frequency, start)
        .time_zone(chrono_tz::Africa::Nairobi)
        .grace_days(1)
        .fee_rate(rust_decimal::Decimal::new(i64::from(s.fee_bps), 4))
        .penalty(penalty)
        .deposit(if s.deposit {
            DepositRule::Contributions { count: 1 }
        } else {
            DepositRule::None
        })
        .payout_order(order)
        .payout_policy(s.policy)
        .build()
        .unwrap();
    let mut sim = Sim::new(chrono::DateTime::UNIX_EPOCH);
    sim.at_date(start - chrono::Duration::days(20));
    sim.ok(C::Create {
        id: GroupId::new("g").unwrap(),
        config,
    });
    let members: Vec<MemberId> = (0..s.member_hands.len())
        .map(|i| MemberId::new(format!("m{i}")).unwrap())
        .collect();
    for (member, hands) in members.iter().zip(&s.member_hands) {
        sim.ok(C::Join {
            member: member.clone(),
            hands: *hands,
        });
        if s.deposit {
            let amount = contribution.checked_mul_int(i64::from(*hands)).unwrap();
            sim.ok(C::RecordPayment {
                member: member.clone(),
                amount,
                reference: format!("dep-{member}"),
            });
        }
    }
    sim.ok(C::Start);
    let mut payment = 0u32;
    let rounds = sim.state.rounds().len();
    for round in 1..=u32::try_from(rounds).unwrap() {
        let due_date = sim.state.round(round).unwrap().due_date;
        // Payments a day before the due date, unless the previous round's late payers
        // already took the clock past it (daily groups): time never runs backwards.
        let before = sim.now;
        sim.at_date(due_date - chrono::Duration::days(1));
        sim.now = sim.now.max(before);
        let idx = usize::try_from(round - 1).unwrap();
        if s.order == 2 {
            let bidder = &members[usize::try_from(s.bids[idx]).unwrap() % members.len()];
            let discount = kes(i128::from(s.bids[idx]) * 10);
            let _ = sim.run(C::PlaceBid {
                member: bidder.clone(),
                discount,
            });
        }
        let mut late = Vec::new();
        for (i, (member, hands)) in members.iter().zip(&s.member_hands).enumerate() {
            let owed = contribution.checked_mul_int(i64::from(*hands)).unwrap();
            let habit = s.habits[idx % 60][i % 24];
            let amount = match habit {
                Habit::OnTime => Some(owed),
                Habit::Partial => Some(kes(owed.minor() / 3)),
                Habit::Over => Some(kes(owed.minor() + 12_345)),
                Habit::Late => {
                    late.push((member.clone(), owed));
                    None
                }
                Habit::Skip => None,
            };
            if let Some(amount) = amount.filter(|a| a.is_positive()) {
                payment += 1;
                sim.ok(C::RecordPayment {
                    member: member.clone(),
                    amount,
                    reference: format!("p{payment}"),
                });
            }
        }
        // A refused command must change nothing (checked by Sim::run).
        let _ = sim.run(C::MakePayout { round: round + 1 });
        // After grace: late payers pay, the scheduler does what is due.
        sim.at_date(due_date + chrono::Duration::days(3));
        for (member, owed) in late {
            payment += 1;
            sim.ok(C::RecordPayment {
                member,
                amount: owed,
                reference: format!("p{payment}"),
            });
        }
        for _ in 0..4 {
            let actions = sim.state.due_actions(sim.now);
            if actions.is_empty() {
                break;
            }
            // The scheduler acts on this round and earlier ones; a later round waits for
            // its own members' payments, even when the clock is already past its due date.
            let actions: Vec<DueAction> = actions
                .into_iter()
                .filter(|a| action_round(a).is_none_or(|r| r <= round))
                .collect();
            if actions.is_empty() {
                break;
            }
            for action in actions {
                match action {
                    DueAction::ApplyPenalties { .. } => drop(sim.ok(C::ApplyPenalties)),
                    DueAction::CoverArrears { .. } => drop(sim.ok(C::CoverArrears)),
                    DueAction::MakePayout { round } => drop(sim.ok(C::MakePayout { round })),
                    DueAction::ChooseRecipient { .. } => {
                        let n = u32::try_from(sim.state.hands().len()).unwrap();
                        let hand = (1..=n)
                            .rev()
                            .find(|i| {
                                sim.state
                                    .hand(HandId::new(*i).unwrap())
                                    .unwrap()
                                    .paid_in_round
                                    .is_none()
                            })
                            .map(|i| HandId::new(i).unwrap())
                            .unwrap();
                        sim.ok(C::ChooseRecipient { hand });
                    }
                    _ => {}
                }
            }
        }
        // Still unfunded (someone skipped and no deposit covered it): the organiser waives.
        if sim.state.round(round).is_some_and(|r| !r.paid_out) {
            let unsettled: Vec<HandId> = sim
                .state
                .dues()
                .filter(|d| d.round == round && !d.is_settled())
                .map(|d| d.hand)
                .collect();
            for hand in unsettled {
                sim.ok(C::WaiveDue { round, hand });
            }
            if matches!(
                sim.state.config().unwrap().payout_order(),
                PayoutOrder::OrganiserChoice
            ) && sim.state.round(round).unwrap().recipient.is_none()
            {
                let hand = (1u32..)
                    .zip(sim.state.hands())
                    .find(|(_, h)| h.paid_in_round.is_none())
                    .map(|(i, _)| HandId::new(i).unwrap())
                    .unwrap();
                sim.ok(C::ChooseRecipient { hand });
            }
            sim.ok(C::MakePayout { round });
        }
    }
    sim
}

/// The round a scheduled action is for, when it names one.
fn action_round(action: &DueAction) -> Option<u32> {
    match action {
        DueAction::SendReminder { round, .. }
        | DueAction::CoverArrears { round, .. }
        | DueAction::MakePayout { round }
        | DueAction::ChooseRecipient { round } => Some(*round),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_groups_complete_with_every_hand_paid_once_and_money_conserved(s in scenario()) {
        let sim = run_scenario(&s);
        prop_assert_eq!(sim.state.status(), GroupStatus::Completed);
        let hands = sim.state.hands().len();
        let mut rounds_paid: Vec<u32> = sim.state.hands().iter().map(|h| h.paid_in_round.unwrap()).collect();
        rounds_paid.sort_unstable();
        prop_assert_eq!(rounds_paid, (1..=u32::try_from(hands).unwrap()).collect::<Vec<_>>());
        let payouts = sim.events.iter().filter(|e| matches!(e, GroupEvent::PayoutMade { .. })).count();
        prop_assert_eq!(payouts, hands);

        // The books balance, and nothing is left in the pot or in escrow.
        prop_assert!(sim.ledger.trial_balance().is_zero());
        let accounts = sim.state.accounts().unwrap();
        prop_assert!(sim.ledger.balance(&accounts.pot()).is_zero());
        // Money in = money out (fees, what members are owed) + what is held (penalty income).
        let paid_in: i128 = sim.events.iter().map(|e| match e {
            GroupEvent::PaymentRecorded { amount, .. } => amount.minor(),
            _ => 0,
        }).sum();
        let mut out_and_held = 0i128;
        for (account, balance) in sim.ledger.trial_balance().rows() {
            match account.kind() {
                AccountKind::GatewayClearing => prop_assert_eq!(balance.minor(), paid_in),
                AccountKind::MemberWallet | AccountKind::PlatformFees | AccountKind::PenaltyIncome | AccountKind::DepositEscrow => {
                    out_and_held -= balance.minor();
                }
                AccountKind::MemberReceivable => out_and_held -= balance.minor(),
                _ => {}
            }
        }
        prop_assert_eq!(out_and_held, paid_in);
        for member in sim.state.members().keys() {
            prop_assert!(sim.ledger.balance(&accounts.escrow(member)).is_zero());
        }
        sim.ledger.verify_chain().unwrap();
        sim.assert_replays();
        let restored: Vec<GroupEvent> = serde_json::from_str(&serde_json::to_string(&sim.events).unwrap()).unwrap();
        prop_assert_eq!(ajo_core::group::GroupState::replay(&restored), sim.state.clone());
    }
}
