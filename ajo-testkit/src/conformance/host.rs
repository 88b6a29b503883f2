//! What a host reads and is refused, over a store, on the path it takes: the group and
//! member views against the ledger after a full cycle, and the minimum group size at
//! `start`. Run on every store, since the views read the store's balances.

use std::sync::Arc;

use ajo_core::group::{GroupError, GroupState, GroupStatus};
use ajo_core::ids::{GroupId, MemberId};
use ajo_core::ledger::AccountKind;
use ajo_core::money::Money;
use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, ErrorKind, ServiceError};
use ajo_core::view::accounts_read;
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::builders::{contact, member, naira_group};
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Runs every check on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_full_cycle_agrees_with_the_ledger(factory().await).await;
    start_waits_for_the_configured_size(factory().await).await;
    views_of_what_does_not_exist_are_not_found(factory().await).await;
}

/// A clock between two microseconds, as a real one reads: everything decided with it
/// must still agree with what the store keeps.
fn sub_microsecond_clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(
        Utc.timestamp_opt(1_767_261_600, 123_456_789)
            .single()
            .unwrap(),
    ))
}

fn service_on(store: Arc<dyn Store>, clock: Arc<FakeClock>) -> (AjoService, Arc<FakeGateway>) {
    let gateway = Arc::new(FakeGateway::new());
    let service = AjoService::new(
        store,
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock as Arc<dyn Clock>,
    );
    (service, gateway)
}

fn at_noon_after(due: chrono::NaiveDate, days: i64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(due + Duration::days(days)).and_hms_opt(11, 0, 0).unwrap())
        + Duration::nanoseconds(987_654_321)
}

/// Three members join (deposits paid), pay every round, every payout is made and sent
/// and the deposits refunded. Then, for every account of the group, the group's own
/// postings agree with the ledger (the wallets, which payouts debit outside the group's
/// stream, are zero in both the ledger and the views), nobody owes a deposit any more,
/// and the views and the state serialize to JSON.
pub async fn a_full_cycle_agrees_with_the_ledger(store: Arc<dyn Store>) {
    let clock = sub_microsecond_clock();
    let (service, gateway) = service_on(store.clone(), clock.clone());
    let id = GroupId::new("full-cycle").unwrap();
    let start = (clock.now() + Duration::days(10)).date_naive();
    service
        .create_group(
            &id,
            naira_group("Full cycle", 2_000, start).build().unwrap(),
        )
        .await
        .unwrap();
    let names = ["ada", "bola", "chidi"];
    crate::drive::join_and_start(&service, &gateway, &id, &names).await;
    let before = service.member_view(&id, &member("ada")).await.unwrap();
    assert_eq!(
        before.deposit_owed,
        Money::zero(before.deposit_held.currency())
    );
    assert!(before.deposit_held.is_positive(), "{before:?}");

    for round in 1..=3 {
        crate::drive::pay_round(&service, &gateway, &id, round, 3).await;
        let due = service
            .group(&id)
            .await
            .unwrap()
            .round(round)
            .unwrap()
            .due_date;
        clock.set(at_noon_after(due, 2));
        let report = service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        // Payouts (and at the end refunds) made by one tick are sent by the next.
        let report = service.tick().await.unwrap();
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }

    let state: GroupState = service.group(&id).await.unwrap();
    assert_eq!(state.status(), GroupStatus::Completed);
    let view = service.group_view(&id).await.unwrap();
    assert!(view.rounds.iter().all(|r| r.paid_out), "{view:?}");
    assert!(
        view.hands.iter().all(|h| h.paid_in_round.is_some()),
        "{view:?}"
    );
    let zero = Money::zero(view.pot.currency());
    assert_eq!(
        (view.pot, view.deposits_held, view.deposits_owed),
        (zero, zero, zero)
    );

    let books = state.accounts().unwrap();
    let mut accounts = accounts_read(&state);
    accounts.push(books.penalty_income());
    for account in accounts {
        let ledger = store.balance(&account).await.unwrap();
        if account.kind() == AccountKind::MemberWallet {
            // Credited by the group at each payout, debited by the payout when sent.
            assert_eq!(ledger, zero, "{account} once every payout is sent");
        } else {
            assert_eq!(state.balance(&account), ledger, "{account}");
        }
    }
    for name in names {
        let who = member(name);
        assert_eq!(state.deposit_owed(&who), zero, "{name} after the refund");
        let mine = service.member_view(&id, &who).await.unwrap();
        assert_eq!(
            (
                mine.deposit_owed,
                mine.deposit_held,
                mine.wallet,
                mine.to_settle
            ),
            (zero, zero, zero, zero),
            "{mine:?}"
        );
        assert_eq!(mine.dues.len(), 3, "one due a round for their one hand");
        assert!(
            mine.dues.iter().all(|d| d.outstanding.is_zero()),
            "{mine:?}"
        );
    }

    let json = serde_json::to_string(&state).expect("the state serializes to JSON");
    let back: GroupState = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(back, state);
    serde_json::to_value(&view).expect("the group view serializes to JSON");
    crate::assert_books_balance(store.as_ref()).await;
}

/// A group of five (`size(5)`) does not start with two members: a typed refusal, which
/// changes nothing; with five it starts.
pub async fn start_waits_for_the_configured_size(store: Arc<dyn Store>) {
    let (service, gateway) = service_on(store, sub_microsecond_clock());
    let id = GroupId::new("five").unwrap();
    let start = (Utc::now() + Duration::days(10)).date_naive();
    let config = naira_group("Five", 2_000, start).size(5).build().unwrap();
    service.create_group(&id, config).await.unwrap();
    let names = ["ada", "bola", "chidi", "dayo", "efe"];
    for name in &names[..2] {
        let receipt = service
            .join(&id, &member(name), 1, &contact(name))
            .await
            .unwrap();
        let deposit = receipt.deposit.unwrap();
        let paid = gateway.pay(&deposit.reference).unwrap();
        service.handle_gateway_event(&paid).await.unwrap();
    }
    let refused = service.start(&id).await.unwrap_err();
    assert_eq!(
        refused,
        ServiceError::Group(GroupError::TooFewHands { hands: 2, min: 5 })
    );
    assert_eq!(refused.kind(), ErrorKind::Refused);
    assert_eq!(
        service.group(&id).await.unwrap().status(),
        GroupStatus::Forming
    );
    for name in &names[2..] {
        let receipt = service
            .join(&id, &member(name), 1, &contact(name))
            .await
            .unwrap();
        let paid = gateway.pay(&receipt.deposit.unwrap().reference).unwrap();
        service.handle_gateway_event(&paid).await.unwrap();
    }
    service.start(&id).await.unwrap();
    let view = service.group_view(&id).await.unwrap();
    assert_eq!((view.status, view.hands.len()), (GroupStatus::Active, 5));
}

/// A view of an unknown group, or of someone not in the group, is not found.
pub async fn views_of_what_does_not_exist_are_not_found(store: Arc<dyn Store>) {
    let (service, _) = service_on(store, sub_microsecond_clock());
    let id = GroupId::new("nobody-here").unwrap();
    let error = service.group_view(&id).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error:?}");
    let start = (Utc::now() + Duration::days(10)).date_naive();
    service
        .create_group(&id, naira_group("Empty", 2_000, start).build().unwrap())
        .await
        .unwrap();
    let stranger = MemberId::new("stranger").unwrap();
    let error = service.member_view(&id, &stranger).await.unwrap_err();
    assert_eq!(
        error,
        ServiceError::Group(GroupError::UnknownMember(stranger))
    );
    assert_eq!(error.kind(), ErrorKind::NotFound);
}
