//! Wake times: which streams are due for the scheduler.

use std::sync::Arc;

use ajo_core::ports::{Store, StoreError};

use super::{append, at, event, request, stream};

/// An append that only sets a wake time is held to its expected version too: stale (or
/// ahead of the stream) it is a `Conflict` and the wake time is not written.
pub async fn a_stale_wake_only_append_conflicts(store: Arc<dyn Store>) {
    store
        .append(request(
            vec![append("g1", 0, vec![event(1)])],
            vec![],
            vec![],
            None,
        ))
        .await
        .unwrap();
    for expected in [0, 2] {
        let mut wake_only = append("g1", expected, vec![]);
        wake_only.wake_at = Some(at());
        match store
            .append(request(vec![wake_only], vec![], vec![], None))
            .await
        {
            Err(StoreError::Conflict {
                stream: s,
                expected: e,
                actual: 1,
            }) => {
                assert_eq!(s, stream("g1"));
                assert_eq!(e, expected);
            }
            other => {
                panic!("a wake-only append at version {expected} must conflict, got {other:?}")
            }
        }
    }
    assert!(
        store.due_streams(at(), 10).await.unwrap().is_empty(),
        "the wake time of a refused append was written"
    );
    let mut current = append("g1", 1, vec![]);
    current.wake_at = Some(at());
    store
        .append(request(vec![current], vec![], vec![], None))
        .await
        .unwrap();
    assert_eq!(store.due_streams(at(), 10).await.unwrap(), [stream("g1")]);
    assert_eq!(store.load(&stream("g1")).await.unwrap().len(), 1);
}

/// Streams come back from `due_streams` once their wake time has come; a later append
/// without one takes them off.
pub async fn wake_times_list_due_streams(store: Arc<dyn Store>) {
    let soon = at() + chrono::Duration::hours(1);
    let later = at() + chrono::Duration::days(1);
    for (id, wake) in [("a", Some(later)), ("b", Some(soon)), ("c", None)] {
        let mut a = append(id, 0, vec![event(1)]);
        a.wake_at = wake;
        store
            .append(request(vec![a], vec![], vec![], None))
            .await
            .unwrap();
    }
    assert!(store.due_streams(at(), 10).await.unwrap().is_empty());
    assert_eq!(store.due_streams(soon, 10).await.unwrap(), [stream("b")]);
    assert_eq!(
        store.due_streams(later, 10).await.unwrap(),
        [stream("b"), stream("a")]
    );
    assert_eq!(store.due_streams(later, 1).await.unwrap(), [stream("b")]);
    store
        .append(request(vec![append("b", 1, vec![])], vec![], vec![], None))
        .await
        .unwrap();
    assert_eq!(
        store.due_streams(later, 10).await.unwrap(),
        [stream("a")],
        "an append without a wake time clears it"
    );
}
