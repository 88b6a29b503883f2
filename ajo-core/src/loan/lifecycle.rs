//! The life of a loan as commands and events: `decide` turns a command into events,
//! `apply` folds an event into the state, so the state is a replay of its events.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::accounts::check_reference;
use super::payoff::{PayoffQuote, payoff_quote};
use super::repayment::{Allocation, Component, Components, InstallmentState, Reamortize, allocate};
use super::{LoanAccounts, LoanError, LoanId, LoanPolicy, LoanTerms, Schedule};
use crate::ledger::{BalancedEntry, EntryDraft};
use crate::money::Money;

/// Where a loan is in its life.
///
/// ```text
/// pending ──approve──▶ approved ──disburse──▶ disbursed ──(paid in full)──▶ repaid
///    │                    │                      │
///    └──reject──▶ rejected ◀──reject─┘           └──mark defaulted──▶ defaulted ──write off──▶ written off
///                                                                        └──(paid in full)──▶ repaid
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoanStatus {
    /// Applied for, waiting for a decision.
    Pending,
    /// Approved, not yet paid out.
    Approved,
    /// Refused before it was paid out (final).
    Rejected,
    /// Paid out and being repaid.
    Disbursed,
    /// Everything owed has been paid (final).
    Repaid,
    /// Declared in default; repayments are still accepted.
    Defaulted,
    /// Written off as a loss (final).
    WrittenOff,
}

impl fmt::Display for LoanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoanStatus::Pending => "pending",
            LoanStatus::Approved => "approved",
            LoanStatus::Rejected => "rejected",
            LoanStatus::Disbursed => "disbursed",
            LoanStatus::Repaid => "repaid",
            LoanStatus::Defaulted => "defaulted",
            LoanStatus::WrittenOff => "written off",
        })
    }
}

/// A request for a loan: everything [`LoanCommand::Apply`] needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanApplication {
    /// The caller's id for the loan.
    pub id: LoanId,
    /// The borrowing member's id (1 to 128 printable ASCII characters, no spaces).
    pub borrower: String,
    /// The terms asked for; the disbursement date is replaced by the date the money is
    /// actually paid out.
    pub terms: LoanTerms,
    /// Where the money is booked.
    pub accounts: LoanAccounts,
    /// How it is serviced.
    pub policy: LoanPolicy,
}

/// What a caller asks of a loan; [`decide`] answers with events or a typed error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoanCommand {
    /// Open the loan as pending (only on an empty state).
    Apply(Box<LoanApplication>),
    /// Approve a pending loan.
    Approve {
        /// Who approved it.
        by: String,
    },
    /// Refuse a pending or approved loan.
    Reject {
        /// Why, for the borrower and the record.
        reason: String,
    },
    /// Pay out an approved loan today: its schedule starts from today's date.
    Disburse {
        /// The payout's reference at the gateway (for reconciliation).
        reference: String,
    },
    /// Apply a repayment (see [`allocate`](super::allocate)).
    Repay {
        /// The payment's reference at the gateway; a retry with the same reference and
        /// amount is a no-op, so a payment is applied and posted once.
        payment_ref: String,
        /// The amount received.
        amount: Money,
        /// What an overpayment does to the installments still to come.
        overpayment: Reamortize,
    },
    /// Settle the loan early; the amount must be today's
    /// [payoff quote](Loan::payoff_quote).
    PayOff {
        /// The payment's reference at the gateway (idempotent like `Repay`).
        payment_ref: String,
        /// The amount received.
        amount: Money,
    },
    /// Charge late penalties on overdue installments as of today (a daily job).
    AssessPenalties,
    /// Declare a loan with an overdue installment in default.
    MarkDefaulted {
        /// Why, for the record.
        reason: String,
    },
    /// Write off a defaulted loan's outstanding principal.
    WriteOff,
}

