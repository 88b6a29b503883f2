//! What a gateway may report that ajo did not ask for, through [`AjoService`] over a
//! store: charges authenticated only by a static token, a second charge on a settled
//! reference, refunds and chargebacks started at the gateway. Every check ends with
//! balanced books and nothing of the money the gateway holds left unbooked. The service
//! runs on the testkit's fake gateway and a clock read between two microseconds.

use std::sync::Arc;

use ajo_core::ids::{GroupId, HandId};
use ajo_core::ledger::{Account, AccountKind};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{Clock, EmailSender, EntryQuery, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, ConfirmationPolicy, Handled, REVIEW_OWNER, ServiceConfig};
use ajo_core::webhook::{AmountBasis, Authentication, GatewayEvent, PaymentEventKind, Provider};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::assert_books_balance;
use crate::builders;
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_static_token_charge_the_gateway_does_not_confirm_is_never_credited(factory().await).await;
    a_static_token_charge_of_another_amount_than_the_gateway_has_is_refused(factory().await).await;
    signed_charges_are_confirmed_only_for_providers_the_host_names(factory().await).await;
    an_unsigned_callback_is_confirmed_whatever_the_policy_trusts(factory().await).await;
    a_second_charge_on_a_settled_reference_is_held_not_dropped(factory().await).await;
    without_transaction_ids_the_amount_tells_a_second_charge(factory().await).await;
    refunds_at_the_gateway_are_booked_once_whatever_shape_reports_them(factory().await).await;
    a_refund_that_fails_gives_back_what_it_took(factory().await).await;
    a_dispute_moves_money_out_while_the_gateway_holds_it_and_back_when_won(factory().await).await;
    a_lost_dispute_leaves_the_amount_out_and_visible(factory().await).await;
    a_refund_for_a_reference_ajo_never_issued_is_still_booked(factory().await).await;
    a_refund_named_by_the_charge_alone_lands_on_its_collection(factory().await).await;
}

/// The service with fakes around a store.
struct World {
    service: AjoService,
    store: Arc<dyn Store>,
    gateway: Arc<FakeGateway>,
    clock: Arc<FakeClock>,
}

impl World {
    fn new(store: Arc<dyn Store>, now: DateTime<Utc>) -> World {
        let gateway = Arc::new(FakeGateway::new());
        let clock = Arc::new(FakeClock::new(now));
        let service = AjoService::new(
            store.clone(),
            gateway.clone() as Arc<dyn PaymentGateway>,
            Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
            Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
            clock.clone() as Arc<dyn Clock>,
        );
        World {
            service,
            store,
            gateway,
            clock,
        }
    }
}

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

