//! Schedules against the reference and their invariants.

use super::*;
use crate::calendar::Frequency;
use crate::loan::{FeeCollection, LoanTermsBuilder, UpfrontFee};
use crate::money::MoneyError;

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn terms(principal: &str, rate: &str, term: u32) -> LoanTermsBuilder {
    LoanTerms::builder(
        ngn(principal),
        rate.parse().unwrap(),
        term,
        day(2026, 1, 31),
    )
}

fn sum(rows: &[Installment], field: fn(&Installment) -> Money) -> Money {
    let all: Vec<Money> = rows.iter().map(field).collect();
    Money::checked_sum(Currency::NGN, &all).unwrap()
}

/// Invariants every schedule keeps, grace or not.
fn assert_sound(schedule: &Schedule) {
    let rows = schedule.rows();
    assert_eq!(sum(rows, |r| r.principal), schedule.total_principal());
    let mut balance = schedule.total_principal();
    for row in rows {
        assert_eq!(row.opening_balance, balance, "row {}", row.number);
        for amount in [
            row.opening_balance,
            row.principal,
            row.interest,
            row.fee,
            row.capitalised,
            row.capitalised_repaid,
            row.closing_balance,
        ] {
            assert!(!amount.is_negative(), "row {}: {amount}", row.number);
        }
        let expected_total = row.principal.checked_add(row.interest).unwrap();
        assert_eq!(row.total, expected_total.checked_add(row.fee).unwrap());
        let closing = row
            .opening_balance
            .checked_add(row.capitalised)
            .unwrap()
            .checked_sub(row.principal)
            .unwrap()
            .checked_sub(row.capitalised_repaid)
            .unwrap();
        assert_eq!(row.closing_balance, closing, "row {}", row.number);
        balance = row.closing_balance;
    }
    assert!(balance.is_zero());
    assert_eq!(
        sum(rows, |r| r.capitalised),
        sum(rows, |r| r.capitalised_repaid)
    );
}

