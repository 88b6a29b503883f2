//! The ledger's rules and every error path, by example.

use ajo_core::ledger::{
    Account, AccountKind, Book, ChainError, EntryDraft, EntryId, JournalEntry, Ledger, LedgerError,
    MAX_KEY_LEN, StatementLine, reconcile,
};
use ajo_core::money::{Currency, Money, MoneyError};
use chrono::{DateTime, TimeZone, Utc};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 30, 0).unwrap()
}

fn ngn(text: &str) -> Money {
    Money::parse(text, Currency::NGN).unwrap()
}

fn acct(owner: &str, kind: AccountKind) -> Account {
    Account::new(owner, kind, Currency::NGN)
}

fn clearing() -> Account {
    acct("paystack", AccountKind::GatewayClearing)
}

fn pot() -> Account {
    acct("group-1", AccountKind::GroupPot)
}

fn contribution(key: &str, amount: &str) -> EntryDraft {
    EntryDraft::new(key, "contribution")
        .reference(format!("ref-{key}"))
        .debit(clearing(), ngn(amount))
        .credit(pot(), ngn(amount))
}

fn snapshot(ledger: &Ledger) -> (Vec<JournalEntry>, Vec<(Account, Money)>) {
    let rows = ledger
        .trial_balance()
        .rows()
        .map(|(a, m)| (a.clone(), *m))
        .collect();
    (ledger.entries().to_vec(), rows)
}

#[test]
fn a_balanced_entry_moves_both_accounts() {
    let mut ledger = Ledger::new();
    let posted = ledger
        .post(contribution("k1", "5000").balance().unwrap(), at())
        .unwrap();
    assert_eq!(posted.id, EntryId(1));
    assert!(!posted.replayed);
    assert_eq!(ledger.balance(&clearing()), ngn("5000"));
    assert_eq!(ledger.balance(&pot()), ngn("-5000"));
    assert_eq!(
        ledger.balance(&acct("nobody", AccountKind::MemberWallet)),
        ngn("0")
    );
    assert!(ledger.trial_balance().is_zero());
    assert_eq!(ledger.entry_by_key("k1").unwrap().id(), EntryId(1));
    assert_eq!(ledger.entry(EntryId(1)).unwrap().posted_at(), at());
    assert!(ledger.entry(EntryId(0)).is_none() && ledger.entry(EntryId(2)).is_none());
}

#[test]
fn draft_errors_each_have_their_variant() {
    assert_eq!(
        EntryDraft::new("", "m")
            .debit(clearing(), ngn("1"))
            .credit(pot(), ngn("1"))
            .balance(),
        Err(LedgerError::InvalidKey { len: 0 })
    );
    let long = "k".repeat(MAX_KEY_LEN + 1);
    assert_eq!(
        EntryDraft::new(long, "m")
            .debit(clearing(), ngn("1"))
            .credit(pot(), ngn("1"))
            .balance(),
        Err(LedgerError::InvalidKey {
            len: MAX_KEY_LEN + 1
        })
    );
    assert_eq!(
        EntryDraft::new("k", "m")
            .debit(clearing(), ngn("1"))
            .balance(),
        Err(LedgerError::TooFewPostings { count: 1 })
    );
    assert_eq!(
        EntryDraft::new("k", "m")
            .debit(clearing(), ngn("0"))
            .credit(pot(), ngn("0"))
            .balance(),
        Err(LedgerError::NonPositiveAmount { index: 0 })
    );
    assert_eq!(
        EntryDraft::new("k", "m")
            .debit(clearing(), ngn("1"))
            .credit(pot(), ngn("-1"))
            .balance(),
        Err(LedgerError::NonPositiveAmount { index: 1 })
    );
    let kes = Money::parse("1", Currency::KES).unwrap();
    assert_eq!(
        EntryDraft::new("k", "m")
            .debit(clearing(), ngn("1"))
            .credit(pot(), kes)
            .balance(),
        Err(LedgerError::CurrencyMismatch {
            index: 1,
            account: Currency::NGN,
            amount: Currency::KES
        })
    );
    assert_eq!(
        EntryDraft::new("k", "m")
            .debit(clearing(), ngn("1.00"))
            .credit(pot(), ngn("0.99"))
            .balance(),
        Err(LedgerError::Unbalanced {
            currency: Currency::NGN,
            debits: ngn("1.00"),
            credits: ngn("0.99")
        })
    );
    let max = Money::from_minor(ajo_core::money::MAX_MINOR, Currency::NGN).unwrap();
    assert_eq!(
        EntryDraft::new("k", "m")
            .debit(clearing(), max)
            .debit(clearing(), max)
            .credit(pot(), max)
            .credit(pot(), max)
            .balance(),
        Err(LedgerError::Money(MoneyError::Overflow {
            operation: "add"
        }))
    );
}