/// A started two-member ₦10,000 group without deposits, on a clock read between two
/// microseconds; returns round 1 hand 1's reference, asked for but not paid.
async fn asked(store: Arc<dyn Store>, group: &str) -> (World, GroupId, String) {
    let now = Utc.from_utc_datetime(
        &(start_date() - Duration::days(10))
            .and_hms_opt(9, 0, 0)
            .unwrap(),
    ) + Duration::nanoseconds(987_654_321);
    let ajo = World::new(store, now);
    let id = GroupId::new(group).unwrap();
    let config = builders::naira_group("Ikeja traders", 10_000, start_date())
        .deposit(ajo_core::group::deposit::DepositRule::None)
        .build()
        .unwrap();
    ajo.service.create_group(&id, config).await.unwrap();
    crate::drive::join_and_start(&ajo.service, &ajo.gateway, &id, &["ada", "bola"]).await;
    let collection = ajo
        .service
        .request_contribution(&id, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    (ajo, id, collection.reference)
}

async fn paid_in(ajo: &World, id: &GroupId) -> Money {
    let state = ajo.service.group(id).await.unwrap();
    let pot = state.accounts().unwrap().pot();
    ajo.store.balance(&pot).await.unwrap().negated()
}

/// What review holds for someone (a credit balance); negative when money went out that
/// review must recover.
async fn in_review(ajo: &World) -> Money {
    let review = Account::new(REVIEW_OWNER, AccountKind::Suspense, Currency::NGN);
    ajo.store.balance(&review).await.unwrap().negated()
}

async fn entries(ajo: &World, reference: &str) -> usize {
    ajo.store
        .entries(&EntryQuery {
            reference: Some(reference.to_owned()),
            ..EntryQuery::default()
        })
        .await
        .unwrap()
        .len()
}

fn charge(reference: &str, amount: Money, transaction: &str) -> GatewayEvent {
    GatewayEvent::new(
        Provider::Flutterwave,
        PaymentEventKind::ChargeSucceeded,
        reference,
        amount,
    )
    .with_transaction_id(transaction)
}

fn verifications(ajo: &World) -> usize {
    ajo.gateway
        .calls()
        .iter()
        .filter(|c| c.starts_with("verify_payment:"))
        .count()
}

/// A charge authenticated only by a static token, which the gateway does not confirm (the payer never paid), is [`Handled::Unconfirmed`]: nothing credited, booked or recorded, so once the payer pays, the same report credits once.
pub async fn a_static_token_charge_the_gateway_does_not_confirm_is_never_credited(
    store: Arc<dyn Store>,
) {
    let (ajo, id, reference) = asked(store, "ikeja").await;
    // What anyone who has seen one `verif-hash` delivery can send: the payer never paid.
    let forged = charge(
        &reference,
        ngn("10000"),
        &FakeGateway::transaction_id(&reference),
    )
    .with_authentication(Authentication::StaticToken);
    let outcome = ajo.service.handle_gateway_event(&forged).await.unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert_eq!(verifications(&ajo), 1, "the gateway was asked");
    assert!(paid_in(&ajo, &id).await.is_zero(), "nothing credited");
    assert_eq!(entries(&ajo, &reference).await, 0, "nothing booked");

    // Nor can a forged failure stop the collection being re-verified.
    let failed = GatewayEvent::new(
        Provider::Flutterwave,
        PaymentEventKind::ChargeFailed,
        reference.as_str(),
        ngn("10000"),
    )
    .with_authentication(Authentication::StaticToken);
    let outcome = ajo.service.handle_gateway_event(&failed).await.unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );

    // Nothing was recorded, so the real charge, once made, is credited by the same report.
    ajo.gateway.pay(&reference).unwrap();
    assert_eq!(
        ajo.service.handle_gateway_event(&forged).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(paid_in(&ajo, &id).await, ngn("10000"));
    assert_eq!(
        ajo.service.handle_gateway_event(&forged).await.unwrap(),
        Handled::Duplicate
    );
    assert_eq!(
        verifications(&ajo),
        2,
        "a duplicate is not asked about again"
    );
    assert_books_balance(ajo.store.as_ref()).await;
}

/// A static-token charge claiming more than the gateway took is refused, not even held: it is not money.
pub async fn a_static_token_charge_of_another_amount_than_the_gateway_has_is_refused(
    store: Arc<dyn Store>,
) {
    let (ajo, id, reference) = asked(store, "ikeja").await;
    ajo.gateway.pay(&reference).unwrap();
    let inflated = charge(
        &reference,
        ngn("90000"),
        &FakeGateway::transaction_id(&reference),
    )
    .with_authentication(Authentication::StaticToken);
    let outcome = ajo.service.handle_gateway_event(&inflated).await.unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert!(paid_in(&ajo, &id).await.is_zero());
    assert!(
        in_review(&ajo).await.is_zero(),
        "not even held: it is not money"
    );
    assert_books_balance(ajo.store.as_ref()).await;
}

/// A signed charge is credited without a call to the gateway, unless the host's [`ConfirmationPolicy`] names its provider.
pub async fn signed_charges_are_confirmed_only_for_providers_the_host_names(store: Arc<dyn Store>) {
    let (ajo, id, reference) = asked(store.clone(), "ikeja").await;
    ajo.gateway.pay(&reference).unwrap();
    let signed = charge(&reference, ngn("10000"), "779");
    assert_eq!(
        ajo.service.handle_gateway_event(&signed).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(verifications(&ajo), 0, "a signature is trusted by default");
    assert_eq!(paid_in(&ajo, &id).await, ngn("10000"));

    let (ajo, _, reference) = asked(store, "ikeja-2").await;
    let strict = ajo
        .service
        .clone()
        .with_config(ServiceConfig {
            confirmation: ConfirmationPolicy::default().always(Provider::Flutterwave),
            ..ServiceConfig::default()
        })
        .unwrap();
    let unpaid = charge(
        &reference,
        ngn("10000"),
        &FakeGateway::transaction_id(&reference),
    );
    let outcome = strict.handle_gateway_event(&unpaid).await.unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert_eq!(verifications(&ajo), 1);
}

/// A charge reported by an unsigned callback (M-Pesa, MTN MoMo) is confirmed with the gateway even by a host that trusts static tokens: a forged one credits nothing, and the real one, once the gateway has it, credits once.
pub async fn an_unsigned_callback_is_confirmed_whatever_the_policy_trusts(store: Arc<dyn Store>) {
    let (ajo, id, reference) = asked(store, "ikeja").await;
    let trusting = ajo
        .service
        .clone()
        .with_config(ServiceConfig {
            confirmation: ConfirmationPolicy::default().trust_static_tokens(),
            ..ServiceConfig::default()
        })
        .unwrap();
    for authentication in [Authentication::CallbackToken, Authentication::CallbackTag] {
        let forged = GatewayEvent::new(
            Provider::Mpesa,
            PaymentEventKind::ChargeSucceeded,
            reference.as_str(),
            ngn("10000"),
        )
        .with_authentication(authentication);
        let outcome = trusting.handle_gateway_event(&forged).await.unwrap();
        assert!(
            matches!(outcome, Handled::Unconfirmed { .. }),
            "{authentication:?}: {outcome:?}"
        );
    }
    assert_eq!(verifications(&ajo), 2, "the gateway was asked each time");
    assert!(paid_in(&ajo, &id).await.is_zero(), "nothing credited");
    assert_eq!(entries(&ajo, &reference).await, 0, "nothing booked");

    ajo.gateway.pay(&reference).unwrap();
    let real = GatewayEvent::new(
        Provider::Mpesa,
        PaymentEventKind::ChargeSucceeded,
        reference.as_str(),
        ngn("10000"),
    )
    .with_authentication(Authentication::CallbackToken);
    assert_eq!(
        trusting.handle_gateway_event(&real).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        trusting.handle_gateway_event(&real).await.unwrap(),
        Handled::Duplicate
    );
    assert_eq!(paid_in(&ajo, &id).await, ngn("10000"));
    assert_books_balance(ajo.store.as_ref()).await;
}

/// After a collection settles, the same charge told again is a duplicate, while another charge on the reference (another transaction id, whatever the amount) is held in review, once.
pub async fn a_second_charge_on_a_settled_reference_is_held_not_dropped(store: Arc<dyn Store>) {
    let (ajo, id, reference) = asked(store, "ikeja").await;
    ajo.gateway.pay(&reference).unwrap();
    let first = charge(&reference, ngn("10000"), "1001");
    assert_eq!(
        ajo.service.handle_gateway_event(&first).await.unwrap(),
        Handled::Recorded
    );
    // The same charge told again under another event id: still a duplicate.
    let told_again = first.clone().with_event_id("evt-again");
    assert_eq!(
        ajo.service.handle_gateway_event(&told_again).await.unwrap(),
        Handled::Duplicate
    );
    // Another charge of the same amount on the same reference: real money at the gateway.
    let second = charge(&reference, ngn("10000"), "1002");
    assert_eq!(
        ajo.service.handle_gateway_event(&second).await.unwrap(),
        Handled::Flagged {
            expected: ngn("0"),
            received: ngn("10000"),
        }
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&second).await.unwrap(),
        Handled::Duplicate
    );
    // And a third, of another amount.
    let third = charge(&reference, ngn("2500"), "1003");
    assert!(matches!(
        ajo.service.handle_gateway_event(&third).await.unwrap(),
        Handled::Flagged { .. }
    ));
    assert_eq!(paid_in(&ajo, &id).await, ngn("10000"), "the pot took one");
    assert_eq!(in_review(&ajo).await, ngn("12500"), "the others are held");
    assert_eq!(entries(&ajo, &reference).await, 3);
    assert_books_balance(ajo.store.as_ref()).await;
}

/// A collection settled by `tick`'s re-verification names no transaction: a late webhook of the same amount is a duplicate, one of another amount is held.
pub async fn without_transaction_ids_the_amount_tells_a_second_charge(store: Arc<dyn Store>) {
    let (ajo, id, reference) = asked(store, "ikeja").await;
    // Settled by `tick`'s re-verification (which names no transaction)...
    ajo.gateway.pay_silently(&reference);
    ajo.clock.advance(Duration::minutes(31));
    let report = ajo.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(paid_in(&ajo, &id).await, ngn("10000"));
    // ...then the webhook of that charge arrives late: the same amount, a duplicate.
    let late = charge(&reference, ngn("10000"), "2001");
    assert_eq!(
        ajo.service.handle_gateway_event(&late).await.unwrap(),
        Handled::Duplicate
    );
    let other = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::ChargeSucceeded,
        reference.as_str(),
        ngn("4000"),
    );
    assert!(matches!(
        ajo.service.handle_gateway_event(&other).await.unwrap(),
        Handled::Flagged { .. }
    ));
    assert_eq!(in_review(&ajo).await, ngn("4000"));
    assert_books_balance(ajo.store.as_ref()).await;
}

