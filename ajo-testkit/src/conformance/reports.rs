//! Reports from the books through [`AjoService`], on the path a host takes: the
//! quickstart's whole story (deposits, five rounds with a late member penalised and
//! covered by their deposit, every payout with its fee, a loan with interest, the
//! deposits refunded) on a clock between two microseconds, reported month by month and
//! over the whole, and checked against the trial balance, against what went through the
//! gateway, and against sums recomputed from the raw postings. Every store runs it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ajo_core::books::{Period, PeriodReport, Statement};
use ajo_core::group::GroupStatus;
use ajo_core::ids::{GroupId, HandId, LoanId, MemberId};
use ajo_core::ledger::{Account, AccountKind, JournalEntry, Side};
use ajo_core::loan::{LoanPolicy, LoanTerms};
use ajo_core::money::{Currency, Money};
use ajo_core::ports::{
    Clock, EmailSender, EntryQuery, PaymentGateway, SmsSender, Store, StreamKind,
};
use ajo_core::service::{AjoService, LoanRequest, ServiceError};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Africa::Lagos;

use crate::builders::{contact, member, naira_group};
use crate::fakes::{FakeClock, FakeEmail, FakeGateway, FakeSms};

/// Runs every check, each on a fresh store from `factory`.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    the_quickstarts_books_are_reported_exactly(factory().await).await;
    money_held_for_review_is_reported(factory().await).await;
    groups_are_listed_by_member_and_by_status(factory().await).await;
    reports_of_what_does_not_exist_are_not_found(factory().await).await;
    the_quickstarts_books_are_checkpointed_and_verified(factory().await).await;
}

const MEMBERS: [&str; 5] = ["Ada", "Bola", "Chidi", "Dayo", "Emeka"];

fn naira(text: &str) -> Money {
    Money::parse(text, Currency::NGN).unwrap()
}

/// Noon in Lagos on `date`, between two microseconds.
fn noon(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_nano_opt(11, 0, 0, 987_654_321).unwrap())
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

struct Host {
    service: AjoService,
    gateway: Arc<FakeGateway>,
    clock: Arc<FakeClock>,
}

fn host(store: Arc<dyn Store>, now: DateTime<Utc>) -> Host {
    let gateway = Arc::new(FakeGateway::new());
    let clock = Arc::new(FakeClock::new(now));
    let service = AjoService::new(
        store,
        gateway.clone() as Arc<dyn PaymentGateway>,
        Arc::new(FakeEmail::new()) as Arc<dyn EmailSender>,
        Arc::new(FakeSms::new()) as Arc<dyn SmsSender>,
        clock.clone() as Arc<dyn Clock>,
    );
    Host {
        service,
        gateway,
        clock,
    }
}

/// What the test saw go through the gateway, as the gateway saw it.
#[derive(Default)]
struct Seen {
    /// Each collection's reference, with the amount paid.
    collected: BTreeMap<String, Money>,
}

impl Host {
    async fn pay(&self, reference: &str, seen: &mut Seen) {
        let webhook = self.gateway.pay(reference).unwrap();
        self.service.handle_gateway_event(&webhook).await.unwrap();
        seen.collected
            .insert(reference.to_owned(), webhook.amount());
    }
}

