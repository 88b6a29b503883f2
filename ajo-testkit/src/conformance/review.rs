//! Money in doubt through [`AjoService`], on the path a host takes: the review queue and
//! its resolutions, disputes, and the alerts each raises once. Every store runs it; the
//! clock reads between two microseconds, as a real one does.

use std::sync::Arc;

use ajo_core::group::deposit::DepositRule;
use ajo_core::group::payout::PayoutPolicy;
use ajo_core::ids::{GroupId, HandId, IdempotencyKey};
use ajo_core::ledger::{Account, AccountKind, Side};
use ajo_core::money::{Currency, Money};
use ajo_core::payment::{GatewayReturn, HeldResolution, PaymentEvent};
use ajo_core::ports::{
    AlertKind, Alerts, Clock, DomainEvent, EmailSender, EntryQuery, GatewayError, PaymentGateway,
    SmsSender, Store, StreamId, StreamKind,
};
use ajo_core::service::{
    AjoService, Handled, HeldReason, REVIEW_OWNER, Resolved, ReviewError, ServiceConfig,
    ServiceError, chargebacks_of, disputes_for,
};
use ajo_core::webhook::{GatewayEvent, PaymentEventKind, Provider};
use chrono::{Duration, TimeZone, Utc};

use crate::builders::{contact, member, naira_group};
use crate::fakes::{FakeAlerts, FakeClock, FakeEmail, FakeGateway, FakeSms, PayoutMode};

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_short_payment_is_held_listed_and_credited(factory().await).await;
    held_money_is_refunded_once_the_gateway_confirms(factory().await).await;
    a_refund_the_gateway_made_is_charged_to_the_member(factory().await).await;
    money_nobody_owns_is_written_off_with_its_reason(factory().await).await;
    a_dispute_flags_the_payer_and_alerts_once(factory().await).await;
    disputes_first_heard_of_when_decided_still_alert(factory().await).await;
    a_failing_payout_and_an_expired_collection_alert_once(factory().await).await;
    a_payout_the_gateway_refuses_alerts_once(factory().await).await;
    a_short_loan_repayment_is_credited_to_the_loan(factory().await).await;
    a_fixed_flow_of_money_in_doubt_keeps_the_books(factory().await).await;
}

pub(super) fn naira(n: i64) -> Money {
    Money::from_minor(i128::from(n) * 100, Currency::NGN).unwrap()
}

pub(super) struct Host {
    pub(super) service: AjoService,
    pub(super) gateway: Arc<FakeGateway>,
    pub(super) alerts: Arc<FakeAlerts>,
    pub(super) clock: Arc<FakeClock>,
    pub(super) store: Arc<dyn Store>,
}

