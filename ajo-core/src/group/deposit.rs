//! Security deposits: what a member puts in escrow on joining.
//!
//! The deposit is held in the group's escrow (one ledger account per member). When a
//! member is in arrears past the grace period, their deposit covers the shortfall
//! (escrow → pot), so the round's recipient is not short; the member then owes the
//! deposit back, and their next payments top it up before anything else but overdue
//! dues and penalties. At completion the deposit is refunded less unpaid penalties; on
//! cancellation it is returned with everything else the member put in.

use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

/// How large a member's security deposit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DepositRule {
    /// No deposit.
    None,
    /// A fixed amount per member, whatever their hands.
    Fixed {
        /// The amount.
        amount: Money,
    },
    /// A number of contributions per hand (`2` with two hands is four contributions).
    Contributions {
        /// Contributions per hand.
        count: u32,
    },
}

impl DepositRule {
    /// The deposit required of a member with `hands` hands.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] if a fixed amount is in another currency than the
    /// contribution, [`MoneyError::Overflow`] if it does not fit.
    pub fn required(&self, contribution: Money, hands: u32) -> Result<Money, MoneyError> {
        match self {
            DepositRule::None => Ok(Money::zero(contribution.currency())),
            DepositRule::Fixed { amount } => {
                Money::zero(contribution.currency()).checked_add(*amount)
            }
            DepositRule::Contributions { count } => {
                contribution.checked_mul_int(i64::from(*count).saturating_mul(i64::from(hands)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn required_amounts() {
        let c = Money::parse("5000", Currency::NGN).unwrap();
        assert!(DepositRule::None.required(c, 3).unwrap().is_zero());
        let fixed = DepositRule::Fixed {
            amount: Money::parse("2500", Currency::NGN).unwrap(),
        };
        assert_eq!(
            fixed.required(c, 3).unwrap(),
            Money::parse("2500", Currency::NGN).unwrap()
        );
        assert_eq!(
            DepositRule::Contributions { count: 2 }
                .required(c, 2)
                .unwrap(),
            Money::parse("20000", Currency::NGN).unwrap()
        );
        let kes = DepositRule::Fixed {
            amount: Money::parse("1", Currency::KES).unwrap(),
        };
        assert!(matches!(
            kes.required(c, 1),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }
}
