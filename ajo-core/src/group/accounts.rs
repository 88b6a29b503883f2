//! The ledger accounts a group posts to.
//!
//! Group-wide accounts are owned by the group id; a member's accounts inside a group by
//! `"{group}/{member}"`, so one person in two groups has separate books in each.

use super::GroupConfig;
use crate::ids::{GroupId, MemberId};
use crate::ledger::{Account, AccountKind};

/// The owner of the gateway clearing account that collections arrive in.
pub const CLEARING_OWNER: &str = "gateway";

/// A group's chart of accounts.
#[derive(Debug, Clone, Copy)]
pub struct GroupAccounts<'a> {
    group: &'a GroupId,
    config: &'a GroupConfig,
}

impl<'a> GroupAccounts<'a> {
    /// The accounts of `group` under `config`.
    pub fn new(group: &'a GroupId, config: &'a GroupConfig) -> GroupAccounts<'a> {
        GroupAccounts { group, config }
    }

    fn group_account(&self, kind: AccountKind) -> Account {
        Account::new(self.group.as_str(), kind, self.config.currency())
    }

    fn member_account(&self, member: &MemberId, kind: AccountKind) -> Account {
        Account::new(
            format!("{}/{}", self.group, member),
            kind,
            self.config.currency(),
        )
    }

    /// Where gateway collections land.
    pub fn clearing(&self) -> Account {
        GroupAccounts::clearing_for(self.config.currency())
    }

    /// The gateway clearing account in `currency`, shared by every group.
    pub fn clearing_for(currency: crate::money::Currency) -> Account {
        Account::new(CLEARING_OWNER, AccountKind::GatewayClearing, currency)
    }
    /// The group's pot.
    pub fn pot(&self) -> Account {
        self.group_account(AccountKind::GroupPot)
    }
    /// Penalties charged by the group.
    pub fn penalty_income(&self) -> Account {
        self.group_account(AccountKind::PenaltyIncome)
    }
    /// The organiser's or platform's fees.
    pub fn fees(&self) -> Account {
        Account::new(
            self.config.fee_account(),
            AccountKind::PlatformFees,
            self.config.currency(),
        )
    }
    /// A member's security deposit in escrow.
    pub fn escrow(&self, member: &MemberId) -> Account {
        self.member_account(member, AccountKind::DepositEscrow)
    }
    /// What the group owes a member: credits, payouts and refunds not yet sent.
    pub fn wallet(&self, member: &MemberId) -> Account {
        self.member_account(member, AccountKind::MemberWallet)
    }
    /// Penalties a member owes.
    pub fn receivable(&self, member: &MemberId) -> Account {
        self.member_account(member, AccountKind::MemberReceivable)
    }
}