impl LoanCommand {
    fn name(&self) -> &'static str {
        match self {
            LoanCommand::Apply(_) => "apply for",
            LoanCommand::Approve { .. } => "approve",
            LoanCommand::Reject { .. } => "reject",
            LoanCommand::Disburse { .. } => "disburse",
            LoanCommand::Repay { .. } => "repay",
            LoanCommand::PayOff { .. } => "pay off",
            LoanCommand::AssessPenalties => "assess penalties on",
            LoanCommand::MarkDefaulted { .. } => "mark defaulted",
            LoanCommand::WriteOff => "write off",
        }
    }
}

/// What happened to a loan. Events that move money carry the balanced ledger entry to
/// post, keyed `loan:{id}:{kind}[:{reference}]` so that posting it twice posts once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LoanEvent {
    /// The loan was applied for.
    Applied {
        /// When.
        at: DateTime<FixedOffset>,
        /// The application.
        application: Box<LoanApplication>,
    },
    /// It was approved.
    Approved {
        /// When.
        at: DateTime<FixedOffset>,
        /// Who approved it.
        by: String,
    },
    /// It was refused.
    Rejected {
        /// When.
        at: DateTime<FixedOffset>,
        /// Why.
        reason: String,
    },
    /// It was paid out. The entry debits the receivable with the principal and credits
    /// the funding account with what the borrower receives and fee income with any
    /// deducted fees.
    Disbursed {
        /// When.
        at: DateTime<FixedOffset>,
        /// The schedule, from the disbursement date.
        schedule: Box<Schedule>,
        /// `loan:{id}:disbursement`.
        entry: BalancedEntry,
    },
    /// A late penalty was charged (booked as income when it is paid).
    PenaltyCharged {
        /// When.
        at: DateTime<FixedOffset>,
        /// The installment's number.
        installment: u32,
        /// The increase.
        amount: Money,
        /// The installment's penalty after it.
        total: Money,
    },
    /// A repayment was applied. The entry debits the collection account and credits the
    /// receivable (principal), interest income, penalty income and fee income.
    PaymentApplied {
        /// When.
        at: DateTime<FixedOffset>,
        /// The payment's reference.
        payment_ref: String,
        /// The amount received.
        amount: Money,
        /// Where it went.
        allocation: Allocation,
        /// `loan:{id}:payment:{payment_ref}`.
        entry: BalancedEntry,
    },
    /// The loan was settled early for its payoff quote; a [`LoanEvent::Repaid`] follows.
    PaidOff {
        /// When.
        at: DateTime<FixedOffset>,
        /// The payment's reference.
        payment_ref: String,
        /// What was paid, by component.
        quote: PayoffQuote,
        /// `loan:{id}:payment:{payment_ref}`, credited like a repayment.
        entry: BalancedEntry,
    },
    /// Everything owed has been paid.
    Repaid {
        /// When.
        at: DateTime<FixedOffset>,
    },
    /// The loan was declared in default.
    Defaulted {
        /// When.
        at: DateTime<FixedOffset>,
        /// Why.
        reason: String,
    },
    /// The outstanding principal was written off: the entry debits losses and credits
    /// the receivable (none when no principal was left).
    WrittenOff {
        /// When.
        at: DateTime<FixedOffset>,
        /// The principal written off.
        principal: Money,
        /// `loan:{id}:write-off`.
        entry: Option<BalancedEntry>,
    },
}

impl LoanEvent {
    /// When it happened.
    pub fn at(&self) -> DateTime<FixedOffset> {
        match self {
            LoanEvent::Applied { at, .. }
            | LoanEvent::Approved { at, .. }
            | LoanEvent::Rejected { at, .. }
            | LoanEvent::Disbursed { at, .. }
            | LoanEvent::PenaltyCharged { at, .. }
            | LoanEvent::PaymentApplied { at, .. }
            | LoanEvent::PaidOff { at, .. }
            | LoanEvent::Repaid { at }
            | LoanEvent::Defaulted { at, .. }
            | LoanEvent::WrittenOff { at, .. } => *at,
        }
    }

    /// The ledger entry to post, for events that move money.
    pub fn entry(&self) -> Option<&BalancedEntry> {
        match self {
            LoanEvent::Disbursed { entry, .. }
            | LoanEvent::PaymentApplied { entry, .. }
            | LoanEvent::PaidOff { entry, .. } => Some(entry),
            LoanEvent::WrittenOff { entry, .. } => entry.as_ref(),
            _ => None,
        }
    }

