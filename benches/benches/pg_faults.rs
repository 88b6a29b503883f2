//! Postgres faults during 1,008 contributions (84 twelve-member groups, round 1) through
//! `AjoService` on `PgStore`: while four tasks record the contributions, a background
//! task keeps terminating the service's connections (`pg_terminate_backend`, picked by
//! the pool's `application_name`) and, once mid-run, restarts the server. Commands that
//! fail with a store error are retried by the driver, as a host would. Afterwards the
//! books are checked: every contribution recorded exactly once (one ledger entry per
//! contribution reference, every due settled), the trial balance zero, the hash chain
//! verified. Prints the faults, the retries, the time and the checks; exits non-zero if a
//! check fails. Figures go in `docs/reliability.md`.
//!
//! It restarts the server, so it is a standalone program, never part of `cargo test`:
//!
//! ```text
//! cargo bench -p ajo-benches --features postgres --bench pg_faults
//! ```
//!
//! Run as a user allowed to run `pg_ctlcluster` (root). Uses `DATABASE_URL`, else
//! `postgres://postgres@127.0.0.1:5432/test`, in a schema `ajo_pg_faults` dropped and
//! made again on every run. `PG_RESTART` overrides the restart command (a shell line);
//! `PG_RESTART=none` skips the restart.

// A bench binary: a failed unwrap or assert is a failed run, reported as such.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration as StdDuration, Instant};

use ajo_adapters::postgres::{PgConnectOptions, PgStore, sqlx};
use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::verify_chain;
use ajo_core::ports::{Clock, EmailSender, EntryQuery, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, Handled, ServiceError};
use ajo_testkit::builders;
use ajo_testkit::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

const GROUPS: usize = 84;
const MEMBERS: u32 = 12;
const TASKS: usize = 4;
const SCHEMA: &str = "ajo_pg_faults";
/// The service's connections carry this name, so the killer hits only them.
const APP: &str = "ajo_pg_faults_service";
/// How often the killer terminates the service's connections.
const KILL_EVERY: StdDuration = StdDuration::from_millis(150);
/// A retried command waits this long first, as a host's backoff would.
const BACKOFF: StdDuration = StdDuration::from_millis(50);
/// Give up on a command after this many failed attempts: the store never came back.
const MAX_ATTEMPTS: u32 = 600;

