//! `GET /metrics` of the `webhook_server` example on a real socket: webhooks verified and
//! refused, commands, the outbox, the tick and money held, in Prometheus text. A binary
//! of its own, as the metrics recorder is process-wide.

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

use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::money::{Currency, Money};
use ajo_core::telemetry;
use ajo_examples::webhook_server::{self, Config, router, vars};
use ajo_testkit::{Embedded, builders};
use chrono::{TimeZone, Utc};
use common::sign::{paystack_charge, paystack_headers};
use reqwest::StatusCode;

const PAYSTACK_SECRET: &str = "sk_test_metrics_paystack_9c1e";

fn config(vars: &[(&'static str, String)]) -> Config {
    let map: HashMap<&str, OsString> = vars.iter().map(|(k, v)| (*k, OsString::from(v))).collect();
    Config::from_lookup(|var| map.get(var).cloned()).unwrap()
}

/// The value of the sample `series` (name and labels as Prometheus prints them).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_as_prometheus_text() {
    let config = config(&[
        (vars::PAYSTACK, PAYSTACK_SECRET.to_owned()),
        (vars::METRICS_ADDR, "127.0.0.1:0".to_owned()),
    ]);
    assert!(config.metrics_addr().is_some());

    // A started group whose members are asked for round 1, on a clock a few
    // nanoseconds past a whole second, as a real one is.
    let ajo = Embedded::new(Utc.timestamp_opt(1_768_042_800, 123_456_789).unwrap());
    let group = GroupId::new("ojo-market").unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let setup = builders::naira_group("Ojo market", 10_000, start)
        .deposit(DepositRule::None)
        .build()
        .unwrap();
    ajo.service.create_group(&group, setup).await.unwrap();
    for name in ["ada", "bola"] {
        let member = MemberId::new(name).unwrap();
        ajo.service
            .join(&group, &member, 1, &builders::contact(name))
            .await
            .unwrap();
    }
    ajo.service.start(&group).await.unwrap();
    let ada = ajo
        .service
        .request_contribution(&group, 1, HandId::new(1).unwrap())
        .await
        .unwrap()
        .reference;
    let bola = ajo
        .service
        .request_contribution(&group, 1, HandId::new(2).unwrap())
        .await
        .unwrap()
        .reference;

    // The webhook server and the metrics listener, as the example binary runs them.
    let handle = webhook_server::metrics::install().expect("no other recorder here");
    let app = router(&config, ajo.service.clone(), ajo.clock.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serving = config.clone();
    tokio::spawn(async move {
        webhook_server::serve(listener, app, &serving, std::future::pending()).await;
    });
    let metrics_listener = tokio::net::TcpListener::bind(config.metrics_addr().unwrap())
        .await
        .unwrap();
    let metrics_url = format!("http://{}/metrics", metrics_listener.local_addr().unwrap());
    let metrics = webhook_server::metrics::router(handle);
    let serving = config.clone();
    tokio::spawn(async move {
        webhook_server::serve(metrics_listener, metrics, &serving, std::future::pending()).await;
    });

    let http = reqwest::Client::new();
    let post = |path: &str, headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let mut request = http.post(format!("{base}{path}")).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        async move { request.send().await.unwrap().status() }
    };
    // Ada pays in full; Bola pays ₦6,000 of ₦10,000, which is held whole; one forgery, one
    // request without a signature, one to a provider nobody configured.
    let paid = paystack_charge(&ada, 1_000_000);
    let short = paystack_charge(&bola, 600_000);
    assert_eq!(
        post(
            "/webhooks/paystack",
            paystack_headers(PAYSTACK_SECRET, &paid),
            paid.clone()
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        post(
            "/webhooks/paystack",
            paystack_headers(PAYSTACK_SECRET, &short),
            short
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        post(
            "/webhooks/paystack",
            paystack_headers("sk_forged", &paid),
            paid.clone()
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post("/webhooks/paystack", Vec::new(), paid.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post("/webhooks/stripe", Vec::new(), paid).await,
        StatusCode::NOT_FOUND
    );
    ajo.clock.advance(chrono::Duration::seconds(30));
    ajo.service.tick().await.unwrap();

    let response = http.get(&metrics_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    let value =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
    assert_eq!(
        value(r#"ajo_webhooks_verified_total{provider="paystack"}"#),
        2.0
    );
    assert_eq!(
        value(r#"ajo_webhooks_refused_total{provider="paystack",reason="bad_signature"}"#),
        1.0
    );
    assert_eq!(
        value(r#"ajo_webhooks_refused_total{provider="paystack",reason="missing_header"}"#),
        1.0
    );
    assert_eq!(
        value(r#"ajo_webhooks_refused_total{provider="unknown",reason="unknown_provider"}"#),
        1.0
    );
    assert!(value(r#"ajo_commands_total{stream="payment",outcome="written"}"#) >= 2.0);
    let held = Money::from_minor(600_000, Currency::NGN).unwrap();
    assert_eq!(
        value(r#"ajo_money_held{currency="NGN",account="suspense"}"#),
        held.amount().to_string().parse::<f64>().unwrap(),
        "Bola's ₦6,000, held for review"
    );
    assert!(
        value("ajo_outbox_pending") >= 1.0,
        "receipts wait to be sent"
    );
    let waited = value("ajo_outbox_oldest_due_seconds");
    assert!((30.0..31.0).contains(&waited), "{waited}");
    assert_eq!(value("ajo_tick_duration_seconds_count"), 1.0);
    for name in telemetry::NAMES {
        if name != telemetry::COMMAND_CONFLICTS
            && name != telemetry::PAYOUT_FAILURES
            && name != telemetry::OUTBOX_MESSAGES
        {
            assert!(
                text.contains(&format!("# HELP {name} ")),
                "{name} is described:\n{text}"
            );
        }
    }
}

#[test]
fn a_metrics_address_that_is_not_one_stops_the_start() {
    let map: HashMap<&str, OsString> =
        HashMap::from([(vars::METRICS_ADDR, OsString::from("localhost:metrics"))]);
    let error = Config::from_lookup(|var| map.get(var).cloned()).unwrap_err();
    assert!(error.to_string().contains("AJO_METRICS_ADDR"), "{error}");
    let unset = Config::from_lookup(|_| None).unwrap();
    assert_eq!(
        unset.metrics_addr(),
        None,
        "no metrics listener unless asked"
    );
}
