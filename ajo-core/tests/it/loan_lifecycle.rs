//! The loan lifecycle end to end: commands, events, ledger entries, replay.

use ajo_core::ids::{LoanId, MemberId};
use ajo_core::ledger::{Account, AccountKind, Ledger};
use ajo_core::loan::{
    Component, FeeCollection, LoanAccounts, LoanApplication, LoanCommand, LoanError, LoanEvent,
    LoanPolicy, LoanState, LoanStatus, LoanTerms, Method, Reamortize, UpfrontFee, decide,
};
use ajo_core::money::{Currency, Money};
use ajo_core::penalty::{PenaltyKind, PenaltyRule};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// 09:00 in Lagos (UTC+1) on `day`, as the clock reads it.
fn at(day: &str) -> DateTime<Utc> {
    local(day).to_utc()
}

/// 09:00 in Lagos (UTC+1) on `day`.
fn local(day: &str) -> DateTime<FixedOffset> {
    let lagos = FixedOffset::east_opt(3600).unwrap();
    lagos
        .from_local_datetime(&date(day).and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap()))
        .unwrap()
}

fn pot() -> Account {
    Account::new("group-1", AccountKind::GroupPot, Currency::NGN)
}

fn clearing() -> Account {
    Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN)
}

fn account(kind: AccountKind) -> Account {
    Account::new("group-1", kind, Currency::NGN)
}

/// LOAN-01 of the reference: NGN 50,000.00 at 18 % over 6 months.
fn loan_01_terms() -> LoanTerms {
    LoanTerms::builder(ngn("50000"), "0.18".parse().unwrap(), 6, date("2026-01-15"))
        .build()
        .unwrap()
}

fn application(terms: LoanTerms, policy: LoanPolicy) -> LoanApplication {
    LoanApplication {
        id: LoanId::new("ln-1").unwrap(),
        borrower: MemberId::new("ada").unwrap(),
        terms,
        accounts: LoanAccounts::new("group-1", pot(), clearing()),
        policy,
    }
}

/// A loan's event store and the ledger its entries are posted to.
#[derive(Default)]
struct Harness {
    state: LoanState,
    ledger: Ledger,
    events: Vec<LoanEvent>,
}

impl Harness {
    fn run(&mut self, command: LoanCommand, day: &str) -> Result<Vec<LoanEvent>, LoanError> {
        let before = self.state.clone();
        let events = decide(&self.state, &command, at(day))?;
        assert_eq!(self.state, before, "decide must not change the state");
        for event in &events {
            if let Some(entry) = event.entry() {
                self.ledger
                    .post(entry.clone(), event.at().with_timezone(&Utc))
                    .unwrap();
            }
            self.state.apply(event);
            assert_eq!(self.state.fault(), None);
            self.events.push(event.clone());
        }
        Ok(events)
    }

    fn ok(&mut self, command: LoanCommand, day: &str) -> Vec<LoanEvent> {
        self.run(command, day).unwrap()
    }

    fn disbursed(terms: LoanTerms, policy: LoanPolicy) -> Harness {
        let mut h = Harness::default();
        let day = terms.disbursement_date().to_string();
        h.ok(
            LoanCommand::Apply(Box::new(application(terms, policy))),
            &day,
        );
        h.ok(
            LoanCommand::Approve {
                by: "treasurer".into(),
            },
            &day,
        );
        h.ok(
            LoanCommand::Disburse {
                reference: "payout-1".into(),
            },
            &day,
        );
        h
    }

    fn balance(&self, account: &Account) -> Money {
        self.ledger.balance(account)
    }

    fn status(&self) -> LoanStatus {
        self.state.status().unwrap()
    }
}

fn repay(payment_ref: &str, amount: &str) -> LoanCommand {
    LoanCommand::Repay {
        payment_ref: payment_ref.into(),
        amount: ngn(amount),
        overpayment: Reamortize::ShortenTerm,
    }
}