/// The quickstart's story: `cargo run -p ajo-examples --example quickstart`.
async fn quickstart(host: &Host, seen: &mut Seen) -> GroupId {
    let start = date(2026, 1, 31);
    let group = GroupId::new("balogun-market").unwrap();
    let loan = LoanId::new("dayo-1").unwrap();
    let config = naira_group("Balogun market", 20_000, start)
        .fee_rate("0.01".parse().unwrap())
        .build()
        .unwrap();
    host.service.create_group(&group, config).await.unwrap();
    for name in MEMBERS {
        let receipt = host
            .service
            .join(&group, &member(&name.to_lowercase()), 1, &contact(name))
            .await
            .unwrap();
        host.pay(&receipt.deposit.unwrap().reference, seen).await;
    }
    host.service.start(&group).await.unwrap();
    for round in 1..=5u32 {
        let due = host
            .service
            .group(&group)
            .await
            .unwrap()
            .round(round)
            .unwrap()
            .due_date;
        host.clock.set(noon(due - Duration::days(2)));
        host.service.tick().await.unwrap();
        for (i, name) in MEMBERS.iter().enumerate() {
            if round == 2 && *name == "Chidi" {
                continue;
            }
            let hand = HandId::new(u32::try_from(i).unwrap() + 1).unwrap();
            let checkout = host
                .service
                .request_contribution(&group, round, hand)
                .await
                .unwrap();
            host.pay(&checkout.reference, seen).await;
        }
        host.clock.set(noon(due + Duration::days(2)));
        host.service.tick().await.unwrap();
        if round == 2 {
            let today = host.clock.now().date_naive();
            let terms = LoanTerms::builder(naira("30000"), "0.24".parse().unwrap(), 3, today)
                .build()
                .unwrap();
            let request = LoanRequest {
                id: loan.clone(),
                group: group.clone(),
                member: member("dayo"),
                terms,
                policy: LoanPolicy::default(),
            };
            host.service.apply_for_loan(request).await.unwrap();
            host.service.approve_loan(&loan, "organiser").await.unwrap();
            host.service.disburse_loan(&loan).await.unwrap();
            host.service.tick().await.unwrap();
        }
        if round >= 3 {
            let checkout = host
                .service
                .request_loan_repayment(&loan, None)
                .await
                .unwrap();
            host.pay(&checkout.reference, seen).await;
        }
    }
    assert_eq!(
        host.service.group(&group).await.unwrap().status(),
        GroupStatus::Completed,
        "the story runs to the end"
    );
    group
}

fn signed(side: Side, amount: Money) -> i128 {
    match side {
        Side::Debit => amount.minor(),
        Side::Credit => -amount.minor(),
    }
}

/// One kind's opening, debits, credits and closing over `period`, summed from the raw
/// postings, in minor units.
fn recomputed_kind(entries: &[JournalEntry], period: &Period, kind: AccountKind) -> [i128; 4] {
    let (mut opening, mut debits, mut credits) = (0i128, 0i128, 0i128);
    for entry in entries {
        let at = entry.posted_at();
        for p in entry.entry().postings() {
            if p.account.kind() != kind || p.account.currency() != Currency::NGN {
                continue;
            }
            if at < period.from() {
                opening += signed(p.side, p.amount);
            } else if at < period.until() {
                match p.side {
                    Side::Debit => debits += p.amount.minor(),
                    Side::Credit => credits += p.amount.minor(),
                }
            }
        }
    }
    [opening, debits, credits, opening + debits - credits]
}

/// The net movement into clearing of the entries in `period` whose reference is one of
/// `references`: the gateway's own list of what it collected or sent.
fn through_gateway(
    entries: &[JournalEntry],
    period: &Period,
    references: &BTreeSet<String>,
) -> i128 {
    entries
        .iter()
        .filter(|e| period.contains(e.posted_at()))
        .filter(|e| {
            e.entry()
                .reference()
                .is_some_and(|r| references.contains(r))
        })
        .flat_map(|e| e.entry().postings())
        .filter(|p| p.account.kind() == AccountKind::GatewayClearing)
        .map(|p| signed(p.side, p.amount))
        .sum()
}

fn income(entries: &[JournalEntry], period: &Period, kind: AccountKind) -> i128 {
    let [_, debits, credits, _] = recomputed_kind(entries, period, kind);
    credits - debits
}

/// The references the gateway saw money under, by what became of it.
#[derive(Default)]
struct References {
    /// Paid and applied.
    collected: BTreeSet<String>,
    /// Paid and held for review.
    held: BTreeSet<String>,
    /// Sent to members.
    sent: BTreeSet<String>,
}

