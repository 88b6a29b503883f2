//! Payout reports checked like charges, and a reversed payout paid again exactly once,
//! through the service on the in-memory store with the fake gateway, on a clock with
//! sub-microsecond times.
//!
//! The group: five members of ₦10,000 a month, so round 1 pays ada ₦50,000 under
//! `ajo=out=balogun=r1`.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use ajo_core::ids::{GroupId, MemberId};
use ajo_core::ledger::{Account, AccountKind, Side};
use ajo_core::money::{Currency, Money};
use ajo_core::payment::{PayoutEvent, PayoutReview};
use ajo_core::ports::{
    Clock, EmailSender, EntryQuery, EventLog, Journal, PaymentGateway, PayoutState, SmsSender,
    Store, StreamId, StreamKind,
};
use ajo_core::service::{AjoService, Handled};
use ajo_core::webhook::{AmountBasis, PaymentEventKind};
use ajo_testkit::fakes::{FakeEmail, FakeSms, PayoutMode};
use ajo_testkit::{Embedded, builders};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

const PAYOUT: &str = "ajo=out=balogun=r1";
const RETRY: &str = "ajo=out=balogun=r1=a2";
const THIRD: &str = "ajo=out=balogun=r1=a3";
const MEMBERS: [&str; 5] = ["ada", "bola", "chidi", "dayo", "emeka"];

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn usd(s: &str) -> Money {
    Money::parse(s, Currency::USD).unwrap()
}

/// 2026-03-01 09:00:00.987654321 UTC: nanoseconds a store cannot keep.
fn opening() -> DateTime<Utc> {
    Utc.timestamp_opt(1_772_355_600, 987_654_321).unwrap()
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 21).unwrap()
}

