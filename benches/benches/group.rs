//! Rotation schedules and the scheduler's view of many groups.

#![allow(missing_docs)]

use ajo_core::calendar::Frequency;
use ajo_core::group::rotation::RotationSchedule;
use ajo_core::group::{GroupCommand, GroupConfig, GroupState, decide};
use ajo_core::ids::{GroupId, MemberId};
use ajo_core::money::{Currency, Money};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn schedule(c: &mut Criterion) {
    let hands: Vec<String> = (0..1000).map(|i| format!("member-{i}")).collect();
    let contribution = Money::parse("25000", Currency::NGN).unwrap_or(Money::zero(Currency::NGN));
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default();
    let rate = "0.015".parse().unwrap_or_default();
    c.bench_function("rotation_schedule_1000_hands_monthly", |b| {
        b.iter(|| {
            RotationSchedule::build(
                black_box(&hands),
                contribution,
                Frequency::Monthly,
                start,
                rate,
            )
        })
    });
}

/// An active group of 12 members, half of them paid for round 1.
fn active_group(i: usize, now: DateTime<Utc>) -> Option<GroupState> {
    let contribution = Money::parse("10000", Currency::NGN).ok()?;
    let start = NaiveDate::from_ymd_opt(2026, 2, 1)?;
    let config = GroupConfig::builder("bench", contribution, Frequency::Monthly, start)
        .build()
        .ok()?;
    let mut state = GroupState::default();
    let run = |state: &mut GroupState, command: GroupCommand| -> Option<()> {
        for event in decide(state, &command, now).ok()? {
            state.apply(&event);
        }
        Some(())
    };
    run(
        &mut state,
        GroupCommand::Create {
            id: GroupId::new(format!("g{i}")).ok()?,
            config,
        },
    )?;
    for m in 0..12 {
        run(
            &mut state,
            GroupCommand::Join {
                member: MemberId::new(format!("m{m}")).ok()?,
                hands: 1,
            },
        )?;
    }
    run(&mut state, GroupCommand::Start)?;
    for m in 0..6 {
        let member = MemberId::new(format!("m{m}")).ok()?;
        run(
            &mut state,
            GroupCommand::RecordPayment {
                member,
                amount: contribution,
                reference: format!("p{i}-{m}"),
            },
        )?;
    }
    Some(state)
}

fn due_actions(c: &mut Criterion) {
    let now = Utc
        .with_ymd_and_hms(2026, 1, 30, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let groups: Vec<GroupState> = (0..10_000).filter_map(|i| active_group(i, now)).collect();
    assert_eq!(groups.len(), 10_000);
    let mut group = c.benchmark_group("group");
    group.sample_size(20);
    group.bench_function("due_actions_10000_groups", |b| {
        b.iter(|| {
            groups
                .iter()
                .map(|g| g.due_actions(black_box(now)).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, schedule, due_actions);
criterion_main!(benches);