#[test]
fn each_currency_must_balance_on_its_own() {
    let kes_clearing = Account::new("mpesa", AccountKind::GatewayClearing, Currency::KES);
    let kes_pot = Account::new("group-2", AccountKind::GroupPot, Currency::KES);
    let kes = |t: &str| Money::parse(t, Currency::KES).unwrap();
    let two_currencies = EntryDraft::new("fx", "two currencies")
        .debit(clearing(), ngn("10"))
        .credit(pot(), ngn("10"))
        .debit(kes_clearing.clone(), kes("3"))
        .credit(kes_pot.clone(), kes("3"));
    assert!(two_currencies.balance().is_ok());
    // 10 NGN against 10 KES is not balanced, though the numbers agree.
    let crossed = EntryDraft::new("cross", "crossed")
        .debit(clearing(), ngn("10"))
        .credit(kes_pot, kes("10"));
    assert!(matches!(
        crossed.balance(),
        Err(LedgerError::Unbalanced { .. })
    ));
}

#[test]
fn the_same_key_and_content_is_a_replay() {
    let mut ledger = Ledger::new();
    let first = ledger
        .post(contribution("k1", "5000").balance().unwrap(), at())
        .unwrap();
    let later = at() + chrono::Duration::hours(1);
    let again = ledger
        .post(contribution("k1", "5000").balance().unwrap(), later)
        .unwrap();
    assert_eq!(again.id, first.id);
    assert!(again.replayed);
    assert_eq!(ledger.entries().len(), 1);
    assert_eq!(ledger.balance(&pot()), ngn("-5000"));
}

#[test]
fn the_same_key_with_other_content_is_a_conflict_and_changes_nothing() {
    let mut ledger = Ledger::new();
    ledger
        .post(contribution("k1", "5000").balance().unwrap(), at())
        .unwrap();
    let before = snapshot(&ledger);
    let err = ledger
        .post(contribution("k1", "5001").balance().unwrap(), at())
        .unwrap_err();
    assert_eq!(
        err,
        LedgerError::IdempotencyConflict {
            key: "k1".into(),
            existing: EntryId(1)
        }
    );
    assert_eq!(snapshot(&ledger), before);
}