/// A started group whose round 1 is paid in full, then the clock moved past the grace
/// day and one `tick` run: the payout to ada is made and sent, answered as `mode` says.
async fn paid_out(mode: PayoutMode) -> (Embedded, Account) {
    let ajo = Embedded::new(opening());
    ajo.gateway.set_payout_mode(mode);
    let id = GroupId::new("balogun").unwrap();
    ajo.service
        .create_group(
            &id,
            builders::naira_group("Balogun market", 10_000, start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    ajo_testkit::drive::join_and_start(&ajo.service, &ajo.gateway, &id, &MEMBERS).await;
    ajo_testkit::drive::pay_round(&ajo.service, &ajo.gateway, &id, 1, 5).await;
    // Past the due date (21 March) and its grace day, in Lagos.
    ajo.clock.set(opening() + Duration::days(22));
    let report = ajo.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.payouts_sent, 1);
    let state = ajo.service.group(&id).await.unwrap();
    let wallet = state
        .accounts()
        .unwrap()
        .wallet(&MemberId::new("ada").unwrap());
    (ajo, wallet)
}

async fn balance(ajo: &Embedded, account: &Account) -> Money {
    ajo.store.balance(account).await.unwrap()
}

/// Ledger entries carrying `reference`.
async fn entries(ajo: &Embedded, reference: &str) -> Vec<ajo_core::ledger::BalancedEntry> {
    ajo.store
        .entries(&EntryQuery {
            reference: Some(reference.into()),
            ..EntryQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry().clone())
        .collect()
}

/// What `entries` moved on `account`: debits less credits.
fn moved(entries: &[ajo_core::ledger::BalancedEntry], account: &Account) -> i128 {
    entries
        .iter()
        .flat_map(|e| e.postings())
        .filter(|p| &p.account == account)
        .map(|p| match p.side {
            Side::Debit => p.amount.minor(),
            Side::Credit => -p.amount.minor(),
        })
        .sum()
}

/// The gateway clearing account `entries` move.
fn clearing(entries: &[ajo_core::ledger::BalancedEntry]) -> Account {
    entries
        .iter()
        .flat_map(|e| e.postings())
        .map(|p| p.account.clone())
        .find(|a| a.kind() == AccountKind::GatewayClearing)
        .unwrap()
}

/// The references the gateway was asked to pay, in order.
fn sends(ajo: &Embedded) -> Vec<String> {
    ajo.gateway
        .calls()
        .into_iter()
        .filter_map(|c| c.strip_prefix("send_payout:").map(str::to_owned))
        .collect()
}

/// The payout's stream, as stored.
async fn payout_events(ajo: &Embedded) -> Vec<PayoutEvent> {
    let stream = StreamId::new(StreamKind::Payout, PAYOUT);
    ajo.store
        .load(&stream)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| PayoutEvent::try_from(e.event).ok())
        .collect()
}

/// Past the re-verification delay, then a tick: returns how many payouts it sent.
async fn later_tick(ajo: &Embedded) -> usize {
    ajo.clock.advance(Duration::minutes(31));
    let report = ajo.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report.payouts_sent
}

async fn deliver(ajo: &Embedded, event: &ajo_core::webhook::GatewayEvent) -> Handled {
    ajo.service.handle_gateway_event(event).await.unwrap()
}

#[tokio::test]
async fn a_reversal_of_one_naira_books_one_naira_and_ada_is_owed_one_naira() {
    let (ajo, wallet) = paid_out(PayoutMode::Pending).await;
    assert_eq!(balance(&ajo, &wallet).await, ngn("-50000"));
    let delivered = ajo
        .gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(deliver(&ajo, &delivered).await, Handled::Recorded);
    assert!(balance(&ajo, &wallet).await.is_zero());

    let one_naira = ajo
        .gateway
        .payout_event_with(
            PAYOUT,
            PaymentEventKind::PayoutReversed,
            ngn("1.00"),
            AmountBasis::Event,
        )
        .unwrap();
    assert_eq!(deliver(&ajo, &one_naira).await, Handled::Recorded);
    assert_eq!(
        balance(&ajo, &wallet).await,
        ngn("-1.00"),
        "ada is owed the ₦1.00 that came back, not the whole payout"
    );
    assert_eq!(deliver(&ajo, &one_naira).await, Handled::Duplicate);
    assert_eq!(balance(&ajo, &wallet).await, ngn("-1.00"));
    let booked = entries(&ajo, PAYOUT).await;
    assert_eq!(booked.len(), 2, "the delivery and one reversal");
    assert_eq!(moved(&booked, &wallet), 5_000_000 - 100);

    // What is owed goes out again: ₦1.00, under a new reference.
    assert_eq!(later_tick(&ajo).await, 1);
    assert_eq!(sends(&ajo), [PAYOUT, RETRY]);
    assert_eq!(
        ajo.gateway.payouts().get(RETRY),
        Some(&(ngn("1.00"), PayoutState::Pending))
    );
    let retried = ajo
        .gateway
        .payout_event(RETRY, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(deliver(&ajo, &retried).await, Handled::Recorded);
    assert!(balance(&ajo, &wallet).await.is_zero(), "paid in full, once");
    assert_eq!(later_tick(&ajo).await, 0, "nothing more is owed");
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn a_success_in_another_currency_or_amount_is_held_not_delivered_nor_sent_again() {
    let (ajo, wallet) = paid_out(PayoutMode::Pending).await;
    let dollars = ajo
        .gateway
        .payout_event_with(
            PAYOUT,
            PaymentEventKind::PayoutSucceeded,
            usd("50000"),
            AmountBasis::Event,
        )
        .unwrap();
    assert_eq!(
        deliver(&ajo, &dollars).await,
        Handled::Flagged {
            expected: ngn("50000"),
            received: usd("50000"),
        }
    );
    assert_eq!(deliver(&ajo, &dollars).await, Handled::Duplicate);
    let short = ajo
        .gateway
        .payout_event_with(
            PAYOUT,
            PaymentEventKind::PayoutSucceeded,
            ngn("49999.99"),
            AmountBasis::Event,
        )
        .unwrap();
    assert_eq!(
        deliver(&ajo, &short).await,
        Handled::Flagged {
            expected: ngn("50000"),
            received: ngn("49999.99"),
        }
    );
    // A failure in another currency and a reversal of more than was sent: held likewise.
    for (kind, amount) in [
        (PaymentEventKind::PayoutFailed, usd("50000")),
        (PaymentEventKind::PayoutReversed, ngn("50000.01")),
    ] {
        let odd = ajo
            .gateway
            .payout_event_with(PAYOUT, kind, amount, AmountBasis::Event)
            .unwrap();
        assert!(
            matches!(deliver(&ajo, &odd).await, Handled::Flagged { .. }),
            "{kind}"
        );
    }
    assert_eq!(
        balance(&ajo, &wallet).await,
        ngn("-50000"),
        "not delivered: ada is still owed the payout"
    );
    assert!(entries(&ajo, PAYOUT).await.is_empty(), "nothing booked");
    let held = payout_events(&ajo)
        .await
        .into_iter()
        .filter(|e| matches!(e, PayoutEvent::HeldForReview { .. }))
        .count();
    assert_eq!(held, 4, "each report held on the payout's stream");

    // The money may have left: nothing is sent again, however long it waits.
    ajo.clock.advance(Duration::days(3));
    assert_eq!(ajo.service.tick().await.unwrap().payouts_sent, 0);
    assert_eq!(later_tick(&ajo).await, 0);
    assert_eq!(sends(&ajo), [PAYOUT]);

    // A person finds none of it reached ada: it goes out again under a new reference.
    assert!(
        ajo.service
            .resolve_payout_review(PAYOUT, PayoutReview::NotDelivered)
            .await
            .unwrap()
    );
    assert!(
        !ajo.service
            .resolve_payout_review(PAYOUT, PayoutReview::NotDelivered)
            .await
            .unwrap(),
        "nothing is held any more"
    );
    assert_eq!(ajo.service.tick().await.unwrap().payouts_sent, 1);
    assert_eq!(sends(&ajo), [PAYOUT, RETRY]);
    let retried = ajo
        .gateway
        .payout_event(RETRY, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(deliver(&ajo, &retried).await, Handled::Recorded);
    assert!(balance(&ajo, &wallet).await.is_zero());
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn a_held_success_found_delivered_is_booked_once() {
    let (ajo, wallet) = paid_out(PayoutMode::Pending).await;
    let short = ajo
        .gateway
        .payout_event_with(
            PAYOUT,
            PaymentEventKind::PayoutSucceeded,
            ngn("5000"),
            AmountBasis::Event,
        )
        .unwrap();
    assert!(matches!(
        deliver(&ajo, &short).await,
        Handled::Flagged { .. }
    ));
    assert!(
        ajo.service
            .resolve_payout_review(PAYOUT, PayoutReview::Delivered)
            .await
            .unwrap()
    );
    assert!(balance(&ajo, &wallet).await.is_zero());
    let matching = ajo
        .gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(deliver(&ajo, &matching).await, Handled::Duplicate);
    assert_eq!(entries(&ajo, PAYOUT).await.len(), 1);
    assert_eq!(later_tick(&ajo).await, 0);
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn a_running_total_of_reversals_books_each_part_once() {
    // Delivered as soon as sent: tick books the success from the gateway's answer.
    let (ajo, wallet) = paid_out(PayoutMode::Succeed).await;
    assert!(balance(&ajo, &wallet).await.is_zero());
    let reversed_so_far = |amount: &str| {
        ajo.gateway
            .payout_event_with(
                PAYOUT,
                PaymentEventKind::PayoutReversed,
                ngn(amount),
                AmountBasis::Cumulative,
            )
            .unwrap()
    };
    assert_eq!(
        deliver(&ajo, &reversed_so_far("1000")).await,
        Handled::Recorded
    );
    assert_eq!(balance(&ajo, &wallet).await, ngn("-1000"));
    // The same total in another event, and a smaller one arriving late: nothing new.
    assert_eq!(
        deliver(&ajo, &reversed_so_far("1000")).await,
        Handled::Duplicate
    );
    assert_eq!(
        deliver(&ajo, &reversed_so_far("500")).await,
        Handled::Duplicate
    );
    assert_eq!(balance(&ajo, &wallet).await, ngn("-1000"));
    // The rest comes back: the total less what is booked.
    assert_eq!(
        deliver(&ajo, &reversed_so_far("50000")).await,
        Handled::Recorded
    );
    assert_eq!(balance(&ajo, &wallet).await, ngn("-50000"));
    assert!(matches!(
        deliver(&ajo, &reversed_so_far("50000.01")).await,
        Handled::Flagged { .. }
    ));
    let booked = entries(&ajo, PAYOUT).await;
    assert_eq!(booked.len(), 3, "the delivery and two reversals");
    assert_eq!(
        moved(&booked, &clearing(&booked)),
        0,
        "out and back in full"
    );
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn delivered_reversed_and_sent_again_pays_ada_once_under_two_references() {
    let (ajo, wallet) = paid_out(PayoutMode::Succeed).await;
    assert!(balance(&ajo, &wallet).await.is_zero());
    let returned = ajo
        .gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutReversed)
        .unwrap();
    assert_eq!(deliver(&ajo, &returned).await, Handled::Recorded);
    assert_eq!(balance(&ajo, &wallet).await, ngn("-50000"));

    assert_eq!(later_tick(&ajo).await, 1);
    assert_eq!(
        sends(&ajo),
        [PAYOUT, RETRY],
        "two sends, the second under a fresh reference"
    );
    assert!(balance(&ajo, &wallet).await.is_zero(), "delivered again");
    for _ in 0..3 {
        assert_eq!(later_tick(&ajo).await, 0);
    }
    assert_eq!(sends(&ajo).len(), 2);

    // One net payout: out, back, out.
    let first = entries(&ajo, PAYOUT).await;
    let second = entries(&ajo, RETRY).await;
    assert_eq!((first.len(), second.len()), (2, 1));
    assert_eq!(moved(&first, &wallet), 0, "the reversal undid the first");
    assert_eq!(moved(&second, &wallet), 5_000_000, "debited once, net");
    assert_eq!(
        moved(&first, &clearing(&first)),
        0,
        "clearing nets to zero for it"
    );
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn a_late_success_of_the_old_attempt_changes_nothing_even_after_a_restart() {
    let (ajo, wallet) = paid_out(PayoutMode::Pending).await;
    let delivered = ajo
        .gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(deliver(&ajo, &delivered).await, Handled::Recorded);
    let returned = ajo
        .gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutReversed)
        .unwrap();
    assert_eq!(deliver(&ajo, &returned).await, Handled::Recorded);
    assert_eq!(later_tick(&ajo).await, 1);
    assert_eq!(sends(&ajo), [PAYOUT, RETRY]);

    // Attempt 1's success again: re-delivered, and as another event with its own key.
    let late = ajo
        .gateway
        .payout_event_with(
            PAYOUT,
            PaymentEventKind::PayoutSucceeded,
            ngn("50000"),
            AmountBasis::Event,
        )
        .unwrap();
    assert_eq!(deliver(&ajo, &delivered).await, Handled::Duplicate);
    assert_eq!(deliver(&ajo, &late).await, Handled::Duplicate);
    assert_eq!(
        balance(&ajo, &wallet).await,
        ngn("-50000"),
        "still owed until attempt 2 is delivered"
    );

    // A new process on the same store finds attempt 2 from its reference alone.
    let restarted = AjoService::new(
        ajo.store.clone() as Arc<dyn Store>,
        ajo.gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        ajo.clock.clone() as Arc<dyn Clock>,
    );
    let retried = ajo
        .gateway
        .payout_event(RETRY, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(
        restarted.handle_gateway_event(&retried).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        restarted.handle_gateway_event(&late).await.unwrap(),
        Handled::Duplicate
    );
    assert!(balance(&ajo, &wallet).await.is_zero(), "paid once");
    assert_eq!(
        entries(&ajo, PAYOUT).await.len() + entries(&ajo, RETRY).await.len(),
        3
    );
    // An attempt never made is no payout of ours.
    let stray = ajo_core::webhook::GatewayEvent::new(
        ajo_core::webhook::Provider::Paystack,
        PaymentEventKind::PayoutSucceeded,
        THIRD,
        ngn("50000"),
    );
    assert_eq!(deliver(&ajo, &stray).await, Handled::UnknownReference);
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn a_whole_reversal_reported_before_its_success_is_sent_again_under_a_new_reference() {
    let (ajo, wallet) = paid_out(PayoutMode::Pending).await;
    // The success webhook is lost; the reversal arrives.
    let returned = ajo
        .gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutReversed)
        .unwrap();
    assert_eq!(deliver(&ajo, &returned).await, Handled::Recorded);
    assert_eq!(balance(&ajo, &wallet).await, ngn("-50000"));
    assert_eq!(entries(&ajo, PAYOUT).await.len(), 2, "out and back");
    assert_eq!(later_tick(&ajo).await, 1);
    assert_eq!(sends(&ajo), [PAYOUT, RETRY]);
    // The lost success turns up: it is already counted.
    let late = ajo
        .gateway
        .payout_event_with(
            PAYOUT,
            PaymentEventKind::PayoutSucceeded,
            ngn("50000"),
            AmountBasis::Event,
        )
        .unwrap();
    assert_eq!(deliver(&ajo, &late).await, Handled::Duplicate);
    assert_eq!(balance(&ajo, &wallet).await, ngn("-50000"));
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}

/// A payout report authenticated only by a static token (Flutterwave's `verif-hash`, once
/// a host turns it on) could be written by anyone who has seen one delivery: a forged
/// "failed" after a success would have ada paid twice. The service books nothing from
/// it; it brings the payout's next look forward, and `tick` takes the outcome from the
/// gateway.
#[tokio::test]
async fn a_static_token_payout_report_is_a_hint_the_gateway_settles() {
    use ajo_core::webhook::{Authentication, GatewayEvent, Provider};
    let by_token = |kind| {
        GatewayEvent::new(Provider::Flutterwave, kind, PAYOUT, ngn("50000"))
            .with_authentication(Authentication::StaticToken)
    };
    let (ajo, wallet) = paid_out(PayoutMode::Pending).await;
    let owed = balance(&ajo, &wallet).await;
    assert!(owed.is_negative(), "ada is owed the pot");

    // A success the gateway has not made: nothing booked, and the next tick (without
    // waiting for the re-verification delay) asks the gateway, which says pending.
    let outcome = deliver(&ajo, &by_token(PaymentEventKind::PayoutSucceeded)).await;
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert_eq!(balance(&ajo, &wallet).await, owed, "nothing booked");
    assert!(entries(&ajo, PAYOUT).await.is_empty());
    let report = ajo.service.tick().await.unwrap();
    assert_eq!(report.payouts_sent, 1, "the hint brought the look forward");
    assert_eq!(
        balance(&ajo, &wallet).await,
        owed,
        "the gateway says pending"
    );

    // The transfer goes through at the gateway; a report of it by token brings the next
    // look forward again, and the gateway's answer books the delivery.
    ajo.gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    deliver(&ajo, &by_token(PaymentEventKind::PayoutSucceeded)).await;
    ajo.service.tick().await.unwrap();
    assert!(balance(&ajo, &wallet).await.is_zero(), "delivered, once");

    // A forged failure after the success: nothing is reversed, nothing sent again.
    let outcome = deliver(&ajo, &by_token(PaymentEventKind::PayoutFailed)).await;
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert_eq!(later_tick(&ajo).await, 0);
    assert!(balance(&ajo, &wallet).await.is_zero());
    let sends = ajo
        .gateway
        .calls()
        .iter()
        .filter(|c| c.starts_with("send_payout:"))
        .count();
    assert_eq!(
        sends, 3,
        "one send and two looks, all under the first reference"
    );
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}

/// The same reports naming the transfer's id: the gateway is asked about that transfer
/// and its answer, not the report, is booked. A forged success of a pending transfer and a
/// forged failure of a delivered one change nothing; a transfer the bank really sent
/// back (Flutterwave reports it `FAILED` after `SUCCESSFUL`) is booked as returned and
/// paid again under a fresh reference.
#[tokio::test]
async fn a_static_token_payout_report_naming_its_transfer_books_what_the_gateway_says() {
    use ajo_core::webhook::{Authentication, GatewayEvent, Provider};
    use ajo_testkit::fakes::FakeGateway;
    let by_token = |kind| {
        GatewayEvent::new(Provider::Flutterwave, kind, PAYOUT, ngn("50000"))
            .with_transaction_id(FakeGateway::transaction_id(PAYOUT))
            .with_authentication(Authentication::StaticToken)
    };
    let (ajo, wallet) = paid_out(PayoutMode::Pending).await;
    let owed = balance(&ajo, &wallet).await;

    let outcome = deliver(&ajo, &by_token(PaymentEventKind::PayoutSucceeded)).await;
    assert!(
        matches!(outcome, Handled::Unconfirmed { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        balance(&ajo, &wallet).await,
        owed,
        "still pending at the gateway"
    );

    ajo.gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(
        deliver(&ajo, &by_token(PaymentEventKind::PayoutSucceeded)).await,
        Handled::Recorded
    );
    assert!(balance(&ajo, &wallet).await.is_zero(), "delivered");

    // Forged: the gateway still says delivered, so nothing comes back.
    let forged = by_token(PaymentEventKind::PayoutFailed).with_event_id("evt-forged");
    assert_eq!(deliver(&ajo, &forged).await, Handled::Duplicate);
    assert!(balance(&ajo, &wallet).await.is_zero());
    assert_eq!(later_tick(&ajo).await, 0, "nothing sent again");

    // Real: the bank sent it back.
    ajo.gateway
        .payout_event(PAYOUT, PaymentEventKind::PayoutFailed)
        .unwrap();
    let returned = by_token(PaymentEventKind::PayoutFailed).with_event_id("evt-returned");
    assert_eq!(deliver(&ajo, &returned).await, Handled::Recorded);
    assert_eq!(balance(&ajo, &wallet).await, owed, "owed again");
    ajo.gateway.set_payout_mode(PayoutMode::Succeed);
    assert_eq!(later_tick(&ajo).await, 1);
    assert!(balance(&ajo, &wallet).await.is_zero(), "paid once, net");
    assert!(
        ajo.gateway
            .calls()
            .iter()
            .any(|c| c.as_str() == format!("send_payout:{RETRY}")),
        "sent again under a fresh reference"
    );
    ajo_testkit::assert_books_balance(ajo.store.as_ref()).await;
}
