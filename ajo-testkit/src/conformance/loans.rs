//! Loans through [`AjoService`] over a store, on the path a host takes: eligibility from
//! a member's history, pot-funded loans that never short a payout, pay-off, default and
//! write-off, the overpayment policy per repayment, the borrower's notices, and the cost
//! of credit disclosed before and after disbursement.
//!
//! Every check runs on a clock read between two microseconds, as a real one is, and ends
//! with the books balanced and the chain verified.

use std::sync::Arc;

use ajo_core::eligibility::{LimitPolicy, Refusal};
use ajo_core::group::{GroupError, GroupEvent, GroupId};
use ajo_core::ids::{LoanId, MemberId};
use ajo_core::ledger::{Account, AccountKind, EntryDraft, verify_chain};
use ajo_core::loan::{LoanError, LoanPolicy, LoanStatus, Reamortize};
use ajo_core::money::{Currency, Money};
use ajo_core::penalty::{PenaltyKind, PenaltyRule};
use ajo_core::ports::{
    AppendRequest, Clock, DomainEvent, EmailSender, EntryQuery, PaymentGateway, SmsSender, Store,
    StreamId, StreamKind,
};
use ajo_core::service::{AjoService, Handled, LoanFunding, LoanOptions, LoanRequest, ServiceError};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

use crate::builders::{member, naira_group, naira_loan};
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Runs every check on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    eligibility_comes_from_the_members_history(factory().await).await;
    pay_off_default_and_write_off(factory().await).await;
    overpayment_policy_is_chosen_per_repayment(factory().await).await;
    pot_loans_never_leave_a_payout_short(factory().await).await;
    what_a_loan_cannot_take_is_refused(factory().await).await;
    a_loan_discloses_its_cost_of_credit(factory().await).await;
}

/// A service, its fakes and a clock at 09:00:00.123456789 UTC on 11 January 2026, twenty
/// days before the groups' first due date.
struct World {
    store: Arc<dyn Store>,
    service: AjoService,
    gateway: Arc<FakeGateway>,
    email: Arc<FakeEmail>,
    clock: Arc<FakeClock>,
}

fn ngn(naira: &str) -> Money {
    Money::parse(naira, Currency::NGN).unwrap()
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
}

fn world(store: Arc<dyn Store>) -> World {
    let clock = Arc::new(FakeClock::new(
        Utc.with_ymd_and_hms(2026, 1, 11, 9, 0, 0).unwrap() + Duration::nanoseconds(123_456_789),
    ));
    let gateway = Arc::new(FakeGateway::new());
    let email = Arc::new(FakeEmail::new());
    let service = AjoService::new(
        store.clone(),
        gateway.clone() as Arc<dyn PaymentGateway>,
        email.clone() as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    );
    World {
        store,
        service,
        gateway,
        email,
        clock,
    }
}

const MEMBERS: [&str; 4] = ["ada", "bola", "chidi", "dayo"];

/// A started group of four (₦10,000 a month, deposits of one contribution), round 1
/// paid by the first `payers` hands.
async fn group(w: &World, name: &str, lends_from_pot: bool, payers: u32) -> GroupId {
    let id = GroupId::new(name).unwrap();
    let config = naira_group(name, 10_000, start())
        .lends_from_pot(lends_from_pot)
        .build()
        .unwrap();
    w.service.create_group(&id, config).await.unwrap();
    crate::drive::join_and_start(&w.service, &w.gateway, &id, &MEMBERS).await;
    crate::drive::pay_round(&w.service, &w.gateway, &id, 1, payers).await;
    id
}

fn request(loan: &LoanId, group: &GroupId, who: &str, naira: i64) -> LoanRequest {
    LoanRequest {
        id: loan.clone(),
        group: group.clone(),
        member: member(who),
        terms: naira_loan(naira, "0.24", 3, start()).build().unwrap(),
        policy: LoanPolicy::default(),
    }
}

