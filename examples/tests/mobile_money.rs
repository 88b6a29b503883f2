//! M-Pesa and MTN MoMo callbacks through the `webhook_server` router on a real socket:
//! routed by the registry to `/webhooks/{provider}/{token}`, acknowledged in the body the
//! provider expects, refused at any other URL, and credited only once the provider's own
//! status query (against a local mock of Daraja or MTN) confirms them.

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
use std::sync::Arc;

use ajo_adapters::http::{HttpConfig, RetryPolicy};
use ajo_adapters::momo::{MomoConfig, MomoGateway};
use ajo_adapters::mpesa::{MpesaConfig, MpesaGateway};
use ajo_core::calendar::Frequency;
use ajo_core::group::GroupConfig;
use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId};
use ajo_core::money::{Currency, Money};
use ajo_core::phone::Country;
use ajo_core::ports::{
    Clock, EmailSender, EntryQuery, Journal, PaymentGateway, RecipientDetails, SmsSender, Store,
};
use ajo_core::service::{AjoService, Contact};
use ajo_core::webhook::{CallbackSecret, Provider, momo_reference_id};
use ajo_examples::webhook_server::{self, Config, router, vars};
use ajo_testkit::InMemoryStore;
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeSms};
use chrono::{NaiveDate, TimeZone, Utc};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MPESA_SECRET: &str = "mpesa-ws-callback-secret-7f3e9a1c2b4d";
const MOMO_SECRET: &str = "momo-ws-callback-secret-1a2b3c4d5e6f7";
const PUBLIC_URL: &str = "https://ajo.example.com";
const REF: &str = "ajo=ctb=g1=r1=h1";

fn config() -> Config {
    let map: HashMap<&str, OsString> = [
        (vars::MPESA_CALLBACK, MPESA_SECRET),
        (vars::MOMO_CALLBACK, MOMO_SECRET),
        (vars::PUBLIC_URL, PUBLIC_URL),
    ]
    .into_iter()
    .map(|(k, v)| (k, OsString::from(v)))
    .collect();
    Config::from_lookup(|var| map.get(var).cloned()).unwrap()
}

fn secret(provider: Provider, text: &str) -> CallbackSecret {
    CallbackSecret::new(provider, SecretString::from(text)).unwrap()
}