/// Every line of `report` against sums recomputed from the raw postings.
fn check_against_postings(report: &PeriodReport, entries: &[JournalEntry], gateway: &References) {
    let References {
        collected,
        held,
        sent,
    } = gateway;
    let period = &report.period;
    let at = format!("over {period}");
    let kinds: BTreeSet<AccountKind> = entries
        .iter()
        .filter(|e| e.posted_at() < period.until())
        .flat_map(|e| e.entry().postings())
        .map(|p| p.account.kind())
        .collect();
    assert_eq!(
        report.kinds.iter().map(|k| k.kind).collect::<BTreeSet<_>>(),
        kinds,
        "every kind posted to before the end, and no other, {at}"
    );
    for line in &report.kinds {
        let expected = recomputed_kind(entries, period, line.kind);
        assert_eq!(
            [
                line.opening.minor(),
                line.debits.minor(),
                line.credits.minor(),
                line.closing.minor()
            ],
            expected,
            "{} {at}",
            line.kind
        );
    }
    let entry_count = entries
        .iter()
        .filter(|e| period.contains(e.posted_at()))
        .count();
    assert_eq!(
        report.entries,
        u64::try_from(entry_count).unwrap(),
        "entries {at}"
    );
    assert_eq!(
        report.collections.minor(),
        through_gateway(entries, period, collected),
        "collections {at}"
    );
    assert_eq!(
        report.payouts.minor(),
        -through_gateway(entries, period, sent),
        "payouts {at}"
    );
    assert_eq!(
        report.held_for_review.minor(),
        through_gateway(entries, period, held),
        "held for review {at}"
    );
    assert!(report.other_gateway.is_zero(), "{at}");
    assert_eq!(
        report.in_review.minor(),
        -recomputed_kind(entries, period, AccountKind::Suspense)[3],
        "in review {at}"
    );
    assert_eq!(
        report.platform_fees.minor(),
        income(entries, period, AccountKind::PlatformFees),
        "{at}"
    );
    assert_eq!(
        report.penalty_income.minor(),
        income(entries, period, AccountKind::PenaltyIncome),
        "{at}"
    );
    assert_eq!(
        report.loan_interest.minor(),
        income(entries, period, AccountKind::InterestIncome),
        "{at}"
    );
    assert_eq!(
        report.deposits_held.minor(),
        -recomputed_kind(entries, period, AccountKind::DepositEscrow)[3],
        "deposits held {at}"
    );
    let clearing = recomputed_kind(entries, period, AccountKind::GatewayClearing);
    assert_eq!(
        clearing[3] - clearing[0],
        report.collections.minor() + report.held_for_review.minor() + report.other_gateway.minor()
            - report.payouts.minor(),
        "the gateway lines account for every movement of clearing {at}"
    );
}

