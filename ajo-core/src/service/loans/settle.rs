//! Settling a loan through the service: repayments asked for with an overpayment policy,
//! the early pay-off (its quote, then the money), default and write-off; and the cost of
//! credit the borrower is shown.
//!
//! Each is one command through the command loop (`run_aggregate::<LoanState>`): the
//! loan's events, their balanced ledger entries and the borrower's notices in one atomic
//! append. Money a member sends arrives by the gateway's webhook; what it is applied as
//! (a repayment under a policy, or the pay-off) is recorded with the collection when it is
//! asked for, so a webhook replayed or arriving late applies it the same way.

use tracing::instrument;

use super::{loan_stream, next_due};
use crate::ids::LoanId;
use crate::loan::apr::{Convention, CostOfCredit};
use crate::loan::{
    LoanCommand, LoanError, LoanState, LoanStatus, PayoffQuote, Reamortize, Schedule,
};
use crate::money::Money;
use crate::payment::PaymentPurpose;
use crate::ports::{Collection, DomainEvent, KeyRecord};
use crate::reference::PaymentReference;
use crate::service::{AjoService, ServiceError};

/// The repayment number a pay-off's reference carries: installments count from 1, so 0
/// never names a plain repayment.
const PAYOFF_NUMBER: u32 = 0;

impl AjoService {
    /// Asks the gateway to collect a repayment (`amount`, or by default every
    /// installment overdue, or the next one when none is); what it pays beyond what is due is applied as
    /// `overpayment` says: [`Reamortize::ShortenTerm`] keeps the installment and ends
    /// sooner, [`Reamortize::LowerInstallment`] keeps the dates and lowers what is left.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown loan; [`ServiceError::Loan`] with
    /// [`LoanError::IllegalTransition`] for a loan not disbursed or in default,
    /// [`LoanError::CurrencyMismatch`] or [`LoanError::NonPositivePayment`] for an
    /// amount it cannot take, [`LoanError::NothingDue`] when no amount is given and
    /// nothing is due; a gateway or store error.
    #[instrument(skip_all, fields(loan_id = %id))]
    pub async fn request_loan_repayment_with(
        &self,
        id: &LoanId,
        amount: Option<Money>,
        overpayment: Reamortize,
    ) -> Result<Collection, ServiceError> {
        crate::service::logged(async move {
            let state = self.state_of::<LoanState>(id).await?;
            let loan = state
                .loan()
                .ok_or_else(|| ServiceError::NotFound(loan_stream(id)))?;
            // Refused before the gateway is asked: a closed loan takes no money, and an
            // amount must be positive and in the loan's currency.
            if !matches!(loan.status(), LoanStatus::Disbursed | LoanStatus::Defaulted) {
                return Err(LoanError::IllegalTransition {
                    command: "repay",
                    status: loan.status(),
                }
                .into());
            }
            if let Some(amount) = amount {
                let currency = loan.terms().principal().currency();
                if amount.currency() != currency {
                    return Err(LoanError::CurrencyMismatch {
                        field: "repayment",
                        expected: currency,
                        got: amount.currency(),
                    }
                    .into());
                }
                if !amount.is_positive() {
                    return Err(LoanError::NonPositivePayment { amount }.into());
                }
            }
            let amount = match amount {
                Some(amount) => amount,
                None => next_due(&state, self.now().date_naive()).ok_or(LoanError::NothingDue)?,
            };
            let applied = state.loan().map_or(0, |l| {
                l.installments()
                    .iter()
                    .filter(|i| i.paid().total().is_ok_and(|t| t.is_positive()))
                    .count()
            });
            let number = u32::try_from(applied + 1).unwrap_or(u32::MAX);
            self.collect_for_loan(id, &state, number, amount, overpayment, false)
                .await
        })
        .await
    }

    /// What settling the loan in full today costs, by component: what is due and unpaid
    /// (with penalties as of today), the principal still to come and the interest the
    /// loan's [`FlatPayoff`](crate::loan::FlatPayoff) rule keeps.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown loan; [`ServiceError::Loan`] with
    /// [`LoanError::IllegalTransition`] when it is not disbursed or in default.
    pub async fn loan_payoff_quote(&self, id: &LoanId) -> Result<PayoffQuote, ServiceError> {
        let state = self.state_of::<LoanState>(id).await?;
        let loan = state
            .loan()
            .ok_or_else(|| ServiceError::NotFound(loan_stream(id)))?;
        Ok(loan.payoff_quote_at(self.now())?)
    }

    /// The loan's cost-of-credit disclosure by `convention`: amount financed, finance
    /// charge, total of payments, each fee, and the APR of its dated flows. Before
    /// disbursement it is the schedule applied for (what the borrower is shown before
    /// signing); from disbursement, the schedule as booked, its dates counted from the
    /// day the money left.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown loan; [`ServiceError::Loan`] with
    /// [`LoanError::Apr`] when the APR cannot be computed,
    /// or a store error.
    pub async fn loan_cost_of_credit(
        &self,
        id: &LoanId,
        convention: Convention,
    ) -> Result<CostOfCredit, ServiceError> {
        let state = self.state_of::<LoanState>(id).await?;
        let loan = state
            .loan()
            .ok_or_else(|| ServiceError::NotFound(loan_stream(id)))?;
        let applied;
        let schedule = match loan.schedule() {
            Some(booked) => booked,
            None => {
                applied = Schedule::new(loan.terms())?;
                &applied
            }
        };
        Ok(schedule.cost_of_credit(convention)?)
    }

