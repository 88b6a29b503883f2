//! Collections through [`AjoService`], on the path a host takes: asking again, a changed
//! amount, a join whose checkout failed, an unpaid checkout expiring and paid late, and
//! what a member owes found for them. Every store runs it; the clock reads between two
//! microseconds, as a real one does.

use std::sync::Arc;

use ajo_core::group::deposit::DepositRule;
use ajo_core::group::payout::PayoutPolicy;
use ajo_core::ids::{GroupId, HandId};
use ajo_core::money::{Currency, Money};
use ajo_core::payment::PaymentEvent;
use ajo_core::ports::{
    Clock, DomainEvent, EmailSender, GatewayError, PaymentGateway, SmsSender, Store, StreamId,
    StreamKind,
};
use ajo_core::reference::PaymentReference;
use ajo_core::service::{AjoService, Handled, ServiceConfig, ServiceError};
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::builders::{contact, member, naira_group};
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    asking_again_hands_back_the_checkout_and_a_new_amount_gets_a_new_reference(factory().await)
        .await;
    a_join_whose_checkout_failed_is_resumed_with_request_deposit(factory().await).await;
    an_unpaid_checkout_expires_and_a_late_payment_is_still_booked(factory().await).await;
    what_a_member_owes_is_found_and_broken_down(factory().await).await;
    a_client_secret_is_asked_for_again_and_never_stored(factory().await).await;
    a_deposit_used_to_cover_arrears_is_topped_up(factory().await).await;
}

fn naira(n: i64) -> Money {
    Money::from_minor(i128::from(n) * 100, Currency::NGN).unwrap()
}

/// A clock between two microseconds, at a real time.
fn sub_microsecond_clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(
        Utc.timestamp_opt(1_772_355_600, 987_654_321).unwrap(),
    ))
}

struct Host {
    service: AjoService,
    gateway: Arc<FakeGateway>,
    clock: Arc<FakeClock>,
    store: Arc<dyn Store>,
}

fn host(store: Arc<dyn Store>, config: ServiceConfig) -> Host {
    let gateway = Arc::new(FakeGateway::new());
    let clock = sub_microsecond_clock();
    let service = AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    )
    .with_config(config)
    .unwrap();
    Host {
        service,
        gateway,
        clock,
        store,
    }
}

/// A group without deposits that pays out once all have paid, so nothing but the test
/// moves its money; its first round is due `in_days` from the clock.
async fn started_group(host: &Host, name: &str, in_days: i64, hands: &[(&str, u32)]) -> GroupId {
    let start = (host.clock.now() + Duration::days(in_days)).date_naive();
    let id = GroupId::new(name).unwrap();
    let config = naira_group(name, 10_000, start)
        .deposit(DepositRule::None)
        .payout_policy(PayoutPolicy::WhenAllPaid)
        .build()
        .unwrap();
    host.service.create_group(&id, config).await.unwrap();
    for (name, count) in hands {
        let receipt = host
            .service
            .join(&id, &member(name), *count, &contact(name))
            .await
            .unwrap();
        assert_eq!(receipt.deposit, None, "no deposit is asked");
        assert!(receipt.deposit_required.is_zero());
    }
    host.service.start(&id).await.unwrap();
    id
}

async fn payment_events(store: &Arc<dyn Store>, reference: &str) -> Vec<PaymentEvent> {
    store
        .load(&StreamId::new(StreamKind::Payment, reference))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            DomainEvent::Payment(p) => Some(p),
            _ => None,
        })
        .collect()
}

async fn trial_balance(store: &Arc<dyn Store>) -> i128 {
    store
        .balances()
        .await
        .unwrap()
        .iter()
        .map(|(_, m)| m.minor())
        .sum()
}

