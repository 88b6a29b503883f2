//! The `webhook_server` example's router on a real socket: signed, forged, replayed,
//! oversize and unconfigured requests for every provider, sent over HTTP with reqwest,
//! and what each did (or did not do) to the books.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed setup step should stop the test"
)]

mod common;

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::{Account, AccountKind};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    Clock, EntryQuery, IdempotencyKeys, Journal, Outbox, OutboxStatus, PaymentGateway, Store,
};
use ajo_core::service::{AjoService, REVIEW_OWNER};
use ajo_examples::webhook_server::{self, Config, router, vars, wiring};
use ajo_testkit::{Embedded, builders};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{TimeZone, Utc};
use common::sign::{
    paystack_charge, paystack_headers, paystack_signature, stripe_headers, stripe_intent,
};
use hmac::{Hmac, Mac};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use reqwest::StatusCode;
use sha1::Sha1;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PAYSTACK_SECRET: &str = "sk_test_ws_paystack_3f9a";
const FLUTTERWAVE_HASH: &str = "flw-ws-secret-hash-77c1";
const STRIPE_SECRET: &str = "whsec_ws_stripe_5be2";
const TWILIO_TOKEN: &str = "twilio-ws-auth-token-a0d4";
const PUBLIC_URL: &str = "https://ajo.example.com";
const MEMBERS: [&str; 3] = ["ada", "bola", "chidi"];

/// Everything the server logs, from every test in this binary.
fn logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .init();
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The test's SendGrid key pair: a fixed scalar, so a failure replays.
fn sendgrid_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32].into()).unwrap()
}

/// The public key as SendGrid shows it: base64 of a DER SubjectPublicKeyInfo, here the
/// fixed P-256 header (id-ecPublicKey, prime256v1) followed by the uncompressed point.
fn sendgrid_public_key(key: &SigningKey) -> String {
    let mut der = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap();
    der.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
    BASE64.encode(der)
}

/// Every provider configured, as an operator would in the environment.
fn all_providers() -> Vec<(&'static str, String)> {
    vec![
        (vars::PAYSTACK, PAYSTACK_SECRET.to_owned()),
        (vars::FLUTTERWAVE, FLUTTERWAVE_HASH.to_owned()),
        (vars::STRIPE, STRIPE_SECRET.to_owned()),
        (vars::SENDGRID, sendgrid_public_key(&sendgrid_key(7))),
        (vars::TWILIO, TWILIO_TOKEN.to_owned()),
        (vars::PUBLIC_URL, PUBLIC_URL.to_owned()),
    ]
}

