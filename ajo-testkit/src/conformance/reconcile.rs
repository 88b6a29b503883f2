//! Reconciliation by period through [`AjoService`], on the path a host takes: the
//! books' clearing movements of a period against the gateway's statement, both ways,
//! the provider's fees booked once, one alert per period that differs, and `tick`
//! reconciling each day once. Every store runs it, on a clock between two microseconds.

use std::sync::Arc;

use ajo_core::group::GroupAccounts;
use ajo_core::group::deposit::DepositRule;
use ajo_core::group::payout::PayoutPolicy;
use ajo_core::ids::{GroupId, HandId};
use ajo_core::ledger::StatementLine;
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{AlertKind, Alerts, Clock, EmailSender, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, ServiceConfig, ServiceError, gateway_fees};
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::builders::{contact, member, naira_group};
use crate::fakes::{FakeAlerts, FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_period_is_reconciled_both_ways_and_fees_booked_once(factory().await).await;
    tick_reconciles_each_day_once(factory().await).await;
}

fn naira(n: i64) -> Money {
    Money::from_minor(i128::from(n) * 100, Currency::NGN).unwrap()
}

struct Host {
    service: AjoService,
    gateway: Arc<FakeGateway>,
    alerts: Arc<FakeAlerts>,
    clock: Arc<FakeClock>,
    store: Arc<dyn Store>,
}

fn host(store: Arc<dyn Store>, config: ServiceConfig) -> Host {
    let gateway = Arc::new(FakeGateway::new());
    let alerts = Arc::new(FakeAlerts::new());
    let clock = Arc::new(FakeClock::new(
        Utc.timestamp_opt(1_772_355_600, 987_654_321).unwrap(),
    ));
    let service = AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    )
    .with_config(config)
    .unwrap()
    .with_alerts(alerts.clone() as Arc<dyn Alerts>);
    Host {
        service,
        gateway,
        alerts,
        clock,
        store,
    }
}

/// A started group of ada, bola and chidi (no deposits, paid out once all have paid).
async fn group(host: &Host, name: &str) -> GroupId {
    let id = GroupId::new(name).unwrap();
    let config = naira_group(name, 10_000, host.clock.now().date_naive())
        .deposit(DepositRule::None)
        .payout_policy(PayoutPolicy::WhenAllPaid)
        .build()
        .unwrap();
    host.service.create_group(&id, config).await.unwrap();
    for who in ["ada", "bola", "chidi"] {
        host.service
            .join(&id, &member(who), 1, &contact(who))
            .await
            .unwrap();
    }
    host.service.start(&id).await.unwrap();
    id
}

async fn pay(host: &Host, id: &GroupId, hand: u32) -> String {
    let checkout = host
        .service
        .request_contribution(id, 1, HandId::new(hand).unwrap())
        .await
        .unwrap();
    let paid = host.gateway.pay(&checkout.reference).unwrap();
    host.service.handle_gateway_event(&paid).await.unwrap();
    checkout.reference
}

fn references(lines: &[StatementLine]) -> Vec<&str> {
    lines.iter().map(|l| l.reference.as_str()).collect()
}

async fn trial_balance(host: &Host) -> i128 {
    host.store
        .balances()
        .await
        .unwrap()
        .iter()
        .map(|(_, m)| m.minor())
        .sum()
}

