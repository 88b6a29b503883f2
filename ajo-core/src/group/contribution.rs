//! Contributions: what each hand owes each round, and how a payment is applied.
//!
//! Every round, every hand owes one contribution: a [`Due`]. A payment is applied by
//! [`apply_payment`] in a fixed order, so the same payments always leave the same state:
//!
//! 1. dues already past their due date, oldest first (arrears);
//! 2. penalties owed;
//! 3. the security deposit still owed (unpaid, or used to cover arrears);
//! 4. dues not yet due, oldest first (paying ahead);
//! 5. whatever is left is a credit held for the member.
//!
//! A payment may be full, partial (the due is left partly paid) or over (the excess
//! goes to the next due, and past the last one becomes a credit).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::ids::HandId;
use crate::money::{Money, MoneyError};

/// Where a due stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DueStatus {
    /// Not fully paid, and not late yet.
    Pending,
    /// Something paid, not all, and not late yet.
    PartlyPaid,
    /// Paid in full by the member.
    Paid,
    /// Not fully paid after the due date plus the grace period.
    Late,
    /// Settled, at least in part, from the member's security deposit.
    CoveredByDeposit,
    /// Forgiven by the organiser.
    Waived,
}

/// One hand's contribution for one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// 1-based round.
    pub round: u32,
    /// The hand that owes it.
    pub hand: HandId,
    /// When it is due (a calendar date in the group's time zone).
    pub due_date: NaiveDate,
    /// The contribution owed.
    pub amount: Money,
    /// Paid by the member so far.
    pub paid: Money,
    /// Covered from the member's deposit.
    pub covered: Money,
    /// Forgiven by the organiser.
    pub waived: bool,
    /// Penalties charged on it so far (a running total).
    pub penalty_charged: Money,
}

impl Due {
    /// What is still owed: nothing once waived.
    pub fn outstanding(&self) -> Money {
        if self.waived {
            return Money::zero(self.amount.currency());
        }
        let settled = self.paid.minor().saturating_add(self.covered.minor());
        let left = self.amount.minor().saturating_sub(settled).max(0);
        Money::from_minor(left, self.amount.currency()).unwrap_or(self.amount)
    }

    /// Whether nothing more is owed.
    pub fn is_settled(&self) -> bool {
        self.outstanding().is_zero()
    }

    /// What went into the pot for it: paid plus covered.
    pub fn collected(&self) -> Money {
        self.paid.checked_add(self.covered).unwrap_or(self.paid)
    }

    /// Whether it is late on `today`: unsettled after the due date plus `grace_days`.
    pub fn is_late(&self, today: NaiveDate, grace_days: u32) -> bool {
        let grace_end = self
            .due_date
            .checked_add_days(Days::new(u64::from(grace_days)))
            .unwrap_or(NaiveDate::MAX);
        !self.is_settled() && today > grace_end
    }

    /// The status on `today`, with `grace_days` of grace.
    pub fn status(&self, today: NaiveDate, grace_days: u32) -> DueStatus {
        if self.waived {
            DueStatus::Waived
        } else if self.is_settled() {
            if self.covered.is_positive() {
                DueStatus::CoveredByDeposit
            } else {
                DueStatus::Paid
            }
        } else if self.is_late(today, grace_days) {
            DueStatus::Late
        } else if self.paid.is_positive() {
            DueStatus::PartlyPaid
        } else {
            DueStatus::Pending
        }
    }
}

/// What part of a payment went where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Application {
    /// To a hand's due for a round.
    Due {
        /// The round.
        round: u32,
        /// The hand.
        hand: HandId,
        /// How much.
        amount: Money,
    },
    /// To penalties owed.
    Penalties {
        /// How much.
        amount: Money,
    },
    /// To the security deposit owed.
    Deposit {
        /// How much.
        amount: Money,
    },
    /// Held as a credit for the member.
    Credit {
        /// How much.
        amount: Money,
    },
}

impl Application {
    /// The amount applied.
    pub fn amount(&self) -> Money {
        match self {
            Application::Due { amount, .. }
            | Application::Penalties { amount }
            | Application::Deposit { amount }
            | Application::Credit { amount } => *amount,
        }
    }
}

/// What a member owes, for [`apply_payment`].
#[derive(Debug, Clone)]
pub struct Owed<'a> {
    /// The member's unsettled dues, in round order.
    pub dues: Vec<&'a Due>,
    /// Penalties charged and not paid.
    pub penalties: Money,
    /// Security deposit still owed.
    pub deposit: Money,
}

