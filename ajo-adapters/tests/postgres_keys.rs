//! Host commands under a caller's idempotency key, through the service on PostgreSQL:
//! the suite `ajo-testkit/tests/idempotency_keys.rs` runs on the in-memory store. Uses
//! `DATABASE_URL` like `postgres.rs` (see `pgdb`): without a server it passes, unless `CI`
//! is set.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use ajo_core::ports::Store;

mod pgdb;

use pgdb::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_idempotency_key_suite() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::keys::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(8).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}
