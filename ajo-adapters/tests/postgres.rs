//! PgStore against a real PostgreSQL server.
//!
//! Uses `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`. Each test works in
//! its own freshly created schema (set as the connections' `search_path`) and drops it at
//! the end, so tests run in parallel and leave nothing behind (see `pgdb`). Without a
//! server the tests print why and pass, unless `CI` is set: then they fail.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ajo_adapters::postgres::PgStore;
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::{Account, AccountKind, EntryDraft, verify_chain};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    AppendOutcome, AppendRequest, EntryQuery, EventLog, IdempotencyKeys, Journal, Outbox,
    OutboxChannel, OutboxMessage, Store, StoreError,
};
use ajo_core::service::Handled;
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeClock, FakeGateway};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool};

mod pgdb;

use pgdb::{TestDb, url};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_store_conformance_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::store::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(8).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// The service on the machine's clock (nanoseconds on Linux) over PostgreSQL, which keeps
/// microseconds: the chain read back verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_service_on_the_system_clock_keeps_a_verifiable_chain() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::service::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(8).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// Cancelling, leaving, waiving, deposit cover, bids, the organiser's choice, forming
/// housekeeping and completion notices through the service on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_group_commands_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::group_commands::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(8).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// Random lives of a group (every payout order and policy, lateness, defaults, bids,
/// choices, leaves, loans and repayments, duplicate webhooks, cancellations) through the service on
/// PostgreSQL, as `ajo-testkit`'s `life_props` runs them in memory: the books balance
/// and verify after every step, each hand is paid once, the events replay. The plans
/// come from a deterministic proptest runner, so a failure names a plan to replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_group_lives_keep_their_promises() {
    use proptest::strategy::{Strategy, ValueTree};
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut loans = 0;
    for _ in 0..12 {
        let plan = ajo_testkit::strategies::life_plan()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let store = Arc::new(db.store(4).await) as Arc<dyn Store>;
        let report = ajo_testkit::life::run(store, &plan).await;
        assert_eq!(report.trial_balance, 0, "{plan:?}");
        loans += report.loans;
        let cancelled = plan
            .rounds
            .iter()
            .flatten()
            .any(|s| *s == ajo_testkit::life::Step::Cancel);
        if !cancelled {
            assert_eq!(report.hands_paid, report.hands, "{plan:?}");
        }
    }
    let store = Arc::new(db.store(4).await) as Arc<dyn Store>;
    let report = ajo_testkit::life::run(store, &ajo_testkit::life::Plan::borrowers()).await;
    assert_eq!(report.trial_balance, 0);
    loans += report.loans;
    assert!(
        loans > 0,
        "the plans lent and were repaid on PostgreSQL too"
    );
    db.cleanup().await;
}

/// What a host reads and is refused (views against the ledger after a full cycle, the
/// minimum size at `start`) on PostgreSQL, as on the in-memory store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_host_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::host::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(4).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// What a gateway reports unasked (static-token charges, second charges, refunds and
/// chargebacks) through the service on PostgreSQL, as on the in-memory store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_gateway_events_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::gateway_events::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(4).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// Loans through the service on PostgreSQL, as on the in-memory store: eligibility,
/// pot loans, pay-off, default, write-off, overpayment policies and notices.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_loans_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::loans::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(4).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// Collections asked again, a join resumed after a gateway failure, an expired checkout
/// paid late and a member's debts found for them, through the service on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_collections_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::collections::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(4).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// The review queue and its resolutions, disputes and alerts, through the service on
/// PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_review_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::review::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(4).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// Reconciliation by period, fees and the daily run, through the service on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_reconcile_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::reconcile::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(4).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// Per-transaction, daily, monthly and group limits, a refused loan, a payout held and
/// sent once, and two requests racing for the last room, through the service on
/// PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_limits_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::limits::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(4).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

/// Period reports, statements and group lists over the quickstart's story, checked
/// against the trial balance and the raw postings, through the service on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_reports_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::reports::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(4).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_outbox_workers_send_each_message_once() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    // Two pools on one schema, as two hosts would have: SKIP LOCKED splits the rows
    // between their concurrent claims.
    let (first, schema) = db.store_named(4).await;
    let second = PgStore::connect_with(db.options(&schema), 4).await.unwrap();
    ajo_testkit::conformance::outbox::two_workers_send_each_message_once(
        Arc::new(first),
        Arc::new(second),
        200,
    )
    .await;
    db.cleanup().await;
}