/// Applies a payment of `amount` to what is `owed` on `today`, in the order in the
/// module docs. The applications sum exactly to `amount`.
///
/// # Errors
/// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
pub fn apply_payment(
    amount: Money,
    owed: &Owed<'_>,
    today: NaiveDate,
) -> Result<Vec<Application>, MoneyError> {
    let mut left = amount;
    let mut out = Vec::new();
    let (overdue, ahead): (Vec<&Due>, Vec<&Due>) =
        owed.dues.iter().partition(|d| d.due_date <= today);
    pay_dues(&overdue, &mut left, &mut out)?;
    let penalties = take(owed.penalties, &mut left)?;
    if penalties.is_positive() {
        out.push(Application::Penalties { amount: penalties });
    }
    let deposit = take(owed.deposit, &mut left)?;
    if deposit.is_positive() {
        out.push(Application::Deposit { amount: deposit });
    }
    pay_dues(&ahead, &mut left, &mut out)?;
    if left.is_positive() {
        out.push(Application::Credit { amount: left });
    }
    Ok(out)
}

/// Takes up to `wanted` from what is `left` of a payment.
fn take(wanted: Money, left: &mut Money) -> Result<Money, MoneyError> {
    let part = left.checked_min(wanted)?;
    *left = left.checked_sub(part)?;
    Ok(part)
}

/// Applies what is left to `dues` in order, recording each part.
fn pay_dues(dues: &[&Due], left: &mut Money, out: &mut Vec<Application>) -> Result<(), MoneyError> {
    for due in dues {
        let part = take(due.outstanding(), left)?;
        if part.is_positive() {
            out.push(Application::Due {
                round: due.round,
                hand: due.hand,
                amount: part,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn ngn(s: &str) -> Money {
        Money::parse(s, Currency::NGN).unwrap()
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn due(round: u32, date: NaiveDate, paid: &str) -> Due {
        Due {
            round,
            hand: HandId::new(1).unwrap(),
            due_date: date,
            amount: ngn("100"),
            paid: ngn(paid),
            covered: ngn("0"),
            waived: false,
            penalty_charged: ngn("0"),
        }
    }

    #[test]
    fn statuses() {
        let mut x = due(1, d(3, 1), "0");
        assert_eq!(x.status(d(2, 27), 2), DueStatus::Pending);
        assert_eq!(x.status(d(3, 3), 2), DueStatus::Pending);
        assert_eq!(x.status(d(3, 4), 2), DueStatus::Late);
        x.paid = ngn("40");
        assert_eq!(x.status(d(3, 2), 2), DueStatus::PartlyPaid);
        assert_eq!(x.outstanding(), ngn("60"));
        x.covered = ngn("60");
        assert_eq!(x.status(d(3, 9), 2), DueStatus::CoveredByDeposit);
        x.covered = ngn("0");
        x.paid = ngn("100");
        assert_eq!(x.status(d(3, 9), 2), DueStatus::Paid);
        let mut w = due(1, d(3, 1), "10");
        w.waived = true;
        assert_eq!(
            (w.status(d(9, 9), 0), w.outstanding()),
            (DueStatus::Waived, ngn("0"))
        );
    }

    #[test]
    fn payments_go_to_arrears_penalties_deposit_then_ahead_then_credit() {
        let late = due(1, d(3, 1), "30");
        let next = due(2, d(4, 1), "0");
        let owed = Owed {
            dues: vec![&late, &next],
            penalties: ngn("5"),
            deposit: ngn("20"),
        };
        let apps = apply_payment(ngn("300"), &owed, d(3, 10)).unwrap();
        assert_eq!(
            apps,
            [
                Application::Due {
                    round: 1,
                    hand: HandId::new(1).unwrap(),
                    amount: ngn("70")
                },
                Application::Penalties { amount: ngn("5") },
                Application::Deposit { amount: ngn("20") },
                Application::Due {
                    round: 2,
                    hand: HandId::new(1).unwrap(),
                    amount: ngn("100")
                },
                Application::Credit { amount: ngn("105") },
            ]
        );
        let partial = apply_payment(ngn("50"), &owed, d(3, 10)).unwrap();
        assert_eq!(
            partial,
            [Application::Due {
                round: 1,
                hand: HandId::new(1).unwrap(),
                amount: ngn("50")
            }]
        );
        let sum: i128 = apps.iter().map(|a| a.amount().minor()).sum();
        assert_eq!(sum, ngn("300").minor());
    }
}
