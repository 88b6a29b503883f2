//! The SendGrid adapter against a local mock of Mail Send: the exact request, each
//! documented answer, retries, the notify contract, the outbox, and the message id coming
//! back through the Event Webhook verifier.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers outside #[test] fns

use std::sync::Arc;
use std::time::Duration;

use ajo_adapters::http::{HttpConfig, RetryPolicy};
use ajo_adapters::sendgrid::{SendGrid, SendGridConfig};
use ajo_core::ports::{
    AppendRequest, Clock, EmailMessage, EmailSender, NotifyError, Outbox, OutboxChannel,
    OutboxMessage, OutboxStatus, PaymentGateway, ProviderMessageId, SmsSender, Store, StoreError,
};
use ajo_core::service::{AjoService, ServiceConfig, ServiceError};
use ajo_core::webhook::{DeliveryStatus, SendGridVerifier, WebhookOutcome};
use ajo_testkit::InMemoryStore;
use ajo_testkit::conformance::notify::{self, EmailFixtures};
use ajo_testkit::fakes::{FakeClock, FakeGateway, FakeSms};
use base64::Engine as _;
use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use serde_json::Value;
use wiremock::matchers::{body_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "SG.test-key-not-a-real-one";
const MAIL_SEND: &str = "/v3/mail/send";
// The form of the official Event Webhook vector's `sg_message_id` prefix.
const X_MESSAGE_ID: &str = "LRzXl_NHStOGhQ4kofSm_A";

fn data(name: &str) -> String {
    let file = format!("{}/tests/data/sendgrid/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn json(name: &str) -> Value {
    serde_json::from_str(&data(name)).unwrap()
}

fn config(server: &MockServer) -> SendGridConfig {
    SendGridConfig::new(SecretString::from(KEY), "no-reply@ajo.example.com").with_http(
        HttpConfig::new(server.uri())
            .with_timeout(Duration::from_millis(500))
            .with_retry(RetryPolicy::new(2, Duration::from_millis(5))),
    )
}

fn sendgrid(server: &MockServer) -> SendGrid {
    SendGrid::new(config(server).from_name("Ajo")).unwrap()
}

fn message() -> EmailMessage {
    EmailMessage {
        message_id: "balogun:r3:reminder:ada:email".into(),
        to: "ada@example.com".into(),
        subject: "Your contribution is due".into(),
        text: "Hello Ada, your contribution of NGN 5,000.00 is due on 1 Dec.".into(),
        html: Some(
            "<p>Hello Ada, your contribution of <b>₦5,000.00</b> is due on 1 Dec.</p>".into(),
        ),
    }
}

fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(202).insert_header("X-Message-Id", X_MESSAGE_ID)
}

/// Mail Send as documented: the bearer key, JSON, and exactly this body.
fn documented_request(body: Value) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(MAIL_SEND))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn an_email_is_sent_as_documented_and_the_message_id_returned() {
    let server = MockServer::start().await;
    documented_request(json("mail_send.json"))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let id = sendgrid(&server).send_email(&message()).await.unwrap();
    assert_eq!(id, ProviderMessageId(X_MESSAGE_ID.into()));
}

#[tokio::test]
async fn a_text_only_email_from_an_address_without_a_name() {
    let server = MockServer::start().await;
    documented_request(json("mail_send_text_only.json"))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let sender = SendGrid::new(config(&server)).unwrap();
    let message = EmailMessage {
        html: None,
        ..message()
    };
    assert!(sender.send_email(&message).await.is_ok());
}

async fn answer(
    status: u16,
    body: Option<&str>,
) -> (MockServer, Result<ProviderMessageId, NotifyError>) {
    let server = MockServer::start().await;
    let mut response = ResponseTemplate::new(status);
    if let Some(name) = body {
        response = response.set_body_raw(data(name), "application/json");
    }
    Mock::given(path(MAIL_SEND))
        .respond_with(response)
        .mount(&server)
        .await;
    let result = sendgrid(&server).send_email(&message()).await;
    (server, result)
}

#[tokio::test]
async fn a_400_naming_the_recipient_is_an_invalid_recipient() {
    let (server, result) = answer(400, Some("error_400_to.json")).await;
    assert_eq!(result, Err(NotifyError::InvalidRecipient));
    assert_eq!(requests(&server).await, 1, "a 400 is not retried");
}

