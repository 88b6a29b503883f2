//! Streams: appends, reads keyed by what was asked, idempotency keys and racing writers.

use std::sync::Arc;
use std::time::Duration;

use ajo_core::group::GroupId;
use ajo_core::ports::{
    AppendOutcome, EntryQuery, ReadFrom, Store, StoreError, StreamId, StreamKind,
};

use super::{append, at, email, entry, event, request, stream};

/// Events come back in order with versions from 1, alone or several streams at once; an
/// unknown stream is empty.
pub async fn appends_and_loads_in_order(store: Arc<dyn Store>) {
    assert!(
        store.load(&stream("nothing")).await.unwrap().is_empty(),
        "an unknown stream loads empty"
    );
    let outcome = store
        .append(request(
            vec![append("g1", 0, vec![event(1), event(2)])],
            vec![],
            vec![],
            None,
        ))
        .await
        .unwrap();
    assert_eq!(outcome, AppendOutcome::Appended);
    store
        .append(request(
            vec![append("g1", 2, vec![event(3)])],
            vec![],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let loaded = store.load(&stream("g1")).await.unwrap();
    let versions: Vec<u64> = loaded.iter().map(|r| r.version).collect();
    assert_eq!(versions, [1, 2, 3], "versions run from 1 in order");
    assert_eq!(loaded[2].event, event(3), "events come back as written");
    assert_eq!(loaded[0].recorded_at, at(), "the append time is kept");
}

/// `read` gives each stream's events after the version asked, keyed by stream, and says
/// whether the idempotency key is recorded.
pub async fn reads_from_known_versions_with_the_key(store: Arc<dyn Store>) {
    store
        .append(request(
            vec![
                append("g1", 0, vec![event(1), event(2), event(3)]),
                append("g2", 0, vec![event(4)]),
            ],
            vec![],
            vec![],
            Some("seen"),
        ))
        .await
        .unwrap();
    let all = store.load(&stream("g1")).await.unwrap();
    let mut read = store
        .read(
            &[
                ReadFrom::new(stream("g1"), 1),
                ReadFrom::new(stream("nothing"), 0),
                ReadFrom::new(stream("g2"), 1),
            ],
            Some("seen"),
        )
        .await
        .unwrap();
    assert_eq!(
        read.take(&stream("g1")).unwrap(),
        all[1..],
        "the events after the version asked"
    );
    assert_eq!(read.take(&stream("nothing")).unwrap(), []);
    assert_eq!(
        read.take(&stream("g2")).unwrap(),
        [],
        "nothing after the last version"
    );
    assert!(read.key_recorded(), "the key was recorded with the append");
    let unseen = store
        .read(&[ReadFrom::new(stream("g1"), 3)], Some("never"))
        .await
        .unwrap();
    assert!(!unseen.key_recorded(), "an unknown key is not recorded");
    let keyless = store.read(&[], None).await.unwrap();
    assert!(keyless.iter().next().is_none() && !keyless.key_recorded());
}

/// `read` answers every stream asked, keyed by its id, whatever their number: a stream
/// never written is answered empty, never left out (a missing answer would make an
/// existing group look new); a stream asked twice is answered once, from the lowest
/// version asked; and `load` gives what a read from 0 gives.
pub async fn reads_answer_every_stream_asked_by_key(store: Arc<dyn Store>) {
    store
        .append(request(
            vec![
                append("k1", 0, vec![event(1), event(2), event(3)]),
                append("k2", 0, vec![event(4), event(5)]),
            ],
            vec![],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let k1 = store.load(&stream("k1")).await.unwrap();
    let k2 = store.load(&stream("k2")).await.unwrap();
    // Unknown streams of every kind, with the known ones among them: each answered.
    let unknown: Vec<StreamId> = (0..20)
        .map(|n| {
            let kind = [
                StreamKind::Group,
                StreamKind::Loan,
                StreamKind::Member,
                StreamKind::Payment,
                StreamKind::Payout,
            ][n % 5];
            StreamId::new(kind, format!("unknown-{n}"))
        })
        .collect();
    let mut asked: Vec<ReadFrom> = unknown
        .iter()
        .map(|s| ReadFrom::new(s.clone(), 0))
        .collect();
    asked.insert(3, ReadFrom::new(stream("k1"), 2));
    asked.push(ReadFrom::new(stream("k2"), 0));
    let mut read = store.read(&asked, None).await.unwrap();
    assert_eq!(
        read.iter().count(),
        asked.len(),
        "one answer per stream asked"
    );
    for s in &unknown {
        assert_eq!(
            read.take(s).unwrap(),
            [],
            "a stream never written is answered empty, not left out: {s}"
        );
    }
    assert_eq!(
        read.take(&stream("k1")).unwrap(),
        k1[2..],
        "only the events after the version asked"
    );
    assert_eq!(read.take(&stream("k2")).unwrap(), k2);
    // The same stream under another kind is another stream.
    let mut other_kind = store
        .read(
            &[ReadFrom::new(StreamId::new(StreamKind::Loan, "k1"), 0)],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        other_kind
            .take(&StreamId::new(StreamKind::Loan, "k1"))
            .unwrap(),
        []
    );
    // Asked twice: one answer, from the lower version.
    let mut twice = store
        .read(
            &[
                ReadFrom::new(stream("k1"), 2),
                ReadFrom::new(stream("k1"), 1),
            ],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        twice.take(&stream("k1")).unwrap(),
        k1[1..],
        "a stream asked twice is answered from the lower version"
    );
    assert!(
        matches!(
            twice.take(&stream("k1")),
            Err(StoreError::Incomplete { .. })
        ),
        "a stream asked twice is answered once"
    );
    for after in 0..=4 {
        let mut one = store
            .read(&[ReadFrom::new(stream("k1"), after)], None)
            .await
            .unwrap();
        let expected = k1
            .get(usize::try_from(after).unwrap()..)
            .unwrap_or_default();
        assert_eq!(
            one.take(&stream("k1")).unwrap(),
            expected,
            "events after version {after}"
        );
    }
}

/// A stale expected version is a `Conflict`, and nothing of that append is written.
pub async fn stale_versions_conflict_and_write_nothing(store: Arc<dyn Store>) {
    store
        .append(request(
            vec![append("g1", 0, vec![event(1)])],
            vec![],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let stale = request(
        vec![
            append("g2", 0, vec![event(9)]),
            append("g1", 0, vec![event(2)]),
        ],
        vec![entry("stale", 5)],
        vec![email("stale-mail")],
        Some("stale-key"),
    );
    match store.append(stale).await {
        Err(StoreError::Conflict {
            stream: s,
            expected: 0,
            actual: 1,
        }) => assert_eq!(s, stream("g1")),
        other => panic!("a stale version must be a Conflict, got {other:?}"),
    }
    assert!(
        store.load(&stream("g2")).await.unwrap().is_empty(),
        "another stream of a failed append was written"
    );
    assert_eq!(store.load(&stream("g1")).await.unwrap().len(), 1);
    assert!(
        store
            .entries(&EntryQuery::default())
            .await
            .unwrap()
            .is_empty(),
        "an entry of a failed append was written"
    );
    assert!(
        store.outbox_message("stale-mail").await.unwrap().is_none(),
        "a message of a failed append was written"
    );
    assert!(
        !store.has_idempotency_key("stale-key").await.unwrap(),
        "the key of a failed append was recorded"
    );
}

/// The same idempotency key twice writes once.
pub async fn idempotency_keys_write_once(store: Arc<dyn Store>) {
    let first = request(
        vec![append("g1", 0, vec![event(1)])],
        vec![entry("pay-1", 10)],
        vec![email("m1")],
        Some("evt-1"),
    );
    assert_eq!(store.append(first).await.unwrap(), AppendOutcome::Appended);
    assert!(store.has_idempotency_key("evt-1").await.unwrap());
    // A retry of the same request, even with a stale version, is a duplicate.
    let again = request(
        vec![append("g1", 0, vec![event(1)])],
        vec![entry("pay-1", 10)],
        vec![email("m1")],
        Some("evt-1"),
    );
    assert_eq!(store.append(again).await.unwrap(), AppendOutcome::Duplicate);
    assert_eq!(store.load(&stream("g1")).await.unwrap().len(), 1);
    assert_eq!(
        store.entries(&EntryQuery::default()).await.unwrap().len(),
        1
    );
}

/// Fifty deliveries of one webhook event at once: exactly one ledger entry and one
/// message.
pub async fn concurrent_duplicate_deliveries_post_once(store: Arc<dyn Store>) {
    let id = GroupId::new("g-dup").unwrap();
    store
        .append(request(
            vec![append(id.as_str(), 0, vec![event(1)])],
            vec![],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Each delivery loads, decides and appends, retrying on conflict, as the
            // service does.
            for _ in 0..100 {
                let version = store
                    .load(&stream("g-dup"))
                    .await
                    .unwrap()
                    .last()
                    .map_or(0, |r| r.version);
                let req = request(
                    vec![append("g-dup", version, vec![event(2)])],
                    vec![entry("charge:evt-1", 20)],
                    vec![email("receipt-evt-1")],
                    Some("paystack:evt-1"),
                );
                match store.append(req).await {
                    Ok(outcome) => return outcome,
                    Err(StoreError::Conflict { .. }) => tokio::task::yield_now().await,
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            panic!("no progress after 100 conflicts");
        }));
    }
    let mut appended = 0;
    for task in tasks {
        if task.await.unwrap() == AppendOutcome::Appended {
            appended += 1;
        }
    }
    assert_eq!(appended, 1, "exactly one delivery may write");
    assert_eq!(
        store.entries(&EntryQuery::default()).await.unwrap().len(),
        1,
        "exactly one ledger entry"
    );
    assert_eq!(store.load(&stream("g-dup")).await.unwrap().len(), 2);
    assert_eq!(
        store
            .claim_outbox("w", at(), Duration::from_secs(1), 100)
            .await
            .unwrap()
            .len(),
        1,
        "exactly one message"
    );
}
