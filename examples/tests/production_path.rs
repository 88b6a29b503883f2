//! The path a host takes in production, end to end, on PostgreSQL and real clocks:
//!
//! 1. a fresh schema;
//! 2. the `webhook_server` binary, run as an operator runs it (`DATABASE_URL`,
//!    `AJO_PG_SCHEMA`, the providers' secrets), which migrates the schema and handles
//!    webhooks on the system clock;
//! 3. a group created, joined, started and asked for contributions by [`AjoService`] in
//!    this test's process over a second `PgStore` on the same schema, as a host's other
//!    process (its API, its scheduler) would: the server has no API for that. Its gateway
//!    is the fake one, which only starts collections: money arrives only as the signed
//!    Paystack and Stripe webhooks sent to the server over HTTP, each twice, with a forged
//!    and a stale one among them that must be `401` and change nothing;
//! 4. `admin verify` on the schema: exit 0, and as many entries as were credited.
//!
//! Before times were cut to whole microseconds (`ajo_core::time::Timestamp`), the server
//! sealed entries at its clock's nanoseconds, PostgreSQL rounded them to microseconds,
//! and `verify` found the chain altered. Without a PostgreSQL server the test prints why
//! and passes, unless `CI` is set.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed setup step should stop the test"
)]

mod common;
#[path = "../../ajo-adapters/tests/pgdb/mod.rs"]
mod pgdb;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ajo_adapters::postgres::PgStore;
use ajo_core::ids::{GroupId, HandId};
use ajo_core::ledger::Account;
use ajo_core::money::Money;
use ajo_core::ports::{
    Clock, EmailSender, EntryQuery, PaymentGateway, SmsSender, Store, SystemClock,
};
use ajo_core::service::AjoService;
use ajo_examples::webhook_server::vars;
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeEmail, FakeGateway, FakeSms};
use chrono::Utc;
use common::sign::{paystack_charge, paystack_headers, stripe_headers, stripe_intent};
use pgdb::TestDb;
use reqwest::StatusCode;

const PAYSTACK_SECRET: &str = "sk_test_pp_paystack_91c2";
const STRIPE_SECRET: &str = "whsec_pp_stripe_4d0a";
/// ₦10,000 in kobo: each contribution, and each deposit (one contribution).
const DUE_KOBO: u64 = 1_000_000;

