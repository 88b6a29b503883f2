//! The MTN MoMo adapter against a local mock of the MoMo Open API: the exact requests it
//! sends (tokens per product, request to pay and transfer with `X-Reference-Id`, status
//! `GET`s), what each documented answer becomes (successful, not enough funds, rejected,
//! pending, not found, timeouts, `409` duplicates), the contract suite, and money through
//! the service on the in-memory store with callbacks read by `MomoVerifier`: a forged
//! callback credits nothing, the real one once after the status `GET`, and a failed
//! transfer is sent again under a fresh reference, then booked once.
//! Shapes: tests/data/mobile-money/wire-formats.md.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers outside #[test] fns

mod common;
mod pgdb;

use std::sync::Arc;
use std::time::Duration;

use ajo_adapters::momo::{MomoConfig, MomoGateway};
use ajo_core::calendar::Frequency;
use ajo_core::group::GroupConfig;
use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId, RecipientId};
use ajo_core::money::{Currency, Money};
use ajo_core::phone::Country;
use ajo_core::ports::{
    Clock, CollectionRequest, EmailSender, EntryQuery, GatewayError, PaymentGateway, PaymentState,
    PayoutRequest, PayoutState, RecipientDetails, SmsSender, Store,
};
use ajo_core::service::{AjoService, Contact, Handled};
use ajo_core::webhook::{
    Authentication, CallbackSecret, GatewayEvent, MomoVerifier, Provider, WebhookOutcome,
    WebhookRequest, WebhookVerifier, momo_reference_id,
};
use ajo_testkit::InMemoryStore;
use ajo_testkit::conformance::gateway::{GatewayFixtures, run_all};
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeSms};
use base64::Engine as _;
use chrono::{NaiveDate, TimeZone, Utc};
use common::json;
use secrecy::SecretString;
use serde_json::json as j;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER: &str = "9f7c1a3e-5b2d-4c8e-a1f0-3d6b9e2c7a41";
const API_KEY: &str = "d51f489189cf4adc8b12dcb6c10b3eb8";
const COLLECTION_KEY: &str = "collection-subscription-key-0a1b";
const DISBURSEMENT_KEY: &str = "disbursement-subscription-key-9z8y";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSMjU2In0.collection";
const BASE: &str = "https://pay.example.com/webhooks/mtn-momo";
const REF: &str = "ajo=ctb=g1=r1=h1";

fn callback() -> CallbackSecret {
    CallbackSecret::new(
        Provider::MtnMomo,
        SecretString::from("momo-callback-secret-0123456789abcdef"),
    )
    .unwrap()
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 6, 0, 0).unwrap() + chrono::Duration::nanoseconds(987_654_321)
}

fn config(server: &MockServer, clock: Arc<dyn Clock>) -> MomoConfig {
    MomoConfig::new(
        USER,
        SecretString::from(API_KEY),
        "mtnuganda",
        Country::UG,
        callback(),
        BASE,
    )
    .with_collections(SecretString::from(COLLECTION_KEY))
    .with_disbursements(SecretString::from(DISBURSEMENT_KEY))
    .with_clock(clock)
    .with_http(common::http(&server.uri()))
}

fn gateway(server: &MockServer) -> MomoGateway {
    MomoGateway::new(config(server, Arc::new(FakeClock::new(now())))).unwrap()
}

fn ugx(amount: &str) -> Money {
    Money::parse(amount, Currency::UGX).unwrap()
}

fn collection(reference: &str, amount: Money) -> CollectionRequest {
    CollectionRequest {
        reference: reference.into(),
        amount,
        email: String::new(),
        description: "round 1 contribution".into(),
        callback_url: None,
        payer_phone: Some("0772 000 000".into()),
    }
}

async fn mount_tokens(server: &MockServer) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{API_KEY}"));
    for (product, key) in [
        ("collection", COLLECTION_KEY),
        ("disbursement", DISBURSEMENT_KEY),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/{product}/token/")))
            .and(header("authorization", format!("Basic {basic}").as_str()))
            .and(header("ocp-apim-subscription-key", key))
            .respond_with(json(
                200,
                &j!({"access_token": TOKEN, "token_type": "access_token", "expires_in": 3600})
                    .to_string(),
            ))
            .mount(server)
            .await;
    }
}

