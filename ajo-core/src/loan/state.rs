//! A loan's state: where it is in its life, as its events left it.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::payoff::payoff_quote;
use super::{
    Allocation, Component, Components, InstallmentState, LoanAccounts, LoanApplication,
    LoanCommand, LoanError, LoanEvent, LoanPolicy, LoanTerms, PayoffQuote, Schedule,
};
use crate::aggregate::Aggregate;
use crate::ids::{LoanId, MemberId};
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

/// A payment already applied, remembered so that a retry is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PaymentRecord {
    pub(super) amount: Money,
    pub(super) payoff: bool,
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
    pub(super) payments: BTreeMap<String, PaymentRecord>,
    settlement: Option<PayoffQuote>,
    written_off: Option<Money>,
}

impl Loan {
    /// The loan's id.
    pub fn id(&self) -> &LoanId {
        &self.application.id
    }

    /// The borrower.
    pub fn borrower(&self) -> &MemberId {
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

    pub(super) fn require(
        &self,
        command: &'static str,
        allowed: &[LoanStatus],
    ) -> Result<(), LoanError> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(LoanError::IllegalTransition {
                command,
                status: self.status,
            })
        }
    }

    pub(super) fn key(&self, kind: &str) -> String {
        format!("loan:{}:{kind}", self.application.id)
    }

    pub(super) fn all_settled(&self) -> Result<bool, LoanError> {
        for state in &self.installments {
            if !state.is_settled()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Penalty events bringing every installment's penalty up to its assessment on `on`.
    pub(super) fn penalty_events(
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

    fn position(&self, number: u32) -> Option<usize> {
        self.installments
            .iter()
            .position(|s| s.row().number == number)
    }

    /// Applies an event to this loan (never to an empty state), all or nothing: every
    /// check and every sum is done before anything changes, so a refused event leaves
    /// the loan as it was without copying it first.
    ///
    /// # Errors
    /// [`LoanError::EventDoesNotApply`] when the event cannot follow the loan as it is,
    /// or [`LoanError::Money`] on overflow.
    pub(super) fn apply(&mut self, event: &LoanEvent) -> Result<(), LoanError> {
        let not_applicable = || LoanError::EventDoesNotApply {
            event: event.name(),
        };
        let expect = |allowed: &[LoanStatus]| {
            if allowed.contains(&self.status) {
                Ok(())
            } else {
                Err(not_applicable())
            }
        };
        let open = [LoanStatus::Disbursed, LoanStatus::Defaulted];
        match event {
            LoanEvent::Applied { .. } => return Err(not_applicable()),
            LoanEvent::Approved { .. } => {
                expect(&[LoanStatus::Pending])?;
                self.status = LoanStatus::Approved;
            }
            LoanEvent::Rejected { .. } => {
                expect(&[LoanStatus::Pending, LoanStatus::Approved])?;
                self.status = LoanStatus::Rejected;
            }
            LoanEvent::Disbursed { schedule, .. } => {
                expect(&[LoanStatus::Approved])?;
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
                expect(&open)?;
                let index = self.position(*installment).ok_or_else(not_applicable)?;
                let state = self
                    .installments
                    .get_mut(index)
                    .ok_or_else(not_applicable)?;
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
                expect(&open)?;
                self.check_payment(allocation)?;
                let paid = self.paid_after(allocation, &not_applicable)?;
                let prepaid = match &allocation.prepayment {
                    None => None,
                    Some(prepayment) => {
                        let from = self
                            .position(prepayment.from_installment)
                            .ok_or_else(not_applicable)?;
                        // Re-amortised installments must not have been paid at all, the
                        // payment's own lines included.
                        let touched_later = paid.iter().any(|(index, state)| {
                            *index >= from && state.paid().total().is_ok_and(|t| t.is_positive())
                        });
                        let paid_later = self
                            .installments
                            .get(from..)
                            .unwrap_or_default()
                            .iter()
                            .any(|s| s.paid().total().is_ok_and(|t| t.is_positive()));
                        if touched_later || paid_later {
                            return Err(not_applicable());
                        }
                        let mut prepaid = self.prepaid;
                        prepaid.add(Component::Interest, prepayment.interest)?;
                        prepaid.add(Component::Principal, prepayment.principal)?;
                        Some((from, prepayment, prepaid))
                    }
                };
                for (index, state) in paid {
                    if let Some(slot) = self.installments.get_mut(index) {
                        *slot = state;
                    }
                }
                if let Some((from, prepayment, prepaid)) = prepaid {
                    self.installments.truncate(from);
                    self.installments
                        .extend(prepayment.rows.iter().cloned().map(InstallmentState::new));
                    self.prepaid = prepaid;
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
                expect(&open)?;
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
                expect(&open)?;
                self.status = LoanStatus::Repaid;
            }
            LoanEvent::Defaulted { .. } => {
                expect(&[LoanStatus::Disbursed])?;
                self.status = LoanStatus::Defaulted;
            }
            LoanEvent::WrittenOff { principal, .. } => {
                expect(&[LoanStatus::Defaulted])?;
                self.written_off = Some(*principal);
                self.status = LoanStatus::WrittenOff;
            }
        }
        Ok(())
    }

    /// Every line of an allocation names an installment the loan has.
    fn check_payment(&self, allocation: &Allocation) -> Result<(), LoanError> {
        if allocation
            .lines
            .iter()
            .all(|line| self.position(line.installment).is_some())
        {
            Ok(())
        } else {
            Err(LoanError::EventDoesNotApply {
                event: "an event naming an installment the loan does not have",
            })
        }
    }

    /// The installments an allocation pays, as they would be after it: only those are
    /// copied, each once however many lines it has.
    fn paid_after(
        &self,
        allocation: &Allocation,
        not_applicable: &dyn Fn() -> LoanError,
    ) -> Result<Vec<(usize, InstallmentState)>, LoanError> {
        let mut paid: Vec<(usize, InstallmentState)> = Vec::new();
        for line in &allocation.lines {
            let index = self.position(line.installment).ok_or_else(not_applicable)?;
            let at = match paid.iter().position(|(i, _)| *i == index) {
                Some(at) => at,
                None => {
                    let state = self.installments.get(index).ok_or_else(not_applicable)?;
                    paid.push((index, state.clone()));
                    paid.len() - 1
                }
            };
            let (_, state) = paid.get_mut(at).ok_or_else(not_applicable)?;
            if line.amount > state.remaining(line.component)? {
                return Err(not_applicable());
            }
            state.pay(line.component, line.amount)?;
        }
        Ok(paid)
    }
}

/// A loan's state: empty until it is applied for, then a fold of its events.
///
/// ```
/// use ajo_core::group::MemberId;
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
///     borrower: MemberId::new("ada")?,
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
///     (LoanCommand::Apply(Box::new(application)), at("2026-01-10T09:00:00+01:00")),
///     (LoanCommand::Approve { by: "treasurer".into() }, at("2026-01-12T09:00:00+01:00")),
///     (LoanCommand::Disburse { reference: "payout-1".into() }, at("2026-01-15T09:00:00+01:00")),
///     (LoanCommand::Repay {
///         payment_ref: "pay-1".into(),
///         amount: ngn("1010")?, // 1,000 + 1 % for the month
///         overpayment: Reamortize::ShortenTerm,
///     }, at("2026-02-15T09:00:00+01:00")),
/// ] {
///     for event in decide(&state, &command, now?.to_utc())? {
///         if let Some(entry) = event.entry() {
///             ledger.post(entry.clone(), event.at().with_timezone(&Utc))?;
///         }
///         state.apply(&event);
///     }
/// }
/// assert_eq!(state.status(), Some(LoanStatus::Repaid));
/// assert!(ledger.trial_balance().is_zero());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoanState {
    loan: Option<Loan>,
    version: u64,
    fault: Option<LoanError>,
}

impl LoanState {
    /// No loan yet.
    pub fn new() -> LoanState {
        LoanState::default()
    }

    /// The state that `events` leave, applied in order from empty.
    ///
    /// # Errors
    /// [`LoanError::EventDoesNotApply`] (or [`LoanError::Money`]) for the first event
    /// that cannot follow the ones before it: see [`fault`](Self::fault).
    pub fn replay<'a>(
        events: impl IntoIterator<Item = &'a LoanEvent>,
    ) -> Result<LoanState, LoanError> {
        let state = <LoanState as Aggregate>::replay(events);
        match state.fault {
            Some(fault) => Err(fault),
            None => Ok(state),
        }
    }

    /// The loan, once applied for.
    pub fn loan(&self) -> Option<&Loan> {
        self.loan.as_ref()
    }

    /// The loan's status, once applied for.
    pub fn status(&self) -> Option<LoanStatus> {
        self.loan.as_ref().map(Loan::status)
    }

    /// How many events have been applied.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Why the first event that did not fit was not applied, if one did not: a stored log
    /// that was reordered or altered. [`decide`](super::decide) refuses every command on
    /// such a loan with this error, so nothing is built on a history that does not add up.
    pub fn fault(&self) -> Option<&LoanError> {
        self.fault.as_ref()
    }

    /// Folds one event into the state. It cannot fail: an event that does not fit the
    /// loan (one [`decide`](super::decide) would not have made) changes nothing and is
    /// kept as the state's [`fault`](Self::fault).
    pub fn apply(&mut self, event: &LoanEvent) {
        self.version = self.version.saturating_add(1);
        let applied = match (&mut self.loan, event) {
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
            (Some(loan), event) => loan.apply(event),
        };
        if let Err(error) = applied
            && self.fault.is_none()
        {
            self.fault = Some(error);
        }
    }
}

impl Aggregate for LoanState {
    type Command = LoanCommand;
    type Event = LoanEvent;
    type Error = LoanError;

    fn decide(
        &self,
        command: &LoanCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<LoanEvent>, LoanError> {
        super::decide(self, command, now)
    }

    fn apply(&mut self, event: &LoanEvent) {
        LoanState::apply(self, event);
    }

    fn version(&self) -> u64 {
        self.version
    }
}
