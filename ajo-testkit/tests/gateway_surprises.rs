//! The service's handling of what a gateway reports unasked, on the in-memory store
//! (`tests/postgres.rs` in ajo-adapters runs the same checks on PostgreSQL).

use std::sync::Arc;

use ajo_core::ports::Store;
use ajo_testkit::{InMemoryStore, conformance};

#[tokio::test]
async fn in_memory_store_passes_the_gateway_events_suite() {
    conformance::gateway_events::run_all(|| async {
        Arc::new(InMemoryStore::new()) as Arc<dyn Store>
    })
    .await;
}
