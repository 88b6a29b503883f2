//! Loans through the service: apply (with the member's eligibility when the host asks),
//! approve, disburse (from the gateway's clearing or, where the group's rules allow, from
//! its pot's idle money), collect repayments with the overpayment policy chosen per
//! repayment, pay off early, default and write off; the daily reminders, penalties and
//! arrears notices.
//!
//! - [`apply`]: options for an application, pot funding and its guard.
//! - [`record`]: a member's index of groups and loans, and the [`MemberRecord`] built
//!   from it.
//! - [`settle`]: pay-off, default, write-off and repayments asked for with a policy.
//! - [`notices`]: what a loan's events tell the borrower.
//!
//! [`MemberRecord`]: crate::eligibility::MemberRecord

mod apply;
mod notices;
mod record;
mod settle;

pub use apply::{LoanFunding, LoanOptions};

use chrono::{DateTime, Days, Utc};
use tracing::instrument;

use std::sync::Arc;

use super::cache::StateCache;
use super::exec::Profiles;
use super::runner::{Effects, Hosted};
use super::{AjoService, Handled, ServiceError};
use crate::ids::{GroupId, LoanId, MemberId};
use crate::ledger::BalancedEntry;
use crate::loan::{
    LoanCommand, LoanError, LoanEvent, LoanPolicy, LoanState, LoanStatus, LoanTerms, Reamortize,
};
use crate::money::Money;
use crate::notify::Notice;
use crate::payment::{PaymentPurpose, PayoutEvent};
use crate::ports::{
    AppendRequest, Collection, DomainEvent, KeyRecord, StreamAppend, StreamId, StreamKind,
};
use crate::reference::PaymentReference;

/// A loan to a member of a group, funded through the group's books.
///
/// The money lent is owed to the borrower in their group wallet and sent by the gateway
/// like a payout; repayments come back through the gateway into the group's clearing,
/// with interest, penalties and fees credited to the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanRequest {
    /// The caller's id for the loan.
    pub id: LoanId,
    /// The group whose books it runs through.
    pub group: GroupId,
    /// The borrower.
    pub member: MemberId,
    /// The terms (the disbursement date becomes the day it is paid out).
    pub terms: LoanTerms,
    /// How it is serviced (allocation order, penalties).
    pub policy: LoanPolicy,
}

fn loan_stream(id: &LoanId) -> StreamId {
    StreamId::new(StreamKind::Loan, id.as_str())
}

impl AjoService {
    /// A loan's state now (shared with the service's kept states) and its version.
    async fn load_loan(&self, id: &LoanId) -> Result<Arc<LoanState>, ServiceError> {
        Ok(self
            .read_state_with::<LoanState>(id, &[], None)
            .await?
            .state)
    }

    /// A loan's current state.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown loan, or a store error.
    pub async fn loan(&self, id: &LoanId) -> Result<LoanState, ServiceError> {
        Ok(LoanState::clone(&*self.state_of::<LoanState>(id).await?))
    }

    /// Runs a loan command through the one command loop
    /// ([`run_aggregate`](AjoService::run_aggregate)).
    async fn run_loan(
        &self,
        id: &LoanId,
        command: LoanCommand,
        key: Option<KeyRecord>,
        extra: Vec<StreamAppend>,
    ) -> Result<Vec<LoanEvent>, ServiceError> {
        self.run_aggregate::<LoanState>(id, &command, key.as_ref(), &extra)
            .await
    }

