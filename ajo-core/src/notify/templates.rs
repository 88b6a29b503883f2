use std::fmt::Write;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::gsm::{SmsLength, gsm7_cost, sms_length};
use crate::money::Money;

/// Something a member is told.
///
/// It does not hold the member's name: the service knows whom it tells only when it
/// reads their profile, so the name is given when the notice is rendered
/// ([`email`](Notice::email)) and no notice ever exists with a blank one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Notice {
    /// A contribution (or other payment) was received.
    PaymentConfirmation {
        /// The group's name.
        group: String,
        /// How much.
        amount: Money,
        /// The payment reference.
        reference: String,
    },
    /// A contribution falls due soon.
    PaymentDueReminder {
        /// The group's name.
        group: String,
        /// What is owed.
        amount: Money,
        /// When.
        due_date: NaiveDate,
        /// The round.
        round: u32,
    },
    /// The member's payout was made.
    PayoutNotification {
        /// The group's name.
        group: String,
        /// How much.
        amount: Money,
        /// The round.
        round: u32,
    },
    /// A late penalty was charged.
    PenaltyNotice {
        /// The group's name.
        group: String,
        /// The penalty.
        amount: Money,
        /// The round whose due was late.
        round: u32,
        /// Its due date.
        due_date: NaiveDate,
    },
    /// The group finished its cycle.
    GroupCompletion {
        /// The group's name.
        group: String,
        /// The deposit returned.
        deposit_refund: Money,
    },
    /// The group was cancelled and what the member put in is on its way back.
    GroupCancelled {
        /// The group's name.
        group: String,
        /// What the member gets back.
        refund: Money,
    },
    /// An organiser's-choice round is ready and waits for the organiser to name its
    /// recipient.
    RecipientChoiceDue {
        /// The group's name.
        group: String,
        /// The round.
        round: u32,
        /// From this day the first hand not yet paid is paid instead.
        deadline: NaiveDate,
    },
    /// A loan was approved.
    LoanApproved {
        /// The principal.
        principal: Money,
        /// How many installments.
        installments: u32,
        /// The regular installment.
        installment: Money,
        /// The first due date.
        first_due_date: NaiveDate,
    },
    /// A loan installment falls due soon.
    InstallmentDue {
        /// What is owed.
        amount: Money,
        /// When.
        due_date: NaiveDate,
        /// The installment number.
        number: u32,
    },
    /// A loan repayment was received and applied (a pay-off too: then nothing is left).
    LoanRepaymentReceived {
        /// How much.
        amount: Money,
        /// The payment reference.
        reference: String,
        /// What is left to repay on the schedule after it (zero once repaid).
        outstanding: Money,
    },
    /// A late penalty was charged on a loan installment.
    LoanPenaltyCharged {
        /// The installment's number.
        installment: u32,
        /// Its due date.
        due_date: NaiveDate,
        /// The penalty charged now.
        amount: Money,
        /// The installment's penalties so far.
        total: Money,
    },
    /// Loan installments are overdue.
    LoanArrears {
        /// Everything overdue (installments and their penalties).
        overdue: Money,
        /// How many installments are overdue.
        installments: u32,
        /// The earliest overdue due date.
        since: NaiveDate,
    },
}

/// An email, ready for an [`EmailSender`](crate::ports::EmailSender).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedEmail {
    /// The subject line.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// Simple HTML, with every caller-given value escaped.
    pub html: String,
}

/// An SMS, ready for an [`SmsSender`](crate::ports::SmsSender).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedSms {
    /// The text.
    pub body: String,
    /// Its encoding and segment count.
    pub length: SmsLength,
}

