//! Loans through the service: apply, approve, disburse through the gateway, collect
//! repayments, and the daily reminders and penalties.

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
    LoanAccounts, LoanApplication, LoanCommand, LoanError, LoanEvent, LoanPolicy, LoanState,
    LoanStatus, LoanTerms, Reamortize,
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

    async fn loan_messages(
        &self,
        id: &LoanId,
        state: &LoanState,
        events: &[LoanEvent],
    ) -> Result<Vec<crate::ports::OutboxMessage>, ServiceError> {
        let Some(loan) = state.loan() else {
            return Ok(Vec::new());
        };
        let member = loan.borrower();
        let mut out = Vec::new();
        for event in events {
            if let LoanEvent::Disbursed { schedule, .. } = event
                && let Some(first) = schedule.rows().first()
            {
                let notice = Notice::LoanApproved {
                    principal: loan.terms().principal(),
                    installments: u32::try_from(schedule.rows().len()).unwrap_or(u32::MAX),
                    installment: first.total,
                    first_due_date: first.due_date,
                };
                out.extend(
                    self.messages_for(
                        member,
                        &format!("loan:{id}:disbursed"),
                        notice,
                        &mut Profiles::default(),
                    )
                    .await?,
                );
            }
        }
        Ok(out)
    }

    /// A member applies for a loan through a group.
    ///
    /// # Errors
    /// [`ServiceError::Loan`] for terms or ids the loan refuses; [`ServiceError::NotFound`]
    /// for an unknown group.
    pub async fn apply_for_loan(&self, request: LoanRequest) -> Result<(), ServiceError> {
        self.apply_for_loan_keyed(request, None).await
    }

    /// [`apply_for_loan`](Self::apply_for_loan), recording a host's `key` with the
    /// application.
    #[instrument(skip_all, fields(loan_id = %request.id, group_id = %request.group, member_id = %request.member))]
    pub(super) async fn apply_for_loan_keyed(
        &self,
        request: LoanRequest,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        super::logged(async move {
            let group = self.group(&request.group).await?;
            let accounts = group
                .accounts()
                .ok_or_else(|| ServiceError::NotFound(super::exec::group_stream(&request.group)))?;
            let loan_accounts = LoanAccounts::new(
                request.group.as_str(),
                accounts.wallet(&request.member),
                accounts.clearing(),
            );
            let application = LoanApplication {
                id: request.id.clone(),
                borrower: request.member.clone(),
                terms: request.terms,
                accounts: loan_accounts,
                policy: request.policy,
            };
            self.run_loan(
                &request.id,
                LoanCommand::Apply(Box::new(application)),
                key.cloned(),
                Vec::new(),
            )
            .await?;
            Ok(())
        })
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
    pub(super) async fn approve_loan_keyed(
        &self,
        id: &LoanId,
        by: &str,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        self.run_loan(
            id,
            LoanCommand::Approve { by: by.to_owned() },
            key.cloned(),
            Vec::new(),
        )
        .await?;
        Ok(())
    }

    /// Refuses a pending or approved loan.
    ///
    /// # Errors
    /// [`ServiceError::Loan`] if it is past approval.
    pub async fn reject_loan(&self, id: &LoanId, reason: &str) -> Result<(), ServiceError> {
        self.reject_loan_keyed(id, reason, None).await
    }

    /// [`reject_loan`](Self::reject_loan), recording a host's `key` with the refusal.
    pub(super) async fn reject_loan_keyed(
        &self,
        id: &LoanId,
        reason: &str,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
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
    }

    /// Pays out an approved loan: the schedule starts today, the money is owed to the
    /// borrower and sent by the next `tick`.
    ///
    /// # Errors
    /// [`ServiceError::Loan`] if it is not approved.
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

    /// Asks the gateway to collect a repayment: `amount`, or by default everything due
    /// up to the next installment.
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
            let state = self.state_of::<LoanState>(id).await?;
            let loan = state
                .loan()
                .ok_or_else(|| ServiceError::NotFound(loan_stream(id)))?;
            let member = loan.borrower().clone();
            let amount = match amount {
                Some(amount) => amount,
                None => next_due(&state).ok_or(LoanError::NothingDue)?,
            };
            let applied = state.loan().map_or(0, |l| {
                l.installments()
                    .iter()
                    .filter(|i| i.paid().total().is_ok_and(|t| t.is_positive()))
                    .count()
            });
            let number = u32::try_from(applied + 1).unwrap_or(u32::MAX);
            let base = PaymentReference::loan_repayment(id, number);
            let email = self.profile(&member).await?.and_then(|p| p.email);
            let ask = super::collections::Ask {
                base: &base,
                member: &member,
                purpose: PaymentPurpose::LoanRepayment { loan: id.clone() },
                amount,
                email,
                description: format!("loan {id} repayment"),
            };
            Ok(self.open_collection(&ask, None).await?.collection)
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
    ) -> Result<Handled, ServiceError> {
        let command = LoanCommand::Repay {
            payment_ref: reference.to_owned(),
            amount,
            overpayment: Reamortize::ShortenTerm,
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

/// What is due up to and including the next unsettled installment.
fn next_due(state: &LoanState) -> Option<Money> {
    let loan = state.loan()?;
    let mut total: Option<Money> = None;
    for installment in loan.installments() {
        let remaining = installment.remaining_total().ok()?;
        if remaining.is_positive() {
            total = Some(match total {
                Some(t) => t.checked_add(remaining).ok()?,
                None => remaining,
            });
            return total;
        }
    }
    total
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
        _profiles: &'a mut Profiles,
    ) -> Result<Effects, ServiceError> {
        Ok(Effects {
            streams: service.loan_payouts(id, after, events),
            outbox: service.loan_messages(id, after, events).await?,
        })
    }
}
