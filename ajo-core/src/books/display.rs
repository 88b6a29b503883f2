//! Reports as people read them: plain-text tables with amounts in the currency's own
//! style (`₦1,234.56`). Balances are shown debit positive, credit negative, as the ledger
//! keeps them and as the quickstart prints its trial balance.

use std::fmt;

use super::{Holder, PeriodReport, Statement};
use crate::ledger::Side;

impl fmt::Display for PeriodReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Books in {} from {} until {} ({} entries)",
            self.currency.code(),
            self.period.from(),
            self.period.until(),
            self.entries
        )?;
        for (label, amount) in [
            ("collections", self.collections),
            ("payouts", self.payouts),
            ("held for review", self.held_for_review),
            ("other gateway movement", self.other_gateway),
            ("platform fees", self.platform_fees),
            ("penalty income", self.penalty_income),
            ("loan interest", self.loan_interest),
            ("gateway fees", self.gateway_fees),
            ("deposits held at the end", self.deposits_held),
            ("in review at the end", self.in_review),
            ("in dispute at the end", self.in_dispute),
        ] {
            writeln!(f, "  {label:<26} {:>18}", amount.human().to_string())?;
        }
        writeln!(
            f,
            "\n  {:<22} {:>18} {:>18} {:>18} {:>18}",
            "account kind (debit +)", "opening", "debits", "credits", "closing"
        )?;
        for line in &self.kinds {
            writeln!(
                f,
                "  {:<22} {:>18} {:>18} {:>18} {:>18}",
                line.kind.to_string(),
                line.opening.human().to_string(),
                line.debits.human().to_string(),
                line.credits.human().to_string(),
                line.closing.human().to_string(),
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Group { group } => write!(f, "group {group}"),
            Holder::Member { member, .. } => write!(f, "member {member}"),
            Holder::Owners { owners } => {
                f.write_str("owners ")?;
                for (i, owner) in owners.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(owner)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Statement of {} from {} until {}",
            self.holder,
            self.period.from(),
            self.period.until()
        )?;
        writeln!(
            f,
            "  {:<44} {:>16} {:>16} {:>16} {:>16}",
            "account (debit +)", "opening", "debits", "credits", "closing"
        )?;
        for line in &self.accounts {
            writeln!(
                f,
                "  {:<44} {:>16} {:>16} {:>16} {:>16}",
                line.account.to_string(),
                line.opening.human().to_string(),
                line.debits.human().to_string(),
                line.credits.human().to_string(),
                line.closing.human().to_string(),
            )?;
        }
        writeln!(f)?;
        for line in &self.movements {
            let side = match line.side {
                Side::Debit => "debit",
                Side::Credit => "credit",
            };
            writeln!(
                f,
                "  {}  #{:<5} {:<44} {:<6} {:>16} {:>16}  {}",
                line.posted_at.as_datetime().format("%Y-%m-%d %H:%M:%S"),
                line.entry.0,
                line.account.to_string(),
                side,
                line.amount.human().to_string(),
                line.balance.human().to_string(),
                line.memo,
            )?;
        }
        Ok(())
    }
}
