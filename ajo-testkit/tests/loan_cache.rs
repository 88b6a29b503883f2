//! The service keeps loan states as it keeps group states: never trusted over the store.
//!
//! Two hosts over one store each keep the loans they have read; each must see what the
//! other wrote since, so a loan moves through its life whichever host runs each step.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use ajo_core::ids::{GroupId, LoanId, MemberId};
use ajo_core::loan::{LoanError, LoanPolicy, LoanStatus, LoanTerms};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{Clock, EmailSender, PaymentGateway, SmsSender, Store};
use ajo_core::service::{AjoService, LoanRequest, ServiceError};
use ajo_testkit::{Embedded, builders};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

fn second_host(ajo: &Embedded) -> AjoService {
    AjoService::new(
        ajo.store.clone() as Arc<dyn Store>,
        ajo.gateway.clone() as Arc<dyn PaymentGateway>,
        ajo.email.clone() as Arc<dyn EmailSender>,
        ajo.sms.clone() as Arc<dyn SmsSender>,
        ajo.clock.clone() as Arc<dyn Clock>,
    )
}

#[tokio::test]
async fn each_host_sees_the_loan_steps_the_other_took() {
    let ajo = Embedded::new(
        Utc.from_utc_datetime(
            &(start_date() - Duration::days(10))
                .and_hms_opt(11, 0, 0)
                .unwrap(),
        ),
    );
    let (one, two) = (ajo.service.clone(), second_host(&ajo));
    let group = GroupId::new("oke-arin").unwrap();
    one.create_group(
        &group,
        builders::naira_group("Oke Arin", 10_000, start_date())
            .deposit(ajo_core::group::deposit::DepositRule::None)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let ada = MemberId::new("ada").unwrap();
    one.join(&group, &ada, 1, &builders::contact("ada"))
        .await
        .unwrap();
    let loan = LoanId::new("ln-ada-1").unwrap();
    let terms = LoanTerms::builder(
        Money::parse("30000", Currency::NGN).unwrap(),
        "0.24".parse().unwrap(),
        3,
        start_date(),
    )
    .build()
    .unwrap();
    one.apply_for_loan(LoanRequest {
        id: loan.clone(),
        group: group.clone(),
        member: ada.clone(),
        terms,
        policy: LoanPolicy::default(),
    })
    .await
    .unwrap();
    // Both hosts now keep the loan as pending.
    assert_eq!(
        two.loan(&loan).await.unwrap().status(),
        Some(LoanStatus::Pending)
    );
    two.approve_loan(&loan, "treasurer").await.unwrap();
    // Host one kept "pending"; it must read the approval before deciding.
    one.disburse_loan(&loan).await.unwrap();
    assert_eq!(
        one.loan(&loan).await.unwrap().status(),
        Some(LoanStatus::Disbursed)
    );
    // Host two kept "approved"; rejecting now must see the disbursement and refuse.
    let refused = two.reject_loan(&loan, "changed my mind").await.unwrap_err();
    assert!(
        matches!(
            &refused,
            ServiceError::Loan(e) if matches!(**e, LoanError::IllegalTransition { status: LoanStatus::Disbursed, .. })
        ),
        "{refused:?}"
    );
    assert_eq!(
        two.loan(&loan).await.unwrap().status(),
        Some(LoanStatus::Disbursed)
    );
    assert_eq!(
        two.loan(&loan).await.unwrap(),
        one.loan(&loan).await.unwrap()
    );
}

#[tokio::test]
async fn an_unknown_loan_is_not_found() {
    let ajo = Embedded::new(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    let missing = LoanId::new("ln-none").unwrap();
    assert!(matches!(
        ajo.service.loan(&missing).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        ajo.service.approve_loan(&missing, "t").await,
        Err(ServiceError::NotFound(_))
    ));
}