    /// The event's name, as in its serialized `event` tag.
    pub fn name(&self) -> &'static str {
        match self {
            LoanEvent::Applied { .. } => "applied",
            LoanEvent::Approved { .. } => "approved",
            LoanEvent::Rejected { .. } => "rejected",
            LoanEvent::Disbursed { .. } => "disbursed",
            LoanEvent::PenaltyCharged { .. } => "penalty_charged",
            LoanEvent::PaymentApplied { .. } => "payment_applied",
            LoanEvent::PaidOff { .. } => "paid_off",
            LoanEvent::Repaid { .. } => "repaid",
            LoanEvent::Defaulted { .. } => "defaulted",
            LoanEvent::WrittenOff { .. } => "written_off",
        }
    }
}

/// A payment already applied, remembered so that a retry is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct PaymentRecord {
    amount: Money,
    payoff: bool,
}

/// A loan that has been applied for, as its events left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loan {
    application: LoanApplication,
    terms: LoanTerms,
    status: LoanStatus,
    schedule: Option<Schedule>,
    installments: Vec<InstallmentState>,
    prepaid: Components,
    payments: BTreeMap<String, PaymentRecord>,
    settlement: Option<PayoffQuote>,
    written_off: Option<Money>,
}

impl Loan {
    /// The loan's id.
    pub fn id(&self) -> &LoanId {
        &self.application.id
    }

    /// The borrower's id.
    pub fn borrower(&self) -> &str {
        &self.application.borrower
    }

    /// The terms: as applied for, then as disbursed (with the actual date).
    pub fn terms(&self) -> &LoanTerms {
        &self.terms
    }

    /// The ledger accounts.
    pub fn accounts(&self) -> &LoanAccounts {
        &self.application.accounts
    }

    /// The servicing policy.
    pub fn policy(&self) -> &LoanPolicy {
        &self.application.policy
    }

    /// Where it is in its life.
    pub fn status(&self) -> LoanStatus {
        self.status
    }

    /// The schedule as disbursed (later overpayments re-amortise the
    /// [installments](Self::installments), not this).
    pub fn schedule(&self) -> Option<&Schedule> {
        self.schedule.as_ref()
    }

    /// The installments as they stand: scheduled amounts (re-amortised after an
    /// overpayment), penalties and what has been paid.
    pub fn installments(&self) -> &[InstallmentState] {
        &self.installments
    }

    /// Capitalised interest and principal repaid ahead of schedule by overpayments.
    pub fn prepaid(&self) -> &Components {
        &self.prepaid
    }

    /// The payoff the loan was settled with, if it was.
    pub fn settlement(&self) -> Option<&PayoffQuote> {
        self.settlement.as_ref()
    }

    /// The principal written off, if it was.
    pub fn written_off(&self) -> Option<Money> {
        self.written_off
    }

