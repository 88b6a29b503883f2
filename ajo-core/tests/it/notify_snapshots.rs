//! Every template, rendered in naira, shillings and dollars.

use ajo_core::money::{Currency, Money};
use ajo_core::notify::Notice;
use chrono::NaiveDate;
use std::fmt::Write;

fn notices(currency: Currency) -> Vec<Notice> {
    let money = |s: &str| Money::parse(s, currency).unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let group = "Balogun Market Ajo".to_owned();
    vec![
        Notice::PaymentConfirmation {
            group: group.clone(),
            amount: money("25000"),
            reference: "ajo-balogun-r3-h2".into(),
        },
        Notice::PaymentDueReminder {
            group: group.clone(),
            amount: money("25000"),
            due_date: date,
            round: 3,
        },
        Notice::PayoutNotification {
            group: group.clone(),
            amount: money("295500"),
            round: 3,
        },
        Notice::PenaltyNotice {
            group: group.clone(),
            amount: money("500"),
            round: 3,
            due_date: date,
        },
        Notice::GroupCompletion {
            group,
            deposit_refund: money("25000"),
        },
        Notice::LoanApproved {
            principal: money("50000"),
            installments: 6,
            installment: money("8775.94"),
            first_due_date: date,
        },
        Notice::InstallmentDue {
            amount: money("8775.94"),
            due_date: date,
            number: 2,
        },
    ]
}

fn render(currency: Currency) -> String {
    let mut out = String::new();
    for notice in notices(currency) {
        let email = notice.email("Adaeze");
        writeln!(
            out,
            "=== subject: {}\n{}\n--- html\n{}",
            email.subject, email.text, email.html
        )
        .unwrap();
        if let Some(sms) = notice.sms() {
            writeln!(
                out,
                "--- sms ({:?}, {} units, {} segment(s))\n{}",
                sms.length.encoding, sms.length.units, sms.length.segments, sms.body
            )
            .unwrap();
            assert_eq!(
                sms.length.segments, 1,
                "every SMS fits one segment: {}",
                sms.body
            );
        }
        out.push('\n');
    }
    out
}

#[test]
fn templates_in_naira() {
    insta::assert_snapshot!(render(Currency::NGN));
}

#[test]
fn templates_in_shillings() {
    insta::assert_snapshot!(render(Currency::KES));
}

#[test]
fn templates_in_dollars() {
    insta::assert_snapshot!(render(Currency::USD));
}