pub(super) fn host(store: Arc<dyn Store>) -> Host {
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
    .with_config(ServiceConfig::default())
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

/// A started group of ada and bola without deposits, paying out once all have paid;
/// answers ada's checkout for round 1.
pub(super) async fn asked(host: &Host, name: &str) -> (GroupId, String) {
    let start = host.clock.now().date_naive();
    let id = GroupId::new(name).unwrap();
    let config = naira_group(name, 10_000, start)
        .deposit(DepositRule::None)
        .payout_policy(PayoutPolicy::WhenAllPaid)
        .build()
        .unwrap();
    host.service.create_group(&id, config).await.unwrap();
    for who in ["ada", "bola"] {
        host.service
            .join(&id, &member(who), 1, &contact(who))
            .await
            .unwrap();
    }
    host.service.start(&id).await.unwrap();
    let checkout = host
        .service
        .request_contribution(&id, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    (id, checkout.reference)
}

/// The payer of `reference` pays what was asked, reported by the gateway's webhook.
pub(super) async fn pay(host: &Host, reference: &str) {
    let paid = host.gateway.pay(reference).unwrap();
    host.service.handle_gateway_event(&paid).await.unwrap();
}

fn review() -> Account {
    Account::new(REVIEW_OWNER, AccountKind::Suspense, Currency::NGN)
}

/// Review's balance as a queue counts it: credit-positive.
async fn on_review(host: &Host) -> Money {
    host.store.balance(&review()).await.unwrap().negated()
}

/// The queue's total equals the review account's balance, and the books balance.
async fn queue_matches_the_books(host: &Host) {
    let mut total = 0i128;
    for item in host.service.held().await.unwrap() {
        total += item.amount.minor();
    }
    assert_eq!(
        total,
        on_review(host).await.minor(),
        "the review queue must add up to the review account"
    );
    let sum: i128 = host
        .store
        .balances()
        .await
        .unwrap()
        .iter()
        .map(|(_, m)| m.minor())
        .sum();
    assert_eq!(sum, 0, "the trial balance must be zero");
}

/// What moved through the gateway's clearing account under a reference (in +, out -).
async fn cleared(host: &Host, reference: &str) -> Money {
    let mut net = 0i128;
    let query = EntryQuery::default().reference(reference);
    for entry in host.store.entries(&query).await.unwrap() {
        for posting in entry.entry().postings() {
            if posting.account.kind() == AccountKind::GatewayClearing {
                net += match posting.side {
                    Side::Debit => posting.amount.minor(),
                    Side::Credit => -posting.amount.minor(),
                };
            }
        }
    }
    Money::from_minor(net, Currency::NGN).unwrap()
}

async fn payment_events(host: &Host, reference: &str) -> Vec<PaymentEvent> {
    host.store
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

fn refused(result: Result<Resolved, ServiceError>) -> ReviewError {
    match result {
        Err(ServiceError::Review(e)) => e,
        other => panic!("expected a review refusal, got {other:?}"),
    }
}

/// ₦4,000 paid against a ₦10,000 checkout is held, listed with why, when, who and the
/// provider, raises one alert however often it is reported, and is credited to the
/// payer's due by a person with a reason: out of review into the pot, the due ₦6,000
/// short, clearing still showing the ₦4,000 that came (as the gateway's statement does).
/// A resolution that does not fit, or without a reason, is refused and writes nothing.
pub async fn a_short_payment_is_held_listed_and_credited(store: Arc<dyn Store>) {
    let host = host(store);
    let (id, reference) = asked(&host, "rev-credit").await;
    let short = host.gateway.pay_amount(&reference, naira(4_000)).unwrap();
    assert_eq!(
        host.service.handle_gateway_event(&short).await.unwrap(),
        Handled::Flagged {
            expected: naira(10_000),
            received: naira(4_000),
        }
    );
    assert_eq!(
        host.service.handle_gateway_event(&short).await.unwrap(),
        Handled::Duplicate
    );
    let queue = host.service.held().await.unwrap();
    assert_eq!(queue.len(), 1, "one item: {queue:?}");
    let item = &queue[0];
    assert_eq!(item.reference, reference);
    assert_eq!(item.amount, naira(4_000));
    assert_eq!(
        item.why,
        HeldReason::AmountMismatch {
            expected: naira(10_000),
            received: naira(4_000),
        }
    );
    assert_eq!(item.held_at, host.clock.now() - Duration::nanoseconds(321));
    assert_eq!(item.provider, "fake");
    assert_eq!(item.member, Some(member("ada")));
    assert!(!item.refund_pending);
    queue_matches_the_books(&host).await;

    host.service.deliver_outbox(100).await.unwrap();
    host.service.deliver_outbox(100).await.unwrap();
    let held = host.alerts.of_kind(AlertKind::MoneyHeld);
    assert_eq!(held.len(), 1, "one alert for one hold: {held:?}");
    assert_eq!(host.alerts.deliveries(), 1, "handed over once");
    assert_eq!(held[0].amount, Some(naira(4_000)));

    let entries_before = host
        .store
        .entries(&EntryQuery::default())
        .await
        .unwrap()
        .len();
    let credit = HeldResolution::Credited {
        group: id.clone(),
        member: member("ada"),
    };
    assert_eq!(
        refused(
            host.service
                .resolve_held(&reference, credit.clone(), "ops-1", " ")
                .await
        ),
        ReviewError::Unexplained
    );
    assert!(matches!(
        refused(
            host.service
                .resolve_held(
                    &reference,
                    HeldResolution::ChargedTo {
                        member: member("ada")
                    },
                    "ops-1",
                    "wrong way"
                )
                .await
        ),
        ReviewError::WrongDirection { .. }
    ));
    assert_eq!(
        host.store
            .entries(&EntryQuery::default())
            .await
            .unwrap()
            .len(),
        entries_before,
        "a refused resolution writes nothing"
    );

    let answer = host
        .service
        .resolve_held(
            &reference,
            credit.clone(),
            "ops-1",
            "ada confirmed it was hers",
        )
        .await
        .unwrap();
    assert_eq!(
        answer,
        Resolved::Booked {
            amount: naira(4_000)
        }
    );
    assert!(host.service.held().await.unwrap().is_empty());
    assert!(on_review(&host).await.is_zero());
    let view = host.service.member_view(&id, &member("ada")).await.unwrap();
    assert_eq!(view.to_settle, naira(6_000), "the ₦4,000 went to her due");
    assert_eq!(cleared(&host, &reference).await, naira(4_000));
    let resolved = payment_events(&host, &reference).await;
    assert!(
        resolved.iter().any(|e| matches!(
            e,
            PaymentEvent::Resolved { by, reason, .. } if by == "ops-1" && reason == "ada confirmed it was hers"
        )),
        "the resolution is recorded with who and why"
    );
    assert!(matches!(
        refused(
            host.service
                .resolve_held(&reference, credit, "ops-1", "again")
                .await
        ),
        ReviewError::NothingHeld { .. }
    ));
    queue_matches_the_books(&host).await;
}

/// ₦12,000 paid against a ₦10,000 checkout is refunded through the gateway. Asked and
/// confirmed at once (the gateway names the refund), it is booked review → clearing, so
/// clearing nets to zero for the reference, and the gateway's own report of it later
/// changes nothing. Asked and timed out, it stays pending: nothing else may resolve it,
/// a second ask (a retry, another operator) is refused rather than sent, and the
/// gateway's report books it. A refund the gateway reports failed, or a person finds
/// never made, holds the money again. Under a host's key a repeated ask answers once.
pub async fn held_money_is_refunded_once_the_gateway_confirms(store: Arc<dyn Store>) {
    let host = host(store);
    let (id, reference) = asked(&host, "rev-refund").await;
    let over = host.gateway.pay_amount(&reference, naira(12_000)).unwrap();
    host.service.handle_gateway_event(&over).await.unwrap();
    assert_eq!(on_review(&host).await, naira(12_000));
    let key = IdempotencyKey::new("refund-1").unwrap();
    let answer = host
        .service
        .idempotent(&key)
        .resolve_held(&reference, HeldResolution::Refunded, "ops-2", "overpaid")
        .await
        .unwrap();
    assert_eq!(
        answer,
        Resolved::Booked {
            amount: naira(12_000)
        }
    );
    let again = host
        .service
        .idempotent(&key)
        .resolve_held(&reference, HeldResolution::Refunded, "ops-2", "overpaid")
        .await
        .unwrap();
    assert_eq!(
        again, answer,
        "a retry under the key answers the first answer"
    );
    assert!(host.service.held().await.unwrap().is_empty());
    assert!(cleared(&host, &reference).await.is_zero());
    let refund_id = payment_events(&host, &reference)
        .await
        .into_iter()
        .find_map(|e| match e {
            PaymentEvent::Returned { object, .. } => object,
            _ => None,
        })
        .expect("the refund is recorded with the gateway's id");
    let report = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::RefundProcessed,
        reference.as_str(),
        naira(12_000),
    )
    .with_provider_reference(refund_id.as_str());
    host.service.handle_gateway_event(&report).await.unwrap();
    assert!(
        on_review(&host).await.is_zero(),
        "the refund's report counts it once"
    );

    // A second overpayment, whose refund times out.
    let bola = host
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap()
        .reference;
    let over = host.gateway.pay_amount(&bola, naira(15_000)).unwrap();
    host.service.handle_gateway_event(&over).await.unwrap();
    host.gateway.fail_next(GatewayError::Timeout);
    let first = host
        .service
        .resolve_held(&bola, HeldResolution::Refunded, "ops-2", "overpaid")
        .await;
    assert!(
        matches!(first, Err(ServiceError::Gateway(GatewayError::Timeout))),
        "{first:?}"
    );
    assert!(host.service.held().await.unwrap()[0].refund_pending);
    let calls = |host: &Host| {
        host.gateway
            .calls()
            .iter()
            .filter(|c| c.starts_with("refund:"))
            .count()
    };
    let asked = calls(&host);
    for resolution in [HeldResolution::Refunded, HeldResolution::WrittenOff] {
        assert_eq!(
            refused(
                host.service
                    .resolve_held(&bola, resolution, "ops-3", "again")
                    .await
            ),
            ReviewError::RefundPending {
                reference: bola.clone()
            }
        );
    }
    assert_eq!(calls(&host), asked, "a second ask is not sent");
    // The gateway reports the refund failed: the money is held again.
    let failed = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::RefundFailed,
        bola.as_str(),
        naira(15_000),
    )
    .with_provider_reference("re_lost");
    host.service.handle_gateway_event(&failed).await.unwrap();
    assert!(!host.service.held().await.unwrap()[0].refund_pending);
    // Asked again, timed out again, and a person finds it never made.
    host.gateway.fail_next(GatewayError::Timeout);
    let _ = host
        .service
        .resolve_held(&bola, HeldResolution::Refunded, "ops-2", "overpaid")
        .await;
    assert_eq!(
        host.service
            .resolve_held(
                &bola,
                HeldResolution::RefundNotMade,
                "ops-4",
                "the gateway's dashboard has no refund for it"
            )
            .await
            .unwrap(),
        Resolved::HeldAgain
    );
    assert_eq!(
        refused(
            host.service
                .resolve_held(&bola, HeldResolution::RefundNotMade, "ops-4", "twice")
                .await
        ),
        ReviewError::NoRefundAsked {
            reference: bola.clone()
        }
    );
    assert_eq!(on_review(&host).await, naira(15_000), "held all along");
    host.service
        .resolve_held(&bola, HeldResolution::Refunded, "ops-2", "overpaid")
        .await
        .unwrap();
    assert!(host.service.held().await.unwrap().is_empty());
    assert!(cleared(&host, &bola).await.is_zero());
    host.service.deliver_outbox(100).await.unwrap();
    assert_eq!(
        host.alerts.of_kind(AlertKind::MoneyHeld).len(),
        2,
        "the two overpayments' holds, and no alert for the refunds a person asked for"
    );
    queue_matches_the_books(&host).await;
}

/// A refund the gateway made without ajo asking leaves money out that review must
/// recover: listed (negative) with why, refused as a credit, charged to the payer.
pub async fn a_refund_the_gateway_made_is_charged_to_the_member(store: Arc<dyn Store>) {
    let host = host(store);
    let (id, reference) = asked(&host, "rev-charge").await;
    pay(&host, &reference).await;
    let refund = GatewayEvent::new(
        Provider::Stripe,
        PaymentEventKind::RefundProcessed,
        reference.as_str(),
        naira(3_000),
    )
    .with_provider_reference("re_1");
    host.service.handle_gateway_event(&refund).await.unwrap();
    host.service.handle_gateway_event(&refund).await.unwrap();
    host.service.deliver_outbox(100).await.unwrap();
    let held = host.alerts.of_kind(AlertKind::MoneyHeld);
    assert_eq!(
        held.len(),
        1,
        "the refund's money on review, told once: {held:?}"
    );
    assert_eq!(held[0].amount, Some(naira(-3_000)));
    let queue = host.service.held().await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].amount, naira(-3_000));
    assert_eq!(
        queue[0].why,
        HeldReason::ReturnedByGateway {
            what: GatewayReturn::Refund
        }
    );
    queue_matches_the_books(&host).await;
    assert!(matches!(
        refused(
            host.service
                .resolve_held(
                    &reference,
                    HeldResolution::Credited {
                        group: id,
                        member: member("ada")
                    },
                    "ops-3",
                    "no"
                )
                .await
        ),
        ReviewError::WrongDirection { .. }
    ));
    host.service
        .resolve_held(
            &reference,
            HeldResolution::ChargedTo {
                member: member("ada"),
            },
            "ops-3",
            "ada asked her bank for it back",
        )
        .await
        .unwrap();
    assert_eq!(
        host.store
            .balance(&chargebacks_of(&member("ada"), Currency::NGN))
            .await
            .unwrap(),
        naira(3_000),
        "ada owes it"
    );
    assert!(host.service.held().await.unwrap().is_empty());
    queue_matches_the_books(&host).await;
}

