//! The in-memory store and the fakes pass the suites every implementation must.

#![allow(missing_docs)]

use std::sync::Arc;

use ajo_core::ids::RecipientId;
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    CollectionRequest, EmailMessage, NotifyError, PaymentGateway, PayoutRequest, ProviderMessageId,
    SmsMessage, SmsSender, Store,
};
use ajo_testkit::conformance::notify::{EmailFixtures, SmsFixtures};
use ajo_testkit::conformance::{self, gateway::GatewayFixtures};
use ajo_testkit::fakes::{FakeEmail, FakeGateway, FakeSms};
use ajo_testkit::{InMemoryStore, builders};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_store_passes_the_store_suite() {
    conformance::store::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_group_commands_suite() {
    conformance::group_commands::run_all(|| async {
        Arc::new(InMemoryStore::new()) as Arc<dyn Store>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_service_suite() {
    conformance::service::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_loans_suite() {
    conformance::loans::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_reports_suite() {
    conformance::reports::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_collections_suite() {
    conformance::collections::run_all(|| async {
        Arc::new(InMemoryStore::new()) as Arc<dyn Store>
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_review_suite() {
    conformance::review::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_reconcile_suite() {
    conformance::reconcile::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_passes_the_limits_suite() {
    conformance::limits::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}

/// A clock read between two microseconds, held still: everything the service stores is
/// cut the same way, so the kept group states and the store agree.
#[tokio::test]
async fn the_service_cuts_a_sub_microsecond_clock() {
    use chrono::TimeZone;
    let clock = ajo_testkit::fakes::FakeClock::new(
        chrono::Utc
            .timestamp_opt(1_772_355_600, 987_654_321)
            .unwrap(),
    );
    conformance::service::a_round_on_a_real_clock_keeps_verifiable_books(
        Arc::new(InMemoryStore::new()),
        Arc::new(clock),
    )
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
        payer_phone: None,
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
            recipient: RecipientId::new("RCP_x").unwrap(),
            amount: naira("100"),
            reason: "test".into(),
        },
        statement: true,
    };
    conformance::gateway::run_all(&gateway as &dyn PaymentGateway, &fixtures).await;
}

fn email() -> EmailMessage {
    EmailMessage {
        message_id: "g1:r1:reminder:ada:email".into(),
        to: "ada@example.com".into(),
        subject: "Your contribution is due".into(),
        text: "Hello Ada".into(),
        html: Some("<p>Hello Ada</p>".into()),
    }
}

fn sms() -> SmsMessage {
    SmsMessage {
        message_id: "g1:r1:reminder:ada:sms".into(),
        to: "+2348012345678".into(),
        body: "Hello Ada".into(),
    }
}

#[tokio::test]
async fn fake_senders_pass_the_notify_contract() {
    conformance::notify::run_email(&FakeEmail::new(), &EmailFixtures::new(email(), "ada")).await;
    conformance::notify::run_sms(&FakeSms::new(), &SmsFixtures::new(sms())).await;
}

/// A sender that takes any number, to show the suite catches it.
#[derive(Debug)]
struct Lax;

#[async_trait::async_trait]
impl SmsSender for Lax {
    async fn send_sms(&self, _: &SmsMessage) -> Result<ProviderMessageId, NotifyError> {
        Ok(ProviderMessageId("SM1".into()))
    }
}

#[tokio::test]
#[should_panic(expected = "is not E.164 and must be InvalidRecipient")]
async fn the_notify_contract_refuses_a_sender_that_takes_any_number() {
    conformance::notify::run_sms(&Lax, &SmsFixtures::new(sms())).await;
}