fn status_body(
    reference: &str,
    party: &str,
    status: &str,
    amount: &str,
    reason: Option<&str>,
) -> String {
    let mut body = j!({"externalId": reference, "amount": amount, "currency": "UGX",
        party: {"partyIdType": "MSISDN", "partyId": "256772000000"},
        "payerMessage": "round 1 contribution", "payeeNote": "round 1 contribution", "status": status});
    if status == "SUCCESSFUL" {
        body["financialTransactionId"] = j!("1232581108");
    }
    if let Some(reason) = reason {
        body["reason"] = j!(reason);
    }
    body.to_string()
}

async fn mount_status(server: &MockServer, what: &str, reference: &str, answer: ResponseTemplate) {
    let product = if what == "requesttopay" {
        "collection"
    } else {
        "disbursement"
    };
    Mock::given(method("GET"))
        .and(path(format!(
            "/{product}/v1_0/{what}/{}",
            momo_reference_id(reference)
        )))
        .and(header("x-target-environment", "mtnuganda"))
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn requests_to(server: &MockServer, to: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == to)
        .collect()
}

#[tokio::test]
async fn a_request_to_pay_is_sent_as_documented_and_keyed_by_its_reference() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("x-reference-id", momo_reference_id(REF).as_str()))
        .and(header(
            "x-callback-url",
            callback().callback_url(BASE, REF).as_str(),
        ))
        .and(header("x-target-environment", "mtnuganda"))
        .and(header("ocp-apim-subscription-key", COLLECTION_KEY))
        .and(body_json(j!({
            "amount": "50000",
            "currency": "UGX",
            "externalId": REF,
            "payer": {"partyIdType": "MSISDN", "partyId": "256772000000"},
            "payerMessage": "round 1 contribution",
            "payeeNote": "round 1 contribution",
        })))
        .respond_with(ResponseTemplate::new(202))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // The same X-Reference-Id again is refused: it is this collection, asked before.
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .respond_with(json(409, r#"{"code":"RESOURCE_ALREADY_EXIST","message":"Duplicated reference id. Creation of resource failed."}"#))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    for _ in 0..2 {
        let started = gateway
            .start_collection(&collection(REF, ugx("50000")))
            .await
            .unwrap();
        assert_eq!(started.provider_reference, Some(momo_reference_id(REF)));
    }
    assert_eq!(
        requests_to(&server, "/collection/token/").await.len(),
        1,
        "the token is reused"
    );
}

#[tokio::test]
async fn a_request_that_times_out_is_sent_again_under_the_same_reference_id() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .respond_with(ResponseTemplate::new(202).set_delay(Duration::from_secs(2)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .respond_with(json(
            409,
            r#"{"code":"RESOURCE_ALREADY_EXIST","message":"Duplicated reference id."}"#,
        ))
        .mount(&server)
        .await;
    let started = gateway(&server)
        .start_collection(&collection(REF, ugx("50000")))
        .await
        .unwrap();
    assert_eq!(started.provider_reference, Some(momo_reference_id(REF)));
    let sent = requests_to(&server, "/collection/v1_0/requesttopay").await;
    assert_eq!(sent.len(), 2);
    assert!(
        sent.iter()
            .all(|r| r.headers.get("x-reference-id").unwrap() == momo_reference_id(REF).as_str())
    );
}

#[tokio::test]
async fn status_reads_successful_not_enough_funds_rejected_pending_and_unknown() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    let cases = [
        (
            "paid",
            status_body("paid", "payer", "SUCCESSFUL", "50000", None),
            PaymentState::Succeeded,
        ),
        (
            "poor",
            status_body("poor", "payer", "FAILED", "50000", Some("NOT_ENOUGH_FUNDS")),
            PaymentState::Failed,
        ),
        (
            "no",
            status_body("no", "payer", "FAILED", "50000", Some("APPROVAL_REJECTED")),
            PaymentState::Failed,
        ),
        (
            "wait",
            status_body("wait", "payer", "PENDING", "50000", None),
            PaymentState::Pending,
        ),
    ];
    for (reference, body, _) in &cases {
        mount_status(&server, "requesttopay", reference, json(200, body)).await;
    }
    mount_status(
        &server,
        "requesttopay",
        "gone",
        json(
            404,
            r#"{"code":"RESOURCE_NOT_FOUND","message":"Requested resource was not found."}"#,
        ),
    )
    .await;
    let gateway = gateway(&server);
    for (reference, _, state) in cases {
        let status = gateway.verify_payment(reference).await.unwrap();
        assert_eq!(status.state, state, "{reference}");
        let amount = (state == PaymentState::Succeeded).then(|| ugx("50000"));
        assert_eq!(status.amount, amount, "{reference}");
    }
    assert!(matches!(
        gateway.verify_payment("gone").await,
        Err(GatewayError::NotFound { .. })
    ));
    // An answer about another reference is not taken for this one.
    mount_status(
        &server,
        "requesttopay",
        "mixed",
        json(
            200,
            &status_body("other", "payer", "SUCCESSFUL", "50000", None),
        ),
    )
    .await;
    assert!(matches!(
        gateway.verify_payment("mixed").await,
        Err(GatewayError::Unexpected { .. })
    ));
}