/// What the run counts, shared by the tasks.
#[derive(Default)]
struct Counters {
    /// Connections terminated by `pg_terminate_backend`.
    terminated: AtomicU64,
    /// Rounds of termination that hit at least one connection.
    kill_rounds: AtomicU64,
    restarts: AtomicU64,
    /// Failed attempts of `request_contribution`, retried.
    request_retries: AtomicU64,
    /// Failed attempts of `handle_gateway_event`, retried.
    webhook_retries: AtomicU64,
    /// Webhooks whose first answer was `Recorded`, on whichever attempt.
    recorded: AtomicU64,
    /// Webhooks retried after an error whose retry found them already recorded: the
    /// failed attempt had committed before its connection died.
    retried_duplicates: AtomicU64,
    /// Errors seen while retrying, by kind.
    errors: std::sync::Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    fn error(&self, error: &ServiceError) {
        let kind = match error {
            ServiceError::Store(e) => {
                format!("store: {}", e.to_string().split(':').next().unwrap_or(""))
            }
            ServiceError::TooMuchContention { .. } => "too much contention".to_owned(),
            other => panic!("not a store fault, so not retried: {other}"),
        };
        *self.errors.lock().unwrap().entry(kind).or_default() += 1;
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ok = rt.block_on(run());
    if !ok {
        std::process::exit(1);
    }
}

fn group_id(g: usize) -> GroupId {
    GroupId::new(format!("f{g}")).unwrap()
}

async fn run() -> bool {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let base = PgConnectOptions::from_str(&url).unwrap();
    let admin = PgStore::connect_with(base.clone().application_name("ajo_pg_faults_admin"), 1)
        .await
        .unwrap();
    for statement in [
        format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"),
        format!("CREATE SCHEMA {SCHEMA}"),
    ] {
        sqlx::query(&statement).execute(admin.pool()).await.unwrap();
    }
    let options = base
        .clone()
        .application_name(APP)
        .options([("search_path", SCHEMA)]);
    let store = Arc::new(PgStore::connect_with(options, 8).await.unwrap());
    store.migrate().await.unwrap();

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

    // Seeding, before any fault: the groups formed and started.
    let seeded = Instant::now();
    let mut seeding = Vec::new();
    for task in 0..TASKS {
        let service = service.clone();
        seeding.push(tokio::spawn(async move {
            for g in (task..GROUPS).step_by(TASKS) {
                let id = group_id(g);
                let config = builders::naira_group("Faults", 10_000, start)
                    .deposit(DepositRule::None)
                    .build()
                    .unwrap();
                service.create_group(&id, config).await.unwrap();
                for m in 0..MEMBERS {
                    let name = format!("m{m}");
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
    println!(
        "seeded {GROUPS} groups of {MEMBERS} in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    let total = u64::try_from(GROUPS).unwrap() * u64::from(MEMBERS);
    let counters = Arc::new(Counters::default());
    let done = Arc::new(AtomicBool::new(false));
    let killer = tokio::spawn(kill_and_restart(
        admin.pool().clone(),
        counters.clone(),
        done.clone(),
        total,
    ));

    let began = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let (service, gateway, counters) = (service.clone(), gateway.clone(), counters.clone());
        tasks.push(tokio::spawn(async move {
            for g in (task..GROUPS).step_by(TASKS) {
                let id = group_id(g);
                for hand in 1..=MEMBERS {
                    contribute(
                        &service,
                        &gateway,
                        &counters,
                        &id,
                        HandId::new(hand).unwrap(),
                    )
                    .await;
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = began.elapsed();
    done.store(true, Ordering::SeqCst);
    killer.await.unwrap();

    let c = &counters;
    println!(
        "contributions                {total} by {TASKS} tasks in {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "faults injected              {} connections terminated in {} rounds, {} server restart(s)",
        c.terminated.load(Ordering::SeqCst),
        c.kill_rounds.load(Ordering::SeqCst),
        c.restarts.load(Ordering::SeqCst)
    );
    println!(
        "retries                      {} collection requests, {} webhooks ({} found already recorded)",
        c.request_retries.load(Ordering::SeqCst),
        c.webhook_retries.load(Ordering::SeqCst),
        c.retried_duplicates.load(Ordering::SeqCst)
    );
    for (kind, n) in c.errors.lock().unwrap().iter() {
        println!("  errors retried             {n} x {kind}");
    }
    let ok = check(&service, store.as_ref(), c, total).await;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        .execute(admin.pool())
        .await
        .unwrap();
    ok
}

/// One hand's contribution, as a host drives it: ask for the collection, then hand the
/// gateway's webhook to the service; each retried on a store error until it goes through.
async fn contribute(
    service: &AjoService,
    gateway: &FakeGateway,
    counters: &Counters,
    group: &GroupId,
    hand: HandId,
) {
    let mut attempts = 0;
    let collection = loop {
        match service.request_contribution(group, 1, hand).await {
            Ok(collection) => break collection,
            Err(error) => {
                attempts += 1;
                assert!(attempts < MAX_ATTEMPTS, "{group} {hand}: gave up: {error}");
                counters.error(&error);
                counters.request_retries.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(BACKOFF).await;
            }
        }
    };
    let event = gateway.pay(&collection.reference).unwrap();
    let mut failed_before = false;
    let mut attempts = 0;
    loop {
        match service.handle_gateway_event(&event).await {
            Ok(Handled::Recorded) => {
                counters.recorded.fetch_add(1, Ordering::SeqCst);
                return;
            }
            // Only a retry may find it recorded: its failed attempt had committed.
            Ok(Handled::Duplicate) if failed_before => {
                counters.retried_duplicates.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Ok(other) => panic!("{}: {other:?} on the first delivery", collection.reference),
            Err(error) => {
                attempts += 1;
                assert!(
                    attempts < MAX_ATTEMPTS,
                    "{}: gave up: {error}",
                    collection.reference
                );
                counters.error(&error);
                counters.webhook_retries.fetch_add(1, Ordering::SeqCst);
                failed_before = true;
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
}

/// Terminates the service's connections every [`KILL_EVERY`] until `done`, and restarts
/// the server once, when about half the contributions are in.
async fn kill_and_restart(
    admin: sqlx::PgPool,
    counters: Arc<Counters>,
    done: Arc<AtomicBool>,
    total: u64,
) {
    let mut restarted = false;
    while !done.load(Ordering::SeqCst) {
        tokio::time::sleep(KILL_EVERY).await;
        let progress = counters.recorded.load(Ordering::SeqCst)
            + counters.retried_duplicates.load(Ordering::SeqCst);
        if !restarted && progress >= total / 2 {
            restarted = true;
            if restart_server().await {
                counters.restarts.fetch_add(1, Ordering::SeqCst);
            }
            continue;
        }
        // The admin connection may itself be gone after the restart: try again next round.
        let killed: Result<i64, _> = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND application_name = $1",
        )
        .bind(APP)
        .fetch_one(&admin)
        .await;
        if let Ok(n) = killed {
            let n = u64::try_from(n).unwrap_or(0);
            counters.terminated.fetch_add(n, Ordering::SeqCst);
            if n > 0 {
                counters.kill_rounds.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// Runs the restart command; false if told to skip it.
async fn restart_server() -> bool {
    let command = std::env::var("PG_RESTART").unwrap_or_else(|_| {
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -n | tail -1) main restart"
            .to_owned()
    });
    if command == "none" {
        return false;
    }
    let began = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .status()
    })
    .await
    .unwrap()
    .expect("the restart command runs");
    assert!(status.success(), "the restart command failed: {status}");
    println!("server restarted in {:.1} s", began.elapsed().as_secs_f64());
    true
}

/// The books after the faults. Prints each check; true if all hold.
async fn check(service: &AjoService, store: &dyn Store, counters: &Counters, total: u64) -> bool {
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    let mut per_reference: BTreeMap<&str, u64> = BTreeMap::new();
    for entry in &entries {
        if let Some(reference) = entry.entry().reference()
            && reference.contains("-r1-h")
        {
            *per_reference.entry(reference).or_default() += 1;
        }
    }
    let mut expected = Vec::new();
    for g in 0..GROUPS {
        for hand in 1..=MEMBERS {
            expected.push(format!("ajo-{}-r1-h{hand}", group_id(g)));
        }
    }
    let once = expected
        .iter()
        .filter(|r| per_reference.get(r.as_str()) == Some(&1))
        .count();
    let stray = per_reference.len().saturating_sub(once);
    // Settled by exactly the contribution: a payment applied twice would show as paid
    // twice over (or carried ahead), even where the ledger refused the second entry.
    let mut settled = 0u64;
    for g in 0..GROUPS {
        let state = service.group(&group_id(g)).await.unwrap();
        let contribution = state.config().unwrap().contribution();
        for hand in 1..=MEMBERS {
            if state
                .due(1, HandId::new(hand).unwrap())
                .is_some_and(|d| d.outstanding().is_zero() && d.paid == contribution)
            {
                settled += 1;
            }
        }
    }
    let trial: i128 = store
        .balances()
        .await
        .unwrap()
        .iter()
        .map(|(_, m)| m.minor())
        .sum();
    let chain = verify_chain(&entries);
    let confirmed = counters.recorded.load(Ordering::SeqCst)
        + counters.retried_duplicates.load(Ordering::SeqCst);

    let checks = [
        (
            format!(
                "{once} of {total} contribution references have exactly one ledger entry ({stray} other)"
            ),
            u64::try_from(once).unwrap() == total && stray == 0,
        ),
        (
            format!("{settled} of {total} dues settled by exactly one contribution"),
            settled == total,
        ),
        (
            format!("{confirmed} of {total} webhooks recorded once (first answer or retry)"),
            confirmed == total,
        ),
        (format!("trial balance {trial}"), trial == 0),
        (
            format!(
                "hash chain over {} entries: {}",
                entries.len(),
                match &chain {
                    Ok(()) => "verified".to_owned(),
                    Err(e) => format!("broken: {e}"),
                }
            ),
            chain.is_ok(),
        ),
    ];
    let mut ok = true;
    for (what, holds) in checks {
        println!("check {}  {what}", if holds { "ok  " } else { "FAIL" });
        ok &= holds;
    }
    ok
}
