//! An audit of books read back from a store: the chain, the trial balance, and each
//! stored balance against the postings it should be the sum of.
//!
//! A store keeps running balances beside its journal so that reading one is cheap. That
//! copy can drift from the journal (a bug, a restore of one table, a hand-made `UPDATE`)
//! while the journal's chain still verifies, and a drift that moves money between two
//! accounts even keeps the trial balance at zero. [`audit`] recomputes every balance from
//! the journal, so it finds that too.

use std::collections::BTreeMap;
use std::fmt;

use super::{Account, AuditFault, BookHead, JournalEntry, Side, verify_books};
use crate::money::{Currency, Money};

/// What a clean [`audit`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditSummary {
    /// Journal entries whose chains verified.
    pub entries: usize,
    /// Where each book's chain ends, in book order: what a
    /// [`Checkpoint`](super::Checkpoint) commits to, so that a later rewrite of a whole
    /// book shows.
    pub books: Vec<BookHead>,
    /// The currencies whose balances sum to zero, in order.
    pub currencies: Vec<Currency>,
    /// Stored balances that equal the sum of their postings.
    pub balances: usize,
}

impl fmt::Display for AuditSummary {
    /// One line for people: `12 entries in 2 books, chains verified, trial balance zero
    /// in NGN, KES; 9 balances match their postings`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = if self.entries == 1 {
            "entry"
        } else {
            "entries"
        };
        let (books, chains) = if self.books.len() == 1 {
            ("book", "chain")
        } else {
            ("books", "chains")
        };
        write!(
            f,
            "{} {entries} in {} {books}, {chains} verified",
            self.entries,
            self.books.len()
        )?;
        if self.currencies.is_empty() {
            f.write_str(", no balances")?;
        } else {
            f.write_str(", trial balance zero in ")?;
            for (i, currency) in self.currencies.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{currency}")?;
            }
        }
        let verb = if self.balances == 1 {
            "balance matches its"
        } else {
            "balances match their"
        };
        write!(f, "; {} {verb} postings", self.balances)
    }
}

