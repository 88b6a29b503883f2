//! Payout attempts and what each report about them books.

use super::*;
use crate::ledger::AccountKind;
use crate::money::Currency;

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn report(outcome: PayoutOutcome, amount: Money, basis: AmountBasis) -> PayoutReport<'static> {
    PayoutReport {
        reference: "ajo=out=g=r1",
        outcome,
        amount,
        basis,
        key: "k",
        hold: false,
    }
}

/// An attempt of ₦50,000 delivered, with `returned` booked as come back.
fn delivered(returned: &str) -> Attempt {
    let mut attempt = Attempt::new(1, "ajo=out=g=r1".into(), ngn("50000"));
    attempt.delivered = ngn("50000");
    attempt.returned = ngn(returned);
    attempt
}

#[test]
fn attempt_references_lead_back_to_their_payout() {
    assert_eq!(payout_of("ajo=out=g=r1"), ("ajo=out=g=r1".into(), 1));
    assert_eq!(payout_of("ajo=out=g=r1=a2"), ("ajo=out=g=r1".into(), 2));
    assert_eq!(payout_of("ajo=lnd=ln-1=a3"), ("ajo=lnd=ln-1".into(), 3));
    // Not ours: its own payout, first attempt.
    assert_eq!(payout_of("TRF_123=a2"), ("TRF_123=a2".into(), 1));
}

#[test]
fn a_success_must_match_the_attempt() {
    let sent = Attempt::new(1, "ajo=out=g=r1".into(), ngn("50000"));
    let success = |amount| report(PayoutOutcome::Succeeded, amount, AmountBasis::Event);
    assert_eq!(decide(&sent, &success(ngn("50000"))), Ok(Step::Deliver));
    assert_eq!(decide(&sent, &success(ngn("49999.99"))), Ok(Step::Hold));
    let dollars = Money::parse("50000", Currency::USD).unwrap();
    assert_eq!(decide(&sent, &success(dollars)), Ok(Step::Hold));
    assert_eq!(
        decide(&delivered("0"), &success(dollars)),
        Ok(Step::Duplicate),
        "a delivered attempt is delivered once"
    );
}

#[test]
fn a_running_total_books_what_is_new_and_no_more() {
    let total = |amount| {
        report(
            PayoutOutcome::Reversed,
            ngn(amount),
            AmountBasis::Cumulative,
        )
    };
    assert_eq!(
        decide(&delivered("0"), &total("1")),
        Ok(Step::Return(ngn("1")))
    );
    assert_eq!(
        decide(&delivered("1000"), &total("50000")),
        Ok(Step::Return(ngn("49000")))
    );
    assert_eq!(
        decide(&delivered("1000"), &total("1000")),
        Ok(Step::Duplicate)
    );
    assert_eq!(
        decide(&delivered("1000"), &total("999")),
        Ok(Step::Duplicate)
    );
    assert_eq!(decide(&delivered("0"), &total("50000.01")), Ok(Step::Hold));
}

#[test]
fn an_event_amount_books_at_most_what_is_still_delivered() {
    let back = |outcome, amount| report(outcome, ngn(amount), AmountBasis::Event);
    assert_eq!(
        decide(&delivered("0"), &back(PayoutOutcome::Reversed, "1")),
        Ok(Step::Return(ngn("1")))
    );
    assert_eq!(
        decide(&delivered("49000"), &back(PayoutOutcome::Reversed, "50000")),
        Ok(Step::Return(ngn("1000")))
    );
    assert_eq!(
        decide(&delivered("50000"), &back(PayoutOutcome::Failed, "50000")),
        Ok(Step::Duplicate)
    );
    // A failure after a success is a reversal (Flutterwave reports one so).
    assert_eq!(
        decide(&delivered("0"), &back(PayoutOutcome::Failed, "50000")),
        Ok(Step::Return(ngn("50000")))
    );
}