/// Money under a reference ajo never issued is held as nothing expected, and written off
/// with its reason onto the write-off account.
pub async fn money_nobody_owns_is_written_off_with_its_reason(store: Arc<dyn Store>) {
    let host = host(store);
    asked(&host, "rev-stray").await;
    let stray = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::ChargeSucceeded,
        "stray-ref-1",
        naira(700),
    );
    assert!(matches!(
        host.service.handle_gateway_event(&stray).await.unwrap(),
        Handled::Flagged { .. }
    ));
    let queue = host.service.held().await.unwrap();
    assert_eq!(
        queue[0].why,
        HeldReason::NothingExpected {
            received: naira(700)
        }
    );
    assert_eq!(queue[0].member, None);
    host.service
        .resolve_held(
            "stray-ref-1",
            HeldResolution::WrittenOff,
            "ops-4",
            "no payer found after 90 days",
        )
        .await
        .unwrap();
    let written = Account::new(REVIEW_OWNER, AccountKind::WrittenOff, Currency::NGN);
    assert_eq!(
        host.store.balance(&written).await.unwrap(),
        naira(-700),
        "kept: a credit on the write-off account"
    );
    assert!(host.service.held().await.unwrap().is_empty());
    queue_matches_the_books(&host).await;
}

/// A dispute raises one alert however many reports tell of it, flags the payer, and
/// moves the amount onto the disputed account.
pub async fn a_dispute_flags_the_payer_and_alerts_once(store: Arc<dyn Store>) {
    let host = host(store);
    let (id, reference) = asked(&host, "rev-dispute").await;
    pay(&host, &reference).await;
    for kind in [
        PaymentEventKind::DisputeOpened,
        PaymentEventKind::DisputeFundsWithdrawn,
    ] {
        let report = GatewayEvent::new(Provider::Stripe, kind, reference.as_str(), naira(10_000))
            .with_provider_reference("dp_1");
        host.service.handle_gateway_event(&report).await.unwrap();
        host.service.handle_gateway_event(&report).await.unwrap();
    }
    host.service.deliver_outbox(100).await.unwrap();
    assert_eq!(host.alerts.of_kind(AlertKind::DisputeOpened).len(), 1);
    assert_eq!(
        host.store
            .balance(&disputes_for(Currency::NGN))
            .await
            .unwrap(),
        naira(10_000)
    );
    let view = host.service.member_view(&id, &member("ada")).await.unwrap();
    assert_eq!(view.open_disputes, std::slice::from_ref(&reference));
    assert!(
        host.service.held().await.unwrap().is_empty(),
        "not review's"
    );
    queue_matches_the_books(&host).await;
}