    /// What is still owed, by component (penalties as charged so far); zero once repaid.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn outstanding(&self) -> Result<Components, LoanError> {
        let mut total = Components::zero(self.terms.principal().currency());
        if self.settlement.is_some() || self.status == LoanStatus::Repaid {
            return Ok(total);
        }
        for state in &self.installments {
            for component in [
                Component::Penalty,
                Component::Fee,
                Component::Interest,
                Component::Principal,
            ] {
                total.add(component, state.remaining(component)?)?;
            }
        }
        Ok(total)
    }

    /// What settles the loan on `on`; see [`payoff_quote`](super::payoff_quote).
    ///
    /// # Errors
    /// [`LoanError::IllegalTransition`] unless the loan is disbursed or defaulted, or as
    /// [`payoff_quote`](super::payoff_quote).
    pub fn payoff_quote(&self, on: NaiveDate) -> Result<PayoffQuote, LoanError> {
        self.require(
            "quote a payoff for",
            &[LoanStatus::Disbursed, LoanStatus::Defaulted],
        )?;
        payoff_quote(
            &self.terms,
            &self.installments,
            on,
            &self.application.policy.penalty,
            self.application.policy.flat_payoff,
        )
    }

    /// The numbers of the installments overdue on `on`.
    ///
    /// # Errors
    /// [`LoanError::Money`] on overflow.
    pub fn overdue(&self, on: NaiveDate) -> Result<Vec<u32>, LoanError> {
        let mut numbers = Vec::new();
        if self.settlement.is_some() {
            return Ok(numbers);
        }
        for state in &self.installments {
            if state.is_overdue(on)? {
                numbers.push(state.row().number);
            }
        }
        Ok(numbers)
    }

    fn require(&self, command: &'static str, allowed: &[LoanStatus]) -> Result<(), LoanError> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(LoanError::IllegalTransition {
                command,
                status: self.status,
            })
        }
    }

    fn key(&self, kind: &str) -> String {
        format!("loan:{}:{kind}", self.application.id)
    }

    fn all_settled(&self) -> Result<bool, LoanError> {
        for state in &self.installments {
            if !state.is_settled()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Penalty events bringing every installment's penalty up to its assessment on `on`.
    fn penalty_events(
        &self,
        on: NaiveDate,
        at: DateTime<FixedOffset>,
    ) -> Result<Vec<LoanEvent>, LoanError> {
        let mut events = Vec::new();
        for state in &self.installments {
            let total = state.penalty_as_of(&self.application.policy.penalty, on)?;
            let amount = total.checked_sub(state.penalty())?;
            if amount.is_positive() {
                events.push(LoanEvent::PenaltyCharged {
                    at,
                    installment: state.row().number,
                    amount,
                    total,
                });
            }
        }
        Ok(events)
    }

    fn installment_mut(&mut self, number: u32) -> Result<&mut InstallmentState, LoanError> {
        self.installments
            .iter_mut()
            .find(|s| s.row().number == number)
            .ok_or(LoanError::EventDoesNotApply {
                event: "an event naming an installment the loan does not have",
            })
    }

    /// Applies an event to this loan (never to an empty state).
    fn apply(&mut self, event: &LoanEvent) -> Result<(), LoanError> {
        let not_applicable = || LoanError::EventDoesNotApply {
            event: event.name(),
        };
        let expect = |loan: &Loan, allowed: &[LoanStatus]| {
            if allowed.contains(&loan.status) {
                Ok(())
            } else {
                Err(not_applicable())
            }
        };
        let open = [LoanStatus::Disbursed, LoanStatus::Defaulted];
        match event {
            LoanEvent::Applied { .. } => return Err(not_applicable()),
            LoanEvent::Approved { .. } => {
                expect(self, &[LoanStatus::Pending])?;
                self.status = LoanStatus::Approved;
            }
            LoanEvent::Rejected { .. } => {
                expect(self, &[LoanStatus::Pending, LoanStatus::Approved])?;
                self.status = LoanStatus::Rejected;
            }
            LoanEvent::Disbursed { schedule, .. } => {
                expect(self, &[LoanStatus::Approved])?;
                self.terms = schedule.terms().clone();
                self.installments = schedule
                    .rows()
                    .iter()
                    .cloned()
                    .map(InstallmentState::new)
                    .collect();
                self.schedule = Some((**schedule).clone());
                self.status = LoanStatus::Disbursed;
            }
            LoanEvent::PenaltyCharged {
                installment,
                amount,
                total,
                ..
            } => {
                expect(self, &open)?;
                let state = self.installment_mut(*installment)?;
                if state.penalty().checked_add(*amount)? != *total {
                    return Err(not_applicable());
                }
                state.set_penalty(*total);
            }
            LoanEvent::PaymentApplied {
                payment_ref,
                amount,
                allocation,
                ..
            } => {
                expect(self, &open)?;
                for line in &allocation.lines {
                    let state = self.installment_mut(line.installment)?;
                    if line.amount > state.remaining(line.component)? {
                        return Err(not_applicable());
                    }
                    state.pay(line.component, line.amount)?;
                }
                if let Some(prepayment) = &allocation.prepayment {
                    let from = self
                        .installments
                        .iter()
                        .position(|s| s.row().number == prepayment.from_installment)
                        .ok_or_else(not_applicable)?;
                    let replaced = self.installments.get(from..).unwrap_or_default();
                    if replaced
                        .iter()
                        .any(|s| s.paid().total().is_ok_and(|t| t.is_positive()))
                    {
                        return Err(not_applicable());
                    }
                    self.installments.truncate(from);
                    self.installments
                        .extend(prepayment.rows.iter().cloned().map(InstallmentState::new));
                    self.prepaid.add(Component::Interest, prepayment.interest)?;
                    self.prepaid
                        .add(Component::Principal, prepayment.principal)?;
                }
                self.payments.insert(
                    payment_ref.clone(),
                    PaymentRecord {
                        amount: *amount,
                        payoff: false,
                    },
                );
            }
            LoanEvent::PaidOff {
                payment_ref, quote, ..
            } => {
                expect(self, &open)?;
                self.payments.insert(
                    payment_ref.clone(),
                    PaymentRecord {
                        amount: quote.total,
                        payoff: true,
                    },
                );
                self.settlement = Some(*quote);
            }
            LoanEvent::Repaid { .. } => {
                expect(self, &open)?;
                self.status = LoanStatus::Repaid;
            }
            LoanEvent::Defaulted { .. } => {
                expect(self, &[LoanStatus::Disbursed])?;
                self.status = LoanStatus::Defaulted;
            }
            LoanEvent::WrittenOff { principal, .. } => {
                expect(self, &[LoanStatus::Defaulted])?;
                self.written_off = Some(*principal);
                self.status = LoanStatus::WrittenOff;
            }
        }
        Ok(())
    }
}

/// A loan's state: empty until it is applied for, then a fold of its events.
///
/// ```
/// use ajo_core::ledger::{Account, AccountKind, Ledger};
/// use ajo_core::loan::{
///     LoanAccounts, LoanApplication, LoanCommand, LoanId, LoanPolicy, LoanState, LoanStatus,
///     LoanTerms, Reamortize, decide,
/// };
/// use ajo_core::money::{Currency, Money};
/// use chrono::{DateTime, NaiveDate, Utc};
///
/// let ngn = |s| Money::parse(s, Currency::NGN);
/// let pot = Account::new("group-1", AccountKind::GroupPot, Currency::NGN);
/// let clearing = Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN);
/// let application = LoanApplication {
///     id: LoanId::new("ln-1")?,
///     borrower: "ada".into(),
///     terms: LoanTerms::builder(ngn("1000")?, "0.12".parse()?, 1,
///         NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()).build()?,
///     accounts: LoanAccounts::new("group-1", pot, clearing),
///     policy: LoanPolicy::default(),
/// };
/// let at = |s: &str| DateTime::parse_from_rfc3339(s);
///
/// let mut state = LoanState::new();
/// let mut ledger = Ledger::new();
/// for (command, now) in [
///     (LoanCommand::Apply(Box::new(application)), at("2026-01-10T09:00:00+01:00")?),
///     (LoanCommand::Approve { by: "treasurer".into() }, at("2026-01-12T09:00:00+01:00")?),
///     (LoanCommand::Disburse { reference: "payout-1".into() }, at("2026-01-15T09:00:00+01:00")?),
///     (LoanCommand::Repay {
///         payment_ref: "pay-1".into(),
///         amount: ngn("1010")?, // 1,000 + 1 % for the month
///         overpayment: Reamortize::ShortenTerm,
///     }, at("2026-02-15T09:00:00+01:00")?),
/// ] {
///     for event in decide(&state, &command, now)? {
///         if let Some(entry) = event.entry() {
///             ledger.post(entry.clone(), event.at().with_timezone(&Utc))?;
///         }
///         state.apply(&event)?;
///     }
/// }
/// assert_eq!(state.status(), Some(LoanStatus::Repaid));
/// assert!(ledger.trial_balance().is_zero());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoanState {
    loan: Option<Loan>,
}

