//! The shared HTTP client against a local mock server: which failures are retried, how
//! `Retry-After` is honoured, when the breaker opens, and that keys never print.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::{Duration, Instant};

use ajo_adapters::http::{
    ApiClient, ApiRequest, BreakerPolicy, HttpConfig, RetryPolicy, TransportError,
};
use secrecy::SecretString;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &str, retries: usize) -> ApiClient {
    let config = HttpConfig::new(server)
        .with_timeout(Duration::from_millis(300))
        .with_retry(RetryPolicy::new(retries, Duration::from_millis(5)))
        .with_breaker(BreakerPolicy::new(3, Duration::from_secs(60)));
    ApiClient::new("test", config).unwrap()
}

async fn answer_then(server: &MockServer, first: ResponseTemplate, times: u64, then: u16) {
    Mock::given(path("/thing"))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(path("/thing"))
        .respond_with(ResponseTemplate::new(then))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_5xx_on_an_idempotent_call_is_retried_until_it_succeeds() {
    let server = MockServer::start().await;
    answer_then(&server, ResponseTemplate::new(503), 2, 200).await;
    let response = client(&server.uri(), 3)
        .send(&ApiRequest::get("/thing"))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_5xx_on_a_call_that_is_not_idempotent_is_answered_at_once() {
    let server = MockServer::start().await;
    answer_then(&server, ResponseTemplate::new(500), 1, 200).await;
    let response = client(&server.uri(), 3)
        .send(&ApiRequest::post("/thing"))
        .await
        .unwrap();
    assert_eq!(response.status, 500);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn retries_stop_after_the_policy_allows() {
    let server = MockServer::start().await;
    answer_then(&server, ResponseTemplate::new(502), 100, 200).await;
    let response = client(&server.uri(), 2)
        .send(&ApiRequest::get("/thing"))
        .await
        .unwrap();
    assert_eq!(response.status, 502);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_429_is_retried_after_the_wait_the_provider_asked_for() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).insert_header("Retry-After", "1");
    answer_then(&server, limited, 1, 200).await;
    let started = Instant::now();
    let response = client(&server.uri(), 3)
        .send(&ApiRequest::post("/thing"))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
}

#[tokio::test]
async fn a_429_asking_for_too_long_a_wait_goes_back_to_the_caller() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429).insert_header("Retry-After", "120");
    answer_then(&server, limited, 1, 200).await;
    let response = client(&server.uri(), 3)
        .send(&ApiRequest::get("/thing"))
        .await
        .unwrap();
    assert_eq!(response.status, 429);
    assert_eq!(response.retry_after, Some(Duration::from_secs(120)));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_timeout_is_retried_only_when_the_call_is_idempotent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let client = client(&server.uri(), 2);
    let error = client.send(&ApiRequest::post("/pay")).await.unwrap_err();
    assert_eq!(error, TransportError::Timeout);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let error = client.send(&ApiRequest::get("/pay")).await.unwrap_err();
    assert_eq!(error, TransportError::Timeout);
    assert_eq!(server.received_requests().await.unwrap().len(), 1 + 3);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_post() {
    // Bind and drop a listener: nothing answers on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(&format!("http://127.0.0.1:{port}"), 2);
    let started = Instant::now();
    let error = client.send(&ApiRequest::post("/pay")).await.unwrap_err();
    assert_eq!(error, TransportError::Connect);
    assert!(started.elapsed() >= Duration::from_millis(5), "backed off");
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_stops_calling() {
    let server = MockServer::start().await;
    answer_then(&server, ResponseTemplate::new(500), 100, 200).await;
    let client = client(&server.uri(), 0);
    for _ in 0..3 {
        assert_eq!(
            client
                .send(&ApiRequest::get("/thing"))
                .await
                .unwrap()
                .status,
            500
        );
    }
    assert!(client.breaker().is_open());
    let error = client.send(&ApiRequest::get("/thing")).await.unwrap_err();
    assert_eq!(error, TransportError::CircuitOpen);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_4xx_is_an_answer_not_a_failure() {
    let server = MockServer::start().await;
    answer_then(&server, ResponseTemplate::new(400), 100, 200).await;
    let client = client(&server.uri(), 3);
    for _ in 0..5 {
        let response = client.send(&ApiRequest::post("/thing")).await.unwrap();
        assert_eq!(response.status, 400);
    }
    assert!(!client.breaker().is_open());
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
}

#[tokio::test]
async fn keys_are_sent_but_never_printed() {
    let server = MockServer::start().await;
    Mock::given(header("authorization", "Bearer sk_test_secret"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let key = SecretString::from("sk_test_secret");
    let request = ApiRequest::post("/thing?reference=abc")
        .bearer(&key)
        .form([("amount", "500")]);
    let client = client(&server.uri(), 0);
    assert_eq!(client.send(&request).await.unwrap().status, 200);
    let shown = format!("{request:?} {client:?}");
    assert!(!shown.contains("sk_test_secret"), "{shown}");
    assert!(!shown.contains("reference=abc"), "{shown}");
}
