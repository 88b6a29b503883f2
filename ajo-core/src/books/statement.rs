//! Every movement on one holder's accounts, with running balances: [`Statement`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Period;
use crate::ids::{GroupId, MemberId};
use crate::ledger::{Account, EntryId, JournalEntry, Side};
use crate::money::{Money, MoneyError};
use crate::time::Timestamp;

/// Whose accounts a [`Statement`] covers, by the owners the service books them under.
///
/// A group's own accounts (pot, penalty and interest income, loans receivable) are owned
/// by its id, and each member's accounts inside it (wallet, deposit escrow, receivable) by
/// `"{group}/{member}"`; ids never hold a `/`, so the two cannot be confused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "holder")]
#[non_exhaustive]
pub enum Holder {
    /// A group's books: its own accounts and those of every member in it.
    Group {
        /// The group.
        group: GroupId,
    },
    /// A member's accounts in each of the groups listed (their wallet, deposit and
    /// receivable there), and their own chargeback receivable (what disputes they won
    /// against ajo left them owing). Money a member borrowed shows through their wallet (the loan
    /// is paid into it and sent out); the loan's receivable is the lending group's.
    Member {
        /// The member.
        member: MemberId,
        /// The groups they joined.
        groups: Vec<GroupId>,
    },
    /// Exactly these owners' accounts.
    Owners {
        /// The owners.
        owners: BTreeSet<String>,
    },
}

impl Holder {
    /// Whether an account owned by `owner` belongs to the holder.
    pub fn holds(&self, owner: &str) -> bool {
        match self {
            Holder::Group { group } => {
                owner == group.as_str()
                    || owner
                        .split_once('/')
                        .is_some_and(|(g, _)| g == group.as_str())
            }
            Holder::Member { member, groups } => {
                owner == member.as_str()
                    || owner.split_once('/').is_some_and(|(g, m)| {
                        m == member.as_str() && groups.iter().any(|x| x.as_str() == g)
                    })
            }
            Holder::Owners { owners } => owners.contains(owner),
        }
    }
}

/// Every posting to a holder's accounts in a [`Period`], in journal order, each with the
/// balance its account has after it, and each account's opening and closing balance.
/// Balances are debits minus credits, as the ledger keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Statement {
    /// Whose accounts.
    pub holder: Holder,
    /// The period.
    pub period: Period,
    /// Each account posted to before the period's end, in account order.
    pub accounts: Vec<AccountTotals>,
    /// The period's postings to those accounts, in journal order (an entry touching two
    /// of them gives two lines, in its own posting order).
    pub movements: Vec<Movement>,
}

/// One account's movement over a statement's period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccountTotals {
    /// The account.
    pub account: Account,
    /// Balance at the start.
    pub opening: Money,
    /// Debited during the period.
    pub debits: Money,
    /// Credited during the period.
    pub credits: Money,
    /// Balance at the end: `opening + debits - credits`, the last movement's `balance`.
    pub closing: Money,
}

/// One posting on a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Movement {
    /// The journal entry.
    pub entry: EntryId,
    /// When it was posted.
    pub posted_at: Timestamp,
    /// Its idempotency key.
    pub key: String,
    /// What it was for.
    pub memo: String,
    /// The outside reference it carries, if any.
    pub reference: Option<String>,
    /// The account posted to.
    pub account: Account,
    /// Debit or credit.
    pub side: Side,
    /// How much.
    pub amount: Money,
    /// The account's balance after this posting.
    pub balance: Money,
}

impl Statement {
    /// The statement over `entries`, which must hold every entry posted before the
    /// period's end, each once, in journal order.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] if a balance leaves the range money can hold.
    pub fn from_entries<'a>(
        holder: Holder,
        period: Period,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
    ) -> Result<Statement, MoneyError> {
        let mut builder = StatementBuilder::new(holder, period);
        for entry in entries {
            builder.add(entry)?;
        }
        builder.finish()
    }

    /// One account's totals (`None` if it had no posting before the period's end).
    pub fn account(&self, account: &Account) -> Option<&AccountTotals> {
        self.accounts.iter().find(|a| &a.account == account)
    }
}

