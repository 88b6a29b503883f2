//! Random lives of a group, driven through the service on the in-memory store: every
//! payout order under both policies, with lateness, defaults covered by deposits, bids,
//! the organiser's choices (and missed ones), leaves, duplicate webhooks and
//! cancellations. `ajo_testkit::life` checks after every step that the trial balance is
//! zero and the chain verifies, that refusals change nothing, and at the end that every
//! hand was paid exactly once (or the group cancelled and refunded), and that the stored
//! events replay to what the service reports. The same lives run on PostgreSQL in
//! ajo-adapters' `postgres` tests.

#![allow(missing_docs)]

use std::sync::Arc;

use ajo_core::group::GroupStatus;
use ajo_core::ports::Store;
use ajo_testkit::InMemoryStore;
use ajo_testkit::life::{self, Plan};
use ajo_testkit::strategies::life_plan;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_life_keeps_the_books_and_pays_each_hand_once(plan in life_plan()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build();
        prop_assert!(runtime.is_ok());
        let Ok(runtime) = runtime else { return Ok(()) };
        let report = runtime.block_on(life::run(
            Arc::new(InMemoryStore::new()) as Arc<dyn Store>,
            &plan,
        ));
        prop_assert_eq!(report.trial_balance, 0);
        let cancelled = plan.rounds.iter().flatten().any(|s| *s == life::Step::Cancel);
        if !cancelled {
            prop_assert_eq!(report.status, GroupStatus::Completed);
            prop_assert_eq!(report.hands_paid, report.hands);
        }
    }
}

/// A life with loans in it ([`Plan::borrowers`]): the clearing loan is paid out, repaid
/// and paid off by the end, the pot's is refused, and the refusals changed nothing.
#[tokio::test]
async fn a_life_with_loans_pays_them_out_and_back() {
    let plan = Plan::borrowers();
    let report = life::run(Arc::new(InMemoryStore::new()) as Arc<dyn Store>, &plan).await;
    assert_eq!(report.status, GroupStatus::Completed);
    assert_eq!(
        report.loans, 1,
        "the clearing loan paid out, the pot's refused"
    );
    assert!(report.refusals >= 1, "{report:?}");
    assert_eq!(report.trial_balance, 0);
}
