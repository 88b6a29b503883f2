//! What a command does to a loan: the events it causes, or why it is refused.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use super::accounts::check_reference;
use super::state::Loan;
use super::{
    Components, LoanApplication, LoanCommand, LoanError, LoanEvent, LoanPolicy, LoanState,
    LoanStatus, Reamortize, Schedule, allocate,
};
use crate::ledger::{BalancedEntry, EntryDraft};
use crate::money::Money;

/// `now` in the loan's time zone, as events are stamped.
fn local(now: DateTime<Utc>, policy: &LoanPolicy) -> DateTime<FixedOffset> {
    now.with_timezone(&policy.time_zone).fixed_offset()
}

///
/// # Errors
/// - [`LoanError::NoLoan`] for any command but `Apply` on an empty state.
/// - The state's [`fault`](LoanState::fault), for any command on a loan whose stored
///   events did not all apply.
/// - [`LoanError::IllegalTransition`] for a command the status does not allow
///   (approving a rejected loan, repaying one not disbursed...).
/// - `Apply`: [`LoanError::CurrencyMismatch`] for an account or penalty rule in another
///   currency.
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
    now: DateTime<Utc>,
) -> Result<Vec<LoanEvent>, LoanError> {
    if let Some(fault) = state.fault() {
        return Err(fault.clone());
    }
    let Some(loan) = state.loan() else {
        return match command {
            LoanCommand::Apply(application) => {
                apply_for(application, local(now, &application.policy))
            }
            other => Err(LoanError::NoLoan {
                command: other.name(),
            }),
        };
    };
    let now = local(now, loan.policy());
    let today = now.date_naive();
    let open = [LoanStatus::Disbursed, LoanStatus::Defaulted];
    match command {
        LoanCommand::Apply(_) => Err(LoanError::IllegalTransition {
            command: command.name(),
            status: loan.status(),
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
    let currency = application.terms.principal().currency();
    application.accounts.check(currency)?;
    application.policy.check(currency)?;
    Ok(vec![LoanEvent::Applied {
        at: now,
        application: Box::new(application.clone()),
    }])
}

fn check_date(loan: &Loan, today: NaiveDate) -> Result<(), LoanError> {
    let disbursed = loan.terms().disbursement_date();
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
    let terms = loan.terms().with_disbursement_date(now.date_naive());
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
        after.terms(),
        after.installments(),
        amount,
        today,
        after.policy().allocation,
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
    let currency = loan.terms().principal().currency();
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
