//! The pure domain of **ajo**: rotating savings groups (ajo, esusu, susu, chama,
//! tontine), the small loans their members take, and the exact money and double-entry
//! ledger under them. No network, no database, no async runtime: the outside world plugs
//! in through ports, and the adapters live in `ajo-adapters`.
//!
//! ```
//! use ajo_core::ledger::{Account, AccountKind, EntryDraft, Ledger};
//! use ajo_core::money::{Currency, Money};
//! use chrono::{TimeZone, Utc};
//!
//! // Five members pay ₦20,000.00 each into the pot; the pot, less a 1.5% fee, is paid out.
//! let contribution = Money::parse("20000", Currency::NGN)?;
//! let pot = contribution.checked_mul_int(5)?;
//! let fee = pot.mul_rounded("0.015".parse()?, ajo_core::money::Rounding::HalfEven)?;
//! let payout = pot.checked_sub(fee)?;
//! assert_eq!(payout.human().to_string(), "₦98,500.00");
//!
//! let group_pot = Account::new("group-1", AccountKind::GroupPot, Currency::NGN);
//! let fees = Account::new("platform", AccountKind::PlatformFees, Currency::NGN);
//! let ada = Account::new("ada", AccountKind::MemberWallet, Currency::NGN);
//! let mut ledger = Ledger::new();
//! let at = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
//! for member in ["ada", "bola", "chidi", "dayo", "emeka"] {
//!     let wallet = Account::new(member, AccountKind::MemberWallet, Currency::NGN);
//!     let entry = EntryDraft::new(format!("g1:r1:{member}:contribution"), "round 1 contribution")
//!         .debit(wallet, contribution)
//!         .credit(group_pot.clone(), contribution)
//!         .balance()?;
//!     ledger.post(entry, at)?;
//! }
//! let paying_out = EntryDraft::new("g1:r1:ada:payout", "round 1 payout to ada")
//!     .debit(group_pot.clone(), pot)
//!     .credit(fees.clone(), fee)
//!     .credit(ada, payout)
//!     .balance()?;
//! ledger.post(paying_out, at)?;
//! assert!(ledger.balance(&group_pot).is_zero());
//! assert!(ledger.trial_balance().is_zero());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//!
//! - [`aggregate`]: the one shape groups and loans follow (`decide`, `apply`, `replay`).
//! - [`calendar`]: frequencies and due dates, shared by rotation and loans.
//! - [`group`]: the savings group as commands and events, with its rules under it:
//!   [`rotation`](group::rotation), [`contribution`](group::contribution),
//!   [`deposit`](group::deposit) and [`payout`](group::payout).
//! - [`ids`]: every id (group, member, hand, loan, payout recipient) and email
//!   address, checked when built and when read back.
//! - [`member`]: a member's profile stream: contact details and payout account.
//! - [`payment`]: collections and payouts through a gateway, one stream per reference.
//! - [`notify`]: message templates (email and SMS) with GSM-7 segment counting.
//! - [`ports`]: the clock, payment-gateway and messaging traits adapters implement.
//! - [`service`]: the application service a host calls, over the ports.
//! - [`eligibility`]: a member's loan score with its breakdown, and loan limits that keep
//!   every scheduled payout covered.
//! - [`money`]: currencies, exact amounts, rounding and conserving splits.
//! - [`ledger`]: balanced journal entries, idempotent posting, reversals, balances, the
//!   hash chain and reconciliation.
//! - [`books`]: reports from the journal: a period's totals per currency, statements of
//!   a group's or member's accounts with running balances.
//! - [`penalty`]: late penalties (flat, percentage, daily accrual with caps, grace days),
//!   shared by groups and loans.
//! - [`webhook`]: verifying Paystack, Flutterwave, Stripe, Twilio and SendGrid webhooks
//!   over the raw bytes, and reading them as provider-neutral events.
//! - [`loan`]: loan schedules (annuity, equal principal, flat), APR, payoff quotes,
//!   repayments and the loan lifecycle as commands and events.
//!
//! # Rules every module keeps
//!
//! - Money is never floating point; every rounding is named and every split conserves
//!   value to the minor unit.
//! - Bad input is a typed error (`#[non_exhaustive]` enums, one per module, wrapped by
//!   [`Error`]), never a panic, and a refused operation changes nothing.

// On docs.rs, each item gated by a feature says which ("Available on crate feature ...").
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod aggregate;
pub mod books;
pub mod calendar;
pub mod eligibility;
pub mod error;
pub mod group;
pub mod ids;
pub mod ledger;
pub mod limits;
pub mod loan;
pub mod member;
pub mod money;
pub mod notify;
pub mod payment;
pub mod penalty;
pub mod phone;
pub mod ports;
pub mod reference;
pub mod service;
pub mod telemetry;
pub mod time;
pub mod view;
pub mod webhook;

pub use error::Error;

// The crate's README is what crates.io shows: its examples compile and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;
