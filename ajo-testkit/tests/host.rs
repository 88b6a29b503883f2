//! What a host building its own API needs from the service, on the in-memory store (the
//! same suite runs on PostgreSQL in ajo-adapters): views that serialize to JSON and
//! agree with the ledger, the minimum size at `start`, and refusals logged below ERROR.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io;
use std::sync::{Arc, Mutex};

use ajo_core::group::GroupError;
use ajo_core::ids::GroupId;
use ajo_core::ports::Store;
use ajo_core::service::{ErrorKind, ServiceError};
use ajo_testkit::{Embedded, InMemoryStore, builders, conformance, drive};
use chrono::{NaiveDate, TimeZone, Utc};
use tracing_subscriber::fmt::MakeWriter;

#[tokio::test]
async fn in_memory_store_passes_the_host_suite() {
    conformance::host::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> }).await;
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

fn embedded() -> Embedded {
    Embedded::new(Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap())
}

/// A started group of three, the first round paid by hand 1 only.
async fn a_round_under_way() -> (Embedded, GroupId) {
    let ajo = embedded();
    let group = GroupId::new("balogun").unwrap();
    let config = builders::naira_group("Balogun market", 5_000, start_date())
        .size(3)
        .build()
        .unwrap();
    ajo.service.create_group(&group, config).await.unwrap();
    drive::join_and_start(
        &ajo.service,
        &ajo.gateway,
        &group,
        &["ada", "bola", "chidi"],
    )
    .await;
    drive::pay_round(&ajo.service, &ajo.gateway, &group, 1, 1).await;
    (ajo, group)
}

#[tokio::test]
async fn the_group_view_as_json() {
    let (ajo, group) = a_round_under_way().await;
    let view = ajo.service.group_view(&group).await.unwrap();
    insta::assert_json_snapshot!("group_view", view);
}

#[tokio::test]
async fn the_member_view_as_json() {
    let (ajo, group) = a_round_under_way().await;
    let view = ajo
        .service
        .member_view(&group, &builders::member("bola"))
        .await
        .unwrap();
    insta::assert_json_snapshot!("member_view", view);
}

/// Everything logged, as text, with its level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// A refusal (too few hands to start) and an unknown group are answers, not faults: each
/// is logged once, at INFO with its kind, and nothing at ERROR.
#[tokio::test(flavor = "current_thread")]
async fn refusals_are_logged_below_error() {
    let ajo = embedded();
    let group = GroupId::new("too-small").unwrap();
    let config = builders::naira_group("Too small", 5_000, start_date())
        .size(4)
        .deposit(ajo_core::group::deposit::DepositRule::None)
        .build()
        .unwrap();
    ajo.service.create_group(&group, config).await.unwrap();
    for name in ["ada", "bola"] {
        ajo.service
            .join(&group, &builders::member(name), 1, &builders::contact(name))
            .await
            .unwrap();
    }

    let (captured, guard) = capture();
    let refused = ajo.service.start(&group).await.unwrap_err();
    let unknown = GroupId::new("no-such-group").unwrap();
    let missing = ajo.service.group_view(&unknown).await.unwrap_err();
    drop(guard);

    assert_eq!(
        refused,
        ServiceError::Group(GroupError::TooFewHands { hands: 2, min: 4 })
    );
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    let logs = captured.text();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains("kind=")).collect();
    assert_eq!(lines.len(), 2, "each failure logged once: {logs}");
    assert!(
        lines[0].contains(" INFO ") && lines[0].contains("kind=\"refused\""),
        "{logs}"
    );
    assert!(
        lines[0].contains("group_id=too-small"),
        "in the call's span: {logs}"
    );
    assert!(
        lines[1].contains(" INFO ") && lines[1].contains("kind=\"not_found\""),
        "{logs}"
    );
    assert!(!logs.contains("ERROR"), "{logs}");
}