fn report(kind: PaymentEventKind, reference: &str, amount: &str, object: &str) -> GatewayEvent {
    GatewayEvent::new(Provider::Stripe, kind, reference, ngn(amount))
        .with_provider_reference(object)
}

/// A refund started at the gateway is booked clearing → review once, however it is reported: twice, as a running total, then as its own event.
pub async fn refunds_at_the_gateway_are_booked_once_whatever_shape_reports_them(
    store: Arc<dyn Store>,
) {
    let (ajo, _, reference) = asked(store, "ikeja").await;
    let paid = ajo.gateway.pay(&reference).unwrap();
    ajo.service.handle_gateway_event(&paid).await.unwrap();
    let clearing = ajo_core::group::GroupAccounts::clearing_for(Currency::NGN);
    let before = ajo.store.balance(&clearing).await.unwrap();

    let refund = report(
        PaymentEventKind::RefundProcessed,
        &reference,
        "3000",
        "re_1",
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&refund).await.unwrap(),
        Handled::HeldForReview {
            moved: ngn("3000"),
            out_of_clearing: ngn("3000"),
        }
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&refund).await.unwrap(),
        Handled::Duplicate
    );
    // Stripe's running total after a second refund of ₦2,000: only the ₦2,000 is new.
    let total = report(
        PaymentEventKind::RefundProcessed,
        &reference,
        "5000",
        "ch_1",
    )
    .with_amount_basis(AmountBasis::Cumulative);
    assert_eq!(
        ajo.service.handle_gateway_event(&total).await.unwrap(),
        Handled::HeldForReview {
            moved: ngn("2000"),
            out_of_clearing: ngn("5000"),
        }
    );
    // The second refund's own report, late: already counted in the total.
    let second = report(
        PaymentEventKind::RefundProcessed,
        &reference,
        "2000",
        "re_2",
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&second).await.unwrap(),
        Handled::HeldForReview {
            moved: ngn("0"),
            out_of_clearing: ngn("5000"),
        }
    );
    // The first refund fails after all: its ₦3,000 comes back... but the running total
    // still says ₦5,000 went, and the larger figure stands until the gateway says less.
    let failed = report(PaymentEventKind::RefundFailed, &reference, "3000", "re_1");
    assert!(matches!(
        ajo.service.handle_gateway_event(&failed).await.unwrap(),
        Handled::HeldForReview { .. }
    ));
    assert_eq!(in_review(&ajo).await, ngn("-5000"), "₦5,000 out, to settle");
    assert_eq!(
        ajo.store.balance(&clearing).await.unwrap(),
        before.checked_sub(ngn("5000")).unwrap(),
        "the books follow the gateway"
    );
    assert_books_balance(ajo.store.as_ref()).await;
}

