//! The Paystack adapter against a local mock of Paystack's API: the exact requests it
//! sends, what each documented answer becomes, the contract suite, and a contribution
//! through the service with its signed webhook.
#![allow(missing_docs, clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::sync::Arc;
use std::time::Duration;

use ajo_adapters::paystack::{PaystackConfig, PaystackGateway};
use ajo_core::ids::RecipientId;
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    CollectionRequest, GatewayError, PaymentGateway, PaymentState, PayoutRequest, PayoutState,
    RecipientDetails, RefundRequest,
};
use ajo_core::webhook::{PaystackVerifier, WebhookOutcome};
use ajo_testkit::builders;
use ajo_testkit::conformance::gateway::{GatewayFixtures, run_all};
use chrono::{TimeZone, Utc};
use common::{http, json};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::json as j;
use sha2::Sha512;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer};

const KEY: &str = "sk_test_4f1c2b9e8d7a";

fn gateway(server: &MockServer) -> PaystackGateway {
    PaystackGateway::new(
        PaystackConfig::new(SecretString::from(KEY)).with_http(http(&server.uri())),
    )
    .unwrap()
}

fn ngn(amount: &str) -> Money {
    Money::parse(amount, Currency::NGN).unwrap()
}

fn collection(reference: &str, amount: Money) -> CollectionRequest {
    CollectionRequest {
        reference: reference.into(),
        amount,
        email: "ada@example.com".into(),
        description: "round 1 contribution".into(),
        callback_url: Some("https://ajo.example/return".into()),
        payer_phone: None,
    }
}

// Paystack's documented answers (shared/providers/paystack.md), with our references.
const INITIALIZED: &str = r#"{"status":true,"message":"Authorization URL created","data":{"authorization_url":"https://checkout.paystack.com/3ni8kdavz62431k","access_code":"3ni8kdavz62431k","reference":"ajo-g1-r1-h1"}}"#;

fn verified(reference: &str, status: &str, amount: u64) -> String {
    j!({"status":true,"message":"Verification successful","data":{"id":4099260516u64,"domain":"test","status":status,"reference":reference,"amount":amount,"gateway_response":"Successful","paid_at":"2024-08-22T09:15:02.000Z","channel":"card","currency":"NGN","fees":10283,"requested_amount":amount}}).to_string()
}

const NOT_FOUND: &str = r#"{"status":false,"message":"Transaction reference not found"}"#;
const VALIDATION: &str = r#"{"status":false,"message":"Email Address is required","meta":{"nextStep":"Provide all required params "},"type":"validation_error","code":"missing_params"}"#;
const RECIPIENT: &str = r#"{"status":true,"message":"Transfer recipient created successfully","data":{"active":true,"currency":"NGN","domain":"test","id":20317609,"integration":463433,"name":"Tolu Robert","recipient_code":"RCP_m7ljkv8leesep7p","type":"nuban","is_deleted":false,"details":{"authorization_code":null,"account_number":"01000000010","account_name":"Tolu Robert","bank_code":"058","bank_name":"Guaranty Trust Bank"}}}"#;

fn transfer(reference: &str, status: &str) -> String {
    j!({"status":true,"message":"Transfer has been queued","data":{"domain":"test","amount":100000,"currency":"NGN","reference":reference,"source":"balance","reason":"ajo round 1 payout","status":status,"transfer_code":"TRF_v5tip3zx8nna9o78","id":860703114,"integration":463433,"recipient":56824902,"createdAt":"2026-02-01T10:32:40.000Z","updatedAt":"2026-02-01T10:32:40.000Z"}}).to_string()
}

#[tokio::test]
async fn initialize_sends_the_documented_request_in_kobo() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transaction/initialize"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(j!({
            "email": "ada@example.com",
            "amount": "1000050",
            "currency": "NGN",
            "reference": "ajo-g1-r1-h1",
            "callback_url": "https://ajo.example/return",
            "metadata": {"description": "round 1 contribution"}
        })))
        .respond_with(json(200, INITIALIZED))
        .expect(1)
        .mount(&server)
        .await;
    let started = gateway(&server)
        .start_collection(&collection("ajo-g1-r1-h1", ngn("10000.50")))
        .await
        .unwrap();
    assert_eq!(started.reference, "ajo-g1-r1-h1");
    assert_eq!(
        started.checkout_url.as_deref(),
        Some("https://checkout.paystack.com/3ni8kdavz62431k")
    );
    assert_eq!(
        started.provider_reference.as_deref(),
        Some("3ni8kdavz62431k")
    ); // The hosted page is the checkout: no client secret to hand an app.
    assert_eq!(started.client_secret, None);
}