#[test]
fn reversal_undoes_an_entry_and_names_it() {
    let mut ledger = Ledger::new();
    ledger
        .post(contribution("k1", "5000").balance().unwrap(), at())
        .unwrap();
    let rev = ledger
        .reverse(EntryId(1), "k1:reversal", "charge reversed", at())
        .unwrap();
    assert_eq!(rev.id, EntryId(2));
    let reversal = ledger.entry(rev.id).unwrap().entry();
    assert_eq!(reversal.reverses(), Some(EntryId(1)));
    assert_eq!(reversal.reference(), Some("ref-k1"));
    assert_eq!(ledger.reversed_by(EntryId(1)), Some(EntryId(2)));
    assert!(ledger.balance(&pot()).is_zero());
    assert!(ledger.balance(&clearing()).is_zero());
    // Retrying the reversal is a replay; a second, different reversal is refused.
    let again = ledger
        .reverse(EntryId(1), "k1:reversal", "charge reversed", at())
        .unwrap();
    assert!(again.replayed);
    let before = snapshot(&ledger);
    assert_eq!(
        ledger.reverse(EntryId(1), "k1:reversal-2", "again", at()),
        Err(LedgerError::AlreadyReversed {
            original: EntryId(1),
            by: EntryId(2)
        })
    );
    assert_eq!(
        ledger.reverse(EntryId(9), "k9", "none", at()),
        Err(LedgerError::UnknownEntry(EntryId(9)))
    );
    assert_eq!(
        ledger.reverse(EntryId(1), "", "empty key", at()),
        Err(LedgerError::InvalidKey { len: 0 })
    );
    assert_eq!(snapshot(&ledger), before);
}

#[test]
fn a_balance_leaving_the_range_is_refused_and_changes_nothing() {
    let max = Money::from_minor(ajo_core::money::MAX_MINOR, Currency::NGN).unwrap();
    let mut ledger = Ledger::new();
    let big = |key: &str| {
        EntryDraft::new(key, "big")
            .debit(clearing(), max)
            .credit(pot(), max)
            .balance()
            .unwrap()
    };
    ledger.post(big("b1"), at()).unwrap();
    let before = snapshot(&ledger);
    assert_eq!(
        ledger.post(big("b2"), at()),
        Err(LedgerError::Money(MoneyError::Overflow {
            operation: "balance"
        }))
    );
    assert_eq!(snapshot(&ledger), before);
}

#[test]
fn the_chain_verifies_and_finds_the_first_altered_entry() {
    let mut ledger = Ledger::new();
    for i in 1..=5 {
        ledger
            .post(
                contribution(&format!("k{i}"), "100").balance().unwrap(),
                at(),
            )
            .unwrap();
    }
    ledger.verify_chain().unwrap();
    let stored = serde_json::to_value(ledger.entries()).unwrap();
    assert_eq!(
        Ledger::from_entries(serde_json::from_value(stored.clone()).unwrap())
            .unwrap()
            .entries(),
        ledger.entries()
    );

    // A changed amount on both sides still balances, but the hash gives it away.
    let mut altered = stored.clone();
    altered[2]["entry"]["postings"][0]["amount"]["amount"] = "999.00".into();
    altered[2]["entry"]["postings"][1]["amount"]["amount"] = "999.00".into();
    let entries: Vec<JournalEntry> = serde_json::from_value(altered).unwrap();
    assert_eq!(
        Ledger::from_entries(entries).unwrap_err(),
        ChainError::Altered {
            id: EntryId(3),
            book: Book::journal(),
        }
    );

    let mut memo = stored.clone();
    memo[3]["entry"]["memo"] = "edited".into();
    let entries: Vec<JournalEntry> = serde_json::from_value(memo).unwrap();
    assert_eq!(
        ajo_core::ledger::verify_chain(&entries),
        Err(ChainError::Altered {
            id: EntryId(4),
            book: Book::journal(),
        })
    );

    let mut unbalanced = stored.clone();
    unbalanced[1]["entry"]["postings"][0]["amount"]["amount"] = "1.00".into();
    let entries: Vec<JournalEntry> = serde_json::from_value(unbalanced).unwrap();
    assert!(matches!(
        ajo_core::ledger::verify_chain(&entries),
        Err(ChainError::Invalid { id: EntryId(2), .. })
    ));

    let mut relinked = stored.clone();
    relinked[4]["prev_hash"] = stored[2]["hash"].clone();
    let entries: Vec<JournalEntry> = serde_json::from_value(relinked).unwrap();
    assert_eq!(
        ajo_core::ledger::verify_chain(&entries),
        Err(ChainError::BrokenLink {
            id: EntryId(5),
            book: Book::journal(),
        })
    );

    let mut dropped: Vec<JournalEntry> = serde_json::from_value(stored).unwrap();
    dropped.remove(1);
    assert_eq!(
        ajo_core::ledger::verify_chain(&dropped),
        Err(ChainError::OutOfSequence {
            book: Book::journal(),
            expected: 2,
            found: 3,
        })
    );
}