#[tokio::test]
async fn migrating_twice_changes_nothing() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(2).await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let applied: i64 = sqlx::query("SELECT count(*) AS n FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("n");
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|f| f.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
        .count();
    assert_eq!(
        usize::try_from(applied).unwrap(),
        embedded,
        "each migration once"
    );
    assert!(embedded >= 5, "0001 to 0005 at least");
    store.pool().close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_database_refuses_an_unbalanced_entry() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(2).await;
    let account =
        |owner: &str, kind| serde_json::to_value(Account::new(owner, kind, Currency::NGN)).unwrap();
    // Written past the code, as a bug would: 100.00 debited, 90.00 credited.
    let mut tx = store.pool().begin().await.unwrap();
    sqlx::query(
        "INSERT INTO journal_entries \
         (book, id, seq, key, memo, posted_at, prev_hash, hash, content) \
         VALUES ('g:bad', 1, 1, 'bad', 'bug', now(), '\\x00', '\\x00', '{}')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    for (position, (acc, side, amount)) in [
        (
            account("gw", AccountKind::GatewayClearing),
            "debit",
            "10000",
        ),
        (account("g1", AccountKind::GroupPot), "credit", "9000"),
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO postings (book, entry_id, position, account, owner, kind, currency, \
             minor_units, side, amount, amount_minor) \
             VALUES ('g:bad', 1, $1, $2, 'x', 'x', 'NGN', 2, $3, $4::numeric / 100, $4::numeric)",
        )
        .bind(i32::try_from(position).unwrap())
        .bind(acc)
        .bind(side)
        .bind(amount)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let error = tx
        .commit()
        .await
        .expect_err("the deferred trigger refuses it");
    assert_eq!(
        error.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("23514")
    );
    let left: i64 = sqlx::query("SELECT count(*) AS n FROM journal_entries")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(left, 0, "nothing of the transaction remains");
    store.pool().close().await;
    db.cleanup().await;
}

/// One contribution posted straight through the store: an entry, its postings, a key.
fn contribution(key: &str, minor: i128) -> AppendRequest {
    let amount = Money::from_minor(minor, Currency::NGN).unwrap();
    let entry = EntryDraft::new(key, "contribution")
        .debit(
            Account::new("gw", AccountKind::GatewayClearing, Currency::NGN),
            amount,
        )
        .credit(
            Account::new("g1", AccountKind::GroupPot, Currency::NGN),
            amount,
        )
        .balance()
        .unwrap();
    AppendRequest {
        streams: vec![],
        entries: vec![entry],
        outbox: vec![],
        idempotency_key: Some(format!("req-{key}").into()),
        at: Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap().into(),
    }
}

/// The SQLSTATE and message of a statement that must fail.
async fn refused(pool: &PgPool, statement: &str) -> (String, String) {
    let error = sqlx::query(statement)
        .execute(pool)
        .await
        .expect_err(statement);
    let db = error.as_database_error().expect("a database error");
    (
        db.code().unwrap_or_default().into_owned(),
        db.message().to_owned(),
    )
}

#[tokio::test]
async fn the_books_are_append_only() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(2).await;
    store.append(contribution("c1", 500_000)).await.unwrap();
    for (statement, table, operation) in [
        (
            "DELETE FROM postings WHERE entry_id = 1",
            "postings",
            "DELETE",
        ),
        ("UPDATE postings SET amount_minor = 1", "postings", "UPDATE"),
        (
            "UPDATE journal_entries SET memo = 'rewritten'",
            "journal_entries",
            "UPDATE",
        ),
        ("DELETE FROM journal_entries", "journal_entries", "DELETE"),
        (
            "DELETE FROM idempotency_keys WHERE key = 'req-c1'",
            "idempotency_keys",
            "DELETE",
        ),
        (
            "UPDATE idempotency_keys SET recorded_at = now()",
            "idempotency_keys",
            "UPDATE",
        ),
        // Statement triggers: refused even when no row would change.
        (
            "UPDATE events SET version = version WHERE false",
            "events",
            "UPDATE",
        ),
        ("DELETE FROM events", "events", "DELETE"),
        ("TRUNCATE postings", "postings", "TRUNCATE"),
        ("TRUNCATE idempotency_keys", "idempotency_keys", "TRUNCATE"),
    ] {
        let (code, message) = refused(store.pool(), statement).await;
        assert_eq!(code, "AJ006", "{statement}: {message}");
        assert_eq!(
            message,
            format!("{table} is append-only: {operation} refused")
        );
    }
    // What the store itself does still works: the key replays, balances and the head
    // move with the next entry.
    assert_eq!(
        store.append(contribution("c1", 500_000)).await.unwrap(),
        AppendOutcome::Duplicate
    );
    store.append(contribution("c2", 250_000)).await.unwrap();
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].entry().memo(), "contribution");
    ajo_testkit::assert_books_balance(&store).await;
    store.pool().close().await;
    db.cleanup().await;
}