#[test]
fn a_loan_repaid_on_schedule_books_principal_and_interest() {
    let mut h = Harness::disbursed(loan_01_terms(), LoanPolicy::default());
    assert_eq!(h.status(), LoanStatus::Disbursed);
    // Disbursement: receivable up, pot down.
    assert_eq!(
        h.balance(&account(AccountKind::LoansReceivable)),
        ngn("50000")
    );
    assert_eq!(h.balance(&pot()), ngn("-50000"));
    let rows = h.state.loan().unwrap().installments().to_vec();
    for (k, state) in rows.iter().enumerate() {
        let day = state.row().due_date.to_string();
        let events = h.ok(
            repay(&format!("pay-{k}"), &state.row().total.amount().to_string()),
            &day,
        );
        assert!(matches!(events[0], LoanEvent::PaymentApplied { .. }));
    }
    assert_eq!(h.status(), LoanStatus::Repaid);
    assert!(matches!(h.events.last(), Some(LoanEvent::Repaid { .. })));
    assert!(h.balance(&account(AccountKind::LoansReceivable)).is_zero());
    assert_eq!(
        h.balance(&account(AccountKind::InterestIncome)),
        ngn("-2657.57")
    );
    assert_eq!(h.balance(&clearing()), ngn("52657.57"));
    assert!(h.ledger.trial_balance().is_zero());
    let loan = h.state.loan().unwrap();
    assert!(loan.outstanding().unwrap().total().unwrap().is_zero());
    // A repaid loan takes no more payments.
    assert_eq!(
        h.run(repay("pay-late", "1"), "2026-08-01"),
        Err(LoanError::IllegalTransition {
            command: "repay",
            status: LoanStatus::Repaid
        })
    );
}

#[test]
fn a_retried_repayment_posts_once() {
    let mut h = Harness::disbursed(loan_01_terms(), LoanPolicy::default());
    let first = h.ok(repay("psk_123", "8776.26"), "2026-02-15");
    assert_eq!(first.len(), 1);
    // The same payment again (a duplicate webhook): no events.
    assert!(h.ok(repay("psk_123", "8776.26"), "2026-02-16").is_empty());
    // Posting the same entry again replays, too.
    let entry = first[0].entry().unwrap().clone();
    assert_eq!(entry.key(), "loan:ln-1:payment:psk_123");
    assert_eq!(entry.reference(), Some("psk_123"));
    let posted = h
        .ledger
        .post(entry, at("2026-02-17").with_timezone(&Utc))
        .unwrap();
    assert!(posted.replayed);
    // The same reference for another amount is refused.
    assert_eq!(
        h.run(repay("psk_123", "100"), "2026-02-16"),
        Err(LoanError::PaymentRefConflict {
            payment_ref: "psk_123".into()
        })
    );
    assert_eq!(h.balance(&clearing()), ngn("8776.26"));
}

#[test]
fn the_reference_payoff_example_settles_the_loan() {
    let mut h = Harness::disbursed(loan_01_terms(), LoanPolicy::default());
    h.ok(repay("p1", "8776.26"), "2026-02-15");
    h.ok(repay("p2", "8776.26"), "2026-03-15");
    let quote = h
        .state
        .loan()
        .unwrap()
        .payoff_quote(date("2026-04-01"))
        .unwrap();
    assert_eq!(quote.total, ngn("34105.35"));
    let pay_off = |amount| LoanCommand::PayOff {
        payment_ref: "p3".into(),
        amount: ngn(amount),
    };
    assert_eq!(
        h.run(pay_off("34000"), "2026-04-01"),
        Err(LoanError::PayoffMismatch {
            amount: ngn("34000"),
            quote: ngn("34105.35")
        })
    );
    let events = h.ok(pay_off("34105.35"), "2026-04-01");
    assert!(matches!(events[0], LoanEvent::PaidOff { .. }));
    assert!(matches!(events[1], LoanEvent::Repaid { .. }));
    assert_eq!(h.status(), LoanStatus::Repaid);
    assert!(h.balance(&account(AccountKind::LoansReceivable)).is_zero());
    // 750.00 + 629.61 + 278.26 of interest.
    assert_eq!(
        h.balance(&account(AccountKind::InterestIncome)),
        ngn("-1657.87")
    );
    assert!(h.ledger.trial_balance().is_zero());
    assert!(
        h.state
            .loan()
            .unwrap()
            .outstanding()
            .unwrap()
            .total()
            .unwrap()
            .is_zero()
    );
    // A retried payoff is a no-op.
    assert!(h.ok(pay_off("34105.35"), "2026-04-02").is_empty());
}

