//! The service over a store, on the path a host takes: [`AjoService`] with a real clock.
//!
//! A store that passes [`store`](super::store) can still fail a host if the service and
//! the store disagree on what they keep (a time's precision, say). These checks drive the
//! service itself and read the books back.

use std::sync::Arc;

use ajo_core::ids::GroupId;
use ajo_core::ledger::verify_chain;
use ajo_core::ports::{
    Clock, EmailSender, EntryQuery, NotifyError, PaymentGateway, PayoutState, SmsSender, Store,
    SystemClock,
};
use ajo_core::service::{AjoService, Handled, MAX_SETTING_DURATION, ServiceConfig};
use ajo_core::webhook::PaymentEventKind;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::builders::{contact, member, naira_group};
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms, PayoutMode};

/// Runs every check on a fresh store from `factory`: one with the machine's clock, one
/// with a clock at the end of time.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_round_on_a_real_clock_keeps_verifiable_books(factory().await, Arc::new(SystemClock)).await;
    a_group_at_the_end_of_time_keeps_working(factory().await).await;
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
    crate::drive::join_and_start(&service, &gateway, &id, &["ada", "bola", "chidi", "dayo"]).await;
    crate::drive::pay_round(&service, &gateway, &id, 1, 4).await;
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

/// A two-member group whose clock runs to the last instant chrono holds, with every
/// duration setting at its largest: each wake time, lease and retry the service and the
/// store compute lies past that instant, and stops there. Joining, paying, both payouts
/// (one left pending, then reported failed), re-verifying a pending deposit, a failed send
/// and the outbox's leases all go through without a panic or an error, and the books
/// balance and verify. (A host's clock says what time it is; the service must not panic
/// on any time it says.)
pub async fn a_group_at_the_end_of_time_keeps_working(store: Arc<dyn Store>) {
    let end = DateTime::<Utc>::MAX_UTC;
    let clock = Arc::new(FakeClock::new(end - Duration::days(70)));
    let gateway = Arc::new(FakeGateway::new());
    let email = Arc::new(FakeEmail::new());
    let year = std::time::Duration::from_secs(366 * 86_400);
    let service = AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        email.clone() as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    )
    .with_config(ServiceConfig {
        reverify_after: MAX_SETTING_DURATION,
        outbox_backoff: MAX_SETTING_DURATION,
        outbox_lease: year,
        ..ServiceConfig::default()
    })
    .unwrap();
    let quiet = |report: ajo_core::service::TickReport| {
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        report
    };
    // Rounds on the first of November and of December, 262143 (Lagos).
    let start = (clock.now() + Duration::days(10)).date_naive();
    let id = GroupId::new("end-of-time").unwrap();
    service
        .create_group(
            &id,
            naira_group("End of time", 10_000, start).build().unwrap(),
        )
        .await
        .unwrap();
    crate::drive::join_and_start(&service, &gateway, &id, &["ada", "bola"]).await;
    let noon = |day: NaiveDate| Utc.from_utc_datetime(&day.and_hms_opt(11, 0, 0).unwrap());
    crate::drive::pay_round(&service, &gateway, &id, 1, 2).await;
    let due = service.group(&id).await.unwrap().round(1).unwrap().due_date;
    clock.set(noon(due + Duration::days(2)));
    quiet(service.tick().await.unwrap());

    // The last minute: past midnight in Lagos, a date chrono cannot hold. The second
    // payout and the two deposits' refunds (the group is over) are made and sent; the
    // gateway leaves them pending, then reports one failed.
    crate::drive::pay_round(&service, &gateway, &id, 2, 2).await;
    gateway.set_payout_mode(PayoutMode::Pending);
    clock.set(end - Duration::minutes(1));
    let report = quiet(service.tick().await.unwrap());
    assert_eq!(report.payouts_sent, 3, "{report:?}");
    let pending: Vec<String> = gateway
        .payouts()
        .into_iter()
        .filter(|(_, (_, state))| *state == PayoutState::Pending)
        .map(|(reference, _)| reference)
        .collect();
    assert_eq!(pending.len(), 3, "{:?}", gateway.payouts());
    let failed = gateway
        .payout_event(&pending[0], PaymentEventKind::PayoutFailed)
        .unwrap();
    assert_eq!(
        service.handle_gateway_event(&failed).await.unwrap(),
        Handled::Recorded
    );

    // Another group, joined in the last minute: its deposit stays pending.
    let late = GroupId::new("last-minute").unwrap();
    service
        .create_group(
            &late,
            naira_group("Last minute", 10_000, end.date_naive())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    service
        .join(&late, &member("chidi"), 1, &contact("chidi"))
        .await
        .unwrap();

    // The very end: the pending deposit is re-verified, the failed payout sent again,
    // and the outbox, one send failing, drained.
    clock.set(end);
    let report = quiet(service.tick().await.unwrap());
    assert!(
        report.reverified >= 1 && report.payouts_sent >= 1,
        "{report:?}"
    );
    email.fail_next(NotifyError::Unavailable);
    let delivered = service.deliver_outbox(1_000).await.unwrap();
    assert!(delivered.sent > 0 && delivered.failed == 0, "{delivered:?}");
    quiet(service.tick().await.unwrap());

    crate::assert_books_balance(store.as_ref()).await;
}
