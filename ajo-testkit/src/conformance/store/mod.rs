//! The [`Store`] contract, one file per part of the port: [`events`](self) (appends,
//! keyed reads, idempotency), the journal, wake times and the outbox.
//!
//! [`run_all`] runs every check, each on a fresh store; each check is also public, to run
//! alone.
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

mod books;
mod events;
mod journal;
mod keys;
mod outbox;
mod schedule;
mod streams;

use std::future::Future;
use std::sync::Arc;

use ajo_core::group::{GroupEvent, MemberId};
use ajo_core::ledger::{Account, AccountKind, BalancedEntry, EntryDraft};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    AppendRequest, DomainEvent, EmailMessage, KeyRecord, OutboxChannel, OutboxMessage, Store,
    StreamAppend, StreamId, StreamKind,
};
use chrono::{DateTime, TimeZone, Utc};

pub use books::{
    a_reversal_stays_in_its_book, checkpoints_are_recorded_in_order,
    concurrent_books_keep_their_chains, entries_chain_in_their_books,
};
pub use events::{
    appends_and_loads_in_order, concurrent_duplicate_deliveries_post_once,
    idempotency_keys_write_once, reads_answer_every_stream_asked_by_key,
    reads_from_known_versions_with_the_key, stale_versions_conflict_and_write_nothing,
};
pub use journal::{
    a_bad_entry_fails_the_whole_append, balances_are_found_by_owner,
    balances_beyond_the_largest_amount_are_refused, entries_are_found_by_account_and_time,
    ledger_stays_balanced_and_chained, replayed_entries_are_skipped,
    sub_microsecond_times_keep_the_chain_verifiable,
};
pub use keys::{
    a_failed_append_leaves_its_key_free, a_key_keeps_its_first_record,
    keys_keep_their_fingerprint_and_answer, racing_keys_record_one_winner,
};
pub use outbox::{
    final_delivery_reports_are_kept, outbox_backlog_counts_what_waits,
    outbox_is_unique_leased_and_reported,
};
pub use schedule::{a_stale_wake_only_append_conflicts, wake_times_list_due_streams};
pub use streams::streams_are_listed_by_kind_in_pages;

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
        idempotency_key: key.map(KeyRecord::from),
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
    reads_answer_every_stream_asked_by_key(factory().await).await;
    stale_versions_conflict_and_write_nothing(factory().await).await;
    a_stale_wake_only_append_conflicts(factory().await).await;
    idempotency_keys_write_once(factory().await).await;
    a_bad_entry_fails_the_whole_append(factory().await).await;
    replayed_entries_are_skipped(factory().await).await;
    ledger_stays_balanced_and_chained(factory().await).await;
    entries_are_found_by_account_and_time(factory().await).await;
    sub_microsecond_times_keep_the_chain_verifiable(factory().await).await;
    balances_beyond_the_largest_amount_are_refused(factory().await).await;
    wake_times_list_due_streams(factory().await).await;
    outbox_is_unique_leased_and_reported(factory().await).await;
    final_delivery_reports_are_kept(factory().await).await;
    outbox_backlog_counts_what_waits(factory().await).await;
    balances_are_found_by_owner(factory().await).await;
    concurrent_duplicate_deliveries_post_once(factory().await).await;
    keys_keep_their_fingerprint_and_answer(factory().await).await;
    a_key_keeps_its_first_record(factory().await).await;
    a_failed_append_leaves_its_key_free(factory().await).await;
    racing_keys_record_one_winner(factory().await).await;
    streams_are_listed_by_kind_in_pages(factory().await).await;
    entries_chain_in_their_books(factory().await).await;
    a_reversal_stays_in_its_book(factory().await).await;
    concurrent_books_keep_their_chains(factory().await).await;
    checkpoints_are_recorded_in_order(factory().await).await;
}
