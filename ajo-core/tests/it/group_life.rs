//! Whole group lives by example, and every refusal.

use ajo_core::calendar::Frequency;
use ajo_core::group::contribution::DueStatus;
use ajo_core::group::deposit::DepositRule;
use ajo_core::group::payout::{DueAction, PayoutPolicy};
use ajo_core::group::rotation::PayoutOrder;
use ajo_core::group::{GroupCommand as C, GroupConfig, GroupError, GroupEvent, GroupStatus};
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::AccountKind;
use ajo_core::money::{Currency, Money};
use ajo_core::penalty::{PenaltyKind, PenaltyRule};
use chrono::NaiveDate;

use crate::group_sim::Sim;

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn m(name: &str) -> MemberId {
    MemberId::new(name).unwrap()
}

fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).unwrap()
}

fn pay(member: &str, amount: &str, reference: &str) -> C {
    C::RecordPayment {
        member: m(member),
        amount: ngn(amount),
        reference: reference.into(),
    }
}

fn config(order: PayoutOrder) -> GroupConfig {
    GroupConfig::builder(
        "Balogun market",
        ngn("10000"),
        Frequency::Monthly,
        date(2026, 1, 31),
    )
    .time_zone(chrono_tz::Africa::Lagos)
    .grace_days(2)
    .fee_rate("0.01".parse().unwrap())
    .penalty(PenaltyRule::new(PenaltyKind::FlatFee { fee: ngn("500") }, 2).unwrap())
    .deposit(DepositRule::Contributions { count: 1 })
    .payout_order(order)
    .payout_policy(PayoutPolicy::WhenAllPaid)
    .build()
    .unwrap()
}

/// A forming group of ada (2 hands), bola and chidi, deposits paid.
fn formed(order: PayoutOrder) -> Sim {
    let mut sim = Sim::new(chrono::DateTime::UNIX_EPOCH);
    sim.at_date(date(2026, 1, 10));
    sim.ok(C::Create {
        id: GroupId::new("g1").unwrap(),
        config: config(order),
    });
    sim.ok(C::Join {
        member: m("ada"),
        hands: 2,
    });
    sim.ok(C::Join {
        member: m("bola"),
        hands: 1,
    });
    sim.ok(C::Join {
        member: m("chidi"),
        hands: 1,
    });
    sim.ok(pay("ada", "20000", "dep-ada"));
    sim.ok(pay("bola", "10000", "dep-bola"));
    sim.ok(pay("chidi", "10000", "dep-chidi"));
    sim
}