impl LoanState {
    /// No loan yet.
    pub fn new() -> LoanState {
        LoanState::default()
    }

    /// The state that `events` leave, applied in order from empty.
    ///
    /// # Errors
    /// [`LoanError::EventDoesNotApply`] for the first event that cannot follow the ones
    /// before it.
    pub fn replay<'a>(
        events: impl IntoIterator<Item = &'a LoanEvent>,
    ) -> Result<LoanState, LoanError> {
        let mut state = LoanState::new();
        for event in events {
            state.apply(event)?;
        }
        Ok(state)
    }

    /// The loan, once applied for.
    pub fn loan(&self) -> Option<&Loan> {
        self.loan.as_ref()
    }

    /// The loan's status, once applied for.
    pub fn status(&self) -> Option<LoanStatus> {
        self.loan.as_ref().map(Loan::status)
    }

    /// Folds one event into the state. All or nothing: on error the state is unchanged.
    ///
    /// # Errors
    /// [`LoanError::EventDoesNotApply`] when the event cannot follow the state (a
    /// reordered or corrupted log), or [`LoanError::Money`] on overflow.
    pub fn apply(&mut self, event: &LoanEvent) -> Result<(), LoanError> {
        match (&mut self.loan, event) {
            (None, LoanEvent::Applied { application, .. }) => {
                self.loan = Some(Loan {
                    terms: application.terms.clone(),
                    status: LoanStatus::Pending,
                    schedule: None,
                    installments: Vec::new(),
                    prepaid: Components::zero(application.terms.principal().currency()),
                    payments: BTreeMap::new(),
                    settlement: None,
                    written_off: None,
                    application: (**application).clone(),
                });
                Ok(())
            }
            (None, other) => Err(LoanError::EventDoesNotApply {
                event: other.name(),
            }),
            (Some(loan), event) => {
                let mut next = loan.clone();
                next.apply(event)?;
                *loan = next;
                Ok(())
            }
        }
    }
}

