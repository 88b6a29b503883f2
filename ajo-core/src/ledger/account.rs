use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// What an account is for. With its owner and currency it identifies the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountKind {
    /// Money ajo holds for a member: contributions paid in ahead, payouts not yet sent.
    MemberWallet,
    /// A group's pot for the current round: contributions in, the payout out.
    GroupPot,
    /// Security deposits held for a group until they are used or refunded.
    DepositEscrow,
    /// The organiser's or platform's fees.
    PlatformFees,
    /// Principal lent and not yet repaid.
    LoansReceivable,
    /// Interest earned on loans.
    InterestIncome,
    /// Late penalties charged.
    PenaltyIncome,
    /// Money in transit at a payment gateway: collections not yet settled, payouts sent.
    GatewayClearing,
    /// What a member owes the group (arrears, a used deposit to top up).
    MemberReceivable,
    /// Amounts waiting for a person to review (a payment that did not match its due).
    Suspense,
    /// Loan principal written off as a loss (an expense).
    LoanLosses,
    /// Money a payer has disputed at the gateway (a chargeback) while the dispute runs:
    /// taken out of the gateway's clearing account, not yet anyone's loss.
    Disputed,
    /// What the payment provider kept of the money it moved (its fees, an expense).
    GatewayFees,
    /// Money held for review that a person wrote off with a reason: a debit balance is a
    /// loss, a credit balance money kept that nobody could be found to own.
    WrittenOff,
}

/// Which side increases an account's balance in the conventional presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Left side: increases assets, decreases liabilities and income.
    Debit,
    /// Right side: increases liabilities and income, decreases assets.
    Credit,
}

impl Side {
    /// The other side.
    #[must_use]
    pub fn opposite(self) -> Side {
        match self {
            Side::Debit => Side::Credit,
            Side::Credit => Side::Debit,
        }
    }
}

impl AccountKind {
    /// The side on which this kind of account normally carries its balance: debit for
    /// what ajo or a group is owed or holds at a gateway, credit for what it owes members
    /// and what it has earned.
    pub fn normal_side(self) -> Side {
        match self {
            AccountKind::LoansReceivable
            | AccountKind::GatewayClearing
            | AccountKind::MemberReceivable
            | AccountKind::LoanLosses
            | AccountKind::Disputed
            | AccountKind::GatewayFees
            | AccountKind::WrittenOff => Side::Debit,
            AccountKind::MemberWallet
            | AccountKind::GroupPot
            | AccountKind::DepositEscrow
            | AccountKind::PlatformFees
            | AccountKind::InterestIncome
            | AccountKind::PenaltyIncome
            | AccountKind::Suspense => Side::Credit,
        }
    }

    /// The kind's name in snake case, as it prints.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::MemberWallet => "member_wallet",
            AccountKind::GroupPot => "group_pot",
            AccountKind::DepositEscrow => "deposit_escrow",
            AccountKind::PlatformFees => "platform_fees",
            AccountKind::LoansReceivable => "loans_receivable",
            AccountKind::InterestIncome => "interest_income",
            AccountKind::PenaltyIncome => "penalty_income",
            AccountKind::GatewayClearing => "gateway_clearing",
            AccountKind::MemberReceivable => "member_receivable",
            AccountKind::Suspense => "suspense",
            AccountKind::LoanLosses => "loan_losses",
            AccountKind::Disputed => "disputed",
            AccountKind::GatewayFees => "gateway_fees",
            AccountKind::WrittenOff => "written_off",
        }
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A ledger account: who it belongs to, what it is for, and its one currency.
///
/// The owner is an opaque id chosen by the caller (a group id, a member id, `"platform"`).
/// Accounts need no opening: the first posting to one creates it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Account {
    owner: String,
    kind: AccountKind,
    currency: Currency,
}

impl Account {
    /// An account of `owner` for `kind` in `currency`.
    pub fn new(owner: impl Into<String>, kind: AccountKind, currency: Currency) -> Account {
        Account {
            owner: owner.into(),
            kind,
            currency,
        }
    }

    /// The owner's id.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// What the account is for.
    pub fn kind(&self) -> AccountKind {
        self.kind
    }

    /// The account's currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.owner, self.kind, self.currency)
    }
}
