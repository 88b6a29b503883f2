//! A host testing its own webhook route with ajo-testkit's signed webhooks: a payment
//! at the fake gateway, rendered as each provider would send it, posted over HTTP to the
//! `webhook_server` example's route, is credited once; under another secret it is 401.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed setup step should stop the test"
)]

use std::collections::HashMap;
use std::ffi::OsString;

use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId};
use ajo_core::ports::{Clock, EntryQuery, Journal};
use ajo_core::webhook::GatewayEvent;
use ajo_examples::webhook_server::{self, Config, router, vars};
use ajo_testkit::webhooks::{self, SignedWebhook};
use ajo_testkit::{Embedded, builders, drive};
use chrono::{NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;

const PAYSTACK_SECRET: &str = "sk_test_signed_route";
const STRIPE_SECRET: &str = "whsec_signed_route";
const FLUTTERWAVE_HASH: &str = "flw-signed-route";

/// The example's router over a started group of three, on a free loopback port; its
/// base URL.
async fn serve(ajo: &Embedded) -> String {
    let vars: HashMap<&str, OsString> = [
        (vars::PAYSTACK, PAYSTACK_SECRET),
        (vars::STRIPE, STRIPE_SECRET),
        (vars::FLUTTERWAVE, FLUTTERWAVE_HASH),
    ]
    .into_iter()
    .map(|(k, v)| (k, OsString::from(v)))
    .collect();
    let config = Config::from_lookup(|var| vars.get(var).cloned()).unwrap();
    let app = router(&config, ajo.service.clone(), ajo.clock.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        webhook_server::serve(listener, app, &config, std::future::pending()).await;
    });
    format!("http://{addr}")
}

async fn a_group() -> (Embedded, GroupId) {
    let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 10, 11, 0, 0).unwrap());
    let group = GroupId::new("signed-route").unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let config = builders::naira_group("Signed route", 10_000, start)
        .deposit(DepositRule::None)
        .build()
        .unwrap();
    ajo.service.create_group(&group, config).await.unwrap();
    drive::join_and_start(
        &ajo.service,
        &ajo.gateway,
        &group,
        &["ada", "bola", "chidi"],
    )
    .await;
    (ajo, group)
}

/// Hand `hand` pays round 1 at the fake gateway (the webhook not yet delivered).
async fn paid(ajo: &Embedded, group: &GroupId, hand: u32) -> GatewayEvent {
    let collection = ajo
        .service
        .request_contribution(group, 1, HandId::new(hand).unwrap())
        .await
        .unwrap();
    ajo.gateway.pay(&collection.reference).unwrap()
}

/// Renders a payment as one provider's request signed under a secret.
type Sign = Box<dyn Fn(&GatewayEvent, &str) -> Option<SignedWebhook>>;

async fn post(base: &str, provider: &str, request: &SignedWebhook) -> StatusCode {
    let mut http = reqwest::Client::new().post(format!("{base}/webhooks/{provider}"));
    for (name, value) in &request.headers {
        http = http.header(name, value);
    }
    http.body(request.body.clone())
        .send()
        .await
        .unwrap()
        .status()
}

async fn entries_for(ajo: &Embedded, reference: &str) -> usize {
    let query = EntryQuery {
        reference: Some(reference.to_owned()),
        ..EntryQuery::default()
    };
    ajo.store.entries(&query).await.unwrap().len()
}

#[tokio::test]
async fn each_providers_signed_payment_is_credited_once_through_the_route() {
    let (ajo, group) = a_group().await;
    let base = serve(&ajo).await;
    let now = ajo.clock.now();
    let cases: [(&str, Sign, &str); 3] = [
        ("paystack", Box::new(webhooks::paystack), PAYSTACK_SECRET),
        (
            "stripe",
            Box::new(move |e: &GatewayEvent, s: &str| webhooks::stripe(e, s, now)),
            STRIPE_SECRET,
        ),
        (
            "flutterwave",
            Box::new(webhooks::flutterwave),
            FLUTTERWAVE_HASH,
        ),
    ];
    for (hand, (provider, sign, secret)) in (1..).zip(cases) {
        let payment = paid(&ajo, &group, hand).await;
        let reference = payment.reference().to_owned();
        let forged = sign(&payment, "not-the-secret").unwrap();
        assert_eq!(
            post(&base, provider, &forged).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(entries_for(&ajo, &reference).await, 0, "{provider}: forged");
        let signed = sign(&payment, secret).unwrap();
        assert_eq!(post(&base, provider, &signed).await, StatusCode::OK);
        assert_eq!(
            post(&base, provider, &signed).await,
            StatusCode::OK,
            "a retry"
        );
        assert_eq!(entries_for(&ajo, &reference).await, 1, "{provider}: once");
    }
}