#[test]
fn late_payments_pay_penalties_first_into_penalty_income() {
    let rule = PenaltyRule::new(PenaltyKind::FlatFee { fee: ngn("500") }, 3).unwrap();
    let policy = LoanPolicy {
        penalty: rule,
        ..LoanPolicy::default()
    };
    let mut h = Harness::disbursed(loan_01_terms(), policy);
    // Within grace: nothing charged.
    assert!(h.ok(LoanCommand::AssessPenalties, "2026-02-18").is_empty());
    let charged = h.ok(LoanCommand::AssessPenalties, "2026-02-19");
    assert_eq!(charged.len(), 1);
    assert!(matches!(
        &charged[0],
        LoanEvent::PenaltyCharged { installment: 1, amount, .. } if *amount == ngn("500")
    ));
    // Charging again the same day, or later, adds nothing: a flat fee is charged once.
    assert!(h.ok(LoanCommand::AssessPenalties, "2026-02-25").is_empty());
    let events = h.ok(repay("late-1", "1000"), "2026-02-25");
    let LoanEvent::PaymentApplied { allocation, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(allocation.totals.penalty, ngn("500"));
    assert_eq!(allocation.totals.interest, ngn("500"));
    assert_eq!(h.balance(&account(AccountKind::PenaltyIncome)), ngn("-500"));
    // Partly paid: 250 of interest and all the principal still due on row 1.
    let row1 = &h.state.loan().unwrap().installments()[0];
    assert_eq!(row1.remaining(Component::Interest).unwrap(), ngn("250"));
    assert_eq!(
        h.state.loan().unwrap().overdue(date("2026-02-25")).unwrap(),
        [1]
    );
}

#[test]
fn fees_are_booked_when_deducted_or_collected() {
    let terms = LoanTerms::builder(ngn("10000"), "0.24".parse().unwrap(), 2, date("2026-01-15"))
        .fee(UpfrontFee::percentage(
            "0.02".parse().unwrap(),
            FeeCollection::Deducted,
        ))
        .fee(UpfrontFee::fixed(
            ngn("150"),
            FeeCollection::FirstInstallment,
        ))
        .build()
        .unwrap();
    let mut h = Harness::disbursed(terms, LoanPolicy::default());
    let LoanEvent::Disbursed {
        entry, schedule, ..
    } = &h.events[2]
    else {
        panic!()
    };
    assert_eq!(entry.key(), "loan:ln-1:disbursement");
    assert_eq!(entry.postings().len(), 3);
    assert_eq!(h.balance(&pot()), ngn("-9800"));
    assert_eq!(h.balance(&account(AccountKind::PlatformFees)), ngn("-200"));
    let first = schedule.rows()[0].total;
    h.ok(repay("p1", &first.amount().to_string()), "2026-02-15");
    assert_eq!(h.balance(&account(AccountKind::PlatformFees)), ngn("-350"));
    assert!(h.ledger.trial_balance().is_zero());
}

#[test]
fn an_overpayment_reamortises_through_the_lifecycle() {
    let mut h = Harness::disbursed(loan_01_terms(), LoanPolicy::default());
    let events = h.ok(
        LoanCommand::Repay {
            payment_ref: "big".into(),
            amount: ngn("20000"),
            overpayment: Reamortize::LowerInstallment,
        },
        "2026-02-15",
    );
    let LoanEvent::PaymentApplied { allocation, .. } = &events[0] else {
        panic!()
    };
    let prepaid = allocation.prepayment.as_ref().unwrap();
    assert_eq!(prepaid.principal, ngn("11223.74"));
    let loan = h.state.loan().unwrap();
    assert_eq!(loan.installments().len(), 6);
    assert_eq!(loan.prepaid().principal, ngn("11223.74"));
    assert_eq!(loan.installments()[1].row().opening_balance, ngn("30750"));
    // Principal still adds up: rows + prepaid = 50,000.
    let rows: Vec<Money> = loan
        .installments()
        .iter()
        .map(|s| s.row().principal)
        .collect();
    let rows = Money::checked_sum(Currency::NGN, &rows).unwrap();
    assert_eq!(
        rows.checked_add(loan.prepaid().principal).unwrap(),
        ngn("50000")
    );
    assert_eq!(
        h.balance(&account(AccountKind::LoansReceivable)),
        ngn("30750")
    );
}

#[test]
fn default_and_write_off() {
    let mut h = Harness::disbursed(loan_01_terms(), LoanPolicy::default());
    let default = |reason: &str| LoanCommand::MarkDefaulted {
        reason: reason.into(),
    };
    assert_eq!(
        h.run(default("early"), "2026-02-15"),
        Err(LoanError::NothingOverdue {
            date: date("2026-02-15")
        })
    );
    h.ok(repay("p1", "8776.26"), "2026-02-15");
    assert_eq!(
        h.run(LoanCommand::WriteOff, "2026-03-01"),
        Err(LoanError::IllegalTransition {
            command: "write off",
            status: LoanStatus::Disbursed
        })
    );
    h.ok(default("no payment since February"), "2026-05-01");
    assert_eq!(h.status(), LoanStatus::Defaulted);
    // Collections continue in default.
    h.ok(repay("p2", "1000"), "2026-05-02");
    let events = h.ok(LoanCommand::WriteOff, "2026-06-01");
    let LoanEvent::WrittenOff {
        principal, entry, ..
    } = &events[0]
    else {
        panic!()
    };
    // 41,973.74 after row 1, less 370.39 of row 2's principal paid after its interest.
    assert_eq!(*principal, ngn("41603.35"));
    assert_eq!(entry.as_ref().unwrap().key(), "loan:ln-1:write-off");
    assert!(h.balance(&account(AccountKind::LoansReceivable)).is_zero());
    assert_eq!(
        h.balance(&account(AccountKind::LoanLosses)),
        ngn("41603.35")
    );
    assert_eq!(h.status(), LoanStatus::WrittenOff);
    assert!(h.ledger.trial_balance().is_zero());
    assert!(matches!(
        h.run(repay("p3", "1"), "2026-06-02"),
        Err(LoanError::IllegalTransition {
            status: LoanStatus::WrittenOff,
            ..
        })
    ));
}

#[test]
fn every_illegal_move_is_a_typed_error() {
    let illegal =
        |command: &'static str, status| Err(LoanError::IllegalTransition { command, status });
    // Nothing but Apply on an empty state.
    let mut h = Harness::default();
    assert_eq!(
        h.run(LoanCommand::Approve { by: "x".into() }, "2026-01-01"),
        Err(LoanError::NoLoan { command: "approve" })
    );
    h.ok(
        LoanCommand::Apply(Box::new(application(
            loan_01_terms(),
            LoanPolicy::default(),
        ))),
        "2026-01-10",
    );
    let pending = LoanStatus::Pending;
    assert_eq!(
        h.run(
            LoanCommand::Apply(Box::new(application(
                loan_01_terms(),
                LoanPolicy::default()
            ))),
            "2026-01-10"
        ),
        illegal("apply for", pending)
    );
    assert_eq!(
        h.run(
            LoanCommand::Disburse {
                reference: "x".into()
            },
            "2026-01-10"
        ),
        illegal("disburse", pending)
    );
    assert_eq!(
        h.run(repay("x", "1"), "2026-01-10"),
        illegal("repay", pending)
    );
    assert_eq!(
        h.run(
            LoanCommand::PayOff {
                payment_ref: "x".into(),
                amount: ngn("1")
            },
            "2026-01-10"
        ),
        illegal("pay off", pending)
    );
    assert_eq!(
        h.run(LoanCommand::AssessPenalties, "2026-01-10"),
        illegal("assess penalties on", pending)
    );
    assert_eq!(
        h.run(
            LoanCommand::MarkDefaulted { reason: "x".into() },
            "2026-01-10"
        ),
        illegal("mark defaulted", pending)
    );
    assert_eq!(
        h.run(LoanCommand::WriteOff, "2026-01-10"),
        illegal("write off", pending)
    );
    assert_eq!(
        h.state.loan().unwrap().payoff_quote(date("2026-01-20")),
        Err(LoanError::IllegalTransition {
            command: "quote a payoff for",
            status: pending
        })
    );
    h.ok(LoanCommand::Approve { by: "t".into() }, "2026-01-11");
    assert_eq!(
        h.run(LoanCommand::Approve { by: "t".into() }, "2026-01-11"),
        illegal("approve", LoanStatus::Approved)
    );
    h.ok(
        LoanCommand::Reject {
            reason: "pot is short".into(),
        },
        "2026-01-12",
    );
    let rejected = LoanStatus::Rejected;
    assert_eq!(
        h.run(LoanCommand::Reject { reason: "x".into() }, "2026-01-12"),
        illegal("reject", rejected)
    );
    assert_eq!(
        h.run(
            LoanCommand::Disburse {
                reference: "x".into()
            },
            "2026-01-12"
        ),
        illegal("disburse", rejected)
    );

    let mut h = Harness::disbursed(loan_01_terms(), LoanPolicy::default());
    assert_eq!(
        h.run(LoanCommand::Reject { reason: "x".into() }, "2026-01-16"),
        illegal("reject", LoanStatus::Disbursed)
    );
    assert_eq!(
        h.run(LoanCommand::Approve { by: "x".into() }, "2026-01-16"),
        illegal("approve", LoanStatus::Disbursed)
    );
    assert_eq!(
        h.run(
            LoanCommand::Disburse {
                reference: "again".into()
            },
            "2026-01-16"
        ),
        illegal("disburse", LoanStatus::Disbursed)
    );
    assert_eq!(
        h.run(repay("early", "1"), "2026-01-14"),
        Err(LoanError::BeforeDisbursement {
            date: date("2026-01-14"),
            disbursed: date("2026-01-15")
        })
    );
    assert!(matches!(
        h.run(repay("has space", "1"), "2026-01-16"),
        Err(LoanError::InvalidId(e)) if e.kind() == "payment reference"
    ));
    assert!(matches!(
        h.run(repay("ok", "-1"), "2026-01-16"),
        Err(LoanError::NonPositivePayment { .. })
    ));
    assert!(matches!(
        h.run(
            LoanCommand::PayOff {
                payment_ref: "x".into(),
                amount: ngn("0")
            },
            "2026-01-16"
        ),
        Err(LoanError::NonPositivePayment { .. })
    ));
    assert!(matches!(
        h.run(
            LoanCommand::PayOff {
                payment_ref: "x".into(),
                amount: Money::parse("1", Currency::KES).unwrap()
            },
            "2026-01-16"
        ),
        Err(LoanError::CurrencyMismatch { .. })
    ));
    assert!(matches!(
        h.run(repay("x", "100000"), "2026-01-16"),
        Err(LoanError::Overpayment { .. })
    ));
    // Nothing changed through all of that.
    assert!(
        h.state
            .loan()
            .unwrap()
            .installments()
            .iter()
            .all(|s| s.paid().total().unwrap().is_zero())
    );
}

#[test]
fn applications_are_checked() {
    // A borrower is a member id, checked where it is made (and read back).
    assert!(MemberId::new("").is_err());
    let json = serde_json::to_string(&application(loan_01_terms(), LoanPolicy::default()))
        .unwrap()
        .replace(r#""borrower":"ada""#, r#""borrower":"""#);
    assert!(serde_json::from_str::<LoanApplication>(&json).is_err());
    let mut bad = application(loan_01_terms(), LoanPolicy::default());
    let kes = Account::new("paystack", AccountKind::GatewayClearing, Currency::KES);
    bad.accounts = LoanAccounts::new("group-1", pot(), kes);
    assert!(matches!(
        decide(
            &LoanState::new(),
            &LoanCommand::Apply(Box::new(bad)),
            at("2026-01-10")
        ),
        Err(LoanError::CurrencyMismatch {
            field: "collection account",
            ..
        })
    ));
    let kes_fee = Money::parse("5", Currency::KES).unwrap();
    let policy = LoanPolicy {
        penalty: PenaltyRule::new(PenaltyKind::FlatFee { fee: kes_fee }, 0).unwrap(),
        ..LoanPolicy::default()
    };
    assert!(matches!(
        decide(
            &LoanState::new(),
            &LoanCommand::Apply(Box::new(application(loan_01_terms(), policy))),
            at("2026-01-10")
        ),
        Err(LoanError::CurrencyMismatch {
            field: "penalty rule",
            ..
        })
    ));
    assert!(LoanId::new("").is_err());
    assert!(LoanId::new("x".repeat(65)).is_err());
    assert!(serde_json::from_str::<LoanId>("\"a b\"").is_err());
}

#[test]
fn the_state_is_a_replay_of_its_events() {
    let rule = PenaltyRule::new(
        PenaltyKind::DailyAccrual {
            daily_rate: "0.001".parse().unwrap(),
            cap_rate: None,
            cap_amount: None,
        },
        0,
    )
    .unwrap();
    let terms = LoanTerms::builder(ngn("50000"), "0.18".parse().unwrap(), 6, date("2026-01-15"))
        .method(Method::EqualPrincipal)
        .principal_grace(1)
        .build()
        .unwrap();
    let mut h = Harness::disbursed(
        terms,
        LoanPolicy {
            penalty: rule,
            ..LoanPolicy::default()
        },
    );
    h.ok(repay("a", "500"), "2026-02-20");
    h.ok(LoanCommand::AssessPenalties, "2026-03-01");
    h.ok(repay("b", "15000"), "2026-03-10");
    // Replayed from the events, and from their JSON, the state is the same.
    assert_eq!(LoanState::replay(&h.events).unwrap(), h.state);
    let json = serde_json::to_string(&h.events).unwrap();
    let stored: Vec<LoanEvent> = serde_json::from_str(&json).unwrap();
    assert_eq!(stored, h.events);
    assert_eq!(LoanState::replay(&stored).unwrap(), h.state);
    // Events out of order do not apply, and leave the state as it was.
    assert!(matches!(
        LoanState::replay(&h.events[1..]),
        Err(LoanError::EventDoesNotApply { event: "approved" })
    ));
    // Applying cannot fail: an event that does not fit changes nothing and is kept as the
    // state's fault, and every later command is refused with it.
    let mut state = h.state.clone();
    let disbursed = h.events[2].clone();
    state.apply(&disbursed);
    assert_eq!(
        state.fault(),
        Some(&LoanError::EventDoesNotApply { event: "disbursed" })
    );
    assert_eq!(state.loan(), h.state.loan());
    assert_eq!(
        decide(&state, &LoanCommand::AssessPenalties, at("2026-03-03")),
        Err(LoanError::EventDoesNotApply { event: "disbursed" })
    );
    let mut state = h.state.clone();
    // A penalty event that does not add up is refused.
    let bogus = LoanEvent::PenaltyCharged {
        at: local("2026-03-02"),
        installment: 1,
        amount: ngn("1"),
        total: ngn("999999"),
    };
    state.apply(&bogus);
    assert!(matches!(
        state.fault(),
        Some(LoanError::EventDoesNotApply { .. })
    ));
    assert_eq!(state.loan(), h.state.loan());
    let mut state = h.state.clone();
    let missing = LoanEvent::PenaltyCharged {
        at: local("2026-03-02"),
        installment: 99,
        amount: ngn("1"),
        total: ngn("1"),
    };
    state.apply(&missing);
    assert!(matches!(
        state.fault(),
        Some(LoanError::EventDoesNotApply { .. })
    ));
    assert_eq!(state.loan(), h.state.loan());
}

#[test]
fn a_loan_is_dated_in_its_own_time_zone() {
    // 23:30 UTC on 14 January is already 15 January in Nairobi (UTC+3).
    let late = Utc.with_ymd_and_hms(2026, 1, 14, 23, 30, 0).unwrap();
    let mut state = LoanState::new();
    for command in [
        LoanCommand::Apply(Box::new(application(loan_01_terms(), policy_in_nairobi()))),
        LoanCommand::Approve { by: "t".into() },
        LoanCommand::Disburse {
            reference: "out-1".into(),
        },
    ] {
        for event in decide(&state, &command, late).unwrap() {
            state.apply(&event);
        }
    }
    let loan = state.loan().unwrap();
    assert_eq!(loan.terms().disbursement_date(), date("2026-01-15"));
    assert_eq!(state.version(), 3);
    // The events are stamped in the loan's zone: the same instant, read locally.
    let applied = decide(
        &LoanState::new(),
        &LoanCommand::Apply(Box::new(application(loan_01_terms(), policy_in_nairobi()))),
        late,
    )
    .unwrap();
    assert_eq!(applied[0].at(), late);
    assert_eq!(applied[0].at().to_rfc3339(), "2026-01-15T02:30:00+03:00");
    // In UTC, the default, the same instant is still the 14th.
    let mut utc = LoanState::new();
    for command in [
        LoanCommand::Apply(Box::new(application(
            loan_01_terms(),
            LoanPolicy::default(),
        ))),
        LoanCommand::Approve { by: "t".into() },
        LoanCommand::Disburse {
            reference: "out-1".into(),
        },
    ] {
        for event in decide(&utc, &command, late).unwrap() {
            utc.apply(&event);
        }
    }
    assert_eq!(
        utc.loan().unwrap().terms().disbursement_date(),
        date("2026-01-14")
    );
}

fn policy_in_nairobi() -> LoanPolicy {
    LoanPolicy {
        time_zone: chrono_tz::Africa::Nairobi,
        ..LoanPolicy::default()
    }
}
