//! Loans: repayment schedules and what they cost.
//!
//! # When to use what
//!
//! - Describe a loan with [`LoanTerms::builder`]: principal, nominal annual rate, number
//!   of installments, disbursement date, then the [`Method`], the frequency, grace
//!   periods and upfront fees. [`LoanTermsBuilder::build`] checks everything once.
//! - [`Schedule::new`] gives every installment, to the minor unit, with its totals;
//!   [`Schedule::table`] shows it to people.
//! - [`Schedule::rates`] gives the true cost from the cash flows: the periodic rate of
//!   return, the nominal APR and the effective annual rate, fees included. For other
//!   cash flows use [`LoanRates::from_cash_flows`] or [`periodic_irr`].
//! - To run a loan, use the lifecycle: [`decide`] turns a [`LoanCommand`] (apply,
//!   approve, disburse, repay, pay off, assess penalties, default, write off) into
//!   [`LoanEvent`]s, and [`LoanState::apply`] folds them in. Money-moving events carry
//!   the balanced ledger entry to post. This is what an application service uses.
//! - The pieces the lifecycle is built from are public for callers who keep their own
//!   state: [`allocate`] applies a payment to [`InstallmentState`]s, [`payoff_quote`]
//!   prices an early settlement.
//!
//! # Methods
//!
//! The reference specification (`reference/README.md` §3) fixes the arithmetic; ajo
//! matches its 23 published cases to the minor unit.
//!
//! - [`Method::Annuity`] (reducing balance, equal installments): `A = HALF_EVEN(A*)` with
//!   `A* = P r / (1 - (1 + r)^-n)`, `r = R / m`; each row's interest is
//!   `HALF_EVEN(balance * R / m)` and the rest of `A` repays principal; the last row
//!   repays what is left, so it absorbs every rounding residue.
//! - [`Method::EqualPrincipal`] (declining balance): principal `HALF_EVEN(P / n)` a row,
//!   the last row the rest; interest on the balance as above. Installments shrink.
//! - [`Method::Flat`] (add-on): interest `HALF_EVEN(P * R * n / m)` fixed at signing and
//!   spread in even shares like the principal. Cheap-looking, expensive: a flat 36.5 %
//!   costs an APR of about 60 %.
//! - A zero rate is not a method: any method at `R = 0` gives the same interest-free
//!   schedule.
//!
//! Every division is carried out at `Decimal`'s 28 significant digits after the
//! multiplications (`balance * R / m`, never `balance * (R / m)`), and money is rounded
//! only at the steps named. Two guards go beyond the reference, which never needs them:
//! a row never repays more than is outstanding, so a tiny principal over a long term (or
//! a high rate over a long one, where rounding `A` up compounds) ends early with zero
//! rows rather than a negative last row; and every operation is checked for overflow.
//!
//! # Grace periods
//!
//! As in Apache Fineract, both kinds of grace count from the first period:
//!
//! - **Principal grace** (`principal_grace(g)`, Fineract's "grace on principal
//!   payment"): in periods `1..=g` no principal is due; each installment is that period's
//!   interest. The principal is then amortised over the remaining `n - g` periods (the
//!   annuity is computed for `n - g` periods, equal principal shares are `P / (n - g)`).
//! - **Interest grace** (`interest_grace(h)`): in periods `1..=h` nothing is due. Each
//!   period's interest, `HALF_EVEN(balance * R / m)`, is capitalised: added to the
//!   balance that later interest accrues on and that the remaining installments repay.
//!   Fineract defers such interest without compounding it; ajo capitalises it, as the
//!   issue asked. Interest grace implies principal grace, so principal is repaid over
//!   the last `n - max(g, h)` periods.
//! - Capitalised interest stays interest: the first repayments after the grace repay it
//!   (reported in [`Installment::interest`] and [`Installment::capitalised_repaid`])
//!   before any principal, so the principal portions still sum exactly to the principal
//!   and interest income is booked as interest when it is collected.
//! - A flat loan's interest is fixed at signing, so it never capitalises: it is spread
//!   over the periods that are not interest grace, its principal over the repayment
//!   periods.
//!
//! ```
//! use ajo_core::loan::{LoanTerms, PeriodKind, Schedule};
//! use ajo_core::money::{Currency, Money};
//! use chrono::NaiveDate;
//!
//! let terms = LoanTerms::builder(
//!     Money::parse("10000", Currency::NGN)?,
//!     "0.12".parse()?, // 1 % a month
//!     6,
//!     NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
//! )
//! .interest_grace(2)
//! .build()?;
//! let schedule = Schedule::new(&terms)?;
//! let rows = schedule.rows();
//! assert_eq!(rows[0].kind, PeriodKind::NothingDue);
//! assert_eq!(rows[1].closing_balance.amount().to_string(), "10201.00"); // 100 + 101 capitalised
//! assert_eq!(rows[2].capitalised_repaid.amount().to_string(), "201.00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Fees and the cost of credit
//!
//! An [`UpfrontFee`] is a fixed amount or a percentage of the principal, either
//! [deducted](FeeCollection::Deducted) from the disbursement or
//! [added to the first installment](FeeCollection::FirstInstallment). Either way it is a
//! cash flow, so [`Schedule::rates`] shows what the loan really costs: with no fees the
//! APR is the reference figure, with a 2 % deducted fee a 6-month 18 % loan costs an APR
//! near 25 %.
//!
//! The periodic rate `i` solves `received = Σ installment_k / (1 + i)^k` by Newton's
//! method with a bisection fallback, in `Decimal`, to [`IRR_TOLERANCE`]; then
//! `APR = i m` and `EAR = (1 + i)^m - 1`, rounded for display with
//! [`LoanRates::rounded`] (the reference shows 6 decimals).
//!
//! # Repayments
//!
//! A payment on a date pays, oldest first, every overdue installment and then the
//! installment of the current period (the first due on or after the date, so paying a
//! few days early is not an overpayment). Within each installment the parts are paid in
//! the [`AllocationOrder`], by default penalty, fee, interest, principal. A payment that
//! runs out leaves the installment partly paid; [`InstallmentState`] shows what is left
//! of each part.
//!
//! What remains after the current installment is an overpayment. It reduces the
//! balance (capitalised interest first, then principal) and the installments after the
//! current one are scheduled again, as the caller chooses with [`Reamortize`]:
//! [`ShortenTerm`](Reamortize::ShortenTerm) keeps the installment and drops the last
//! ones, [`LowerInstallment`](Reamortize::LowerInstallment) keeps the dates and lowers
//! the installments. A flat loan's interest is fixed, so only its principal moves. A
//! payment beyond everything due and the whole balance is refused
//! ([`LoanError::Overpayment`]): settle with a payoff instead.
//!
//! Late penalties use [`penalty::PenaltyRule`](crate::penalty::PenaltyRule), the rules
//! contributions use, on each overdue installment's unpaid principal, interest and fee.
//! An assessment is a total as of a date; the lifecycle charges only the increase, so
//! assessing daily charges a flat fee once and a daily accrual day by day.
//!
//! # Early payoff
//!
//! [`payoff_quote`] (or [`Loan::payoff_quote`]) follows the reference: overdue
//! installments and unpaid penalties in full, then the balance at the start of the
//! current period plus interest accrued in it pro rata by calendar days,
//! `HALF_EVEN(B_j * R * days(D_j, d) / (m * days(D_j, D_(j+1))))`. On LOAN-01 with two
//! installments paid, the payoff on 1 April 2026 is ₦34,105.35. A flat loan owes its
//! remaining installments in full unless its [`FlatPayoff`] policy rebates later
//! interest.
//!
//! # Lifecycle
//!
//! ```text
//! pending -> approved -> disbursed -> repaid
//!    |          |           |
//!    +----------+-> rejected +-> defaulted -> written off (or repaid)
//! ```
//!
//! Every other move is a [`LoanError::IllegalTransition`]. A loan follows the same
//! [`Aggregate`](crate::aggregate::Aggregate) shape as a savings group: [`decide`] turns
//! a command into events, [`LoanState::apply`] folds them in and cannot fail. Time comes
//! in as a parameter: `decide(state, command, now)` takes the caller's clock and uses its
//! date in the loan's time zone ([`LoanPolicy::time_zone`]) as the business date; ids
//! and payment references are the caller's.
//!
//! Ledger entries ([`LoanAccounts`] says which accounts):
//!
//! | event | debit | credit |
//! | --- | --- | --- |
//! | disbursed | loans receivable (principal) | funding account (principal less deducted fees), fee income (deducted fees) |
//! | payment applied, paid off | collection account (amount) | loans receivable (principal), interest income, penalty income, fee income |
//! | written off | loan losses | loans receivable (principal outstanding) |
//!
//! Interest, penalties and fees are booked when collected. Keys are
//! `loan:{id}:disbursement`, `loan:{id}:payment:{payment_ref}` and
//! `loan:{id}:write-off`: a retried command produces no new event (the payment
//! reference is remembered), and an entry posted twice is posted once.

mod accounts;
pub mod apr;
mod command;
mod decide;
mod error;
mod event;
mod payoff;
mod rate;
mod repayment;
mod schedule;
mod state;
mod table;
mod terms;

pub use crate::ids::{LoanId, MAX_LOAN_ID_LEN};
pub use accounts::{LoanAccounts, LoanPolicy, MAX_REFERENCE_LEN};
pub use command::{LoanApplication, LoanCommand};
pub use decide::decide;
pub use error::LoanError;
pub use event::LoanEvent;
pub use payoff::{FlatPayoff, PayoffQuote, payoff_quote};
pub use rate::{IRR_TOLERANCE, LoanRates, periodic_irr};
pub use repayment::{
    Allocation, AllocationLine, AllocationOrder, Component, Components, InstallmentState,
    Prepayment, Reamortize, allocate,
};
pub use schedule::{Installment, PeriodKind, Schedule};
pub use state::{Loan, LoanState, LoanStatus};
pub use table::ScheduleTable;
pub use terms::{
    FeeAmount, FeeCollection, FeeTotals, LoanTerms, LoanTermsBuilder, MAX_ANNUAL_RATE, MAX_TERM,
    Method, UpfrontFee,
};
