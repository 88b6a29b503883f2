//! Reads for a host's own screens: a group's and a member's [views](crate::view), with
//! their amounts from the ledger.

use tracing::instrument;

use super::{AjoService, ServiceError, logged};
use crate::group::{GroupError, GroupState};
use crate::ids::{GroupId, MemberId};
use crate::ledger::Account;
use crate::member::MemberEvent;
use crate::money::Money;
use crate::ports::{StreamId, StreamKind};
use crate::view::{GroupView, MemberView, accounts_read};

impl AjoService {
    /// A group as a host shows it: members, hands, rounds with their recipients and due
    /// dates, the pot and deposits, from the ledger. Serializes to JSON as it is.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group; a store error.
    #[instrument(skip_all, fields(group_id = %group))]
    pub async fn group_view(&self, group: &GroupId) -> Result<GroupView, ServiceError> {
        logged(async move {
            let (state, balances) = self.state_and_balances(group).await?;
            GroupView::new(&state, |a| balance_of(&balances, a)).ok_or_else(|| not_found(group))
        })
        .await
    }

    /// One member of a group as their own screen shows it: their hands, every due with
    /// what is paid and outstanding, penalties, deposit held and owed, what settles them
    /// now. Serializes to JSON as it is.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown group; [`GroupError::UnknownMember`]
    /// (in [`ServiceError::Group`]) for someone who never joined it; a store error.
    #[instrument(skip_all, fields(group_id = %group, member_id = %member))]
    pub async fn member_view(
        &self,
        group: &GroupId,
        member: &MemberId,
    ) -> Result<MemberView, ServiceError> {
        logged(async move {
            let (state, balances) = self.state_and_balances(group).await?;
            if !state.members().contains_key(member) {
                return Err(GroupError::UnknownMember(member.clone()).into());
            }
            let mut view = MemberView::new(&state, member, |a| balance_of(&balances, a))
                .ok_or_else(|| not_found(group))?;
            let profile = self
                .load_as(&super::exec::member_stream(member), super::exec::as_member)
                .await?;
            // Each dispute by its collection and the gateway's id for it: two disputes
            // of one collection stay open until each is decided.
            let mut open: Vec<(&String, &Option<String>)> = Vec::new();
            for event in &profile.events {
                match event {
                    MemberEvent::DisputeOpened {
                        reference, dispute, ..
                    } if !open.contains(&(reference, dispute)) => {
                        open.push((reference, dispute));
                    }
                    MemberEvent::DisputeClosed {
                        reference, dispute, ..
                    } => {
                        open.retain(|d| *d != (reference, dispute));
                    }
                    _ => {}
                }
            }
            let mut references: Vec<String> = Vec::new();
            for (reference, _) in open {
                if !references.contains(reference) {
                    references.push(reference.clone());
                }
            }
            view.open_disputes = references;
            if let Some(currency) = state.config().map(|c| c.currency()) {
                let owed = self
                    .store
                    .balance(&super::chargebacks_of(member, currency))
                    .await?;
                view.chargebacks_owed = Some(owed);
            }
            Ok(view)
        })
        .await
    }

    /// The group's state and the ledger's balance of every account a view reads.
    async fn state_and_balances(
        &self,
        group: &GroupId,
    ) -> Result<(GroupState, Vec<(Account, Money)>), ServiceError> {
        let state = self.group(group).await?;
        if state.id().is_none() {
            return Err(not_found(group));
        }
        let mut balances = Vec::new();
        for account in accounts_read(&state) {
            let balance = self.store.balance(&account).await?;
            balances.push((account, balance));
        }
        Ok((state, balances))
    }
}

fn balance_of(balances: &[(Account, Money)], account: &Account) -> Money {
    balances
        .iter()
        .find(|(a, _)| a == account)
        .map_or(Money::zero(account.currency()), |(_, m)| *m)
}

fn not_found(group: &GroupId) -> ServiceError {
    ServiceError::NotFound(StreamId::new(StreamKind::Group, group.to_string()))
}
