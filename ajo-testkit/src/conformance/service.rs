//! The service over a store, on the path a host takes: [`AjoService`] with a real clock.
//!
//! A store that passes [`store`](super::store) can still fail a host if the service and
//! the store disagree on what they keep (a time's precision, say). These checks drive the
//! service itself and read the books back.

use std::sync::Arc;

use ajo_core::group::{GroupId, HandId};
use ajo_core::ledger::verify_chain;
use ajo_core::ports::{
    Clock, EmailSender, EntryQuery, PaymentGateway, SmsSender, Store, SystemClock,
};
use ajo_core::service::{AjoService, Handled};
use chrono::Duration;

use crate::builders::{contact, member, naira_group};
use crate::fakes::{FakeEmail, FakeGateway, FakeSms};

/// Runs every check on a fresh store from `factory`, with the machine's clock.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_round_on_a_real_clock_keeps_verifiable_books(factory().await, Arc::new(SystemClock)).await;
}

/// Four members join (paying deposits) and pay round 1 through the service at `clock`'s
/// times, which may be finer than a microsecond ([`SystemClock`] is, on Linux); the journal
/// read back verifies, every entry's time is a whole microsecond, and the trial balance is
/// zero.
pub async fn a_round_on_a_real_clock_keeps_verifiable_books(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) {
    let gateway = Arc::new(FakeGateway::new());
    let service = AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone(),
    );
    let start = (clock.now() + Duration::days(10)).date_naive();
    let id = GroupId::new("real-clock").unwrap();
    service
        .create_group(
            &id,
            naira_group("Real clock", 10_000, start).build().unwrap(),
        )
        .await
        .unwrap();
    let names = ["ada", "bola", "chidi", "dayo"];
    for name in names {
        let receipt = service
            .join(&id, &member(name), 1, &contact(name))
            .await
            .unwrap();
        let deposit = receipt.deposit.expect("the group takes a deposit");
        let paid = gateway.pay(&deposit.reference).unwrap();
        assert_eq!(
            service.handle_gateway_event(&paid).await.unwrap(),
            Handled::Recorded
        );
    }
    service.start(&id).await.unwrap();
    for hand in 1..=4 {
        let collection = service
            .request_contribution(&id, 1, HandId(hand))
            .await
            .unwrap();
        let paid = gateway.pay(&collection.reference).unwrap();
        assert_eq!(
            service.handle_gateway_event(&paid).await.unwrap(),
            Handled::Recorded
        );
    }
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert!(entries.len() >= 8, "deposits and contributions are booked");
    verify_chain(&entries).expect("the chain verifies with the clock's real times");
    for entry in &entries {
        assert_eq!(
            entry.posted_at().as_datetime().timestamp_subsec_nanos() % 1_000,
            0,
            "entry {} is posted at a whole microsecond",
            entry.id()
        );
    }
    let total: i128 = store
        .balances()
        .await
        .unwrap()
        .iter()
        .map(|(_, m)| m.minor())
        .sum();
    assert_eq!(total, 0, "the trial balance is zero");
}