/// [`LoanState::apply`] as a free function: folds `event` into `state`.
///
/// # Errors
/// As [`LoanState::apply`].
pub fn apply(state: &mut LoanState, event: &LoanEvent) -> Result<(), LoanError> {
    state.apply(event)
}

/// What `command` does to the loan in `state` at `now`, as events to store and apply.
///
/// `now` is the caller's clock in the loan's local offset; its date is the business
/// date (due dates, lateness, the disbursement date). Nothing here reads a clock, and
/// the state is not changed: apply the events with [`LoanState::apply`] once stored.
///
/// # Errors
/// - [`LoanError::NoLoan`] for any command but `Apply` on an empty state.
/// - [`LoanError::IllegalTransition`] for a command the status does not allow
///   (approving a rejected loan, repaying one not disbursed...).
/// - `Apply`: [`LoanError::InvalidId`] for the borrower, [`LoanError::CurrencyMismatch`]
///   for an account or penalty rule in another currency.
/// - `Disburse`: [`LoanError::InvalidId`] for the reference, or as [`Schedule::new`].
/// - `Repay`: [`LoanError::InvalidId`], [`LoanError::PaymentRefConflict`],
///   [`LoanError::BeforeDisbursement`], or as [`allocate`](super::allocate).
/// - `PayOff`: as `Repay`, and [`LoanError::PayoffMismatch`] when the amount is not
///   the quote.
/// - `MarkDefaulted`: [`LoanError::NothingOverdue`].
/// - [`LoanError::Penalty`], [`LoanError::Ledger`] or [`LoanError::Money`] from
///   assessing penalties, building entries or arithmetic.
pub fn decide(
    state: &LoanState,
    command: &LoanCommand,
    now: DateTime<FixedOffset>,
) -> Result<Vec<LoanEvent>, LoanError> {
    let Some(loan) = &state.loan else {
        return match command {
            LoanCommand::Apply(application) => apply_for(application, now),
            other => Err(LoanError::NoLoan {
                command: other.name(),
            }),
        };
    };
    let today = now.date_naive();
    let open = [LoanStatus::Disbursed, LoanStatus::Defaulted];
    match command {
        LoanCommand::Apply(_) => Err(LoanError::IllegalTransition {
            command: command.name(),
            status: loan.status,
        }),
        LoanCommand::Approve { by } => {
            loan.require(command.name(), &[LoanStatus::Pending])?;
            Ok(vec![LoanEvent::Approved {
                at: now,
                by: by.clone(),
            }])
        }
        LoanCommand::Reject { reason } => {
            loan.require(command.name(), &[LoanStatus::Pending, LoanStatus::Approved])?;
            Ok(vec![LoanEvent::Rejected {
                at: now,
                reason: reason.clone(),
            }])
        }
        LoanCommand::Disburse { reference } => {
            loan.require(command.name(), &[LoanStatus::Approved])?;
            check_reference("disbursement reference", reference)?;
            disburse(loan, reference, now)
        }
        LoanCommand::Repay {
            payment_ref,
            amount,
            overpayment,
        } => {
            if is_retry(loan, payment_ref, *amount, false)? {
                return Ok(Vec::new());
            }
            loan.require(command.name(), &open)?;
            check_reference("payment reference", payment_ref)?;
            check_date(loan, today)?;
            repay(loan, payment_ref, *amount, *overpayment, now)
        }
        LoanCommand::PayOff {
            payment_ref,
            amount,
        } => {
            if is_retry(loan, payment_ref, *amount, true)? {
                return Ok(Vec::new());
            }
            loan.require(command.name(), &open)?;
            check_reference("payment reference", payment_ref)?;
            check_date(loan, today)?;
            pay_off(loan, payment_ref, *amount, now)
        }
        LoanCommand::AssessPenalties => {
            loan.require(command.name(), &open)?;
            loan.penalty_events(today, now)
        }
        LoanCommand::MarkDefaulted { reason } => {
            loan.require(command.name(), &[LoanStatus::Disbursed])?;
            if loan.overdue(today)?.is_empty() {
                return Err(LoanError::NothingOverdue { date: today });
            }
            let mut events = loan.penalty_events(today, now)?;
            events.push(LoanEvent::Defaulted {
                at: now,
                reason: reason.clone(),
            });
            Ok(events)
        }
        LoanCommand::WriteOff => {
            loan.require(command.name(), &[LoanStatus::Defaulted])?;
            let principal = loan.outstanding()?.principal;
            let entry = if principal.is_positive() {
                let accounts = loan.accounts();
                Some(
                    EntryDraft::new(
                        loan.key("write-off"),
                        format!("loan {} principal written off", loan.id()),
                    )
                    .debit(accounts.losses().clone(), principal)
                    .credit(accounts.receivable().clone(), principal)
                    .balance()?,
                )
            } else {
                None
            };
            Ok(vec![LoanEvent::WrittenOff {
                at: now,
                principal,
                entry,
            }])
        }
    }
}