/// A dispute first heard of when it is lost still raises its alert, is charged to the
/// payer for the part lost, and leaves no flag open; two disputes of one collection are
/// flagged apart; one lost for money no member was asked for lands on review with a
/// MoneyHeld alert.
pub async fn disputes_first_heard_of_when_decided_still_alert(store: Arc<dyn Store>) {
    let host = host(store);
    let (id, reference) = asked(&host, "rev-late-dispute").await;
    pay(&host, &reference).await;
    let report = |kind, object: &str, amount: i64| {
        GatewayEvent::new(Provider::Paystack, kind, reference.as_str(), naira(amount))
            .with_provider_reference(object)
    };
    host.service
        .handle_gateway_event(&report(PaymentEventKind::DisputeLost, "dsp_1", 4_000))
        .await
        .unwrap();
    host.service
        .handle_gateway_event(&report(PaymentEventKind::DisputeOpened, "dsp_2", 2_000))
        .await
        .unwrap();
    let view = host.service.member_view(&id, &member("ada")).await.unwrap();
    assert_eq!(view.chargebacks_owed, Some(naira(4_000)), "the part lost");
    assert_eq!(
        view.open_disputes,
        std::slice::from_ref(&reference),
        "the second dispute is open, the first closed"
    );
    host.service
        .handle_gateway_event(&report(PaymentEventKind::DisputeWon, "dsp_2", 2_000))
        .await
        .unwrap();
    let view = host.service.member_view(&id, &member("ada")).await.unwrap();
    assert!(
        view.open_disputes.is_empty(),
        "each closed by its own outcome"
    );

    let stray = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::DisputeLost,
        "stray-disputed",
        naira(900),
    )
    .with_provider_reference("dsp_9");
    host.service.handle_gateway_event(&stray).await.unwrap();
    host.service.deliver_outbox(100).await.unwrap();
    assert_eq!(
        host.alerts.of_kind(AlertKind::DisputeOpened).len(),
        3,
        "one alert per dispute, however it was first heard of"
    );
    let held = host.alerts.of_kind(AlertKind::MoneyHeld);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].subject, "stray-disputed");
    let queue = host.service.held().await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].amount, naira(-900));
    queue_matches_the_books(&host).await;
}