/// Audits books read back from a store: `entries` is the whole journal, oldest first
/// (`Journal::entries` with the default query), and `balances` every stored balance
/// (`Journal::balances`).
///
/// Checks, in this order, and stops at the first fault:
/// 1. each book's hash chain and every entry's balance ([`verify_chain`](super::verify_chain));
/// 2. the trial balance: in each currency, the stored balances sum to zero;
/// 3. every stored balance equals its account's debits minus credits over the journal;
///    an account posted to with no stored balance is a fault, and so is a stored balance
///    without postings unless it is zero.
///
/// Within a check, faults are found in journal order (1) and in currency or account
/// order (2, 3), so the same books always give the same first fault.
///
/// # Errors
/// - [`AuditFault::Chain`] for the first entry out of sequence, invalid, badly linked
///   or altered.
/// - [`AuditFault::TrialBalance`] for the first currency whose balances do not sum to
///   zero.
/// - [`AuditFault::DuplicateBalance`] when `balances` lists an account twice.
/// - [`AuditFault::BalanceMismatch`] for the first stored balance that differs from its
///   postings (in amount or currency).
/// - [`AuditFault::MissingBalance`] for the first account with postings but no stored
///   balance.
///
/// # Example: a balance moved by hand
///
/// ```
/// use ajo_core::ledger::{Account, AccountKind, AuditFault, EntryDraft, Ledger, audit};
/// use ajo_core::money::{Currency, Money};
/// use chrono::{TimeZone, Utc};
///
/// let clearing = Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN);
/// let pot = Account::new("group-1", AccountKind::GroupPot, Currency::NGN);
/// let amount = Money::parse("5000", Currency::NGN)?;
/// let mut ledger = Ledger::new();
/// let entry = EntryDraft::new("contribution:group-1:1:ada", "ada pays round 1")
///     .debit(clearing.clone(), amount)
///     .credit(pot.clone(), amount)
///     .balance()?;
/// ledger.post(entry, Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap())?;
///
/// let mut balances = vec![(clearing, amount), (pot, amount.negated())];
/// let summary = audit(ledger.entries(), &balances)?;
/// assert_eq!(
///     summary.to_string(),
///     "1 entry in 1 book, chain verified, trial balance zero in NGN; 2 balances match their postings"
/// );
///
/// // ₦50 moved from the pot to the clearing account, past the journal: the trial
/// // balance is still zero, but the balances no longer match their postings. The
/// // first in account order is named.
/// let fifty = Money::parse("50", Currency::NGN)?;
/// balances[0].1 = balances[0].1.checked_add(fifty)?;
/// balances[1].1 = balances[1].1.checked_sub(fifty)?;
/// let fault = audit(ledger.entries(), &balances).unwrap_err();
/// assert!(matches!(fault, AuditFault::BalanceMismatch { .. }));
/// assert_eq!(
///     fault.to_string(),
///     "balance of group-1:group_pot:NGN is -₦5,050.00 but its postings sum to -₦5,000.00"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn audit(
    entries: &[JournalEntry],
    balances: &[(Account, Money)],
) -> Result<AuditSummary, AuditFault> {
    let books = verify_books(entries)?;
    let currencies = trial_balance(balances)?;
    let mut posted = posting_totals(entries);
    let mut seen: BTreeMap<&Account, ()> = BTreeMap::new();
    let mut sorted: Vec<&(Account, Money)> = balances.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (account, balance) in sorted {
        if seen.insert(account, ()).is_some() {
            return Err(AuditFault::DuplicateBalance {
                account: account.clone(),
            });
        }
        let postings_minor = posted.remove(account).unwrap_or(0);
        if balance.currency() != account.currency() || balance.minor() != postings_minor {
            return Err(AuditFault::BalanceMismatch {
                account: account.clone(),
                balance: *balance,
                postings_minor,
            });
        }
    }
    // What is left was posted to but has no stored balance.
    if let Some((account, postings_minor)) = posted.into_iter().next() {
        return Err(AuditFault::MissingBalance {
            account,
            postings_minor,
        });
    }
    Ok(AuditSummary {
        entries: entries.len(),
        books,
        currencies,
        balances: seen.len(),
    })
}

/// The currencies of `balances`, each checked to sum to zero.
fn trial_balance(balances: &[(Account, Money)]) -> Result<Vec<Currency>, AuditFault> {
    let mut totals: BTreeMap<Currency, i128> = BTreeMap::new();
    for (_, balance) in balances {
        let total = totals.entry(balance.currency()).or_insert(0);
        // Each balance is within `MAX_MINOR` (2^96), so only an absurd count of them could
        // saturate, and a saturated total is non-zero: it is reported, not hidden.
        *total = total.saturating_add(balance.minor());
    }
    match totals.iter().find(|(_, total)| **total != 0) {
        Some((currency, total)) => Err(AuditFault::TrialBalance {
            currency: *currency,
            total_minor: *total,
        }),
        None => Ok(totals.into_keys().collect()),
    }
}

/// Debits minus credits per account over the whole journal, in minor units.
fn posting_totals(entries: &[JournalEntry]) -> BTreeMap<Account, i128> {
    let mut totals: BTreeMap<Account, i128> = BTreeMap::new();
    for posting in entries.iter().flat_map(|e| e.entry.postings()) {
        let minor = posting.amount.minor();
        let signed = match posting.side {
            Side::Debit => minor,
            Side::Credit => -minor,
        };
        let total = totals.entry(posting.account.clone()).or_insert(0);
        *total = total.saturating_add(signed);
    }
    totals
}

/// An amount in minor units for a fault message: as people read money when it is in
/// range, else as the bare count (a tampered journal can sum past what [`Money`] holds).
pub(super) struct MinorAmount(pub(super) i128, pub(super) Currency);

impl fmt::Display for MinorAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Money::from_minor(self.0, self.1) {
            Ok(money) => write!(f, "{}", money.human()),
            Err(_) => write!(f, "{} minor units of {}", self.0, self.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono::Utc;

    use super::*;
    use crate::ledger::{AccountKind, Book, ChainError, EntryDraft, EntryId, Ledger};

    fn naira(minor: i128) -> Money {
        Money::from_minor(minor, Currency::NGN).unwrap()
    }

    fn clearing() -> Account {
        Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN)
    }