fn apply_for(
    application: &LoanApplication,
    now: DateTime<FixedOffset>,
) -> Result<Vec<LoanEvent>, LoanError> {
    check_reference("borrower", &application.borrower)?;
    let currency = application.terms.principal().currency();
    application.accounts.check(currency)?;
    application.policy.check(currency)?;
    Ok(vec![LoanEvent::Applied {
        at: now,
        application: Box::new(application.clone()),
    }])
}

fn check_date(loan: &Loan, today: NaiveDate) -> Result<(), LoanError> {
    let disbursed = loan.terms.disbursement_date();
    if today < disbursed {
        Err(LoanError::BeforeDisbursement {
            date: today,
            disbursed,
        })
    } else {
        Ok(())
    }
}

/// Whether a payment with this reference was applied already: `true` for the same
/// payment (a retry), an error for a different one.
fn is_retry(
    loan: &Loan,
    payment_ref: &str,
    amount: Money,
    payoff: bool,
) -> Result<bool, LoanError> {
    match loan.payments.get(payment_ref) {
        None => Ok(false),
        Some(record) if record.amount == amount && record.payoff == payoff => Ok(true),
        Some(_) => Err(LoanError::PaymentRefConflict {
            payment_ref: payment_ref.to_owned(),
        }),
    }
}