#[test]
fn principal_grace_is_interest_only_then_amortises_the_rest() {
    let schedule = Schedule::new(
        &terms("12000", "0.24", 12)
            .principal_grace(3)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_sound(&schedule);
    let rows = schedule.rows();
    for row in &rows[..3] {
        assert_eq!(row.kind, PeriodKind::InterestOnly);
        assert_eq!((row.principal, row.interest), (ngn("0"), ngn("240")));
        assert_eq!(row.closing_balance, ngn("12000"));
    }
    // The rest is an annuity of 12,000 at 2 % a month over 9 months.
    let over_nine = Schedule::new(&terms("12000", "0.24", 9).build().unwrap()).unwrap();
    assert_eq!(
        schedule.regular_installment(),
        over_nine.regular_installment()
    );
    for (graced, plain) in rows[3..].iter().zip(over_nine.rows()) {
        assert_eq!(
            (graced.principal, graced.interest, graced.total),
            (plain.principal, plain.interest, plain.total)
        );
    }
    assert_eq!(rows[3].due_date, day(2026, 5, 31));
}

#[test]
fn interest_grace_capitalises_then_repays_capitalised_interest_first() {
    let schedule =
        Schedule::new(&terms("10000", "0.12", 6).interest_grace(2).build().unwrap()).unwrap();
    assert_sound(&schedule);
    let rows = schedule.rows();
    // 1 % a month: 100.00 capitalised, then 101.00 on 10,100.00.
    assert_eq!(rows[0].kind, PeriodKind::NothingDue);
    assert_eq!((rows[0].total, rows[0].capitalised), (ngn("0"), ngn("100")));
    assert_eq!((rows[1].total, rows[1].capitalised), (ngn("0"), ngn("101")));
    assert_eq!(rows[1].closing_balance, ngn("10201"));
    // The annuity of 10,201.00 at 1 % over 4 months: 2,614.32; its first row repays
    // the 201.00 capitalised (as interest) before any principal.
    assert_eq!(schedule.regular_installment(), Some(ngn("2614.32")));
    let third = &rows[2];
    assert_eq!(third.capitalised_repaid, ngn("201"));
    assert_eq!(third.interest, ngn("303.01")); // 102.01 of the period + 201.00
    assert_eq!(third.principal, ngn("2311.31"));
    assert_eq!(third.period_interest(), ngn("102.01"));
    // Interest due sums to every period's interest, capitalised or not.
    let period: Vec<Money> = rows.iter().map(Installment::period_interest).collect();
    assert_eq!(
        schedule.total_interest().unwrap(),
        Money::checked_sum(Currency::NGN, &period).unwrap()
    );
}

#[test]
fn grace_counts_from_the_first_period_as_in_fineract() {
    let schedule = Schedule::new(
        &terms("10000", "0.12", 8)
            .method(Method::EqualPrincipal)
            .principal_grace(3)
            .interest_grace(2)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_sound(&schedule);
    let kinds: Vec<PeriodKind> = schedule.rows().iter().map(|r| r.kind).collect();
    use PeriodKind::*;
    assert_eq!(
        kinds,
        [
            NothingDue,
            NothingDue,
            InterestOnly,
            Repayment,
            Repayment,
            Repayment,
            Repayment,
            Repayment
        ]
    );
    // The interest-only period pays interest on the capitalised balance.
    assert_eq!(schedule.rows()[2].interest, ngn("102.01"));
    // Equal principal over 5 periods of 10,201.00: 2,040.20 each.
    assert_eq!(schedule.regular_principal(), Some(ngn("2040.20")));
}

#[test]
fn flat_grace_spreads_fixed_interest_over_periods_with_something_due() {
    let schedule = Schedule::new(
        &terms("12000", "0.12", 6)
            .method(Method::Flat)
            .principal_grace(2)
            .interest_grace(1)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_sound(&schedule);
    // 12,000 x 12 % x 6/12 = 720 over the 5 periods after the nothing-due one.
    assert_eq!(schedule.flat_total_interest(), Some(ngn("720")));
    let interest: Vec<Money> = schedule.rows().iter().map(|r| r.interest).collect();
    assert_eq!(
        interest,
        [
            ngn("0"),
            ngn("144"),
            ngn("144"),
            ngn("144"),
            ngn("144"),
            ngn("144")
        ]
    );
    let principal: Vec<Money> = schedule.rows().iter().map(|r| r.principal).collect();
    assert_eq!(
        principal,
        [
            ngn("0"),
            ngn("0"),
            ngn("3000"),
            ngn("3000"),
            ngn("3000"),
            ngn("3000")
        ]
    );
    assert_eq!(schedule.regular_installment(), Some(ngn("3144")));
}

#[test]
fn fees_enter_the_cash_flows_and_raise_the_apr() {
    let plain = Schedule::new(&terms("50000", "0.18", 6).build().unwrap()).unwrap();
    let plain_rates = plain.rates().unwrap().rounded(6);
    assert_eq!(plain_rates.apr.to_string(), "0.180000");
    assert_eq!(plain.total_fees().unwrap(), ngn("0"));
    assert_eq!(plain.net_disbursed().unwrap(), ngn("50000"));

    let deducted = Schedule::new(
        &terms("50000", "0.18", 6)
            .fee(UpfrontFee::percentage(
                "0.02".parse().unwrap(),
                FeeCollection::Deducted,
            ))
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(deducted.net_disbursed().unwrap(), ngn("49000"));
    assert_eq!(deducted.total_fees().unwrap(), ngn("1000"));
    // The installments do not change; the borrower just receives less.
    assert_eq!(deducted.rows(), plain.rows());
    let with_fee = deducted.rates().unwrap();
    assert!(
        with_fee.apr > plain.rates().unwrap().apr + Decimal::new(5, 2),
        "{with_fee:?}"
    );

    let added = Schedule::new(
        &terms("50000", "0.18", 6)
            .fee(UpfrontFee::fixed(
                ngn("1000"),
                FeeCollection::FirstInstallment,
            ))
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(added.rows()[0].fee, ngn("1000"));
    assert_eq!(added.rows()[0].total, ngn("9776.26"));
    assert_eq!(added.total_payable().unwrap(), ngn("53657.57"));
    assert_eq!(added.total_fees().unwrap(), ngn("1000"));
    let added_rates = added.rates().unwrap();
    // Paying the fee a month later costs a little less than having it deducted.
    assert!(added_rates.apr > plain.rates().unwrap().apr);
    assert!(added_rates.apr < with_fee.apr);
}

#[test]
fn a_tiny_principal_over_a_long_term_never_goes_negative() {
    // 7.00 over 360 months: HALF_EVEN(700/360) = 2 kobo would overdraw after 350
    // rows; rows stop taking principal once it is repaid.
    for method in [Method::Annuity, Method::EqualPrincipal, Method::Flat] {
        let schedule =
            Schedule::new(&terms("7", "0", 360).method(method).build().unwrap()).unwrap();
        assert_sound(&schedule);
        assert_eq!(schedule.rows().len(), 360);
        assert!(schedule.rows()[355].total.is_zero(), "{method:?}");
    }
}

#[test]
fn biweekly_and_daily_frequencies() {
    let schedule = Schedule::new(
        &terms("2600", "0.26", 3)
            .frequency(Frequency::Biweekly)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(schedule.terms().periods_per_year(), 26);
    // 1 % a fortnight on 2,600: 26.00.
    assert_eq!(schedule.rows()[0].interest, ngn("26"));
    assert_eq!(schedule.rows()[1].due_date, day(2026, 2, 28));
    let daily = Schedule::new(
        &terms("365", "0.365", 2)
            .frequency(Frequency::Daily)
            .build()
            .unwrap(),
    )
    .unwrap();
    // 365 x 0.365 / 365 = 0.365: a tie, half-even to 0.36.
    assert_eq!(daily.rows()[0].interest, ngn("0.36"));
    assert_eq!(daily.rows()[1].due_date, day(2026, 2, 2));
}

#[test]
fn overflow_and_calendar_errors_are_typed() {
    let huge = Money::from_minor(crate::money::MAX_MINOR, Currency::NGN).unwrap();
    let terms = LoanTerms::builder(huge, Decimal::from(100), 12, day(2026, 1, 1))
        .build()
        .unwrap();
    assert!(matches!(
        Schedule::new(&terms),
        Err(LoanError::Money(MoneyError::Overflow { .. }))
    ));
    let late = LoanTerms::builder(ngn("100"), Decimal::ONE, 12, NaiveDate::MAX)
        .build()
        .unwrap();
    assert!(matches!(Schedule::new(&late), Err(LoanError::Calendar(_))));
}

fn twelve_months(method: Method) -> Schedule {
    Schedule::new(
        &LoanTerms::builder(ngn("250000"), "0.24".parse().unwrap(), 12, day(2026, 1, 31))
            .method(method)
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn snapshot_annuity_12_months() {
    insta::assert_snapshot!(twelve_months(Method::Annuity).table().to_string());
}

#[test]
fn snapshot_equal_principal_12_months() {
    insta::assert_snapshot!(twelve_months(Method::EqualPrincipal).table().to_string());
}

#[test]
fn snapshot_flat_12_months() {
    insta::assert_snapshot!(twelve_months(Method::Flat).table().to_string());
}

#[test]
fn snapshot_interest_free_12_months() {
    let schedule = Schedule::new(
        &LoanTerms::builder(ngn("250000"), Decimal::ZERO, 12, day(2026, 1, 31))
            .build()
            .unwrap(),
    )
    .unwrap();
    insta::assert_snapshot!(schedule.table().to_string());
}

#[test]
fn snapshot_grace_and_fees_12_months() {
    let schedule = Schedule::new(
        &LoanTerms::builder(ngn("250000"), "0.24".parse().unwrap(), 12, day(2026, 1, 31))
            .principal_grace(3)
            .interest_grace(2)
            .fee(UpfrontFee::percentage(
                "0.01".parse().unwrap(),
                FeeCollection::Deducted,
            ))
            .fee(UpfrontFee::fixed(
                ngn("500"),
                FeeCollection::FirstInstallment,
            ))
            .build()
            .unwrap(),
    )
    .unwrap();
    insta::assert_snapshot!(schedule.table().to_string());
}