    fn pot() -> Account {
        Account::new("g1", AccountKind::GroupPot, Currency::NGN)
    }

    fn shillings() -> Account {
        Account::new("mpesa", AccountKind::GatewayClearing, Currency::KES)
    }

    fn kes_pot() -> Account {
        Account::new("g2", AccountKind::GroupPot, Currency::KES)
    }

    /// Two naira contributions and one in shillings, and the balances a sound store keeps.
    fn books() -> (Vec<JournalEntry>, Vec<(Account, Money)>) {
        let at = Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap();
        let mut ledger = Ledger::new();
        for (key, from, to, minor) in [
            ("c1", clearing(), pot(), 500_000),
            ("c2", clearing(), pot(), 250_000),
            ("c3", shillings(), kes_pot(), 100_000),
        ] {
            let amount = Money::from_minor(minor, from.currency()).unwrap();
            let entry = EntryDraft::new(key, "contribution")
                .debit(from, amount)
                .credit(to, amount)
                .balance()
                .unwrap();
            ledger.post(entry, at).unwrap();
        }
        let balances = ledger
            .trial_balance()
            .rows()
            .map(|(a, m)| (a.clone(), *m))
            .collect();
        (ledger.entries().to_vec(), balances)
    }

    fn set(balances: &mut [(Account, Money)], account: &Account, to: Money) {
        let row = balances.iter_mut().find(|(a, _)| a == account).unwrap();
        row.1 = to;
    }

    #[test]
    fn sound_books_pass_with_a_summary() {
        let (entries, balances) = books();
        let summary = audit(&entries, &balances).unwrap();
        assert_eq!(summary.entries, 3);
        assert_eq!(
            summary.books,
            vec![BookHead::new(
                Book::journal(),
                3,
                entries.last().unwrap().hash()
            )]
        );
        assert_eq!(summary.currencies, vec![Currency::KES, Currency::NGN]);
        assert_eq!(summary.balances, 4);
        assert_eq!(
            summary.to_string(),
            "3 entries in 1 book, chain verified, trial balance zero in KES, NGN; \
             4 balances match their postings"
        );
    }

    #[test]
    fn empty_books_pass() {
        let summary = audit(&[], &[]).unwrap();
        assert!(summary.books.is_empty());
        assert_eq!(
            summary.to_string(),
            "0 entries in 0 books, chains verified, no balances; 0 balances match their postings"
        );
    }

    #[test]
    fn an_altered_entry_is_the_first_fault() {
        let (mut entries, mut balances) = books();
        let second = entries.get_mut(1).unwrap();
        let mut content = serde_json::to_value(&second.entry).unwrap();
        content["memo"] = "rewritten".into();
        second.entry = serde_json::from_value(content).unwrap();
        // A broken balance too: the chain is checked first.
        set(&mut balances, &pot(), naira(1));
        let fault = audit(&entries, &balances).unwrap_err();
        assert_eq!(
            fault,
            AuditFault::Chain(ChainError::Altered {
                id: EntryId(2),
                book: Book::journal()
            })
        );
        assert_eq!(
            fault.to_string(),
            "entry #2 of the journal before books was altered: its content does not match its hash"
        );
    }

    #[test]
    fn a_missing_entry_breaks_the_sequence() {
        let (mut entries, balances) = books();
        entries.remove(1);
        let fault = audit(&entries, &balances).unwrap_err();
        assert!(matches!(
            fault,
            AuditFault::Chain(ChainError::OutOfSequence { .. })
        ));
    }

    #[test]
    fn a_non_zero_trial_balance_names_its_currency() {
        let (entries, mut balances) = books();
        set(&mut balances, &pot(), naira(-749_950));
        let fault = audit(&entries, &balances).unwrap_err();
        assert_eq!(
            fault,
            AuditFault::TrialBalance {
                currency: Currency::NGN,
                total_minor: 50,
            }
        );
        assert_eq!(fault.to_string(), "trial balance in NGN is ₦0.50, not zero");
    }

