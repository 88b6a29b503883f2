//! The service's metrics on PostgreSQL, read back through the test recorder. A binary
//! of its own: the recorder is process-wide, so nothing else may record here.

#![allow(missing_docs)]

use std::sync::Arc;

use ajo_core::ports::Store;

mod pgdb;

use pgdb::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_service_records_its_metrics_on_postgres() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let db = Arc::new(db);
    let factory_db = db.clone();
    ajo_testkit::conformance::telemetry::run_all(move || {
        let db = factory_db.clone();
        async move { Arc::new(db.store(8).await) as Arc<dyn Store> }
    })
    .await;
    Arc::into_inner(db).unwrap().cleanup().await;
}
