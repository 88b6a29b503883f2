//! Load: many 12-member groups through a whole cycle (deposits, twelve rounds of
//! contributions, twelve payouts, completion and deposit refunds) through `AjoService`,
//! then the books checked: every hand paid exactly once, the trial balance zero, the hash
//! chain verified. Prints the time of each phase. Figures go in `docs/reliability.md`.
//!
//! ```text
//! cargo bench -p ajo-benches --bench load -- --groups 10000
//! cargo bench -p ajo-benches --features postgres --bench load -- --postgres --groups 1000
//! ```
//!
//! On Postgres it uses `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/test`, in
//! a schema `ajo_load` dropped and made again on every run.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use ajo_core::group::GroupStatus;

use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::verify_chain;
use ajo_core::ports::{Clock, EmailSender, EntryQuery, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, Handled};
use ajo_testkit::InMemoryStore;
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

const MEMBERS: u32 = 12;

struct Args {
    groups: usize,
    tasks: usize,
    postgres: bool,
}

fn args() -> Args {
    let raw: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        raw.iter()
            .position(|a| a == flag)
            .and_then(|i| raw.get(i + 1))
            .map(|v| v.parse::<usize>().expect("a number"))
    };
    let postgres = raw.iter().any(|a| a == "--postgres");
    Args {
        groups: value("--groups").unwrap_or(if postgres { 1_000 } else { 10_000 }),
        tasks: value("--tasks").unwrap_or(4),
        postgres,
    }
}

fn main() {
    let args = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(args));
}

#[cfg(feature = "postgres")]
async fn postgres_store() -> Arc<dyn Store> {
    use ajo_adapters::postgres::{PgConnectOptions, PgStore, sqlx};
    use std::str::FromStr;
    const SCHEMA: &str = "ajo_load";
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
    let store = PgStore::connect_with(options, 8).await.unwrap();
    store.migrate().await.unwrap();
    Arc::new(store)
}

#[cfg(not(feature = "postgres"))]
async fn postgres_store() -> Arc<dyn Store> {
    panic!("--postgres needs `--features postgres`");
}

fn noon(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(11, 0, 0).unwrap())
}

/// Runs `work` for every group, split over `tasks` concurrent tasks.
async fn for_each_group<F, Fut>(groups: usize, tasks: usize, work: F)
where
    F: Fn(GroupId) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let mut handles = Vec::new();
    for task in 0..tasks {
        let work = work.clone();
        handles.push(tokio::spawn(async move {
            for g in (task..groups).step_by(tasks) {
                work(GroupId::new(format!("load-{g}")).unwrap()).await;
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
}

fn phase(name: &str, began: Instant, count: usize, unit: &str) -> StdDuration {
    let took = began.elapsed();
    let rate = u128::try_from(count).unwrap() * 1_000_000 / took.as_micros().max(1);
    println!(
        "{name:<34} {:>9.1} s  {count:>9} {unit} ({rate}/s)",
        took.as_secs_f64()
    );
    took
}

async fn run(args: Args) {
    let store: Arc<dyn Store> = if args.postgres {
        postgres_store().await
    } else {
        Arc::new(InMemoryStore::new())
    };
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let gateway = Arc::new(FakeGateway::new());
    let clock = Arc::new(FakeClock::new(noon(start - Duration::days(20))));
    let service = AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    );
    println!(
        "{} groups of {MEMBERS} on the {} store, {} tasks",
        args.groups,
        if args.postgres {
            "PostgreSQL"
        } else {
            "in-memory"
        },
        args.tasks
    );
    let all = Instant::now();

    let began = Instant::now();
    let (s, g) = (service.clone(), gateway.clone());
    for_each_group(args.groups, args.tasks, move |id| {
        let (service, gateway) = (s.clone(), g.clone());
        async move {
            let config = builders::naira_group("Load", 10_000, start)
                .build()
                .unwrap();
            service.create_group(&id, config).await.unwrap();
            for m in 0..MEMBERS {
                let member = MemberId::new(format!("m{m}")).unwrap();
                let receipt = service
                    .join(&id, &member, 1, &builders::contact(&format!("m{m}")))
                    .await
                    .unwrap();
                let deposit = receipt.deposit.unwrap();
                let event = gateway.pay(&deposit.reference).unwrap();
                assert_eq!(
                    service.handle_gateway_event(&event).await.unwrap(),
                    Handled::Recorded
                );
            }
            service.start(&id).await.unwrap();
        }
    })
    .await;
    phase("groups formed, deposits paid", began, args.groups, "groups");

    let mut contributing = StdDuration::ZERO;
    let mut ticking = StdDuration::ZERO;
    for round in 1..=MEMBERS {
        let due = service
            .group(&GroupId::new("load-0").unwrap())
            .await
            .unwrap()
            .round(round)
            .unwrap()
            .due_date;
        clock.set(noon(due - Duration::days(1)));
        let began = Instant::now();
        let (s, g) = (service.clone(), gateway.clone());
        for_each_group(args.groups, args.tasks, move |id| {
            let (service, gateway) = (s.clone(), g.clone());
            async move {
                for hand in 1..=MEMBERS {
                    let c = service
                        .request_contribution(&id, round, HandId::new(hand).unwrap())
                        .await
                        .unwrap();
                    let event = gateway.pay(&c.reference).unwrap();
                    assert_eq!(
                        service.handle_gateway_event(&event).await.unwrap(),
                        Handled::Recorded
                    );
                }
            }
        })
        .await;
        contributing += began.elapsed();
        clock.set(noon(due + Duration::days(2)));
        let began = Instant::now();
        service.tick().await.unwrap();
        ticking += began.elapsed();
    }
    let contributions = args.groups * usize::try_from(MEMBERS * MEMBERS).unwrap();
    let rate = u128::try_from(contributions).unwrap() * 1_000_000 / contributing.as_micros().max(1);
    println!(
        "{:<34} {:>9.1} s  {contributions:>9} contributions ({rate}/s)",
        "contributions (request + webhook)",
        contributing.as_secs_f64()
    );
    println!(
        "{:<34} {:>9.1} s  {:>9} ticks",
        "ticks (payouts, completion)",
        ticking.as_secs_f64(),
        MEMBERS
    );
    let began = Instant::now();
    clock.advance(Duration::days(2));
    service.tick().await.unwrap();
    phase("final tick (refunds)", began, 1, "tick");
    let total = all.elapsed();

    // The checks.
    let began = Instant::now();
    let payouts = gateway.payouts();
    let mut completed = 0usize;
    for g in 0..args.groups {
        let id = GroupId::new(format!("load-{g}")).unwrap();
        let state = service.group(&id).await.unwrap();
        if state.status() == GroupStatus::Completed {
            completed += 1;
        }
        let recipients: BTreeSet<u32> = (1..=MEMBERS)
            .map(|r| {
                assert!(payouts.contains_key(&format!("ajo-{id}-r{r}-payout")));
                state.round(r).unwrap().recipient.unwrap().get()
            })
            .collect();
        assert_eq!(recipients.len(), 12, "{id}: every hand paid exactly once");
    }
    assert_eq!(completed, args.groups, "every group completed");
    let balances = store.balances().await.unwrap();
    let trial: i128 = balances.iter().map(|(_, b)| b.minor()).sum();
    assert_eq!(trial, 0, "the trial balance is zero");
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    verify_chain(&entries).unwrap();
    phase("checks", began, entries.len(), "entries");
    println!(
        "total {:.1} s; {completed} groups completed, every hand paid once, {} journal entries, trial balance 0, hash chain verified",
        total.as_secs_f64(),
        entries.len()
    );
}