/// Asking twice for the same amount hands back the first checkout without sending the
/// reference again (the fake, like Paystack, would answer a reference it has seen with
/// no checkout page); a penalty changes the amount, and the next ask gets a fresh
/// reference for the new amount, which settles the due when paid. The configured
/// callback URL reaches the gateway.
pub async fn asking_again_hands_back_the_checkout_and_a_new_amount_gets_a_new_reference(
    store: Arc<dyn Store>,
) {
    let host = host(
        store,
        ServiceConfig {
            collection_expiry: Duration::days(30),
            callback_url: Some("https://host.example/paid".into()),
            ..ServiceConfig::default()
        },
    );
    let id = started_group(&host, "ask-again", 0, &[("ada", 1), ("bola", 1)]).await;
    let hand = HandId::new(1).unwrap();
    let first = host
        .service
        .request_contribution(&id, 1, hand)
        .await
        .unwrap();
    assert_eq!(
        first.reference,
        PaymentReference::contribution(&id, 1, hand).to_string()
    );
    assert!(first.checkout_url.is_some(), "the gateway's checkout page");
    assert!(!first.reused);
    assert_eq!(first.amount, naira(10_000));
    assert_eq!(first.breakdown.due, naira(10_000));
    assert_eq!(first.breakdown.total().unwrap(), first.amount);
    assert_eq!(
        first.expires_at,
        first.expires_at.min(host.clock.now() + Duration::days(30))
    );

    let again = host
        .service
        .request_contribution(&id, 1, hand)
        .await
        .unwrap();
    assert_eq!(again.reference, first.reference);
    assert_eq!(
        again.checkout_url, first.checkout_url,
        "the same page again"
    );
    assert_eq!(again.expires_at, first.expires_at);
    assert!(again.reused);
    let requests = host.gateway.collection_requests();
    assert_eq!(requests.len(), 1, "the reference was sent once");
    assert_eq!(
        requests[0].callback_url.as_deref(),
        Some("https://host.example/paid")
    );

    // Past the grace day the due is late: tick charges the penalty.
    host.clock.advance(Duration::days(3));
    let report = host.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let changed = host
        .service
        .request_contribution(&id, 1, hand)
        .await
        .unwrap();
    assert_eq!(changed.amount, naira(10_500), "the due and its penalty");
    assert_eq!(changed.breakdown.penalties, naira(500));
    assert_eq!(changed.breakdown.due, naira(10_000));
    assert_ne!(
        changed.reference, first.reference,
        "a new amount is never asked under the old reference"
    );
    assert!(changed.checkout_url.is_some());
    assert!(!changed.reused);
    let requests = host.gateway.collection_requests();
    assert_eq!(requests.len(), 2);
    assert_ne!(requests[0].reference, requests[1].reference);

    let paid = host.gateway.pay(&changed.reference).unwrap();
    assert_eq!(
        host.service.handle_gateway_event(&paid).await.unwrap(),
        Handled::Recorded,
        "the new amount is what was asked: credited, not held for review"
    );
    let group = host.service.group(&id).await.unwrap();
    assert!(group.due(1, hand).unwrap().outstanding().is_zero());
    assert!(group.penalties_owed(&member("ada")).is_zero());
    assert_eq!(trial_balance(&host.store).await, 0);
}

