//! Idempotency keys with what they were used for: fingerprints and answers.

use std::sync::Arc;

use ajo_core::ports::{AppendOutcome, AppendRequest, KeyRecord, ReadFrom, Store};

use super::{append, at, event, request, stream};

fn keyed(key: &str, fingerprint: &str, result: Option<&str>) -> KeyRecord {
    KeyRecord {
        key: key.into(),
        fingerprint: Some(fingerprint.into()),
        result: result.map(str::to_owned),
    }
}

/// A key recorded with a fingerprint and an answer reads back with both, through
/// `idempotency_record` and through `read`, exactly as written; a bare key reads back
/// bare; an unknown key is `None`.
pub async fn keys_keep_their_fingerprint_and_answer(store: Arc<dyn Store>) {
    let answer = r#"{"reference":"ajo-g1-r1-h1","checkout_url":"https://pay.example/x?a=1&b=\u00e9","n":[1,2.50]}"#;
    let mut with_answer = request(vec![append("g1", 0, vec![event(1)])], vec![], vec![], None);
    with_answer.idempotency_key = Some(keyed("@host:k1", "f1", Some(answer)));
    assert_eq!(
        store.append(with_answer).await.unwrap(),
        AppendOutcome::Appended
    );
    let recorded = store.idempotency_record("@host:k1").await.unwrap().unwrap();
    assert_eq!(recorded.key, "@host:k1");
    assert_eq!(recorded.fingerprint.as_deref(), Some("f1"));
    assert_eq!(
        recorded.result.as_deref(),
        Some(answer),
        "the answer is kept as given, to the byte"
    );

    let read = store
        .read(&[ReadFrom::new(stream("g1"), 0)], Some("@host:k1"))
        .await
        .unwrap();
    assert!(read.key_recorded());
    assert_eq!(
        read.key_record(),
        Some(&recorded),
        "read gives the same record"
    );

    store
        .append(request(
            vec![append("g2", 0, vec![event(2)])],
            vec![],
            vec![],
            Some("evt-bare"),
        ))
        .await
        .unwrap();
    assert_eq!(
        store.idempotency_record("evt-bare").await.unwrap(),
        Some(KeyRecord::bare("evt-bare"))
    );
    let bare = store.read(&[], Some("evt-bare")).await.unwrap();
    assert_eq!(bare.key_record(), Some(&KeyRecord::bare("evt-bare")));

    assert_eq!(store.idempotency_record("@host:never").await.unwrap(), None);
    let unseen = store.read(&[], Some("@host:never")).await.unwrap();
    assert!(!unseen.key_recorded() && unseen.key_record().is_none());
}

/// A key is recorded once: a later append under it (with another fingerprint, another
/// answer, even a key alone) is a duplicate, writes nothing and changes neither; an
/// append of a key alone (no streams) records it.
pub async fn a_key_keeps_its_first_record(store: Arc<dyn Store>) {
    let alone = AppendRequest {
        streams: vec![],
        entries: vec![],
        outbox: vec![],
        idempotency_key: Some(keyed("@host:k2", "f-first", Some("\"first\""))),
        at: at().into(),
    };
    assert_eq!(store.append(alone).await.unwrap(), AppendOutcome::Appended);
    let mut other = request(vec![append("g3", 0, vec![event(3)])], vec![], vec![], None);
    other.idempotency_key = Some(keyed("@host:k2", "f-other", Some("\"second\"")));
    assert_eq!(store.append(other).await.unwrap(), AppendOutcome::Duplicate);
    assert!(
        store.load(&stream("g3")).await.unwrap().is_empty(),
        "a duplicate writes nothing"
    );
    let kept = store.idempotency_record("@host:k2").await.unwrap().unwrap();
    assert_eq!(kept, keyed("@host:k2", "f-first", Some("\"first\"")));
    assert!(store.has_idempotency_key("@host:k2").await.unwrap());
}

/// The key of an append that fails (a stale version) is not recorded, with or without
/// its fingerprint: the same key can be used again.
pub async fn a_failed_append_leaves_its_key_free(store: Arc<dyn Store>) {
    store
        .append(request(
            vec![append("g4", 0, vec![event(1)])],
            vec![],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let mut stale = request(vec![append("g4", 0, vec![event(2)])], vec![], vec![], None);
    stale.idempotency_key = Some(keyed("@host:k3", "f3", None));
    assert!(store.append(stale).await.is_err());
    assert_eq!(store.idempotency_record("@host:k3").await.unwrap(), None);
    let mut fresh = request(vec![append("g4", 1, vec![event(2)])], vec![], vec![], None);
    fresh.idempotency_key = Some(keyed("@host:k3", "f3", None));
    assert_eq!(store.append(fresh).await.unwrap(), AppendOutcome::Appended);
    assert_eq!(
        store.idempotency_record("@host:k3").await.unwrap(),
        Some(keyed("@host:k3", "f3", None))
    );
}

/// Appends racing under one key with different fingerprints: exactly one is written, and
/// the key's record is the winner's.
pub async fn racing_keys_record_one_winner(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for n in 0..8u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut race = request(
                vec![append(&format!("race-{n}"), 0, vec![event(n)])],
                vec![],
                vec![],
                None,
            );
            race.idempotency_key = Some(keyed("@host:race", &format!("f{n}"), None));
            (n, store.append(race).await.unwrap())
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (n, outcome) = task.await.unwrap();
        if outcome == AppendOutcome::Appended {
            winners.push(n);
        }
    }
    assert_eq!(winners.len(), 1, "one append under the key: {winners:?}");
    let winner = winners[0];
    let record = store
        .idempotency_record("@host:race")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.fingerprint, Some(format!("f{winner}")));
    for n in 0..8u32 {
        let written = store.load(&stream(&format!("race-{n}"))).await.unwrap();
        assert_eq!(written.len(), usize::from(n == winner), "stream race-{n}");
    }
}