/// The quickstart run through the service, then reported. Over its whole span the
/// report shows the quickstart's own figures (platform fees ₦5,000.00, penalty income
/// ₦500.00, loan interest ₦1,207.92); its closing balances are the trial balance, kind by
/// kind, and sum to zero; collections and payouts are what the gateway collected and
/// sent. Month by month every line equals its sum recomputed from the raw postings, each
/// month opens where the one before closed, and the months add up to the whole. The
/// group's and members' statements end at the ledger's balances, running balance by
/// running balance, and the journal read by account and period is the raw journal
/// filtered.
pub async fn the_quickstarts_books_are_reported_exactly(store: Arc<dyn Store>) {
    let host = host(store.clone(), noon(date(2026, 1, 17)));
    let mut seen = Seen::default();
    let group = quickstart(&host, &mut seen).await;
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    let sent_by_gateway = host.gateway.payouts();
    let gateway = References {
        collected: seen.collected.keys().cloned().collect(),
        held: BTreeSet::new(),
        sent: sent_by_gateway.keys().cloned().collect(),
    };
    assert_eq!(
        gateway.sent.len(),
        11,
        "five payouts, five deposit refunds and the loan"
    );

    // The whole story, January to June in Lagos.
    let whole = Period::dates(date(2026, 1, 1), date(2026, 6, 30), Lagos).unwrap();
    let report = host.service.report(&whole, Currency::NGN).await.unwrap();
    assert_eq!(
        report.platform_fees,
        naira("5000"),
        "as the quickstart prints"
    );
    assert_eq!(
        report.penalty_income,
        naira("500"),
        "as the quickstart prints"
    );
    assert_eq!(
        report.loan_interest,
        naira("1207.92"),
        "as the quickstart prints"
    );
    assert_eq!(report.deposits_held, naira("0"), "every deposit refunded");
    assert_eq!(report.in_review, naira("0"));
    assert_eq!(report.in_dispute, naira("0"));
    assert_eq!(report.gateway_fees, naira("0"));
    let paid_in = Money::checked_sum(Currency::NGN, seen.collected.values()).unwrap();
    assert_eq!(
        report.collections, paid_in,
        "every payment the gateway reported"
    );
    let paid_out = Money::checked_sum(
        Currency::NGN,
        sent_by_gateway.values().map(|(amount, _)| amount),
    )
    .unwrap();
    assert_eq!(
        report.payouts, paid_out,
        "every payout the gateway was asked to send"
    );
    assert_eq!(report.entries, u64::try_from(entries.len()).unwrap());

    let mut trial: BTreeMap<AccountKind, i128> = BTreeMap::new();
    for (account, balance) in store.balances().await.unwrap() {
        *trial.entry(account.kind()).or_default() += balance.minor();
    }
    for line in &report.kinds {
        assert!(
            line.opening.is_zero(),
            "nothing before January: {}",
            line.kind
        );
        assert_eq!(
            line.closing.minor(),
            trial.get(&line.kind).copied().unwrap_or(0),
            "{} closes at the trial balance",
            line.kind
        );
    }
    assert_eq!(
        trial.values().filter(|v| **v != 0).count(),
        report.kinds.iter().filter(|k| !k.closing.is_zero()).count(),
        "no kind of the trial balance is missing from the report"
    );
    assert_eq!(
        report.kinds.iter().map(|k| k.closing.minor()).sum::<i128>(),
        0
    );
    assert_eq!(
        report.kind(AccountKind::GatewayClearing).unwrap().closing,
        naira("6707.92"),
        "the quickstart's clearing balance: fees, penalty and interest"
    );
    check_against_postings(&report, &entries, &gateway);

    // Month by month.
    let months: Vec<Period> = (1..=6)
        .map(|m| Period::month(2026, m, Lagos).unwrap())
        .collect();
    let mut reports = Vec::new();
    for month in &months {
        let monthly = host.service.report(month, Currency::NGN).await.unwrap();
        check_against_postings(&monthly, &entries, &gateway);
        reports.push(monthly);
    }
    for pair in reports.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        for line in &after.kinds {
            let closed = before.kind(line.kind).map_or(0, |k| k.closing.minor());
            assert_eq!(
                line.opening.minor(),
                closed,
                "{} opens where it closed",
                line.kind
            );
        }
    }
    let sum = |f: fn(&PeriodReport) -> Money| reports.iter().map(|r| f(r).minor()).sum::<i128>();
    assert_eq!(sum(|r| r.collections), report.collections.minor());
    assert_eq!(sum(|r| r.payouts), report.payouts.minor());
    assert_eq!(sum(|r| r.platform_fees), report.platform_fees.minor());
    assert_eq!(sum(|r| r.penalty_income), report.penalty_income.minor());
    assert_eq!(sum(|r| r.loan_interest), report.loan_interest.minor());
    assert_eq!(
        reports.iter().map(|r| r.entries).sum::<u64>(),
        report.entries,
        "back-to-back months share no entry"
    );
    // Round 2 fell due on 28 February; after the grace day, on 2 March, Chidi was
    // charged and his deposit covered his due.
    let (february, march) = (&reports[1], &reports[2]);
    assert_eq!(february.penalty_income, naira("0"));
    assert_eq!(
        march.penalty_income,
        naira("500"),
        "Chidi was charged in March"
    );
    assert_eq!(
        february.deposits_held,
        naira("100000"),
        "five deposits held"
    );
    assert_eq!(
        march.deposits_held,
        naira("100000"),
        "Chidi's deposit covered his due in March and was topped up when he paid"
    );
    assert!(
        march.kind(AccountKind::DepositEscrow).unwrap().debits >= naira("20000"),
        "the cover drew on the escrow"
    );

    // Statements.
    let group_statement = host.service.group_statement(&group, &whole).await.unwrap();
    check_statement(&group_statement, &store, &entries).await;
    let group_owners: BTreeSet<&str> = group_statement
        .accounts
        .iter()
        .map(|a| a.account.owner())
        .collect();
    assert!(
        group_owners.contains("balogun-market") && group_owners.contains("balogun-market/chidi")
    );
    assert!(!group_owners.contains("platform") && !group_owners.contains("gateway"));
    let chidi = host
        .service
        .member_statement(&member("chidi"), &whole)
        .await
        .unwrap();
    check_statement(&chidi, &store, &entries).await;
    assert!(
        chidi
            .accounts
            .iter()
            .all(|a| a.account.owner() == "balogun-market/chidi")
    );
    let receivable = Account::new(
        "balogun-market/chidi",
        AccountKind::MemberReceivable,
        Currency::NGN,
    );
    assert!(
        chidi
            .movements
            .iter()
            .any(|m| m.account == receivable && m.side == Side::Debit && m.amount == naira("500")),
        "Chidi's penalty is on his statement"
    );
    // Month by month, an account's statement opens where it closed.
    let (feb, mar) = (
        host.service
            .member_statement(&member("dayo"), &months[1])
            .await
            .unwrap(),
        host.service
            .member_statement(&member("dayo"), &months[2])
            .await
            .unwrap(),
    );
    check_statement(&mar, &store, &entries).await;
    for account in &mar.accounts {
        let closed = feb
            .account(&account.account)
            .map_or(0, |a| a.closing.minor());
        assert_eq!(
            account.opening.minor(),
            closed,
            "{} opens where it closed",
            account.account
        );
    }
    let dayo_wallet = Account::new(
        "balogun-market/dayo",
        AccountKind::MemberWallet,
        Currency::NGN,
    );
    let loan_lines: Vec<_> = feb
        .movements
        .iter()
        .chain(&mar.movements)
        .filter(|m| m.account == dayo_wallet && m.amount == naira("30000"))
        .map(|m| m.side)
        .collect();
    assert_eq!(
        loan_lines,
        [Side::Credit, Side::Debit],
        "the loan is paid into Dayo's wallet and sent"
    );

    // The journal by account and period.
    let fees = Account::new("platform", AccountKind::PlatformFees, Currency::NGN);
    let fee_entries = host.service.entries(&fees, &whole).await.unwrap();
    assert_eq!(fee_entries.len(), 5, "one fee per payout");
    let raw: Vec<&JournalEntry> = entries
        .iter()
        .filter(|e| e.entry().postings().iter().any(|p| p.account == fees))
        .collect();
    assert_eq!(fee_entries.iter().collect::<Vec<_>>(), raw);
    let in_march = host.service.entries(&fees, &months[2]).await.unwrap();
    assert!(in_march.iter().all(|e| months[2].contains(e.posted_at())));
    assert_eq!(in_march.len(), 1, "March's payout");

    assert_eq!(
        serde_json::to_value(&report).unwrap()["platform_fees"],
        serde_json::to_value(naira("5000")).unwrap(),
        "a report serializes to JSON"
    );
    assert!(serde_json::to_string(&chidi).is_ok());
}

