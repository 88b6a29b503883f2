//! Reports from the books: what moved in a period and who it moved for, read from the
//! journal alone, exact to the minor unit.
//!
//! # When to use what
//!
//! - Choose the span with a [`Period`]: a [`day`](Period::day), an
//!   [`ISO week`](Period::iso_week), a [`month`](Period::month) in a time zone, whole
//!   [`dates`](Period::dates), or [any two instants](Period::new). A period holds its
//!   start and not its end, so back-to-back periods share no entry.
//! - [`PeriodReport`] gives one currency's totals over a period: collections, payouts,
//!   platform fees, penalties, loan interest, deposits held, money in review and in
//!   dispute, and every account kind's opening and closing balance. Each line is defined
//!   by account kinds on [`PeriodReport`] and in `docs/books.md`.
//! - [`Statement`] lists every posting to a [`Holder`]'s accounts (a group's books, a
//!   member's accounts in their groups) with running balances.
//! - Both are built from journal entries: pass them all at once (`from_entries`) or one at
//!   a time ([`ReportBuilder`], [`StatementBuilder`]) to read a long journal in pages.
//!   The service's [`report`](crate::service::AjoService::report) and statements read
//!   the store that way.
//!
//! ```
//! use ajo_core::books::{Holder, Period, PeriodReport, Statement};
//! use ajo_core::ids::GroupId;
//! use ajo_core::ledger::{Account, AccountKind, EntryDraft, Ledger};
//! use ajo_core::money::{Currency, Money};
//! use chrono::NaiveDate;
//! use chrono_tz::Africa::Lagos;
//!
//! let ngn = |text| Money::parse(text, Currency::NGN);
//! let clearing = Account::new("gateway", AccountKind::GatewayClearing, Currency::NGN);
//! let pot = Account::new("balogun", AccountKind::GroupPot, Currency::NGN);
//! let mut ledger = Ledger::new();
//! for (key, day) in [("ada-r1", 30), ("bola-r1", 31)] {
//!     let paid = EntryDraft::new(key, "contribution")
//!         .debit(clearing.clone(), ngn("20000")?)
//!         .credit(pot.clone(), ngn("20000")?)
//!         .balance()?;
//!     let noon = NaiveDate::from_ymd_opt(2026, 1, day).unwrap().and_hms_opt(11, 0, 0).unwrap();
//!     ledger.post(paid, noon.and_utc())?;
//! }
//!
//! let the_31st = Period::day(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(), Lagos)?;
//! let report = PeriodReport::from_entries(the_31st, Currency::NGN, ledger.entries())?;
//! assert_eq!(report.collections, ngn("20000")?);
//! let pot_totals = report.kind(AccountKind::GroupPot).unwrap();
//! assert_eq!((pot_totals.opening, pot_totals.closing), (ngn("-20000")?, ngn("-40000")?));
//!
//! let group = Holder::Group { group: GroupId::new("balogun")? };
//! let statement = Statement::from_entries(group, the_31st, ledger.entries())?;
//! assert_eq!(statement.movements.len(), 1);
//! assert_eq!(statement.movements[0].balance, ngn("-40000")?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod display;
mod flow;
mod period;
mod report;
mod statement;
#[cfg(test)]
mod tests;

/// The time zones a [`Period`]'s calendar is read in (re-exported from `chrono-tz`, so a
/// caller need not depend on it): `Tz::UTC`, `Tz::Africa__Lagos`...
pub use chrono_tz::Tz;
pub use period::{Period, PeriodError};
pub use report::{KindTotals, PeriodReport, ReportBuilder};
pub use statement::{AccountTotals, Holder, Movement, Statement, StatementBuilder};