    #[test]
    fn a_balance_moved_between_accounts_differs_from_its_postings() {
        let (entries, mut balances) = books();
        set(&mut balances, &clearing(), naira(750_000 + 5_000));
        set(&mut balances, &pot(), naira(-750_000 - 5_000));
        let fault = audit(&entries, &balances).unwrap_err();
        // The first account in order: the pot's owner "g1" sorts before "paystack".
        assert_eq!(
            fault,
            AuditFault::BalanceMismatch {
                account: pot(),
                balance: naira(-755_000),
                postings_minor: -750_000,
            }
        );
        assert_eq!(
            fault.to_string(),
            "balance of g1:group_pot:NGN is -₦7,550.00 but its postings sum to -₦7,500.00"
        );
    }

    #[test]
    fn a_balance_in_another_currency_differs_from_its_postings() {
        let (entries, mut balances) = books();
        // Zero in shillings keeps both trial balances; the account is in naira.
        let stray = Account::new("g9", AccountKind::GroupPot, Currency::NGN);
        balances.push((stray.clone(), Money::zero(Currency::KES)));
        let fault = audit(&entries, &balances).unwrap_err();
        assert_eq!(
            fault,
            AuditFault::BalanceMismatch {
                account: stray,
                balance: Money::zero(Currency::KES),
                postings_minor: 0,
            }
        );
        // Moved whole into shillings, it breaks the trial balance first.
        let (entries, mut balances) = books();
        let minor = balances
            .iter()
            .find(|(a, _)| *a == pot())
            .unwrap()
            .1
            .minor();
        set(
            &mut balances,
            &pot(),
            Money::from_minor(minor, Currency::KES).unwrap(),
        );
        assert!(matches!(
            audit(&entries, &balances).unwrap_err(),
            AuditFault::TrialBalance { .. }
        ));
    }

    #[test]
    fn a_balance_without_postings_must_be_zero() {
        let (entries, mut balances) = books();
        let stray = Account::new("g9", AccountKind::GroupPot, Currency::NGN);
        balances.push((stray.clone(), naira(0)));
        assert!(audit(&entries, &balances).is_ok(), "a zero row is harmless");
        // ₦1 credited to an account nothing was posted to, the trial balance kept.
        set(&mut balances, &stray, naira(-100));
        set(&mut balances, &clearing(), naira(750_100));
        let fault = audit(&entries, &balances).unwrap_err();
        assert_eq!(
            fault,
            AuditFault::BalanceMismatch {
                account: stray,
                balance: naira(-100),
                postings_minor: 0,
            }
        );
        assert_eq!(
            fault.to_string(),
            "balance of g9:group_pot:NGN is -₦1.00 but its postings sum to ₦0.00"
        );
    }

    #[test]
    fn an_account_posted_to_without_a_balance_is_missing() {
        let (entries, mut balances) = books();
        // Both KES rows gone: the trial balance still holds, the postings do not.
        balances.retain(|(a, _)| a.currency() != Currency::KES);
        let fault = audit(&entries, &balances).unwrap_err();
        assert_eq!(
            fault,
            AuditFault::MissingBalance {
                account: kes_pot(),
                postings_minor: -100_000,
            }
        );
        assert_eq!(
            fault.to_string(),
            "g2:group_pot:KES has postings summing to -KSh 1,000.00 but no stored balance"
        );
    }

    #[test]
    fn an_account_listed_twice_is_a_fault() {
        let (entries, mut balances) = books();
        balances.push((pot(), naira(0)));
        let fault = audit(&entries, &balances).unwrap_err();
        assert_eq!(fault, AuditFault::DuplicateBalance { account: pot() });
        assert_eq!(
            fault.to_string(),
            "balance of g1:group_pot:NGN is stored twice"
        );
    }

    #[test]
    fn amounts_past_the_money_range_print_as_minor_units() {
        let text = MinorAmount(i128::MAX, Currency::NGN).to_string();
        assert_eq!(text, format!("{} minor units of NGN", i128::MAX));
    }
}