/// A payment of another amount than asked is held for review: the month's report shows
/// it held for review and in review (not collected), beside the right payment collected,
/// each as the gateway saw it and as the raw postings sum.
pub async fn money_held_for_review_is_reported(store: Arc<dyn Store>) {
    let host = host(store.clone(), noon(date(2026, 3, 2)));
    let group = GroupId::new("review-me").unwrap();
    let config = naira_group("Review me", 10_000, date(2026, 3, 31))
        .deposit(ajo_core::group::deposit::DepositRule::None)
        .build()
        .unwrap();
    host.service.create_group(&group, config).await.unwrap();
    for name in ["Ada", "Bola"] {
        host.service
            .join(&group, &member(&name.to_lowercase()), 1, &contact(name))
            .await
            .unwrap();
    }
    host.service.start(&group).await.unwrap();
    let mut gateway = References::default();
    let ada = host
        .service
        .request_contribution(&group, 1, HandId::new(1).unwrap())
        .await
        .unwrap();
    let short = host
        .gateway
        .pay_amount(&ada.reference, naira("7000"))
        .unwrap();
    host.service.handle_gateway_event(&short).await.unwrap();
    gateway.held.insert(ada.reference.clone());
    let bola = host
        .service
        .request_contribution(&group, 1, HandId::new(2).unwrap())
        .await
        .unwrap();
    let mut seen = Seen::default();
    host.pay(&bola.reference, &mut seen).await;
    gateway.collected.insert(bola.reference.clone());

    let march = Period::month(2026, 3, Lagos).unwrap();
    let report = host.service.report(&march, Currency::NGN).await.unwrap();
    assert_eq!(report.held_for_review, naira("7000"));
    assert_eq!(report.in_review, naira("7000"));
    assert_eq!(
        report.collections,
        naira("10000"),
        "only Bola's payment is collected"
    );
    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    check_against_postings(&report, &entries, &gateway);
    let suspense = report.kind(AccountKind::Suspense).unwrap();
    assert_eq!(
        suspense.closing,
        naira("-7000"),
        "a credit balance, as the ledger keeps it"
    );
    assert_eq!(
        report.kinds.iter().map(|k| k.closing.minor()).sum::<i128>(),
        0
    );
    let april = Period::month(2026, 4, Lagos).unwrap();
    let later = host.service.report(&april, Currency::NGN).await.unwrap();
    assert_eq!(later.in_review, naira("7000"), "still held at April's end");
    assert!(later.held_for_review.is_zero(), "nothing new held in April");
}

