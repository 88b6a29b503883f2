//! Outbox delivery through the service, on any [`Store`]: two workers draining one outbox
//! at once send every message exactly once.
//!
//! ```
//! # tokio_test_block(async {
//! use std::sync::Arc;
//! use ajo_testkit::{conformance, InMemoryStore};
//!
//! let store = Arc::new(InMemoryStore::new());
//! conformance::outbox::two_workers_send_each_message_once(store.clone(), store, 40).await;
//! # });
//! # fn tokio_test_block<F: std::future::Future>(f: F) { tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(f); }
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ajo_core::ports::{
    AppendRequest, Clock, EmailMessage, EmailSender, NotifyError, OutboxChannel, OutboxMessage,
    OutboxStatus, PaymentGateway, ProviderMessageId, SmsMessage, SmsSender, Store,
};
use ajo_core::service::{AjoService, ServiceConfig};
use async_trait::async_trait;
use chrono::{TimeZone, Utc};

use crate::fakes::{FakeClock, FakeGateway};

/// A sender that records every call, by our message id, and yields in the middle of each
/// send so that workers on other threads get to interleave.
#[derive(Debug, Default)]
pub struct RecordingSender {
    calls: Mutex<Vec<String>>,
}

impl RecordingSender {
    /// Our message ids, one per call, in call order.
    pub fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    async fn record(&self, prefix: &str, message_id: &str) -> ProviderMessageId {
        tokio::task::yield_now().await;
        let mut calls = self
            .calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        calls.push(message_id.to_owned());
        ProviderMessageId(format!("{prefix}-{}", calls.len()))
    }
}

#[async_trait]
impl EmailSender for RecordingSender {
    async fn send_email(&self, message: &EmailMessage) -> Result<ProviderMessageId, NotifyError> {
        Ok(self.record("email", &message.message_id).await)
    }
}

#[async_trait]
impl SmsSender for RecordingSender {
    async fn send_sms(&self, message: &SmsMessage) -> Result<ProviderMessageId, NotifyError> {
        Ok(self.record("sms", &message.message_id).await)
    }
}

fn message(n: usize) -> OutboxMessage {
    let id = format!("msg-{n:04}");
    let channel = if n.is_multiple_of(2) {
        OutboxChannel::Email(EmailMessage {
            message_id: id.clone(),
            to: format!("member{n}@example.com"),
            subject: "Your contribution is due".into(),
            text: "Hello".into(),
            html: None,
        })
    } else {
        OutboxChannel::Sms(SmsMessage {
            message_id: id.clone(),
            to: "+2348012345678".into(),
            body: "Hello".into(),
        })
    };
    OutboxMessage { id, channel }
}

/// Enqueues `messages` messages (email and SMS alternately), runs two services at the same
/// time on a multi-threaded runtime (worker `a` on `first`, worker `b` on `second`: the
/// same store, or two connections to one database, as two hosts would have; both share
/// the senders and the clock), each calling `deliver_outbox` in small batches until
/// nothing is left, and checks that every message was sent exactly once and recorded as
/// sent with the id its sender returned.
pub async fn two_workers_send_each_message_once(
    first: Arc<dyn Store>,
    second: Arc<dyn Store>,
    messages: usize,
) {
    let store = first.clone();
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let all: Vec<OutboxMessage> = (0..messages).map(message).collect();
    for chunk in all.chunks(25) {
        store
            .append(AppendRequest {
                streams: vec![],
                entries: vec![],
                outbox: chunk.to_vec(),
                idempotency_key: None,
                at: at.into(),
            })
            .await
            .unwrap();
    }
    let sender = Arc::new(RecordingSender::default());
    let clock = Arc::new(FakeClock::new(at));
    let worker = |name: &str, store: &Arc<dyn Store>| {
        AjoService::new(
            store.clone(),
            Arc::new(FakeGateway::new()) as Arc<dyn PaymentGateway>,
            sender.clone() as Arc<dyn EmailSender>,
            sender.clone() as Arc<dyn SmsSender>,
            clock.clone() as Arc<dyn Clock>,
        )
        .with_config(ServiceConfig {
            worker: name.to_owned(),
            ..ServiceConfig::default()
        })
        .unwrap()
    };
    let drain = |service: AjoService| {
        tokio::spawn(async move {
            let mut sent = 0;
            loop {
                let report = service.deliver_outbox(3).await.unwrap();
                assert_eq!(report.retried + report.failed, 0, "{report:?}");
                if report.sent == 0 {
                    return sent;
                }
                sent += report.sent;
            }
        })
    };
    let (a, b) = tokio::join!(drain(worker("a", &first)), drain(worker("b", &second)));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a + b,
        messages,
        "the workers' reports add up to every message"
    );

    let calls = sender.calls();
    let mut per_message: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &calls {
        *per_message.entry(id.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = per_message.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(calls.len(), messages, "every message was sent");

    for (n, id) in calls.iter().enumerate() {
        let record = store.outbox_message(id).await.unwrap().unwrap();
        let prefix = if record.message.id.ends_with(['0', '2', '4', '6', '8']) {
            "email"
        } else {
            "sms"
        };
        assert_eq!(
            record.status,
            OutboxStatus::Sent {
                provider_id: ProviderMessageId(format!("{prefix}-{}", n + 1))
            },
            "{id} is recorded as sent with the id its sender returned"
        );
        assert_eq!(record.attempts, 1, "{id} took one attempt");
    }
}