fn loan_error(result: Result<impl std::fmt::Debug, ServiceError>) -> LoanError {
    match result {
        Err(ServiceError::Loan(e)) => *e,
        other => panic!("expected a loan refusal, got {other:?}"),
    }
}

/// Pays a collection through the fake gateway's webhook.
async fn pay(w: &World, reference: &str) {
    let event = w.gateway.pay(reference).unwrap();
    assert_eq!(
        w.service.handle_gateway_event(&event).await.unwrap(),
        Handled::Recorded
    );
    assert_eq!(
        w.service.handle_gateway_event(&event).await.unwrap(),
        Handled::Duplicate,
        "a webhook replayed applies nothing twice"
    );
}

async fn approve_and_disburse(w: &World, loan: &LoanId) {
    w.service.approve_loan(loan, "organiser").await.unwrap();
    w.service.disburse_loan(loan).await.unwrap();
    let report = w.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

/// The subjects of the emails sent so far (the outbox delivered first).
async fn subjects(w: &World) -> Vec<String> {
    w.service.deliver_outbox(500).await.unwrap();
    w.email.sent().into_iter().map(|m| m.subject).collect()
}

async fn books_balance_and_verify(store: &dyn Store) {
    crate::assert_books_balance(store).await;
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    verify_chain(&entries).expect("the chain verifies");
}

/// A member's record comes from their dues, payments and loans; with a policy the limit
/// is enforced (the refusal carries the limit and every reason), a loan asked for counts
/// against the next, and a member in arrears is refused.
pub async fn eligibility_comes_from_the_members_history(store: Arc<dyn Store>) {
    let w = world(store);
    let id = group(&w, "elig", false, 3).await;
    assert!(
        w.service
            .member_record(&MemberId::new("stranger").unwrap())
            .await
            .unwrap_err()
            .is_not_found()
    );
    let ada = w.service.member_record(&member("ada")).await.unwrap();
    assert_eq!(ada.total_contributed(), ngn("10000"));
    assert_eq!(ada.months_active(), 0);
    assert!(ada.on_time_ratio().is_zero(), "nothing has fallen due yet");
    assert!(ada.arrears().is_zero() && ada.outstanding_loans().is_zero());

    let policy = LimitPolicy::new("3".parse().unwrap(), ngn("500000")).unwrap();
    let options = LoanOptions::default().eligibility(policy);
    let first = LoanId::new("elig-ada-1").unwrap();
    let refused = loan_error(
        w.service
            .apply_for_loan_with(request(&first, &id, "ada", 40_000), options.clone())
            .await,
    );
    assert_eq!(
        refused,
        LoanError::NotEligible {
            limit: ngn("30000"),
            refusals: vec![Refusal::RequestAboveLimit {
                requested: ngn("40000"),
                limit: ngn("30000"),
            }],
        }
    );
    assert!(
        w.service.loan(&first).await.unwrap_err().is_not_found(),
        "nothing stored"
    );
    w.service
        .apply_for_loan_with(request(&first, &id, "ada", 30_000), options.clone())
        .await
        .unwrap();
    let ada = w.service.member_record(&member("ada")).await.unwrap();
    assert_eq!(
        ada.outstanding_loans(),
        ngn("30000"),
        "a pending loan counts"
    );
    let second = LoanId::new("elig-ada-2").unwrap();
    let refused = loan_error(
        w.service
            .apply_for_loan_with(request(&second, &id, "ada", 1_000), options.clone())
            .await,
    );
    assert!(
        matches!(&refused, LoanError::NotEligible { limit, refusals }
            if limit.is_zero()
                && refusals.iter().any(|r| matches!(r, Refusal::NoContributionHeadroom { .. }))),
        "{refused:?}"
    );

    // Past round 1's grace: dayo never paid (his deposit covered it, a penalty charged).
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 2, 3, 9, 0, 0).unwrap());
    let report = w.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let bola = w.service.member_record(&member("bola")).await.unwrap();
    assert_eq!(bola.on_time_ratio(), "1".parse().unwrap());
    let dayo = w.service.member_record(&member("dayo")).await.unwrap();
    assert!(dayo.on_time_ratio().is_zero(), "{dayo:?}");
    assert!(dayo.arrears().is_positive(), "{dayo:?}");
    let third = LoanId::new("elig-dayo-1").unwrap();
    let refused = loan_error(
        w.service
            .apply_for_loan_with(request(&third, &id, "dayo", 1_000), options)
            .await,
    );
    assert!(
        matches!(&refused, LoanError::NotEligible { refusals, .. }
            if refusals.iter().any(|r| matches!(r, Refusal::InArrears { .. }))),
        "{refused:?}"
    );
    books_balance_and_verify(w.store.as_ref()).await;
}

