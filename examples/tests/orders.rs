//! The `orders` example, run as a newcomer runs it: ten groups, one per payout order and
//! policy, each completing with every hand paid and a zero trial balance.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Command;

#[test]
fn every_order_under_every_policy_completes() {
    let output = Command::new(common::binary::example("orders"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 10, "{stdout}");
    for order in [
        "join order",
        "fixed",
        "lottery",
        "bidding",
        "organiser choice",
    ] {
        for policy in ["when all paid", "at grace end"] {
            let line = lines
                .iter()
                .find(|l| l.starts_with(order) && l.contains(policy))
                .unwrap_or_else(|| panic!("no line for {order}, {policy}: {stdout}"));
            assert!(line.contains("completed"), "{line}");
            assert!(line.contains("hands paid 6/6"), "{line}");
            assert!(line.contains("trial balance 0"), "{line}");
        }
    }
}