    /// Asks the gateway to collect today's pay-off quote. When the money arrives it
    /// settles the loan (`Repaid`) in one append; if the quote has changed by then (a
    /// penalty charged, a day's interest) the payment is held for review, never applied
    /// as something else.
    ///
    /// # Errors
    /// As [`loan_payoff_quote`](AjoService::loan_payoff_quote), or a gateway or store
    /// error.
    #[instrument(skip_all, fields(loan_id = %id))]
    pub async fn request_loan_payoff(&self, id: &LoanId) -> Result<Collection, ServiceError> {
        crate::service::logged(async move {
            let quote = self.loan_payoff_quote(id).await?;
            let state = self.state_of::<LoanState>(id).await?;
            self.collect_for_loan(
                id,
                &state,
                PAYOFF_NUMBER,
                quote.total,
                Reamortize::default(),
                true,
            )
            .await
        })
        .await
    }

    async fn collect_for_loan(
        &self,
        id: &LoanId,
        state: &LoanState,
        number: u32,
        amount: Money,
        overpayment: Reamortize,
        payoff: bool,
    ) -> Result<Collection, ServiceError> {
        let loan = state
            .loan()
            .ok_or_else(|| ServiceError::NotFound(loan_stream(id)))?;
        let member = loan.borrower().clone();
        let base = PaymentReference::loan_repayment(id, number);
        let payer = crate::service::collections::Payer::of(self.profile(&member).await?);
        let what = if payoff { "pay-off" } else { "repayment" };
        let ask = crate::service::collections::Ask {
            base: &base,
            member: &member,
            purpose: PaymentPurpose::LoanRepayment {
                loan: id.clone(),
                overpayment,
                payoff,
            },
            amount,
            payer,
            description: format!("loan {id} {what}"),
        };
        Ok(self.open_collection(&ask, None).await?.collection)
    }

    /// Declares a loan with an overdue installment in default: penalties up to today are
    /// charged and the loan stops being a performing one (reminders and penalties go on;
    /// repayments are still taken). One atomic command; asking again is refused.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown loan; [`ServiceError::Loan`] with
    /// [`LoanError::NothingOverdue`] when nothing is overdue, or
    /// [`LoanError::IllegalTransition`] when it is not disbursed.
    pub async fn mark_loan_defaulted(&self, id: &LoanId, reason: &str) -> Result<(), ServiceError> {
        self.mark_loan_defaulted_keyed(id, reason, None).await
    }

    /// [`mark_loan_defaulted`](Self::mark_loan_defaulted), recording a host's `key` with
    /// the default.
    #[instrument(skip_all, fields(loan_id = %id))]
    pub(in crate::service) async fn mark_loan_defaulted_keyed(
        &self,
        id: &LoanId,
        reason: &str,
        key: Option<&KeyRecord>,
    ) -> Result<(), ServiceError> {
        crate::service::logged(async move {
            self.run_loan(
                id,
                LoanCommand::MarkDefaulted {
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

    /// Writes off a defaulted loan's outstanding principal: a balanced entry debits the
    /// lender's loan losses and credits the receivable (for a pot loan, the pot: the
    /// group's books show the loss, not a pot that silently shrank). Returns the principal
    /// written off.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown loan; [`ServiceError::Loan`] with
    /// [`LoanError::IllegalTransition`] unless it is in default.
    pub async fn write_off_loan(&self, id: &LoanId) -> Result<Money, ServiceError> {
        self.write_off_loan_keyed(id, None).await
    }

    /// [`write_off_loan`](Self::write_off_loan), recording a host's `key` with the
    /// write-off. A replay under the key answers the principal written off then.
    #[instrument(skip_all, fields(loan_id = %id))]
    pub(in crate::service) async fn write_off_loan_keyed(
        &self,
        id: &LoanId,
        key: Option<&KeyRecord>,
    ) -> Result<Money, ServiceError> {
        crate::service::logged(async move {
            let events = self
                .run_loan(id, LoanCommand::WriteOff, key.cloned(), Vec::new())
                .await?;
            if events.is_empty() && key.is_some() {
                // Written off before under this key: the loan's stream says how much.
                return self.written_off(id).await;
            }
            let written = events.iter().find_map(|e| match e {
                crate::loan::LoanEvent::WrittenOff { principal, .. } => Some(*principal),
                _ => None,
            });
            match written {
                Some(principal) => Ok(principal),
                None => Err(LoanError::IllegalTransition {
                    command: "write off",
                    status: crate::loan::LoanStatus::WrittenOff,
                }
                .into()),
            }
        })
        .await
    }

    /// The principal a written-off loan's write-off took.
    pub(super) async fn written_off(&self, id: &LoanId) -> Result<Money, ServiceError> {
        let stream = loan_stream(id);
        let events = self.store.load(&stream).await?;
        events
            .iter()
            .find_map(|e| match &e.event {
                DomainEvent::Loan(crate::loan::LoanEvent::WrittenOff { principal, .. }) => {
                    Some(*principal)
                }
                _ => None,
            })
            .ok_or(ServiceError::NotFound(stream))
    }
}