#[tokio::test]
async fn what_mtn_cannot_take_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let gateway = gateway(&server);
    let mut no_phone = collection(REF, ugx("100"));
    no_phone.payer_phone = None;
    let mut kenyan = collection(REF, ugx("100"));
    kenyan.payer_phone = Some("+254 712 345 678".into());
    for request in [
        collection(REF, Money::parse("100", Currency::NGN).unwrap()),
        collection(REF, ugx("0")),
        no_phone,
        kenyan,
    ] {
        match gateway.start_collection(&request).await {
            Err(GatewayError::InvalidRequest { .. }) => {}
            other => panic!("{request:?}: {other:?}"),
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_expired_token_is_fetched_again_once_and_refused_keys_are_unauthorized() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/collection/v1_0/requesttopay/{}",
            momo_reference_id("paid")
        )))
        .respond_with(json(
            401,
            r#"{"code":"401","message":"Access token expired"}"#,
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_status(
        &server,
        "requesttopay",
        "paid",
        json(
            200,
            &status_body("paid", "payer", "SUCCESSFUL", "50000", None),
        ),
    )
    .await;
    let gateway = gateway(&server);
    assert_eq!(
        gateway.verify_payment("paid").await.unwrap().state,
        PaymentState::Succeeded
    );
    assert_eq!(requests_to(&server, "/collection/token/").await.len(), 2);

    let refusing = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/collection/token/"))
        .respond_with(json(
            401,
            r#"{"statusCode":401,"message":"Access denied due to invalid subscription key."}"#,
        ))
        .mount(&refusing)
        .await;
    let gateway = self::gateway(&refusing);
    let error = gateway.verify_payment("paid").await.unwrap_err();
    assert_eq!(error, GatewayError::Unauthorized);
    let shown = format!("{error} {error:?} {gateway:?}");
    for secret in [API_KEY, COLLECTION_KEY, DISBURSEMENT_KEY] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

fn payout(reference: &str) -> PayoutRequest {
    PayoutRequest {
        reference: reference.into(),
        recipient: RecipientId::new("256772000000").unwrap(),
        amount: ugx("100000"),
        reason: "ajo round 1 payout".into(),
    }
}

#[tokio::test]
async fn a_transfer_is_sent_as_documented_and_a_409_reads_the_one_made() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("POST"))
        .and(path("/disbursement/v1_0/transfer"))
        .and(header(
            "x-reference-id",
            momo_reference_id("ajo=out=g1=r1").as_str(),
        ))
        .and(header("ocp-apim-subscription-key", DISBURSEMENT_KEY))
        .and(body_json(j!({
            "amount": "100000",
            "currency": "UGX",
            "externalId": "ajo=out=g1=r1",
            "payee": {"partyIdType": "MSISDN", "partyId": "256772000000"},
            "payerMessage": "ajo round 1 payout",
            "payeeNote": "ajo round 1 payout",
        })))
        .respond_with(ResponseTemplate::new(202))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/disbursement/v1_0/transfer"))
        .respond_with(json(
            409,
            r#"{"code":"RESOURCE_ALREADY_EXIST","message":"Duplicated reference id."}"#,
        ))
        .mount(&server)
        .await;
    mount_status(
        &server,
        "transfer",
        "ajo=out=g1=r1",
        json(
            200,
            &status_body("ajo=out=g1=r1", "payee", "SUCCESSFUL", "100000", None),
        ),
    )
    .await;
    let gateway = gateway(&server);
    let first = gateway.send_payout(&payout("ajo=out=g1=r1")).await.unwrap();
    assert_eq!(first.state, PayoutState::Pending);
    let again = gateway.send_payout(&payout("ajo=out=g1=r1")).await.unwrap();
    assert_eq!(
        again.state,
        PayoutState::Succeeded,
        "the transfer made before, as MTN has it"
    );
    let status = gateway
        .verify_payout(&momo_reference_id("ajo=out=g1=r1"), "ajo=out=g1=r1")
        .await
        .unwrap();
    assert_eq!(
        (status.state, status.amount),
        (PayoutState::Succeeded, Some(ugx("100000")))
    );
    // A report naming another transfer is not looked up for this reference.
    assert!(matches!(
        gateway.verify_payout("not-this-one", "ajo=out=g1=r1").await,
        Err(GatewayError::NotFound { .. })
    ));
    assert!(!gateway.resends_failed_payouts());
}