fn disburse(
    loan: &Loan,
    reference: &str,
    now: DateTime<FixedOffset>,
) -> Result<Vec<LoanEvent>, LoanError> {
    let terms = loan.terms.with_disbursement_date(now.date_naive());
    let schedule = Schedule::new(&terms)?;
    let accounts = loan.accounts();
    let principal = terms.principal();
    let deducted = schedule.deducted_fees();
    let mut draft = EntryDraft::new(
        loan.key("disbursement"),
        format!("loan {} paid out to {}", loan.id(), loan.borrower()),
    )
    .reference(reference)
    .debit(accounts.receivable().clone(), principal)
    .credit(accounts.funding().clone(), schedule.net_disbursed()?);
    if deducted.is_positive() {
        draft = draft.credit(accounts.fee_income().clone(), deducted);
    }
    Ok(vec![LoanEvent::Disbursed {
        at: now,
        schedule: Box::new(schedule),
        entry: draft.balance()?,
    }])
}

/// The entry for money received: the collection account debited with `amount`, each
/// component credited to its account.
fn payment_entry(
    loan: &Loan,
    payment_ref: &str,
    amount: Money,
    parts: &Components,
    memo: String,
) -> Result<BalancedEntry, LoanError> {
    let accounts = loan.accounts();
    let mut draft = EntryDraft::new(loan.key(&format!("payment:{payment_ref}")), memo)
        .reference(payment_ref)
        .debit(accounts.collection().clone(), amount);
    for (account, value) in [
        (accounts.receivable(), parts.principal),
        (accounts.interest_income(), parts.interest),
        (accounts.penalty_income(), parts.penalty),
        (accounts.fee_income(), parts.fee),
    ] {
        if value.is_positive() {
            draft = draft.credit(account.clone(), value);
        }
    }
    Ok(draft.balance()?)
}

fn repay(
    loan: &Loan,
    payment_ref: &str,
    amount: Money,
    overpayment: Reamortize,
    now: DateTime<FixedOffset>,
) -> Result<Vec<LoanEvent>, LoanError> {
    let today = now.date_naive();
    let mut events = loan.penalty_events(today, now)?;
    let mut after = loan.clone();
    for event in &events {
        after.apply(event)?;
    }
    let allocation = allocate(
        &after.terms,
        &after.installments,
        amount,
        today,
        after.application.policy.allocation,
        overpayment,
    )?;
    let entry = payment_entry(
        loan,
        payment_ref,
        amount,
        &allocation.totals,
        format!("loan {} repayment {payment_ref}", loan.id()),
    )?;
    let applied = LoanEvent::PaymentApplied {
        at: now,
        payment_ref: payment_ref.to_owned(),
        amount,
        allocation,
        entry,
    };
    after.apply(&applied)?;
    events.push(applied);
    if after.all_settled()? {
        events.push(LoanEvent::Repaid { at: now });
    }
    Ok(events)
}

fn pay_off(
    loan: &Loan,
    payment_ref: &str,
    amount: Money,
    now: DateTime<FixedOffset>,
) -> Result<Vec<LoanEvent>, LoanError> {
    let currency = loan.terms.principal().currency();
    if amount.currency() != currency {
        return Err(LoanError::CurrencyMismatch {
            field: "payment",
            expected: currency,
            got: amount.currency(),
        });
    }
    if !amount.is_positive() {
        return Err(LoanError::NonPositivePayment { amount });
    }
    let today = now.date_naive();
    let mut events = loan.penalty_events(today, now)?;
    let mut after = loan.clone();
    for event in &events {
        after.apply(event)?;
    }
    let quote = after.payoff_quote(today)?;
    if amount != quote.total {
        return Err(LoanError::PayoffMismatch {
            amount,
            quote: quote.total,
        });
    }
    let parts = Components {
        penalty: quote.penalties,
        fee: quote.fees,
        interest: quote.interest,
        principal: quote.principal,
    };
    let entry = payment_entry(
        loan,
        payment_ref,
        amount,
        &parts,
        format!("loan {} paid off {payment_ref}", loan.id()),
    )?;
    events.push(LoanEvent::PaidOff {
        at: now,
        payment_ref: payment_ref.to_owned(),
        quote,
        entry,
    });
    events.push(LoanEvent::Repaid { at: now });
    Ok(events)
}