/// One loan is paid off early for its quote (one webhook settles it); another falls
/// overdue (a penalty and an arrears notice), is declared in default and written off.
/// Each is one command with balanced entries; asking again is refused, and the default
/// stays on the member's record.
pub async fn pay_off_default_and_write_off(store: Arc<dyn Store>) {
    let w = world(store);
    let id = group(&w, "settle", false, 4).await;
    let ada = LoanId::new("settle-ada").unwrap();
    w.service
        .apply_for_loan(request(&ada, &id, "ada", 30_000))
        .await
        .unwrap();
    approve_and_disburse(&w, &ada).await;
    w.clock.advance(Duration::days(10));
    let quote = w.service.loan_payoff_quote(&ada).await.unwrap();
    assert!(
        quote.total > ngn("30000") && quote.total < ngn("31800"),
        "{quote:?}"
    );
    let collection = w.service.request_loan_payoff(&ada).await.unwrap();
    pay(&w, &collection.reference).await;
    let state = w.service.loan(&ada).await.unwrap();
    assert_eq!(state.status(), Some(LoanStatus::Repaid));
    let receivable = Account::new(id.as_str(), AccountKind::LoansReceivable, Currency::NGN);
    assert!(w.store.balance(&receivable).await.unwrap().is_zero());
    assert!(
        w.service.loan_payoff_quote(&ada).await.is_err(),
        "a repaid loan has no quote"
    );
    let sent = subjects(&w).await;
    assert_eq!(
        sent.iter()
            .filter(|s| s.starts_with("Loan repayment received"))
            .count(),
        1,
        "{sent:?}"
    );

    let bola = LoanId::new("settle-bola").unwrap();
    let penalty = PenaltyRule::new(PenaltyKind::FlatFee { fee: ngn("500") }, 1).unwrap();
    w.service
        .apply_for_loan(LoanRequest {
            policy: LoanPolicy {
                penalty,
                ..LoanPolicy::default()
            },
            ..request(&bola, &id, "bola", 20_000)
        })
        .await
        .unwrap();
    approve_and_disburse(&w, &bola).await;
    assert!(matches!(
        loan_error(w.service.mark_loan_defaulted(&bola, "too early").await),
        LoanError::NothingOverdue { .. }
    ));
    w.clock.advance(Duration::days(40));
    let report = w.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let sent = subjects(&w).await;
    assert!(
        sent.iter()
            .any(|s| s == "Late penalty of ₦500.00 on your loan"),
        "{sent:?}"
    );
    assert!(
        sent.iter()
            .any(|s| s.starts_with("Your loan is in arrears")),
        "{sent:?}"
    );
    w.service
        .mark_loan_defaulted(&bola, "no word for a month")
        .await
        .unwrap();
    assert_eq!(
        w.service.loan(&bola).await.unwrap().status(),
        Some(LoanStatus::Defaulted)
    );
    assert!(matches!(
        loan_error(w.service.mark_loan_defaulted(&bola, "again").await),
        LoanError::IllegalTransition { .. }
    ));
    let written = w.service.write_off_loan(&bola).await.unwrap();
    assert_eq!(written, ngn("20000"), "nothing of the principal was repaid");
    let losses = Account::new(id.as_str(), AccountKind::LoanLosses, Currency::NGN);
    assert_eq!(w.store.balance(&losses).await.unwrap(), ngn("20000"));
    assert!(w.store.balance(&receivable).await.unwrap().is_zero());
    assert!(matches!(
        loan_error(w.service.write_off_loan(&bola).await),
        LoanError::IllegalTransition { .. }
    ));
    // The default stays on bola's record: a host that checks eligibility refuses him.
    let record = w.service.member_record(&member("bola")).await.unwrap();
    assert_eq!(record.defaulted_loans(), 1);
    assert!(
        record.outstanding_loans().is_zero(),
        "written off: nothing owed"
    );
    let policy = LimitPolicy::new("3".parse().unwrap(), ngn("500000")).unwrap();
    let refused = loan_error(
        w.service
            .apply_for_loan_with(
                request(&LoanId::new("settle-bola-2").unwrap(), &id, "bola", 1_000),
                LoanOptions::default().eligibility(policy),
            )
            .await,
    );
    assert!(
        matches!(&refused, LoanError::NotEligible { refusals, .. }
            if refusals.contains(&Refusal::DefaultedBefore { loans: 1 })),
        "{refused:?}"
    );
    books_balance_and_verify(w.store.as_ref()).await;
}

