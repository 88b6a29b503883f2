//! Snapshots of what people see: a 12-member monthly schedule and a bidding cycle.

use ajo_core::calendar::Frequency;
use ajo_core::group::rotation::{PayoutOrder, RotationSchedule};
use ajo_core::group::{GroupCommand as C, GroupConfig, GroupEvent};
use ajo_core::ids::{GroupId, MemberId};
use ajo_core::money::{Currency, Money};
use chrono::NaiveDate;
use std::fmt::Write;

use crate::group_sim::Sim;

const NAMES: [&str; 12] = [
    "ada", "bola", "chidi", "dayo", "emeka", "funke", "gbenga", "hauwa", "ife", "jide", "kemi",
    "lola",
];

#[test]
fn twelve_member_monthly_schedule() {
    let schedule = RotationSchedule::build(
        &NAMES,
        Money::parse("25000", Currency::NGN).unwrap(),
        Frequency::Monthly,
        NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
        "0.015".parse().unwrap(),
    )
    .unwrap();
    let mut table =
        String::from("round  due date    recipient  pot            fee          payout\n");
    for r in &schedule.rounds {
        writeln!(
            table,
            "{:>5}  {}  {:<9}  {:>13}  {:>11}  {:>13}",
            r.round,
            r.due_date,
            r.recipient,
            r.pot.human().to_string(),
            r.fee.human().to_string(),
            r.payout.human().to_string()
        )
        .unwrap();
    }
    writeln!(
        table,
        "cycle ends {}; contributed {}, fees {}, paid out {}",
        schedule.cycle_end_date,
        schedule.total_contributed.human(),
        schedule.total_fees.human(),
        schedule.total_paid_out.human()
    )
    .unwrap();
    insta::assert_snapshot!(table);
}

#[test]
fn a_bidding_cycle() {
    let contribution = Money::parse("5000", Currency::KES).unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let config = GroupConfig::builder("Chama bidding", contribution, Frequency::Weekly, start)
        .fee_rate("0.02".parse().unwrap())
        .payout_order(PayoutOrder::Bidding)
        .build()
        .unwrap();
    let mut sim = Sim::new(chrono::DateTime::UNIX_EPOCH);
    sim.at_date(start - chrono::Duration::days(7));
    sim.ok(C::Create {
        id: GroupId::new("chama").unwrap(),
        config,
    });
    let members: Vec<MemberId> = ["wanjiru", "otieno", "akinyi", "kamau"]
        .iter()
        .map(|n| MemberId::new(*n).unwrap())
        .collect();
    for member in &members {
        sim.ok(C::Join {
            member: member.clone(),
            hands: 1,
        });
    }
    sim.ok(C::Start);
    let bids: [&[(usize, &str)]; 4] = [
        &[(1, "300"), (2, "450"), (3, "450")],
        &[(0, "200"), (3, "250.50")],
        &[],
        &[(0, "0")],
    ];
    let mut log = String::new();
    for (round, round_bids) in (1u32..).zip(bids) {
        let due = sim.state.round(round).unwrap().due_date;
        sim.at_date(due - chrono::Duration::days(1));
        for (who, discount) in round_bids {
            let _ = sim.run(C::PlaceBid {
                member: members[*who].clone(),
                discount: Money::parse(discount, Currency::KES).unwrap(),
            });
        }
        for (i, member) in members.iter().enumerate() {
            sim.ok(C::RecordPayment {
                member: member.clone(),
                amount: contribution,
                reference: format!("r{round}-{i}"),
            });
        }
        sim.at_date(due);
        for event in sim.ok(C::MakePayout { round }) {
            if let GroupEvent::PayoutMade {
                member,
                pot,
                fee,
                discount,
                payout,
                shares,
                ..
            } = event
            {
                let shares: Vec<String> = shares
                    .iter()
                    .map(|(m, s)| format!("{m} {}", s.human()))
                    .collect();
                writeln!(log, "round {round} ({due}): {member} wins; pot {}, fee {}, discount {}, payout {}; shares: [{}]", pot.human(), fee.human(), discount.human(), payout.human(), shares.join(", ")).unwrap();
            }
        }
    }
    insta::assert_snapshot!(log);
    assert!(sim.ledger.trial_balance().is_zero());
}