#[tokio::test]
async fn a_400_naming_another_field_is_rejected_with_that_field() {
    let (_, result) = answer(400, Some("error_400_from.json")).await;
    assert_eq!(
        result,
        Err(NotifyError::Rejected {
            code: "from".into()
        })
    );
    let (_, result) = answer(400, Some("error_401.json")).await;
    assert_eq!(
        result,
        Err(NotifyError::Rejected {
            code: "bad_request".into()
        }),
        "a 400 without a field"
    );
    let (_, result) = answer(400, None).await;
    assert_eq!(
        result,
        Err(NotifyError::Unexpected {
            provider: "sendgrid",
            status: 400
        }),
        "an unreadable 400"
    );
    let (_, result) = answer(413, None).await;
    assert_eq!(
        result,
        Err(NotifyError::Rejected {
            code: "payload_too_large".into()
        })
    );
}

#[tokio::test]
async fn refused_credentials_are_unauthorized_and_never_retried() {
    for status in [401, 403] {
        let (server, result) = answer(status, Some("error_401.json")).await;
        assert_eq!(result, Err(NotifyError::Unauthorized), "{status}");
        assert_eq!(requests(&server).await, 1);
    }
}

#[tokio::test]
async fn a_202_without_a_message_id_is_unexpected_not_success() {
    let (_, result) = answer(202, None).await;
    assert_eq!(
        result,
        Err(NotifyError::Unexpected {
            provider: "sendgrid",
            status: 202
        })
    );
    let (_, result) = answer(302, None).await;
    assert!(matches!(
        result,
        Err(NotifyError::Unexpected { status: 302, .. })
    ));
}

#[tokio::test]
async fn a_message_id_is_kept_up_to_its_first_dot_as_event_reports_are_matched() {
    let server = MockServer::start().await;
    Mock::given(path(MAIL_SEND))
        .respond_with(
            ResponseTemplate::new(202).insert_header("X-Message-Id", "14c5d75ce93.dfd.64b469"),
        )
        .mount(&server)
        .await;
    let id = sendgrid(&server).send_email(&message()).await.unwrap();
    assert_eq!(id.0, "14c5d75ce93");
}

#[tokio::test]
async fn a_429_is_waited_out_in_place_then_sent() {
    let server = MockServer::start().await;
    Mock::given(path(MAIL_SEND))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    documented_request(json("mail_send.json"))
        .respond_with(accepted())
        .with_priority(2)
        .mount(&server)
        .await;
    let id = sendgrid(&server).send_email(&message()).await.unwrap();
    assert_eq!(id.0, X_MESSAGE_ID);
    assert_eq!(
        requests(&server).await,
        2,
        "a 429 was not carried out: retried"
    );
}