/// A payout refused by the gateway time after time raises one alert when it has failed
/// `payout_alert_after` times, not one per failure; an unpaid collection's expiry
/// raises one too.
pub async fn a_failing_payout_and_an_expired_collection_alert_once(store: Arc<dyn Store>) {
    let host = host(store);
    let (id, reference) = asked(&host, "rev-payout").await;
    host.gateway.set_payout_mode(PayoutMode::Fail);
    pay(&host, &reference).await;
    // Bola pays too: the round is funded and its payout made on the next tick.
    let bola = host
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    pay(&host, &bola.reference).await;
    for _ in 0..5 {
        host.service.tick().await.unwrap();
        host.clock.advance(Duration::minutes(31));
    }
    let failed_sends = host
        .gateway
        .calls()
        .iter()
        .filter(|c| c.starts_with("send_payout:"))
        .count();
    assert!(
        failed_sends >= 4,
        "the payout was tried again and again: {failed_sends}"
    );
    host.service.deliver_outbox(100).await.unwrap();
    let failing = host.alerts.of_kind(AlertKind::PayoutFailing);
    assert_eq!(failing.len(), 1, "one alert for the payout: {failing:?}");

    let later = host
        .service
        .request_contribution(&id, 2, HandId::new(1).unwrap());
    // Round 2 may not be open yet; any open checkout of ada's will do.
    let expiring = match later.await {
        Ok(checkout) => checkout.reference,
        Err(_) => {
            let fresh = asked(&host, "rev-expiry").await;
            fresh.1
        }
    };
    host.clock.advance(Duration::days(2));
    host.service.tick().await.unwrap();
    host.service.deliver_outbox(100).await.unwrap();
    host.service.tick().await.unwrap();
    host.service.deliver_outbox(100).await.unwrap();
    let expired = host.alerts.of_kind(AlertKind::CollectionExpired);
    assert!(
        expired.iter().filter(|a| a.subject == expiring).count() == 1,
        "one alert for the expired collection: {expired:?}"
    );
}