fn config(vars: &[(&'static str, String)]) -> Config {
    let map: HashMap<&str, OsString> = vars.iter().map(|(k, v)| (*k, OsString::from(v))).collect();
    Config::from_lookup(|var| map.get(var).cloned()).unwrap()
}

/// The router serving a started three-member group, on a free loopback port.
struct Server {
    ajo: Embedded,
    group: GroupId,
    addr: SocketAddr,
    base: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(config: Config) -> Server {
        Server::start_with(config, None).await
    }

    /// As [`start`](Self::start), with the service calling `gateway` instead of the fake.
    async fn start_with(config: Config, gateway: Option<Arc<dyn PaymentGateway>>) -> Server {
        log_buffer();
        let mut ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 10, 11, 0, 0).unwrap());
        if let Some(gateway) = gateway {
            ajo.service = AjoService::new(
                ajo.store.clone(),
                gateway,
                ajo.email.clone(),
                ajo.sms.clone(),
                ajo.clock.clone(),
            );
        }
        let group = GroupId::new("balogun").unwrap();
        let setup = builders::naira_group(
            "Balogun market",
            10_000,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
        )
        .deposit(DepositRule::None)
        .build()
        .unwrap();
        ajo.service.create_group(&group, setup).await.unwrap();
        for name in MEMBERS {
            let member = MemberId::new(name).unwrap();
            ajo.service
                .join(&group, &member, 1, &builders::contact(name))
                .await
                .unwrap();
        }
        ajo.service.start(&group).await.unwrap();

        let app = router(&config, ajo.service.clone(), ajo.clock.clone()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // As the example binary serves it: with its timeouts and connection limit.
        tokio::spawn(async move {
            webhook_server::serve(listener, app, &config, std::future::pending()).await;
        });
        Server {
            ajo,
            group,
            addr,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
        }
    }

    /// A pending round-1 collection for `hand`: its reference.
    async fn pending_contribution(&self, hand: u32) -> String {
        self.ajo
            .service
            .request_contribution(&self.group, 1, HandId::new(hand).unwrap())
            .await
            .unwrap()
            .reference
    }

    /// Pays `hand`'s round-1 contribution through the service and sends the receipts
    /// through the fake senders: the outbox then holds sent messages for status reports.
    async fn paid_and_notified(&self, hand: u32) {
        let reference = self.pending_contribution(hand).await;
        let event = self.ajo.gateway.pay(&reference).unwrap();
        self.ajo.service.handle_gateway_event(&event).await.unwrap();
        let report = self.ajo.service.deliver_outbox(100).await.unwrap();
        assert!(report.sent >= 2, "an email and an SMS receipt: {report:?}");
    }

    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> StatusCode {
        let mut request = self.http.post(format!("{}{path}", self.base)).body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.unwrap().status()
    }

    /// What money has moved: every balance and the number of journal entries.
    async fn books(&self) -> (Vec<(Account, Money)>, usize) {
        let store: &dyn Store = self.ajo.store.as_ref();
        let entries = store.entries(&EntryQuery::default()).await.unwrap();
        (store.balances().await.unwrap(), entries.len())
    }

    /// Journal entries that carry `reference`.
    async fn entries_for(&self, reference: &str) -> usize {
        let query = EntryQuery {
            reference: Some(reference.to_owned()),
            ..EntryQuery::default()
        };
        self.ajo.store.entries(&query).await.unwrap().len()
    }

    async fn balance(&self, account: &Account) -> Money {
        self.ajo.store.balance(account).await.unwrap()
    }

    async fn pot(&self) -> Money {
        let state = self.ajo.service.group(&self.group).await.unwrap();
        self.balance(&state.accounts().unwrap().pot()).await
    }

    /// Whether no member's wallet, deposit or receivable holds anything.
    async fn no_member_credited(&self) -> bool {
        let state = self.ajo.service.group(&self.group).await.unwrap();
        let accounts = state.accounts().unwrap();
        for name in MEMBERS {
            let member = MemberId::new(name).unwrap();
            for account in [
                accounts.wallet(&member),
                accounts.escrow(&member),
                accounts.receivable(&member),
            ] {
                if !self.balance(&account).await.is_zero() {
                    return false;
                }
            }
        }
        true
    }

    /// The messages sent by SMS (`true`) or email, as (our id, the provider's id).
    async fn sent(&self, sms: bool) -> Vec<(String, String)> {
        let ids: Vec<String> = if sms {
            self.ajo
                .sms
                .sent()
                .into_iter()
                .map(|m| m.message_id)
                .collect()
        } else {
            self.ajo
                .email
                .sent()
                .into_iter()
                .map(|m| m.message_id)
                .collect()
        };
        let mut out = Vec::new();
        for id in ids {
            let record = self.ajo.store.outbox_message(&id).await.unwrap().unwrap();
            let OutboxStatus::Sent { provider_id } = record.status else {
                panic!("{id} is {:?}, not sent", record.status);
            };
            out.push((id, provider_id.0));
        }
        out
    }

    async fn status(&self, message_id: &str) -> OutboxStatus {
        self.ajo
            .store
            .outbox_message(message_id)
            .await
            .unwrap()
            .unwrap()
            .status
    }
}

fn ngn(text: &str) -> Money {
    Money::parse(text, Currency::NGN).unwrap()
}

// --- Paystack: HMAC-SHA512 of the raw body, lowercase hex, `x-paystack-signature` (see
// `common::sign`).

#[tokio::test]
async fn paystack_credits_a_signed_charge_once_and_refuses_forgeries() {
    let server = Server::start(config(&all_providers())).await;
    let reference = server.pending_contribution(1).await;
    let body = paystack_charge(&reference, 1_000_000);

    // A forged signature and a missing one: refused, nothing changes.
    let before = server.books().await;
    let forged = paystack_headers("sk_test_not_the_secret", &body);
    assert_eq!(
        server
            .post("/webhooks/paystack", &forged, body.clone())
            .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.post("/webhooks/paystack", &[], body.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    // The right signature over other bytes (the amount doubled) is a forgery too.
    let tampered = paystack_charge(&reference, 2_000_000);
    let signed_for_original = paystack_headers(PAYSTACK_SECRET, &body);
    assert_eq!(
        server
            .post("/webhooks/paystack", &signed_for_original, tampered)
            .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.books().await,
        before,
        "a refused webhook moves nothing"
    );
    assert!(
        !server
            .ajo
            .store
            .has_idempotency_key(&format!("paystack:{reference}:charge_succeeded:302961"))
            .await
            .unwrap()
    );

    // Signed: 200 and one credit to the pot.
    let signed = paystack_headers(PAYSTACK_SECRET, &body);
    assert_eq!(
        server
            .post("/webhooks/paystack", &signed, body.clone())
            .await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 1);
    assert_eq!(server.pot().await, ngn("-10000"), "the pot is credited");

    // Paystack retries: the same request again is acknowledged and changes nothing.
    let after_first = server.books().await;
    assert_eq!(
        server.post("/webhooks/paystack", &signed, body).await,
        StatusCode::OK
    );
    assert_eq!(server.books().await, after_first);
    assert_eq!(server.entries_for(&reference).await, 1, "still one credit");
}

#[tokio::test]
async fn paystack_money_for_an_unknown_reference_is_held_for_review_not_credited() {
    let server = Server::start(config(&all_providers())).await;
    let pot_before = server.pot().await;
    let body = paystack_charge("ajo-nobody-r9-9", 1_234_500);
    let headers = paystack_headers(PAYSTACK_SECRET, &body);

    assert_eq!(
        server
            .post("/webhooks/paystack", &headers, body.clone())
            .await,
        StatusCode::OK,
        "acknowledged, so Paystack stops retrying"
    );
    let review = Account::new(REVIEW_OWNER, AccountKind::Suspense, Currency::NGN);
    assert_eq!(
        server.balance(&review).await,
        ngn("-12345"),
        "held in suspense"
    );
    assert_eq!(server.pot().await, pot_before, "not in the pot");
    assert!(server.no_member_credited().await, "no member credited");
    assert!(
        logs().contains("flagged for review"),
        "the server says it needs review"
    );

    // The retry holds nothing more.
    assert_eq!(
        server.post("/webhooks/paystack", &headers, body).await,
        StatusCode::OK
    );
    assert_eq!(server.balance(&review).await, ngn("-12345"));
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_anything_else() {
    let limited = config(&all_providers()).with_max_body_len(4096).unwrap();
    let server = Server::start(limited).await;
    let before = server.books().await;
    let headers = paystack_headers(PAYSTACK_SECRET, b"{}");

    assert_eq!(
        server
            .post("/webhooks/paystack", &headers, vec![b' '; 4097])
            .await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // At the limit the body is read, and then refused for its signature.
    assert_eq!(
        server
            .post("/webhooks/paystack", &headers, vec![b' '; 4096])
            .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.books().await, before);

    // The default limit is 1 MiB, on every route.
    let server = Server::start(config(&all_providers())).await;
    for path in ["/webhooks/stripe", "/webhooks/sendgrid"] {
        assert_eq!(
            server.post(path, &[], vec![b' '; (1 << 20) + 1]).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_provider_without_a_secret_answers_404() {
    let only_paystack = config(&[(vars::PAYSTACK, PAYSTACK_SECRET.to_owned())]);
    let server = Server::start(only_paystack).await;
    for path in [
        "/webhooks/flutterwave",
        "/webhooks/stripe",
        "/webhooks/sendgrid",
        "/webhooks/twilio",
    ] {
        assert_eq!(
            server.post(path, &[], b"{}".to_vec()).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        server.post("/webhooks/paystack", &[], b"{}".to_vec()).await,
        StatusCode::UNAUTHORIZED,
        "the configured one is served"
    );
}

/// One route serves every provider, by the name in its path: a name no provider has, a
/// provider spelt in another case, or a path beside the route answers 404 even with every
/// provider configured, and a forged request to each configured provider is refused by
/// that provider's own verifier (its own reason in the log).
#[tokio::test]
async fn the_one_route_answers_404_for_an_unknown_provider() {
    let server = Server::start(config(&all_providers())).await;
    for path in [
        "/webhooks/nobody",
        "/webhooks/PAYSTACK",
        "/webhooks/paystack/extra",
        "/webhooks/",
        "/webhook/paystack",
    ] {
        assert_eq!(
            server.post(path, &[], b"{}".to_vec()).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for provider in ["paystack", "flutterwave", "stripe", "sendgrid", "twilio"] {
        let path = format!("/webhooks/{provider}");
        assert_eq!(
            server.post(&path, &[], b"{}".to_vec()).await,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert!(
            logs().contains(&format!("{provider}: missing header")),
            "{provider} refused by its own verifier"
        );
    }
}

// --- Flutterwave: the shared `verif-hash`, or a base64 HMAC-SHA256 `flutterwave-signature`.

fn flutterwave_charge(reference: &str, naira: u64) -> Vec<u8> {
    format!(
        r#"{{"event":"charge.completed","data":{{"id":285959875,"tx_ref":"{reference}","flw_ref":"AjoTest/FLW270177170","device_fingerprint":"a42937f4a73ce8bb8b8df14e63a2df31","amount":{naira},"currency":"NGN","charged_amount":{naira},"app_fee":1.4,"merchant_fee":0,"processor_response":"Approved by Financial Institution","auth_model":"PIN","ip":"197.210.64.96","narration":"CARD Transaction ","status":"successful","payment_type":"card","created_at":"2026-01-10T10:59:04.000Z","account_id":17321,"customer":{{"id":215604089,"name":"Bola","phone_number":null,"email":"bola@example.com","created_at":"2026-01-10T10:59:04.000Z"}}}}}}"#
    )
    .into_bytes()
}

/// What Flutterwave sends when signed webhooks are on: base64 HMAC-SHA256 of the body,
/// keyed with the secret hash.
fn flutterwave_headers(secret_hash: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_hash.as_bytes()).unwrap();
    mac.update(body);
    vec![(
        "flutterwave-signature",
        BASE64.encode(mac.finalize().into_bytes()),
    )]
}

#[tokio::test]
async fn flutterwave_signed_is_credited_forged_is_refused() {
    let server = Server::start(config(&all_providers())).await;
    let reference = server.pending_contribution(2).await;
    let body = flutterwave_charge(&reference, 10_000);
    let before = server.books().await;

    let wrong_hash = vec![("verif-hash", "flw-guessed-hash".to_owned())];
    assert_eq!(
        server
            .post("/webhooks/flutterwave", &wrong_hash, body.clone())
            .await,
        StatusCode::UNAUTHORIZED
    );
    // A signature, when present, decides, even beside a correct verif-hash.
    let mut bad_signature = flutterwave_headers("flw-guessed-hash", &body);
    bad_signature.push(("verif-hash", FLUTTERWAVE_HASH.to_owned()));
    assert_eq!(
        server
            .post("/webhooks/flutterwave", &bad_signature, body.clone())
            .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.books().await, before);

    let good = flutterwave_headers(FLUTTERWAVE_HASH, &body);
    assert_eq!(
        server
            .post("/webhooks/flutterwave", &good, body.clone())
            .await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 1);
    assert_eq!(server.pot().await, ngn("-10000"));
    assert_eq!(
        server.post("/webhooks/flutterwave", &good, body).await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 1);
}

/// `verif-hash` is the secret hash itself, the same on every delivery: refused unless the
/// operator turns it on, and then logged as a static-token proof. (Before: accepted by
/// default, and `FLUTTERWAVE_ACCEPT_VERIF_HASH` did not exist.)
#[tokio::test]
async fn flutterwave_verif_hash_alone_is_401_by_default_and_200_when_enabled() {
    let server = Server::start(config(&all_providers())).await;
    let reference = server.pending_contribution(2).await;
    let body = flutterwave_charge(&reference, 10_000);
    let before = server.books().await;
    let only_hash = vec![("verif-hash", FLUTTERWAVE_HASH.to_owned())];
    assert_eq!(
        server
            .post("/webhooks/flutterwave", &only_hash, body.clone())
            .await,
        StatusCode::UNAUTHORIZED,
        "the right hash, but the scheme is off"
    );
    assert_eq!(server.books().await, before, "nothing credited");
    assert!(
        logs().contains("verif-hash scheme is not enabled"),
        "the refusal says why"
    );

    let mut vars = all_providers();
    vars.push((vars::FLUTTERWAVE_ACCEPT_VERIF_HASH, "true".to_owned()));
    let enabled = config(&vars);
    webhook_server::announce(&enabled);
    assert!(
        logs().contains("only the static verif-hash are accepted"),
        "the operator is warned at start"
    );
    let server = Server::start(enabled).await;
    let reference = server.pending_contribution(2).await;
    let body = flutterwave_charge(&reference, 10_000);
    let wrong_hash = vec![("verif-hash", "flw-guessed-hash".to_owned())];
    assert_eq!(
        server
            .post("/webhooks/flutterwave", &wrong_hash, body.clone())
            .await,
        StatusCode::UNAUTHORIZED
    );
    // Let in, but a static token does not cover the body: the service asks the gateway,
    // which has not been paid, so nothing is credited (a forgery by anyone who has seen
    // one delivery).
    assert_eq!(
        server
            .post("/webhooks/flutterwave", &only_hash, body.clone())
            .await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 0, "not confirmed");
    assert!(
        logs().contains("not confirmed by the gateway"),
        "the refusal is reported"
    );
    // Once the payer has paid, the gateway confirms the same report and it is credited.
    assert!(server.ajo.gateway.pay_silently(&reference));
    assert_eq!(
        server
            .post("/webhooks/flutterwave", &only_hash, body.clone())
            .await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 1);
    assert!(
        logs().contains("static_token"),
        "the weaker proof is logged"
    );
}

// --- Stripe: `Stripe-Signature: t=…,v1=…`, HMAC-SHA256 of "{t}.{body}", ±300 s (see
// `common::sign`).

#[tokio::test]
async fn stripe_signed_now_is_credited_forged_or_stale_is_refused() {
    let server = Server::start(config(&all_providers())).await;
    let reference = server.pending_contribution(3).await;
    let now = server.ajo.clock.now().timestamp();
    let body = stripe_intent("evt_3ws0001", &reference, 1_000_000, now);
    let before = server.books().await;

    let forged = stripe_headers("whsec_guessed", now, &body);
    assert_eq!(
        server.post("/webhooks/stripe", &forged, body.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    // Rightly signed, but six minutes ago: a replay.
    let stale = stripe_headers(STRIPE_SECRET, now - 360, &body);
    assert_eq!(
        server.post("/webhooks/stripe", &stale, body.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.books().await, before);

    let signed = stripe_headers(STRIPE_SECRET, now, &body);
    assert_eq!(
        server.post("/webhooks/stripe", &signed, body.clone()).await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 1);
    assert_eq!(
        server.post("/webhooks/stripe", &signed, body).await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 1);
    assert_eq!(server.pot().await, ngn("-10000"));
}

// --- SendGrid: ECDSA P-256 over timestamp + body, base64 DER signature.

fn sendgrid_delivered(provider_id: &str, message_id: &str, timestamp: i64) -> Vec<u8> {
    // SendGrid ends its bodies with CRLF, and it is signed.
    format!(
        "[{{\"email\":\"ada@example.com\",\"timestamp\":{timestamp},\"smtp-id\":\"<{provider_id}@ismtpd0001p1lon1.sendgrid.net>\",\"event\":\"delivered\",\"category\":[\"ajo\"],\"sg_event_id\":\"ZGVsaXZlcmVkLTAtMTIzNDU2\",\"sg_message_id\":\"{provider_id}.filter0001.16648.5515E0B88.0\",\"ajo_message_id\":\"{message_id}\",\"response\":\"250 OK\"}}]\r\n"
    )
    .into_bytes()
}

fn sendgrid_bounce(provider_id: &str, timestamp: i64) -> Vec<u8> {
    format!(
        "[{{\"email\":\"ada@example.com\",\"timestamp\":{timestamp},\"event\":\"bounce\",\"type\":\"bounce\",\"status\":\"5.0.0\",\"reason\":\"500 unknown recipient\",\"sg_event_id\":\"Ym91bmNlLTAtMTIzNDU2\",\"sg_message_id\":\"{provider_id}.filter0001.16648.5515E0B88.0\"}}]\r\n"
    )
    .into_bytes()
}

fn sendgrid_headers(key: &SigningKey, timestamp: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    let mut message = timestamp.to_string().into_bytes();
    message.extend_from_slice(body);
    let signature: p256::ecdsa::Signature = key.sign(&message);
    vec![
        (
            "X-Twilio-Email-Event-Webhook-Signature",
            BASE64.encode(signature.to_der().as_bytes()),
        ),
        (
            "X-Twilio-Email-Event-Webhook-Timestamp",
            timestamp.to_string(),
        ),
    ]
}

#[tokio::test]
async fn sendgrid_signed_report_lands_on_its_message_forged_is_refused() {
    let server = Server::start(config(&all_providers())).await;
    server.paid_and_notified(1).await;
    let (message_id, provider_id) = server.sent(false).await.remove(0);
    let now = server.ajo.clock.now().timestamp();

    // Signed with a key that is not the configured one: the bounce is not recorded.
    let bounce = sendgrid_bounce(&provider_id, now);
    let forged = sendgrid_headers(&sendgrid_key(9), now, &bounce);
    assert_eq!(
        server.post("/webhooks/sendgrid", &forged, bounce).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(matches!(
        server.status(&message_id).await,
        OutboxStatus::Sent { .. }
    ));

    let delivered = sendgrid_delivered(&provider_id, &message_id, now);
    let signed = sendgrid_headers(&sendgrid_key(7), now, &delivered);
    assert_eq!(
        server
            .post("/webhooks/sendgrid", &signed, delivered.clone())
            .await,
        StatusCode::OK
    );
    assert_eq!(server.status(&message_id).await, OutboxStatus::Delivered);
    // SendGrid retries; the same report again changes nothing and is acknowledged.
    assert_eq!(
        server.post("/webhooks/sendgrid", &signed, delivered).await,
        StatusCode::OK
    );
    assert_eq!(server.status(&message_id).await, OutboxStatus::Delivered);
}

/// SendGrid signs a timestamp; the server now holds it to a window (300 s by default,
/// `SENDGRID_WEBHOOK_TOLERANCE_SECS`). (Before: no window, so a captured report replayed
/// days later was accepted.)
#[tokio::test]
async fn sendgrid_events_outside_the_replay_window_are_401() {
    let server = Server::start(config(&all_providers())).await;
    server.paid_and_notified(1).await;
    let (message_id, provider_id) = server.sent(false).await.remove(0);
    let now = server.ajo.clock.now().timestamp();
    let signed_at = |t: i64| {
        let body = sendgrid_delivered(&provider_id, &message_id, t);
        (sendgrid_headers(&sendgrid_key(7), t, &body), body)
    };
    for stale in [now - 301, now + 301, now - 86_400] {
        let (headers, body) = signed_at(stale);
        assert_eq!(
            server.post("/webhooks/sendgrid", &headers, body).await,
            StatusCode::UNAUTHORIZED,
            "signed at {stale}, now {now}"
        );
    }
    assert!(matches!(
        server.status(&message_id).await,
        OutboxStatus::Sent { .. }
    ));
    let (headers, body) = signed_at(now - 299);
    assert_eq!(
        server.post("/webhooks/sendgrid", &headers, body).await,
        StatusCode::OK
    );
    assert_eq!(server.status(&message_id).await, OutboxStatus::Delivered);

    // A narrower window from the environment.
    let mut vars = all_providers();
    vars.push((vars::SENDGRID_TOLERANCE, "60".to_owned()));
    let server = Server::start(config(&vars)).await;
    server.paid_and_notified(1).await;
    let (message_id, provider_id) = server.sent(false).await.remove(0);
    let body = sendgrid_delivered(&provider_id, &message_id, now - 120);
    let headers = sendgrid_headers(&sendgrid_key(7), now - 120, &body);
    assert_eq!(
        server.post("/webhooks/sendgrid", &headers, body).await,
        StatusCode::UNAUTHORIZED
    );
    let body = sendgrid_delivered(&provider_id, &message_id, now - 30);
    let headers = sendgrid_headers(&sendgrid_key(7), now - 30, &body);
    assert_eq!(
        server.post("/webhooks/sendgrid", &headers, body).await,
        StatusCode::OK
    );
}

// --- Twilio: base64 HMAC-SHA1 of the public URL + sorted form fields.

/// Percent-encodes a form value the way Twilio sends it (only unreserved bytes kept).
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn twilio_request(url: &str, fields: &[(&str, &str)], token: &str) -> (String, Vec<u8>) {
    let mut sorted = fields.to_vec();
    sorted.sort();
    let mut signed = url.to_owned();
    for (name, value) in &sorted {
        signed.push_str(name);
        signed.push_str(value);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    let signature = BASE64.encode(mac.finalize().into_bytes());
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    (signature, body.into_bytes())
}

fn twilio_status(sid: &str, status: &str) -> Vec<(&'static str, String)> {
    let sid = sid.to_owned();
    vec![
        (
            "AccountSid",
            "AC0123456789abcdef0123456789abcdef".to_owned(),
        ),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("From", "+15017122661".to_owned()),
        ("MessageSid", sid.clone()),
        ("MessageStatus", status.to_owned()),
        ("SmsSid", sid),
        ("SmsStatus", status.to_owned()),
        ("To", "+2348012345678".to_owned()),
    ]
}

#[tokio::test]
async fn twilio_signed_over_the_public_url_lands_forged_is_refused() {
    let server = Server::start(config(&all_providers())).await;
    server.paid_and_notified(1).await;
    let (message_id, provider_id) = server.sent(true).await.remove(0);
    let path = format!(
        "/webhooks/twilio?ajo_message_id={}",
        form_encode(&message_id)
    );
    let fields = twilio_status(&provider_id, "delivered");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let headers = |signature: String| {
        vec![
            ("X-Twilio-Signature", signature),
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ]
    };

    // Signed with another token, or over the URL the server sees rather than the public
    // one Twilio called: refused, nothing recorded.
    let public = format!("{PUBLIC_URL}{path}");
    let (wrong_token, body) = twilio_request(&public, &fields, "not-the-auth-token");
    assert_eq!(
        server.post(&path, &headers(wrong_token), body).await,
        StatusCode::UNAUTHORIZED
    );
    let local = format!("{}{path}", server.base);
    let (wrong_url, body) = twilio_request(&local, &fields, TWILIO_TOKEN);
    assert_eq!(
        server.post(&path, &headers(wrong_url), body).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(matches!(
        server.status(&message_id).await,
        OutboxStatus::Sent { .. }
    ));

    let (signature, body) = twilio_request(&public, &fields, TWILIO_TOKEN);
    assert_eq!(
        server
            .post(&path, &headers(signature.clone()), body.clone())
            .await,
        StatusCode::OK
    );
    assert_eq!(server.status(&message_id).await, OutboxStatus::Delivered);
    assert_eq!(
        server.post(&path, &headers(signature), body).await,
        StatusCode::OK
    );
    assert_eq!(server.status(&message_id).await, OutboxStatus::Delivered);
}

#[tokio::test]
async fn a_report_for_a_message_ajo_never_sent_is_acknowledged() {
    let server = Server::start(config(&all_providers())).await;
    let path = "/webhooks/twilio";
    let fields = twilio_status("SM_never_sent_by_ajo", "delivered");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (signature, body) = twilio_request(&format!("{PUBLIC_URL}{path}"), &fields, TWILIO_TOKEN);
    assert_eq!(
        server
            .post(path, &[("X-Twilio-Signature", signature)], body)
            .await,
        StatusCode::OK,
        "a retry could not make the message appear"
    );
}

#[tokio::test]
async fn no_secret_reaches_the_logs() {
    let server = Server::start(config(&all_providers())).await;
    let reference = server.pending_contribution(1).await;
    let body = paystack_charge(&reference, 1_000_000);
    let forged = paystack_headers("sk_test_not_the_secret", &body);
    server
        .post("/webhooks/paystack", &forged, body.clone())
        .await;
    let signed = paystack_headers(PAYSTACK_SECRET, &body);
    server.post("/webhooks/paystack", &signed, body).await;
    let text = logs();
    assert!(text.contains("webhook refused"), "{text}");
    for secret in [
        PAYSTACK_SECRET,
        FLUTTERWAVE_HASH,
        STRIPE_SECRET,
        TWILIO_TOKEN,
        "sk_test_not_the_secret",
        // The wiring tests' API key, logged by none of the choices they make.
        "SG.ws-sendgrid-api-key",
    ] {
        assert!(!text.contains(secret), "{secret} was logged");
    }
}

// --- Key rotation: the previous secret of each provider, from its `_PREVIOUS` variable.

const PAYSTACK_OLD: &str = "sk_test_ws_paystack_old_1c2d";
const FLUTTERWAVE_OLD: &str = "flw-ws-old-secret-hash-9e0f";
const STRIPE_OLD: &str = "whsec_ws_stripe_old_7a8b";
const TWILIO_OLD: &str = "twilio-ws-old-auth-token-3e4f";

/// Every provider configured with a new secret and the old one being rolled out.
fn rolling_providers() -> Vec<(&'static str, String)> {
    let mut vars = all_providers();
    vars.extend([
        (vars::PAYSTACK_PREVIOUS, PAYSTACK_OLD.to_owned()),
        (vars::FLUTTERWAVE_PREVIOUS, FLUTTERWAVE_OLD.to_owned()),
        (vars::STRIPE_PREVIOUS, STRIPE_OLD.to_owned()),
        (
            vars::SENDGRID_PREVIOUS,
            sendgrid_public_key(&sendgrid_key(8)),
        ),
        (vars::TWILIO_PREVIOUS, TWILIO_OLD.to_owned()),
    ]);
    vars
}

/// While a key is rolled, webhooks signed with the current or the previous secret are
/// accepted, for every provider; one signed with neither is 401. (Before: the `_PREVIOUS`
/// variables were ignored, so each "old" request here was 401.)
#[tokio::test]
async fn webhooks_signed_with_the_previous_secret_are_accepted_during_a_rotation() {
    let server = Server::start(config(&rolling_providers())).await;
    let now = server.ajo.clock.now().timestamp();

    // Paystack, end to end: the old key's signature credits the pot.
    let reference = server.pending_contribution(1).await;
    let body = paystack_charge(&reference, 1_000_000);
    let stranger = paystack_headers("sk_test_neither_key", &body);
    assert_eq!(
        server
            .post("/webhooks/paystack", &stranger, body.clone())
            .await,
        StatusCode::UNAUTHORIZED
    );
    let old = paystack_headers(PAYSTACK_OLD, &body);
    assert_eq!(
        server.post("/webhooks/paystack", &old, body).await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 1, "credited");
    let reference = server.pending_contribution(2).await;
    let body = paystack_charge(&reference, 1_000_000);
    let new = paystack_headers(PAYSTACK_SECRET, &body);
    assert_eq!(
        server.post("/webhooks/paystack", &new, body).await,
        StatusCode::OK
    );
    assert_eq!(server.entries_for(&reference).await, 1, "credited");

    // The others: an event ajo cannot match is still acknowledged once authentic, so the
    // status alone tells accepted (200) from refused (401).
    let fw = flutterwave_charge("ajo-rotation-flw", 10_000);
    let stripe = stripe_intent("evt_3ws0001", "ajo-rotation-stripe", 1_000_000, now);
    let sg = sendgrid_delivered("sgRotation01", "ajo-rotation-email", now);
    let path = "/webhooks/twilio";
    let fields = twilio_status("SM_rotation_never_sent", "delivered");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let twilio = |token: &str| {
        let (signature, body) = twilio_request(&format!("{PUBLIC_URL}{path}"), &fields, token);
        (vec![("X-Twilio-Signature", signature)], body)
    };
    let cases = vec![
        (
            "/webhooks/flutterwave",
            flutterwave_headers(FLUTTERWAVE_OLD, &fw),
            fw.clone(),
            StatusCode::OK,
        ),
        (
            "/webhooks/flutterwave",
            flutterwave_headers(FLUTTERWAVE_HASH, &fw),
            fw.clone(),
            StatusCode::OK,
        ),
        (
            "/webhooks/flutterwave",
            flutterwave_headers("flw-neither-hash", &fw),
            fw,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/webhooks/stripe",
            stripe_headers(STRIPE_OLD, now, &stripe),
            stripe.clone(),
            StatusCode::OK,
        ),
        (
            "/webhooks/stripe",
            stripe_headers("whsec_neither", now, &stripe),
            stripe,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/webhooks/sendgrid",
            sendgrid_headers(&sendgrid_key(8), now, &sg),
            sg.clone(),
            StatusCode::OK,
        ),
        (
            "/webhooks/sendgrid",
            sendgrid_headers(&sendgrid_key(7), now, &sg),
            sg.clone(),
            StatusCode::OK,
        ),
        (
            "/webhooks/sendgrid",
            sendgrid_headers(&sendgrid_key(9), now, &sg),
            sg,
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (path, headers, body, expected) in cases {
        let who = headers.first().map(|h| h.1.clone()).unwrap_or_default();
        assert_eq!(
            server.post(path, &headers, body).await,
            expected,
            "{path} {who}"
        );
    }
    for (token, expected) in [
        (TWILIO_OLD, StatusCode::OK),
        (TWILIO_TOKEN, StatusCode::OK),
        ("twilio-neither-token", StatusCode::UNAUTHORIZED),
    ] {
        let (headers, body) = twilio(token);
        assert_eq!(server.post(path, &headers, body).await, expected, "{token}");
    }
    let text = logs();
    for secret in [PAYSTACK_OLD, FLUTTERWAVE_OLD, STRIPE_OLD, TWILIO_OLD] {
        assert!(!text.contains(secret), "{secret} was logged");
    }
}

// --- Slow and idle clients: timeouts and the connection limit.

/// Reads until the server closes the connection: what it sent, and when it closed.
async fn until_closed(mut reader: tokio::net::tcp::OwnedReadHalf) -> (Vec<u8>, Instant) {
    let mut received = Vec::new();
    let mut buffer = [0_u8; 1024];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => return (received, Instant::now()),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Sends `bytes` one at a time, `pause` apart, until they are all sent or the server has
/// closed the connection (`closed` finished); how many were sent.
async fn trickle(
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    bytes: &[u8],
    pause: Duration,
    closed: &tokio::task::JoinHandle<(Vec<u8>, Instant)>,
) -> usize {
    for (sent, byte) in bytes.iter().enumerate() {
        if closed.is_finished() || writer.write_all(&[*byte]).await.is_err() {
            return sent;
        }
        tokio::time::sleep(pause).await;
    }
    bytes.len()
}

/// A client that sends its request head a byte every 100 ms never finishes it: the server
/// closes the connection once the 300 ms header timeout has passed, although no single
/// pause was that long (a deadline on the whole head, not an idle timer). (Before:
/// `axum::serve` set no header timeout, so the connection stayed open for as long as the
/// client kept trickling.)
#[tokio::test]
async fn a_slow_loris_is_cut_off_at_the_header_timeout() {
    let mut vars = all_providers();
    vars.push((vars::HEADER_TIMEOUT, "300".to_owned()));
    let server = Server::start(config(&vars)).await;
    let head = b"POST /webhooks/paystack HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

    let started = Instant::now();
    let (reader, mut writer) = TcpStream::connect(server.addr).await.unwrap().into_split();
    let closed = tokio::spawn(until_closed(reader));
    let sent = trickle(&mut writer, head, Duration::from_millis(100), &closed).await;
    let (answer, at) = tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("the server never closed the connection")
        .unwrap();
    assert!(sent < head.len(), "closed before the head was complete");
    let after = at - started;
    assert!(
        after >= Duration::from_millis(300) && after < Duration::from_secs(3),
        "closed after {after:?}"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // The server itself is fine.
    let body = paystack_charge("ajo-after-loris", 1_000);
    let headers = paystack_headers(PAYSTACK_SECRET, &body);
    assert_eq!(
        server.post("/webhooks/paystack", &headers, body).await,
        StatusCode::OK
    );
}

/// A client that sends its head and then its body a byte every 100 ms is answered `408`
/// and closed once the 300 ms body timeout has passed. (Before: no body deadline, so the
/// server waited for as long as the bytes kept coming.)
#[tokio::test]
async fn a_body_sent_too_slowly_is_answered_408_and_closed() {
    let mut vars = all_providers();
    vars.push((vars::BODY_TIMEOUT, "300".to_owned()));
    let server = Server::start(config(&vars)).await;
    let body = paystack_charge("ajo-slow-body", 1_000);
    let head = format!(
        "POST /webhooks/paystack HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-paystack-signature: {}\r\nContent-Length: {}\r\n\r\n",
        paystack_signature(PAYSTACK_SECRET, &body),
        body.len()
    );

    let (reader, mut writer) = TcpStream::connect(server.addr).await.unwrap().into_split();
    let closed = tokio::spawn(until_closed(reader));
    writer.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let sent = trickle(&mut writer, &body, Duration::from_millis(100), &closed).await;
    let (answer, at) = tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("the server never closed the connection")
        .unwrap();
    assert!(sent < body.len(), "cut off before the body was complete");
    assert!(
        at - started >= Duration::from_millis(300),
        "{:?}",
        at - started
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(logs().contains("request body not received in time"));
}

/// With a limit of 8 connections, 8 idle sockets hold every slot: a signed request on a
/// 9th waits (it is not accepted, so costs the server nothing) rather than being served.
/// Once the idle ones reach the 1 s header timeout the server closes them and the waiting
/// request is served. (Before: no limit and no header timeout, so the 9th was served at
/// once and the idle sockets were held open for ever; a few thousand of them would have
/// taken every file descriptor.)
#[tokio::test]
async fn idle_connections_beyond_the_limit_wait_and_their_slots_come_back() {
    let mut vars = all_providers();
    vars.push((vars::MAX_CONNECTIONS, "8".to_owned()));
    vars.push((vars::HEADER_TIMEOUT, "1000".to_owned()));
    let server = Server::start(config(&vars)).await;
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }

    let reference = server.pending_contribution(1).await;
    let body = paystack_charge(&reference, 1_000_000);
    let headers = paystack_headers(PAYSTACK_SECRET, &body);
    let request = server.post("/webhooks/paystack", &headers, body);
    let mut request = std::pin::pin!(request);
    assert!(
        tokio::time::timeout(Duration::from_millis(400), &mut request)
            .await
            .is_err(),
        "a 9th connection was served while 8 were open"
    );
    let status = tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .expect("the waiting request was never served");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.entries_for(&reference).await, 1);

    // Each idle socket was closed by the server (the client never closed its side).
    for socket in idle {
        let (reader, writer) = socket.into_split();
        tokio::time::timeout(Duration::from_secs(5), until_closed(reader))
            .await
            .expect("an idle connection was left open");
        drop(writer);
    }
}

// --- Wiring: which adapter each port gets.

#[cfg(feature = "providers")]
const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";

#[test]
fn without_api_keys_every_port_is_a_fake_and_the_server_says_so() {
    log_buffer();
    // Every webhook secret set, but no API key: nothing can call a provider.
    let config = config(&[
        (vars::FLUTTERWAVE, FLUTTERWAVE_HASH.to_owned()),
        (vars::STRIPE, STRIPE_SECRET.to_owned()),
        (vars::TWILIO, TWILIO_TOKEN.to_owned()),
        (vars::PUBLIC_URL, PUBLIC_URL.to_owned()),
    ]);
    assert_eq!(config.payment_provider(), None);
    assert_eq!(wiring::payment_gateway(&config).unwrap().provider(), "fake");
    let email = format!("{:?}", wiring::email_sender(&config).unwrap());
    let sms = format!("{:?}", wiring::sms_sender(&config).unwrap());
    assert!(email.starts_with("FakeEmail"), "{email}");
    assert!(sms.starts_with("FakeSms"), "{sms}");
    let text = logs();
    assert!(
        text.contains("collections and payouts move no money"),
        "{text}"
    );
    assert!(text.contains("email: recorded, not sent"), "{text}");
    assert!(text.contains("SMS: recorded, not sent"), "{text}");
}

#[cfg(feature = "providers")]
#[test]
fn each_api_key_wires_its_adapter_paystack_first() {
    log_buffer();
    let gateway = |pairs: &[(&'static str, String)]| {
        wiring::payment_gateway(&config(pairs)).unwrap().provider()
    };
    assert_eq!(
        gateway(&[(vars::PAYSTACK, PAYSTACK_SECRET.to_owned())]),
        "paystack"
    );
    assert_eq!(
        gateway(&[(vars::FLUTTERWAVE_API_KEY, "FLWSECK_TEST-ws".to_owned())]),
        "flutterwave"
    );
    assert_eq!(
        gateway(&[(vars::STRIPE_API_KEY, "sk_test_ws".to_owned())]),
        "stripe"
    );
    assert_eq!(
        gateway(&[
            (vars::STRIPE_API_KEY, "sk_test_ws".to_owned()),
            (vars::FLUTTERWAVE_API_KEY, "FLWSECK_TEST-ws".to_owned()),
            (vars::PAYSTACK, PAYSTACK_SECRET.to_owned()),
        ]),
        "paystack"
    );
    assert!(
        logs().contains("STRIPE_SECRET_KEY is set but not used"),
        "the shadowed key is pointed out"
    );

    let messaging = config(&[
        (vars::SENDGRID_API_KEY, "SG.ws-sendgrid-api-key".to_owned()),
        (vars::EMAIL_FROM, "no-reply@ajo.example.com".to_owned()),
        (vars::TWILIO_ACCOUNT_SID, TWILIO_SID.to_owned()),
        (vars::TWILIO, TWILIO_TOKEN.to_owned()),
        (
            vars::TWILIO_FROM,
            "MG0123456789abcdef0123456789abcdef".to_owned(),
        ),
        (vars::PUBLIC_URL, PUBLIC_URL.to_owned()),
    ]);
    let email = format!("{:?}", wiring::email_sender(&messaging).unwrap());
    let sms = format!("{:?}", wiring::sms_sender(&messaging).unwrap());
    assert!(email.starts_with("SendGrid"), "{email}");
    assert!(sms.starts_with("Twilio"), "{sms}");
    assert!(
        sms.contains("https://ajo.example.com/webhooks/twilio"),
        "{sms}"
    );
    for secret in ["SG.ws-sendgrid-api-key", TWILIO_TOKEN] {
        assert!(!email.contains(secret) && !sms.contains(secret), "{secret}");
    }
}

#[cfg(feature = "providers")]
#[tokio::test]
async fn an_adapter_that_refuses_its_settings_stops_the_start_without_its_secret() {
    let bad_sid = config(&[
        (vars::TWILIO_ACCOUNT_SID, "AC-not-a-sid".to_owned()),
        (vars::TWILIO, TWILIO_TOKEN.to_owned()),
        (vars::TWILIO_FROM, "+15017122661".to_owned()),
        (vars::PUBLIC_URL, PUBLIC_URL.to_owned()),
    ]);
    let error = wiring::sms_sender(&bad_sid).unwrap_err();
    assert!(
        matches!(
            error,
            wiring::WiringError::Adapter {
                provider: "twilio",
                ..
            }
        ),
        "{error:?}"
    );
    // The whole start fails, not just the port: no quiet fallback to a fake.
    let error = wiring::service(&bad_sid).await.unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(text.contains("twilio"), "{text}");
    assert!(!text.contains(TWILIO_TOKEN), "{text}");

    let bad_from = config(&[
        (vars::SENDGRID_API_KEY, "SG.ws-sendgrid-api-key".to_owned()),
        (vars::EMAIL_FROM, "not-an-address".to_owned()),
    ]);
    let error = wiring::email_sender(&bad_from).unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(
        matches!(
            error,
            wiring::WiringError::Adapter {
                provider: "sendgrid",
                ..
            }
        ),
        "{text}"
    );
    assert!(!text.contains("SG.ws-sendgrid-api-key"), "{text}");
}

/// The server as an operator runs it with `PAYSTACK_SECRET_KEY` and `PAYSTACK_BASE_URL`
/// (here a mock of Paystack's API): members join (Paystack registers where their payouts
/// go), the service asks Paystack for a checkout, the member pays, Paystack's signed
/// `charge.success` is credited once, and handling it (twice) calls Paystack for nothing.
#[cfg(feature = "providers")]
#[tokio::test]
async fn paystack_end_to_end_collects_through_the_api_and_credits_the_webhook_once() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    let paystack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/transferrecipient"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "status": true,
            "message": "Transfer recipient created successfully",
            "data": {"active": true, "currency": "NGN", "id": 20317609, "recipient_code": "RCP_ws0e2e", "type": "nuban"}
        })))
        .expect(3)
        .mount(&paystack)
        .await;
    Mock::given(method("POST"))
        .and(path("/transaction/initialize"))
        .and(header(
            "authorization",
            format!("Bearer {PAYSTACK_SECRET}").as_str(),
        ))
        .respond_with(|request: &Request| {
            // Paystack echoes the reference it was given.
            let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let body = serde_json::json!({
                "status": true,
                "message": "Authorization URL created",
                "data": {
                    "authorization_url": "https://checkout.paystack.com/ws0e2e",
                    "access_code": "ws0e2e",
                    "reference": sent["reference"],
                }
            });
            ResponseTemplate::new(200).set_body_json(body)
        })
        .expect(1)
        .mount(&paystack)
        .await;

    // Built from variables, as `Config::from_env` would, without touching the process
    // environment that other tests share.
    let config = config(&[
        (vars::PAYSTACK, PAYSTACK_SECRET.to_owned()),
        (vars::PAYSTACK_BASE_URL, paystack.uri()),
    ]);
    let gateway = wiring::payment_gateway(&config).unwrap();
    assert_eq!(gateway.provider(), "paystack");
    let server = Server::start_with(config, Some(gateway)).await;

    let collection = server
        .ajo
        .service
        .request_contribution(&server.group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    assert_eq!(
        collection.checkout_url.as_deref(),
        Some("https://checkout.paystack.com/ws0e2e")
    );
    let reference = collection.reference;
    let asked = paystack.received_requests().await.unwrap();
    let [.., initialize] = asked.as_slice() else {
        panic!("no request to Paystack");
    };
    assert_eq!(initialize.url.path(), "/transaction/initialize");
    let sent: serde_json::Value = serde_json::from_slice(&initialize.body).unwrap();
    assert_eq!(sent["reference"], reference.as_str());
    assert_eq!(sent["amount"], "1000000", "10,000 naira in kobo");
    assert_eq!(sent["currency"], "NGN");

    let body = paystack_charge(&reference, 1_000_000);
    let signed = paystack_headers(PAYSTACK_SECRET, &body);
    for _ in 0..2 {
        assert_eq!(
            server
                .post("/webhooks/paystack", &signed, body.clone())
                .await,
            StatusCode::OK
        );
    }
    assert_eq!(server.entries_for(&reference).await, 1, "credited once");
    assert_eq!(server.pot().await, ngn("-10000"));
    assert_eq!(
        paystack.received_requests().await.unwrap().len(),
        asked.len(),
        "the webhook was handled without calling Paystack"
    );
}
