//! The Twilio adapter against a local mock of the Messages API: the exact request, each
//! documented answer, retries, E.164 checks, the notify contract, and the message id
//! coming back through the status-callback verifier.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test helpers outside #[test] fns

use std::sync::Arc;
use std::time::Duration;

use ajo_adapters::http::{HttpConfig, RetryPolicy};
use ajo_adapters::twilio::{Twilio, TwilioConfig, TwilioSender};
use ajo_core::ports::{
    AppendRequest, Clock, EmailSender, NotifyError, Outbox, OutboxChannel, OutboxMessage,
    OutboxStatus, PaymentGateway, ProviderMessageId, SmsMessage, SmsSender, Store,
};
use ajo_core::service::AjoService;
use ajo_core::webhook::{DeliveryStatus, TwilioVerifier, WebhookOutcome};
use ajo_testkit::InMemoryStore;
use ajo_testkit::conformance::notify::{self, SmsFixtures};
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeGateway};
use base64::Engine as _;
use chrono::{TimeZone, Utc};
use hmac::Mac as _;
use secrecy::SecretString;
use wiremock::matchers::{body_string, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "test-auth-token-not-real";
const MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";
const SID: &str = "SM5ac2b2b95d3b4ed1a2f0c1f0a0e1d2c3";
const CALLBACK: &str = "https://ajo.example.com/webhooks/twilio";

fn data(name: &str) -> String {
    let file = format!("{}/tests/data/twilio/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn config(server: &MockServer, sender: TwilioSender) -> TwilioConfig {
    TwilioConfig::new(ACCOUNT, SecretString::from(TOKEN), sender).with_http(
        HttpConfig::new(server.uri())
            .with_timeout(Duration::from_millis(500))
            .with_retry(RetryPolicy::new(2, Duration::from_millis(5))),
    )
}

fn twilio(server: &MockServer) -> Twilio {
    Twilio::new(config(server, TwilioSender::From("+15017122661".into())).status_callback(CALLBACK))
        .unwrap()
}

fn message() -> SmsMessage {
    SmsMessage {
        message_id: "balogun:r3:reminder:ada:sms".into(),
        to: "+2348012345678".into(),
        body: "Ajo: NGN 5,000.00 due 1 Dec for Balogun Market Ajo, round 3.".into(),
    }
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_raw(data("message_201.json"), "application/json")
}

fn basic_auth() -> String {
    let pair = format!("{ACCOUNT}:{TOKEN}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The Messages API as documented: basic auth, a form, and exactly this body.
fn documented_request(body: &str) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("authorization", basic_auth().as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(body))
}

const FORM: &str = "To=%2B2348012345678&From=%2B15017122661\
    &Body=Ajo%3A+NGN+5%2C000.00+due+1+Dec+for+Balogun+Market+Ajo%2C+round+3.\
    &StatusCallback=https%3A%2F%2Fajo.example.com%2Fwebhooks%2Ftwilio%3Fajo_message_id%3Dbalogun%253Ar3%253Areminder%253Aada%253Asms";

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn an_sms_is_sent_as_documented_and_the_sid_returned() {
    let server = MockServer::start().await;
    documented_request(FORM)
        .respond_with(created())
        .expect(1)
        .mount(&server)
        .await;
    let id = twilio(&server).send_sms(&message()).await.unwrap();
    assert_eq!(id, ProviderMessageId(SID.into()));
}

#[tokio::test]
async fn a_messaging_service_replaces_from_and_no_callback_means_no_status_callback() {
    let server = MockServer::start().await;
    documented_request(
        "To=%2B2348012345678&MessagingServiceSid=MG0123456789abcdef0123456789abcdef\
         &Body=Ajo%3A+NGN+5%2C000.00+due+1+Dec+for+Balogun+Market+Ajo%2C+round+3.",
    )
    .respond_with(created())
    .expect(1)
    .mount(&server)
    .await;
    let sender = Twilio::new(config(
        &server,
        TwilioSender::MessagingService("MG0123456789abcdef0123456789abcdef".into()),
    ))
    .unwrap();
    assert_eq!(sender.send_sms(&message()).await.unwrap().0, SID);
}

#[tokio::test]
async fn a_callback_url_with_a_query_gets_the_id_after_an_ampersand() {
    let server = MockServer::start().await;
    Mock::given(path(MESSAGES))
        .respond_with(created())
        .mount(&server)
        .await;
    let sender = Twilio::new(
        config(&server, TwilioSender::From("Ajo".into()))
            .status_callback("https://ajo.example.com/webhooks/twilio?tenant=lagos"),
    )
    .unwrap();
    sender.send_sms(&message()).await.unwrap();
    let sent = &server.received_requests().await.unwrap()[0];
    let fields: Vec<(String, String)> = form_urlencoded::parse(&sent.body).into_owned().collect();
    assert_eq!(
        fields,
        [
            ("To".to_owned(), "+2348012345678".to_owned()),
            ("From".to_owned(), "Ajo".to_owned()),
            ("Body".to_owned(), message().body),
            (
                "StatusCallback".to_owned(),
                "https://ajo.example.com/webhooks/twilio?tenant=lagos\
                 &ajo_message_id=balogun%3Ar3%3Areminder%3Aada%3Asms"
                    .to_owned()
            ),
        ]
    );
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
    Mock::given(path(MESSAGES))
        .respond_with(response)
        .mount(&server)
        .await;
    let result = twilio(&server).send_sms(&message()).await;
    (server, result)
}

#[tokio::test]
async fn an_invalid_to_is_an_invalid_recipient() {
    let (server, result) = answer(400, Some("error_21211.json")).await;
    assert_eq!(result, Err(NotifyError::InvalidRecipient));
    assert_eq!(requests(&server).await, 1, "a 400 is not retried");
}

#[tokio::test]
async fn other_codes_are_rejected_with_the_code() {
    let (_, result) = answer(400, Some("error_21610.json")).await;
    assert_eq!(
        result,
        Err(NotifyError::Rejected {
            code: "21610".into()
        })
    );
    assert!(!result.unwrap_err().is_retryable());
    let (_, result) = answer(400, None).await;
    assert_eq!(
        result,
        Err(NotifyError::Unexpected {
            provider: "twilio",
            status: 400
        }),
        "a 400 without a code"
    );
}

#[tokio::test]
async fn refused_credentials_are_unauthorized() {
    let (server, result) = answer(401, Some("error_20003.json")).await;
    assert_eq!(result, Err(NotifyError::Unauthorized));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_created_answer_without_a_sid_is_unexpected_not_success() {
    let server = MockServer::start().await;
    Mock::given(path(MESSAGES))
        .respond_with(ResponseTemplate::new(201).set_body_string(r#"{"status":"queued"}"#))
        .mount(&server)
        .await;
    assert_eq!(
        twilio(&server).send_sms(&message()).await,
        Err(NotifyError::Unexpected {
            provider: "twilio",
            status: 201
        })
    );
}

#[tokio::test]
async fn a_429_is_waited_out_in_place_then_sent() {
    let server = MockServer::start().await;
    Mock::given(path(MESSAGES))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0")
                .set_body_raw(data("error_20429.json"), "application/json"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    documented_request(FORM)
        .respond_with(created())
        .with_priority(2)
        .mount(&server)
        .await;
    assert_eq!(twilio(&server).send_sms(&message()).await.unwrap().0, SID);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_429_without_retry_after_is_retried_with_backoff_then_handed_back() {
    let (server, result) = answer(429, Some("error_20429.json")).await;
    assert_eq!(result, Err(NotifyError::RateLimited { retry_after: None }));
    assert_eq!(requests(&server).await, 3, "the first try and two retries");
}

#[tokio::test]
async fn a_5xx_is_not_retried_in_place_then_the_next_send_succeeds() {
    let server = MockServer::start().await;
    Mock::given(path(MESSAGES))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    documented_request(FORM)
        .respond_with(created())
        .with_priority(2)
        .mount(&server)
        .await;
    let sender = twilio(&server);
    assert_eq!(
        sender.send_sms(&message()).await,
        Err(NotifyError::Unavailable)
    );
    assert_eq!(requests(&server).await, 1);
    assert_eq!(sender.send_sms(&message()).await.unwrap().0, SID);
}

#[tokio::test]
async fn a_number_that_is_not_e164_is_refused_without_a_request() {
    let server = MockServer::start().await;
    Mock::given(path(MESSAGES))
        .respond_with(created())
        .mount(&server)
        .await;
    let sender = twilio(&server);
    for to in [
        "08012345678",
        "+234 801 234 5678",
        "+0123456789",
        "+1234567",
    ] {
        let message = SmsMessage {
            to: to.into(),
            ..message()
        };
        assert_eq!(
            sender.send_sms(&message).await,
            Err(NotifyError::InvalidRecipient),
            "{to}"
        );
    }
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn passes_the_notify_contract() {
    let server = MockServer::start().await;
    documented_request(FORM)
        .respond_with(created())
        .mount(&server)
        .await;
    let fixtures = SmsFixtures::new(message()).with_secrets(&[TOKEN]);
    notify::run_sms(&twilio(&server), &fixtures).await;
    assert_eq!(
        requests(&server).await,
        1,
        "numbers that are not E.164 cost no request"
    );
}

#[tokio::test]
async fn errors_never_show_the_token() {
    for status in [400, 401, 429, 500] {
        let (_, result) = answer(status, Some("error_20003.json")).await;
        let error = result.unwrap_err();
        assert!(!format!("{error} {error:?}").contains(TOKEN), "{error:?}");
    }
}

/// Twilio's `X-Twilio-Signature`: HMAC-SHA1 with the auth token over the URL and the form
/// fields sorted by name, each as name then value.
fn sign(url: &str, fields: &[(&str, &str)]) -> String {
    let mut sorted = fields.to_vec();
    sorted.sort();
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A status callback for `sid` as Twilio posts it to `url`, signed, through the verifier.
fn callback(url: &str, sid: &str, status: &str, error_code: Option<&str>) -> WebhookOutcome {
    let mut fields = vec![
        ("AccountSid", ACCOUNT),
        ("ApiVersion", "2010-04-01"),
        ("From", "+15017122661"),
        ("MessageSid", sid),
        ("MessageStatus", status),
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("To", "+2348012345678"),
    ];
    if let Some(code) = error_code {
        fields.push(("ErrorCode", code));
    }
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&fields)
        .finish();
    let headers = [("X-Twilio-Signature", sign(url, &fields))];
    TwilioVerifier::new(vec![SecretString::from(TOKEN)])
        .unwrap()
        .verify_and_parse(url, &headers, body.as_bytes())
        .unwrap()
}

#[tokio::test]
async fn the_message_id_sent_comes_back_through_the_status_callback() {
    let server = MockServer::start().await;
    documented_request(FORM)
        .respond_with(created())
        .mount(&server)
        .await;
    let id = twilio(&server).send_sms(&message()).await.unwrap();
    let sent = &server.received_requests().await.unwrap()[0];
    let callback_url = form_urlencoded::parse(&sent.body)
        .find(|(name, _)| name == "StatusCallback")
        .unwrap()
        .1
        .into_owned();

    // Twilio posts the report to the URL exactly as given, signed over that URL.
    for (status, expected) in [
        ("delivered", DeliveryStatus::Delivered),
        ("failed", DeliveryStatus::Failed),
    ] {
        let outcome = callback(&callback_url, &id.0, status, None);
        let WebhookOutcome::Delivery(report) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(report.message_id(), Some(message().message_id.as_str()));
        assert_eq!(report.provider_message_id(), SID);
        assert_eq!(report.status(), expected);
    }
}

/// The `StatusCallback` URL of each message the mock received, by our message id.
async fn callback_urls(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter_map(|request| {
            form_urlencoded::parse(&request.body)
                .find(|(name, _)| name == "StatusCallback")
                .map(|(_, url)| url.into_owned())
        })
        .collect()
}

#[tokio::test]
async fn status_callbacks_update_each_message_once_and_the_first_final_one_wins() {
    let server = MockServer::start().await;
    let sids = [
        ("%2B2348012345678", "SM00000000000000000000000000000001"),
        ("%2B254712345678", "SM00000000000000000000000000000002"),
    ];
    for (to, sid) in sids {
        Mock::given(path(MESSAGES))
            .and(body_string_contains(format!("To={to}").as_str()))
            .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
                "sid": sid,
                "status": "queued",
            })))
            .mount(&server)
            .await;
    }
    let ada = message();
    let wanjiru = SmsMessage {
        message_id: "harambee:r1:reminder:wanjiru:sms".into(),
        to: "+254712345678".into(),
        ..message()
    };
    let store = Arc::new(InMemoryStore::new());
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    store
        .append(AppendRequest {
            streams: vec![],
            entries: vec![],
            outbox: [&ada, &wanjiru]
                .into_iter()
                .map(|m| OutboxMessage {
                    id: m.message_id.clone(),
                    channel: OutboxChannel::Sms(m.clone()),
                })
                .collect(),
            idempotency_key: None,
            at: at.into(),
        })
        .await
        .unwrap();
    let service = AjoService::new(
        store.clone() as Arc<dyn Store>,
        Arc::new(FakeGateway::new()) as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(twilio(&server)) as Arc<dyn SmsSender>,
        Arc::new(FakeClock::new(at)) as Arc<dyn Clock>,
    );
    assert_eq!(service.deliver_outbox(10).await.unwrap().sent, 2);
    let urls = callback_urls(&server).await;
    let status = |id: &str| {
        let store = store.clone();
        let id = id.to_owned();
        async move { store.outbox_message(&id).await.unwrap().unwrap().status }
    };
    let report = |outcome: WebhookOutcome| match outcome {
        WebhookOutcome::Delivery(report) => report,
        other => panic!("{other:?}"),
    };

    let delivered = report(callback(&urls[0], sids[0].1, "delivered", None));
    let failed = report(callback(&urls[1], sids[1].1, "failed", Some("30003")));
    for _ in 0..2 {
        // The second round is Twilio retrying: nothing changes.
        service.handle_delivery_event(&delivered).await.unwrap();
        service.handle_delivery_event(&failed).await.unwrap();
        assert_eq!(status(&ada.message_id).await, OutboxStatus::Delivered);
        assert_eq!(
            status(&wanjiru.message_id).await,
            OutboxStatus::Undeliverable {
                reason: "failed".into()
            }
        );
    }

    // Intermediate statuses are not reports; contrary final ones arriving late lose.
    assert!(matches!(
        callback(&urls[0], sids[0].1, "sent", None),
        WebhookOutcome::Ignored(_)
    ));
    let late_failure = report(callback(&urls[0], sids[0].1, "undelivered", Some("30005")));
    let late_delivery = report(callback(&urls[1], sids[1].1, "delivered", None));
    service.handle_delivery_event(&late_failure).await.unwrap();
    service.handle_delivery_event(&late_delivery).await.unwrap();
    assert_eq!(status(&ada.message_id).await, OutboxStatus::Delivered);
    assert_eq!(
        status(&wanjiru.message_id).await,
        OutboxStatus::Undeliverable {
            reason: "failed".into()
        }
    );
}
