//! The [`Store`] contract.
//!
//! ```
//! # tokio_test_block(async {
//! use std::sync::Arc;
//! use ajo_testkit::{conformance, InMemoryStore};
//!
//! conformance::store::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn ajo_core::ports::Store> }).await;
//! # });
//! # fn tokio_test_block<F: std::future::Future>(f: F) { tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f); }
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ajo_core::group::{GroupEvent, GroupId, MemberId};
use ajo_core::ledger::{Account, AccountKind, BalancedEntry, EntryDraft, verify_chain};
use ajo_core::money::{Currency, MAX_MINOR, Money};
use ajo_core::ports::{
    AppendOutcome, AppendRequest, DomainEvent, EmailMessage, EntryQuery, OutboxChannel,
    OutboxMessage, OutboxOutcome, OutboxStatus, ProviderMessageId, ReadFrom, Store, StoreError,
    StreamAppend, StreamId, StreamKind,
};
use chrono::{DateTime, TimeZone, Utc};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn stream(id: &str) -> StreamId {
    StreamId::new(StreamKind::Group, id)
}

fn event(n: u32) -> DomainEvent {
    DomainEvent::Group(GroupEvent::MemberJoined {
        member: MemberId::new(format!("m{n}")).unwrap(),
        hands: 1,
        deposit_required: Money::zero(Currency::NGN),
    })
}

fn entry(key: &str, naira: i128) -> BalancedEntry {
    let amount = Money::from_minor(naira * 100, Currency::NGN).unwrap();
    EntryDraft::new(key, "conformance")
        .reference(format!("ref-{key}"))
        .debit(
            Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN),
            amount,
        )
        .credit(
            Account::new("g1", AccountKind::GroupPot, Currency::NGN),
            amount,
        )
        .balance()
        .unwrap()
}

fn email(id: &str) -> OutboxMessage {
    OutboxMessage {
        id: id.into(),
        channel: OutboxChannel::Email(EmailMessage {
            message_id: id.into(),
            to: "ada@example.com".into(),
            subject: "s".into(),
            text: "t".into(),
            html: None,
        }),
    }
}

fn request(
    appends: Vec<StreamAppend>,
    entries: Vec<BalancedEntry>,
    outbox: Vec<OutboxMessage>,
    key: Option<&str>,
) -> AppendRequest {
    AppendRequest {
        streams: appends,
        entries,
        outbox,
        idempotency_key: key.map(str::to_owned),
        at: at().into(),
    }
}

fn append(id: &str, expected: u64, events: Vec<DomainEvent>) -> StreamAppend {
    StreamAppend {
        stream: stream(id),
        expected_version: expected,
        events,
        wake_at: None,
    }
}

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    appends_and_loads_in_order(factory().await).await;
    reads_from_known_versions_with_the_key(factory().await).await;
    stale_versions_conflict_and_write_nothing(factory().await).await;
    a_stale_wake_only_append_conflicts(factory().await).await;
    idempotency_keys_write_once(factory().await).await;
    a_bad_entry_fails_the_whole_append(factory().await).await;
    replayed_entries_are_skipped(factory().await).await;
    ledger_stays_balanced_and_chained(factory().await).await;
    sub_microsecond_times_keep_the_chain_verifiable(factory().await).await;
    balances_beyond_the_largest_amount_are_refused(factory().await).await;
    wake_times_list_due_streams(factory().await).await;
    outbox_is_unique_leased_and_reported(factory().await).await;
    final_delivery_reports_are_kept(factory().await).await;
    concurrent_duplicate_deliveries_post_once(factory().await).await;
}

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
    let many = store
        .load_many(&[stream("g1"), stream("nothing"), stream("g1")])
        .await
        .unwrap();
    assert_eq!(
        many,
        [loaded.clone(), Vec::new(), loaded],
        "load_many gives what load gives, in the order asked"
    );
}

/// `read` gives each stream's events after the version asked, in the order asked, and
/// says whether the idempotency key is recorded.
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
    let read = store
        .read(
            &[
                ReadFrom::new(stream("g1"), 1),
                ReadFrom::new(stream("nothing"), 0),
                ReadFrom::new(stream("g2"), 1),
                ReadFrom::new(stream("g1"), 0),
            ],
            Some("seen"),
        )
        .await
        .unwrap();
    assert_eq!(
        read.events,
        [all[1..].to_vec(), Vec::new(), Vec::new(), all.clone()],
        "events after the version asked, per stream, in the order asked"
    );
    assert!(read.key_recorded, "the key was recorded with the append");
    let unseen = store
        .read(&[ReadFrom::new(stream("g1"), 3)], Some("never"))
        .await
        .unwrap();
    assert_eq!(
        unseen.events,
        [Vec::new()],
        "nothing after the last version"
    );
    assert!(!unseen.key_recorded, "an unknown key is not recorded");
    let keyless = store.read(&[], None).await.unwrap();
    assert!(keyless.events.is_empty() && !keyless.key_recorded);
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

/// An entry key that holds other content fails the whole append.
pub async fn a_bad_entry_fails_the_whole_append(store: Arc<dyn Store>) {
    store
        .append(request(vec![], vec![entry("k", 10)], vec![], None))
        .await
        .unwrap();
    let clash = request(
        vec![append("g1", 0, vec![event(1)])],
        vec![entry("fresh", 1), entry("k", 11)],
        vec![email("x")],
        Some("clash"),
    );
    match store.append(clash).await {
        Err(StoreError::EntryConflict { key }) => assert_eq!(key, "k"),
        other => {
            panic!("a reused entry key with other content must be EntryConflict, got {other:?}")
        }
    }
    assert!(
        store.load(&stream("g1")).await.unwrap().is_empty(),
        "events of a failed append were written"
    );
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), 1, "an entry of a failed append was written");
    assert!(store.outbox_message("x").await.unwrap().is_none());
    assert!(!store.has_idempotency_key("clash").await.unwrap());
}

