//! Random flows of money in doubt (short, over and stray payments, refunds the gateway
//! makes, disputes opened, won and lost, every kind of resolution, duplicate webhooks),
//! driven through the service on the in-memory store: after every step the trial
//! balance is zero, the review queue adds up to the review account, and a refused
//! resolution writes nothing (`conformance::review::money_in_doubt_keeps_the_books`).
//! A fixed flow runs on PostgreSQL in ajo-adapters' review suite.

#![allow(missing_docs)]

use std::sync::Arc;

use ajo_core::payment::GatewayReturn;
use ajo_core::ports::Store;
use ajo_testkit::InMemoryStore;
use ajo_testkit::conformance::review::{DoubtStep, money_in_doubt_keeps_the_books};
use proptest::prelude::*;

fn step() -> impl Strategy<Value = DoubtStep> {
    let at = 0usize..4;
    let naira = 1i64..15_000;
    prop_oneof![
        (at.clone(), prop_oneof![Just(0i64), naira.clone()])
            .prop_map(|(at, naira)| DoubtStep::Pay { at, naira }),
        naira.clone().prop_map(|naira| DoubtStep::Stray { naira }),
        (at.clone(), 0u8..3, naira.clone()).prop_map(|(at, id, naira)| DoubtStep::GatewayRefund {
            at,
            id,
            naira
        }),
        (
            at.clone(),
            0u8..3,
            prop_oneof![
                Just(GatewayReturn::DisputeOpened),
                Just(GatewayReturn::DisputeFundsWithdrawn),
                Just(GatewayReturn::DisputeFundsReinstated),
                Just(GatewayReturn::DisputeWon),
                Just(GatewayReturn::DisputeLost),
            ],
            naira,
        )
            .prop_map(|(at, id, what, naira)| DoubtStep::Dispute {
                at,
                id,
                what,
                naira
            }),
        (at, 0u8..4).prop_map(|(at, how)| DoubtStep::Resolve { at, how }),
        Just(DoubtStep::Again),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn money_in_doubt_never_unbalances_the_books_or_the_queue(
        steps in prop::collection::vec(step(), 1..24)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build();
        prop_assert!(runtime.is_ok());
        let Ok(runtime) = runtime else { return Ok(()) };
        runtime.block_on(money_in_doubt_keeps_the_books(
            Arc::new(InMemoryStore::new()) as Arc<dyn Store>,
            &steps,
        ));
    }
}
