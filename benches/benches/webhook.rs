//! Webhook verification beside the bare HMAC over the same bytes, so its overhead
//! (header parsing, hex decoding, constant-time comparison, window check) is a ratio; and
//! what counting one webhook in the metrics costs, without and with a recorder.

#![allow(missing_docs)]

use ajo_core::webhook::{PaystackVerifier, StripeVerifier};
use chrono::DateTime;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use sha2::{Sha256, Sha512};
use std::hint::black_box;

const PAYSTACK_KEY: &[u8] = b"sk_test_ajo0000000000000000000000000000000001";
const STRIPE_SECRET: &[u8] = b"whsec_test_secret";
const T: i64 = 1_700_000_000;

/// A 1 KiB JSON body, shaped like a charge event.
fn body() -> Vec<u8> {
    let mut body = br#"{"event":"charge.success","data":{"reference":"ajo-contrib-0001","amount":500000,"currency":"NGN","note":""#.to_vec();
    while body.len() < 1024 - 3 {
        body.push(b'x');
    }
    body.extend_from_slice(br#""}}"#);
    body
}

fn raw_hmac<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <M as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

fn paystack(c: &mut Criterion) {
    let body = body();
    let key = String::from_utf8_lossy(PAYSTACK_KEY).into_owned();
    let Ok(verifier) = PaystackVerifier::new(vec![SecretString::from(key)]) else {
        return;
    };
    let signature = hex::encode(raw_hmac::<Hmac<Sha512>>(PAYSTACK_KEY, &[&body]));
    let headers = [("x-paystack-signature", signature.as_str())];
    assert!(verifier.verify(&headers, &body).is_ok());

    let mut group = c.benchmark_group("webhook/paystack_1kib");
    group.throughput(Throughput::Bytes(1024));
    group.bench_function("raw_hmac_sha512", |b| {
        b.iter(|| raw_hmac::<Hmac<Sha512>>(black_box(PAYSTACK_KEY), &[black_box(&body)]))
    });
    group.bench_function("verify", |b| {
        b.iter(|| verifier.verify(black_box(&headers), black_box(&body)))
    });
    group.finish();
}

fn stripe(c: &mut Criterion) {
    let body = body();
    let secret = String::from_utf8_lossy(STRIPE_SECRET).into_owned();
    let Ok(verifier) = StripeVerifier::new(vec![SecretString::from(secret)]) else {
        return;
    };
    let t = T.to_string();
    let signature = hex::encode(raw_hmac::<Hmac<Sha256>>(
        STRIPE_SECRET,
        &[t.as_bytes(), b".", &body],
    ));
    let header = format!("t={t},v1={signature}");
    let headers = [("Stripe-Signature", header.as_str())];
    let now = DateTime::from_timestamp(T + 10, 0).unwrap_or_default();
    assert!(verifier.verify(&headers, &body, now).is_ok());

    let mut group = c.benchmark_group("webhook/stripe_1kib");
    group.throughput(Throughput::Bytes(1024));
    group.bench_function("raw_hmac_sha256", |b| {
        b.iter(|| {
            raw_hmac::<Hmac<Sha256>>(
                black_box(STRIPE_SECRET),
                &[black_box(t.as_bytes()), b".", black_box(&body)],
            )
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| verifier.verify(black_box(&headers), black_box(&body), black_box(now)))
    });
    group.finish();
}

/// What one metric costs: counting a verified webhook (one labelled counter), with no
/// recorder (the facade's no-op) and with a Prometheus recorder on this thread.
fn metrics_cost(c: &mut Criterion) {
    let verified: Result<(), ajo_core::webhook::WebhookError> = Ok(());
    let provider = ajo_core::webhook::Provider::Paystack;
    let mut group = c.benchmark_group("telemetry");
    group.bench_function("record_webhook_no_recorder", |b| {
        b.iter(|| ajo_core::telemetry::record_webhook(black_box(provider), black_box(&verified)))
    });
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        group.bench_function("record_webhook_prometheus", |b| {
            b.iter(|| {
                ajo_core::telemetry::record_webhook(black_box(provider), black_box(&verified))
            })
        });
    });
    group.finish();
    assert!(
        recorder
            .handle()
            .render()
            .contains("ajo_webhooks_verified_total{provider=\"paystack\"}")
    );
}

criterion_group!(benches, paystack, stripe, metrics_cost);
criterion_main!(benches);
