//! Allocation of repayments and overpayments, against the reference.

use super::*;
use crate::loan::{LoanTermsBuilder, Schedule};
use crate::money::{Currency, MoneyError};

fn ngn(s: &str) -> Money {
    Money::parse(s, Currency::NGN).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn builder(method: Method) -> LoanTermsBuilder {
    LoanTerms::builder(ngn("12000"), "0.12".parse().unwrap(), 6, day(2026, 1, 15)).method(method)
}

fn states(terms: &LoanTerms) -> Vec<InstallmentState> {
    Schedule::new(terms)
        .unwrap()
        .rows()
        .iter()
        .cloned()
        .map(InstallmentState::new)
        .collect()
}

/// Applies an allocation the way the lifecycle does.
fn apply(rows: &mut Vec<InstallmentState>, allocation: &Allocation) {
    for line in &allocation.lines {
        let state = rows
            .iter_mut()
            .find(|s| s.row.number == line.installment)
            .unwrap();
        state.pay(line.component, line.amount).unwrap();
    }
    if let Some(p) = &allocation.prepayment {
        let from = rows
            .iter()
            .position(|s| s.row.number == p.from_installment)
            .unwrap();
        rows.truncate(from);
        rows.extend(p.rows.iter().cloned().map(InstallmentState::new));
    }
}

fn pay(
    terms: &LoanTerms,
    rows: &mut Vec<InstallmentState>,
    amount: &str,
    on: NaiveDate,
    reamortize: Reamortize,
) -> Allocation {
    let allocation = allocate(
        terms,
        rows,
        ngn(amount),
        on,
        AllocationOrder::default(),
        reamortize,
    )
    .unwrap();
    apply(rows, &allocation);
    allocation
}

fn principal_left(rows: &[InstallmentState]) -> Money {
    let all: Vec<Money> = rows
        .iter()
        .map(|s| s.remaining(Component::Principal).unwrap())
        .collect();
    Money::checked_sum(Currency::NGN, &all).unwrap()
}

#[test]
fn allocation_order_must_name_each_component_once() {
    assert_eq!(
        AllocationOrder::new([
            Component::Penalty,
            Component::Penalty,
            Component::Interest,
            Component::Principal
        ]),
        Err(LoanError::InvalidAllocationOrder)
    );
    let json = serde_json::to_string(&AllocationOrder::default()).unwrap();
    assert_eq!(json, r#"["penalty","fee","interest","principal"]"#);
    assert!(
        serde_json::from_str::<AllocationOrder>(r#"["fee","fee","interest","principal"]"#).is_err()
    );
}

#[test]
fn a_partial_payment_leaves_the_installment_partly_paid_in_order() {
    let terms = builder(Method::Annuity).build().unwrap();
    let mut rows = states(&terms);
    rows[0].set_penalty(ngn("50"));
    // 2,070.58 due (interest 120.00) plus a 50.00 penalty; pay 100.00 on time.
    let allocation = pay(
        &terms,
        &mut rows,
        "100",
        day(2026, 2, 15),
        Reamortize::ShortenTerm,
    );
    assert_eq!(
        allocation.lines,
        [
            AllocationLine {
                installment: 1,
                component: Component::Penalty,
                amount: ngn("50")
            },
            AllocationLine {
                installment: 1,
                component: Component::Interest,
                amount: ngn("50")
            },
        ]
    );
    assert!(allocation.prepayment.is_none());
    assert_eq!(rows[0].remaining(Component::Interest).unwrap(), ngn("70"));
    assert!(!rows[0].is_settled().unwrap());
    assert!(rows[0].is_overdue(day(2026, 2, 16)).unwrap());

    // Principal first, when the lender says so.
    let mut rows = states(&terms);
    let order = AllocationOrder::new([
        Component::Principal,
        Component::Interest,
        Component::Fee,
        Component::Penalty,
    ])
    .unwrap();
    let allocation = allocate(
        &terms,
        &rows,
        ngn("100"),
        day(2026, 2, 15),
        order,
        Reamortize::ShortenTerm,
    )
    .unwrap();
    assert_eq!(allocation.totals.principal, ngn("100"));
    apply(&mut rows, &allocation);
    assert_eq!(rows[0].paid().principal, ngn("100"));
}

#[test]
fn overdue_installments_are_paid_oldest_first_then_the_next() {
    let terms = builder(Method::EqualPrincipal).build().unwrap();
    let mut rows = states(&terms);
    // Rows 1 and 2 are due by 20 March; 2,120 + 2,100 + 3,000 (of row 3's 2,080).
    let allocation = pay(
        &terms,
        &mut rows,
        "6300",
        day(2026, 3, 20),
        Reamortize::ShortenTerm,
    );
    let numbers: Vec<u32> = allocation.lines.iter().map(|l| l.installment).collect();
    assert_eq!(numbers, [1, 1, 2, 2, 3, 3]);
    assert!(rows[0].is_settled().unwrap() && rows[1].is_settled().unwrap());
    assert!(rows[2].is_settled().unwrap());
    // 6,300 - 6,300 = 0 left: exactly three installments.
    assert!(allocation.prepayment.is_none());
    assert_eq!(principal_left(&rows), ngn("6000"));
}

#[test]
fn paying_a_few_days_early_is_not_an_overpayment() {
    let terms = builder(Method::Annuity).build().unwrap();
    let mut rows = states(&terms);
    let first = rows[0].row.total;
    let allocation = allocate(
        &terms,
        &rows,
        first,
        day(2026, 2, 12),
        AllocationOrder::default(),
        Reamortize::ShortenTerm,
    )
    .unwrap();
    assert!(allocation.prepayment.is_none());
    apply(&mut rows, &allocation);
    assert!(rows[0].is_settled().unwrap());
}

#[test]
fn an_annuity_overpayment_shortens_the_term_or_lowers_the_installment() {
    let terms = builder(Method::Annuity).build().unwrap();
    let a = Schedule::new(&terms)
        .unwrap()
        .regular_installment()
        .unwrap();
    assert_eq!(a, ngn("2070.58"));

    let mut shorter = states(&terms);
    let allocation = pay(
        &terms,
        &mut shorter,
        "6070.58",
        day(2026, 2, 15),
        Reamortize::ShortenTerm,
    );
    let prepaid = allocation.prepayment.as_ref().unwrap();
    assert_eq!(
        (prepaid.principal, prepaid.interest),
        (ngn("4000"), ngn("0"))
    );
    assert_eq!(prepaid.from_installment, 2);
    // Same installment, two fewer rows, the last smaller.
    assert_eq!(shorter.len(), 4);
    assert_eq!(shorter[1].row.total, a);
    assert_eq!(shorter[2].row.total, a);
    assert!(shorter[3].row.total < a);
    assert_eq!(
        principal_left(&shorter).checked_add(ngn("4000")).unwrap(),
        principal_left(&states(&terms))
            .checked_sub(ngn("1950.58"))
            .unwrap()
    );

    let mut lower = states(&terms);
    pay(
        &terms,
        &mut lower,
        "6070.58",
        day(2026, 2, 15),
        Reamortize::LowerInstallment,
    );
    assert_eq!(lower.len(), 6);
    // 6,049.42 left at 1 % a month over 5 months: 1,246.42.
    assert_eq!(lower[1].row.total, ngn("1246.42"));
    assert_eq!(lower[1].row.opening_balance, ngn("6049.42"));
    assert_eq!(principal_left(&lower), ngn("6049.42"));
    assert_eq!(lower[5].row.closing_balance, ngn("0"));
}

#[test]
fn equal_principal_and_flat_overpayments() {
    let terms = builder(Method::EqualPrincipal).build().unwrap();
    let mut shorter = states(&terms);
    pay(
        &terms,
        &mut shorter,
        "6120",
        day(2026, 2, 15),
        Reamortize::ShortenTerm,
    );
    // 2,120 due, 4,000 prepaid: 6,000 left in 2,000 shares over 3 rows.
    assert_eq!(shorter.len(), 4);
    assert_eq!(shorter[3].row.principal, ngn("2000"));
    let mut lower = states(&terms);
    pay(
        &terms,
        &mut lower,
        "6120",
        day(2026, 2, 15),
        Reamortize::LowerInstallment,
    );
    assert_eq!(lower.len(), 6);
    assert_eq!(lower[1].row.principal, ngn("1200"));

    let flat = builder(Method::Flat).build().unwrap();
    let interest_before: Vec<Money> = states(&flat).iter().map(|s| s.row.interest).collect();
    let mut shorter = states(&flat);
    pay(
        &flat,
        &mut shorter,
        "6120",
        day(2026, 2, 15),
        Reamortize::ShortenTerm,
    );
    // Interest is fixed; principal comes off the last rows.
    let interest: Vec<Money> = shorter.iter().map(|s| s.row.interest).collect();
    assert_eq!(interest, interest_before);
    let principal: Vec<Money> = shorter.iter().map(|s| s.row.principal).collect();
    assert_eq!(
        principal,
        [
            ngn("2000"),
            ngn("2000"),
            ngn("2000"),
            ngn("2000"),
            ngn("0"),
            ngn("0")
        ]
    );
    let mut lower = states(&flat);
    pay(
        &flat,
        &mut lower,
        "6120",
        day(2026, 2, 15),
        Reamortize::LowerInstallment,
    );
    let principal: Vec<Money> = lower.iter().map(|s| s.row.principal).collect();
    assert_eq!(
        principal,
        [
            ngn("2000"),
            ngn("1200"),
            ngn("1200"),
            ngn("1200"),
            ngn("1200"),
            ngn("1200")
        ]
    );
    assert_eq!(lower[5].row.closing_balance, ngn("0"));
}

#[test]
fn a_prepayment_repays_capitalised_interest_first() {
    let terms = LoanTerms::builder(ngn("10000"), "0.12".parse().unwrap(), 6, day(2026, 1, 31))
        .interest_grace(2)
        .build()
        .unwrap();
    let mut rows = states(&terms);
    // Nothing is due on 28 February; row 1 owes nothing, so all 500 goes to the
    // balance of rows 2.. (10,100.00 of which 100.00 capitalised).
    let allocation = pay(
        &terms,
        &mut rows,
        "500",
        day(2026, 2, 28),
        Reamortize::LowerInstallment,
    );
    let p = allocation.prepayment.unwrap();
    assert_eq!((p.interest, p.principal), (ngn("100"), ngn("400")));
    assert_eq!(allocation.totals.interest, ngn("100"));
    assert_eq!(rows[1].row.opening_balance, ngn("9600"));
    assert_eq!(principal_left(&rows), ngn("9600"));
}

#[test]
fn a_penalty_rule_in_another_currency_is_a_penalty_error() {
    let terms = builder(Method::Annuity).build().unwrap();
    let rows = states(&terms);
    let kes_fee = Money::parse("5", Currency::KES).unwrap();
    let rule = PenaltyRule::new(crate::penalty::PenaltyKind::FlatFee { fee: kes_fee }, 0).unwrap();
    assert!(matches!(
        rows[0].penalty_as_of(&rule, day(2026, 3, 1)),
        Err(LoanError::Penalty(_))
    ));
    // Not yet due: nothing is assessed, so nothing can go wrong.
    assert_eq!(rows[0].penalty_as_of(&rule, day(2026, 2, 1)), Ok(ngn("0")));
}

#[test]
fn bad_payments_are_typed_errors() {
    let terms = builder(Method::Annuity).build().unwrap();
    let rows = states(&terms);
    let run = |amount: Money| {
        allocate(
            &terms,
            &rows,
            amount,
            day(2026, 2, 15),
            AllocationOrder::default(),
            Reamortize::ShortenTerm,
        )
    };
    assert_eq!(
        run(ngn("0")),
        Err(LoanError::NonPositivePayment { amount: ngn("0") })
    );
    assert_eq!(
        run(ngn("-1")),
        Err(LoanError::NonPositivePayment { amount: ngn("-1") })
    );
    assert!(matches!(
        run(Money::parse("1", Currency::KES).unwrap()),
        Err(LoanError::CurrencyMismatch {
            field: "payment",
            ..
        })
    ));
    // 2,070.58 due now and 10,049.42 after it.
    assert_eq!(
        run(ngn("12120.01")),
        Err(LoanError::Overpayment {
            amount: ngn("12120.01"),
            max: ngn("12120")
        })
    );
    assert!(run(ngn("12120")).is_ok());
    // Once every installment is due, nothing can be prepaid.
    assert_eq!(
        allocate(
            &terms,
            &rows,
            ngn("20000"),
            day(2026, 12, 1),
            AllocationOrder::default(),
            Reamortize::ShortenTerm
        ),
        Err(LoanError::Overpayment {
            amount: ngn("20000"),
            max: ngn("12423.48")
        })
    );
    let huge = Money::from_minor(crate::money::MAX_MINOR, Currency::NGN).unwrap();
    let mut components = Components::zero(Currency::NGN);
    components.add(Component::Fee, huge).unwrap();
    assert!(matches!(
        components.add(Component::Fee, ngn("1")),
        Err(LoanError::Money(MoneyError::Overflow { .. }))
    ));
}