/// The grants docs/postgres.md gives an application role, for `schema` and `role`.
fn documented_grants(schema: &str, role: &str) -> Vec<String> {
    let guide = include_str!("../../docs/postgres.md");
    let block = guide
        .split("```sql\n")
        .find(|block| block.contains("GRANT"))
        .and_then(|block| block.split("```").next())
        .expect("docs/postgres.md has a sql block of grants");
    block
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with("CREATE ROLE"))
        .map(|s| {
            s.replace("ajo_service", role)
                .replace("SCHEMA ajo ", &format!("SCHEMA {schema} "))
                .replace("ajo.", &format!("{schema}."))
        })
        .collect()
}

#[tokio::test]
async fn an_application_role_with_the_documented_grants_runs_the_store_but_cannot_rewrite_it() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let (owner, schema) = db.store_named(1).await;
    owner.pool().close().await;
    let role = format!("{schema}_app");
    sqlx::query(&format!("CREATE ROLE {role} NOLOGIN"))
        .execute(&db.admin)
        .await
        .unwrap();
    let grants = documented_grants(&schema, &role);
    assert!(grants.len() >= 4, "{grants:?}");
    for grant in &grants {
        sqlx::query(grant).execute(&db.admin).await.unwrap();
    }
    // The test's server login, acting as the role for the whole session.
    let options = db.options(&schema).options([("role", role.as_str())]);
    let store = Arc::new(PgStore::connect_with(options, 4).await.unwrap());
    let current: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(current, role);

    // A contribution end to end, its receipts sent: appends, reads, outbox claims.
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let gateway = Arc::new(FakeGateway::new());
    let clock = Arc::new(FakeClock::new(
        Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap(),
    ));
    let service = pgdb::service(store.clone(), gateway.clone(), clock);
    let group = GroupId::new("g1").unwrap();
    let config = builders::naira_group("Ikeja traders", 10_000, start)
        .deposit(ajo_core::group::deposit::DepositRule::None)
        .build()
        .unwrap();
    service.create_group(&group, config).await.unwrap();
    for name in ["ada", "bola"] {
        service
            .join(&group, &m(name), 1, &builders::contact(name))
            .await
            .unwrap();
    }
    service.start(&group).await.unwrap();
    let collection = service
        .request_contribution(&group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let event = gateway.pay(&collection.reference).unwrap();
    assert_eq!(
        service.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        service.handle_gateway_event(&event).await.unwrap(),
        Handled::Duplicate
    );
    assert!(service.deliver_outbox(100).await.unwrap().sent > 0);
    ajo_testkit::assert_books_balance(store.as_ref()).await;
    // It records checkpoints through ajo_record_checkpoint, and verifies the books.
    let checkpoint = service.checkpoint().await.unwrap().expect("a checkpoint");
    assert_eq!(checkpoint.number(), 1);
    service.verify_books().await.unwrap();

    // What it cannot do: write the books but through ajo_append.
    for statement in [
        "UPDATE account_balances SET balance_minor = balance_minor + 5000",
        "DELETE FROM account_balances",
        "UPDATE journal_heads SET last_seq = 0",
        "INSERT INTO checkpoints (number, taken_at, heads, prev_hash, root, hash) \
         VALUES (1, now(), '[]', '\\x00', '\\x00', '\\x00')",
        "UPDATE streams SET version = 0",
        "DELETE FROM postings",
        "UPDATE journal_entries SET memo = 'rewritten'",
        "DELETE FROM idempotency_keys",
        "INSERT INTO idempotency_keys (key, recorded_at) VALUES ('forged', now())",
        "INSERT INTO events (stream_kind, stream_id, version, recorded_at, payload) \
         VALUES ('group', 'g1', 99, now(), '{}')",
    ] {
        let (code, message) = refused(store.pool(), statement).await;
        assert_eq!(code, "42501", "{statement}: {message}");
    }
    store.pool().close().await;
    let admin = db.admin.clone();
    db.cleanup().await;
    for statement in [format!("DROP OWNED BY {role}"), format!("DROP ROLE {role}")] {
        sqlx::query(&statement).execute(&admin).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_one_unforked_chain() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = Arc::new(db.store(8).await);
    let mut tasks = Vec::new();
    for n in 0..24i128 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let request = contribution(&format!("k{n}"), (n + 1) * 100);
            store.append(request).await.unwrap()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), AppendOutcome::Appended);
    }
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), 24);
    verify_chain(&entries).unwrap();
    let pot = store
        .balance(&Account::new("g1", AccountKind::GroupPot, Currency::NGN))
        .await
        .unwrap();
    assert_eq!(pot.minor(), -(1..=24).sum::<i128>() * 100);
    store.pool().close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn debug_and_errors_never_show_the_password() {
    let error = PgStore::connect("postgres://ajo:hunter2@127.0.0.1:1/nothing", 1)
        .await
        .expect_err("nothing listens on port 1");
    assert!(matches!(error, StoreError::Unavailable { .. }));
    assert!(!format!("{error} {error:?}").contains("hunter2"));
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(1).await;
    assert!(!format!("{store:?}").contains("postgres://"));
    store.pool().close().await;
    db.cleanup().await;
}