/// Three contributions in a period: the statement has the first right (with
/// Paystack's fee), the second for another amount (with its fee), not the third, and a
/// charge ajo never asked for. The report says so both ways; the fees are booked
/// (clearing → the provider's fee account) once however often the period is
/// reconciled; one alert for the period; a period before any of it has nothing on the
/// books' side; an empty period is refused.
pub async fn a_period_is_reconciled_both_ways_and_fees_booked_once(store: Arc<dyn Store>) {
    let host = host(store, ServiceConfig::default());
    let from: DateTime<Utc> = host.clock.now();
    let id = group(&host, "recon").await;
    let ada = pay(&host, &id, 1).await;
    host.clock.advance(Duration::minutes(5));
    let bola = pay(&host, &id, 2).await;
    let chidi = pay(&host, &id, 3).await;
    let until = host.clock.now() + Duration::hours(1);
    host.gateway.set_statement(vec![
        StatementLine::new(ada.as_str(), naira(10_000)).with_fee(naira(250)),
        StatementLine::new(bola.as_str(), naira(9_000)).with_fee(naira(235)),
        // Two charges under one reference ajo never issued: a fee on each, one of them
        // given back (negative).
        StatementLine::new("stranger-1", naira(500)).with_fee(naira(10)),
        StatementLine::new("stranger-1", naira(500)).with_fee(naira(-3)),
    ]);
    let clearing = GroupAccounts::clearing_for(Currency::NGN);
    let before = host.store.balance(&clearing).await.unwrap();

    let found = host.service.reconcile(from, until).await.unwrap();
    assert_eq!(found.provider, "fake");
    assert_eq!(references(&found.report.matched), [ada.as_str()]);
    assert_eq!(
        references(&found.report.missing_in_ledger),
        ["stranger-1"],
        "on the statement, not in the books"
    );
    // The payout the three contributions funded is in the books too, not at the gateway.
    let missing: Vec<&str> = references(&found.report.missing_in_statement);
    assert!(missing.contains(&chidi.as_str()), "{missing:?}");
    assert_eq!(found.report.amount_mismatches.len(), 1);
    let mismatch = &found.report.amount_mismatches[0];
    assert_eq!(
        (
            mismatch.reference.as_str(),
            mismatch.ledger,
            mismatch.statement
        ),
        (bola.as_str(), naira(10_000), naira(9_000))
    );
    assert_eq!(
        found.fees_booked.len(),
        4,
        "each line's fee, both of one reference's"
    );
    assert_eq!(found.report.missing_in_ledger[0].amount, naira(1_000));
    assert!(!found.is_clean());
    let fees = gateway_fees("fake", Currency::NGN);
    assert_eq!(host.store.balance(&fees).await.unwrap(), naira(492));
    assert_eq!(
        host.store.balance(&clearing).await.unwrap(),
        before.checked_sub(naira(492)).unwrap(),
        "clearing follows the gateway's balance, net of fees"
    );
    assert_eq!(trial_balance(&host).await, 0);

    let again = host.service.reconcile(from, until).await.unwrap();
    assert!(again.fees_booked.is_empty(), "fees are booked once");
    assert_eq!(
        again.report, found.report,
        "the fee entries are not movements"
    );
    assert_eq!(host.store.balance(&fees).await.unwrap(), naira(492));
    host.service.deliver_outbox(100).await.unwrap();
    let alerts = host.alerts.of_kind(AlertKind::ReconciliationDifference);
    assert_eq!(alerts.len(), 1, "one alert for the period: {alerts:?}");

    host.gateway.set_statement(vec![
        StatementLine::new(ada.as_str(), naira(10_000)).with_fee(naira(300)),
    ]);
    let changed = host.service.reconcile(from, until).await.unwrap();
    assert_eq!(
        changed.fee_differences.len(),
        1,
        "a fee told otherwise is shown, not rebooked"
    );
    assert_eq!(host.store.balance(&fees).await.unwrap(), naira(492));

    let earlier = host
        .service
        .reconcile(from - Duration::days(10), from - Duration::days(9))
        .await
        .unwrap();
    assert!(earlier.report.missing_in_statement.is_empty());
    assert!(earlier.report.matched.is_empty());
    assert!(matches!(
        host.service.reconcile(until, from).await,
        Err(ServiceError::EmptyPeriod { .. })
    ));
    assert_eq!(trial_balance(&host).await, 0);
}

/// With daily reconciliation on, `tick` reconciles the UTC days just over (the last
/// week's on its first run), once however often it runs, the next day's once it is over,
/// and days no tick ran after when ticks resume; a day whose statement is missing what
/// the books have raises its alert.
pub async fn tick_reconciles_each_day_once(store: Arc<dyn Store>) {
    let host = host(
        store,
        ServiceConfig {
            daily_reconciliation: true,
            ..ServiceConfig::default()
        },
    );
    let id = group(&host, "daily").await;
    pay(&host, &id, 1).await;
    host.gateway.set_statement(Vec::new());
    let statements = |host: &Host| {
        host.gateway
            .calls()
            .iter()
            .filter(|c| c.as_str() == "list_transactions")
            .count()
    };
    let first = host.service.tick().await.unwrap();
    let back = usize::try_from(ajo_core::service::RECONCILE_DAYS_BACK).unwrap();
    assert_eq!(
        first.reconciled, back,
        "the last week's days, on the first tick"
    );
    host.service.tick().await.unwrap();
    assert_eq!(statements(&host), back, "once a day");
    host.clock.advance(Duration::days(1));
    host.service.tick().await.unwrap();
    assert_eq!(
        statements(&host),
        back + 1,
        "the day with the payment, once it is over"
    );
    // Three days without a tick: each is reconciled when ticks resume, none skipped.
    host.clock.advance(Duration::days(3));
    let resumed = host.service.tick().await.unwrap();
    assert_eq!(resumed.reconciled, 3);
    host.service.deliver_outbox(100).await.unwrap();
    let alerts = host.alerts.of_kind(AlertKind::ReconciliationDifference);
    assert_eq!(
        alerts.len(),
        1,
        "the payment is not on the statement: {alerts:?}"
    );
}
