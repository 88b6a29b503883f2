//! The M-Pesa (Daraja) adapter against a local mock of Daraja: the exact requests it
//! sends (token, STK Push with its password, STK Push Query, B2C with its tag), what each
//! documented answer becomes (paid, insufficient funds, cancelled, still processing,
//! timeouts, duplicates), the contract suite, and money through the service on the
//! in-memory store with callbacks read by `MpesaVerifier`: a forged STK callback credits
//! nothing, the real one credits once after Daraja confirms it, and a B2C payout is paid
//! once across a timeout and a duplicate result.
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

use ajo_adapters::http::{HttpConfig, RetryPolicy};
use ajo_adapters::mpesa::{B2cConfig, MpesaConfig, MpesaGateway};
use ajo_core::calendar::Frequency;
use ajo_core::group::GroupConfig;
use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId, RecipientId};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    Clock, CollectionQuery, CollectionRequest, EmailSender, EntryQuery, GatewayError,
    PaymentGateway, PaymentState, PayoutRequest, PayoutState, RecipientDetails, SmsSender, Store,
};
use ajo_core::service::{AjoService, Contact, Handled};
use ajo_core::webhook::{
    Authentication, CallbackSecret, GatewayEvent, MPESA_B2C_TAG, MpesaVerifier, Provider,
    WebhookOutcome, WebhookRequest, WebhookVerifier,
};
use ajo_testkit::InMemoryStore;
use ajo_testkit::conformance::gateway::{GatewayFixtures, run_all};
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeSms};
use base64::Engine as _;
use chrono::{NaiveDate, TimeZone, Utc};
use common::json;
use secrecy::SecretString;
use serde_json::json as j;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "GvzjNnYgNJtwgwfLBkZh65VOwXMDCtzG";
const SECRET: &str = "x2kNwmGdlNUK8ZbA";
const SHORTCODE: &str = "174379";
const PASSKEY: &str = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";
const CREDENTIAL: &str = "RC6E9WDxXR4b9X2c6z3gp0oC5Th==";
const BASE: &str = "https://pay.example.com/webhooks/mpesa";
const REF: &str = "ajo=ctb=g1=r1=h1";
const CHECKOUT: &str = "ws_CO_191220191020363925";

fn callback() -> CallbackSecret {
    CallbackSecret::new(
        Provider::Mpesa,
        SecretString::from("mpesa-callback-secret-0123456789abcdef"),
    )
    .unwrap()
}

/// The deployment's payout key: B2C ids are tagged with it, never with the (rolled)
/// callback secret.
fn payout_key() -> CallbackSecret {
    CallbackSecret::new(
        Provider::Mpesa,
        SecretString::from("mpesa-payout-key-fedcba9876543210fedcba"),
    )
    .unwrap()
}

/// 06:00:00.987654321 UTC: 09:00:00 in Nairobi, and a clock read between microseconds.
fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 6, 0, 0).unwrap() + chrono::Duration::nanoseconds(987_654_321)
}

const TIMESTAMP: &str = "20260110090000";

fn password() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{SHORTCODE}{PASSKEY}{TIMESTAMP}"))
}

fn config(server: &MockServer, clock: Arc<dyn Clock>) -> MpesaConfig {
    MpesaConfig::new(
        KEY,
        SecretString::from(SECRET),
        SHORTCODE,
        SecretString::from(PASSKEY),
        callback(),
        BASE,
    )
    .with_b2c(B2cConfig::new(
        "600992",
        "testapi",
        SecretString::from(CREDENTIAL),
        payout_key(),
    ))
    .with_clock(clock)
    .with_http(common::http(&server.uri()))
}

fn gateway(server: &MockServer) -> MpesaGateway {
    MpesaGateway::new(config(server, Arc::new(FakeClock::new(now())))).unwrap()
}

fn kes(amount: &str) -> Money {
    Money::parse(amount, Currency::KES).unwrap()
}

fn collection(reference: &str, amount: Money) -> CollectionRequest {
    CollectionRequest {
        reference: reference.into(),
        amount,
        email: String::new(),
        description: "round 1 contribution".into(),
        callback_url: None,
        payer_phone: Some("0712 345 678".into()),
    }
}

async fn mount_token(server: &MockServer, expires_in: serde_json::Value) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    Mock::given(method("GET"))
        .and(path("/oauth/v1/generate"))
        .and(query_param("grant_type", "client_credentials"))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .respond_with(json(
            200,
            &j!({"access_token": "c9SQxWWhmdVRlyh0zh8gZDTkubVF", "expires_in": expires_in})
                .to_string(),
        ))
        .mount(server)
        .await;
}

fn pushed(checkout: &str) -> String {
    j!({"MerchantRequestID": "2654-4b64-97ff-b827b542881d3130", "CheckoutRequestID": checkout,
        "ResponseCode": "0", "ResponseDescription": "Success. Request accepted for processing",
        "CustomerMessage": "Success. Request accepted for processing"})
    .to_string()
}

async fn mount_push(server: &MockServer, checkout: &str) {
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .and(header(
            "authorization",
            "Bearer c9SQxWWhmdVRlyh0zh8gZDTkubVF",
        ))
        .respond_with(json(200, &pushed(checkout)))
        .mount(server)
        .await;
}

