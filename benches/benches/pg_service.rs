//! Contributions through `AjoService` on `PgStore`, from 4 concurrent tasks
//! (`AJO_BENCH_TASKS` sets how many, each with groups of its own): prints contributions
//! per second. `benches/pg_vs_pgbench.sh` runs it beside pgbench's TPC-B-like figure on
//! the same server and prints the ratio; `benches/pg_scaling.sh` runs it at 1, 4, 16 and
//! 64 tasks when asked.
//!
//! Prints the service's own CPU per contribution beside its rate.
//!
//! Uses `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`, in a schema
//! `ajo_bench` dropped and made again on every run.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use ajo_adapters::postgres::{PgConnectOptions, PgStore, sqlx};
use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, Handled};
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

/// Concurrent tasks (`AJO_BENCH_TASKS` overrides it).
const TASKS: usize = 4;
/// Groups each task records round 1 of (`AJO_BENCH_GROUPS_PER_TASK` overrides it).
const GROUPS_PER_TASK: usize = 50;
const MEMBERS: usize = 12;
const SCHEMA: &str = "ajo_bench";

fn main() {
    // AJO_BENCH_RUNTIME=current_thread runs every task on one thread, as a host might on
    // a small machine it shares with its database; the default is two worker threads.
    let rt = if std::env::var("AJO_BENCH_RUNTIME").as_deref() == Ok("current_thread") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    };
    rt.block_on(run());
}

async fn run() {
    let tasks_wanted: usize = std::env::var("AJO_BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(TASKS);
    let groups_per_task: usize = std::env::var("AJO_BENCH_GROUPS_PER_TASK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(GROUPS_PER_TASK);
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let admin = PgStore::connect(&url, 1).await.unwrap();
    for statement in [
        format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"),
        format!("CREATE SCHEMA {SCHEMA}"),
    ] {
        sqlx::query(&statement).execute(admin.pool()).await.unwrap();
    }
    let options = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", SCHEMA)]);
    // A connection for every task, as a host sizing its pool for its workers would.
    let pool = u32::try_from(tasks_wanted.max(8)).unwrap_or(u32::MAX);
    let store = Arc::new(PgStore::connect_with(options, pool).await.unwrap());
    store.migrate().await.unwrap();
    // On a Citus coordinator, AJO_BENCH_CITUS=1 distributes the tables by book first.
    if std::env::var_os("AJO_BENCH_CITUS").is_some() {
        store.distribute_on_citus().await.unwrap();
    }

    let start = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let gateway = Arc::new(FakeGateway::new());
    let clock = Arc::new(FakeClock::new(Utc.from_utc_datetime(
        &(start - Duration::days(10)).and_hms_opt(11, 0, 0).unwrap(),
    )));
    let service = AjoService::new(
        store.clone() as Arc<dyn Store>,
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock as Arc<dyn Clock>,
    );

    // Seeding (not timed): each task gets its own groups, as independent groups would.
    let mut seeding = Vec::new();
    for task in 0..tasks_wanted {
        let service = service.clone();
        seeding.push(tokio::spawn(async move {
            for g in 0..groups_per_task {
                let id = GroupId::new(format!("t{task}g{g}")).unwrap();
                let config = builders::naira_group("Bench", 10_000, start)
                    .deposit(DepositRule::None)
                    .build()
                    .unwrap();
                service.create_group(&id, config).await.unwrap();
                // Members of the task's own: one member's joins all write their profile
                // stream (the index of their groups), so tasks sharing members would
                // time those instead, each join waiting on the others.
                for m in 0..MEMBERS {
                    let name = format!("t{task}m{m}");
                    let member = MemberId::new(name.as_str()).unwrap();
                    service
                        .join(&id, &member, 1, &builders::contact(&name))
                        .await
                        .unwrap();
                }
                service.start(&id).await.unwrap();
            }
        }));
    }
    for task in seeding {
        task.await.unwrap();
    }

    // Timed: every hand of round 1 of every group contributes: the collection request,
    // then the gateway's verified webhook (group, ledger entry, messages, one append each).
    let cpu_before = process_cpu_ms();
    let began = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..tasks_wanted {
        let service = service.clone();
        let gateway = gateway.clone();
        tasks.push(tokio::spawn(async move {
            let mut recorded = 0u64;
            for g in 0..groups_per_task {
                let id = GroupId::new(format!("t{task}g{g}")).unwrap();
                for hand in 1..=u32::try_from(MEMBERS).unwrap() {
                    let c = service
                        .request_contribution(&id, 1, HandId::new(hand).unwrap())
                        .await
                        .unwrap();
                    let event = gateway.pay(&c.reference).unwrap();
                    if service.handle_gateway_event(&event).await.unwrap() == Handled::Recorded {
                        recorded += 1;
                    }
                }
            }
            recorded
        }));
    }
    let mut recorded = 0u64;
    for task in tasks {
        recorded += task.await.unwrap();
    }
    let elapsed = began.elapsed();
    let per_second = u128::from(recorded) * 1_000_000 / elapsed.as_micros().max(1);
    println!(
        "{recorded} contributions by {tasks_wanted} tasks in {} ms",
        elapsed.as_millis()
    );
    println!("contributions_per_second {per_second}");
    // The service's own CPU (this process: user and system), which shares the machine
    // with the server: what a contribution costs on the client side of its round trips.
    if let (Some(before), Some(after)) = (cpu_before, process_cpu_ms()) {
        let per = after.saturating_sub(before) * 1_000 / recorded.max(1);
        println!("service_cpu_us_per_contribution {per}");
    }
    for statement in [format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")] {
        sqlx::query(&statement).execute(admin.pool()).await.unwrap();
    }
}

/// CPU time of this process so far, in milliseconds (Linux's /proc; `None` elsewhere).
fn process_cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    // /proc counts in USER_HZ, 100 a second on Linux whatever the kernel's own tick.
    Some((user + system) * 10)
}