/// A refund that fails after it was reported gives back exactly what it took.
pub async fn a_refund_that_fails_gives_back_what_it_took(store: Arc<dyn Store>) {
    let (ajo, _, reference) = asked(store, "ikeja").await;
    let paid = ajo.gateway.pay(&reference).unwrap();
    ajo.service.handle_gateway_event(&paid).await.unwrap();
    let refund = report(
        PaymentEventKind::RefundProcessed,
        &reference,
        "3000",
        "re_1",
    );
    ajo.service.handle_gateway_event(&refund).await.unwrap();
    let failed = report(PaymentEventKind::RefundFailed, &reference, "3000", "re_1");
    assert_eq!(
        ajo.service.handle_gateway_event(&failed).await.unwrap(),
        Handled::HeldForReview {
            moved: ngn("-3000"),
            out_of_clearing: ngn("0"),
        }
    );
    assert!(in_review(&ajo).await.is_zero());
    assert_books_balance(ajo.store.as_ref()).await;
}

/// A chargeback moves its amount out of clearing onto the disputed account from the moment it opens (the gateway holds it back), and back when it is won; the payer is flagged while it runs; the reinstatement that follows changes nothing more.
pub async fn a_dispute_moves_money_out_while_the_gateway_holds_it_and_back_when_won(
    store: Arc<dyn Store>,
) {
    let (ajo, _, reference) = asked(store, "ikeja").await;
    let paid = ajo.gateway.pay(&reference).unwrap();
    ajo.service.handle_gateway_event(&paid).await.unwrap();
    let step = |kind| report(kind, &reference, "10000", "dp_1");
    let outcomes = [
        (PaymentEventKind::DisputeOpened, "10000", "10000"),
        (PaymentEventKind::DisputeFundsWithdrawn, "0", "10000"),
        (PaymentEventKind::DisputeWon, "-10000", "0"),
        // Stripe's reinstatement after the outcome changes nothing more.
        (PaymentEventKind::DisputeFundsReinstated, "0", "0"),
    ];
    for (kind, moved, out) in outcomes {
        assert_eq!(
            ajo.service.handle_gateway_event(&step(kind)).await.unwrap(),
            Handled::HeldForReview {
                moved: ngn(moved),
                out_of_clearing: ngn(out),
            },
            "{kind}"
        );
        let running = ajo
            .store
            .balance(&ajo_core::service::disputes_for(Currency::NGN))
            .await
            .unwrap();
        let flagged = ajo
            .service
            .member_view(
                &ajo_core::ids::GroupId::new("ikeja").unwrap(),
                &ajo_core::ids::MemberId::new("ada").unwrap(),
            )
            .await
            .unwrap()
            .open_disputes;
        if kind == PaymentEventKind::DisputeFundsWithdrawn {
            assert_eq!(
                running,
                ngn("10000"),
                "the disputed amount is on the disputed account"
            );
            assert_eq!(
                flagged,
                std::slice::from_ref(&reference),
                "the payer is flagged while it runs"
            );
        } else if kind == PaymentEventKind::DisputeWon {
            assert!(running.is_zero(), "a dispute won leaves nothing disputed");
            assert!(flagged.is_empty(), "the flag clears with the outcome");
        }
    }
    assert!(in_review(&ajo).await.is_zero());
    assert_books_balance(ajo.store.as_ref()).await;
}

