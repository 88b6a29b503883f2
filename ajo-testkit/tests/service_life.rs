//! A whole group's life through the service on the in-memory store.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ajo_core::group::GroupStatus;

use ajo_core::ids::{GroupId, HandId, MemberId};
use ajo_core::ledger::{Account, AccountKind};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    EntryQuery, EventLog, GatewayError, Journal, OutboxChannel, PayoutState, Store,
};
use ajo_core::service::{Handled, REVIEW_OWNER};
use ajo_core::webhook::PaymentEventKind;
use ajo_testkit::{Embedded, builders};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

const MEMBERS: [&str; 5] = ["ada", "bola", "chidi", "dayo", "emeka"];

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn m(name: &str) -> MemberId {
    MemberId::new(name).unwrap()
}

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

/// Lagos noon on a date.
fn noon(date: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(11, 0, 0).unwrap())
}

/// A formed and started 5-member group, deposits paid by webhook.
async fn started() -> (Embedded, GroupId) {
    let ajo = Embedded::new(noon(start_date() - Duration::days(20)));
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
    for name in MEMBERS {
        let receipt = ajo
            .service
            .join(&id, &m(name), 1, &builders::contact(name))
            .await
            .unwrap();
        let deposit = receipt.deposit.expect("the group takes a deposit");
        assert_eq!(deposit.reference, format!("ajo=dep=balogun={name}"));
        let event = ajo.gateway.pay(&deposit.reference).unwrap();
        assert_eq!(
            ajo.service.handle_gateway_event(&event).await.unwrap(),
            Handled::Recorded
        );
        assert_eq!(
            ajo.service.handle_gateway_event(&event).await.unwrap(),
            Handled::Duplicate
        );
    }
    ajo.service.start(&id).await.unwrap();
    (ajo, id)
}

async fn trial_balance_is_zero(store: &dyn Store) {
    ajo_testkit::assert_books_balance(store).await;
}

#[tokio::test]
async fn a_whole_group_life() {
    let (ajo, id) = started().await;
    for round in 1..=5u32 {
        let due = ajo
            .service
            .group(&id)
            .await
            .unwrap()
            .round(round)
            .unwrap()
            .due_date;
        // Two days ahead: reminders go to everyone who owes.
        ajo.clock.set(noon(due - Duration::days(2)));
        let report = ajo.service.tick().await.unwrap();
        assert_eq!(
            report.reminders, 10,
            "round {round}: email and SMS reminders for five members"
        );
        assert_eq!(
            ajo.service.tick().await.unwrap().reminders,
            0,
            "a second tick sends nothing again"
        );
        for (i, _) in MEMBERS.iter().enumerate() {
            let hand = HandId::new(u32::try_from(i).unwrap() + 1).unwrap();
            // chidi is late in round 2.
            if round == 2 && hand == HandId::new(3).unwrap() {
                continue;
            }
            let collection = ajo
                .service
                .request_contribution(&id, round, hand)
                .await
                .unwrap();
            if round == 3 && hand == HandId::new(3).unwrap() {
                let asked = ajo.gateway.pay(&collection.reference).unwrap().amount();
                assert_eq!(
                    asked,
                    ngn("20500"),
                    "chidi is asked for the due, the penalty and the deposit top-up"
                );
            }
            let event = ajo.gateway.pay(&collection.reference).unwrap();
            assert_eq!(
                ajo.service.handle_gateway_event(&event).await.unwrap(),
                Handled::Recorded
            );
        }
        // After the grace day: penalty, deposit cover, payout, and the payout sent.
        ajo.clock.set(noon(due + Duration::days(2)));
        let report = ajo.service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let expected = if round == 5 { 6 } else { 1 };
        assert_eq!(
            report.payouts_sent, expected,
            "one tick makes and sends the payout (and, at the end, the deposit refunds)"
        );
        let state = ajo.service.group(&id).await.unwrap();
        assert!(
            state.round(round).unwrap().paid_out,
            "round {round} paid out"
        );
    }
    let state = ajo.service.group(&id).await.unwrap();
    assert_eq!(state.status(), GroupStatus::Completed);
    let payouts = ajo.gateway.payouts();
    let rounds: Vec<_> = payouts
        .iter()
        .filter(|(r, _)| r.starts_with("ajo=out="))
        .collect();
    assert_eq!(rounds.len(), 5, "every hand paid once");
    assert!(
        rounds
            .iter()
            .all(|(_, (amount, status))| *amount == ngn("50000")
                && *status == PayoutState::Succeeded)
    );
    let refunds: Vec<_> = payouts
        .iter()
        .filter(|(r, _)| r.starts_with("ajo=drf="))
        .collect();
    assert_eq!(refunds.len(), 5, "every deposit refunded");
    assert!(
        refunds
            .iter()
            .all(|(_, (amount, _))| *amount == ngn("10000"))
    );
    for name in MEMBERS {
        let wallet = state.accounts().unwrap().wallet(&m(name));
        assert!(
            ajo.store.balance(&wallet).await.unwrap().is_zero(),
            "{name} is owed nothing"
        );
    }
    // The penalty stays with the group; chidi topped his deposit up, so all five came back.
    let accounts = state.accounts().unwrap();
    assert_eq!(
        ajo.store.balance(&accounts.penalty_income()).await.unwrap(),
        ngn("-500")
    );
    assert!(ajo.store.balance(&accounts.pot()).await.unwrap().is_zero());
    trial_balance_is_zero(ajo.store.as_ref()).await;

    let delivered = ajo.service.deliver_outbox(1_000).await.unwrap();
    assert!(delivered.sent > 50, "{delivered:?}");
    assert_eq!(
        ajo.service.deliver_outbox(1_000).await.unwrap().sent,
        0,
        "each message is sent once"
    );
    let subjects: Vec<String> = ajo
        .email
        .sent()
        .iter()
        .filter(|e| e.to == "chidi@example.com")
        .map(|e| e.subject.clone())
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Late penalty of ₦500.00")),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Your payout of ₦50,000.00")),
        "{subjects:?}"
    );
}

