//! Host commands under a caller's idempotency key, through the service on the in-memory
//! store (`ajo-adapters/tests/postgres_keys.rs` runs the same suite on PostgreSQL).

#![allow(missing_docs)]

use std::sync::Arc;

use ajo_core::ports::Store;
use ajo_testkit::InMemoryStore;
use ajo_testkit::conformance;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_store_passes_the_idempotency_key_suite() {
    conformance::keys::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> }).await;
}