/// Builds a [`Statement`] one journal entry at a time, in journal order.
///
/// Running balances are worked out in [`finish`](Self::finish), from each account's
/// opening: an entry posted before the period can come after one in it in journal order
/// (two hosts whose clocks disagree), and it still counts toward the opening.
#[derive(Debug, Clone)]
pub struct StatementBuilder {
    holder: Holder,
    period: Period,
    accounts: BTreeMap<Account, Sums>,
    movements: Vec<Movement>,
}

#[derive(Debug, Clone, Copy)]
struct Sums {
    opening: Money,
    debits: Money,
    credits: Money,
}

impl StatementBuilder {
    /// An empty statement of `holder` over `period`.
    pub fn new(holder: Holder, period: Period) -> StatementBuilder {
        StatementBuilder {
            holder,
            period,
            accounts: BTreeMap::new(),
            movements: Vec::new(),
        }
    }

    /// Counts one journal entry (the next in journal order): toward opening balances if
    /// posted before the period, as movements if in it; skipped if at or after its end.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] if a total leaves the range money can hold.
    pub fn add(&mut self, entry: &JournalEntry) -> Result<(), MoneyError> {
        let at = entry.posted_at();
        if at >= self.period.until() {
            return Ok(());
        }
        let during = at >= self.period.from();
        for posting in entry.entry().postings() {
            if !self.holder.holds(posting.account.owner()) {
                continue;
            }
            let zero = Money::zero(posting.account.currency());
            let sums = self
                .accounts
                .entry(posting.account.clone())
                .or_insert(Sums {
                    opening: zero,
                    debits: zero,
                    credits: zero,
                });
            if !during {
                sums.opening = match posting.side {
                    Side::Debit => sums.opening.checked_add(posting.amount)?,
                    Side::Credit => sums.opening.checked_sub(posting.amount)?,
                };
                continue;
            }
            match posting.side {
                Side::Debit => sums.debits = sums.debits.checked_add(posting.amount)?,
                Side::Credit => sums.credits = sums.credits.checked_add(posting.amount)?,
            }
            self.movements.push(Movement {
                entry: entry.id(),
                posted_at: at,
                key: entry.entry().key().to_owned(),
                memo: entry.entry().memo().to_owned(),
                reference: entry.entry().reference().map(str::to_owned),
                account: posting.account.clone(),
                side: posting.side,
                amount: posting.amount,
                // Set in `finish`, once every opening is known.
                balance: zero,
            });
        }
        Ok(())
    }

    /// The statement.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] if a balance leaves the range money can hold.
    pub fn finish(mut self) -> Result<Statement, MoneyError> {
        let mut running: BTreeMap<&Account, Money> = self
            .accounts
            .iter()
            .map(|(account, sums)| (account, sums.opening))
            .collect();
        for movement in &mut self.movements {
            let Some(balance) = running.get_mut(&movement.account) else {
                continue;
            };
            *balance = match movement.side {
                Side::Debit => balance.checked_add(movement.amount)?,
                Side::Credit => balance.checked_sub(movement.amount)?,
            };
            movement.balance = *balance;
        }
        let mut accounts = Vec::with_capacity(self.accounts.len());
        for (account, sums) in &self.accounts {
            let closing = sums
                .opening
                .checked_add(sums.debits)?
                .checked_sub(sums.credits)?;
            accounts.push(AccountTotals {
                account: account.clone(),
                opening: sums.opening,
                debits: sums.debits,
                credits: sums.credits,
                closing,
            });
        }
        Ok(Statement {
            holder: self.holder,
            period: self.period,
            accounts,
            movements: self.movements,
        })
    }
}