#[tokio::test]
async fn mismatched_and_unknown_money_is_held_for_review() {
    let (ajo, id) = started().await;
    let collection = ajo
        .service
        .request_contribution(&id, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let event = ajo
        .gateway
        .pay_amount(&collection.reference, ngn("9000"))
        .unwrap();
    assert_eq!(
        ajo.service.handle_gateway_event(&event).await.unwrap(),
        Handled::Flagged {
            expected: ngn("10000"),
            received: ngn("9000")
        }
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&event).await.unwrap(),
        Handled::Duplicate
    );
    let review = Account::new(REVIEW_OWNER, AccountKind::Suspense, Currency::NGN);
    assert_eq!(ajo.store.balance(&review).await.unwrap(), ngn("-9000"));
    let state = ajo.service.group(&id).await.unwrap();
    assert!(
        state
            .due(1, HandId::new(1).unwrap())
            .unwrap()
            .paid
            .is_zero(),
        "never credited to the member"
    );

    let stray = ajo_core::webhook::GatewayEvent::new(
        ajo_core::webhook::Provider::Paystack,
        PaymentEventKind::ChargeSucceeded,
        "never-issued",
        ngn("700"),
    );
    assert!(matches!(
        ajo.service.handle_gateway_event(&stray).await.unwrap(),
        Handled::Flagged { .. }
    ));
    assert_eq!(ajo.store.balance(&review).await.unwrap(), ngn("-9700"));
    trial_balance_is_zero(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn a_lost_webhook_and_a_timeout_are_resolved_by_tick() {
    let (ajo, id) = started().await;
    // The gateway takes the charge but the answer times out.
    ajo.gateway.fail_next(GatewayError::Timeout);
    assert!(matches!(
        ajo.service
            .request_contribution(&id, 1, HandId::new(1).unwrap())
            .await,
        Err(ajo_core::service::ServiceError::Gateway(
            GatewayError::Timeout
        ))
    ));
    let reference = "ajo=ctb=balogun=r1=h1";
    assert!(
        ajo.gateway.pay_silently(reference),
        "the charge exists at the gateway"
    );
    // No webhook comes. After the re-verification delay, tick asks the gateway.
    ajo.clock.advance(Duration::minutes(31));
    let report = ajo.service.tick().await.unwrap();
    assert_eq!(report.reverified, 1);
    let state = ajo.service.group(&id).await.unwrap();
    assert_eq!(
        state.due(1, HandId::new(1).unwrap()).unwrap().paid,
        ngn("10000")
    );
    // The webhook turns up late: nothing more happens.
    let late = ajo.gateway.pay(reference).unwrap();
    assert_eq!(
        ajo.service.handle_gateway_event(&late).await.unwrap(),
        Handled::Duplicate
    );
    assert_eq!(
        ajo.store
            .entries(&EntryQuery {
                reference: Some(reference.into()),
                ..EntryQuery::default()
            })
            .await
            .unwrap()
            .len(),
        1
    );
    trial_balance_is_zero(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn payout_reports_out_of_order_and_a_reversal_after_success() {
    let (ajo, id) = started().await;
    ajo.gateway
        .set_payout_mode(ajo_testkit::fakes::PayoutMode::Pending);
    ajo.clock.set(noon(start_date()));
    for hand in 1..=5 {
        let c = ajo
            .service
            .request_contribution(&id, 1, HandId::new(hand).unwrap())
            .await
            .unwrap();
        ajo.service
            .handle_gateway_event(&ajo.gateway.pay(&c.reference).unwrap())
            .await
            .unwrap();
    }
    ajo.service.tick().await.unwrap();
    ajo.service.tick().await.unwrap();
    let reference = "ajo=out=balogun=r1";
    assert!(ajo.gateway.payouts().contains_key(reference));
    let accounts = ajo.service.group(&id).await.unwrap();
    let wallet = accounts.accounts().unwrap().wallet(&m("ada"));
    assert_eq!(
        ajo.store.balance(&wallet).await.unwrap(),
        ngn("-50000"),
        "owed to ada until delivered"
    );

    // Out of order: the failure report arrives first, then the success.
    let failed = ajo
        .gateway
        .payout_event(reference, PaymentEventKind::PayoutFailed)
        .unwrap();
    let succeeded = ajo
        .gateway
        .payout_event(reference, PaymentEventKind::PayoutSucceeded)
        .unwrap();
    assert_eq!(
        ajo.service.handle_gateway_event(&failed).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&succeeded).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&succeeded).await.unwrap(),
        Handled::Duplicate
    );
    assert!(
        ajo.store.balance(&wallet).await.unwrap().is_zero(),
        "delivered once"
    );
    // Then the bank returns it: a reversal, owed to ada again, not lost.
    let reversed = ajo
        .gateway
        .payout_event(reference, PaymentEventKind::PayoutReversed)
        .unwrap();
    assert_eq!(
        ajo.service.handle_gateway_event(&reversed).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(ajo.store.balance(&wallet).await.unwrap(), ngn("-50000"));
    assert_eq!(
        ajo.service.handle_gateway_event(&reversed).await.unwrap(),
        Handled::Duplicate
    );
    trial_balance_is_zero(ajo.store.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_deliveries_of_one_webhook_post_once() {
    let (ajo, id) = started().await;
    let c = ajo
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    let event = ajo.gateway.pay(&c.reference).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let service = ajo.service.clone();
        let event = event.clone();
        tasks.push(tokio::spawn(async move {
            service.handle_gateway_event(&event).await.unwrap()
        }));
    }
    let mut recorded = 0;
    for task in tasks {
        if task.await.unwrap() == Handled::Recorded {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1);
    let entries = ajo
        .store
        .entries(&EntryQuery {
            reference: Some(c.reference.clone()),
            ..EntryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "exactly one ledger entry");
    let receipts = ajo
        .store
        .outbox()
        .into_iter()
        .filter(|r| {
            r.message.id.contains(&c.reference)
                && matches!(r.message.channel, OutboxChannel::Email(_))
        })
        .count();
    assert_eq!(receipts, 1, "exactly one confirmation email");
}

#[tokio::test]
async fn a_loan_taken_and_repaid_through_the_service() {
    use ajo_core::ids::LoanId;
    use ajo_core::loan::{LoanPolicy, LoanStatus, LoanTerms};
    use ajo_core::service::LoanRequest;
    let (ajo, id) = started().await;
    let loan = LoanId::new("ln-ada-1").unwrap();
    let terms = LoanTerms::builder(ngn("30000"), "0.24".parse().unwrap(), 3, start_date())
        .build()
        .unwrap();
    let request = LoanRequest {
        id: loan.clone(),
        group: id.clone(),
        member: m("ada"),
        terms,
        policy: LoanPolicy::default(),
    };
    ajo.service.apply_for_loan(request).await.unwrap();
    assert!(
        matches!(
            ajo.service.disburse_loan(&loan).await,
            Err(ajo_core::service::ServiceError::Loan(_))
        ),
        "not approved yet"
    );
    ajo.service.approve_loan(&loan, "organiser").await.unwrap();
    ajo.service.disburse_loan(&loan).await.unwrap();
    ajo.service.tick().await.unwrap();
    let sent = ajo.gateway.payouts();
    assert_eq!(
        sent.get("ajo=lnd=ln-ada-1").map(|(a, _)| *a),
        Some(ngn("30000"))
    );
    for _ in 0..3 {
        ajo.clock.advance(Duration::days(31));
        ajo.service.tick().await.unwrap();
        let collection = ajo
            .service
            .request_loan_repayment(&loan, None)
            .await
            .unwrap();
        let event = ajo.gateway.pay(&collection.reference).unwrap();
        assert_eq!(
            ajo.service.handle_gateway_event(&event).await.unwrap(),
            Handled::Recorded
        );
        assert_eq!(
            ajo.service.handle_gateway_event(&event).await.unwrap(),
            Handled::Duplicate
        );
    }
    let state = ajo.service.loan(&loan).await.unwrap();
    assert_eq!(state.status(), Some(LoanStatus::Repaid));
    let group = ajo.service.group(&id).await.unwrap();
    let accounts = group.accounts().unwrap();
    let receivable = Account::new("balogun", AccountKind::LoansReceivable, Currency::NGN);
    assert!(
        ajo.store.balance(&receivable).await.unwrap().is_zero(),
        "principal repaid"
    );
    assert!(
        ajo.store
            .balance(&accounts.wallet(&m("ada")))
            .await
            .unwrap()
            .is_zero()
    );
    let interest = Account::new("balogun", AccountKind::InterestIncome, Currency::NGN);
    assert!(
        ajo.store.balance(&interest).await.unwrap().is_negative(),
        "interest earned by the group"
    );
    trial_balance_is_zero(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn a_member_in_two_groups_keeps_one_profile_and_one_recipient() {
    let (ajo, _) = started().await;
    let second = GroupId::new("second").unwrap();
    ajo.service
        .create_group(
            &second,
            builders::naira_group("Second", 1_000, start_date())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let before = ajo
        .gateway
        .calls()
        .iter()
        .filter(|c| c.starts_with("create_recipient"))
        .count();
    ajo.service
        .join(&second, &m("ada"), 1, &builders::contact("ada"))
        .await
        .unwrap();
    let after = ajo
        .gateway
        .calls()
        .iter()
        .filter(|c| c.starts_with("create_recipient"))
        .count();
    assert_eq!(
        before, after,
        "the same payout account is not registered twice"
    );
    let profile_events = ajo
        .store
        .load(&ajo_core::ports::StreamId::new(
            ajo_core::ports::StreamKind::Member,
            "ada",
        ))
        .await
        .unwrap();
    // The stream also indexes the member's groups (one `JoinedGroup` each).
    let profiles_set = profile_events
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                ajo_core::ports::DomainEvent::Member(ajo_core::member::MemberEvent::ProfileSet(_))
            )
        })
        .count();
    assert_eq!(profiles_set, 1);
    let mut changed = builders::contact("ada");
    changed.payout_account.as_mut().unwrap().account_number = "9999999999".into();
    ajo.service.set_contact(&m("ada"), &changed).await.unwrap();
    assert_eq!(
        ajo.gateway
            .calls()
            .iter()
            .filter(|c| c.starts_with("create_recipient"))
            .count(),
        after + 1,
        "a new account is registered"
    );
    assert!(
        !format!("{:?}", ajo.service.profile(&m("ada")).await.unwrap()).contains("9999999999"),
        "account numbers never print"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_schedulers_at_once_do_each_thing_once() {
    let (ajo, id) = started().await;
    let due = ajo
        .service
        .group(&id)
        .await
        .unwrap()
        .round(1)
        .unwrap()
        .due_date;
    ajo.clock.set(noon(due - Duration::days(2)));
    // Two hosts tick at the same moment, twice each.
    let (a, b) = (ajo.service.clone(), ajo.service.clone());
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { (a.tick().await.unwrap(), a.tick().await.unwrap()) }),
        tokio::spawn(async move { (b.tick().await.unwrap(), b.tick().await.unwrap()) })
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(ra.0.errors.is_empty() && rb.0.errors.is_empty());
    let reminders = ajo
        .store
        .outbox()
        .iter()
        .filter(|r| r.message.id.contains(":reminder"))
        .count();
    assert_eq!(reminders, 10, "five members, email and SMS, once");
    // Everyone but bola pays; after grace both schedulers race over penalty, cover, payout.
    for hand in [1u32, 3, 4, 5] {
        let c = ajo
            .service
            .request_contribution(&id, 1, HandId::new(hand).unwrap())
            .await
            .unwrap();
        ajo.service
            .handle_gateway_event(&ajo.gateway.pay(&c.reference).unwrap())
            .await
            .unwrap();
    }
    ajo.clock.set(noon(due + Duration::days(2)));
    let (a, b) = (ajo.service.clone(), ajo.service.clone());
    let (x, y) = tokio::join!(
        tokio::spawn(async move { a.tick().await.unwrap() }),
        tokio::spawn(async move { b.tick().await.unwrap() })
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert!(
        x.errors.is_empty() && y.errors.is_empty(),
        "{:?} {:?}",
        x.errors,
        y.errors
    );
    let state = ajo.service.group(&id).await.unwrap();
    assert!(state.round(1).unwrap().paid_out);
    let penalties = state
        .dues()
        .filter(|d| d.penalty_charged.is_positive())
        .count();
    assert_eq!(penalties, 1);
    assert_eq!(
        state.penalties_owed(&m("bola")),
        ngn("500"),
        "the penalty is charged once"
    );
    let payouts = ajo
        .gateway
        .calls()
        .iter()
        .filter(|c| c.as_str() == "send_payout:ajo=out=balogun=r1")
        .count();
    assert!(payouts >= 1);
    assert_eq!(ajo.gateway.payouts().len(), 1, "one payout at the gateway");
    let accounts = state.accounts().unwrap();
    assert!(
        ajo.store
            .balance(&accounts.wallet(&m("ada")))
            .await
            .unwrap()
            .is_zero(),
        "paid once, not twice"
    );
    trial_balance_is_zero(ajo.store.as_ref()).await;
}

#[tokio::test]
async fn charge_reports_out_of_order_credit_once() {
    use ajo_core::webhook::{GatewayEvent, Provider};
    let (ajo, id) = started().await;
    // Hand 1: a declined attempt is reported before the payment that worked. A success
    // after a failure is money received: recorded.
    let first = ajo
        .service
        .request_contribution(&id, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let declined = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::ChargeFailed,
        &first.reference,
        ngn("10000"),
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&declined).await.unwrap(),
        Handled::Recorded
    );
    let paid = ajo.gateway.pay(&first.reference).unwrap();
    assert_eq!(
        ajo.service.handle_gateway_event(&paid).await.unwrap(),
        Handled::Recorded
    );
    // Hand 2: the success first, then a stale failure: nothing changes.
    let second = ajo
        .service
        .request_contribution(&id, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    let paid_second = ajo.gateway.pay(&second.reference).unwrap();
    assert_eq!(
        ajo.service
            .handle_gateway_event(&paid_second)
            .await
            .unwrap(),
        Handled::Recorded
    );
    let stale = GatewayEvent::new(
        Provider::Paystack,
        PaymentEventKind::ChargeFailed,
        &second.reference,
        ngn("10000"),
    );
    assert_eq!(
        ajo.service.handle_gateway_event(&stale).await.unwrap(),
        Handled::Duplicate
    );
    // Every report again, in any order: nothing more.
    for event in [&paid, &declined, &paid_second, &stale] {
        assert_eq!(
            ajo.service.handle_gateway_event(event).await.unwrap(),
            Handled::Duplicate
        );
    }
    let state = ajo.service.group(&id).await.unwrap();
    for (hand, reference) in [(1, &first.reference), (2, &second.reference)] {
        assert_eq!(
            state.due(1, HandId::new(hand).unwrap()).unwrap().paid,
            ngn("10000")
        );
        let entries = ajo
            .store
            .entries(&EntryQuery {
                reference: Some(reference.clone()),
                ..EntryQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1, "{reference} credited once");
    }
    trial_balance_is_zero(ajo.store.as_ref()).await;
}