/// A statement's lines run from each account's opening to its closing, which for a period
/// reaching past the last entry is the ledger's balance; every account is the holder's,
/// and every posting of the holder's accounts in the period is on it.
async fn check_statement(statement: &Statement, store: &Arc<dyn Store>, entries: &[JournalEntry]) {
    let period = statement.period;
    let last = entries.last().map(|e| e.posted_at());
    for totals in &statement.accounts {
        let account = &totals.account;
        assert!(
            statement.holder.holds(account.owner()),
            "{account} is not the holder's"
        );
        let mut running = totals.opening.minor();
        let mut debits = 0;
        let mut credits = 0;
        for line in statement.movements.iter().filter(|m| &m.account == account) {
            running += signed(line.side, line.amount);
            match line.side {
                Side::Debit => debits += line.amount.minor(),
                Side::Credit => credits += line.amount.minor(),
            }
            assert_eq!(
                line.balance.minor(),
                running,
                "the running balance of {account}"
            );
        }
        assert_eq!(
            totals.closing.minor(),
            running,
            "{account} closes at its last line"
        );
        assert_eq!(
            (totals.debits.minor(), totals.credits.minor()),
            (debits, credits)
        );
        if last.is_some_and(|l| l < period.until()) {
            assert_eq!(
                totals.closing,
                store.balance(account).await.unwrap(),
                "{account} closes at the ledger's balance"
            );
        }
    }
    let expected: Vec<(u64, Account)> = entries
        .iter()
        .filter(|e| period.contains(e.posted_at()))
        .flat_map(|e| {
            e.entry()
                .postings()
                .iter()
                .filter(|p| statement.holder.holds(p.account.owner()))
                .map(move |p| (e.id().0, p.account.clone()))
        })
        .collect();
    let listed: Vec<(u64, Account)> = statement
        .movements
        .iter()
        .map(|m| (m.entry.0, m.account.clone()))
        .collect();
    assert_eq!(
        listed, expected,
        "every posting of the period, in journal order"
    );
    assert!(
        statement
            .movements
            .iter()
            .all(|m| period.contains(m.posted_at))
    );
}