fn day(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// An amount for an SMS: the people's form when every character is GSM-7 (`$1,234.56`,
/// `€10.00`), else the code in front (`NGN 25,000.00`), so one symbol does not turn the
/// whole message into 70-character UCS-2 segments.
pub fn sms_amount(amount: Money) -> String {
    let human = amount.human().to_string();
    if human.chars().all(|c| gsm7_cost(c).is_some()) {
        return human;
    }
    let digits: String = human
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, ',' | '.'))
        .collect();
    let sign = if amount.is_negative() { "-" } else { "" };
    format!("{sign}{} {digits}", amount.currency().code())
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A subject, a greeting, paragraphs: the text and HTML bodies from one source.
fn email(subject: String, name: &str, paragraphs: &[String]) -> RenderedEmail {
    let mut text = format!("Hello {name},\n\n");
    let mut html = format!("<p>Hello {},</p>\n", escape(name));
    for paragraph in paragraphs {
        let _ = write!(text, "{paragraph}\n\n");
        let _ = writeln!(html, "<p>{}</p>", escape(paragraph));
    }
    text.push_str("Thank you,\najo");
    html.push_str("<p>Thank you,<br>ajo</p>");
    RenderedEmail {
        subject,
        text,
        html,
    }
}

impl Notice {
    /// The email for this notice, greeting the member by `name`.
    pub fn email(&self, name: &str) -> RenderedEmail {
        match self {
            Notice::PaymentConfirmation { group, amount, reference } => email(
                format!("Payment received: {} to {group}", amount.human()),
                name,
                &[
                    format!("We received your payment of {} to {group}.", amount.human()),
                    format!("Reference: {reference}. Keep it for your records."),
                ],
            ),
            Notice::PaymentDueReminder { group, amount, due_date, round } => email(
                format!("Reminder: {} due {} for {group}", amount.human(), day(*due_date)),
                name,
                &[
                    format!("Your round {round} contribution of {} to {group} is due on {}.", amount.human(), day(*due_date)),
                    "Paying on time keeps the pot whole for this round's recipient and avoids late penalties.".into(),
                ],
            ),
            Notice::PayoutNotification { group, amount, round } => email(
                format!("Your payout of {} from {group}", amount.human()),
                name,
                &[format!("It is your turn: the round {round} payout of {} from {group} is on its way to you.", amount.human())],
            ),
            Notice::PenaltyNotice { group, amount, round, due_date } => email(
                format!("Late penalty of {} in {group}", amount.human()),
                name,
                &[
                    format!("Your round {round} contribution to {group}, due {}, is late.", day(*due_date)),
                    format!("A penalty of {} has been charged. Pay what is due to stop further charges.", amount.human()),
                ],
            ),
            Notice::GroupCompletion { group, deposit_refund } => {
                let mut lines = vec![format!("Every hand in {group} has been paid. Thank you for saving together.")];
                if deposit_refund.is_positive() {
                    lines.push(format!("Your security deposit refund: {}.", deposit_refund.human()));
                }
                email(format!("{group} has completed its cycle"), name, &lines)
            }
            Notice::GroupCancelled { group, refund } => {
                let mut lines = vec![format!("{group} has been cancelled.")];
                if refund.is_positive() {
                    lines.push(format!("What you put in, {}, is being returned to your payout account.", refund.human()));
                }
                email(format!("{group} has been cancelled"), name, &lines)
            }
            Notice::RecipientChoiceDue { group, round, deadline } => email(
                format!("{group}: choose round {round}'s recipient"),
                name,
                &[
                    format!("Round {round} of {group} is funded and ready to pay out, and waits for you to choose its recipient."),
                    format!("If no recipient is chosen by {}, the first member in join order not yet paid receives it.", day(*deadline)),
                ],
            ),
            Notice::LoanApproved { principal, installments, installment, first_due_date } => email(
                format!("Your loan of {} is approved", principal.human()),
                name,
                &[
                    format!("Your loan of {} has been approved.", principal.human()),
                    format!(
                        "You will repay it in {installments} installments of about {}, the first due on {}.",
                        installment.human(),
                        day(*first_due_date)
                    ),
                ],
            ),
            Notice::InstallmentDue { amount, due_date, number } => email(
                format!("Loan installment {number} of {} due {}", amount.human(), day(*due_date)),
                name,
                &[format!("Installment {number} of your loan, {}, is due on {}.", amount.human(), day(*due_date))],
            ),
            Notice::LoanRepaymentReceived { amount, reference, outstanding } => email(
                format!("Loan repayment received: {}", amount.human()),
                name,
                &[
                    format!("We received your loan repayment of {}. Reference: {reference}.", amount.human()),
                    if outstanding.is_positive() {
                        format!("Left to repay on your schedule: {}.", outstanding.human())
                    } else {
                        "Your loan is fully repaid. Thank you.".into()
                    },
                ],
            ),
            Notice::LoanPenaltyCharged { installment, due_date, amount, total } => email(
                format!("Late penalty of {} on your loan", amount.human()),
                name,
                &[
                    format!("Installment {installment} of your loan, due {}, is late.", day(*due_date)),
                    format!("A penalty of {} has been charged ({} on this installment so far). Pay what is due to stop further charges.", amount.human(), total.human()),
                ],
            ),
            Notice::LoanArrears { overdue, installments, since } => email(
                format!("Your loan is in arrears: {} overdue", overdue.human()),
                name,
                &[
                    format!("{installments} installment(s) of your loan are overdue, the first since {}: {} in all.", day(*since), overdue.human()),
                    "Please pay as soon as you can: penalties grow while it is unpaid, and a loan left in arrears may be declared in default.".into(),
                ],
            ),
        }
    }

