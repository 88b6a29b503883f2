//! The outbox: unique messages, leases to workers, outcomes and delivery reports.

use std::sync::Arc;
use std::time::Duration;

use ajo_core::ports::{
    OutboxBacklog, OutboxOutcome, OutboxStatus, ProviderMessageId, Store, StoreError,
};

use super::{at, email, request};

/// Messages are unique by id, claimed by one worker at a time, retried, and take
/// delivery reports once.
pub async fn outbox_is_unique_leased_and_reported(store: Arc<dyn Store>) {
    store
        .append(request(
            vec![],
            vec![],
            vec![email("m1"), email("m2")],
            None,
        ))
        .await
        .unwrap();
    store
        .append(request(vec![], vec![], vec![email("m1")], None))
        .await
        .unwrap();
    let lease = Duration::from_secs(60);
    let first = store.claim_outbox("w1", at(), lease, 10).await.unwrap();
    assert_eq!(first.len(), 2, "a message id is stored once");
    assert!(
        store
            .claim_outbox("w2", at(), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "a leased message went to a second worker"
    );
    store
        .finish_outbox(
            "m1",
            OutboxOutcome::Sent(ProviderMessageId("p-1".into())),
            at(),
        )
        .await
        .unwrap();
    let retry_at = at() + chrono::Duration::minutes(5);
    store
        .finish_outbox(
            "m2",
            OutboxOutcome::Retry {
                at: retry_at,
                reason: "busy".into(),
            },
            at(),
        )
        .await
        .unwrap();
    assert!(
        store
            .claim_outbox("w2", at(), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "a retry came before its time"
    );
    let again = store.claim_outbox("w2", retry_at, lease, 10).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    // An expired lease frees the message for another worker.
    let expired = retry_at + chrono::Duration::minutes(2);
    assert_eq!(
        store
            .claim_outbox("w3", expired, lease, 10)
            .await
            .unwrap()
            .len(),
        1,
        "an expired lease was not released"
    );
    store
        .report_delivery("p-1", OutboxStatus::Delivered)
        .await
        .unwrap();
    store
        .report_delivery("m1", OutboxStatus::Delivered)
        .await
        .unwrap();
    assert_eq!(
        store.outbox_message("m1").await.unwrap().unwrap().status,
        OutboxStatus::Delivered
    );
    assert!(matches!(
        store.report_delivery("nope", OutboxStatus::Delivered).await,
        Err(StoreError::UnknownMessage(_))
    ));
}

/// Delivered and undeliverable are final: a report that overtakes the send's own outcome,
/// a contrary late report, or a failed retry never overwrites them; the provider's id is
/// still recorded, so later reports find the message by it.
pub async fn final_delivery_reports_are_kept(store: Arc<dyn Store>) {
    store
        .append(request(
            vec![],
            vec![],
            vec![email("fast"), email("bounced")],
            None,
        ))
        .await
        .unwrap();
    let lease = Duration::from_secs(60);
    assert_eq!(
        store
            .claim_outbox("w", at(), lease, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    // The handset reports before the worker records the provider's answer.
    store
        .report_delivery("fast", OutboxStatus::Delivered)
        .await
        .unwrap();
    store
        .finish_outbox(
            "fast",
            OutboxOutcome::Sent(ProviderMessageId("p-fast".into())),
            at(),
        )
        .await
        .unwrap();
    let status = |id: &'static str| {
        let store = store.clone();
        async move { store.outbox_message(id).await.unwrap().unwrap().status }
    };
    assert_eq!(
        status("fast").await,
        OutboxStatus::Delivered,
        "recording the send overwrote an earlier delivery report"
    );
    let bounced = OutboxStatus::Undeliverable {
        reason: "bounced".into(),
    };
    store
        .report_delivery("p-fast", bounced.clone())
        .await
        .unwrap();
    assert_eq!(
        status("fast").await,
        OutboxStatus::Delivered,
        "a late contrary report overwrote a final one (or the provider id was not recorded)"
    );
    store
        .report_delivery("bounced", bounced.clone())
        .await
        .unwrap();
    store
        .finish_outbox(
            "bounced",
            OutboxOutcome::Failed {
                reason: "timed out".into(),
            },
            at(),
        )
        .await
        .unwrap();
    assert_eq!(
        status("bounced").await,
        bounced,
        "a failed send overwrote a delivery report"
    );
    assert!(
        store
            .claim_outbox("w2", at() + chrono::Duration::hours(1), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "a reported message was offered again"
    );
}

/// The backlog counts every pending message, claimed or not, tells the due ones apart,
/// and says when the longest-waiting due one fell due; sent messages leave it. A store
/// must count (`Some`): the outbox gauges are read from it.
pub async fn outbox_backlog_counts_what_waits(store: Arc<dyn Store>) {
    // Sub-microsecond, as a real clock gives.
    let now = at() + chrono::Duration::nanoseconds(1_500);
    let empty = store.outbox_backlog(now).await.unwrap();
    assert_eq!(
        empty,
        Some(OutboxBacklog::default()),
        "an empty outbox has no backlog (or the store does not count its outbox)"
    );
    store
        .append(request(
            vec![],
            vec![],
            vec![email("b1"), email("b2"), email("b3")],
            None,
        ))
        .await
        .unwrap();
    let lease = Duration::from_secs(60);
    assert_eq!(
        store.claim_outbox("w1", now, lease, 3).await.unwrap().len(),
        3
    );
    let retry_at = now + chrono::Duration::minutes(5);
    store
        .finish_outbox(
            "b2",
            OutboxOutcome::Retry {
                at: retry_at,
                reason: "busy".into(),
            },
            now,
        )
        .await
        .unwrap();
    store
        .finish_outbox(
            "b3",
            OutboxOutcome::Sent(ProviderMessageId("p-b3".into())),
            now,
        )
        .await
        .unwrap();
    let due_at = store
        .outbox_message("b1")
        .await
        .unwrap()
        .unwrap()
        .next_attempt_at;
    let backlog = store.outbox_backlog(now).await.unwrap().unwrap();
    assert_eq!(
        backlog,
        OutboxBacklog {
            pending: 2,
            due: 1,
            oldest_due_at: Some(due_at),
        },
        "b1 (claimed, unsent) is due, b2 waits for its retry, b3 is sent"
    );
    let later = retry_at + chrono::Duration::seconds(1);
    let backlog = store.outbox_backlog(later).await.unwrap().unwrap();
    assert_eq!((backlog.pending, backlog.due), (2, 2));
    assert_eq!(
        backlog.oldest_due_at,
        Some(due_at),
        "the oldest due one is b1's"
    );
    store
        .finish_outbox(
            "b1",
            OutboxOutcome::Failed {
                reason: "refused".into(),
            },
            later,
        )
        .await
        .unwrap();
    let backlog = store.outbox_backlog(later).await.unwrap().unwrap();
    let retried = store
        .outbox_message("b2")
        .await
        .unwrap()
        .unwrap()
        .next_attempt_at;
    assert_eq!(
        backlog,
        OutboxBacklog {
            pending: 1,
            due: 1,
            oldest_due_at: Some(retried),
        },
        "a message given up on leaves the backlog"
    );
}