/// Groups by member come from the member's index in join order; groups by status list
/// every group in that status (and only those), in id order, whatever the number of
/// groups per page.
pub async fn groups_are_listed_by_member_and_by_status(store: Arc<dyn Store>) {
    let host = host(store.clone(), noon(date(2026, 3, 2)));
    let start = date(2026, 3, 31);
    let make = |name: &str| {
        naira_group(name, 10_000, start)
            .deposit(ajo_core::group::deposit::DepositRule::None)
            .min_hands(2)
            .build()
            .unwrap()
    };
    let ids: Vec<GroupId> = ["c-active", "a-forming", "b-cancelled", "d-forming"]
        .iter()
        .map(|id| GroupId::new(*id).unwrap())
        .collect();
    for id in &ids {
        host.service
            .create_group(id, make(id.as_str()))
            .await
            .unwrap();
    }
    // Ada joins in another order than the ids'.
    for id in [&ids[0], &ids[2], &ids[1]] {
        host.service
            .join(id, &member("ada"), 1, &contact("Ada"))
            .await
            .unwrap();
    }
    host.service
        .join(&ids[0], &member("bola"), 1, &contact("Bola"))
        .await
        .unwrap();
    host.service.start(&ids[0]).await.unwrap();
    host.service.cancel_group(&ids[2]).await.unwrap();

    let of_ada: Vec<(String, GroupStatus)> = host
        .service
        .groups_of_member(&member("ada"))
        .await
        .unwrap()
        .into_iter()
        .map(|g| (g.id.to_string(), g.status))
        .collect();
    assert_eq!(
        of_ada,
        [
            ("c-active".to_owned(), GroupStatus::Active),
            ("b-cancelled".to_owned(), GroupStatus::Cancelled),
            ("a-forming".to_owned(), GroupStatus::Forming),
        ],
        "in join order, each with its status"
    );
    let by = |status| {
        let service = &host.service;
        async move {
            service
                .groups_by_status(status)
                .await
                .unwrap()
                .into_iter()
                .map(|g| g.id.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(by(GroupStatus::Forming).await, ["a-forming", "d-forming"]);
    assert_eq!(by(GroupStatus::Active).await, ["c-active"]);
    assert_eq!(by(GroupStatus::Cancelled).await, ["b-cancelled"]);
    assert!(by(GroupStatus::Completed).await.is_empty());
    let listed = store
        .stream_ids(StreamKind::Group, None, 100)
        .await
        .unwrap();
    assert_eq!(
        listed,
        ["a-forming", "b-cancelled", "c-active", "d-forming"]
    );
}

/// A statement of a group or member that does not exist is not found, not empty; a
/// report of a period with no entries is all zeros.
pub async fn reports_of_what_does_not_exist_are_not_found(store: Arc<dyn Store>) {
    let host = host(store, noon(date(2026, 3, 2)));
    let month = Period::month(2026, 3, Lagos).unwrap();
    let unknown = GroupId::new("nobody").unwrap();
    assert!(matches!(
        host.service.group_statement(&unknown, &month).await,
        Err(ServiceError::NotFound(_))
    ));
    let stranger: MemberId = member("stranger");
    assert!(matches!(
        host.service.member_statement(&stranger, &month).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        host.service.groups_of_member(&stranger).await,
        Err(ServiceError::NotFound(_))
    ));
    let empty = host.service.report(&month, Currency::NGN).await.unwrap();
    assert!(empty.kinds.is_empty() && empty.entries == 0 && empty.collections.is_zero());
}

/// The quickstart's story through the service: each entry lands in its group's or its
/// loan's book (the book its reference names), `tick` takes a checkpoint whenever one is
/// due and a book has moved, and `verify_books` checks every chain, the balances and
/// every checkpoint.
pub async fn the_quickstarts_books_are_checkpointed_and_verified(store: Arc<dyn Store>) {
    let host = host(store.clone(), noon(date(2026, 1, 20)));
    let mut seen = Seen::default();
    quickstart(&host, &mut seen).await;

    let entries = store.entries(&EntryQuery::default()).await.unwrap();
    let books: BTreeSet<&str> = entries.iter().map(|e| e.book().as_str()).collect();
    assert_eq!(
        books,
        BTreeSet::from(["g:balogun-market", "l:dayo-1"]),
        "the group's and the loan's books, nothing in a shared one"
    );
    for entry in &entries {
        if let Some(reference) = entry.entry().reference() {
            let named = ajo_core::ports::StreamId::new(StreamKind::Payment, reference).book();
            assert_eq!(
                entry.book(),
                &named,
                "{reference} is in its reference's book"
            );
        }
    }

    let checkpoints = store.checkpoints(0, 1000).await.unwrap();
    assert!(
        checkpoints.len() >= 5,
        "tick took a checkpoint as the days went by: {}",
        checkpoints.len()
    );
    let verified = host.service.verify_books().await.unwrap();
    assert_eq!(verified.audit.entries, entries.len());
    assert_eq!(verified.audit.books, store.heads().await.unwrap());
    assert_eq!(verified.checkpoints.checkpoints, checkpoints.len());
    assert_eq!(
        verified.checkpoints.latest,
        checkpoints.last().map(ajo_core::ledger::Checkpoint::hash)
    );

    // Nothing moved since the last: no new checkpoint, however late.
    let last = checkpoints.last().unwrap().clone();
    let latest_heads = store.heads().await.unwrap();
    if last.heads() != latest_heads.as_slice() {
        assert!(host.service.checkpoint().await.unwrap().is_some());
    }
    host.clock.set(host.clock.now() + Duration::days(1));
    assert_eq!(host.service.tick().await.unwrap().checkpoint, None);
    assert_eq!(host.service.checkpoint().await.unwrap(), None);

    // A new group's deposit opens its book: the next due tick commits to it, chained to
    // the last checkpoint.
    host.clock.set(host.clock.now() + Duration::hours(2));
    let before = store.last_checkpoint().await.unwrap().unwrap();
    let second = GroupId::new("second-market").unwrap();
    let config = naira_group(
        "Second market",
        10_000,
        host.clock.now().date_naive() + Duration::days(30),
    )
    .build()
    .unwrap();
    host.service.create_group(&second, config).await.unwrap();
    let receipt = host
        .service
        .join(&second, &member("ada"), 1, &contact("Ada"))
        .await
        .unwrap();
    host.pay(&receipt.deposit.unwrap().reference, &mut seen)
        .await;
    let report = host.service.tick().await.unwrap();
    assert_eq!(report.checkpoint, Some(before.number() + 1));
    let after = store.last_checkpoint().await.unwrap().unwrap();
    assert_eq!(after.prev(), before.hash());
    assert!(
        after
            .head_of(&ajo_core::ledger::Book::new("g:second-market"))
            .is_some()
    );
    host.service.verify_books().await.unwrap();
}