/// The gateway fails after the join is stored: the member is in the group with their
/// deposit owed and its collection recorded (never half-joined), the receipt says why,
/// and `request_deposit` opens a checkout under a fresh reference, hands it back when
/// asked again, and once it is paid says there is nothing left to collect.
pub async fn a_join_whose_checkout_failed_is_resumed_with_request_deposit(store: Arc<dyn Store>) {
    let host = host(store, ServiceConfig::default());
    let start = (host.clock.now() + Duration::days(10)).date_naive();
    let id = GroupId::new("resumed-join").unwrap();
    host.service
        .create_group(&id, naira_group("Resumed", 10_000, start).build().unwrap())
        .await
        .unwrap();
    let ada = member("ada");
    // Her payout account is registered first, so the failure meets the deposit's
    // checkout.
    host.service
        .set_contact(&ada, &contact("ada"))
        .await
        .unwrap();
    host.gateway.fail_next(GatewayError::Unavailable);
    let receipt = host
        .service
        .join(&id, &ada, 1, &contact("ada"))
        .await
        .unwrap();
    assert_eq!(receipt.hands, vec![HandId::new(1).unwrap()]);
    assert_eq!(receipt.deposit_required, naira(10_000));
    assert_eq!(receipt.deposit, None);
    assert_eq!(receipt.deposit_error, Some(GatewayError::Unavailable));
    let group = host.service.group(&id).await.unwrap();
    assert!(group.members().contains_key(&ada), "the join is stored");
    assert_eq!(group.deposit_owed(&ada), naira(10_000));
    let base = PaymentReference::deposit(&id, &ada).to_string();
    assert!(
        matches!(
            payment_events(&host.store, &base).await.as_slice(),
            [PaymentEvent::Requested { .. }]
        ),
        "the deposit's collection was recorded with the join"
    );
    // Joining again is refused, and writes nothing (not even the deposit's collection
    // it would have recorded with it): the host resumes with request_deposit.
    assert!(
        host.service
            .join(&id, &ada, 1, &contact("ada"))
            .await
            .is_err()
    );
    let second = PaymentReference::deposit(&id, &ada).attempt(2).to_string();
    assert!(payment_events(&host.store, &second).await.is_empty());

    let checkout = host.service.request_deposit(&id, &ada).await.unwrap();
    assert_ne!(
        checkout.reference, base,
        "the failed ask's reference is not sent again"
    );
    assert!(checkout.checkout_url.is_some());
    assert_eq!(checkout.amount, naira(10_000));
    assert_eq!(checkout.breakdown.deposit_top_up, naira(10_000));
    assert_eq!(checkout.breakdown.total().unwrap(), checkout.amount);
    let again = host.service.request_deposit(&id, &ada).await.unwrap();
    assert_eq!(again.reference, checkout.reference);
    assert_eq!(again.checkout_url, checkout.checkout_url);
    assert!(again.reused);

    let paid = host.gateway.pay(&checkout.reference).unwrap();
    assert_eq!(
        host.service.handle_gateway_event(&paid).await.unwrap(),
        Handled::Recorded
    );
    assert!(
        host.service
            .group(&id)
            .await
            .unwrap()
            .deposit_owed(&ada)
            .is_zero()
    );
    assert!(matches!(
        host.service.request_deposit(&id, &ada).await,
        Err(ServiceError::NothingToCollect { .. })
    ));

    let bola = host
        .service
        .join(&id, &member("bola"), 1, &contact("bola"))
        .await
        .unwrap();
    assert_eq!(bola.hands, vec![HandId::new(2).unwrap()]);
    let deposit = bola.deposit.expect("the gateway answered this time");
    assert!(deposit.checkout_url.is_some());
    assert_eq!(deposit.breakdown.deposit_top_up, naira(10_000));
    let paid = host.gateway.pay(&deposit.reference).unwrap();
    host.service.handle_gateway_event(&paid).await.unwrap();
    host.service.start(&id).await.unwrap();
    assert_eq!(trial_balance(&host.store).await, 0);
}