fn queried(checkout: &str, code: &str, desc: &str) -> String {
    j!({"ResponseCode": "0", "ResponseDescription": "The service request has been accepted successsfully",
        "MerchantRequestID": "22205-34066-1", "CheckoutRequestID": checkout,
        "ResultCode": code, "ResultDesc": desc})
    .to_string()
}

const PROCESSING: &str = r#"{"requestId":"ws_CO_20022018230142206","errorCode":"500.001.1001","errorMessage":"The transaction is being processed"}"#;

async fn mount_query(server: &MockServer, checkout: &str, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpushquery/v1/query"))
        .and(body_partial_json(j!({"CheckoutRequestID": checkout})))
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn requests_to(server: &MockServer, to: &str) -> Vec<serde_json::Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == to)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn stk_push_sends_the_documented_request_with_its_password() {
    let server = MockServer::start().await;
    // Older Daraja docs and many clients have `expires_in` as a string: both are read.
    mount_token(&server, j!("3599")).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .and(header(
            "authorization",
            "Bearer c9SQxWWhmdVRlyh0zh8gZDTkubVF",
        ))
        .and(body_partial_json(j!({
            "BusinessShortCode": SHORTCODE,
            "Password": password(),
            "Timestamp": TIMESTAMP,
            "TransactionType": "CustomerPayBillOnline",
            "Amount": 1500,
            "PartyA": "254712345678",
            "PartyB": SHORTCODE,
            "PhoneNumber": "254712345678",
            "CallBackURL": callback().callback_url(BASE, REF),
            "AccountReference": "ajo",
            "TransactionDesc": "round 1 contr",
        })))
        .respond_with(json(200, &pushed(CHECKOUT)))
        .expect(1)
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    let started = gateway
        .start_collection(&collection(REF, kes("1500")))
        .await
        .unwrap();
    assert_eq!(started.provider_reference.as_deref(), Some(CHECKOUT));
    assert_eq!(started.checkout_url, None);
    // Daraja has no idempotency key for a push: the same reference again is answered
    // from memory, never pushed twice; and the token was fetched once.
    let again = gateway
        .start_collection(&collection(REF, kes("1500")))
        .await
        .unwrap();
    assert_eq!(again.provider_reference.as_deref(), Some(CHECKOUT));
    assert_eq!(requests_to(&server, "/oauth/v1/generate").await.len(), 1);
}