/// A payout the gateway refuses outright (a closed account, say) raises one alert for
/// its attempt however often `tick` tries it again; a retryable failure raises none.
pub async fn a_payout_the_gateway_refuses_alerts_once(store: Arc<dyn Store>) {
    let host = host(store);
    let (id, reference) = asked(&host, "rev-refused").await;
    pay(&host, &reference).await;
    // Bola pays too: the round is funded and its payout made on the next tick.
    let bola = host
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    pay(&host, &bola.reference).await;
    // The first tick makes the payout; its send is the next gateway call.
    host.gateway.fail_next(GatewayError::Unavailable);
    host.service.tick().await.unwrap();
    host.service.deliver_outbox(100).await.unwrap();
    assert!(
        host.alerts.of_kind(AlertKind::PayoutFailing).is_empty(),
        "a retryable failure is not a person's"
    );
    for _ in 0..2 {
        host.clock.advance(Duration::minutes(31));
        host.gateway.fail_next(GatewayError::InvalidRequest {
            message: "account closed".into(),
        });
        host.service.tick().await.unwrap();
    }
    host.service.deliver_outbox(100).await.unwrap();
    let refused = host.alerts.of_kind(AlertKind::PayoutFailing);
    assert_eq!(
        refused.len(),
        1,
        "one alert for the refused attempt: {refused:?}"
    );
    assert!(refused[0].message.contains("account closed"), "{refused:?}");
}