/// `tick` re-verifies an open checkout until its expiry, then records that it expired
/// and stops asking; the next ask gets a fresh reference; a payment for the expired one
/// that still arrives is booked, not lost.
pub async fn an_unpaid_checkout_expires_and_a_late_payment_is_still_booked(store: Arc<dyn Store>) {
    let host = host(
        store,
        ServiceConfig {
            collection_expiry: Duration::hours(1),
            reverify_after: Duration::minutes(10),
            ..ServiceConfig::default()
        },
    );
    let id = started_group(&host, "expiring", 10, &[("ada", 1), ("bola", 1)]).await;
    let ada = member("ada");
    let first = host
        .service
        .request_contribution_for(&id, &ada)
        .await
        .unwrap();
    let asked_at: DateTime<Utc> = host.clock.now();
    assert!(first.expires_at > asked_at && first.expires_at <= asked_at + Duration::hours(1));

    host.clock.advance(Duration::minutes(20));
    let report = host.service.tick().await.unwrap();
    assert_eq!(report.reverified, 1, "asked about while open");
    host.clock.advance(Duration::hours(2));
    let report = host.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let events = payment_events(&host.store, &first.reference).await;
    assert!(
        matches!(events.last(), Some(PaymentEvent::Expired { .. })),
        "{events:?}"
    );
    host.clock.advance(Duration::days(1));
    let report = host.service.tick().await.unwrap();
    assert_eq!(
        report.reverified, 0,
        "an expired checkout is not asked about again"
    );

    let second = host
        .service
        .request_contribution_for(&id, &ada)
        .await
        .unwrap();
    assert_ne!(second.reference, first.reference);
    assert!(!second.reused);
    assert!(second.checkout_url.is_some());

    // The payer still pays the page they had open.
    let late = host.gateway.pay(&first.reference).unwrap();
    assert_eq!(
        host.service.handle_gateway_event(&late).await.unwrap(),
        Handled::Recorded
    );
    let group = host.service.group(&id).await.unwrap();
    assert!(
        group
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .outstanding()
            .is_zero(),
        "the late payment settled the due"
    );
    // The newer checkout is paid too: the money is booked (ahead, or held for review),
    // never dropped.
    let twice = host.gateway.pay(&second.reference).unwrap();
    let handled = host.service.handle_gateway_event(&twice).await.unwrap();
    assert!(
        matches!(handled, Handled::Recorded | Handled::Flagged { .. }),
        "{handled:?}"
    );
    let booked = payment_events(&host.store, &second.reference).await;
    assert!(
        matches!(
            booked.last(),
            Some(PaymentEvent::Settled { .. } | PaymentEvent::Flagged { .. })
        ),
        "{booked:?}"
    );
    assert_eq!(trial_balance(&host.store).await, 0);
}

/// A member with two hands asks what they owe: the current round's dues of both hands,
/// filed under their first hand; once paid there is nothing
/// to collect.
pub async fn what_a_member_owes_is_found_and_broken_down(store: Arc<dyn Store>) {
    let host = host(store, ServiceConfig::default());
    let start = (host.clock.now() + Duration::days(10)).date_naive();
    let id = GroupId::new("owed").unwrap();
    let config = naira_group("Owed", 10_000, start)
        .deposit(DepositRule::None)
        .payout_policy(PayoutPolicy::WhenAllPaid)
        .build()
        .unwrap();
    host.service.create_group(&id, config).await.unwrap();
    let ada = member("ada");
    let joined = host
        .service
        .join(&id, &ada, 2, &contact("ada"))
        .await
        .unwrap();
    assert_eq!(
        joined.hands,
        vec![HandId::new(1).unwrap(), HandId::new(2).unwrap()]
    );
    let bola = host
        .service
        .join(&id, &member("bola"), 1, &contact("bola"))
        .await
        .unwrap();
    assert_eq!(bola.hands, vec![HandId::new(3).unwrap()]);
    assert!(matches!(
        host.service.request_contribution_for(&id, &ada).await,
        Err(ServiceError::NothingToCollect { .. })
    ));
    host.service.start(&id).await.unwrap();

    let owed = host
        .service
        .request_contribution_for(&id, &ada)
        .await
        .unwrap();
    assert_eq!(
        owed.reference,
        PaymentReference::contribution(&id, 1, HandId::new(1).unwrap()).to_string()
    );
    assert_eq!(owed.amount, naira(20_000), "both hands' dues");
    assert_eq!(owed.breakdown.due, naira(20_000));
    assert!(owed.breakdown.arrears.is_zero());
    assert!(owed.breakdown.penalties.is_zero());
    assert!(owed.breakdown.deposit_top_up.is_zero());
    // The same ask by round and hand is the same collection.
    let by_hand = host
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    assert_eq!(by_hand.amount, owed.amount);
    assert_eq!(by_hand.breakdown, owed.breakdown);

    let paid = host.gateway.pay(&owed.reference).unwrap();
    assert_eq!(
        host.service.handle_gateway_event(&paid).await.unwrap(),
        Handled::Recorded
    );
    assert!(matches!(
        host.service.request_contribution_for(&id, &ada).await,
        Err(ServiceError::NothingToCollect { .. })
    ));
    assert_eq!(trial_balance(&host.store).await, 0);
}