    /// The payout that sends a disbursed loan to the borrower.
    fn loan_payouts(
        &self,
        id: &LoanId,
        state: &LoanState,
        events: &[LoanEvent],
    ) -> Vec<StreamAppend> {
        let Some(loan) = state.loan() else {
            return Vec::new();
        };
        events
            .iter()
            .filter_map(|event| match event {
                LoanEvent::Disbursed { entry, .. } => {
                    let funding = loan.accounts().funding();
                    let amount = entry
                        .postings()
                        .iter()
                        .find(|p| &p.account == funding)
                        .map(|p| p.amount)?;
                    let member = loan.borrower().clone();
                    let group = GroupId::new(loan.accounts().receivable().owner()).ok()?;
                    Some(StreamAppend {
                        stream: StreamId::new(
                            StreamKind::Payout,
                            PaymentReference::loan_disbursement(id).to_string(),
                        ),
                        expected_version: 0,
                        events: vec![DomainEvent::Payout(PayoutEvent::Requested {
                            group,
                            round: None,
                            member,
                            amount,
                        })],
                        wake_at: Some(self.now()),
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// A member applies for a loan through a group, funded through the gateway's
    /// clearing and without an eligibility check: [`apply_for_loan_with`] with the
    /// default [`LoanOptions`].
    ///
    /// [`apply_for_loan_with`]: AjoService::apply_for_loan_with
    ///
    /// # Errors
    /// As [`apply_for_loan_with`](AjoService::apply_for_loan_with).
    pub async fn apply_for_loan(&self, request: LoanRequest) -> Result<(), ServiceError> {
        self.apply_for_loan_with(request, LoanOptions::default())
            .await
    }

    /// Approves a pending loan.
    ///
    /// # Errors
    /// [`ServiceError::Loan`] if it is not pending.
    pub async fn approve_loan(&self, id: &LoanId, by: &str) -> Result<(), ServiceError> {
        self.approve_loan_keyed(id, by, None).await
    }

    /// [`approve_loan`](Self::approve_loan), recording a host's `key` with the approval.
    #[instrument(skip_all, fields(loan_id = %id))]
    pub(super) async fn approve_loan_keyed(
        &self,
        id: &LoanId,
        by: &str,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        super::logged(async move {
            self.run_loan(
                id,
                LoanCommand::Approve { by: by.to_owned() },
                key.cloned(),
                Vec::new(),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Refuses a pending or approved loan.
    ///
    /// # Errors
    /// [`ServiceError::Loan`] if it is past approval.
    pub async fn reject_loan(&self, id: &LoanId, reason: &str) -> Result<(), ServiceError> {
        self.reject_loan_keyed(id, reason, None).await
    }

    /// [`reject_loan`](Self::reject_loan), recording a host's `key` with the refusal.
    #[instrument(skip_all, fields(loan_id = %id))]
    pub(super) async fn reject_loan_keyed(
        &self,
        id: &LoanId,
        reason: &str,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        super::logged(async move {
            self.run_loan(
                id,
                LoanCommand::Reject {
                    reason: reason.to_owned(),
                },
                key.cloned(),
                Vec::new(),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Pays out an approved loan: the schedule starts today, the money is owed to the
    /// borrower and sent by the next `tick`. A loan from a group's pot is paid out only
    /// if the pot's idle money covers it, checked in the same atomic append.
    ///
    /// # Errors
    /// [`ServiceError::Loan`] if it is not approved, or with
    /// [`LoanError::PotCannotLend`] for a pot loan the pot cannot cover now.
    pub async fn disburse_loan(&self, id: &LoanId) -> Result<(), ServiceError> {
        self.disburse_loan_keyed(id, None).await
    }

    /// [`disburse_loan`](Self::disburse_loan), recording a host's `key` with the
    /// disbursement.
    #[instrument(skip_all, fields(loan_id = %id))]
    pub(super) async fn disburse_loan_keyed(
        &self,
        id: &LoanId,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        super::logged(async move {
            let state = self.state_of::<LoanState>(id).await?;
            if let Some(group) = state.loan().and_then(apply::pot_group) {
                return self.disburse_from_pot(id, &group, key).await;
            }
            if !self.config.limits.is_empty() {
                return self.disburse_counted(id, key).await;
            }
            let reference = PaymentReference::loan_disbursement(id).to_string();
            self.run_loan(
                id,
                LoanCommand::Disburse { reference },
                key.cloned(),
                Vec::new(),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Asks the gateway to collect a repayment: `amount`, or by default every installment
    /// overdue, or the next one when none is.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown loan, [`LoanError::NothingDue`] (in
    /// [`ServiceError::Loan`]) when no amount is given and nothing is due, a gateway or
    /// store error.
    #[instrument(skip_all, fields(loan_id = %id))]
    pub async fn request_loan_repayment(
        &self,
        id: &LoanId,
        amount: Option<Money>,
    ) -> Result<Collection, ServiceError> {
        super::logged(async move {
            self.request_loan_repayment_with(id, amount, Reamortize::ShortenTerm)
                .await
        })
        .await
    }

    /// Applies confirmed repayment money to a loan, with the payment stream's `settled`
    /// event in the same append.
    pub(super) async fn repay_loan_from(
        &self,
        loan: &LoanId,
        reference: &str,
        amount: Money,
        key: &str,
        settled: StreamAppend,
        purpose: &PaymentPurpose,
    ) -> Result<Handled, ServiceError> {
        let command = match purpose {
            PaymentPurpose::LoanRepayment { payoff: true, .. } => LoanCommand::PayOff {
                payment_ref: reference.to_owned(),
                amount,
            },
            PaymentPurpose::LoanRepayment { overpayment, .. } => LoanCommand::Repay {
                payment_ref: reference.to_owned(),
                amount,
                overpayment: *overpayment,
            },
            _ => LoanCommand::Repay {
                payment_ref: reference.to_owned(),
                amount,
                overpayment: Reamortize::default(),
            },
        };
        match self
            .run_loan(loan, command, Some(key.into()), vec![settled])
            .await
        {
            Ok(events) if events.is_empty() => Ok(Handled::Duplicate),
            Ok(_) => Ok(Handled::Recorded),
            Err(ServiceError::Loan(_)) => {
                let stream = StreamId::new(StreamKind::Payment, reference);
                self.run(&stream, move |_| async move {
                    let payment = self.load_payment(reference).await?;
                    Ok(self.hold_for_review(reference, amount, amount, key, &payment, None))
                })
                .await
            }
            Err(other) => Err(other),
        }
    }

    /// The daily work on a loan: reminders for the next installment and penalties on
    /// overdue ones.
    pub(super) async fn tick_loan(
        &self,
        id: &LoanId,
        now: DateTime<Utc>,
        report: &mut super::TickReport,
    ) -> Result<(), ServiceError> {
        let state = self.state_of::<LoanState>(id).await?;
        let Some(loan) = state.loan() else {
            return Ok(());
        };
        if !matches!(loan.status(), LoanStatus::Disbursed | LoanStatus::Defaulted) {
            return self.set_loan_wake(id, &state, now).await;
        }
        let today = now.with_timezone(&loan.policy().time_zone).date_naive();
        let mut reminders = Vec::new();
        {
            let member = loan.borrower();
            for installment in loan.installments() {
                let row = installment.row();
                let remaining = installment
                    .remaining_total()
                    .unwrap_or(Money::zero(row.total.currency()));
                let soon = today.checked_add_days(Days::new(2)).unwrap_or(today);
                if remaining.is_positive() && row.due_date >= today && row.due_date <= soon {
                    let notice = Notice::InstallmentDue {
                        amount: remaining,
                        due_date: row.due_date,
                        number: row.number,
                    };
                    reminders.extend(
                        self.messages_for(
                            member,
                            &format!("loan:{id}:i{}:reminder", row.number),
                            notice,
                            &mut Profiles::default(),
                        )
                        .await?,
                    );
                }
            }
        }
        if let Some(notice) = notices::arrears_notice(loan, today)? {
            // Once a day at most: the id names the day.
            reminders.extend(
                self.messages_for(
                    loan.borrower(),
                    &format!("loan:{id}:arrears:{today}"),
                    notice,
                    &mut Profiles::default(),
                )
                .await?,
            );
        }
        report.reminders += reminders.len();
        if loan.overdue(today).is_ok_and(|o| !o.is_empty()) {
            self.run_loan(
                id,
                LoanCommand::AssessPenalties,
                Some(format!("loan:{id}:penalties:{today}").into()),
                Vec::new(),
            )
            .await?;
            report.commands += 1;
        }
        let state = self.load_loan(id).await?;
        let request = AppendRequest {
            streams: vec![StreamAppend {
                stream: loan_stream(id),
                expected_version: state.version(),
                events: Vec::new(),
                wake_at: loan_wake(&state, now),
            }],
            entries: Vec::new(),
            outbox: reminders,
            idempotency_key: None,
            at: now.into(),
        };
        self.append_unless_overtaken(request).await
    }

    async fn set_loan_wake(
        &self,
        id: &LoanId,
        state: &LoanState,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let version = self.load_loan(id).await?.version();
        self.set_wake(loan_stream(id), version, loan_wake(state, now), now)
            .await
    }
}

/// What a repayment asked for without an amount takes: every installment due by
/// `today` and not yet settled, or, when none is, the next unsettled one.
fn next_due(state: &LoanState, today: chrono::NaiveDate) -> Option<Money> {
    let loan = state.loan()?;
    let mut overdue: Option<Money> = None;
    for installment in loan.installments() {
        let remaining = installment.remaining_total().ok()?;
        if !remaining.is_positive() {
            continue;
        }
        if installment.row().due_date > today {
            return Some(overdue.unwrap_or(remaining));
        }
        overdue = Some(match overdue {
            Some(total) => total.checked_add(remaining).ok()?,
            None => remaining,
        });
    }
    overdue
}

/// When to look at a loan next: two days before its next unsettled installment, or
/// tomorrow once one is that close or overdue; never when it is closed.
fn loan_wake(state: &LoanState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let loan = state.loan()?;
    if !matches!(loan.status(), LoanStatus::Disbursed | LoanStatus::Defaulted) {
        return None;
    }
    let next = loan
        .installments()
        .iter()
        .find(|i| i.remaining_total().is_ok_and(|r| r.is_positive()))?;
    let today = now.date_naive();
    let window = next.row().due_date.checked_sub_days(Days::new(2))?;
    let day = if window > today {
        window
    } else {
        today.checked_add_days(Days::new(1))?
    };
    day.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

impl Hosted for LoanState {
    type Id = LoanId;
    const KIND: StreamKind = StreamKind::Loan;

    fn wrap(event: LoanEvent) -> DomainEvent {
        DomainEvent::Loan(event)
    }

    fn unwrap(event: DomainEvent) -> Option<LoanEvent> {
        match event {
            DomainEvent::Loan(event) => Some(event),
            _ => None,
        }
    }

    fn entry(event: &LoanEvent) -> Option<&BalancedEntry> {
        event.entry()
    }

    fn opens(command: &LoanCommand) -> bool {
        matches!(command, LoanCommand::Apply(_))
    }

    fn refused(error: LoanError) -> ServiceError {
        error.into()
    }

    fn cache(service: &AjoService) -> &StateCache<LoanState, LoanId> {
        &service.loan_states
    }

    fn wake_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        loan_wake(self, now)
    }

    async fn effects<'a>(
        service: &'a AjoService,
        id: &'a LoanId,
        _before: &'a LoanState,
        after: &'a LoanState,
        events: &'a [LoanEvent],
        profiles: &'a mut Profiles,
    ) -> Result<Effects, ServiceError> {
        Ok(Effects {
            streams: service.loan_payouts(id, after, events),
            outbox: service.loan_messages(id, after, events, profiles).await?,
        })
    }
}
