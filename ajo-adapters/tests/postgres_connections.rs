//! PgStore's kept connections (`src/postgres/held.rs`) against a real server: a read or
//! append that succeeded keeps its connection out of sqlx's ping on release, and the
//! pool still gets every connection back when it needs it.
//!
//! Uses `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`, a fresh schema a
//! test (see `pgdb`). Without a server the tests print why and pass, unless `CI` is set.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ajo_adapters::postgres::PgStore;
use ajo_core::ports::{EventLog, ReadFrom, StreamId, StreamKind};

mod pgdb;

use pgdb::TestDb;

fn a_stream() -> Vec<ReadFrom> {
    vec![ReadFrom {
        stream: StreamId::new(StreamKind::Group, "g1"),
        after: 0,
    }]
}

async fn read(store: &PgStore) -> Result<(), ajo_core::ports::StoreError> {
    store.read(&a_stream(), None).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_in_turn_reuse_one_kept_connection_that_sqlx_never_sees_idle() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(4).await;
    for _ in 0..20 {
        read(&store).await.unwrap();
    }
    // Released to sqlx, every connection would be idle in its pool (after its ping);
    // one is kept instead (the migration's may be idle beside it).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (open, idle) = (store.pool().size(), store.pool().num_idle());
    assert_eq!(
        u32::try_from(idle).unwrap(),
        open - 1,
        "one connection is kept, not idle"
    );
    store.pool().close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_keeps_a_connection_for_the_host_while_the_store_keeps_others() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(2).await;
    for _ in 0..20 {
        let (a, b) = tokio::join!(read(&store), read(&store));
        a.unwrap();
        b.unwrap();
    }
    // Both connections were open at once; one at most is kept, so the host's own query
    // gets the other at once.
    let host = tokio::time::timeout(Duration::from_secs(2), store.pool().acquire())
        .await
        .expect("the pool had a connection for the host")
        .unwrap();
    drop(host);
    store.pool().close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_pool_ends_with_connections_kept_and_later_reads_are_refused() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let store = db.store(8).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                read(&store).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(5), store.pool().close())
        .await
        .expect("close gets every kept connection back");
    let refused = read(&store).await.expect_err("the pool is closed");
    assert!(refused.is_retryable(), "{refused:?}");
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_connection_killed_between_reads_fails_one_retryably_then_a_new_one_serves() {
    let Some(db) = TestDb::connect().await else {
        return;
    };
    let (store, schema) = db.store_named(2).await;
    read(&store).await.unwrap();
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&schema)
    .fetch_one(&db.admin)
    .await
    .unwrap();
    // The kept one, and the migration's idle in the pool.
    assert!(killed >= 1, "the store's connections were found");
    let error = read(&store).await.expect_err("its server process is gone");
    assert!(error.is_retryable(), "{error:?}");
    // A broken connection goes back to sqlx, which closes it; an idle one in the pool is
    // found broken by the retry that takes it, as sqlx's own connections are; then a new
    // one serves.
    let mut failed = 1;
    while let Err(error) = read(&store).await {
        assert!(error.is_retryable(), "{error:?}");
        failed += 1;
        assert!(failed <= killed, "only the killed connections fail");
    }
    store.pool().close().await;
    db.cleanup().await;
}

#[test]
fn a_store_dropped_after_its_runtime_ended_gives_its_connections_back_without_a_panic() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let made = runtime.block_on(async {
        let db = TestDb::connect().await?;
        let (store, schema) = db.store_named(2).await;
        read(&store).await.unwrap();
        Some((store, schema))
    });
    let Some((store, schema)) = made else {
        return;
    };
    drop(runtime);
    drop(store);
    // The schema goes through a runtime of its own: the old one's connections are dead.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let db = TestDb::connect().await.unwrap();
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&db.admin)
                .await
                .unwrap();
        });
}
