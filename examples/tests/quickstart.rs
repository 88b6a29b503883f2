//! The quickstart, run as a newcomer runs it (the README's first command): on the
//! embedded store, and on PostgreSQL with `--database-url`, the group completes, every
//! payout reaches the gateway, the loan is repaid and the books balance, with the same
//! story on both.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "../../ajo-adapters/tests/pgdb/mod.rs"]
mod pgdb;

use std::process::Command;

fn run(args: &[&str]) -> String {
    let output = Command::new(common::binary::example("quickstart"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    stdout
}

/// The lines of the story, without the header that names the store.
fn story(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| !l.starts_with("(on PostgreSQL"))
        .skip_while(|l| l.is_empty())
        .collect()
}

fn check(stdout: &str) {
    let payouts = stdout
        .lines()
        .filter(|l| l.contains("payout of ₦99,000.00 (the pot less the 1% fee) sent to"))
        .count();
    assert_eq!(payouts, 5, "{stdout}");
    for line in [
        "the gateway sends Ada's webhook again: recognised as a duplicate, ignored",
        "after the grace day: Chidi is charged ₦500.00 and his deposit covers his due",
        "Chidi pays ₦40,500.00 (the due, his penalty and his deposit top-up)",
        "Dayo's loan is repaid",
        "the group is completed: 5 deposits refunded in full",
        "Balogun market has completed its cycle",
        "hash chain verified",
    ] {
        assert!(stdout.contains(line), "missing {line:?}:\n{stdout}");
    }
    // The report over the whole story says what the story earned.
    for (label, amount) in [
        ("platform fees", "₦5,000.00"),
        ("penalty income", "₦500.00"),
        ("loan interest", "₦1,207.92"),
        ("held for review", "₦0.00"),
    ] {
        assert!(
            stdout.lines().any(|l| {
                let l = l.trim();
                l.starts_with(label) && l.ends_with(amount)
            }),
            "the report's {label} is not {amount}:\n{stdout}"
        );
    }
    let total = stdout
        .lines()
        .find(|l| l.contains("total (must be zero)"))
        .unwrap_or_else(|| panic!("no total: {stdout}"));
    assert!(total.trim_end().ends_with("₦0.00"), "{total}");
}

#[tokio::test]
async fn the_quickstart_runs_a_group_to_completion_embedded_and_on_postgres() {
    let embedded = run(&[]);
    check(&embedded);
    if pgdb::TestDb::connect().await.is_none() {
        return;
    }
    let url = pgdb::url();
    let on_postgres = run(&["--database-url", &url]);
    assert!(on_postgres.contains("(on PostgreSQL, schema ajo_quickstart)"));
    assert!(!on_postgres.contains(&url), "the URL is never printed");
    assert_eq!(story(&on_postgres), story(&embedded), "the same story");
}
