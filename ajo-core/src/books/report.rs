//! What moved in a period, line by line, for one currency: [`PeriodReport`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::Period;
use super::flow::{GatewayFlow, classify};
use crate::ledger::{AccountKind, JournalEntry, Side};
use crate::money::{Currency, Money, MoneyError};

/// The books of one currency over a [`Period`], read from the journal alone.
///
/// Amounts are exact minor units. The flows (`collections` to `loan_interest`) are what
/// moved during the period; `deposits_held`, `in_review` and `in_dispute` are what was
/// held at its end; [`kinds`](Self::kinds) gives every account kind's opening and closing
/// balance and what was debited and credited to it. Every line is defined by account
/// kinds (see `docs/books.md`):
///
/// - `collections`, `payouts`, `held_for_review`, `other_gateway`: the net movement of
///   the `GatewayClearing` accounts, split by the other accounts of each entry. Money
///   into clearing counts positive for `collections`, `held_for_review` and
///   `other_gateway`, money out of it positive for `payouts`, so the clearing accounts'
///   closing balance is their opening plus `collections + held_for_review +
///   other_gateway - payouts`.
/// - `platform_fees`, `penalty_income`, `loan_interest`: credits less debits to the
///   `PlatformFees`, `PenaltyIncome` and `InterestIncome` accounts (a reversal, such as a
///   cancelled group's penalties handed back, counts against them).
/// - `gateway_fees`: debits less credits to `GatewayFees`.
/// - `deposits_held`, `in_review`: the closing credit balance of `DepositEscrow` and
///   `Suspense`; `in_dispute`: the closing debit balance of `Disputed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PeriodReport {
    /// The period.
    pub period: Period,
    /// The one currency reported; postings in others are left out.
    pub currency: Currency,
    /// Journal entries in the period with a posting in the currency.
    pub entries: u64,
    /// Money from payers applied to groups and loans (contributions, deposits, penalties,
    /// loan repayments).
    pub collections: Money,
    /// Money sent to members (payouts, deposit and cancellation refunds, loan
    /// disbursements), less what came back.
    pub payouts: Money,
    /// Money the gateway passed into review, less what went back to payers from it.
    pub held_for_review: Money,
    /// Other money into clearing (negative when out): chargebacks, provider fees.
    pub other_gateway: Money,
    /// Fees earned by the platform or an organiser.
    pub platform_fees: Money,
    /// Late penalties charged.
    pub penalty_income: Money,
    /// Interest earned on loans funded from a member's wallet (interest on a loan from the
    /// pot is the pot's money and shows there).
    pub loan_interest: Money,
    /// What the payment provider kept.
    pub gateway_fees: Money,
    /// Security deposits held at the end.
    pub deposits_held: Money,
    /// Money waiting for a person's review at the end.
    pub in_review: Money,
    /// Money in dispute at the gateway at the end.
    pub in_dispute: Money,
    /// Every account kind with a posting in the currency up to the period's end, summed
    /// over owners, in kind order.
    pub kinds: Vec<KindTotals>,
}

/// An account kind's movement over a period, summed over every owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KindTotals {
    /// The account kind.
    pub kind: AccountKind,
    /// The side its balance is normally on, for presenting it.
    pub normal_side: Side,
    /// Balance at the start, debits minus credits.
    pub opening: Money,
    /// Debited during the period.
    pub debits: Money,
    /// Credited during the period.
    pub credits: Money,
    /// Balance at the end, debits minus credits: `opening + debits - credits`.
    pub closing: Money,
}

impl PeriodReport {
    /// The report over `entries`, which must hold every entry posted before the period's
    /// end (earlier ones make the opening balances; later ones are skipped), each once.
    ///
    /// ```
    /// use ajo_core::books::{Period, PeriodReport};
    /// use ajo_core::ledger::{Account, AccountKind, EntryDraft, Ledger};
    /// use ajo_core::money::{Currency, Money};
    /// use chrono::{TimeZone, Utc};
    ///
    /// let ngn = |text| Money::parse(text, Currency::NGN);
    /// let clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN);
    /// let pot = Account::new("g1", AccountKind::GroupPot, Currency::NGN);
    /// let fees = Account::new("platform", AccountKind::PlatformFees, Currency::NGN);
    /// let mut ledger = Ledger::new();
    /// let paid = EntryDraft::new("pay-1", "ada pays")
    ///     .debit(clearing, ngn("5000")?)
    ///     .credit(pot.clone(), ngn("5000")?)
    ///     .balance()?;
    /// ledger.post(paid, Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap())?;
    /// let fee = EntryDraft::new("fee-1", "fee on the payout")
    ///     .debit(pot, ngn("50")?)
    ///     .credit(fees, ngn("50")?)
    ///     .balance()?;
    /// ledger.post(fee, Utc.with_ymd_and_hms(2026, 2, 1, 9, 0, 0).unwrap())?;
    ///
    /// let february = Period::month(2026, 2, chrono_tz::UTC)?;
    /// let report = PeriodReport::from_entries(february, Currency::NGN, ledger.entries())?;
    /// assert_eq!(report.collections, ngn("0")?, "paid in January");
    /// assert_eq!(report.platform_fees, ngn("50")?);
    /// let pot = report.kinds.iter().find(|k| k.kind == AccountKind::GroupPot).unwrap();
    /// assert_eq!((pot.opening, pot.closing), (ngn("-5000")?, ngn("-4950")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] if a total leaves the range money can hold.
    pub fn from_entries<'a>(
        period: Period,
        currency: Currency,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
    ) -> Result<PeriodReport, MoneyError> {
        let mut builder = ReportBuilder::new(period, currency);
        for entry in entries {
            builder.add(entry)?;
        }
        builder.finish()
    }

    /// The totals of one account kind (`None` if it had no posting up to the end).
    pub fn kind(&self, kind: AccountKind) -> Option<&KindTotals> {
        self.kinds.iter().find(|k| k.kind == kind)
    }
}