/// A lost chargeback leaves its amount out of clearing, owed by the payer, visibly: their chargeback receivable and their view.
pub async fn a_lost_dispute_leaves_the_amount_out_and_visible(store: Arc<dyn Store>) {
    let (ajo, _, reference) = asked(store, "ikeja").await;
    let paid = ajo.gateway.pay(&reference).unwrap();
    ajo.service.handle_gateway_event(&paid).await.unwrap();
    // Paystack takes the money only when it resolves against the merchant.
    let lost = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::DisputeLost,
        reference.as_str(),
        ngn("10000"),
    )
    .with_provider_reference("dsp_9");
    assert_eq!(
        ajo.service.handle_gateway_event(&lost).await.unwrap(),
        Handled::HeldForReview {
            moved: ngn("10000"),
            out_of_clearing: ngn("10000"),
        }
    );
    assert!(
        in_review(&ajo).await.is_zero(),
        "a payer is known: not review's"
    );
    let ada = ajo_core::ids::MemberId::new("ada").unwrap();
    assert_eq!(
        ajo.store
            .balance(&ajo_core::service::chargebacks_of(&ada, Currency::NGN))
            .await
            .unwrap(),
        ngn("10000"),
        "the payer owes what the dispute took"
    );
    let view = ajo
        .service
        .member_view(&ajo_core::ids::GroupId::new("ikeja").unwrap(), &ada)
        .await
        .unwrap();
    assert_eq!(view.chargebacks_owed, Some(ngn("10000")));
    assert!(view.open_disputes.is_empty(), "closed by its outcome");
    assert!(
        ajo.store
            .balance(&ajo_core::service::disputes_for(Currency::NGN))
            .await
            .unwrap()
            .is_zero()
    );
    assert_books_balance(ajo.store.as_ref()).await;
}