#[tokio::test]
async fn amounts_paystack_cannot_take_are_refused_before_any_request() {
    let server = MockServer::start().await;
    let gateway = gateway(&server);
    for amount in [
        Money::parse("500", Currency::JPY).unwrap(),
        Money::parse("1.005", Currency::new("NAI", 3).unwrap()).unwrap(),
        ngn("0"),
    ] {
        let error = gateway
            .start_collection(&collection("ajo-g1-r1-h1", amount))
            .await
            .unwrap_err();
        assert!(
            matches!(error, GatewayError::InvalidRequest { .. }),
            "{error:?}"
        );
        let payout = PayoutRequest {
            reference: "ajo-g1-po-r1".into(),
            recipient: RecipientId::new("RCP_1").unwrap(),
            amount,
            reason: "payout".into(),
        };
        assert!(matches!(
            gateway.send_payout(&payout).await,
            Err(GatewayError::InvalidRequest { .. })
        ));
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_reused_reference_answers_with_the_existing_collection() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transaction/initialize"))
        .respond_with(json(
            400,
            r#"{"status":false,"message":"Duplicate Transaction Reference"}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transaction/verify/ajo-g1-r1-h1"))
        .respond_with(json(200, &verified("ajo-g1-r1-h1", "abandoned", 1_000_000)))
        .expect(1)
        .mount(&server)
        .await;
    let started = gateway(&server)
        .start_collection(&collection("ajo-g1-r1-h1", ngn("10000")))
        .await
        .unwrap();
    assert_eq!(started.reference, "ajo-g1-r1-h1");
    assert_eq!(started.checkout_url, None);
    assert_eq!(started.provider_reference.as_deref(), Some("4099260516"));
}

#[tokio::test]
async fn a_validation_error_is_an_invalid_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transaction/initialize"))
        .respond_with(json(400, VALIDATION))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transaction/verify/ajo-g1-r1-h1"))
        .respond_with(json(400, NOT_FOUND))
        .mount(&server)
        .await;
    let error = gateway(&server)
        .start_collection(&collection("ajo-g1-r1-h1", ngn("10000")))
        .await
        .unwrap_err();
    let GatewayError::InvalidRequest { message } = &error else {
        panic!("{error:?}");
    };
    assert!(message.contains("Email Address is required"), "{message}");
    assert!(message.contains("missing_params"), "{message}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn verify_reads_each_documented_status() {
    let server = MockServer::start().await;
    for (reference, status) in [
        ("ref-paid", "success"),
        ("ref-open", "abandoned"),
        ("ref-declined", "failed"),
        ("ref-refunded", "reversed"),
        ("ref-odd", "successful"),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/transaction/verify/{reference}")))
            .and(header("authorization", format!("Bearer {KEY}").as_str()))
            .respond_with(json(200, &verified(reference, status, 40_333)))
            .mount(&server)
            .await;
    }
    let gateway = gateway(&server);
    let paid = gateway.verify_payment("ref-paid").await.unwrap();
    assert_eq!(paid.state, PaymentState::Succeeded);
    assert_eq!(paid.amount, Some(ngn("403.33")));
    assert_eq!(
        paid.paid_at,
        Some(Utc.with_ymd_and_hms(2024, 8, 22, 9, 15, 2).unwrap())
    );
    assert_eq!(
        gateway.verify_payment("ref-open").await.unwrap().state,
        PaymentState::Pending,
        "an open checkout is not a failure"
    );
    assert_eq!(
        gateway.verify_payment("ref-declined").await.unwrap().state,
        PaymentState::Failed
    );
    assert_eq!(
        gateway.verify_payment("ref-refunded").await.unwrap().state,
        PaymentState::Reversed
    );
    assert_eq!(
        gateway.verify_payment("ref-odd").await.unwrap_err(),
        GatewayError::Unexpected {
            provider: "paystack",
            status: 200
        },
        "an unknown status is never success"
    );
}

#[tokio::test]
async fn an_unknown_reference_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(path("/transaction/verify/nope"))
        .respond_with(json(400, NOT_FOUND))
        .mount(&server)
        .await;
    Mock::given(path("/transaction/verify/gone"))
        .respond_with(json(404, r#"{"status":false,"message":"Not found"}"#))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    for reference in ["nope", "gone"] {
        assert_eq!(
            gateway.verify_payment(reference).await.unwrap_err(),
            GatewayError::NotFound {
                reference: reference.into()
            }
        );
    }
}

#[tokio::test]
async fn a_reference_cannot_reach_another_endpoint() {
    let server = MockServer::start().await;
    Mock::given(path("/transaction/verify/a%2F..%2Fb%3Fc"))
        .respond_with(json(200, &verified("a/../b?c", "success", 100)))
        .expect(1)
        .mount(&server)
        .await;
    let status = gateway(&server).verify_payment("a/../b?c").await.unwrap();
    assert_eq!(status.state, PaymentState::Succeeded);
}

#[tokio::test]
async fn refused_credentials_are_unauthorized_and_the_key_never_shows() {
    let server = MockServer::start().await;
    Mock::given(path("/transaction/verify/ref-1"))
        .respond_with(json(401, r#"{"status":false,"message":"Invalid key"}"#))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    let error = gateway.verify_payment("ref-1").await.unwrap_err();
    assert_eq!(error, GatewayError::Unauthorized);
    for shown in [
        format!("{error} {error:?}"),
        format!("{gateway:?}"),
        format!(
            "{:?}",
            PaystackConfig::new(SecretString::from(KEY)).with_http(http(&server.uri()))
        ),
    ] {
        assert!(!shown.contains(KEY), "{shown}");
        assert!(!shown.contains("4f1c2b9e"), "{shown}");
    }
}

#[tokio::test]
async fn an_empty_key_is_refused() {
    assert!(PaystackGateway::new(PaystackConfig::new(SecretString::from(" "))).is_err());
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait_asked_for() {
    let server = MockServer::start().await;
    Mock::given(path("/transaction/verify/ref-1"))
        .respond_with(
            json(429, r#"{"status":false,"message":"Too many requests"}"#)
                .insert_header("Retry-After", "1"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/transaction/verify/ref-1"))
        .respond_with(json(200, &verified("ref-1", "success", 100)))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let status = gateway(&server).verify_payment("ref-1").await.unwrap();
    assert_eq!(status.state, PaymentState::Succeeded);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_429_asking_too_long_a_wait_is_rate_limited() {
    let server = MockServer::start().await;
    Mock::given(path("/transaction/verify/ref-1"))
        .respond_with(json(429, "{}").insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    let error = gateway(&server).verify_payment("ref-1").await.unwrap_err();
    assert_eq!(
        error,
        GatewayError::RateLimited {
            retry_after: Some(Duration::from_secs(120))
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_500_then_success_is_retried_where_safe_only() {
    let server = MockServer::start().await;
    for (verb, route) in [("GET", "/transaction/verify/ref-1"), ("POST", "/refund")] {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(json(500, r#"{"status":false,"message":"Server error"}"#))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(path("/transaction/verify/ref-1"))
        .respond_with(json(200, &verified("ref-1", "success", 100)))
        .with_priority(2)
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    assert_eq!(
        gateway.verify_payment("ref-1").await.unwrap().state,
        PaymentState::Succeeded
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    let refund = RefundRequest {
        payment_reference: "ref-1".into(),
        amount: None,
        reason: "left the group".into(),
    };
    assert_eq!(
        gateway.refund(&refund).await.unwrap_err(),
        GatewayError::Unavailable,
        "a refund is not resent after a 500: it may have gone through"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = MockServer::start().await;
    Mock::given(path("/transaction/verify/ref-1"))
        .respond_with(
            json(200, &verified("ref-1", "success", 100)).set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let error = gateway(&server).verify_payment("ref-1").await.unwrap_err();
    assert_eq!(error, GatewayError::Timeout);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "a GET is retried"
    );
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures() {
    let server = MockServer::start().await;
    Mock::given(path("/transaction/verify/ref-1"))
        .respond_with(json(503, "{}"))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    for _ in 0..3 {
        assert_eq!(
            gateway.verify_payment("ref-1").await.unwrap_err(),
            GatewayError::Unavailable
        );
    }
    let sent = server.received_requests().await.unwrap().len();
    assert_eq!(
        gateway.verify_payment("ref-1").await.unwrap_err(),
        GatewayError::Unavailable
    );
    assert!(gateway.api().breaker().is_open());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        sent,
        "an open breaker sends nothing"
    );
}

#[tokio::test]
async fn a_recipient_is_registered_as_documented() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transferrecipient"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_json(j!({
            "type": "nuban",
            "name": "Tolu Robert",
            "account_number": "01000000010",
            "bank_code": "058",
            "currency": "NGN"
        })))
        .respond_with(json(200, RECIPIENT))
        .expect(1)
        .mount(&server)
        .await;
    let recipient = RecipientDetails {
        name: "Tolu Robert".into(),
        bank_code: "058".into(),
        account_number: "01000000010".into(),
        currency: "NGN".into(),
    };
    assert_eq!(
        gateway(&server).create_recipient(&recipient).await.unwrap(),
        RecipientId::new("RCP_m7ljkv8leesep7p").unwrap()
    );
}

fn payout() -> PayoutRequest {
    PayoutRequest {
        reference: "ajo-g1-po-r1".into(),
        recipient: RecipientId::new("RCP_gd9vgag7n5lr5ix").unwrap(),
        amount: ngn("1000"),
        reason: "ajo round 1 payout".into(),
    }
}

#[tokio::test]
async fn a_transfer_is_sent_as_documented() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transfer"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_json(j!({
            "source": "balance",
            "amount": 100000,
            "currency": "NGN",
            "recipient": "RCP_gd9vgag7n5lr5ix",
            "reference": "ajo-g1-po-r1",
            "reason": "ajo round 1 payout"
        })))
        .respond_with(json(200, &transfer("ajo-g1-po-r1", "pending")))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = gateway(&server).send_payout(&payout()).await.unwrap();
    assert_eq!(receipt.reference, "ajo-g1-po-r1");
    assert_eq!(receipt.state, PayoutState::Pending);
    assert_eq!(
        receipt.provider_reference.as_deref(),
        Some("TRF_v5tip3zx8nna9o78")
    );
}

#[tokio::test]
async fn a_transfer_sent_again_reads_the_one_already_made() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transfer"))
        .respond_with(json(
            400,
            r#"{"status":false,"message":"Duplicate Transfer Reference","type":"validation_error","code":"duplicate_reference"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transfer/verify/ajo-g1-po-r1"))
        .respond_with(json(200, &transfer("ajo-g1-po-r1", "success")))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = gateway(&server).send_payout(&payout()).await.unwrap();
    assert_eq!(
        receipt.state,
        PayoutState::Succeeded,
        "not paid twice, not an error"
    );
}

#[tokio::test]
async fn a_refused_transfer_with_no_earlier_one_keeps_its_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transfer"))
        .respond_with(json(
            400,
            r#"{"status":false,"message":"Recipient specified is invalid","meta":{"nextStep":"Provide a valid recipient"},"type":"validation_error","code":"invalid_transfer_recipient"}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transfer/verify/ajo-g1-po-r1"))
        .respond_with(json(
            404,
            r#"{"status":false,"message":"Transfer not found"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let error = gateway(&server).send_payout(&payout()).await.unwrap_err();
    assert!(
        matches!(&error, GatewayError::InvalidRequest { message } if message.contains("invalid_transfer_recipient")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_transfer_beyond_the_balance_is_insufficient_funds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transfer"))
        .respond_with(json(
            400,
            r#"{"status":false,"message":"Your balance is not enough to fulfil this request","type":"api_error","code":"insufficient_balance"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        gateway(&server).send_payout(&payout()).await.unwrap_err(),
        GatewayError::InsufficientFunds
    );
}

#[tokio::test]
async fn a_refund_is_sent_as_documented() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/refund"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_json(j!({
            "transaction": "ajo-g1-r1-h1",
            "amount": 500000,
            "merchant_note": "left the group"
        })))
        .respond_with(json(
            200,
            r#"{"status":true,"message":"Refund has been queued for processing","data":{"transaction":{"id":1004723697,"reference":"ajo-g1-r1-h1","amount":1000000},"integration":412829,"deducted_amount":0,"status":"pending","refunded_by":"test@me.com","expected_at":"2021-12-16T09:21:17.016Z","currency":"NGN","domain":"live","amount":500000,"fully_deducted":false,"id":3018284}}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = gateway(&server)
        .refund(&RefundRequest {
            payment_reference: "ajo-g1-r1-h1".into(),
            amount: Some(ngn("5000")),
            reason: "left the group".into(),
        })
        .await
        .unwrap();
    assert_eq!(receipt.state, PayoutState::Pending);
    assert_eq!(receipt.provider_reference.as_deref(), Some("3018284"));
}

fn transaction_row(reference: &str, status: &str, amount: u64) -> serde_json::Value {
    j!({"id": 1, "status": status, "reference": reference, "amount": amount, "currency": "NGN", "paid_at": "2026-02-01T10:00:00.000Z"})
}

fn transfer_row(reference: &str, status: &str, amount: u64) -> serde_json::Value {
    j!({"id": 2, "status": status, "reference": reference, "amount": amount, "currency": "NGN", "transfer_code": "TRF_1"})
}

/// Two pages of transactions and one of transfers, as Paystack lists them.
async fn mount_statement(server: &MockServer, paid: (&str, u64)) {
    let list = |data: Vec<serde_json::Value>, page: u64, pages: u64| {
        j!({"status": true, "message": "Transactions retrieved", "data": data,
            "meta": {"total": 3, "skipped": 0, "perPage": 100, "page": page, "pageCount": pages}})
        .to_string()
    };
    Mock::given(method("GET"))
        .and(path("/transaction"))
        .and(query_param("page", "1"))
        .and(query_param("perPage", "100"))
        .and(query_param("from", "2020-01-01T00:00:00.000Z"))
        .respond_with(json(
            200,
            &list(
                vec![
                    // Paystack's fee on a ₦10,000 local card charge: 1.5% + ₦100.
                    j!({"id": 1, "status": "success", "reference": paid.0, "amount": paid.1,
                        "currency": "NGN", "paid_at": "2026-02-01T10:00:00.000Z", "fees": 25_000}),
                    transaction_row("ajo-g1-r1-h2", "abandoned", 1_000_000),
                ],
                1,
                2,
            ),
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transaction"))
        .and(query_param("page", "2"))
        .respond_with(json(
            200,
            &list(
                vec![transaction_row("ajo-g1-r2-h1", "reversed", 700_000)],
                2,
                2,
            ),
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transfer"))
        .and(query_param("page", "1"))
        .respond_with(json(
            200,
            &list(
                vec![
                    transfer_row("ajo-g1-po-r1", "success", 2_000_000),
                    transfer_row("ajo-g1-po-r2", "pending", 2_000_000),
                ],
                1,
                1,
            ),
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_statement_pages_through_transactions_and_transfers() {
    let server = MockServer::start().await;
    mount_statement(&server, ("ajo-g1-r1-h1", 1_000_000)).await;
    let shown = common::statement(&gateway(&server)).await;
    assert_eq!(
        shown,
        [
            ("ajo-g1-r1-h1".to_owned(), "10000.00".to_owned()),
            ("ajo-g1-r2-h1".to_owned(), "7000.00".to_owned()),
            ("ajo-g1-r2-h1".to_owned(), "-7000.00".to_owned()),
            ("ajo-g1-po-r1".to_owned(), "-20000.00".to_owned()),
        ]
    );
    let fees = common::fees(&gateway(&server)).await;
    assert_eq!(
        fees,
        [Some("250.00".to_owned()), None, None, None],
        "the fee Paystack kept rides on the charge's line"
    );
}

#[tokio::test]
async fn passes_the_gateway_contract() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transaction/initialize"))
        .respond_with(json(200, INITIALIZED))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transaction/verify/paid-1"))
        .respond_with(json(200, &verified("paid-1", "success", 500_000)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transaction/verify/nope"))
        .respond_with(json(400, NOT_FOUND))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/transferrecipient"))
        .respond_with(json(200, RECIPIENT))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/transfer"))
        .respond_with(json(200, &transfer("po-1", "pending")))
        .mount(&server)
        .await;
    mount_statement(&server, ("paid-1", 500_000)).await;

    let fixtures = GatewayFixtures {
        collection: collection("ajo-g1-r1-h1", ngn("10000")),
        paid: ("paid-1".into(), ngn("5000")),
        unknown_reference: "nope".into(),
        unsupported: Money::parse("5", Currency::JPY).unwrap(),
        recipient: builders::contact("Ada").payout_account.unwrap(),
        payout: PayoutRequest {
            reference: "po-1".into(),
            recipient: RecipientId::new("RCP_x").unwrap(),
            amount: ngn("1000"),
            reason: "test".into(),
        },
        statement: true,
    };
    run_all(&gateway(&server) as &dyn PaymentGateway, &fixtures).await;
}

/// Signs `body` as Paystack does: HMAC-SHA512 of the raw body with the secret key, hex.
fn sign(body: &str) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn signs_like_the_shared_vectors() {
    // vectors.json, Paystack "valid": secret, body and signature as published there.
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("data/paystack_vector.json")).unwrap();
    let mut mac =
        Hmac::<Sha512>::new_from_slice(vectors["secret"].as_str().unwrap().as_bytes()).unwrap();
    mac.update(vectors["body"].as_str().unwrap().as_bytes());
    assert_eq!(
        hex::encode(mac.finalize().into_bytes()),
        vectors["expected_signature"].as_str().unwrap()
    );
}

#[tokio::test]
async fn a_contribution_is_collected_and_credited_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transferrecipient"))
        .respond_with(json(200, RECIPIENT))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/transaction/initialize"))
        .and(body_json(j!({
            "email": "ada@example.com",
            "amount": "1000000",
            "currency": "NGN",
            "reference": common::REFERENCE,
            "metadata": {"description": "round 1 contribution"}
        })))
        .respond_with(json(200, INITIALIZED))
        .expect(1)
        .mount(&server)
        .await;
    let verifier = PaystackVerifier::new(vec![SecretString::from(KEY)]).unwrap();
    common::contribution_end_to_end(Arc::new(gateway(&server)), |reference, amount| {
        let body = j!({"event": "charge.success", "data": {
            "id": 302961, "domain": "test", "status": "success", "reference": reference,
            "amount": u64::try_from(amount.minor()).unwrap(), "message": null,
            "gateway_response": "Approved by Financial Institution",
            "paid_at": "2026-01-10T09:10:19.000Z", "created_at": "2026-01-10T09:09:56.000Z",
            "channel": "card", "currency": "NGN", "metadata": 0, "fees": null,
            "customer": {"id": 68324, "email": "ada@example.com", "customer_code": "CUS_qo38as2hpsgk2r0"}
        }})
        .to_string();
        let headers = [("x-paystack-signature", sign(&body))];
        match verifier
            .verify_and_parse(&headers, body.as_bytes())
            .unwrap()
        {
            WebhookOutcome::Payment(event) => event,
            other => panic!("a charge.success is a payment: {other:?}"),
        }
    })
    .await;
}

/// Paystack's currencies are declared once (`ajo_core::webhook::rails::PAYSTACK`): for
/// every currency ajo knows, the client takes an amount in it exactly when a signed
/// webhook in it is read, and both refuse the others with a typed error (never a panic),
/// the client before any request is sent.
#[tokio::test]
async fn the_client_and_the_webhook_parser_agree_on_every_currency() {
    use ajo_core::webhook::{WebhookError, rails};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transaction/initialize"))
        .respond_with(json(200, INITIALIZED))
        .mount(&server)
        .await;
    let gateway = gateway(&server);
    let verifier = PaystackVerifier::new(vec![SecretString::from(KEY)]).unwrap();
    let mut refused = 0;
    for currency in Currency::builtins() {
        let amount = Money::from_minor(500_000, currency).unwrap();
        let client = gateway
            .start_collection(&collection("ajo-g1-r1-h1", amount))
            .await;
        let body = j!({"event":"charge.success","data":{"id":1,"status":"success","reference":"ajo-g1-r1-h1","amount":500_000,"currency":currency.code(),"paid_at":"2026-11-01T10:00:00.000Z"}}).to_string();
        let headers = [("x-paystack-signature", sign(&body))];
        let webhook = verifier.verify_and_parse(&headers, body.as_bytes());
        if rails::PAYSTACK.supports(currency) {
            assert!(client.is_ok(), "{}: {client:?}", currency.code());
            assert!(
                matches!(webhook, Ok(WebhookOutcome::Payment(_))),
                "{}",
                currency.code()
            );
        } else {
            refused += 1;
            assert!(
                matches!(client, Err(GatewayError::InvalidRequest { .. })),
                "{}: {client:?}",
                currency.code()
            );
            assert_eq!(
                webhook.unwrap_err(),
                WebhookError::UnsupportedCurrency {
                    provider: ajo_core::webhook::Provider::Paystack,
                    currency
                },
                "{}",
                currency.code()
            );
        }
    }
    assert!(refused > 0);
    // Only the supported currencies reached Paystack.
    let sent = server.received_requests().await.unwrap().len();
    assert_eq!(sent, rails::PAYSTACK.currencies().len());
}