#[tokio::test]
async fn passes_the_gateway_contract() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/disbursement/v1_0/transfer"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    mount_status(
        &server,
        "requesttopay",
        "paid-1",
        json(
            200,
            &status_body("paid-1", "payer", "SUCCESSFUL", "50000", None),
        ),
    )
    .await;
    mount_status(
        &server,
        "requesttopay",
        "nope",
        json(
            404,
            r#"{"code":"RESOURCE_NOT_FOUND","message":"Requested resource was not found."}"#,
        ),
    )
    .await;
    let fixtures = GatewayFixtures {
        collection: collection("new-1", ugx("50000")),
        paid: ("paid-1".into(), ugx("50000")),
        unknown_reference: "nope".into(),
        unsupported: Money::parse("5", Currency::JPY).unwrap(),
        recipient: RecipientDetails {
            name: "Nakato".into(),
            bank_code: "MTN".into(),
            account_number: "0772000000".into(),
            currency: "UGX".into(),
        },
        payout: payout("ajo=out=g1=r1"),
        statement: false,
    };
    run_all(&gateway(&server), &fixtures).await;
}

// ---- Through the service ----------------------------------------------------------------

/// A UGX 50,000 monthly susu of two, Kampala time, no deposit, on the in-memory store, with
/// the real MoMo gateway against the mock and a clock read between microseconds.
struct Susu {
    service: AjoService,
    store: Arc<dyn Store>,
    clock: Arc<FakeClock>,
    group: GroupId,
    verifier: MomoVerifier,
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

fn contact(name: &str, phone: &str) -> Contact {
    Contact {
        name: name.into(),
        email: None,
        phone: Some(phone.into()),
        payout_account: Some(RecipientDetails {
            name: name.into(),
            bank_code: "MTN".into(),
            account_number: phone.into(),
            currency: "UGX".into(),
        }),
    }
}

impl Susu {
    async fn new(server: &MockServer, store: Arc<dyn Store>) -> Susu {
        let clock = Arc::new(FakeClock::new(now()));
        let gateway = MomoGateway::new(config(server, clock.clone())).unwrap();
        let service = AjoService::new(
            store.clone(),
            Arc::new(gateway),
            Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
            Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
            clock.clone() as Arc<dyn Clock>,
        );
        let group = GroupId::new("g1").unwrap();
        let config = GroupConfig::builder(
            "Owino market susu",
            ugx("50000"),
            Frequency::Monthly,
            start_date(),
        )
        .time_zone(chrono_tz::Africa::Kampala)
        .grace_days(1)
        .deposit(DepositRule::None)
        .payout_policy(ajo_core::group::payout::PayoutPolicy::WhenAllPaid)
        .build()
        .unwrap();
        service.create_group(&group, config).await.unwrap();
        for (name, phone) in [("nakato", "0772 000 000"), ("okello", "+256 701 234 567")] {
            service
                .join(
                    &group,
                    &ajo_testkit::builders::member(name),
                    1,
                    &contact(name, phone),
                )
                .await
                .unwrap();
        }
        service.start(&group).await.unwrap();
        Susu {
            service,
            store,
            clock,
            group,
            verifier: MomoVerifier::new(vec![callback()]).unwrap(),
        }
    }

