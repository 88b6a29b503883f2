//! A fake-gateway payment as each provider's signed webhook: the core verifiers accept
//! it, read back the same payment, refuse it altered or under another secret, and the
//! service records what they read.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId};
use ajo_core::ports::Clock;
use ajo_core::service::Handled;
use ajo_core::webhook::{
    FlutterwaveVerifier, GatewayEvent, PaymentEventKind, PaystackVerifier, StripeVerifier,
    WebhookError, WebhookOutcome,
};
use ajo_testkit::webhooks::{self, SignedWebhook};
use ajo_testkit::{Embedded, builders, drive};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use secrecy::SecretString;

const SECRET: &str = "host-test-secret";

fn secrets() -> Vec<SecretString> {
    vec![SecretString::from(SECRET)]
}

/// A started group of two whose hand 1 has just paid round 1 at the fake gateway.
async fn a_payment() -> (Embedded, GatewayEvent) {
    let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap());
    let group = GroupId::new("signed").unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let config = builders::naira_group("Signed", 5_000, start)
        .deposit(DepositRule::None)
        .build()
        .unwrap();
    ajo.service.create_group(&group, config).await.unwrap();
    drive::join_and_start(&ajo.service, &ajo.gateway, &group, &["ada", "bola"]).await;
    let collection = ajo
        .service
        .request_contribution(&group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let paid = ajo.gateway.pay(&collection.reference).unwrap();
    (ajo, paid)
}

fn payment(outcome: Result<WebhookOutcome, WebhookError>) -> GatewayEvent {
    match outcome.unwrap() {
        WebhookOutcome::Payment(event) => event,
        other => panic!("not a payment: {other:?}"),
    }
}

fn altered(request: &SignedWebhook) -> Vec<u8> {
    let text = String::from_utf8(request.body.clone()).unwrap();
    text.replacen("\"id\":", "\"id\":1", 1).into_bytes()
}

/// The verified event is the paid one, the service records it once, and the request
/// altered or signed with another secret is refused as not authentic.
async fn check(
    ajo: &Embedded,
    paid: &GatewayEvent,
    request: &SignedWebhook,
    verify: impl Fn(&[(String, String)], &[u8]) -> Result<WebhookOutcome, WebhookError>,
    forged: &SignedWebhook,
) {
    let event = payment(verify(&request.headers, &request.body));
    assert_eq!(event.kind(), PaymentEventKind::ChargeSucceeded);
    assert_eq!(
        (event.reference(), event.amount()),
        (paid.reference(), paid.amount())
    );
    let again = payment(verify(&request.headers, &request.body));
    assert_eq!(
        again.idempotency_key(),
        event.idempotency_key(),
        "stable ids"
    );
    for refused in [
        verify(&request.headers, &altered(request)),
        verify(&forged.headers, &forged.body),
    ] {
        assert!(refused.unwrap_err().is_rejected_request());
    }
    assert_eq!(
        ajo.service.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded
    );
}

#[tokio::test]
async fn paystack_signed_payment_is_verified_and_recorded() {
    let (ajo, paid) = a_payment().await;
    let request = webhooks::paystack(&paid, SECRET).unwrap();
    let forged = webhooks::paystack(&paid, "another-secret").unwrap();
    let verifier = PaystackVerifier::new(secrets()).unwrap();
    check(
        &ajo,
        &paid,
        &request,
        |h, b| verifier.verify_and_parse(h, b),
        &forged,
    )
    .await;
}

#[tokio::test]
async fn stripe_signed_payment_is_verified_now_and_not_later() {
    let (ajo, paid) = a_payment().await;
    let now = ajo.clock.now();
    let request = webhooks::stripe(&paid, SECRET, now).unwrap();
    let forged = webhooks::stripe(&paid, "another-secret", now).unwrap();
    let verifier = StripeVerifier::new(secrets()).unwrap();
    check(
        &ajo,
        &paid,
        &request,
        |h, b| verifier.verify_and_parse(h, b, now),
        &forged,
    )
    .await;
    let later = now + Duration::minutes(10);
    let stale = verifier.verify_and_parse(&request.headers, &request.body, later);
    assert!(stale.unwrap_err().is_rejected_request(), "a replay");
}

#[tokio::test]
async fn flutterwave_signed_payment_is_verified_and_recorded() {
    let (ajo, paid) = a_payment().await;
    let request = webhooks::flutterwave(&paid, SECRET).unwrap();
    let forged = webhooks::flutterwave(&paid, "another-secret").unwrap();
    let verifier = FlutterwaveVerifier::new(secrets()).unwrap();
    check(
        &ajo,
        &paid,
        &request,
        |h, b| verifier.verify_and_parse(h, b),
        &forged,
    )
    .await;
}

#[tokio::test]
async fn only_successful_charges_are_rendered() {
    let (ajo, paid) = a_payment().await;
    let declined = ajo
        .gateway
        .decline(paid.reference())
        .expect("the collection is known");
    assert!(webhooks::paystack(&declined, SECRET).is_none());
    assert!(webhooks::stripe(&declined, SECRET, ajo.clock.now()).is_none());
    assert!(webhooks::flutterwave(&declined, SECRET).is_none());
}
