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

mod error;
mod lifecycle;
mod rate;
mod schedule;
mod table;
mod terms;

pub use error::LoanError;
pub use lifecycle::LoanStatus;
pub use rate::{IRR_TOLERANCE, LoanRates, periodic_irr};
pub use schedule::{Installment, PeriodKind, Schedule};
pub use table::ScheduleTable;
pub use terms::{
    FeeAmount, FeeCollection, FeeTotals, LoanTerms, LoanTermsBuilder, MAX_ANNUAL_RATE, MAX_TERM,
    Method, UpfrontFee,
};