/// A loan repayment of another amount than asked is held, and credited to the loan by
/// a person: the loan applies it as any repayment, taking the money from review.
pub async fn a_short_loan_repayment_is_credited_to_the_loan(store: Arc<dyn Store>) {
    let host = host(store);
    let (id, _) = asked(&host, "rev-loan").await;
    let loan = ajo_core::ids::LoanId::new("rev-loan-ada").unwrap();
    let terms = crate::builders::naira_loan(30_000, "0.24", 3, host.clock.now().date_naive())
        .build()
        .unwrap();
    host.service
        .apply_for_loan(ajo_core::service::LoanRequest {
            id: loan.clone(),
            group: id.clone(),
            member: member("ada"),
            terms,
            policy: ajo_core::loan::LoanPolicy::default(),
        })
        .await
        .unwrap();
    host.service.approve_loan(&loan, "organiser").await.unwrap();
    host.service.disburse_loan(&loan).await.unwrap();
    host.service.tick().await.unwrap();
    let checkout = host
        .service
        .request_loan_repayment(&loan, Some(naira(5_000)))
        .await
        .unwrap();
    let short = host
        .gateway
        .pay_amount(&checkout.reference, naira(1_000))
        .unwrap();
    assert!(matches!(
        host.service.handle_gateway_event(&short).await.unwrap(),
        Handled::Flagged { .. }
    ));
    let queue = host.service.held().await.unwrap();
    assert_eq!(queue.len(), 1);
    assert!(matches!(
        queue[0].purpose,
        Some(ajo_core::payment::PaymentPurpose::LoanRepayment { .. })
    ));
    let answer = host
        .service
        .resolve_held(
            &checkout.reference,
            HeldResolution::CreditedToLoan { loan: loan.clone() },
            "ops-5",
            "Ada paid what she could",
        )
        .await
        .unwrap();
    assert_eq!(
        answer,
        Resolved::Booked {
            amount: naira(1_000)
        }
    );
    let applied: Vec<Money> = host
        .store
        .load(&StreamId::new(StreamKind::Loan, loan.as_str()))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.event {
            DomainEvent::Loan(ajo_core::loan::LoanEvent::PaymentApplied { amount, .. }) => {
                Some(amount)
            }
            _ => None,
        })
        .collect();
    assert_eq!(applied, [naira(1_000)], "the loan took the ₦1,000");
    assert!(host.service.held().await.unwrap().is_empty());
    assert_eq!(
        cleared(&host, &checkout.reference).await,
        naira(1_000),
        "clearing counted it once, when it came"
    );
    queue_matches_the_books(&host).await;
}

/// One step of a random flow of money in doubt, for
/// [`money_in_doubt_keeps_the_books`]. Indexes pick among the collections asked and
/// the items held, modulo their number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoubtStep {
    /// The payer of collection `at` pays `naira` (the amount asked when zero).
    Pay {
        /// Which collection.
        at: usize,
        /// How much, in whole naira; zero pays what was asked.
        naira: i64,
    },
    /// Money arrives under a reference ajo never issued.
    Stray {
        /// How much, in whole naira (at least one).
        naira: i64,
    },
    /// The gateway refunds part of collection `at` on its own, as refund `id`.
    GatewayRefund {
        /// Which collection.
        at: usize,
        /// The refund's id.
        id: u8,
        /// How much.
        naira: i64,
    },
    /// A dispute of collection `at` reports `what` (opened, withdrawn, won, lost).
    Dispute {
        /// Which collection.
        at: usize,
        /// The dispute's id.
        id: u8,
        /// What the gateway reports.
        what: GatewayReturn,
        /// The amount disputed.
        naira: i64,
    },
    /// A person resolves held item `at` as `how` says (0 credit, 1 refund, 2 charge,
    /// 3 write off); a resolution that does not fit is refused and changes nothing.
    Resolve {
        /// Which item.
        at: usize,
        /// How.
        how: u8,
    },
    /// The last webhook arrives again.
    Again,
}

