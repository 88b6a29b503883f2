//! The `admin` example's binary against a real PostgreSQL store: contributions through the
//! service, `verify` passing, then the database tampered with as its owner and each fault
//! named; and the exit code 2 cases.
//!
//! The binary is built with cargo (`cargo build --example admin`, the cargo running this
//! test; see `common::binary`) and run as an operator would. Schemas come from ajo-adapters' Postgres test
//! helpers: without a server the Postgres test prints why and passes, unless `CI` is set.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed setup step should stop the test"
)]

mod common;
#[path = "../../ajo-adapters/tests/pgdb/mod.rs"]
mod pgdb;

use std::sync::Arc;

use ajo_adapters::postgres::PgStore;
use ajo_adapters::postgres::sqlx;
use ajo_core::ids::GroupId;
use ajo_core::ledger::Account;
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{EntryQuery, Journal};
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeClock, FakeGateway};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::binary::admin;
use pgdb::TestDb;

/// `verify` on `schema` of the test server: its exit code and its one line.
fn verify(schema: &str) -> (i32, String) {
    common::binary::verify(&pgdb::url(), schema)
}

/// Three members pay a deposit and round 1 on PgStore through the service, and the
/// round's payout is sent.
async fn contributions(store: Arc<PgStore>) {
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let noon = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(11, 0, 0).unwrap());
    let gateway = Arc::new(FakeGateway::new());
    let clock = Arc::new(FakeClock::new(noon(start - Duration::days(10))));
    let service = pgdb::service(store, gateway.clone(), clock.clone());
    let group = GroupId::new("g1").unwrap();
    let config = builders::naira_group("Ikeja traders", 10_000, start)
        .build()
        .unwrap();
    service.create_group(&group, config).await.unwrap();
    ajo_testkit::drive::join_and_start(&service, &gateway, &group, &["ada", "bola", "chidi"]).await;
    ajo_testkit::drive::pay_round(&service, &gateway, &group, 1, 3).await;
    clock.set(noon(start + Duration::days(2)));
    service.tick().await.unwrap();
}

/// Runs `statements` in one transaction as the owner, with the tables' own triggers
/// off: what an attacker with the owner's rights can do.
async fn tamper(db: &TestDb, schema: &str, statements: &[String]) {
    let mut tx = db.admin.begin().await.unwrap();
    let tables = ["journal_entries", "postings", "account_balances"];
    for table in tables {
        let disable = format!("ALTER TABLE {schema}.{table} DISABLE TRIGGER USER");
        sqlx::query(&disable).execute(&mut *tx).await.unwrap();
    }
    for statement in statements {
        sqlx::query(statement).execute(&mut *tx).await.unwrap();
    }
    for table in tables {
        let enable = format!("ALTER TABLE {schema}.{table} ENABLE TRIGGER USER");
        sqlx::query(&enable).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_on_sound_books_and_names_each_tampering() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let run = admin(
        &["--schema", "ajo_no_such_schema", "verify"],
        Some(&pgdb::url()),
    );
    assert_eq!(
        (run.code, run.stderr.trim_end()),
        (
            2,
            "error: no ajo store found (in schema ajo_no_such_schema): no journal_entries \
             table there"
        )
    );
    let (store, schema) = db.store_named(4).await;
    let store = Arc::new(store);
    contributions(store.clone()).await;
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    let balances = store.balances().await.unwrap();
    let rows: usize = entries.iter().map(|e| e.entry().postings().len()).sum();
    let ok = format!(
        "ok: {} entries, chain verified, trial balance zero in NGN; {} balances match their \
         postings; {rows} posting rows match the journal",
        entries.len(),
        balances.len()
    );
    assert!(entries.len() >= 7, "deposits, contributions, payout");
    assert_eq!(verify(&schema), (0, ok.clone()));
    let from_env = admin(&["--schema", &schema, "verify"], Some(&pgdb::url()));
    assert_eq!(
        (from_env.code, from_env.stdout.trim_end()),
        (0, ok.as_str()),
        "DATABASE_URL when --database-url is not given"
    );

    // Each tampering is found by a check that runs before the one that found the last,
    // so each run's first fault is the newest.
    // 1. A posting row deleted: only the postings table shows it.
    tamper(
        &db,
        &schema,
        &[format!(
            "DELETE FROM {schema}.postings WHERE entry_id = 2 AND position = 1"
        )],
    )
    .await;
    assert_eq!(
        verify(&schema),
        (
            1,
            "fault: entry #2 has 2 postings in the journal but 1 in the postings table".into()
        )
    );

    // 2. ₦50 moved between two balances: the trial balance still sums to zero.
    // Balances come in account order, which is the order the audit checks them in.
    let mut naira = balances
        .iter()
        .filter(|(a, m)| a.currency() == Currency::NGN && !m.is_zero());
    let (first, first_balance) = naira.next().unwrap().clone();
    let (second, _) = naira.next().unwrap().clone();
    let json = |a: &Account| serde_json::to_string(a).unwrap();
    tamper(
        &db,
        &schema,
        &[
            format!(
                "UPDATE {schema}.account_balances SET balance_minor = balance_minor + 5000 \
                 WHERE account = '{}'::jsonb",
                json(&first)
            ),
            format!(
                "UPDATE {schema}.account_balances SET balance_minor = balance_minor - 5000 \
                 WHERE account = '{}'::jsonb",
                json(&second)
            ),
        ],
    )
    .await;
    let fifty = Money::from_minor(5000, Currency::NGN).unwrap();
    assert_eq!(
        verify(&schema),
        (
            1,
            format!(
                "fault: balance of {first} is {} but its postings sum to {}",
                first_balance.checked_add(fifty).unwrap().human(),
                first_balance.human()
            )
        )
    );

    // 3. One more naira on one balance: the trial balance breaks.
    tamper(
        &db,
        &schema,
        &[format!(
            "UPDATE {schema}.account_balances SET balance_minor = balance_minor + 100 \
             WHERE account = '{}'::jsonb",
            json(&second)
        )],
    )
    .await;
    assert_eq!(
        verify(&schema),
        (1, "fault: trial balance in NGN is ₦1.00, not zero".into())
    );

    // 4. An entry's memo rewritten, in its column and its content: the chain breaks there.
    tamper(
        &db,
        &schema,
        &[format!(
            "UPDATE {schema}.journal_entries SET memo = 'nothing to see', \
             content = jsonb_set(content, '{{memo}}', '\"nothing to see\"') WHERE id = 3"
        )],
    )
    .await;
    assert_eq!(
        verify(&schema),
        (
            1,
            "fault: entry #3 was altered: its content does not match its hash".into()
        )
    );

    store.pool().close().await;
    db.cleanup().await;
}

#[test]
fn without_a_database_it_exits_2() {
    let run = admin(&["verify"], None);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr.trim_end(),
        "error: no database: pass --database-url postgres://… or set DATABASE_URL"
    );
}

#[test]
fn a_bad_schema_name_or_an_unreachable_server_exits_2() {
    let run = admin(
        &[
            "--database-url",
            pgdb::DEFAULT_URL,
            "--schema",
            "ajo; drop",
            "verify",
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is not a plain name"), "{}", run.stderr);

    let secret = "postgres://ajo:hunter2@127.0.0.1:1/test";
    let run = admin(&["verify"], Some(secret));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: the store: "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);

    let run = admin(&["--help"], Some(secret));
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("DATABASE_URL"), "{}", run.stdout);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
}