/// An entry posted again with the same key and content is skipped, not an error.
pub async fn replayed_entries_are_skipped(store: Arc<dyn Store>) {
    store
        .append(request(vec![], vec![entry("k", 10)], vec![], None))
        .await
        .unwrap();
    store
        .append(request(
            vec![append("g1", 0, vec![event(1)])],
            vec![entry("k", 10), entry("k2", 3)],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let keys: Vec<String> = store
        .entries(&EntryQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|e| e.entry().key().to_owned())
        .collect();
    assert_eq!(keys, ["k", "k2"]);
}

/// Balances sum to zero per currency, entries carry a valid hash chain, and queries by
/// reference find them.
pub async fn ledger_stays_balanced_and_chained(store: Arc<dyn Store>) {
    for i in 1..=5 {
        store
            .append(request(
                vec![],
                vec![entry(&format!("e{i}"), i)],
                vec![],
                None,
            ))
            .await
            .unwrap();
    }
    let balances = store.balances().await.unwrap();
    let total: i128 = balances.iter().map(|(_, m)| m.minor()).sum();
    assert_eq!(total, 0, "the trial balance must sum to zero");
    let clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN);
    assert_eq!(
        store.balance(&clearing).await.unwrap(),
        Money::from_minor(1500, Currency::NGN).unwrap()
    );
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    verify_chain(&entries).expect("the journal's hash chain must verify");
    let by_ref = store
        .entries(&EntryQuery {
            reference: Some("ref-e3".into()),
            ..EntryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_ref.len(), 1);
    let page = store
        .entries(&EntryQuery {
            after: Some(2),
            limit: Some(2),
            ..EntryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.iter().map(|e| e.id().0).collect::<Vec<_>>(), [3, 4]);
}

/// Appends at clock readings finer than a microsecond, as a real clock gives them (on
/// both sides of a microsecond's half, since PostgreSQL rounds what it is given), read
/// back whole microseconds cut toward the past, and the chain verifies: what was hashed is
/// what was kept.
pub async fn sub_microsecond_times_keep_the_chain_verifiable(store: Arc<dyn Store>) {
    let nanos = [123_456_789u32, 123_456_001, 999_999_999, 500, 42_000];
    for (i, nano) in (1..).zip(nanos) {
        let at = Utc.timestamp_opt(1_772_355_600 + i, nano).unwrap();
        let mut request = request(
            vec![],
            vec![entry(&format!("t{i}"), i.into())],
            vec![],
            None,
        );
        request.at = at.into();
        store.append(request).await.unwrap();
    }
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), nanos.len());
    verify_chain(&entries).expect("entries posted at sub-microsecond times must verify");
    for ((i, nano), entry) in (1..).zip(nanos).zip(&entries) {
        let kept = Utc
            .timestamp_opt(1_772_355_600 + i, nano - nano % 1_000)
            .unwrap();
        assert_eq!(
            entry.posted_at(),
            kept,
            "posting times are cut to microseconds"
        );
    }
}

/// A posting that would take a balance past the largest amount `Money` holds is
/// `BalanceOutOfRange`, either way, and nothing of that append is written.
pub async fn balances_beyond_the_largest_amount_are_refused(store: Arc<dyn Store>) {
    let clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN);
    let pot = Account::new("g1", AccountKind::GroupPot, Currency::NGN);
    let most = Money::from_minor(MAX_MINOR, Currency::NGN).unwrap();
    let one = Money::from_minor(1, Currency::NGN).unwrap();
    let spare = Account::new("spare", AccountKind::Suspense, Currency::NGN);
    let huge = EntryDraft::new("huge", "conformance")
        .debit(clearing.clone(), most)
        .credit(pot.clone(), most)
        .balance()
        .unwrap();
    store
        .append(request(vec![], vec![huge], vec![], None))
        .await
        .unwrap();
    for (key, debit, credit) in [
        ("over", clearing.clone(), spare.clone()),
        ("under", spare.clone(), pot.clone()),
    ] {
        let more = EntryDraft::new(key, "conformance")
            .debit(debit.clone(), one)
            .credit(credit.clone(), one)
            .balance()
            .unwrap();
        let refused = request(
            vec![append("g1", 0, vec![event(1)])],
            vec![more],
            vec![email("over-mail")],
            Some("over-key"),
        );
        match store.append(refused).await {
            Err(StoreError::BalanceOutOfRange) => {}
            other => panic!("a balance past the largest amount must be refused, got {other:?}"),
        }
    }
    assert_eq!(store.balance(&clearing).await.unwrap(), most);
    assert_eq!(store.balance(&pot).await.unwrap(), most.negated());
    assert!(store.balance(&spare).await.unwrap().is_zero());
    assert_eq!(
        store.entries(&EntryQuery::default()).await.unwrap().len(),
        1
    );
    assert!(store.load(&stream("g1")).await.unwrap().is_empty());
    assert!(store.outbox_message("over-mail").await.unwrap().is_none());
    assert!(!store.has_idempotency_key("over-key").await.unwrap());
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