    /// The SMS for this notice, for those members get by text: payment reminder,
    /// payment confirmation, payout alert, loan repayment confirmation and loan arrears.
    pub fn sms(&self) -> Option<RenderedSms> {
        let body = match self {
            Notice::PaymentDueReminder {
                group,
                amount,
                due_date,
                round,
                ..
            } => format!(
                "ajo: {group} round {round}: {} due {}. Pay on time to avoid penalties.",
                sms_amount(*amount),
                day(*due_date)
            ),
            Notice::PaymentConfirmation {
                group,
                amount,
                reference,
                ..
            } => {
                format!(
                    "ajo: payment of {} to {group} received. Ref {reference}.",
                    sms_amount(*amount)
                )
            }
            Notice::PayoutNotification {
                group,
                amount,
                round,
                ..
            } => {
                format!(
                    "ajo: your {group} round {round} payout of {} is on its way.",
                    sms_amount(*amount)
                )
            }
            Notice::LoanRepaymentReceived {
                amount, reference, ..
            } => format!(
                "ajo: loan repayment of {} received. Ref {reference}.",
                sms_amount(*amount)
            ),
            Notice::LoanArrears { overdue, since, .. } => format!(
                "ajo: your loan is {} overdue since {}. Please pay to stop penalties.",
                sms_amount(*overdue),
                day(*since)
            ),
            _ => return None,
        };
        let length = sms_length(&body);
        Some(RenderedSms { body, length })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn sms_amounts_stay_in_gsm7() {
        let amount = |s: &str, c: Currency| sms_amount(Money::parse(s, c).unwrap());
        assert_eq!(amount("25000", Currency::NGN), "NGN 25,000.00");
        assert_eq!(amount("1234.5", Currency::KES), "KSh 1,234.50");
        assert_eq!(amount("1234.5", Currency::USD), "$1,234.50");
        assert_eq!(amount("-5", Currency::GHS), "-GHS 5.00");
        assert_eq!(amount("10", Currency::EUR), "€10.00");
    }

    #[test]
    fn html_escapes_what_callers_give() {
        let notice = Notice::PayoutNotification {
            group: "A & B \"co-op\"".into(),
            amount: Money::parse("1", Currency::NGN).unwrap(),
            round: 1,
        };
        let html = notice.email("<script>alert(1)</script>").html;
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;") && html.contains("A &amp; B &quot;co-op&quot;"));
    }
}