fn json_answer(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

fn http(server: &MockServer) -> HttpConfig {
    HttpConfig::new(server.uri())
        .with_timeout(std::time::Duration::from_millis(500))
        .with_retry(RetryPolicy::new(1, std::time::Duration::from_millis(5)))
}

/// The router on a free loopback port, serving a started two-member group whose
/// gateway is `gateway`, in `currency`.
struct Server {
    service: AjoService,
    store: Arc<InMemoryStore>,
    group: GroupId,
    base: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(
        gateway: impl FnOnce(Arc<FakeClock>) -> Arc<dyn PaymentGateway>,
        contribution: Money,
        phones: [&str; 2],
    ) -> Server {
        let store = Arc::new(InMemoryStore::new());
        let clock = Arc::new(FakeClock::new(
            Utc.with_ymd_and_hms(2026, 1, 10, 6, 0, 0).unwrap()
                + chrono::Duration::nanoseconds(987_654_321),
        ));
        let service = AjoService::new(
            store.clone() as Arc<dyn Store>,
            gateway(clock.clone()),
            Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
            Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
            clock.clone() as Arc<dyn Clock>,
        );
        let group = GroupId::new("g1").unwrap();
        let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let setup = GroupConfig::builder("Market group", contribution, Frequency::Monthly, start)
            .deposit(DepositRule::None)
            .build()
            .unwrap();
        service.create_group(&group, setup).await.unwrap();
        for (name, phone) in ["first", "second"].into_iter().zip(phones) {
            let contact = Contact {
                name: name.into(),
                email: None,
                phone: Some(phone.into()),
                payout_account: Some(RecipientDetails {
                    name: name.into(),
                    bank_code: "MOBILE".into(),
                    account_number: phone.into(),
                    currency: contribution.currency().code().into(),
                }),
            };
            service
                .join(&group, &ajo_testkit::builders::member(name), 1, &contact)
                .await
                .unwrap();
        }
        service.start(&group).await.unwrap();
        let config = config();
        let app = router(&config, service.clone(), clock.clone()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            webhook_server::serve(listener, app, &config, std::future::pending()).await;
        });
        Server {
            service,
            store,
            group,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
        }
    }

    /// Posts `body` to the path of `url` (a callback URL the adapter built for the public
    /// host): the status, the content type and the body of the answer.
    async fn post(&self, url: &str, body: &str) -> (u16, String, String) {
        let path = url.strip_prefix(PUBLIC_URL).unwrap_or(url);
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, kind, response.text().await.unwrap())
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

fn stk_paid(checkout: &str) -> String {
    format!(
        r#"{{"Body":{{"stkCallback":{{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"{checkout}","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{{"Item":[{{"Name":"Amount","Value":1000.00}},{{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"}},{{"Name":"Balance"}},{{"Name":"TransactionDate","Value":20260110090512}},{{"Name":"PhoneNumber","Value":254712345678}}]}}}}}}}}"#
    )
}

#[tokio::test]
async fn mpesa_callbacks_are_routed_by_token_acknowledged_as_daraja_expects_and_confirmed() {
    let daraja = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oauth/v1/generate"))
        .respond_with(json_answer(
            200,
            r#"{"access_token":"tok","expires_in":"3599"}"#,
        ))
        .mount(&daraja)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .respond_with(json_answer(
            200,
            r#"{"MerchantRequestID":"m1","CheckoutRequestID":"ws_CO_1","ResponseCode":"0"}"#,
        ))
        .mount(&daraja)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpushquery/v1/query"))
        .respond_with(json_answer(
            500,
            r#"{"requestId":"ws_CO_1","errorCode":"500.001.1001","errorMessage":"The transaction is being processed"}"#,
        ))
        // The first attempt and the HTTP layer's one retry of a query that answered 5xx.
        .up_to_n_times(2)
        .mount(&daraja)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpushquery/v1/query"))
        .respond_with(json_answer(
            200,
            r#"{"ResponseCode":"0","CheckoutRequestID":"ws_CO_1","ResultCode":"0","ResultDesc":"The service request is processed successfully."}"#,
        ))
        .mount(&daraja)
        .await;
    let mpesa = secret(Provider::Mpesa, MPESA_SECRET);
    let callback_base = format!("{PUBLIC_URL}/webhooks/mpesa");
    let server = Server::start(
        |clock| {
            let config = MpesaConfig::new(
                "key",
                SecretString::from("consumer-secret"),
                "174379",
                SecretString::from("passkey"),
                mpesa.clone(),
                callback_base.as_str(),
            )
            .with_clock(clock)
            .with_http(http(&daraja));
            Arc::new(MpesaGateway::new(config).unwrap())
        },
        Money::parse("1000", Currency::KES).unwrap(),
        ["0712345678", "0722000111"],
    )
    .await;
    let checkout = server
        .service
        .request_contribution(&server.group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    assert_eq!(checkout.reference, REF);
    let url = mpesa.callback_url(&callback_base, REF);
    let body = stk_paid("ws_CO_1");

    // Without the token, or at the signing providers' route shape: refused, nothing read.
    for wrong in [
        format!("/webhooks/mpesa?ref={REF}"),
        format!("/webhooks/mpesa/{}?ref={REF}", "0".repeat(32)),
        format!("/webhooks/paystack/{}?ref={REF}", mpesa.path_token()),
    ] {
        let (status, _, _) = server.post(&wrong, &body).await;
        assert!(status == 401 || status == 404, "{wrong}: {status}");
    }
    // At the token URL before the member has paid: Daraja says "being processed", nothing
    // is credited, and Daraja is still acknowledged as it expects.
    let (status, kind, answer) = server.post(&url, &body).await;
    assert_eq!((status, kind.as_str()), (200, "application/json"));
    assert_eq!(answer, r#"{"ResultCode":0,"ResultDesc":"Accepted"}"#);
    assert_eq!(server.entries(REF).await, 0);
    // Paid now: credited once, however often Daraja (or anyone) posts it.
    for _ in 0..2 {
        let (status, _, answer) = server.post(&url, &body).await;
        assert_eq!(
            (status, answer.as_str()),
            (200, r#"{"ResultCode":0,"ResultDesc":"Accepted"}"#)
        );
    }
    assert_eq!(server.entries(REF).await, 1);
    let state = server.service.group(&server.group).await.unwrap();
    assert_eq!(
        state.due(1, HandId::new(1).unwrap()).unwrap().paid,
        Money::parse("1000", Currency::KES).unwrap()
    );
    ajo_testkit::assert_books_balance(server.store.as_ref()).await;
}

#[tokio::test]
async fn momo_callbacks_are_routed_by_token_and_confirmed_with_the_status_get() {
    let mtn = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/collection/token/"))
        .respond_with(json_answer(
            200,
            r#"{"access_token":"tok","token_type":"access_token","expires_in":3600}"#,
        ))
        .mount(&mtn)
        .await;
    Mock::given(method("POST"))
        .and(path("/collection/v1_0/requesttopay"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&mtn)
        .await;
    let paid = json!({"financialTransactionId": "1232581108", "externalId": REF, "amount": "50000",
        "currency": "UGX", "payer": {"partyIdType": "MSISDN", "partyId": "256772000000"},
        "status": "SUCCESSFUL"})
    .to_string();
    Mock::given(method("GET"))
        .and(path(format!(
            "/collection/v1_0/requesttopay/{}",
            momo_reference_id(REF)
        )))
        .respond_with(json_answer(200, &paid))
        .mount(&mtn)
        .await;
    let momo = secret(Provider::MtnMomo, MOMO_SECRET);
    let callback_base = format!("{PUBLIC_URL}/webhooks/mtn-momo");
    let server = Server::start(
        |clock| {
            let config = MomoConfig::new(
                "api-user",
                SecretString::from("api-key"),
                "mtnuganda",
                Country::UG,
                momo.clone(),
                callback_base.as_str(),
            )
            .with_collections(SecretString::from("collection-key"))
            .with_clock(clock)
            .with_http(http(&mtn));
            Arc::new(MomoGateway::new(config).unwrap())
        },
        Money::parse("50000", Currency::UGX).unwrap(),
        ["0772000000", "0701234567"],
    )
    .await;
    server
        .service
        .request_contribution(&server.group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let (status, _, _) = server
        .post(
            &format!("/webhooks/mtn-momo/{}?ref={REF}", mpesa_like_token()),
            &paid,
        )
        .await;
    assert_eq!(status, 401, "another deployment's token");
    assert_eq!(server.entries(REF).await, 0);
    let url = momo.callback_url(&callback_base, REF);
    for _ in 0..2 {
        let (status, _, _) = server.post(&url, &paid).await;
        assert_eq!(status, 200);
    }
    assert_eq!(server.entries(REF).await, 1, "credited once, after the GET");
    let asked = mtn
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(
        asked, 1,
        "confirmed with MTN; the duplicate was not asked about"
    );
    ajo_testkit::assert_books_balance(server.store.as_ref()).await;
}

fn mpesa_like_token() -> String {
    secret(Provider::MtnMomo, MPESA_SECRET).path_token()
}

fn config_from(pairs: &[(&str, String)]) -> Result<Config, webhook_server::ConfigError> {
    let map: HashMap<&str, OsString> = pairs.iter().map(|(k, v)| (*k, OsString::from(v))).collect();
    Config::from_lookup(|var| map.get(var).cloned())
}

/// The server's own wiring, from the environment alone: M-Pesa's variables make it the
/// gateway, its pushes name this server's token route at the public URL, and that URL is
/// what the server's registry accepts.
#[tokio::test]
async fn the_environment_makes_mpesa_the_gateway_calling_back_to_the_token_route() {
    use ajo_core::ports::CollectionRequest;
    use ajo_core::webhook::WebhookRequest;
    let daraja = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oauth/v1/generate"))
        .respond_with(json_answer(
            200,
            r#"{"access_token":"tok","expires_in":3599}"#,
        ))
        .mount(&daraja)
        .await;
    Mock::given(method("POST"))
        .and(path("/mpesa/stkpush/v1/processrequest"))
        .respond_with(json_answer(
            200,
            r#"{"CheckoutRequestID":"ws_CO_1","ResponseCode":"0"}"#,
        ))
        .mount(&daraja)
        .await;
    let full = vec![
        (vars::MPESA_API_KEY, "consumer-secret".to_owned()),
        (vars::MPESA_CONSUMER_KEY, "consumer-key".to_owned()),
        (vars::MPESA_SHORTCODE, "174379".to_owned()),
        (vars::MPESA_PASSKEY, "passkey".to_owned()),
        (vars::MPESA_CALLBACK, MPESA_SECRET.to_owned()),
        (vars::MPESA_BASE_URL, daraja.uri()),
        (vars::PUBLIC_URL, PUBLIC_URL.to_owned()),
    ];
    // Each of these missing stops the start, naming what is missing.
    for missing in [
        vars::MPESA_SHORTCODE,
        vars::MPESA_CALLBACK,
        vars::PUBLIC_URL,
    ] {
        let partial: Vec<_> = full
            .iter()
            .filter(|(k, _)| *k != missing)
            .cloned()
            .collect();
        let error = config_from(&partial).unwrap_err();
        assert!(error.to_string().contains(missing), "{missing}: {error}");
    }
    let mut b2c_half = full.clone();
    b2c_half.push((vars::MPESA_B2C_INITIATOR, "ajo".to_owned()));
    let half = config_from(&b2c_half).unwrap();
    let error = webhook_server::wiring::payment_gateway(&half).unwrap_err();
    assert!(error.to_string().contains("mpesa"), "{error}");

    let config = config_from(&full).unwrap();
    assert_eq!(config.payment_provider(), Some(Provider::Mpesa));
    let gateway = webhook_server::wiring::payment_gateway(&config).unwrap();
    assert_eq!(gateway.provider(), "mpesa");
    gateway
        .start_collection(&CollectionRequest {
            reference: REF.into(),
            amount: Money::parse("1000", Currency::KES).unwrap(),
            email: String::new(),
            description: "round 1".into(),
            callback_url: None,
            payer_phone: Some("0712345678".into()),
        })
        .await
        .unwrap();
    let pushed = daraja
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.url.path() == "/mpesa/stkpush/v1/processrequest")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&pushed.body).unwrap();
    let callback_url = body["CallBackURL"].as_str().unwrap().to_owned();
    assert!(
        callback_url.starts_with(&format!("{PUBLIC_URL}/webhooks/mpesa/")),
        "{callback_url}"
    );
    let registry = config.webhook_registry().unwrap();
    let stk = stk_paid("ws_CO_1");
    let request = WebhookRequest::new(&[], stk.as_bytes(), Utc::now()).with_url(&callback_url);
    assert!(registry.verify("mpesa", &request).unwrap().is_ok());
}
