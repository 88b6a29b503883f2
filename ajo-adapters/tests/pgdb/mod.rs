//! A fresh schema per test on a real PostgreSQL server, for the Postgres tests of
//! ajo-adapters and ajo-examples (which includes this file by path, so both make schemas
//! and fail without a server the same way).
//!
//! Uses `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`. Each schema is set
//! as its store's connections' `search_path` and dropped by [`TestDb::cleanup`], so tests
//! run in parallel and leave nothing behind. Without a server the tests print why and
//! pass, unless `CI` is set: then they fail.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::str::FromStr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ajo_adapters::postgres::PgStore;
use ajo_adapters::postgres::sqlx;
use ajo_adapters::postgres::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store};
use ajo_core::service::AjoService;
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};
use chrono::Utc;

pub(crate) const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub(crate) fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// The server, and the schemas this test made (dropped by `cleanup`).
pub(crate) struct TestDb {
    pub(crate) admin: PgPool,
    schemas: Mutex<Vec<String>>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    /// `None` (with a printed reason) when there is no server and `CI` is not set.
    pub(crate) async fn connect() -> Option<TestDb> {
        let admin = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&url())
            .await;
        match admin {
            Ok(admin) => Some(TestDb {
                admin,
                schemas: Mutex::new(Vec::new()),
            }),
            Err(error) if std::env::var_os("CI").is_some() => {
                panic!("CI is set but PostgreSQL is unreachable: {error}")
            }
            Err(error) => {
                eprintln!("skipped: PostgreSQL is unreachable ({error}); set DATABASE_URL");
                None
            }
        }
    }

    /// A fresh schema with the migrations applied, and a store whose connections use it.
    pub(crate) async fn store(&self, pool_size: u32) -> PgStore {
        self.store_named(pool_size).await.0
    }

    /// As `store`, with the schema's name, which is also the connections' application
    /// name (to find them in `pg_stat_activity`).
    pub(crate) async fn store_named(&self, pool_size: u32) -> (PgStore, String) {
        let schema = self.schema().await;
        let store = PgStore::connect_with(self.options(&schema), pool_size)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        // Against a Citus coordinator, `AJO_TEST_CITUS=1` runs every test on tables
        // distributed by book, as docs/postgres.md sets them up.
        if std::env::var_os("AJO_TEST_CITUS").is_some() {
            store.distribute_on_citus().await.unwrap();
        }
        (store, schema)
    }

    /// A fresh, empty schema (no migrations), dropped by `cleanup`: for a process that
    /// migrates it itself, as `webhook_server` does at start.
    pub(crate) async fn schema(&self) -> String {
        let schema = format!(
            "ajo_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_micros()
        );
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&self.admin)
            .await
            .unwrap();
        self.schemas.lock().unwrap().push(schema.clone());
        schema
    }

    /// Connection options for `schema`: the test server, with the schema as the
    /// `search_path` and as the application name.
    pub(crate) fn options(&self, schema: &str) -> PgConnectOptions {
        PgConnectOptions::from_str(&url())
            .unwrap()
            .options([("search_path", schema)])
            .application_name(schema)
    }

    pub(crate) async fn cleanup(self) {
        let schemas = std::mem::take(&mut *self.schemas.lock().unwrap());
        for schema in schemas {
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&self.admin)
                .await
                .unwrap();
        }
    }
}

/// The service on `store`, with the fake gateway and clock given and fake senders.
pub(crate) fn service(
    store: Arc<dyn Store>,
    gateway: Arc<FakeGateway>,
    clock: Arc<FakeClock>,
) -> AjoService {
    AjoService::new(
        store,
        gateway as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock as Arc<dyn Clock>,
    )
}