#[test]
fn reports_about_an_attempt_never_booked_delivered() {
    let sent = Attempt::new(1, "ajo=out=g=r1".into(), ngn("50000"));
    let back = |outcome, amount| report(outcome, ngn(amount), AmountBasis::Event);
    assert_eq!(
        decide(&sent, &back(PayoutOutcome::Failed, "50000")),
        Ok(Step::Fail)
    );
    assert_eq!(
        decide(&sent, &back(PayoutOutcome::Reversed, "50000")),
        Ok(Step::DeliverAndReturn)
    );
    assert_eq!(
        decide(&sent, &back(PayoutOutcome::Reversed, "1")),
        Ok(Step::Hold),
        "how much reached the member is not known"
    );
    assert_eq!(
        decide(&sent, &back(PayoutOutcome::Failed, "50000.01")),
        Ok(Step::Hold)
    );
}

fn entry(key: &str, from: Account, to: Account, amount: Money) -> BalancedEntry {
    EntryDraft::new(key, "test")
        .debit(from, amount)
        .credit(to, amount)
        .balance()
        .unwrap()
}

#[test]
fn what_is_owed_follows_every_attempt() {
    let wallet = Account::new("g", AccountKind::MemberWallet, Currency::NGN);
    let clearing = GroupAccounts::clearing_for(Currency::NGN);
    let group = GroupId::new("g").unwrap();
    let member = MemberId::new("ada").unwrap();
    let events = vec![
        PayoutEvent::Requested {
            group,
            round: Some(1),
            member,
            amount: ngn("50000"),
        },
        PayoutEvent::Succeeded {
            entry: entry("a:paid", wallet.clone(), clearing.clone(), ngn("50000")),
            attempt: 1,
        },
        PayoutEvent::Reversed {
            entry: entry("a:r", clearing.clone(), wallet.clone(), ngn("1")),
            attempt: 1,
        },
        PayoutEvent::AttemptStarted {
            attempt: 2,
            reference: "ajo=out=g=r1=a2".into(),
            amount: ngn("1"),
        },
    ];
    let payout = Payout::from_events("ajo=out=g=r1", &events)
        .unwrap()
        .unwrap();
    assert_eq!(payout.owed(), Ok(ngn("1")));
    let current = payout.current().unwrap();
    assert_eq!((current.number, current.is_finished()), (2, false));
    assert!(payout.attempt(1).unwrap().is_finished());

    let mut more = events.clone();
    more.push(PayoutEvent::Reversed {
        entry: entry("a:r2", clearing.clone(), wallet.clone(), ngn("49999")),
        attempt: 1,
    });
    let payout = Payout::from_events("ajo=out=g=r1", &more).unwrap().unwrap();
    assert_eq!(payout.owed(), Ok(ngn("50000")));

    // A booking for an attempt the stream never started is a corrupt stream.
    let mut stray = events;
    stray.push(PayoutEvent::Succeeded {
        entry: entry("a7:paid", wallet, clearing, ngn("1")),
        attempt: 7,
    });
    assert!(matches!(
        Payout::from_events("ajo=out=g=r1", &stray),
        Err(ServiceError::Store(StoreError::Corrupt { .. }))
    ));
    assert!(Payout::from_events("ajo=out=g=r1", &[]).unwrap().is_none());
}

#[test]
fn a_report_that_must_be_held_books_nothing_whatever_it_says() {
    let sent = Attempt::new(1, "ajo=out=g=r1".into(), ngn("50000"));
    for outcome in [
        PayoutOutcome::Failed,
        PayoutOutcome::Reversed,
        PayoutOutcome::Succeeded,
    ] {
        let mut held = report(outcome, ngn("0"), AmountBasis::Event);
        held.hold = true;
        assert_eq!(decide(&sent, &held).unwrap(), Step::Hold, "{outcome:?}");
        assert_eq!(
            decide(&delivered("0"), &held).unwrap(),
            Step::Hold,
            "{outcome:?}"
        );
    }
}
