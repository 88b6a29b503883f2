//! The service on the in-memory store: a scheduler tick over 10,000 groups, and one
//! contribution end to end (collection request, gateway webhook, group, ledger, outbox),
//! without a metrics recorder and with a Prometheus one.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use ajo_core::group::deposit::DepositRule;
use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_testkit::{Embedded, builders};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const GROUPS: usize = 10_000;
const MEMBERS: usize = 12;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
}

async fn seed(ajo: &Embedded, groups: usize) {
    for g in 0..groups {
        let id = GroupId::new(format!("g{g}")).unwrap();
        let config = builders::naira_group("Bench", 10_000, start())
            .deposit(DepositRule::None)
            .build()
            .unwrap();
        ajo.service.create_group(&id, config).await.unwrap();
        // Members of their own group: a member's join reads their index of groups, so
        // twelve members shared by 10,000 groups would time that index, not the tick.
        for m in 0..MEMBERS {
            let member = MemberId::new(format!("g{g}-m{m}")).unwrap();
            ajo.service
                .join(&id, &member, 1, &builders::contact(&format!("m{m}")))
                .await
                .unwrap();
        }
        ajo.service.start(&id).await.unwrap();
    }
}

fn tick(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    rt.block_on(seed(&ajo, GROUPS));
    // Two days before round 1: every group is due, with 12 reminders (email and SMS) each.
    ajo.clock
        .set(Utc.from_utc_datetime(&(start() - Duration::days(2)).and_hms_opt(9, 0, 0).unwrap()));
    let mut group = c.benchmark_group("service");
    group.sample_size(10);
    group.bench_function("tick_10000_groups_reminder_day", |b| {
        b.iter_batched(
            || ajo.fork(),
            |fork| {
                let report = rt.block_on(fork.service.tick()).unwrap();
                assert_eq!(report.reminders, GROUPS * MEMBERS * 2);
                fork
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn contribution(c: &mut Criterion) {
    contribution_as(c, "service_contribution_end_to_end");
}

/// The same contribution with a Prometheus recorder taking every metric the service
/// records (on this thread only, so the other benches run without one): what metrics
/// cost a host that installs an exporter.
fn contribution_recorded(c: &mut Criterion) {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        contribution_as(c, "service_contribution_end_to_end_prometheus");
    });
    assert!(
        recorder
            .handle()
            .render()
            .contains("ajo_commands_total{stream=\"payment\",outcome=\"written\"}"),
        "the recorder saw the service's commands"
    );
}

fn contribution_as(c: &mut Criterion, name: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    rt.block_on(seed(&ajo, 1));
    let id = GroupId::new("g0").unwrap();
    c.bench_function(name, |b| {
        b.iter_batched(
            || ajo.fork(),
            |fork| {
                rt.block_on(async {
                    let collection = fork
                        .service
                        .request_contribution(&id, 1, HandId::new(1).unwrap())
                        .await
                        .unwrap();
                    let webhook = fork.gateway.pay(&collection.reference).unwrap();
                    fork.service.handle_gateway_event(&webhook).await.unwrap();
                });
                fork
            },
            BatchSize::SmallInput,
        );
    });
}

criterion_group!(benches, contribution, contribution_recorded, tick);
criterion_main!(benches);
