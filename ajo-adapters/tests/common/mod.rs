//! What the payment adapters' tests share: a mock server answering JSON, and a
//! contribution collected end to end through the service on the in-memory store.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::sync::Arc;
use std::time::Duration;

use ajo_adapters::http::{BreakerPolicy, HttpConfig, RetryPolicy};
use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId};
use ajo_core::money::Money;
use ajo_core::ports::{Clock, EmailSender, EntryQuery, Journal, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, Handled};
use ajo_core::webhook::GatewayEvent;
use ajo_testkit::InMemoryStore;
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeSms};
use chrono::{NaiveDate, TimeZone, Utc};
use wiremock::ResponseTemplate;

/// Quick settings for a mock server: short timeout, fast retries, a breaker that opens
/// after three failures.
pub(crate) fn http(server: &str) -> HttpConfig {
    HttpConfig::new(server)
        .with_timeout(Duration::from_millis(500))
        .with_retry(RetryPolicy::new(2, Duration::from_millis(5)))
        .with_breaker(BreakerPolicy::new(3, Duration::from_secs(60)))
}

/// A JSON answer with `status`.
pub(crate) fn json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

/// The sum of every balance is zero and the journal's hash chain holds.
pub(crate) async fn trial_balance_is_zero(store: &dyn Store) {
    ajo_testkit::assert_books_balance(store).await;
}

/// The group every end-to-end test uses: two members, ₦10,000 a month, no deposit.
pub(crate) const GROUP: &str = "g1";
/// The reference the service gives round 1, hand 1 of [`GROUP`].
pub(crate) const REFERENCE: &str = "ajo=ctb=g1=r1=h1";

/// Runs a contribution through the service with `gateway` (the real adapter against its
/// mock): two members join (recipients registered), the group starts, round 1 hand 1 is
/// asked to pay (a collection started at the provider). `webhook` then turns the
/// reference and amount into the provider's signed webhook, verified by the core
/// verifier; it is delivered twice and must credit the ledger once.
pub(crate) async fn contribution_end_to_end(
    gateway: Arc<dyn PaymentGateway>,
    webhook: impl Fn(&str, Money) -> GatewayEvent,
) {
    let store = Arc::new(InMemoryStore::new());
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let clock = Arc::new(FakeClock::new(
        Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap(),
    ));
    let service = AjoService::new(
        store.clone() as Arc<dyn Store>,
        gateway,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock as Arc<dyn Clock>,
    );
    let group = GroupId::new(GROUP).unwrap();
    let config = builders::naira_group("Ikeja traders", 10_000, start)
        .deposit(DepositRule::None)
        .build()
        .unwrap();
    service.create_group(&group, config).await.unwrap();
    for name in ["ada", "bola"] {
        service
            .join(&group, &builders::member(name), 1, &builders::contact(name))
            .await
            .unwrap();
    }
    service.start(&group).await.unwrap();

    let collection = service
        .request_contribution(&group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    assert_eq!(collection.reference, REFERENCE);
    let contribution = service
        .group(&group)
        .await
        .unwrap()
        .config()
        .unwrap()
        .contribution();

    let event = webhook(&collection.reference, contribution);
    assert_eq!(event.reference(), REFERENCE);
    assert_eq!(event.amount(), contribution);

    let before = store.entries(&EntryQuery::default()).await.unwrap().len();
    assert_eq!(
        service.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded
    );
    let once = store.entries(&EntryQuery::default()).await.unwrap().len();
    assert_eq!(once, before + 1, "the payment is one journal entry");
    assert_eq!(
        service.handle_gateway_event(&event).await.unwrap(),
        Handled::Duplicate,
        "the same webhook again changes nothing"
    );
    assert_eq!(
        store.entries(&EntryQuery::default()).await.unwrap().len(),
        once,
        "credited once"
    );
    let balances = store.balances().await.unwrap();
    assert!(
        balances.iter().any(|(_, m)| *m == contribution),
        "an account holds the contribution: {balances:?}"
    );
    trial_balance_is_zero(store.as_ref()).await;
}

/// Everything on `gateway`'s statement, as (reference, amount) pairs in the order listed.
pub(crate) async fn statement(gateway: &dyn PaymentGateway) -> Vec<(String, String)> {
    let from = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    gateway
        .list_transactions(from, to)
        .await
        .unwrap()
        .iter()
        .map(|l| (l.reference.clone(), l.amount.amount().to_string()))
        .collect()
}

/// The fee on each line of `gateway`'s statement over all time, as text.
#[allow(dead_code)]
pub(crate) async fn fees(gateway: &dyn PaymentGateway) -> Vec<Option<String>> {
    let from = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    gateway
        .list_transactions(from, to)
        .await
        .unwrap()
        .iter()
        .map(|l| l.fee.map(|f| f.amount().to_string()))
        .collect()
}