/// Builds a [`PeriodReport`] one entry at a time, so the journal can be read in pages
/// and never held whole.
#[derive(Debug, Clone)]
pub struct ReportBuilder {
    period: Period,
    currency: Currency,
    entries: u64,
    kinds: BTreeMap<AccountKind, Sums>,
    flows: Flows,
}

#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    opening: i128,
    debits: i128,
    credits: i128,
}

#[derive(Debug, Clone, Copy, Default)]
struct Flows {
    collections: i128,
    payouts: i128,
    review: i128,
    other: i128,
}

impl ReportBuilder {
    /// An empty report of `currency` over `period`.
    pub fn new(period: Period, currency: Currency) -> ReportBuilder {
        ReportBuilder {
            period,
            currency,
            entries: 0,
            kinds: BTreeMap::new(),
            flows: Flows::default(),
        }
    }

    /// Counts one journal entry: toward the opening balances if posted before the
    /// period, its movements if in it; an entry posted at or after the end is skipped.
    /// Each entry must be added once.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] if a total leaves the range of `i128` minor units.
    pub fn add(&mut self, entry: &JournalEntry) -> Result<(), MoneyError> {
        let at = entry.posted_at();
        if at >= self.period.until() {
            return Ok(());
        }
        let during = at >= self.period.from();
        let mut touched = false;
        let mut clearing: i128 = 0;
        for posting in entry.entry().postings() {
            if posting.amount.currency() != self.currency {
                continue;
            }
            touched = true;
            let minor = posting.amount.minor();
            let signed = match posting.side {
                Side::Debit => minor,
                Side::Credit => minor.checked_neg().ok_or_else(overflow)?,
            };
            let sums = self.kinds.entry(posting.account.kind()).or_default();
            if !during {
                sums.opening = add(sums.opening, signed)?;
                continue;
            }
            match posting.side {
                Side::Debit => sums.debits = add(sums.debits, minor)?,
                Side::Credit => sums.credits = add(sums.credits, minor)?,
            }
            if posting.account.kind() == AccountKind::GatewayClearing {
                clearing = add(clearing, signed)?;
            }
        }
        if !during || !touched {
            return Ok(());
        }
        self.entries = self.entries.saturating_add(1);
        if clearing != 0 {
            let flows = &mut self.flows;
            match classify(entry.entry(), self.currency) {
                GatewayFlow::Collection => flows.collections = add(flows.collections, clearing)?,
                GatewayFlow::Payout => flows.payouts = sub(flows.payouts, clearing)?,
                GatewayFlow::Review => flows.review = add(flows.review, clearing)?,
                GatewayFlow::Other => flows.other = add(flows.other, clearing)?,
            }
        }
        Ok(())
    }

    /// The report.
    ///
    /// # Errors
    /// [`MoneyError::Overflow`] if a total is beyond what [`Money`] holds.
    pub fn finish(self) -> Result<PeriodReport, MoneyError> {
        let currency = self.currency;
        let money = |minor: i128| Money::from_minor(minor, currency);
        let mut kinds = Vec::with_capacity(self.kinds.len());
        for (kind, sums) in &self.kinds {
            let closing = sub(add(sums.opening, sums.debits)?, sums.credits)?;
            kinds.push(KindTotals {
                kind: *kind,
                normal_side: kind.normal_side(),
                opening: money(sums.opening)?,
                debits: money(sums.debits)?,
                credits: money(sums.credits)?,
                closing: money(closing)?,
            });
        }
        let sums = |kind| self.kinds.get(&kind).copied().unwrap_or_default();
        let earned = |kind| {
            let s = sums(kind);
            sub(s.credits, s.debits)
        };
        let held = |kind| {
            let s = sums(kind);
            sub(sub(s.credits, s.debits)?, s.opening)
        };
        let debit_held = |kind| {
            let s = sums(kind);
            sub(add(s.opening, s.debits)?, s.credits)
        };
        let gateway_fees = {
            let s = sums(AccountKind::GatewayFees);
            sub(s.debits, s.credits)?
        };
        Ok(PeriodReport {
            period: self.period,
            currency,
            entries: self.entries,
            collections: money(self.flows.collections)?,
            payouts: money(self.flows.payouts)?,
            held_for_review: money(self.flows.review)?,
            other_gateway: money(self.flows.other)?,
            platform_fees: money(earned(AccountKind::PlatformFees)?)?,
            penalty_income: money(earned(AccountKind::PenaltyIncome)?)?,
            loan_interest: money(earned(AccountKind::InterestIncome)?)?,
            gateway_fees: money(gateway_fees)?,
            deposits_held: money(held(AccountKind::DepositEscrow)?)?,
            in_review: money(held(AccountKind::Suspense)?)?,
            in_dispute: money(debit_held(AccountKind::Disputed)?)?,
            kinds,
        })
    }
}

fn overflow() -> MoneyError {
    MoneyError::Overflow {
        operation: "report",
    }
}

fn add(a: i128, b: i128) -> Result<i128, MoneyError> {
    a.checked_add(b).ok_or_else(overflow)
}

fn sub(a: i128, b: i128) -> Result<i128, MoneyError> {
    a.checked_sub(b).ok_or_else(overflow)
}
