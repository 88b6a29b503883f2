//! The service's errors say what went wrong, reachable through `AjoService` on the
//! in-memory store, and their predicates sort them for a host.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ajo_core::group::GroupError;
use ajo_core::ids::{GroupId, HandId, LoanId, MemberId};
use ajo_core::loan::{LoanError, LoanPolicy, LoanStatus, LoanTerms};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{GatewayError, StoreError, StreamId, StreamKind};
use ajo_core::service::{LoanRequest, ServiceError};
use ajo_testkit::{Embedded, builders, drive};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

/// A started group of two, the clock ten days before its first due date.
async fn started() -> (Embedded, GroupId) {
    let ajo = Embedded::new(
        Utc.from_utc_datetime(
            &(start_date() - Duration::days(10))
                .and_hms_opt(11, 0, 0)
                .unwrap(),
        ),
    );
    let group = GroupId::new("oke-arin").unwrap();
    let config = builders::naira_group("Oke Arin", 10_000, start_date())
        .deposit(ajo_core::group::deposit::DepositRule::None)
        .build()
        .unwrap();
    ajo.service.create_group(&group, config).await.unwrap();
    drive::join_and_start(&ajo.service, &ajo.gateway, &group, &["ada", "bola"]).await;
    (ajo, group)
}

#[tokio::test]
async fn asking_for_a_paid_contribution_is_nothing_owed() {
    let (ajo, group) = started().await;
    drive::pay_round(&ajo.service, &ajo.gateway, &group, 1, 2).await;
    let hand = HandId::new(1).unwrap();
    let error = ajo
        .service
        .request_contribution(&group, 1, hand)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ServiceError::Group(GroupError::NothingOwed { round: 1, hand })
    );
    assert_eq!(error.to_string(), "round 1 hand h1 owes nothing");
    assert!(error.is_refused() && !error.is_retryable() && !error.is_not_found());
}

#[tokio::test]
async fn an_unknown_round_or_hand_is_named() {
    let (ajo, group) = started().await;
    let error = ajo
        .service
        .request_contribution(&group, 9, HandId::new(1).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ServiceError::UnknownRound {
            group: group.clone(),
            round: 9
        }
    );
    assert!(error.is_not_found() && !error.is_refused());

    let hand = HandId::new(7).unwrap();
    let error = ajo
        .service
        .request_contribution(&group, 1, hand)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ServiceError::UnknownHand {
            group: group.clone(),
            hand
        }
    );
    assert_eq!(error.to_string(), "group oke-arin has no hand h7");
    assert!(error.is_not_found());

    let missing = GroupId::new("nowhere").unwrap();
    let error = ajo
        .service
        .request_contribution(&missing, 1, HandId::MIN)
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)) && error.is_not_found());
}

#[tokio::test]
async fn a_repayment_on_a_loan_not_yet_paid_out_is_refused() {
    let (ajo, group) = started().await;
    let loan = LoanId::new("ln-ada-1").unwrap();
    let terms = LoanTerms::builder(
        Money::parse("3000", Currency::NGN).unwrap(),
        "0.24".parse().unwrap(),
        3,
        start_date(),
    )
    .build()
    .unwrap();
    ajo.service
        .apply_for_loan(LoanRequest {
            id: loan.clone(),
            group,
            member: MemberId::new("ada").unwrap(),
            terms,
            policy: LoanPolicy::default(),
        })
        .await
        .unwrap();
    // Applied for, not disbursed: it takes no money yet.
    let error = ajo
        .service
        .request_loan_repayment(&loan, None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ServiceError::Loan(e) if matches!(**e, LoanError::IllegalTransition { status: LoanStatus::Pending, .. })
        ),
        "{error:?}"
    );
    assert!(error.is_refused());
}

#[test]
fn predicates_sort_errors_for_a_host() {
    let stream = StreamId::new(StreamKind::Group, "g");
    let conflict = ServiceError::Store(StoreError::Conflict {
        stream: stream.clone(),
        expected: 1,
        actual: 2,
    });
    assert!(conflict.is_conflict() && conflict.is_retryable());
    let contention = ServiceError::TooMuchContention {
        stream: stream.clone(),
        attempts: 5,
    };
    assert!(contention.is_conflict() && contention.is_retryable());
    let entry = ServiceError::Store(StoreError::EntryConflict { key: "k".into() });
    assert!(entry.is_conflict() && !entry.is_retryable());
    let down = ServiceError::Store(StoreError::Unavailable { reason: "x".into() });
    assert!(down.is_retryable() && !down.is_conflict());
    assert!(ServiceError::Gateway(GatewayError::Timeout).is_retryable());
    assert!(!ServiceError::Gateway(GatewayError::InsufficientFunds).is_retryable());
    assert!(ServiceError::NotFound(stream).is_not_found());
    let unknown_member =
        ServiceError::Group(GroupError::UnknownMember(MemberId::new("zed").unwrap()));
    assert!(unknown_member.is_not_found() && !unknown_member.is_refused());
    let refused = ServiceError::Group(GroupError::NoHands);
    assert!(refused.is_refused() && !refused.is_retryable() && !refused.is_conflict());
    let bug = ServiceError::Group(GroupError::Ledger(
        ajo_core::ledger::LedgerError::InvalidKey { len: 0 },
    ));
    assert!(!bug.is_refused());
    assert!(ServiceError::from(LoanError::NothingDue).is_refused());
    assert!(!ServiceError::from(LoanError::EventDoesNotApply { event: "x" }).is_refused());
}
