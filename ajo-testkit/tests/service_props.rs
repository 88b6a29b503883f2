//! Random sequences of payments, duplicates, lost and wrong webhooks and time passing,
//! through the service: the books always balance, each round is paid out once, the
//! ledger reconciles with the gateway's statement, and stored events replay.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ajo_core::group::{GroupEvent, GroupState};

use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::{Ledger, reconcile};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    DomainEvent, EventLog, GatewayError, Journal, PaymentGateway, StreamId, StreamKind,
};
use ajo_core::webhook::GatewayEvent;
use ajo_testkit::{Embedded, builders};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// A member pays what they owe for the current round.
    Pay(usize),
    /// The webhook of an earlier payment arrives again.
    Duplicate(usize),
    /// A member pays, but the webhook is lost.
    PaySilently(usize),
    /// A member pays the wrong amount.
    PayWrong(usize),
    /// The next gateway call times out.
    Timeout,
    /// Time passes and the scheduler runs.
    Wait(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..6).prop_map(Op::Pay),
        2 => (0usize..50).prop_map(Op::Duplicate),
        1 => (0usize..6).prop_map(Op::PaySilently),
        1 => (0usize..6).prop_map(Op::PayWrong),
        1 => Just(Op::Timeout),
        3 => (1u8..20).prop_map(Op::Wait),
    ]
}

fn run(members: usize, ops: &[Op]) {
    let start = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let ajo = Embedded::new(
            Utc.from_utc_datetime(&(start - Duration::days(10)).and_hms_opt(9, 0, 0).unwrap()),
        );
        let id = GroupId::new("prop").unwrap();
        ajo.service
            .create_group(
                &id,
                builders::naira_group("Prop", 5_000, start).build().unwrap(),
            )
            .await
            .unwrap();
        let names: Vec<MemberId> = (0..members)
            .map(|i| MemberId::new(format!("m{i}")).unwrap())
            .collect();
        let mut webhooks: Vec<GatewayEvent> = Vec::new();
        for name in &names {
            let receipt = ajo
                .service
                .join(&id, name, 1, &builders::contact(name.as_str()))
                .await
                .unwrap();
            let event = ajo
                .gateway
                .pay(&receipt.deposit.unwrap().reference)
                .unwrap();
            ajo.service.handle_gateway_event(&event).await.unwrap();
        }
        ajo.service.start(&id).await.unwrap();
        for op in ops {
            let state = ajo.service.group(&id).await.unwrap();
            let Some(round) = state.current_round() else {
                break;
            };
            match op {
                Op::Pay(i) | Op::PaySilently(i) | Op::PayWrong(i) => {
                    let hand = HandId::new(u32::try_from(i % members).unwrap() + 1).unwrap();
                    if state.due(round, hand).is_none_or(|d| d.is_settled()) {
                        continue;
                    }
                    let Ok(collection) = ajo.service.request_contribution(&id, round, hand).await
                    else {
                        continue;
                    };
                    match op {
                        Op::Pay(_) => {
                            let event = ajo.gateway.pay(&collection.reference).unwrap();
                            ajo.service.handle_gateway_event(&event).await.unwrap();
                            webhooks.push(event);
                        }
                        Op::PaySilently(_) => {
                            ajo.gateway.pay_silently(&collection.reference);
                        }
                        _ => {
                            let wrong = Money::parse("1234.56", Currency::NGN).unwrap();
                            let event = ajo
                                .gateway
                                .pay_amount(&collection.reference, wrong)
                                .unwrap();
                            ajo.service.handle_gateway_event(&event).await.unwrap();
                            webhooks.push(event);
                        }
                    }
                }
                Op::Duplicate(i) => {
                    if let Some(event) = webhooks.get(i % webhooks.len().max(1)) {
                        ajo.service.handle_gateway_event(event).await.unwrap();
                    }
                }
                Op::Timeout => ajo.gateway.fail_next(GatewayError::Timeout),
                Op::Wait(days) => {
                    ajo.clock.advance(Duration::days(i64::from(*days)));
                    ajo.service.tick().await.unwrap();
                }
            }
            assert_books_balance(&ajo).await;
        }
        // Let everything settle: re-verification of lost webhooks, payouts sent.
        // A tick that failed on a stream (a gateway timeout queued by the last
        // operations) is retried by the next, as a host's scheduler does.
        let mut clean_ticks = 0;
        for _ in 0..10 {
            ajo.clock.advance(Duration::hours(1));
            let report = ajo.service.tick().await.unwrap();
            clean_ticks = if report.errors.is_empty() {
                clean_ticks + 1
            } else {
                0
            };
            if clean_ticks == 2 {
                break;
            }
        }
        assert_eq!(
            clean_ticks, 2,
            "the scheduler settles once the gateway answers"
        );
        assert_books_balance(&ajo).await;

        // Each round is paid out at most once, in the events and at the gateway.
        let recorded = ajo
            .store
            .load(&StreamId::new(StreamKind::Group, "prop"))
            .await
            .unwrap();
        let events: Vec<GroupEvent> = recorded
            .iter()
            .filter_map(|r| match &r.event {
                DomainEvent::Group(g) => Some(g.clone()),
                _ => None,
            })
            .collect();
        let mut paid_rounds: Vec<u32> = events
            .iter()
            .filter_map(|e| match e {
                GroupEvent::PayoutMade { round, .. } => Some(*round),
                _ => None,
            })
            .collect();
        let count = paid_rounds.len();
        paid_rounds.dedup();
        assert_eq!(paid_rounds.len(), count, "a round was paid twice");
        let mut hands: Vec<HandId> = events
            .iter()
            .filter_map(|e| match e {
                GroupEvent::PayoutMade { hand, .. } => Some(*hand),
                _ => None,
            })
            .collect();
        hands.sort_unstable();
        hands.dedup();
        assert_eq!(hands.len(), count, "a hand was paid twice");

        // The stored events, read back as JSON, replay to the state the service sees.
        let json = serde_json::to_string(&events).unwrap();
        let restored: Vec<GroupEvent> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            GroupState::replay(&restored),
            ajo.service.group(&id).await.unwrap()
        );

        // The ledger's gateway movements match the gateway's statement, line for line.
        let ledger = Ledger::from_entries(ajo.store.journal()).unwrap();
        let from = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        // A timeout queued by the last operation may still be waiting: retry, as a caller would.
        let mut statement = ajo
            .gateway
            .list_transactions(from, from + Duration::days(36_500))
            .await;
        while let Err(GatewayError::Timeout) = statement {
            statement = ajo
                .gateway
                .list_transactions(from, from + Duration::days(36_500))
                .await;
        }
        let statement = statement.unwrap();
        let report = reconcile(ledger.clearing_movements(), statement);
        assert!(report.is_clean(), "{report:?}");
    });
}

async fn assert_books_balance(ajo: &Embedded) {
    let total: i128 = ajo
        .store
        .balances()
        .await
        .unwrap()
        .iter()
        .map(|(_, m)| m.minor())
        .sum();
    assert_eq!(total, 0, "the trial balance must be zero");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_service_sequences_keep_the_books(members in 2usize..6, ops in proptest::collection::vec(op(), 1..80)) {
        run(members, &ops);
    }
}
