//! What a loan's events tell the borrower, and the arrears notice the daily tick sends.
//!
//! Each message's id is derived from what caused it (`loan:{id}:payment:{ref}`,
//! `loan:{id}:i{n}:penalty:{total}`...), so a command decided again after a conflict,
//! or a tick run on two hosts, puts one message in the outbox, not two.

use chrono::NaiveDate;

use crate::ids::LoanId;
use crate::loan::{Loan, LoanError, LoanEvent, LoanState};
use crate::money::Money;
use crate::notify::Notice;
use crate::ports::OutboxMessage;
use crate::service::exec::Profiles;
use crate::service::{AjoService, ServiceError};

/// What is left to repay on the schedule: every installment's remaining total.
fn left_to_repay(loan: &Loan) -> Result<Money, LoanError> {
    let mut left = Money::zero(loan.terms().principal().currency());
    for installment in loan.installments() {
        left = left.checked_add(installment.remaining_total()?)?;
    }
    Ok(left)
}

/// The arrears notice for `loan` on `today`, when an installment is overdue: the total
/// overdue, how many, and since when.
pub(super) fn arrears_notice(loan: &Loan, today: NaiveDate) -> Result<Option<Notice>, LoanError> {
    let overdue = loan.overdue(today)?;
    let mut total = Money::zero(loan.terms().principal().currency());
    let mut since: Option<NaiveDate> = None;
    for installment in loan
        .installments()
        .iter()
        .filter(|i| overdue.contains(&i.row().number))
    {
        total = total.checked_add(installment.remaining_total()?)?;
        let due = installment.row().due_date;
        since = Some(since.map_or(due, |s| s.min(due)));
    }
    Ok(since.map(|since| Notice::LoanArrears {
        overdue: total,
        installments: u32::try_from(overdue.len()).unwrap_or(u32::MAX),
        since,
    }))
}

/// The notices `events` cause, with the cause each message id is derived from.
pub(super) fn loan_notices(
    id: &LoanId,
    after: &Loan,
    events: &[LoanEvent],
) -> Result<Vec<(String, Notice)>, LoanError> {
    let mut out = Vec::new();
    for event in events {
        match event {
            LoanEvent::Disbursed { schedule, .. } => {
                if let Some(first) = schedule.rows().first() {
                    out.push((
                        format!("loan:{id}:disbursed"),
                        Notice::LoanApproved {
                            principal: after.terms().principal(),
                            installments: u32::try_from(schedule.rows().len()).unwrap_or(u32::MAX),
                            installment: first.total,
                            first_due_date: first.due_date,
                        },
                    ));
                }
            }
            LoanEvent::PaymentApplied {
                payment_ref,
                amount,
                ..
            } => out.push((
                format!("loan:{id}:payment:{payment_ref}"),
                Notice::LoanRepaymentReceived {
                    amount: *amount,
                    reference: payment_ref.clone(),
                    outstanding: left_to_repay(after)?,
                },
            )),
            LoanEvent::PaidOff {
                payment_ref, quote, ..
            } => out.push((
                format!("loan:{id}:payment:{payment_ref}"),
                Notice::LoanRepaymentReceived {
                    amount: quote.total,
                    reference: payment_ref.clone(),
                    outstanding: Money::zero(quote.total.currency()),
                },
            )),
            LoanEvent::PenaltyCharged {
                installment,
                amount,
                total,
                ..
            } => {
                let due_date = after
                    .installments()
                    .iter()
                    .find(|i| i.row().number == *installment)
                    .map(|i| i.row().due_date);
                if let Some(due_date) = due_date {
                    out.push((
                        format!("loan:{id}:i{installment}:penalty:{}", total.minor()),
                        Notice::LoanPenaltyCharged {
                            installment: *installment,
                            due_date,
                            amount: *amount,
                            total: *total,
                        },
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

impl AjoService {
    /// The messages `events` cause, for the loan as they leave it.
    pub(super) async fn loan_messages(
        &self,
        id: &LoanId,
        after: &LoanState,
        events: &[LoanEvent],
        profiles: &mut Profiles,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        let Some(loan) = after.loan() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (cause, notice) in loan_notices(id, loan, events)? {
            out.extend(
                self.messages_for(loan.borrower(), &cause, notice, profiles)
                    .await?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::money::Currency;
    use crate::notify::Notice;

    fn ngn(s: &str) -> crate::money::Money {
        crate::money::Money::parse(s, Currency::NGN).unwrap()
    }

    fn day(d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 4, d).unwrap()
    }

    #[test]
    fn loan_notices_render() {
        let notices = [
            (
                "repayment",
                Notice::LoanRepaymentReceived {
                    amount: ngn("10400"),
                    reference: "ajo=lnr=ln-1=1".into(),
                    outstanding: ngn("20400"),
                },
            ),
            (
                "repaid",
                Notice::LoanRepaymentReceived {
                    amount: ngn("20400"),
                    reference: "ajo=lnr=ln-1=0".into(),
                    outstanding: ngn("0"),
                },
            ),
            (
                "penalty",
                Notice::LoanPenaltyCharged {
                    installment: 2,
                    due_date: day(3),
                    amount: ngn("500"),
                    total: ngn("1000"),
                },
            ),
            (
                "arrears",
                Notice::LoanArrears {
                    overdue: ngn("21300"),
                    installments: 2,
                    since: day(3),
                },
            ),
        ];
        for (name, notice) in notices {
            let email = notice.email("Ada");
            insta::assert_snapshot!(
                format!("{name}_email"),
                format!("{}\n\n{}\n\n{}", email.subject, email.text, email.html)
            );
            let sms = notice.sms().map(|s| s.body).unwrap_or_default();
            insta::assert_snapshot!(format!("{name}_sms"), sms);
        }
    }
}