/// A refund for a reference ajo never issued is booked all the same, on a stream of its own.
pub async fn a_refund_for_a_reference_ajo_never_issued_is_still_booked(store: Arc<dyn Store>) {
    let (ajo, _, _) = asked(store, "ikeja").await;
    let stranger = report(
        PaymentEventKind::RefundProcessed,
        "pi_unknown",
        "700",
        "re_x",
    );
    assert!(matches!(
        ajo.service.handle_gateway_event(&stranger).await.unwrap(),
        Handled::HeldForReview { .. }
    ));
    assert_eq!(in_review(&ajo).await, ngn("-700"));
    assert_eq!(entries(&ajo, "pi_unknown").await, 1);
    assert_books_balance(ajo.store.as_ref()).await;
}

/// A refund made outside ajo is reported twice by Stripe: `charge.refunded` names ajo's
/// reference (the PaymentIntent's metadata), `refund.updated` only the PaymentIntent. The
/// service asks the gateway which collection that charge belongs to, so both reports
/// land on one collection and the refund is booked once, not twice.
pub async fn a_refund_named_by_the_charge_alone_lands_on_its_collection(store: Arc<dyn Store>) {
    let (ajo, _, reference) = asked(store, "ikeja").await;
    let paid = ajo.gateway.pay(&reference).unwrap();
    ajo.service.handle_gateway_event(&paid).await.unwrap();
    let charge_id = FakeGateway::transaction_id(&reference);
    let total = report(
        PaymentEventKind::RefundProcessed,
        &reference,
        "3000",
        "ch_1",
    )
    .with_amount_basis(AmountBasis::Cumulative)
    .with_transaction_id(charge_id.as_str());
    assert_eq!(
        ajo.service.handle_gateway_event(&total).await.unwrap(),
        Handled::HeldForReview {
            moved: ngn("3000"),
            out_of_clearing: ngn("3000"),
        }
    );
    // The refund's own report names the charge where ajo's reference would be.
    let own = report(
        PaymentEventKind::RefundProcessed,
        &charge_id,
        "3000",
        "re_1",
    )
    .with_transaction_id(charge_id.as_str());
    assert_eq!(
        ajo.service.handle_gateway_event(&own).await.unwrap(),
        Handled::HeldForReview {
            moved: ngn("0"),
            out_of_clearing: ngn("3000"),
        }
    );
    assert_eq!(in_review(&ajo).await, ngn("-3000"), "booked once");
    assert_eq!(
        entries(&ajo, &charge_id).await,
        0,
        "nothing under the charge's id"
    );
    assert_books_balance(ajo.store.as_ref()).await;
}
