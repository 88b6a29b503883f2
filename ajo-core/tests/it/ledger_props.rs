//! Properties of the ledger: accepted entries keep it balanced, rejected ones change
//! nothing, and the chain always verifies.

use ajo_core::ledger::{Account, AccountKind, EntryDraft, Ledger, Side};
use ajo_core::money::Money;
use ajo_testkit::strategies;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

/// A step: post a fresh entry, replay an earlier key, post an unbalanced one, or reverse.
#[derive(Debug, Clone)]
enum Step {
    Post(u8),
    Replay(u8),
    Conflict(u8),
    Unbalanced,
    Reverse(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => any::<u8>().prop_map(Step::Post),
        2 => any::<u8>().prop_map(Step::Replay),
        1 => any::<u8>().prop_map(Step::Conflict),
        1 => Just(Step::Unbalanced),
        1 => any::<u8>().prop_map(Step::Reverse),
    ]
}

fn balances(ledger: &Ledger) -> Vec<(Account, Money)> {
    ledger
        .trial_balance()
        .rows()
        .map(|(a, m)| (a.clone(), *m))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_sequence_keeps_the_books_balanced(
        currency in strategies::currency(),
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut ledger = Ledger::new();
        let mut next = 0u32;
        let wallet = Account::new("ada", AccountKind::MemberWallet, currency);
        let pot = Account::new("group-1", AccountKind::GroupPot, currency);
        let amount = |n: u32| Money::from_minor(i128::from(n % 977 + 1), currency).unwrap();
        let entry = |key: String, n: u32| EntryDraft::new(key, "step").debit(wallet.clone(), amount(n)).credit(pot.clone(), amount(n));
        for step in steps {
            let before_entries = ledger.entries().len();
            let before = balances(&ledger);
            let posted = ledger.entries().len();
            let outcome = match step {
                Step::Post(n) => {
                    next += 1;
                    ledger.post(entry(format!("k{next}"), u32::from(n)).balance().unwrap(), at).map(|p| !p.replayed)
                }
                Step::Replay(i) if posted > 0 => {
                    let original = ledger.entries()[usize::from(i) % ledger.entries().len()].entry().clone();
                    ledger.post(original, at).map(|p| !p.replayed)
                }
                Step::Conflict(i) if posted > 0 => {
                    let original = &ledger.entries()[usize::from(i) % ledger.entries().len()];
                    let key = original.entry().key().to_owned();
                    let first = original.entry().postings()[0].amount;
                    let other = first.checked_add(Money::from_minor(1, currency).unwrap()).unwrap();
                    let draft = EntryDraft::new(key, "other").posting(wallet.clone(), Side::Debit, other).posting(pot.clone(), Side::Credit, other);
                    let result = ledger.post(draft.balance().unwrap(), at);
                    prop_assert!(result.is_err());
                    result.map(|_| true)
                }
                Step::Unbalanced => {
                    let draft = EntryDraft::new("bad", "bad").debit(wallet.clone(), amount(2)).credit(pot.clone(), amount(1));
                    prop_assert!(draft.balance().is_err());
                    Ok(false)
                }
                Step::Reverse(i) if posted > 0 => {
                    let id = ledger.entries()[usize::from(i) % ledger.entries().len()].id();
                    ledger.reverse(id, format!("rev-{}", id.0), "reversal", at).map(|p| !p.replayed)
                }
                _ => Ok(false),
            };
            match outcome {
                Ok(true) => prop_assert_eq!(ledger.entries().len(), before_entries + 1),
                Ok(false) | Err(_) => {
                    prop_assert_eq!(ledger.entries().len(), before_entries);
                    prop_assert_eq!(balances(&ledger), before);
                }
            }
            prop_assert!(ledger.trial_balance().is_zero());
        }
        ledger.verify_chain().unwrap();
        let rebuilt = Ledger::from_entries(ledger.entries().to_vec()).unwrap();
        prop_assert_eq!(balances(&rebuilt), balances(&ledger));
    }

    #[test]
    fn generated_balanced_entries_post_and_balance(
        entries in proptest::collection::vec(strategies::currency().prop_flat_map(|c| strategies::balanced_entry("x".into(), c)), 1..20),
    ) {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut ledger = Ledger::new();
        for (i, entry) in entries.into_iter().enumerate() {
            // Re-key so each is new; the postings are what matter.
            let mut draft = EntryDraft::new(format!("e{i}"), entry.memo());
            for p in entry.postings() {
                draft = draft.posting(p.account.clone(), p.side, p.amount);
            }
            ledger.post(draft.balance().unwrap(), at).unwrap();
            prop_assert!(ledger.trial_balance().is_zero());
        }
        ledger.verify_chain().unwrap();
    }
}