/// The `webhook_server` binary, running until dropped, and what it has logged.
struct Server {
    child: Child,
    base: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the server on `schema`, listening on a port the system picks (it logs the
    /// address it bound), and waits until it listens.
    fn start(schema: &str) -> Server {
        let mut command = Command::new(common::binary::example("webhook_server"));
        // Only what an operator would set: nothing from this process leaks in.
        command
            .env_clear()
            .env(vars::ADDR, "127.0.0.1:0")
            .env(vars::DATABASE_URL, pgdb::url())
            .env(vars::PG_SCHEMA, schema)
            .env(vars::PAYSTACK, PAYSTACK_SECRET)
            .env(vars::STRIPE, STRIPE_SECRET)
            // Paystack's key also makes Paystack the server's gateway. Handling a webhook
            // never calls it; were it to, a closed local port keeps it on this machine.
            .env(vars::PAYSTACK_BASE_URL, "http://127.0.0.1:9")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("webhook_server starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (listening, addr) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stdout_logs = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains("listening") {
                    let bound = line
                        .split_whitespace()
                        .find_map(|field| field.strip_prefix("addr="))
                        .map(str::to_owned);
                    let _ = listening.send(bound);
                }
                stdout_logs.lock().unwrap().push(line);
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr_logs = logs.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            stderr_logs
                .lock()
                .unwrap()
                .extend(text.lines().map(str::to_owned));
        });
        let mut server = Server {
            child,
            base: String::new(),
            logs,
        };
        match addr.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(addr)) => server.base = format!("http://{addr}"),
            other => panic!(
                "webhook_server did not say where it listens ({other:?}):\n{}",
                server.logs()
            ),
        }
        server
    }

    fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> StatusCode {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.unwrap().status()
    }

    /// Sends a signed Paystack `charge.success` for `reference` twice, as Paystack's
    /// retries do: both are acknowledged.
    async fn paystack_pays(&self, reference: &str) {
        let body = paystack_charge(reference, DUE_KOBO);
        let signed = paystack_headers(PAYSTACK_SECRET, &body);
        for attempt in ["first", "duplicate"] {
            let status = self.post("/webhooks/paystack", &signed, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{attempt} {reference}:\n{}",
                self.logs()
            );
        }
    }

    /// Sends a signed Stripe `payment_intent.succeeded` for `reference`, signed now,
    /// twice: both are acknowledged.
    async fn stripe_pays(&self, event_id: &str, reference: &str) {
        let now = Utc::now().timestamp();
        let body = stripe_intent(event_id, reference, DUE_KOBO, now);
        let signed = stripe_headers(STRIPE_SECRET, now, &body);
        for attempt in ["first", "duplicate"] {
            let status = self.post("/webhooks/stripe", &signed, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{attempt} {reference}:\n{}",
                self.logs()
            );
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Ours, by its handle: stop it before its schema is dropped.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What money has moved, as the host's store reads it: every balance and every entry's
/// reference.
async fn books(store: &dyn Store) -> (Vec<(Account, Money)>, Vec<Option<String>>) {
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    let references = entries
        .iter()
        .map(|e| e.entry().reference().map(str::to_owned))
        .collect();
    (store.balances().await.unwrap(), references)
}

async fn entries_for(store: &dyn Store, reference: &str) -> usize {
    let query = EntryQuery {
        reference: Some(reference.to_owned()),
        ..EntryQuery::default()
    };
    store.entries(&query).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_through_the_server_on_postgres_leave_books_admin_verifies() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let schema = db.schema().await;
    let server = Server::start(&schema);

    // The host's own process: the service over its own pool on the schema the server
    // migrated, on the machine's clock too.
    let store = Arc::new(PgStore::connect_with(db.options(&schema), 4).await.unwrap());
    let gateway = Arc::new(FakeGateway::new());
    let service = AjoService::new(
        store.clone() as Arc<dyn Store>,
        gateway as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        Arc::new(SystemClock) as Arc<dyn Clock>,
    );
    let group = GroupId::new("production-path").unwrap();
    let start = (SystemClock.now() + chrono::Duration::days(10)).date_naive();
    let config = builders::naira_group("Production path", 10_000, start)
        .build()
        .unwrap();
    service.create_group(&group, config).await.unwrap();
    let mut credited = Vec::new();

    // Deposits: ada and chidi pay through Paystack, bola through Stripe.
    for name in ["ada", "bola", "chidi"] {
        let receipt = service
            .join(&group, &builders::member(name), 1, &builders::contact(name))
            .await
            .unwrap();
        let reference = receipt
            .deposit
            .expect("the group takes a deposit")
            .reference;
        if name == "bola" {
            server.stripe_pays("evt_pp_deposit_bola", &reference).await;
        } else {
            server.paystack_pays(&reference).await;
        }
        assert_eq!(
            entries_for(store.as_ref(), &reference).await,
            1,
            "{reference}"
        );
        credited.push(reference);
    }
    service.start(&group).await.unwrap();

    let mut contributions = Vec::new();
    for hand in 1..=3 {
        let collection = service
            .request_contribution(&group, 1, HandId::new(hand).unwrap())
            .await
            .unwrap();
        contributions.push(collection.reference);
    }

    // A forged Paystack signature and a Stripe signature from six minutes ago (outside
    // the window the server checks against its own clock): refused, nothing moves.
    let before = books(store.as_ref()).await;
    let body = paystack_charge(&contributions[2], DUE_KOBO);
    let forged = paystack_headers("sk_test_not_the_secret", &body);
    assert_eq!(
        server.post("/webhooks/paystack", &forged, body).await,
        StatusCode::UNAUTHORIZED
    );
    let stale_at = Utc::now().timestamp() - 360;
    let body = stripe_intent("evt_pp_stale", &contributions[1], DUE_KOBO, stale_at);
    let stale = stripe_headers(STRIPE_SECRET, stale_at, &body);
    assert_eq!(
        server.post("/webhooks/stripe", &stale, body).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        books(store.as_ref()).await,
        before,
        "a refused webhook moves nothing"
    );

    // Round 1: hands 1 and 3 through Paystack, hand 2 through Stripe.
    server.paystack_pays(&contributions[0]).await;
    server.stripe_pays("evt_pp_r1_h2", &contributions[1]).await;
    server.paystack_pays(&contributions[2]).await;
    for reference in contributions {
        assert_eq!(
            entries_for(store.as_ref(), &reference).await,
            1,
            "{reference}"
        );
        credited.push(reference);
    }

    // Every entry is one credit, each once.
    let (_, references) = books(store.as_ref()).await;
    let mut booked: Vec<String> = references.into_iter().flatten().collect();
    booked.sort();
    credited.sort();
    assert_eq!(booked, credited);
    let (code, line) = common::binary::verify(&pgdb::url(), &schema);
    assert_eq!(code, 0, "{line}\n{}", server.logs());
    let ok = format!(
        "ok: {} entries in 1 book, chain verified, trial balance zero in NGN;",
        credited.len()
    );
    assert!(line.starts_with(&ok), "{line}");

    drop(server);
    store.pool().close().await;
    db.cleanup().await;
}
