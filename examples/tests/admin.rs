//! The `admin` example's binary against a real PostgreSQL store: contributions through the
//! service, `verify` passing, then the database tampered with as its owner and each fault
//! named; the quickstart's books read back by `verify`, `report` and `statement`; the
//! review queue listed and resolved; a reconciliation against a mock of Paystack; and the
//! exit code 2 cases.
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

use std::process::Command;
use std::sync::Arc;

use ajo_adapters::postgres::PgStore;
use ajo_adapters::postgres::sqlx;
use ajo_core::ids::{GroupId, HandId};
use ajo_core::ledger::Account;
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{EntryQuery, Journal};
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeClock, FakeGateway};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::binary::admin;
use pgdb::TestDb;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    let checkpoints = store.checkpoints(0, 100).await.unwrap();
    assert_eq!(checkpoints.len(), 1, "tick took one checkpoint");
    let ok = format!(
        "ok: {} entries in 1 book, chain verified, trial balance zero in NGN; {} balances \
         match their postings; {rows} posting rows match the journal; 1 checkpoint \
         verified, the latest {}",
        entries.len(),
        balances.len(),
        checkpoints[0].hash()
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
            "fault: entry #3 of book g:g1 was altered: its content does not match its hash".into()
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

/// Runs `admin` on the test server with `args` and the environment `vars` (nothing else
/// of the providers' or the database's).
fn admin_with(args: &[&str], vars: &[(&str, &str)]) -> common::binary::Run {
    let mut command = Command::new(common::binary::example("admin"));
    command.args(args).env("DATABASE_URL", pgdb::url());
    for var in ["PAYSTACK_SECRET_KEY", "PAYSTACK_BASE_URL"] {
        command.env_remove(var);
    }
    command.envs(vars.iter().copied());
    let output = command.output().unwrap();
    common::binary::Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The line of the quickstart's trial balance for `account`, as it printed it: a credit
/// balance, so `-₦5,000.00`; the report shows what was earned, `₦5,000.00`.
fn printed(quickstart: &str, account: &str) -> String {
    let line = quickstart
        .lines()
        .find(|l| l.trim_start().starts_with(account))
        .unwrap_or_else(|| panic!("no {account} in {quickstart}"));
    let amount = line.split_whitespace().last().unwrap();
    amount.strip_prefix('-').unwrap_or(amount).to_owned()
}

#[tokio::test]
async fn the_quickstarts_books_read_back_as_it_printed_them() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    // The quickstart as a user runs it, into its schema ajo_quickstart (the only test of
    // this binary that touches that schema).
    let output = Command::new(common::binary::example("quickstart"))
        .args(["--database-url", &pgdb::url()])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let quickstart = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{quickstart}");
    let figures = [
        (
            "platform fees",
            printed(&quickstart, "platform:platform_fees:NGN"),
            "5000.00",
        ),
        (
            "penalty income",
            printed(&quickstart, "balogun-market:penalty_income:NGN"),
            "500.00",
        ),
        (
            "loan interest",
            printed(&quickstart, "balogun-market:interest_income:NGN"),
            "1207.92",
        ),
    ];
    assert_eq!(
        figures.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
        ["₦5,000.00", "₦500.00", "₦1,207.92"]
    );

    let (code, line) = verify("ajo_quickstart");
    assert_eq!(code, 0, "{line}");
    assert!(
        line.starts_with("ok: 56 entries in 2 books, chains verified"),
        "the group's book and the loan's: {line}"
    );
    assert!(line.contains("checkpoints verified, the latest "), "{line}");

    let report = admin_with(&["--schema", "ajo_quickstart", "report"], &[]);
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(
        report
            .stdout
            .starts_with("Books in NGN from 2026-01-17 11:00:00 UTC"),
        "{}",
        report.stdout
    );
    assert!(report.stdout.contains("(56 entries)"), "{}", report.stdout);
    for (label, amount, _) in &figures {
        let line = report
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label}: {}", report.stdout));
        assert_eq!(
            line.split_whitespace().last(),
            Some(amount.as_str()),
            "{line}"
        );
    }

    let json = admin_with(&["--schema", "ajo_quickstart", "--json", "report"], &[]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let naira = &json["reports"][0];
    assert_eq!(naira["currency"]["code"], "NGN");
    assert_eq!(
        json["reports"].as_array().unwrap().len(),
        1,
        "only naira in the books"
    );
    for (field, (_, _, amount)) in ["platform_fees", "penalty_income", "loan_interest"]
        .iter()
        .zip(&figures)
    {
        assert_eq!(naira[field]["amount"], *amount, "{field}");
    }

    // Chidi's penalty month: charged, covered by his deposit, paid back with the top-up.
    let statement = admin_with(
        &[
            "--schema",
            "ajo_quickstart",
            "statement",
            "--member",
            "chidi",
            "--from",
            "2026-03-01",
            "--to",
            "2026-04-01",
        ],
        &[],
    );
    assert_eq!(statement.code, 0, "{}", statement.stderr);
    assert!(
        statement.stdout.starts_with(
            "Statement of member chidi from 2026-03-01 00:00:00 UTC until 2026-04-01 00:00:00 UTC"
        ),
        "{}",
        statement.stdout
    );
    assert!(
        statement.stdout.contains("late penalty, round 2 h3"),
        "{}",
        statement.stdout
    );
    assert!(
        statement.stdout.contains("deposit covers round 2 h3"),
        "{}",
        statement.stdout
    );
    let nobody = admin_with(
        &["--schema", "ajo_quickstart", "statement", "--member", "zed"],
        &[],
    );
    assert_eq!(
        (nobody.code, nobody.stderr.trim_end()),
        (2, "error: member zed never joined a group in the store")
    );
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_money_is_listed_resolved_and_reconciled_with_paystack() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let (store, schema) = db.store_named(4).await;
    let store = Arc::new(store);
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let noon = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(11, 0, 0).unwrap());
    let gateway = Arc::new(FakeGateway::new());
    let clock = Arc::new(FakeClock::new(noon(start - Duration::days(10))));
    let service = pgdb::service(store.clone(), gateway.clone(), clock);
    let group = GroupId::new("g1").unwrap();
    let config = builders::naira_group("Ikeja traders", 10_000, start)
        .build()
        .unwrap();
    service.create_group(&group, config).await.unwrap();
    ajo_testkit::drive::join_and_start(&service, &gateway, &group, &["ada", "bola"]).await;

    let empty = admin_with(&["--schema", &schema, "held"], &[]);
    assert_eq!(
        (empty.code, empty.stdout.as_str()),
        (0, "Nothing is held for review\n")
    );

    // Ada pays ₦4,000.00 of her ₦10,000.00: held for a person to decide.
    let collection = service
        .request_contribution(&group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let reference = collection.reference.clone();
    let short = Money::from_minor(400_000, Currency::NGN).unwrap();
    let paid = gateway.pay_amount(&reference, short).unwrap();
    service.handle_gateway_event(&paid).await.unwrap();

    let held = admin_with(&["--schema", &schema, "held"], &[]);
    assert_eq!(held.code, 1, "money held is for a person: {}", held.stderr);
    assert!(
        held.stdout.starts_with("1 item held for review:"),
        "{}",
        held.stdout
    );
    let row = held
        .stdout
        .lines()
        .find(|l| l.contains(&reference))
        .unwrap();
    assert!(row.contains("₦4,000.00") && row.contains("ada"), "{row}");
    let json = admin_with(&["--schema", &schema, "--json", "held"], &[]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["held"][0]["reference"], reference.as_str());
    assert_eq!(json["held"][0]["amount"]["amount"], "4000.00");

    // A resolution needs a reason; refused, it writes nothing.
    let unexplained = admin_with(
        &[
            "--schema",
            &schema,
            "resolve",
            &reference,
            "--write-off",
            "--by",
            "ops-1",
        ],
        &[],
    );
    assert_eq!(unexplained.code, 2);
    assert!(
        unexplained.stderr.contains("--reason"),
        "{}",
        unexplained.stderr
    );
    let blank = admin_with(
        &[
            "--schema",
            &schema,
            "resolve",
            &reference,
            "--write-off",
            "--by",
            "ops-1",
            "--reason",
            " ",
        ],
        &[],
    );
    assert_eq!(
        (blank.code, blank.stderr.trim_end()),
        (2, "error: a resolution needs who decided and why")
    );
    // A refund needs a gateway.
    let refund = admin_with(
        &[
            "--schema", &schema, "resolve", &reference, "--refund", "--by", "ops-1", "--reason",
            "r",
        ],
        &[],
    );
    assert_eq!(refund.code, 2, "{}", refund.stderr);
    assert_eq!(
        admin_with(&["--schema", &schema, "held"], &[]).code,
        1,
        "still held"
    );

    let resolved = admin_with(
        &[
            "--schema",
            &schema,
            "resolve",
            &reference,
            "--write-off",
            "--by",
            "ops-1",
            "--reason",
            "payer unknown, too small to chase",
            "--key",
            "ticket-42",
        ],
        &[],
    );
    assert_eq!(resolved.code, 0, "{}", resolved.stderr);
    assert_eq!(
        resolved.stdout.trim_end(),
        format!("resolved {reference}: ₦4,000.00 booked out of review")
    );
    assert_eq!(admin_with(&["--schema", &schema, "held"], &[]).code, 0);
    assert_eq!(verify(&schema).0, 0, "the books still hold");

    // Paystack lists a charge the books never had: a difference, exit code 1.
    let server = MockServer::start().await;
    let list = |data: serde_json::Value| {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "status": true, "message": "retrieved", "data": data,
            "meta": {"total": 1, "skipped": 0, "perPage": 100, "page": 1, "pageCount": 1}
        }))
    };
    Mock::given(method("GET"))
        .and(path("/transaction"))
        .respond_with(list(serde_json::json!([{
            "id": 9, "status": "success", "reference": "stray-1", "amount": 250_000,
            "currency": "NGN", "paid_at": "2026-01-21T12:00:00.000Z"
        }])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/transfer"))
        .respond_with(list(serde_json::json!([])))
        .mount(&server)
        .await;
    let key = "sk_test_admin_secret_0123456789";
    let uri = server.uri();
    let reconcile = admin_with(
        &[
            "--schema",
            &schema,
            "reconcile",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
            "--gateway",
            "paystack",
        ],
        &[("PAYSTACK_SECRET_KEY", key), ("PAYSTACK_BASE_URL", &uri)],
    );
    assert_eq!(
        reconcile.code, 1,
        "{}\n{}",
        reconcile.stdout, reconcile.stderr
    );
    assert!(reconcile.stdout.starts_with("Reconciliation with paystack from 2026-01-01 00:00:00 UTC until 2026-02-01 00:00:00 UTC: differences found"), "{}", reconcile.stdout);
    let stray = reconcile
        .stdout
        .lines()
        .find(|l| l.contains("stray-1"))
        .unwrap();
    assert!(
        stray.contains("not in the books") && stray.contains("₦2,500.00"),
        "{stray}"
    );
    assert!(!reconcile.stdout.contains(key) && !reconcile.stderr.contains(key));
    let no_key = admin_with(
        &[
            "--schema",
            &schema,
            "reconcile",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
            "--gateway",
            "paystack",
        ],
        &[],
    );
    assert_eq!(
        (no_key.code, no_key.stderr.trim_end()),
        (
            2,
            "error: PAYSTACK_SECRET_KEY is not set: --gateway takes the provider's API key from it"
        )
    );

    store.pool().close().await;
    db.cleanup().await;
}