/// Runs a flow of money in doubt through the service and checks after every step that
/// the trial balance is zero, that the review queue adds up to the review account, that
/// a refused resolution wrote nothing, and that the disputed account holds exactly the
/// running disputes. Returns how many steps were refused.
pub async fn money_in_doubt_keeps_the_books(store: Arc<dyn Store>, steps: &[DoubtStep]) -> usize {
    let host = host(store);
    let (id, first) = asked(&host, "doubt").await;
    let second = host
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap()
        .reference;
    let collections = [first, second];
    let mut last: Option<GatewayEvent> = None;
    let mut refused_steps = 0;
    for (n, step) in steps.iter().enumerate() {
        let pick = |at: &usize| collections[at % collections.len()].clone();
        let event = match step {
            DoubtStep::Pay { at, naira: amount } => {
                let reference = pick(at);
                if *amount == 0 {
                    host.gateway.pay(&reference)
                } else {
                    host.gateway.pay_amount(&reference, naira(*amount))
                }
            }
            DoubtStep::Stray { naira: amount } => Some(GatewayEvent::new(
                Provider::Paystack,
                PaymentEventKind::ChargeSucceeded,
                format!("stray-{n}").as_str(),
                naira((*amount).max(1)),
            )),
            DoubtStep::GatewayRefund {
                at,
                id,
                naira: amount,
            } => Some(
                GatewayEvent::new(
                    Provider::Stripe,
                    PaymentEventKind::RefundProcessed,
                    pick(at).as_str(),
                    naira((*amount).max(1)),
                )
                .with_provider_reference(format!("re_{id}")),
            ),
            DoubtStep::Dispute {
                at,
                id,
                what,
                naira: amount,
            } => {
                let kind = match what {
                    GatewayReturn::DisputeFundsWithdrawn => PaymentEventKind::DisputeFundsWithdrawn,
                    GatewayReturn::DisputeWon => PaymentEventKind::DisputeWon,
                    GatewayReturn::DisputeLost => PaymentEventKind::DisputeLost,
                    GatewayReturn::DisputeFundsReinstated => {
                        PaymentEventKind::DisputeFundsReinstated
                    }
                    _ => PaymentEventKind::DisputeOpened,
                };
                Some(
                    GatewayEvent::new(
                        Provider::Stripe,
                        kind,
                        pick(at).as_str(),
                        naira((*amount).max(1)),
                    )
                    .with_provider_reference(format!("dp_{id}")),
                )
            }
            DoubtStep::Again => last.clone(),
            DoubtStep::Resolve { at, how } => {
                let queue = host.service.held().await.unwrap();
                if queue.is_empty() {
                    continue;
                }
                let item = &queue[at % queue.len()];
                let payer = item.member.clone().unwrap_or_else(|| member("ada"));
                let resolution = match how % 4 {
                    0 => HeldResolution::Credited {
                        group: id.clone(),
                        member: payer,
                    },
                    1 => HeldResolution::Refunded,
                    2 => HeldResolution::ChargedTo { member: payer },
                    _ => HeldResolution::WrittenOff,
                };
                let entries = host
                    .store
                    .entries(&EntryQuery::default())
                    .await
                    .unwrap()
                    .len();
                match host
                    .service
                    .resolve_held(&item.reference, resolution, "ops", "property test")
                    .await
                {
                    Ok(_) => {}
                    Err(error) => {
                        assert!(
                            error.is_refused()
                                || error.is_not_found()
                                || matches!(error, ServiceError::Gateway(_)),
                            "step {n}: {error}"
                        );
                        assert_eq!(
                            host.store
                                .entries(&EntryQuery::default())
                                .await
                                .unwrap()
                                .len(),
                            entries,
                            "step {n}: a refused resolution wrote an entry"
                        );
                        refused_steps += 1;
                    }
                }
                None
            }
        };
        if let Some(event) = event {
            host.service.handle_gateway_event(&event).await.unwrap();
            last = Some(event);
        }
        queue_matches_the_books(&host).await;
        let disputed = host
            .store
            .balance(&disputes_for(Currency::NGN))
            .await
            .unwrap();
        assert!(
            !disputed.is_negative(),
            "step {n}: the disputed account holds running disputes only: {disputed}"
        );
    }
    refused_steps
}

/// A fixed flow of money in doubt, for stores that cannot run the random ones quickly:
/// short and over payments, stray money, gateway refunds, a dispute lost and one won,
/// every resolution, duplicates.
pub async fn a_fixed_flow_of_money_in_doubt_keeps_the_books(store: Arc<dyn Store>) {
    use DoubtStep::*;
    let steps = [
        Pay {
            at: 0,
            naira: 4_000,
        },
        Again,
        Pay { at: 1, naira: 0 },
        Stray { naira: 700 },
        GatewayRefund {
            at: 1,
            id: 1,
            naira: 2_000,
        },
        Again,
        Dispute {
            at: 1,
            id: 1,
            what: GatewayReturn::DisputeOpened,
            naira: 3_000,
        },
        Dispute {
            at: 1,
            id: 1,
            what: GatewayReturn::DisputeLost,
            naira: 3_000,
        },
        Resolve { at: 0, how: 0 },
        Resolve { at: 0, how: 2 },
        Resolve { at: 1, how: 1 },
        Resolve { at: 0, how: 3 },
        Dispute {
            at: 0,
            id: 2,
            what: GatewayReturn::DisputeOpened,
            naira: 1_000,
        },
        Dispute {
            at: 0,
            id: 2,
            what: GatewayReturn::DisputeWon,
            naira: 1_000,
        },
        Resolve { at: 0, how: 3 },
        Resolve { at: 0, how: 3 },
    ];
    money_in_doubt_keeps_the_books(store.clone(), &steps).await;
    let host = host(store);
    assert!(
        host.service.held().await.unwrap().is_empty(),
        "every item was resolved"
    );
}