#[tokio::test]
async fn a_429_asking_for_too_long_a_wait_is_handed_back_with_the_wait() {
    let server = MockServer::start().await;
    Mock::given(path(MAIL_SEND))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    let result = sendgrid(&server).send_email(&message()).await;
    assert_eq!(
        result,
        Err(NotifyError::RateLimited {
            retry_after: Some(Duration::from_secs(120))
        })
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_5xx_is_not_retried_in_place_because_the_email_may_have_gone() {
    let server = MockServer::start().await;
    Mock::given(path(MAIL_SEND))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path(MAIL_SEND))
        .respond_with(accepted())
        .with_priority(2)
        .mount(&server)
        .await;
    let sender = sendgrid(&server);
    let first = sender.send_email(&message()).await;
    assert_eq!(first, Err(NotifyError::Unavailable));
    assert!(first.unwrap_err().is_retryable());
    assert_eq!(
        requests(&server).await,
        1,
        "a 5xx on a send is not retried in place"
    );
    assert_eq!(sender.send_email(&message()).await.unwrap().0, X_MESSAGE_ID);
}

#[tokio::test]
async fn a_timeout_is_a_retryable_timeout_after_one_request() {
    let server = MockServer::start().await;
    Mock::given(path(MAIL_SEND))
        .respond_with(accepted().set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let result = sendgrid(&server).send_email(&message()).await;
    assert_eq!(result, Err(NotifyError::Timeout));
    assert_eq!(
        requests(&server).await,
        1,
        "a send that may have gone is not repeated"
    );
}

#[tokio::test]
async fn passes_the_notify_contract() {
    let server = MockServer::start().await;
    Mock::given(path(MAIL_SEND))
        .and(body_string_contains("refused@example.com"))
        .respond_with(
            ResponseTemplate::new(400).set_body_raw(data("error_400_to.json"), "application/json"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    documented_request(json("mail_send.json"))
        .respond_with(accepted())
        .with_priority(2)
        .mount(&server)
        .await;
    let fixtures = EmailFixtures::new(message(), "refused@example.com").with_secrets(&[KEY]);
    notify::run_email(&sendgrid(&server), &fixtures).await;
    // And an address that can never work is refused without a request.
    let before = requests(&server).await;
    let fixtures = EmailFixtures::new(message(), "not an address").with_secrets(&[KEY]);
    notify::run_email(&sendgrid(&server), &fixtures).await;
    assert_eq!(
        requests(&server).await,
        before + 1,
        "only the good email was sent"
    );
}

#[tokio::test]
async fn errors_never_show_the_key() {
    for status in [400, 401, 429, 500] {
        let (_, result) = answer(status, Some("error_401.json")).await;
        let error = result.unwrap_err();
        assert!(
            !format!("{error} {error:?}").contains("test-key"),
            "{error:?}"
        );
    }
}

/// A service on the in-memory store holding `messages`, sending email through `email`,
/// with a 30 s first backoff.
async fn outbox(
    email: SendGrid,
    messages: Vec<EmailMessage>,
) -> (AjoService, Arc<InMemoryStore>, Arc<FakeClock>) {
    let store = Arc::new(InMemoryStore::new());
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    store
        .append(AppendRequest {
            streams: vec![],
            entries: vec![],
            outbox: messages
                .into_iter()
                .map(|m| OutboxMessage {
                    id: m.message_id.clone(),
                    channel: OutboxChannel::Email(m),
                })
                .collect(),
            idempotency_key: None,
            at: at.into(),
        })
        .await
        .unwrap();
    let clock = Arc::new(FakeClock::new(at));
    let service = AjoService::new(
        store.clone() as Arc<dyn Store>,
        Arc::new(FakeGateway::new()) as Arc<dyn PaymentGateway>,
        Arc::new(email) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    )
    .with_config(ServiceConfig {
        outbox_backoff: chrono::Duration::seconds(30),
        ..ServiceConfig::default()
    })
    .unwrap();
    (service, store, clock)
}

#[tokio::test]
async fn the_outbox_retries_a_5xx_later_and_records_sendgrids_id() {
    let server = MockServer::start().await;
    Mock::given(path(MAIL_SEND))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    documented_request(json("mail_send.json"))
        .respond_with(accepted())
        .with_priority(2)
        .mount(&server)
        .await;
    let (service, store, clock) = outbox(sendgrid(&server), vec![message()]).await;
    assert_eq!(service.deliver_outbox(10).await.unwrap().retried, 1);
    clock.advance(chrono::Duration::seconds(30));
    assert_eq!(service.deliver_outbox(10).await.unwrap().sent, 1);
    let record = store
        .outbox_message(&message().message_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.status,
        OutboxStatus::Sent {
            provider_id: ProviderMessageId(X_MESSAGE_ID.into())
        }
    );
}

/// A test-only P-256 key, and its public half as SendGrid shows it (base64 of DER SPKI).
fn event_webhook_key() -> (p256::ecdsa::SigningKey, String) {
    let signing = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    // SubjectPublicKeyInfo for id-ecPublicKey on prime256v1, then the uncompressed point.
    let mut der = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    der.extend_from_slice(signing.verifying_key().to_encoded_point(false).as_bytes());
    let public = base64::engine::general_purpose::STANDARD.encode(der);
    (signing, public)
}

/// A batch of events as SendGrid posts it (CRLF-terminated JSON array), signed with the
/// test key, through the verifier.
fn verified(events: &[Value]) -> Vec<WebhookOutcome> {
    let body = format!("{}\r\n", Value::Array(events.to_vec()));
    let (signing, public) = event_webhook_key();
    let timestamp = "1772355600";
    let signature: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(
        &signing,
        [timestamp.as_bytes(), body.as_bytes()].concat().as_slice(),
    );
    let headers = [
        (
            "X-Twilio-Email-Event-Webhook-Signature",
            base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes()),
        ),
        (
            "X-Twilio-Email-Event-Webhook-Timestamp",
            timestamp.to_owned(),
        ),
    ];
    let now = Utc.timestamp_opt(1_772_355_610, 0).unwrap();
    SendGridVerifier::new([public])
        .unwrap()
        .verify_and_parse(&headers, body.as_bytes(), now)
        .unwrap()
}

#[tokio::test]
async fn the_message_id_sent_comes_back_through_the_event_webhook() {
    let server = MockServer::start().await;
    documented_request(json("mail_send.json"))
        .respond_with(accepted())
        .mount(&server)
        .await;
    let id = sendgrid(&server).send_email(&message()).await.unwrap();
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();

    // SendGrid copies a send's custom_args into each event as top-level keys.
    let mut event = serde_json::json!({
        "email": "ada@example.com",
        "timestamp": 1_772_355_600,
        "event": "delivered",
        "sg_event_id": "ZGVsaXZlcmVkLTAtMTQ",
        "sg_message_id": format!("{}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0", id.0),
        "response": "250 OK",
    });
    for (name, value) in sent["personalizations"][0]["custom_args"]
        .as_object()
        .unwrap()
    {
        event[name] = value.clone();
    }
    let outcomes = verified(&[event]);
    let [WebhookOutcome::Delivery(report)] = outcomes.as_slice() else {
        panic!("{outcomes:?}")
    };
    assert_eq!(report.message_id(), Some(message().message_id.as_str()));
    assert_eq!(report.provider_message_id(), id.0);
    assert_eq!(report.status(), DeliveryStatus::Delivered);
}

/// One Event Webhook event about a message SendGrid knows as `x_message_id`, carrying
/// ajo's id when given (as a send's `custom_args` would).
fn event(kind: &str, x_message_id: &str, ours: Option<&str>, n: u32) -> Value {
    let mut event = serde_json::json!({
        "email": "member@example.com",
        "timestamp": 1_772_355_600 + n,
        "event": kind,
        "sg_event_id": format!("ZXZlbnQt{n}"),
        "sg_message_id": format!("{x_message_id}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"),
    });
    if kind == "bounce" {
        event["type"] = "bounce".into();
        event["reason"] = "550 5.1.1 unknown recipient".into();
    }
    if let Some(ours) = ours {
        event["ajo_message_id"] = ours.into();
    }
    event
}

async fn handle_all(service: &AjoService, outcomes: Vec<WebhookOutcome>) -> usize {
    let mut reports = 0;
    for outcome in outcomes {
        if let WebhookOutcome::Delivery(report) = outcome {
            service.handle_delivery_event(&report).await.unwrap();
            reports += 1;
        }
    }
    reports
}

#[tokio::test]
async fn delivery_reports_update_each_message_once_and_the_first_final_one_wins() {
    let server = MockServer::start().await;
    for (to, id) in [
        ("ada@", "AdaXMessageId0000000001"),
        ("bola@", "BolaXMessageId000000002"),
    ] {
        Mock::given(path(MAIL_SEND))
            .and(body_string_contains(to))
            .respond_with(ResponseTemplate::new(202).insert_header("X-Message-Id", id))
            .mount(&server)
            .await;
    }
    let bola_email = EmailMessage {
        message_id: "balogun:r3:reminder:bola:email".into(),
        to: "bola@example.com".into(),
        ..message()
    };
    let (ada, bola) = (message().message_id, bola_email.message_id.clone());
    let (service, store, _) = outbox(sendgrid(&server), vec![message(), bola_email]).await;
    assert_eq!(service.deliver_outbox(10).await.unwrap().sent, 2);
    let status = |id: String| {
        let store = store.clone();
        async move { store.outbox_message(&id).await.unwrap().unwrap().status }
    };

    // Ada's report names her message by our id; Bola's only by SendGrid's.
    let batch = [
        event("processed", "AdaXMessageId0000000001", Some(&ada), 1),
        event("delivered", "AdaXMessageId0000000001", Some(&ada), 2),
        event("bounce", "BolaXMessageId000000002", None, 3),
    ];
    assert_eq!(
        handle_all(&service, verified(&batch)).await,
        2,
        "processed is ignored"
    );
    let bounced = OutboxStatus::Undeliverable {
        reason: "bounced".into(),
    };
    assert_eq!(status(ada.clone()).await, OutboxStatus::Delivered);
    assert_eq!(status(bola.clone()).await, bounced);

    // SendGrid retries a batch it thinks failed: the same reports change nothing.
    handle_all(&service, verified(&batch)).await;
    assert_eq!(status(ada.clone()).await, OutboxStatus::Delivered);
    assert_eq!(status(bola.clone()).await, bounced);

    // Contrary reports arriving late: the first final report stands.
    let late = [
        event("bounce", "AdaXMessageId0000000001", Some(&ada), 4),
        event("delivered", "BolaXMessageId000000002", None, 5),
    ];
    handle_all(&service, verified(&late)).await;
    assert_eq!(status(ada).await, OutboxStatus::Delivered);
    assert_eq!(status(bola).await, bounced);

    // A report about a message ajo never sent is an error the host answers 200 to.
    let stray = verified(&[event("delivered", "SomeoneElsesMessage0001", None, 6)]);
    let [WebhookOutcome::Delivery(stray)] = stray.as_slice() else {
        panic!("{stray:?}")
    };
    assert!(matches!(
        service.handle_delivery_event(stray).await,
        Err(ServiceError::Store(StoreError::UnknownMessage(_)))
    ));
}