    fn callback(&self, url: &str, body: &str) -> GatewayEvent {
        let request = WebhookRequest::new(&[], body.as_bytes(), self.clock.now()).with_url(url);
        let outcomes = self.verifier.verify_request(&request).unwrap();
        match outcomes.as_slice() {
            [WebhookOutcome::Payment(event)] => event.clone(),
            other => panic!("expected a payment: {other:?}"),
        }
    }

    async fn paid(&self, hand: u32) -> Money {
        let state = self.service.group(&self.group).await.unwrap();
        state.due(1, HandId::new(hand).unwrap()).unwrap().paid
    }

    async fn entries(&self, reference: &str) -> usize {
        self.store
            .entries(&EntryQuery {
                reference: Some(reference.into()),
                ..EntryQuery::default()
            })
            .await
            .unwrap()
            .len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forged_callback_credits_nothing_and_the_real_one_credits_once_after_the_status_get() {
    on_every_store(
        a_forged_callback_credits_nothing_and_the_real_one_credits_once_after_the_status_get_on,
    )
    .await;
}

async fn a_forged_callback_credits_nothing_and_the_real_one_credits_once_after_the_status_get_on(
    store: Arc<dyn Store>,
) {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    let susu = Susu::new(&server, store.clone()).await;
    let checkout = susu
        .service
        .request_contribution(&susu.group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    assert_eq!(checkout.reference, REF);
    let asked = requests_to(&server, "/collection/v1_0/requesttopay").await;
    let body: serde_json::Value = serde_json::from_slice(&asked[0].body).unwrap();
    assert_eq!(
        body["payer"]["partyId"], "256772000000",
        "the member's number as an MSISDN"
    );

    let url = callback().callback_url(BASE, REF);
    let paid = status_body(REF, "payer", "SUCCESSFUL", "50000", None);
    mount_status(
        &server,
        "requesttopay",
        REF,
        json(200, &status_body(REF, "payer", "PENDING", "50000", None)),
    )
    .await;
    let forged = susu.callback(&url, &paid);
    assert_eq!(forged.authentication(), Authentication::CallbackToken);
    let outcome = susu.service.handle_gateway_event(&forged).await.unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert!(susu.paid(1).await.is_zero());
    assert_eq!(susu.entries(REF).await, 0);

    server.reset().await;
    mount_tokens(&server).await;
    mount_status(&server, "requesttopay", REF, json(200, &paid)).await;
    let real = susu.callback(&url, &paid);
    assert_eq!(
        susu.service.handle_gateway_event(&real).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        susu.service.handle_gateway_event(&real).await.unwrap(),
        Handled::Duplicate
    );
    assert_eq!(
        requests_to(
            &server,
            &format!("/collection/v1_0/requesttopay/{}", momo_reference_id(REF))
        )
        .await
        .len(),
        1,
        "confirmed once with the status GET"
    );
    assert_eq!(susu.paid(1).await, ugx("50000"));
    assert_eq!(susu.entries(REF).await, 1);
    common::trial_balance_is_zero(susu.store.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_transfer_is_sent_again_under_a_fresh_reference_and_booked_once() {
    on_every_store(a_failed_transfer_is_sent_again_under_a_fresh_reference_and_booked_once_on)
        .await;
}

async fn a_failed_transfer_is_sent_again_under_a_fresh_reference_and_booked_once_on(
    store: Arc<dyn Store>,
) {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/disbursement/v1_0/transfer"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    let susu = Susu::new(&server, store.clone()).await;
    for hand in [1, 2] {
        let asked = susu
            .service
            .request_contribution(&susu.group, 1, HandId::new(hand).unwrap())
            .await
            .unwrap();
        let paid = status_body(&asked.reference, "payer", "SUCCESSFUL", "50000", None);
        mount_status(&server, "requesttopay", &asked.reference, json(200, &paid)).await;
        let url = callback().callback_url(BASE, &asked.reference);
        let event = susu.callback(&url, &paid);
        assert_eq!(
            susu.service.handle_gateway_event(&event).await.unwrap(),
            Handled::Recorded
        );
    }
    susu.clock.set(
        Utc.from_utc_datetime(&start_date().and_hms_opt(11, 0, 0).unwrap())
            + chrono::Duration::days(2)
            + chrono::Duration::nanoseconds(321),
    );
    assert_eq!(susu.service.tick().await.unwrap().payouts_sent, 1);
    let first = "ajo=out=g1=r1";
    let retry = "ajo=out=g1=r1=a2";

    // MTN fails the transfer (the disbursement account is short); its callback is
    // confirmed by the status GET, and the payout is owed again.
    let failed = status_body(first, "payee", "FAILED", "100000", Some("NOT_ENOUGH_FUNDS"));
    mount_status(&server, "transfer", first, json(200, &failed)).await;
    let report = susu.callback(&callback().callback_url(BASE, first), &failed);
    assert_eq!(
        susu.service.handle_gateway_event(&report).await.unwrap(),
        Handled::Recorded
    );

    // MTN will not take that X-Reference-Id again: the next tick sends a new attempt.
    susu.clock.advance(chrono::Duration::hours(3));
    assert_eq!(susu.service.tick().await.unwrap().payouts_sent, 1);
    let transfers = requests_to(&server, "/disbursement/v1_0/transfer").await;
    let ids: Vec<_> = transfers
        .iter()
        .map(|r| {
            r.headers
                .get("x-reference-id")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, [momo_reference_id(first), momo_reference_id(retry)]);

    let succeeded = status_body(retry, "payee", "SUCCESSFUL", "100000", None);
    mount_status(&server, "transfer", retry, json(200, &succeeded)).await;
    let report = susu.callback(&callback().callback_url(BASE, retry), &succeeded);
    assert_eq!(
        susu.service.handle_gateway_event(&report).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        susu.service.handle_gateway_event(&report).await.unwrap(),
        Handled::Duplicate
    );
    let state = susu.service.group(&susu.group).await.unwrap();
    let wallet = state
        .accounts()
        .unwrap()
        .wallet(&ajo_testkit::builders::member("nakato"));
    assert!(
        susu.store.balance(&wallet).await.unwrap().is_zero(),
        "paid out once"
    );
    susu.clock.advance(chrono::Duration::hours(3));
    assert_eq!(susu.service.tick().await.unwrap().payouts_sent, 0);
    common::trial_balance_is_zero(susu.store.as_ref()).await;
}

/// Runs `test` on the in-memory store, then on PostgreSQL (skipped, with a note, when no
/// server answers and `CI` is not set).
async fn on_every_store<F, Fut>(test: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    test(Arc::new(InMemoryStore::new())).await;
    if let Some(db) = pgdb::TestDb::connect().await {
        test(Arc::new(db.store(4).await)).await;
        db.cleanup().await;
    }
}

/// A status MTN documents nowhere (`ONGOING`) is not taken for anything; the collection
/// is still closed at its expiry, so `tick` does not ask about it for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_collection_whose_status_cannot_be_read_still_expires() {
    on_every_store(a_collection_whose_status_cannot_be_read_still_expires_on).await;
}

async fn a_collection_whose_status_cannot_be_read_still_expires_on(store: Arc<dyn Store>) {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    mount_status(
        &server,
        "requesttopay",
        REF,
        json(200, &status_body(REF, "payer", "ONGOING", "50000", None)),
    )
    .await;
    let susu = Susu::new(&server, store.clone()).await;
    susu.service
        .request_contribution(&susu.group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let status_path = format!("/collection/v1_0/requesttopay/{}", momo_reference_id(REF));
    susu.clock.advance(chrono::Duration::hours(2));
    let report = susu.service.tick().await.unwrap();
    assert_eq!(
        report.errors.len(),
        1,
        "an answer not understood is an error, not a state"
    );
    susu.clock.advance(chrono::Duration::hours(25));
    let report = susu.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let asked = requests_to(&server, &status_path).await.len();
    susu.clock.advance(chrono::Duration::hours(25));
    susu.service.tick().await.unwrap();
    assert_eq!(
        requests_to(&server, &status_path).await.len(),
        asked,
        "expired: not asked again"
    );
    assert!(susu.paid(1).await.is_zero());
}