/// Two equal loans, each repaid ₦25,000 at once: kept installments end sooner under
/// "shorten the term", the same dates carry smaller installments under "lower the
/// installment".
pub async fn overpayment_policy_is_chosen_per_repayment(store: Arc<dyn Store>) {
    let w = world(store);
    let id = group(&w, "overpay", false, 4).await;
    let mut unsettled = Vec::new();
    for (who, policy) in [
        ("ada", Reamortize::ShortenTerm),
        ("bola", Reamortize::LowerInstallment),
    ] {
        let loan = LoanId::new(format!("overpay-{who}")).unwrap();
        w.service
            .apply_for_loan(request(&loan, &id, who, 30_000))
            .await
            .unwrap();
        approve_and_disburse(&w, &loan).await;
        // Asked first under the other policy: that checkout is not handed back for this
        // one, so the payment is applied as this one says.
        let other = match policy {
            Reamortize::ShortenTerm => Reamortize::LowerInstallment,
            _ => Reamortize::ShortenTerm,
        };
        let first = w
            .service
            .request_loan_repayment_with(&loan, Some(ngn("25000")), other)
            .await
            .unwrap();
        let collection = w
            .service
            .request_loan_repayment_with(&loan, Some(ngn("25000")), policy)
            .await
            .unwrap();
        assert_ne!(
            collection.reference, first.reference,
            "another policy, another checkout"
        );
        pay(&w, &collection.reference).await;
        let state = w.service.loan(&loan).await.unwrap();
        let left: Vec<Money> = state
            .loan()
            .unwrap()
            .installments()
            .iter()
            .map(|i| i.remaining_total().unwrap())
            .filter(Money::is_positive)
            .collect();
        unsettled.push(left);
    }
    assert_eq!(unsettled[0].len(), 1, "shortened: {:?}", unsettled[0]);
    assert_eq!(unsettled[1].len(), 2, "lowered: {:?}", unsettled[1]);
    assert!(
        unsettled[1][0] < unsettled[0][0],
        "lowered installments are smaller: {unsettled:?}"
    );
    let sent = subjects(&w).await;
    assert_eq!(
        sent.iter()
            .filter(|s| s.as_str() == "Loan repayment received: ₦25,000.00")
            .count(),
        2,
        "{sent:?}"
    );
    books_balance_and_verify(w.store.as_ref()).await;
}

