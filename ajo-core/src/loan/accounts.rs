//! Where a loan's money is booked, and the ids that key its ledger entries.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::LoanError;
use super::payoff::FlatPayoff;
use super::repayment::AllocationOrder;
use crate::ids::IdError;
use crate::ledger::{Account, AccountKind};
use crate::money::Currency;
use crate::penalty::{PenaltyKind, PenaltyRule};

/// The longest payment or disbursement reference, in bytes.
pub const MAX_REFERENCE_LEN: usize = 128;

/// Checks a caller's reference (a gateway's transaction reference, a member id): 1 to
/// [`MAX_REFERENCE_LEN`] bytes of printable ASCII without spaces.
pub(crate) fn check_reference(what: &'static str, text: &str) -> Result<(), LoanError> {
    let invalid = |reason| LoanError::InvalidId(IdError::new(what, text, reason));
    if text.is_empty() {
        return Err(invalid("empty"));
    }
    if text.len() > MAX_REFERENCE_LEN {
        return Err(invalid("longer than 128 bytes"));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("only printable ASCII without spaces is allowed"));
    }
    Ok(())
}

/// The ledger accounts a loan moves money between.
///
/// [`LoanAccounts::new`] takes the two that depend on the deployment (where the money
/// comes from, where repayments arrive) and names the rest after the lender:
/// `LoansReceivable`, `InterestIncome`, `PenaltyIncome`, `PlatformFees` (fee income) and
/// `LoanLosses`, each owned by the lender. Replace any with the `with_*` methods.
///
/// ```
/// use ajo_core::ledger::{Account, AccountKind};
/// use ajo_core::loan::LoanAccounts;
/// use ajo_core::money::Currency;
///
/// let pot = Account::new("group-1", AccountKind::GroupPot, Currency::NGN);
/// let paystack = Account::new("paystack", AccountKind::GatewayClearing, Currency::NGN);
/// let accounts = LoanAccounts::new("group-1", pot.clone(), paystack);
/// assert_eq!(accounts.funding(), &pot);
/// assert_eq!(accounts.receivable().kind(), AccountKind::LoansReceivable);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanAccounts {
    funding: Account,
    collection: Account,
    receivable: Account,
    interest_income: Account,
    penalty_income: Account,
    fee_income: Account,
    losses: Account,
}

impl LoanAccounts {
    /// Money lent comes out of `funding` (a group pot, a lender's account); repayments
    /// arrive in `collection` (usually a gateway-clearing account); the other accounts
    /// belong to `lender`, in the funding account's currency.
    pub fn new(lender: impl Into<String>, funding: Account, collection: Account) -> LoanAccounts {
        let lender = lender.into();
        let currency = funding.currency();
        let account = |kind| Account::new(lender.clone(), kind, currency);
        LoanAccounts {
            receivable: account(AccountKind::LoansReceivable),
            interest_income: account(AccountKind::InterestIncome),
            penalty_income: account(AccountKind::PenaltyIncome),
            fee_income: account(AccountKind::PlatformFees),
            losses: account(AccountKind::LoanLosses),
            funding,
            collection,
        }
    }

    /// Replaces the receivable account (debited on disbursement).
    #[must_use]
    pub fn with_receivable(mut self, account: Account) -> LoanAccounts {
        self.receivable = account;
        self
    }

    /// Replaces the interest income account.
    #[must_use]
    pub fn with_interest_income(mut self, account: Account) -> LoanAccounts {
        self.interest_income = account;
        self
    }

    /// Replaces the penalty income account.
    #[must_use]
    pub fn with_penalty_income(mut self, account: Account) -> LoanAccounts {
        self.penalty_income = account;
        self
    }

    /// Replaces the fee income account.
    #[must_use]
    pub fn with_fee_income(mut self, account: Account) -> LoanAccounts {
        self.fee_income = account;
        self
    }

    /// Replaces the account written-off principal is charged to.
    #[must_use]
    pub fn with_losses(mut self, account: Account) -> LoanAccounts {
        self.losses = account;
        self
    }

    /// Where the money lent comes from.
    pub fn funding(&self) -> &Account {
        &self.funding
    }

    /// Where repayments arrive.
    pub fn collection(&self) -> &Account {
        &self.collection
    }

    /// Principal lent and not yet repaid.
    pub fn receivable(&self) -> &Account {
        &self.receivable
    }

    /// Interest collected.
    pub fn interest_income(&self) -> &Account {
        &self.interest_income
    }

    /// Penalties collected.
    pub fn penalty_income(&self) -> &Account {
        &self.penalty_income
    }

    /// Fees collected.
    pub fn fee_income(&self) -> &Account {
        &self.fee_income
    }

    /// Principal written off.
    pub fn losses(&self) -> &Account {
        &self.losses
    }

    pub(crate) fn check(&self, currency: Currency) -> Result<(), LoanError> {
        for (field, account) in [
            ("funding account", &self.funding),
            ("collection account", &self.collection),
            ("receivable account", &self.receivable),
            ("interest income account", &self.interest_income),
            ("penalty income account", &self.penalty_income),
            ("fee income account", &self.fee_income),
            ("losses account", &self.losses),
        ] {
            if account.currency() != currency {
                return Err(LoanError::CurrencyMismatch {
                    field,
                    expected: currency,
                    got: account.currency(),
                });
            }
        }
        Ok(())
    }
}

/// How a loan is serviced: the order payments are applied in, late penalties, and what
/// a flat loan's payoff rebates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanPolicy {
    /// The order a payment pays each installment's parts (default penalty, fee,
    /// interest, principal).
    pub allocation: AllocationOrder,
    /// Late penalties on overdue installments, with the same rules as contribution
    /// penalties (default none).
    pub penalty: PenaltyRule,
    /// A flat loan's payoff (default no rebate).
    pub flat_payoff: FlatPayoff,
    /// The zone whose calendar dates the loan: the disbursement date, due dates and
    /// lateness are read off the clock in it (default UTC; loans stored before it was
    /// kept read back as UTC, the date they were decided on).
    #[serde(default = "utc")]
    pub time_zone: Tz,
}

fn utc() -> Tz {
    Tz::UTC
}

impl Default for LoanPolicy {
    fn default() -> LoanPolicy {
        LoanPolicy {
            allocation: AllocationOrder::default(),
            penalty: PenaltyRule::none(),
            flat_payoff: FlatPayoff::default(),
            time_zone: Tz::UTC,
        }
    }
}

impl LoanPolicy {
    pub(crate) fn check(&self, currency: Currency) -> Result<(), LoanError> {
        let amounts = match self.penalty.kind() {
            PenaltyKind::FlatFee { fee } => vec![*fee],
            PenaltyKind::DailyAccrual {
                cap_amount: Some(cap),
                ..
            } => vec![*cap],
            _ => Vec::new(),
        };
        for amount in amounts {
            if amount.currency() != currency {
                return Err(LoanError::CurrencyMismatch {
                    field: "penalty rule",
                    expected: currency,
                    got: amount.currency(),
                });
            }
        }
        Ok(())
    }
}
