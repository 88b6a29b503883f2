//! The service's metrics on the in-memory store, read back through the test recorder.
//! A binary of its own: the recorder is process-wide, so nothing else may record here.

#![allow(missing_docs)]

use std::sync::Arc;

use ajo_core::ports::Store;
use ajo_testkit::{InMemoryStore, conformance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_records_its_metrics_in_memory() {
    conformance::telemetry::run_all(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> })
        .await;
}