#[test]
fn reconciliation_reports_every_kind_of_difference() {
    let mut ledger = Ledger::new();
    for (key, amount) in [("a", "5000"), ("b", "5000"), ("c", "7000"), ("d", "100")] {
        ledger
            .post(contribution(key, amount).balance().unwrap(), at())
            .unwrap();
    }
    // A payout leaves the gateway: a negative line.
    let payout = EntryDraft::new("payout", "payout")
        .reference("ref-payout")
        .debit(pot(), ngn("20000"))
        .credit(clearing(), ngn("20000"))
        .balance()
        .unwrap();
    ledger.post(payout, at()).unwrap();
    ledger
        .reverse(EntryId(4), "d:reversal", "charge reversed", at())
        .unwrap();

    let line = |r: &str, amount: Money| StatementLine {
        reference: r.into(),
        amount,
        fee: None,
    };
    let statement = vec![
        line("ref-a", ngn("5000")),
        line("ref-b", ngn("4999.99")),
        line("ref-payout", ngn("-20000")),
        line("ref-x", ngn("300")),
        line("ref-c", Money::parse("7000", Currency::KES).unwrap()),
        line("ref-d", ngn("60")),
        line("ref-d", ngn("-60")),
    ];
    let report = reconcile(ledger.clearing_movements(), statement);
    let refs = |lines: &[StatementLine]| {
        lines
            .iter()
            .map(|l| l.reference.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(refs(&report.matched), ["ref-a", "ref-d", "ref-payout"]);
    assert_eq!(refs(&report.missing_in_ledger), ["ref-x"]);
    assert!(report.missing_in_statement.is_empty());
    let mismatches: Vec<_> = report
        .amount_mismatches
        .iter()
        .map(|m| (m.reference.as_str(), m.ledger, m.statement))
        .collect();
    assert_eq!(
        mismatches,
        [
            ("ref-b", ngn("5000"), ngn("4999.99")),
            (
                "ref-c",
                ngn("7000"),
                Money::parse("7000", Currency::KES).unwrap()
            ),
        ]
    );
    assert!(!report.is_clean());

    let only_ledger = reconcile(ledger.clearing_movements(), Vec::new());
    assert_eq!(only_ledger.missing_in_statement.len(), 5);
    assert!(reconcile(Vec::new(), Vec::new()).is_clean());
}

#[test]
fn a_store_seals_entries_exactly_as_the_ledger_does() {
    let mut ledger = Ledger::new();
    let first = contribution("c1", "5000").balance().unwrap();
    let second = contribution("c2", "2500").balance().unwrap();
    ledger.post(first.clone(), at()).unwrap();
    ledger.post(second.clone(), at()).unwrap();

    let one = JournalEntry::seal(EntryId(1), Default::default(), at(), first);
    let two = JournalEntry::seal(EntryId(2), one.hash(), at(), second);
    assert_eq!(ledger.entries(), [one.clone(), two.clone()]);
    ajo_core::ledger::verify_chain(&[one.clone(), two.clone()]).unwrap();

    let restored = JournalEntry::from_stored(
        two.id(),
        two.posted_at(),
        two.entry().clone(),
        two.prev_hash(),
        two.hash(),
    );
    assert_eq!(restored, two);
    let forked = JournalEntry::from_stored(
        EntryId(2),
        at().into(),
        two.entry().clone(),
        Default::default(),
        two.hash(),
    );
    assert!(matches!(
        ajo_core::ledger::verify_chain(&[one, forked]),
        Err(ChainError::BrokenLink { .. })
    ));
}
