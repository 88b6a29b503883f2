//! Orders: one savings group for each payout order (join order, a fixed order, a seeded
//! lottery, bidding, the organiser's choice) under each payout policy (when every due is
//! in, at the end of grace): ten groups, each run through the ajo service on the
//! embedded in-memory store from forming to completion.
//!
//! Every group lives the same script: in round 1 a member pays late, another bids and
//! the organiser chooses; in round 2 one member defaults and their deposit covers them;
//! in round 3 a member pays early and a webhook arrives twice; in round 4 the organiser
//! lets the choice deadline pass; in round 5 a member who still owes asks to leave and
//! is refused. Steps that do not apply to a group's order (a bid in a join-order group)
//! are refused, and the refusal is checked to change nothing.
//!
//! One line per group: its order, its policy, `completed`, the hands paid and the trial
//! balance. Exits non-zero if any group does not complete.
//!
//! Run it with `cargo run -q -p ajo-examples --example orders`.

use std::sync::Arc;

use ajo_core::group::GroupStatus;
use ajo_core::group::payout::PayoutPolicy;
use ajo_core::group::rotation::PayoutOrder;
use ajo_core::ports::Store;
use ajo_testkit::InMemoryStore;
use ajo_testkit::life::{self, Plan, Step};

fn script() -> Vec<Vec<Step>> {
    vec![
        vec![
            Step::PayLate { hand: 2, days: 1 },
            Step::Bid {
                member: 2,
                percent: 10,
            },
            Step::Choose(2),
        ],
        vec![
            Step::Default(3),
            Step::Bid {
                member: 1,
                percent: 5,
            },
            Step::Choose(0),
        ],
        vec![Step::PayEarly(0), Step::Duplicate, Step::Choose(1)],
        vec![],
        vec![Step::Leave(1)],
    ]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let orders = [
        ("join order", PayoutOrder::JoinOrder),
        ("fixed", PayoutOrder::Fixed { members: vec![] }),
        ("lottery", PayoutOrder::SeededLottery { seed: 2026 }),
        ("bidding", PayoutOrder::Bidding),
        ("organiser choice", PayoutOrder::OrganiserChoice),
    ];
    let policies = [
        ("when all paid", "when-all-paid", PayoutPolicy::WhenAllPaid),
        ("at grace end", "at-grace-end", PayoutPolicy::AtGraceEnd),
    ];
    let mut incomplete = 0;
    for (order_name, order) in &orders {
        for (policy_name, policy_slug, policy) in &policies {
            let plan = Plan {
                name: format!("{}-{policy_slug}", order_name.replace(' ', "-")),
                order: order.clone(),
                policy: *policy,
                members: 5,
                rounds: script(),
            };
            let store = Arc::new(InMemoryStore::new()) as Arc<dyn Store>;
            let report = life::run(store, &plan).await;
            let status = match report.status {
                GroupStatus::Completed => "completed".to_owned(),
                other => {
                    incomplete += 1;
                    format!("{other:?}").to_lowercase()
                }
            };
            println!(
                "{order_name:<17} {policy_name:<14} {status}  hands paid {}/{}  refusals {}  trial balance {}",
                report.hands_paid, report.hands, report.refusals, report.trial_balance
            );
        }
    }
    if incomplete > 0 {
        return Err(format!("{incomplete} of 10 groups did not complete").into());
    }
    Ok(())
}
