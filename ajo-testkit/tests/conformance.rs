//! The in-memory store and the fake gateway pass the suites every implementation must.

#![allow(missing_docs)]

use std::sync::Arc;

use ajo_core::money::{Currency, Money};
use ajo_core::ports::{CollectionRequest, PaymentGateway, PayoutRequest, RecipientId, Store};
use ajo_testkit::conformance::{self, gateway::GatewayFixtures};
use ajo_testkit::fakes::FakeGateway;
use ajo_testkit::{InMemoryStore, builders};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_store_passes_the_store_suite() {
    conformance::store::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}

#[tokio::test]
async fn fake_gateway_passes_the_gateway_contract() {
    let gateway = FakeGateway::new();
    let naira = |n: &str| Money::parse(n, Currency::NGN).unwrap();
    let paid = CollectionRequest {
        reference: "paid-1".into(),
        amount: naira("5000"),
        email: "ada@example.com".into(),
        description: "contribution".into(),
        callback_url: None,
    };
    gateway.start_collection(&paid).await.unwrap();
    gateway.pay("paid-1").unwrap();
    let fixtures = GatewayFixtures {
        collection: CollectionRequest {
            reference: "new-1".into(),
            ..paid
        },
        paid: ("paid-1".into(), naira("5000")),
        unknown_reference: "nope".into(),
        unsupported: Money::parse("5", Currency::JPY).unwrap(),
        recipient: builders::contact("Ada").payout_account.unwrap(),
        payout: PayoutRequest {
            reference: "po-1".into(),
            recipient: RecipientId(String::new()),
            amount: naira("100"),
            reason: "test".into(),
        },
    };
    conformance::gateway::run_all(&gateway as &dyn PaymentGateway, &fixtures).await;
}
