//! Listing streams: the ids of every stream of a kind, a page at a time.

use std::sync::Arc;

use ajo_core::group::GroupId;
use ajo_core::member::MemberEvent;
use ajo_core::ports::{DomainEvent, Store, StreamAppend, StreamId, StreamKind};

use super::{append, event, request};

/// `stream_ids` lists the streams of one kind that hold events, in byte order of the id
/// (an upper-case letter before every lower-case one, whatever the database's collation),
/// a page at a time after the last id seen; streams of another kind, and a stream only a
/// wake time was ever written for, are not listed.
pub async fn streams_are_listed_by_kind_in_pages(store: Arc<dyn Store>) {
    assert!(
        store
            .stream_ids(StreamKind::Group, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "an empty store lists no streams"
    );
    for id in ["b-2", "a.1", "Z", "b-10"] {
        store
            .append(request(
                vec![append(id, 0, vec![event(1)])],
                vec![],
                vec![],
                None,
            ))
            .await
            .unwrap();
    }
    // A second event must not list its stream twice.
    store
        .append(request(
            vec![append("a.1", 1, vec![event(2)])],
            vec![],
            vec![],
            None,
        ))
        .await
        .unwrap();
    let mut wake_only = append("never-written", 0, vec![]);
    wake_only.wake_at = Some(super::at());
    store
        .append(request(vec![wake_only], vec![], vec![], None))
        .await
        .unwrap();
    let member = StreamAppend {
        stream: StreamId::new(StreamKind::Member, "ada"),
        expected_version: 0,
        events: vec![DomainEvent::Member(MemberEvent::JoinedGroup {
            group: GroupId::new("a.1").unwrap(),
        })],
        wake_at: None,
    };
    store
        .append(request(vec![member], vec![], vec![], None))
        .await
        .unwrap();

    let all = store.stream_ids(StreamKind::Group, None, 10).await.unwrap();
    assert_eq!(all, ["Z", "a.1", "b-10", "b-2"], "byte order, each once");

    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .stream_ids(StreamKind::Group, after.as_deref(), 3)
            .await
            .unwrap();
        assert!(page.len() <= 3, "a page holds at most the limit");
        let full = page.len() == 3;
        after = page.last().cloned();
        paged.extend(page);
        if !full {
            break;
        }
    }
    assert_eq!(paged, all, "pages after the last id seen list each id once");
    assert_eq!(
        store
            .stream_ids(StreamKind::Group, Some("a.1"), 1)
            .await
            .unwrap(),
        ["b-10"],
        "the page starts after the id given"
    );
    assert_eq!(
        store
            .stream_ids(StreamKind::Group, Some("b-2"), 10)
            .await
            .unwrap(),
        Vec::<String>::new(),
        "nothing after the last id"
    );
    assert_eq!(
        store
            .stream_ids(StreamKind::Member, None, 10)
            .await
            .unwrap(),
        ["ada"],
        "only the kind asked"
    );
    assert!(
        store
            .stream_ids(StreamKind::Group, None, 0)
            .await
            .unwrap()
            .is_empty(),
        "a limit of zero lists nothing"
    );
}