fn m(name: &str) -> MemberId {
    MemberId::new(name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_deliveries_of_one_webhook_post_once() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = Arc::new(db.store(16).await);
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let noon = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(11, 0, 0).unwrap());
    let gateway = Arc::new(FakeGateway::new());
    let clock = Arc::new(FakeClock::new(noon(start - Duration::days(20))));
    let service = pgdb::service(store.clone(), gateway.clone(), clock.clone());
    let id = GroupId::new("balogun").unwrap();
    service
        .create_group(
            &id,
            builders::naira_group("Balogun market", 10_000, start)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    for name in ["ada", "bola", "chidi", "dayo", "emeka"] {
        let receipt = service
            .join(&id, &m(name), 1, &builders::contact(name))
            .await
            .unwrap();
        let deposit = receipt.deposit.expect("the group takes a deposit");
        let event = gateway.pay(&deposit.reference).unwrap();
        assert_eq!(
            service.handle_gateway_event(&event).await.unwrap(),
            Handled::Recorded
        );
    }
    service.start(&id).await.unwrap();
    let c = service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    let event = gateway.pay(&c.reference).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let service = service.clone();
        let event = event.clone();
        tasks.push(tokio::spawn(async move {
            service.handle_gateway_event(&event).await.unwrap()
        }));
    }
    let mut recorded = 0;
    for task in tasks {
        if task.await.unwrap() == Handled::Recorded {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1, "one delivery records, the rest are duplicates");
    let entries = store
        .entries(&EntryQuery {
            reference: Some(c.reference.clone()),
            ..EntryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "exactly one ledger entry");
    let payloads: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE strpos(id, $1) > 0")
            .bind(&c.reference)
            .fetch_all(store.pool())
            .await
            .unwrap();
    let emails = payloads
        .into_iter()
        .map(|p| serde_json::from_value::<OutboxMessage>(p).unwrap())
        .filter(|msg| matches!(msg.channel, OutboxChannel::Email(_)))
        .count();
    assert_eq!(emails, 1, "exactly one confirmation email");
    ajo_testkit::assert_books_balance(store.as_ref()).await;
    store.pool().close().await;
    db.cleanup().await;
}

/// A payout delivered, ₦1.00 of it reversed, sent again by `tick` under a new reference
/// for that ₦1.00, and delivered, on PostgreSQL with a sub-microsecond clock: ada is paid
/// ₦50,000 once; the old attempt's success arriving late changes nothing; the new
/// attempt's success is found by a second host (its own pool on the same schema) from its
/// reference alone; the books balance and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partly_reversed_payout_is_paid_again_once_on_postgres() {
    use ajo_core::webhook::{AmountBasis, PaymentEventKind};
    use ajo_testkit::fakes::PayoutMode;

    let Some(db) = TestDb::connect().await else {
        return;
    };
    let (store, schema) = db.store_named(4).await;
    let store = Arc::new(store);
    let start = NaiveDate::from_ymd_opt(2026, 3, 21).unwrap();
    let opening = Utc.timestamp_opt(1_772_355_600, 987_654_321).unwrap();
    let gateway = Arc::new(FakeGateway::new());
    gateway.set_payout_mode(PayoutMode::Pending);
    let clock = Arc::new(FakeClock::new(opening));
    let service = pgdb::service(store.clone(), gateway.clone(), clock.clone());
    let id = GroupId::new("balogun").unwrap();
    service
        .create_group(
            &id,
            builders::naira_group("Balogun market", 10_000, start)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let names = ["ada", "bola", "chidi", "dayo", "emeka"];
    for name in names {
        let receipt = service
            .join(&id, &m(name), 1, &builders::contact(name))
            .await
            .unwrap();
        let event = gateway.pay(&receipt.deposit.unwrap().reference).unwrap();
        service.handle_gateway_event(&event).await.unwrap();
    }
    service.start(&id).await.unwrap();
    for hand in 1..=5 {
        let c = service
            .request_contribution(&id, 1, HandId::new(hand).unwrap())
            .await
            .unwrap();
        let event = gateway.pay(&c.reference).unwrap();
        service.handle_gateway_event(&event).await.unwrap();
    }
    clock.set(opening + Duration::days(22));
    assert_eq!(service.tick().await.unwrap().payouts_sent, 1);
    let (first, second) = ("ajo=out=balogun=r1", "ajo=out=balogun=r1=a2");
    let wallet = service
        .group(&id)
        .await
        .unwrap()
        .accounts()
        .unwrap()
        .wallet(&m("ada"));
    let ngn = |s: &str| Money::parse(s, Currency::NGN).unwrap();

    let delivered = gateway
        .payout_event(first, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(
        service.handle_gateway_event(&delivered).await.unwrap(),
        Handled::Recorded
    );
    let one_naira = gateway
        .payout_event_with(
            first,
            PaymentEventKind::PayoutReversed,
            ngn("1.00"),
            AmountBasis::Event,
        )
        .unwrap();
    assert_eq!(
        service.handle_gateway_event(&one_naira).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(store.balance(&wallet).await.unwrap(), ngn("-1.00"));

    clock.advance(Duration::minutes(31));
    assert_eq!(service.tick().await.unwrap().payouts_sent, 1);
    let sent: Vec<String> = gateway
        .calls()
        .into_iter()
        .filter_map(|c| c.strip_prefix("send_payout:").map(str::to_owned))
        .collect();
    assert_eq!(sent, [first, second], "two sends, two references");
    assert_eq!(gateway.payouts()[second].0, ngn("1.00"));

    let late = gateway
        .payout_event_with(
            first,
            PaymentEventKind::PayoutSucceeded,
            ngn("50000"),
            AmountBasis::Event,
        )
        .unwrap();
    assert_eq!(
        service.handle_gateway_event(&late).await.unwrap(),
        Handled::Duplicate
    );
    let other_store = Arc::new(PgStore::connect_with(db.options(&schema), 2).await.unwrap());
    let other_host = pgdb::service(other_store.clone(), gateway.clone(), clock.clone());
    let retried = gateway
        .payout_event(second, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(
        other_host.handle_gateway_event(&retried).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        service.handle_gateway_event(&retried).await.unwrap(),
        Handled::Duplicate
    );
    assert!(store.balance(&wallet).await.unwrap().is_zero(), "paid once");
    clock.advance(Duration::minutes(31));
    assert_eq!(service.tick().await.unwrap().payouts_sent, 0);

    let mut booked = 0;
    for reference in [first, second] {
        booked += store
            .entries(&EntryQuery {
                reference: Some(reference.into()),
                ..EntryQuery::default()
            })
            .await
            .unwrap()
            .len();
    }
    assert_eq!(booked, 3, "delivered, ₦1.00 back, ₦1.00 delivered");
    ajo_testkit::assert_books_balance(store.as_ref()).await;
    other_store.pool().close().await;
    store.pool().close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_append_leaves_nothing_and_the_retry_lands_once() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let (store, schema) = db.store_named(2).await;
    let posted = contribution("c1", 500_000);
    let at = posted.at;
    let request = AppendRequest {
        streams: vec![ajo_core::ports::StreamAppend {
            stream: ajo_core::ports::StreamId::new(ajo_core::ports::StreamKind::Payment, "p1"),
            expected_version: 0,
            events: vec![],
            wake_at: Some(at.as_datetime()),
        }],
        entries: posted.entries,
        outbox: vec![OutboxMessage {
            id: "receipt-p1".into(),
            channel: OutboxChannel::Email(ajo_core::ports::EmailMessage {
                message_id: "receipt-p1".into(),
                to: "ada@example.com".into(),
                subject: "s".into(),
                text: "t".into(),
                html: None,
            }),
        }],
        idempotency_key: Some("webhook-1".into()),
        at,
    };
    // Another session is creating the book's head, uncommitted: the append records its
    // key, moves its stream and writes its outbox row, then waits for the head, the last
    // thing it needs before posting the entry.
    let book = request.entry_books()[0].as_str().to_owned();
    let mut blocker = store.pool().begin().await.unwrap();
    sqlx::query("INSERT INTO journal_heads (book, last_seq, last_hash) VALUES ($1, 0, '\\x00')")
        .bind(&book)
        .execute(&mut *blocker)
        .await
        .unwrap();
    let appender = store.clone();
    let attempt = {
        let request = request.clone();
        tokio::spawn(async move { appender.append(request).await })
    };
    let mut killed = false;
    for _ in 0..200 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1 AND wait_event_type = 'Lock' \
             AND query LIKE '%ajo_append%'",
        )
        .bind(&schema)
        .fetch_one(&db.admin)
        .await
        .unwrap();
        if n > 0 {
            killed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(killed, "the append reached the journal head");
    blocker.rollback().await.unwrap();
    let error = attempt
        .await
        .unwrap()
        .expect_err("its connection was killed");
    assert!(error.is_retryable(), "{error:?}");
    for table in [
        "journal_entries",
        "postings",
        "outbox",
        "events",
        "streams",
        "account_balances",
        "idempotency_keys",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(n, 0, "no partial rows in {table}");
    }
    // The caller retries the same command: it lands once, and a further retry is a duplicate.
    assert_eq!(
        store.append(request.clone()).await.unwrap(),
        AppendOutcome::Appended
    );
    assert_eq!(
        store.append(request).await.unwrap(),
        AppendOutcome::Duplicate
    );
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    assert_eq!(entries.len(), 1);
    verify_chain(&entries).unwrap();
    assert!(store.outbox_message("receipt-p1").await.unwrap().is_some());
    store.pool().close().await;
    db.cleanup().await;
}

/// Every span and event, as text: name, then `field=value` pairs.
#[derive(Default)]
struct Recorder {
    lines: Mutex<Vec<String>>,
    next: AtomicU64,
}

struct Text(String);

impl tracing::field::Visit for Text {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut text = Text(span.metadata().name().to_owned());
        span.record(&mut text);
        self.lines.lock().unwrap().push(text.0);
        tracing::span::Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut text = Text("record".to_owned());
        values.record(&mut text);
        self.lines.lock().unwrap().push(text.0);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = Text("event".to_owned());
        event.record(&mut text);
        self.lines.lock().unwrap().push(text.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

// Current-thread runtime: the recorder is this thread's default subscriber, and every
// span of the store is made while this test's futures are polled, on this thread.
#[tokio::test]
async fn operations_are_traced_without_the_url() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let recorder = Arc::new(Recorder::default());
    let guard = tracing::subscriber::set_default(recorder.clone());
    let connected = PgStore::connect(&url(), 1).await.unwrap();
    connected.pool().close().await;
    let store = db.store(2).await;
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let stream = ajo_core::ports::StreamId::new(ajo_core::ports::StreamKind::Group, "g1");
    let request = AppendRequest {
        streams: vec![ajo_core::ports::StreamAppend {
            stream: stream.clone(),
            expected_version: 3,
            events: vec![],
            wake_at: None,
        }],
        entries: vec![],
        outbox: vec![],
        idempotency_key: Some("evt-9".into()),
        at: at.into(),
    };
    assert!(store.append(request).await.is_err(), "a stale version");
    store.load(&stream).await.unwrap();
    store.has_idempotency_key("evt-9").await.unwrap();
    drop(guard);
    let lines = recorder.lines.lock().unwrap().clone();
    for name in [
        "pg_connect",
        "migrate",
        "append",
        "load",
        "has_idempotency_key",
    ] {
        assert!(
            lines.iter().any(|l| l.split(' ').next() == Some(name)),
            "no {name} span in {lines:#?}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("append") && l.contains("idempotency_key=\"evt-9\"")),
        "the append span names its key: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("event error=stream group/g1 is at version 0")),
        "the append's error is recorded: {lines:#?}"
    );
    let url = url();
    let password = PgConnectOptions::from_str(&url)
        .ok()
        .and_then(|_| url.split_once("://"))
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(user, _)| user.split_once(':'))
        .map(|(_, password)| password.to_owned());
    for line in &lines {
        assert!(!line.contains("postgres://"), "a URL in {line}");
        if let Some(password) = password.as_deref().filter(|p| !p.is_empty()) {
            assert!(!line.contains(password), "the password in {line}");
        }
    }
    store.pool().close().await;
    db.cleanup().await;
}