#[tokio::test]
async fn what_daraja_cannot_take_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let gateway = gateway(&server);
    let mut no_phone = collection(REF, kes("100"));
    no_phone.payer_phone = None;
    let mut ugandan = collection(REF, kes("100"));
    ugandan.payer_phone = Some("+256 772 000000".into());
    let mut garbled = collection(REF, kes("100"));
    garbled.payer_phone = Some("07123".into());
    for request in [
        collection(REF, kes("100.50")),
        collection(REF, kes("0")),
        collection(REF, Money::parse("100", Currency::NGN).unwrap()),
        no_phone,
        ugandan,
        garbled,
    ] {
        match gateway.start_collection(&request).await {
            Err(GatewayError::InvalidRequest { .. }) => {}
            other => panic!("{request:?}: {other:?}"),
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_stk_query_reads_paid_insufficient_cancelled_and_processing() {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    let cases = [
        (
            "ws_CO_paid",
            json(
                200,
                &queried(
                    "ws_CO_paid",
                    "0",
                    "The service request is processed successfully.",
                ),
            ),
            PaymentState::Succeeded,
        ),
        (
            "ws_CO_poor",
            json(
                200,
                &queried(
                    "ws_CO_poor",
                    "1",
                    "The balance is insufficient for the transaction.",
                ),
            ),
            PaymentState::Failed,
        ),
        (
            "ws_CO_gone",
            json(
                200,
                &queried("ws_CO_gone", "1032", "Request canceled by the user"),
            ),
            PaymentState::Failed,
        ),
        (
            "ws_CO_away",
            json(
                200,
                &queried("ws_CO_away", "1037", "DS timeout user cannot be reached"),
            ),
            PaymentState::Failed,
        ),
        ("ws_CO_wait", json(500, PROCESSING), PaymentState::Pending),
        (
            "ws_CO_late",
            json(
                200,
                &queried(
                    "ws_CO_late",
                    "4999",
                    "The transaction is still under processing",
                ),
            ),
            PaymentState::Pending,
        ),
    ];
    for (checkout, answer, _) in &cases {
        mount_query(&server, checkout, answer.clone()).await;
    }
    let gateway = gateway(&server);
    for (checkout, _, state) in cases {
        let query = CollectionQuery::new(REF).with_checkout(Some(checkout), Some(kes("1500")));
        let status = gateway.verify_collection(&query).await.unwrap();
        assert_eq!(status.state, state, "{checkout}");
        // A push is for a fixed amount: paid means paid what was asked.
        let expected = (state == PaymentState::Succeeded).then(|| kes("1500"));
        assert_eq!(status.amount, expected, "{checkout}");
    }
    let sent = requests_to(&server, "/mpesa/stkpushquery/v1/query").await;
    assert!(sent.iter().all(|b| b["Password"] == password().as_str()
        && b["Timestamp"] == TIMESTAMP
        && b["BusinessShortCode"] == SHORTCODE));
}

#[tokio::test]
async fn a_report_about_another_push_is_not_found_without_asking() {
    let server = MockServer::start().await;
    let gateway = gateway(&server);
    let query = CollectionQuery::new(REF)
        .with_transaction_id(Some("ws_CO_someone_elses"))
        .with_checkout(Some(CHECKOUT), Some(kes("1500")));
    assert!(matches!(
        gateway.verify_collection(&query).await,
        Err(GatewayError::NotFound { .. })
    ));
    // Nothing recorded (the push's answer was lost): pending, never a guess.
    let unknown = CollectionQuery::new("ajo=ctb=g1=r9=h1").with_checkout(None, None);
    assert_eq!(
        gateway.verify_collection(&unknown).await.unwrap().state,
        PaymentState::Pending
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_token_is_fetched_again_once() {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpushquery/v1/query"))
        .respond_with(json(
            404,
            r#"{"requestId":"1","errorCode":"404.001.03","errorMessage":"Invalid Access Token"}"#,
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    mount_query(&server, CHECKOUT, json(200, &queried(CHECKOUT, "0", "ok"))).await;
    let gateway = gateway(&server);
    let query = CollectionQuery::new(REF).with_checkout(Some(CHECKOUT), Some(kes("10")));
    assert_eq!(
        gateway.verify_collection(&query).await.unwrap().state,
        PaymentState::Succeeded
    );
    assert_eq!(requests_to(&server, "/oauth/v1/generate").await.len(), 2);
}

#[tokio::test]
async fn refused_credentials_are_unauthorized_and_no_secret_shows() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oauth/v1/generate"))
        .respond_with(json(
            400,
            r#"{"requestId":"1","errorCode":"400.008.01","errorMessage":"Invalid Authentication passed"}"#,
        ))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    let error = gateway
        .start_collection(&collection(REF, kes("10")))
        .await
        .unwrap_err();
    assert_eq!(error, GatewayError::Unauthorized);
    let shown = format!("{error} {error:?} {gateway:?}");
    for secret in [SECRET, PASSKEY, CREDENTIAL] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[tokio::test]
async fn a_push_that_times_out_is_not_sent_again() {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .respond_with(json(200, &pushed(CHECKOUT)).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    assert_eq!(
        gateway
            .start_collection(&collection(REF, kes("10")))
            .await
            .unwrap_err(),
        GatewayError::Timeout
    );
    assert_eq!(
        requests_to(&server, "/mpesa/stkpush/v1/processrequest")
            .await
            .len(),
        1,
        "a second push would be a second prompt the payer could pay"
    );
}

#[tokio::test]
async fn daraja_refusals_keep_their_meaning() {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    let answers = [
        (
            400,
            r#"{"requestId":"9458-79414631-1","errorCode":"400.002.02","errorMessage":"Bad Request - Invalid PhoneNumber"}"#,
        ),
        (
            500,
            r#"{"requestId":"1","errorCode":"500.001.1001","errorMessage":"Unable to lock subscriber, a transaction is already in process for the current subscriber"}"#,
        ),
        (
            500,
            r#"{"requestId":"1","errorCode":"500.003.02","errorMessage":"Error Occurred: Spike Arrest Violation"}"#,
        ),
    ];
    let gateway = MpesaGateway::new(
        config(&server, Arc::new(FakeClock::new(now())))
            .with_http(HttpConfig::new(server.uri()).with_retry(RetryPolicy::none())),
    )
    .unwrap();
    let mut outcomes = Vec::new();
    for (status, body) in answers {
        server.reset().await;
        mount_token(&server, j!(3599)).await;
        Mock::given(method("POST"))
            .and(path("/mpesa/stkpush/v1/processrequest"))
            .respond_with(json(status, body))
            .mount(&server)
            .await;
        outcomes.push(
            gateway
                .start_collection(&collection(
                    &format!("{REF}-{status}-{}", outcomes.len()),
                    kes("10"),
                ))
                .await
                .unwrap_err(),
        );
    }
    assert!(
        matches!(&outcomes[0], GatewayError::InvalidRequest { message } if message.contains("Invalid PhoneNumber"))
    );
    assert_eq!(
        outcomes[1],
        GatewayError::Declined {
            code: "500.001.1001".into()
        }
    );
    assert!(matches!(outcomes[2], GatewayError::RateLimited { .. }));
}

fn payout(amount: &str) -> PayoutRequest {
    PayoutRequest {
        reference: "ajo=out=g1=r1".into(),
        recipient: RecipientId::new("254712345678").unwrap(),
        amount: kes(amount),
        reason: "ajo round 1 payout".into(),
    }
}

fn b2c_accepted(originator: &str) -> String {
    j!({"ConversationID": "AG_20240706_20106e9209f64bebd05b", "OriginatorConversationID": originator,
        "ResponseCode": "0", "ResponseDescription": "Accept the service request successfully."})
    .to_string()
}

const DUPLICATE: &str = r#"{"requestId":"1","errorCode":"500.002.1001","errorMessage":"Duplicate OriginatorConversationID."}"#;

#[tokio::test]
async fn b2c_sends_the_documented_request_tagged_and_a_duplicate_is_the_same_payout() {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    let tag = payout_key().tag(MPESA_B2C_TAG, "ajo=out=g1=r1");
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .and(body_partial_json(j!({
            "OriginatorConversationID": tag,
            "InitiatorName": "testapi",
            "SecurityCredential": CREDENTIAL,
            "CommandID": "BusinessPayment",
            "Amount": 2000,
            "PartyA": "600992",
            "PartyB": "254712345678",
            "Remarks": "ajo round 1 payout",
            "QueueTimeOutURL": callback().callback_url(BASE, "ajo=out=g1=r1"),
            "ResultURL": callback().callback_url(BASE, "ajo=out=g1=r1"),
            "Occassion": "ajo=out=g1=r1",
        })))
        .respond_with(json(200, &b2c_accepted(&tag)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .respond_with(json(500, DUPLICATE))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    let receipt = gateway.send_payout(&payout("2000")).await.unwrap();
    assert_eq!(receipt.state, PayoutState::Pending);
    assert_eq!(
        receipt.provider_reference.as_deref(),
        Some("AG_20240706_20106e9209f64bebd05b")
    );
    let again = gateway.send_payout(&payout("2000")).await.unwrap();
    assert_eq!(
        again.state,
        PayoutState::Pending,
        "accepted before, not failed"
    );
    let sent = requests_to(&server, "/mpesa/b2c/v3/paymentrequest").await;
    assert!(
        sent.iter()
            .all(|b| b["OriginatorConversationID"] == tag.as_str())
    );
    // The duplicate means no result was booked: Daraja is asked what became of it.
    let asked = requests_to(&server, "/mpesa/transactionstatus/v1/query").await;
    assert_eq!(asked.len(), 1);
    let status_url = format!(
        "{}&kind=status",
        callback().callback_url(BASE, "ajo=out=g1=r1")
    );
    assert_eq!(
        asked[0],
        j!({
            "Initiator": "testapi",
            "SecurityCredential": CREDENTIAL,
            "CommandID": "TransactionStatusQuery",
            "TransactionID": "",
            "OriginalConversationID": tag,
            "PartyA": "600992",
            "IdentifierType": "4",
            "ResultURL": status_url,
            "QueueTimeOutURL": status_url,
            "Remarks": "ajo payout status",
            "Occasion": "ajo=out=g1=r1",
        })
    );
    match gateway.send_payout(&payout("2000.50")).await {
        Err(GatewayError::InvalidRequest { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_recipient_is_a_kenyan_number_and_nothing_else() {
    let server = MockServer::start().await;
    let gateway = gateway(&server);
    let details = |number: &str, currency: &str| RecipientDetails {
        name: "Wanjiku".into(),
        bank_code: "MPESA".into(),
        account_number: number.into(),
        currency: currency.into(),
    };
    assert_eq!(
        gateway
            .create_recipient(&details("+254 712 345 678", "KES"))
            .await
            .unwrap()
            .as_str(),
        "254712345678"
    );
    for refused in [details("0712345678", "NGN"), details("12345", "KES")] {
        assert!(matches!(
            gateway.create_recipient(&refused).await,
            Err(GatewayError::InvalidRequest { .. })
        ));
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn passes_the_gateway_contract() {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    mount_push(&server, CHECKOUT).await;
    mount_query(&server, CHECKOUT, json(200, &queried(CHECKOUT, "0", "ok"))).await;
    let tag = payout_key().tag(MPESA_B2C_TAG, "ajo=out=g1=r1");
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .respond_with(json(200, &b2c_accepted(&tag)))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    // The paid collection was pushed by this gateway: Daraja finds it by its checkout.
    gateway
        .start_collection(&collection("paid-1", kes("1500")))
        .await
        .unwrap();
    let fixtures = GatewayFixtures {
        collection: collection("new-1", kes("1500")),
        paid: ("paid-1".into(), kes("1500")),
        unknown_reference: "never-pushed".into(),
        unsupported: Money::parse("5", Currency::JPY).unwrap(),
        recipient: RecipientDetails {
            name: "Wanjiku".into(),
            bank_code: "MPESA".into(),
            account_number: "0712345678".into(),
            currency: "KES".into(),
        },
        payout: payout("2000"),
        statement: false,
    };
    run_all(&gateway, &fixtures).await;
}

// ---- Through the service ----------------------------------------------------------------

/// A KES 1,000 monthly chama of two, Nairobi time, no deposit, on the in-memory store, with
/// the real M-Pesa gateway against the mock and a clock read between microseconds.
struct Chama {
    service: AjoService,
    store: Arc<dyn Store>,
    clock: Arc<FakeClock>,
    group: GroupId,
    verifier: MpesaVerifier,
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

fn member_contact(name: &str, phone: &str) -> Contact {
    Contact {
        name: name.into(),
        email: None,
        phone: Some(phone.into()),
        payout_account: Some(RecipientDetails {
            name: name.into(),
            bank_code: "MPESA".into(),
            account_number: phone.into(),
            currency: "KES".into(),
        }),
    }
}

impl Chama {
    async fn new(server: &MockServer, store: Arc<dyn Store>) -> Chama {
        let clock = Arc::new(FakeClock::new(now()));
        let gateway = MpesaGateway::new(config(server, clock.clone())).unwrap();
        let service = AjoService::new(
            store.clone(),
            Arc::new(gateway),
            Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
            Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
            clock.clone() as Arc<dyn Clock>,
        );
        let group = GroupId::new("g1").unwrap();
        let config = GroupConfig::builder(
            "Kibera chama",
            kes("1000"),
            Frequency::Monthly,
            start_date(),
        )
        .time_zone(chrono_tz::Africa::Nairobi)
        .grace_days(1)
        .deposit(DepositRule::None)
        .payout_policy(ajo_core::group::payout::PayoutPolicy::WhenAllPaid)
        .build()
        .unwrap();
        service.create_group(&group, config).await.unwrap();
        for (name, phone) in [("wanjiku", "0712 345 678"), ("otieno", "+254 722 000 111")] {
            service
                .join(
                    &group,
                    &ajo_testkit::builders::member(name),
                    1,
                    &member_contact(name, phone),
                )
                .await
                .unwrap();
        }
        service.start(&group).await.unwrap();
        Chama {
            service,
            store,
            clock,
            group,
            verifier: MpesaVerifier::new(vec![callback()])
                .unwrap()
                .with_payout_key(payout_key()),
        }
    }

    /// What Daraja (or a forger) posts to `url`, read as the webhook server reads it.
    fn callback(
        &self,
        url: &str,
        body: &str,
    ) -> Result<GatewayEvent, ajo_core::webhook::WebhookError> {
        let request = WebhookRequest::new(&[], body.as_bytes(), self.clock.now()).with_url(url);
        let outcomes = self.verifier.verify_request(&request)?;
        match outcomes.as_slice() {
            [WebhookOutcome::Payment(event)] => Ok(event.clone()),
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

fn stk_paid(checkout: &str, amount: &str) -> String {
    format!(
        r#"{{"Body":{{"stkCallback":{{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"{checkout}","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{{"Item":[{{"Name":"Amount","Value":{amount}}},{{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"}},{{"Name":"Balance"}},{{"Name":"TransactionDate","Value":20260110090512}},{{"Name":"PhoneNumber","Value":254712345678}}]}}}}}}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forged_stk_callback_credits_nothing_and_the_real_one_credits_once_after_the_query() {
    on_every_store(
        a_forged_stk_callback_credits_nothing_and_the_real_one_credits_once_after_the_query_on,
    )
    .await;
}

async fn a_forged_stk_callback_credits_nothing_and_the_real_one_credits_once_after_the_query_on(
    store: Arc<dyn Store>,
) {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    mount_push(&server, CHECKOUT).await;
    let chama = Chama::new(&server, store.clone()).await;
    let checkout = chama
        .service
        .request_contribution(&chama.group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    assert_eq!(checkout.reference, REF);
    assert_eq!(checkout.provider_reference.as_deref(), Some(CHECKOUT));
    let pushes = requests_to(&server, "/mpesa/stkpush/v1/processrequest").await;
    assert_eq!(pushes.len(), 1);
    assert_eq!(
        pushes[0]["PhoneNumber"], "254712345678",
        "the member's number, as Daraja takes it"
    );
    assert_eq!(pushes[0]["Amount"], 1000);
    let url = callback().callback_url(BASE, REF);

    // Not at the token URL: refused unread.
    let guessed = format!("{BASE}/0123456789abcdef0123456789abcdef?ref={REF}");
    assert!(
        chama
            .callback(&guessed, &stk_paid(CHECKOUT, "1000.00"))
            .unwrap_err()
            .is_rejected_request()
    );

    // At the token URL (leaked, say), before the member has paid: Daraja says the push is
    // still being processed, so nothing is credited.
    mount_query(&server, CHECKOUT, json(500, PROCESSING)).await;
    let forged = chama
        .callback(&url, &stk_paid(CHECKOUT, "1000.00"))
        .unwrap();
    assert_eq!(forged.authentication(), Authentication::CallbackToken);
    let outcome = chama.service.handle_gateway_event(&forged).await.unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    // Naming another push (someone else's, paid) is refused without even asking Daraja.
    let queries = requests_to(&server, "/mpesa/stkpushquery/v1/query")
        .await
        .len();
    let elsewhere = chama
        .callback(&url, &stk_paid("ws_CO_someone_else_paid", "1000.00"))
        .unwrap();
    let outcome = chama
        .service
        .handle_gateway_event(&elsewhere)
        .await
        .unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        requests_to(&server, "/mpesa/stkpushquery/v1/query")
            .await
            .len(),
        queries
    );
    assert!(chama.paid(1).await.is_zero());
    assert_eq!(chama.entries(REF).await, 0);

    // The member pays. The real callback (here claiming another amount first) is credited
    // only as Daraja confirms it: for exactly what was pushed.
    server.reset().await;
    mount_token(&server, j!(3599)).await;
    mount_query(
        &server,
        CHECKOUT,
        json(
            200,
            &queried(
                CHECKOUT,
                "0",
                "The service request is processed successfully.",
            ),
        ),
    )
    .await;
    let inflated = chama
        .callback(&url, &stk_paid(CHECKOUT, "9000.00"))
        .unwrap();
    let outcome = chama.service.handle_gateway_event(&inflated).await.unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    let real = chama
        .callback(&url, &stk_paid(CHECKOUT, "1000.00"))
        .unwrap();
    assert_eq!(
        chama.service.handle_gateway_event(&real).await.unwrap(),
        Handled::Recorded
    );
    let asked = requests_to(&server, "/mpesa/stkpushquery/v1/query").await;
    assert_eq!(asked.len(), 2, "each report was confirmed with Daraja");
    assert!(asked.iter().all(|b| b["CheckoutRequestID"] == CHECKOUT));
    assert_eq!(
        chama.service.handle_gateway_event(&real).await.unwrap(),
        Handled::Duplicate
    );
    assert_eq!(chama.paid(1).await, kes("1000"));
    assert_eq!(chama.entries(REF).await, 1, "credited once");
    assert_eq!(
        requests_to(&server, "/mpesa/stkpushquery/v1/query")
            .await
            .len(),
        2,
        "a duplicate is not asked about again"
    );
    // tick's re-verification finds it settled and asks no more.
    chama.clock.advance(chrono::Duration::hours(2));
    let report = chama.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(chama.entries(REF).await, 1);
    common::trial_balance_is_zero(chama.store.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_stk_callback_is_recovered_by_ticks_query() {
    on_every_store(a_lost_stk_callback_is_recovered_by_ticks_query_on).await;
}

async fn a_lost_stk_callback_is_recovered_by_ticks_query_on(store: Arc<dyn Store>) {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    mount_push(&server, CHECKOUT).await;
    mount_query(&server, CHECKOUT, json(200, &queried(CHECKOUT, "0", "ok"))).await;
    let chama = Chama::new(&server, store.clone()).await;
    chama
        .service
        .request_contribution(&chama.group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    chama.clock.advance(chrono::Duration::hours(2));
    let report = chama.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.reverified, 1);
    assert_eq!(chama.paid(1).await, kes("1000"));
    common::trial_balance_is_zero(chama.store.as_ref()).await;
}

fn b2c_result(originator: &str, code: u32, amount: u32) -> String {
    if code == 0 {
        format!(
            r#"{{"Result":{{"ResultType":0,"ResultCode":0,"ResultDesc":"The service request is processed successfully.","OriginatorConversationID":"{originator}","ConversationID":"AG_20260202_2010364430d9bbdaf872","TransactionID":"SG632NMUAB","ResultParameters":{{"ResultParameter":[{{"Key":"TransactionAmount","Value":{amount}}},{{"Key":"TransactionReceipt","Value":"SG632NMUAB"}},{{"Key":"ReceiverPartyPublicName","Value":"254712345678 - WANJIKU"}},{{"Key":"B2CRecipientIsRegisteredCustomer","Value":"Y"}}]}},"ReferenceData":{{"ReferenceItem":{{"Key":"QueueTimeoutURL","Value":"https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit"}}}}}}}}"#
        )
    } else {
        format!(
            r#"{{"Result":{{"ResultType":0,"ResultCode":{code},"ResultDesc":"The balance is insufficient for the transaction.","OriginatorConversationID":"{originator}","ConversationID":"AG_20260202_201062f6f6f5804f7a33","TransactionID":"SG722NMVXQ"}}}}"#
        )
    }
}

/// Both contributions collected (each confirmed by the STK query), then the clock past
/// the due date and grace, so `tick` sends round 1's KES 2,000 payout by B2C.
async fn collect_round_and_tick(chama: &Chama, server: &MockServer) {
    for (hand, checkout) in [(1, "ws_CO_h1"), (2, "ws_CO_h2")] {
        Mock::given(method("POST"))
            .and(path("/mpesa/stkpush/v1/processrequest"))
            .respond_with(json(200, &pushed(checkout)))
            .up_to_n_times(1)
            .mount(server)
            .await;
        mount_query(server, checkout, json(200, &queried(checkout, "0", "ok"))).await;
        let asked = chama
            .service
            .request_contribution(&chama.group, 1, HandId::new(hand).unwrap())
            .await
            .unwrap();
        let url = callback().callback_url(BASE, &asked.reference);
        let event = chama
            .callback(&url, &stk_paid(checkout, "1000.00"))
            .unwrap();
        assert_eq!(
            chama.service.handle_gateway_event(&event).await.unwrap(),
            Handled::Recorded
        );
    }
    chama.clock.set(
        Utc.from_utc_datetime(&start_date().and_hms_opt(11, 0, 0).unwrap())
            + chrono::Duration::days(2)
            + chrono::Duration::nanoseconds(123),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_b2c_payout_is_paid_once_across_a_timeout_and_a_duplicate_result() {
    on_every_store(a_b2c_payout_is_paid_once_across_a_timeout_and_a_duplicate_result_on).await;
}

async fn a_b2c_payout_is_paid_once_across_a_timeout_and_a_duplicate_result_on(
    store: Arc<dyn Store>,
) {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    let chama = Chama::new(&server, store.clone()).await;
    collect_round_and_tick(&chama, &server).await;
    let reference = "ajo=out=g1=r1";
    let tag = payout_key().tag(MPESA_B2C_TAG, reference);
    // Daraja takes the payout but its answer is too slow; the safe retry (same
    // OriginatorConversationID) is refused as a duplicate: accepted before.
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .respond_with(json(200, &b2c_accepted(&tag)).set_delay(Duration::from_secs(2)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .respond_with(json(500, DUPLICATE))
        .mount(&server)
        .await;
    let report = chama.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.payouts_sent, 1);
    let sent = requests_to(&server, "/mpesa/b2c/v3/paymentrequest").await;
    assert!(sent.len() >= 2, "the timed-out request was sent again");
    assert!(
        sent.iter()
            .all(|b| b["OriginatorConversationID"] == tag.as_str() && b["Amount"] == 2000)
    );
    let state = chama.service.group(&chama.group).await.unwrap();
    let wallet = state
        .accounts()
        .unwrap()
        .wallet(&ajo_testkit::builders::member("wanjiku"));
    assert_eq!(
        chama.store.balance(&wallet).await.unwrap(),
        kes("-2000"),
        "still owed"
    );

    // A result at the token URL without this payout's tag proves nothing: not booked.
    let url = callback().callback_url(BASE, reference);
    let untagged = chama
        .callback(&url, &b2c_result("600997_Test_32et3241ed8yu", 0, 2000))
        .unwrap();
    assert_eq!(untagged.authentication(), Authentication::CallbackToken);
    let outcome = chama.service.handle_gateway_event(&untagged).await.unwrap();
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert_eq!(chama.store.balance(&wallet).await.unwrap(), kes("-2000"));
    // Nor does it bring the next send forward: anyone with the URL could send it.
    let before = requests_to(&server, "/mpesa/b2c/v3/paymentrequest")
        .await
        .len();
    assert_eq!(chama.service.tick().await.unwrap().payouts_sent, 0);
    assert_eq!(
        requests_to(&server, "/mpesa/b2c/v3/paymentrequest")
            .await
            .len(),
        before
    );

    // Daraja's result, tagged, booked once however often it comes.
    let result = chama.callback(&url, &b2c_result(&tag, 0, 2000)).unwrap();
    assert_eq!(result.authentication(), Authentication::CallbackTag);
    assert_eq!(
        chama.service.handle_gateway_event(&result).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        chama.service.handle_gateway_event(&result).await.unwrap(),
        Handled::Duplicate
    );
    assert!(
        chama.store.balance(&wallet).await.unwrap().is_zero(),
        "paid out once"
    );
    assert_eq!(chama.entries(reference).await, 1, "one payout entry");
    // Nothing is owed: tick sends nothing more.
    chama.clock.advance(chrono::Duration::hours(3));
    let report = chama.service.tick().await.unwrap();
    assert_eq!(report.payouts_sent, 0);
    assert_eq!(
        requests_to(&server, "/mpesa/b2c/v3/paymentrequest")
            .await
            .len(),
        sent.len()
    );
    common::trial_balance_is_zero(chama.store.as_ref()).await;
}

fn status_result(originator: &str, amount: u32) -> String {
    format!(
        r#"{{"Result":{{"ConversationID":"AG_20260203_0000493344ae97d86f75","OriginatorConversationID":"3213-416199-2","ResultCode":0,"ResultDesc":"The service request is processed successfully.","ResultParameters":{{"ResultParameter":[{{"Key":"OriginatorConversationID","Value":"{originator}"}},{{"Key":"TransactionStatus","Value":"Completed"}},{{"Key":"Amount","Value":"{amount}"}},{{"Key":"ReceiptNo","Value":"SG632NMUAB"}},{{"Key":"TransactionReason"}}]}},"ResultType":0,"TransactionID":"SG632NMUAB"}}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_b2c_result_is_recovered_by_the_transaction_status_query() {
    on_every_store(a_lost_b2c_result_is_recovered_by_the_transaction_status_query_on).await;
}

async fn a_lost_b2c_result_is_recovered_by_the_transaction_status_query_on(store: Arc<dyn Store>) {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    let chama = Chama::new(&server, store.clone()).await;
    collect_round_and_tick(&chama, &server).await;
    let reference = "ajo=out=g1=r1";
    let tag = payout_key().tag(MPESA_B2C_TAG, reference);
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .respond_with(json(200, &b2c_accepted(&tag)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .respond_with(json(500, DUPLICATE))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/transactionstatus/v1/query"))
        .respond_with(json(200, r#"{"OriginatorConversationID":"1236-7134259-1","ConversationID":"AG_20210709_1234409f86436c583e3f","ResponseCode":"0","ResponseDescription":"Accept the service request successfully."}"#))
        .mount(&server)
        .await;
    assert_eq!(chama.service.tick().await.unwrap().payouts_sent, 1);
    // Daraja's result never comes. The next look sends the payout again (refused as a
    // duplicate, so not paid twice) and asks for its status.
    chama.clock.advance(chrono::Duration::hours(3));
    let report = chama.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        requests_to(&server, "/mpesa/transactionstatus/v1/query")
            .await
            .len(),
        1
    );
    let state = chama.service.group(&chama.group).await.unwrap();
    let wallet = state
        .accounts()
        .unwrap()
        .wallet(&ajo_testkit::builders::member("wanjiku"));
    assert_eq!(
        chama.store.balance(&wallet).await.unwrap(),
        kes("-2000"),
        "still owed"
    );

    // The status result, tagged by the payout's original id: delivered, booked once; the
    // B2C result turning up late is the same fact.
    let url = format!("{}&kind=status", callback().callback_url(BASE, reference));
    let status = chama.callback(&url, &status_result(&tag, 2000)).unwrap();
    assert_eq!(status.authentication(), Authentication::CallbackTag);
    assert_eq!(
        chama.service.handle_gateway_event(&status).await.unwrap(),
        Handled::Recorded
    );
    let late = chama
        .callback(
            &callback().callback_url(BASE, reference),
            &b2c_result(&tag, 0, 2000),
        )
        .unwrap();
    assert_eq!(
        chama.service.handle_gateway_event(&late).await.unwrap(),
        Handled::Duplicate
    );
    assert!(
        chama.store.balance(&wallet).await.unwrap().is_zero(),
        "paid out once"
    );
    assert_eq!(chama.entries(reference).await, 1);
    common::trial_balance_is_zero(chama.store.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_b2c_result_is_held_for_review_not_sent_again() {
    on_every_store(a_failed_b2c_result_is_held_for_review_not_sent_again_on).await;
}

async fn a_failed_b2c_result_is_held_for_review_not_sent_again_on(store: Arc<dyn Store>) {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    let chama = Chama::new(&server, store.clone()).await;
    collect_round_and_tick(&chama, &server).await;
    let reference = "ajo=out=g1=r1";
    let tag = payout_key().tag(MPESA_B2C_TAG, reference);
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .respond_with(json(200, &b2c_accepted(&tag)))
        .mount(&server)
        .await;
    assert_eq!(chama.service.tick().await.unwrap().payouts_sent, 1);
    // Insufficient float in the utility account: Daraja's result says so, tagged. Acting
    // on it would mean paying again, which a callback alone must never cause.
    let url = callback().callback_url(BASE, reference);
    let failed = chama.callback(&url, &b2c_result(&tag, 1, 0)).unwrap();
    let outcome = chama.service.handle_gateway_event(&failed).await.unwrap();
    assert!(matches!(outcome, Handled::Flagged { .. }), "{outcome:?}");
    chama.clock.advance(chrono::Duration::hours(3));
    assert_eq!(
        chama.service.tick().await.unwrap().payouts_sent,
        0,
        "held: not sent again"
    );
    assert_eq!(
        requests_to(&server, "/mpesa/b2c/v3/paymentrequest")
            .await
            .len(),
        1
    );
    common::trial_balance_is_zero(chama.store.as_ref()).await;
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

/// Rolling the callback secret changes the callback URLs, never a payout's id: a payout
/// sent again after a roll is the same request to Daraja, refused as a duplicate.
#[tokio::test]
async fn a_payout_keeps_its_id_when_the_callback_secret_is_rolled() {
    let server = MockServer::start().await;
    mount_token(&server, j!(3599)).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/b2c/v3/paymentrequest"))
        .respond_with(json(500, DUPLICATE))
        .mount(&server)
        .await;
    let before = gateway(&server);
    let rolled = CallbackSecret::new(
        Provider::Mpesa,
        SecretString::from("mpesa-callback-secret-rolled-0000000000"),
    )
    .unwrap();
    let after = MpesaGateway::new(
        MpesaConfig::new(
            KEY,
            SecretString::from(SECRET),
            SHORTCODE,
            SecretString::from(PASSKEY),
            rolled,
            BASE,
        )
        .with_b2c(B2cConfig::new(
            "600992",
            "testapi",
            SecretString::from(CREDENTIAL),
            payout_key(),
        ))
        .with_clock(Arc::new(FakeClock::new(now())))
        .with_http(common::http(&server.uri())),
    )
    .unwrap();
    before.send_payout(&payout("2000")).await.unwrap();
    after.send_payout(&payout("2000")).await.unwrap();
    let sent = requests_to(&server, "/mpesa/b2c/v3/paymentrequest").await;
    let ids: Vec<_> = sent
        .iter()
        .map(|b| b["OriginatorConversationID"].clone())
        .collect();
    assert!(ids.len() >= 2);
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let urls: Vec<_> = sent.iter().map(|b| b["ResultURL"].clone()).collect();
    assert_ne!(
        urls.first(),
        urls.last(),
        "the callback URL follows the roll"
    );
}