/// A gateway that answers with a client secret (Stripe): the host gets it every time it
/// asks, under one reference, and the store never holds it.
pub async fn a_client_secret_is_asked_for_again_and_never_stored(store: Arc<dyn Store>) {
    let host = host(store, ServiceConfig::default());
    host.gateway.issue_client_secrets();
    let id = started_group(&host, "secrets", 10, &[("ada", 1), ("bola", 1)]).await;
    let hand = HandId::new(1).unwrap();
    let first = host
        .service
        .request_contribution(&id, 1, hand)
        .await
        .unwrap();
    let secret = format!("secret_{}", first.reference);
    assert_eq!(first.client_secret.as_deref(), Some(secret.as_str()));
    assert!(!format!("{first:?}").contains(&secret), "Debug hides it");
    let again = host
        .service
        .request_contribution(&id, 1, hand)
        .await
        .unwrap();
    assert_eq!(again.reference, first.reference);
    assert_eq!(again.client_secret, first.client_secret);
    assert!(again.reused);
    let stored = format!("{:?}", payment_events(&host.store, &first.reference).await);
    assert!(
        stored.contains("CheckoutOpened") && !stored.contains(&secret),
        "{stored}"
    );
}

/// A member misses round 1: past the grace day their deposit covers the due and a
/// penalty is charged. `request_deposit` asks for the top-up with the penalty a payment
/// settles first; paid, the deposit is held in full again and nothing is owed.
pub async fn a_deposit_used_to_cover_arrears_is_topped_up(store: Arc<dyn Store>) {
    let host = host(store, ServiceConfig::default());
    let start = (host.clock.now() + Duration::days(1)).date_naive();
    let id = GroupId::new("top-up").unwrap();
    host.service
        .create_group(&id, naira_group("Top up", 10_000, start).build().unwrap())
        .await
        .unwrap();
    crate::drive::join_and_start(&host.service, &host.gateway, &id, &["ada", "bola"]).await;
    let ada = member("ada");
    assert!(matches!(
        host.service.request_deposit(&id, &ada).await,
        Err(ServiceError::NothingToCollect { .. })
    ));
    let bola_pays = host
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    let paid = host.gateway.pay(&bola_pays.reference).unwrap();
    host.service.handle_gateway_event(&paid).await.unwrap();
    host.clock.advance(Duration::days(4));
    let report = host.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let group = host.service.group(&id).await.unwrap();
    let owed = group.deposit_owed(&ada);
    assert!(owed.is_positive(), "the deposit covered the missed due");

    let top_up = host.service.request_deposit(&id, &ada).await.unwrap();
    assert_eq!(top_up.breakdown.deposit_top_up, owed);
    assert_eq!(top_up.breakdown.penalties, group.penalties_owed(&ada));
    assert_eq!(top_up.amount, top_up.breakdown.total().unwrap());
    assert_ne!(
        top_up.reference,
        PaymentReference::deposit(&id, &ada).to_string(),
        "the settled deposit's reference is never asked again"
    );
    let paid = host.gateway.pay(&top_up.reference).unwrap();
    assert_eq!(
        host.service.handle_gateway_event(&paid).await.unwrap(),
        Handled::Recorded
    );
    let group = host.service.group(&id).await.unwrap();
    assert!(group.deposit_owed(&ada).is_zero());
    assert!(group.penalties_owed(&ada).is_zero());
    assert_eq!(trial_balance(&host.store).await, 0);
}