/// A pot lends only what no payout of an unpaid round needs: none while round 1's
/// contributions wait for their payout; idle savings once there are some, once (two
/// disbursements asked together: one is paid out, the other refused, whether it was
/// decided after the first or conflicted with it on the group's stream); round 1 is
/// still paid in full; repayments go back into the pot.
pub async fn pot_loans_never_leave_a_payout_short(store: Arc<dyn Store>) {
    let w = world(store);
    let closed = group(&w, "no-pot", false, 4).await;
    let refused = loan_error(
        w.service
            .apply_for_loan_with(
                request(&LoanId::new("np-1").unwrap(), &closed, "ada", 1_000),
                LoanOptions::default().funding(LoanFunding::Pot),
            )
            .await,
    );
    assert!(
        matches!(refused, LoanError::PotLendingOff { .. }),
        "{refused:?}"
    );

    let id = group(&w, "pot", true, 4).await;
    let pot = Account::new(id.as_str(), AccountKind::GroupPot, Currency::NGN);
    let held = |w: &World| {
        let (store, pot) = (w.store.clone(), pot.clone());
        async move { store.balance(&pot).await.unwrap().negated() }
    };
    assert_eq!(held(&w).await, ngn("40000"), "round 1 collected");
    assert!(w.service.lendable_from_pot(&id).await.unwrap().is_zero());
    let from_pot = LoanOptions::default().funding(LoanFunding::Pot);
    let refused = loan_error(
        w.service
            .apply_for_loan_with(
                request(&LoanId::new("pot-0").unwrap(), &id, "ada", 1_000),
                from_pot.clone(),
            )
            .await,
    );
    assert_eq!(
        refused,
        LoanError::PotCannotLend {
            requested: ngn("1000"),
            lendable: ngn("0"),
        }
    );

    // Savings the group moved into its pot (booked by hand, as a host's own transfer).
    let clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN);
    let savings = EntryDraft::new("pot:savings", "savings moved into the pot")
        .debit(clearing, ngn("20000"))
        .credit(pot.clone(), ngn("20000"))
        .balance()
        .unwrap();
    w.store
        .append(AppendRequest {
            streams: Vec::new(),
            entries: vec![savings],
            outbox: Vec::new(),
            idempotency_key: None,
            at: w.clock.now().into(),
        })
        .await
        .unwrap();
    assert_eq!(
        w.service.lendable_from_pot(&id).await.unwrap(),
        ngn("20000")
    );

    let (ada, bola) = (
        LoanId::new("pot-ada").unwrap(),
        LoanId::new("pot-bola").unwrap(),
    );
    for (loan, who) in [(&ada, "ada"), (&bola, "bola")] {
        w.service
            .apply_for_loan_with(request(loan, &id, who, 20_000), from_pot.clone())
            .await
            .unwrap();
        w.service.approve_loan(loan, "organiser").await.unwrap();
    }
    let (one, two) = tokio::join!(
        w.service.disburse_loan(&ada),
        w.service.disburse_loan(&bola)
    );
    let outcomes = [one, two];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    let refusal = outcomes.into_iter().find_map(Result::err).unwrap();
    assert!(
        matches!(&refusal, ServiceError::Loan(e) if matches!(**e, LoanError::PotCannotLend { .. })),
        "{refusal:?}"
    );
    let lent = if w.service.loan(&ada).await.unwrap().status() == Some(LoanStatus::Disbursed) {
        ada
    } else {
        bola
    };
    assert_eq!(held(&w).await, ngn("40000"), "the principal left the pot");
    assert!(w.service.lendable_from_pot(&id).await.unwrap().is_zero());
    let group_events = w
        .store
        .load(&StreamId::new(StreamKind::Group, id.as_str()))
        .await
        .unwrap();
    assert!(group_events.iter().any(|r| matches!(
        &r.event,
        DomainEvent::Group(GroupEvent::LentFromPot { loan, principal })
            if loan == &lent && *principal == ngn("20000")
    )));

    // Round 1 is paid out in full at its grace end, the loan notwithstanding.
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 2, 2, 9, 0, 0).unwrap());
    let report = w.service.tick().await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let group = w.service.group(&id).await.unwrap();
    assert!(group.round(1).unwrap().paid_out);
    assert!(
        held(&w).await.is_zero(),
        "the payout took round 1's ₦40,000"
    );
    assert!(
        w.gateway
            .payouts()
            .values()
            .any(|(amount, _)| *amount == ngn("40000")),
        "{:?}",
        w.gateway.payouts()
    );

    // A repayment goes back into the pot (principal, interest and all).
    let collection = w.service.request_loan_repayment(&lent, None).await.unwrap();
    pay(&w, &collection.reference).await;
    let back = held(&w).await;
    assert!(back.is_positive(), "{back}");
    assert_eq!(w.service.lendable_from_pot(&id).await.unwrap(), back);

    // Written off, the loan's principal comes back to the pot's account against the
    // group's loan losses; the money is gone, so the pot lends no more than before.
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 25, 9, 0, 0).unwrap());
    w.service
        .mark_loan_defaulted(&lent, "stopped paying")
        .await
        .unwrap();
    let written = w.service.write_off_loan(&lent).await.unwrap();
    assert!(written.is_positive());
    assert_eq!(
        held(&w).await,
        back.checked_add(written).unwrap(),
        "the pot's account"
    );
    assert_eq!(
        w.service.lendable_from_pot(&id).await.unwrap(),
        back,
        "not the written-off money"
    );
    books_balance_and_verify(w.store.as_ref()).await;
}

