use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::ids::{GroupId, MemberId};
use crate::ledger::{Account, AccountKind, EntryDraft, Ledger, Side};
use crate::money::{Currency, Money};

fn ngn(text: &str) -> Money {
    Money::parse(text, Currency::NGN).unwrap()
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn account(owner: &str, kind: AccountKind) -> Account {
    Account::new(owner, kind, Currency::NGN)
}

fn post(ledger: &mut Ledger, key: &str, when: DateTime<Utc>, lines: &[(&Account, Side, &str)]) {
    let mut draft = EntryDraft::new(key, key);
    for (account, side, amount) in lines {
        let amount = Money::parse(amount, account.currency()).unwrap();
        draft = draft.posting((*account).clone(), *side, amount);
    }
    ledger.post(draft.balance().unwrap(), when).unwrap();
}

fn march_2_to_4() -> Period {
    Period::new(at(2, 0), at(4, 0)).unwrap()
}

/// A small ledger: a payment before the period, a penalty charged and half handed back,
/// a chargeback and a provider fee in it, a payment in dollars, and one at the period's
/// end (not in it).
fn ledger() -> Ledger {
    let clearing = account("gateway", AccountKind::GatewayClearing);
    let pot = account("g", AccountKind::GroupPot);
    let receivable = account("g/ada", AccountKind::MemberReceivable);
    let penalty = account("g", AccountKind::PenaltyIncome);
    let disputed = account("gateway", AccountKind::Disputed);
    let fees = account("gateway", AccountKind::GatewayFees);
    let usd_clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::USD);
    let usd_pot = Account::new("u", AccountKind::GroupPot, Currency::USD);
    let mut ledger = Ledger::new();
    use Side::{Credit, Debit};
    post(
        &mut ledger,
        "paid",
        at(1, 9),
        &[(&clearing, Debit, "1000"), (&pot, Credit, "1000")],
    );
    post(
        &mut ledger,
        "late",
        at(2, 0),
        &[(&receivable, Debit, "500"), (&penalty, Credit, "500")],
    );
    post(
        &mut ledger,
        "waived",
        at(2, 9),
        &[(&penalty, Debit, "200"), (&receivable, Credit, "200")],
    );
    post(
        &mut ledger,
        "dispute",
        at(3, 9),
        &[(&disputed, Debit, "300"), (&clearing, Credit, "300")],
    );
    post(
        &mut ledger,
        "fee",
        at(3, 10),
        &[(&fees, Debit, "15"), (&clearing, Credit, "15")],
    );
    post(
        &mut ledger,
        "dollars",
        at(3, 11),
        &[(&usd_clearing, Debit, "9"), (&usd_pot, Credit, "9")],
    );
    post(
        &mut ledger,
        "next",
        at(4, 0),
        &[(&clearing, Debit, "50"), (&pot, Credit, "50")],
    );
    ledger
}

#[test]
fn lines_follow_the_account_kinds_within_the_period_and_currency() {
    let ledger = ledger();
    let report =
        PeriodReport::from_entries(march_2_to_4(), Currency::NGN, ledger.entries()).unwrap();
    assert_eq!(
        report.entries, 4,
        "the dollars and the entry at the end are not in it"
    );
    assert_eq!(report.collections, ngn("0"), "paid before the period");
    assert_eq!(
        report.penalty_income,
        ngn("300"),
        "charged less handed back"
    );
    assert_eq!(
        report.other_gateway,
        ngn("-315"),
        "a chargeback and a fee left clearing"
    );
    assert_eq!(report.in_dispute, ngn("300"));
    assert_eq!(report.gateway_fees, ngn("15"));
    let clearing = report.kind(AccountKind::GatewayClearing).unwrap();
    assert_eq!(
        (
            clearing.opening,
            clearing.debits,
            clearing.credits,
            clearing.closing
        ),
        (ngn("1000"), ngn("0"), ngn("315"), ngn("685"))
    );
    assert_eq!(
        report.kinds.iter().map(|k| k.closing.minor()).sum::<i128>(),
        0
    );
    assert_eq!(report.kind(AccountKind::LoansReceivable), None);

    let dollars =
        PeriodReport::from_entries(march_2_to_4(), Currency::USD, ledger.entries()).unwrap();
    assert_eq!(
        dollars.collections,
        Money::parse("9", Currency::USD).unwrap()
    );
    assert_eq!(dollars.entries, 1);
}