#[test]
fn a_whole_cycle_with_a_late_member_covered_by_the_deposit() {
    let mut sim = formed(PayoutOrder::JoinOrder);
    sim.ok(C::Start);
    assert_eq!(sim.state.status(), GroupStatus::Active);
    assert_eq!(sim.state.rounds().len(), 4);
    let dates: Vec<NaiveDate> = sim.state.rounds().iter().map(|r| r.due_date).collect();
    assert_eq!(
        dates,
        [
            date(2026, 1, 31),
            date(2026, 2, 28),
            date(2026, 3, 31),
            date(2026, 4, 30)
        ]
    );

    // Two days before round 1: reminders for every hand.
    sim.at_date(date(2026, 1, 29));
    let reminders = sim.state.due_actions(sim.now);
    assert_eq!(reminders.len(), 4);
    assert!(matches!(
        &reminders[0],
        DueAction::SendReminder {
            round: 1,
            hand,
            ..
        } if *hand == HandId::MIN
    ));

    sim.ok(pay("ada", "20000", "r1-ada"));
    sim.ok(pay("bola", "10000", "r1-bola"));
    // chidi pays nothing. Due date passes; within grace no cover, no payout.
    sim.at_date(date(2026, 2, 2));
    assert!(
        !sim.state
            .due_actions(sim.now)
            .iter()
            .any(|a| matches!(a, DueAction::MakePayout { .. }))
    );
    assert_eq!(
        sim.state
            .due(1, HandId::new(4).unwrap())
            .unwrap()
            .status(date(2026, 2, 2), 2),
        DueStatus::Pending
    );
    assert!(matches!(
        sim.run(C::MakePayout { round: 1 }),
        Err(GroupError::RoundNotFunded { round: 1, .. })
    ));

    // After grace: penalty, then the deposit covers, then the payout.
    sim.at_date(date(2026, 2, 3));
    let actions = sim.state.due_actions(sim.now);
    assert_eq!(
        actions[0],
        DueAction::ApplyPenalties {
            as_of: date(2026, 2, 3)
        }
    );
    assert!(
        matches!(&actions[1], DueAction::CoverArrears { member, amount, .. } if member.as_str() == "chidi" && *amount == ngn("10000"))
    );
    let penalties = sim.ok(C::ApplyPenalties);
    assert_eq!(penalties.len(), 1);
    assert!(
        sim.ok(C::ApplyPenalties).is_empty(),
        "the same day twice charges once"
    );
    sim.ok(C::CoverArrears);
    assert_eq!(
        sim.state
            .due(1, HandId::new(4).unwrap())
            .unwrap()
            .status(date(2026, 2, 3), 2),
        DueStatus::CoveredByDeposit
    );
    assert_eq!(
        sim.state.due_actions(sim.now),
        [DueAction::MakePayout { round: 1 }]
    );
    let payout = sim.ok(C::MakePayout { round: 1 });
    match &payout[0] {
        GroupEvent::PayoutMade {
            hand,
            member,
            pot,
            fee,
            payout,
            ..
        } => {
            assert_eq!((*hand, member.as_str()), (HandId::new(1).unwrap(), "ada"));
            assert_eq!(
                (*pot, *fee, *payout),
                (ngn("40000"), ngn("400"), ngn("39600"))
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        sim.ok(C::MakePayout { round: 1 }).is_empty(),
        "a round is paid once"
    );

    // chidi now owes the penalty and the deposit: his next payment settles those first.
    let applied = sim.ok(pay("chidi", "20500", "r2-chidi"));
    match &applied[0] {
        GroupEvent::PaymentRecorded { applied, .. } => {
            let amounts: Vec<Money> = applied.iter().map(|a| a.amount()).collect();
            assert_eq!(amounts, [ngn("500"), ngn("10000"), ngn("10000")]);
        }
        other => panic!("{other:?}"),
    }
    // A duplicate webhook of the same payment changes nothing.
    assert!(sim.ok(pay("chidi", "20500", "r2-chidi")).is_empty());
    assert!(matches!(
        sim.run(pay("bola", "20500", "r2-chidi")),
        Err(GroupError::ReferenceReused { .. })
    ));

    for (round, day) in [
        (2, date(2026, 2, 28)),
        (3, date(2026, 3, 31)),
        (4, date(2026, 4, 30)),
    ] {
        sim.at_date(day);
        if round > 2 {
            sim.ok(pay("chidi", "10000", &format!("r{round}-chidi")));
        }
        sim.ok(pay("ada", "20000", &format!("r{round}-ada")));
        sim.ok(pay("bola", "10000", &format!("r{round}-bola")));
        sim.ok(C::MakePayout { round });
    }
    assert_eq!(sim.state.status(), GroupStatus::Completed);
    let paid: Vec<Option<u32>> = sim.state.hands().iter().map(|h| h.paid_in_round).collect();
    assert_eq!(paid, [Some(1), Some(2), Some(3), Some(4)]);

    // Deposits refunded in full (chidi topped his up); the penalty stays with the group.
    let accounts = sim.state.accounts().unwrap();
    for name in ["ada", "bola", "chidi"] {
        assert!(
            sim.ledger.balance(&accounts.escrow(&m(name))).is_zero(),
            "{name}"
        );
    }
    assert_eq!(sim.ledger.balance(&accounts.penalty_income()), ngn("-500"));
    assert!(sim.ledger.balance(&accounts.pot()).is_zero());
    assert_eq!(sim.ledger.balance(&accounts.fees()), ngn("-1600"));
    // ada: two payouts of 39,600 and her 20,000 deposit back.
    assert_eq!(
        sim.ledger.balance(&accounts.wallet(&m("ada"))),
        ngn("-99200")
    );
    assert!(sim.ledger.trial_balance().is_zero());
    sim.ledger.verify_chain().unwrap();
    sim.assert_replays();
    assert!(sim.state.due_actions(sim.now).is_empty());
    assert!(matches!(
        sim.run(pay("ada", "1", "late")),
        Err(GroupError::NotAllowed { .. })
    ));
}

#[test]
fn forming_rules() {
    let mut sim = formed(PayoutOrder::JoinOrder);
    assert_eq!(
        sim.run(C::Join {
            member: m("ada"),
            hands: 1
        }),
        Err(GroupError::AlreadyMember(m("ada")))
    );
    assert_eq!(
        sim.run(C::Join {
            member: m("dayo"),
            hands: 0
        }),
        Err(GroupError::NoHands)
    );
    assert_eq!(
        sim.run(C::Join {
            member: m("dayo"),
            hands: 57
        }),
        Err(GroupError::GroupFull { max: 60 })
    );
    assert!(matches!(
        sim.run(C::Create {
            id: GroupId::new("g2").unwrap(),
            config: config(PayoutOrder::JoinOrder)
        }),
        Err(GroupError::AlreadyCreated)
    ));
    sim.ok(C::Join {
        member: m("dayo"),
        hands: 1,
    });
    assert_eq!(
        sim.run(C::Start),
        Err(GroupError::DepositsOutstanding(vec![m("dayo")]))
    );
    // dayo pays part, then leaves: the part comes back to his wallet.
    sim.ok(pay("dayo", "4000", "dep-dayo"));
    sim.ok(C::Leave { member: m("dayo") });
    let wallet = sim.state.accounts().unwrap().wallet(&m("dayo"));
    assert_eq!(sim.ledger.balance(&wallet), ngn("-4000"));
    assert!(!sim.state.members().contains_key(&m("dayo")));
    assert!(matches!(
        sim.run(C::MakePayout { round: 1 }),
        Err(GroupError::NotAllowed { .. })
    ));
    assert!(matches!(
        sim.run(C::PlaceBid {
            member: m("ada"),
            discount: ngn("1")
        }),
        Err(GroupError::NotAllowed { .. })
    ));
    assert!(matches!(
        sim.run(pay("zed", "1", "z")),
        Err(GroupError::UnknownMember(_))
    ));
    assert!(matches!(
        sim.run(C::RecordPayment {
            member: m("ada"),
            amount: Money::parse("1", Currency::KES).unwrap(),
            reference: "k".into()
        }),
        Err(GroupError::WrongCurrency { .. })
    ));
    assert_eq!(
        sim.run(pay("ada", "0", "zero")),
        Err(GroupError::NonPositiveAmount)
    );
    sim.assert_replays();
}

#[test]
fn too_few_hands_and_no_group() {
    let mut sim = Sim::new(chrono::DateTime::UNIX_EPOCH);
    assert!(matches!(
        sim.run(C::Start),
        Err(GroupError::NotAllowed { .. })
    ));
    let cfg = GroupConfig::builder("Two", ngn("100"), Frequency::Weekly, date(2026, 1, 1))
        .build()
        .unwrap();
    sim.ok(C::Create {
        id: GroupId::new("g").unwrap(),
        config: cfg,
    });
    sim.ok(C::Join {
        member: m("ada"),
        hands: 1,
    });
    assert_eq!(sim.run(C::Start), Err(GroupError::TooFewHands { hands: 1 }));
}

#[test]
fn config_is_checked_once() {
    let b = |c: Money| GroupConfig::builder("x", c, Frequency::Weekly, date(2026, 1, 1));
    let field = |r: Result<GroupConfig, GroupError>| match r {
        Err(GroupError::InvalidConfig { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(b(ngn("0")).build()), "contribution");
    assert_eq!(
        field(b(ngn("1")).fee_rate("1".parse().unwrap()).build()),
        "fee_rate"
    );
    assert_eq!(
        field(GroupConfig::builder(" ", ngn("1"), Frequency::Weekly, date(2026, 1, 1)).build()),
        "name"
    );
    assert_eq!(
        field(
            GroupConfig::builder("x", ngn("1"), Frequency::EveryNDays(0), date(2026, 1, 1)).build()
        ),
        "frequency"
    );
    assert_eq!(field(b(ngn("1")).max_hands(1).build()), "max_hands");
    let kes = Money::parse("1", Currency::KES).unwrap();
    assert_eq!(
        field(
            b(ngn("1"))
                .deposit(DepositRule::Fixed { amount: kes })
                .build()
        ),
        "deposit"
    );
    assert_eq!(
        field(
            b(ngn("1"))
                .penalty(PenaltyRule::new(PenaltyKind::FlatFee { fee: kes }, 0).unwrap())
                .build()
        ),
        "penalty"
    );
    assert_eq!(
        field(
            b(ngn("1"))
                .payout_order(PayoutOrder::Fixed { members: vec![] })
                .build()
        ),
        "payout_order"
    );
    assert!(
        MemberId::new("bad id").is_err()
            && MemberId::new("").is_err()
            && GroupId::new("a:b").is_err()
    );
}

#[test]
fn leaving_an_active_group() {
    let mut sim = formed(PayoutOrder::JoinOrder);
    sim.ok(C::Start);
    sim.at_date(date(2026, 1, 31));
    assert_eq!(
        sim.run(C::Leave { member: m("bola") }),
        Err(GroupError::NotYetPaidOut(m("bola")))
    );
    sim.ok(pay("ada", "20000", "a1"));
    sim.ok(pay("bola", "10000", "b1"));
    sim.ok(pay("chidi", "10000", "c1"));
    sim.ok(C::MakePayout { round: 1 });
    sim.at_date(date(2026, 2, 28));
    sim.ok(pay("ada", "20000", "a2"));
    sim.ok(pay("bola", "10000", "b2"));
    sim.ok(pay("chidi", "10000", "c2"));
    sim.ok(C::MakePayout { round: 2 });
    // ada has both hands paid but owes rounds 3 and 4: she must settle first.
    match sim.run(C::Leave { member: m("ada") }) {
        Err(GroupError::MustSettleBeforeLeaving { owed, .. }) => assert_eq!(owed, ngn("40000")),
        other => panic!("{other:?}"),
    }
    sim.ok(pay("ada", "40000", "a-settle"));
    let events = sim.ok(C::Leave { member: m("ada") });
    assert!(
        matches!(&events[0], GroupEvent::DepositRefunded { refunded, .. } if *refunded == ngn("20000"))
    );
    assert!(sim.state.members()[&m("ada")].left);
    sim.assert_replays();
}

#[test]
fn cancellation_returns_exactly_what_each_put_in_before_any_payout() {
    let mut sim = formed(PayoutOrder::JoinOrder);
    sim.ok(C::Start);
    sim.at_date(date(2026, 1, 31));
    sim.ok(pay("ada", "25000", "a1"));
    sim.ok(pay("bola", "3000", "b1"));
    let events = sim.ok(C::Cancel);
    let GroupEvent::Cancelled { refunds, .. } = &events[0] else {
        panic!("{events:?}")
    };
    let got: Vec<(&str, Money)> = refunds.iter().map(|(m, a)| (m.as_str(), *a)).collect();
    assert_eq!(
        got,
        [
            ("ada", ngn("45000")),
            ("bola", ngn("13000")),
            ("chidi", ngn("10000"))
        ]
    );
    let accounts = sim.state.accounts().unwrap();
    assert!(sim.ledger.balance(&accounts.pot()).is_zero());
    for (name, paid) in [("ada", "45000"), ("bola", "13000"), ("chidi", "10000")] {
        assert_eq!(
            sim.ledger.balance(&accounts.wallet(&m(name))),
            ngn(paid).negated()
        );
        assert!(sim.ledger.balance(&accounts.escrow(&m(name))).is_zero());
    }
    assert_eq!(sim.state.status(), GroupStatus::Cancelled);
    assert!(matches!(
        sim.run(C::Cancel),
        Err(GroupError::NotAllowed { .. })
    ));
    sim.assert_replays();
}

#[test]
fn cancellation_after_a_payout_shares_what_is_held() {
    let mut sim = formed(PayoutOrder::JoinOrder);
    sim.ok(C::Start);
    sim.at_date(date(2026, 1, 31));
    sim.ok(pay("ada", "20000", "a1"));
    sim.ok(pay("bola", "10000", "b1"));
    sim.ok(pay("chidi", "10000", "c1"));
    sim.ok(C::MakePayout { round: 1 });
    let events = sim.ok(C::Cancel);
    let GroupEvent::Cancelled { refunds, .. } = &events[0] else {
        panic!()
    };
    // Held: the three deposits (40,000). ada got 39,600 for 40,000 paid in; bola and
    // chidi paid 20,000 each; the 400 fee is gone, so they share what is held.
    let total: i128 = refunds.iter().map(|(_, a)| a.minor()).sum();
    assert_eq!(total, ngn("40000").minor());
    assert!(sim.ledger.trial_balance().is_zero());
    let accounts = sim.state.accounts().unwrap();
    assert!(sim.ledger.balance(&accounts.pot()).is_zero());
}

#[test]
fn bidding_pays_the_highest_bid_and_shares_the_discount() {
    let mut sim = formed(PayoutOrder::Bidding);
    sim.ok(C::Start);
    sim.at_date(date(2026, 1, 25));
    sim.ok(C::PlaceBid {
        member: m("bola"),
        discount: ngn("1000"),
    });
    sim.ok(C::PlaceBid {
        member: m("chidi"),
        discount: ngn("1500"),
    });
    sim.ok(C::PlaceBid {
        member: m("ada"),
        discount: ngn("1500"),
    });
    assert!(matches!(
        sim.run(C::PlaceBid {
            member: m("ada"),
            discount: ngn("40000")
        }),
        Err(GroupError::DiscountTooLarge { .. })
    ));
    assert!(matches!(
        sim.run(C::ChooseRecipient {
            hand: HandId::new(1).unwrap()
        }),
        Err(GroupError::WrongPayoutMethod(_))
    ));
    sim.ok(pay("ada", "20000", "a1"));
    sim.ok(pay("bola", "10000", "b1"));
    sim.ok(pay("chidi", "10000", "c1"));
    assert!(matches!(
        sim.run(C::MakePayout { round: 1 }),
        Err(GroupError::PayoutNotDue { .. })
    ));
    sim.at_date(date(2026, 1, 31));
    let events = sim.ok(C::MakePayout { round: 1 });
    let GroupEvent::PayoutMade {
        member,
        discount,
        payout,
        shares,
        fee,
        ..
    } = &events[0]
    else {
        panic!()
    };
    // chidi bid 1,500 first; ada's equal bid came later.
    assert_eq!(member.as_str(), "chidi");
    assert_eq!(
        (*fee, *discount, *payout),
        (ngn("400"), ngn("1500"), ngn("38100"))
    );
    let shares: Vec<(&str, Money)> = shares.iter().map(|(m, a)| (m.as_str(), *a)).collect();
    assert_eq!(shares, [("ada", ngn("1000")), ("bola", ngn("500"))]);
    assert_eq!(
        sim.run(C::PlaceBid {
            member: m("chidi"),
            discount: ngn("1")
        }),
        Err(GroupError::NoUnpaidHand(m("chidi")))
    );
    sim.assert_replays();
}

#[test]
fn organiser_choice_and_fixed_and_lottery_orders() {
    let mut sim = formed(PayoutOrder::OrganiserChoice);
    sim.ok(C::Start);
    sim.at_date(date(2026, 1, 31));
    sim.ok(pay("ada", "20000", "a1"));
    sim.ok(pay("bola", "10000", "b1"));
    sim.ok(pay("chidi", "10000", "c1"));
    assert_eq!(
        sim.state.due_actions(sim.now),
        [DueAction::ChooseRecipient { round: 1 }]
    );
    assert_eq!(
        sim.run(C::MakePayout { round: 1 }),
        Err(GroupError::RecipientNotChosen(1))
    );
    assert_eq!(
        sim.run(C::ChooseRecipient {
            hand: HandId::new(9).unwrap()
        }),
        Err(GroupError::UnknownHand(HandId::new(9).unwrap()))
    );
    sim.ok(C::ChooseRecipient {
        hand: HandId::new(3).unwrap(),
    });
    sim.ok(C::MakePayout { round: 1 });
    assert_eq!(
        sim.run(C::ChooseRecipient {
            hand: HandId::new(3).unwrap()
        }),
        Err(GroupError::HandAlreadyPaid(HandId::new(3).unwrap()))
    );
    assert_eq!(
        sim.run(C::MakePayout { round: 3 }),
        Err(GroupError::NotCurrentRound {
            round: 3,
            current: 2
        })
    );

    let fixed = formed(PayoutOrder::Fixed {
        members: ["chidi", "ada", "bola", "ada"].map(String::from).to_vec(),
    });
    let mut fixed = fixed;
    fixed.ok(C::Start);
    let order: Vec<Option<HandId>> = fixed.state.rounds().iter().map(|r| r.recipient).collect();
    assert_eq!(
        order,
        [
            Some(HandId::new(4).unwrap()),
            Some(HandId::new(1).unwrap()),
            Some(HandId::new(3).unwrap()),
            Some(HandId::new(2).unwrap())
        ]
    );
    let mut wrong = formed(PayoutOrder::Fixed {
        members: ["chidi", "ada", "bola", "bola"].map(String::from).to_vec(),
    });
    assert_eq!(wrong.run(C::Start), Err(GroupError::OrderMismatch));

    let mut a = formed(PayoutOrder::SeededLottery { seed: 7 });
    let mut b = formed(PayoutOrder::SeededLottery { seed: 7 });
    a.ok(C::Start);
    b.ok(C::Start);
    let order_a: Vec<Option<HandId>> = a.state.rounds().iter().map(|r| r.recipient).collect();
    let order_b: Vec<Option<HandId>> = b.state.rounds().iter().map(|r| r.recipient).collect();
    assert_eq!(order_a, order_b);
    let mut sorted: Vec<u32> = order_a.iter().map(|h| h.unwrap().get()).collect();
    sorted.sort_unstable();
    assert_eq!(sorted, [1, 2, 3, 4]);
}

#[test]
fn waiving_a_due_lets_the_round_pay_what_was_collected() {
    let mut sim = formed(PayoutOrder::JoinOrder);
    sim.ok(C::Start);
    sim.at_date(date(2026, 1, 31));
    sim.ok(pay("ada", "20000", "a1"));
    sim.ok(pay("bola", "10000", "b1"));
    sim.ok(pay("chidi", "4000", "c1"));
    sim.ok(C::WaiveDue {
        round: 1,
        hand: HandId::new(4).unwrap(),
    });
    assert_eq!(
        sim.run(C::WaiveDue {
            round: 1,
            hand: HandId::new(4).unwrap()
        }),
        Err(GroupError::NothingToWaive {
            round: 1,
            hand: HandId::new(4).unwrap()
        })
    );
    assert_eq!(
        sim.run(C::WaiveDue {
            round: 9,
            hand: HandId::new(4).unwrap()
        }),
        Err(GroupError::UnknownRound(9))
    );
    let events = sim.ok(C::MakePayout { round: 1 });
    let GroupEvent::PayoutMade { pot, .. } = &events[0] else {
        panic!()
    };
    assert_eq!(*pot, ngn("34000"));
    let _ = AccountKind::GroupPot;
}

#[test]
fn lateness_is_judged_in_the_groups_time_zone() {
    use chrono::TimeZone;
    let mut sim = formed(PayoutOrder::JoinOrder);
    sim.ok(C::Start);
    // 23:30 UTC on 2 February is already 3 February in Lagos (UTC+1): past the grace.
    sim.now = chrono::Utc.with_ymd_and_hms(2026, 2, 2, 23, 30, 0).unwrap();
    assert_eq!(sim.state.today(sim.now), date(2026, 2, 3));
    assert_eq!(
        sim.state
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .status(sim.state.today(sim.now), 2),
        DueStatus::Late
    );
    assert!(
        sim.state
            .due_actions(sim.now)
            .iter()
            .any(|a| matches!(a, DueAction::ApplyPenalties { .. }))
    );
    // An hour earlier it is still 2 February in Lagos: within grace.
    sim.now = chrono::Utc.with_ymd_and_hms(2026, 2, 2, 22, 30, 0).unwrap();
    assert_eq!(
        sim.state
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .status(sim.state.today(sim.now), 2),
        DueStatus::Pending
    );
    assert!(sim.ok(C::ApplyPenalties).is_empty());
}