/// Only a member still in the group borrows through it; a repayment asked without an
/// amount takes every overdue installment; an amount that is not positive or in another
/// currency, or any repayment of a loan already repaid, is refused before the gateway is
/// asked.
pub async fn what_a_loan_cannot_take_is_refused(store: Arc<dyn Store>) {
    let w = world(store);
    let id = group(&w, "limits", false, 4).await;
    let stranger = LoanId::new("ln-stranger").unwrap();
    let refused = w
        .service
        .apply_for_loan(request(&stranger, &id, "stranger", 10_000))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ServiceError::Group(GroupError::UnknownMember(_))),
        "{refused:?}"
    );
    assert!(
        w.store
            .load(&StreamId::new(StreamKind::Loan, "ln-stranger"))
            .await
            .unwrap()
            .is_empty()
    );

    let loan = LoanId::new("ln-ada-limits").unwrap();
    w.service
        .apply_for_loan(request(&loan, &id, "ada", 30_000))
        .await
        .unwrap();
    approve_and_disburse(&w, &loan).await;
    let calls = w.gateway.calls().len();
    assert!(matches!(
        loan_error(
            w.service
                .request_loan_repayment(&loan, Some(ngn("0")))
                .await
        ),
        LoanError::NonPositivePayment { .. }
    ));
    let dollars = Money::parse("10", Currency::USD).unwrap();
    assert!(matches!(
        loan_error(w.service.request_loan_repayment(&loan, Some(dollars)).await),
        LoanError::CurrencyMismatch { .. }
    ));
    assert_eq!(w.gateway.calls().len(), calls, "the gateway was not asked");

    // Two installments overdue: the default amount is both.
    w.clock.advance(Duration::days(70));
    let state = w.service.loan(&loan).await.unwrap();
    let today = w.clock.now().date_naive();
    let rows = state.loan().unwrap().installments();
    let overdue: Vec<Money> = rows
        .iter()
        .filter(|i| i.row().due_date <= today)
        .map(|i| i.remaining_total().unwrap())
        .collect();
    assert_eq!(overdue.len(), 2, "{today}");
    let asked = w.service.request_loan_repayment(&loan, None).await.unwrap();
    let amount = w
        .store
        .load(&StreamId::new(StreamKind::Payment, &asked.reference))
        .await
        .unwrap()
        .into_iter()
        .find_map(|r| match r.event {
            DomainEvent::Payment(ajo_core::payment::PaymentEvent::Requested { amount, .. }) => {
                Some(amount)
            }
            _ => None,
        })
        .expect("the repayment asked for");
    assert_eq!(
        amount,
        Money::checked_sum(Currency::NGN, &overdue).unwrap(),
        "both overdue installments"
    );

    let payoff = w.service.request_loan_payoff(&loan).await.unwrap();
    pay(&w, &payoff.reference).await;
    assert_eq!(
        w.service.loan(&loan).await.unwrap().status(),
        Some(LoanStatus::Repaid)
    );
    assert!(matches!(
        loan_error(w.service.request_loan_repayment(&loan, None).await),
        LoanError::IllegalTransition { .. }
    ));
    books_balance_and_verify(w.store.as_ref()).await;
}