#[test]
fn entries_added_one_at_a_time_make_the_same_report() {
    let ledger = ledger();
    let whole =
        PeriodReport::from_entries(march_2_to_4(), Currency::NGN, ledger.entries()).unwrap();
    let mut builder = ReportBuilder::new(march_2_to_4(), Currency::NGN);
    for page in ledger.entries().chunks(2) {
        for entry in page {
            builder.add(entry).unwrap();
        }
    }
    assert_eq!(builder.finish().unwrap(), whole);
}

#[test]
fn a_group_holds_its_own_and_its_members_accounts_only() {
    let group = Holder::Group {
        group: GroupId::new("g").unwrap(),
    };
    assert!(group.holds("g") && group.holds("g/ada"));
    assert!(!group.holds("g2") && !group.holds("gx/ada") && !group.holds("platform"));
    let ada = Holder::Member {
        member: MemberId::new("ada").unwrap(),
        groups: vec![GroupId::new("g").unwrap()],
    };
    assert!(ada.holds("g/ada"));
    assert!(!ada.holds("g") && !ada.holds("h/ada") && !ada.holds("g/adaeze"));
    let owners = Holder::Owners {
        owners: BTreeSet::from(["platform".to_owned()]),
    };
    assert!(owners.holds("platform") && !owners.holds("g"));
}

#[test]
fn a_statement_runs_each_balance_from_its_opening() {
    let ledger = ledger();
    let holder = Holder::Group {
        group: GroupId::new("g").unwrap(),
    };
    let statement = Statement::from_entries(holder, march_2_to_4(), ledger.entries()).unwrap();
    let receivable = statement
        .account(&account("g/ada", AccountKind::MemberReceivable))
        .unwrap();
    assert_eq!(
        (
            receivable.opening,
            receivable.debits,
            receivable.credits,
            receivable.closing
        ),
        (ngn("0"), ngn("500"), ngn("200"), ngn("300"))
    );
    let pot = statement
        .account(&account("g", AccountKind::GroupPot))
        .unwrap();
    assert_eq!(
        (pot.opening, pot.closing),
        (ngn("-1000"), ngn("-1000")),
        "no movement in it"
    );
    let balances: Vec<(String, Money)> = statement
        .movements
        .iter()
        .map(|m| (format!("{} {}", m.key, m.account.kind()), m.balance))
        .collect();
    assert_eq!(
        balances,
        [
            ("late member_receivable".to_owned(), ngn("500")),
            ("late penalty_income".to_owned(), ngn("-500")),
            ("waived penalty_income".to_owned(), ngn("-300")),
            ("waived member_receivable".to_owned(), ngn("300")),
        ]
    );
}

#[test]
fn reports_and_statements_print_as_tables() {
    let ledger = ledger();
    let report =
        PeriodReport::from_entries(march_2_to_4(), Currency::NGN, ledger.entries()).unwrap();
    insta::assert_snapshot!("period_report", report.to_string());
    let holder = Holder::Group {
        group: GroupId::new("g").unwrap(),
    };
    let statement = Statement::from_entries(holder, march_2_to_4(), ledger.entries()).unwrap();
    insta::assert_snapshot!("group_statement", statement.to_string());
}

#[test]
fn an_entry_posted_earlier_but_recorded_later_still_opens_the_statement() {
    // Two hosts whose clocks disagree: entry 2 is recorded after entry 1 with an earlier
    // posting time, before the period.
    let clearing = account("gateway", AccountKind::GatewayClearing);
    let wallet = account("g/ada", AccountKind::MemberWallet);
    let mut ledger = Ledger::new();
    post(
        &mut ledger,
        "in-period",
        at(3, 9),
        &[
            (&clearing, Side::Debit, "70"),
            (&wallet, Side::Credit, "70"),
        ],
    );
    post(
        &mut ledger,
        "before",
        at(1, 9),
        &[
            (&clearing, Side::Debit, "30"),
            (&wallet, Side::Credit, "30"),
        ],
    );
    let holder = Holder::Group {
        group: GroupId::new("g").unwrap(),
    };
    let statement = Statement::from_entries(holder, march_2_to_4(), ledger.entries()).unwrap();
    let totals = statement.account(&wallet).unwrap();
    assert_eq!((totals.opening, totals.closing), (ngn("-30"), ngn("-100")));
    assert_eq!(statement.movements.len(), 1);
    assert_eq!(statement.movements[0].balance, ngn("-100"));
    let report =
        PeriodReport::from_entries(march_2_to_4(), Currency::NGN, ledger.entries()).unwrap();
    let wallets = report.kind(AccountKind::MemberWallet).unwrap();
    assert_eq!(
        (wallets.opening, wallets.closing),
        (ngn("-30"), ngn("-100"))
    );
}
