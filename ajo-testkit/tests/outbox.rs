//! Outbox delivery through the service on the in-memory store: concurrent workers, retries
//! with backoff, and giving up.

#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use ajo_core::ports::{
    AppendRequest, EmailMessage, NotifyError, Outbox, OutboxChannel, OutboxMessage, OutboxStatus,
    ProviderMessageId, SmsMessage, Store,
};
use ajo_core::service::{AjoService, DeliveryReport, ServiceConfig};
use ajo_testkit::{Embedded, InMemoryStore, conformance};
use chrono::{DateTime, Duration, TimeZone, Utc};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_the_in_memory_store_send_each_message_once() {
    let store = Arc::new(InMemoryStore::new());
    conformance::outbox::two_workers_send_each_message_once(store.clone(), store, 400).await;
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

async fn enqueue(ajo: &Embedded, messages: Vec<OutboxMessage>) {
    ajo.store
        .append(AppendRequest {
            streams: vec![],
            entries: vec![],
            outbox: messages,
            idempotency_key: None,
            at: start().into(),
        })
        .await
        .unwrap();
}

fn email(id: &str, to: &str) -> OutboxMessage {
    OutboxMessage {
        id: id.into(),
        channel: OutboxChannel::Email(EmailMessage {
            message_id: id.into(),
            to: to.into(),
            subject: "Your contribution is due".into(),
            text: "Hello".into(),
            html: None,
        }),
    }
}

fn sms(id: &str, to: &str) -> OutboxMessage {
    OutboxMessage {
        id: id.into(),
        channel: OutboxChannel::Sms(SmsMessage {
            message_id: id.into(),
            to: to.into(),
            body: "Hello".into(),
        }),
    }
}

/// Three attempts, 30 s apart at first.
fn service(ajo: &Embedded) -> AjoService {
    ajo.service
        .clone()
        .with_config(ServiceConfig {
            outbox_max_attempts: 3,
            outbox_backoff: Duration::seconds(30),
            ..ServiceConfig::default()
        })
        .unwrap()
}

async fn status(ajo: &Embedded, id: &str) -> (OutboxStatus, u32) {
    let record = ajo.store.outbox_message(id).await.unwrap().unwrap();
    (record.status, record.attempts)
}

#[tokio::test]
async fn a_retryable_failure_is_retried_after_a_doubling_backoff_then_sent() {
    let ajo = Embedded::new(start());
    let service = service(&ajo);
    enqueue(&ajo, vec![email("m1", "ada@example.com")]).await;
    ajo.email.fail_next(NotifyError::Unavailable);
    ajo.email.fail_next(NotifyError::Timeout);

    let report = service.deliver_outbox(10).await.unwrap();
    assert_eq!((report.sent, report.retried, report.failed), (0, 1, 0));
    ajo.clock.advance(Duration::seconds(29));
    assert_eq!(
        service.deliver_outbox(10).await.unwrap(),
        DeliveryReport::default(),
        "retried before its backoff"
    );
    ajo.clock.advance(Duration::seconds(1));
    let report = service.deliver_outbox(10).await.unwrap();
    assert_eq!(report.retried, 1, "the second failure is retried too");
    ajo.clock.advance(Duration::seconds(59));
    assert_eq!(
        service.deliver_outbox(10).await.unwrap().sent,
        0,
        "the second wait is twice the first"
    );
    ajo.clock.advance(Duration::seconds(1));
    assert_eq!(service.deliver_outbox(10).await.unwrap().sent, 1);
    assert_eq!(
        status(&ajo, "m1").await,
        (
            OutboxStatus::Sent {
                provider_id: ProviderMessageId("email-1".into())
            },
            3
        )
    );
    assert_eq!(ajo.email.sent().len(), 1);
}

#[tokio::test]
async fn a_rate_limit_waits_at_least_as_long_as_the_provider_asked() {
    let ajo = Embedded::new(start());
    let service = service(&ajo);
    enqueue(&ajo, vec![sms("s1", "+2348012345678")]).await;
    ajo.sms.fail_next(NotifyError::RateLimited {
        retry_after: Some(std::time::Duration::from_secs(120)),
    });
    assert_eq!(service.deliver_outbox(10).await.unwrap().retried, 1);
    ajo.clock.advance(Duration::seconds(119));
    assert_eq!(service.deliver_outbox(10).await.unwrap().sent, 0);
    ajo.clock.advance(Duration::seconds(1));
    assert_eq!(service.deliver_outbox(10).await.unwrap().sent, 1);
}

#[tokio::test]
async fn after_the_last_attempt_a_message_is_failed_and_reported() {
    let ajo = Embedded::new(start());
    let service = service(&ajo);
    enqueue(&ajo, vec![email("m1", "ada@example.com")]).await;
    for _ in 0..3 {
        ajo.email.fail_next(NotifyError::Unavailable);
    }
    let mut reports = Vec::new();
    for _ in 0..3 {
        reports.push(service.deliver_outbox(10).await.unwrap());
        ajo.clock.advance(Duration::minutes(10));
    }
    assert_eq!(reports[0].retried, 1);
    assert_eq!(reports[1].retried, 1);
    assert_eq!(
        reports[2],
        DeliveryReport {
            failed: 1,
            failed_messages: vec!["m1".into()],
            ..DeliveryReport::default()
        }
    );
    assert_eq!(
        status(&ajo, "m1").await,
        (
            OutboxStatus::Failed {
                reason: "provider unavailable".into()
            },
            3
        )
    );
    ajo.clock.advance(Duration::days(1));
    assert_eq!(
        service.deliver_outbox(10).await.unwrap(),
        DeliveryReport::default(),
        "a failed message is not tried again"
    );
    assert!(ajo.email.sent().is_empty());
}

#[tokio::test]
async fn a_permanent_error_fails_at_once_and_the_rest_still_go() {
    let ajo = Embedded::new(start());
    let service = service(&ajo);
    enqueue(
        &ajo,
        vec![
            sms("bad", "08012345678"),
            email("rejected", "bola@example.com"),
            email("good", "chidi@example.com"),
        ],
    )
    .await;
    ajo.email.fail_next(NotifyError::Rejected {
        code: "from".into(),
    });
    let report = service.deliver_outbox(10).await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(report.failed_messages, ["bad", "rejected"]);
    assert_eq!(
        status(&ajo, "bad").await.0,
        OutboxStatus::Failed {
            reason: "invalid recipient".into()
        }
    );
    assert_eq!(ajo.email.sent()[0].to, "chidi@example.com");
}

#[tokio::test]
async fn a_batch_stops_at_its_limit() {
    let ajo = Embedded::new(start());
    let service = service(&ajo);
    enqueue(
        &ajo,
        (0..5)
            .map(|n| email(&format!("m{n}"), "ada@example.com"))
            .collect(),
    )
    .await;
    assert_eq!(service.deliver_outbox(2).await.unwrap().sent, 2);
    assert_eq!(service.deliver_outbox(10).await.unwrap().sent, 3);
}