/// The cost of credit a host shows the borrower: before approval from the terms applied
/// for, after disbursement from the schedule as booked (dated from the day the money
/// left, 11 January, not the 31st asked for); amount financed net of the fee withheld,
/// the finance charge as the difference, and the APR of the dated flows by either
/// convention, the same as the schedule's own.
pub async fn a_loan_discloses_its_cost_of_credit(store: Arc<dyn Store>) {
    use ajo_core::loan::apr::{Convention, UnitPeriod};
    use ajo_core::loan::{FeeCollection, Schedule, UpfrontFee};

    let w = world(store);
    let id = group(&w, "disclose", false, 4).await;
    let loan = LoanId::new("disclose-ada").unwrap();
    let terms = naira_loan(30_000, "0.24", 6, start())
        .fee(UpfrontFee::percentage(
            "0.02".parse().unwrap(),
            FeeCollection::Deducted,
        ))
        .build()
        .unwrap();
    w.service
        .apply_for_loan(LoanRequest {
            terms: terms.clone(),
            ..request(&loan, &id, "ada", 30_000)
        })
        .await
        .unwrap();
    let us = Convention::UsRegZ(UnitPeriod::MONTH);
    let shown = w.service.loan_cost_of_credit(&loan, us).await.unwrap();
    assert_eq!(shown.amount_financed, ngn("29400"));
    assert_eq!(shown.fees.len(), 1);
    assert_eq!(shown.fees[0].amount, ngn("600"));
    assert_eq!(
        shown.finance_charge,
        shown
            .total_of_payments
            .checked_sub(shown.amount_financed)
            .unwrap()
    );
    let applied = Schedule::new(&terms).unwrap();
    assert_eq!(shown.total_of_payments, applied.total_payable().unwrap());
    let rates = applied.rates().unwrap();
    assert!((shown.apr.annual_rate - rates.apr).abs() < "1e-15".parse().unwrap());
    // The 2 % withheld costs more than the 24 % nominal rate.
    assert!(
        shown.apr.annual_rate > "0.24".parse().unwrap(),
        "{:?}",
        shown.apr
    );

    approve_and_disburse(&w, &loan).await;
    let booked = w.service.loan(&loan).await.unwrap();
    let schedule = booked.loan().unwrap().schedule().unwrap().clone();
    assert_eq!(
        schedule.rows()[0].due_date,
        NaiveDate::from_ymd_opt(2026, 2, 11).unwrap(),
        "dated from the disbursement"
    );
    let shown = w.service.loan_cost_of_credit(&loan, us).await.unwrap();
    assert_eq!(shown, schedule.cost_of_credit(us).unwrap());
    let eu = w
        .service
        .loan_cost_of_credit(&loan, Convention::EuCcd)
        .await
        .unwrap();
    assert_eq!(eu.amount_financed, shown.amount_financed);
    assert!(
        eu.apr.annual_rate > shown.apr.annual_rate,
        "compounded: {:?}",
        eu.apr
    );

    let unknown = LoanId::new("disclose-nobody").unwrap();
    assert!(matches!(
        w.service.loan_cost_of_credit(&unknown, us).await,
        Err(ServiceError::NotFound(_))
    ));
    books_balance_and_verify(w.store.as_ref()).await;
}
